"""The judge on a regression target: the same checks, intervals and comment as for classes,
on errors (RMSE, MAE, R², the share within tolerance) instead of class metrics."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn import metrics as skm

from mlproject.verdict import bootstrap as bs
from mlproject.verdict import run

from .helpers import Case, tamper


def judge(folder, repo, params):
    out = repo / "reports" / "pr"
    verdict = run.judge(folder, out, params, repo)
    return verdict, (out / "report.md").read_text()


@pytest.fixture(scope="module")
def same(tmp_path_factory):
    """Fifty-five boosting rounds instead of sixty: another model, as good."""
    case = Case(tmp_path_factory.mktemp("same"), regression="linear", rows=2000,
                challenger={"max_iter": 55})
    return case, *case.build()


@pytest.fixture(scope="module")
def worse(tmp_path_factory):
    """Three boosting rounds instead of sixty: clearly worse, beyond the noise."""
    case = Case(tmp_path_factory.mktemp("worse"), regression="linear", rows=2000,
                challenger={"max_iter": 3})
    return case, *case.build()


def test_an_as_good_model_passes_with_every_integrity_check(same):
    case, _, folder, repo = same
    verdict, body = judge(folder, repo, case.raw)
    assert verdict["passed"], body[:3000]
    integrity = {(c["kind"], c["metric"]): c["status"] for c in verdict["checks"]
                 if c["group"] == "integrity"}
    assert integrity[("re-scored", "challenger")] == "pass"
    assert integrity[("main's records", "champion")] == "pass"
    assert integrity[("main's records", "rule_baseline")] == "pass"
    assert body.startswith("## ✅ Model gate passed")
    key_table = body.split("<details>", 1)[0]
    for name in ("| rmse |", "| mae |", "| r2 |", "| within\\_tolerance |"):
        assert name in key_table, name
    assert "decile of the prediction" in body and "Confusion" not in body
    assert "roc_auc" not in body and "ROC" not in body


def test_a_tolerance_the_model_does_not_record_fails(same):
    """A run that widens the tolerance counts more predictions as within it: the evidence
    must judge at the tolerance the PR's model records."""
    case, e, _, repo = same
    folder = tamper(case.write(e, name="forged-tolerance"),
                    lambda raw: raw.update(tolerance=[0.9, 1000.0]))
    verdict, _ = judge(folder, repo, case.raw)
    check = next(c for c in verdict["checks"] if c["kind"] == "settings")
    assert not verdict["passed"] and check["status"] == "fail"
    assert check["detail"].startswith("the evidence judges at tolerance 0.9 / 1000, the PR's "
                                      "model records "), check["detail"]
    integrity = {(c["kind"], c["metric"]): c["status"] for c in judge(
        case.write(e, name="honest"), repo, case.raw)[0]["checks"] if c["group"] == "integrity"}
    assert integrity[("settings", "challenger")] == "pass"


def test_a_worse_model_fails_on_the_error_metrics(worse):
    case, _, folder, repo = worse
    verdict, body = judge(folder, repo, case.raw)
    assert not verdict["passed"]
    changes = {c["metric"]: c for c in verdict["checks"] if c["kind"] == "change"}
    for metric in ("rmse", "mae"):
        assert changes[metric]["status"] == "fail", changes[metric]
        # lower is better: the change (this PR - main) is above zero beyond the noise
        assert changes[metric]["low"] > 0
    assert "❌" in body


def test_bootstrap_point_values_equal_scikit_learns():
    rng = np.random.default_rng(0)
    y = rng.lognormal(3, 1, 501)
    pred = y + rng.normal(0, 5, 501)
    rows = bs.Rows(y, [], None, 0.5, (0.1, 0.0))
    s = bs.scored(rows, pred)
    assert bs.point("rmse", s) == pytest.approx(skm.root_mean_squared_error(y, pred))
    assert bs.point("mae", s) == pytest.approx(skm.mean_absolute_error(y, pred))
    assert bs.point("median_absolute_error", s) == pytest.approx(
        skm.median_absolute_error(y, pred))
    assert bs.point("r2", s) == pytest.approx(skm.r2_score(y, pred))
    assert bs.point("mape", s) == pytest.approx(skm.mean_absolute_percentage_error(y, pred))
    within = np.abs(pred - y) <= 0.1 * np.abs(y)
    assert bs.point("within_tolerance", s) == pytest.approx(within.mean())
    even = bs.subset(s, np.arange(501) < 500)  # an even count: the mean of the two middles
    assert bs.point("median_absolute_error", even) == pytest.approx(
        skm.median_absolute_error(y[:500], pred[:500]))


def test_resampled_values_equal_each_draws_own_metric():
    """Each resample's weighted metric equals the metric on the drawn rows themselves."""
    rng = np.random.default_rng(1)
    y = rng.normal(50, 10, 200)
    pred = y + rng.normal(0, 3, 200)
    s = bs.scored(bs.Rows(y, [], None, 0.5, (0.05, 0.0)), pred)
    weights = next(bs.resample_weights(200, 3, seed=4))
    counted = bs.Counted(s, weights)
    for i in range(3):
        drawn = np.repeat(np.arange(200), weights[i].astype(int))
        assert s.metrics["r2"](counted)[i] == pytest.approx(skm.r2_score(y[drawn], pred[drawn]))
        assert s.metrics["median_absolute_error"](counted)[i] == pytest.approx(
            skm.median_absolute_error(y[drawn], pred[drawn]))


@pytest.mark.parametrize(("gate", "message"), [
    ({"min": {"rmse": 5.0}}, "gate.min.rmse: rmse is lower-is-better, so this rule could never "
                             "fail a worse model; use gate.max.rmse"),
    ({"max_drop": {"roc_auc": 0.01}}, "gate.max_drop.roc_auc: unknown metric here"),
    ({"slices": {"metric": "roc_auc"}}, "gate.slices.metric: roc_auc is not a slice metric of "
                                        "a regression target"),
])
def test_the_gate_of_a_regression_target_refuses_class_rules(gate, message):
    from mlproject.errors import PipelineError
    from mlproject.gate import load_rules

    from ..fixture_data import regression_params

    raw = {**regression_params(), "gate": gate}
    with pytest.raises(PipelineError, match=message.replace(".", r"\.")):
        load_rules(raw)
    assert load_rules(regression_params()).slices.metric == "mae"
