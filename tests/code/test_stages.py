"""Each stage's pure core on tiny in-memory tables."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from mlproject import metrics, schema
from mlproject.config import ROW_KEY, Model
from mlproject.errors import PipelineError
from mlproject.estimators import ESTIMATORS
from mlproject.stages import prepare, split, train


def raw_rows(params, rows, first_line=1):
    df = pd.DataFrame(rows, columns=params.data.reader.columns, dtype=object)
    return df.assign(**{ROW_KEY: range(first_line, first_line + len(df))})


def test_prepare_types_columns_and_maps_labels(params):
    """Numbers become float64, a label's trailing mark goes (data.target.strip), missing
    values stay missing."""
    from dataclasses import replace

    p = replace(params, data=replace(params.data, target=replace(params.data.target, strip=".")))
    raw = raw_rows(p, [["C1", "12", "40.5", np.nan, "east", "pro", "city-01", "yes."]])
    out = prepare.prepare(raw, p, "churn.csv")
    assert out["tenure"].dtype == "float64" and out["tenure"].iloc[0] == 12.0
    assert out["churned"].iloc[0] == "yes"
    assert pd.isna(out["usage"].iloc[0])


def test_prepare_names_the_line_of_a_non_number(params):
    raw = raw_rows(params, [["C1", "12"] + ["x"] * 6, ["C2", "twelve"] + ["x"] * 6],
                   first_line=2)
    with pytest.raises(PipelineError, match=r"churn.csv: column 'tenure': 1 value\(s\) are "
                                            r"not numbers \(line 3: 'twelve'\)"):
        prepare.prepare(raw, params, "data/churn.csv")


def test_split_is_stratified_seeded_and_disjoint(params, table):
    """No row in both parts; class shares match; the same seed gives the same split."""
    table = pd.concat([table, table.head(5)], ignore_index=True)  # duplicates get dropped
    a_train, a_val = split.split(table, params)
    b_train, _ = split.split(table, params)
    assert a_train.index.equals(b_train.index)
    assert not set(a_train.index) & set(a_val.index)
    both = pd.concat([a_train, a_val])
    assert not both.duplicated().any()
    share = (a_train["churned"] == "yes").mean() - (a_val["churned"] == "yes").mean()
    assert abs(share) < 0.1


@pytest.mark.parametrize("name", [n for n, spec in ESTIMATORS.items() if spec.classifier])
def test_every_estimator_trains_from_params(params, table, name):
    """Swapping the model is a params change: each named estimator fits and predicts."""
    from dataclasses import replace

    p = replace(params, train=replace(params.train, model=Model(name, {})))
    model = train.train(table, p)
    assert model.predict_proba(table[p.features]).shape == (len(table), 2)


def test_baselines_fit(params, table):
    fitted = train.baselines(table, params)
    assert set(fitted) == {"rule_baseline", "dummy"}
    rule = fitted["rule_baseline"]
    assert rule.predict(table[params.features]).shape == (len(table),)


def test_quality_metrics_on_a_known_case():
    y = np.array(["a", "b", "b", "a"], dtype=object)
    proba = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.7, 0.3]])
    q = metrics.quality(y, proba, ["a", "b"], "b")
    assert q["accuracy"] == 0.75 and q["recall"] == 0.5 and q["precision"] == 1.0
    assert q["roc_auc"] == 1.0
    assert q["brier"] == pytest.approx(np.mean([0.01, 0.04, 0.36, 0.09]))
    p = metrics.product(y, proba, ["a", "b"], 0.75)
    assert p["coverage"] == 0.5 and p["precision_when_shown"] == 1.0


def test_multiclass_metrics_have_top_k():
    y = np.array(["a", "b", "c", "a"], dtype=object)
    proba = np.array([[0.5, 0.3, 0.2], [0.1, 0.6, 0.3], [0.4, 0.4, 0.2], [0.2, 0.3, 0.5]])
    assert "roc_auc" in metrics.quality(y, proba, ["a", "b", "c"], None)
    assert metrics.product(y, proba, ["a", "b", "c"], 0.5)["top_2_accuracy"] == 0.5
    assert len(metrics.curves(y, proba, ["a", "b", "c"], None)["roc"]) == 21
    per_class = metrics.per_class(y, proba, ["a", "b", "c"])
    assert per_class["a"] == {"precision": 0.5, "recall": 0.5, "f1": 0.5, "rows": 2}


def test_schema_rejects_unseen_category_in_training(params):
    from ..conftest import tiny_table

    table = tiny_table(rows=150)
    table.loc[3, "plan"] = "platinum"
    checks = schema.data_schema(params.schema, params.data.target)
    with pytest.raises(PipelineError, match=r"column 'plan': 1 row\(s\) fail isin.*line 4"):
        schema.validate(table.assign(**{ROW_KEY: range(1, 151)}), checks, "churn.csv")


def test_a_slice_missing_a_class_reports_no_auc_and_writes_valid_json(tmp_path):
    """Three classes; the rows whose slice value is missing hold two of them: ROC AUC there is
    undefined, so it is left out (not NaN, which no JSON file can hold)."""
    from mlproject import storage

    y = np.array(["a", "b", "c", "a", "b", "c", "a", "b"])
    proba = np.array([[.8, .1, .1], [.1, .8, .1], [.1, .1, .8], [.6, .3, .1],
                      [.3, .6, .1], [.2, .2, .6], [.7, .2, .1], [.2, .1, .7]])
    frame = pd.DataFrame({"line": pd.array(["L1"] * 6 + [None, None], dtype="str")})
    with warnings.catch_warnings():  # nor a warning that a class was predicted, not present
        warnings.simplefilter("error")
        found = metrics.slices(frame, y, proba, ["a", "b", "c"], None, ["line"])
    assert "roc_auc" in found["line=L1"] and "roc_auc" not in found["line=(missing)"]
    assert found["line=(missing)"]["classes"] == {"a": 1, "b": 1, "c": 0}
    storage.write_json(tmp_path / "slices.json", found)  # allow_nan=False: would raise on NaN
