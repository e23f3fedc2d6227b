"""A fresh clone pulls its data, reproduces the committed results exactly, and stays clean.

These tests run on the project's own data and params (whatever they are after `init-data`):
they assert properties that hold for any data, never particular values.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.slow


def sh(*cmd: str, cwd: Path, env: dict | None = None, ok: bool = True) -> str:
    done = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    if ok:
        assert done.returncode == 0, f"{' '.join(cmd)}\n{done.stdout}\n{done.stderr}"
    return done.stdout + done.stderr


def md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes(), usedforsecurity=False).hexdigest()


@pytest.fixture(scope="module")
def clone(root, tmp_path_factory) -> tuple[Path, dict]:
    repo = tmp_path_factory.mktemp("clone") / "repo"
    sh("git", "clone", "-q", str(root), str(repo), cwd=root)
    env = {**os.environ, "PYTHONPATH": str(repo / "src")}  # the clone's code, not ours
    sh("dvc", "pull", "-q", "data.dvc", cwd=repo, env=env)
    sh("mlproject", "check-data", cwd=repo, env=env)
    sh("dvc", "repro", "-q", cwd=repo, env=env)
    return repo, env


def changed_stages(repo: Path, env: dict) -> set[str]:
    status = json.loads(sh("dvc", "status", "--json", cwd=repo, env=env))
    return {name.rsplit(":", 1)[-1] for name in status}


def test_repro_leaves_the_clone_exactly_as_committed(clone):
    """Nothing measured is tracked, so a fresh run changes no tracked file, dvc.lock included."""
    repo, env = clone
    assert changed_stages(repo, env) == set()
    assert sh("git", "status", "--porcelain", cwd=repo) == ""
    lock = yaml.safe_load(sh("git", "show", "HEAD:dvc.lock", cwd=repo))
    outs = {o["path"]: o["md5"] for o in lock["stages"]["train"]["outs"]}
    assert md5(repo / "models" / "model.skops") == outs["models/model.skops"]


@pytest.mark.parametrize("pools", ["1", "2"])
def test_retraining_under_other_thread_pools_changes_nothing(clone, pools):
    """With train.threads: 1, OMP/OPENBLAS settings of the machine do not reach the model."""
    repo, env = clone
    sh("dvc", "repro", "-q", "-f", "-s", "train", cwd=repo,
       env={**env, "OMP_NUM_THREADS": pools, "OPENBLAS_NUM_THREADS": pools})
    assert sh("git", "status", "--porcelain", cwd=repo) == ""


def test_a_failed_stage_leaves_its_earlier_outputs(clone):
    """DVC deletes a stage's outputs before it runs; `persist` keeps them when it fails."""
    repo, env = clone
    first = yaml.safe_load((repo / "dvc.yaml").read_text())["stages"]["prepare"]["deps"][0]
    data = repo / first
    original = data.read_bytes()
    kept = {p: p.read_bytes() for p in [repo / "reports" / "validation.json",
                                         *(repo / "artifacts" / "prepared").glob("*.parquet")]}
    try:
        data.write_bytes(original + b"\xff\xfe not text\n")
        out = sh("dvc", "repro", "-q", cwd=repo, env=env, ok=False)
        assert "error:" in out and first in out and "not valid" in out
        assert {p: p.read_bytes() for p in kept} == kept
    finally:  # `dvc repro` re-records a changed data source in data.dvc: put both back
        data.write_bytes(original)
        sh("git", "checkout", "data.dvc", cwd=repo)
    assert changed_stages(repo, env) == set()


@pytest.mark.parametrize(("path", "stages"), [
    ("src/mlproject/rule_model.py", {"prepare", "split", "train", "evaluate"}),
    ("uv.lock", {"prepare", "split", "train", "evaluate"}),
])
def test_code_and_environment_changes_make_stages_stale(clone, path, stages):
    """Every stage depends on the package and the lock file: an edit re-runs what it touches."""
    repo, env = clone
    file = repo / path
    original = file.read_bytes()
    try:
        file.write_bytes(original + b"\n# an edit\n")
        assert changed_stages(repo, env) == stages
    finally:
        file.write_bytes(original)


def test_training_is_byte_identical_across_processes(clone, tmp_path):
    """Two processes with different hash seeds write the same model bytes (M4)."""
    repo, env = clone
    digests = set()
    for seed in ("1", "2"):
        out = tmp_path / seed
        sh("mlproject", "train", "artifacts/split", "--out-dir", str(out), cwd=repo,
           env={**env, "PYTHONHASHSEED": seed})
        digests.add(md5(out / "model.skops"))
    assert digests == {md5(repo / "models" / "model.skops")}


def test_noop_repro_changes_nothing(clone):
    repo, env = clone
    out = sh("dvc", "repro", cwd=repo, env=env)
    assert "didn't change, skipping" in out
