"""The project's own data and model, whatever the data set is (after `init-data` too).

The model is trained here from the project's data and params.yaml, in this process; every
assertion holds for any data: the data passes its schema, predictions do not depend on
unused columns or on the order of records, one record at a time scores like a batch, and the
directions a person declared in `evaluate.expectations` hold (CheckList's INV and DIR tests).
"""

from __future__ import annotations

import shlex

import numpy as np
import pandas as pd
import pytest
import yaml

from mlproject.predict import Predictor, ValuePrediction

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def project_run(root, tmp_path_factory, project_params, project_data):
    """prepare -> split -> train on the project's data, with the files dvc.yaml names."""
    from mlproject.stages import prepare, split, train

    cmd = shlex.split(yaml.safe_load((root / "dvc.yaml").read_text())["stages"]["prepare"]["cmd"])
    files = {flag: root / cmd[cmd.index(flag) + 1] for flag in ("--train", "--holdout")
             if flag in cmd}
    out = tmp_path_factory.mktemp("project")
    prepare.main(project_params, files["--train"], files.get("--holdout"), out / "prepared",
                 out / "validation.json")
    split.main(project_params, out / "prepared" / "train.parquet", out / "split")
    train.main(project_params, out / "split", out / "models")
    return out


@pytest.fixture(scope="module")
def model(project_run) -> Predictor:
    return Predictor.load(project_run / "models" / "model.skops")


@pytest.fixture(scope="module")
def rows(project_run, model) -> pd.DataFrame:
    holdout = pd.read_parquet(project_run / "prepared" / "holdout.parquet")
    return holdout.sample(min(len(holdout), 300), random_state=0)[model.features]


def test_a_column_the_model_does_not_use_changes_nothing(model, rows):
    """INV: records may carry columns the model never saw."""
    extra = rows.assign(unused_note="anything", unused_number=7.0)
    assert np.array_equal(model.outputs(extra), model.outputs(rows))


def test_order_and_batching_change_nothing(model, rows):
    """INV: a record's score does not depend on its neighbours or its place in the batch."""
    together = model.outputs(rows)  # class probabilities, or a regression's values
    reversed_ = model.outputs(rows.iloc[::-1])[::-1]
    one_by_one = np.concatenate([model.outputs(rows.iloc[[i]]) for i in range(20)])
    assert np.allclose(together, reversed_, atol=1e-12)
    assert np.allclose(together[:20], one_by_one, atol=1e-9)


def test_every_model_answers_in_the_same_shape(project_run, rows):
    for name in ("model", "rule_baseline", "dummy"):
        predictor = Predictor.load(project_run / "models" / f"{name}.skops")
        answers = predictor.predict(rows.head(5))
        if predictor.regression:
            assert all(isinstance(a, ValuePrediction) and np.isfinite(a.value) for a in answers)
        else:
            assert [a.label in predictor.classes for a in answers] == [True] * 5


def expectations(params) -> list[tuple[str, str]]:
    return sorted(params.evaluate.expectations.items())


def test_declared_directions_hold(project_params, model, rows):
    """DIR: for each feature params declares, raising it from its 10th to its 90th percentile
    (its smallest to its largest value where those are equal) moves the positive class's
    mean score (a regression: the mean predicted value) the declared way."""
    positive = project_params.data.target.positive
    regression = project_params.data.target.regression
    if not project_params.evaluate.expectations or (positive is None and not regression):
        pytest.skip("no evaluate.expectations (or no positive class) in params.yaml")

    def score(table: pd.DataFrame) -> float:  # the positive class's, or the predicted value
        out = model.outputs(table)
        return float(out.mean() if regression else out[:, model.classes.index(positive)].mean())

    for feature, direction in expectations(project_params):
        values = rows[feature].astype(float)
        low, high = np.nanpercentile(values, [10, 90])
        if low == high:
            low, high = np.nanmin(values), np.nanmax(values)
        scores = [score(rows.assign(**{feature: v})) for v in (low, high)]
        moved = scores[1] - scores[0]
        assert moved > 0 if direction == "increasing" else moved < 0, (feature, scores)


def test_main_passes_its_own_gate(root, project_run):
    """The gate's defaults hold for this project's data: main's model, judged as a pull
    request's would be, passes against itself and against a seed-only retrain. When this
    fails, every pull request would fail too: fit the gate (`gate:` in params.yaml) or the
    model, as init-data does (adopt/selfcheck.py)."""
    from mlproject.adopt import selfcheck
    from mlproject.from_yaml import safe_load

    raw = safe_load((root / "params.yaml").read_text())
    gate, notes, failing = selfcheck.check(raw, project_run / "prepared",
                                           project_run / "models", retrains=1,
                                           say=lambda _: None)
    assert failing == [], failing
    assert notes == [], notes  # nothing had to be loosened
