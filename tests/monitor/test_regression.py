"""Monitoring a regression model: its predictions are logged (the predicted value as the
score), drift of features and of predicted values is found like a classifier's, and true
values judge its mean absolute error against the holdout's, with an interval."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mlproject.config import parse_params
from mlproject.errors import PipelineError
from mlproject.monitor import check, reference, settings
from mlproject.monitor.log import PredictionLog, fields
from mlproject.monitor.settings import Log
from mlproject.monitor.simulate import apply_shift
from mlproject.predict import Predictor
from mlproject.stages import prepare, split, train

from ..fixture_data import regression_params, regression_rows, typed_regression_table

S = settings.parse(None)


@pytest.fixture(scope="module")
def model(tmp_path_factory) -> tuple[Path, Predictor, pd.DataFrame]:
    """A regression model on the linear generated data, its reference from 3,000 new rows,
    and a pool of 20,000 more to play production."""
    out = tmp_path_factory.mktemp("spend-monitor")
    params = parse_params(regression_params())
    regression_rows(1500, seed=8).to_csv(out / "spend.csv", index=False)
    prepare.main(params, out / "spend.csv", None, out / "prepared", out / "validation.json")
    split.main(params, out / "prepared" / "train.parquet", out / "split")
    train.main(params, out / "split", out / "models")
    predictor = Predictor.load(out / "models" / "model.skops")
    profile = reference.profile(pd.read_parquet(out / "split" / "train.parquet"),
                                typed_regression_table(3000, seed=31), predictor, "spend",
                                None)
    reference.write(out / "reference.json", profile)
    return out, predictor, typed_regression_table(20_000, seed=32)


def window(d: Path, model, n: int = 2000, seed: int = 0, shift: str | None = None,
           error: float = 0.0, labels: bool = True) -> dict:
    """Log n predictions of pool rows (``shift``: simulate-traffic's syntax, on all rows); the
    true values get ``error`` x their spread of extra noise. Return the check's result."""
    root, predictor, pool = model
    rng = np.random.default_rng(seed)
    rows = pool.iloc[rng.integers(0, len(pool), n)].reset_index(drop=True)
    features = apply_shift(rows[predictor.features], [shift] if shift else [],
                           np.ones(n, dtype=bool), predictor.metadata["schema"])
    log = PredictionLog.open(d / "logs", predictor, Log(idle_seconds=60))
    for start in range(0, n, 50):
        frame, predictions = predictor.predict_frame(features.iloc[start:start + 50])
        log.put(f"q{seed}-{start}", frame, *fields(predictions), 1.0)
    log.close()
    truth = rows["spend"].to_numpy(dtype=float)
    truth = truth + error * truth.std() * rng.standard_normal(n)
    pd.DataFrame({"request_id": [f"q{seed}-{i - i % 50}" for i in range(n)],
                  "record": [i % 50 for i in range(n)], "label": truth}).to_csv(
        d / "labels.csv", index=False)
    quality = replace(S.quality, metric="mae", max_drop=1.0)
    return check.run(replace(S, quality=quality), d / "logs", d / "out",
                     labels=d / "labels.csv" if labels else None,
                     reference_path=root / "reference.json")


def test_the_log_holds_values_without_labels(tmp_path, model):
    import pyarrow.parquet as pq

    window(tmp_path, model, n=100, labels=False)
    table = pq.read_table(next((tmp_path / "logs").glob("*.parquet"))).to_pandas()
    assert table["label"].isna().all() and table["above_threshold"].all()
    assert table["score"].between(-1e6, 1e6).all() and table["score"].nunique() > 10


def test_an_unchanged_window_is_normal_and_its_error_holds(tmp_path, model):
    result = window(tmp_path, model, seed=1)
    assert result["status"] == "normal", result["alarms"]
    q = result["quality"]
    assert q["metric"] == "mae" and q["matched"] == 2000 and q["dropped"] is False
    assert q["interval"][0] < 0 < q["interval"][1] or abs(q["change"]) < 1.0
    report = (tmp_path / "out" / "report.md").read_text()
    assert "predicted value (holdout SDs)" in report and "an error grew" in report


def test_a_shifted_feature_moves_the_predicted_values(tmp_path, model):
    result = window(tmp_path, model, seed=2, shift="tenure=+1sd", labels=False)
    kinds = {(a["kind"], a["name"]) for a in result["alarms"]}
    assert ("features", "tenure") in kinds and ("predictions", "predictions") in kinds, kinds
    assert result["predictions"]["value"]["moved"] and result["retrain"]


def test_noisier_truth_is_a_quality_drop(tmp_path, model):
    result = window(tmp_path, model, seed=3, error=0.5)
    q = result["quality"]
    assert q["dropped"] and q["change"] > 1.0 and q["interval"][0] > 1.0, q
    assert ("quality", "mae") in {(a["kind"], a["name"]) for a in result["alarms"]}


def test_labels_that_are_not_numbers_are_one_line(tmp_path, model):
    window(tmp_path, model, n=200, seed=4, labels=False)
    pd.DataFrame({"request_id": ["q4-0"], "record": [0], "label": ["lots"]}).to_csv(
        tmp_path / "bad.csv", index=False)
    with pytest.raises(PipelineError, match=r"label\(s\) 'lots' are not finite numbers"):
        check.run(S, tmp_path / "logs", tmp_path / "o", labels=tmp_path / "bad.csv",
                  reference_path=model[0] / "reference.json")
    with pytest.raises(PipelineError, match="monitor.quality.metric: accuracy is not a metric "
                                            "of a regression model; choose one of mae"):
        check.run(S, tmp_path / "logs", tmp_path / "o", labels=tmp_path / "labels.csv",
                  reference_path=model[0] / "reference.json")
    assert json.loads((model[0] / "reference.json").read_text())["quality"]["mae"]["rows"] == 3000


def test_an_error_tolerance_is_in_the_targets_units():
    """max_drop of mae is in the target's units (init-data sets the gate's); a share's is
    below 1."""
    assert settings.parse({"quality": {"metric": "mae", "max_drop": 3.5}}).quality.max_drop == 3.5
    with pytest.raises(PipelineError, match="monitor.quality.max_drop: must be between 0 and 1"):
        settings.parse({"quality": {"metric": "within_tolerance", "max_drop": 3.5}})
    with pytest.raises(PipelineError, match="monitor.quality.max_drop: must be more than 0"):
        settings.parse({"quality": {"metric": "mae", "max_drop": 0}})
