"""Cells as real DVC experiments, shared through a bare `origin`, summarised, made a branch.

A toy pipeline (one stage whose metric follows its params) keeps this fast; the sweep workflow
runs the project's own pipeline under act (tests/workflows/test_act_sweep.py).
"""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from mlproject.errors import PipelineError
from mlproject.sweep import share
from mlproject.sweep.summary import axis, chart, compose, verdict

TRAIN = """import json, pathlib, sys, yaml
p = yaml.safe_load(open("params.yaml"))["train"]
if p["rate"] < 0:
    sys.exit("rate must be positive")
q = {"roc_auc": round(0.5 + p["rate"] * p["rounds"] / 10, 6), "f1": p["rate"]}
pathlib.Path("reports").mkdir(exist_ok=True)
pathlib.Path("reports/metrics.json").write_text(json.dumps({"model": {"quality": q}}))
"""
DVC_YAML = {"stages": {"train": {"cmd": "python train.py", "deps": ["train.py"],
                                 "params": ["train"],
                                 "metrics": [{"reports/metrics.json": {"cache": False}}]}}}
CELLS = {"s-1": {"train.rate": "0.2"}, "s-2": {"train.rate": "0.3", "train.rounds": "1"},
         "s-3": {"train.rate": "-1"}}
MATRIX = {"include": [{"name": n, "cell": ";".join(f"{k}={v}" for k, v in c.items())}
                      for n, c in CELLS.items()]}


def sh(*cmd: str, cwd: Path) -> str:
    done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    assert done.returncode == 0, f"{' '.join(cmd)}\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture
def origin(tmp_path, monkeypatch) -> Path:
    """A bare `origin` whose main holds the toy pipeline and its recorded results."""
    for var in ("AUTHOR", "COMMITTER"):
        monkeypatch.setenv(f"GIT_{var}_NAME", "Dev")
        monkeypatch.setenv(f"GIT_{var}_EMAIL", "dev@example.invalid")
    monkeypatch.delenv("GIT_TOKEN", raising=False)
    work, bare = tmp_path / "seed", tmp_path / "origin.git"
    work.mkdir()
    (work / "train.py").write_text(TRAIN)
    (work / "params.yaml").write_text(yaml.safe_dump(
        {"train": {"rate": 0.1, "rounds": 3}, "report": {"headline": ["roc_auc", "f1"]}}))
    (work / "dvc.yaml").write_text(yaml.safe_dump(DVC_YAML))
    sh("git", "init", "-q", "-b", "main", cwd=work)
    sh("dvc", "init", "-q", cwd=work)
    sh("dvc", "config", "core.analytics", "false", cwd=work)
    sh("dvc", "repro", "-q", cwd=work)
    sh("git", "add", "-A", cwd=work)
    sh("git", "commit", "-qm", "Toy pipeline", cwd=work)
    sh("git", "clone", "-q", "--bare", str(work), str(bare), cwd=tmp_path)
    return bare


def clone(origin: Path, name: str) -> Path:
    sh("git", "clone", "-q", str(origin), name, cwd=origin.parent)
    return origin.parent / name


@pytest.mark.slow
def test_cells_run_share_summarise_and_the_best_becomes_a_branch(origin, monkeypatch):
    monkeypatch.chdir(clone(origin, "early"))
    with pytest.raises(PipelineError, match="none of the 3 experiments could be fetched"):
        share.pull(list(CELLS))  # before any cell finished
    for name, settings in CELLS.items():  # each cell on its own runner: a fresh clone
        monkeypatch.chdir(clone(origin, f"runner-{name}"))
        if name == "s-3":
            with pytest.raises(PipelineError, match="^experiment s-3 failed"):
                share.run(name, settings)
            continue
        share.run(name, settings)
        share.push(name)
    refs = sh("git", "for-each-ref", "--format=%(refname)", "refs/exps", cwd=origin).split()
    assert sorted(r.rsplit("/", 1)[1] for r in refs) == ["s-1", "s-2"]

    monkeypatch.chdir(clone(origin, "summary"))
    assert share.pull(list(CELLS)) == ["s-3"]
    text = compose(MATRIX, ["roc_auc", "f1"], "main")
    assert text.startswith("## Sweep: 2 of 3 cells finished\n")
    table = [line for line in text.splitlines() if line.startswith("| ")]
    assert "model.quality.roc_auc" in table[0] and "train.rate" in table[0]
    assert [re.search(r"\[(s-\d)\]", row)[1] for row in table[2:] if "[" in row] == ["s-1",
                                                                                     "s-2"]
    assert 'x-axis ["main", "s-1", "s-2"]' in text and "bar [0.5300, 0.5600, 0.5300]" in text
    assert "### Best: `s-1` (roc_auc 0.5600; `train.rate=0.2`)\n\nIt beats `main` (roc_auc " \
           "0.5300)." in text
    assert "- `s-3` (`train.rate=-1`)" in text

    commands = re.search(r"```bash\n(.*?)```", text, re.S)[1].splitlines()
    gh = next(i for i, line in enumerate(commands) if line.startswith("gh pr create"))
    assert commands[gh].startswith("gh pr create --base main --head s-1-best ")
    mine = clone(origin, "laptop")  # what a person does with the summary
    for line in commands[:gh]:
        sh("bash", "-c", line, cwd=mine)
    pushed = sh("git", "show", "s-1-best:params.yaml", cwd=origin)
    assert yaml.safe_load(pushed)["train"] == {"rate": 0.2, "rounds": 3}


def test_the_token_reaches_git_only_through_a_throwaway_config(monkeypatch):
    """dulwich, which DVC uses for git remotes, sends it as basic auth; nothing else sees it."""
    from dulwich.client import get_transport_and_path
    from dulwich.config import StackedConfig

    monkeypatch.setenv("GIT_TOKEN", "t0ken")
    with share.git_auth("t0ken", "https://github.example") as env:
        config = Path(env["GIT_CONFIG_GLOBAL"])
        assert "GIT_TOKEN" not in env and oct(config.stat().st_mode & 0o777) == "0o600"
        monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
        client, _ = get_transport_and_path("https://github.example/acme/mlci",
                                           config=StackedConfig.default())
        header = base64.b64encode(b"x-access-token:t0ken").decode()
        assert client.pool_manager.headers["AUTHORIZATION"] == f"basic {header}"
    assert not config.exists()
    with share.git_auth(None, "https://github.example") as env:
        assert "GIT_CONFIG_GLOBAL" not in env or env["GIT_CONFIG_GLOBAL"] == os.environ.get(
            "GIT_CONFIG_GLOBAL")
    with pytest.raises(PipelineError, match="GITHUB_SERVER_URL"), \
            share.git_auth("t0ken", 'https://x"\n[core]'):
        pass


def test_the_chart_axis_is_round_and_shows_the_differences():
    assert axis([0.9094, 0.9265]) == (0.9, 0.929)
    low, high = axis([0.5, 0.5])
    assert low < 0.5 < high <= 1
    assert axis([0.99, 1.0])[1] == 1.0 and axis([0.0, 0.02])[0] == 0.0
    assert axis([120.0, 80.0]) == (60.0, 130.0)
    block = chart("log_loss", [("main", 0.3), ("s-1", 0.25)], "lower")
    assert block.splitlines()[2:4] == ["xychart-beta",
                                       '  title "log_loss per cell (lower is better)"']
    assert "  bar [0.3000, 0.2500]" in block


def test_the_verdict_says_whether_the_best_cell_beats_the_baseline():
    assert verdict("log_loss", True, ("s-1", 0.25), 0.3, "main").startswith("It beats `main`")
    assert verdict("roc_auc", False, ("s-1", 0.8), 0.9, "main").startswith(
        "No cell beats `main` (roc_auc 0.9000)")
    assert verdict("roc_auc", False, ("s-1", 0.8), None, "main") == ""


def test_the_summary_refuses_a_tampered_plan():
    bad = {"include": [{"name": "s-1", "cell": "train.rate=1';rm -rf ~'"}]}
    with pytest.raises(PipelineError, match="cell: "):
        compose(bad, ["roc_auc"], "main")
    with pytest.raises(PipelineError, match="no valid cell names"):
        compose({"include": [{"name": "../x", "cell": "a=1"}]}, ["roc_auc"], "main")
    with pytest.raises(PipelineError, match="report.headline"):
        compose(MATRIX, ["roc auc"], "main")
    assert json.dumps(MATRIX)  # the shape plan prints
