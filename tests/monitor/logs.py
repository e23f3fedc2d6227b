"""Prediction logs made in process, for the monitoring tests and benchmarks: holdout rows
through a real Predictor and the real PredictionLog, optionally shifted like simulate-traffic
does, with their true labels (some flipped). ``Names`` picks what to shift from the project's
own params and reference, so the tests hold for whatever data the project has."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mlproject import storage
from mlproject.monitor.log import PredictionLog
from mlproject.monitor.settings import Log
from mlproject.monitor.simulate import apply_shift
from mlproject.predict import Predictor


def write_log(directory: Path, predictor: Predictor, holdout: pd.DataFrame, target: str,
              n: int, seed: int = 0, shifts: list[str] | None = None, share: float = 1.0,
              flip: float = 0.0, labels: Path | None = None, per_request: int = 1,
              prefix: str = "r") -> pd.DataFrame:
    """Log n predictions of holdout rows (drawn with replacement) in requests of
    ``per_request`` records; return the rows with their request ids and true labels."""
    rng = np.random.default_rng(seed)
    rows = holdout.iloc[rng.integers(0, len(holdout), n)].reset_index(drop=True)
    shifted = (rng.random(n) < share) & bool(shifts)
    features = apply_shift(rows[predictor.features], shifts or [], shifted,
                           predictor.metadata["schema"])
    log = PredictionLog.open(directory, predictor, Log(idle_seconds=60))
    ids = []
    for start in range(0, n, per_request):
        part = features.iloc[start:start + per_request]
        frame, predictions = predictor.predict_frame(part)
        rid = f"{prefix}{seed}-{start}"
        ids += [rid] * len(part)
        log.put(rid, frame, [p.label for p in predictions],
                np.array([p.score for p in predictions]),
                np.array([p.above_threshold for p in predictions]), 1.0)
    log.close()
    truth = rows[target].astype(str).to_numpy(dtype=object)
    flipped = rng.random(n) < flip
    classes = predictor.classes
    for i in np.flatnonzero(flipped):
        truth[i] = next(c for c in classes if c != truth[i])
    out = pd.DataFrame({"request_id": ids, "record": [i % per_request for i in range(n)],
                        "label": truth})
    if labels is not None:
        storage.write_csv(labels, out.to_dict("records") if per_request > 1 else
                          out[["request_id", "label"]].to_dict("records"))
    return out


@dataclass(frozen=True)
class Names:
    target: str
    positive: str | None
    numeric: str  # the most continuous numeric feature: a shift of it moves every quantile
    categorical: str  # a categorical feature, and its rarest value seen in training
    rare: str

    @classmethod
    def of(cls, params: Any, reference: dict[str, Any]) -> Names:
        """Chosen from a project's params (mlproject.config.Params) and model reference."""
        features = reference["features"]
        numeric = max((n for n, f in features.items() if f["kind"] == "numeric"),
                      key=lambda n: (len(set(features[n]["quantiles"])), n))
        shares = {n: f["shares"] for n, f in features.items()
                  if f["kind"] == "categorical" and len(f["shares"]) >= 2}
        categorical = max(shares, key=lambda n: (max(shares[n].values()), n))
        rare = min((v for v, share in shares[categorical].items() if share > 0),
                   key=lambda v: (shares[categorical][v], v))
        return cls(params.data.target.column, params.data.target.positive, numeric,
                   categorical, rare)

    @classmethod
    def of_project(cls, root: Path) -> Names:
        """For the project in ``root`` (its params.yaml and models/reference.json)."""
        from mlproject.config import load_params

        return cls.of(load_params(root / "params.yaml"),
                      json.loads((root / "models" / "reference.json").read_text()))
