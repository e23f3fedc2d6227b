"""publish: the comment (through CML) and the `model gate` status (through gh), over the
recording stand-ins of tests/workflows/bin and a small fake GitHub."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from mlproject.errors import PipelineError
from mlproject.verdict import publish

BIN = Path(__file__).resolve().parents[1] / "workflows" / "bin"
HEAD = "a" * 40


@pytest.fixture
def github(tmp_path, monkeypatch) -> Path:
    """The fake GitHub: PR 7 is open with HEAD as its head; the tokens are set."""
    records = tmp_path / "github"
    records.mkdir()
    (records / "pulls.json").write_text(json.dumps(
        {"7": {"number": 7, "state": "open", "head": {"sha": HEAD}}}))
    monkeypatch.setenv("PATH", f"{BIN}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("STANDIN_DIR", str(records))
    for name in ("GH_TOKEN", "REPO_TOKEN"):
        monkeypatch.setenv(name, "dummy")
    monkeypatch.delenv("GITHUB_RUN_ID", raising=False)
    return records


def verdict(tmp_path: Path, passed: bool, pr: int | None = 7, head: str = HEAD) -> Path:
    out = tmp_path / f"verdict-{passed}-{pr}"
    out.mkdir(exist_ok=True)
    state = "passed" if passed else "failed"
    (out / "report.md").write_text(f"## report {state}\n\n<!-- mlproject-verdict: {state} -->\n")
    (out / "verdict.json").write_text(json.dumps({"passed": passed, "pr": pr, "head_sha": head,
                                                  "description": f"{state} 3 checks"}))
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"workflow_run": {"head_sha": head, "conclusion": "success"},
                                 "repository": {"full_name": "acme/mlci"}}))
    return out


def state(github: Path) -> tuple[list[dict], list[dict]]:
    comments = json.loads((github / "comments.json").read_text()).get("7", []) \
        if (github / "comments.json").exists() else []
    statuses = json.loads((github / "statuses.json").read_text()).get(HEAD, []) \
        if (github / "statuses.json").exists() else []
    return comments, statuses


def test_pass_then_fail_then_pass_posts_a_new_comment_only_on_the_flip(github, tmp_path):
    event = tmp_path / "event.json"
    for passed in (True, True, False, False, True):
        publish.publish(verdict(tmp_path, passed), event)
    comments, statuses = state(github)
    assert len(comments) == 2  # the flip to failed notified reviewers with a new comment
    assert [c["updates"] for c in comments] == [2, 3]  # later pushes update the newest one
    assert "report passed" in comments[1]["body"]
    assert [s["state"] for s in statuses] == ["success", "success", "failure", "failure",
                                             "success"]
    assert {s["context"] for s in statuses} == {"model gate"}
    calls = [json.loads(line)["args"] for line in (github / "calls.jsonl").read_text()
             .splitlines() if '"cml"' in line]
    assert all("--no-publish" in c and "--target=pr/7" in c for c in calls)


def test_a_pr_number_whose_head_is_another_commit_gets_no_comment(github, tmp_path):
    (github / "pulls.json").write_text(json.dumps(
        {"7": {"number": 7, "state": "open", "head": {"sha": "b" * 40}}}))
    said = publish.publish(verdict(tmp_path, True), tmp_path / "event.json")
    comments, statuses = state(github)
    assert comments == [] and [s["state"] for s in statuses] == ["failure"]
    assert "not commented" in statuses[0]["description"] and "status 'model gate'" in said


def test_a_failure_that_cannot_be_commented_keeps_its_reason_in_the_status(github, tmp_path):
    publish.publish(verdict(tmp_path, False, pr=None), tmp_path / "event.json")
    [status] = state(github)[1]
    assert status["state"] == "failure"
    assert status["description"] == "failed 3 checks; not commented: no pull request"


def test_no_verdict_at_all_is_a_failure_status(github, tmp_path):
    verdict(tmp_path, True)  # writes the event
    empty = tmp_path / "empty"
    empty.mkdir()
    publish.publish(empty, tmp_path / "event.json")
    assert [s["state"] for s in state(github)[1]] == ["failure"]


def test_a_gh_failure_is_one_line(github, tmp_path, monkeypatch):
    monkeypatch.delenv("GH_TOKEN")
    with pytest.raises(PipelineError, match="^gh api repos/acme/mlci/pulls/7 failed: gh: To use"):
        publish.publish(verdict(tmp_path, True), tmp_path / "event.json")


def test_pages_of_gh_api_output():
    assert publish.pages('[{"a": 1}]\n[{"a": 2}, {"a": 3}]\n') == [{"a": 1}, {"a": 2},
                                                                    {"a": 3}]
    assert publish.pages("") == []
