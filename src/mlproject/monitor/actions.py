"""What the monitor workflow does with a result: fetch the logs, keep the issue, ask to retrain.

    mlproject monitor-fetch            # monitor.storage -> build/monitor/logs (the window's files)
    mlproject monitor-issue            # open/update/close "production drift: ..."
    mlproject monitor-retrain          # dispatch continuous-training.yml with the reason

Each reads build/monitor/monitor.json (``mlproject monitor``) and writes its outcome to the
job summary; GitHub is reached only through ``gh`` with GH_TOKEN.
"""

from __future__ import annotations

import os
import re
import shutil
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
          hours: float | None = None) -> int:
    """Copy the window's completed log files from monitor.storage (a folder, or a URL fsspec
    reads: s3://, gs://, az:// with its package installed) into ``out``; return how many."""
    if not settings.storage:
        output(configured="false")
        summary("## Monitoring is not set up\n\nSet `monitor.storage` in params.yaml to where "
                "the service's prediction logs go (docs/monitoring.md).")
        return 0
    end = parse_time(until)
    start = end - timedelta(hours=hours if hours is not None else settings.window_hours)
    earliest = start - timedelta(minutes=settings.log.rotate_minutes)
    import fsspec

    try:
        fs, root = fsspec.core.url_to_fs(settings.storage)
        names = [p for p in fs.ls(root, detail=False)
                 if (t := file_time(Path(p).name)) is not None and earliest <= t < end]
    except (ImportError, ValueError) as exc:
        raise PipelineError(f"monitor.storage: {settings.storage[:80]!r} cannot be read here "
                            f"({str(exc).splitlines()[0][:120]})") from None
    except (FileNotFoundError, OSError) as exc:
        raise PipelineError(f"monitor.storage: {settings.storage[:80]!r}: "
                            f"{type(exc).__name__}") from None
    out.mkdir(parents=True, exist_ok=True)
    total = 0
    for name in sorted(names):
        size = fs.size(name) or 0
        total += size
        if total > MAX_FETCH_MB * 1e6:
            raise PipelineError(f"monitor.storage: the window's files are over {MAX_FETCH_MB:,}"
                                " MB; shorten monitor.window_hours")
        with fs.open(name, "rb") as src, storage.atomic_path(out / Path(name).name) as tmp, \
                open(tmp, "wb") as dst:
            shutil.copyfileobj(src, dst)
    output(configured="true", files=str(len(names)))
    return len(names)


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
