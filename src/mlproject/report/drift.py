"""Per-feature drift of the prepared training data between two revisions.

Scores follow TFDV's comparators: L-infinity distance of category shares for categorical
features, Jensen-Shannon distance of binned values for numeric ones. Both are in [0, 1].
The base data is read from the DVC cache through `dvc.api.open`; when it is not there, drift
is reported as unavailable instead of failing the report.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

PREPARED = "artifacts/prepared/train.parquet"


def l_infinity(old: pd.Series, new: pd.Series) -> float:
    """Largest absolute difference of any category's share (missing values count as one)."""
    a = old.fillna("(missing)").value_counts(normalize=True)
    b = new.fillna("(missing)").value_counts(normalize=True)
    a, b = a.align(b, fill_value=0.0)
    return float((a - b).abs().max()) if len(a) else 0.0


def jensen_shannon(old: pd.Series, new: pd.Series, bins: int = 20) -> float:
    """Jensen-Shannon distance (base 2) of histograms on the pooled quantile bin edges."""
    a, b = old.dropna().to_numpy(float), new.dropna().to_numpy(float)
    if not len(a) or not len(b):
        return 0.0 if len(a) == len(b) else 1.0
    edges = np.unique(np.quantile(np.concatenate([a, b]), np.linspace(0, 1, bins + 1)))
    if len(edges) < 2:
        return 0.0
    p = np.histogram(np.clip(a, edges[0], edges[-1]), edges)[0] / len(a)
    q = np.histogram(np.clip(b, edges[0], edges[-1]), edges)[0] / len(b)
    m = (p + q) / 2

    def kl(x: np.ndarray) -> float:
        mask = x > 0
        return float(np.sum(x[mask] * np.log2(x[mask] / m[mask])))

    return float(np.sqrt(max(0.0, (kl(p) + kl(q)) / 2)))


def scores(old: pd.DataFrame, new: pd.DataFrame) -> dict[str, float]:
    """Return {feature: drift score} for the columns both tables share."""
    from mlproject.config import ROW_KEY

    out = {}
    for col in (c for c in new.columns if c in old.columns and c != ROW_KEY):
        numeric = pd.api.types.is_numeric_dtype(new[col]) and pd.api.types.is_numeric_dtype(
            old[col])
        out[col] = round(jensen_shannon(old[col], new[col]) if numeric
                         else l_infinity(old[col], new[col]), 4)
    return out


def between(base: str, root: Path | str = ".") -> dict[str, Any]:
    """Return {"scores": {...}} or {"unavailable": reason} for base vs the workspace."""
    import dvc.api

    try:
        new = pd.read_parquet(Path(root) / PREPARED)
        with dvc.api.open(PREPARED, repo=str(root), rev=base, mode="rb") as fh:
            old = pd.read_parquet(io.BytesIO(fh.read()))
    except Exception as exc:  # noqa: BLE001 - any missing cache or remote means "unavailable"
        return {"unavailable": f"prepared data not available at both revisions "
                               f"({type(exc).__name__})"}
    return {"scores": scores(old, new)}
