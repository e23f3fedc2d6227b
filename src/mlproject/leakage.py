"""Leakage and sanity warnings about the features of a typed training table.

    findings = leakage.scan(train, "churned", numeric=["tenure"], categorical=["plan"])
    for finding in findings:
        print(f"warning: {finding}")

Three things make a model look better than it will ever be, or learn nothing useful:

- ``target_copy``: a feature that is the target under another name (one value per class; a
  regression: the target's values, or a straight line of them);
- ``leak``: a feature that alone predicts the target almost perfectly (single-feature ROC AUC
  >= ``LEAK_AUC`` on the training rows, a regression's R² >= ``LEAK_R2``, scored out of fold
  so many small categories cannot fake it); usually a value known only after the outcome;
- ``id_like``: an identifier kept as a feature (nearly all values distinct texts, or distinct
  whole numbers that fill most of their range as a counter does, or an id-like name with
  mostly distinct values): a model can only memorise it. Distinct whole numbers spread over a
  wide range (incomes, ages in days) are measurements, not counters, and are left alone.

The scan only reports; what to drop is the person's decision. It needs numpy, pandas and
scipy, and scores at most ``max_rows`` rows (a seeded sample): about a second for 30 features.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from scipy.stats import rankdata

LEAK_AUC = 0.99
LEAK_R2 = 0.99
ID_SHARE = 0.95  # an identifier: at least this share of its values are distinct ...
ID_NAME_SHARE = 0.5  # ... or this share, when the name says so (customer_id, orderID, uuid)
ID_NAME = re.compile(r"(?i)(^|[_\W])(id|uuid|guid)$|^(uuid|guid)|[a-z0-9](Id|ID)$")
MIN_VALUES = 20  # fewer values than this say nothing about being an identifier
ID_DENSITY = 0.5  # distinct whole numbers that fill at least this share of their range count
BINS = 64  # a numeric feature is scored per quantile bin (plus its raw order, for two classes)
FOLDS = 3


@dataclass(frozen=True)
class Finding:
    """One warning: the column, what kind of problem, and a sentence for people."""

    column: str
    kind: Literal["target_copy", "leak", "id_like"]
    message: str

    def __str__(self) -> str:
        return self.message


def scan(table: pd.DataFrame, target: str, numeric: Sequence[str], categorical: Sequence[str],
         *, datetime: Collection[str] = (), max_rows: int = 20_000, seed: int = 0,
         regression: bool = False) -> list[Finding]:
    """Warnings about the features of a typed table, in feature order.

    ``table``: training rows, numeric (and datetime) columns as numbers, the others as text,
    missing values as NaN/None. ``numeric`` and ``categorical`` name the features; datetime
    columns, listed in ``numeric`` too, are never called identifiers (dates are distinct by
    nature). At most ``max_rows`` rows (a seeded sample) are scored.
    """
    if len(table) > max_rows:
        table = table.sample(max_rows, random_state=seed)
    if regression:
        return _scan_values(table, target, numeric, categorical, datetime, seed)
    y = table[target].astype("str").to_numpy()
    classes, codes = np.unique(y, return_inverse=True)
    findings = []
    for name in [*numeric, *categorical]:
        values = table[name]
        if _is_copy(values, codes, len(classes)):
            findings.append(Finding(name, "target_copy", (
                f"feature {name!r} is the target under another name (one value per class); "
                "remove it from the schema")))
            continue
        if len(classes) > 1:
            auc = single_feature_auc(values, codes, len(classes), name in categorical, seed)
            if auc >= LEAK_AUC:
                findings.append(_leak(name, f"ROC AUC {auc:.3f}", LEAK_AUC))
        if name not in datetime:
            findings += _id_like(name, values)
    return findings


def _leak(name: str, found: str, limit: float) -> Finding:
    return Finding(name, "leak", (
        f"feature {name!r} alone predicts the target with {found} on the training rows "
        f"(>= {limit}): probably leakage, a value known only after the outcome; remove it "
        "from the schema unless it is known at prediction time"))


def _id_like(name: str, values: pd.Series) -> list[Finding]:
    share = _id_share(values, name)
    return [] if share is None else [Finding(name, "id_like", (
        f"feature {name!r} looks like an identifier ({share:.0%} of its values are "
        "distinct): a model can only memorise it; remove it from the schema"))]


def _scan_values(table: pd.DataFrame, target: str, numeric: Sequence[str],
                 categorical: Sequence[str], datetime: Collection[str], seed: int
                 ) -> list[Finding]:
    """scan for a regression target: copies, single-feature R², identifiers."""
    y = table[target].to_numpy(dtype="float64")
    findings = []
    for name in [*numeric, *categorical]:
        values = table[name]
        if name in numeric and _is_line_of(values, y):
            findings.append(Finding(name, "target_copy", (
                f"feature {name!r} is the target under another name (its values, or a "
                "straight line of them); remove it from the schema")))
            continue
        r2 = single_feature_r2(values, y, name in categorical, seed)
        if r2 >= LEAK_R2:
            findings.append(_leak(name, f"R² {r2:.3f}", LEAK_R2))
        if name not in datetime:
            findings += _id_like(name, values)
    return findings


def _is_line_of(values: pd.Series, y: np.ndarray) -> bool:
    """Every row has a number, and they lie on a straight line with the target."""
    numbers = values.to_numpy(dtype="float64", na_value=np.nan)
    if not len(numbers) or not np.isfinite(numbers).all() or numbers.std() == 0 or y.std() == 0:
        return False
    return bool(abs(np.corrcoef(numbers, y)[0, 1]) >= 1 - 1e-9)


def single_feature_r2(values: pd.Series, y: np.ndarray, categorical: bool, seed: int = 0
                      ) -> float:
    """R² of the best prediction one feature gives: its group's mean target learnt on the
    other folds (numbers in quantile bins, missing values a group of their own); for a number
    also its straight-line fit (the squared correlation)."""
    groups = _groups(values, categorical)
    fold = np.random.default_rng(seed).integers(0, FOLDS, len(y))
    size = groups.max(initial=0) + 1
    guess = np.empty(len(y))
    for k in range(FOLDS):
        learn = fold != k
        sums = np.bincount(groups[learn], weights=y[learn], minlength=size)
        counts = np.bincount(groups[learn], minlength=size)
        prior = y[learn].mean() if learn.any() else 0.0
        guess[~learn] = ((sums + prior) / (counts + 1))[groups[~learn]]
    spread = float(np.sum((y - y.mean()) ** 2))
    if spread == 0:
        return 0.0
    best = 1 - float(np.sum((y - guess) ** 2)) / spread
    if not categorical:
        numbers = values.to_numpy(dtype="float64", na_value=np.nan)
        ok = np.isfinite(numbers)
        if ok.sum() > 2 and numbers[ok].std() > 0:
            best = max(best, float(np.corrcoef(numbers[ok], y[ok])[0, 1] ** 2) * ok.mean())
    return best


def single_feature_auc(values: pd.Series, codes: np.ndarray, n_classes: int,
                       categorical: bool, seed: int = 0) -> float:
    """ROC AUC (macro one-vs-rest for several classes) of the best score one feature gives.

    The score of a row is its value's class frequencies in the other folds (numbers grouped
    in quantile bins, missing values a group of their own). For two classes the raw order
    of a number counts too, either way round, so a perfect threshold scores exactly 1.
    """
    groups = _groups(values, categorical)
    proba = _out_of_fold(groups, codes, n_classes, seed)
    if n_classes == 2:
        best = _auc(codes, proba[:, 1])
        if not categorical:
            numbers = values.to_numpy(dtype="float64", na_value=np.nan)
            raw = np.where(np.isnan(numbers), np.nanmin(numbers, initial=0) - 1, numbers)
            best = max(best, _auc(codes, raw))
        return best
    onehot = codes[:, None] == np.arange(n_classes)
    present = onehot.any(axis=0) & ~onehot.all(axis=0)
    return float(np.mean([_roc_auc(onehot[:, c], proba[:, c]) for c in np.flatnonzero(present)]))


def _auc(codes: np.ndarray, score: np.ndarray) -> float:
    """ROC AUC of ``score`` for class 1, either way round."""
    auc = _roc_auc(codes == 1, score)
    return max(auc, 1 - auc)


def _roc_auc(hit: np.ndarray, score: np.ndarray) -> float:
    """ROC AUC from ranks (Mann-Whitney): the same number as scikit-learn's, much faster."""
    positives = int(hit.sum())
    negatives = len(hit) - positives
    if not positives or not negatives:
        return 0.5
    ranks = rankdata(score)
    return float((ranks[hit].sum() - positives * (positives + 1) / 2) / (positives * negatives))


def _groups(values: pd.Series, categorical: bool) -> np.ndarray:
    """Integer group of each row: its category, or its quantile bin; missing values last."""
    if categorical:
        codes, _ = pd.factorize(values.astype("object"), use_na_sentinel=True)
    else:
        numbers = values.to_numpy(dtype="float64", na_value=np.nan)
        finite = numbers[np.isfinite(numbers)]
        edges = np.unique(np.quantile(finite, np.linspace(0, 1, BINS + 1)[1:-1])) \
            if len(finite) else np.array([])
        codes = np.where(np.isfinite(numbers), np.searchsorted(edges, numbers), -1)
    return np.where(codes < 0, codes.max(initial=0) + 1, codes)


def _out_of_fold(groups: np.ndarray, codes: np.ndarray, n_classes: int, seed: int
                 ) -> np.ndarray:
    """Class frequencies of each row's group, learnt on the other folds (+1 smoothing)."""
    fold = np.random.default_rng(seed).integers(0, FOLDS, len(codes))
    size = groups.max(initial=0) + 1
    proba = np.empty((len(codes), n_classes))
    for k in range(FOLDS):
        learn = fold != k
        counts = np.zeros((size, n_classes))
        np.add.at(counts, (groups[learn], codes[learn]), 1)
        prior = (np.bincount(codes[learn], minlength=n_classes) + 1) / (learn.sum() + n_classes)
        smoothed = (counts + prior) / (counts.sum(axis=1, keepdims=True) + 1)
        proba[~learn] = smoothed[groups[~learn]]
    return proba


def _is_copy(values: pd.Series, codes: np.ndarray, n_classes: int) -> bool:
    """True when every row has a value, and values and classes pair one to one."""
    if len(values) == 0 or values.isna().any() or values.nunique() != n_classes:
        return False
    value_codes, _ = pd.factorize(values)
    pairs = np.unique(value_codes * n_classes + codes)
    return len(pairs) == n_classes  # n values, n classes, n pairs: a bijection


def counter_like(numbers: np.ndarray) -> bool:
    """Whole numbers whose distinct values fill at least ID_DENSITY of the whole numbers
    between their least and greatest, as a counter's do (a row number, an order number)."""
    numbers = numbers[~np.isnan(numbers)]
    if not len(numbers) or not np.all(np.mod(numbers, 1) == 0):
        return False
    span = float(numbers.max() - numbers.min()) + 1
    return len(np.unique(numbers)) >= ID_DENSITY * span


def _id_share(values: pd.Series, name: str) -> float | None:
    """Share of distinct values when the column looks like an identifier, else None."""
    present = values.dropna()
    if len(present) < MIN_VALUES:
        return None
    share = present.nunique() / len(present)
    if pd.api.types.is_numeric_dtype(present):
        numbers = present.to_numpy(dtype="float64")
        by_values = share >= ID_SHARE and counter_like(numbers)
    else:
        by_values = share >= ID_SHARE
    return share if by_values or (ID_NAME.search(name) and share >= ID_NAME_SHARE) else None
