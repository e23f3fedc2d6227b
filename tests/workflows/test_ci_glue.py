"""The CI glue the workflows call: record results and release arguments."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from mlproject import ci
from mlproject.errors import PipelineError


def git(root: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=root, check=True, capture_output=True,
                          text=True).stdout.strip()


def write(root: Path, rel: str, obj) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj) if not isinstance(obj, str) else obj)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    git(tmp_path, "init", "-q", "-b", "main")
    git(tmp_path, "config", "user.email", "t@example.invalid")
    git(tmp_path, "config", "user.name", "T")
    write(tmp_path, "models/model.json", {"sha256": "a" * 64})
    write(tmp_path, "reports/metrics.json", {"model": {"quality": {"f1": 0.7, "roc_auc": 0.9}}})
    write(tmp_path, "reports/slices.json", {"model": {"sex=Female": {"roc_auc": 0.9}}})
    write(tmp_path, "dvc.lock", "schema: '2.0'\n")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-qm", "init")
    return tmp_path


def test_identical_results_are_not_recorded(repo):
    head = git(repo, "rev-parse", "HEAD")
    write(repo, "reports/pr/report.md", "not a result")
    assert ci.record_results(repo).startswith("unchanged")
    assert git(repo, "rev-parse", "HEAD") == head


def test_a_new_model_is_recorded_with_a_message_that_says_what(repo):
    write(repo, "models/model.json", {"sha256": "b" * 64})
    write(repo, "reports/metrics.json", {"model": {"quality": {"f1": 0.75, "roc_auc": 0.91}}})
    write(repo, "reports/pr/report.md", "not recorded")
    assert ci.record_results(repo) == "recorded: model changed (bbbbbbbbbbbb)"
    assert git(repo, "log", "-1", "--format=%s") == (
        "Record reproduced results: roc_auc 0.9100, f1 0.7500")
    changed = git(repo, "show", "--name-only", "--format=", "HEAD").split()
    assert set(changed) == {"models/model.json", "reports/metrics.json"}


def test_changed_metrics_with_the_same_model_are_recorded(repo):
    write(repo, "reports/metrics.json", {"model": {"quality": {"f1": 0.71, "roc_auc": 0.9}}})
    assert ci.record_results(repo) == "recorded: metrics changed"


def test_a_stale_lock_is_a_change(repo):
    """A code-only change rewrites dvc.lock with the same outputs: that lock must be recorded."""
    write(repo, "dvc.lock", "schema: '2.0'\nstages: {}\n")
    assert ci.results_change(repo).startswith("dvc.lock was stale")
    assert ci.record_results(repo).startswith("recorded: dvc.lock was stale")
    assert git(repo, "show", "--name-only", "--format=", "HEAD").split() == ["dvc.lock"]


def test_a_hand_edited_slices_file_counts_as_changed(repo):
    """The gate judges slices, so slices.json must be what the pipeline reproduces."""
    write(repo, "reports/slices.json", {"model": {"sex=Female": {"roc_auc": 0.99}}})
    assert ci.results_change(repo) == "reports/slices.json changed"


def test_a_deleted_result_file_is_recorded(repo):
    (repo / "reports/slices.json").unlink()
    assert ci.record_results(repo) == "recorded: reports/slices.json changed"
    assert "reports/slices.json" not in git(repo, "ls-files")


def test_first_results_are_recorded(tmp_path):
    git(tmp_path, "init", "-q")
    git(tmp_path, "config", "user.email", "t@example.invalid")
    git(tmp_path, "config", "user.name", "T")
    git(tmp_path, "commit", "-q", "--allow-empty", "-m", "empty")
    write(tmp_path, "models/model.json", {"sha256": "c" * 64})
    assert ci.results_change(tmp_path) == "no results recorded yet"


def test_missing_results_say_run_the_pipeline(tmp_path):
    with pytest.raises(PipelineError, match="run the pipeline"):
        ci.results_change(tmp_path)


def release_dir(root: Path, **spec) -> Path:
    """A bundle as mlproject promote writes it (registry/release.py), with ``spec`` overrides."""
    bundle = "build/release/v1.2.3"
    base = {"tag": "model@v1.2.3", "version": "v1.2.3", "title": "model v1.2.3",
            "commit": "f" * 40, "notes_file": f"{bundle}/model_card.md",
            "files": [f"{bundle}/model.skops", f"{bundle}/model_card.md"]}
    write(root, f"{bundle}/release.json", {**base, **spec})
    write(root, f"{bundle}/model_card.md", "notes")
    write(root, f"{bundle}/model.skops", "bytes")
    write(root, "elsewhere.md", "not in the bundle")
    return root / "build/release"


def test_release_args(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    args = ci.release_args(release_dir(tmp_path).relative_to(tmp_path), artifact="model")
    assert args == ["model@v1.2.3", "--title", "model v1.2.3", "--target", "f" * 40,
                    "--notes-file", "build/release/v1.2.3/model_card.md", "--",
                    "build/release/v1.2.3/model.skops", "build/release/v1.2.3/model_card.md"]


@pytest.mark.parametrize(("spec", "message"), [
    ({"tag": "v1; rm -rf /"}, "tag"),
    ({"tag": "--repo=evil/x"}, "tag"),
    ({"tag": "model@v1.2.3\n"}, "tag"),
    ({"tag": "other@v1.2.3"}, "tag"),  # another artifact's tag
    ({"tag": "model@v9.9.9"}, "not the version of its folder"),
    ({"commit": "main"}, "commit"),
    ({"commit": "F" * 40}, "commit"),
    ({"title": "two\nlines"}, "title"),
    ({"files": []}, "files"),
    ({"files": ["../../etc/passwd"]}, "files"),
    ({"files": ["build/release/v1.2.3/../../../etc/passwd"]}, "files"),
    ({"files": ["/etc/passwd"]}, "files"),
    ({"files": ["elsewhere.md"]}, "files"),  # a file outside the bundle
    ({"files": ["build/release/v1.2.3/missing.skops"]}, "files"),
    ({"notes_file": "build/release/v1.2.3/missing.md"}, "notes_file"),
])
def test_release_args_reject_unsafe_values(tmp_path, monkeypatch, spec, message):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(PipelineError, match=message):
        ci.release_args(release_dir(tmp_path, **spec).relative_to(tmp_path), artifact="model")


def test_release_args_need_exactly_one_release(tmp_path):
    with pytest.raises(PipelineError, match="exactly one"):
        ci.release_args(tmp_path, artifact="model")


@pytest.fixture
def fake_gh(tmp_path, monkeypatch):
    """A gh on PATH that records its calls; `release view` succeeds for tags in `existing`."""
    bin_dir, log, existing = tmp_path / "bin", tmp_path / "gh.log", tmp_path / "existing"
    bin_dir.mkdir()
    existing.write_text("")
    script = bin_dir / "gh"
    script.write_text(f"""#!/bin/sh
echo "$*" >> {log}
if [ "$1 $2" = "release view" ]; then grep -qx "$3" {existing}; exit $?; fi
""")
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:{__import__('os').environ['PATH']}")
    return log, existing


def test_create_release_once_from_what_promote_recorded(tmp_path, monkeypatch, fake_gh):
    log, existing = fake_gh
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "params.yaml", "registry:\n  artifact: model\n")
    assert ci.create_release(Path("build/release")).startswith("release: nothing was promoted")
    release_dir(tmp_path)
    write(tmp_path, "build/release/promotion.json",
          {"promoted": False, "reason": "not promoted: worse", "version": None})
    assert ci.create_release(Path("build/release")) == "release: nothing to release " \
        "(not promoted: worse)"
    assert not log.exists()
    write(tmp_path, "build/release/promotion.json", {"promoted": True, "version": "v1.2.3"})
    assert ci.create_release(Path("build/release")) == "release: created model@v1.2.3 with 2 files"
    calls = log.read_text().splitlines()
    assert calls[-1] == ("release create model@v1.2.3 --title model v1.2.3 --target " + "f" * 40
                         + " --notes-file build/release/v1.2.3/model_card.md -- "
                         "build/release/v1.2.3/model.skops build/release/v1.2.3/model_card.md")
    existing.write_text("model@v1.2.3\n")  # a re-run: the release exists
    assert ci.create_release(Path("build/release")).endswith("exists already; nothing to do")
    assert sum(c.startswith("release create") for c in log.read_text().splitlines()) == 1
