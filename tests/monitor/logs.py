"""Prediction logs made in process, for the monitoring tests and benchmarks: holdout rows
through a real Predictor and the real PredictionLog, optionally shifted like simulate-traffic
does, with their true labels (some flipped)."""

from __future__ import annotations

from pathlib import Path

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
