"""rollback: re-assign production to an earlier registered version (a new stage tag).

Nothing is deleted: the promotion and the rollback both stay in `registry history`.
"""

from __future__ import annotations

from pathlib import Path

from mlproject.errors import PipelineError
from mlproject.registry import check_version, settings_from, tags
from mlproject.registry.promote import promotion_lock


def rollback(version: str, root: Path | str = ".", params_path: Path | str = "params.yaml",
             push_tags: bool = True) -> str:
    """Re-assign production to an earlier registered version; return the new stage tag."""
    from mlproject.config import load_params

    check_version(version)
    root = Path(root)
    settings = settings_from(load_params(root / params_path).extra.get("registry"))
    with promotion_lock(root, settings.lock_timeout_s):
        state = tags.read_state(settings.artifact, root)
        target = state.versions.get(version)
        if target is None:
            known = ", ".join(sorted(state.versions, key=tags._key)) or "none"
            raise PipelineError(f"{settings.artifact}@{version} is not registered (known: {known})")
        if target.deprecated:
            raise PipelineError(f"{settings.artifact}@{version} is deprecated; "
                                "refusing to serve it")
        current = state.in_stage(settings.stage)
        if current and current.version == version:
            print(f"rollback: {version} is already in {settings.stage}; nothing to do")
            return ""
        tag = tags.assign(settings.artifact, settings.stage, version,
                          f"Roll back {settings.stage} to {version}", root)
        if push_tags:
            tags.push([tag], root)
        was = current.version if current else "none"
        print(f"rollback: {settings.stage} is now {version} (was {was}); created '{tag}'")
        return tag
