"""The model validation gate: may the PR's model (challenger) replace main's (champion)?

The rules come from the `gate:` section of params.yaml (rules.py). They judge numbers measured
side by side on the same rows (verdict/judge.py computes them): absolute floors and ceilings,
a margin over the rule baseline, drops against the champion (a drop fails only when it is
larger than the tolerance AND its bootstrap interval lies wholly on the worse side, so sampling
noise never fails a pull request), the same per judged slice, and the measured system ratios.
Without a champion (a project's first pull request) only floors, ceilings and the rule baseline
apply.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Literal

from mlproject.gate.rules import Rules, SystemRule, load_rules, rules_at
from mlproject.metrics import LOWER_IS_BETTER, better

__all__ = ["Check", "Comparison", "Estimate", "Measured", "Rules", "SliceEstimate", "Verdict",
           "check", "from_recorded", "load_rules", "rules_at", "worse_for_sure"]

Status = Literal["pass", "fail", "warn"]


@dataclass(frozen=True)
class Estimate:
    """A metric of the challenger, with the champion's and the rule baseline's on the same rows,
    and the paired-bootstrap interval of challenger - champion."""

    challenger: float | None
    champion: float | None = None
    rule: float | None = None
    low: float | None = None
    high: float | None = None

    @property
    def delta(self) -> float | None:
        if self.challenger is None or self.champion is None:
            return None
        return self.challenger - self.champion


@dataclass(frozen=True)
class SliceEstimate(Estimate):
    key: str = ""
    rows: int = 0
    classes: dict[str, int] = field(default_factory=dict)
    judged: bool = False


@dataclass(frozen=True)
class Measured:
    """A measured metric (latency, throughput, size) of both models, from one run."""

    challenger: float
    champion: float | None = None

    @property
    def ratio(self) -> float | None:
        return None if not self.champion else self.challenger / self.champion


@dataclass
class Comparison:
    """Everything the gate judges, measured on the same rows in one run."""

    metrics: dict[str, Estimate]
    slices: list[SliceEstimate]
    system: dict[str, Measured]
    slice_metric: str
    has_champion: bool
    integrity: list[Check] = field(default_factory=list)  # evidence, holdout, champion checks
    # promotion: the best value of each metric any production version had on these rows
    best: dict[str, tuple[str, float]] = field(default_factory=dict)  # metric -> (version, v)


@dataclass(frozen=True)
class Check:
    group: Literal["integrity", "quality", "slices", "system"]
    kind: str  # floor | ceiling | rule baseline | change | slice | system | a named integrity
    metric: str
    status: Status
    value: float | None  # what is judged: the branch's value, a change, a ratio ...
    limit: float | None  # ... and the limit it is held to
    detail: str  # the rule in words
    low: float | None = None  # the interval of a change, where there is one
    high: float | None = None

    def to_json(self) -> dict:
        return asdict(self)

    def sentence(self) -> str:
        """What the check found, in plain text (commit statuses, logs, model cards)."""
        v = "no value" if self.value is None else f"{self.value:.4f}"
        if self.kind in ("change", "slice", "anchor"):
            interval = "" if self.low is None or self.high is None else \
                f" (95% interval {self.low:+.4f} to {self.high:+.4f})"
            return f"{self.metric} changed by {v}{interval}; allowed -{self.limit:g}"
        if self.group == "integrity":
            return self.detail
        return f"{self.metric} {v}: {self.detail}"


@dataclass
class Verdict:
    passed: bool
    checks: list[Check]

    @property
    def failed(self) -> list[Check]:
        return [c for c in self.checks if c.status == "fail"]

    @property
    def summary(self) -> str:
        """One line: passed, or the first failed checks."""
        if not self.failed:
            return f"passed all {len(self.checks)} checks"
        more = f"; and {len(self.failed) - 2} more" if len(self.failed) > 2 else ""
        return (f"failed {len(self.failed)} of {len(self.checks)} checks: "
                + "; ".join(c.sentence() for c in self.failed[:2]) + more)

    def to_json(self) -> dict:
        return {"passed": self.passed, "summary": self.summary,
                "checks": [c.to_json() for c in self.checks]}


def from_recorded(metrics: dict) -> Comparison:
    """What the rules that need no champion judge (floors, ceilings, the rule baseline's
    margin), read from a reports/metrics.json."""
    def values(model: str) -> dict:
        families = (metrics.get(model) or {}) if isinstance(metrics, dict) else {}
        return {k: v for f in ("quality", "product") for k, v in (families.get(f) or {}).items()
                if isinstance(v, int | float) and not isinstance(v, bool)}

    model, rule = values("model"), values("rule_baseline")
    return Comparison({k: Estimate(float(v), rule=rule.get(k)) for k, v in model.items()}, [],
                      {}, "roc_auc", has_champion=False)


def worse_for_sure(name: str, low: float | None, high: float | None) -> bool:
    """Whether the interval of challenger - champion lies wholly on the worse side of zero.

    Without an interval (too few rows to resample) a drop is taken at face value.
    """
    if low is None or high is None:
        return True
    return low > 0 if name in LOWER_IS_BETTER else high < 0


def _drop_check(group, kind, name, est: Estimate, limit: float, detail: str) -> Check:
    drop = None if est.delta is None else -better(name, est.challenger, est.champion)
    bad = drop is None or (drop > limit and worse_for_sure(name, est.low, est.high))
    return Check(group, kind, name, "fail" if bad else "pass", est.delta, limit, detail,
                 est.low, est.high)


def check(c: Comparison, rules: Rules) -> Verdict:
    """Every rule against the comparison; a missing value fails, a missing champion skips."""
    checks = list(c.integrity)
    for name, floor in rules.min.items():
        v = c.metrics.get(name, Estimate(None)).challenger
        checks.append(Check("quality", "floor", name, _ok(v is not None and v >= floor), v,
                            floor, f"{name} at least {floor:g}"))
    for name, ceiling in rules.max.items():
        v = c.metrics.get(name, Estimate(None)).challenger
        checks.append(Check("quality", "ceiling", name, _ok(v is not None and v <= ceiling), v,
                            ceiling, f"{name} at most {ceiling:g}"))
    for name, margin in rules.beat_rule_baseline_by.items():
        est = c.metrics.get(name, Estimate(None))
        gap = None if est.challenger is None or est.rule is None else \
            better(name, est.challenger, est.rule)
        checks.append(Check("quality", "rule baseline", name, _ok(gap is not None and
                                                                  gap >= margin),
                            gap, margin, f"{name} beats the rule baseline by {margin:g}"))
    if c.has_champion:
        for name, limit in rules.max_drop.items():
            checks.append(_drop_check("quality", "change", name,
                                      c.metrics.get(name, Estimate(None)), limit,
                                      f"{name} drops by at most {limit:g} (beyond noise)"))
        if rules.slices.max_drop is not None:
            for s in (s for s in c.slices if s.judged):
                checks.append(_drop_check("slices", "slice", f"{c.slice_metric} [{s.key}]", s,
                                          rules.slices.max_drop,
                                          f"{s.key} drops by at most {rules.slices.max_drop:g}"))
        checks += [_system(name, c.system.get(name), rule) for name, rule in rules.system.items()]
    for name, limit in rules.max_below_best.items():
        if name in c.best:
            version, best = c.best[name]
            v = c.metrics.get(name, Estimate(None)).challenger
            below = None if v is None else -better(name, v, best)
            checks.append(Check("quality", "anchor", name, _ok(below is not None and
                                                               below <= limit),
                                None if v is None else v - best, limit,
                                f"{name} at most {limit:g} below {version}'s {best:.4f}, "
                                "the best production had on these rows"))
    return Verdict(not any(ch.status == "fail" for ch in checks), checks)


def _ok(passed: bool) -> Status:
    return "pass" if passed else "fail"


def _system(name: str, m: Measured | None, rule: SystemRule) -> Check:
    if m is None or m.champion is None:
        return Check("system", "system", name, "fail", None, None, f"{name} was not measured")
    if rule.max_ratio is not None:
        limit = m.champion * rule.max_ratio + rule.slack
        return Check("system", "system", name, _ok(m.challenger <= limit), m.challenger, limit,
                     f"{name} at most {rule.max_ratio:g}x main's"
                     + (f" + {rule.slack:g}" if rule.slack else ""))
    limit = m.champion * (rule.min_ratio or 0)
    return Check("system", "system", name, _ok(m.challenger >= limit), m.challenger, limit,
                 f"{name} at least {rule.min_ratio:g}x main's")
