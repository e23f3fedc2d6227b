"""Pushing registry tags: one atomic push, now or from a later CI step that holds the token.

``git push --atomic`` sends every tag of a promotion (registration and assignment) or of a
rollback (assignment and withdrawal) or none of them, so origin never holds half a promotion.
With ``--no-push`` the tags are listed in ``<release_dir>/pending-tags.json`` and
``mlproject push-tags`` pushes them: in CI that step alone sees the token.
"""

from __future__ import annotations

import base64
import os
from pathlib import Path

from mlproject import storage
from mlproject.errors import PipelineError
from mlproject.registry import git

PENDING = "pending-tags.json"


def push(tags: list[str], root: Path | str = ".", remote: str = "origin") -> bool:
    """Push ``tags`` to ``remote`` in one atomic push; return False when there is no remote."""
    if not tags:
        return False
    if remote not in git("remote", root=root).split():
        print(f"registry: no git remote '{remote}'; tags stay local")
        return False
    git("push", "--atomic", "--quiet", remote, *[f"refs/tags/{t}" for t in tags], root=root,
        env=_auth_env())
    return True


def publish(created: list[str], root: Path | str, directory: Path, now: bool) -> None:
    """Push the new tags atomically now, or leave them to `mlproject push-tags`.

    A push that fails removes the new local tags: nothing is left half-done, a re-run starts
    again.
    """
    if not now:
        defer(created, directory)
        return
    try:
        push(created, root)
    except PipelineError:
        for tag in created:
            git("tag", "--delete", tag, root=root, check=False)
        raise


def _auth_env() -> dict[str, str]:
    """git config (through the environment, never the command line) sending GH_TOKEN to GitHub.

    Only in GitHub Actions (GITHUB_SERVER_URL set) and only for that server, as
    actions/checkout does it; elsewhere git uses the user's own credentials.
    """
    token, server = os.environ.get("GH_TOKEN"), os.environ.get("GITHUB_SERVER_URL")
    if not token or not server:
        return {}
    n = int(os.environ.get("GIT_CONFIG_COUNT") or 0)
    basic = base64.b64encode(f"x-access-token:{token}".encode()).decode()
    return {"GIT_CONFIG_COUNT": str(n + 1), f"GIT_CONFIG_KEY_{n}": f"http.{server}/.extraheader",
            f"GIT_CONFIG_VALUE_{n}": f"AUTHORIZATION: basic {basic}"}


def defer(tags: list[str], directory: Path) -> None:
    """Add ``tags`` to the list ``mlproject push-tags`` pushes later."""
    pending = read_pending(directory)
    storage.write_json(directory / PENDING, {"tags": pending + [t for t in tags
                                                                if t not in pending]})


def read_pending(directory: Path) -> list[str]:
    path = directory / PENDING
    if not path.is_file():
        return []
    raw = storage.read_json(path)
    tags = raw.get("tags") if isinstance(raw, dict) else None
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise PipelineError(f"{path}: expected {{\"tags\": [...]}}")
    return tags


def push_pending(directory: Path, root: Path | str = ".", remote: str = "origin") -> str:
    """Push the pending tags atomically (each must exist locally); say what happened."""
    tags = read_pending(directory)
    if not tags:
        return "push-tags: no registry tags to push"
    for tag in tags:  # names came from a file: only existing local tags reach the command
        if not git("rev-parse", "--verify", "--quiet", f"refs/tags/{tag}", root=root,
                   check=False):
            raise PipelineError(f"push-tags: {tag!r} is not a local tag")
    if not push(tags, root, remote):
        return "push-tags: no remote; tags stay local"
    (directory / PENDING).unlink()
    return f"push-tags: pushed {', '.join(tags)} to {remote} (atomically)"
