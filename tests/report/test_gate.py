"""The model validation gate: cases that must pass and cases that must fail."""

from __future__ import annotations

import json

import pytest

from mlproject import cli, gate
from mlproject.errors import PipelineError

from .report_helpers import results

RULES = {"gate": {"min": {"roc_auc": 0.85}, "max_drop": {"roc_auc": 0.005},
                  "beat_rule_baseline_by": {"roc_auc": 0.05},
                  "max_growth": {"latency_one_ms_p50": {"fraction": 0.2, "slack": 1.0}},
                  "slices": {"metric": "roc_auc", "max_drop": 0.03}}}


def verdict(candidate, baseline="main", rules=RULES):
    baseline = results() if baseline == "main" else baseline
    return gate.check(candidate, baseline, gate.load_rules(rules))


@pytest.mark.parametrize("candidate, why", [
    (results(), "same model"),
    (results(auc=0.917), "drop of 0.003 is inside the 0.005 limit"),
    (results(auc=0.95), "better"),
    (results(latency=2.1), "latency +1.1 ms is inside 20 % + 1 ms slack"),
])
def test_gate_passes(candidate, why):
    """Changes inside every limit pass."""
    assert verdict(candidate).passed, why


@pytest.mark.parametrize("candidate, reason", [
    (results(auc=0.91), "roc_auc dropped by 0.01, more than the 0.005 allowed"),
    (results(auc=0.84), "roc_auc is 0.84, 0.01 below the floor of 0.85"),
    (results(latency=2.5), "latency_one_ms_p50 grew by 1.5, more than the 1.2 allowed"),
    (results(auc=float("nan")), "roc_auc is missing or not a finite number"),
])
def test_gate_fails(candidate, reason):
    """Each broken rule fails, and the summary names the rule and by how much."""
    v = verdict(candidate)
    assert not v.passed
    assert reason in v.summary


def test_gate_fails_when_the_rule_baseline_is_not_beaten():
    c = results(auc=0.79)
    v = verdict(c, rules={"gate": {"beat_rule_baseline_by": {"roc_auc": 0.05}}})
    assert not v.passed and "beats the rule baseline by 0.04" in v.summary


def test_only_judged_slices_are_gated():
    """A 0.05 drop in a judged slice fails; the same drop in a too-small slice does not."""
    c = results()
    c["slices"]["model"]["sex=Female"]["roc_auc"] -= 0.05
    assert not verdict(c).passed
    c = results()
    c["slices"]["model"]["race=Other"]["roc_auc"] -= 0.05  # judged: false
    assert verdict(c).passed


def test_missing_baseline_skips_change_limits_but_keeps_floors():
    assert verdict(results(auc=0.86), baseline=None).passed
    assert not verdict(results(auc=0.84), baseline=None).passed


def test_latency_is_lower_is_better():
    """Faster is never a regression, however large the change."""
    assert verdict(results(latency=0.01)).passed


def test_bad_rules_fail_naming_the_key():
    with pytest.raises(PipelineError, match="gate.max_drop.roc_auc: expected a number"):
        gate.load_rules({"gate": {"max_drop": {"roc_auc": "lots"}}})
    with pytest.raises(PipelineError, match="gate.floor: unknown key"):
        gate.load_rules({"gate": {"floor": {}}})


def test_gate_command_exits_1_and_writes_the_verdict(pr, monkeypatch):
    """`mlproject gate` fails the build on a worse model; the verdict file says why."""
    pr.write_results(results(auc=0.90))
    pr.commit("worse")
    monkeypatch.chdir(pr.path)
    assert cli.main(["gate", "--out", "out/gate.json"]) == 1
    saved = json.loads((pr.path / "out/gate.json").read_text())
    assert saved["passed"] is False and "roc_auc dropped" in saved["summary"]
    pr.write_results(results(auc=0.93))
    assert cli.main(["gate", "--base", "main", "--out", "out/gate.json"]) == 0


def test_a_branch_cannot_loosen_its_own_gate(pr, monkeypatch):
    """Thresholds come from main: lowering them on the branch does not let a worse model pass."""
    pr.params(lambda p: p["gate"].update(max_drop={"roc_auc": 1.0}, min={}))
    pr.write_results(results(auc=0.80))
    pr.commit("worse model, looser gate")
    monkeypatch.chdir(pr.path)
    assert cli.main(["gate"]) == 1


def test_a_slice_judged_on_main_cannot_disappear():
    """Dropping a slice (evaluate.slices) or un-judging it (min_slice_rows) fails the gate."""
    c = results()
    del c["slices"]["model"]["sex=Female"]
    v = verdict(c)
    assert not v.passed and "roc_auc [sex=Female] is missing" in v.summary
    c = results()
    c["slices"]["model"]["sex=Female"]["judged"] = False
    assert not verdict(c).passed


@pytest.mark.parametrize(("rules", "message"), [
    ({"max_drop": {"roc_aucc": 0.01}}, "gate.max_drop.roc_aucc: unknown metric"),
    ({"min": {"latency": 1}}, "gate.min.latency: unknown metric"),
    ({"slices": {"metric": "roc_auc", "max_dorp": 0.03}}, "gate.slices.max_dorp: unknown key"),
    ({"slices": {"metric": "log_loss"}}, "gate.slices.metric: 'log_loss' is not measured"),
    ({"max_growth": {"model_size_bytes": {"fractoin": 1}}},
     "gate.max_growth.model_size_bytes.fractoin: unknown key"),
])
def test_misspelled_rules_fail_loudly(rules, message):
    """A typo must not leave a rule that silently matches nothing."""
    with pytest.raises(PipelineError, match=message.replace("[", r"\[")):
        gate.load_rules({"gate": rules})


@pytest.mark.parametrize("hostile", [
    {"metrics": [1, 2]}, {"metrics": {"model": "x"}}, {"slices": ["a"], "metrics": {}},
    {"system": "fast", "metrics": {"model": {"quality": {"roc_auc": 10 ** 400}}}},
])
def test_malformed_results_fail_the_gate_without_crashing(hostile):
    assert not verdict(hostile).passed
