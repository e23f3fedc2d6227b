"""The one data schema, derived from params.yaml, used by training and prediction alike.

``typed`` turns raw text columns into their dtypes and ``validate`` checks a typed table against
the pandera schema ``data_schema`` builds (both in the prepare stage); ``conform`` applies the same
rules to records at prediction time. Errors name the raw file and its 1-based line numbers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from mlproject.config import ROW_KEY, Params, Range, Schema, Target
from mlproject.errors import PipelineError, quote, quote_some

if TYPE_CHECKING:  # pandera loads in ~1 s: prediction and the report never need it
    import pandera.pandas as pa

MAX_SHOWN = 3  # rows named in an error message
DUPLICATES = "no duplicate rows"


def _unit(source: str) -> str:
    return "row" if source.endswith(".parquet") else "line"


def typed(df: pd.DataFrame, params: Params, source: str) -> pd.DataFrame:
    """Return ``df`` with numeric columns as float64 and text columns as strings.

    ``df`` is a raw table from ``storage.read_raw``: its ROW_KEY column names lines in errors.
    """
    target, sc = params.data.target, params.schema
    out = df.copy()
    numbers_in = [*sc.numeric, *([target.column] if target.regression else [])]
    for name in [*numbers_in, *sc.datetime]:
        if name not in out:
            continue
        text = out[name].astype("str").str.strip()
        kind = "dates" if name in sc.datetime else "numbers"
        numbers = pd.Series(_days(text) if kind == "dates" else pd.to_numeric(text, "coerce"),
                            index=text.index)
        bad = (numbers.isna() & text.notna()).to_numpy()
        if bad.any():
            raise PipelineError(
                f"{source}: column {name!r}: {int(bad.sum())} value(s) are not {kind} "
                f"({_unit(source)} {quote_some(out[ROW_KEY].to_numpy()[bad].tolist())}: "
                f"{quote_some(text[bad].tolist())})")
        out[name] = numbers.astype("float64")
    for name in out.columns.difference([*numbers_in, *sc.datetime, ROW_KEY]):
        out[name] = out[name].astype("str")
    if target.column in out and target.strip:
        out[target.column] = out[target.column].str.removesuffix(target.strip)
    if target.column in out and target.labels:
        out[target.column] = out[target.column].replace(target.labels)
    return out


def data_schema(sc: Schema, target: Target, *, check_duplicates: bool = True
                ) -> pa.DataFrameSchema:
    """Build the pandera schema a prepared table (without its ROW_KEY) must satisfy."""
    import pandera.pandas as pa

    columns: dict[str, pa.Column] = {}
    for name, rng in sc.numeric.items():
        checks = [pa.Check(lambda s: _finite(s) | s.isna(), name="finite")]
        if rng.min is not None or rng.max is not None:
            checks.append(pa.Check(lambda s, r=rng: _in_range(s, r) | s.isna(),
                                   name=f"in range [{_bound(rng.min)}, {_bound(rng.max)}]"))
        columns[name] = pa.Column("float64", checks=checks, nullable=True, coerce=True)
    for name in sc.datetime:
        columns[name] = pa.Column("float64", checks=[pa.Check(lambda s: _finite(s) | s.isna(),
                                                              name="finite")], nullable=True)
    for name, allowed in sc.categorical.items():
        columns[name] = pa.Column("str", checks=[pa.Check.isin(allowed)], nullable=True,
                                  coerce=True)
    if target.regression:
        columns[target.column] = pa.Column(
            "float64", checks=[pa.Check(_finite, name="finite")], nullable=False, coerce=True)
    else:
        columns[target.column] = pa.Column(
            "str", checks=[pa.Check.isin(target.classes)], nullable=False, coerce=True)
    frame_checks = [
        pa.Check(lambda df: df[target.column].nunique() >= 2,
                 name="at least two values" if target.regression else "at least two classes"),
        pa.Check(lambda df: len(df) >= sc.min_rows, name=f"at least {sc.min_rows} rows")]
    if sc.duplicates == "reject" and check_duplicates:
        frame_checks.append(pa.Check(lambda df: ~df.duplicated(), name=DUPLICATES))
    strict = "filter" if sc.extra_columns == "drop" else True
    return pa.DataFrameSchema(columns, checks=frame_checks, strict=strict, ordered=False)


def conform(df: pd.DataFrame, sc: Schema, features: list[str], source: str = "input"
            ) -> pd.DataFrame:
    """Prediction-time check with the same rules, fast enough for one record per call.

    Missing feature columns and bad numbers fail (text that is not a number, booleans,
    infinities, integers too large for a float, values out of range); extra columns are
    ignored; categories the model never saw pass through (the model's encoder treats them as
    unknown).
    """
    if not isinstance(df, pd.DataFrame):
        raise PipelineError(f"{source}: expected a table (pandas DataFrame), got "
                            f"{type(df).__name__}")
    missing = [c for c in features if c not in df.columns]
    if missing:
        raise PipelineError(f"{source}: missing column(s): {', '.join(missing)}")
    out = {}
    for name in features:
        values = df[name].to_numpy()
        if name in sc.numeric:
            out[name] = _numbers(values, sc.numeric[name], name, source, df.index)
        elif name in sc.datetime:
            out[name] = _numbers(_days(values), Range(), name, source, df.index)
        elif isinstance(df[name].dtype, pd.StringDtype):  # text already: nothing nested
            out[name] = df[name].array if df[name].dtype == "str" else \
                pd.array(values, dtype="str")
        else:
            plain = pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty")
            nested = [] if plain else [i for i, v in enumerate(values)
                                       if isinstance(v, dict | list | set | tuple)]
            if nested:
                labels = df.index[nested[:MAX_SHOWN]].tolist()
                raise PipelineError(f"{source}: column {name!r}: a category is text or a "
                                    f"number, not {type(values[nested[0]]).__name__} "
                                    f"(rows {', '.join(map(str, labels))})")
            out[name] = pd.array(values, dtype="str")
    return pd.DataFrame(out, index=df.index, copy=False)


def _numbers(values: np.ndarray, rng: Range, name: str, source: str,
             index: pd.Index | None = None) -> np.ndarray:
    """float64 array of ``values``, or a PipelineError naming the column and the bad rows
    (by ``index``'s labels when given: a batch file's lines are named "line")."""
    if values.dtype.kind in "iuf":  # numbers already: the fast path of a typed table
        numbers, bad = values.astype("float64"), np.zeros(len(values), dtype=bool)
    else:  # booleans, text, objects: one by one, so True is refused, not read as 1
        numbers = np.fromiter((_number(v) for v in values), dtype="float64", count=len(values))
        bad = np.isnan(numbers) & pd.notna(values)
    low = -np.inf if rng.min is None else rng.min
    high = np.inf if rng.max is None else rng.max
    with np.errstate(invalid="ignore"):
        bad |= np.isinf(numbers) | (numbers < low) | (numbers > high)
    if bad.any():
        rows = np.flatnonzero(bad)[:MAX_SHOWN]
        labels = index if index is not None else range(len(values))
        shown = ", ".join(f"{labels[i]}: {quote(values[i])}" for i in rows)  # 10**400: cut
        unit = "lines" if index is not None and index.name == "line" else "rows"
        bounds = "" if rng.min is None and rng.max is None else (
            f" in [{'-inf' if rng.min is None else rng.min}, "
            f"{'inf' if rng.max is None else rng.max}]")
        raise PipelineError(f"{source}: column {name!r}: not a finite number{bounds} "
                            f"({unit} {shown})")
    return numbers


def _number(value: object) -> float:
    """``value`` as a float; NaN when it is missing, a boolean, text or too large."""
    if isinstance(value, bool | np.bool_):
        return np.nan
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        return np.nan


def _days(values) -> np.ndarray:
    """Dates as float days since 1970-01-01 (NaN where a value is not a date)."""
    stamps = pd.to_datetime(pd.Series(values), errors="coerce", utc=True, format="mixed")
    epoch = pd.Timestamp(0, tz="UTC").as_unit(stamps.dt.unit)  # year 1 overflows nanoseconds
    return ((stamps - epoch) / pd.Timedelta(days=1)).to_numpy("float64")


def validate(df: pd.DataFrame, schema: pa.DataFrameSchema, source: str) -> pd.DataFrame:
    """Return the validated (coerced) table with its ROW_KEY, or raise one PipelineError line."""
    from pandera.errors import SchemaError, SchemaErrors

    missing = [c for c in schema.columns if c not in df.columns]
    if missing:
        raise PipelineError(f"{source}: missing column(s): {', '.join(missing)}")
    keys = df[ROW_KEY].to_numpy() if ROW_KEY in df else np.arange(1, len(df) + 1)
    try:
        valid = schema.validate(df.drop(columns=ROW_KEY, errors="ignore"), lazy=True)
    except SchemaErrors as exc:
        raise PipelineError(f"{source}: {_describe(exc.failure_cases, keys, source)}") from None
    except SchemaError as exc:  # pragma: no cover - lazy mode collects these
        raise PipelineError(f"{source}: {str(exc).splitlines()[0][:200]}") from None
    return valid.assign(**{ROW_KEY: keys[valid.index.to_numpy()]})


def _describe(cases: pd.DataFrame, keys: np.ndarray, source: str) -> str:
    """Turn pandera's failure table into one line: the first problem plus a count of others."""
    unit = _unit(source)
    if (cases["check"] == DUPLICATES).any():  # a row-wise table check, reported per column
        index = sorted({int(i) for i in cases.loc[cases["check"] == DUPLICATES, "index"]
                        .dropna()})
        return (f"table: {len(index)} row(s) fail {DUPLICATES!r} "
                f"({unit} {quote_some(keys[index].tolist(), len(index))})")
    groups = list(cases.groupby(["column", "check"], sort=False, dropna=False))
    (column, check), rows = groups[0]
    where = "table" if pd.isna(column) or column in ("", "None") else f"column {column!r}"
    index = rows["index"].dropna().astype(int).to_numpy()
    check = str(check)
    if check.startswith("isin(") and len(check) > 80:  # the whole allowed list: say where it is
        check = f"isin(schema.categorical.{column})"
    check = check if len(check) <= 80 else check[:79] + "…"
    detail = f"{len(rows)} row(s) fail {check}"
    if len(index):
        detail += (f" ({unit} {quote_some(keys[index].tolist(), len(index))}: "
                   f"{quote_some(rows['failure_case'].tolist(), len(rows))})")
    elif check == "column_in_schema":
        detail = (f"unexpected column(s): {quote_some(rows['failure_case'].tolist())} "
                  "(schema.extra_columns is 'reject')")
    elif "rows" in str(check) or "classes" in str(check):
        detail = f"fails {check!r}"
    more = f" (and {len(groups) - 1} more problem(s))" if len(groups) > 1 else ""
    return f"{where}: {detail}{more}"


def summary(df: pd.DataFrame, params: Params) -> dict:
    """Facts about a validated table for reports/validation.json."""
    target = params.data.target.column
    data = df.drop(columns=ROW_KEY, errors="ignore")
    out = {
        "rows": len(data),
        "columns": len(data.columns),
        "duplicate_rows": int(data.duplicated().sum()),
        "missing_cells": int(data.isna().sum().sum()),
    }
    if params.data.target.regression:
        values = data[target].to_numpy(dtype="float64")
        out["target"] = {k: round(float(f(values)), 6) for k, f in (
            ("mean", np.mean), ("std", np.std), ("min", np.min), ("median", np.median),
            ("max", np.max))}
    else:
        balance = data[target].value_counts(normalize=True).sort_index()
        out["class_balance"] = {str(k): round(float(v), 6) for k, v in balance.items()}
    return out


def _bound(value: float | None) -> str:
    return "none" if value is None else f"{value:g}"


def _finite(s: pd.Series) -> pd.Series:
    return pd.Series(np.isfinite(s.to_numpy(dtype="float64")), index=s.index)


def _in_range(s: pd.Series, rng: Range) -> pd.Series:
    low = -np.inf if rng.min is None else rng.min
    high = np.inf if rng.max is None else rng.max
    return (s >= low) & (s <= high)
