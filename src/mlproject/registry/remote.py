"""The DVC remote side of a promotion: push the outputs, then prove the remote has them.

Uses DVC's Python API in-process (the CLI would pay its start-up time on every call) and asks
the remote afresh (remote_refresh) instead of trusting a cached index.
"""

from __future__ import annotations

from pathlib import Path

from mlproject.errors import PipelineError


def push_outputs(root: Path, require_remote: bool) -> None:
    """dvc push, then confirm the remote holds every output; raise before anything is tagged."""
    from dvc.exceptions import DvcException
    from dvc.repo import Repo

    # DVC's Python API in this process: the CLI would pay its start-up time three times
    with Repo(str(root)) as repo:
        if not repo.config.get("core", {}).get("remote"):
            if require_remote:
                raise PipelineError("no default DVC remote configured, so nobody else could "
                                    "fetch this model; add one or set "
                                    "registry.require_remote: false")
            print("promote: no DVC remote configured; model file not pushed")
            return
        name = repo.config["core"]["remote"]
        url = str(repo.config.get("remote", {}).get(name, {}).get("url", ""))
        if url and "://" not in url and _inside(root, Path(repo.dvc_dir), url):
            # a folder committed with the repository: what CI pushes there is not kept
            print("promote: the DVC remote is a folder inside this repository, so the model "
                  "file reaches others through the GitHub release; switch to a cloud remote "
                  "to fetch versions with DVC")
        try:
            repo.push()
        except (DvcException, OSError) as exc:  # a broken remote surfaces as OSError
            raise PipelineError(f"dvc push failed ({_first_line(exc)}); nothing was tagged") \
                from None
    verify_in_remote(root)


def _inside(root: Path, dvc_dir: Path, url: str) -> bool:
    """Whether a local remote URL (relative to .dvc/ or absolute) lies inside ``root``."""
    target = (dvc_dir / url).resolve()
    return target.is_relative_to(Path(root).resolve())


def verify_in_remote(root: Path) -> None:
    """Raise unless every DVC-tracked output is in the default remote (asked afresh)."""
    from dvc.exceptions import DvcException
    from dvc.repo import Repo

    try:
        with Repo(str(root)) as repo:
            status = repo.data_status(not_in_remote=True, remote_refresh=True)
    except DvcException as exc:
        raise PipelineError(f"dvc data status failed ({_first_line(exc)})") from None
    missing = sorted(status.get("not_in_remote", []))
    if missing:
        raise PipelineError(f"not in the DVC remote: {', '.join(missing)}; refusing to tag a "
                            "version others cannot fetch")


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
