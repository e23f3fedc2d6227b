"""model fetch: put the model file of a registered version where the prediction API loads it.

The bytes come from DVC (local cache first, then the remote) at the version's tag; they are
written only when their sha256 equals the one in the sidecar committed at that tag.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from mlproject import artifact, storage
from mlproject.errors import PipelineError
from mlproject.registry import (
    NAME_RE,
    VERSION_RE,
    Settings,
    check_version,
    git,
    load_settings,
    show_file,
    tags,
)

DEFAULT_OUT = Path("models/production.skops")


def resolve(ref: str, settings: Settings, root: Path | str = ".") -> tags.Version:
    """The registered version named by ``ref``: a stage name (``prod``) or ``vX.Y.Z``."""
    state = tags.read_state(settings.artifact, root)
    if ref == settings.stage:
        found = state.in_stage(ref)
        if found is None:
            raise PipelineError(f"no version of {settings.artifact} is in {ref} yet; "
                                "run `mlproject promote` first")
        return found
    found = state.versions.get(check_version(ref))
    if found is None:
        raise PipelineError(f"{settings.artifact}@{ref} is not registered")
    if found.deprecated:
        raise PipelineError(f"{settings.artifact}@{ref} is deprecated; refusing to fetch it")
    return found


def fetch(ref: str, out: Path | str = DEFAULT_OUT, root: Path | str = ".",
          params_path: Path | str = "params.yaml") -> Path:
    """Write the model of ``ref`` to ``out`` (and its sidecar beside it); return ``out``."""
    import dvc.api
    from dvc.exceptions import DvcException

    root, out = Path(root), Path(out)
    settings = load_settings(root / params_path)
    version = resolve(ref, settings, root)
    side = show_file(version.commit, str(artifact.sidecar(settings.model)), root)
    if side is None:
        raise PipelineError(f"{version.tag}: {artifact.sidecar(settings.model)} is not committed")
    meta = json.loads(side)
    try:
        data = dvc.api.read(settings.model, repo=str(root.resolve()), rev=version.tag, mode="rb")
    except (DvcException, FileNotFoundError) as exc:
        raise PipelineError(
            f"{version.tag}: {settings.model} is neither in the DVC cache nor in the remote "
            f"({type(exc).__name__}); download it from the release: gh release download "
            f"'{version.tag}' --pattern '{Path(settings.model).stem}.*' --dir models/") from None
    if hashlib.sha256(data).hexdigest() != meta.get("sha256"):
        raise PipelineError(f"{version.tag}: {settings.model} does not match the sha256 in its "
                            "metadata; refusing to install it")
    meta["registry"] = {"artifact": settings.artifact, "version": version.version,
                        "tag": version.tag, "commit": version.commit}
    out = root / out if not out.is_absolute() else out
    storage.write_bytes(out, data)
    storage.write_json(artifact.sidecar(out), meta)
    artifact.load_model(out)  # the same checks the API will make, before anyone relies on it
    print(f"model fetch: {version.tag} -> {out}")
    return out


def refuse_deprecated(meta: dict, root: Path | str = ".") -> None:
    """Raise when a fetched model's version has been deprecated since (``serve`` asks this).

    Models that were not fetched from a registry, and servers outside a git clone, pass.
    """
    reg = meta.get("registry")
    if not isinstance(reg, dict) or not git("rev-parse", "--is-inside-work-tree", root=root,
                                            check=False):
        return
    name, version = str(reg.get("artifact")), str(reg.get("version"))
    if not NAME_RE.fullmatch(name) or not VERSION_RE.fullmatch(version):
        return
    found = tags.read_state(name, root).versions.get(version)
    if found is not None and found.deprecated:
        raise PipelineError(f"{found.tag} is deprecated; refusing to serve it. Fetch what is in "
                            "production now: `make fetch-prod` (or `make serve`)")


def load_predictor(ref: str = "prod", root: Path | str = ".", out: Path | str = DEFAULT_OUT):
    """Fetch ``ref`` from the registry and return a Predictor for it."""
    from mlproject.predict import Predictor

    return Predictor.load(fetch(ref, out, root))
