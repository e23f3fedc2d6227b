"""verify-reproduced: results that match byte for byte, by their scores, or not at all."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from mlproject import reproduce


def git(root: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=root, check=True, capture_output=True,
                          text=True).stdout.strip()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A commit recording a model's md5 in dvc.lock and its metrics; the model in place."""
    git(tmp_path, "init", "-q", "-b", "main")
    git(tmp_path, "config", "user.email", "t@x.invalid")
    git(tmp_path, "config", "user.name", "T")
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "model.skops").write_bytes(b"model bytes")
    (tmp_path / "models" / "model.json").write_text(json.dumps({"sha256": "a" * 64}))
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports" / "metrics.json").write_text(json.dumps(
        {"model": {"quality": {"roc_auc": 0.912345}}}))
    md5 = "cfca6e26b6c2a9e94994644c684dfee0"  # md5 of b"model bytes"
    (tmp_path / "dvc.lock").write_text(
        f"schema: '2.0'\nstages:\n  train:\n    outs:\n    - path: models/model.skops\n"
        f"      md5: {md5}\n")
    git(tmp_path, "add", "dvc.lock", "models/model.json", "reports")
    git(tmp_path, "commit", "-qm", "results")
    return tmp_path


def test_the_same_files_are_byte_identical(repo):
    assert reproduce.verify(repo).line() == "reproduced: byte-identical"


def test_other_model_bytes_with_the_same_metrics_and_no_recorded_model_to_compare(repo):
    (repo / "models" / "model.skops").write_bytes(b"other bytes, same scores")
    out = reproduce.verify(repo)
    assert out.reproduced and out.how.startswith("same metrics (model bytes differ")


def test_a_changed_metric_is_stale(repo):
    (repo / "reports" / "metrics.json").write_text(json.dumps(
        {"model": {"quality": {"roc_auc": 0.92}}}))
    out = reproduce.verify(repo)
    assert not out.reproduced and out.line() == "stale: reports/metrics.json differs"


def test_a_rounding_flip_in_the_sixth_decimal_is_the_same(repo):
    (repo / "reports" / "metrics.json").write_text(json.dumps(
        {"model": {"quality": {"roc_auc": 0.912346}}}))
    assert reproduce.verify(repo).reproduced


def test_fields_that_follow_the_bytes_are_ignored_but_nothing_else():
    assert reproduce.same({"sha256": "a", "size_bytes": 1, "f1": 0.5},
                          {"sha256": "b", "size_bytes": 2, "f1": 0.5000004})
    assert not reproduce.same({"name": "a"}, {"name": "b"})
