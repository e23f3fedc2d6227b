"""prepare: read the raw files with the reader options from params, write typed Parquet."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from mlproject import schema, storage
from mlproject.config import Params


def prepare(raw: pd.DataFrame, params: Params, source: str) -> pd.DataFrame:
    """Return the raw table with typed columns and mapped labels."""
    reader = params.data.reader
    first_line = 1 + reader.skip_rows.get(Path(source).name, 0) + int(reader.header)
    return schema.typed(raw, params, source, first_line=first_line)


def main(params: Params, train: Path, holdout: Path, out: Path) -> None:
    tables = {}
    for name, path in (("train", train), ("holdout", holdout)):
        raw = storage.read_raw(path, params.data.reader, params.data.max_file_mb)
        tables[name] = prepare(raw, params, str(path))
    for name, table in tables.items():  # write only once every input has been read
        storage.write_table(out / f"{name}.parquet", table)
        print(f"prepare: {name}: {len(table):,} rows x {table.shape[1]} columns")
