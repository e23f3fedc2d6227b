"""The raw data under DVC: check it matches data.dvc, and record a new version of it.

A changed or missing file under data/ is either corruption or an unrecorded new version; both
stop the pipeline with a clear way out instead of training on unknown data. Every file is held
to `data.max_file_mb` by its size alone, before DVC reads (hashes or copies) a single byte.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from mlproject.errors import PipelineError


def tracked_path(target: Path) -> Path:
    """The file or folder a .dvc file tracks (``data.dvc`` -> ``data``)."""
    return target.parent / target.stem


def check_sizes(target: Path, max_mb: float) -> None:
    """Raise PipelineError when a file the .dvc file tracks is over ``max_mb`` megabytes."""
    path = tracked_path(target)
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    for file in files:
        size = file.stat().st_size
        if size > max_mb * 1_000_000:
            raise PipelineError(
                f"{file}: {size / 1e6:,.1f} MB is over the {max_mb:g} MB cap "
                "(data.max_file_mb in params.yaml); nothing was read. Raise the cap if the "
                "machine can take it, or remove the file")


def check(target: Path = Path("data.dvc"), max_mb: float | None = None) -> None:
    """Raise PipelineError unless the files tracked by ``target`` match their recorded hash."""
    from dvc.exceptions import DvcException
    from dvc.repo import Repo

    if not target.is_file():
        raise PipelineError(f"{target}: file not found")
    if max_mb is not None:
        check_sizes(target, max_mb)
    try:
        with Repo(str(target.parent.resolve())) as repo:
            status = repo.status(targets=[str(target.resolve())])
    except DvcException as exc:
        raise PipelineError(f"{target}: {exc}") from None
    problems = []
    for entries in status.values():
        for entry in entries:
            for path, change in entry.get("changed outs", {}).items():
                problems.append(f"{path} is {change}")
    if problems:
        raise PipelineError(
            f"{target}: the data does not match the recorded version ({'; '.join(problems)}): "
            f"restore it with `dvc checkout {target.name}`, or record a new version with "
            "`mlproject add-data`")
    print(f"check-data: data matches {target}")


def record(target: Path, max_mb: float, push: bool = True) -> None:
    """Record the data under ``target``'s folder as a new version (`dvc add`, `dvc push`)."""
    check_sizes(target, max_mb)
    root = target.parent
    steps = [["dvc", "add", "-q", tracked_path(target).name]]
    if push:
        steps.append(["dvc", "push", "-q", target.name])
    for cmd in steps:
        done = subprocess.run(cmd, cwd=root, capture_output=True, text=True)
        if done.returncode:
            reason = (done.stderr.strip().splitlines() or ["no output"])[-1]
            raise PipelineError(f"{' '.join(cmd)} failed: {reason}")
    print(f"add-data: {target} records the new version"
          + (" and the DVC remote holds it" if push else ""))
