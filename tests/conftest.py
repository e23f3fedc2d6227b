"""Shared fixtures: the project's params, tiny tables, and a model trained on the real data."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mlproject.config import Params, load_params

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def params() -> Params:
    return load_params(ROOT / "params.yaml")


def tiny_table(params: Params, rows: int = 60, seed: int = 0) -> pd.DataFrame:
    """A typed table in the starter schema, with both classes and some missing values."""
    rng = np.random.default_rng(seed)
    data: dict[str, object] = {}
    for name in params.data.reader.columns:
        if name in params.schema.numeric:
            rng_spec = params.schema.numeric[name]
            low = rng_spec.min or 0
            high = rng_spec.max if rng_spec.max is not None else 10_000
            data[name] = rng.integers(low, high, rows).astype("float64")
        elif name in params.schema.categorical:
            data[name] = rng.choice(params.schema.categorical[name], rows)
    target = params.data.target
    # the label follows education_num, so a model has something to learn
    data[target.column] = np.where(data["education_num"] > 10, target.classes[1],
                                   target.classes[0])
    df = pd.DataFrame(data)[params.data.reader.columns]
    for name in params.schema.categorical:
        df[name] = df[name].astype("str")
    df.loc[::7, "workclass"] = np.nan
    return df


@pytest.fixture
def table(params: Params) -> pd.DataFrame:
    return tiny_table(params)


@pytest.fixture(scope="session")
def starter_data(_tools_on_path) -> Path:
    """data/ of this checkout, pulled from the embedded remote when a fresh clone lacks it."""
    data = ROOT / "data"
    if not (data / "adult.data").is_file():
        subprocess.run(["dvc", "pull", "-q", "data.dvc"], cwd=ROOT, check=True)
    return data


@pytest.fixture(scope="session")
def starter(tmp_path_factory, params: Params, starter_data: Path) -> Path:
    """Run prepare -> split -> train on the real starter data, in this process."""
    from mlproject.stages import prepare, split, train

    data = starter_data
    out = tmp_path_factory.mktemp("starter")
    prepare.main(params, data / "adult.data", data / "adult.test", out / "prepared",
                 out / "validation.json")
    split.main(params, out / "prepared" / "train.parquet", out / "split")
    train.main(params, out / "split", out / "models")
    return out


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch) -> Path:
    """A scratch directory holding a copy of params.yaml, as the current directory."""
    shutil.copy(ROOT / "params.yaml", tmp_path / "params.yaml")
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture(autouse=True, scope="session")
def _tools_on_path():
    """dvc and mlproject from this environment, whichever way pytest was started."""
    import os
    import sys

    bin_dir = str(Path(sys.executable).parent)
    if not os.environ.get("PATH", "").startswith(bin_dir):
        os.environ["PATH"] = bin_dir + os.pathsep + os.environ.get("PATH", "")
    os.environ.setdefault("DVC_NO_ANALYTICS", "1")
    os.environ.setdefault("ITERATIVE_DO_NOT_TRACK", "1")
