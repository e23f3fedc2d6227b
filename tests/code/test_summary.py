"""The table `make run` prints: the model's key metrics beside both baselines."""

from __future__ import annotations

from mlproject import summary


def test_f1_of_the_model_and_the_rule_baseline_side_by_side():
    metrics = {"model": {"quality": {"f1": 0.71234, "roc_auc": 0.9}},
               "rule_baseline": {"quality": {"f1": 0.5}},
               "dummy": {"quality": {"f1": 0.0}}}
    lines = summary.table(metrics).splitlines()
    assert lines[0].split() == ["metric", "model", "rule_baseline", "dummy"]
    assert [line.split() for line in lines if line.startswith("f1 ")] == [
        ["f1", "0.7123", "0.5000", "0.0000"]]
    assert [line.split() for line in lines if line.startswith("roc_auc")] == [
        ["roc_auc", "0.9000", "-", "-"]]
