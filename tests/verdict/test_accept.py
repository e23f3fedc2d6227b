"""accept: a failing model gate passed on one PR head, on the record, over the gh stand-in."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from mlproject.errors import PipelineError
from mlproject.verdict import accept, publish

BIN = Path(__file__).resolve().parents[1] / "workflows" / "bin"
HEAD = "a" * 40
FAILED = "failed 1 of 20 checks: coverage −0.0400 (−0.0600 … −0.0200), allowed −0.0200"


@pytest.fixture
def github(tmp_path, monkeypatch) -> Path:
    """The fake GitHub: PR 7 is open with HEAD as its head, whose model gate failed."""
    records = tmp_path / "github"
    records.mkdir()
    (records / "pulls.json").write_text(json.dumps(
        {"7": {"number": 7, "state": "open", "head": {"sha": HEAD}},
         "8": {"number": 8, "state": "closed", "head": {"sha": HEAD}}}))
    monkeypatch.setenv("PATH", f"{BIN}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("STANDIN_DIR", str(records))
    monkeypatch.setenv("GH_TOKEN", "dummy")
    monkeypatch.delenv("GITHUB_RUN_ID", raising=False)
    publish.status("acme/mlci", HEAD, False, FAILED)
    return records


def statuses(github: Path) -> list[dict]:
    return json.loads((github / "statuses.json").read_text())[HEAD]


def test_accepted_with_who_and_what_failed_in_the_status_and_a_comment(github):
    said = accept.accept("acme/mlci", 7, HEAD, "octocat", "the coverage drop is the new "
                         "threshold's, see #40 @team")
    newest = statuses(github)[-1]
    assert newest["state"] == "success" and newest["context"] == "model gate"
    assert newest["description"] == f"accepted by @octocat despite: {FAILED}"[:140]
    comment = json.loads((github / "comments.json").read_text())["7"][-1]["body"]
    assert comment.startswith("## ✅ Model gate accepted by @octocat")
    assert "coverage −0.0400" in comment and "see \\#40 @\u200dteam" in comment
    assert accept.MARKER in comment and "judged again" in comment
    assert said.startswith("accept: 'model gate' success on aaaaaaaaaaaa")


@pytest.mark.parametrize(("pr", "sha", "by", "message"), [
    (7, "b" * 40, "octocat", "not accepted: pull request #7's head is not bbbbbbbbbbbb"),
    (8, HEAD, "octocat", "not accepted: pull request #8 is not open"),
    (7, "abc", "octocat", "is not a full commit id"),
    (7, HEAD, "octo cat;rm", "is not a GitHub login"),
    (0, HEAD, "octocat", "is not a pull request number"),
])
def test_refused_with_one_line_and_nothing_set(github, pr, sha, by, message):
    before = statuses(github)
    with pytest.raises(PipelineError, match=message):
        accept.accept("acme/mlci", pr, sha, by)
    assert statuses(github) == before and not (github / "comments.json").exists()


def test_a_passing_gate_has_nothing_to_accept(github):
    publish.status("acme/mlci", HEAD, True, "passed all 20 checks")
    with pytest.raises(PipelineError, match="is success, not a failure: there is nothing"):
        accept.accept("acme/mlci", 7, HEAD, "octocat")


def test_the_command_line_is_one_line_and_exit_1(github, tmp_path):
    env = {**os.environ, "GITHUB_REPOSITORY": "acme/mlci"}
    done = subprocess.run([sys.executable, "-m", "mlproject.cli", "accept", "--pr", "7",
                           "--sha", "c" * 40, "--by", "octocat"], capture_output=True,
                          text=True, env=env)
    assert done.returncode == 1 and done.stderr.count("\n") == 1, done.stderr
