"""Measure the registry site's bars (PRODUCT.md §5) and print them as Markdown table rows.

    make bench ARGS="--site"     # only these rows
    python tests/benchmarks/site_bench.py [--versions 100] [--runs 3]

A scratch git repository gets ``--versions`` registered versions, each at its own commit with
a sidecar, metrics, slices and params, each assigned to prod in turn, with a rollback every
tenth version; then `mlproject site` builds the site (median wall time of --runs runs, in a
fresh process) and the home page is weighed. Nothing here asserts: the bars are for people.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "GIT_AUTHOR_NAME": "B",
       "GIT_AUTHOR_EMAIL": "b@x.invalid", "GIT_COMMITTER_NAME": "B",
       "GIT_COMMITTER_EMAIL": "b@x.invalid"}


def git(repo: Path, *args: str, when: int | None = None) -> None:
    env = {**ENV, **({"GIT_COMMITTER_DATE": f"@{when} +0000"} if when else {})}
    subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True)


def registry(repo: Path, versions: int) -> None:
    """A repository whose registry has ``versions`` versions and their stage history."""
    git(repo, "init", "-q", "-b", "main")
    (repo / "params.yaml").write_bytes((ROOT / "params.yaml").read_bytes())  # the project's
    (repo / "models").mkdir()
    (repo / "reports").mkdir()
    start, counter = int(time.time()) - 10 * versions, 0
    for i in range(versions):
        version = f"v1.{i // 10}.{i % 10}"
        auc = 0.80 + 0.1 * i / versions
        (repo / "models" / "model.json").write_text(json.dumps(
            {"name": "hist_gradient_boosting", "hyperparameters": {"max_iter": 100 + i},
             "classes": ["no", "yes"], "sha256": f"{i:064x}", "size_bytes": 300_000}))
        family = {"quality": {"roc_auc": auc, "f1": auc - 0.1},
                  "product": {"coverage": 0.7, "precision_when_shown": 0.9},
                  "system": {"model_size_bytes": 300_000}}
        (repo / "reports" / "metrics.json").write_text(json.dumps(
            {"model": family, "rule_baseline": family, "dummy": family}))
        (repo / "reports" / "slices.json").write_text(json.dumps(
            {"model": {f"region={r}": {"rows": 100, "roc_auc": auc} for r in "nesw"}}))
        git(repo, "add", "-A")
        git(repo, "commit", "-qm", f"Change {i} (#{i + 1})", when=start + 10 * i)
        git(repo, "tag", "-a", "-m", f"Register {version}", f"model@{version}",
            when=start + 10 * i + 1)
        counter += 1
        git(repo, "tag", "-a", "-m", "Promote", f"model#prod#{counter}",
            when=start + 10 * i + 2)
        if i % 10 == 9:  # a rollback: withdraw this version, put the one before back
            counter += 1
            git(repo, "tag", "-a", "-m", "Roll back", f"model#prod!#{counter}",
                when=start + 10 * i + 3)
            git(repo, "checkout", "-q", "HEAD~1")
            counter += 1
            git(repo, "tag", "-a", "-m", "Roll back", f"model#prod#{counter}",
                when=start + 10 * i + 4)
            git(repo, "checkout", "-q", "main")


def rows(versions: int = 100, runs: int = 3) -> list[tuple[str, str, str]]:
    with tempfile.TemporaryDirectory() as tmp:
        repo = Path(tmp) / "repo"
        repo.mkdir()
        registry(repo, versions)
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            done = subprocess.run([sys.executable, "-m", "mlproject.cli", "site", "--out",
                                   str(repo / "build" / "site")], cwd=repo, env=ENV,
                                  capture_output=True, text=True)
            if done.returncode:
                sys.exit(f"mlproject site failed: {done.stderr[-500:]}")
            times.append(time.perf_counter() - start)
        home = (repo / "build" / "site" / "index.html").stat().st_size
        pages = len(list((repo / "build" / "site").rglob("*.html")))
    return [(f"registry site for {versions} versions (`mlproject site`, {pages} pages)",
             f"{statistics.median(times):.1f} s", "<= 5 s"),
            ("registry site: home page weight", f"{home / 1000:.1f} kB", "<= 300 kB")]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--versions", type=int, default=100)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    print("| measure | result | bar |\n|---|---|---|")
    for name, value, bar in rows(args.versions, args.runs):
        print(f"| {name} | {value} | {bar} |")
