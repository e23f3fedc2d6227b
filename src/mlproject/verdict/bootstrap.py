"""Quality metrics of resampled rows, and paired-bootstrap intervals of their differences.

A bootstrap resample draws the holdout's rows with replacement. Every metric here is computed
from counts of the drawn rows (a confusion matrix, hits and misses per distinct score, sums of
per-row values), so a thousand resamples cost a few `bincount`s instead of a thousand metric
calls. With every row drawn once they equal scikit-learn's definitions (tests/verdict checks).
Both models are scored on the same draws: the interval is of the paired difference.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

CELLS = 8_000_000  # weights held at once (resamples x rows)
EPS = 1e-15  # probabilities are clipped to [EPS, 1] for the log loss, as in metrics.quality


@dataclass(frozen=True)
class Rows:
    """The scored rows: the truth, and the setting of the product metrics."""

    y: np.ndarray  # (n,) class index of every row (a regression: the target's value)
    classes: list[str]  # [] for a regression
    positive: int | None  # index of the positive class of a binary target, else None
    threshold: float  # product metrics: a prediction is shown when its score reaches this
    tolerance: tuple[float, float] | None = None  # regression: (relative, absolute)

    @property
    def regression(self) -> bool:
        return self.tolerance is not None

    @property
    def binary(self) -> bool:
        return len(self.classes) == 2 and self.positive is not None


class Scored:
    """One model's per-row facts, computed once and shared by every metric and resample."""

    names = ["rows", "log_loss", "brier", "shown", "shown_right", "top_2"]  # of ``values``

    def __init__(self, rows: Rows, proba: np.ndarray) -> None:
        self.rows, self.proba = rows, proba  # proba: (n, classes)
        self.metrics = METRICS
        self.k = len(rows.classes)
        self.pred = proba.argmax(axis=1)
        self._cache: dict = {}

    @cached_property
    def confusion(self) -> Any:
        """Which (true class, predicted class) cell each row falls in, as a 0/1 matrix."""
        return _indicator(self.rows.y * self.k + self.pred, self.k * self.k)

    def ranked(self, merge_hits: bool) -> list[Any]:
        """Per one-vs-rest class: each row's (rank of its score, hit or miss) as a 0/1 matrix.

        Equal scores share a rank, so ties count together. Neighbouring ranks that hold only
        misses are merged (no metric here can tell them apart), and with ``merge_hits`` also
        those that hold only hits (ROC AUC cannot; average precision can): fewer ranks, less work.
        """
        key = ("ranked", merge_hits)
        if key not in self._cache:
            self._cache[key] = [_ranked(self.proba[:, c], self.rows.y == c, merge_hits)
                                for c in ([self.rows.positive] if self.rows.binary
                                          else range(self.k))]
        return self._cache[key]

    @cached_property
    def values(self) -> np.ndarray:
        """Per-row values whose sums make metrics, one column each (``names``)."""
        rows, p = self.rows, self.proba
        onehot = rows.y[:, None] == np.arange(self.k)
        shown = p.max(axis=1) >= rows.threshold
        return np.column_stack([
            np.ones(len(rows.y)),
            -np.log(np.clip(p[np.arange(len(rows.y)), rows.y], EPS, 1)),
            ((p - onehot) ** 2).sum(axis=1) / (2 if rows.binary else 1),
            shown, shown & (self.pred == rows.y),
            (np.argsort(p, axis=1)[:, -2:] == rows.y[:, None]).any(axis=1),
        ]).astype(np.float32)


class ScoredValues:
    """A regression model's per-row facts: errors and what their sums need (R² needs the
    resampled rows' own mean: the sums of y and y²)."""

    names = ["rows", "squared", "absolute", "percent", "within", "y", "y2"]  # of ``values``

    def __init__(self, rows: Rows, pred: np.ndarray) -> None:
        self.rows, self.pred = rows, np.asarray(pred, dtype=float)
        self.metrics = REGRESSION_METRICS
        self.k = 0

    @cached_property
    def values(self) -> np.ndarray:
        y, error = self.rows.y.astype(float), self.pred - self.rows.y
        relative, absolute = self.rows.tolerance or (0.0, 0.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            percent = np.where(y != 0, np.abs(error) / np.abs(y), np.nan)
        return np.column_stack([
            np.ones(len(y)), error ** 2, np.abs(error), percent,
            np.abs(error) <= np.maximum(relative * np.abs(y), absolute), y, y ** 2,
        ]).astype(np.float64)

    @cached_property
    def order(self) -> np.ndarray:
        """Rows by absolute error, smallest first (the weighted median's walk)."""
        return np.argsort(np.abs(self.pred - self.rows.y), kind="mergesort")




def _ranked(score: np.ndarray, hit: np.ndarray, merge_hits: bool) -> Any:
    _, rank = np.unique(score, return_inverse=True)
    rank = rank.ravel()
    groups = int(rank.max()) + 1
    hits = np.bincount(rank, weights=hit, minlength=groups) > 0
    misses = np.bincount(rank, weights=~hit, minlength=groups) > 0
    kind = np.where(hits & misses, 0, np.where(hits, 1, 2))  # mixed, only hits, only misses
    merged = (kind == 2) | ((kind == 1) if merge_hits else False)
    starts = np.r_[True, (kind[1:] != kind[:-1]) | ~merged[1:]]
    group = np.cumsum(starts) - 1
    return _indicator(2 * group[rank] + hit, 2 * (int(group[-1]) + 1))


def _indicator(keys: np.ndarray, bins: int) -> Any:
    """A sparse (bins, rows) matrix with a 1 where row i has key k."""
    from scipy import sparse

    n = len(keys)
    return sparse.csr_matrix((np.ones(n, dtype=np.float32), (keys, np.arange(n))),
                             shape=(bins, n))


class Counted:
    """One model's counts over one block of resamples, shared by every metric of the block.

    ``weights`` is (resamples, rows): how often each row was drawn. Counts are sparse
    products with the model's 0/1 matrices, so a block costs a few matrix products.
    """

    def __init__(self, scored: Scored, weights: np.ndarray,
                 columns: np.ndarray | None = None) -> None:
        self.m, self.w, self.size = scored, weights, weights.shape[0]
        self._columns = columns  # weights.T in C order, when the caller shares one

    @property
    def columns(self) -> np.ndarray:
        """(rows, resamples): what the sparse products take, copied once per block."""
        if self._columns is None:
            self._columns = np.ascontiguousarray(self.w.T)
        return self._columns

    @cached_property
    def confusion(self) -> np.ndarray:
        """(resamples, true class, predicted class) counts."""
        k = self.m.k
        return (self.m.confusion @ self.columns).T.reshape(self.size, k, k)

    def ranked(self, merge_hits: bool) -> list[tuple[np.ndarray, np.ndarray]]:
        """Per one-vs-rest class: drawn hits and misses at each rank, lowest score first,
        shaped (ranks, resamples)."""
        out = []
        for indicator in self.m.ranked(merge_hits):
            counts = (indicator @ self.columns).reshape(-1, 2, self.size)
            out.append((counts[:, 1, :], counts[:, 0, :]))
        return out

    @cached_property
    def sums(self) -> np.ndarray:
        """(resamples, names) sums of the per-row values over the drawn rows."""
        return self.w @ self.m.values

    def total(self, name: str) -> np.ndarray:
        return self.sums[:, self.m.names.index(name)]

    def mean(self, name: str) -> np.ndarray:
        return _ratio(self.total(name), self.total("rows"))


def resample_weights(n: int, resamples: int, seed: int) -> Iterator[np.ndarray]:
    """Blocks of bootstrap weights, shape (block, n): how often each row was drawn."""
    rng = np.random.default_rng(seed)
    block = max(1, min(resamples, CELLS // max(n, 1)))
    for start in range(0, resamples, block):
        size = min(block, resamples - start)
        draws = rng.integers(0, n, size=(size, n))
        weights = np.empty((size, n), dtype=np.float32)
        for i, row in enumerate(draws):
            weights[i] = np.bincount(row, minlength=n)
        yield weights


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1), 0.0)


def _per_class(c: Counted, score: Callable) -> np.ndarray:
    """``score(tp, fp, fn)`` of the positive class, or averaged over the classes (macro)."""
    tp = np.diagonal(c.confusion, axis1=1, axis2=2)
    fp, fn = c.confusion.sum(axis=1) - tp, c.confusion.sum(axis=2) - tp
    value = score(tp, fp, fn)
    return value[:, c.m.rows.positive] if c.m.rows.binary else value.mean(axis=1)


def _balanced_accuracy(c: Counted) -> np.ndarray:
    tp, support = np.diagonal(c.confusion, axis1=1, axis2=2), c.confusion.sum(axis=2)
    present = support > 0
    return (_ratio(tp, support) * present).sum(axis=1) / present.sum(axis=1)


def _auc(c: Counted) -> np.ndarray:
    """ROC AUC: the share of (hit, miss) pairs ranked right, ties counting half (macro OvR)."""
    out = []
    for pos, neg in c.ranked(merge_hits=True):
        below = np.cumsum(neg, axis=0) - neg
        with np.errstate(invalid="ignore", divide="ignore"):
            out.append((pos * (below + 0.5 * neg)).sum(axis=0)
                       / (pos.sum(axis=0) * neg.sum(axis=0)))
    return np.mean(out, axis=0)


def _ap(c: Counted) -> np.ndarray:
    """Average precision: precision at each distinct threshold, weighted by the recall gained."""
    out = []
    for pos, neg in c.ranked(merge_hits=False):
        tp, fp = pos[::-1], neg[::-1]  # highest score first
        ctp, cfp = np.cumsum(tp, axis=0), np.cumsum(fp, axis=0)
        precision = ctp / np.maximum(ctp + cfp, 1e-9)  # 0 before the first drawn row
        with np.errstate(invalid="ignore", divide="ignore"):
            out.append((tp * precision).sum(axis=0) / ctp[-1])
    return np.mean(out, axis=0)


METRICS: dict[str, Callable[[Counted], np.ndarray]] = {
    "accuracy": lambda c: _ratio(np.trace(c.confusion, axis1=1, axis2=2),
                                 c.confusion.sum(axis=(1, 2))),
    "balanced_accuracy": _balanced_accuracy,
    "precision": lambda c: _per_class(c, lambda tp, fp, fn: _ratio(tp, tp + fp)),
    "recall": lambda c: _per_class(c, lambda tp, fp, fn: _ratio(tp, tp + fn)),
    "f1": lambda c: _per_class(c, lambda tp, fp, fn: _ratio(2 * tp, 2 * tp + fp + fn)),
    "roc_auc": _auc,
    "average_precision": _ap,
    "log_loss": lambda c: c.mean("log_loss"),
    "brier": lambda c: c.mean("brier"),
    "coverage": lambda c: c.mean("shown"),
    "precision_when_shown": lambda c: _ratio(c.total("shown_right"), c.total("shown")),
    "top_2_accuracy": lambda c: c.mean("top_2"),
}


def _r2(c: Counted) -> np.ndarray:
    """1 - SSE / SST, SST about the drawn rows' own mean."""
    n, sy, sy2 = c.total("rows"), c.total("y"), c.total("y2")
    spread = sy2 - _ratio(sy * sy, n)
    return np.where(spread > 1e-12 * np.maximum(sy2, 1), 1 - _ratio(c.total("squared"), spread),
                    0.0)


def _median_absolute_error(c: Counted) -> np.ndarray:
    """The weighted median of the absolute errors: the first error, smallest first, where the
    drawn rows reach half of all drawn."""
    m = c.m
    errors = np.abs(m.pred - m.rows.y)[m.order]
    reached = np.cumsum(c.w[:, m.order], axis=1)
    half = reached[:, -1:] / 2
    low = np.argmax(reached >= half, axis=1)
    high = np.argmax(reached > half, axis=1)  # an exact half: the mean of the two middles
    exact = np.isclose(reached[np.arange(c.size), low], half[:, 0])
    return np.where(exact, (errors[low] + errors[high]) / 2, errors[low])


REGRESSION_METRICS: dict[str, Callable[[Counted], np.ndarray]] = {
    "rmse": lambda c: np.sqrt(c.mean("squared")),
    "mae": lambda c: c.mean("absolute"),
    "median_absolute_error": _median_absolute_error,
    "r2": _r2,
    "mape": lambda c: c.mean("percent"),
    "within_tolerance": lambda c: c.mean("within"),
}


def point(name: str, scored: Scored | ScoredValues) -> float:
    """The metric on the rows themselves (every row drawn once)."""
    return float(scored.metrics[name](Counted(scored, np.ones((1, len(scored.rows.y)))))[0])


def subset(scored: Scored | ScoredValues, mask: np.ndarray) -> Scored | ScoredValues:
    """The model's facts on the rows of ``mask`` only (a slice)."""
    r = scored.rows
    rows = Rows(r.y[mask], r.classes, r.positive, r.threshold, r.tolerance)
    if isinstance(scored, ScoredValues):
        return ScoredValues(rows, scored.pred[mask])
    return Scored(rows, scored.proba[mask])


def scored(rows: Rows, outputs: np.ndarray) -> Scored | ScoredValues:
    """The per-row facts of a model's outputs: class probabilities, or a regression's values."""
    return ScoredValues(rows, outputs) if rows.regression else Scored(rows, outputs)


def resample(metrics: list[str], models: dict[str, Scored], resamples: int, seed: int
             ) -> dict[str, dict[str, np.ndarray]]:
    """{metric: {model: its value on every resample}}, on the same draws for every model."""
    n = len(next(iter(models.values())).rows.y)
    out: dict[str, dict[str, list[np.ndarray]]] = {k: {m: [] for m in models} for k in metrics}
    for weights in resample_weights(n, resamples, seed):
        columns = np.ascontiguousarray(weights.T)  # shared by the models' sparse products
        for name, scored in models.items():
            counted = Counted(scored, weights, columns)
            for metric in metrics:
                out[metric][name].append(scored.metrics[metric](counted))
    return {k: {m: np.concatenate(v) for m, v in by.items()} for k, by in out.items()}


def interval(a: np.ndarray, b: np.ndarray, confidence: float) -> tuple[float, float]:
    """The central ``confidence`` interval of the paired difference a - b over the resamples."""
    diff = a - b
    diff = diff[np.isfinite(diff)]
    if not len(diff):
        return float("nan"), float("nan")
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(diff, [tail, 100 - tail])
    return float(low), float(high)
