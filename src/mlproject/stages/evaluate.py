"""evaluate: the model and both baselines on the holdout, four families of metrics.

Writes reports/metrics.json (quality + product, deterministic), reports/system.json (size,
training time, latency: measured, so they vary a little run to run), reports/slices.json and
the plot data under reports/plots/.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd

from mlproject import metrics, storage
from mlproject.config import Params
from mlproject.predict import Predictor

MODELS = ("model", "rule_baseline", "dummy")


def system(predictor: Predictor, holdout: pd.DataFrame, repeats: int) -> dict:
    """Model size, training time, one-record latency percentiles and batch throughput."""
    records = holdout[predictor.features].head(repeats).to_dict("records")
    timings = []
    for record in records:
        start = time.perf_counter()
        predictor.predict([record])
        timings.append(time.perf_counter() - start)
    start = time.perf_counter()
    predictor.predict_proba(holdout)
    batch = time.perf_counter() - start
    return {"model_size_bytes": predictor.metadata["size_bytes"],
            "training_time_s": predictor.metadata["training_time_s"],
            "latency_one_ms_p50": round(float(np.percentile(timings, 50)) * 1000, 3),
            "latency_one_ms_p95": round(float(np.percentile(timings, 95)) * 1000, 3),
            "batch_rows_per_s": round(len(holdout) / batch)}


def evaluate(predictors: dict[str, Predictor], holdout: pd.DataFrame, params: Params) -> dict:
    """Return {"metrics", "system", "slices", "plots"} for every model."""
    target, ev = params.data.target, params.evaluate
    y = holdout[target.column].to_numpy(dtype=object)
    out: dict = {"metrics": {}, "system": {}, "slices": {}, "plots": {}}
    for name, predictor in predictors.items():
        proba = predictor.predict_proba(holdout)
        out["metrics"][name] = {
            "quality": metrics.quality(y, proba, target.classes, target.positive),
            "product": metrics.product(y, proba, target.classes, predictor.threshold)}
        if len(target.classes) > 2:
            out["metrics"][name]["per_class"] = metrics.per_class(y, proba, target.classes)
        out["system"][name] = system(predictor, holdout, ev.latency_repeats)
        out["slices"][name] = metrics.slices(holdout, y, proba, target.classes, target.positive,
                                             ev.slices, ev.min_slice_rows)
        for kind, rows in metrics.curves(y, proba, target.classes, target.positive).items():
            out["plots"].setdefault(kind, []).extend({"model": name, **r} for r in rows)
        if name == "model":
            labels = np.asarray(target.classes, dtype=object)[proba.argmax(axis=1)]
            out["plots"]["confusion"] = [{"actual": a, "predicted": p}
                                         for a, p in zip(y, labels, strict=True)]
    return out


def main(params: Params, holdout_path: Path, models_dir: Path, model_path: Path,
         out_dir: Path) -> None:
    paths = {"model": model_path, "rule_baseline": models_dir / "rule_baseline.skops",
             "dummy": models_dir / "dummy.skops"}
    predictors = {name: Predictor.load(path) for name, path in paths.items()}
    result = evaluate(predictors, storage.read_table(holdout_path), params)
    for kind, rows in result.pop("plots").items():
        storage.write_csv(out_dir / "plots" / f"{kind}.csv", rows)
    for name, content in result.items():
        storage.write_json(out_dir / f"{name}.json", content)
    for name in MODELS:
        q = result["metrics"][name]["quality"]
        print(f"evaluate: {name:<14} ROC AUC {q.get('roc_auc', float('nan')):.4f}  "
              f"F1 {q['f1']:.4f}  accuracy {q['accuracy']:.4f}")
