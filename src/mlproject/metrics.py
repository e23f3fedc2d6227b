"""Metric families computed from labels and predicted probabilities (classification) or from
true and predicted values (regression), and the metric names.

quality (how right), product (what a user sees when only confident predictions are shown),
slices (quality per segment) and the curves behind the plots. System metrics (size, latency,
throughput) need the model, not its outputs: see the evaluate stage and `mlproject compare`.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from typing import Any

import numpy as np

from mlproject.errors import PipelineError

GRID = np.linspace(0, 1, 21)  # curves are stored on a uniform grid: small and chart-ready
# The names every other module uses (gate, report, registry), and which way is better.
QUALITY = ("accuracy", "balanced_accuracy", "precision", "recall", "f1", "roc_auc",
           "average_precision", "log_loss", "brier")
PRODUCT = ("coverage", "precision_when_shown", "top_2_accuracy")
SYSTEM = ("latency_ms_p50", "latency_ms_p95", "batch_rows_per_s", "model_size_bytes")
SLICE_METRICS = ("accuracy", "f1", "roc_auc")
# Regression (data.target.task: regression): errors of predicted values, and the share of
# predictions within params' tolerance of the truth (predict.tolerance).
REGRESSION_QUALITY = ("rmse", "mae", "median_absolute_error", "r2", "mape")
REGRESSION_PRODUCT = ("within_tolerance",)
REGRESSION_SLICE_METRICS = ("mae", "rmse")
LOWER_IS_BETTER = frozenset({"log_loss", "brier", "latency_ms_p50", "latency_ms_p95",
                             "model_size_bytes", "rmse", "mae", "median_absolute_error", "mape"})
MAPE_FLOOR = 0.01  # MAPE only when no |truth| is below this share of the median |truth|
DECILES = 10


def allowed_change(name: str, drop: float) -> float:
    """The change (new - old) a drop of ``drop`` allows: +drop for a lower-is-better metric
    (an error may grow by that much), -drop otherwise."""
    return drop if name.split(" [", 1)[0] in LOWER_IS_BETTER else -drop


def better(name: str, new: float, old: float) -> float:
    """How much better ``new`` is than ``old`` for metric ``name`` (negative: worse)."""
    return old - new if name in LOWER_IS_BETTER else new - old


def quality(y: np.ndarray, proba: np.ndarray, classes: list[str], positive: str | None) -> dict:
    """Accuracy, balanced accuracy, precision, recall, F1, ROC AUC, AP, log loss, Brier."""
    from sklearn import metrics as skm
    from sklearn.exceptions import UndefinedMetricWarning

    # labels as class indices: scikit-learn sorts object arrays slowly, integers fast
    y = codes(y, classes)
    pred = proba.argmax(axis=1)
    binary = len(classes) == 2 and positive is not None
    average = "binary" if binary else "macro"
    kw = {"pos_label": classes.index(positive)} if binary else {"labels": range(len(classes))}
    onehot = (y[:, None] == np.arange(len(classes))).astype(int)
    score = proba[:, classes.index(positive)] if binary else proba
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UndefinedMetricWarning)
        # a slice without some class: balanced accuracy averages the classes it has
        warnings.filterwarnings("ignore", "y_pred contains classes not in y_true")
        out = {
            "accuracy": skm.accuracy_score(y, pred),
            "balanced_accuracy": skm.balanced_accuracy_score(y, pred),
            "precision": skm.precision_score(y, pred, average=average, zero_division=0, **kw),
            "recall": skm.recall_score(y, pred, average=average, zero_division=0, **kw),
            "f1": skm.f1_score(y, pred, average=average, zero_division=0, **kw),
            "log_loss": skm.log_loss(onehot, np.clip(proba, 1e-15, 1)),
            # binary: squared error of the positive score (sklearn's brier_score_loss)
            "brier": float(np.mean(np.sum((proba - onehot) ** 2, axis=1))) / (2 if binary else 1),
        }
        # ROC AUC and AP need every class among these rows (a slice may lack one, as it
        # may have one class only): otherwise they are undefined and left out
        if len(np.unique(y)) == len(classes) > 1:
            hit = y == classes.index(positive) if binary else onehot
            out["roc_auc"] = (skm.roc_auc_score(hit, score) if binary else
                              skm.roc_auc_score(onehot, proba, average="macro"))
            out["average_precision"] = skm.average_precision_score(hit, score, average="macro")
    return _rounded(out)


def class_order(model_classes: Iterable[Any], classes: list[str]) -> list[int] | None:
    """The columns of a fitted estimator's predict_proba (in its ``classes_`` order, which
    scikit-learn sorts) that give ``classes`` in params' order; None when they already do."""
    fitted = [str(c) for c in model_classes]
    missing = [c for c in classes if c not in fitted]
    if missing or len(fitted) != len(classes):
        raise PipelineError(f"the model was fitted on the classes {', '.join(fitted[:5])}; "
                            f"its metadata names {', '.join(classes[:5])}")
    order = [fitted.index(c) for c in classes]
    return None if order == list(range(len(classes))) else order


def codes(labels: np.ndarray, classes: list[str]) -> np.ndarray:
    """Index of each label in ``classes`` (-1 for a label that is not one of them)."""
    import pandas as pd

    return pd.Categorical(np.asarray(labels, dtype=object), categories=classes).codes.astype(int)


def product(y: np.ndarray, proba: np.ndarray, classes: list[str], threshold: float) -> dict:
    """Coverage and precision when a prediction is shown only if its score >= threshold."""
    shown = proba.max(axis=1) >= threshold
    right = np.asarray(classes, dtype=object)[proba.argmax(axis=1)] == y
    out = {"threshold": threshold, "coverage": shown.mean(),
           "precision_when_shown": right[shown].mean() if shown.any() else 0.0}
    if len(classes) > 2:
        top2 = np.argsort(proba, axis=1)[:, -2:]
        truth = codes(y, classes)
        out["top_2_accuracy"] = np.mean([t in row for t, row in zip(truth, top2, strict=True)])
    return _rounded(out)


def per_class(y: np.ndarray, proba: np.ndarray, classes: list[str]) -> dict:
    """Precision, recall and F1 of each class (multi-class targets): {class: {...}}."""
    from sklearn import metrics as skm

    pred = np.asarray(classes, dtype=object)[proba.argmax(axis=1)]
    p, r, f, n = skm.precision_recall_fscore_support(y, pred, labels=classes, zero_division=0)
    return {c: {**_rounded({"precision": p[i], "recall": r[i], "f1": f[i]}), "rows": int(n[i])}
            for i, c in enumerate(classes)}


def curves(y: np.ndarray, proba: np.ndarray, classes: list[str], positive: str | None) -> dict:
    """ROC, precision-recall, calibration and threshold-vs-coverage tables (lists of rows)."""
    from sklearn import metrics as skm
    from sklearn.calibration import calibration_curve

    if len(classes) == 2 and positive is not None:
        truth, score = (y == positive).astype(int), proba[:, classes.index(positive)]
    else:  # micro-average: every (row, class) pair is one binary decision
        truth = (y[:, None] == np.asarray(classes, dtype=object)).astype(int).ravel()
        score = proba.ravel()
    fpr, tpr, _ = skm.roc_curve(truth, score)
    precision, recall, _ = skm.precision_recall_curve(truth, score)
    # interpolated precision: the best precision reachable at this recall or more
    grid_precision = [precision[recall >= r].max() for r in GRID]
    observed, predicted = calibration_curve(truth, score, n_bins=10, strategy="quantile")
    shown = proba.max(axis=1)
    right = np.asarray(classes, dtype=object)[proba.argmax(axis=1)] == y
    thresholds = []
    for t in GRID:
        mask = shown >= t
        thresholds.append({"threshold": t, "coverage": mask.mean(),
                           "precision": right[mask].mean() if mask.any() else 1.0})
    return {
        "roc": [{"fpr": f, "tpr": np.interp(f, fpr, tpr)} for f in GRID],
        "precision_recall": [{"recall": r, "precision": p}
                             for r, p in zip(GRID, grid_precision, strict=True)],
        "calibration": [{"predicted": p, "observed": o}
                        for p, o in zip(predicted, observed, strict=True)],
        "threshold": thresholds,
    }


def slices(frame, y: np.ndarray, proba: np.ndarray, classes: list[str], positive: str | None,
           columns: list[str]) -> dict:
    """Quality per value of each slice column: {"sex=Female": {"rows": n, "classes": {...}, ...}}.

    Whether a slice is big enough to judge is the gate's call (gate.slices.min_class_rows); the
    class counts here show why.
    """
    import pandas as pd

    out = {}
    for column in columns:
        values = frame[column].astype("str").fillna("(missing)").to_numpy()
        for value in sorted(set(values)):
            mask = values == value
            counts = pd.Series(y[mask]).value_counts()
            entry = {"rows": int(mask.sum()),
                     "classes": {c: int(counts.get(c, 0)) for c in classes}}
            q = quality(y[mask], proba[mask], classes, positive)
            entry.update({k: q[k] for k in ("accuracy", "f1", "roc_auc") if k in q})
            out[f"{column}={value}"] = entry
    return out


def mape_defined(y: np.ndarray) -> bool:
    """MAPE divides by the truth: it means something only when no truth is near zero (a few
    rows would decide it), here when none is below MAPE_FLOOR x the median |truth|."""
    size = np.abs(np.asarray(y, dtype=float))
    return len(size) > 0 and bool(size.min() > 0) and size.min() >= MAPE_FLOOR * np.median(size)


def regression_quality(y: np.ndarray, pred: np.ndarray) -> dict:
    """RMSE, MAE, median absolute error, R² and (when defined: mape_defined) MAPE."""
    y, pred = np.asarray(y, dtype=float), np.asarray(pred, dtype=float)
    error = pred - y
    total = float(np.sum((y - y.mean()) ** 2))
    out = {"rmse": np.sqrt(np.mean(error ** 2)), "mae": np.mean(np.abs(error)),
           "median_absolute_error": np.median(np.abs(error)),
           "r2": 1 - float(np.sum(error ** 2)) / total if total > 0 else 0.0}
    if mape_defined(y):
        out["mape"] = np.mean(np.abs(error) / np.abs(y))
    return _rounded(out)


def within(y: np.ndarray, pred: np.ndarray, relative: float, absolute: float) -> np.ndarray:
    """Per row: is the prediction within max(relative x |truth|, absolute) of the truth?"""
    y = np.asarray(y, dtype=float)
    return np.abs(np.asarray(pred, dtype=float) - y) <= np.maximum(relative * np.abs(y),
                                                                   absolute)


def regression_product(y: np.ndarray, pred: np.ndarray, relative: float, absolute: float
                       ) -> dict:
    """The share of predictions a user would call right: within the tolerance of the truth."""
    return _rounded({"tolerance_relative": relative, "tolerance_absolute": absolute,
                     "within_tolerance": within(y, pred, relative, absolute).mean()})


def regression_slices(frame, y: np.ndarray, pred: np.ndarray, columns: list[str]) -> dict:
    """MAE and RMSE per value of each slice column: {"city=b": {"rows": n, "mae", "rmse"}}."""
    out = {}
    error = np.asarray(pred, dtype=float) - np.asarray(y, dtype=float)
    for column in columns:
        values = frame[column].astype("str").fillna("(missing)").to_numpy()
        for value in sorted(set(values)):
            e = error[values == value]
            out[f"{column}={value}"] = {"rows": int(len(e)), **_rounded(
                {"mae": np.mean(np.abs(e)), "rmse": np.sqrt(np.mean(e ** 2))})}
    return out


def deciles(pred: np.ndarray) -> np.ndarray:
    """The decile (0-9) of each prediction among all of them; ties share a decile."""
    pred = np.asarray(pred, dtype=float)
    if not len(pred):
        return np.zeros(0, dtype=int)
    ranks = np.searchsorted(np.sort(pred), pred, side="left")
    return np.minimum(ranks * DECILES // len(pred), DECILES - 1)


def regression_curves(y: np.ndarray, pred: np.ndarray) -> dict:
    """Per decile of the prediction: the mean prediction beside the mean truth (calibration
    of a regression), and the residuals' median with their 10th and 90th percentiles."""
    y, pred = np.asarray(y, dtype=float), np.asarray(pred, dtype=float)
    group = deciles(pred)
    calibration, residuals = [], []
    for d in range(DECILES):
        mask = group == d
        if not mask.any():
            continue
        r = y[mask] - pred[mask]
        calibration.append({"decile": d + 1, "predicted": pred[mask].mean(),
                            "actual": y[mask].mean()})
        low, mid, high = np.percentile(r, [10, 50, 90])
        residuals.append({"decile": d + 1, "residual": mid, "p10": low, "p90": high})
    return {"predicted_actual": calibration, "residuals": residuals}


def _rounded(values: dict) -> dict:
    return {k: round(float(v), 6) for k, v in values.items()}
