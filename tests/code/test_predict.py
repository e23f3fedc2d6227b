"""The prediction API answers the same way for every model type."""

from __future__ import annotations

import pandas as pd
import pytest

from mlproject import predict
from mlproject.errors import PipelineError
from mlproject.predict import Prediction, Predictor

from ..model.test_behaviour import PERSON


@pytest.mark.parametrize("name", ["model", "rule_baseline", "dummy"])
def test_same_answer_shape_for_every_model(starter, name):
    predictor = Predictor.load(starter / "models" / f"{name}.skops")
    [answer] = predictor.predict([PERSON])
    assert isinstance(answer, Prediction)
    assert answer.label in ("<=50K", ">50K")
    assert 0.5 <= answer.score <= 1
    assert answer.above_threshold == (answer.score >= predictor.threshold)


def test_unseen_categories_are_counted_not_fatal(starter):
    predictor = Predictor.load(starter / "models" / "model.skops")
    answers = predictor.predict([{**PERSON, "workclass": "Space-agency"}, PERSON])
    assert len(answers) == 2
    assert predictor.unseen == {"workclass": 1}


def test_missing_column_and_bad_number_are_one_line(starter):
    predictor = Predictor.load(starter / "models" / "model.skops")
    record = {k: v for k, v in PERSON.items() if k != "age"}
    with pytest.raises(PipelineError, match="^input: missing column\\(s\\): age$"):
        predictor.predict([record])
    with pytest.raises(PipelineError, match="column 'age': not a finite number"):
        predictor.predict([{**PERSON, "age": "old"}])
    with pytest.raises(PipelineError, match="no records"):
        predictor.predict([])


def test_extra_columns_are_ignored(starter):
    predictor = Predictor.load(starter / "models" / "model.skops")
    assert predictor.predict([{**PERSON, "id": 7}]) == predictor.predict([PERSON])


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_batch_cli(starter, tmp_path, suffix, capsys):
    """`mlproject predict` reads CSV or Parquet and adds three prediction columns."""
    source = tmp_path / f"in{suffix}"
    frame = pd.DataFrame([PERSON, {**PERSON, "race": "Unknown"}])
    frame.to_csv(source, index=False) if suffix == ".csv" else frame.to_parquet(source)
    out = tmp_path / f"out{suffix}"
    predict.main(starter / "models" / "model.skops", source, out)
    result = pd.read_csv(out) if suffix == ".csv" else pd.read_parquet(out)
    assert list(result.columns[-3:]) == ["prediction_label", "prediction_score",
                                         "prediction_above_threshold"]
    assert "unseen categories: race=1" in capsys.readouterr().out
