"""The gate's tolerances follow the holdout's size: wider when small, never tighter."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from mlproject.adopt import tolerance

FIXTURE = Path(__file__).parent / "fixtures" / "params.yaml"


@pytest.mark.parametrize("rarest", [5, 60, 300, 1000, 3000, 20_000])
def test_never_tighter_than_the_defaults_nor_wider_than_the_caps(rarest):
    fit = tolerance.for_holdout({"a": rarest, "b": 3 * rarest})
    for metric, default in tolerance.MAX_DROP.items():
        assert default <= fit["max_drop"][metric] <= tolerance.WIDEST[metric]
        # the anchor allows two drops below the best production version, never less
        assert fit["max_below_best"][metric] >= 2 * fit["max_drop"][metric] - 1e-9
    assert tolerance.SLICE_MAX_DROP <= fit["slices"]["max_drop"] <= tolerance.WIDEST["slices"]
    low, high = tolerance.MIN_CLASS_ROWS
    assert low <= fit["slices"]["min_class_rows"] <= high


def test_smaller_holdouts_get_wider_tolerances():
    sizes = [60, 250, 1000, 4000]
    drops = [tolerance.for_holdout({"no": 3 * n, "yes": n})["max_drop"]["roc_auc"]
             for n in sizes]
    assert drops == sorted(drops, reverse=True) and drops[0] > drops[-1]
    assert drops[-1] == tolerance.MAX_DROP["roc_auc"]  # the defaults fit the reference size


def test_the_rarest_class_sets_the_scale():
    """Three classes: the rarest decides, as it makes the metrics noisiest."""
    skewed = tolerance.for_holdout({"a": 2000, "b": 2000, "c": 100})
    even = tolerance.for_holdout({"a": 1400, "b": 1400, "c": 1400})
    assert skewed["max_drop"]["f1"] > even["max_drop"]["f1"]


def test_gate_keeps_its_shape_floors_cleared_tolerances_fitted():
    """New-shape gate: max_drop and slices.min_class_rows fitted; other keys untouched."""
    raw = yaml.safe_load(FIXTURE.read_text())
    fit = tolerance.for_holdout({"no": 150, "yes": 50})
    gate = tolerance.gate_section(raw["gate"], fit)
    assert gate["min"] == {} and gate["max"] == {}
    assert gate["max_drop"] == {k: fit["max_drop"][k] for k in raw["gate"]["max_drop"]}
    assert gate["max_below_best"] == {"roc_auc": fit["max_below_best"]["roc_auc"]}
    assert gate["slices"] == {"metric": "roc_auc", **fit["slices"]}
    old_shape = {"min": {"f1": 0.6}, "slices": {"metric": "f1", "max_drop": 0.03}}
    assert tolerance.gate_section(old_shape, fit) == {
        "min": {}, "slices": {"metric": "f1", "max_drop": fit["slices"]["max_drop"]}}
    assert tolerance.gate_section(None, fit) is None


@pytest.mark.parametrize(("rows", "positive", "metric"), [
    ({"no": 700, "yes": 300}, "yes", "f1"),
    ({"no": 300, "yes": 700}, "yes", "balanced_accuracy"),  # F1 of always-yes is 0.82
    ({"a": 50, "b": 30, "c": 20}, None, "f1"),  # macro F1
])
def test_the_metric_that_judges_the_predicted_class(rows, positive, metric):
    chosen, why = tolerance.primary_metric(rows, positive)
    assert chosen == metric and why
    if metric == "balanced_accuracy":
        assert "70%" in why and "F1 0.82" in why


def test_the_gate_judges_the_chosen_metric_and_top_2_with_several_classes():
    gate = {"min": {}, "max_drop": {"roc_auc": 0.005, "f1": 0.02, "coverage": 0.02,
                                    "precision_when_shown": 0.02},
            "beat_rule_baseline_by": {"roc_auc": 0.05, "f1": 0.02}}
    fit = tolerance.for_holdout({"no": 150, "yes": 350})
    skewed = tolerance.gate_section(gate, fit, "balanced_accuracy", 2)
    assert list(skewed["max_drop"]) == ["roc_auc", "balanced_accuracy", "coverage",
                                        "precision_when_shown"]
    assert skewed["beat_rule_baseline_by"] == {"roc_auc": 0.05, "balanced_accuracy": 0.02}
    several = tolerance.gate_section(gate, fit, "f1", 3)
    assert "top_2_accuracy" in several["max_drop"] and "f1" in several["max_drop"]
    assert "top_2_accuracy" not in several["beat_rule_baseline_by"]
    assert tolerance.with_metrics(["roc_auc", "f1", "top_2_accuracy"], "f1", 2) == [
        "roc_auc", "f1"]


def test_a_gate_written_for_a_regression_target_takes_the_class_rules_again():
    """A project that adopted a numeric target, then a class target: no rule keeps an error
    metric, the margins are the starter's, and the tolerances are fitted to the new holdout."""
    fit = tolerance.for_holdout({"no": 150, "yes": 50})
    values = tolerance.for_values(list(range(200)))
    starter = yaml.safe_load(FIXTURE.read_text())["gate"]
    regression = tolerance.regression_gate(starter, values)
    gate = tolerance.gate_section(regression, fit, "balanced_accuracy", 2)
    assert not tolerance.judges_values(gate) and tolerance.judges_values(regression)
    assert gate["beat_rule_baseline_by"] == {"roc_auc": 0.05, "balanced_accuracy": 0.02}
    assert gate["beat_dummy_by"] == {"roc_auc": 0.05, "log_loss": 0.0}
    assert gate["max_drop"] == {k: fit["max_drop"][k] for k in (
        "roc_auc", "average_precision", "balanced_accuracy", "coverage",
        "precision_when_shown")}
    assert gate["max_below_best"] == {"roc_auc": fit["max_below_best"]["roc_auc"]}
    assert gate["slices"] == {"metric": "roc_auc", **fit["slices"]}
    assert gate["min"] == gate["max"] == {}
    assert {k: gate[k] for k in ("system", "bootstrap") if k in starter} == {
        k: starter[k] for k in ("system", "bootstrap") if k in starter}
    several = tolerance.gate_section(regression, fit, "f1", 3)
    assert "top_2_accuracy" in several["max_drop"]
