"""Gather what a PR report compares: results, params, data and code at base vs workspace.

DVC computes the metrics and params diffs (its Python API, the same data as
`dvc metrics diff --json` without a second process); git supplies the files recorded at the
base revision. Nothing here formats text: see markdown.py.
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
from pathlib import Path
from typing import Any

from mlproject import gate
from mlproject.errors import PipelineError
from mlproject.results import git_show

CURVES = {"roc": ("fpr", "tpr"), "precision_recall": ("recall", "precision")}


def _git(root: Path | str, *args: str) -> str | None:
    proc = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True)
    return proc.stdout.strip() if proc.returncode == 0 else None


def resolve_base(base: str | None, root: Path | str = ".") -> str:
    """Return the commit SHA of ``base`` (default: the merge base of HEAD with main)."""
    if base:
        sha = _git(root, "rev-parse", "--verify", "--quiet", f"{base}^{{commit}}")
        if not sha:
            raise PipelineError(f"--base {base}: not a git revision here (fetch it first?)")
        return sha
    for main in ("main", "origin/main"):
        sha = _git(root, "merge-base", "HEAD", main)
        if sha:
            return sha
    raise PipelineError("no base revision: neither main nor origin/main exists; pass --base")


def _dvc_diffs(root: Path | str, base: str) -> tuple[dict, dict, list[str]]:
    """Return (metrics diff, params diff) of the workspace against ``base``, as DVC reports."""
    from dvc.repo import Repo

    with Repo(str(root)) as repo:
        metrics = repo.metrics.diff(a_rev=base, all=True)
        params = repo.params.diff(a_rev=base)
    # DVC logs a file it cannot read and leaves it out of the diff; say so in the report
    # rather than showing "unchanged".
    errors = [f"{kind} at {'base' if rev == base else rev}: {type(err).__name__}"
              for kind, result in (("metrics", metrics), ("params", params))
              for rev, err in (result.get("errors") or {}).items()]
    return metrics.get("diff", {}), params.get("diff", {}), errors


def _read(rev: str | None, path: str, root: Path | str) -> str | None:
    if rev is None:
        file = Path(root) / path
        return file.read_text(encoding="utf-8", errors="replace") if file.is_file() else None
    return git_show(rev, path, root)


def _json(rev: str | None, path: str, root: Path | str) -> Any:
    text = _read(rev, path, root)
    try:
        return json.loads(text) if text else None
    except json.JSONDecodeError:
        return None


def curves(rev: str | None, root: Path | str) -> dict[str, list[tuple[float, float]]]:
    """Return the model's ROC and precision-recall points (x, y) recorded at ``rev``."""
    out = {}
    for kind, (x, y) in CURVES.items():
        text = _read(rev, f"reports/plots/{kind}.csv", root) or ""
        rows = [r for r in csv.DictReader(io.StringIO(text)) if r.get("model") == "model"]
        try:
            out[kind] = [(float(r[x]), float(r[y])) for r in rows]
        except (KeyError, TypeError, ValueError):
            out[kind] = []
    return out


def confusion(rev: str | None, root: Path | str) -> dict[tuple[str, str], int]:
    """Return counts of (actual, predicted) holdout rows for the model at ``rev``."""
    counts: dict[tuple[str, str], int] = {}
    text = _read(rev, "reports/plots/confusion.csv", root) or ""
    for r in csv.DictReader(io.StringIO(text)):
        key = (str(r.get("actual")), str(r.get("predicted")))
        counts[key] = counts.get(key, 0) + 1
    return counts


def data_change(base: str, root: Path | str) -> dict[str, Any]:
    """Return whether data.dvc changed, the validation summaries and per-feature drift."""
    old, new = _read(base, "data.dvc", root), _read(None, "data.dvc", root)
    change: dict[str, Any] = {
        "changed": old != new,
        "validation": {"old": _json(base, "reports/validation.json", root),
                       "new": _json(None, "reports/validation.json", root)}}
    if change["changed"]:
        from mlproject.report import drift  # pandas and numpy load only when data changed

        change["drift"] = drift.between(base, root)
    return change


def code_change(base: str, root: Path | str) -> list[str]:
    """Return the files under src/ that differ between ``base`` and the workspace."""
    out = _git(root, "diff", "--name-only", base, "--", "src/")
    return [line for line in (out or "").splitlines() if line]


def collect(base: str | None, root: Path | str = ".") -> dict[str, Any]:
    """Return everything the report shows, keyed by section."""
    sha = resolve_base(base, root)
    metrics, params, errors = _dvc_diffs(root, sha)
    baseline = gate.read_results(sha, root)
    head = _git(root, "rev-parse", "HEAD") or "workspace"
    dirty = bool(_git(root, "status", "--porcelain", "--untracked-files=no", "--", "src",
                      "params.yaml", "data.dvc"))
    return {
        "base": sha, "head": head, "dirty": dirty,
        "metrics": metrics, "params": params, "dvc_errors": errors,
        "candidate": gate.read_results(None, root), "baseline": baseline,
        "data": data_change(sha, root), "code": code_change(sha, root),
        "curves": {"base": curves(sha, root), "head": curves(None, root)},
        "confusion": {"base": confusion(sha, root), "head": confusion(None, root)},
    }
