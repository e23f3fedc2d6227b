"""Gate noise: does the model gate pass seed-only changes and fail a genuine degradation?

    make bench-gate                        # the project's own data; both cores kept busy
    make bench-gate ARGS="--rows 1000"     # a generated 1,000-row data set adopted by init-data
    make bench-gate ARGS="--data credit.csv --target default"  # your file, adopted by init-data
    make bench-gate ARGS="--runs 5 --no-load"

Each trial is a branch of a scratch clone, as a pull request would be: change params.yaml,
`dvc repro`, commit, `mlproject compare` against main (both models scored on the same rows in
one process, latency measured interleaved), then `mlproject judge` with main's rules. A
seed-only change alternates `train.seed` and `split.seed`; a degradation sets a worse
hyperparameter (default: `train.model.params.max_iter=5`) with a new `train.seed` each time.
While the trials run, one busy process per core competes for the CPU (unless --no-load), as
other jobs on a shared runner would. Prints a Markdown table; asserts nothing.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
ENV = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}", "DVC_NO_ANALYTICS": "1",
       "GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "bench@example.invalid",
       "GIT_COMMITTER_NAME": "bench", "GIT_COMMITTER_EMAIL": "bench@example.invalid"}


def sh(*cmd: str, cwd: Path) -> str:
    env = {**ENV, "PYTHONPATH": str(cwd / "src")}
    done = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    if done.returncode:
        sys.exit(f"{' '.join(cmd)} failed:\n{(done.stdout + done.stderr)[-3000:]}")
    return done.stdout


def project(tmp: Path, rows: int | None, data: tuple[Path, str, list[str]] | None = None
            ) -> Path:
    """A scratch clone of this project with main's results in its DVC cache: its own data,
    a generated churn data set of ``rows`` rows, or ``data`` (file, target column, more
    init-data arguments), adopted with `mlproject init-data --commit`."""
    repo = tmp / "repo"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(repo)], check=True)
    sh("git", "checkout", "-q", "-B", "main", cwd=repo)
    if data is not None:
        source, target, extra = data
        print(sh("mlproject", "init-data", str(source.resolve()), "--target", target, *extra,
                 "--commit", cwd=repo).strip().splitlines()[-1])
        return repo
    if rows is None:
        sh("dvc", "pull", "-q", "data.dvc", cwd=repo)
        sh("dvc", "repro", "-q", cwd=repo)
        if sh("git", "status", "--porcelain", cwd=repo).strip():
            sh("git", "add", "-A", cwd=repo)
            sh("git", "commit", "-qm", "Main's results", cwd=repo)
        return repo
    sys.path.insert(0, str(ROOT))
    from tests.fixture_data import write_csv

    csv = write_csv(tmp / "export" / "churn.csv", rows, seed=5)
    sh("mlproject", "init-data", str(csv), "--target", "churned", "--commit", cwd=repo)
    return repo


def set_params(repo: Path, changes: dict[str, object]) -> None:
    """Set dotted keys in params.yaml, keeping its comments."""
    from ruamel.yaml import YAML

    yaml = YAML()
    yaml.preserve_quotes = True  # 'no' stays a string for YAML 1.1 readers
    path = repo / "params.yaml"
    params = yaml.load(path.read_text())
    for key, value in changes.items():
        *parents, last = key.split(".")
        node = params
        for part in parents:
            node = node[part]
        node[last] = value
    with path.open("w") as f:
        yaml.dump(params, f)


def trial(repo: Path, name: str, changes: dict[str, object]) -> dict:
    """One pull request: branch, change, repro, compare, judge. Return the verdict and times."""
    sh("git", "checkout", "-q", "-B", name, "main", cwd=repo)
    set_params(repo, changes)
    start = time.perf_counter()
    sh("dvc", "repro", "-q", cwd=repo)
    sh("git", "add", "-A", cwd=repo)
    sh("git", "commit", "-qm", f"{name}: {changes}", cwd=repo)
    evidence, out = repo / "build" / name, repo / "build" / f"{name}-verdict"
    sh("mlproject", "compare", "--base", "main", "--out", str(evidence), cwd=repo)
    sh("mlproject", "judge", "--evidence", str(evidence), "--out", str(out),
       "--rules-from", "main", cwd=repo)
    verdict = json.loads((out / "verdict.json").read_text())
    verdict["seconds"] = time.perf_counter() - start
    p50 = verdict["system"]["latency_ms_p50"]  # measured by the judge, the models alternating
    verdict["latency_ratio"] = p50["pr"] / p50["main"]
    shutil.rmtree(evidence)
    return verdict


@contextmanager
def load(enabled: bool) -> Iterator[None]:
    """One busy process per core for as long as the block runs."""
    burners = [subprocess.Popen([sys.executable, "-c", "while True: pass"])
               for _ in range((os.cpu_count() or 1) if enabled else 0)]
    try:
        yield
    finally:
        for p in burners:
            p.kill()
            p.wait()


def value(text: str) -> object:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def summary(kind: str, verdicts: list[dict], headline: str) -> str:
    passed = sum(v["passed"] for v in verdicts)
    failing = collections.Counter(f"{c['metric']} ({c['kind']})" for v in verdicts
                                  for c in v["checks"] if c["status"] == "fail")
    deltas = [c["value"] for v in verdicts for c in v["checks"]
              if c["kind"] == "change" and c["metric"] == headline and c["value"] is not None]
    ratios = [v["latency_ratio"] for v in verdicts]
    spread = lambda xs, f: f"{f.format(min(xs))} … {f.format(max(xs))}" if xs else "-"  # noqa: E731
    return (f"| {kind} | {len(verdicts)} | {passed} | {len(verdicts) - passed} | "
            f"{spread(deltas, '{:+.4f}')} | {spread(ratios, '{:.2f}×')} | "
            f"{', '.join(f'{k} ×{n}' for k, n in failing.most_common(4)) or '-'} | "
            f"{statistics.median(v['seconds'] for v in verdicts):.0f} s |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10, help="trials of each kind (10)")
    parser.add_argument("--rows", type=int, help="use a generated data set of this many rows")
    parser.add_argument("--data", type=Path, help="a CSV or Parquet file to adopt instead")
    parser.add_argument("--target", help="--data's column to predict")
    parser.add_argument("--positive", help="--data's positive class (init-data --positive)")
    parser.add_argument("--no-load", action="store_true", help="leave the cores idle")
    parser.add_argument("--degrade", action="append", metavar="KEY=VALUE",
                        help="the degradation (default: train.model.params.max_iter=5)")
    parser.add_argument("--seeds-only", action="store_true", help="no degradation trials")
    parser.add_argument("--headline", default="roc_auc", help="the change shown in the table")
    args = parser.parse_args()
    degrade = {k: value(v) for k, v in (d.split("=", 1) for d in args.degrade or
                                        ["train.model.params.max_iter=5"])}
    with tempfile.TemporaryDirectory() as tmp:
        data = None
        if args.data is not None:
            if not args.target:
                parser.error("--data needs --target")
            data = (args.data, args.target,
                    ["--positive", args.positive] if args.positive else [])
        repo = project(Path(tmp), args.rows, data)
        holdout = json.loads((repo / "reports" / "validation.json").read_text())["holdout"]
        from ruamel.yaml import YAML

        seeds = YAML(typ="safe").load((repo / "params.yaml").read_text())
        train_seed, split_seed = seeds["train"]["seed"], seeds["split"]["seed"]
        results: dict[str, list[dict]] = {"seed-only change": [], "degradation": []}
        with load(not args.no_load):
            for i in range(args.runs):
                change = {"train.seed": train_seed + 1 + i} if i % 2 == 0 else \
                    {"split.seed": split_seed + 1 + i}
                results["seed-only change"].append(trial(repo, f"seed-{i}", change))
                if not args.seeds_only:
                    results["degradation"].append(trial(
                        repo, f"worse-{i}", {**degrade, "train.seed": train_seed + 1 + i}))
    data = (args.data.name if args.data else f"{args.rows:,} generated rows" if args.rows
            else "the project's data")
    print(f"\nGate noise on {data} (holdout {holdout['rows']:,} rows), "
          f"{'cores busy' if not args.no_load else 'idle machine'}; degradation: "
          f"{', '.join(f'{k}={v}' for k, v in degrade.items())}\n")
    print(f"| change | trials | passed | failed | {args.headline} Δ | latency p50 ratio | "
          "failing checks | time per trial |\n|---|---|---|---|---|---|---|---|")
    for kind, verdicts in results.items():
        if verdicts:
            print(summary(kind, verdicts, args.headline))


if __name__ == "__main__":
    main()
