"""The prediction API answers the same way for every model type."""

from __future__ import annotations

import pandas as pd
import pytest

from mlproject import predict
from mlproject.errors import PipelineError
from mlproject.predict import Prediction, Predictor

from ..fixture_data import BINARY, RECORD


@pytest.mark.parametrize("name", ["model", "rule_baseline", "dummy"])
def test_same_answer_shape_for_every_model(trained, name):
    predictor = Predictor.load(trained / "models" / f"{name}.skops")
    [answer] = predictor.predict([RECORD])
    assert isinstance(answer, Prediction)
    assert answer.label in BINARY
    assert 0.5 <= answer.score <= 1
    assert answer.above_threshold == (answer.score >= predictor.threshold)


def test_unseen_categories_are_counted_not_fatal(trained):
    predictor = Predictor.load(trained / "models" / "model.skops")
    answers = predictor.predict([{**RECORD, "region": "moon"}, RECORD])
    assert len(answers) == 2
    assert predictor.unseen == {"region": 1}


def test_missing_column_and_bad_number_are_one_line(trained):
    predictor = Predictor.load(trained / "models" / "model.skops")
    record = {k: v for k, v in RECORD.items() if k != "tenure"}
    with pytest.raises(PipelineError, match="^input: missing column\\(s\\): tenure$"):
        predictor.predict([record])
    with pytest.raises(PipelineError, match="column 'tenure': not a finite number"):
        predictor.predict([{**RECORD, "tenure": "old"}])
    with pytest.raises(PipelineError, match="no records"):
        predictor.predict([])


def test_extra_columns_are_ignored(trained):
    predictor = Predictor.load(trained / "models" / "model.skops")
    assert predictor.predict([{**RECORD, "id": 7}]) == predictor.predict([RECORD])


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_batch_cli(trained, tmp_path, suffix, capsys):
    """`mlproject predict` reads CSV or Parquet and adds three prediction columns."""
    source = tmp_path / f"in{suffix}"
    frame = pd.DataFrame([RECORD, {**RECORD, "plan": "platinum"}])
    frame.to_csv(source, index=False) if suffix == ".csv" else frame.to_parquet(source)
    out = tmp_path / f"out{suffix}"
    predict.main(trained / "models" / "model.skops", source, out)
    result = pd.read_csv(out) if suffix == ".csv" else pd.read_parquet(out)
    assert list(result.columns[-3:]) == ["prediction_label", "prediction_score",
                                         "prediction_above_threshold"]
    assert "unseen categories: plan=1" in capsys.readouterr().out
