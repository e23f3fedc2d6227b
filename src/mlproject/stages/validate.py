"""validate: check the prepared tables against the schema, write a validation summary."""

from __future__ import annotations

from pathlib import Path

from mlproject import schema, storage
from mlproject.config import Params


def main(params: Params, prepared: Path, summary: Path) -> None:
    result = {}
    for name in ("train", "holdout"):
        path = prepared / f"{name}.parquet"
        df = storage.read_table(path)
        checks = schema.data_schema(params.schema, params.data.target,
                                    check_duplicates=name == "train")
        valid = schema.validate(df, checks, str(path))
        result[name] = schema.summary(valid, params)
        print(f"validate: {name}: {len(valid):,} rows pass the schema")
    storage.write_json(summary, result)
