"""Promotion keyed on the model file: identical bytes, rollbacks that stick, only main's tip,
and the gate's rules from main before the push (merge, squash and rebase merges)."""

from __future__ import annotations

import json

import pytest

from mlproject.cli import main
from mlproject.registry import promote as promotion
from mlproject.registry import rollback, tags

from .conftest import fake_judge, gto, run


def promote(repo, **kwargs):
    return promotion.promote(repo.path, judge=kwargs.pop("judge", fake_judge()), **kwargs)


def prod(repo) -> str | None:
    found = tags.read_state("model", repo.path).in_stage("prod")
    return found.version if found else None


@pytest.fixture
def two_versions(repo):
    """v1.0.0 (model variant 0, ROC AUC 0.80) then v1.0.1 (variant 1, 0.85), in prod."""
    repo.commit_results(0.80)
    promote(repo)
    repo.commit_results(0.85, "retrain", variant=1)
    promote(repo)
    assert prod(repo) == "v1.0.1"
    return repo


def test_a_merge_that_keeps_production_bytes_is_nothing_to_promote(two_versions, monkeypatch,
                                                                   capsys, judge):
    """A README-only merge: exit 0, no tag, no bundle, no release, said why."""
    repo = two_versions
    monkeypatch.chdir(repo.path)
    before = repo.tags()
    repo.commit("Describe the project", files={"README.md": "# project\n"})
    capsys.readouterr()
    assert main(["promote"]) == 0
    assert "nothing to promote: the model file is model@v1.0.1's, which is in prod" \
        in capsys.readouterr().out
    assert repo.tags() == before
    saved = json.loads((repo.path / "build/release/promotion.json").read_text())
    assert saved["status"] == "nothing" and saved["version"] is None and saved["release"] is None


def test_bytes_of_an_earlier_version_reuse_it(two_versions):
    """A revert to v1.0.0's model: prod moves back to v1.0.0 by one new stage tag, no version."""
    repo = two_versions
    repo.commit_results(0.86, "revert to the first model", variant=0)
    outcome = promote(repo, judge=fake_judge(min_gain=-1))
    assert outcome.status == "reused" and outcome.production == "v1.0.0"
    assert outcome.tags == ["model#prod#3"] and outcome.version is None  # v1.0.0 has a release
    assert prod(repo) == "v1.0.0" and "model@v1.0.2" not in repo.tags()
    assert gto("show", "model#prod", "--ref", cwd=repo.path).strip() == "model@v1.0.0"


def test_bytes_of_a_deprecated_version_need_force(two_versions, monkeypatch, capsys, judge):
    repo = two_versions
    monkeypatch.chdir(repo.path)
    gto("deprecate", "model", "v1.0.1", cwd=repo.path)
    run("git", "push", "-q", "origin", "--tags", cwd=repo.path)
    assert prod(repo) == "v1.0.0"  # GTO: production falls back to the version before
    repo.commit("Describe the project", files={"README.md": "# project\n"})
    capsys.readouterr()
    assert main(["promote"]) == 1
    out = capsys.readouterr().out
    assert "the model file is model@v1.0.1's and it is deprecated; promote it anyway with " \
        "--force" in out
    assert "model@v1.0.2" not in repo.tags()
    assert main(["promote", "--force"]) == 0  # a new version for the bytes, gated as usual
    assert prod(repo) == "v1.0.2"


def test_a_rollback_sticks_until_a_new_model_passes_against_the_rolled_back_to_one(
        two_versions, monkeypatch, capsys, judge):
    """After a rollback neither a README merge nor a params-only merge (both still v1.0.1's
    bytes) moves prod; a new model is gated against v1.0.0; --force re-uses v1.0.1."""
    repo = two_versions
    monkeypatch.chdir(repo.path)
    assert rollback.rollback("v1.0.0", repo.path) == ["model#prod#3", "model#prod!#4"]
    created = set(repo.tags())
    params = (repo.path / "params.yaml").read_text()
    for files, message in (({"README.md": "# project\n"}, "README only"),
                           ({"params.yaml": params.replace("lock_timeout_s: 600",
                                                           "lock_timeout_s: 601")},
                            "a params change the model does not see")):
        repo.commit(message, files=files)
        capsys.readouterr()
        assert main(["promote"]) == 1
        assert "prod was rolled back from it" in capsys.readouterr().out
        assert set(repo.tags()) == created and prod(repo) == "v1.0.0"
    repo.commit_results(0.79, "a new model, worse than the rolled-back-to one", variant=2)
    outcome = promote(repo)
    assert outcome.status == "refused"
    assert "roc_auc −0.0100, allowed −0.0050" in outcome.reason
    repo.commit_results(0.82, "a new model, better than v1.0.0", variant=3)
    assert promote(repo).status == "promoted" and prod(repo) == "v1.0.2"
    repo.commit_results(0.85, "back to the withdrawn model", variant=1)
    assert promote(repo).status == "refused"
    outcome = promote(repo, force=True)
    assert outcome.status == "reused" and prod(repo) == "v1.0.1"


def test_rerunning_an_older_commit_is_refused_as_not_the_tip(repo, monkeypatch, capsys, judge):
    """A's promotion failed, B was promoted; re-running A's job changes nothing, exit 1."""
    a = repo.commit_results(0.80, "A", variant=0)
    repo.commit_results(0.85, "B", variant=1)
    assert promote(repo).status == "promoted"
    run("git", "checkout", "-q", "--detach", a, cwd=repo.path)
    monkeypatch.chdir(repo.path)
    capsys.readouterr()
    assert main(["promote"]) == 1
    out = capsys.readouterr().out
    assert f"{a[:8]} is not the tip of main on origin" in out and "only the tip promotes" in out
    saved = json.loads((repo.path / "build/release/promotion.json").read_text())
    assert saved["status"] == "superseded" and prod(repo) == "v1.0.0"
    assert sorted(repo.tags()) == ["model#prod#1", "model@v1.0.0"]


def test_without_credentials_the_fetched_branch_stands_in_for_the_remote(repo, capsys):
    """`git ls-remote` fails (a private repository, no token in this step): the tip is the
    remote-tracking branch the checkout fetched."""
    a = repo.commit_results(0.80, "A")
    b = repo.commit_results(0.85, "B", variant=1)
    run("git", "remote", "set-url", "origin", str(repo.path.parent / "unreachable.git"),
        cwd=repo.path)
    run("git", "checkout", "-q", "--detach", a, cwd=repo.path)
    assert promote(repo, push_tags=False).status == "superseded"
    assert "cannot ask origin for main" in capsys.readouterr().out
    run("git", "checkout", "-q", b, cwd=repo.path)
    assert promote(repo, push_tags=False).status == "promoted"


def test_a_clone_without_origin_checks_the_ancestry_only(repo, capsys):
    repo.commit_results(0.80)
    run("git", "remote", "remove", "origin", cwd=repo.path)
    outcome = promote(repo)
    assert outcome.status == "promoted" and repo.tags() == ["model#prod#1", "model@v1.0.0"]
    printed = capsys.readouterr().out
    assert "no git remote 'origin': the tip of main is not checked" in printed
    assert "no git remote 'origin'; tags stay local" in printed


def test_a_tip_that_does_not_descend_from_production_is_refused(repo):
    repo.commit_results(0.80)
    run("git", "checkout", "-q", "-b", "side", cwd=repo.path)
    repo.commit_results(0.83, "an experiment", variant=1, push=False)
    tags.register("model", "v1.0.0", "registered from a branch by hand", repo.path)
    tags.assign(tags.read_state("model", repo.path), "prod", "v1.0.0", "by hand", repo.path)
    run("git", "checkout", "-q", "main", cwd=repo.path)
    outcome = promote(repo)
    assert outcome.status == "refused" and "does not descend from model@v1.0.0" in outcome.reason


def _merge(repo, kind: str) -> str:
    """Merge branch `pr` into main the way GitHub's button `kind` does; push; return before."""
    run("git", "checkout", "-q", "main", cwd=repo.path)
    before = repo.head()
    if kind == "merge":
        run("git", "merge", "-q", "--no-ff", "-m", "Merge pull request #1", "pr", cwd=repo.path)
    elif kind == "squash":
        run("git", "merge", "-q", "--squash", "pr", cwd=repo.path)
        run("git", "commit", "-q", "-m", "Loosen the gate and retrain (#1)", cwd=repo.path)
    else:  # rebase: the PR's commits replayed on main; HEAD^1 is the PR's own first commit
        run("git", "rebase", "-q", "pr", cwd=repo.path)
    run("git", "push", "-q", "origin", "main", cwd=repo.path)
    return before


@pytest.mark.parametrize("kind", ["merge", "squash", "rebase"])
def test_the_rules_come_from_main_before_the_push(repo, kind):
    """Whatever the merge method, the gate's rules are read at the push event's `before`."""
    repo.commit_results(0.80)
    promote(repo)
    repo.commit("A README commit on main after production", files={"README.md": "# p\n"})
    run("git", "checkout", "-q", "-b", "pr", cwd=repo.path)
    repo.commit("The pull request's first commit", push=False, files={"README.md": "# pr\n"})
    repo.commit_results(0.81, "Retrain", variant=1, push=False)
    before = _merge(repo, kind)
    asked: list[str] = []
    assert promote(repo, judge=fake_judge(asked=asked), before=before).status == "promoted"
    assert asked == [before]


def test_without_before_the_rules_production_was_promoted_under_apply(repo):
    """A first push (before = 000…) or a manual run: the rules at production's commit."""
    first = repo.commit_results(0.80)
    asked: list[str] = []
    promote(repo, judge=fake_judge(asked=asked), before="0" * 40)
    repo.commit_results(0.81, "Retrain", variant=1)
    promote(repo, judge=fake_judge(asked=asked))
    assert asked == [first, first]  # no production yet: HEAD's own; then production's


def test_a_malformed_before_is_refused(repo, monkeypatch, capsys, judge):
    monkeypatch.chdir(repo.path)
    repo.commit_results(0.80)
    assert main(["promote", "--before", "HEAD~1; touch pwned"]) == 1
    assert "expected a full 40-hex commit hash" in capsys.readouterr().out
    with pytest.raises(SystemExit):  # argparse: true or false only
        main(["promote", "--force", "maybe"])


def test_a_rebase_merge_cannot_loosen_its_own_gate(repo, judge, monkeypatch):
    """The PR's first commit loosens max_drop, its second is worse; HEAD^1 would be the
    loosened rules, `before` is main's: refused (the stand-in judge reads the rules there)."""
    monkeypatch.chdir(repo.path)
    repo.commit_results(0.90)
    assert promotion.promote(repo.path).status == "promoted"
    run("git", "checkout", "-q", "-b", "pr", cwd=repo.path)
    params = (repo.path / "params.yaml").read_text()
    assert "roc_auc: 0.005" in params
    repo.commit("Loosen the gate", push=False,
                files={"params.yaml": params.replace("roc_auc: 0.005", "roc_auc: 1.0")})
    repo.commit_results(0.88, "A worse model", variant=1, push=False)
    before = _merge(repo, "rebase")
    outcome = promotion.promote(repo.path, before=before)
    assert outcome.status == "refused"
    assert "roc_auc −0.0200, allowed −0.0050" in outcome.reason
