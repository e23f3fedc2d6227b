"""What the monitor workflow does with a result (mlproject.monitor.actions): fetch the window's
files, keep the one drift issue in step, dispatch continuous training; GitHub is the recording
`gh` stand-in of the workflow tests (tests/workflows/bin/gh)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from mlproject.errors import PipelineError
from mlproject.monitor import actions, settings

GH = Path(__file__).resolve().parents[1] / "workflows" / "bin"
UNTIL = "2026-12-05T06:00:00Z"


def result(status: str, title: str = "", retrain: bool = False, alarms=()) -> dict:
    return {"status": status, "title": title, "retrain": retrain, "alarms": list(alarms),
            "window": {"start": "2026-12-04T06:00:00Z", "until": UNTIL}}


@pytest.fixture
def github(tmp_path, monkeypatch) -> Path:
    """The gh stand-in on PATH with a token; its records in the returned folder."""
    records = tmp_path / "github"
    records.mkdir()
    monkeypatch.setenv("PATH", f"{GH}:{os.environ['PATH']}")
    monkeypatch.setenv("STANDIN_DIR", str(records))
    monkeypatch.setenv("GH_TOKEN", "test-token")
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    return records


def test_fetch_copies_the_windows_logs_and_every_label_file(tmp_path, monkeypatch):
    store, labels = tmp_path / "store", tmp_path / "labels-store"
    store.mkdir(), labels.mkdir()
    names = {"predictions-20261205T050000000Z-1-1.parquet": True,  # in the window
             "predictions-20261204T053000000Z-1-0.parquet": True,  # may hold rows after 06:00
             "predictions-20261203T050000000Z-1-0.parquet": False,  # a day too old
             "predictions-20261205T070000000Z-1-2.parquet": False,  # after the window
             "predictions-20261205T050000000Z-1-3.parquet.part": False,  # still written
             "notes.txt": False}
    for name in names:
        (store / name).write_bytes(b"x")
    for name in ("2026-12-04.csv", "late.parquet", "README.md"):
        (labels / name).write_bytes(b"x")
    output = tmp_path / "github_output"
    monkeypatch.setenv("GITHUB_OUTPUT", str(output))
    s = settings.parse({"storage": str(store), "labels": str(labels)})
    out = tmp_path / "build" / "logs"
    assert actions.fetch(s, out, UNTIL) == 2
    assert sorted(p.name for p in out.iterdir()) == sorted(n for n, keep in names.items() if keep)
    assert sorted(p.name for p in (tmp_path / "build" / "labels").iterdir()) == [
        "2026-12-04.csv", "late.parquet"]
    assert output.read_text() == "configured=true\nfiles=2\nlabels=true\n"


def test_fetch_without_storage_says_monitoring_is_not_set_up(tmp_path, monkeypatch):
    monkeypatch.setenv("GITHUB_OUTPUT", str(tmp_path / "out"))
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(tmp_path / "summary"))
    assert actions.fetch(settings.parse(None), tmp_path / "logs") == 0
    assert (tmp_path / "out").read_text() == "configured=false\n"
    assert "Monitoring is not set up" in (tmp_path / "summary").read_text()


@pytest.mark.parametrize("storage, expected", [
    ("/nonexistent/prediction-logs", "FileNotFoundError"),
    ("nosuchscheme://bucket/logs", "cannot be read here"),
])
def test_unreadable_storage_is_one_line(tmp_path, storage, expected):
    with pytest.raises(PipelineError) as err:
        actions.fetch(settings.parse({"storage": storage}), tmp_path / "logs", UNTIL)
    assert expected in str(err.value) and "\n" not in str(err.value)
    assert str(err.value).startswith("monitor.storage: ")


def test_one_issue_is_opened_updated_and_closed(tmp_path, github):
    (tmp_path / "report.md").write_text("## 🔴 Production drift: age\n")
    drift = result("drift", "age", alarms=[{"kind": "features", "what": "age moved"}])
    assert actions.issue(drift, tmp_path) == "drift issue: opened " \
        "https://github.com/acme/mlci/issues/1"
    again = result("drift", "age, score", alarms=[{"kind": "features", "what": "age moved"}])
    assert actions.issue(again, tmp_path) == "drift issue: updated #1"
    assert actions.issue(result("too few predictions"), tmp_path).endswith(
        "left as it is (too few predictions to judge)")
    issues = json.loads((github / "issues.json").read_text())
    assert list(issues) == ["1"] and issues["1"]["state"] == "open"
    assert issues["1"]["title"] == "production drift: age, score"
    assert "## 🔴 Production drift: age" in issues["1"]["body"]
    assert actions.issue(result("normal"), tmp_path) == "drift issue: closed #1"
    issues = json.loads((github / "issues.json").read_text())
    assert issues["1"]["state"] == "closed" and "Back to normal" in issues["1"]["comments"][-1]


def test_retraining_is_dispatched_only_when_asked_with_a_plain_reason(tmp_path, github):
    assert actions.retrain(result("drift", "plan")) == "retrain: not needed"
    hostile = [{"kind": "features", "what": "`$(curl x)` moved"},
               {"kind": "volume", "what": "not a retraining kind"}]
    done = actions.retrain(result("drift", "x", retrain=True, alarms=hostile))
    [dispatch] = json.loads((github / "dispatches.json").read_text())
    assert dispatch == {"workflow": "continuous-training.yml",
                        "inputs": {"reason": "production drift: __(curl x)_ moved"}}
    assert done == "retrain: dispatched continuous-training.yml (production drift: " \
        "__(curl x)_ moved)"


def test_without_a_token_github_is_not_called(tmp_path, github, monkeypatch):
    monkeypatch.delenv("GH_TOKEN")
    drift = result("drift", "age", retrain=True, alarms=[{"kind": "features", "what": "age"}])
    assert actions.retrain(drift).endswith("skipped (needs gh and GH_TOKEN)")
    assert actions.issue(drift, tmp_path).endswith("skipped (needs gh and GH_TOKEN)")
    assert not (github / "calls.jsonl").exists()
