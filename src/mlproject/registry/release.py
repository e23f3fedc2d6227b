"""The release bundle: everything a GitHub release of one version carries, in one folder.

build/release/<version>/ holds the model file, its metadata, the model card, the metrics and
the exact dvc.lock. release.json (and build/release/gh_args.txt, one argument per line) give
the single `gh release create` call a workflow makes, so no `${{ }}` is needed in `run:`.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

from mlproject import artifact, storage
from mlproject.errors import PipelineError
from mlproject.registry import Settings, card

TAG_RE = re.compile(r"^[a-z][a-z0-9-]{0,63}@v\d+\.\d+\.\d+$")
SHA_RE = re.compile(r"^[0-9a-f]{40}$")


def gh_release_args(tag: str, commit: str, files: list[str], notes: str) -> list[str]:
    """Arguments of `gh release create`, built only from validated values."""
    if not TAG_RE.fullmatch(tag) or not SHA_RE.fullmatch(commit):
        raise PipelineError(f"refusing to build a release for tag {tag!r} at {commit!r}")
    return ["release", "create", tag, *files, "--target", commit, "--title", tag.replace("@", " "),
            "--notes-file", notes]


def write_bundle(root: Path, settings: Settings, version: str, commit: str, params: Any,
                 candidate: dict, verdict: Any, prod: Any, baseline: dict | None) -> Path:
    """Write build/release/<version>/ and return its path."""
    out = root / settings.release_dir / version
    if out.exists():
        shutil.rmtree(out)  # an earlier run that stopped before tagging
    out.mkdir(parents=True)
    model = root / settings.model
    shutil.copy2(model, out / model.name)
    shutil.copy2(artifact.sidecar(model), out / artifact.sidecar(model).name)
    shutil.copy2(root / "dvc.lock", out / "dvc.lock")
    tag = f"{settings.artifact}@{version}"
    previous = {"version": prod.version, "commit": prod.commit} if prod else None
    storage.write_json(out / "metrics.json", {
        "version": version, "tag": tag, "commit": commit, "results": candidate,
        "gate": verdict.to_json(), "previous_production": previous,
        "previous_results": baseline})
    text = card.render(root, settings, version, commit, params, candidate, verdict, prod, baseline)
    storage.write_bytes(out / "model_card.md", text.encode("utf-8"))
    rel = out.relative_to(root)
    files = [str(rel / name) for name in (model.name, artifact.sidecar(model).name,
                                          "model_card.md", "metrics.json", "dvc.lock")]
    args = gh_release_args(tag, commit, files, str(rel / "model_card.md"))
    storage.write_json(out / "release.json", {"tag": tag, "version": version, "commit": commit,
                                              "files": files, "gh_args": args})
    storage.write_bytes(root / settings.release_dir / "gh_args.txt",
                        ("\n".join(args) + "\n").encode("utf-8"))
    return out
