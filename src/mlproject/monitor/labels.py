"""The window's true labels: read from CSV or Parquet files, joined to the logged predictions
by request id (and record), and judged against the holdout's quality (mlproject.monitor.quality).

Labels arrive from the application, later than predictions: a file of ``request_id,label``
(and ``record``, the position in a request of several records), or a folder of such files.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from mlproject import storage
from mlproject.errors import PipelineError
from mlproject.monitor import quality, reference
from mlproject.monitor.settings import QUALITY_METRICS, VALUE_METRICS, Monitor

MAX_LABELS_MB = 500


def judge(con: Any, path: Path, ref: dict, settings: Monitor) -> dict[str, Any]:
    """Quality of the window's labelled predictions (table ``w`` of ``con``) against the
    holdout's, from the labels file or folder ``path``."""
    import duckdb

    qs = settings.quality
    con.execute("CREATE TEMP TABLE labels (request_id VARCHAR, label VARCHAR, record INTEGER)")
    by_record = True
    for file in label_files(path):
        reader = "read_parquet(?)" if file.suffix == ".parquet" else \
            "read_csv(?, all_varchar = true, header = true)"
        try:
            columns = {r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {reader}",  # noqa: S608
                                                 [str(file)]).fetchall()}
            if not {"request_id", "label"} <= columns:
                raise PipelineError(f"{file}: a labels file needs the columns request_id and "
                                    "label (and record, for requests of several records)")
            by_record = by_record and "record" in columns
            record = "CAST(record AS INTEGER)" if "record" in columns else "NULL"
            insert = (f"INSERT INTO labels SELECT CAST(request_id AS VARCHAR), "  # noqa: S608
                      f"CAST(label AS VARCHAR), {record} FROM {reader}")  # constant text
            con.execute(insert, [str(file)])
        except duckdb.Error as exc:
            first = (str(exc).splitlines() or ["unreadable"])[0][:120]
            raise PipelineError(f"{file}: not a readable labels file ({first})") from None
    total = con.execute("SELECT count(*) FROM labels").fetchone()[0]
    classes = ref["model"]["classes"]
    regression = ref["model"].get("task") == "regression"
    if regression:  # true values: finite numbers
        bad = [r[0] for r in con.execute(
            "SELECT DISTINCT label FROM labels WHERE label IS NULL OR NOT "
            "isfinite(coalesce(TRY_CAST(label AS DOUBLE), 'nan'::DOUBLE)) LIMIT 5").fetchall()]
        what = "not finite numbers (the model predicts a number)"
    else:
        bad = [r[0] for r in con.execute(
            "SELECT DISTINCT CAST(label AS VARCHAR) FROM labels WHERE CAST(label AS VARCHAR) "
            "NOT IN (SELECT unnest(?::VARCHAR[])) OR label IS NULL LIMIT 5", [classes]
        ).fetchall()]
        what = f"not classes of the model ({', '.join(classes[:5])})"
    if bad:
        shown = ", ".join(repr(b)[:40] for b in bad)
        raise PipelineError(f"{path}: label(s) {shown} are {what}")
    names = VALUE_METRICS if regression else QUALITY_METRICS
    if qs.metric not in names:
        raise PipelineError(f"monitor.quality.metric: {qs.metric} is not a metric of a "
                            f"{'regression' if regression else 'classification'} model; "
                            f"choose one of {', '.join(names)}")
    if not by_record:
        several = con.execute(
            "SELECT count(*) FROM (SELECT request_id FROM w WHERE request_id IN (SELECT "
            "CAST(request_id AS VARCHAR) FROM labels) GROUP BY 1 HAVING count(*) > 1)"
        ).fetchone()[0]
        if several:
            raise PipelineError(f"{path}: {several} labelled request(s) hold several records; "
                                "add a record column (the record's position, from 0)")
    on = "w.request_id = CAST(l.request_id AS VARCHAR)" + (
        " AND w.record = CAST(l.record AS INTEGER)" if by_record else "")
    try:
        rows = con.execute("SELECT w.label, w.score, w.above_threshold, CAST(l.label AS "  # noqa: S608 - constant text
                           f"VARCHAR) FROM w JOIN labels l ON {on}").fetchall()
    except duckdb.Error as exc:
        raise PipelineError(f"{path}: {(str(exc).splitlines() or ['cannot be joined'])[0][:120]}"
                            ) from None
    if not rows:
        raise PipelineError(f"{path}: none of its {total:,} label(s) names a prediction of "
                            "this window (request_id); are they another window's?")
    predicted = np.array([r[0] for r in rows], dtype=object)
    scores = np.array([r[1] for r in rows], dtype=float)
    shown = np.array([bool(r[2]) for r in rows])
    actual = np.array([r[3] for r in rows], dtype=object)
    out: dict[str, Any] = {"labels": int(total), "matched": len(rows), "metric": qs.metric,
                           "min_labels": qs.min_labels}
    if len(rows) < qs.min_labels:
        out["note"] = (f"{len(rows):,} labelled predictions; quality is judged from "
                       f"{qs.min_labels:,} (monitor.quality.min_labels)")
        return out
    holdout = ref["quality"].get(qs.metric)
    if holdout is None:
        why = " (roc_auc needs two classes)" if qs.metric == "roc_auc" else \
            "; `dvc repro` writes models/reference.json again"
        raise PipelineError(f"monitor.quality.metric: the reference has no holdout "
                            f"{qs.metric}{why}")
    if regression:
        relative, absolute = ref["model"].get("tolerance") or (0.1, 0.0)
        out.update(quality.judge_values(qs.metric, actual.astype(float), scores, relative,
                                        absolute, holdout, qs))
    else:
        positive = ref["model"].get("positive")
        pos_score = reference.positive_scores(predicted, scores, classes, positive)
        out.update(quality.judge(qs.metric, actual, predicted, shown, pos_score, positive,
                                 holdout, qs))
    if len(rows) < total:
        out["unmatched"] = int(total - len(rows))
    return out


def label_files(path: Path) -> list[Path]:
    """A labels file, or the CSV and Parquet files of a folder (monitor-fetch's), each checked
    against the size cap."""
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix in (".csv", ".parquet"))
        if not files:
            raise PipelineError(f"{path}: no labels file (.csv or .parquet) in the folder")
    else:
        files = [path]
    total = 0
    for file in files:
        storage.check_file(file, MAX_LABELS_MB, cap="the labels file limit")
        total += file.stat().st_size
    if total > MAX_LABELS_MB * 1_000_000:
        raise PipelineError(f"{path}: {total / 1e6:.1f} MB of labels is over the "
                            f"{MAX_LABELS_MB} MB cap (the labels file limit)")
    return files
