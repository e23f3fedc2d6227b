"""The first commit after new data: the data's version, the params and the pipeline that read
it, and the results it produced, so the next pull request is compared with the new data.

The result files are ``mlproject.ci.RESULT_PATHS``, the same list CI records.
"""

from __future__ import annotations

import shlex
from fnmatch import fnmatchcase
from pathlib import Path

from mlproject.adopt.rename import git
from mlproject.ci import RESULT_PATHS

SOURCES = ["params.yaml", "dvc.yaml", "data.dvc"]


def paths(root: Path) -> list[str]:
    """Every path the commit records: sources, the embedded DVC remote when there is one,
    and the result files, including tracked ones the pipeline no longer writes (deleted)."""
    present = {p.relative_to(root).as_posix() for pattern in RESULT_PATHS
               for p in root.glob(pattern) if p.is_file()}
    tracked = git(root, "ls-files", "-z").split("\0")
    gone = {t for t in tracked if t and _matches(t) and not (root / t).exists()}
    remote = embedded_remote(root)
    return [*SOURCES, *([remote] if remote else []), *sorted(present | gone)]


def command(paths: list[str], message: str) -> str:
    """The shell command that makes the commit, every path spelt out."""
    return (f"{shlex.join(['git', 'add', '-A', '--', *paths])} && "
            f"{shlex.join(['git', 'commit', '-m', message])}")


def record(root: Path, paths: list[str], message: str) -> str:
    """Make the commit; return its short hash."""
    git(root, "add", "-A", "--", *paths)
    git(root, "commit", "-q", "-m", message)
    return git(root, "rev-parse", "--short", "HEAD").strip()


def embedded_remote(root: Path) -> str | None:
    """The default DVC remote's folder relative to ``root`` when it lies inside the repository
    (as the starter's `.dvc/remote` does): its new objects belong in the commit."""
    from dvc.config import Config

    dvc_dir = root / ".dvc"
    config = Config(dvc_dir=str(dvc_dir), local_dvc_dir=str(dvc_dir))
    name = config.get("core", {}).get("remote")
    url = str(config.get("remote", {}).get(name, {}).get("url", "")) if name else ""
    if not url or "://" in url:
        return None
    folder = (dvc_dir / url).resolve()
    return folder.relative_to(root).as_posix() if folder.is_relative_to(root) else None


def _matches(path: str) -> bool:
    """Whether ``path`` matches one of RESULT_PATHS the way Path.glob does (``*`` stays within
    one folder)."""
    parts = path.split("/")
    return any(len(p := pattern.split("/")) == len(parts)
               and all(fnmatchcase(a, b) for a, b in zip(parts, p, strict=True))
               for pattern in RESULT_PATHS)

