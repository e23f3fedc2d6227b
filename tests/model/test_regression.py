"""A regression target end to end through the stages, the prediction API, the batch CLI and
the HTTP service, on generated data of three shapes: a linear signal with normal noise, a
heavy-tailed (log-normal) target, and counts with many zeros."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as skm

from mlproject import metrics
from mlproject.config import Model, Params, parse_params
from mlproject.errors import PipelineError
from mlproject.estimators import ESTIMATORS
from mlproject.predict import Predictor, ValuePrediction
from mlproject.stages import evaluate, prepare, split, train
from tests.fixture_data import SPEND_KINDS, regression_params, regression_rows

RECORD = {"tenure": 24.0, "monthly": 42.5, "usage": 0.2, "region": "north", "plan": "pro",
          "city": "city-03"}


@pytest.fixture(scope="module", params=SPEND_KINDS)
def project(request, tmp_path_factory) -> tuple[str, Path, Params, dict]:
    kind = request.param
    params = parse_params(regression_params(kind))
    out = tmp_path_factory.mktemp(f"spend-{kind}")
    data = out / "spend.csv"
    regression_rows(1200, seed=5, kind=kind).to_csv(data, index=False)
    prepare.main(params, data, None, out / "prepared", out / "validation.json")
    split.main(params, out / "prepared" / "train.parquet", out / "split")
    train.main(params, out / "split", out / "models")
    evaluate.main(params, out / "prepared" / "holdout.parquet", out / "models", out / "reports",
                  out / "split" / "train.parquet")
    return kind, out, params, json.loads((out / "reports" / "metrics.json").read_text())


def test_the_model_beats_the_rule_which_beats_the_mean(project):
    """On every shape, the model's MAE is below the rule baseline's, and the rule's below the
    dummy's (the training mean), so the floor and the bar are both meaningful."""
    kind, _, _, result = project
    mae = {name: result[name]["quality"]["mae"] for name in evaluate.MODELS}
    assert mae["model"] < mae["rule_baseline"] < mae["dummy"], (kind, mae)
    r2 = {name: result[name]["quality"]["r2"] for name in evaluate.MODELS}
    assert abs(r2["dummy"]) < 0.05 and r2["model"] > r2["dummy"] + 0.05, (kind, r2)
    assert r2["model"] > 0.8 or kind != "linear"


def test_metrics_equal_scikit_learns(project):
    kind, out, params, result = project
    holdout = pd.read_parquet(out / "prepared" / "holdout.parquet")
    y = holdout["spend"].to_numpy(dtype=float)
    pred = Predictor.load(out / "models" / "model.skops").predict_values(holdout)
    q = result["model"]["quality"]
    assert q["rmse"] == pytest.approx(skm.root_mean_squared_error(y, pred), abs=1e-6)
    assert q["mae"] == pytest.approx(skm.mean_absolute_error(y, pred), abs=1e-6)
    assert q["median_absolute_error"] == pytest.approx(skm.median_absolute_error(y, pred),
                                                       abs=1e-6)
    assert q["r2"] == pytest.approx(skm.r2_score(y, pred), abs=1e-6)
    # MAPE divides by the truth: reported only when no truth is near zero
    assert ("mape" in q) == (kind != "zeros")
    if "mape" in q:
        assert q["mape"] == pytest.approx(skm.mean_absolute_percentage_error(y, pred), abs=1e-6)
    within = np.abs(pred - y) <= np.maximum(0.1 * np.abs(y), params.predict.tolerance.absolute)
    assert result["model"]["product"]["within_tolerance"] == pytest.approx(within.mean(),
                                                                           abs=1e-6)


def test_reports_slices_plots_and_the_reference(project):
    _, out, params, _ = project
    slices = json.loads((out / "reports" / "slices.json").read_text())["model"]
    assert {k.split("=")[0] for k in slices} == set(params.evaluate.slices)
    assert all({"rows", "mae", "rmse"} <= set(v) for v in slices.values())
    calibration = pd.read_csv(out / "reports" / "plots" / "predicted_actual.csv")
    model = calibration[calibration["model"] == "model"]
    assert model["decile"].tolist() == list(range(1, 11))
    assert model["predicted"].is_monotonic_increasing
    residuals = pd.read_csv(out / "reports" / "plots" / "residuals.csv")
    assert {"decile", "residual", "p10", "p90"} <= set(residuals.columns)
    validation = json.loads((out / "validation.json").read_text())
    assert {"mean", "median", "max"} <= set(validation["train"]["target"])
    reference = json.loads((out / "models" / "reference.json").read_text())
    assert reference["model"]["task"] == "regression" and reference["features"]


def test_the_prediction_api_answers_with_values(project):
    _, out, _, _ = project
    predictor = Predictor.load(out / "models" / "model.skops")
    assert predictor.regression and predictor.task == "regression"
    [answer] = predictor.predict([RECORD])
    assert isinstance(answer, ValuePrediction) and np.isfinite(answer.value)
    assert not hasattr(answer, "label") and not hasattr(answer, "score")
    with pytest.raises(PipelineError, match="predicts values, not class probabilities"):
        predictor.predict_proba([RECORD])
    rule = Predictor.load(out / "models" / "rule_baseline.skops").predict([RECORD])[0]
    assert isinstance(rule, ValuePrediction)


def test_batch_cli_and_http_service_answer_with_values(project, tmp_path):
    from fastapi.testclient import TestClient

    from mlproject import predict, serve

    _, out, _, _ = project
    batch = tmp_path / "batch.csv"
    pd.DataFrame([RECORD, {**RECORD, "tenure": 100.0}]).to_csv(batch, index=False)
    predict.main(out / "models" / "model.skops", batch, tmp_path / "scored.csv")
    scored = pd.read_csv(tmp_path / "scored.csv")
    assert list(scored.columns[-1:]) == ["prediction_value"]
    assert scored["prediction_value"].notna().all()
    from mlproject.monitor.settings import Log

    predict.main(out / "models" / "model.skops", batch, tmp_path / "x.csv",
                 log_dir=tmp_path / "logs", log_settings=Log())
    logged = pd.read_parquet(next((tmp_path / "logs").glob("*.parquet")))
    assert logged["label"].isna().all() and np.allclose(logged["score"],
                                                        scored["prediction_value"])
    app = serve.create_app(Predictor.load(out / "models" / "model.skops"))
    with TestClient(app) as client:
        answer = client.post("/predict", json={"records": [RECORD]})
        assert answer.status_code == 200
        [value] = answer.json()["predictions"]
        assert set(value) == {"value"} and value["value"] == pytest.approx(
            scored["prediction_value"][0], abs=1e-6)
        info = client.get("/model").json()
        assert info["task"] == "regression" and "classes" not in info
        assert {"rmse", "mae", "r2"} <= set(info["validation_metrics"])


@pytest.mark.parametrize("name", [n for n, spec in ESTIMATORS.items() if spec.regressor])
def test_every_regressor_trains_and_saves_with_trusted_types(name, tmp_path):
    import skops.io as sio

    from mlproject import artifact

    params = parse_params(regression_params())
    params = replace(params, train=replace(params.train, model=Model(name, {})))
    table = prepare.prepare(_raw(regression_rows(300, seed=2)), params, "spend.csv")
    model = train.train(table, params)
    assert model.predict(table[params.features]).shape == (len(table),)
    fitted = [model, *train.baselines(table, params).values()]
    for each in fitted:
        untrusted = set(sio.get_untrusted_types(data=sio.dumps(each)))
        assert untrusted <= set(artifact.TRUSTED_TYPES), (name, untrusted)


def _raw(table: pd.DataFrame) -> pd.DataFrame:
    from mlproject.config import ROW_KEY

    raw = table.replace("", np.nan)
    raw[ROW_KEY] = range(2, len(raw) + 2)
    return raw


@pytest.mark.parametrize(("change", "message"), [
    ({"classes": ["a", "b"]}, "data.target.classes: a regression target has no classes"),
    ({"positive": "a"}, "data.target.positive: a regression target has no classes"),
])
def test_classification_keys_are_refused_on_a_regression_target(change, message):
    raw = regression_params()
    raw["data"]["target"].update(change)
    with pytest.raises(PipelineError, match=message):
        parse_params(raw)


def test_estimator_names_follow_the_task():
    raw = regression_params()
    raw["train"]["model"] = {"name": "logistic_regression", "params": {}}
    with pytest.raises(PipelineError, match="no regression estimator 'logistic_regression'; "
                                            "choose one of linear, random_forest"):
        parse_params(raw)


def test_a_target_that_is_not_a_number_names_its_lines(tmp_path):
    params = parse_params(regression_params())
    rows = regression_rows(200, seed=1)
    rows.loc[[3, 7], "spend"] = "n/a"
    with pytest.raises(PipelineError, match=r"column 'spend': 2 value\(s\) are not numbers "
                                            r"\(line 5, 9: 'n/a', 'n/a'\)"):
        prepare.prepare(_raw(rows), params, "spend.csv")


def test_mape_is_left_out_near_zero():
    assert metrics.mape_defined(np.array([10.0, 12.0, 30.0]))
    assert not metrics.mape_defined(np.array([10.0, 0.0, 30.0]))
    assert not metrics.mape_defined(np.array([1000.0, 0.5, 900.0]))
    assert "mape" not in metrics.regression_quality(np.array([0.0, 1.0, 2.0]),
                                                    np.array([0.5, 1.0, 2.0]))
