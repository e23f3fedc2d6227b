"""train: fit the estimator named in params (preprocessing included), save it with skops."""

from __future__ import annotations

import time
from pathlib import Path

import pandas as pd
from sklearn.pipeline import Pipeline

from mlproject import artifact, metrics, storage
from mlproject.config import Params
from mlproject.estimators import build_model


def train(df: pd.DataFrame, params: Params) -> Pipeline:
    """Return the fitted pipeline for the configured estimator."""
    from threadpoolctl import ThreadpoolController

    model = build_model(params.train.model, params.numeric_features,
                        params.categorical_features, params.train.seed)
    # One OpenMP thread: gradient boosting sums histograms in parallel, and another thread
    # count changes the float sums, so the model bytes would depend on the machine's cores.
    with ThreadpoolController().limit(limits=1, user_api="openmp"):
        return model.fit(df[params.features],
                         df[params.data.target.column].to_numpy(dtype=object))


def main(params: Params, split_dir: Path, out: Path) -> None:
    train_path = split_dir / "train.parquet"
    df = storage.read_table(train_path)
    validation = storage.read_table(split_dir / "validation.parquet")
    start = time.perf_counter()
    model = train(df, params)
    seconds = time.perf_counter() - start
    target = params.data.target
    proba = model.predict_proba(validation[params.features])
    scores = metrics.quality(validation[target.column].to_numpy(dtype=object), proba,
                             target.classes, target.positive)
    meta = artifact.metadata_for(params, params.train.model.name, train_path)
    meta.update(hyperparameters=params.train.model.params, training_time_s=round(seconds, 3),
                validation_metrics=scores)
    artifact.save_model(model, out, meta)
    print(f"train: {params.train.model.name} in {seconds:.1f}s, validation ROC AUC "
          f"{scores.get('roc_auc', float('nan')):.4f}, F1 {scores['f1']:.4f}")
