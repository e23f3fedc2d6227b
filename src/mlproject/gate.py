"""The model validation gate ("blessing"): may this model replace the one on main?

Rules come from the `gate:` section of params.yaml. Four kinds of check, each a dict in
``Verdict.checks``: absolute floors, change limits against the baseline recorded on the base
branch, a margin over the rule baseline, and per-slice regression limits. With no recorded
baseline (first PR) the change limits are skipped; the floors still apply.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlproject import storage
from mlproject.errors import PipelineError
from mlproject.results import git_show, read_results  # noqa: F401 - part of the gate's API

LOWER_IS_BETTER = {"log_loss", "brier", "model_size_bytes", "training_time_s",
                   "latency_one_ms_p50", "latency_one_ms_p95"}


@dataclass(frozen=True)
class Growth:
    fraction: float  # 0.2 = may grow by 20 % of the baseline value ...
    slack: float = 0.0  # ... plus this absolute amount (measured metrics are noisy)


@dataclass(frozen=True)
class Rules:
    min: dict[str, float] = field(default_factory=dict)
    max_drop: dict[str, float] = field(default_factory=dict)
    max_growth: dict[str, Growth] = field(default_factory=dict)
    beat_rule_baseline_by: dict[str, float] = field(default_factory=dict)
    slice_metric: str = "roc_auc"
    slice_max_drop: float | None = None


@dataclass
class Verdict:
    passed: bool
    summary: str
    checks: list[dict[str, Any]]

    def to_json(self) -> dict[str, Any]:
        return {"passed": self.passed, "summary": self.summary, "checks": self.checks}


def _number(value: Any, key: str, minimum: float = 0.0) -> float:
    v = storage.finite(value)
    if v is None or v < minimum:
        raise PipelineError(f"params.yaml: gate.{key}: expected a number >= {minimum:g}, "
                            f"got {value!r}")
    return v


def _mapping(raw: dict, key: str) -> dict:
    value = raw.get(key) or {}
    if not isinstance(value, dict):
        raise PipelineError(f"params.yaml: gate.{key}: expected a mapping of metric: value")
    return value


def load_rules(params: Any) -> Rules:
    """Parse the `gate:` section of Params or of raw params.yaml data; fail naming a bad key."""
    raw = params.extra if hasattr(params, "extra") else params
    raw = (raw or {}).get("gate") or {}
    if not isinstance(raw, dict):
        raise PipelineError("params.yaml: gate: expected a mapping")
    known = {"min", "max_drop", "max_growth", "beat_rule_baseline_by", "slices"}
    for key in raw:
        if key not in known:
            raise PipelineError(f"params.yaml: gate.{key}: unknown key; known keys: "
                                f"{', '.join(sorted(known))}")
    growth = {}
    for name, spec in _mapping(raw, "max_growth").items():
        spec = spec if isinstance(spec, dict) else {"fraction": spec}
        growth[name] = Growth(_number(spec.get("fraction"), f"max_growth.{name}.fraction"),
                              _number(spec.get("slack", 0), f"max_growth.{name}.slack"))
    slices = _mapping(raw, "slices")
    drop = slices.get("max_drop")
    return Rules(
        min={k: _number(v, f"min.{k}", -math.inf) for k, v in _mapping(raw, "min").items()},
        max_drop={k: _number(v, f"max_drop.{k}") for k, v in _mapping(raw, "max_drop").items()},
        max_growth=growth,
        beat_rule_baseline_by={k: _number(v, f"beat_rule_baseline_by.{k}", -math.inf)
                               for k, v in _mapping(raw, "beat_rule_baseline_by").items()},
        slice_metric=str(slices.get("metric", "roc_auc")),
        slice_max_drop=None if drop is None else _number(drop, "slices.max_drop"))


def metric(results: dict | None, name: str, model: str = "model") -> float | None:
    """Return a finite metric by bare name from quality, product or system results."""
    if not results:
        return None
    m = (results.get("metrics") or {}).get(model) or {}
    for family in (m.get("quality"), m.get("product"), (results.get("system") or {}).get(model)):
        if isinstance(family, dict) and name in family:
            return storage.finite(family[name])
    return None


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
    new = (candidate.get("slices") or {}).get("model") or {}
    old = (baseline.get("slices") or {}).get("model") or {}
    checks = []
    for name in sorted(set(new) & set(old), key=str):
        if not (isinstance(new[name], dict) and new[name].get("judged") is True):
            continue
        v = storage.finite(new[name].get(rules.slice_metric))
        base = storage.finite((old[name] or {}).get(rules.slice_metric))
        if base is None:
            continue
        drop = None if v is None else base - v
        checks.append(_check("slice", f"{rules.slice_metric} [{name}]", drop,
                             rules.slice_max_drop, None if drop is None
                             else drop <= rules.slice_max_drop,
                             f"slice {name} may drop by at most {rules.slice_max_drop:g}"))
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


def rules_at(base: str, params: Any, root: Path | str = ".") -> tuple[Rules, str]:
    """Return the rules in params.yaml at ``base``, so a PR cannot loosen its own gate."""
    import yaml

    try:
        base_params = yaml.safe_load(git_show(base, "params.yaml", root) or "") or {}
    except yaml.YAMLError:
        base_params = {}
    if isinstance(base_params, dict) and isinstance(base_params.get("gate"), dict):
        return load_rules(base_params), "main"
    return load_rules(params), "this branch (main has no gate section yet)"
