"""The sweep's job summary: every cell's metrics, a chart of the headline metric, the best cell.

The table is DVC's own (`dvc exp show --md`, reduced to the headline metrics and the swept
params); the chart is a Mermaid bar chart GitHub draws in the summary; the best cell comes with
the commands that turn it into a pull request, which trains it again and gates it like any other.
"""

from __future__ import annotations

import json
import math
import re
import subprocess
from typing import Any

from mlproject.errors import PipelineError
from mlproject.metrics import LOWER_IS_BETTER
from mlproject.storage import finite
from mlproject.sweep.grid import NAME, parse
from mlproject.sweep.share import dvc

FAMILIES = ("quality", "product")  # where the model's headline metrics live in metrics files
METRIC = re.compile(r"[A-Za-z0-9_]{1,64}")
BRANCH = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]{0,99}")


def _show(*args: str) -> str:
    done = subprocess.run([dvc(), "exp", "show", *args], capture_output=True, text=True)
    if done.returncode:
        raise PipelineError(f"dvc exp show failed: {(done.stderr.strip() or '?').splitlines()[-1]}")
    return done.stdout


def model_metric(metrics_files: Any, name: str) -> tuple[str, float] | None:
    """Return (column as `dvc exp show` names it, value) of the model's metric ``name``."""
    for content in (metrics_files or {}).values():
        model = ((content or {}).get("data") or {}).get("model") or {}
        for family in FAMILIES:
            value = finite((model.get(family) or {}).get(name))
            if value is not None:
                return f"model.{family}.{name}", value
    return None


def experiments(rows: list[dict]) -> tuple[str, Any, dict[str, Any]]:
    """Return (baseline name, baseline metrics, {experiment: metrics}) from exp show --json."""
    base = next((r for r in rows if r.get("rev") != "workspace"), None)
    if base is None:
        raise PipelineError("dvc exp show: no baseline commit")
    found = {}
    for exp in base.get("experiments") or []:
        rev = (exp.get("revs") or [{}])[0]
        found[exp.get("name") or rev.get("name")] = (rev.get("data") or {}).get("metrics")
    label = base.get("name") or str(base.get("rev", ""))[:7]
    return label, (base.get("data") or {}).get("metrics"), found


def axis(values: list[float]) -> tuple[float, float]:
    """Return a y-axis range a little wider than ``values``, on round numbers, so differences
    show without being blown up; scores in [0, 1] stay inside it."""
    lo, hi = min(values), max(values)
    pad = (hi - lo) / 2 or abs(hi) / 100 or 0.01
    step = 10.0 ** math.floor(math.log10(pad))
    low, high = math.floor((lo - pad) / step) * step, math.ceil((hi + pad / 5) / step) * step
    if 0 <= lo and hi <= 1:
        low, high = max(low, 0.0), min(high, 1.0)
    return round(low, 10), round(high, 10)


def chart(metric: str, bars: list[tuple[str, float]], direction: str) -> str:
    """Return a fenced Mermaid bar chart of ``metric``, one bar per label."""
    low, high = axis([v for _, v in bars])
    labels = ", ".join(f'"{label}"' for label, _ in bars)
    init = {"themeVariables": {"xyChart": {"plotColorPalette": "#1f77b4"}}}
    return "\n".join(["```mermaid", f"%%{{init: {json.dumps(init)}}}%%", "xychart-beta",
                      f'  title "{metric} per cell ({direction} is better)"',
                      f"  x-axis [{labels}]", f'  y-axis "{metric}" {low:g} --> {high:g}',
                      f"  bar [{', '.join(f'{v:.4f}' for _, v in bars)}]", "```"])


def pr_commands(name: str, base_branch: str, cell: str) -> str:
    """Return the shell commands that make experiment ``name`` a pull request branch."""
    branch = f"{name}-best"
    return "\n".join(["```bash", f"dvc exp pull --no-cache origin {name}",
                      f"dvc exp branch {name} {branch}", f"git push origin {branch}",
                      f"gh pr create --base {base_branch} --head {branch} \\",
                      f"  --title 'Sweep: {cell}' --body 'Experiment {name} of a sweep.'",
                      "```"])


def _checked(matrix: dict, headline: list[str]) -> dict[str, str]:
    """Return {name: cell} of the plan after checking every value shown or quoted below."""
    cells = {c["name"]: c["cell"] for c in matrix.get("include", [])}
    if not cells or not all(NAME.fullmatch(n) for n in cells):
        raise PipelineError("sweep summary: the plan holds no valid cell names")
    for cell in cells.values():
        parse(cell, "cell")  # the cells are quoted in the commands: only plain values
    if not headline or not all(METRIC.fullmatch(m) for m in headline):
        raise PipelineError("params.yaml: report.headline: expected metric names")
    return cells


def verdict(metric: str, lower: bool, best: tuple[str, float], base: float | None,
            label: str) -> str:
    """Return a sentence saying whether the best cell beats the baseline commit."""
    if base is None:
        return ""  # the baseline recorded no metrics
    beats = best[1] < base if lower else best[1] > base
    if beats:
        return f"It beats `{label}` ({metric} {base:.4f}). "
    return (f"No cell beats `{label}` ({metric} {base:.4f}): keep what you have, unless the "
            f"cell wins on what matters more to you. ")


def compose(matrix: dict, headline: list[str], base_branch: str) -> str:
    """Return the Markdown job summary of the sweep described by ``matrix``; the first
    ``headline`` metric is charted and picks the best cell."""
    cells = _checked(matrix, headline)
    base_branch = base_branch if BRANCH.fullmatch(base_branch) else "main"
    label, base_metrics, found = experiments(json.loads(_show("--json")))
    label = label if BRANCH.fullmatch(label) else "baseline"
    metric, lower = headline[0], headline[0] in LOWER_IS_BETTER
    done = {n: s for n in cells if n in found and (s := model_metric(found[n], metric))}
    lines = [f"## Sweep: {len(done)} of {len(cells)} cells finished"]
    if not done:
        return "\n\n".join([*lines, "No cell shared an experiment with its metrics: the "
                                     "cells' logs say why."]) + "\n"
    sample = found[next(iter(done))]
    columns = [c[0] for m in headline if (c := model_metric(sample, m))]
    keys = sorted({part.split("=", 1)[0] for n in done for part in cells[n].split(";")})
    keep = "|".join(re.escape(k) for k in ["Experiment", *columns, *keys])
    table = _show("--md", "--hide-workspace", "--drop", ".*", "--keep", f"^({keep})$",
                  "--sort-by", columns[0], "--sort-order", "asc" if lower else "desc")
    best = (min if lower else max)(done, key=lambda n: done[n][1])
    base = model_metric(base_metrics, metric)
    bars = [(label, base[1])] if base else []
    lines += [f"Baseline: `{label}`, the commit the sweep started from. Metrics: "
              f"`report.headline` in params.yaml; the first, `{metric}`, is charted and picks "
              f"the best cell.", table.strip(),
              chart(metric, bars + [(n, s[1]) for n, s in done.items()],
                    "lower" if lower else "higher"),
              f"### Best: `{best}` ({metric} {done[best][1]:.4f}; `{cells[best]}`)",
              verdict(metric, lower, (best, done[best][1]), base and base[1], label)
              + "To turn it into a pull request (which trains it again and gates it like any "
              "other change), from a clone of this repository:",
              pr_commands(best, base_branch, cells[best])]
    missing = [f"- `{n}` (`{cells[n]}`)" for n in cells if n not in done]
    if missing:
        lines.append("### Cells without results\n\nTheir jobs failed or did not share an "
                     "experiment; each job's log says why.\n\n" + "\n".join(missing))
    return "\n\n".join(lines) + "\n"
