"""split: a stratified, seeded train/validation split of the training table (strata: the
classes, or a regression target's deciles).

The holdout (prepared separately) stays untouched.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from mlproject import metrics, storage
from mlproject.config import ROW_KEY, Params


def split(df: pd.DataFrame, params: Params) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return (train, validation) with no row shared between them."""
    if params.schema.duplicates == "drop":  # identical values; the row key differs anyway
        df = df.drop_duplicates(subset=df.columns.difference([ROW_KEY]), ignore_index=True)
    rng = np.random.default_rng(params.split.seed)
    picked = []
    target = df[params.data.target.column]
    strata = metrics.deciles(target.to_numpy(dtype=float)) if params.data.target.regression \
        else target
    # per stratum, a seeded shuffle and the first share of it: each keeps its proportion
    for _, rows in pd.Series(strata).groupby(strata, sort=True).indices.items():
        count = int(round(len(rows) * params.split.validation_fraction))
        picked.append(rng.permutation(rows)[:count])
    in_validation = np.zeros(len(df), dtype=bool)
    in_validation[np.concatenate(picked)] = True
    return df[~in_validation], df[in_validation]


def main(params: Params, table: Path, out: Path) -> None:
    train, validation = split(storage.read_table(table), params)
    storage.write_table(out / "train.parquet", train)
    storage.write_table(out / "validation.parquet", validation)
    print(f"split: {len(train):,} train rows, {len(validation):,} validation rows")
