"""The prediction log: every prediction the service makes, as Parquet files DuckDB reads.

    log = PredictionLog.open(Path("logs/predictions"), predictor, settings.log)
    log.put(request_id, frame, labels, scores, shown, latency_ms)   # returns at once
    log.close()                                                      # flushes everything

One row per predicted record: ``time`` (UTC), ``request_id`` (the caller has it, to send true
labels later), ``record`` (the record's position in the request, from 0), ``model_version``,
``model_sha256``, ``input_<feature>`` for each feature (the values the model saw, after the
schema's conversions: this is your users' data), ``label``, ``score``, ``above_threshold`` and
``latency_ms``. A regression model's rows have no label: ``score`` is the predicted value, and
every prediction is shown (``fields``).

Writing happens on a background thread, off the request path: ``put`` hands the rows to a
bounded queue and returns; when the queue is full (the disk cannot keep up), rows are dropped
and counted rather than slowing requests down (``dropped``). Rows are written as Parquet row
groups to ``predictions-<first row's UTC time>-<pid>-<n>.parquet.part``, renamed to
``.parquet`` when the file is complete: at ``rotate_mb``, after ``rotate_minutes``, after
``idle_seconds`` without requests, and on close. Completed files older than
``retention_days`` and the oldest beyond ``max_total_mb`` are deleted at each rotation, so the
folder's size is bounded.
"""

from __future__ import annotations

import atexit
import os
import queue
import re
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mlproject.errors import PipelineError

COLUMNS = ("time", "request_id", "record", "model_version", "model_sha256", "label", "score",
           "above_threshold", "latency_ms")
PREFIX = "input_"
NAME = re.compile(r"^predictions-(\d{8}T\d{6}\d{3}Z)-(\d+)-(\d+)\.parquet$")
FLUSH_ROWS = 1000
FLUSH_SECONDS = 1.0
IDLE_FLUSH_SECONDS = 0.2  # queued rows are written once no request came for this long
POLL_SECONDS = 0.05  # how often the writer thread takes what the requests queued
QUEUE_REQUESTS = 10_000


@dataclass(frozen=True)
class Batch:
    time_ms: int
    request_id: str
    frame: Any  # the checked records: a table, or a list of mappings (the fast path)
    labels: list[str | None]
    scores: np.ndarray
    shown: np.ndarray
    latency_ms: float


def fields(predictions: list[Any]) -> tuple[list[str | None], np.ndarray, np.ndarray]:
    """(labels, scores, shown) of the predictions, as the log records them: a classification's
    label, its score and whether it reaches the threshold; a regression's value as the score,
    with no label, always shown."""
    if predictions and hasattr(predictions[0], "value"):
        return ([None] * len(predictions), np.array([p.value for p in predictions], dtype=float),
                np.ones(len(predictions), dtype=bool))
    return ([p.label for p in predictions], np.array([p.score for p in predictions]),
            np.array([p.above_threshold for p in predictions], dtype=bool))


def file_time(name: str) -> datetime | None:
    """The UTC time of a log file's first row, from its name (None: not a log file's name)."""
    m = NAME.match(name)
    return datetime.strptime(m.group(1), "%Y%m%dT%H%M%S%fZ").replace(tzinfo=UTC) if m else None


def log_schema(predictor: Any) -> Any:
    import pyarrow as pa

    fields = [pa.field("time", pa.timestamp("ms", tz="UTC")), pa.field("request_id", pa.string()),
              pa.field("record", pa.int32()), pa.field("model_version", pa.string()),
              pa.field("model_sha256", pa.string())]
    schema = predictor.schema
    for name in predictor.features:
        kind = (pa.string() if name in schema.categorical else
                pa.timestamp("ms") if name in schema.datetime else pa.float64())
        fields.append(pa.field(PREFIX + name, kind))
    fields += [pa.field("label", pa.string()), pa.field("score", pa.float64()),
               pa.field("above_threshold", pa.bool_()), pa.field("latency_ms", pa.float32())]
    return pa.schema(fields)


class PredictionLog:
    """A background writer of prediction rows; thread-safe ``put``, idempotent ``close``."""

    def __init__(self, directory: Path, predictor: Any, settings: Any) -> None:
        self.directory, self.settings = Path(directory), settings
        self.schema = log_schema(predictor)
        self.features = list(predictor.features)
        meta = predictor.metadata
        self.version = (meta.get("registry") or {}).get("version") or None
        self.sha = str(meta["sha256"])
        self.dropped = 0
        self.written = 0
        self._queue: queue.Queue[Batch | None] = queue.Queue(maxsize=QUEUE_REQUESTS)
        self._closed = threading.Event()
        self._count = 0
        self._writer: Any = None
        self._path: Path | None = None
        self._opened = 0.0
        self._error: str | None = None
        self._thread = threading.Thread(target=self._run, name="prediction-log", daemon=True)

    @classmethod
    def open(cls, directory: Path | str, predictor: Any, settings: Any) -> PredictionLog:
        directory = Path(directory)
        try:
            directory.mkdir(parents=True, exist_ok=True)
            probe = directory / f".write-test-{os.getpid()}"
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as exc:
            raise PipelineError(f"{directory}: cannot write the prediction log here "
                                f"({exc.strerror or exc})") from None
        log = cls(directory, predictor, settings)
        log._finish_leftovers()
        log.enforce_limits()
        log._thread.start()
        atexit.register(log.close)
        return log

    # -- the request side -----------------------------------------------------------------
    def put(self, request_id: str, frame: Any, labels: list[str | None], scores: np.ndarray,
            shown: np.ndarray, latency_ms: float) -> None:
        """Queue one request's rows; never blocks (a full queue drops and counts them)."""
        if self._closed.is_set():
            return
        batch = Batch(int(time.time() * 1000), request_id, frame, labels, scores, shown,
                      latency_ms)
        try:
            self._queue.put_nowait(batch)
        except queue.Full:
            self.dropped += len(labels)

    def close(self, timeout: float = 30.0) -> None:
        """Write every queued row, complete the current file, stop the thread."""
        if self._closed.is_set():
            return
        self._closed.set()
        self._queue.put(None)
        if self._thread.is_alive():
            self._thread.join(timeout)
        if self._error:
            print(f"prediction log: {self._error}")

    def status(self) -> dict[str, Any]:
        return {"directory": str(self.directory), "written": self.written,
                "dropped": self.dropped, "error": self._error}

    # -- the writer thread ------------------------------------------------------------------
    def _run(self) -> None:
        pending: list[Batch] = []
        rows, last_put, last_flush = 0, time.monotonic(), time.monotonic()
        while True:
            # look at the queue every POLL_SECONDS (at once on close) and take all it holds:
            # a request hands its rows over without waking this thread
            self._closed.wait(POLL_SECONDS)
            stop = False
            while not stop:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                stop = item is None
                if item is not None:
                    pending.append(item)
                    rows += len(item.labels)
                    last_put = time.monotonic()
            now = time.monotonic()
            if pending and (stop or now - last_put >= IDLE_FLUSH_SECONDS or rows >= FLUSH_ROWS
                            or now - last_flush >= FLUSH_SECONDS):
                self._write(pending)
                pending, rows, last_flush = [], 0, now
            if self._writer is not None and (
                    stop or now - last_put >= self.settings.idle_seconds
                    or now - self._opened >= self.settings.rotate_minutes * 60):
                self._finish()
            if stop:
                return

    def _write(self, batches: list[Batch]) -> None:
        try:
            table = self._table(batches)
            if self._writer is None:
                self._start(batches[0].time_ms)
            self._writer.write_table(table)
            self.written += table.num_rows
            if self._path is not None and self._path.stat().st_size >= \
                    self.settings.rotate_mb * 1e6:
                self._finish()
        except Exception as exc:  # noqa: BLE001 - a full disk must not stop the service
            self.dropped += sum(len(b.labels) for b in batches)
            self._error = f"rows dropped: {type(exc).__name__}: {exc}"[:300]

    def _table(self, batches: list[Batch]) -> Any:
        import pyarrow as pa

        counts = np.array([len(b.labels) for b in batches])
        total = int(counts.sum())
        first = np.repeat(np.cumsum(counts) - counts, counts)  # each row's request's first row
        columns: dict[str, Any] = {
            "time": np.repeat([b.time_ms for b in batches], counts),
            "request_id": np.repeat(np.array([b.request_id for b in batches], dtype=object),
                                    counts),
            "record": np.arange(total) - first,
            "model_version": [self.version] * total,
            "model_sha256": [self.sha] * total,
        }
        parts = _parts(batches)
        for name in self.features:
            text = self.schema.field(PREFIX + name).type == pa.string()
            columns[PREFIX + name] = [v for part in parts for v in _values(part, name, text)]
        columns["label"] = [label for b in batches for label in b.labels]
        columns["score"] = np.concatenate([b.scores for b in batches])
        columns["above_threshold"] = np.concatenate([b.shown for b in batches])
        columns["latency_ms"] = np.repeat([b.latency_ms for b in batches], counts)
        arrays = []
        for f in self.schema:
            data = columns[f.name]
            if f.name == "time":
                arrays.append(pa.array(data.astype("datetime64[ms]")).cast(f.type))
            elif pa.types.is_timestamp(f.type):  # a date: days since 1970 once checked
                days = np.array(data, dtype=float)  # None -> NaN
                ms = np.where(np.isnan(days), 0, np.round(days * 86_400_000)).astype("int64")
                arrays.append(pa.array(ms, type=f.type, mask=np.isnan(days)))
            else:
                arrays.append(pa.array(data, type=f.type, from_pandas=True))
        return pa.Table.from_arrays(arrays, schema=self.schema)

    def _start(self, first_ms: int) -> None:
        import pyarrow.parquet as pq

        self._count += 1
        stamp = datetime.fromtimestamp(first_ms / 1000, UTC).strftime("%Y%m%dT%H%M%S%f")[:-3]
        name = f"predictions-{stamp}Z-{os.getpid()}-{self._count}.parquet"
        self._path = self.directory / f"{name}.part"
        self._writer = pq.ParquetWriter(self._path, self.schema, compression="zstd")
        self._opened = time.monotonic()

    def _finish(self) -> None:
        if self._writer is None or self._path is None:
            return
        try:
            self._writer.close()
            self._path.rename(self._path.with_suffix(""))
        except OSError as exc:
            self._error = f"could not complete {self._path.name}: {exc}"[:300]
        self._writer, self._path = None, None
        self.enforce_limits()

    def _finish_leftovers(self) -> None:
        """A .part file of a process that was killed has no footer: it cannot be read. Say so
        and set it aside (kept, renamed .broken) rather than delete someone's data."""
        for part in sorted(self.directory.glob("predictions-*.parquet.part")):
            pid = part.name.split("-")[2]
            if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
                part.rename(part.with_suffix(".broken"))
                print(f"prediction log: {part.name} was left unfinished by a process that "
                      "stopped; renamed .broken")

    def enforce_limits(self) -> None:
        """Delete completed files past retention_days, then the oldest beyond max_total_mb."""
        files = sorted((p for p in self.directory.glob("predictions-*.parquet")
                        if file_time(p.name)), key=lambda p: p.name)
        now = datetime.now(UTC)
        keep = []
        for path in files:
            age_days = (now - file_time(path.name)).total_seconds() / 86400
            if age_days > self.settings.retention_days:
                path.unlink(missing_ok=True)
            else:
                keep.append(path)
        sizes = [p.stat().st_size for p in keep]
        total, cap = sum(sizes), self.settings.max_total_mb * 1e6
        for path, size in zip(keep, sizes, strict=True):
            if total <= cap:
                break
            path.unlink(missing_ok=True)
            total -= size


def _parts(batches: list[Batch]) -> list[Any]:
    """The batches' checked inputs in order: each table as it is, and the fast path's checked
    records of consecutive requests as one list (read a feature at a time, without building a
    table: that took the writer thread, and the GIL, longer than the requests did)."""
    parts: list[Any] = []
    for b in batches:
        if isinstance(b.frame, pd.DataFrame):
            parts.append(b.frame)
        elif parts and isinstance(parts[-1], list):
            parts[-1].extend(b.frame)
        else:
            parts.append(list(b.frame))
    return parts


def _values(part: Any, name: str, text: bool) -> list[Any]:
    """A feature's values in one part, missing as None (NaN, which pyarrow reads as null, in
    a numeric column)."""
    if isinstance(part, list):  # checked records: numbers are floats, categories text or None
        return [record[name] for record in part]
    values = part[name].astype(object).where(part[name].notna(), None).tolist()
    return [None if v is None else str(v) for v in values] if text else values


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
