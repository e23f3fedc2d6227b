"""promote, rollback, show and history against throwaway git+DVC repositories."""

from __future__ import annotations

import json
import shutil
import threading
from pathlib import Path

import pytest
import yaml

from mlproject import ci
from mlproject.cli import main
from mlproject.errors import PipelineError
from mlproject.registry import promote as promotion
from mlproject.registry import remote, rollback, tags

from .conftest import fake_judge, gto, run, synthetic_rows


def promote(repo, **kwargs):
    return promotion.promote(repo.path, judge=kwargs.pop("judge", fake_judge()), **kwargs)


def test_promote_show_rollback_history_end_to_end(repo, judge, monkeypatch, capsys):
    """The maintainer's path: two promotions, a rollback, and GTO reads every tag the same way."""
    monkeypatch.chdir(repo.path)
    first = repo.commit_results(0.87)  # above the gate floor
    assert main(["promote"]) == 0
    repo.commit_results(0.90, "better model", variant=1, name="random_forest")
    assert main(["promote"]) == 0
    assert set(repo.origin_tags()) == {"model@v1.0.0", "model#prod#1", "model@v1.1.0",
                                       "model#prod#2"}
    capsys.readouterr()
    assert main(["registry", "show"]) == 0
    shown = capsys.readouterr().out
    assert "prod = v1.1.0" in shown and "0.9000" in shown and first[:8] in shown

    assert main(["rollback", "v1.0.0"]) == 0
    assert {"model#prod#3", "model#prod!#4"} <= set(repo.origin_tags())
    capsys.readouterr()
    assert main(["registry", "show", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["production"] == "v1.0.0"
    assert [v["rolled_back_from"] for v in shown["versions"]] == [True, False]
    assert main(["registry", "history"]) == 0
    history = capsys.readouterr().out
    assert history.count("registration") == 2 and history.count(" assignment") == 3
    assert history.count("unassignment") == 1
    # GTO itself agrees on what each tag means
    assert gto("check-ref", "model#prod#3", "--version", cwd=repo.path).strip() == "v1.0.0"
    assert gto("show", "model#prod", "--ref", cwd=repo.path).strip() == "model@v1.0.0"


def test_release_bundle_has_everything_a_release_carries(repo, monkeypatch):
    """Model file, metadata, card, metrics and dvc.lock, plus the exact gh arguments."""
    monkeypatch.chdir(repo.path)
    holdout = repo.path / "artifacts/prepared/holdout.parquet"  # what the ONNX file is held to
    holdout.parent.mkdir(parents=True)
    synthetic_rows(None, 200, seed=5).to_parquet(holdout)
    commit = repo.commit_results(0.80)
    outcome = promote(repo)
    bundle = repo.path / "build/release/v1.0.0"
    assert outcome.status == "promoted" and outcome.version == "v1.0.0"
    names = {p.name for p in bundle.iterdir()}
    assert {"model.skops", "model.json", "model_card.md", "metrics.json", "dvc.lock",
            "model.onnx", "release.json"} <= names
    release = json.loads((bundle / "release.json").read_text())
    assert release["tag"] == "model@v1.0.0" and release["commit"] == commit
    # the release command reads exactly this file and validates every value
    args = ci.release_args(Path("build/release"), "v1.0.0", "model")
    assert args[:5] == ["model@v1.0.0", "--title", "model v1.0.0", "--target", commit]
    assert args[args.index("--") + 1:] == [f"build/release/v1.0.0/{n}" for n in (
        "model.skops", "model.json", "model_card.md", "metrics.json", "dvc.lock", "model.onnx")]
    shipped = "model.onnx: the same predictions as the Python model on 200 holdout rows"
    assert release["portable"].startswith(shipped) and outcome.portable == release["portable"]
    assert json.loads((bundle / "metrics.json").read_text())["portable"]["shipped"] is True
    card = (bundle / "model_card.md").read_text()
    assert "$" not in card.replace("```bash", "") and "## Intended use and limits" in card
    assert "| Portable model | `model.onnx` (ONNX, for applications not written in Python): " \
           "the same predictions as the Python model on 200 holdout rows" in card
    assert "| `model_size_bytes` | 1,000 | 500 | – |" in card
    min_rows = repo_rules(repo).slices.min_class_rows  # 20: plan=pro has 2 of a class
    assert "| `plan=basic` | 100 | yes |" in card
    assert f"| `plan=pro` | 12 | no (fewer than {min_rows} of a class) |" in card
    saved = json.loads((repo.path / "build/release/promotion.json").read_text())
    assert saved["promoted"] is True and saved["tags"] == ["model@v1.0.0", "model#prod#1"]


def repo_rules(repo):
    from mlproject.gate.rules import load_rules

    return load_rules(yaml.safe_load((repo.path / "params.yaml").read_text()))


def test_bump_rule_patch_minor_major(repo):
    """Same model type and data: patch; --major: major; another model type or data: minor."""
    repo.commit_results(0.80)
    promote(repo)
    repo.commit_results(0.81, "retrain", variant=1)
    assert promote(repo).version == "v1.0.1"
    repo.commit_results(0.82, "breaking", variant=2)
    assert promote(repo, major=True).version == "v2.0.0"
    repo.commit_results(0.83, "new type", variant=3, name="random_forest")
    assert promote(repo).version == "v2.1.0"


def test_the_data_version_comes_from_data_dvc_not_from_the_training_table(repo):
    """New data in data.dvc is a minor bump; other training-table bytes alone are not."""
    repo.track_data("age,label\n30,yes\n")
    repo.commit_results(0.80)
    promote(repo)
    before = json.loads((repo.path / "models/model.json").read_text())["data_md5"]
    repo.commit_results(0.81, "a new Parquet writer: other table bytes", variant=1,
                        meta={"data_md5": "f" * 32})
    assert before != "f" * 32 and promote(repo).version == "v1.0.1"
    repo.track_data("age,label\n30,yes\n41,no\n")
    repo.commit_results(0.82, "retrain on the new data", variant=2, meta={"data_md5": "f" * 32})
    assert promote(repo).version == "v1.1.0"


def test_a_rerun_on_the_same_commit_creates_nothing_and_exits_0(repo, monkeypatch, capsys, judge):
    monkeypatch.chdir(repo.path)
    repo.commit_results(0.87)
    assert main(["promote"]) == 0
    before, origin = repo.tags(), repo.origin_tags()
    capsys.readouterr()
    assert main(["promote"]) == 0
    assert repo.tags() == before and repo.origin_tags() == origin
    assert "promote: nothing to promote: the model file is model@v1.0.0's" in \
        capsys.readouterr().out
    saved = json.loads((repo.path / "build/release/promotion.json").read_text())
    assert saved["status"] == "nothing" and saved["tags"] == []


def test_no_push_leaves_the_tags_for_push_tags(repo, monkeypatch, capsys, judge):
    """--no-push: CI's checkout holds no credentials; `mlproject push-tags` pushes them later."""
    monkeypatch.chdir(repo.path)
    repo.commit_results(0.87)
    assert main(["promote", "--no-push"]) == 0
    assert repo.tags() == ["model#prod#1", "model@v1.0.0"] and repo.origin_tags() == []
    assert main(["push-tags"]) == 0
    assert repo.origin_tags() == repo.tags()
    capsys.readouterr()
    assert main(["push-tags"]) == 0 and "no registry tags to push" in capsys.readouterr().out
    repo.commit_results(0.90, "better model", variant=1, name="random_forest")
    assert main(["promote", "--no-push"]) == 0
    assert main(["rollback", "v1.0.0", "--no-push"]) == 0
    pending = json.loads((repo.path / "build/release/pending-tags.json").read_text())["tags"]
    assert pending == ["model@v1.1.0", "model#prod#2", "model#prod#3", "model#prod!#4"]
    assert sorted(repo.origin_tags()) == ["model#prod#1", "model@v1.0.0"]
    assert main(["push-tags"]) == 0 and sorted(repo.origin_tags()) == sorted(repo.tags())


def test_tags_are_pushed_atomically_or_not_at_all(repo):
    """origin refuses one tag of a promotion: neither is pushed, and the local ones are removed."""
    repo.commit_results(0.80)
    promote(repo)
    run("git", "tag", "model#prod#2", "main", cwd=repo.origin)  # someone else's tag, same name
    repo.commit_results(0.85, "better", variant=1)
    outcome = promote(repo)
    assert outcome.status == "refused" and "git push" in outcome.reason
    assert "model@v1.0.1" not in repo.origin_tags() and "model@v1.0.1" not in repo.tags()


def test_push_tags_refuses_names_that_are_not_local_tags(repo, monkeypatch, capsys):
    monkeypatch.chdir(repo.path)
    (repo.path / "build/release").mkdir(parents=True)
    (repo.path / "build/release/pending-tags.json").write_text('{"tags": ["--mirror"]}')
    assert main(["push-tags"]) == 1
    assert "'--mirror' is not a local tag" in capsys.readouterr().err


def test_worse_candidate_is_refused_and_says_why(repo, monkeypatch, capsys):
    monkeypatch.chdir(repo.path)
    repo.commit_results(0.80)
    promote(repo)
    repo.commit_results(0.70, "worse", variant=1)
    outcome = promote(repo)
    assert outcome.status == "refused" and repo.tags() == ["model#prod#1", "model@v1.0.0"]
    assert "the gate failed against production v1.0.0" in outcome.reason
    assert "roc_auc −0.1000, allowed −0.0050" in capsys.readouterr().out
    saved = json.loads((repo.path / "build/release/promotion.json").read_text())
    assert saved["promoted"] is False and saved["version"] is None
    assert saved["production"] == "v1.0.0"


def test_stale_model_file_is_refused(repo, tiny_model):
    """A model file that is not the one dvc.lock records is never released."""
    repo.commit_results(0.80)
    (repo.path / "models/model.skops").write_bytes(tiny_model.read_bytes() + b"\0")
    outcome = promote(repo)
    assert outcome.status == "refused" and "stale results" in outcome.reason
    assert repo.tags() == []


def test_a_stale_dvc_lock_is_refused_with_the_reason(repo):
    """`dvc status` must be clean: a pipeline change without a new dvc.lock is a refusal."""
    repo.commit_results(0.80)
    text = (repo.path / "dvc.yaml").read_text().replace('cmd: "true"', "cmd: echo retrained")
    repo.commit("Change the training command, forget dvc repro", files={"dvc.yaml": text})
    outcome = promote(repo)
    assert outcome.status == "refused" and repo.tags() == []
    assert "stale dvc.lock: `dvc status` is not clean (train: changed command)" in outcome.reason


def test_data_that_data_dvc_does_not_record_is_a_stale_dvc_lock(repo):
    repo.track_data("age,label\n30,yes\n")
    repo.commit_results(0.80)
    (repo.path / "data/rows.csv").write_text("age,label\n30,no\n")
    outcome = promote(repo)
    assert outcome.status == "refused" and repo.tags() == []
    assert "(data.dvc: changed outs data modified)" in outcome.reason


def test_uncommitted_results_are_refused(repo):
    repo.commit_results(0.80)
    (repo.path / "reports/metrics.json").write_text("{}")
    outcome = promote(repo)
    assert outcome.status == "refused" and "not committed" in outcome.reason


def test_missing_remote_object_is_refused_before_tagging(repo):
    repo.commit_results(0.80)
    outcome = promote(repo, push=lambda root, required: remote.verify_in_remote(root))
    assert "not in the DVC remote: models/model.skops" in outcome.reason
    assert repo.tags() == [] and repo.origin_tags() == []


def test_failing_push_is_refused_before_tagging(repo):
    repo.commit_results(0.80)
    (repo.path.parent / "not-a-dir").write_text("x")
    repo.set_remote(repo.path.parent / "not-a-dir")
    repo.commit("Point the DVC remote at a file")
    assert "dvc push failed" in promote(repo).reason
    assert repo.tags() == []


def test_a_held_lock_makes_a_second_promotion_fail_cleanly(repo):
    params = repo.path / "params.yaml"
    params.write_text(params.read_text().replace("lock_timeout_s: 600", "lock_timeout_s: 0.3"))
    repo.commit_results(0.80)
    with promotion.promotion_lock(repo.path, 0):
        outcome = promote(repo)
    assert outcome.status == "refused" and "another promotion" in outcome.reason
    assert repo.tags() == []


def test_two_promotions_at_once_make_one_version(repo):
    repo.commit_results(0.80)
    outcomes = []
    threads = [threading.Thread(target=lambda: outcomes.append(promote(repo))) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(o.status for o in outcomes) == ["nothing", "promoted"]
    assert repo.tags() == ["model#prod#1", "model@v1.0.0"]


def test_rollback_refuses_unknown_malformed_and_deprecated_versions(repo):
    repo.commit_results(0.80)
    promote(repo)
    repo.commit_results(0.85, "better", variant=1)
    promote(repo)
    with pytest.raises(PipelineError, match="not registered"):
        rollback.rollback("v9.9.9", repo.path)
    for bad in ("1.0.0", "v1.0", "v1.0.0; rm -rf /", "latest"):
        with pytest.raises(PipelineError, match="not of the form"):
            rollback.rollback(bad, repo.path)
    gto("deprecate", "model", "v1.0.0", cwd=repo.path)
    with pytest.raises(PipelineError, match="deprecated"):
        rollback.rollback("v1.0.0", repo.path)
    assert tags.read_state("model", repo.path).in_stage("prod").version == "v1.0.1"


def test_a_version_registered_by_an_interrupted_run_is_completed_not_duplicated(repo):
    """Registered but never assigned (the run stopped in between): promote only assigns prod."""
    repo.commit_results(0.80)
    tags.register("model", "v1.0.0", "registered by hand", repo.path)
    outcome = promote(repo)
    assert outcome.status == "reused" and outcome.production == "v1.0.0"
    assert outcome.version == "v1.0.0"  # its bundle is written: the release is still to make
    assert sorted(repo.tags()) == ["model#prod#1", "model@v1.0.0"]


def test_fetch_and_serve_commands(repo, judge, monkeypatch, capsys):
    monkeypatch.chdir(repo.path)
    repo.commit_results(0.87)
    assert main(["model", "fetch", "prod"]) == 1
    assert "no version of model is in prod" in capsys.readouterr().err
    assert main(["promote"]) == 0
    assert main(["model", "fetch", "prod", "--out", "models/production.skops"]) == 0
    assert (repo.path / "models/production.json").exists()
    assert main(["serve", "--model", "missing.skops"]) == 1
    assert "mlproject model fetch prod" in capsys.readouterr().err


def test_rerun_after_an_interrupted_release_rebuilds_the_bundle(repo, monkeypatch):
    """Tagged but the release never made: the re-run creates no tag and rebuilds the bundle."""
    monkeypatch.chdir(repo.path)
    repo.commit_results(0.80)
    promote(repo)
    tags_before = repo.tags()
    shutil.rmtree(repo.path / "build")
    outcome = promote(repo)
    assert outcome.status == "nothing" and outcome.version == "v1.0.0"
    assert repo.tags() == tags_before
    assert (repo.path / "build/release/v1.0.0/release.json").is_file()
    assert ci.release_args(Path("build/release"), "v1.0.0", "model")[0] == "model@v1.0.0"
    # this repository has no holdout: the release says why it has no ONNX file
    assert outcome.portable.startswith("model.onnx skipped: no holdout")
    assert not (repo.path / "build/release/v1.0.0/model.onnx").exists()
