"""Behavioural tests of the trained starter model (CheckList style: MFT, INV, DIR)."""

from __future__ import annotations

import pytest

from mlproject.predict import Predictor

PERSON = {"age": 40, "workclass": "Private", "fnlwgt": 200000, "education": "HS-grad",
          "education_num": 9, "marital_status": "Never-married", "occupation": "Sales",
          "relationship": "Not-in-family", "race": "White", "sex": "Male", "capital_gain": 0,
          "capital_loss": 0, "hours_per_week": 40, "native_country": "United-States"}


@pytest.fixture(scope="module")
def model(starter) -> Predictor:
    return Predictor.load(starter / "models" / "model.skops")


def score_of_high_income(model: Predictor, **changes) -> float:
    proba = model.predict_proba([{**PERSON, **changes}])[0]
    return float(proba[model.classes.index(">50K")])


@pytest.mark.parametrize(("record", "label"), [
    ({"age": 17, "education": "11th", "education_num": 7, "relationship": "Own-child",
      "hours_per_week": 15, "occupation": "Other-service"}, "<=50K"),
    ({"age": 50, "education": "Doctorate", "education_num": 16, "occupation": "Prof-specialty",
      "marital_status": "Married-civ-spouse", "relationship": "Husband",
      "capital_gain": 99999, "hours_per_week": 60}, ">50K"),
])
def test_minimum_functionality(model, record, label):
    """MFT: textbook cases get the obvious label."""
    assert model.predict([{**PERSON, **record}])[0].label == label


@pytest.mark.parametrize("change", [{"fnlwgt": 210000}, {"native_country": "Canada"}])
def test_invariance_to_irrelevant_changes(model, change):
    """INV: a census weight or a neighbouring country barely moves the score."""
    assert abs(score_of_high_income(model, **change) - score_of_high_income(model)) < 0.1


@pytest.mark.parametrize(("low", "high"), [
    ({"education_num": 9, "education": "HS-grad"},
     {"education_num": 16, "education": "Doctorate"}),
    ({"capital_gain": 0}, {"capital_gain": 15000}),
    ({"marital_status": "Never-married", "relationship": "Not-in-family"},
     {"marital_status": "Married-civ-spouse", "relationship": "Husband"}),
])
def test_directional_expectations(model, low, high):
    """DIR: more education, capital gains or being married raise the high-income score."""
    assert score_of_high_income(model, **high) > score_of_high_income(model, **low)


def test_model_beats_both_baselines(starter, params):
    """The starter model beats the rule and the prior on ROC AUC and F1 (holdout)."""
    import pandas as pd

    from mlproject.stages.evaluate import evaluate

    holdout = pd.read_parquet(starter / "prepared" / "holdout.parquet")
    predictors = {name: Predictor.load(starter / "models" / f"{name}.skops")
                  for name in ("model", "rule_baseline", "dummy")}
    result = evaluate(predictors, holdout, params)["metrics"]
    for key in ("roc_auc", "f1"):
        assert result["model"]["quality"][key] > result["rule_baseline"]["quality"][key]
        assert result["model"]["quality"][key] > result["dummy"]["quality"][key]
