"""Choose the rule baseline for a new data set: one or two conditions a person could write.

The rule is chosen on the training split only (the holdout judges it later, as it judges the
model), to maximise F1 of the positive class (two classes) or macro F1 (more), as the
``RuleClassifier`` will predict: the rows where every condition holds get their most frequent
class, the other rows theirs. A rule that predicts one class teaches nothing, so both groups
must predict different classes and hold at least ``min_group`` rows.

For a regression target (``best_value_rule``) the rule minimises the mean absolute error of
``RuleRegressor``: each group predicts its training median, so both groups must differ in it.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd

QUANTILES = np.linspace(0.05, 0.95, 19)  # numeric thresholds tried
MAX_PREFIX = 20  # categorical: the 1..20 categories where a class is most frequent
BEAM = 8  # second conditions are tried after the best first conditions
SIMPLER_WITHIN = 0.005  # one condition is kept unless two are better by more than this
SAMPLE_ROWS = 20_000  # plenty to choose a rule of two conditions


@dataclass(frozen=True)
class Choice:
    """The chosen rule (params.yaml's baseline.rule) and its score on the training split (F1,
    or balanced accuracy when that is the objective)."""

    rule: list[dict]
    f1: float
    classes_predicted: int


def best_rule(train: pd.DataFrame, target: str, numeric: list[str], categorical: list[str],
              positive: str | None = None, exclude: Collection[str] = (), seed: int = 0,
              objective: str = "f1") -> Choice:
    """The best rule of one or two conditions on ``train`` (a typed table), never on a column
    in ``exclude`` (leaked or id-like features). ``objective``: ``f1`` (of the positive
    class; macro with several) or ``balanced_accuracy`` (the gate's metric when the positive
    class is the majority)."""
    if len(train) > SAMPLE_ROWS:
        train = train.sample(SAMPLE_ROWS, random_state=seed)
    classes, codes = np.unique(train[target].astype("str").to_numpy(), return_inverse=True)
    pos = list(classes).index(positive) if positive in classes and len(classes) == 2 else None
    conditions, masks = [], []
    for column in [c for c in [*numeric, *categorical] if c not in exclude]:
        for condition, mask in _candidates(train[column], column in categorical, codes,
                                           len(classes)):
            conditions.append({"column": column, **condition})
            masks.append(mask)
    if not masks:
        return Choice([], 0.0, 1)
    matrix = np.array(masks, dtype=bool)  # candidates x rows: 1 byte a cell
    scorer = _Scorer(np.bincount(codes, minlength=len(classes)).astype(float), pos,
                     min_group=max(10, round(0.02 * len(train))),
                     balanced=objective == "balanced_accuracy")
    held = _held(matrix, codes, len(classes))
    f1, valid = scorer(held)
    gain = scorer.gain(held)
    # no rule predicts two classes (a very rare class): the most informative one, for honesty
    best = _pick(f1, valid) if valid.any() else int(np.argmax(gain))
    choice = (f1[best], valid[best], [conditions[best]])
    ranked = np.lexsort((-gain, -np.where(valid, f1, -1)))
    columns = np.array([c["column"] for c in conditions])
    for first in ranked[:BEAM]:
        rows = matrix[first]
        pair_f1, pair_valid = scorer(_held(matrix[:, rows], codes[rows], len(classes)))
        pair_valid &= columns != columns[first]
        second = _pick(pair_f1, pair_valid)
        if pair_valid[second] and (not choice[1] or pair_f1[second] > choice[0] + SIMPLER_WITHIN):
            choice = (pair_f1[second], True, [conditions[first], conditions[second]])
    return Choice(choice[2], round(float(choice[0]), 4), 2 if choice[1] else 1)


def _held(masks: np.ndarray, codes: np.ndarray, n_classes: int) -> np.ndarray:
    """Rows of each class where each candidate holds: (candidates, classes)."""
    return np.stack([np.count_nonzero(masks[:, codes == k], axis=1) for k in range(n_classes)],
                    axis=1).astype(float)


def _pick(f1: np.ndarray, valid: np.ndarray) -> int:
    """Index of the valid candidate with the highest F1 (the first one on a tie)."""
    return int(np.argmax(np.where(valid, f1, -1)))


class _Scorer:
    """F1 of many candidate rules at once, from the class counts of their holding groups."""

    def __init__(self, total: np.ndarray, positive: int | None, min_group: int,
                 balanced: bool = False) -> None:
        self.total = total  # rows per class
        self.positive, self.min_group, self.balanced = positive, min_group, balanced

    def __call__(self, held: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(F1, valid) per candidate; valid: two classes predicted, both groups big enough."""
        rest = self.total - held
        prior = int(np.argmax(self.total))
        size_held, size_rest = held.sum(axis=1), rest.sum(axis=1)
        # RuleClassifier: each group predicts its most frequent class, an empty one the prior's
        a = np.where(size_held > 0, held.argmax(axis=1), prior)
        b = np.where(size_rest > 0, rest.argmax(axis=1), prior)
        k = np.arange(len(self.total))
        tp = held * (a[:, None] == k) + rest * (b[:, None] == k)
        predicted = size_held[:, None] * (a[:, None] == k) + size_rest[:, None] * (b[:, None] == k)
        with np.errstate(invalid="ignore", divide="ignore"):
            per_class = np.nan_to_num(2 * tp / (predicted + self.total))
        if self.balanced:  # the mean recall of the classes
            f1 = (tp / np.maximum(self.total, 1)).mean(axis=1)
        elif self.positive is not None:
            f1 = per_class[:, self.positive]
        else:
            f1 = per_class.mean(axis=1)
        valid = (a != b) & (np.minimum(size_held, size_rest) >= self.min_group)
        return f1, valid

    def gain(self, held: np.ndarray) -> np.ndarray:
        """Information gain of each split: ranks first conditions when F1 cannot."""
        def entropy(counts: np.ndarray) -> np.ndarray:
            p = counts / np.maximum(counts.sum(axis=-1, keepdims=True), 1)
            return -(np.where(p > 0, p * np.log2(np.where(p > 0, p, 1)), 0)).sum(axis=-1)

        rest, n = self.total - held, self.total.sum()
        return entropy(self.total) - (held.sum(axis=1) / n * entropy(held)
                                      + rest.sum(axis=1) / n * entropy(rest))


def _candidates(values: pd.Series, categorical: bool, codes: np.ndarray, n_classes: int
                ) -> Iterator[tuple[dict, np.ndarray]]:
    """(condition, rows where it holds) pairs, with RuleClassifier's semantics: a missing
    value never holds."""
    if not categorical:
        numbers = values.to_numpy(dtype="float64", na_value=np.nan)
        finite = numbers[np.isfinite(numbers)]
        if not len(finite):
            return
        for q in sorted({_plain(v) for v in np.quantile(finite, QUANTILES)}):
            with np.errstate(invalid="ignore"):
                yield {"op": ">=", "value": q}, numbers >= q
                yield {"op": "<", "value": q}, numbers < q
        return
    groups, names = pd.factorize(values.astype("object"))  # a missing value is -1
    present = groups >= 0
    if len(names) < 2:
        return
    counts = np.zeros((len(names), n_classes))
    np.add.at(counts, (groups[present], codes[present]), 1)
    prior = np.bincount(codes, minlength=n_classes) / len(codes)
    share = (counts + 10 * prior) / (counts.sum(axis=1, keepdims=True) + 10)  # smoothed
    for c in range(n_classes):
        order = np.argsort(-share[:, c], kind="stable")
        for size in range(1, min(len(order) - 1, MAX_PREFIX) + 1):
            chosen = np.zeros(len(names) + 1, dtype=bool)  # the last slot: missing values
            chosen[order[:size]] = True
            yield ({"op": "in", "value": sorted(str(names[i]) for i in order[:size])},
                   chosen[groups])


def _plain(value: float) -> float | int:
    return int(value) if float(value).is_integer() else round(float(value), 6)


@dataclass(frozen=True)
class ValueChoice:
    """The chosen rule of a regression target and its MAE on the training split."""

    rule: list[dict]
    mae: float
    groups: int  # 2 when the rule's groups predict different values


def best_value_rule(train: pd.DataFrame, target: str, numeric: list[str],
                    categorical: list[str], exclude: Collection[str] = (), seed: int = 0
                    ) -> ValueChoice:
    """The rule of one or two conditions whose groups' training medians predict ``target``
    with the least mean absolute error on ``train``, never on a column in ``exclude``."""
    if len(train) > SAMPLE_ROWS:
        train = train.sample(SAMPLE_ROWS, random_state=seed)
    y = train[target].to_numpy(dtype=float)
    # categories are ordered by their median target: a prefix is "the expensive ones"
    codes = np.digitize(y, np.quantile(y, [0.5]))  # 0: the low half, 1: the high half
    conditions, masks = [], []
    for column in [c for c in [*numeric, *categorical] if c not in exclude]:
        for condition, mask in _candidates(train[column], column in categorical, codes, 2):
            conditions.append({"column": column, **condition})
            masks.append(mask)
    overall = float(np.mean(np.abs(y - np.median(y))))
    if not masks:
        return ValueChoice([], round(overall, 6), 1)
    min_group = max(10, round(0.02 * len(train)))
    matrix = np.array(masks, dtype=bool)
    errors, valid = _split_errors(matrix, y, min_group)
    best = int(np.argmin(np.where(valid, errors, np.inf))) if valid.any() else 0
    choice = (errors[best], bool(valid[best]), [conditions[best]])
    columns = np.array([c["column"] for c in conditions])
    for first in np.argsort(np.where(valid, errors, np.inf), kind="stable")[:BEAM]:
        if not valid[first]:
            break
        pair, pair_valid = _split_errors(matrix & matrix[first], y, min_group)
        pair_valid &= columns != columns[first]
        if not pair_valid.any():
            continue
        second = int(np.argmin(np.where(pair_valid, pair, np.inf)))
        if pair[second] < choice[0] * (1 - SIMPLER_WITHIN):
            choice = (pair[second], True, [conditions[first], conditions[second]])
    if not choice[1]:
        return ValueChoice(choice[2], round(overall, 6), 1)
    return ValueChoice(choice[2], round(float(choice[0]), 6), 2)


def _split_errors(masks: np.ndarray, y: np.ndarray, min_group: int
                  ) -> tuple[np.ndarray, np.ndarray]:
    """(MAE, valid) per candidate when each group predicts its median; valid: both groups
    hold ``min_group`` rows and their medians differ."""
    errors = np.full(len(masks), np.inf)
    valid = np.zeros(len(masks), dtype=bool)
    for i, held in enumerate(masks):
        inside, outside = y[held], y[~held]
        if min(len(inside), len(outside)) < min_group:
            continue
        a, b = np.median(inside), np.median(outside)
        errors[i] = (np.abs(inside - a).sum() + np.abs(outside - b).sum()) / len(y)
        valid[i] = a != b
    return errors, valid
