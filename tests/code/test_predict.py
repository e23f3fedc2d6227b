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


@pytest.mark.parametrize("name", ["model", "rule_baseline", "dummy"])
def test_probabilities_follow_the_classes_in_params_order_not_sorted(tmp_path, name):
    """params lists stay, downgrade, leave; scikit-learn sorts them: the API's labels and the
    validation metrics must still be scikit-learn's own answers, in params' order."""
    from mlproject.config import parse_params
    from mlproject.stages import prepare, split, train

    from ..fixture_data import THREE, generated_params, typed_table, write_csv

    params = parse_params(generated_params(THREE))
    prepare.main(params, write_csv(tmp_path / "three.csv", 900, seed=6, classes=THREE), None,
                 tmp_path / "prepared", tmp_path / "validation.json")
    split.main(params, tmp_path / "prepared" / "train.parquet", tmp_path / "split")
    train.main(params, tmp_path / "split", tmp_path / "models")
    predictor = Predictor.load(tmp_path / "models" / f"{name}.skops")
    rows = typed_table(400, seed=8, classes=THREE)
    assert predictor.classes == THREE != sorted(THREE)
    labels = [p.label for p in predictor.predict(rows[predictor.features])]
    assert labels == list(predictor.model.predict(rows[predictor.features]))
    if name == "model":
        accuracy = (pd.Series(labels) == rows["churned"].to_numpy()).mean()
        assert accuracy > 0.6  # below a third when the columns were read in sorted order
        assert predictor.metadata["validation_metrics"]["roc_auc"] > 0.75
