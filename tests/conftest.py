"""Shared fixtures. The template's own tests use generated data (fixture_data.py) and its
params, never data/ or the project's params.yaml: they pass whatever data a project adopts.
Tests about the project's own data and model (tests/project, tests/integration) read those
and assert what holds for any data."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from mlproject.config import Params, load_params, parse_params

from .fixture_data import generated_params, typed_table, write_csv

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def params() -> Params:
    """The generated data set's params (tests/fixture_data.py)."""
    return parse_params(generated_params())


def tiny_table(rows: int = 60, seed: int = 0) -> pd.DataFrame:
    """Typed rows of the generated data set, both classes, some missing values."""
    return typed_table(rows, seed)


@pytest.fixture
def table() -> pd.DataFrame:
    return tiny_table(200)


@pytest.fixture(scope="session")
def trained(tmp_path_factory, params: Params) -> Path:
    """prepare -> split -> train on a generated CSV, in this process: the folder holds
    prepared/, split/ and models/ (model, rule baseline, dummy)."""
    from mlproject.stages import prepare, split, train

    out = tmp_path_factory.mktemp("trained")
    data = write_csv(out / "churn.csv", rows=1500, seed=3)
    prepare.main(params, data, None, out / "prepared", out / "validation.json")
    split.main(params, out / "prepared" / "train.parquet", out / "split")
    train.main(params, out / "split", out / "models")
    return out


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch) -> Path:
    """A scratch directory holding the generated data set's params.yaml, as the current one."""
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(generated_params()))
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture(scope="session")
def project_params() -> Params:
    """This project's own params.yaml (tests that must hold for any data set)."""
    return load_params(ROOT / "params.yaml")


@pytest.fixture(scope="session")
def project_data(_tools_on_path) -> Path:
    """data/ of this checkout, pulled from the DVC remote when a fresh clone lacks it."""
    import fcntl

    lock_file = ROOT / ".dvc" / "tmp" / "tests-pull.lock"  # one pull at a time (xdist)
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_file, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        subprocess.run(["dvc", "pull", "-q", "data.dvc"], cwd=ROOT, check=True)
    return ROOT / "data"


@pytest.fixture(autouse=True, scope="session")
def _tools_on_path():
    """dvc and mlproject from this environment, whichever way pytest was started."""
    bin_dir = str(Path(sys.executable).parent)
    if not os.environ.get("PATH", "").startswith(bin_dir):
        os.environ["PATH"] = bin_dir + os.pathsep + os.environ.get("PATH", "")
    os.environ.setdefault("DVC_NO_ANALYTICS", "1")
    os.environ.setdefault("ITERATIVE_DO_NOT_TRACK", "1")


# `make test` spreads whole files over the cores (pytest-xdist --dist loadfile) in collection
# order (--no-loadscope-reorder: xdist would otherwise start the files with the most tests
# first); a long file collected last finishes alone. These files take the longest (the slowest
# first, as `make test` measured them), so they start first; tests keep their order in a file.
LONGEST_FIRST = [
    "tests/workflows/test_act_verdict.py", "tests/adopt/test_rename.py",
    "tests/workflows/test_act_registry.py", "tests/workflows/test_act_e2e.py",
    "tests/adopt/test_init_data.py", "tests/workflows/test_act_regression.py",
    "tests/integration/test_fresh_clone.py", "tests/workflows/test_act_monitor.py",
    "tests/workflows/test_act_sweep.py", "tests/integration/test_setup.py",
    "tests/verdict/test_render.py",
]


def pytest_collection_modifyitems(config, items) -> None:
    rank = {name: i for i, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.nodeid.split("::", 1)[0], len(rank)))
