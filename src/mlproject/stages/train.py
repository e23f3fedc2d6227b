"""train: fit the model named in params and the two baselines it must beat, save them with skops.

The baselines are the rule written in params (RuleClassifier; RuleRegressor for a regression
target) and scikit-learn's DummyClassifier (the class shares; DummyRegressor: the mean), the
floor. All three are fitted in one process: the imports cost more than fitting both baselines.
"""

from __future__ import annotations

import time
from pathlib import Path

import pandas as pd
from sklearn.dummy import DummyClassifier, DummyRegressor
from sklearn.pipeline import Pipeline

from mlproject import artifact, metrics, storage, threads
from mlproject.config import Params
from mlproject.estimators import build_model
from mlproject.rule_model import RuleClassifier, RuleRegressor


def train(df: pd.DataFrame, params: Params) -> Pipeline:
    """Return the fitted pipeline for the configured estimator."""
    model = build_model(params.train.model, params.numeric_features,
                        params.categorical_features, params.train.seed, params.data.target.task)
    with threads.limited(params.train.threads):
        return model.fit(df[params.features], target_values(df, params))


def target_values(df: pd.DataFrame, params: Params):
    """The target column as the estimators take it: numbers (regression) or class labels."""
    column = df[params.data.target.column]
    return column.to_numpy(dtype=float if params.data.target.regression else object)


def baselines(df: pd.DataFrame, params: Params) -> dict[str, object]:
    """Return {name: fitted model} for the rule baseline and the prior (dummy)."""
    X, y = df[params.features], target_values(df, params)
    rule = tuple((c.column, c.op, c.value) for c in params.baseline.rule)
    if params.data.target.regression:
        return {"rule_baseline": RuleRegressor(conditions=rule).fit(X, y),
                "dummy": DummyRegressor(strategy="mean").fit(X, y)}
    return {"rule_baseline": RuleClassifier(conditions=rule).fit(X, y),
            "dummy": DummyClassifier(strategy="prior").fit(X, y)}


def main(params: Params, split_dir: Path, out_dir: Path) -> None:
    train_path = split_dir / "train.parquet"
    df = storage.read_table(train_path)
    validation = storage.read_table(split_dir / "validation.parquet")
    start = time.perf_counter()
    model = train(df, params)
    seconds = time.perf_counter() - start  # printed only: a measurement is never a tracked output
    target = params.data.target
    meta = artifact.metadata_for(params, params.train.model.name, train_path)
    if target.regression:
        scores = metrics.regression_quality(target_values(validation, params),
                                            model.predict(validation[params.features]))
        rows = {"rows": len(validation)}
        said = f"RMSE {scores['rmse']:.4g}, MAE {scores['mae']:.4g}, R² {scores['r2']:.4f}"
    else:
        proba = model.predict_proba(validation[params.features])
        order = metrics.class_order(model.classes_, target.classes)  # params' order
        proba = proba if order is None else proba[:, order]
        scores = metrics.quality(target_values(validation, params), proba, target.classes,
                                 target.positive)
        counts = validation[target.column].astype(str).value_counts()
        rows = {c: int(counts.get(c, 0)) for c in target.classes}
        said = f"ROC AUC {scores.get('roc_auc', float('nan')):.4f}, F1 {scores['f1']:.4f}"
    meta.update(hyperparameters=params.train.model.params, validation_metrics=scores,
                validation_rows=rows)
    artifact.save_model(model, out_dir / "model.skops", meta)
    print(f"train: {params.train.model.name} in {seconds:.1f}s on "
          f"{threads.count(params.train.threads)} thread(s), validation {said}")
    for name, fitted in baselines(df, params).items():
        artifact.save_model(fitted, out_dir / f"{name}.skops",
                            artifact.metadata_for(params, name, train_path))
        print(f"train: {name} saved")
