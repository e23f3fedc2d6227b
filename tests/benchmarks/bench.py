"""Measure the performance bars of PRODUCT.md §5 and print them as a Markdown table.

    make bench                 # everything (a few minutes on 2 cores)
    make bench ARGS="--quick"  # skip the 1,000,000-row runs and the monitoring rows
    make bench ARGS="--monitor"  # only the monitoring rows (tests/benchmarks/monitor_bench.py)
    make bench ARGS="--site"   # only the registry site's rows (tests/benchmarks/site_bench.py)
    make bench ARGS="--scale"  # time and memory per stage at 50k, 1M and 5M rows, training
                               # on 1 thread and on every core (train.threads in params.yaml)

Each number is the median of several runs. Nothing here asserts: the bars are for people.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
ENV = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}", "DVC_NO_ANALYTICS": "1"}
# uv on PATH, else the copy `make setup` installed into .venv-tools/ when there was none
UV = shutil.which("uv") or str(ROOT / ".venv-tools" / "bin" / "uv")


def sh(cmd: str, cwd: Path, env: dict | None = None) -> None:
    subprocess.run(cmd, shell=True, cwd=cwd, env=env or ENV, check=True,  # noqa: S602
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def timed(fn: Callable[[], None], runs: int, before: Callable[[], None] | None = None
          ) -> float:
    """Median wall time of ``fn`` over ``runs`` runs (``before`` is not timed)."""
    times = []
    for _ in range(runs):
        if before:
            before()
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def clone(tmp: Path) -> Path:
    repo = tmp / "repo"
    sh(f"git clone -q {ROOT} {repo}", ROOT)
    env = {**ENV, "PYTHONPATH": str(repo / "src")}
    sh("dvc pull -q data.dvc", repo, env)
    return repo


def one_process(repo: Path) -> None:
    """The same load + fit + evaluate as the pipeline, in a single Python process."""
    code = (
        "from pathlib import Path as P; from mlproject.config import load_params;"
        "from mlproject.stages import prepare, split, train, evaluate;"
        "p = load_params(); o = P('/tmp/bench-one');"
        "prepare.main(p, P('data/adult.data'), P('data/adult.test'), o / 'prepared',"
        " o / 'validation.json');"
        "split.main(p, o / 'prepared/train.parquet', o / 'split');"
        "train.main(p, o / 'split', o / 'models');"
        "evaluate.main(p, o / 'prepared/holdout.parquet', o / 'models', o / 'reports')")
    sh(f'python -c "{code}"', repo, {**ENV, "PYTHONPATH": str(repo / "src")})


def only_data_cached(repo: Path, env: dict) -> None:
    """Point the clone at a new DVC cache holding the data and this branch's outputs, as a PR
    job leaves it: main's model is in neither the cache nor the remote, so `mlproject compare`
    must rebuild it (the cold path)."""
    cache = repo.parent / "cold-cache"
    sh(f"rm -rf {cache} && dvc config --local cache.dir {cache} && dvc pull -q data.dvc && "
       "dvc commit -f -q", repo, env)


def make_big(repo: Path, rows: int) -> None:
    """Point the pipeline at ``rows`` rows resampled from the starter training file."""
    import pandas as pd

    source = repo / "data" / "adult.data"
    lines = [x for x in source.read_text().splitlines() if x.strip()]
    sample = pd.Series(lines).sample(rows, replace=True, random_state=0)
    # keep each row distinct (duplicates are dropped by policy): the census weight is the row
    sample = [", ".join([*f[:2], str(i), *f[3:]])
              for i, f in enumerate(line.split(", ") for line in sample)]
    big = repo / "data" / "big.data"
    big.write_text("\n".join(sample) + "\n")
    sh("sed -i 's|data/adult.data|data/big.data|' dvc.yaml", repo)
    sh("dvc add -q data", repo)  # record the new version: prepare checks data/ against it
    sh("sed -i 's|^  max_file_mb: .*|  max_file_mb: 5000|' params.yaml", repo)


def scale(repo: Path, rows: int) -> tuple[float, float]:
    """(seconds, peak MB) of `dvc repro` on ``rows`` rows resampled from the starter data."""
    make_big(repo, rows)
    start = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    sh("dvc repro -q", repo, {**ENV, "PYTHONPATH": str(repo / "src")})
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return time.perf_counter() - start, max(peak, before) / 1024


def set_threads(repo: Path, threads: int) -> None:
    """Set ``train.threads`` in the clone's params.yaml: the thread pools training may use."""
    path = repo / "params.yaml"
    params = yaml.safe_load(path.read_text())
    params["train"]["threads"] = threads
    path.write_text(yaml.safe_dump(params, sort_keys=False))


def stages(repo: Path) -> dict[str, tuple[float, float]]:
    """{stage: (seconds, peak MB)} running each stage command of dvc.yaml in order."""
    out = {}
    for name, stage in yaml.safe_load((repo / "dvc.yaml").read_text())["stages"].items():
        done = subprocess.run(["/usr/bin/time", "-f", "%e %M", "bash", "-c", stage["cmd"]],
                              cwd=repo, env={**ENV, "PYTHONPATH": str(repo / "src")},
                              capture_output=True, text=True)
        if done.returncode:
            sys.exit(f"stage {name} failed:\n{done.stderr[-2000:]}")
        seconds, kb = done.stderr.strip().splitlines()[-1].split()
        out[name] = (float(seconds), int(kb) / 1024)
    return out


def scale_table(sizes: list[int]) -> None:
    """Print time and peak memory per stage as the training file grows, training on one
    thread (the default: byte-identical models anywhere) and on every core."""
    settings = sorted({1, os.cpu_count() or 1})
    results = {}
    for rows in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            repo = clone(Path(tmp))
            make_big(repo, rows)
            for threads in settings:
                set_threads(repo, threads)
                results[rows, threads] = stages(repo)
    names = list(next(iter(results.values())))
    print("| rows | train.threads | " + " | ".join(names) + " | total | peak memory | "
          "prepare's peak |")
    print("|---" * (len(names) + 5) + "|")
    for (rows, threads), timing in results.items():
        cells = [f"{timing[n][0]:.1f} s" for n in names]
        total = sum(t for t, _ in timing.values())
        top = max(timing, key=lambda n: timing[n][1])
        print(f"| {rows:,} | {threads} | " + " | ".join(cells) + f" | {total:.0f} s | "
              f"{timing[top][1]:,.0f} MB ({top}) | {timing['prepare'][1]:,.0f} MB |")


def prediction(repo: Path) -> tuple[float, float, float]:
    """(batch rows/s, one-record p50 ms, 100-record p50 ms) of the prediction API on the
    holdout; records as an application sends them (missing values as None)."""
    code = (
        "import time, statistics, pandas as pd; from mlproject.predict import Predictor;"
        "p = Predictor.load('models/model.skops');"
        "h = pd.read_parquet('artifacts/prepared/holdout.parquet');"
        "big = pd.concat([h] * 6, ignore_index=True); p.predict_proba(big.head(100));"
        "s = time.perf_counter(); p.predict_proba(big); b = len(big) / (time.perf_counter() - s);"
        "f = h[p.features]; recs = f.astype(object).where(f.notna(), None).to_dict('records');"
        "p.predict(recs[:1]); t = [];"
        "[(s := time.perf_counter(), p.predict([r]), t.append(time.perf_counter() - s)) "
        "for r in recs[:500]]; h100 = [];"
        "[(s := time.perf_counter(), p.predict(recs[i:i + 100]), "
        "h100.append(time.perf_counter() - s)) for i in range(0, 5000, 100)];"
        "print(b, statistics.median(t) * 1000, statistics.median(h100) * 1000)")
    out = subprocess.run([sys.executable, "-c", code], cwd=repo, capture_output=True,
                         text=True, check=True, env={**ENV, "PYTHONPATH": str(repo / "src")})
    rate, p50, hundred = map(float, out.stdout.split())
    return rate, p50, hundred


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="skip the 1M-row runs and the monitoring rows")
    parser.add_argument("--monitor", action="store_true", help="only the monitoring rows")
    parser.add_argument("--site", action="store_true", help="only the registry site's rows")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--scale", nargs="*", type=int, metavar="ROWS",
                        help="time each stage on these row counts instead "
                             "(default 50000 1000000 5000000)")
    args = parser.parse_args()
    if args.scale is not None:
        scale_table(args.scale or [50_000, 1_000_000, 5_000_000])
        return
    sys.path.insert(0, str(Path(__file__).parent))
    rows: list[tuple[str, str, str]] = []
    if args.monitor or args.site:
        from monitor_bench import rows as monitoring
        from site_bench import rows as site

        rows += monitoring(args.runs) if args.monitor else []
        rows += site(100, args.runs) if args.site else []
    else:
        rows += measure_all(args)
    print(f"| measure (median of {args.runs}) | result | bar |\n|---|---|---|")
    for name, value, bar in rows:
        print(f"| {name} | {value} | {bar} |")


def measure_all(args: argparse.Namespace) -> list[tuple[str, str, str]]:
    """Every row but the scale table."""
    rows: list[tuple[str, str, str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        repo = clone(tmp)
        env = {**ENV, "PYTHONPATH": str(repo / "src")}
        venv = tmp / "venv"
        setup = timed(lambda: sh(f"{UV} sync --frozen --quiet", repo,
                                 {**ENV, "UV_PROJECT_ENVIRONMENT": str(venv)}), args.runs,
                      before=lambda: sh(f"rm -rf {venv}", repo))
        rows.append(("environment setup from scratch (uv, package cache warm)",
                     f"{setup:.1f} s", "<= 20 s"))
        cold = timed(lambda: sh(f"{UV} sync --frozen --quiet", repo,
                                {**ENV, "UV_PROJECT_ENVIRONMENT": str(venv),
                                 "UV_CACHE_DIR": str(tmp / "uv-cache")}), 1,
                     before=lambda: sh(f"rm -rf {venv} {tmp / 'uv-cache'}", repo))
        rows.append(("environment setup from scratch (uv, empty cache: downloads)",
                     f"{cold:.1f} s", "<= 20 s"))
        # a machine without uv: `make setup` installs the pinned uv into .venv-tools/ first
        no_uv = {**ENV, "PATH": os.pathsep.join(
            d for d in ENV["PATH"].split(os.pathsep) if d and not (Path(d) / "uv").exists())}
        python = Path(sys._base_executable).resolve()
        writes = {k: v for k, v in no_uv.items() if k != "PYTHONDONTWRITEBYTECODE"}
        for label, env_setup in (("", writes), (", PYTHONDONTWRITEBYTECODE set", {
                **no_uv, "PYTHONDONTWRITEBYTECODE": "1"})):
            bootstrap = timed(lambda e=env_setup: sh(f"make setup PYTHON={python}", repo, e), 1,
                              before=lambda: sh("rm -rf .venv .venv-tools", repo))
            rows.append((f"environment setup from scratch, no uv installed (`make setup`{label})",
                         f"{bootstrap:.1f} s", "<= 20 s"))
        pip = timed(lambda: sh(f"python3 -m venv {venv} && {venv}/bin/pip install -q "
                               "--require-hashes --no-deps -r requirements.lock && "
                               f"{venv}/bin/pip install -q --no-deps --no-build-isolation -e .",
                               repo), 1, before=lambda: sh(f"rm -rf {venv}", repo))
        rows.append(("environment setup from scratch (pip fallback)", f"{pip:.1f} s", "-"))
        full = timed(lambda: sh("dvc repro -q -f", repo, env), args.runs)
        single = timed(lambda: one_process(repo), args.runs)
        stages = len(yaml.safe_load((repo / "dvc.yaml").read_text())["stages"])
        rows.append((f"full `dvc repro` ({stages} stages)", f"{full:.1f} s", "<= 15 s"))
        rows.append(("same work in one Python process", f"{single:.1f} s",
                     f"ratio {full / single:.2f}x (<= 2.5x)"))
        noop = timed(lambda: sh("dvc repro -q", repo, env), max(args.runs, 5))
        rows.append(("no-op `dvc repro`", f"{noop:.2f} s", "<= 1.5 s"))
        rate, p50, hundred = prediction(repo)
        rows.append(("prediction API, batch", f"{rate:,.0f} rows/s", ">= 500,000 rows/s"))
        rows.append(("prediction API, one record p50", f"{p50:.2f} ms", "<= 1 ms"))
        rows.append(("prediction API, 100 records p50", f"{hundred:.2f} ms", "<= 3 ms"))
        sh("git checkout -q -b bench && sed -i 's/max_iter: 150/max_iter: 120/' params.yaml "
           "&& dvc repro -q && git commit -qam 'bench branch'", repo, env)
        compare = "mlproject compare --base main --out /tmp/bench-evidence"
        judge = ("mlproject judge --evidence /tmp/bench-evidence --out /tmp/bench-report "
                 "--rules-from main")
        warm = timed(lambda: sh(compare, repo, env), max(args.runs, 5))
        rows.append(("PR evidence, main's model from the DVC cache (`mlproject compare`)",
                     f"{warm:.2f} s", "-"))
        report = timed(lambda: sh(judge, repo, env), max(args.runs, 5))
        rows.append(("PR report: judge re-scores both models and writes the comment "
                     "(`mlproject judge`)", f"{report:.2f} s", "<= 3 s"))
        charts = timed(lambda: sh(judge + " --charts", repo, env), args.runs)
        rows.append(("the same with full-size PNG charts (`make report`)", f"{charts:.2f} s",
                     "-"))
        cold = timed(lambda: sh(compare, repo, env), args.runs,
                     before=lambda: only_data_cached(repo, env))
        rows.append(("PR evidence, main's model rebuilt (cold path: not cached, not on the "
                     "remote)", f"{cold:.1f} s", f"{cold / full:.2f}x full repro (<= 2x)"))
        sh("dvc config --local --unset cache.dir && dvc checkout -q", repo, env)
        from serve_load import measure

        for clients, bar in ((1, "-"), (8, ">= 500 req/s, p99 <= 20 ms")):
            http = measure(2000, repo / "models" / "model.skops", concurrency=clients)
            rows.append((f"HTTP `/predict`, one record per request, {clients} client(s) "
                         "(loopback, 2,000 requests, prediction log on)",
                         f"{http['requests_per_s']:.0f} req/s, p50 {http['p50_ms']:.1f} ms, "
                         f"p99 {http['p99_ms']:.1f} ms", bar))
        if not args.quick:
            seconds, peak = scale(repo, 1_000_000)
            rows.append(("1,000,000-row `dvc repro`", f"{seconds:.0f} s, peak {peak:,.0f} MB",
                         "<= 120 s, <= 3 GB"))
    from site_bench import rows as site

    rows += site(100, args.runs)
    if not args.quick:
        from monitor_bench import rows as monitoring

        rows += monitoring(args.runs)
    return rows


if __name__ == "__main__":
    main()
