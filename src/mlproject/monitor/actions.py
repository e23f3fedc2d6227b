"""What the monitor workflow does with a result: fetch the logs, keep the issue, ask to retrain.

    mlproject monitor-fetch            # monitor.storage -> build/monitor/logs (the window's files),
                                       # monitor.labels -> build/monitor/labels
    mlproject monitor-issue            # open/update/close "production drift: ..."
    mlproject monitor-retrain          # dispatch continuous-training.yml with the reason

Each reads build/monitor/monitor.json (``mlproject monitor``) and writes its outcome to the
job summary; GitHub is reached only through ``gh`` with GH_TOKEN.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from mlproject import storage, tracking
from mlproject.errors import PipelineError
from mlproject.monitor.check import parse_time
from mlproject.monitor.log import file_time
from mlproject.monitor.settings import Monitor

TITLE = "production drift"
WORKFLOW = "continuous-training.yml"
MAX_FETCH_MB = 20_000
LABEL_SUFFIXES = (".csv", ".parquet")


def output(**values: str) -> None:
    """Step outputs ($GITHUB_OUTPUT), printed too."""
    target = os.environ.get("GITHUB_OUTPUT")
    for key, value in values.items():
        print(f"{key}={value}")
        if target:
            with open(target, "a", encoding="utf-8") as out:
                out.write(f"{key}={value}\n")


def summary(text: str) -> None:
    target = os.environ.get("GITHUB_STEP_SUMMARY")
    if target:
        with open(target, "a", encoding="utf-8") as out:
            out.write(text if text.endswith("\n") else text + "\n")


def fetch(settings: Monitor, out: Path, until: str | None = None,
          hours: float | None = None, labels_out: Path | None = None) -> int:
    """Copy the window's completed log files from monitor.storage (a folder, or a URL fsspec
    reads: s3://, gs://, az:// with its package installed) into ``out``, and the label files
    under monitor.labels into ``labels_out``; return how many log files."""
    if not settings.storage:
        output(configured="false")
        summary("## Monitoring is not set up\n\nSet `monitor.storage` in params.yaml to where "
                "the service's prediction logs go (docs/monitoring.md).")
        return 0
    end = parse_time(until)
    start = end - timedelta(hours=hours if hours is not None else settings.window_hours)
    earliest = start - timedelta(minutes=settings.log.rotate_minutes)
    names = _copy("monitor.storage", settings.storage, out, lambda name: (
        t := file_time(name)) is not None and earliest <= t < end)
    labelled = 0
    if settings.labels:
        labelled = len(_copy("monitor.labels", settings.labels,
                             labels_out or out.parent / "labels",
                             lambda name: name.endswith(LABEL_SUFFIXES)))
    output(configured="true", files=str(len(names)), labels=str(labelled > 0).lower())
    return len(names)


def _copy(key: str, url: str, out: Path, wanted: Callable[[str], bool]) -> list[str]:
    """Copy the files directly under ``url`` whose name is ``wanted`` into ``out``, at most
    MAX_FETCH_MB in all; return their names."""
    import fsspec

    try:
        fs, root = fsspec.core.url_to_fs(url)
        names = sorted(p for p in fs.ls(root, detail=False) if wanted(Path(p).name))
    except (ImportError, ValueError) as exc:
        raise PipelineError(f"{key}: {url[:80]!r} cannot be read here "
                            f"({str(exc).splitlines()[0][:120]})") from None
    except (FileNotFoundError, OSError) as exc:
        raise PipelineError(f"{key}: {url[:80]!r}: {type(exc).__name__}") from None
    out.mkdir(parents=True, exist_ok=True)
    total = 0
    for name in names:
        total += fs.size(name) or 0
        if total > MAX_FETCH_MB * 1e6:
            raise PipelineError(f"{key}: the files to fetch are over {MAX_FETCH_MB:,} MB; "
                                "shorten monitor.window_hours or move old files away")
        with fs.open(name, "rb") as src, storage.atomic_path(out / Path(name).name) as tmp, \
                open(tmp, "wb") as dst:
            shutil.copyfileobj(src, dst)
    return names


def read_result(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise PipelineError(f"{path}: no monitoring result; run `mlproject monitor` first")
    result = storage.read_json(path)
    if not isinstance(result, dict) or "status" not in result:
        raise PipelineError(f"{path}: not a monitoring result")
    return result


def issue(result: dict[str, Any], directory: Path) -> str:
    """Keep the one "production drift: ..." issue in step with the result."""
    status = result["status"]
    url = tracking.run_url()
    run = f" ([run]({url}))" if url else ""
    w = result["window"]
    if status == "too few predictions":
        done = "left as it is (too few predictions to judge)"
    else:
        problem = None
        if status == "drift":
            report = (directory / "report.md").read_text(encoding="utf-8") \
                if (directory / "report.md").is_file() else ""
            problem = tracking.Problem(
                f"{TITLE}: {_plain(result['title'])}",
                f"The scheduled check found production drifting from the model's reference "
                f"in the window {w['start']} to {w['until']}{run}. This issue closes by itself "
                f"when a window is back to normal.\n\n{report}"[:60_000],
                f"Still drifting in the window {w['start']} to {w['until']}: "
                f"{_plain(result['title'])}{run}")
        done = tracking.sync(TITLE, problem, f"Back to normal in the window {w['start']} to "
                             f"{w['until']}{run}.", directory)
    summary(f"Drift issue: {done}")
    return f"drift issue: {done}"


def retrain(result: dict[str, Any]) -> str:
    """Dispatch continuous training when the result asks for it."""
    if not result.get("retrain"):
        return "retrain: not needed"
    reasons = "; ".join(a["what"] for a in result["alarms"] if a["kind"] in
                        ("features", "predictions", "quality"))
    reason = tracking.line(f"production drift: {_plain(reasons)}", 200)
    if not tracking.available():
        done = "skipped (needs gh and GH_TOKEN)"
    else:
        tracking.gh("workflow", "run", WORKFLOW, "-f", f"reason={reason}")
        done = f"dispatched {WORKFLOW} ({reason})"
    summary(f"Continuous training: {done}")
    return f"retrain: {done}"


def _plain(text: str) -> str:
    """Titles and reasons hold feature and metric names: keep them to plain signs."""
    return re.sub(r"[^\w .,:;%+()<>=/-]", "_", str(text))[:200]
