"""The distances monitoring compares a window of predictions with the model's reference by.

Every distance is an effect size in a unit people can read, never a p-value (on a window of a
million predictions every p-value is tiny):

- numeric features: the Wasserstein-1 distance (how far values moved, on average) in training
  standard deviations, on a grid of 100 quantiles both sides share (the outermost 1 % on each
  side left out);
- categories and predicted labels: the Jensen-Shannon distance (base 2, in [0, 1]) of shares;
- the score: the Wasserstein-1 distance of the predicted label's score (in score units).

A distance is also held to what sampling alone gives (the ``*_floor`` functions): the 99.9th
percentile of the distance between two samples drawn from the reference, one of the window's
size and one of the size the reference was measured on (its training rows, or its holdout for
the predictions). A small window of an unchanged distribution then never alarms, whatever the
threshold, and neither does a reference measured on few rows (48 categories from 900 training
rows are themselves noisy).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

# quantile levels: the midpoints of 100 equal bins; values are observed ones (inverted CDF)
PROBS = [round((i + 0.5) / 100, 3) for i in range(100)]
TRIM = 1  # quantile levels left out on each side (the lowest and highest 1 %)
# The noise floor is this quantile of the distances sampling alone gives. A window makes about
# thirty checks (a few per feature, two on the predictions): at the 99.9th percentile an
# unchanged window alarms by chance about once in thirty windows or fewer.
LEVEL = 0.999
Z_LEVEL = 3.09  # the standard normal's LEVEL quantile
FLOOR_DRAWS = 4000
OTHER, UNSEEN = "(other)", "(unseen)"


def quantiles(values: np.ndarray) -> list[float]:
    """The PROBS quantiles of observed values (no interpolation), as DuckDB's quantile_disc."""
    return [float(v) for v in np.quantile(values, PROBS, method="inverted_cdf")]


def wasserstein(a: list[float] | np.ndarray, b: list[float] | np.ndarray) -> float:
    """Wasserstein-1 distance of two distributions given by the same quantile levels, the
    outermost level on each side left out: a few extreme values (a 99999 code in a heavy
    tail) must not read as drift of the whole distribution."""
    return float(_trimmed(np.asarray(a, float), np.asarray(b, float)))


def _trimmed(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.mean(np.abs(a - b)[..., TRIM:len(PROBS) - TRIM], axis=-1)


def js_distance(p: Mapping[str, float], q: Mapping[str, float]) -> float:
    """Jensen-Shannon distance (base 2) of two share mappings; a key missing is share 0."""
    keys = sorted(set(p) | set(q))
    a = np.array([p.get(k, 0.0) for k in keys], float)
    b = np.array([q.get(k, 0.0) for k in keys], float)
    return js_arrays(a, b)


def js_arrays(a: np.ndarray, b: np.ndarray) -> float:
    """Jensen-Shannon distance (base 2) of two histograms (normalised here)."""
    if a.sum() <= 0 or b.sum() <= 0:
        return 0.0 if a.sum() == b.sum() else 1.0
    return float(js_rows(a[None, :], b[None, :])[0])


def _rng(seed: int, n: int) -> np.random.Generator:
    return np.random.default_rng([seed, n])


def numeric_floor(reference: list[float], n: int, n_reference: int, scale: float = 1.0,
                  seed: int = 0) -> float:
    """The LEVEL quantile of the Wasserstein distance (÷ scale) between n values and
    n_reference values, both drawn from the reference's quantiles.

    A sample drawn from the 100 quantile points is described by how many times it drew each
    point, so its quantiles come from the cumulative counts: the cost does not grow with n."""
    points = np.sort(np.asarray(reference, float))
    rng = _rng(seed, n)
    window, ref = (_sample_quantiles(points, rng.multinomial(max(1, m), np.full(
        len(points), 1 / len(points)), size=FLOOR_DRAWS)) for m in (n, n_reference))
    return float(np.quantile(_trimmed(window, ref), LEVEL)) / scale


def _sample_quantiles(points: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """The PROBS quantiles (inverted CDF) of samples given as counts of each sorted point."""
    cumulative = np.cumsum(counts, axis=1)
    # the rank of each level's value, ceil(p * n), with p * n = 2025.0000000000002 read as 2025
    targets = np.ceil(np.asarray(PROBS)[None, :] * cumulative[:, -1:] - 1e-9)
    # one search over all samples: sample i's counts are lifted by i * (its total + 1), so
    # the rows stay in order; the position found, less i's row start, is the point's index
    lift = np.arange(len(counts))[:, None] * (cumulative[:, -1:] + 1.0)
    found = np.searchsorted((cumulative + lift).ravel(), (targets + lift).ravel())
    index = found.reshape(targets.shape) - np.arange(len(counts))[:, None] * len(points)
    return points[np.minimum(index, len(points) - 1)]


def categorical_floor(shares: Mapping[str, float], n: int, n_reference: int,
                      seed: int = 0) -> float:
    """The LEVEL quantile of the Jensen-Shannon distance between the counts of n values and
    of n_reference values, both drawn from the shares."""
    p = np.array(list(shares.values()), float)
    if p.sum() <= 0:
        return 0.0
    p = p / p.sum()
    rng = _rng(seed, n)
    window, ref = (rng.multinomial(max(1, m), p, size=FLOOR_DRAWS).astype(float)
                   for m in (n, n_reference))
    return float(np.quantile(js_rows(window, ref), LEVEL))


def js_rows(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Jensen-Shannon distances (base 2) of the rows of two count matrices."""
    a = a / np.maximum(a.sum(axis=1, keepdims=True), 1e-300)
    b = b / np.maximum(b.sum(axis=1, keepdims=True), 1e-300)
    m = (a + b) / 2
    with np.errstate(divide="ignore", invalid="ignore"):
        kl = (np.where(a > 0, a * np.log2(a / m), 0.0).sum(axis=1)
              + np.where(b > 0, b * np.log2(b / m), 0.0).sum(axis=1))
    return np.sqrt(np.clip(kl / 2, 0.0, 1.0))


def rate_floor(p: float, n: int, n_reference: int | None = None) -> float:
    """How far a rate p moves in a window of n by chance (the LEVEL quantile, normal
    approximation), the reference's own rate measured on n_reference rows."""
    spread = 1.0 / max(n, 1) + (1.0 / n_reference if n_reference else 0.0)
    return Z_LEVEL * float(np.sqrt(max(p * (1 - p), 1.0 / max(n, 1)) * spread))


def grouped_shares(counts: Mapping[str, int], known: Mapping[str, float],
                   allowed: set[str] | None) -> dict[str, float]:
    """Window shares on the reference's categories: values the reference lists keep their
    name, other allowed values are OTHER, values outside the allowed set are UNSEEN."""
    out: dict[str, float] = {}
    total = sum(counts.values())
    for value, count in counts.items():
        key = value if value in known else (
            OTHER if allowed is None or value in allowed else UNSEEN)
        out[key] = out.get(key, 0.0) + count / total
    return out
