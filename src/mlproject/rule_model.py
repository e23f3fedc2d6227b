"""The rule baseline: a scikit-learn estimator whose rule is written in params.yaml.

The rule splits rows in two groups: those where every condition holds, and the rest. ``fit``
only learns a summary of each group, and the rule itself never changes: RuleClassifier learns
how often each class occurs in each group (so its scores are honest frequencies),
RuleRegressor the median of the target in each group (what a person would write down). Both
pass ``sklearn.utils.estimator_checks``, so they can stand wherever a model stands (the
prediction API, the evaluation, the registry).
"""

from __future__ import annotations

import operator

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

OPERATORS = {
    "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
    "==": operator.eq, "!=": operator.ne,
}


class _Rule(BaseEstimator):
    """The two groups of a rule: rows where every condition holds, and the rest."""

    def __init__(self, conditions=()):
        self.conditions = conditions

    def _holds(self, X: np.ndarray) -> np.ndarray:
        """Boolean mask of rows where every condition holds (missing values never hold)."""
        mask = np.ones(X.shape[0], dtype=bool)
        for column, op, value in self.conditions:
            values = pd.Series(X[:, self._position(column)])
            if op in ("in", "not_in"):
                hit = values.isin(list(value)).to_numpy()
                hit = hit if op == "in" else ~hit & values.notna().to_numpy()
            elif op in OPERATORS:
                numbers = pd.to_numeric(values, errors="coerce") if _is_number(value) else values
                hit = OPERATORS[op](numbers, value).fillna(False).to_numpy(dtype=bool)
            else:
                raise ValueError(f"unknown operator {op!r}; choose one of "
                                 f"{', '.join([*OPERATORS, 'in', 'not_in'])}")
            mask &= hit
        return mask

    def _position(self, column) -> int:
        if isinstance(column, str):
            names = list(getattr(self, "feature_names_in_", []))
            if column not in names:
                raise ValueError(f"rule column {column!r} is not among the input columns")
            return names.index(column)
        if not 0 <= int(column) < self.n_features_in_:
            raise ValueError(f"rule column {column} is out of range")
        return int(column)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.string = True  # rules compare categories as text
        return tags


class RuleClassifier(ClassifierMixin, _Rule):
    """Classify by a fixed rule: ``conditions`` is a sequence of (column, op, value).

    ``column`` is a name (for DataFrames) or a position. ``op`` is one of ``<, <=, >, >=,
    ==, !=, in, not_in``. With no conditions every row is in one group (a prior classifier).
    """

    def fit(self, X, y):
        X, y = validate_data(self, X, y, dtype=None, ensure_all_finite=False, reset=True)
        check_classification_targets(y)
        self.classes_, encoded = np.unique(y, return_inverse=True)
        holds = self._holds(X)
        counts = np.zeros((2, len(self.classes_)))
        np.add.at(counts, (holds.astype(int), encoded), 1)
        prior = counts.sum(axis=0) / counts.sum()
        # A group with no training rows scores like the whole training set.
        self.group_proba_ = np.array([
            row / row.sum() if row.sum() else prior for row in counts])
        return self

    def predict_proba(self, X):
        check_is_fitted(self)
        X = validate_data(self, X, dtype=None, ensure_all_finite=False, reset=False)
        return self.group_proba_[self._holds(X).astype(int)]

    def predict(self, X):
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.poor_score = True  # a hand-written rule is not meant to be good
        return tags


class RuleRegressor(RegressorMixin, _Rule):
    """Predict the training median of the target in the rule's group: ``conditions`` as in
    RuleClassifier. A group with no training rows predicts the median of all rows."""

    def fit(self, X, y):
        X, y = validate_data(self, X, y, dtype=None, ensure_all_finite=False, reset=True,
                             y_numeric=True)
        y = np.asarray(y, dtype=float)
        holds = self._holds(X)
        overall = float(np.median(y))
        self.group_value_ = np.array([float(np.median(y[holds == g])) if (holds == g).any()
                                      else overall for g in (False, True)])
        return self

    def predict(self, X):
        check_is_fitted(self)
        X = validate_data(self, X, dtype=None, ensure_all_finite=False, reset=False)
        return self.group_value_[self._holds(X).astype(int)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.regressor_tags.poor_score = True
        return tags


def _is_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
