"""The rule baselines are real scikit-learn estimators."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from mlproject.rule_model import RuleClassifier, RuleRegressor


@parametrize_with_checks([RuleClassifier(), RuleClassifier(conditions=[(0, ">", 0.0)]),
                          RuleRegressor(), RuleRegressor(conditions=[(0, ">", 0.0)])])
def test_sklearn_estimator_checks(estimator, check):
    """RuleClassifier and RuleRegressor pass scikit-learn's common estimator checks."""
    check(estimator)


def test_rule_groups_and_scores():
    """Rows where every condition holds score the positive rate of that group."""
    X = pd.DataFrame({"edu": [16, 16, 16, 9, 9, 9, 9, 16],
                      "status": ["m", "m", "m", "s", "s", "m", None, "s"]})
    y = np.array(["hi", "hi", "lo", "lo", "lo", "lo", "lo", "lo"], dtype=object)
    model = RuleClassifier([("edu", ">=", 13), ("status", "in", ["m"])]).fit(X, y)
    assert list(model.classes_) == ["hi", "lo"]
    proba = model.predict_proba(X)
    assert proba[0].tolist() == pytest.approx([2 / 3, 1 / 3])  # group where the rule holds
    assert proba[3].tolist() == pytest.approx([0.0, 1.0])
    assert model.predict(X)[:3].tolist() == ["hi", "hi", "hi"]


def test_missing_values_never_satisfy_a_condition():
    """A missing value puts the row in the 'rule does not hold' group."""
    X = pd.DataFrame({"a": [1.0, np.nan], "b": ["x", None]})
    model = RuleClassifier([("a", ">", 0), ("b", "not_in", ["y"])]).fit(X, ["p", "n"])
    assert model._holds(X.to_numpy(dtype=object)).tolist() == [True, False]


def test_unknown_column_is_a_clear_error():
    with pytest.raises(ValueError, match="rule column 'zzz' is not among the input columns"):
        RuleClassifier([("zzz", ">", 1)]).fit(pd.DataFrame({"a": [1, 2]}), [0, 1])


def test_rule_regressor_predicts_each_groups_median():
    """Rows where every condition holds get their group's training median; an empty group
    gets the median of all rows."""
    X = pd.DataFrame({"rooms": [1, 2, 3, 4, 5, 6], "city": ["a", "a", "b", "b", "b", None]})
    y = np.array([10.0, 12.0, 30.0, 31.0, 100.0, 40.0])
    model = RuleRegressor([("rooms", ">=", 3), ("city", "==", "b")]).fit(X, y)
    assert model.predict(X).tolist() == [12.0, 12.0, 31.0, 31.0, 31.0, 12.0]
    nobody = RuleRegressor([("rooms", ">", 99)]).fit(X, y)
    assert nobody.group_value_.tolist() == [float(np.median(y))] * 2
