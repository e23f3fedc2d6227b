"""What must hold before a model is promoted: its results reproduce, and it is main's tip.

Each check raises PipelineError with the reason; promote turns that into a refusal.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

from mlproject import artifact, storage
from mlproject.errors import PipelineError
from mlproject.from_yaml import safe_load
from mlproject.registry import Settings, git, show_file


class NotTheTip(PipelineError):
    """The commit is not the branch's tip: a re-run of an older run, which changes nothing."""


def check_reproduced(root: Path, settings: Settings) -> None:
    """Refuse unless the commit's results describe the model in the workspace: the model file
    dvc.lock records (or, with `train.threads` above 1, one whose holdout scores and metrics
    equal the recorded ones: reproduce.verify), results committed, `dvc status` clean."""
    from mlproject import reproduce

    lock = safe_load(show_file("HEAD", "dvc.lock", root) or b"") or {}
    if not lock:
        raise PipelineError("dvc.lock is not committed: run `dvc repro` and commit its results")
    recorded = next((out.get("md5") for stage in lock.get("stages", {}).values()
                     for out in stage.get("outs", []) if out.get("path") == settings.model), None)
    if recorded is None:
        raise PipelineError(f"dvc.lock records no output {settings.model}")
    model = root / settings.model
    if not model.is_file():
        raise PipelineError(f"{settings.model} is missing: run `dvc pull` or `dvc repro`")
    changes = dvc_status(root)  # first: the workspace's outputs are what its dvc.lock says
    if any(settings.model in change for change in changes):
        raise PipelineError(f"stale results: {settings.model} is not the file dvc.lock records; "
                            "run `dvc repro` and commit")
    if changes:
        raise PipelineError(f"stale dvc.lock: `dvc status` is not clean ({'; '.join(changes)}); "
                            "run `dvc repro` and commit dvc.lock")
    actual = storage.file_hash(model, "md5")
    if actual != recorded:
        outcome = reproduce.verify(root, "HEAD")
        if not outcome.reproduced:
            raise PipelineError(f"stale results: {settings.model} (md5 {actual[:12]}) is not the "
                                f"file dvc.lock records ({recorded[:12]}) and {outcome.line()}")
        print(f"promote: {outcome.line()}; the release carries this run's model file")
    else:
        sidecar = str(artifact.sidecar(settings.model))
        dirty = git("status", "--porcelain", "--", "dvc.lock", "reports", sidecar, root=root)
        if dirty:
            raise PipelineError(f"results are not committed ({' '.join(dirty.split()[1::2])}); "
                                "commit dvc.lock and the result files first")
    artifact.load_model(model)  # sha256 against the sidecar, versions, trusted types


def dvc_status(root: Path) -> list[str]:
    """One phrase per stage (or .dvc file) that `dvc status` says is not up to date."""
    from dvc.exceptions import DvcException
    from dvc.repo import Repo

    from mlproject import datacheck

    try:
        with Repo(str(root)) as repo:
            status = datacheck.stale(repo.status(), root)
    except DvcException as exc:
        raise PipelineError(f"dvc status failed ({str(exc).strip().splitlines()[0]})") from None
    return [f"{_stage(name, root)}: {', '.join(_change(c, root) for c in changes)}"
            for name, changes in sorted(status.items())][:5]


def _stage(name: str, root: Path) -> str:
    """``train`` for dvc.yaml's stages, else the path: DVC names them relative to the cwd."""
    path, _, stage = name.rpartition(":") if ".yaml:" in name else (name, "", "")
    rel = _rel(path, root)
    return stage if rel == "dvc.yaml" else f"{rel}:{stage}" if stage else rel


def _change(change: Any, root: Path) -> str:
    if isinstance(change, dict):  # {"changed deps": {"path": "modified"}}
        return "; ".join(f"{kind} " + " ".join(f"{_rel(p, root)} {s}"
                                               for p, s in list(paths.items())[:5])
                         for kind, paths in change.items())
    return str(change)  # "changed command"


def _rel(path: str, root: Path) -> str:
    """``path`` relative to ``root``: DVC gives some relative to the cwd, some to the repo."""
    full, top = Path(os.path.abspath(path)), root.resolve()
    return os.path.relpath(full, top) if full.is_relative_to(top) else path


def check_tip(root: Path, commit: str, production: Any, settings: Settings,
              remote: str = "origin") -> None:
    """Refuse unless ``commit`` is the branch's tip and descends from production's commit.

    The tip is asked of the remote (``git ls-remote``); a repository without that remote
    (a local experiment) checks the ancestry only. When the remote cannot be asked (no
    credentials in this step), the remote-tracking branch the checkout fetched stands in.
    """
    if remote in git("remote", root=root).split():
        tip = remote_tip(root, settings.branch, remote)
        if tip != commit:
            raise NotTheTip(f"{commit[:8]} is not the tip of {settings.branch} on {remote} "
                            f"({tip[:8] if tip else 'no such branch'} is); only the tip "
                            "promotes, so re-running an older run changes nothing")
    else:
        print(f"promote: no git remote '{remote}': the tip of {settings.branch} is not checked")
    if production is not None and not _descends(root, production.commit, commit):
        raise PipelineError(f"{commit[:8]} does not descend from {production.tag} "
                            f"({production.commit[:8]}, in {settings.stage}); only a commit "
                            "built on production's is promoted")


def remote_tip(root: Path, branch: str, remote: str = "origin") -> str | None:
    """The commit ``branch`` points at on ``remote`` now, or None when it has no such branch."""
    asked = subprocess.run(["git", "ls-remote", "--quiet", remote, f"refs/heads/{branch}"],
                           cwd=root, capture_output=True, text=True,
                           env={**os.environ, "GIT_TERMINAL_PROMPT": "0"})
    if asked.returncode == 0:
        return asked.stdout.split()[0] if asked.stdout.strip() else None
    print(f"promote: cannot ask {remote} for {branch} (no credentials here?); "
          f"using {remote}/{branch} as the checkout fetched it")
    return git("rev-parse", "--verify", "--quiet", f"refs/remotes/{remote}/{branch}",
               root=root, check=False) or None


def _descends(root: Path, ancestor: str, commit: str) -> bool:
    return subprocess.run(["git", "merge-base", "--is-ancestor", ancestor, commit], cwd=root,
                          capture_output=True).returncode == 0
