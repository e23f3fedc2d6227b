"""Per-feature drift: scores on synthetic shifts, and the base data read through DVC."""

from __future__ import annotations

import numpy as np
import pandas as pd

from mlproject import report
from mlproject.report import drift

from .report_helpers import validation


def table(shift: float = 0.0, female: float = 0.3, n: int = 2000) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame({"age": rng.normal(40 + shift, 10, n),
                         "sex": np.where(rng.random(n) < female, "Female", "Male")})


def test_scores_are_near_zero_without_drift_and_large_with_it():
    same = drift.scores(table(), table())
    assert same == {"age": 0.0, "sex": 0.0}
    moved = drift.scores(table(), table(shift=15, female=0.6))
    assert moved["age"] > 0.4
    assert abs(moved["sex"] - 0.3) < 0.05  # L-infinity: the share of Female moved by ~0.3


def test_data_change_with_prepared_data_in_the_dvc_cache_shows_drift(pr):
    """Both revisions track the prepared table with DVC: the report scores every feature."""
    from dvc.repo import Repo

    prepared = pr.path / "artifacts/prepared"
    prepared.mkdir(parents=True)
    table().to_parquet(prepared / "train.parquet")
    with Repo(str(pr.path)) as dvc:
        dvc.add(str(prepared))
    pr.git("checkout", "-q", "main")
    pr.commit("track prepared data on main")  # the pr branch was cut before: rebase it
    pr.git("checkout", "-q", "pr")
    pr.git("rebase", "-q", "main")
    table(shift=15).to_parquet(prepared / "train.parquet")
    with Repo(str(pr.path)) as dvc:
        dvc.add(str(prepared))
    pr.write("data.dvc", "outs:\n- md5: c3333333333333333333333333333333\n  path: data\n")
    pr.write("reports/validation.json", validation(rows=1000))
    pr.commit("older people")
    body = report.main(pr.params(), None, pr.path / "reports/pr", pr.path)
    assert "Per-feature drift of the training data" in body
    row = next(line for line in body.splitlines() if line.startswith("| age |"))
    assert float(row.split("|")[2]) > 0.4
