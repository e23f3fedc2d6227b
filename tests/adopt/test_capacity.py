"""init-data's model size for a small training split (mlproject.adopt.capacity)."""

from __future__ import annotations

import copy

import pytest

from mlproject.adopt import capacity
from mlproject.config import parse_params

from ..fixture_data import (
    generated_params,
    regression_params,
    typed_regression_table,
    typed_table,
)


def with_model(raw: dict, **model_params) -> dict:
    raw = copy.deepcopy(raw)
    raw["train"]["model"] = {"name": "hist_gradient_boosting",
                             "params": {"learning_rate": 0.1, **model_params}}
    return raw


def test_small_noisy_data_get_smaller_trees_by_their_cross_validated_loss():
    """900 rows whose label follows the features with noise: 31-leaf trees for 150 rounds
    learn the noise; the size chosen has the lowest log loss on held-out folds of the rows."""
    params = parse_params(with_model(generated_params(), max_iter=150, max_leaf_nodes=31))
    choice = capacity.choose(typed_table(900, seed=4), params)
    assert choice is not None
    assert choice.configured == capacity.Size(31, 150)
    assert (choice.chosen.leaves, choice.chosen.rounds) < (31, 150)
    assert choice.losses[choice.chosen] == min(choice.losses.values())
    assert choice.losses[choice.chosen] < choice.losses[choice.configured] * 0.99
    assert set(choice.losses) == {capacity.Size(leaves, rounds) for leaves in (31, 15, 7, 3)
                                  for rounds in (25, 50, 100, 150)}
    assert str(choice).startswith("max_leaf_nodes 31, max_iter 150 → max_leaf_nodes ")
    assert "3-fold log loss on the training split" in str(choice)


def test_a_regression_is_sized_by_the_models_own_loss():
    raw = with_model(regression_params("heavy"), max_iter=100, loss="absolute_error")
    params = parse_params(raw)
    choice = capacity.choose(typed_regression_table(600, seed=2, kind="heavy"), params)
    if choice is not None:  # MAE, the loss the model minimises, on held-out folds
        assert choice.loss == "MAE" and choice.configured == capacity.Size(31, 100)
        assert choice.losses[choice.chosen] < choice.losses[choice.configured]
    assert capacity._loss_name(parse_params(with_model(regression_params()))) == "RMSE"


def test_a_tie_keeps_the_projects_setting(monkeypatch):
    """A smaller model must lower the loss by more than MIN_GAIN: noise does not rewrite it."""
    params = parse_params(with_model(generated_params(), max_iter=50, max_leaf_nodes=15))
    monkeypatch.setattr(capacity, "_cv_losses", lambda train, p, leaves, rounds: {
        capacity.Size(leaves, r): 0.5 - (0.004 if leaves == 3 else 0) for r in (25, 50)})
    assert capacity.choose(typed_table(300), params) is None


@pytest.mark.parametrize("rows, model, leaves", [
    (capacity.SMALL + 1, "hist_gradient_boosting", 31),  # enough rows: the size stands
    (300, "random_forest", 31),  # another estimator: its own settings
    (300, "hist_gradient_boosting", None),  # unlimited leaves: the project's choice
])
def test_large_data_and_other_estimators_are_left_alone(monkeypatch, rows, model, leaves):
    raw = with_model(generated_params(), max_iter=150, max_leaf_nodes=leaves)
    raw["train"]["model"]["name"] = model
    if model != "hist_gradient_boosting":
        raw["train"]["model"]["params"] = {}
    monkeypatch.setattr(capacity, "_cv_losses", lambda *a: pytest.fail("nothing is fitted"))
    assert capacity.choose(typed_table(rows), parse_params(raw)) is None


def test_a_class_too_rare_for_the_folds_is_left_alone(monkeypatch):
    table = typed_table(300)
    rare = table.index[table["churned"] == "yes"][2:]
    table = table.drop(rare)  # two rows of the positive class: three folds cannot hold it
    monkeypatch.setattr(capacity, "_cv_losses", lambda *a: pytest.fail("nothing is fitted"))
    assert capacity.choose(table, parse_params(with_model(generated_params()))) is None
