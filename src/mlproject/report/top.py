"""The top of the comment, read before any fold: verdict, reasons, data, the key table.

At most about fifteen lines: one verdict line with the commits, up to three grouped reasons
(worst first, with counts), one line about the data, and one table of the key metrics that
fits a phone's width.
"""

from __future__ import annotations

from typing import Any

from mlproject.gate import Check, Estimate
from mlproject.metrics import LOWER_IS_BETTER, better
from mlproject.report import units
from mlproject.report.safe import text
from mlproject.verdict.judge import Judgement

GROUPS = {"integrity": "Evidence", "quality": "Quality", "slices": "Slices", "system": "System"}


def commit(sha: str, ctx: Any) -> str:
    """A commit as a link GitHub shows (plain text: a code span would not link)."""
    short = sha[:12]
    return f"[{short}]({ctx.repo_url}/commit/{sha})" if ctx.repo_url else short


def headline(j: Judgement, ctx: Any) -> str:
    icon, word = ("✅", "passed") if j.verdict.passed else ("❌", "failed")
    behind = f" · {ctx.commits_behind} commit(s) behind main" if ctx.commits_behind else ""
    return (f"## {icon} Model gate {word}\n\nThis PR {commit(ctx.head, ctx)} against main "
            f"{commit(ctx.base, ctx)}{behind}")


def change(check: Check) -> str:
    """What a failed check found, in the units of its metric."""
    if check.kind in ("change", "slice"):
        return (f"{text(check.metric, 40)} {units.signed(check.value)} "
                f"{units.interval(check.low, check.high)}, allowed "
                f"{units.signed(-(check.limit or 0))}".replace("  ", " "))
    if check.kind == "system":
        return (f"{text(check.metric, 40)} {units.measured(check.metric, check.value)}, "
                f"limit {units.measured(check.metric, check.limit)}")
    if check.kind == "rule baseline":
        return (f"{text(check.metric, 40)} beats the rule baseline by "
                f"{units.signed(check.value)}, needs {units.signed(check.limit)}")
    if check.group == "integrity":
        return text(check.detail, 100) + (f" ({text(check.metric, 40)})" if check.metric else "")
    return f"{text(check.metric, 40)} {units.score(check.value)}, limit {units.score(check.limit)}"


def reasons(j: Judgement) -> list[str]:
    """At most three lines, one per group of failed checks, worst group first."""
    failed = j.verdict.failed
    lines = []
    for group, title in GROUPS.items():
        found = [c for c in failed if c.group == group]
        if not found:
            continue
        total = sum(1 for c in j.verdict.checks if c.group == group)
        if group == "slices":
            worst = min(found, key=lambda c: c.value if c.value is not None else 0)
            lines.append(f"- **{title}:** {len(found)} of {total} judged slice(s) dropped more "
                         f"than {units.score(worst.limit)}, worst {change(worst)}")
            continue
        shown = "; ".join(change(c) for c in found[:2])
        more = f"; and {len(found) - 2} more" if len(found) > 2 else ""
        lines.append(f"- **{title}:** {len(found)} of {total} check(s) failed: {shown}{more}")
    return lines[:3]


def data_line(j: Judgement) -> str:
    """Rows, the holdout, and the largest drift, in one line."""
    ch = j.evidence.changes
    holdout = next((c for c in j.verdict.checks if c.kind == "holdout"), None)
    parts = []
    if ch is not None:
        old = (ch.validation.get("main") or {}).get("train") or {}
        new = (ch.validation.get("branch") or {}).get("train") or {}
        if old.get("rows") != new.get("rows") and None not in (old.get("rows"), new.get("rows")):
            diff = new["rows"] - old["rows"]
            parts.append(f"train {'+' if diff > 0 else units.MINUS}{units.count(abs(diff))} "
                         f"rows ({units.percent(diff, old['rows'])})")
        elif not ch.data_changed:
            parts.append("data unchanged")
        else:
            parts.append("data changed, same number of training rows")
    rows = len(j.evidence.holdout.keys)
    if holdout is None:
        parts.append(f"holdout {rows:,} rows (main recorded no fingerprint)")
    elif holdout.status == "pass":
        parts.append(f"holdout unchanged ({rows:,} rows)")
    else:
        parts.append(f"⚠️ holdout changed: {units.count(holdout.limit)} → {rows:,} rows, "
                     f"fingerprint {j.records.fingerprint[:8]} → "
                     f"{j.evidence.holdout.fingerprint[:8]}")
    if ch is not None and isinstance(ch.drift, dict) and ch.drift:
        feature, score = max(ch.drift.items(), key=lambda kv: kv[1])
        level = "negligible" if score < 0.05 else "moderate" if score < 0.2 else "⚠️ large"
        parts.append(f"largest drift {units.score(score)} ({text(feature, 40)}): {level}")
    return "- **Data:** " + "; ".join(parts)


def key_table(j: Judgement, headline_metrics: list[str]) -> str:
    """metric | main → this PR | Δ (95 % interval) | allowed, plus the rule baseline rows."""
    rules, c = j.rules, j.comparison
    rows = ["| metric | main → this PR | Δ (95% interval) | allowed |", "|---|---|---|---|"]
    for name in headline_metrics:
        est = c.metrics.get(name, Estimate(None))
        below = est.rule is not None and est.challenger is not None and \
            better(name, est.challenger, est.rule) < 0
        label = text(name, 40) + (" ⚠️ below rule baseline" if below else "")
        allowed = units.signed(-rules.max_drop[name]) if name in rules.max_drop else "—"
        rows.append(f"| {label} | {_arrow(est)} | {_delta_cell(name, est, j)} | {allowed} |")
    for name, margin in rules.beat_rule_baseline_by.items():
        est = c.metrics.get(name, Estimate(None))
        gap = None if est.challenger is None or est.rule is None else \
            better(name, est.challenger, est.rule)
        mark = "🔴" if gap is None or gap < margin else "⚪"
        rows.append(f"| {text(name, 40)} vs rule baseline | {units.score(est.rule)} → "
                    f"{units.score(est.challenger)} | {mark} {units.signed(gap)} | "
                    f"at least {units.signed(margin)} |")
    return "\n".join(rows)


def _arrow(est: Estimate) -> str:
    if est.champion is None:
        return f"new → {units.score(est.challenger)}"
    return f"{units.score(est.champion)} → {units.score(est.challenger)}"


def mark(failed: bool, name: str, low: float | None, high: float | None) -> str:
    """🔴 fails the gate, 🟢 better beyond noise, ⚪ within noise or tolerance."""
    if failed:
        return "🔴"
    if low is not None and high is not None and (
            (high < 0) if name in LOWER_IS_BETTER else (low > 0)):
        return "🟢"
    return "⚪"


def _delta_cell(name: str, est: Estimate, j: Judgement) -> str:
    if est.delta is None:
        return "—"
    failed = any(c.status == "fail" and c.kind == "change" and c.metric == name
                 for c in j.verdict.checks)
    return f"{mark(failed, name, est.low, est.high)} {units.signed(est.delta)} " \
           f"{units.interval(est.low, est.high)}".rstrip()
