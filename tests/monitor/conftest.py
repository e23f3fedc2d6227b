"""A model to monitor, trained on the generated data set (tests/conftest.py ``trained``), with
its reference written as `dvc repro` writes it, and a pool of new rows from the same generator
to play production: the monitoring tests never need the starter data or a `make run`.

The reference's holdout is 5,000 new rows rather than the training run's 371, so the holdout
quality that flipped labels are judged against is known to ±0.01 (with 371 rows it is known to
±0.04, and a 10 % flip of 2,000 labels is inside that noise: docs/monitoring.md)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from mlproject.config import Params
from mlproject.monitor import reference
from mlproject.predict import Predictor

from ..fixture_data import typed_table
from .logs import Names


@dataclass(frozen=True)
class Monitored:
    root: Path  # holds models/model.skops and models/reference.json
    model: Path
    reference: Path
    predictor: Predictor
    train: pd.DataFrame
    holdout: pd.DataFrame  # the reference's holdout
    pool: pd.DataFrame  # production's rows: windows are drawn from these
    names: Names


@pytest.fixture(scope="session")
def monitored(trained: Path, params: Params) -> Monitored:
    model = trained / "models" / "model.skops"
    predictor = Predictor.load(model)
    train = pd.read_parquet(trained / "split" / "train.parquet")
    holdout, pool = typed_table(5000, seed=101), typed_table(20_000, seed=202)
    target = params.data.target
    profile = reference.profile(train, holdout, predictor, target.column, target.positive)
    reference.write(trained / "models" / "reference.json", profile)
    return Monitored(trained, model, trained / "models" / "reference.json", predictor, train,
                     holdout, pool, Names.of(params, profile))
