"""promote, rollback, show and history against throwaway git+DVC repositories."""

from __future__ import annotations

import json
import subprocess
import threading
from pathlib import Path

import pytest

from mlproject import ci
from mlproject.cli import main
from mlproject.errors import PipelineError
from mlproject.registry import promote as promotion
from mlproject.registry import remote, rollback, tags

from .conftest import fake_gate, run


def promote(repo, **kwargs):
    return promotion.promote(repo.path, gate=kwargs.pop("gate", fake_gate()), **kwargs)


def test_promote_show_rollback_history_end_to_end(repo, gate, monkeypatch, capsys):
    """The maintainer's path: two promotions, a rollback, and GTO reads every tag the same way."""
    monkeypatch.chdir(repo.path)
    first = repo.commit_results(0.87)  # above the gate floor
    assert main(["promote"]) == 0
    repo.commit_results(0.90, "better model", name="random_forest")
    assert main(["promote"]) == 0
    assert set(repo.origin_tags()) == {"model@v1.0.0", "model#prod#1", "model@v1.1.0",
                                       "model#prod#2"}
    capsys.readouterr()
    assert main(["registry", "show"]) == 0
    shown = capsys.readouterr().out
    assert "prod = v1.1.0" in shown and "0.9000" in shown and first[:8] in shown

    assert main(["rollback", "v1.0.0"]) == 0
    assert "model#prod#3" in repo.origin_tags()
    capsys.readouterr()
    assert main(["registry", "show", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["production"] == "v1.0.0"
    assert main(["registry", "history"]) == 0
    history = capsys.readouterr().out
    assert history.count("registration") == 2 and history.count("assignment") == 3
    # GTO itself agrees on what each tag means
    assert run("gto", "check-ref", "model#prod#3", "--version", cwd=repo.path).strip() == "v1.0.0"
    assert run("gto", "show", "model#prod", "--ref", cwd=repo.path).strip() == "model@v1.0.0"
    gto_history = run("gto", "history", "model", "--plain", cwd=repo.path)
    assert gto_history.count("assignment") == 3


def test_release_bundle_has_everything_a_release_carries(repo, monkeypatch):
    """Model file, metadata, card, metrics and dvc.lock, plus the exact gh arguments."""
    monkeypatch.chdir(repo.path)
    commit = repo.commit_results(0.80)
    outcome = promote(repo)
    bundle = repo.path / "build/release/v1.0.0"
    assert outcome["promoted"] and outcome["version"] == "v1.0.0"
    names = {p.name for p in bundle.iterdir()}
    assert {"model.skops", "model.json", "model_card.md", "metrics.json", "dvc.lock",
            "release.json"} <= names
    release = json.loads((bundle / "release.json").read_text())
    assert release["tag"] == "model@v1.0.0" and release["commit"] == commit
    # the release command reads exactly this file and validates every value
    args = ci.release_args(Path("build/release"), "v1.0.0", "model")
    assert args[:5] == ["model@v1.0.0", "--title", "model v1.0.0", "--target", commit]
    assert args[args.index("--") + 1:] == [f"build/release/v1.0.0/{n}" for n in (
        "model.skops", "model.json", "model_card.md", "metrics.json", "dvc.lock")]
    card = (bundle / "model_card.md").read_text()
    assert "$" not in card.replace("```bash", "") and "## Intended use and limits" in card


def test_bump_rule_patch_minor_major(repo):
    """Same model type and data: patch; --major: major; another model type: minor."""
    repo.commit_results(0.80)
    promote(repo)
    repo.commit_results(0.81, "retrain")
    assert promote(repo)["version"] == "v1.0.1"
    repo.commit_results(0.82, "breaking")
    assert promote(repo, major=True)["version"] == "v2.0.0"
    repo.commit_results(0.83, "new type", name="random_forest")
    assert promote(repo)["version"] == "v2.1.0"


def test_second_run_on_the_same_commit_creates_nothing(repo, capsys):
    """A re-run creates no tag, and pushes the tags an interrupted first run could not push."""
    repo.commit_results(0.80)
    promote(repo)
    run("git", "push", "-q", "origin", "--delete", "model#prod#1", cwd=repo.path)
    before = repo.tags()
    outcome = promote(repo)
    assert not outcome["promoted"] and repo.tags() == before
    assert sorted(repo.origin_tags()) == sorted(before)
    assert "nothing to do" in capsys.readouterr().out


def test_no_push_leaves_the_tags_local_for_the_workflow_to_push(repo, monkeypatch, capsys):
    """--no-push: CI's checkout holds no credentials; a separate step pushes the tags."""
    monkeypatch.chdir(repo.path)
    repo.commit_results(0.87)
    assert main(["promote", "--no-push"]) == 0
    assert repo.tags() == ["model#prod#1", "model@v1.0.0"] and repo.origin_tags() == []
    assert main(["promote", "--no-push"]) == 0  # a re-run: nothing to do, still nothing pushed
    assert "nothing to do" in capsys.readouterr().out and repo.origin_tags() == []
    run("git", "push", "-q", "origin", "--tags", cwd=repo.path)
    repo.commit_results(0.90, "better model", name="random_forest")
    assert main(["promote", "--no-push"]) == 0
    assert main(["rollback", "v1.0.0", "--no-push"]) == 0
    assert "model#prod#3" in repo.tags() and "model#prod#3" not in repo.origin_tags()
    assert sorted(repo.origin_tags()) == ["model#prod#1", "model@v1.0.0"]


def test_worse_candidate_is_not_promoted_and_says_why(repo, capsys):
    repo.commit_results(0.80)
    promote(repo)
    repo.commit_results(0.70, "worse")
    outcome = promote(repo)
    assert not outcome["promoted"] and repo.tags() == ["model#prod#1", "model@v1.0.0"]
    assert "below production 0.800" in capsys.readouterr().out
    saved = json.loads((repo.path / "build/release/promotion.json").read_text())
    assert saved["promoted"] is False and saved["version"] is None


def test_stale_results_are_refused(repo, tiny_model):
    """A model file that is not the one dvc.lock records is never released."""
    repo.commit_results(0.80)
    (repo.path / "models/model.skops").write_bytes(tiny_model.read_bytes() + b"\0")
    with pytest.raises(PipelineError, match="stale results"):
        promote(repo)
    assert repo.tags() == []


def test_uncommitted_results_are_refused(repo):
    repo.commit_results(0.80)
    (repo.path / "reports/metrics.json").write_text("{}")
    with pytest.raises(PipelineError, match="not committed"):
        promote(repo)


def test_missing_remote_object_is_refused_before_tagging(repo):
    repo.commit_results(0.80)
    with pytest.raises(PipelineError, match="not in the DVC remote: models/model.skops"):
        promote(repo, push=lambda root, required: remote.verify_in_remote(root))
    assert repo.tags() == [] and repo.origin_tags() == []


def test_failing_push_is_refused_before_tagging(repo):
    repo.commit_results(0.80)
    (repo.path.parent / "not-a-dir").write_text("x")
    repo.set_remote(repo.path.parent / "not-a-dir")
    with pytest.raises(PipelineError, match="dvc push failed"):
        promote(repo)
    assert repo.tags() == []


def test_a_held_lock_makes_a_second_promotion_fail_cleanly(repo):
    repo.commit_results(0.80)
    params = repo.path / "params.yaml"
    params.write_text(params.read_text().replace("lock_timeout_s: 600", "lock_timeout_s: 0.3"))
    with promotion.promotion_lock(repo.path, 0), pytest.raises(PipelineError,
                                                              match="another promotion"):
        promote(repo)
    assert repo.tags() == []


def test_two_promotions_at_once_make_one_version(repo):
    repo.commit_results(0.80)
    outcomes, errors = [], []

    def go():
        try:
            outcomes.append(promote(repo))
        except PipelineError as exc:
            errors.append(exc)

    threads = [threading.Thread(target=go) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and sorted(o["promoted"] for o in outcomes) == [False, True]
    assert repo.tags() == ["model#prod#1", "model@v1.0.0"]


def test_rollback_refuses_unknown_malformed_and_deprecated_versions(repo):
    repo.commit_results(0.80)
    promote(repo)
    repo.commit_results(0.85, "better")
    promote(repo)
    with pytest.raises(PipelineError, match="not registered"):
        rollback.rollback("v9.9.9", repo.path)
    for bad in ("1.0.0", "v1.0", "v1.0.0; rm -rf /", "latest"):
        with pytest.raises(PipelineError, match="not of the form"):
            rollback.rollback(bad, repo.path)
    subprocess.run(["gto", "deprecate", "model", "v1.0.0"], cwd=repo.path, check=True,
                   capture_output=True)
    with pytest.raises(PipelineError, match="deprecated"):
        rollback.rollback("v1.0.0", repo.path)
    assert tags.read_state("model", repo.path).in_stage("prod").version == "v1.0.1"


def test_a_version_registered_by_an_interrupted_run_is_completed_not_duplicated(repo):
    """Registered but never assigned (the run stopped in between): promote only assigns prod."""
    repo.commit_results(0.80)
    tags.register("model", "v1.0.0", "registered by hand", repo.path)
    outcome = promote(repo)
    assert outcome["version"] == "v1.0.0"
    assert sorted(repo.tags()) == ["model#prod#1", "model@v1.0.0"]


def test_fetch_and_serve_commands(repo, gate, monkeypatch, capsys):
    monkeypatch.chdir(repo.path)
    repo.commit_results(0.87)
    assert main(["model", "fetch", "prod"]) == 1
    assert "no version of model is in prod" in capsys.readouterr().err
    assert main(["promote"]) == 0
    assert main(["model", "fetch", "prod", "--out", "models/production.skops"]) == 0
    assert (repo.path / "models/production.json").exists()
    assert main(["serve", "--model", "missing.skops"]) == 1
    assert "mlproject model fetch prod" in capsys.readouterr().err


def test_a_merged_change_cannot_loosen_the_gate_of_its_own_promotion(repo, gate, monkeypatch):
    """The rules come from main before the merge (HEAD's first parent), not from the merge."""
    monkeypatch.chdir(repo.path)
    repo.commit_results(0.90)
    assert promotion.promote(repo.path)["promoted"]
    text = (repo.path / "params.yaml").read_text()
    (repo.path / "params.yaml").write_text(text.replace("roc_auc: 0.005", "roc_auc: 1.0"))
    repo.commit_results(0.88, "worse model, looser gate")
    outcome = promotion.promote(repo.path)
    assert not outcome["promoted"] and "roc_auc dropped by 0.02" in outcome["reason"]


def test_rerun_after_an_interrupted_release_rebuilds_the_bundle(repo, monkeypatch):
    """Tagged but the release never made: the re-run creates no tag and rebuilds the bundle."""
    monkeypatch.chdir(repo.path)
    repo.commit_results(0.80)
    promote(repo)
    tags_before = repo.tags()
    import shutil

    shutil.rmtree(repo.path / "build")
    outcome = promote(repo)
    assert not outcome["promoted"] and outcome["reason"].startswith("nothing to do")
    assert repo.tags() == tags_before
    assert (repo.path / "build/release/v1.0.0/release.json").is_file()
    assert ci.release_args(Path("build/release"), "v1.0.0", "model")[0] == "model@v1.0.0"


def test_a_deprecated_version_is_never_promoted_again(repo, monkeypatch):
    monkeypatch.chdir(repo.path)
    repo.commit_results(0.80)
    promote(repo)
    run("gto", "deprecate", "model", "v1.0.0", cwd=repo.path)
    with pytest.raises(PipelineError, match="model@v1.0.0 is deprecated"):
        promote(repo)
