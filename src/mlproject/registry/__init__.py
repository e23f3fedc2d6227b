"""The model registry: versions and stages as git tags in GTO's conventions.

``model@v1.2.0`` registers the commit that produced a model as a version; ``model#prod#3``
assigns a version to production and ``model#prod!#4`` withdraws one (a rollback). GTO reads the
tags (``tags.read_state``), so ``gto show`` and ``mlproject registry show`` always agree.
Settings come from the ``registry:`` section of params.yaml.
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlproject.errors import PipelineError

# fullmatch everywhere: "$" alone would accept a trailing newline
VERSION_RE = re.compile(r"^v\d+\.\d+\.\d+$")
NAME_RE = re.compile(r"^[a-z][a-z0-9-]{0,63}$")
BRANCH_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,99}$")
BUMP_REASONS = ("data", "model_type", "params", "hyperparameters")
OUTCOME = "promotion.json"  # in registry.release_dir: what the last promotion did


@dataclass(frozen=True)
class Settings:
    artifact: str = "model"
    model: str = "models/model.skops"
    stage: str = "prod"
    branch: str = "main"  # only its tip is promoted
    first_version: str = "v1.0.0"
    minor_when: tuple[str, ...] = ("data", "model_type")
    release_dir: str = "build/release"
    require_remote: bool = True
    lock_timeout_s: float = 600.0


def settings_from(raw: Any) -> Settings:
    """Validate the raw ``registry:`` section; raise PipelineError naming the bad key."""
    raw = {} if raw is None else raw
    if not isinstance(raw, dict):
        raise PipelineError("params.yaml: registry: expected a mapping")
    known = Settings.__dataclass_fields__
    for key in raw:
        if key not in known:
            raise PipelineError(f"params.yaml: registry.{key}: unknown key; "
                                f"choose from {', '.join(known)}")
    values = {**Settings().__dict__, **raw}
    for key in ("artifact", "stage"):
        if not isinstance(values[key], str) or not NAME_RE.fullmatch(values[key]):
            raise PipelineError(f"params.yaml: registry.{key}: {values[key]!r} must be lowercase "
                                "letters, digits and '-' (it becomes part of git tags)")
    branch = values["branch"]
    if not isinstance(branch, str) or not BRANCH_RE.fullmatch(branch) or ".." in branch:
        raise PipelineError("params.yaml: registry.branch: expected a branch name such as main")
    first = values["first_version"]
    if not isinstance(first, str) or not VERSION_RE.fullmatch(first):
        raise PipelineError("params.yaml: registry.first_version: must look like v1.0.0")
    minor = values["minor_when"]
    if not isinstance(minor, list | tuple) or any(m not in BUMP_REASONS for m in minor):
        raise PipelineError(f"params.yaml: registry.minor_when: {minor!r}; use a list of "
                            f"{', '.join(BUMP_REASONS)}")
    if not isinstance(values["require_remote"], bool):
        raise PipelineError("params.yaml: registry.require_remote: expected true or false")
    timeout = values["lock_timeout_s"]
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout < 0:
        raise PipelineError("params.yaml: registry.lock_timeout_s: expected seconds >= 0")
    for key in ("model", "release_dir"):
        if not isinstance(values[key], str) or not values[key]:
            raise PipelineError(f"params.yaml: registry.{key}: expected a path")
    return Settings(**{**values, "minor_when": tuple(minor), "lock_timeout_s": float(timeout)})


def load_settings(params_path: Path | str = "params.yaml") -> Settings:
    from mlproject.config import load_params

    return settings_from(load_params(params_path).extra.get("registry"))


def check_version(version: str) -> str:
    """Return ``version`` when it is exactly vMAJOR.MINOR.PATCH, else raise."""
    if not isinstance(version, str) or not VERSION_RE.fullmatch(version):
        raise PipelineError(f"version {version!r} is not of the form v1.2.3")
    return version


def git(*args: str, root: Path | str = ".", check: bool = True,
        env: dict[str, str] | None = None) -> str:
    """Run git in ``root``; return stdout stripped. A failure becomes one PipelineError line."""
    proc = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True,
                          env={**os.environ, **env} if env else None)
    if check and proc.returncode != 0:
        detail = (proc.stderr.strip().splitlines() or ["failed"])[-1]
        raise PipelineError(f"git {' '.join(args[:2])}: {detail}")
    return proc.stdout.strip()


def show_file(rev: str, path: str, root: Path | str = ".") -> bytes | None:
    """The bytes of ``path`` at git revision ``rev``, or None when it is not there."""
    proc = subprocess.run(["git", "show", f"{rev}:{path}"], cwd=root, capture_output=True)
    return proc.stdout if proc.returncode == 0 else None
