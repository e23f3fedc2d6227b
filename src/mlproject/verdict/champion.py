"""The champion: main's model (and its two baselines) as recorded at the merge base.

Its bytes come from the first place that has them: the DVC cache (CI restores it from the cache
the main branch saves), the DVC remote, or a rebuild of the merge base's pipeline in a git
worktree that shares the DVC cache (only the stages whose outputs the cache lacks run). A base
with no recorded model (the first pull request of a new project) has no champion.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from mlproject import artifact
from mlproject.errors import PipelineError
from mlproject.from_yaml import safe_load
from mlproject.results import git_show

FILES = {"model": "models/model.skops", "rule_baseline": "models/rule_baseline.skops",
         "dummy": "models/dummy.skops"}


@dataclass
class Champion:
    source: str  # "DVC cache" | "DVC remote" | "rebuilt" | "none"
    seconds: float
    detail: str
    files: dict[str, Path] = field(default_factory=dict)  # name -> model file (sidecar beside)


def locked_paths(lock_text: str | None, kind: str) -> dict[str, str]:
    """{path: md5} of every ``kind`` ("outs" or "deps") a dvc.lock's text records ({} for
    anything that is not a dvc.lock)."""
    return dict(_locked(lock_text or "")[kind == "deps"])


@functools.lru_cache(maxsize=8)
def _locked(lock_text: str) -> tuple[dict[str, str], dict[str, str]]:
    """(outs, deps) of a dvc.lock's text: parsed once, as one verdict reads a lock often."""
    import yaml

    try:
        lock = safe_load(lock_text) or {}
    except yaml.YAMLError:
        return {}, {}
    stages = lock.get("stages") if isinstance(lock, dict) else None
    found: tuple[dict[str, str], dict[str, str]] = ({}, {})
    for stage in (stages.values() if isinstance(stages, dict) else []):
        for kind, into in (("outs", found[0]), ("deps", found[1])):
            entries = stage.get(kind) if isinstance(stage, dict) else None
            for entry in entries if isinstance(entries, list) else []:
                if isinstance(entry, dict) and isinstance(entry.get("path"), str) \
                        and isinstance(entry.get("md5"), str):
                    into[entry["path"]] = entry["md5"]
    return found


def locked_outputs(lock_text: str | None) -> dict[str, str]:
    """{path: md5} of every output a dvc.lock's text records."""
    return locked_paths(lock_text, "outs")


def recorded(base: str, root: Path) -> dict[str, tuple[str, dict]]:
    """{name: (md5 in the base's dvc.lock, sidecar at the base)} of the base's model files."""
    md5s = locked_outputs(git_show(base, "dvc.lock", root))
    found = {}
    for name, path in FILES.items():
        sidecar = git_show(base, str(artifact.sidecar(path)), root)
        if md5s.get(path) and sidecar:
            try:
                meta = json.loads(sidecar)
            except json.JSONDecodeError:
                continue
            if isinstance(meta, dict):
                found[name] = (md5s[path], meta)
    return found


def obtain(base: str, root: Path, workdir: Path) -> Champion:
    """Put the base's model files into ``workdir``; say where they came from and the cost."""
    start = time.perf_counter()
    wanted = recorded(base, root)
    if "model" not in wanted:
        return Champion("none", 0.0, f"{base[:12]} records no model yet (dvc.lock)")
    if workdir.exists():
        shutil.rmtree(workdir)
    workdir.mkdir(parents=True)
    versions = {meta.get("versions", {}).get("scikit-learn") for _, meta in wanted.values()}
    import sklearn

    if versions != {sklearn.__version__}:
        why = (f"the recorded model was trained with scikit-learn {', '.join(map(str, versions))}"
               f" and this environment has {sklearn.__version__}")
        return _rebuilt(base, root, workdir, start, why)
    cache = _cache_dir(root)
    if all(_from_cache(cache, md5, workdir, name, meta) for name, (md5, meta) in wanted.items()):
        return _found("DVC cache", start, workdir, wanted)
    if _fetch(root, base) and all(_from_cache(cache, md5, workdir, name, meta)
                                  for name, (md5, meta) in wanted.items()):
        return _found("DVC remote", start, workdir, wanted)
    return _rebuilt(base, root, workdir, start, "neither the DVC cache nor the remote has it")


def _found(source: str, start: float, workdir: Path, wanted: dict) -> Champion:
    return Champion(source, time.perf_counter() - start, "the model main recorded",
                    {name: workdir / Path(FILES[name]).name for name in wanted})


def _cache_dir(root: Path) -> Path:
    """Where the DVC cache keeps files by md5 (.dvc/cache/files/md5 unless configured)."""
    from dvc.repo import Repo

    with Repo(str(root)) as repo:
        return Path(repo.cache.local.path)


def _from_cache(cache: Path, md5: str, workdir: Path, name: str, meta: dict) -> bool:
    source = cache / md5[:2] / md5[2:]
    if not source.is_file():
        return False
    target = workdir / Path(FILES[name]).name
    shutil.copyfile(source, target)
    artifact.sidecar(target).write_text(json.dumps(meta), encoding="utf-8")
    return True


def _fetch(root: Path, base: str) -> bool:
    """Ask the DVC remote for the base's model files; False when it cannot give them."""
    from dvc.exceptions import DvcException
    from dvc.repo import Repo

    try:
        with Repo(str(root)) as repo:
            repo.fetch(targets=list(FILES.values()), revs=[base], workspace=False)
    except (DvcException, OSError, KeyError, ValueError):
        return False
    return True


def _rebuilt(base: str, root: Path, workdir: Path, start: float, why: str) -> Champion:
    """Run the base's pipeline up to training in a worktree that shares the DVC cache."""
    tree = workdir / "tree"
    _run(["git", "worktree", "add", "--quiet", "--detach", str(tree), base], root)
    try:
        env = {**os.environ, "PYTHONPATH": str(tree / "src"), "DVC_NO_ANALYTICS": "1"}
        shared = _cache_dir(root).parents[1]  # the cache's root, above files/md5
        _run(["dvc", "config", "--local", "cache.dir", str(shared)], tree, env)
        _run(["dvc", "pull", "--quiet", "data.dvc"], tree, env)
        _run(["dvc", "repro", "--quiet", "train"], tree, env)
        files = {}
        for name, path in FILES.items():
            if (tree / path).is_file():
                files[name] = workdir / Path(path).name
                shutil.copyfile(tree / path, files[name])
                shutil.copyfile(artifact.sidecar(tree / path), artifact.sidecar(files[name]))
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=root,
                       capture_output=True)
    seconds = time.perf_counter() - start
    return Champion("rebuilt", seconds, f"rebuilt from {base[:12]} in {seconds:.0f} s ({why})",
                    files)


def _run(cmd: list[str], cwd: Path, env: dict | None = None) -> None:
    done = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    if done.returncode:
        lines = (done.stderr.strip() or done.stdout.strip()).splitlines() or ["no output"]
        raise PipelineError(f"rebuilding main's model failed at `{' '.join(cmd[:3])}`: "
                            f"{lines[-1][:200]}")
