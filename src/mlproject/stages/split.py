"""split: a stratified, seeded train/validation split of the training file.

The official test file stays untouched as the holdout.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from sklearn.model_selection import train_test_split

from mlproject import storage
from mlproject.config import Params


def split(df: pd.DataFrame, params: Params) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return (train, validation) with no row shared between them."""
    if params.schema.duplicates == "drop":
        df = df.drop_duplicates(ignore_index=True)
    target = df[params.data.target.column]
    train, validation = train_test_split(
        df, test_size=params.split.validation_fraction, random_state=params.split.seed,
        stratify=target)
    return train.sort_index(), validation.sort_index()


def main(params: Params, table: Path, out: Path) -> None:
    train, validation = split(storage.read_table(table), params)
    storage.write_table(out / "train.parquet", train)
    storage.write_table(out / "validation.parquet", validation)
    print(f"split: {len(train):,} train rows, {len(validation):,} validation rows")
