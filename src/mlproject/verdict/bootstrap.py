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

import numpy as np

CELLS = 2_000_000  # draws held at once (resamples x rows)
EPS = 1e-15  # probabilities are clipped to [EPS, 1] for the log loss, as in metrics.quality


@dataclass(frozen=True)
class Rows:
    """The scored rows: true class indices, and the setting of the product metrics."""

    y: np.ndarray  # (n,) class index of every row
    classes: list[str]
    positive: int | None  # index of the positive class of a binary target, else None
    threshold: float  # product metrics: a prediction is shown when its score reaches this

    @property
    def binary(self) -> bool:
        return len(self.classes) == 2 and self.positive is not None


class Scored:
    """One model's per-row facts, computed once and shared by every metric and resample."""

    def __init__(self, rows: Rows, proba: np.ndarray) -> None:
        self.rows, self.proba = rows, proba  # proba: (n, classes)
        self.k = len(rows.classes)
        self.pred = proba.argmax(axis=1)
        self.confusion_key = rows.y * self.k + self.pred

    @cached_property
    def ranked(self) -> list[tuple[np.ndarray, int]]:
        """Per one-vs-rest class: (key of each row = 2 x rank of its score + hit, #scores)."""
        out = []
        for c in ([self.rows.positive] if self.rows.binary else range(self.k)):
            ranks, _ = _ranks(self.proba[:, c])
            out.append((2 * ranks + (self.rows.y == c), int(ranks.max()) + 1))
        return out

    @cached_property
    def values(self) -> dict[str, np.ndarray]:
        """Per-row values whose mean is a metric."""
        rows, p = self.rows, self.proba
        onehot = rows.y[:, None] == np.arange(self.k)
        shown = p.max(axis=1) >= rows.threshold
        return {
            "log_loss": -np.log(np.clip(p[np.arange(len(rows.y)), rows.y], EPS, 1)),
            "brier": ((p - onehot) ** 2).sum(axis=1) / (2 if rows.binary else 1),
            "shown": shown.astype(float),
            "shown_right": (shown & (self.pred == rows.y)).astype(float),
            "top_2": (np.argsort(p, axis=1)[:, -2:] == rows.y[:, None]).any(axis=1) * 1.0,
        }


def _ranks(score: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    values, inverse = np.unique(score, return_inverse=True)
    return inverse.ravel(), values


class Counted:
    """One model's counts over one block of draws (which row each draw picked), shared by
    every metric of that block."""

    def __init__(self, scored: Scored, draws: np.ndarray) -> None:
        self.m, self.draws, self.size = scored, draws, draws.shape[0]

    def counts(self, keys: np.ndarray, bins: int) -> np.ndarray:
        """How often each key was drawn, per resample: (resamples, bins)."""
        drawn = keys[self.draws] + (np.arange(self.size) * bins)[:, None]
        return np.bincount(drawn.ravel(), minlength=self.size * bins).reshape(self.size, bins)

    @cached_property
    def confusion(self) -> np.ndarray:
        """(resamples, true class, predicted class) counts."""
        k = self.m.k
        return self.counts(self.m.confusion_key, k * k).reshape(self.size, k, k).astype(float)

    @cached_property
    def ranked(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """Per one-vs-rest class: drawn hits and misses at each distinct score, lowest first."""
        out = []
        for keys, groups in self.m.ranked:
            counts = self.counts(keys, 2 * groups).reshape(self.size, groups, 2).astype(float)
            out.append((counts[:, :, 1], counts[:, :, 0]))
        return out

    def total(self, name: str) -> np.ndarray:
        """Sum of a per-row value over the drawn rows, per resample."""
        return self.m.values[name][self.draws].sum(axis=1)

    def mean(self, name: str) -> np.ndarray:
        return self.total(name) / self.draws.shape[1]


def resample_draws(n: int, resamples: int, seed: int) -> Iterator[np.ndarray]:
    """Blocks of bootstrap draws, shape (block, n): row indices drawn with replacement."""
    rng = np.random.default_rng(seed)
    block = max(1, min(resamples, CELLS // max(n, 1)))
    for start in range(0, resamples, block):
        yield rng.integers(0, n, size=(min(block, resamples - start), n), dtype=np.int32)


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
    for pos, neg in c.ranked:
        below = np.cumsum(neg, axis=1) - neg
        with np.errstate(invalid="ignore", divide="ignore"):
            out.append((pos * (below + 0.5 * neg)).sum(axis=1)
                       / (pos.sum(axis=1) * neg.sum(axis=1)))
    return np.mean(out, axis=0)


def _ap(c: Counted) -> np.ndarray:
    """Average precision: precision at each distinct threshold, weighted by the recall gained."""
    out = []
    for pos, neg in c.ranked:
        tp, fp = pos[:, ::-1], neg[:, ::-1]  # highest score first
        ctp, cfp = np.cumsum(tp, axis=1), np.cumsum(fp, axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            out.append((tp * _ratio(ctp, ctp + cfp)).sum(axis=1) / ctp[:, -1])
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


def point(name: str, scored: Scored) -> float:
    """The metric on the rows themselves (every row drawn once)."""
    return float(METRICS[name](Counted(scored, np.arange(len(scored.rows.y))[None, :]))[0])


def subset(scored: Scored, mask: np.ndarray) -> Scored:
    """The model's facts on the rows of ``mask`` only (a slice)."""
    r = scored.rows
    return Scored(Rows(r.y[mask], r.classes, r.positive, r.threshold), scored.proba[mask])


def resample(metrics: list[str], models: dict[str, Scored], resamples: int, seed: int
             ) -> dict[str, dict[str, np.ndarray]]:
    """{metric: {model: its value on every resample}}, on the same draws for every model."""
    n = len(next(iter(models.values())).rows.y)
    out: dict[str, dict[str, list[np.ndarray]]] = {k: {m: [] for m in models} for k in metrics}
    for block in resample_draws(n, resamples, seed):
        for name, scored in models.items():
            counted = Counted(scored, block)
            for metric in metrics:
                out[metric][name].append(METRICS[metric](counted))
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
