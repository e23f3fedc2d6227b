"""Infer reader options, a schema and the target's classes from a table a newcomer brings.

Everything returned is plain data for params.yaml; the person reviews it afterwards.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd

from mlproject import leakage, storage
from mlproject.errors import PipelineError

MISSING_MARKERS = ["", "?", "NA", "N/A", "n/a", "na", "null", "NULL", "None", "nan", "NaN", "-"]
MAX_CATEGORIES = 1000  # more distinct values than this: text-like, not a feature
MAX_CLASSES = 20  # a numeric target with more distinct values would be a regression
MIN_CLASS_ROWS = 10  # fewer rows of a class leave none for the holdout


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


def read(source: Path, separator: str | None, header: bool | None, missing: list[str] | None,
         max_mb: float, cap: str) -> tuple[dict, pd.DataFrame]:
    """(reader options for params, the table as text with missing markers as NaN)."""
    storage.check_file(source, max_mb, cap)
    if source.suffix == ".parquet":
        df = storage.as_text(storage.read_table(source))
        reader: dict = {"columns": list(df.columns)}
    else:
        reader = sniff(source, separator, header)
        try:
            df = pd.read_csv(source, sep=reader["separator"], dtype=str, keep_default_na=False,
                             header=0 if reader["header"] else None, encoding="utf-8",
                             skipinitialspace=reader["skip_initial_space"], index_col=False)
        except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            raise PipelineError(f"{source}: cannot be read ({first})") from None
        if not reader["header"]:
            df.columns = [f"column_{i + 1}" for i in range(df.shape[1])]
        df.columns = [str(c).strip() for c in df.columns]
        present = {v for c in df.columns for v in df[c].unique()}
        markers = missing if missing is not None else [m for m in MISSING_MARKERS
                                                       if m in present]
        reader.update(columns=list(df.columns), missing_values=markers, encoding="utf-8")
        df = df.replace(markers, None) if markers else df
    if df.empty:
        raise PipelineError(f"{source}: no rows (header only)")
    return reader, df


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
            # an identifier: a distinct whole number in every row, counted out (1, 2, 3, ...)
            # or named so; distinct numbers spread wide (incomes) are measurements
            whole = bool(np.all(np.mod(numbers, 1) == 0))
            counted = whole and (leakage.counter_like(numbers.to_numpy(dtype="float64"))
                                 or bool(leakage.ID_NAME.search(str(name))))
            kinds[name] = "excluded" if distinct == len(df) and counted else "numeric"
        elif len(values) and _dates(values).notna().mean() > 0.95:
            kinds[name] = "datetime"
        elif distinct > MAX_CATEGORIES or (distinct > 50 and distinct > 0.5 * len(values)):
            kinds[name] = "excluded"
        else:
            kinds[name] = "categorical"
    return kinds


def _dates(values: pd.Series) -> pd.Series:
    """The sample's values read as dates; NaT where a value is not one. Only years 1800 to
    2200 count: the date parser reads an id such as ``T-00001`` as 1 January of year 1."""
    sample = values.head(1000).astype(str)
    if sample.str.fullmatch(r"[+-]?\d+(\.\d+)?").any():  # plain numbers are not dates
        return pd.Series(pd.NaT, index=sample.index)
    stamps = pd.to_datetime(sample, errors="coerce", format="mixed", utc=True)
    return stamps.where(stamps.dt.year.between(1800, 2200))


def task(df: pd.DataFrame, target: str, given: str | None = None) -> str:
    """``regression`` for a numeric target with more than MAX_CLASSES distinct values (or when
    ``given`` says so), else ``classification``; a clear error when the target cannot be one."""
    if target not in df.columns:
        raise PipelineError(f"target column {target!r} is not in the file; columns: "
                            f"{', '.join(map(str, df.columns))}")
    values = df[target]
    labels = _number_labels(values.dropna())
    if given == "regression":
        if labels is None:
            bad = [str(v) for v in values.dropna().unique() if _plain_number(str(v)) is None]
            raise PipelineError(f"--task regression: target column {target!r} is not numeric "
                                f"({len(bad)} distinct value(s) are not numbers, e.g. "
                                f"{bad[0][:40]!r})")
        return "regression"
    if given is None and labels is not None and len(set(labels.values())) > MAX_CLASSES:
        return "regression"
    return "classification"


def target_values(df: pd.DataFrame, target: str) -> None:
    """Refuse a regression target with missing values or a single value."""
    values = pd.to_numeric(df[target], errors="coerce")
    if values.isna().any():
        raise PipelineError(f"target column {target!r} has {int(values.isna().sum())} missing "
                            "value(s); drop those rows or fill them before using this file")
    if values.nunique() < 2:
        raise PipelineError(f"target column {target!r} has a single value; there is nothing "
                            "to predict")


def target_classes(df: pd.DataFrame, target: str, positive: str | None = None
                   ) -> tuple[list[str], str | None, dict[str, str]]:
    """(classes, positive class, raw label -> class) of a classification target, or a clear
    error. Numeric labels are one class per number (``1`` and ``1.0`` are the same class)."""
    if target not in df.columns:
        raise PipelineError(f"target column {target!r} is not in the file; columns: "
                            f"{', '.join(map(str, df.columns))}")
    values = df[target]
    if values.isna().any():
        raise PipelineError(f"target column {target!r} has {int(values.isna().sum())} missing "
                            "value(s); drop those rows or fill them before using this file")
    labels = _number_labels(values)
    counts = values.map(labels).value_counts() if labels is not None else values.value_counts()
    if labels is not None and len(counts) > MAX_CLASSES:
        raise PipelineError(
            f"target column {target!r} is numeric with {len(counts)} distinct values: too "
            f"many classes (at most {MAX_CLASSES}); predict it as a number with --task "
            "regression")
    if len(counts) < 2:
        raise PipelineError(f"target column {target!r} has a single class "
                            f"({counts.index[0]!r}); a classifier needs at least two")
    small = counts[counts < MIN_CLASS_ROWS]
    if len(small):
        raise PipelineError(f"target column {target!r}: class {small.index[-1]!r} has only "
                            f"{int(small.iloc[-1])} row(s); every class needs at least "
                            f"{MIN_CLASS_ROWS} (merge rare classes or drop their rows)")
    classes = sorted(map(str, counts.index))
    if positive is not None:
        positive = _plain_number(positive) if labels is not None else positive
        if positive not in classes:
            raise PipelineError(f"--positive {positive!r} is not a class of {target!r}; "
                                f"classes: {', '.join(classes)}")
    elif len(classes) == 2:
        positive = _usual_positive(classes) or str(counts.index[-1])  # else the rarer class
    return classes, positive if len(classes) == 2 else None, {
        k: v for k, v in (labels or {}).items() if k != v}


def _number_labels(values: pd.Series) -> dict[str, str] | None:
    """{raw label: the number written plainly} when every label is a number, else None."""
    distinct = [str(v) for v in values.unique()]
    plain = [_plain_number(v) for v in distinct]
    return None if None in plain else dict(zip(distinct, plain, strict=True))


def _plain_number(text: str) -> str | None:
    """``text`` as a plainly written finite number ("1.0" -> "1"), or None."""
    try:
        number = float(text)
    except ValueError:
        return None
    if not np.isfinite(number):
        return None
    return str(int(number)) if number.is_integer() else repr(number)


def _usual_positive(classes: list[str]) -> str | None:
    """The positive class of a conventional pair (0/1, no/yes, false/true), if it is one."""
    pairs = {("0", "1"), ("false", "true"), ("n", "y"), ("negative", "positive"), ("no", "yes")}
    low = [c.lower() for c in classes]
    for negative, positive in pairs:
        if sorted(low) == sorted([negative, positive]):
            return classes[low.index(positive)]
    return None


def slice_columns(df: pd.DataFrame, kinds: dict[str, str], limit: int = 2) -> list[str]:
    """Categorical columns with 2-10 values, fewest values first: natural segments."""
    small = [(df[c].nunique(), c) for c, k in kinds.items() if k == "categorical"
             and 2 <= df[c].nunique() <= 10]
    return [c for _, c in sorted(small)[:limit]]
