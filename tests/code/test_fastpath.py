"""The fast path gives the pipeline's answers: every holdout row, one record at a time and as
a table (the compiled preprocessing instead of the ColumnTransformer), for every estimator of
both tasks and for the rule baseline and the dummy (which take the usual path), and anything
unusual takes the usual path and its errors."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from mlproject import artifact
from mlproject.config import Model, parse_params
from mlproject.errors import PipelineError
from mlproject.estimators import ESTIMATORS
from mlproject.predict import Predictor
from mlproject.stages.train import baselines, train

from ..fixture_data import (
    RECORD,
    THREE,
    generated_params,
    regression_params,
    typed_regression_table,
    typed_table,
)

CASES = [(task, name) for task in ("binary", "three", "regression")
         for name, spec in ESTIMATORS.items()
         if (spec.regressor if task == "regression" else spec.classifier)]


def fitted(task: str, name: str, tmp_path) -> tuple[dict[str, Predictor], pd.DataFrame]:
    if task == "regression":
        raw, rows, holdout = (regression_params(), typed_regression_table(800, 1),
                              typed_regression_table(400, 2))
    else:
        classes = THREE if task == "three" else ["no", "yes"]
        raw, rows, holdout = (generated_params(classes), typed_table(800, 1, classes),
                              typed_table(400, 2, classes))
    params = parse_params(raw)
    params = replace(params, train=replace(params.train, model=Model(name, {})))
    rows.to_parquet(tmp_path / "train.parquet")
    models = {"model": train(rows, params), **baselines(rows, params)}
    out = {}
    for key, model in models.items():
        artifact.save_model(model, tmp_path / f"{key}.skops",
                            artifact.metadata_for(params, key, tmp_path / "train.parquet"))
        out[key] = Predictor.load(tmp_path / f"{key}.skops")
    return out, holdout


def records(holdout: pd.DataFrame, features: list[str]) -> list[dict]:
    table = holdout[features].astype(object).where(holdout[features].notna(), None)
    return table.to_dict("records")


@pytest.mark.parametrize(("task", "name"), CASES)
def test_one_record_at_a_time_equals_the_pipeline_on_the_whole_holdout(task, name, tmp_path):
    predictors, holdout = fitted(task, name, tmp_path)
    for key, predictor in predictors.items():
        rows = records(holdout, predictor.features)
        usual = predictor.predict(holdout[predictor.features])  # a table: the table path
        fast = [predictor.predict([r])[0] for r in rows]
        # and the pipeline itself, its ColumnTransformer included
        frame = predictor.frame(holdout[predictor.features])
        if predictor.regression:
            pipeline = predictor.model.predict(frame)
            assert np.allclose(pipeline, [a.value for a in usual], rtol=0, atol=1e-6)
        else:
            pipeline = predictor.model.predict_proba(frame)
            pipeline = pipeline if predictor._order is None else pipeline[:, predictor._order]
            assert [predictor.classes[i] for i in pipeline.argmax(axis=1)] == [
                a.label for a in usual]
            assert np.abs(pipeline.max(axis=1) - [a.score for a in usual]).max() <= 1e-6
        if key == "model":  # the fast path served it, not the usual one
            assert predictor._plan not in (None, False), name
            plan, hgb = predictor._plan, name == "hist_gradient_boosting"
            assert (plan.forest is not None) == hgb and (plan.trees is not None) == hgb
            if hgb:  # the tree predictors called directly: scikit-learn's very sums
                X = plan.table_matrix(frame)
                assert np.array_equal(plan.trees.raw(X), plan.estimator._raw_predict(X))
                assert plan.taker(9) is plan.trees and plan.taker(101) is plan.estimator
        if predictor.regression:
            assert np.allclose([a.value for a in fast], [a.value for a in usual],
                               rtol=0, atol=1e-6)
        else:
            assert [a.label for a in fast] == [a.label for a in usual]
            assert np.abs(np.array([a.score for a in fast])
                          - np.array([a.score for a in usual])).max() <= 1e-6
        batch = predictor.predict(rows[:100])  # a hundred records at once, the same
        assert [repr(a) for a in batch] == [repr(a) for a in fast[:100]]


def test_unusual_values_take_the_usual_path_and_its_errors(tmp_path):
    predictors, _ = fitted("binary", "hist_gradient_boosting", tmp_path)
    model = predictors["model"]
    base = model.predict([RECORD])[0]
    assert model.predict([{**RECORD, "tenure": "24"}])[0] == base  # text: converted as usual
    assert model.predict([{**RECORD, "tenure": 24}])[0] == base  # an int
    assert model.predict([{**RECORD, "extra": "ignored"}])[0] == base
    before = model.unseen["plan"]
    model.predict([{**RECORD, "plan": "platinum"}])
    assert model.unseen["plan"] == before + 1
    for bad, message in ((True, "not a finite number"), (float("inf"), "not a finite number"),
                         (-5.0, "not a finite number in \\[0.0, 120.0\\]")):
        with pytest.raises(PipelineError, match=message):
            model.predict([{**RECORD, "tenure": bad}])
    with pytest.raises(PipelineError, match="missing column\\(s\\): tenure"):
        model.predict([{k: v for k, v in RECORD.items() if k != "tenure"}])
    with pytest.raises(PipelineError, match="a category is text or a number, not dict"):
        model.predict([{**RECORD, "plan": {"x": 1}}])


def test_a_model_with_a_date_feature_takes_the_usual_path(tmp_path):
    """No plan for date features; compiling says so instead of failing on the schema."""
    from mlproject.fastpath import Plan

    predictors, _ = fitted("binary", "hist_gradient_boosting", tmp_path)
    predictor = predictors["model"]
    schema = replace(predictor.schema, datetime=["signup"])
    assert Plan.compile(predictor.model, [*predictor.features, "signup"], schema) is None
