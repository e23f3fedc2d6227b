"""A sweep's grid: what it accepts, what it refuses (one line naming the problem), its cells."""

from __future__ import annotations

import json
import subprocess

import pytest
import yaml

from mlproject.errors import PipelineError
from mlproject.sweep import grid

PARAMS = {"train": {"seed": 1, "model": {"name": "forest", "params": {"rate": 0.1, "deep": True,
                                                                       "depth": None}}},
          "gate": {"min": {"auc": 0.8}}, "sweep": {"max_cells": 4}}
DVC_YAML = {"stages": {"train": {"cmd": "train", "params": ["train"]},
                       "other": {"cmd": "x", "params": [{"params.yaml": ["gate.min"]}]}}}


def plan(text: str, params: dict = PARAMS) -> list[dict]:
    return grid.plan(text, "s-7", params, DVC_YAML)["include"]


def test_a_grid_becomes_every_combination_in_order():
    cells = plan("train.model.params.rate=0.05,1e-3 ; train.seed=1,2")
    assert [c["name"] for c in cells] == ["s-7-1", "s-7-2", "s-7-3", "s-7-4"]
    assert [c["cell"] for c in cells] == [
        "train.model.params.rate=0.05;train.seed=1", "train.model.params.rate=0.05;train.seed=2",
        "train.model.params.rate=1e-3;train.seed=1", "train.model.params.rate=1e-3;train.seed=2"]


@pytest.mark.parametrize("text", [
    "train.model.name=boost,tree_2", "train.model.params.deep=true,false",
    "train.model.params.depth=3,null", "train.model.params.rate=null", "train.model.name=7",
    "train.model.params.rate=-0.5,.5", "gate.min.auc=0.7"])
def test_plain_values_of_the_right_kind_are_accepted(text):
    assert plan(text)


@pytest.mark.parametrize(("text", "message"), [
    ("", "grid: empty; expected key=value1,value2"),
    ("train.seed", "grid: 'train.seed' is not key=value1,value2"),
    ("train seed=1", "is not key=value1,value2"),
    ("train.seed=1;train.seed=2", "grid: train.seed appears twice"),
    ("train.seed=1,1", "grid: train.seed: a value appears twice"),
    ("train.seed=1,", "grid: train.seed: '' is not a plain value"),
    ("train.seed=$(id)", "grid: train.seed: '$(id)' is not a plain value"),
    ("train.seed=1 2", "grid: train.seed: '1 2' is not a plain value"),
    ("train.seed='1'", "is not a plain value"),
    ("train.model.name=a;b", "grid: 'b' is not key=value1,value2"),
    ("train.lr=0.1", "grid: train.lr: not a key in params.yaml"),
    ("train.model.params=1", "grid: train.model.params: holds a dict"),
    ("sweep.max_cells=2", "grid: sweep.max_cells: no stage in dvc.yaml reads it"),
    ("gate.max=1", "grid: gate.max: not a key in params.yaml"),
    ("train.seed=abc", "grid: train.seed: 'abc' is not a number like the current value 1"),
    ("train.model.params.deep=1", "'1' is not a true/false like the current value True"),
    ("train.model.params.deep=yes", "grid: train.model.params.deep: 'yes' is ambiguous"),
    ("train.model.params.rate=inf", "'inf' is ambiguous"),
    ("train.model.params.rate=0x10", "'0x10' is ambiguous"),
    ("train.model.params.rate=+1", "'+1' is ambiguous"),
    ("train.model.name=True", "'True' is ambiguous"),
    ("train.seed=1,2,3;train.model.params.rate=1,2", "grid: 6 cells, more than "
                                                     "sweep.max_cells (4) in params.yaml allows"),
    ("train.seed=" + ",".join(map(str, range(600))), "grid: longer than 2000 characters"),
])
def test_bad_grids_fail_naming_the_problem(text, message):
    with pytest.raises(PipelineError) as err:
        plan(text)
    assert message in str(err.value) and "\n" not in str(err.value)


@pytest.mark.parametrize(("section", "message"), [
    ({"max_cells": 0}, "sweep.max_cells: expected a whole number from 1 to 256, got 0"),
    ({"max_cells": 300}, "got 300"), ({"max_cells": "4"}, "got '4'"),
    ({"max_cells": True}, "got True"),
    ({"cells": 4}, "sweep.cells: unknown key; the only key is max_cells")])
def test_the_cap_itself_is_checked(section, message):
    with pytest.raises(PipelineError, match=message):
        plan("train.seed=1", {**PARAMS, "sweep": section})


def test_the_cap_defaults_to_16():
    params = {k: v for k, v in PARAMS.items() if k != "sweep"}
    assert grid.max_cells(params) == 16
    assert len(plan("train.seed=" + ",".join(map(str, range(16))), params)) == 16


@pytest.mark.parametrize("prefix", ["", "-x", "a b", "a/b", "x" * 37, "a;b"])
def test_the_name_prefix_is_plain_and_short(prefix):
    with pytest.raises(PipelineError, match="--name: .* is not a plain name"):
        grid.plan("train.seed=1", prefix, PARAMS, DVC_YAML)


def test_a_cell_is_checked_again_and_holds_one_value_per_key():
    assert grid.one_cell("s-1", "train.seed=2;train.model.name=tree", PARAMS, DVC_YAML) == {
        "train.seed": "2", "train.model.name": "tree"}
    with pytest.raises(PipelineError, match="^cell: one value per key$"):
        grid.one_cell("s-1", "train.seed=2,3", PARAMS, DVC_YAML)
    with pytest.raises(PipelineError, match="^cell: train.lr: not a key"):
        grid.one_cell("s-1", "train.lr=2", PARAMS, DVC_YAML)
    with pytest.raises(PipelineError, match="^--name: "):
        grid.one_cell("../x", "train.seed=2", PARAMS, DVC_YAML)


def test_the_projects_own_params_and_pipeline_accept_a_grid_of_their_keys(root):
    """Any scalar under a section a stage reads can be swept, whatever the data."""
    params = yaml.safe_load((root / "params.yaml").read_text())
    dvc_yaml = yaml.safe_load((root / "dvc.yaml").read_text())
    section = next(k for k in grid.read_by_pipeline(dvc_yaml)
                   if "." not in k and isinstance(params.get(k), dict))
    key, value = next((k, v) for k, v in params[section].items()
                      if isinstance(v, int | float) and not isinstance(v, bool))
    text = f"{section}.{key}={value},{value + 1}"
    cells = grid.plan(text, "s-1", params, dvc_yaml)["include"]
    assert len(cells) == 2 and grid.max_cells(params) >= 2


def test_the_cli_prints_the_matrix_or_one_error_line(root):
    params = yaml.safe_load((root / "params.yaml").read_text())
    key = "train.seed" if isinstance(params.get("train", {}).get("seed"), int) else None
    if key is None:
        pytest.skip("params.yaml has no train.seed")
    ok = subprocess.run(["mlproject", "sweep", "plan", "--grid", f"{key}=1,2", "--name", "s-3"],
                        cwd=root, capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout) == {"include": [{"name": "s-3-1", "cell": f"{key}=1"},
                                                 {"name": "s-3-2", "cell": f"{key}=2"}]}
    bad = subprocess.run(["mlproject", "sweep", "plan", "--grid", f"{key}=a b", "--name", "s"],
                         cwd=root, capture_output=True, text=True)
    assert bad.returncode == 1 and bad.stdout == ""
    assert bad.stderr.startswith("error: grid: ") and bad.stderr.count("\n") == 1
    missing = subprocess.run(["mlproject", "sweep", "plan", "--name", "s"], cwd=root,
                             capture_output=True, text=True)
    assert missing.returncode == 1 and "--grid is required" in missing.stderr


@pytest.mark.parametrize(("action", "options", "message"), [
    ("pull", {"matrix": "not json"}, "--matrix: not the JSON that `mlproject sweep plan` prints"),
    ("summary", {"matrix": '{"include": [{"name": 1}]}'}, "--matrix: expected"),
    ("pull", {}, "mlproject sweep pull: --matrix is required"),
    ("run", {"name": "s-1"}, "mlproject sweep run: --cell is required"),
    ("push", {"name": "a b"}, "--name: 'a b' is not a plain name"),
])
def test_each_action_refuses_missing_or_malformed_options(root, action, options, message):
    from mlproject.sweep import main

    with pytest.raises(PipelineError) as err:
        main(action, root / "params.yaml", **options)
    assert str(err.value).startswith(message)


def test_run_checks_the_cell_against_the_projects_params_then_runs_it(root, monkeypatch):
    from mlproject import sweep

    params = yaml.safe_load((root / "params.yaml").read_text())
    if not isinstance(params.get("train", {}).get("seed"), int):
        pytest.skip("params.yaml has no train.seed")
    ran = []
    monkeypatch.setattr(sweep.share, "run", lambda name, settings: ran.append((name, settings)))
    monkeypatch.chdir(root)
    sweep.main("run", root / "params.yaml", name="s-1", cell="train.seed=7")
    assert ran == [("s-1", {"train.seed": "7"})]
