"""Quality in production: the window's labelled predictions against the holdout's quality.

The change (window − holdout) gets a bootstrap interval: the window's rows are resampled (all
resamples as one index matrix), and the holdout's value, known only with its standard error,
is drawn from a normal distribution beside each resample. Quality has dropped when the whole
interval lies below −max_drop, the same rule the gate applies to a pull request's model.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.stats import rankdata

BOOTSTRAP_ROWS = 20_000  # more labelled rows are subsampled to this (a wider, honest interval)
CHUNK = 100


def metric_values(name: str, idx: np.ndarray, correct: np.ndarray, shown: np.ndarray,
                  actual: np.ndarray, positive: np.ndarray | None,
                  pos_score: np.ndarray | None) -> np.ndarray:
    """The metric on each row of the index matrix ``idx`` (resamples x rows)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        if name == "accuracy":
            return correct[idx].mean(axis=1)
        if name == "precision_when_shown":
            return (correct & shown)[idx].sum(axis=1) / shown[idx].sum(axis=1)
        if name == "balanced_accuracy":
            recalls = []
            for c in np.unique(actual):
                of_c = actual == c
                recalls.append((correct & of_c)[idx].sum(axis=1) / of_c[idx].sum(axis=1))
            return np.nanmean(np.vstack(recalls), axis=0)
        if name == "roc_auc":
            pos = positive[idx]
            ranks = rankdata(pos_score[idx], axis=1)
            n_pos = pos.sum(axis=1)
            n_neg = pos.shape[1] - n_pos
            return ((ranks * pos).sum(axis=1) - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)
    raise ValueError(name)


def judge_values(name: str, actual: np.ndarray, predicted: np.ndarray, relative: float,
                 absolute: float, holdout: dict[str, Any], settings: Any) -> dict[str, Any]:
    """``judge`` for a regression model: ``mae`` (lower is better: it has dropped when the
    whole interval of the change lies above +max_drop) or ``within_tolerance``."""
    error = np.abs(predicted - actual)
    per_row = error if name == "mae" else \
        (error <= np.maximum(relative * np.abs(actual), absolute)).astype(float)
    lower = name == "mae"
    out = _interval(per_row, holdout, settings)
    high_or_low = out["interval"][0] if lower else out["interval"][1]
    dropped = high_or_low > settings.max_drop if lower else high_or_low < -settings.max_drop
    return {"metric": name, **out, "dropped": bool(dropped), "lower_is_better": lower}


def _interval(per_row: np.ndarray, holdout: dict[str, Any], settings: Any) -> dict[str, Any]:
    """The window's mean of ``per_row`` against the holdout's value, with the bootstrap
    interval of the change (the holdout drawn from its standard error)."""
    rng = np.random.default_rng(settings.seed)
    n, note = len(per_row), None
    if n > BOOTSTRAP_ROWS:
        per_row = per_row[np.sort(rng.choice(n, BOOTSTRAP_ROWS, replace=False))]
        note = f"interval from {BOOTSTRAP_ROWS:,} of the {n:,} labelled predictions"
    value = float(per_row.mean())
    draws = [per_row[rng.integers(0, len(per_row), size=(min(CHUNK, settings.resamples - s),
                                                          len(per_row)))].mean(axis=1)
             for s in range(0, settings.resamples, CHUNK)]
    window = np.concatenate(draws)
    change = window - (holdout["value"] + holdout["se"] * rng.standard_normal(len(window)))
    tail = (1 - settings.confidence) / 2
    low, high = (float(np.quantile(change, q)) for q in (tail, 1 - tail))
    return {"rows": int(n), "window": round(value, 6), "holdout": holdout["value"],
            "holdout_se": holdout["se"], "change": round(value - holdout["value"], 6),
            "interval": [round(low, 6), round(high, 6)], "max_drop": settings.max_drop,
            "confidence": settings.confidence, "note": note}


def judge(name: str, actual: np.ndarray, predicted: np.ndarray, shown: np.ndarray,
          pos_score: np.ndarray | None, positive_label: str | None, holdout: dict[str, Any],
          settings: Any) -> dict[str, Any]:
    """{metric, rows, window, holdout, change, interval, dropped, ...} for labelled rows."""
    rng = np.random.default_rng(settings.seed)
    n = len(actual)
    note = None
    if n > BOOTSTRAP_ROWS:
        keep = np.sort(rng.choice(n, BOOTSTRAP_ROWS, replace=False))
        actual, predicted, shown = actual[keep], predicted[keep], shown[keep]
        pos_score = pos_score[keep] if pos_score is not None else None
        note = f"interval from {BOOTSTRAP_ROWS:,} of the {n:,} labelled predictions"
    correct = actual == predicted
    positive = (actual == positive_label) if positive_label is not None else None
    args = (correct, shown, actual, positive, pos_score)
    everything = np.arange(len(actual))[None, :]
    value = float(metric_values(name, everything, *args)[0])
    draws = []
    for start in range(0, settings.resamples, CHUNK):
        size = min(CHUNK, settings.resamples - start)
        idx = rng.integers(0, len(actual), size=(size, len(actual)))
        draws.append(metric_values(name, idx, *args))
    window = np.concatenate(draws)
    base = holdout["value"] + holdout["se"] * rng.standard_normal(len(window))
    change = window - base
    change = change[np.isfinite(change)]
    tail = (1 - settings.confidence) / 2
    low, high = (float(np.quantile(change, q)) for q in (tail, 1 - tail)) if len(change) \
        else (float("nan"), float("nan"))
    delta = value - holdout["value"]
    return {"metric": name, "rows": int(n), "window": round(value, 6),
            "holdout": holdout["value"], "holdout_se": holdout["se"],
            "change": round(delta, 6), "interval": [round(low, 6), round(high, 6)],
            "max_drop": settings.max_drop, "confidence": settings.confidence,
            "dropped": bool(high < -settings.max_drop), "note": note}
