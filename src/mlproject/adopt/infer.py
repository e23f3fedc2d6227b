"""Infer reader options, a schema and a rule baseline from a table a newcomer brings.

Everything returned is plain data for params.yaml; the person reviews it afterwards.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd

from mlproject.errors import PipelineError

MISSING_MARKERS = ["", "?", "NA", "N/A", "n/a", "na", "null", "NULL", "None", "nan", "NaN", "-"]
MAX_CATEGORIES = 1000  # more distinct values than this: text-like, not a feature
MAX_CLASSES = 20  # a numeric target with more distinct values would be a regression
SAMPLE_ROWS = 50_000


def sniff(path: Path, separator: str | None, header: bool | None) -> dict:
    """Reader options of a delimited text file: separator, header, space after separators."""
    with open(path, encoding="utf-8", errors="replace", newline="") as fh:
        head = fh.read(64_000)
    if not head.strip():
        raise PipelineError(f"{path}: file is empty")
    sniffer = csv.Sniffer()
    if separator is None:
        try:
            separator = sniffer.sniff(head, delimiters=",;\t|").delimiter
        except csv.Error:
            separator = ","
    if header is None:
        try:
            header = sniffer.has_header(head)
        except csv.Error:
            header = True
    lines = head.splitlines()[1:50]
    spaced = sum(f"{separator} " in line for line in lines) > len(lines) / 2
    return {"separator": separator, "header": bool(header), "skip_initial_space": spaced}


def column_kinds(df: pd.DataFrame, target: str) -> dict[str, str]:
    """Map each column to numeric, categorical, datetime, or excluded (ids and free text)."""
    kinds = {}
    for name in df.columns:
        values = df[name].dropna()
        if name == target:
            continue
        numbers = pd.to_numeric(values, errors="coerce")
        distinct = values.nunique()
        if len(values) and numbers.notna().all():
            whole = bool(np.all(np.mod(numbers, 1) == 0))
            kinds[name] = "excluded" if whole and distinct == len(df) else "numeric"
        elif len(values) and _dates(values).notna().mean() > 0.95:
            kinds[name] = "datetime"
        elif distinct > MAX_CATEGORIES or (distinct > 50 and distinct > 0.5 * len(values)):
            kinds[name] = "excluded"
        else:
            kinds[name] = "categorical"
    return kinds


def _dates(values: pd.Series) -> pd.Series:
    sample = values.head(1000).astype(str)
    if sample.str.fullmatch(r"[+-]?\d+(\.\d+)?").any():  # plain numbers are not dates
        return pd.Series(pd.NaT, index=sample.index)
    return pd.to_datetime(sample, errors="coerce", format="mixed")


def target_classes(df: pd.DataFrame, target: str) -> tuple[list[str], str | None]:
    """(classes, positive class) of a classification target, or a clear error."""
    if target not in df.columns:
        raise PipelineError(f"target column {target!r} is not in the file; columns: "
                            f"{', '.join(map(str, df.columns))}")
    values = df[target]
    if values.isna().any():
        raise PipelineError(f"target column {target!r} has {int(values.isna().sum())} missing "
                            "value(s); drop those rows or fill them before using this file")
    counts = values.value_counts()
    numeric = pd.to_numeric(values, errors="coerce").notna().all()
    if numeric and len(counts) > MAX_CLASSES:
        raise PipelineError(
            f"target column {target!r} is numeric with {len(counts)} distinct values: "
            "regression is not supported by this template; choose a categorical target "
            "or bin the numbers into classes first")
    if len(counts) < 2:
        raise PipelineError(f"target column {target!r} has a single class")
    classes = sorted(map(str, counts.index))
    positive = str(counts.index[-1]) if len(counts) == 2 else None  # the rarer class
    return classes, positive


def rule_baseline(df: pd.DataFrame, target: str, kinds: dict[str, str]) -> list[dict]:
    """One condition on the single most informative feature (by information gain)."""
    sample = df.sample(min(len(df), SAMPLE_ROWS), random_state=0)
    y = sample[target].astype(str).to_numpy()
    best: tuple[float, dict] | None = None
    for name, kind in kinds.items():
        for condition, mask in _candidates(sample[name], kind, y):
            gain = _gain(y, mask)
            if best is None or gain > best[0] + 1e-12:
                best = (gain, {"column": name, **condition})
    return [best[1]] if best else []


def _candidates(values: pd.Series, kind: str, y: np.ndarray):
    if kind == "numeric":
        numbers = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
        for q in np.unique(np.nanquantile(numbers, np.linspace(0.1, 0.9, 9))):
            yield {"op": ">=", "value": _plain(q)}, numbers >= q
    elif kind == "categorical":
        text = values.astype(str).to_numpy()
        frame = pd.DataFrame({"v": text, "y": y})
        top = frame["y"].value_counts().index[0]  # the majority class overall
        share = frame.assign(top=frame["y"] == top).groupby("v")["top"].mean()
        chosen = sorted(share[share < (frame["y"] == top).mean()].index)
        if chosen and len(chosen) < len(share):
            yield {"op": "in", "value": chosen}, np.isin(text, chosen)


def _gain(y: np.ndarray, mask: np.ndarray) -> float:
    def entropy(part: np.ndarray) -> float:
        if not len(part):
            return 0.0
        p = pd.Series(part).value_counts(normalize=True).to_numpy()
        return float(-(p * np.log2(p)).sum())

    n = len(y)
    return entropy(y) - (mask.sum() / n * entropy(y[mask]) + (~mask).sum() / n * entropy(y[~mask]))


def slice_columns(df: pd.DataFrame, kinds: dict[str, str], limit: int = 2) -> list[str]:
    """Categorical columns with 2-10 values, fewest values first: natural segments."""
    small = [(df[c].nunique(), c) for c, k in kinds.items() if k == "categorical"
             and 2 <= df[c].nunique() <= 10]
    return [c for _, c in sorted(small)[:limit]]


def _plain(value: float) -> float | int:
    return int(value) if float(value).is_integer() else round(float(value), 6)
