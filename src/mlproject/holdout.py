"""The holdout's identity: which rows, with which labels and values, models are scored on.

The prepare stage records the holdout's fingerprint in reports/validation.json. When two models are
compared, the fingerprint of the rows they were scored on is recomputed from row keys, labels and
row hashes: equal to the recorded one means the same rows, labels and values as on main.
"""

from __future__ import annotations

import hashlib

import pandas as pd


def row_hashes(df: pd.DataFrame, columns: list[str]) -> list[str]:
    """A 16-hex-digit hash of each row's values in ``columns``, stable across library versions.

    Numbers are written with 17 significant digits, text as is, missing values as nothing.
    """
    parts = []
    for name in columns:
        values = df[name]
        if pd.api.types.is_numeric_dtype(values):
            text = values.map(lambda v: "" if pd.isna(v) else format(float(v), ".17g"))
        else:
            text = values.astype("object").map(lambda v: "" if pd.isna(v) else str(v))
        parts.append(text.to_numpy(dtype=object))
    rows = zip(*parts, strict=True) if parts else ([] for _ in range(len(df)))
    return [hashlib.blake2b("\x1f".join(row).encode(), digest_size=8).hexdigest()
            for row in rows]


def fingerprint(keys: list[int], labels: list[str], hashes: list[str]) -> str:
    """sha256 of the holdout: every row's key, label and content hash, in order.

    The PR verdict recomputes it from the rows both models were scored on and compares it with
    the one main recorded in reports/validation.json: equal means the same rows and labels.
    """
    digest = hashlib.sha256()
    for key, label, row in zip(keys, labels, hashes, strict=True):
        digest.update(f"{key}\t{label}\t{row}\n".encode())
    return digest.hexdigest()


def identity(df: pd.DataFrame, target: str) -> dict:
    """Row keys, labels, row hashes and fingerprint of a prepared table (with its ROW_KEY)."""
    from mlproject.config import ROW_KEY

    keys = [int(k) for k in df[ROW_KEY]]
    labels = df[target].astype(str).tolist()
    hashes = row_hashes(df, [c for c in df.columns if c != ROW_KEY])
    return {"keys": keys, "labels": labels, "hashes": hashes,
            "fingerprint": fingerprint(keys, labels, hashes)}
