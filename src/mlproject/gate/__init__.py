"""The model validation gate: may the PR's model (challenger) replace main's (champion)?

The rules come from the `gate:` section of params.yaml (rules.py). They judge numbers measured
side by side on the same rows (verdict/judge.py computes them): absolute floors and ceilings,
margins over the rule baseline and the dummy, drops against the champion, the same per judged
slice, and the measured system ratios. Every rule that compares two models on the holdout is
judged against its paired-bootstrap interval, so sampling noise never fails a pull request: a
drop fails only when it is larger than the tolerance AND its interval lies wholly on the worse
side of zero; a margin fails only when its whole interval lies below the margin required.
Without a champion (a project's first pull request) only floors, ceilings and the margins over
the baselines apply.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Literal

from mlproject import units
from mlproject.gate.rules import Rules, SystemRule, load_rules, rules_at
from mlproject.metrics import LOWER_IS_BETTER, allowed_change, better

__all__ = ["BASELINES", "Check", "Comparison", "Estimate", "Measured", "Rules", "SliceEstimate",
           "Verdict", "check", "from_recorded", "load_rules", "rules_at", "worse_for_sure"]

Status = Literal["pass", "fail", "warn"]
Interval = tuple[float | None, float | None]
# the models every model must beat, by the rule that says how much (kind of check, rule key)
BASELINES = {"rule_baseline": ("rule baseline", "beat_rule_baseline_by"),
             "dummy": ("dummy", "beat_dummy_by")}


@dataclass(frozen=True)
class Estimate:
    """A metric of the challenger, with the champion's and the baselines' on the same rows,
    the paired-bootstrap interval of challenger - champion (low, high), of challenger -
    each baseline (``over``), and of the challenger's own value (``own``)."""

    challenger: float | None
    champion: float | None = None
    rule: float | None = None
    low: float | None = None
    high: float | None = None
    dummy: float | None = None
    own: Interval = (None, None)
    over: dict[str, Interval] = field(default_factory=dict)

    @property
    def delta(self) -> float | None:
        if self.challenger is None or self.champion is None:
            return None
        return self.challenger - self.champion

    def baseline(self, name: str) -> float | None:
        return self.rule if name == "rule_baseline" else self.dummy

    def margin(self, name: str, baseline: str) -> tuple[float | None, Interval]:
        """How much better than ``baseline`` the challenger is for metric ``name`` (negative:
        worse), and the interval of that margin, in the same direction."""
        base = self.baseline(baseline)
        if self.challenger is None or base is None:
            return None, (None, None)
        low, high = self.over.get(baseline, (None, None))
        if low is not None and high is not None and name in LOWER_IS_BETTER:
            low, high = -high, -low
        return better(name, self.challenger, base), (low, high)


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


def plain(value: str) -> str:
    return value


@dataclass(frozen=True)
class Check:
    group: Literal["integrity", "quality", "slices", "system"]
    kind: str  # floor | ceiling | rule baseline | dummy | change | slice | system | anchor
    #            | a named integrity check
    metric: str
    status: Status
    value: float | None  # what is judged: the branch's value, a change, a margin, a ratio ...
    limit: float | None  # ... and the limit it is held to
    detail: str  # the rule in words
    low: float | None = None  # the interval of what is judged, where there is one
    high: float | None = None

    def to_json(self) -> dict:
        return asdict(self)

    @property
    def unsure(self) -> bool:
        """A floor or ceiling whose interval holds the limit: the holdout cannot tell."""
        return (self.kind in ("floor", "ceiling") and None not in (self.low, self.high, self.limit)
                and self.low <= self.limit <= self.high)

    def sentence(self, name: Callable[[str], str] = plain) -> str:
        """What the check found against what it needs, in the units of its metric: the one
        wording of the judge's line, the comment, the status and the promotion summary.
        ``name`` makes text from the evidence (metric and slice names, details) safe where
        the sentence goes."""
        metric, interval = name(self.metric), units.interval(self.low, self.high)
        found = f"{units.signed(self.value)} {interval}".rstrip()
        if self.group == "integrity":
            return name(self.detail)
        if self.kind in ("change", "slice"):
            allowed = allowed_change(self.metric, self.limit or 0)  # an error may grow
            return f"{metric} {found}, allowed {units.signed(allowed)}"
        if self.kind == "anchor":
            return f"{metric} {found} against the best production had ({name(self.detail)})"
        if self.kind in ("rule baseline", "dummy"):
            return (f"{metric} beats the {self.kind} by {found}, needs "
                    f"{units.signed(self.limit)}")
        if self.kind == "system":
            sign = "at least" if self.metric == "batch_rows_per_s" else "at most"
            return (f"{metric} {units.measured(self.metric, self.value)}, needs {sign} "
                    f"{units.measured(self.metric, self.limit)}")
        sign = "at least" if self.kind == "floor" else "at most"
        unsure = "; too few holdout rows to tell" if self.unsure else ""
        return (f"{metric} {units.score(self.value)} {units.between(self.low, self.high)}".rstrip()
                + f", needs {sign} {units.score(self.limit)}{unsure}")


@dataclass
class Verdict:
    passed: bool
    checks: list[Check]

    @property
    def failed(self) -> list[Check]:
        return [c for c in self.checks if c.status == "fail"]

    @property
    def summary(self) -> str:
        """One line: passed, or the first failed checks and their shortfalls."""
        if not self.failed:
            return f"passed all {len(self.checks)} checks"
        more = f"; and {len(self.failed) - 2} more" if len(self.failed) > 2 else ""
        return (f"failed {len(self.failed)} of {len(self.checks)} checks: "
                + "; ".join(c.sentence() for c in self.failed[:2]) + more)

    def to_json(self) -> dict:
        return {"passed": self.passed, "summary": self.summary,
                "checks": [c.to_json() for c in self.checks]}


def from_recorded(metrics: dict) -> Comparison:
    """What the rules that need no champion judge (floors, ceilings, the margins over the
    baselines, at face value: no intervals), read from a reports/metrics.json."""
    def values(model: str) -> dict:
        families = (metrics.get(model) or {}) if isinstance(metrics, dict) else {}
        return {k: v for f in ("quality", "product") for k, v in (families.get(f) or {}).items()
                if isinstance(v, int | float) and not isinstance(v, bool)}

    model, rule, dummy = values("model"), values("rule_baseline"), values("dummy")
    return Comparison({k: Estimate(float(v), rule=rule.get(k), dummy=dummy.get(k))
                       for k, v in model.items()}, [], {}, "roc_auc", has_champion=False)


def worse_for_sure(name: str, low: float | None, high: float | None) -> bool:
    """Whether the interval of challenger - champion lies wholly on the worse side of zero.

    Without an interval (too few rows to resample) a drop is taken at face value.
    """
    if low is None or high is None:
        return True
    return low > 0 if name in LOWER_IS_BETTER else high < 0


def _drop_check(group, kind, name, est: Estimate, limit: float, detail: str,
                metric: str | None = None) -> Check:
    """``metric`` (default: ``name``) says which way is better: a slice's check is named
    "mae [region=east]", its metric is mae."""
    metric = metric or name
    drop = None if est.delta is None else -better(metric, est.challenger, est.champion)
    bad = drop is None or (drop > limit and worse_for_sure(metric, est.low, est.high))
    return Check(group, kind, name, "fail" if bad else "pass", est.delta, limit, detail,
                 est.low, est.high)


def _margin_check(name: str, est: Estimate, baseline: str, margin: float) -> Check:
    """Fails when the challenger's margin over ``baseline`` is short of ``margin`` for sure:
    its whole interval lies below it (without an interval, at face value)."""
    kind = BASELINES[baseline][0]
    gap, (low, high) = est.margin(name, baseline)
    short = gap is None or (gap < margin if high is None else high < margin)
    return Check("quality", kind, name, _ok(not short), gap, margin,
                 f"{name} beats the {kind} by at least {margin:g} (beyond noise)", low, high)


def _bound_check(kind: str, name: str, est: Estimate, limit: float) -> Check:
    v = est.challenger
    ok = v is not None and (v >= limit if kind == "floor" else v <= limit)
    sign = "at least" if kind == "floor" else "at most"
    return Check("quality", kind, name, _ok(ok), v, limit, f"{name} {sign} {limit:g}", *est.own)


def check(c: Comparison, rules: Rules) -> Verdict:
    """Every rule against the comparison; a missing value fails, a missing champion skips."""
    checks = list(c.integrity)
    missing = Estimate(None)
    checks += [_bound_check("floor", n, c.metrics.get(n, missing), v) for n, v in rules.min.items()]
    checks += [_bound_check("ceiling", n, c.metrics.get(n, missing), v)
               for n, v in rules.max.items()]
    for baseline, (_, key) in BASELINES.items():
        checks += [_margin_check(name, c.metrics.get(name, missing), baseline, margin)
                   for name, margin in getattr(rules, key).items()]
    if c.has_champion:
        for name, limit in rules.max_drop.items():
            checks.append(_drop_check("quality", "change", name,
                                      c.metrics.get(name, missing), limit,
                                      f"{name} drops by at most {limit:g} (beyond noise)"))
        if rules.slices.max_drop is not None:
            for s in (s for s in c.slices if s.judged):
                checks.append(_drop_check("slices", "slice", f"{c.slice_metric} [{s.key}]", s,
                                          rules.slices.max_drop,
                                          f"{s.key} drops by at most {rules.slices.max_drop:g}",
                                          c.slice_metric))
        checks += [_system(name, c.system.get(name), rule) for name, rule in rules.system.items()]
    for name, limit in rules.max_below_best.items():
        if name in c.best:
            version, best = c.best[name]
            v = c.metrics.get(name, missing).challenger
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
