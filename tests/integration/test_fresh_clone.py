"""A fresh clone pulls its data, reproduces the committed results exactly, and stays clean.

These tests run on the project's own data and params (whatever they are after `init-data`):
they assert properties that hold for any data, never particular values.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import time
from pathlib import Path

import pytest
import yaml

from mlproject import datacheck

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
    """Stale stages: `dvc status` without check_data's "always changed" (datacheck.stale)."""
    status = json.loads(sh("dvc", "status", "--json", cwd=repo, env=env))
    return {name.rsplit(":", 1)[-1] for name in datacheck.stale(status, repo)}


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


def snapshot(repo: Path) -> dict[str, bytes]:
    """Every output and record a run could touch: data.dvc, dvc.lock, reports, models."""
    files = [repo / "data.dvc", repo / "dvc.lock", *(repo / "reports").rglob("*"),
             *(repo / "models").glob("*"), *(repo / "artifacts").rglob("*")]
    return {str(p.relative_to(repo)): p.read_bytes() for p in files if p.is_file()}


def cache_files(repo: Path) -> int:
    return sum(1 for p in (repo / ".dvc" / "cache").rglob("*") if p.is_file())


@pytest.mark.parametrize("command", [
    ("dvc", "repro"), ("make", "-o", "setup", "repro"), ("make", "-o", "setup", "run")])
def test_modified_data_stops_every_way_of_running_the_pipeline(clone, command):
    """A bare `dvc repro` is checked like `make repro`: one line, and data.dvc, dvc.lock, the
    outputs and the DVC cache stay as they were (make run: `dvc pull` refuses to overwrite)."""
    repo, env = clone
    data = next(p for p in sorted((repo / "data").rglob("*")) if p.is_file())
    original, before, cached = data.read_bytes(), snapshot(repo), cache_files(repo)
    try:
        data.write_bytes(original + b"a changed line\n")
        out = sh(*command, cwd=repo, env=env, ok=False)
        assert data.read_bytes() == original + b"a changed line\n"  # nothing lost
        expected = (f"{data.name}" if command[-1] == "run" else
                    f"error: data.dvc: the data does not match the recorded version "
                    f"(data/{data.name} is modified): restore it with `dvc checkout data.dvc`")
        assert expected in out, out
        assert snapshot(repo) == before and cache_files(repo) == cached
        assert sh("git", "status", "--porcelain", cwd=repo) == ""
    finally:
        data.write_bytes(original)
    assert changed_stages(repo, env) == set()


def test_an_experiment_records_the_data_it_ran_on(clone):
    """`dvc exp run` commits the workspace, data/ included, before it runs (DVC's design), so
    the check passes on the new version it recorded; the results then name that version
    (reports/data_version.json), which a pull request shows."""
    repo, env = clone
    data = next(p for p in sorted((repo / "data").rglob("*")) if p.is_file())
    original, recorded = data.read_bytes(), (repo / "data.dvc").read_bytes()
    try:
        data.write_bytes(original + b"a changed line\n")
        sh("dvc", "exp", "run", "-q", cwd=repo, env=env, ok=False)
        assert "reports/data_version.json" in sh("git", "status", "--porcelain", cwd=repo)
    finally:  # DVC keeps data.dvc's timestamp: git would not see it changed
        data.write_bytes(original)
        (repo / "data.dvc").write_bytes(recorded)
        sh("git", "checkout", "--", ".", cwd=repo)
        sh("dvc", "checkout", "-q", "-f", cwd=repo, env=env)
    assert changed_stages(repo, env) == set()


def test_an_oversized_file_is_refused_before_dvc_reads_it(clone):
    """A 3 GB (sparse) file under data/ stops `dvc repro` by its size, in seconds, before DVC
    hashes or copies it."""
    repo, env = clone
    big = repo / "data" / "huge.csv"
    before, cached = snapshot(repo), cache_files(repo)
    try:
        with open(big, "wb") as fh:
            fh.truncate(3_000_000_000)
        started = time.perf_counter()
        out = sh("dvc", "repro", cwd=repo, env=env, ok=False)
        assert time.perf_counter() - started < 20
        assert "error: data/huge.csv: 3,000.0 MB is over the" in out, out
        assert snapshot(repo) == before and cache_files(repo) == cached
    finally:
        big.unlink()
    assert changed_stages(repo, env) == set()


def test_a_new_data_version_makes_the_results_stale(clone):
    """No stage hashes data/, so DVC alone would call the results fresh after `dvc add`: a
    data.dvc recording another version than the run checked is reported as a change."""
    repo, env = clone
    original = (repo / "data.dvc").read_text()
    try:
        (repo / "data.dvc").write_text(original.replace("md5: ", "md5: 0", 1))
        assert "check_data" in changed_stages(repo, env)  # DVC alone lists only data.dvc
    finally:
        (repo / "data.dvc").write_text(original)


@pytest.mark.parametrize(("path", "stages"), [
    ("src/mlproject/rule_model.py", {"check_data", "prepare", "split", "train", "evaluate"}),
    ("uv.lock", {"check_data", "prepare", "split", "train", "evaluate"}),
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
