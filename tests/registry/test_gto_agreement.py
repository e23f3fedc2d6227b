"""`mlproject registry show/history` and `gto show/history` agree, whatever the tags say."""

from __future__ import annotations

import json
import os
import subprocess
import time

from gto import api

from mlproject.cli import main
from mlproject.registry import VERSION_RE, tags

from .conftest import gto


def gto_json(repo, *args: str):
    return json.loads(gto(*args, "--json", cwd=repo.path))


def ours(repo, capsys, what: str):
    capsys.readouterr()
    assert main(["registry", what, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def assert_agree(repo, capsys, history: bool = False) -> str | None:
    """Compare production and the versions (and every event); return production."""
    shown = ours(repo, capsys, "show")
    active = [v for v in gto_json(repo, "show", "model") if VERSION_RE.fullmatch(v["version"])]
    in_prod = [v["version"] for v in active if any(s["stage"] == "prod" for s in v["stages"])]
    assert shown["production"] == (in_prod[0] if in_prod else None)
    assert {r["version"] for r in shown["versions"] if not r["deprecated"]} == \
        {v["version"] for v in active}
    if history:  # the history only grows: comparing it once at the end covers every event
        theirs = [(e["event"], e["version"] or "", e["stage"] or "", e["commit"], e["ref"])
                  for e in gto_json(repo, "history", "model", "--ascending")]
        assert [(e["event"], e["version"], e["stage"], e["commit"], e["tag"])
                for e in ours(repo, capsys, "history")] == theirs
        assert len(theirs) == 15  # 3 registrations, 7 assignments, 3 unassignments, 2 deprecations
    return shown["production"]


def next_second(after: int) -> int:
    """Wait for the first whole second after ``after``; return it."""
    while time.time() < after + 1:
        time.sleep(0.05)
    return int(time.time())


def tag_at(repo, name: str, commit: str, when: int) -> None:
    """An annotated tag with a chosen time, as a person or another tool may create one."""
    env = {**os.environ, "GIT_COMMITTER_DATE": f"@{when} +0000"}
    subprocess.run(["git", "tag", "-a", "-m", name, name, commit], cwd=repo.path, env=env,
                   check=True)


def test_show_and_history_agree_with_gto_through_every_kind_of_event(repo, monkeypatch, capsys):
    monkeypatch.chdir(repo.path)
    commits = {}
    for version in ("v1.0.0", "v1.1.0", "v1.2.0"):
        commits[version] = repo.commit(f"model {version}")
        tags.register("model", version, f"Register {version}", repo.path)
        tags.assign(tags.read_state("model", repo.path), "prod", version, "Promote", repo.path)
    assert tags.read_state("model", repo.path).in_stage("prod").version == "v1.2.0"

    api.deregister(str(repo.path), "model", version="v1.2.0")  # = gto deprecate model v1.2.0
    assert assert_agree(repo, capsys) == "v1.1.0"  # production falls back to the version before

    api.unassign(str(repo.path), "model", version="v1.0.0", stage="prod")  # an older version
    assert assert_agree(repo, capsys) == "v1.1.0"

    assert main(["rollback", "v1.0.0"]) == 0
    assert assert_agree(repo, capsys) == "v1.0.0"
    assert main(["rollback", "v1.1.0"]) == 0  # at once: a second later, never the same second
    assert ours(repo, capsys, "show")["production"] == "v1.1.0"
    times = [e.created for e in tags.read_state("model", repo.path).events if e.stage]
    assert times == sorted(times) and times[-3] < times[-2]

    when = next_second(max(times))  # two assignments in the same second, made by hand
    tag_at(repo, "model#prod#20", commits["v1.0.0"], when)
    tag_at(repo, "model#prod#21", commits["v1.1.0"], when)
    # GTO breaks the tie by its own rule (not the higher counter); mlproject follows it
    assert assert_agree(repo, capsys) in ("v1.0.0", "v1.1.0")
    next_second(when)

    api.deprecate(str(repo.path), "model")  # the whole artifact: nothing is in production
    assert assert_agree(repo, capsys, history=True) is None
    everything = {v["version"] for v in gto_json(repo, "show", "model", "--deprecated")}
    assert {r["version"] for r in ours(repo, capsys, "show")["versions"]} == everything
