"""The model's reference: what monitoring compares production with, written by `evaluate`.

models/reference.json is a compact profile of the data the model was trained on and of its
predictions on the holdout, so the scheduled check never needs the raw training data:

- per numeric feature: missing share, mean, standard deviation and 100 quantiles;
- per categorical feature: missing share, the shares of the 100 most common values (the rest
  as "(other)") and the values the schema allows;
- the holdout's predictions: label shares, score quantiles, the share above the threshold;
- the holdout's quality (accuracy, balanced accuracy, precision when shown, ROC AUC for two
  classes; a regression: MAE and the share within tolerance) with standard errors, the
  baseline for the quality check;
- a regression model's predictions: the predicted values' quantiles, mean and spread.

Numbers are rounded, so the bytes are the same on every machine, like every tracked output.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mlproject import storage
from mlproject.errors import PipelineError
from mlproject.monitor.stats import OTHER, quantiles

FORMAT = 1
TOP = 100


def _r(value: float) -> float:
    return float(f"{float(value):.6g}")


def _numeric(values: pd.Series) -> dict[str, Any]:
    present = values.dropna().to_numpy(dtype=float)
    if not len(present):
        return {"missing": 1.0, "mean": None, "std": None, "quantiles": None}
    return {"missing": _r(1 - len(present) / len(values)), "mean": _r(present.mean()),
            "std": _r(present.std()), "quantiles": [_r(v) for v in quantiles(present)]}


def _categorical(values: pd.Series, allowed: list[str]) -> dict[str, Any]:
    present = values.dropna().astype(str)
    counts = present.value_counts()
    counts = counts.sort_index(kind="stable").sort_values(ascending=False, kind="stable")
    shares = {str(k): _r(v / len(present)) for k, v in counts.iloc[:TOP].items()}
    if len(counts) > TOP:
        shares[OTHER] = _r(counts.iloc[TOP:].sum() / len(present))
    return {"missing": _r(1 - len(present) / len(values)) if len(values) else 0.0,
            "shares": shares, "allowed": sorted(map(str, allowed)) or None}


def _se_auc(auc: float, n_pos: int, n_neg: int) -> float:
    """Hanley and McNeil's (1982) standard error of a ROC AUC."""
    q1, q2 = auc / (2 - auc), 2 * auc * auc / (1 + auc)
    var = (auc * (1 - auc) + (n_pos - 1) * (q1 - auc * auc) + (n_neg - 1) * (q2 - auc * auc)) \
        / max(1, n_pos * n_neg)
    return math.sqrt(max(var, 0.0))


def holdout_quality(actual: np.ndarray, predicted: np.ndarray, shown: np.ndarray,
                    positive_score: np.ndarray | None, classes: list[str],
                    positive: str | None) -> dict[str, dict[str, float]]:
    """{metric: {value, se, rows}} for the metrics the quality check can judge."""
    from sklearn.metrics import roc_auc_score

    correct = actual == predicted
    n = len(actual)
    acc = float(correct.mean())
    out = {"accuracy": {"value": acc, "se": math.sqrt(acc * (1 - acc) / n), "rows": n}}
    recalls, var = [], 0.0
    for c in classes:
        mask = actual == c
        if mask.any():
            r = float(correct[mask].mean())
            recalls.append(r)
            var += r * (1 - r) / int(mask.sum())
    out["balanced_accuracy"] = {"value": float(np.mean(recalls)),
                                "se": math.sqrt(var) / len(recalls), "rows": n}
    if shown.any():
        p = float(correct[shown].mean())
        out["precision_when_shown"] = {"value": p, "se": math.sqrt(p * (1 - p) / shown.sum()),
                                       "rows": int(shown.sum())}
    if positive_score is not None and len(classes) == 2 and positive is not None:
        pos = actual == positive
        if 0 < pos.sum() < n:
            auc = float(roc_auc_score(pos, positive_score))
            out["roc_auc"] = {"value": auc, "se": _se_auc(auc, int(pos.sum()),
                                                          int((~pos).sum())), "rows": n}
    return {k: {"value": _r(v["value"]), "se": _r(v["se"]), "rows": int(v["rows"])}
            for k, v in out.items()}


def holdout_errors(actual: np.ndarray, predicted: np.ndarray, relative: float,
                   absolute: float) -> dict[str, dict[str, float]]:
    """{metric: {value, se, rows}} of a regression's holdout: MAE (its standard error from
    the absolute errors' spread) and the share within tolerance."""
    error = np.abs(predicted - actual)
    n = len(actual)
    within = float((error <= np.maximum(relative * np.abs(actual), absolute)).mean())
    return {"mae": {"value": _r(error.mean()), "se": _r(error.std() / math.sqrt(n)), "rows": n},
            "within_tolerance": {"value": _r(within),
                                 "se": _r(math.sqrt(within * (1 - within) / n)), "rows": n}}


def positive_scores(labels: np.ndarray, scores: np.ndarray, classes: list[str],
                    positive: str | None) -> np.ndarray | None:
    """The positive class's probability from (predicted label, its score), for two classes."""
    if len(classes) != 2 or positive is None:
        return None
    return np.where(labels == positive, scores, 1 - scores)


def profile(train: pd.DataFrame, holdout: pd.DataFrame, predictor: Any, target: str,
            positive: str | None) -> dict[str, Any]:
    """The reference of ``predictor`` from its training rows and the holdout."""
    meta, schema = predictor.metadata, predictor.schema
    features: dict[str, Any] = {}
    for name in predictor.features:
        if name in schema.categorical:
            features[name] = {"kind": "categorical",
                              **_categorical(train[name], schema.categorical[name])}
        elif name in schema.datetime:
            features[name] = {"kind": "datetime"}  # logged, not compared
        else:
            features[name] = {"kind": "numeric", **_numeric(train[name])}
    if getattr(predictor, "regression", False):
        values = predictor.predict_values(holdout)
        actual = holdout[target].to_numpy(dtype=float)
        return {
            "format": FORMAT,
            "model": {"name": meta.get("name"), "sha256": meta["sha256"], "task": "regression",
                      "classes": [], "positive": None, "confidence_threshold": None,
                      "tolerance": list(predictor.tolerance)},
            "rows": {"train": len(train), "holdout": len(holdout)},
            "features": features,
            "predictions": {"value_quantiles": [_r(v) for v in quantiles(values)],
                            "value_mean": _r(values.mean()), "value_std": _r(values.std())},
            "quality": holdout_errors(actual, values, *predictor.tolerance),
        }
    proba = predictor.predict_proba(holdout)
    best = proba.argmax(axis=1)
    classes = predictor.classes
    labels = np.asarray(classes, dtype=object)[best]
    scores = proba[np.arange(len(proba)), best]
    shown = scores >= predictor.threshold
    actual = holdout[target].astype(str).to_numpy(dtype=object)
    label_counts = pd.Series(labels).value_counts()
    return {
        "format": FORMAT,
        "model": {"name": meta.get("name"), "sha256": meta["sha256"], "classes": classes,
                  "positive": positive, "confidence_threshold": predictor.threshold},
        "rows": {"train": len(train), "holdout": len(holdout)},
        "features": features,
        "predictions": {
            "labels": {c: _r(label_counts.get(c, 0) / len(labels)) for c in classes},
            "score_quantiles": [_r(v) for v in quantiles(scores)],
            "above_threshold": _r(shown.mean())},
        "quality": holdout_quality(actual, labels, shown,
                                   positive_scores(labels, scores, classes, positive),
                                   classes, positive),
    }


def write(path: Path | str, reference: dict[str, Any]) -> None:
    storage.write_json(path, reference)


def read(path: Path | str) -> dict[str, Any]:
    """A reference file, checked enough that monitoring can use it, or one line."""
    path = Path(path)
    if not path.is_file():
        raise PipelineError(f"{path}: no reference file; `dvc repro` writes models/reference.json")
    try:
        data = storage.read_json(path)
    except Exception:  # noqa: BLE001 - any unreadable file: one line
        raise PipelineError(f"{path}: not a reference file (not JSON)") from None
    return check(data, str(path))


def check(data: Any, source: str) -> dict[str, Any]:
    ok = (isinstance(data, dict) and data.get("format") == FORMAT
          and isinstance(data.get("model"), dict) and isinstance(data.get("features"), dict)
          and isinstance(data["model"].get("sha256"), str)
          and isinstance(data.get("predictions"), dict) and isinstance(data.get("quality"), dict)
          and isinstance(data.get("rows"), dict)
          and all(isinstance(data["rows"].get(k), int) and data["rows"][k] > 0
                  for k in ("train", "holdout")))
    if not ok:
        raise PipelineError(f"{source}: not a reference file of format {FORMAT} (written by "
                            "`mlproject evaluate`)")
    return data
