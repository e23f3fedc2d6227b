"""Leakage and sanity warnings: planted problems are found, honest features are left alone."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mlproject import leakage


def table(rows: int = 2000, seed: int = 0, classes: int = 2) -> pd.DataFrame:
    """An honest table (a noisy signal, a date, many small categories) plus planted problems."""
    rng = np.random.default_rng(seed)
    signal = rng.normal(size=rows)
    noisy = signal + rng.normal(size=rows)
    cuts = np.quantile(noisy, np.linspace(0, 1, classes + 1)[1:-1])
    y = np.array(["bronze", "silver", "gold", "platinum"])[np.searchsorted(cuts, noisy)]
    df = pd.DataFrame({
        "signal": signal,
        "with_blanks": np.where(rng.random(rows) < 0.2, np.nan, signal),
        "signup_days": 18_000.0 + rng.permutation(rows),  # distinct by nature: a date
        # whole numbers, (nearly) all distinct, spread wide: measurements, not counters
        "income": rng.choice(np.arange(15_000, 400_000), rows, replace=False).astype(float),
        "age_days": rng.integers(1, 40 * rows, rows).astype(float),
        "city": rng.choice([f"city_{i}" for i in range(300)], rows),
        "plan": rng.choice(["basic", "pro"], rows),
        "after_outcome": np.searchsorted(cuts, noisy) * 10 + rng.normal(0, 1, rows),
        "label_copy": np.array(["L1", "L2", "L3", "L4"])[np.searchsorted(cuts, noisy)],
        "row_number": np.arange(rows, dtype=float),
        "order_ref": [f"R-{i:05d}" for i in rng.permutation(rows)],
        "customer_id": rng.integers(0, rows // 1.5, rows).astype(float),
        "target": y})
    return df


NUMERIC = ["signal", "with_blanks", "signup_days", "income", "age_days", "after_outcome",
           "row_number", "customer_id"]
CATEGORICAL = ["city", "plan", "label_copy", "order_ref"]


@pytest.mark.parametrize("classes", [2, 3])
def test_planted_problems_are_found_and_honest_features_are_not(classes):
    """Exactly the planted columns are flagged, each with the right kind."""
    findings = leakage.scan(table(classes=classes), "target", NUMERIC, CATEGORICAL,
                            datetime=["signup_days"])
    assert {(f.column, f.kind) for f in findings} == {
        ("after_outcome", "leak"), ("label_copy", "target_copy"), ("row_number", "id_like"),
        ("order_ref", "id_like"), ("customer_id", "id_like")}


@pytest.mark.parametrize(("column", "kind", "words"), [
    ("after_outcome", "leak", "alone predicts the target with ROC AUC 1.000"),
    ("label_copy", "target_copy", "is the target under another name"),
    ("order_ref", "id_like", "looks like an identifier (100% of its values are distinct)"),
])
def test_each_warning_is_one_line_naming_the_column(column, kind, words):
    [finding] = [f for f in leakage.scan(table(), "target", NUMERIC, CATEGORICAL,
                                         datetime=["signup_days"]) if f.column == column]
    assert finding.kind == kind and words in str(finding) and f"{column!r}" in str(finding)
    assert "\n" not in str(finding)


def test_a_numeric_copy_of_a_yes_no_target_is_a_copy():
    """1/0 beside Yes/No is the same information: a copy, not just a strong feature."""
    rng = np.random.default_rng(3)
    y = rng.choice(["Yes", "No"], 500)
    df = pd.DataFrame({"flag": np.where(y == "Yes", 1.0, 0.0), "x": rng.normal(size=500),
                       "y": y})
    assert [(f.column, f.kind) for f in leakage.scan(df, "y", ["flag", "x"], [])] == [
        ("flag", "target_copy")]


def test_many_small_categories_cannot_fake_a_leak():
    """Scored out of fold: 900 categories of two rows each predict nothing."""
    rng = np.random.default_rng(4)
    df = pd.DataFrame({"shop": np.repeat([f"s{i}" for i in range(900)], 2),
                       "y": rng.choice(["a", "b"], 1800)})
    assert leakage.single_feature_auc(df["shop"], (df["y"] == "b").to_numpy().astype(int), 2,
                                      categorical=True) < 0.6
    assert leakage.scan(df, "y", [], ["shop"]) == []


def test_a_perfect_threshold_scores_exactly_one():
    x = pd.Series(np.linspace(0, 1, 400))
    assert leakage.single_feature_auc(x, (x > 0.37).to_numpy().astype(int), 2, False) == 1.0


def test_large_tables_are_sampled():
    """At most max_rows rows are scored, so the scan stays fast on a million rows."""
    df = table(rows=3000)
    small = leakage.scan(df, "target", NUMERIC, CATEGORICAL, datetime=["signup_days"],
                         max_rows=1000)
    assert {f.column for f in small} >= {"after_outcome", "label_copy"}
