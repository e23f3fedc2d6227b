"""The model validation gate ("blessing"): may this model replace the one on main?

Rules come from the `gate:` section of params.yaml. Four kinds of check, each a dict in
``Verdict.checks``: absolute floors, change limits against the baseline recorded on the base
branch, a margin over the rule baseline, and per-slice regression limits. With no recorded
baseline (first PR) the change limits are skipped; the floors still apply.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlproject import storage
from mlproject.errors import PipelineError
from mlproject.gate.rules import LOWER_IS_BETTER, Growth, Rules, load_rules, rules_at
from mlproject.results import read_results

__all__ = ["Growth", "Rules", "Verdict", "check", "load_rules", "main", "metric",
           "read_results", "rules_at"]

@dataclass
class Verdict:
    passed: bool
    summary: str
    checks: list[dict[str, Any]]

    def to_json(self) -> dict[str, Any]:
        return {"passed": self.passed, "summary": self.summary, "checks": self.checks}


def metric(results: dict | None, name: str, model: str = "model") -> float | None:
    """Return a finite metric by bare name from quality, product or system results."""
    m = _dict(_dict(_dict(results).get("metrics")).get(model))
    system = _dict(_dict(_dict(results).get("system")).get(model))
    for family in (_dict(m.get("quality")), _dict(m.get("product")), system):
        if name in family:
            return storage.finite(family[name])
    return None


def _dict(value: Any) -> dict:
    """``value`` when it is a mapping, else empty: result files come from the branch."""
    return value if isinstance(value, dict) else {}


def _check(kind: str, name: str, value: float | None, limit: float, ok: bool | None,
           detail: str) -> dict[str, Any]:
    status = "missing" if ok is None else ("pass" if ok else "fail")
    return {"kind": kind, "metric": name, "value": value, "limit": limit, "status": status,
            "detail": detail}


def check(candidate: dict, baseline: dict | None, rules: Rules) -> Verdict:
    """Evaluate every rule; a missing candidate value fails, a missing baseline is skipped."""
    checks = []
    for name, floor in rules.min.items():
        v = metric(candidate, name)
        checks.append(_check("min", name, v, floor, None if v is None else v >= floor,
                             f"{name} must be at least {floor:g}"))
    for name, margin in rules.beat_rule_baseline_by.items():
        v, rule = metric(candidate, name), metric(candidate, name, "rule_baseline")
        gap = None if v is None or rule is None else _better_by(name, v, rule)
        checks.append(_check("beat_rule_baseline", name, gap, margin,
                             None if gap is None else gap >= margin,
                             f"{name} must beat the rule baseline by at least {margin:g}"))
    if baseline is not None:
        checks += _change_checks(candidate, baseline, rules)
    return _verdict(checks, baseline is None)


def _better_by(name: str, value: float, other: float) -> float:
    return other - value if name in LOWER_IS_BETTER else value - other


def _change_checks(candidate: dict, baseline: dict, rules: Rules) -> list[dict]:
    checks = []
    for name, limit in rules.max_drop.items():
        v, base = metric(candidate, name), metric(baseline, name)
        if base is None:  # a new metric: nothing to compare against yet
            continue
        drop = None if v is None else -_better_by(name, v, base)
        checks.append(_check("max_drop", name, drop, limit, None if drop is None
                             else drop <= limit, f"{name} may drop by at most {limit:g}"))
    for name, g in rules.max_growth.items():
        v, base = metric(candidate, name), metric(baseline, name)
        if base is None:
            continue
        allowed = base * g.fraction + g.slack
        growth = None if v is None else v - base
        checks.append(_check("max_growth", name, growth, allowed, None if growth is None
                             else growth <= allowed,
                             f"{name} may grow by at most {g.fraction:.0%} of main "
                             f"+ {_plain(g.slack)}"))
    if rules.slice_max_drop is not None:
        checks += _slice_checks(candidate, baseline, rules)
    return checks


def _slice_checks(candidate: dict, baseline: dict, rules: Rules) -> list[dict]:
    """Every slice judged on main must still be judged on the branch, and not drop too much.

    Iterating over main's slices (not the branch's) means a branch cannot skip a slice by
    dropping it from `evaluate.slices` or raising `evaluate.min_slice_rows`: it fails instead.
    """
    new = _dict(_dict(_dict(candidate).get("slices")).get("model"))
    old = _dict(_dict(_dict(baseline).get("slices")).get("model"))
    checks = []
    for name in sorted(old, key=str):
        base = storage.finite(_dict(old[name]).get(rules.slice_metric))
        if _dict(old[name]).get("judged") is not True or base is None:
            continue
        judged = _dict(new.get(name)).get("judged") is True
        v = storage.finite(_dict(new.get(name)).get(rules.slice_metric)) if judged else None
        drop = None if v is None else base - v
        checks.append(_check("slice", f"{rules.slice_metric} [{name}]", drop,
                             rules.slice_max_drop, None if drop is None
                             else drop <= rules.slice_max_drop,
                             f"slice {name} may drop by at most {rules.slice_max_drop:g} "
                             "(and must still be judged)"))
    return checks


def _plain(x: float) -> str:
    return f"{x:,.0f}" if x == int(x) else f"{x:g}"


def _sentence(c: dict) -> str:
    """One clause saying which threshold a failed check broke and by how much."""
    name, v, limit = c["metric"], c["value"], c["limit"]
    if v is None:
        return f"{name} is missing or not a finite number ({c['detail']})"
    if c["kind"] == "min":
        return f"{name} is {v:.4g}, {limit - v:.4g} below the floor of {limit:g}"
    if c["kind"] == "beat_rule_baseline":
        return f"{name} beats the rule baseline by {v:.4g}, less than the {limit:g} required"
    if c["kind"] == "max_growth":
        return f"{name} grew by {v:.4g}, more than the {limit:.4g} allowed"
    return f"{name} dropped by {v:.4g}, more than the {limit:g} allowed"


def _verdict(checks: list[dict], no_baseline: bool) -> Verdict:
    failed = [c for c in checks if c["status"] != "pass"]
    if failed:
        others = sorted({c["metric"] for c in failed[1:]} - {failed[0]["metric"]})
        more = f"; also failed: {', '.join(others)}" if others else ""
        return Verdict(False, f"Failed: {_sentence(failed[0])}{more}.", checks)
    note = " (no baseline recorded on the base revision: change limits skipped)" \
        if no_baseline else ""
    return Verdict(True, f"Passed all {len(checks)} checks{note}.", checks)


def main(params: Any, base: str | None, out: Path, root: Path | str = ".") -> bool:
    """Gate the workspace results against ``base``; write the verdict file; return passed."""
    from mlproject.report.compare import resolve_base

    candidate = read_results(None, root)
    if candidate is None:
        raise PipelineError("reports/metrics.json: not found; run `dvc repro` first")
    rev = resolve_base(base, root)
    rules, rules_from = rules_at(rev, params, root)
    verdict = check(candidate, read_results(rev, root), rules)
    storage.write_json(out, {**verdict.to_json(), "base": rev, "rules_from": rules_from})
    print(f"gate: {verdict.summary} (thresholds from {rules_from})")
    return verdict.passed
