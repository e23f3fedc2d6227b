"""rollback: put an earlier registered version back in production, and withdraw the current one.

Two tags, pushed together: ``model#prod#N`` assigns the earlier version and ``model#prod!#N+1``
withdraws the version production is rolled back from. The withdrawal is what makes a rollback
stick: promote refuses that version's bytes unless forced. Nothing is deleted: the promotion
and the rollback both stay in `registry history` (and `gto history`).
"""

from __future__ import annotations

from pathlib import Path

from mlproject.errors import PipelineError
from mlproject.registry import check_version, push, settings_from, tags
from mlproject.registry.lock import promotion_lock


def rollback(version: str, root: Path | str = ".", params_path: Path | str = "params.yaml",
             push_tags: bool = True) -> list[str]:
    """Assign the stage to ``version`` and withdraw the current one; return the new tags."""
    from mlproject.config import load_params

    check_version(version)
    root = Path(root)
    settings = settings_from(load_params(root / params_path).extra.get("registry"))
    stage = settings.stage
    with promotion_lock(root, settings.lock_timeout_s):
        state = tags.read_state(settings.artifact, root)
        target = state.versions.get(version)
        if target is None:
            known = ", ".join(sorted(state.versions, key=tags.key)) or "none"
            raise PipelineError(f"{settings.artifact}@{version} is not registered (known: {known})")
        if target.deprecated:
            raise PipelineError(f"{settings.artifact}@{version} is deprecated; "
                                "refusing to serve it")
        current = state.in_stage(stage)
        if current and current.version == version:
            print(f"rollback: {version} is already in {stage}; nothing to do")
            return []
        created = [tags.assign(state, stage, version, f"Roll back {stage} to {version}", root)]
        if current:
            created.append(tags.unassign(state, stage, current.version,
                                         f"Roll back {stage} from {current.version} to {version}",
                                         root))
        push.publish(created, root, root / settings.release_dir, push_tags)
        was = current.version if current else "none"
        print(f"rollback: {stage} is now {version} (was {was}); created {', '.join(created)}")
        return created
