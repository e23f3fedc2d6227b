"""Compose the PR comment: verdict, key metrics, what changed, charts, system, slices, footer.

Every value from the branch passes through `safe` before it is written. Sections fold their
long parts in <details> so a reviewer reads the verdict and the key table first.
"""

from __future__ import annotations

import json
from typing import Any

from mlproject.gate import LOWER_IS_BETTER, metric
from mlproject.report import charts
from mlproject.report.safe import code, fmt, text
from mlproject.storage import finite as number

MAX_ROWS = 200  # rows of any one table; a branch could add thousands of metrics
SYSTEM = ["model_size_bytes", "training_time_s", "latency_one_ms_p50", "latency_one_ms_p95",
          "batch_rows_per_s"]
PRODUCT = ["threshold", "coverage", "precision_when_shown"]


def change(name: str, old: Any, new: Any, within: float = 0.0) -> str:
    """Return the change cell: signed difference and a direction-aware marker."""
    old, new = number(old), number(new)
    if new is None:
        return "— missing"
    if old is None:
        return "🆕 new"
    diff = new - old
    if abs(diff) <= within:
        return "unchanged"
    better = (diff < 0) if name in LOWER_IS_BETTER else (diff > 0)
    sign = "+" if diff > 0 else "−"
    return f"{'🟢 better' if better else '🔴 worse'} ({sign}{fmt(abs(diff))})"


def row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def table(header: list[str], rows: list[list[str]]) -> str:
    cut = [row(["…"] * len(header))] if len(rows) > MAX_ROWS else []
    return "\n".join([row(header), row(["---"] * len(header)),
                      *(row(r) for r in rows[:MAX_ROWS]), *cut])


def details(summary: str, body: str) -> str:
    return f"<details><summary>{summary}</summary>\n\n{body}\n\n</details>"


def metric_rows(names: list[str], c: dict, within: float) -> list[list[str]]:
    """main | this branch | change | rule baseline for each bare metric name."""
    out = []
    for name in names:
        old, new = metric(c["baseline"], name), metric(c["candidate"], name)
        out.append([text(name), "new" if old is None else fmt(old), fmt(new),
                    change(name, old, new, within),
                    fmt(metric(c["candidate"], name, "rule_baseline"))])
    return out


HEADER = ["metric", "main (baseline)", "this branch", "change", "rule baseline"]


def key_metrics(c: dict, cfg: dict) -> str:
    within = cfg["unchanged_within"]
    body = table(HEADER, metric_rows(cfg["headline"], c, within))
    rest = [[text(f"{path}: {key}"), fmt(d.get("old")), fmt(d.get("new")),
             change(key.rsplit(".", 1)[-1], d.get("old"), d.get("new"), within)]
            for path, diffs in sorted(c["metrics"].items())
            for key, d in sorted(diffs.items())
            if isinstance(d, dict) and key.startswith("model.") and "slices" not in path]
    return "### Key metrics\n\n" + body + "\n\n" + details(
        f"All metrics of the model, as `dvc metrics diff` reports them ({len(rest)})",
        table(["metric", "main", "this branch", "change"], rest))


def params_section(c: dict) -> str:
    rows = [[text(key), _value(d.get("old")), _value(d.get("new"))]
            for path, diffs in sorted(c["params"].items())
            for key, d in sorted(diffs.items()) if isinstance(d, dict)]
    if not rows:
        return "**Params:** unchanged."
    return f"**Params** ({len(rows)} changed):\n\n" + table(["key", "main", "this branch"], rows)


def _value(value: Any) -> str:
    """A params value as escaped plain text (a code span would show the escapes)."""
    if value is None:
        return "absent"
    return text(value if isinstance(value, str) else json.dumps(value), 60)


def data_section(c: dict) -> str:
    data = c["data"]
    if not data["changed"]:
        return "**Data:** unchanged (`data.dvc` is the same)."
    old, new = data["validation"]["old"] or {}, data["validation"]["new"] or {}
    rows = []
    for split in ("train", "holdout"):
        o, n = old.get(split) or {}, new.get(split) or {}
        rows.append([split, "rows", fmt(o.get("rows")), fmt(n.get("rows")),
                     _delta(o.get("rows"), n.get("rows"))])
        rows.append([split, "columns", fmt(o.get("columns")), fmt(n.get("columns")),
                     _delta(o.get("columns"), n.get("columns"))])
        for cls in sorted(set(o.get("class_balance") or {}) | set(n.get("class_balance") or {})):
            a, b = (o.get("class_balance") or {}).get(cls), (n.get("class_balance") or {}).get(cls)
            rows.append([split, f"share of {text(cls, 40)}", fmt(a), fmt(b), _delta(a, b)])
    out = "**Data:** `data.dvc` changed.\n\n" + table(
        ["table", "measure", "main", "this branch", "change"], rows)
    drift = data.get("drift") or {}
    if "scores" in drift:
        top = sorted(drift["scores"].items(), key=lambda kv: -kv[1])
        out += "\n\n" + details("Per-feature drift of the training data (0 = same, 1 = "
                                "disjoint; L∞ for categories, Jensen-Shannon for numbers)",
                                table(["feature", "drift"], [[text(k), fmt(v)] for k, v in top]))
    else:
        out += f"\n\nDrift: unavailable ({text(drift.get('unavailable', 'not computed'))})."
    return out


def _delta(old: Any, new: Any) -> str:
    """Signed change of two counts (rows, columns) or shares."""
    counts = isinstance(old, int) and isinstance(new, int)
    old, new = number(old), number(new)
    if old is None or new is None:
        return "new" if new is not None else "—"
    change = abs(new - old)
    shown = f"{int(change):,}" if counts else fmt(change)
    return "unchanged" if old == new else f"{'+' if new > old else '−'}{shown}"


def code_section(c: dict) -> str:
    files = c["code"]
    if not files:
        return "**Code:** no files under `src/` changed."
    shown = ", ".join(code(f, 100) for f in files[:30])
    return f"**Code:** {len(files)} file(s) under `src/` changed: {shown}" + (
        ", …" if len(files) > 30 else "")


def confusion_table(counts: dict) -> str:
    labels = sorted({k[0] for k in counts} | {k[1] for k in counts}, key=str)[:10]
    if not labels:
        return "not recorded"
    return table(["actual \\ predicted", *(text(p, 30) for p in labels)],
                 [[text(a, 30), *(fmt(counts.get((a, p), 0)) for p in labels)] for a in labels])


def charts_section(c: dict) -> str:
    cur = c["curves"]
    blocks = [charts.mermaid(kind, cur["base"].get(kind, []), cur["head"].get(kind, []))
              for kind in charts.AXES if cur["head"].get(kind)]
    matrices = (f"**main**\n\n{confusion_table(c['confusion']['base'])}\n\n"
                f"**this branch**\n\n{confusion_table(c['confusion']['head'])}")
    xs = sorted({x for kind in charts.AXES for x, _ in cur["head"].get(kind, [])})
    curve = {(side, kind): dict(cur[side].get(kind, [])) for side in ("base", "head")
             for kind in charts.AXES}
    points = table(["x", "TPR main", "TPR this branch", "precision main",
                    "precision this branch"],
                   [[fmt(x), *(fmt(curve[side, kind].get(x)) for kind in charts.AXES
                               for side in ("base", "head"))] for x in xs])
    return "\n\n".join(["### Charts", *blocks, details("Confusion matrices (holdout)", matrices),
                        details("Curve points (x: false positive rate for ROC, recall for "
                                "precision)", points)])


def system_section(c: dict, cfg: dict) -> str:
    names = [n for n in PRODUCT + SYSTEM if metric(c["candidate"], n) is not None]
    rows = metric_rows(names, c, cfg["unchanged_within"])
    return ("### Product and system metrics\n\nProduct: a prediction is shown only when its "
            "score reaches the confidence threshold. System metrics are measured, so they vary "
            "a little from run to run.\n\n" + table(HEADER, rows))


def slices_section(c: dict, cfg: dict, limit: float | None) -> str:
    name = cfg["slice_metric"]
    new = ((c["candidate"] or {}).get("slices") or {}).get("model") or {}
    old = ((c["baseline"] or {}).get("slices") or {}).get("model") or {}
    rows, flagged = [], 0
    for key in sorted(new, key=str):
        n, o = new[key] if isinstance(new[key], dict) else {}, old.get(key) or {}
        a, b = number(o.get(name)), number(n.get(name))
        judged = n.get("judged") is True
        bad = judged and limit is not None and None not in (a, b) and a - b > limit
        flagged += bad
        rows.append([text(key), fmt(n.get("rows")), "yes" if judged else "no (too few rows)",
                     "new" if a is None else fmt(a), fmt(b),
                     change(name, a, b, cfg["unchanged_within"]),
                     f"⚠️ dropped more than {fmt(limit)}" if bad else ""])
    if not rows:
        return "### Slices\n\nNo slices recorded."
    head = f"### Slices ({text(name)})\n\n" + (
        f"**{flagged} judged slice(s) regressed beyond the tolerance.**\n\n" if flagged else "")
    return head + table(["slice", "rows", "judged", "main", "this branch", "change", "flag"], rows)


def checks_section(verdict: Any) -> str:
    rows = [["✅" if ch["status"] == "pass" else "❌", text(ch["kind"]), text(ch["metric"]),
             fmt(ch["value"]), fmt(ch["limit"]), text(ch["detail"], 120)]
            for ch in verdict.checks]
    return details(f"Gate checks ({len(rows)})",
                   table(["", "kind", "metric", "value", "limit", "rule"], rows))


def footer(c: dict) -> str:
    base, head = c["base"][:12], c["head"][:12]
    dirty = " plus uncommitted changes" if c["dirty"] else ""
    return (f"---\nCompared `{head}`{dirty} (this branch) with `{base}` (base on main). "
            f"Reproduce locally: `git checkout {head} && make run`; the baseline: "
            f"`git checkout {base} && make run`. Charts in full resolution are in the workflow "
            "artifact.")
