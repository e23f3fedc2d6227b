"""Estimators chosen by name in params.yaml, wrapped with their preprocessing.

Swapping the model is a params change: ``train.model.name`` picks a row of ``ESTIMATORS`` and
``train.model.params`` are its hyperparameters. Preprocessing lives in the same scikit-learn
pipeline, so a saved model takes raw feature columns.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mlproject.errors import PipelineError

if TYPE_CHECKING:
    from sklearn.compose import ColumnTransformer
    from sklearn.pipeline import Pipeline

    from mlproject.config import Model


@dataclass(frozen=True)
class Spec:
    classifier: str | None  # module.Class; imported only when a model is built
    regressor: str | None  # the same family's regressor (None: the family has no such task)
    linear: bool  # needs scaling and one-hot encoding; trees take ordinal codes and NaN

    def path(self, task: str) -> str | None:
        return self.regressor if task == "regression" else self.classifier

    def cls(self, task: str = "classification") -> type:
        path = self.path(task)
        if path is None:
            raise PipelineError(f"no {task} estimator in this family")
        module, name = path.rsplit(".", 1)
        return getattr(importlib.import_module(module), name)


ESTIMATORS: dict[str, Spec] = {
    "logistic_regression": Spec("sklearn.linear_model.LogisticRegression", None, linear=True),
    "linear": Spec(None, "sklearn.linear_model.Ridge", linear=True),
    "random_forest": Spec("sklearn.ensemble.RandomForestClassifier",
                          "sklearn.ensemble.RandomForestRegressor", linear=False),
    "hist_gradient_boosting": Spec("sklearn.ensemble.HistGradientBoostingClassifier",
                                   "sklearn.ensemble.HistGradientBoostingRegressor",
                                   linear=False),
}


def build_model(model: Model, numeric: list[str], categorical: list[str], seed: int,
                task: str = "classification") -> Pipeline:
    """Return an unfitted pipeline: preprocessing + the named estimator for ``task``."""
    spec = ESTIMATORS[model.name]
    cls = spec.cls(task)
    estimator = cls()
    allowed = estimator.get_params()
    for key in model.params:
        if key not in allowed:
            raise PipelineError(f"params.yaml: train.model.params.{key}: not a parameter of "
                                f"{cls.__name__}")
    settings: dict[str, Any] = dict(model.params)
    if "random_state" in allowed:
        settings.setdefault("random_state", seed)
    estimator.set_params(**settings)
    from sklearn.pipeline import Pipeline

    return Pipeline([("preprocess", preprocessor(spec.linear, numeric, categorical)),
                     ("estimator", estimator)])


def preprocessor(linear: bool, numeric: list[str], categorical: list[str]) -> ColumnTransformer:
    """Impute, scale and encode. Unseen categories never fail: they become 'unknown'."""
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler

    if linear:
        num = make_pipeline(SimpleImputer(strategy="median"), StandardScaler())
        cat = make_pipeline(
            SimpleImputer(strategy="constant", fill_value="missing"),
            OneHotEncoder(handle_unknown="ignore", min_frequency=5, sparse_output=False))
    else:
        num = "passthrough"  # trees handle NaN natively
        # Rare and unseen categories share one code; at most 250 codes fit a tree's bins.
        cat = OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1,
                             encoded_missing_value=-1, max_categories=250, dtype="float64")
    return ColumnTransformer([("numeric", num, numeric), ("categorical", cat, categorical)],
                             verbose_feature_names_out=False)
