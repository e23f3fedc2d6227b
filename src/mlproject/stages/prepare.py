"""prepare: read the raw files, type their columns, validate them, write typed Parquet.

Validation happens here, before anything is written: a bad file stops the pipeline with one line
naming the file, the column and its lines, and the previous outputs stay as they were. The summary
(rows, class balance, the holdout's fingerprint) goes to reports/validation.json.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from mlproject import holdout as holdout_rows
from mlproject import schema, storage
from mlproject.config import Params


def prepare(raw: pd.DataFrame, params: Params, source: str) -> pd.DataFrame:
    """Return the raw table with typed columns and mapped labels."""
    return schema.typed(raw, params, source)


def carve_holdout(df: pd.DataFrame, fraction: float, seed: int) -> tuple[pd.DataFrame, ...]:
    """Split one file into (train, holdout) by a seeded draw per row.

    Not stratified on purpose: this runs before validation, when the target may still be bad.
    """
    holdout = np.random.default_rng(seed).random(len(df)) < fraction
    return df[~holdout].reset_index(drop=True), df[holdout].reset_index(drop=True)


def validate(tables: dict[str, pd.DataFrame], sources: dict[str, str], params: Params) -> dict:
    """Check every table against the schema; return the validation summary of each."""
    summary = {}
    for name, table in tables.items():
        checks = schema.data_schema(params.schema, params.data.target,
                                    check_duplicates=name == "train")
        tables[name] = schema.validate(table, checks, sources[name])
        summary[name] = schema.summary(tables[name], params)
    identity = holdout_rows.identity(tables["holdout"], params.data.target.column)
    summary["holdout"]["fingerprint"] = identity["fingerprint"]
    return summary


def main(params: Params, train: Path, holdout: Path | None, out: Path, summary: Path) -> None:
    """Prepare and validate the training file and the holdout file (or a holdout carved from
    the training file); write nothing unless both pass."""
    data = params.data
    tables, sources = {}, {}
    for name, path in (("train", train), ("holdout", holdout)):
        if path is not None:
            raw = storage.read_raw(path, data.reader, data.max_file_mb)
            tables[name], sources[name] = prepare(raw, params, str(path)), str(path)
    if holdout is None:
        tables["train"], tables["holdout"] = carve_holdout(
            tables["train"], data.holdout_fraction, data.holdout_seed)
        sources["holdout"] = f"{train} (holdout rows)"
    result = validate(tables, sources, params)
    for name, table in tables.items():  # written only once every table passed
        storage.write_table(out / f"{name}.parquet", table)
        print(f"prepare: {name}: {len(table):,} rows x {table.shape[1] - 1} columns, valid")
    storage.write_json(summary, result)
