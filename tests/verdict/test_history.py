"""The report's history: the headline metric of the versions last put in production, as each
recorded it, in the order they went into production (a rollback moves a version to the end)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from mlproject.registry import tags
from mlproject.verdict.run import history


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)


def commit_metrics(repo: Path, roc_auc: float) -> None:
    (repo / "reports").mkdir(exist_ok=True)
    (repo / "reports" / "metrics.json").write_text(json.dumps(
        {"model": {"quality": {"roc_auc": roc_auc}}, "rule_baseline": {}}))
    git(repo, "add", "reports")
    git(repo, "commit", "-qm", f"results {roc_auc}")


def promote(repo: Path, version: str) -> None:
    tags.assign(tags.read_state("model", repo), "prod", version, "promoted", repo)


def test_production_history_in_promotion_order(tmp_path):
    git(tmp_path, "init", "-q", "-b", "main")
    git(tmp_path, "config", "user.email", "ci@example.com")
    git(tmp_path, "config", "user.name", "ci")
    assert history(tmp_path, {}, 8, "roc_auc", 0.9) == []  # no registry yet: no chart
    for version, auc in (("v1.0.0", 0.8), ("v1.1.0", 0.85)):
        commit_metrics(tmp_path, auc)
        tags.register("model", version, "registered", tmp_path)
        promote(tmp_path, version)
    commit_metrics(tmp_path, 0.7)
    tags.register("model", "v1.2.0", "registered, never in production", tmp_path)
    promote(tmp_path, "v1.0.0")  # a rollback
    assert history(tmp_path, {}, 8, "roc_auc", 0.9) == [
        ("v1.1.0", 0.85), ("v1.0.0", 0.8), ("this PR", 0.9)]
    assert history(tmp_path, {}, 1, "roc_auc", 0.9) == [("v1.0.0", 0.8), ("this PR", 0.9)]
    assert history(tmp_path, {}, 0, "roc_auc", 0.9) == []
    assert history(tmp_path, {}, 8, "no_such_metric", 0.9) == []
    assert history(tmp_path, {"registry": {"stage": "staging"}}, 8, "roc_auc", 0.9) == []


def test_a_bad_registry_section_costs_the_chart_not_the_verdict(tmp_path, capsys):
    git(tmp_path, "init", "-q")
    assert history(tmp_path, {"registry": {"stage": "Not A Stage"}}, 8, "roc_auc", 0.9) == []
    assert "::warning::no production history" in capsys.readouterr().out
