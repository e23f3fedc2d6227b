"""evaluate: the model and both baselines on the holdout: quality, product and slice metrics.

Writes reports/metrics.json (quality, product and the exact model size), reports/slices.json,
the plot data under reports/plots/ and, given the training rows, the model's reference for
monitoring (models/reference.json, see mlproject.monitor.reference). Every value is
deterministic: timings are measured when two models are compared side by side (`mlproject
compare`), never recorded here.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from mlproject import metrics, storage, threads
from mlproject.config import Params
from mlproject.predict import Predictor

MODELS = ("model", "rule_baseline", "dummy")


def evaluate(predictors: dict[str, Predictor], holdout: pd.DataFrame, params: Params) -> dict:
    """Return {"metrics", "slices", "plots"} for every model."""
    target, ev = params.data.target, params.evaluate
    if target.regression:
        return evaluate_values(predictors, holdout, params)
    y = holdout[target.column].to_numpy(dtype=object)
    out: dict = {"metrics": {}, "slices": {}, "plots": {}}
    for name, predictor in predictors.items():
        with threads.limited(params.train.threads):
            proba = predictor.predict_proba(holdout)
        out["metrics"][name] = {
            "quality": metrics.quality(y, proba, target.classes, target.positive),
            "product": metrics.product(y, proba, target.classes, predictor.threshold),
            "system": {"model_size_bytes": predictor.metadata["size_bytes"]}}
        if len(target.classes) > 2:
            out["metrics"][name]["per_class"] = metrics.per_class(y, proba, target.classes)
        out["slices"][name] = metrics.slices(holdout, y, proba, target.classes, target.positive,
                                             ev.slices)
        for kind, rows in metrics.curves(y, proba, target.classes, target.positive).items():
            out["plots"].setdefault(kind, []).extend({"model": name, **r} for r in rows)
        if name == "model":
            labels = np.asarray(target.classes, dtype=object)[proba.argmax(axis=1)]
            out["plots"]["confusion"] = [{"actual": a, "predicted": p}
                                         for a, p in zip(y, labels, strict=True)]
    return out


def evaluate_values(predictors: dict[str, Predictor], holdout: pd.DataFrame, params: Params
                    ) -> dict:
    """evaluate for a regression target: errors, the share within tolerance, slices, and per
    decile of the model's prediction the mean truth and the residuals."""
    y = holdout[params.data.target.column].to_numpy(dtype=float)
    out: dict = {"metrics": {}, "slices": {}, "plots": {}}
    for name, predictor in predictors.items():
        with threads.limited(params.train.threads):
            pred = predictor.predict_values(holdout)
        out["metrics"][name] = {
            "quality": metrics.regression_quality(y, pred),
            "product": metrics.regression_product(y, pred, *predictor.tolerance),
            "system": {"model_size_bytes": predictor.metadata["size_bytes"]}}
        out["slices"][name] = metrics.regression_slices(holdout, y, pred, params.evaluate.slices)
        for kind, rows in metrics.regression_curves(y, pred).items():
            out["plots"].setdefault(kind, []).extend({"model": name, **r} for r in rows)
    return out


def main(params: Params, holdout_path: Path, models_dir: Path, out_dir: Path,
         train_path: Path | None = None) -> None:
    predictors = {name: Predictor.load(models_dir / f"{name}.skops") for name in MODELS}
    holdout = storage.read_table(holdout_path)
    result = evaluate(predictors, holdout, params)
    if train_path is not None:
        from mlproject.monitor import reference

        target = params.data.target
        with threads.limited(params.train.threads):
            profile = reference.profile(storage.read_table(train_path), holdout,
                                        predictors["model"], target.column, target.positive)
        reference.write(models_dir / "reference.json", profile)
    for kind, rows in result.pop("plots").items():
        storage.write_csv(out_dir / "plots" / f"{kind}.csv", rows)
    for name, content in result.items():
        storage.write_json(out_dir / f"{name}.json", content)
    for name in MODELS:
        q = result["metrics"][name]["quality"]
        if params.data.target.regression:
            print(f"evaluate: {name:<14} RMSE {q['rmse']:.4g}  MAE {q['mae']:.4g}  "
                  f"R² {q['r2']:.4f}")
        else:
            print(f"evaluate: {name:<14} ROC AUC {q.get('roc_auc', float('nan')):.4f}  "
                  f"F1 {q['f1']:.4f}  accuracy {q['accuracy']:.4f}")
