"""Reading and writing files: atomic writes, size caps, raw CSV reading, hashes.

Every output is written to a temporary file beside its target and renamed into place, so a
failing stage never leaves a half-written file and never clobbers the previous good one.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlproject.config import ROW_KEY, Reader
from mlproject.errors import PipelineError

if TYPE_CHECKING:  # pandas is imported where tables are read: `mlproject report` needs none
    import numpy as np
    import pandas as pd


@contextmanager
def atomic_path(target: Path | str) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; rename it over ``target`` on success."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def write_bytes(target: Path | str, data: bytes) -> None:
    with atomic_path(target) as tmp:
        tmp.write_bytes(data)


def write_json(target: Path | str, obj: Any) -> None:
    """Write JSON with sorted keys and a trailing newline (stable diffs in git)."""
    text = json.dumps(obj, indent=2, sort_keys=True, allow_nan=False, default=_plain) + "\n"
    write_bytes(target, text.encode("utf-8"))


def _plain(value: Any) -> Any:
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def read_json(path: Path | str) -> Any:
    path = Path(path)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PipelineError(f"{path}: file not found") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise PipelineError(f"{path}: not valid JSON ({exc})") from None


def write_csv(target: Path | str, rows: list[dict[str, Any]]) -> None:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(rows[0]) if rows else [], lineterminator="\n")
    writer.writeheader()
    writer.writerows({k: round(v, 6) if isinstance(v, float) else v for k, v in r.items()}
                     for r in rows)
    write_bytes(target, buf.getvalue().encode("utf-8"))


def write_table(target: Path | str, df: pd.DataFrame) -> None:
    import pandas as pd  # noqa: F401 - to_parquet needs pandas loaded
    with atomic_path(target) as tmp:
        df.to_parquet(tmp, index=False, compression="zstd")


def read_table(path: Path | str, max_mb: float | None = None, cap: str = "data.max_file_mb"
               ) -> pd.DataFrame:
    """Read a Parquet or CSV table (by extension), refusing files over ``max_mb``."""
    import pandas as pd

    path = Path(path)
    check_file(path, max_mb, cap)
    try:
        if path.suffix == ".parquet":
            return pd.read_parquet(path)
        data = path.read_bytes()  # read once: pandas parses it, the field check counts it
        table = pd.read_csv(io.BytesIO(data), encoding="utf-8", encoding_errors="strict")
        # pandas fills a missing last field with a blank: hold every line to the header
        field_counts(path, data, len(table.columns), ",", "utf-8", 1, "the header")
        return table
    except UnicodeDecodeError as exc:
        raise PipelineError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    except pd.errors.EmptyDataError:
        raise PipelineError(f"{path}: file is empty") from None
    except (pd.errors.ParserError, ValueError, OSError) as exc:
        raise PipelineError(f"{path}: cannot be read ({_first_line(exc)})") from None


def check_file(path: Path, max_mb: float | None, cap: str = "data.max_file_mb") -> None:
    """Fail unless ``path`` is a non-empty file no larger than ``max_mb`` megabytes.

    ``cap`` names where the limit comes from, so the message says what to change.
    """
    if not path.is_file():
        raise PipelineError(f"{path}: file not found")
    size = path.stat().st_size
    if size == 0:
        raise PipelineError(f"{path}: file is empty")
    if max_mb is not None and size > max_mb * 1_000_000:
        raise PipelineError(f"{path}: {size / 1e6:.1f} MB is over the {max_mb:g} MB cap "
                            f"({cap})")


def read_raw(path: Path | str, reader: Reader, max_mb: float) -> pd.DataFrame:
    """Read a raw data file with the reader options from params; all columns as text.

    Adds ROW_KEY: each row's 1-based line in the file (row number for Parquet), so errors can
    point at the line a person opens in an editor.
    """
    import pandas as pd

    path = Path(path)
    check_file(path, max_mb)
    if path.suffix == ".parquet":
        df = as_text(read_table(path))
        missing = [c for c in reader.columns if c not in df.columns]
        if missing:
            raise PipelineError(f"{path}: missing column(s): {', '.join(missing)}")
        return df[reader.columns].assign(**{ROW_KEY: range(1, len(df) + 1)})
    skip = reader.skip_rows.get(path.name, 0)
    data = path.read_bytes()
    if not reader.header:  # pandas would drop an extra field or fill a missing one silently
        check_field_counts(path, data, reader, skip)
    try:
        df = pd.read_csv(
            io.BytesIO(data),  # the bytes already read: one read of the file
            sep=reader.separator,
            header=0 if reader.header else None,
            names=None if reader.header else reader.columns,
            skiprows=skip,
            skipinitialspace=reader.skip_initial_space,
            na_values=reader.missing_values,
            keep_default_na=False,
            dtype=str,
            encoding=reader.encoding,
            encoding_errors="strict",
            skip_blank_lines=True,
            index_col=False,
        )
    except UnicodeDecodeError:
        raise PipelineError(f"{path}: line {_bad_line(path, reader.encoding)}: not valid "
                            f"{reader.encoding} text") from None
    except pd.errors.EmptyDataError:
        raise PipelineError(f"{path}: no rows (file has no data)") from None
    except (pd.errors.ParserError, ValueError) as exc:
        raise PipelineError(f"{path}: cannot be parsed ({_first_line(exc)})") from None
    if df.empty:
        raise PipelineError(f"{path}: no rows (header only)")
    lines = data_lines(data, skip, reader.header)
    # a quoted field with a line break spans two lines: then rows are numbered instead
    df[ROW_KEY] = lines if len(lines) == len(df) else range(1, len(df) + 1)
    return df


ASCII_LIKE = {"utf8", "utf8sig", "ascii", "latin1", "iso88591", "cp1252"}


def check_field_counts(path: Path, data: bytes, reader: Reader, skip: int) -> None:
    """Every data line of a headerless file has exactly one field per name in the reader's
    columns; else one line naming the first line that does not and the counts."""
    field_counts(path, data, len(reader.columns), reader.separator, reader.encoding, skip,
                 "the reader", " (data.reader.columns)")


def field_counts(path: Path, data: bytes, expected: int, sep: str, encoding: str, skip: int,
                 who: str, where: str = "") -> None:
    """Each non-blank line after the first ``skip`` has ``expected`` fields (a quoted
    separator is part of its field), or one PipelineError naming the first that has not."""
    if len(sep) != 1 or encoding.lower().replace("-", "").replace("_", "") not in ASCII_LIKE \
            or len(mark := sep.encode(encoding, "replace")) != 1:
        return  # a multi-character separator or a wide encoding: pandas' parse stands
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError:
        return  # the reader names the line that is not valid text
    found, more = [], -1
    if b'"' not in data:  # no quoting: a field per separator on each line
        for number, line in enumerate(io.BytesIO(data), 1):  # lazily: no list of lines
            if number > skip and line.strip() and (count := line.count(mark) + 1) != expected:
                more += 1
                if not found:
                    found.append((number, count))
    else:  # quoted fields may hold separators and line breaks: read them as CSV does
        rows = csv.reader(io.StringIO(text), delimiter=sep)
        start = 1
        for row in rows:
            if start > skip and row and any(f.strip() for f in row) and len(row) != expected:
                more += 1
                if not found:
                    found.append((start, len(row)))
            start = rows.line_num + 1
    if found:
        line, count = found[0]
        also = f" (and {more:,} more line(s))" if more > 0 else ""
        raise PipelineError(f"{path}: line {line}: {count} fields, {who} expects {expected}"
                            f"{where}{also}")


def data_lines(data: bytes, skip: int, header: bool) -> np.ndarray:
    """1-based numbers of the data lines: not blank, after ``skip`` lines and the header."""
    import numpy as np

    raw = np.frombuffer(data, dtype=np.uint8)
    ends = np.flatnonzero(raw == ord("\n"))
    starts = np.concatenate([[0], ends + 1])
    ends = np.concatenate([ends, [len(raw)]])
    # a line is blank when it holds only spaces, tabs and a carriage return (pandas skips it):
    # a byte per byte of the file, no wider (a running count would take 8 per byte)
    visible = np.ones(256, dtype=bool)
    visible[list(b" \t\r\n")] = False
    visible = visible[raw]
    blank = np.ones(len(starts), dtype=bool)
    some = np.flatnonzero(starts < ends)
    if len(some):  # from each non-empty line's start to the next one's: its text, then blanks
        blank[some] = ~np.logical_or.reduceat(visible, starts[some])
    numbers = np.flatnonzero(~blank) + 1
    numbers = numbers[numbers > skip]
    return numbers[1:] if header else numbers


def as_text(df: pd.DataFrame) -> pd.DataFrame:
    """Every column as text with missing values kept missing, as a CSV would be read."""
    out = df.copy()
    out.columns = [str(c) for c in out.columns]
    for name in out.columns:
        out[name] = out[name].astype("str").mask(df[name].isna().to_numpy())
    return out


def _bad_line(path: Path, encoding: str) -> int:
    """Line number of the first byte that does not decode (pandas reports chunk offsets)."""
    data = path.read_bytes()
    try:
        data.decode(encoding)
    except UnicodeDecodeError as exc:
        return data[: exc.start].count(b"\n") + 1
    return 0


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def file_hash(path: Path | str, algorithm: str = "sha256") -> str:
    digest = hashlib.new(algorithm)
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def finite(value: Any) -> float | None:
    """Return value as a float when it is a finite number, else None."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        value = float(value)
    except OverflowError:  # an integer with hundreds of digits
        return None
    return value if math.isfinite(value) else None
