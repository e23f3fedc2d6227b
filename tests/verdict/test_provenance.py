"""Whose model is judged: only the file the PR's commit records, in a dvc.lock up to date with it.

A real DVC project in a temporary git repository: main, then PR heads that record their model
honestly, forget to re-run after changing params or code, pass another file off as theirs, or
bring a results commit built on the head.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from mlproject.gate import Check
from mlproject.verdict import provenance

STAGE = """stages:
  prepare:
    cmd: python -c "import shutil; shutil.copy('data/rows.csv', 'prepared.csv')"
    deps: [data/rows.csv]
    outs: [prepared.csv]
  train:
    cmd: python train.py
    deps: [train.py, prepared.csv]
    params: [train]
    outs: [models/model.skops]
"""
TRAIN = """import json, pathlib, yaml
seed = yaml.safe_load(open("params.yaml"))["train"]["seed"]
rows = pathlib.Path("prepared.csv").read_text()
pathlib.Path("models").mkdir(exist_ok=True)
pathlib.Path("models/model.skops").write_text(f"{seed}:{len(rows)}")
pathlib.Path("models/model.json").write_text(json.dumps({"seed": seed}))
"""


def run(cwd: Path, *cmd: str) -> str:
    env = {**os.environ, "DVC_NO_ANALYTICS": "1"}
    done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout.strip()


def commit(repo: Path, message: str) -> str:
    run(repo, "git", "add", "-A")
    run(repo, "git", "commit", "-qm", message)
    return run(repo, "git", "rev-parse", "HEAD")


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> tuple[Path, str]:
    """main: a two-stage pipeline whose data is tracked by data.dvc, run and committed."""
    repo = tmp_path_factory.mktemp("provenance")
    run(repo, "git", "init", "-q", "-b", "main")
    run(repo, "git", "config", "user.email", "t@example.invalid")
    run(repo, "git", "config", "user.name", "T")
    run(repo, "dvc", "init", "-q")
    (repo / "data").mkdir()
    (repo / "data" / "rows.csv").write_text("a,b\n1,2\n")
    run(repo, "dvc", "add", "-q", "data")
    (repo / "dvc.yaml").write_text(STAGE)
    (repo / "train.py").write_text(TRAIN)
    (repo / "params.yaml").write_text("train:\n  seed: 1\n")
    run(repo, "dvc", "repro", "-q")
    return repo, commit(repo, "main: the pipeline and its results")


def branch(repo: Path, base: str, name: str, change, rerun: bool) -> str:
    """A PR head on ``base``: ``change(repo)``, then (``rerun``) `dvc repro`, committed."""
    run(repo, "git", "checkout", "-q", "-B", name, base)
    run(repo, "dvc", "checkout", "-q")
    change(repo)
    if rerun:
        run(repo, "dvc", "repro", "-q")
    return commit(repo, name)


def seed(value: int):
    return lambda repo: (repo / "params.yaml").write_text(f"train:\n  seed: {value}\n")


def model(repo: Path) -> dict[str, Path]:
    return {"challenger": repo / "models" / "model.skops"}


def judged(repo: Path, head: str, base: str, bundle: Path | None = None) -> Check:
    [check] = provenance.checks(model(repo), provenance.for_pr(repo, head, base, bundle), set())
    return check


def test_a_head_that_recorded_its_model_is_bound(project):
    repo, main = project
    head = branch(repo, main, "honest", seed(2), rerun=True)
    assert provenance.stale_reasons(repo, head, main) == []
    check = judged(repo, head, main)
    assert check.status == "pass" and f"the PR head {head[:12]}" in check.detail


@pytest.mark.parametrize(("change", "said"), [
    (seed(3), "train: params train changed"),
    (lambda repo: (repo / "train.py").write_text(TRAIN + "# faster\n"), "train: train.py modified"),
    (lambda repo: (repo / "dvc.yaml").write_text(STAGE.replace("python train.py",
                                                               "python train.py --fast")),
     "train: changed command"),
])
def test_a_head_whose_lock_is_out_of_date_is_not_bound(project, change, said):
    """The params, the code or the command changed and `dvc repro` was not run: the lock
    still records the old model, so the old model's bytes cannot pass as the PR's."""
    repo, main = project
    head = branch(repo, main, "lazy", change, rerun=False)
    check = judged(repo, head, main)
    assert check.status == "fail" and said in check.detail, check.detail
    assert "run `make run` and commit dvc.lock and the result files" in check.detail


def test_new_data_without_a_run_is_not_bound(project):
    repo, main = project

    def new_data(repo: Path) -> None:
        (repo / "data" / "rows.csv").write_text("a,b\n1,2\n3,4\n")
        run(repo, "dvc", "add", "-q", "data")

    head = branch(repo, main, "data", new_data, rerun=False)
    assert "data.dvc changed and dvc.lock still records main's data" in judged(
        repo, head, main).detail


def test_another_file_passed_off_as_the_prs_model_fails(project):
    """The forged fork: main's model file copied over the PR's after an honest run."""
    repo, main = project
    head = branch(repo, main, "forged", seed(4), rerun=True)
    run(repo, "git", "checkout", "-q", main)
    run(repo, "dvc", "checkout", "-q")  # main's model now where the PR's should be
    check = judged(repo, head, main)
    assert check.status == "fail" and "is not the file its commit records" in check.detail


def test_a_results_commit_on_the_head_binds_the_model_it_records(project, tmp_path):
    """The head changed params only; the pr run's results commit records the new model."""
    repo, main = project
    head = branch(repo, main, "results", seed(5), rerun=False)
    run(repo, "dvc", "repro", "-q")
    results = commit(repo, "Record reproduced results")
    bundle = tmp_path / "results.bundle"
    run(repo, "git", "bundle", "create", "-q", str(bundle), f"{head}..HEAD")
    run(repo, "git", "checkout", "-q", "-f", main)  # the judge's checkout: main
    run(repo, "git", "branch", "-D", "results")
    run(repo, "git", "update-ref", "refs/pull/5/head", head)  # what fetch-head brings
    run(repo, "git", "checkout", "-q", results)
    check = judged(repo, head, main, bundle)
    assert check.status == "pass", check.detail
    assert "the results commit" in check.detail
    assert judged(repo, head, main).status == "fail"  # without it, the head's lock is stale


def test_a_results_commit_that_touches_code_is_refused(project, tmp_path):
    repo, main = project
    head = branch(repo, main, "sneaky", seed(6), rerun=True)
    (repo / "train.py").write_text(TRAIN + "# and a little more\n")
    commit(repo, "Record results, and something else")
    bundle = tmp_path / "sneaky.bundle"
    run(repo, "git", "bundle", "create", "-q", str(bundle), f"{head}..HEAD")
    check = judged(repo, head, main, bundle)
    assert check.status == "fail" and "touches 'train.py'" in check.detail


def test_a_head_that_is_not_in_the_clone_cannot_be_read(project):
    repo, main = project
    check = judged(repo, "7" * 40, main)
    assert check.status == "fail" and "is not in this clone" in check.detail


def test_fetch_head_brings_the_commit_without_checking_it_out(project, tmp_path):
    repo, main = project
    head = branch(repo, main, "far", seed(7), rerun=True)
    clone = tmp_path / "judge"
    run(tmp_path, "git", "clone", "-q", "--single-branch", "--branch", "main", f"file://{repo}",
        str(clone))
    run(repo, "git", "update-ref", "-d", "refs/heads/far")
    run(repo, "git", "update-ref", "refs/pull/9/head", head)  # a fork's head, on GitHub
    run(repo, "git", "config", "uploadpack.allowReachableSHA1InWant", "true")
    said = provenance.fetch_head(clone, head)
    assert said == f"fetch-head: fetched {head[:12]}"
    assert run(clone, "git", "rev-parse", "HEAD") == main
    assert provenance.fetch_head(clone, head).endswith("is already here")
