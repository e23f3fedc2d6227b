"""The inferred rule baseline: informative, honest about its F1, never on a leaked column."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import f1_score

from mlproject.adopt.rule import best_rule
from mlproject.rule_model import RuleClassifier

from . import datasets


def typed(df: pd.DataFrame, numeric: list[str]) -> pd.DataFrame:
    """The table as the prepare stage types it: numbers as floats, the rest as text."""
    out = df.copy()
    for name in out.columns:
        out[name] = pd.to_numeric(out[name].replace("", np.nan)) if name in numeric \
            else out[name].astype("str")
    return out


CHURN_NUMERIC = ["tenure", "monthly_charges", "total_charges"]
CHURN_CATEGORICAL = ["contract", "payment", "tech_support", "region"]
CASES = {
    "yes/no": (lambda: typed(datasets.churn(), CHURN_NUMERIC), "Churn", CHURN_NUMERIC,
               CHURN_CATEGORICAL, "Yes"),
    "0/1": (lambda: typed(datasets.credit().assign(default=lambda d: d["default"].str[0]),
                          ["amount", "duration", "age"]),
            "default", ["amount", "duration", "age"], ["history", "housing"], "1"),
    "three classes": (lambda: typed(datasets.tiers(), ["usage", "visits"]), "tier",
                      ["usage", "visits"], ["plan"], None),
}


@pytest.mark.parametrize("case", CASES)
def test_rule_predicts_several_classes_with_the_f1_it_claims(case):
    """Fitted as the baseline stage fits it, the rule predicts >1 class and scores its F1."""
    make, target, numeric, categorical, positive = CASES[case]
    train = make()
    choice = best_rule(train, target, numeric, categorical, positive)
    assert 1 <= len(choice.rule) <= 2 and choice.classes_predicted == 2
    conditions = tuple((c["column"], c["op"], c["value"]) for c in choice.rule)
    X, y = train[numeric + categorical], train[target].to_numpy(dtype=object)
    predicted = RuleClassifier(conditions).fit(X, y).predict(X)
    assert len(set(predicted)) > 1
    f1 = f1_score(y, predicted, pos_label=positive) if positive else \
        f1_score(y, predicted, average="macro")
    assert f1 == pytest.approx(choice.f1, abs=1e-4) and f1 > 0.3


def test_excluded_columns_are_never_used():
    """A planted leak would make the best rule; excluded, the rule uses honest features."""
    df = datasets.churn(leak=True)
    train = typed(df, [*CHURN_NUMERIC, "exit_survey_score"])
    leaky = best_rule(train, "Churn", [*CHURN_NUMERIC, "exit_survey_score"],
                      [*CHURN_CATEGORICAL, "retention_call"], "Yes")
    assert {c["column"] for c in leaky.rule} & {"exit_survey_score", "retention_call"}
    honest = best_rule(train, "Churn", [*CHURN_NUMERIC, "exit_survey_score"],
                       [*CHURN_CATEGORICAL, "retention_call"], "Yes",
                       exclude={"exit_survey_score", "retention_call"})
    assert not {c["column"] for c in honest.rule} & {"exit_survey_score", "retention_call"}
    assert honest.classes_predicted == 2


def test_a_class_no_rule_can_reach_is_reported_not_hidden():
    """With 2 % positives no group of rows is mostly positive: one class, said so."""
    rng = np.random.default_rng(5)
    df = pd.DataFrame({"x": rng.normal(size=2000), "y": np.where(rng.random(2000) < 0.02,
                                                                 "rare", "common")})
    choice = best_rule(df, "y", ["x"], [], "rare")
    assert choice.classes_predicted == 1 and choice.f1 == 0 and len(choice.rule) == 1


def test_blank_numbers_are_scored_as_the_rule_classifier_treats_them():
    """A rule on a column with blanks: the F1 claimed is the F1 RuleClassifier gets."""
    train = typed(datasets.churn(), CHURN_NUMERIC)
    assert train["total_charges"].isna().sum() > 50
    choice = best_rule(train, "Churn", ["total_charges"], [], "Yes")
    assert [c["column"] for c in choice.rule] == ["total_charges"]
    conditions = tuple((c["column"], c["op"], c["value"]) for c in choice.rule)
    X, y = train[["total_charges"]], train["Churn"].to_numpy(dtype=object)
    predicted = RuleClassifier(conditions).fit(X, y).predict(X)
    assert f1_score(y, predicted, pos_label="Yes") == pytest.approx(choice.f1, abs=1e-4)
