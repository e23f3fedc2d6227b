"""`mlproject notify`: the job summary, the annotation and the one tracking issue (gh stand-in)."""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import asdict
from pathlib import Path

import pytest

from mlproject import storage
from mlproject.cli import main
from mlproject.registry import notify
from mlproject.registry.promote import Outcome

ROOT = Path(__file__).resolve().parents[2]
BIN = ROOT / "tests" / "workflows" / "bin"
SHA = "a" * 40


@pytest.fixture
def github(tmp_path, monkeypatch):
    """A GitHub Actions-like environment: the gh stand-in, a token, a job summary file."""
    records = tmp_path / "records"
    records.mkdir()
    monkeypatch.setenv("PATH", f"{BIN}:{os.environ['PATH']}")
    monkeypatch.setenv("STANDIN_DIR", str(records))
    monkeypatch.setenv("GH_TOKEN", "dummy")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(tmp_path / "summary.md"))
    for key, value in (("GITHUB_SERVER_URL", "https://github.com"),
                       ("GITHUB_REPOSITORY", "acme/mlci"), ("GITHUB_RUN_ID", "42")):
        monkeypatch.setenv(key, value)
    shutil.copy(ROOT / "params.yaml", tmp_path / "params.yaml")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def outcome(directory: Path, status: str, reason: str, **fields) -> None:
    data = Outcome(status, reason, SHA, **fields)
    storage.write_json(directory / "promotion.json", {**asdict(data), "promoted": data.promoted})


def issues(github: Path) -> dict:
    path = github / "records" / "issues.json"
    return json.loads(path.read_text()) if path.exists() else {}


def summary(github: Path) -> str:
    return (github / "summary.md").read_text()


def test_a_refusal_opens_one_issue_updates_it_and_a_promotion_closes_it(github, capsys):
    out = github / "build/release"
    outcome(out, "refused", "not promoted: the gate failed against production v1.0.0: "
            "roc_auc dropped by 0.02", production="v1.0.0")
    assert main(["notify", "--job-status", "failure"]) == 0
    printed = capsys.readouterr().out
    assert "::warning title=Not promoted::the gate failed against production v1.0.0" in printed
    [(number, issue)] = issues(github).items()
    assert issue["title"] == ("main is ahead of production: the gate failed against production "
                              "v1.0.0: roc_auc dropped by 0.02")
    assert issue["state"] == "open" and "- production: `v1.0.0`" in issue["body"]
    assert "https://github.com/acme/mlci/actions/runs/42" in issue["body"]
    assert "## ❌ Not promoted" in summary(github) and "opened" in summary(github)

    outcome(out, "refused", "not promoted: the model file is model@v1.0.1's and prod was "
            "rolled back from it; promote it anyway with --force", production="v1.0.0")
    assert main(["notify", "--job-status", "failure"]) == 0
    [(same, issue)] = issues(github).items()
    assert same == number and "prod was rolled back from it" in issue["title"]
    assert issue["comments"] == [f"Still not promoted at `{SHA[:12]}`: the model file is "
                                 "model@v1.0.1's and prod was rolled back from it; promote it "
                                 "anyway with --force (https://github.com/acme/mlci/actions/"
                                 "runs/42)"]

    outcome(out, "promoted", "promoted v1.0.2; prod is now v1.0.2", production="v1.0.2",
            tags=["model@v1.0.2", "model#prod#5"],
            portable="model.onnx not shipped: its scores differ from the Python model's by up "
                     "to 3.2e-04 on the holdout (allowed 1e-05)")
    capsys.readouterr()
    assert main(["notify"]) == 0
    assert "::warning" not in capsys.readouterr().out
    [(_, issue)] = issues(github).items()
    assert issue["state"] == "closed" and "promoted v1.0.2" in issue["comments"][-1]
    assert "## ✅ Promoted" in summary(github) and "`model#prod#5`" in summary(github)
    assert "| portable model | model.onnx not shipped: its scores differ from the Python " \
           "model's by up to 3.2e-04 on the holdout (allowed 1e-05) |" in summary(github)


def test_nothing_to_promote_is_green_and_closes_an_open_issue(github, capsys):
    out = github / "build/release"
    outcome(out, "refused", "not promoted: stale dvc.lock")
    notify.report(out, "failure")
    outcome(out, "nothing", "nothing to promote: the model file is model@v1.0.0's",
            production="v1.0.0")
    assert notify.report(out, "success") == "tracking issue: closed #1"
    assert "## ✅ Nothing to promote" in summary(github)
    assert "::warning" not in capsys.readouterr().out.split("stale dvc.lock")[-1]


def test_a_rerun_of_an_older_commit_warns_but_leaves_the_issue_alone(github, capsys):
    out = github / "build/release"
    outcome(out, "refused", "not promoted: the gate failed")
    notify.report(out, "failure")
    outcome(out, "superseded", "not promoted: 1234abcd is not the tip of main on origin")
    assert notify.report(out, "failure").endswith("left as it is (this run is not main's tip)")
    assert "::warning title=Not promoted::1234abcd is not the tip" in capsys.readouterr().out
    [(_, issue)] = issues(github).items()
    assert issue["title"].endswith("the gate failed") and issue["state"] == "open"


@pytest.mark.parametrize(("written", "expected"), [
    (False, "the promote job stopped before deciding (job failure)"),
    (True, "the promote job failed after deciding (promoted v1.0.0"),
])
def test_a_failed_job_is_never_reported_as_promoted(github, written, expected):
    out = github / "build/release"
    if written:
        outcome(out, "promoted", "promoted v1.0.0", production="v1.0.0")
    notify.report(out, "failure")
    [(_, issue)] = issues(github).items()
    assert expected in issue["title"] and "## ❌ Not promoted" in summary(github)


def test_without_a_token_the_issue_is_skipped_and_the_summary_printed(github, monkeypatch,
                                                                      capsys):
    monkeypatch.delenv("GH_TOKEN")
    monkeypatch.delenv("GITHUB_STEP_SUMMARY")
    outcome(github / "build/release", "refused", "not promoted: stale dvc.lock")
    assert notify.report(github / "build/release", "failure").endswith("skipped (needs gh and "
                                                                        "GH_TOKEN)")
    assert "## ❌ Not promoted" in capsys.readouterr().out and issues(github) == {}


def test_a_failing_gh_is_a_warning_not_a_crash(github, monkeypatch, capsys):
    broken = github / "broken-bin"
    broken.mkdir()
    (broken / "gh").write_text("#!/bin/sh\necho 'HTTP 410: Issues are disabled' >&2\nexit 1\n")
    (broken / "gh").chmod(0o755)
    monkeypatch.setenv("PATH", f"{broken}:{os.environ['PATH']}")
    outcome(github / "build/release", "refused", "not promoted: stale dvc.lock")
    assert main(["notify", "--job-status", "failure"]) == 0
    printed = capsys.readouterr().out
    assert "::warning title=Tracking issue::gh issue list: HTTP 410: Issues are disabled" in printed
    assert "not updated" in summary(github)


def test_an_annotation_stays_one_line():
    assert notify._escape("50% better\nsecond line\r") == "50%25 better%0Asecond line%0D"
