"""The candidate model against the registry: what its bytes are, and what promoting it means.

A model is its file: the sha256 that the sidecar committed beside it records
(``models/model.json``). Identical bytes are never a new version: the same bytes as production
are nothing to promote, the same bytes as an earlier version re-use that version, and the bytes
of a deprecated version or of one production was rolled back from need ``--force``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from mlproject import artifact
from mlproject.from_yaml import safe_load
from mlproject.registry import Settings, show_file
from mlproject.registry.tags import State, Version, key

DATA_FILE = "data.dvc"  # the version of the raw data: what the bump rule calls "data"


@dataclass(frozen=True)
class Decision:
    action: str  # nothing | reuse | register | refuse
    reason: str
    version: Version | None = None  # production (nothing) or the version to re-use


def meta_at(rev: str, settings: Settings, root: Path | str) -> dict[str, Any] | None:
    """The model's sidecar committed at ``rev``, or None when there is none."""
    raw = show_file(rev, str(artifact.sidecar(settings.model)), root)
    try:
        meta = json.loads(raw) if raw else None
    except ValueError:
        return None
    return meta if isinstance(meta, dict) else None


def sha256_at(rev: str, settings: Settings, root: Path | str) -> str | None:
    sha = (meta_at(rev, settings, root) or {}).get("sha256")
    return sha if isinstance(sha, str) and sha else None


def data_version(rev: str, root: Path | str) -> str | None:
    """The md5 that data.dvc records at ``rev`` (the raw data's version), or None."""
    return data_version_of(show_file(rev, DATA_FILE, root))


def data_version_of(raw: bytes | None) -> str | None:
    """The md5 a data.dvc file's bytes record, or None."""
    try:
        outs = (safe_load(raw) or {}).get("outs") if raw else None
    except yaml.YAMLError:
        return None
    if not isinstance(outs, list) or not outs:
        return None
    return "+".join(str(o.get("md5")) for o in outs if isinstance(o, dict))


def decide(state: State, stage: str, sha: str, shas: dict[str, str | None],
           force: bool) -> Decision:
    """What promoting a model with sha256 ``sha`` means, given each version's sha256."""
    production = state.in_stage(stage)
    if production and shas.get(production.version) == sha:
        return Decision("nothing", f"nothing to promote: the model file is {production.tag}'s, "
                        f"which is in {stage} (sha256 {sha[:12]})", production)
    matches = sorted((state.versions[v] for v, s in shas.items() if s == sha),
                     key=lambda v: key(v.version), reverse=True)
    withdrawn = state.withdrawn(stage)
    blocked = [v for v in matches if v.deprecated or v.version in withdrawn]
    if blocked and not force:
        v = blocked[0]
        why = "it is deprecated" if v.deprecated else f"{stage} was rolled back from it"
        return Decision("refuse", f"the model file is {v.tag}'s and {why}; promote it anyway "
                        "with --force (the promote workflow's `force` input)", v)
    reusable = [v for v in matches if not v.deprecated]
    if reusable:
        return Decision("reuse", f"the model file is {reusable[0].tag}'s: re-using that version",
                        reusable[0])
    return Decision("register", "a model file no version has")


def facets(rev: str, settings: Settings, root: Path | str) -> dict[str, Any]:
    """What the bump rule compares: data version (data.dvc), model type, params, hyperparams."""
    meta = meta_at(rev, settings, root) or {}
    return {"data": data_version(rev, root), "model_type": meta.get("name"),
            "params": meta.get("params_md5"), "hyperparameters": meta.get("hyperparameters")}


def bump_part(candidate: dict, previous: dict | None, settings: Settings, major: bool) -> str:
    """major by flag; minor when a ``registry.minor_when`` facet changed; patch otherwise."""
    if major:
        return "major"
    if previous is None:
        return "minor"
    changed = [r for r in settings.minor_when if candidate.get(r) != previous.get(r)]
    return "minor" if changed else "patch"
