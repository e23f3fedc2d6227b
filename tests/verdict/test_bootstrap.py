"""Metrics of resampled rows: equal to scikit-learn's on the rows themselves; paired intervals."""

from __future__ import annotations

import numpy as np
import pytest

from mlproject import metrics
from mlproject.verdict import bootstrap as bs


def scores(n: int, k: int, seed: int, strength: float = 1.5, decimals: int = 3):
    """Labels and rounded probabilities (rounding makes ties, which the metrics must handle)."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, k, n)
    logits = rng.normal(size=(n, k)) + np.eye(k)[y] * strength
    p = np.exp(logits)
    p = np.round(p / p.sum(axis=1, keepdims=True), decimals)
    return y, p / p.sum(axis=1, keepdims=True)


@pytest.mark.parametrize("k", [2, 3])
@pytest.mark.parametrize("decimals", [2, 9])
def test_every_metric_equals_scikit_learns_on_the_rows_themselves(k, decimals):
    y, p = scores(2000, k, seed=k, decimals=decimals)
    classes = [f"c{i}" for i in range(k)]
    positive = classes[1] if k == 2 else None
    rows = bs.Rows(y, classes, 1 if k == 2 else None, 0.6)
    labels = np.asarray(classes, dtype=object)[y]
    expected = {**metrics.quality(labels, p, classes, positive),
                **metrics.product(labels, p, classes, 0.6)}
    scored = bs.Scored(rows, p)
    for name in bs.METRICS:
        if name in expected and name != "threshold":
            assert bs.point(name, scored) == pytest.approx(expected[name], abs=1e-6), name


def test_identical_models_have_a_zero_interval():
    y, p = scores(1500, 2, seed=1)
    rows = bs.Rows(y, ["a", "b"], 1, 0.5)
    out = bs.resample(["roc_auc", "f1"], {"a": bs.Scored(rows, p), "b": bs.Scored(rows, p)},
                      200, 0)
    assert bs.interval(out["roc_auc"]["a"], out["roc_auc"]["b"], 0.95) == (0.0, 0.0)


def test_a_clearly_worse_model_has_an_interval_below_zero_and_noise_straddles_it():
    y, good = scores(4000, 2, seed=2, strength=2.0, decimals=9)
    rng = np.random.default_rng(5)
    noisy = np.clip(good + rng.normal(0, 0.25, good.shape), 0.001, None)
    noisy /= noisy.sum(axis=1, keepdims=True)
    jitter = np.clip(good + rng.normal(0, 0.002, good.shape), 0.001, None)
    jitter /= jitter.sum(axis=1, keepdims=True)
    rows = bs.Rows(y, ["a", "b"], 1, 0.5)
    models = {m: bs.Scored(rows, p) for m, p in
              (("good", good), ("noisy", noisy), ("jitter", jitter))}
    out = bs.resample(["roc_auc"], models, 300, 0)["roc_auc"]
    low, high = bs.interval(out["noisy"], out["good"], 0.95)
    assert high < 0
    low, high = bs.interval(out["jitter"], out["good"], 0.95)
    assert low < 0 < high


def test_resamples_are_seeded_and_paired():
    y, p = scores(800, 2, seed=3)
    rows = bs.Rows(y, ["a", "b"], 1, 0.5)
    first = bs.resample(["accuracy"], {"m": bs.Scored(rows, p)}, 100, 7)["accuracy"]["m"]
    again = bs.resample(["accuracy"], {"m": bs.Scored(rows, p)}, 100, 7)["accuracy"]["m"]
    other = bs.resample(["accuracy"], {"m": bs.Scored(rows, p)}, 100, 8)["accuracy"]["m"]
    assert np.array_equal(first, again) and not np.array_equal(first, other)


def test_a_slice_resamples_its_own_rows():
    y, p = scores(1000, 2, seed=4)
    rows = bs.Rows(y, ["a", "b"], 1, 0.5)
    mask = np.arange(1000) % 3 == 0
    sub = bs.subset(bs.Scored(rows, p), mask)
    assert len(sub.rows.y) == mask.sum()
    assert bs.point("accuracy", sub) == pytest.approx(
        float(np.mean(p[mask].argmax(axis=1) == y[mask])))
