"""mlproject monitor: a window of the prediction log against the model's reference.

    mlproject monitor --logs logs/predictions [--labels labels.csv] [--until ISO] [--hours N]

Reads the completed log files whose rows can fall in the window (DuckDB over Parquet, so a
million rows take seconds and little memory), keeps the predictions of the model the window
mostly holds, finds that model's reference (models/reference.json, or the same file in git
history for an earlier model), and measures per feature, for the predictions and, given true
labels, for quality (mlproject.monitor.stats, .quality). Writes monitor.json and report.md.

Bad input (no log files, an empty window, a corrupt or foreign Parquet file, no reference for
the window's model, labels that name no request in the window) is one line and exit 1; a
drift is a result, not an error: exit 0, ``status`` says it.
"""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from mlproject import storage
from mlproject.errors import PipelineError
from mlproject.monitor import reference, stats
from mlproject.monitor.labels import judge as judge_labels
from mlproject.monitor.log import COLUMNS, PREFIX, file_time
from mlproject.monitor.settings import Monitor

REFERENCE = Path("models/reference.json")
HISTORY_COMMITS = 500


def parse_time(text: str | None) -> datetime:
    if not text:
        return datetime.now(UTC)
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise PipelineError(f"--until: {text[:40]!r} is not an ISO time "
                            "(e.g. 2026-12-05T06:00:00Z)") from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def window_files(logs: Path, start: datetime, until: datetime, rotate_minutes: float
                 ) -> list[Path]:
    """Completed log files that can hold rows in [start, until): a file's rows come after the
    time in its name and within rotate_minutes of it."""
    if not logs.is_dir():
        raise PipelineError(f"{logs}: no such folder of prediction logs")
    earliest = start - timedelta(minutes=rotate_minutes)
    found = [p for p in sorted(logs.glob("predictions-*.parquet"))
             if (t := file_time(p.name)) is not None and earliest <= t < until]
    if not found:
        raise PipelineError(f"{logs}: no completed log file in the window "
                            f"{_iso(start)} to {_iso(until)} (a running service completes its "
                            "file after monitor.log.idle_seconds without requests)")
    return found


def check_files(files: list[Path]) -> None:
    """Each file's footer and columns, so a bad file is named rather than failing a query."""
    import pyarrow.parquet as pq

    for path in files:
        try:
            names = set(pq.read_schema(path).names)
        except Exception as exc:  # noqa: BLE001 - any unreadable file: one line naming it
            first = (str(exc).splitlines() or [type(exc).__name__])[0][:120]
            raise PipelineError(f"{path}: not a readable Parquet file ({first})") from None
        missing = [c for c in COLUMNS if c not in names]
        if missing:
            raise PipelineError(f"{path}: not a prediction log (no column "
                                f"{', '.join(missing[:3])})")


def connect() -> Any:
    import duckdb

    return duckdb.connect(config={"memory_limit": "512MB", "threads": 2,
                                  "preserve_insertion_order": False})


def _iso(t: datetime) -> str:
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def find_reference(sha: str, explicit: Path | None, root: Path) -> tuple[dict, str]:
    """The reference of the model ``sha``: --reference, the workspace's, or git history's."""
    if explicit is not None:
        ref = reference.read(explicit)
        if ref["model"]["sha256"] != sha:
            raise PipelineError(f"{explicit}: describes model {ref['model']['sha256'][:12]}, "
                                f"but the window's predictions are of model {sha[:12]}")
        return ref, str(explicit)
    path = root / REFERENCE
    if path.is_file():
        ref = reference.read(path)
        if ref["model"]["sha256"] == sha:
            return ref, str(REFERENCE)
    done = subprocess.run(["git", "log", f"-n{HISTORY_COMMITS}", "--format=%H", "--",
                           str(REFERENCE)], cwd=root, capture_output=True, text=True)
    for commit in done.stdout.split():
        shown = subprocess.run(["git", "show", f"{commit}:{REFERENCE}"], cwd=root,
                               capture_output=True, text=True)
        if shown.returncode == 0 and f'"sha256": "{sha}"' in shown.stdout:
            return reference.check(json.loads(shown.stdout), f"{commit[:12]}:"
                                   f"{REFERENCE}"), f"{REFERENCE} at {commit[:12]}"
    raise PipelineError(f"no reference for model {sha[:12]} (the window's predictions): not "
                        f"{REFERENCE}, nor in its git history; pass --reference FILE")


def run(settings: Monitor, logs: Path, out: Path, labels: Path | None = None,
        until: str | None = None, hours: float | None = None,
        reference_path: Path | None = None, root: Path = Path(".")) -> dict[str, Any]:
    """Measure the window; write out/monitor.json and out/report.md; return the result."""
    end = parse_time(until)
    span = hours if hours is not None else settings.window_hours
    if not span > 0:
        raise PipelineError("--hours: must be more than 0")
    start = end - timedelta(hours=span)
    files = window_files(logs, start, end, settings.log.rotate_minutes)
    check_files(files)
    con = connect()
    try:
        result = _measure(con, settings, files, start, end, labels, reference_path, root)
    finally:
        con.close()
    from mlproject.monitor import report

    storage.write_json(out / "monitor.json", result)
    storage.write_bytes(out / "report.md", report.markdown(result).encode("utf-8"))
    return result


def _measure(con: Any, settings: Monitor, files: list[Path], start: datetime, end: datetime,
             labels: Path | None, reference_path: Path | None, root: Path) -> dict[str, Any]:
    import duckdb

    try:
        con.execute("CREATE TEMP TABLE logged AS SELECT * FROM read_parquet(?, "
                    "union_by_name = true) WHERE time >= ? AND time < ?",
                    [[str(f) for f in files], start, end])
    except duckdb.Error as exc:
        raise PipelineError(f"prediction log: {(str(exc).splitlines() or ['unreadable'])[0]}"
                            ) from None
    models = con.execute("SELECT model_sha256, any_value(model_version), count(*) AS n FROM "
                         "logged GROUP BY 1 ORDER BY n DESC, 1").fetchall()
    if not models:
        raise PipelineError(f"no predictions between {_iso(start)} and {_iso(end)} in "
                            f"{len(files)} log file(s)")
    sha, version, _ = models[0]
    ref, ref_source = find_reference(sha, reference_path, root)
    con.execute("CREATE TEMP TABLE w AS SELECT * FROM logged WHERE model_sha256 = ?", [sha])
    con.execute("DROP TABLE logged")
    present = {r[0] for r in con.execute("DESCRIBE w").fetchall()}
    n, requests = con.execute("SELECT count(*), count(DISTINCT request_id) FROM w").fetchone()
    features = {}
    for name, spec in ref["features"].items():
        column = PREFIX + name
        if spec["kind"] == "datetime":
            continue
        if column not in present:
            raise PipelineError(f"prediction log: no column {column} for the feature {name!r} "
                                "the reference describes")
        if spec["kind"] == "numeric":
            features[name] = _numeric(con, column, spec, n, ref["rows"]["train"], settings)
        else:
            features[name] = _categorical(con, column, spec, n, ref["rows"]["train"], settings)
    enough = n >= settings.min_predictions
    predictions = _predictions(con, ref, n, settings)
    result: dict[str, Any] = {
        "window": {"start": _iso(start), "until": _iso(end), "files": len(files),
                   "predictions": int(n), "requests": int(requests)},
        "model": {"sha256": sha, "version": version, "name": ref["model"].get("name"),
                  "reference": ref_source},
        "other_models": [{"sha256": s, "version": v, "predictions": int(c)}
                         for s, v, c in models[1:]],
        "min_predictions": settings.min_predictions,
        "features": features,
        "predictions": predictions,
        "volume": [{"hour": _iso(h), "predictions": int(c)} for h, c in con.execute(
            "SELECT date_trunc('hour', time) AS h, count(*) FROM w GROUP BY h ORDER BY h"
        ).fetchall()],
        "quality": judge_labels(con, labels, ref, settings) if labels is not None else None,
    }
    alarms = []
    if enough:
        for name, f in features.items():
            alarms += [{"kind": "features", "name": name, "what": what}
                       for what in f["alarms"]]
        alarms += [{"kind": "predictions", "name": what.split(" ")[0], "what": what}
                   for what in predictions["alarms"]]
    q = result["quality"]
    if q and q.get("dropped"):
        alarms.append({"kind": "quality", "name": q["metric"],
                       "what": f"{q['metric']} {q['change']:+.3f} against the holdout"})
    status = "drift" if alarms else ("normal" if enough else "too few predictions")
    result.update(status=status, alarms=alarms,
                  retrain=any(a["kind"] in settings.retrain_on for a in alarms),
                  title=title(alarms))
    return result


def title(alarms: list[dict[str, Any]]) -> str:
    """What moved, in a few words: the issue's title after "production drift: "."""
    if not alarms:
        return ""
    names = []
    for a in alarms:
        label = a["what"] if a["kind"] == "quality" else a["name"]
        if label not in names:
            names.append(label)
    more = f" and {len(names) - 3} more" if len(names) > 3 else ""
    return ", ".join(names[:3]) + more


def _numeric(con: Any, column: str, spec: dict, n: int, n_ref: int, settings: Monitor
             ) -> dict[str, Any]:
    q = ident(column)
    present, qs, mean = con.execute(
        f"SELECT count({q}), quantile_disc({q}, ?::DOUBLE[]), avg({q}) FROM w",  # noqa: S608
        [stats.PROBS]).fetchone()
    missing = 1 - present / n if n else 0.0
    out: dict[str, Any] = {"kind": "numeric", "rows": int(present),
                           "missing": _missing(missing, spec["missing"], n, n_ref, settings),
                           "mean": {"reference": spec["mean"], "window": _r(mean)}}
    alarms = [out["missing"]["alarm"]] if out["missing"]["alarm"] else []
    if present and spec.get("quantiles"):
        scale = spec["std"] or 1.0
        distance = stats.wasserstein(qs, spec["quantiles"]) / scale
        floor = stats.numeric_floor(spec["quantiles"], int(present),
                                    round(n_ref * (1 - spec["missing"])), scale)
        limit = settings.drift.numeric
        moved = distance > max(limit, floor)
        out["drift"] = {"measure": "wasserstein_sd", "value": _r(distance), "floor": _r(floor),
                        "limit": limit, "moved": moved}
        out["quantiles"] = {"reference": spec["quantiles"], "window": [_r(v) for v in qs]}
        if moved:
            alarms.append(f"{column[len(PREFIX):]} moved {distance:.2f} training SD")
    out["alarms"] = alarms
    return out


def _categorical(con: Any, column: str, spec: dict, n: int, n_ref: int, settings: Monitor
                 ) -> dict[str, Any]:
    q = ident(column)
    counts = {str(v): int(c) for v, c in con.execute(
        f"SELECT {q}, count(*) FROM w WHERE {q} IS NOT NULL GROUP BY 1").fetchall()}  # noqa: S608
    present = sum(counts.values())
    missing = 1 - present / n if n else 0.0
    allowed = set(spec["allowed"]) if spec.get("allowed") else None
    name = column[len(PREFIX):]
    out: dict[str, Any] = {"kind": "categorical", "rows": present,
                           "missing": _missing(missing, spec["missing"], n, n_ref, settings)}
    alarms = [out["missing"]["alarm"]] if out["missing"]["alarm"] else []
    if allowed is not None:
        unseen = sum(c for v, c in counts.items() if v not in allowed) / n if n else 0.0
        limit = settings.drift.unseen_rate
        moved = unseen > max(limit, stats.rate_floor(0.0, n))  # training had none
        top = sorted((v for v in counts if v not in allowed), key=lambda v: -counts[v])[:5]
        out["unseen"] = {"value": _r(unseen), "limit": limit, "moved": moved,
                         "values": [v[:80] for v in top]}
        if moved:
            alarms.append(f"{name}: {unseen:.1%} unseen categories")
    if present and spec["shares"]:
        shares = stats.grouped_shares(counts, spec["shares"], allowed)
        distance = stats.js_distance(shares, spec["shares"])
        floor = stats.categorical_floor(spec["shares"], present,
                                        round(n_ref * (1 - spec["missing"])))
        limit = settings.drift.categorical
        moved = distance > max(limit, floor)
        out["drift"] = {"measure": "jensen_shannon", "value": _r(distance), "floor": _r(floor),
                        "limit": limit, "moved": moved}
        keys = sorted(set(shares) | set(spec["shares"]),
                      key=lambda k: -max(shares.get(k, 0), spec["shares"].get(k, 0)))[:12]
        out["shares"] = {k: {"reference": spec["shares"].get(k, 0.0),
                             "window": _r(shares.get(k, 0.0))} for k in keys}
        if moved and not any(a.startswith(f"{name}:") for a in alarms):
            alarms.append(f"{name} shares moved (JS {distance:.2f})")
    out["alarms"] = alarms
    return out


def _missing(window: float, ref: float, n: int, n_ref: int, settings: Monitor
             ) -> dict[str, Any]:
    rise = window - ref
    limit = settings.drift.missing_rate
    moved = rise > max(limit, stats.rate_floor(ref, n, n_ref))
    return {"reference": ref, "window": _r(window), "limit": limit, "moved": moved,
            "alarm": f"missing rate {ref:.1%} -> {window:.1%}" if moved else None}


def _values(con: Any, ref: dict, n: int, settings: Monitor) -> dict[str, Any]:
    """A regression model's predicted values against the holdout's: Wasserstein-1 distance in
    the holdout predictions' standard deviations, judged like a numeric feature."""
    qs, mean = con.execute("SELECT quantile_disc(score, ?::DOUBLE[]), avg(score) FROM w",
                           [stats.PROBS]).fetchone()
    pred = ref["predictions"]
    scale = pred.get("value_std") or 1.0
    distance = stats.wasserstein(qs, pred["value_quantiles"]) / scale
    floor = stats.numeric_floor(pred["value_quantiles"], n, ref["rows"]["holdout"], scale)
    moved = distance > max(settings.drift.numeric, floor)
    return {"value": {"measure": "wasserstein_sd", "value": _r(distance), "floor": _r(floor),
                      "limit": settings.drift.numeric, "moved": moved,
                      "mean": {"reference": pred.get("value_mean"), "window": _r(mean)}},
            "alarms": [f"predictions moved {distance:.2f} SD"] if moved else []}


def _predictions(con: Any, ref: dict, n: int, settings: Monitor) -> dict[str, Any]:
    if ref["model"].get("task") == "regression":
        return _values(con, ref, n, settings)
    qs, shown = con.execute("SELECT quantile_disc(score, ?::DOUBLE[]), avg(above_threshold::INT)"
                            " FROM w", [stats.PROBS]).fetchone()
    counts = dict(con.execute("SELECT label, count(*) FROM w GROUP BY 1").fetchall())
    shares = {str(k): v / n for k, v in counts.items()}
    pred = ref["predictions"]
    score = stats.wasserstein(qs, pred["score_quantiles"])
    score_floor = stats.numeric_floor(pred["score_quantiles"], n, ref["rows"]["holdout"])
    labels = stats.js_distance(shares, pred["labels"])
    label_floor = stats.categorical_floor(pred["labels"], n, ref["rows"]["holdout"])
    out = {"score": {"measure": "wasserstein", "value": _r(score), "floor": _r(score_floor),
                     "limit": settings.drift.score,
                     "moved": score > max(settings.drift.score, score_floor)},
           "labels": {"measure": "jensen_shannon", "value": _r(labels), "floor": _r(label_floor),
                      "limit": settings.drift.categorical,
                      "moved": labels > max(settings.drift.categorical, label_floor),
                      "shares": {k: {"reference": pred["labels"].get(k, 0.0),
                                     "window": _r(shares.get(k, 0.0))}
                                 for k in sorted(set(shares) | set(pred["labels"]))}},
           "above_threshold": {"reference": pred["above_threshold"], "window": _r(shown)}}
    out["alarms"] = ([f"score moved {score:.3f}"] if out["score"]["moved"] else []) + (
        [f"labels shares moved (JS {labels:.2f})"] if out["labels"]["moved"] else [])
    return out


def ident(name: str) -> str:
    """A column name as a quoted SQL identifier (the only text put into a query; values are
    always parameters)."""
    return '"' + name.replace('"', '""') + '"'


def _r(value: Any) -> float | None:
    return None if value is None else float(f"{float(value):.6g}")
