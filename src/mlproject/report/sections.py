"""The comment's sections below the top: checks, what changed, charts, system, slices, history.

Each returns its Markdown; folded ones are <details> whose summary is plain text (GitHub does not
render Markdown there). Every value from the evidence passes through `safe.text` or `units`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from mlproject import units
from mlproject.gate import Check
from mlproject.metrics import LOWER_IS_BETTER, allowed_change
from mlproject.report import charts, top
from mlproject.report.safe import text
from mlproject.verdict.judge import Judgement

MANY_SLICES = 15  # more than this: the slices within tolerance are folded away
MAX_FAILED = 40  # failing checks listed; the rest are counted


def table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(r) + " |" for r in rows])


def details(summary: str, body: str, opened: bool = False) -> str:
    return (f"<details{' open' if opened else ''}><summary>{summary}</summary>\n\n{body}\n\n"
            "</details>")


def _cells(c: Check) -> list[str]:
    """check | main | this PR | Δ (95% interval) | allowed."""
    name = text(c.metric, 40)
    if c.kind in ("change", "slice"):
        return [f"{name} ({c.kind})", "", "", f"{units.signed(c.value)} "
                f"{units.interval(c.low, c.high)}".rstrip(),
                units.signed(allowed_change(c.metric, c.limit or 0))]
    if c.kind == "system":
        return [name, "", units.measured(c.metric, c.value), "",
                f"≤ {units.measured(c.metric, c.limit)}" if c.metric != "batch_rows_per_s"
                else f"≥ {units.measured(c.metric, c.limit)}"]
    if c.kind in ("rule baseline", "dummy"):
        return [f"{name} over the {c.kind}", "", "", f"{units.signed(c.value)} "
                f"{units.interval(c.low, c.high)}".rstrip(), f"≥ {units.signed(c.limit)}"]
    if c.group == "integrity":
        return [text(c.detail, 80), "", units.count(c.value) if c.kind == "holdout" else "",
                "", units.count(c.limit) if c.kind == "holdout" else ""]
    sign = "≥" if c.kind == "floor" else "≤"
    unsure = " (too few rows to tell)" if c.unsure else ""
    return [f"{name} ({c.kind}){unsure}", "", f"{units.score(c.value)} "
            f"{units.between(c.low, c.high)}".rstrip(), "", f"{sign} {units.score(c.limit)}"]


HEADER = ["check", "main", "this PR", "Δ (95% interval)", "allowed"]


def checks(j: Judgement) -> str:
    """Failing checks in a table; warnings as lines; passing ones folded."""
    out = []
    failed = j.verdict.failed
    if failed:  # open: seen at once, and the top above stays a few lines long
        shown = [_with_values(c, j) for c in failed[:MAX_FAILED]]
        more = f"\n\n… and {len(failed) - MAX_FAILED} more." if len(failed) > MAX_FAILED else ""
        out.append(details(f"❌ Failing checks ({len(failed)})", table(HEADER, shown) + more,
                           opened=True))
    warned = [c for c in j.verdict.checks if c.status == "warn" and c.kind != "leakage"]
    out += [f"⚠️ {text(c.detail, 120)}" + (f": {units.count(c.limit)} → "
                                           f"{units.count(c.value)} rows"
                                           if c.kind == "holdout" else "") for c in warned]
    passed = [c for c in j.verdict.checks if c.status == "pass"]
    if passed:
        out.append(details(f"✅ Passing checks ({len(passed)})",
                           table(HEADER, [_with_values(c, j) for c in passed])))
    return "\n\n".join(out)


def _with_values(c: Check, j: Judgement) -> list[str]:
    """The row of a check, with main's and this PR's values where the check has them."""
    cells = _cells(c)
    est = j.comparison.metrics.get(c.metric)
    if c.kind == "change" and est is not None:
        cells[1], cells[2] = units.score(est.champion), units.score(est.challenger)
    if c.kind == "slice":
        s = next((s for s in j.comparison.slices if f"[{s.key}]" in c.metric), None)
        if s is not None:
            cells[1], cells[2] = units.score(s.champion), units.score(s.challenger)
    if c.kind == "system":
        m = j.comparison.system.get(c.metric)
        cells[1] = units.measured(c.metric, m.champion) if m else "—"
        cells[3] = units.ratio(m.ratio) if m and m.ratio else ""
    if c.kind in ("rule baseline", "dummy") and est is not None:
        base = est.rule if c.kind == "rule baseline" else est.dummy
        cells[1], cells[2] = f"{c.kind} {units.score(base)}", units.score(est.challenger)
    return cells


def changes(j: Judgement) -> str:
    ch = j.evidence.changes
    if ch is None:
        return ""
    parts = []
    if ch.params:
        parts.append(f"**Params** ({len(ch.params)} changed)\n\n" + table(
            ["key", "main", "this PR"],
            [[text(p.key, 40), text(p.main, 40), text(p.branch, 40)] for p in ch.params[:100]]))
    else:
        parts.append("**Params:** unchanged.")
    parts.append(f"**Code:** {len(ch.code)} file(s) under src/ changed"
                 + (": " + ", ".join(text(f, 60) for f in ch.code[:20]) if ch.code else "."))
    parts.append(_data(ch))
    return details("What changed: params, code, data", "\n\n".join(parts))


def _data(ch: Any) -> str:
    rows = []
    for part in ("train", "holdout"):
        old = (ch.validation.get("main") or {}).get(part) or {}
        new = (ch.validation.get("branch") or {}).get(part) or {}
        for key in ("rows", "columns", "missing_cells"):
            a, b = old.get(key), new.get(key)
            diff = None if None in (a, b) else b - a
            rows.append([part, key.replace("_", " "), units.count(a), units.count(b),
                         "" if not diff else f"{units.count(diff)} ({units.percent(diff, a)})"])
        balance = set(old.get("class_balance") or {}) | set(new.get("class_balance") or {})
        for cls in sorted(balance):
            a = (old.get("class_balance") or {}).get(cls)
            b = (new.get("class_balance") or {}).get(cls)
            rows.append([part, f"share of {text(cls, 30)}", units.score(a), units.score(b),
                         units.signed(None if None in (a, b) else b - a)])
    out = "**Data:** " + ("data.dvc changed." if ch.data_changed else "data.dvc unchanged.")
    out += "\n\n" + table(["table", "measure", "main", "this PR", "change"], rows)
    if isinstance(ch.drift, dict) and ch.drift:
        worst = sorted(ch.drift.items(), key=lambda kv: -kv[1])[:20]
        out += "\n\nDrift of the training data per feature (0 = same, 1 = disjoint):\n\n" + \
            table(["feature", "drift"], [[text(k, 40), units.score(v)] for k, v in worst])
    elif ch.data_changed:
        out += f"\n\nDrift: {text(ch.drift, 120)}."
    return out


def charts_section(j: Judgement) -> str:
    regression = j.evidence.task == "regression"
    axes = charts.DECILE_AXES if regression else charts.AXES
    blocks = []
    for kind, spec in axes.items():
        metric = spec[-2]
        value = {k: v.get(metric) for k, v in j.point.items()}
        series = {k: v for k, v in j.curves[kind].items() if k in ("champion", "challenger")}
        draw = charts.deciles if regression else charts.curve
        blocks.append(draw(kind, series, value))
    sign = -1 if j.comparison.slice_metric in LOWER_IS_BETTER else 1  # an error's gain is < 0
    judged = sorted((s for s in j.comparison.slices if s.judged and s.delta is not None),
                    key=lambda s: sign * s.delta)
    if judged:
        worst, best = judged[0], judged[-1]
        said = [f"the largest drop is {text(worst.key, 40)} {units.signed(worst.delta)}"
                ] if sign * worst.delta < 0 else []
        said += [f"the largest gain {text(best.key, 40)} {units.signed(best.delta)}"
                 ] if sign * best.delta > 0 else []
        blocks.append(f"Slices: {'; '.join(said) or 'no judged slice changed'}.\n\n"
                      + charts.slice_changes(j.comparison.slice_metric,
                                             [(s.key, s.delta) for s in judged[:30]],
                                             j.rules.slices.max_drop))
    title = "residuals and truth per decile" if regression else "ROC, precision-recall"
    return details(f"Charts: {title}, slices", "\n\n".join(blocks))


def system(j: Judgement) -> str:
    rows = []
    for name, m in j.comparison.system.items():
        rows.append([text(name, 30), units.measured(name, m.champion),
                     units.measured(name, m.challenger), units.ratio(m.ratio)])
    t = j.rescored.timing.get("challenger")
    note = (f"Measured by the judge in one process, the models taking turns "
            f"({len(t.latency_ms)} one-record predictions each): a busy machine slows both "
            "alike, so the ratio is what the gate judges.") if t else "Not measured."
    return details("System metrics, measured side by side",
                   note + "\n\n" + table(["metric", "main", "this PR", "ratio"], rows))


def slices(j: Judgement) -> str:
    c = j.comparison
    if not c.slices:
        return ""
    sign = -1 if c.slice_metric in LOWER_IS_BETTER else 1  # worst first: an error's growth
    order = sorted(c.slices, key=lambda s: (not s.judged,
                                            sign * s.delta if s.delta is not None else 0))
    limit = j.rules.slices.max_drop
    failed = {ch.metric for ch in j.verdict.failed if ch.kind == "slice"}

    def row(s) -> list[str]:
        bad = f"{c.slice_metric} [{s.key}]" in failed
        counts = ", ".join(f"{text(k, 20)} {v:,}" for k, v in s.classes.items())
        judged = "yes" if s.judged else (
            f"no (fewer than {j.rules.slices.min_rows} rows)" if not s.classes else
            f"no (fewer than {j.rules.slices.min_class_rows} of a class)")
        return [text(s.key, 40), f"{s.rows:,}" + (f" ({counts})" if counts else ""), judged,
                f"{units.score(s.champion)} → {units.score(s.challenger)}",
                f"{top.mark(bad, c.slice_metric, s.low, s.high)} {units.signed(s.delta)} "
                f"{units.interval(s.low, s.high)}".rstrip() if s.delta is not None else "—"]

    header = ["slice", "rows", "judged", "main → this PR", "Δ (95% interval)"]
    shown = order if len(order) <= MANY_SLICES else [s for s in order if
                                                      f"{c.slice_metric} [{s.key}]" in failed]
    rest = [s for s in order if s not in shown]
    body = table(header, [row(s) for s in shown]) if shown else ""
    if rest:
        body += ("\n\n" if body else "") + f"{len(rest)} slice(s) within tolerance:\n\n" + \
            table(header, [row(s) for s in rest])
    allowed = f"; a judged slice may drop by {units.score(limit)}" if limit is not None else ""
    return details(f"Slices by {c.slice_metric}: {sum(s.judged for s in c.slices)} judged of "
                   f"{len(c.slices)}{allowed}", body)


def history(metric: str, points: list[tuple[str, float]]) -> str:
    if len(points) < 2:
        return ""
    text_line = ", ".join(f"{text(v, 16)} {units.score(x)}" for v, x in points)
    return details(f"History: {metric} of recent production versions",
                   f"{text_line}\n\nEach production version's value is the one recorded when it "
                   "was trained, on the holdout of its day; only this PR's comparison above is "
                   f"side by side.\n\n{charts.history(metric, points)}")


def all_metrics(j: Judgement) -> str:
    names = list(next(iter(j.point.values())))
    models = [m for m in ("champion", "challenger", "rule_baseline", "dummy") if m in j.point]
    title = {"champion": "main", "challenger": "this PR", "rule_baseline": "rule baseline",
             "dummy": "dummy"}
    rows = [[text(n, 30), *(units.score(j.point[m][n]) for m in models)] for n in names]
    return details("All metrics on the holdout",
                   table(["metric", *(title[m] for m in models)], rows))


def confusion(j: Judgement) -> str:
    classes = [text(c, 20) for c in j.evidence.classes[:10]]
    parts = []
    for model, title in (("champion", "main"), ("challenger", "this PR")):
        if model not in j.confusion:
            continue
        m = np.asarray(j.confusion[model])[:10, :10]
        parts.append(f"**{title}** (rows: actual, columns: predicted)\n\n" + table(
            ["", *classes], [[cls, *(f"{int(v):,}" for v in m[i])]
                             for i, cls in enumerate(classes)]))
    return details("Confusion matrices", "\n\n".join(parts)) if parts else ""
