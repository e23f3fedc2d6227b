"""Measure the monitoring bars of PRODUCT.md §5 and print them as a Markdown table.

    make bench ARGS="--monitor"      # only these rows (a few minutes on 2 cores)
    python tests/benchmarks/monitor_bench.py [--runs 3]

On the project's own model and holdout (run `make run` first), with logs written by the real
PredictionLog (tests/monitor/logs.py):
- false alarms: 10 unchanged windows of 5,000 predictions;
- detection: 10 windows of 2,000 predictions in which 30 % of requests have one numeric feature
  moved by +1 standard deviation, and 10 windows whose 2,000 labels have 10 % flipped;
- `mlproject monitor` over 1,000,000 logged rows: wall time and peak memory (median of runs);
- the HTTP service's one-record p50 with the log on and off (two services asked in turns),
  and whether every answered request is in the log after SIGTERM.
Nothing here asserts: the bars are for people.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.monitor.logs import Names, write_log  # noqa: E402

from mlproject.monitor import check, settings  # noqa: E402
from mlproject.predict import Predictor  # noqa: E402

MODEL, HOLDOUT = ROOT / "models" / "model.skops", ROOT / "artifacts/prepared/holdout.parquet"
REFERENCE = ROOT / "models" / "reference.json"


def windows(tmp: Path, predictor: Predictor, holdout: pd.DataFrame, names: Names, n: int,
            count: int, **shift) -> list[dict]:
    """``count`` windows of ``n`` logged predictions (seeds 100...), each checked."""
    results = []
    for i in range(count):
        d = tmp / f"w{n}-{i}-{len(shift)}"
        labels = d / "labels.csv" if "flip" in shift else None
        write_log(d / "logs", predictor, holdout, names.target, n, seed=100 + i,
                  per_request=50, labels=labels, **shift)
        results.append(check.run(settings.parse(None), d / "logs", d / "out", labels=labels,
                                 reference_path=REFERENCE))
    return results


def million(tmp: Path, predictor: Predictor, holdout: pd.DataFrame, names: Names) -> Path:
    """1,000,000 logged predictions, in requests of 10,000 records."""
    write_log(tmp / "million", predictor, holdout, names.target, 1_000_000, seed=7,
              per_request=10_000)
    return tmp / "million"


def monitor_run(logs: Path, out: Path) -> tuple[float, float]:
    """(seconds, peak MB) of `mlproject monitor` in a fresh process."""
    done = subprocess.run(
        ["/usr/bin/time", "-f", "%e %M", sys.executable, "-m", "mlproject.cli", "monitor",
         "--logs", str(logs), "--reference", str(REFERENCE), "--out", str(out)],
        cwd=ROOT, capture_output=True, text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
    if done.returncode:
        sys.exit(f"mlproject monitor failed: {done.stderr[-1000:]}")
    seconds, kb = done.stderr.strip().splitlines()[-1].split()
    return float(seconds), int(kb) / 1024


@dataclass
class LogCost:
    """The prediction log's cost on one-record HTTP latency, and the noise it is read against."""

    on: list[float]  # p50 ms with the log, per run
    off: list[float]  # p50 ms without it, the same runs
    same: list[float]  # p50 ratio of two services without the log, per run: the noise
    lost: list[int]  # requests answered but not in the log after SIGTERM, per run

    def row(self) -> str:
        ratios = [a / b for a, b in zip(self.on, self.off, strict=True)]
        cost, noise = _spread(ratios), _spread(self.same)
        return (f"{statistics.median(self.on):.2f} ms vs {statistics.median(self.off):.2f} ms:"
                f" {cost}; two services without the log: {noise}")


def _spread(ratios: list[float]) -> str:
    pct = [(r - 1) * 100 for r in ratios]
    return f"{statistics.median(pct):+.1f} % ({min(pct):+.0f} … {max(pct):+.0f} %)"


def log_work(predictor: Predictor, holdout: pd.DataFrame, tmp: Path, n: int = 1000
             ) -> tuple[float, float, float]:
    """(µs on the request path, µs in the writer thread, µs to predict) per one-record request:
    ``n`` requests' rows handed to a real PredictionLog (`fields` and `put`, as the service
    does; its writer thread not started, so nothing competes), then the writer's work on the
    same rows (the table, a zstd Parquet row group), against the one-record prediction itself.
    Timed work, not HTTP latency: no noise from which core a process lands on."""
    from mlproject.monitor.log import Batch, PredictionLog, fields

    table = holdout[predictor.features]
    records = table.astype(object).where(table.notna(), None).to_dict("records")[:n]
    answers = [predictor.predict_frame([r]) for r in records]
    start = time.perf_counter()
    for r in records:
        predictor.predict_frame([r])
    predict = (time.perf_counter() - start) / n
    (tmp / "work").mkdir(parents=True)
    log = PredictionLog(tmp / "work", predictor, settings.parse(None).log)  # no thread yet:
    start = time.perf_counter()  # the writer's work is timed on its own below
    for i, (frame, predictions) in enumerate(answers):
        log.put(f"r{i}", frame, *fields(predictions), 0.5)
    put = (time.perf_counter() - start) / n
    batches = [Batch(0, f"r{i}", frame, *fields(predictions), 0.5)
               for i, (frame, predictions) in enumerate(answers)]
    start = time.perf_counter()
    log._start(0)
    log._writer.write_table(log._table(batches))
    log._finish()
    writer = (time.perf_counter() - start) / n
    return put * 1e6, writer * 1e6, predict * 1e6


def logging_cost(runs: int, tmp: Path, n: int = 1000) -> LogCost:
    """Per run, two services side by side, one logging and one not, asked in turns
    (serve_load.paired), then two services that both do not log: how far two equal services
    differ here, the yardstick for the first difference."""
    sys.path.insert(0, str(Path(__file__).parent))
    from serve_load import WARM_UP, paired

    found = LogCost([], [], [], [])
    for i in range(runs):
        logs = tmp / f"serve-logs-{i}"
        with_log, without = paired(n, MODEL, ["--log-dir", str(logs)], ["--no-log"])
        found.on.append(with_log)
        found.off.append(without)
        found.lost.append(n + WARM_UP - sum(len(pd.read_parquet(f))
                                            for f in logs.glob("*.parquet")))
        a, b = paired(n, MODEL, ["--no-log"], ["--no-log"])
        found.same.append(a / b)
    return found


def rows(runs: int) -> list[tuple[str, str, str]]:
    """The table's rows: (measure, result, bar)."""
    if not (MODEL.exists() and HOLDOUT.exists() and REFERENCE.exists()):
        sys.exit("monitor_bench: run `make run` first (model, holdout, reference)")
    predictor, holdout = Predictor.load(MODEL), pd.read_parquet(HOLDOUT)
    names = Names.of_project(ROOT)
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        stable = windows(tmp, predictor, holdout, names, 5000, 10)
        alarms = sum(r["status"] != "normal" for r in stable)
        out.append(("monitoring: unchanged windows of 5,000 predictions that alarm",
                    f"{alarms} of 10", "0 of 10"))
        shifted = windows(tmp, predictor, holdout, names, 2000, 10,
                          shifts=[f"{names.numeric}=+1sd"], share=0.3)
        found = sum(any(a["name"] == names.numeric for a in r["alarms"]) for r in shifted)
        out.append((f"monitoring: `{names.numeric}` +1 SD on 30 % of 2,000 predictions found",
                    f"{found} of 10", "10 of 10"))
        flipped = windows(tmp, predictor, holdout, names, 2000, 10, flip=0.1)
        found = sum(any(a["kind"] == "quality" for a in r["alarms"]) for r in flipped)
        drops = [r["quality"]["change"] for r in flipped]
        out.append(("monitoring: 10 % of 2,000 labels flipped, found by quality",
                    f"{found} of 10 (change {statistics.median(drops):+.3f})", "10 of 10"))
        logs = million(tmp, predictor, holdout, names)
        timed = [monitor_run(logs, tmp / f"m{i}") for i in range(runs)]
        seconds = statistics.median(t for t, _ in timed)
        peak = statistics.median(m for _, m in timed)
        out.append(("`mlproject monitor` on 1,000,000 logged predictions",
                    f"{seconds:.1f} s, peak {peak:,.0f} MB", "<= 10 s, <= 1 GB"))
        works = [log_work(predictor, holdout, tmp / f"work-{i}") for i in range(runs)]
        put, writer, predict = (statistics.median(w[k] for w in works) for k in range(3))
        out.append(("prediction log's work per one-record request: request path + writer "
                    "thread, against the prediction",
                    f"{put:.1f} + {writer:.1f} µs of {predict:.0f} µs "
                    f"({(put + writer) / predict * 100:+.1f} %)", "<= +10 %"))
        cost = logging_cost(max(runs, 9), tmp)
        out.append(("HTTP one record p50, prediction log on vs off (1,000 requests each, in "
                    "turns; median and range of runs)", cost.row(), "<= +10 %"))
        out.append(("requests answered but not logged after SIGTERM (per run)",
                    ", ".join(map(str, cost.lost)), "0"))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    print(f"| measure (median of {args.runs}) | result | bar |\n|---|---|---|")
    for name, value, bar in rows(args.runs):
        print(f"| {name} | {value} | {bar} |")


if __name__ == "__main__":
    main()
