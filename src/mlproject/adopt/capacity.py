"""How large the boosted trees may grow, for a small training split.

The starter's gradient boosting (150 rounds of 31-leaf trees) suits tens of thousands of rows.
On a few hundred or a few thousand it learns the noise: on 900 rows it lost to a two-condition
rule baseline, so main failed its own gate. init-data therefore compares the configured size
with smaller trees and fewer rounds by cross-validation on the training split (never the
holdout, which judges every pull request) and keeps the smallest loss: log loss for classes,
the model's own loss (absolute or squared error) for a number. One fit per fold and tree size
gives every shorter run too (the boosting's staged predictions). A smaller model must beat the
configured one by more than MIN_GAIN, so a tie keeps the project's setting.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from mlproject import threads
from mlproject.config import Params

SMALL = 10_000  # training rows: above this the configured size stands
LEAVES = (31, 15, 7, 3)  # max_leaf_nodes tried (those below the configured one)
ROUNDS = (150, 100, 50, 25)  # max_iter tried (those below the configured one)
FOLDS = 3
MIN_GAIN = 0.01  # relative: a smaller tree must lower the cross-validated loss by more


@dataclass(frozen=True)
class Size:
    leaves: int  # max_leaf_nodes
    rounds: int  # max_iter

    def __str__(self) -> str:
        return f"max_leaf_nodes {self.leaves}, max_iter {self.rounds}"


@dataclass(frozen=True)
class Choice:
    configured: Size
    chosen: Size
    losses: dict[Size, float]  # mean cross-validated loss of each size tried
    loss: str  # what the losses measure

    def __str__(self) -> str:
        return (f"{self.configured} → {self.chosen} ({FOLDS}-fold {self.loss} on the training "
                f"split {self.losses[self.configured]:.4g} → {self.losses[self.chosen]:.4g})")


def choose(train: pd.DataFrame, params: Params) -> Choice | None:
    """The trees' size for ``train``, or None when the configured one stands (or is not
    compared: another estimator, more than SMALL rows, a class too rare for FOLDS folds, a
    size that is not a number, such as unlimited leaves)."""
    model, target = params.train.model, params.data.target
    if model.name != "hist_gradient_boosting" or len(train) > SMALL:
        return None
    leaves, rounds = model.params.get("max_leaf_nodes", 31), model.params.get("max_iter", 100)
    if not all(type(v) is int for v in (leaves, rounds)):  # unlimited leaves (None), say
        return None
    configured = Size(leaves, rounds)
    y = train[target.column]
    if not target.regression and y.astype(str).value_counts().min() < FOLDS:
        return None
    losses: dict[Size, float] = {}
    for leaves in [configured.leaves, *(n for n in LEAVES if n < configured.leaves)]:
        losses.update(_cv_losses(train, params, leaves, configured.rounds))
    best = min(losses, key=lambda s: losses[s])
    if losses[best] >= losses[configured] * (1 - MIN_GAIN):
        return None
    return Choice(configured, best, losses, _loss_name(params))


def _loss_name(params: Params) -> str:
    if not params.data.target.regression:
        return "log loss"
    return "MAE" if params.train.model.params.get("loss") == "absolute_error" else "RMSE"


def _cv_losses(train: pd.DataFrame, params: Params, leaves: int, rounds: int
               ) -> dict[Size, float]:
    """Mean cross-validated loss of trees of ``leaves`` after each of ROUNDS (one fit per
    fold: the boosting's staged predictions give every shorter run)."""
    from sklearn.model_selection import KFold, StratifiedKFold

    from mlproject.estimators import build_model
    from mlproject.stages.train import target_values

    target = params.data.target
    model = replace(params.train.model, params={**params.train.model.params,
                                                "max_leaf_nodes": leaves, "max_iter": rounds})
    X, y = train[params.features], target_values(train, params)
    folds = (KFold if target.regression else StratifiedKFold)(
        FOLDS, shuffle=True, random_state=params.train.seed)
    kept = sorted({rounds, *(r for r in ROUNDS if r < rounds)})
    losses: dict[int, list[float]] = {r: [] for r in kept}
    with threads.limited(params.train.threads):
        for fit_rows, score_rows in folds.split(X, y):
            fitted = build_model(model, params.numeric_features, params.categorical_features,
                                 params.train.seed, target.task).fit(X.iloc[fit_rows],
                                                                     y[fit_rows])
            rows, truth = fitted[:-1].transform(X.iloc[score_rows]), y[score_rows]
            estimator = fitted[-1]
            staged = list(estimator.staged_predict(rows) if target.regression else
                          estimator.staged_predict_proba(rows))  # one output per round run
            for r in kept:  # a fit that stopped early: its last round stands for the rest
                losses[r].append(_loss(params, truth, staged[min(r, len(staged)) - 1],
                                       estimator))
    return {Size(leaves, r): float(np.mean(v)) for r, v in losses.items()}


def _loss(params: Params, truth: np.ndarray, out: np.ndarray, estimator) -> float:
    from sklearn.metrics import log_loss

    if not params.data.target.regression:
        return float(log_loss(truth, out, labels=estimator.classes_))
    error = out - truth
    return float(np.mean(np.abs(error)) if _loss_name(params) == "MAE"
                 else np.sqrt(np.mean(error ** 2)))
