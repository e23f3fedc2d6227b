"""The top of the comment, read before any fold: verdict, reasons, data, the key table.

At most about fifteen lines: one verdict line with the commits, up to three grouped reasons
(worst first, with counts), one line about the data, and one table of the key metrics that
fits a phone's width.
"""

from __future__ import annotations

from typing import Any

from mlproject import units
from mlproject.gate import BASELINES, Check, Estimate
from mlproject.metrics import LOWER_IS_BETTER, PRODUCT, allowed_change
from mlproject.report.safe import text
from mlproject.verdict.judge import Judgement, judged_metrics

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
    """What a failed check found against what it needs, in the units of its metric."""
    return check.sentence(lambda value: text(value, 100 if check.group == "integrity" else 40))


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
            # the largest drop: the most negative change, or an error's largest growth
            worst = min(found, key=lambda c: -allowed_change(c.metric, 1.0) * (c.value or 0))
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
    """metric | main → this PR | Δ (95 % interval) | allowed | over the rule baseline, for the
    headline metrics and every other metric a rule judges (the dummy's margin in the last
    cell too, where one is judged)."""
    rules, c = j.rules, j.comparison
    rows = ["| metric | main → this PR | Δ (95% interval) | allowed | over rule baseline |",
            "|---|---|---|---|---|"]
    for name in judged_metrics(rules, headline_metrics, list(c.metrics)):
        est = c.metrics.get(name, Estimate(None))
        allowed = units.signed(allowed_change(name, rules.max_drop[name])) \
            if name in rules.max_drop else "—"
        over = [_margin_cell(j, name, est, b) for b in BASELINES]
        rows.append(f"| {text(name, 40)} | {_arrow(est)} | {_delta_cell(name, est, j)} | "
                    f"{allowed} | {'; '.join(o for o in over if o) or '—'} |")
    return "\n".join(rows)


def _margin_cell(j: Judgement, name: str, est: Estimate, baseline: str) -> str:
    """How far above the baseline, with its mark and the margin needed when a rule judges it;
    the rule baseline's gap is shown even when no rule judges it, the dummy's only then."""
    kind, key = BASELINES[baseline]
    margin = getattr(j.rules, key).get(name)
    gap, (low, high) = est.margin(name, baseline)
    if gap is None or (margin is None and (baseline != "rule_baseline" or name in PRODUCT)):
        return ""  # a rule's confidence is all or nothing: its coverage compares with nothing
    who = "" if baseline == "rule_baseline" else f"{kind} "
    if margin is None:
        return f"{who}{units.signed(gap)}" + (" ⚠️ below" if gap < 0 else "")
    failed = any(ch.status == "fail" and ch.kind == kind and ch.metric == name
                 for ch in j.verdict.checks)
    sure = "🟢" if low is not None and low >= margin and not failed else None
    icon = "🔴" if failed else sure or "⚪"
    return f"{who}{icon} {units.signed(gap)}, needs {units.signed(margin)}"


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
