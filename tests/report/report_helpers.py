"""Fabricated results and a small git repository wrapper for the report tests.

Training is not needed to test the report: DVC diffs committed JSON files declared as metrics
in dvc.yaml, and the report reads the rest from git.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
GRID = [i / 20 for i in range(21)]


def results(auc: float = 0.92, f1: float = 0.70, latency: float = 1.0) -> dict:
    """Fabricated metrics/system/slices for the model and both baselines."""
    def quality(a: float, f: float) -> dict:
        return {"roc_auc": a, "f1": f, "accuracy": 0.85, "average_precision": a - 0.1,
                "log_loss": 0.3, "brier": 0.09}

    def product() -> dict:
        return {"threshold": 0.8, "coverage": 0.7, "precision_when_shown": 0.95}

    slices = {name: {"rows": rows, "judged": rows >= 30, "roc_auc": auc - d, "f1": f1,
                     "accuracy": 0.8} for name, rows, d in
              [("sex=Female", 500, 0.01), ("sex=Male", 900, 0.0), ("race=Other", 12, 0.05)]}
    return {
        "metrics": {"model": {"quality": quality(auc, f1), "product": product()},
                    "rule_baseline": {"quality": quality(0.75, 0.61), "product": product()},
                    "dummy": {"quality": quality(0.5, 0.0), "product": product()}},
        "system": {"model": {"model_size_bytes": 360000, "training_time_s": 2.0,
                             "latency_one_ms_p50": latency, "latency_one_ms_p95": latency * 2,
                             "batch_rows_per_s": 200000}},
        "slices": {"model": slices},
    }


def validation(rows: int = 1000, positive: float = 0.24, columns: int = 15) -> dict:
    balance = {"<=50K": round(1 - positive, 6), ">50K": positive}
    return {split: {"rows": rows, "columns": columns, "duplicate_rows": 0, "missing_cells": 0,
                    "class_balance": balance} for split in ("train", "holdout")}


class Repo:
    """A git + DVC repository with helpers to write results and commit."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def git(self, *args: str) -> str:
        return subprocess.run(["git", *args], cwd=self.path, check=True, capture_output=True,
                              text=True).stdout.strip()

    def write(self, rel: str, content: str | dict) -> None:
        target = self.path / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        text = content if isinstance(content, str) else json.dumps(content, indent=1)
        target.write_text(text, encoding="utf-8")

    def write_results(self, res: dict, curve_shift: float = 0.0) -> None:
        for key in ("metrics", "system", "slices"):
            self.write(f"reports/{key}.json", res[key])
        roc = "model,fpr,tpr\n" + "".join(
            f"model,{x:g},{min(1.0, x ** 0.3 + curve_shift) if x else 0.2:.4f}\n" for x in GRID)
        pr = "model,recall,precision\n" + "".join(
            f"model,{x:g},{max(0.0, 1 - 0.6 * x ** 2 - curve_shift):.4f}\n" for x in GRID)
        self.write("reports/plots/roc.csv", roc)
        self.write("reports/plots/precision_recall.csv", pr)
        self.write("reports/plots/confusion.csv", "actual,predicted\n" + "a,a\n" * 70
                   + "a,b\n" * 10 + "b,a\n" * 8 + "b,b\n" * 12)

    def params(self, change=None) -> dict:
        raw = yaml.safe_load((self.path / "params.yaml").read_text(encoding="utf-8"))
        if change:
            change(raw)
            self.write("params.yaml", yaml.safe_dump(raw, sort_keys=False))
        return raw

    def commit(self, message: str = "change") -> None:
        self.git("add", "-A")
        self.git("-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", message)
