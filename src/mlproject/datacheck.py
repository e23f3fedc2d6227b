"""check-data: the raw data must be exactly the version recorded in data.dvc.

A changed or missing file under data/ is either corruption or an unrecorded new version;
both must stop the pipeline with a clear way out instead of training on unknown data.
"""

from __future__ import annotations

from pathlib import Path

from mlproject.errors import PipelineError


def check(target: Path = Path("data.dvc")) -> None:
    """Raise PipelineError unless the files tracked by ``target`` match their recorded hash."""
    from dvc.exceptions import DvcException
    from dvc.repo import Repo

    if not target.is_file():
        raise PipelineError(f"{target}: file not found")
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
            f"`dvc add {target.stem}`")
    print(f"check-data: data matches {target}")
