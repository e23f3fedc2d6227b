"""The application-facing prediction API: the same answer shape for every model type.

    predictor = Predictor.load("models/model.skops")
    predictor.predict([{"age": 39, "workclass": "State-gov", ...}])
    # [Prediction(label='<=50K', score=0.992261, above_threshold=True)]

A regression model (``data.target.task: regression``) answers with the predicted value
instead: ``[ValuePrediction(value=231.5)]``; it has no classes, scores or threshold.

Inputs are checked against the schema stored with the model (the one that validated the
training data). Unseen categories never fail: the model treats them as unknown and
``Predictor.unseen`` counts them. Anything else wrong is a one-line PipelineError: not a list
of records or a DataFrame, a key missing from any record, a number that is not a finite
float in its range (booleans and integers too large for a float included).
"""

from __future__ import annotations

import time
import uuid
from collections import Counter
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from threadpoolctl import ThreadpoolController

from mlproject import artifact, fastpath, metrics, schema, storage
from mlproject.config import Range, Schema
from mlproject.errors import PipelineError

SMALL_BATCH = 1000  # fewer rows than this are scored on one thread


@dataclass(frozen=True)
class Prediction:
    """A classification: the most likely class."""

    label: str
    score: float  # probability of ``label``
    above_threshold: bool  # show it to users only when True


@dataclass(frozen=True)
class ValuePrediction:
    """A regression: the predicted value of the target."""

    value: float


class Predictor:
    """A loaded model with its metadata; ``predict`` takes records or a DataFrame."""

    def __init__(self, model: Any, metadata: dict[str, Any]) -> None:
        self.model, self.metadata = model, metadata
        self.task = str(metadata.get("task", "classification"))
        self.regression = self.task == "regression"
        self.classes = [str(c) for c in metadata["classes"]]
        self.threshold = float(metadata["confidence_threshold"])
        tolerance = metadata.get("tolerance") or {}
        self.tolerance = (float(tolerance.get("relative", 0.1)),
                          float(tolerance.get("absolute", 0.0)))
        spec = metadata["schema"]
        self.schema = Schema(numeric={k: Range(**v) for k, v in spec["numeric"].items()},
                             categorical=spec["categorical"],
                             datetime=spec.get("datetime", []))
        self.features = list(metadata["features"])
        # scikit-learn orders predict_proba's columns by its sorted classes_; the API's columns
        # follow params' classes (["stay", "downgrade", "leave"] is not sorted)
        self._order = None if self.regression else \
            metrics.class_order(getattr(model, "classes_", self.classes), self.classes)
        self._allowed = {k: set(v) for k, v in self.schema.categorical.items()}
        self.unseen: Counter[str] = Counter()
        self._threads = ThreadpoolController()
        self._plan: Any = False  # fastpath.Plan, compiled on the first small request

    @classmethod
    def load(cls, path: Path | str) -> Predictor:
        return cls(*artifact.load_model(path))

    @classmethod
    def from_registry(cls, ref: str = "prod", root: Path | str = ".") -> Predictor:
        """The model registered as ``ref`` (``prod`` or ``vX.Y.Z``), fetched and verified."""
        from mlproject.registry.fetch import load_predictor

        return load_predictor(ref, root)

    def frame(self, records: pd.DataFrame | list[dict[str, Any]]) -> pd.DataFrame:
        """Validated feature table in training column order."""
        df = records if isinstance(records, pd.DataFrame) else table(records, self.features)
        if df.empty:
            raise PipelineError("no records to predict")
        df = schema.conform(df, self.schema, self.features)
        for column, allowed in self._allowed.items():
            values = df[column]
            # look at the distinct values first: cheap for one record and for a million
            if any(isinstance(v, str) and v not in allowed for v in pd.unique(values)):
                self.unseen[column] += int((~values.isin(allowed) & values.notna()).sum())
        return df

    def predict_proba(self, records: pd.DataFrame | list[dict[str, Any]]) -> np.ndarray:
        """Class probabilities, columns in the order of ``self.classes``."""
        if self.regression:
            raise PipelineError("a regression model predicts values, not class probabilities: "
                                "use predict or predict_values")
        return self._proba(self.frame(records))

    def predict_values(self, records: pd.DataFrame | list[dict[str, Any]]) -> np.ndarray:
        """A regression model's predicted values, one per record."""
        if not self.regression:
            raise PipelineError("a classifier predicts classes: use predict or predict_proba")
        return self._run("predict", self.frame(records)).astype(float)

    def outputs(self, records: pd.DataFrame | list[dict[str, Any]]) -> np.ndarray:
        """What the model's metrics are computed from: values (regression, shape (n,)) or
        class probabilities (shape (n, classes))."""
        frame = self.frame(records)
        return self._run("predict", frame).astype(float) if self.regression else \
            self._proba(frame)

    def _proba(self, frame: pd.DataFrame) -> np.ndarray:
        proba = self._run("predict_proba", frame)
        return proba if self._order is None else proba[:, self._order]

    def _run(self, method: str, frame: pd.DataFrame) -> np.ndarray:
        if self._plan is False:
            self._plan = fastpath.Plan.compile(self.model, self.features, self.schema)
        model, X = self.model, frame
        if self._plan is not None:  # the compiled preprocessing: no ColumnTransformer
            model, X = self._plan.estimator, self._plan.table_matrix(frame)
        # inputs were just checked, so skip scikit-learn's per-call re-validation
        with _checked_inputs():
            if len(frame) >= SMALL_BATCH:
                return getattr(model, method)(X)
            # a few rows gain nothing from OpenMP threads, and on a busy machine waiting
            # for them turns milliseconds into seconds
            with self._threads.limit(limits=1, user_api="openmp"):
                return getattr(model, method)(X)

    def predict(self, records: pd.DataFrame | list[dict[str, Any]]
                ) -> list[Prediction] | list[ValuePrediction]:
        return self.predict_frame(records)[1]

    def predict_frame(self, records: pd.DataFrame | list[dict[str, Any]]
                      ) -> tuple[Any, list[Prediction] | list[ValuePrediction]]:
        """The checked records (what the prediction log records: a table, or for a few
        records a list of checked mappings) and the predictions."""
        fast = self._fast(records)
        if fast is not None:
            return fast
        frame = self.frame(records)
        if self.regression:
            values = self._run("predict", frame).astype(float)
            return frame, [ValuePrediction(round(float(v), 6)) for v in values]
        proba = self._proba(frame)
        best = proba.argmax(axis=1)
        scores = proba[np.arange(len(proba)), best]
        return frame, [Prediction(self.classes[i], round(float(s), 6), bool(s >= self.threshold))
                       for i, s in zip(best, scores, strict=True)]

    def _fast(self, records: Any) -> tuple[list[dict[str, Any]], list[Any]] | None:
        """predict_frame for up to fastpath.MAX_RECORDS plain records through the compiled
        plan (fastpath.py); None when they need the usual path."""
        if not isinstance(records, list) or not 0 < len(records) <= fastpath.MAX_RECORDS:
            return None
        if self._plan is False:
            self._plan = fastpath.Plan.compile(self.model, self.features, self.schema)
        needed = self.features
        if self._plan is None or not all(isinstance(r, dict) and all(k in r for k in needed)
                                         for r in records):
            return None
        found = self._plan.matrix(records)
        if found is None:
            return None
        X, checked, unseen = found
        self.unseen.update(unseen)
        estimator = self._plan.taker(len(records))
        with _checked_inputs(), \
                self._threads.limit(limits=1, user_api="openmp"):
            if self.regression:
                values = estimator.predict(X).astype(float)
                return checked, [ValuePrediction(round(float(v), 6)) for v in values]
            proba = estimator.predict_proba(X)
        proba = proba if self._order is None else proba[:, self._order]
        best = proba.argmax(axis=1)
        scores = proba[np.arange(len(proba)), best]
        return checked, [Prediction(self.classes[i], round(float(s), 6),
                                    bool(s >= self.threshold)) for i, s in zip(best, scores,
                                                                               strict=True)]


def table(records: Any, features: list[str], source: str = "input") -> pd.DataFrame:
    """A DataFrame of a list of records, each a mapping holding every feature, or one line
    saying what is wrong: a missing key is refused in any record, not read as missing."""
    if isinstance(records, str | bytes | Mapping) or not isinstance(records, list | tuple):
        hint = "; wrap one record in a list: predict([record])" \
            if isinstance(records, Mapping) else ""
        raise PipelineError(f"{source}: expected a list of records (column: value mappings) "
                            f"or a DataFrame, got {type(records).__name__}{hint}")
    needed = set(features)
    for i, record in enumerate(records):
        if not isinstance(record, Mapping):
            raise PipelineError(f"{source}: record {i} is a {type(record).__name__}, not a "
                                "mapping of column: value")
        if not needed <= record.keys():
            missing = ", ".join(c for c in features if c not in record)
            where = f" (record {i})" if len(records) > 1 else ""
            raise PipelineError(f"{source}: missing column(s): {missing}{where}")
    return pd.DataFrame.from_records(records)


def main(model: Path, source: Path, out: Path, max_mb: float = 1000,
         log_dir: Path | None = None, log_settings: Any = None) -> None:
    """Batch predictions: read CSV or Parquet, write the same format with three new columns;
    with ``log_dir``, also record them in the prediction log (one request, a record per row)."""
    predictor = Predictor.load(model)
    table = storage.read_table(source, max_mb=max_mb, cap="the limit of mlproject predict")
    log = None
    if log_dir is not None:
        from mlproject.monitor.log import PredictionLog

        log = PredictionLog.open(log_dir, predictor, log_settings)
    if table.empty:
        raise PipelineError(f"{source}: header only, no rows to predict")
    # errors name the file and its lines (CSV: the header is line 1; Parquet: rows from 1)
    first = 1 if source.suffix == ".parquet" else 2
    start = time.perf_counter()
    try:
        frame, predictions = predictor.predict_frame(
            table.set_axis(pd.RangeIndex(first, first + len(table), name="line")))
    except PipelineError as exc:
        message = str(exc)
        if message.startswith("input:"):
            raise PipelineError(f"{source}:{message[len('input:'):]}") from None
        raise
    rows = [asdict(p) for p in predictions]
    if log is not None:
        from mlproject.monitor.log import fields

        log.put(uuid.uuid4().hex, frame, *fields(predictions),
                (time.perf_counter() - start) * 1000 / max(1, len(rows)))
        log.close()
    result = table.assign(**pd.DataFrame(rows, index=table.index).add_prefix("prediction_"))
    if out.suffix == ".parquet":
        storage.write_table(out, result)
    else:
        with storage.atomic_path(out) as tmp:
            result.to_csv(tmp, index=False)
    unseen = ", ".join(f"{k}={v}" for k, v in sorted(predictor.unseen.items())) or "none"
    print(f"predict: {len(result):,} rows -> {out} (unseen categories: {unseen})")


def _checked_inputs() -> Any:
    """scikit-learn's settings for inputs this module has just checked: no re-validation."""
    import sklearn  # already loaded with the model; importing this module stays light

    return sklearn.config_context(assume_finite=True, skip_parameter_validation=True)
