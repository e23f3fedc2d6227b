"""The ONNX export answers as the model does: for every estimator of both tasks, on every
holdout row (missing values and unseen categories included), run by onnxruntime from the raw
columns as an application would. What it cannot follow is skipped, and a file whose answers
differ is not shipped, each with the reason."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mlproject import cli, portable
from mlproject.predict import Predictor

from .test_fastpath import CASES, fitted


def answers(data: bytes, table: pd.DataFrame) -> dict[str, np.ndarray]:
    """The ONNX file's outputs on ``table``, fed as any application would: one [N, 1] column
    per input, NaN for a missing number, "" for a missing category."""
    import onnxruntime

    session = onnxruntime.InferenceSession(data, providers=["CPUExecutionProvider"])
    feeds = {}
    for given in session.get_inputs():
        column = table[given.name]
        if given.type == "tensor(string)":
            values = ["" if pd.isna(v) else str(v) for v in column]
            feeds[given.name] = np.array(values, dtype=object).reshape(-1, 1)
        else:
            assert given.type == "tensor(double)"
            feeds[given.name] = column.to_numpy(dtype=float).reshape(-1, 1)
    names = [o.name for o in session.get_outputs()]
    return dict(zip(names, session.run(names, feeds), strict=True))


def with_gaps(holdout: pd.DataFrame, predictor: Predictor) -> pd.DataFrame:
    """The holdout with a missing value in every column and an unseen category in each
    categorical column, on rows of their own."""
    table = holdout.copy()
    for i, name in enumerate(predictor.features):
        table[name] = table[name].astype(object)
        table.loc[table.index[3 * i], name] = None
        if name in predictor.schema.categorical:
            table.loc[table.index[3 * i + 1], name] = "never-seen-before"
    return table


@pytest.mark.parametrize(("task", "name"), CASES)
def test_the_onnx_file_answers_as_the_model_on_every_holdout_row(task, name, tmp_path):
    predictors, holdout = fitted(task, name, tmp_path)
    model = predictors["model"]
    table = with_gaps(holdout, model)
    found = portable.export(model, table)
    assert found.shipped and found.rows == len(table), found.reason
    assert found.reason.startswith("model.onnx: the same predictions as the Python model on 400")
    out = answers(found.onnx, table)
    expected = model.predict(table)
    if model.regression:
        assert set(out) == {"value"} and out["value"].shape == (len(table),)
        values = np.array([p.value for p in expected])
        assert np.allclose(out["value"], values, rtol=1e-5, atol=1e-5)
    else:
        assert set(out) == {"label", "probabilities"}
        assert out["probabilities"].shape == (len(table), len(model.classes))
        proba = model.predict_proba(table)  # columns in the order of params' classes
        assert np.abs(out["probabilities"] - proba).max() <= portable.TOLERANCE
        top = np.sort(proba, axis=1)
        clear = top[:, -1] - top[:, -2] > portable.TOLERANCE  # a forest's 0.5/0.5: either
        assert clear.mean() > 0.9
        assert (out["label"][clear] == np.array([p.label for p in expected])[clear]).all()
    assert model.unseen  # the unseen categories were in the rows compared
    for key in ("rule_baseline", "dummy"):  # nothing to convert: said, not faked
        skipped = portable.export(predictors[key], table)
        assert not skipped.shipped and skipped.onnx is None
        assert skipped.reason.startswith("model.onnx skipped: ")
        assert type(predictors[key].model).__name__ in skipped.reason


def test_a_file_that_answers_differently_is_not_shipped(tmp_path, monkeypatch):
    (tmp_path / "a").mkdir(), (tmp_path / "b").mkdir()
    predictors, holdout = fitted("binary", "hist_gradient_boosting", tmp_path / "a")
    other, _ = fitted("binary", "random_forest", tmp_path / "b")
    model = predictors["model"]
    convert = portable.convert
    monkeypatch.setattr(portable, "convert", lambda _: convert(other["model"]))
    found = portable.export(model, holdout)  # another model's file: other labels
    assert not found.shipped and found.onnx is None
    assert "holdout predictions differ from the Python model's" in found.reason
    monkeypatch.setattr(portable, "convert", convert)
    monkeypatch.setattr(portable, "TOLERANCE", 0.0)  # float32 scores are not bit-equal
    found = portable.export(model, holdout)
    assert not found.shipped and found.largest_difference > 0
    assert "its scores differ from the Python model's by up to" in found.reason


def test_what_the_export_cannot_follow_is_skipped_with_the_reason(tmp_path, monkeypatch):
    predictors, holdout = fitted("binary", "hist_gradient_boosting", tmp_path)
    model = predictors["model"]
    schema = {**model.metadata["schema"], "datetime": ["signup"]}
    dated = Predictor(model.model, {**model.metadata, "schema": schema})
    assert portable.export(dated, holdout).reason == \
        "model.onnx skipped: datetime features are not exported"

    import skl2onnx

    def refuse(*args, **kwargs):
        raise RuntimeError("Unable to find a shape calculator for type X\nmore lines")

    monkeypatch.setattr(skl2onnx, "convert_sklearn", refuse)
    assert portable.export(model, holdout).reason == (
        "model.onnx skipped: skl2onnx cannot convert HistGradientBoostingClassifier: Unable "
        "to find a shape calculator for type X")


def test_export_onnx_command(tmp_path, capsys):
    predictors, holdout = fitted("three", "logistic_regression", tmp_path)
    holdout.to_parquet(tmp_path / "holdout.parquet")
    holdout.drop(columns="plan").to_parquet(tmp_path / "no_plan.parquet")
    out = tmp_path / "build" / "model.onnx"
    assert cli.main(["export-onnx", str(tmp_path / "model.skops"), "--holdout",
                     str(tmp_path / "holdout.parquet"), "--out", str(out)]) == 0
    assert "export-onnx: model.onnx: the same predictions" in capsys.readouterr().out
    assert answers(out.read_bytes(), holdout)["label"].tolist() == [
        p.label for p in predictors["model"].predict(holdout)]
    for args, line in (
            ([str(tmp_path / "rule_baseline.skops"), "--holdout", "nowhere.parquet"],
             "model.onnx skipped: RuleClassifier"),
            (["--holdout", str(tmp_path / "nowhere.parquet")], "model.onnx skipped: no holdout"),
            (["--holdout", str(tmp_path / "no_plan.parquet")], "model.onnx skipped: input: "
                                                               "missing column(s): plan")):
        target = tmp_path / "other.onnx"
        argv = args if args[0].endswith(".skops") else [str(tmp_path / "model.skops"), *args]
        assert cli.main(["export-onnx", *argv, "--out", str(target)]) == 1
        err = capsys.readouterr().err
        assert line in err and len(err.strip().splitlines()) == 1, err
        assert not target.exists()
