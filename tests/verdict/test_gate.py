"""The gate's rules: validated at load, and judged on side-by-side numbers."""

from __future__ import annotations

import pytest

from mlproject import gate, units
from mlproject.errors import PipelineError
from mlproject.gate import Comparison, Estimate, Measured, SliceEstimate

RULES = {"gate": {"min": {"roc_auc": 0.8}, "max": {"log_loss": 0.5},
                  "max_drop": {"roc_auc": 0.01}, "beat_rule_baseline_by": {"roc_auc": 0.05},
                  "system": {"latency_ms_p50": {"max_ratio": 2.0, "slack": 1.0},
                             "batch_rows_per_s": {"min_ratio": 0.5}},
                  "slices": {"metric": "roc_auc", "max_drop": 0.03, "min_class_rows": 20}}}


def comparison(auc=0.90, main=0.90, low=-0.005, high=0.005, p50=1.0, rows_per_s=1e5,
               slice_delta=0.0, judged=True, champion=True) -> Comparison:
    return Comparison(
        metrics={"roc_auc": Estimate(auc, main if champion else None, 0.7, low, high),
                 "log_loss": Estimate(0.3, 0.3, 0.5)},
        slices=[SliceEstimate(0.9 + slice_delta, 0.9, None, slice_delta - 0.01,
                              slice_delta + 0.01, key="plan=pro", rows=300,
                              classes={"no": 200, "yes": 100}, judged=judged)],
        system={"latency_ms_p50": Measured(p50, 1.0),
                "batch_rows_per_s": Measured(rows_per_s, 1e5)},
        slice_metric="roc_auc", has_champion=champion)


def verdict(**kw):
    return gate.check(comparison(**kw), gate.load_rules(RULES))


@pytest.mark.parametrize(("kw", "why"), [
    ({}, "the same numbers"),
    ({"auc": 0.885, "low": -0.03, "high": 0.001}, "a drop beyond tolerance but inside noise"),
    ({"auc": 0.895, "low": -0.008, "high": -0.002}, "a sure drop inside the tolerance"),
    ({"p50": 2.9}, "2.9 ms <= 2 x 1 ms + 1 ms"),
    ({"slice_delta": -0.05, "judged": False}, "a slice too small to judge"),
    ({"auc": 0.5, "champion": False, "low": None, "high": None},
     "no champion: no change rules (the floor fails below)"),
])
def test_passes(kw, why):
    result = verdict(**kw)
    if kw.get("champion") is False:
        assert {c.kind for c in result.checks} == {"floor", "ceiling", "rule baseline"}, why
        return
    assert result.passed, (why, [c for c in result.checks if c.status == "fail"])


@pytest.mark.parametrize(("kw", "failing"), [
    ({"auc": 0.88, "low": -0.03, "high": -0.012}, {("change", "roc_auc")}),
    ({"auc": 0.74, "low": -0.2, "high": -0.05}, {("change", "roc_auc"), ("floor", "roc_auc"),
                                                 ("rule baseline", "roc_auc")}),
    ({"p50": 3.5}, {("system", "latency_ms_p50")}),
    ({"rows_per_s": 4e4}, {("system", "batch_rows_per_s")}),
    ({"slice_delta": -0.05}, {("slice", "roc_auc [plan=pro]")}),
])
def test_fails(kw, failing):
    result = verdict(**kw)
    assert not result.passed
    assert {(c.kind, c.metric) for c in result.failed} == failing


def test_a_missing_value_fails():
    c = comparison()
    c.metrics["roc_auc"] = Estimate(None, 0.9)
    result = gate.check(c, gate.load_rules(RULES))
    assert {c.kind for c in result.failed} >= {"floor", "change"}


@pytest.mark.parametrize(("section", "message"), [
    ({"min": {"log_loss": 0.3}}, "gate.min.log_loss: log_loss is lower-is-better, so this "
                                 "rule could never fail a worse model; use gate.max.log_loss"),
    ({"max": {"roc_auc": 0.9}}, "use gate.min.roc_auc"),
    ({"system": {"batch_rows_per_s": {"max_ratio": 2}}},
     "gate.system.batch_rows_per_s: batch_rows_per_s is higher-is-better: give min_ratio"),
    ({"system": {"latency_ms_p50": {"min_ratio": 0.5}}}, "give max_ratio"),
    ({"min": {"latency": 1}}, "gate.min.latency: unknown metric here"),
    ({"max_drop": {"roc_auc": -0.1}}, "gate.max_drop.roc_auc"),
    ({"slices": {"metric": "brier"}}, "gate.slices.metric"),
    ({"bogus": 1}, "gate.bogus"),
    ({"bootstrap": {"resamples": 5}}, "gate.bootstrap.resamples"),
])
def test_rules_that_cannot_work_are_refused_at_load(section, message):
    with pytest.raises(PipelineError, match="^params.yaml: ") as caught:
        gate.load_rules({"gate": section})
    assert message in str(caught.value)


def test_the_projects_own_rules_load(project_params):
    """This project's params.yaml: its gate section loads (directions make sense)."""
    rules = gate.load_rules(project_params)
    assert rules.bootstrap.resamples >= 1 and rules.slices.min_class_rows >= 1


def test_the_anchor_holds_quality_near_the_best_production_had_on_these_rows():
    """Promotion: each drop may pass max_drop, but not add up past max_below_best."""
    rules = gate.load_rules({"gate": {**RULES["gate"], "max_below_best": {"roc_auc": 0.01}}})
    near, far = comparison(auc=0.905), comparison(auc=0.89)
    near.best = far.best = {"roc_auc": ("v1.2.0", 0.91)}
    assert gate.check(near, rules).passed
    result = gate.check(far, rules)
    [anchor] = [c for c in result.checks if c.kind == "anchor"]
    assert anchor.status == "fail" and anchor.value == pytest.approx(-0.02)
    assert "v1.2.0's 0.9100" in anchor.detail and not result.passed
    assert not [c for c in gate.check(comparison(), rules).checks if c.kind == "anchor"]


MARGINS = {"gate": {"beat_rule_baseline_by": {"roc_auc": 0.05},
                    "beat_dummy_by": {"log_loss": 0.0}}}


@pytest.mark.parametrize(("over", "passed", "why"), [
    ((0.06, 0.08), True, "the whole interval above the margin"),
    ((0.01, 0.06), True, "short at face value (0.04), but the interval reaches the margin"),
    ((0.01, 0.049), False, "the whole interval below the margin"),
    ((None, None), False, "no interval: at face value, 0.04 < 0.05"),
])
def test_a_margin_fails_only_when_its_whole_interval_is_below_it(over, passed, why):
    est = Estimate(0.84, None, 0.80, over={"rule_baseline": over})
    c = Comparison({"roc_auc": est}, [], {}, "roc_auc", has_champion=False)
    rules = gate.load_rules({"gate": {"beat_rule_baseline_by": {"roc_auc": 0.05}}})
    [check] = gate.check(c, rules).checks
    assert (check.status == "pass") == passed, why
    assert (check.low, check.high) == over
    interval = f" ({units.signed(over[0])} … {units.signed(over[1])})" if over[0] else ""
    assert check.sentence() == (f"roc_auc beats the rule baseline by +0.0400{interval}, "
                                "needs +0.0500")


def test_a_lower_is_better_margin_is_measured_in_the_better_direction():
    """log_loss 0.30 against the dummy's 0.50: 0.20 better; the interval of PR − dummy
    (−0.25 … −0.15) becomes +0.15 … +0.25 better."""
    est = Estimate(0.30, None, None, dummy=0.50, over={"dummy": (-0.25, -0.15)})
    c = Comparison({"log_loss": est}, [], {}, "roc_auc", has_champion=False)
    [check] = [ch for ch in gate.check(c, gate.load_rules(MARGINS)).checks
               if ch.kind == "dummy"]
    assert check.status == "pass"
    assert check.value == pytest.approx(0.20) and (check.low, check.high) == (0.15, 0.25)


@pytest.mark.parametrize(("own", "unsure"), [((0.55, 0.68), True), ((0.50, 0.58), False)])
def test_a_floor_says_when_the_holdout_is_too_small_to_tell(own, unsure):
    est = Estimate(0.57, own=own)
    c = Comparison({"f1": est}, [], {}, "roc_auc", has_champion=False)
    [check] = gate.check(c, gate.load_rules({"gate": {"min": {"f1": 0.6}}})).checks
    assert check.status == "fail" and check.unsure == unsure
    assert check.sentence().endswith("too few holdout rows to tell") == unsure
