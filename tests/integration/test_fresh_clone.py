"""A fresh clone pulls the starter data, reproduces the committed results, and is clean."""

from __future__ import annotations

import hashlib
import os
import subprocess
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.slow


def sh(*cmd: str, cwd: Path, env: dict | None = None) -> str:
    done = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    assert done.returncode == 0, f"{' '.join(cmd)}\n{done.stdout}\n{done.stderr}"
    return done.stdout


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


def test_repro_is_clean_and_matches_the_committed_lock(clone):
    """dvc status is clean; the model and quality metrics are exactly what main recorded."""
    repo, env = clone
    assert "up to date" in sh("dvc", "status", cwd=repo, env=env)
    lock = yaml.safe_load(sh("git", "show", "HEAD:dvc.lock", cwd=repo))
    outs = {o["path"]: o["md5"] for o in lock["stages"]["train"]["outs"]}
    assert md5(repo / "models" / "model.skops") == outs["models/model.skops"]
    changed = sh("git", "status", "--porcelain", cwd=repo).split("\n")
    deterministic = ["reports/metrics.json", "reports/slices.json", "reports/validation.json",
                     "reports/plots/roc.csv", "reports/plots/confusion.csv"]
    assert not [line for line in changed if line[3:] in deterministic]


def test_training_is_byte_identical_across_processes(clone, tmp_path):
    """Two processes with different hash seeds write the same model bytes (M4)."""
    repo, env = clone
    digests = set()
    for seed in ("1", "2"):
        out = tmp_path / f"model{seed}.skops"
        sh("mlproject", "train", "artifacts/split", "--out", str(out), cwd=repo,
           env={**env, "PYTHONHASHSEED": seed})
        digests.add(md5(out))
    assert digests == {md5(repo / "models" / "model.skops")}


def test_noop_repro_changes_nothing(clone):
    repo, env = clone
    out = sh("dvc", "repro", cwd=repo, env=env)
    assert "didn't change, skipping" in out
