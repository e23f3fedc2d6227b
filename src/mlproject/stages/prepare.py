"""prepare: read the raw files with the reader options from params, write typed Parquet."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from mlproject import schema, storage
from mlproject.config import Params


def prepare(raw: pd.DataFrame, params: Params, source: str) -> pd.DataFrame:
    """Return the raw table with typed columns and mapped labels."""
    reader = params.data.reader
    first_line = 1 + reader.skip_rows.get(Path(source).name, 0) + int(reader.header)
    return schema.typed(raw, params, source, first_line=first_line)


def carve_holdout(df: pd.DataFrame, fraction: float, seed: int) -> tuple[pd.DataFrame, ...]:
    """Split one file into (train, holdout) by a seeded draw per row.

    Not stratified on purpose: this runs before validation, when the target may still be bad.
    """
    holdout = np.random.default_rng(seed).random(len(df)) < fraction
    return df[~holdout].reset_index(drop=True), df[holdout].reset_index(drop=True)


def main(params: Params, train: Path, holdout: Path | None, out: Path) -> None:
    """Prepare the training file and the holdout file (or a holdout carved from the former)."""
    data = params.data
    tables = {}
    for name, path in (("train", train), ("holdout", holdout)):
        if path is not None:
            raw = storage.read_raw(path, data.reader, data.max_file_mb)
            tables[name] = prepare(raw, params, str(path))
    if holdout is None:
        tables["train"], tables["holdout"] = carve_holdout(
            tables["train"], data.holdout_fraction, data.holdout_seed)
    for name, table in tables.items():  # write only once every input has been read
        storage.write_table(out / f"{name}.parquet", table)
        print(f"prepare: {name}: {len(table):,} rows x {table.shape[1]} columns")
