"""push-results: the verdict workflow pushes the PR run's results commit only when it is one
commit on top of the judged head that touches result files only, and only while the branch has
not moved; the pushed commit gets the judged commit's `model gate` status. Real git, a bare
origin, and the gh stand-in of tests/workflows/bin."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from mlproject import ci
from mlproject.errors import PipelineError

BIN = Path(__file__).resolve().parent / "bin"


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True,
                          text=True).stdout.strip()


def commit(repo: Path, files: dict[str, str], message: str) -> str:
    for rel, text in files.items():
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo / rel).write_text(text)
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", message)
    return git(repo, "rev-parse", "HEAD")


@pytest.fixture
def world(tmp_path, monkeypatch):
    """origin with main and a PR branch `feat` (head judged as passing); the PR run's clone;
    and the verdict job's checkout of main."""
    origin, work, judge = tmp_path / "origin.git", tmp_path / "work", tmp_path / "judge"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(origin))
    git(tmp_path, "clone", "-q", str(origin), str(work))
    for key, value in (("user.email", "t@example.invalid"), ("user.name", "T")):
        git(work, "config", key, value)
    commit(work, {"src/app.py": "x = 1\n", "reports/metrics.json": "{}"}, "main")
    git(work, "push", "-q", "origin", "HEAD:main")
    git(work, "checkout", "-q", "-b", "feat")
    head = commit(work, {"src/app.py": "x = 2\n"}, "the PR")
    git(work, "push", "-q", "origin", "feat")
    git(tmp_path, "clone", "-q", str(origin), str(judge))
    records = tmp_path / "github"
    records.mkdir()
    (records / "statuses.json").write_text(json.dumps({head: [
        {"state": "success", "context": "model gate", "description": "passed all 20 checks"}]}))
    monkeypatch.setenv("PATH", f"{BIN}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("STANDIN_DIR", str(records))
    monkeypatch.setenv("GH_TOKEN", "dummy")
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"workflow_run": {"head_sha": head, "head_branch": "feat"},
                                 "repository": {"full_name": "acme/mlci"}}))
    return {"origin": origin, "work": work, "judge": judge, "head": head, "event": event,
            "records": records}


def bundle(w: dict, files: dict[str, str], on: str | None = None) -> Path:
    """A results commit with ``files`` on top of ``on`` (default: the judged head), bundled
    as record_results bundles it."""
    git(w["work"], "checkout", "-q", "--detach", on or w["head"])
    made = commit(w["work"], files, "Record results")
    path = w["work"].parent / f"results-{made[:8]}.bundle"
    git(w["work"], "bundle", "create", "-q", str(path), "HEAD", f"^{on or w['head']}")
    return path


def push(w: dict, path: Path) -> str:
    return ci.push_results(w["judge"], path, w["event"], "token")


def test_a_results_commit_is_pushed_and_carries_the_verdict(world):
    path = bundle(world, {"reports/metrics.json": '{"auc": 1}', "dvc.lock": "x"})
    said = push(world, path)
    tip = git(world["origin"], "rev-parse", "feat")
    assert git(world["origin"], "rev-parse", f"{tip}^") == world["head"]
    assert said.endswith(f"status 'model gate' success carried to {tip[:12]}")
    statuses = json.loads((world["records"] / "statuses.json").read_text())
    assert statuses[tip] == [{"state": "success", "context": "model gate",
                              "description": "passed all 20 checks"}]


@pytest.mark.parametrize(("files", "on", "message"), [
    ({"src/app.py": "evil()\n"}, None, "touches 'src/app.py', which is not a result file"),
    ({".github/workflows/x.yml": "on: push\n"}, None, "touches '.github/workflows/x.yml'"),
    ({"reports/metrics.json": "{}1"}, "main", "is not one commit on top of the PR head"),
])
def test_anything_but_a_results_commit_on_the_head_is_refused(world, files, on, message):
    path = bundle(world, files, on=git(world["work"], "rev-parse", on) if on else None)
    with pytest.raises(PipelineError, match=message):
        push(world, path)
    assert git(world["origin"], "rev-parse", "feat") == world["head"]  # nothing pushed


def test_two_commits_are_refused(world):
    git(world["work"], "checkout", "-q", "--detach", world["head"])
    commit(world["work"], {"reports/a.json": "{}"}, "one")
    commit(world["work"], {"reports/b.json": "{}"}, "two")
    path = world["work"].parent / "two.bundle"
    git(world["work"], "bundle", "create", "-q", str(path), "HEAD", f"^{world['head']}")
    with pytest.raises(PipelineError, match="not one commit on top of the PR head"):
        push(world, path)


def test_a_branch_that_moved_on_is_left_alone(world):
    path = bundle(world, {"reports/metrics.json": '{"auc": 1}'})
    git(world["work"], "checkout", "-q", "feat")
    newer = commit(world["work"], {"src/app.py": "x = 3\n"}, "the author pushed again")
    git(world["work"], "push", "-q", "origin", "feat")
    assert "moved on since" in push(world, path)
    assert git(world["origin"], "rev-parse", "feat") == newer


def test_a_file_that_is_not_a_bundle_is_refused(world, tmp_path):
    fake = tmp_path / "fake.bundle"
    fake.write_text("not a bundle\n")
    with pytest.raises(PipelineError, match="not a git bundle that fits this repository"):
        push(world, fake)
