"""The distances monitoring compares a window of predictions with the model's reference by.

Every distance is an effect size in a unit people can read, never a p-value (on a window of a
million predictions every p-value is tiny):

- numeric features: the Wasserstein-1 distance (how far values moved, on average) in training
  standard deviations, on a grid of 100 quantiles both sides share (the outermost 1 % on each
  side left out);
- categories and predicted labels: the Jensen-Shannon distance (base 2, in [0, 1]) of shares;
- the score: the Wasserstein-1 distance of the predicted label's score (in score units).

A distance is also held to what sampling alone gives at the window's size (``noise_floor``):
the 99th percentile of the distance between the reference and windows drawn from it. A small
window of an unchanged distribution then never alarms, whatever the threshold.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

# quantile levels: the midpoints of 100 equal bins; values are observed ones (inverted CDF)
PROBS = [round((i + 0.5) / 100, 3) for i in range(100)]
TRIM = 1  # quantile levels left out on each side (the lowest and highest 1 %)
FLOOR_DRAWS = 200
FLOOR_ROWS = 20_000  # windows larger than this are drawn at this size (a higher, safer floor)
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
    a, b = a / a.sum(), b / b.sum()
    m = (a + b) / 2

    def kl(x: np.ndarray) -> float:
        mask = x > 0
        return float(np.sum(x[mask] * np.log2(x[mask] / m[mask])))

    return float(np.sqrt(min(1.0, max(0.0, (kl(a) + kl(b)) / 2))))


def _rng(seed: int, n: int) -> np.random.Generator:
    return np.random.default_rng([seed, n])


def numeric_floor(reference: list[float], n: int, scale: float = 1.0, seed: int = 0) -> float:
    """The 99th percentile of the Wasserstein distance (÷ scale) of n values drawn from the
    reference's quantiles, against the reference."""
    m = max(1, min(n, FLOOR_ROWS))
    points = np.asarray(reference, float)
    draws = _rng(seed, m).choice(points, size=(FLOOR_DRAWS, m))
    q = np.quantile(draws, PROBS, axis=1, method="inverted_cdf").T
    return float(np.quantile(_trimmed(q, points), 0.99)) / scale


def categorical_floor(shares: Mapping[str, float], n: int, seed: int = 0) -> float:
    """The 99th percentile of the Jensen-Shannon distance of n values drawn from the shares."""
    m = max(1, min(n, FLOOR_ROWS))
    p = np.array(list(shares.values()), float)
    if p.sum() <= 0:
        return 0.0
    p = p / p.sum()
    counts = _rng(seed, m).multinomial(m, p, size=FLOOR_DRAWS)
    return float(np.quantile([js_arrays(c.astype(float), p) for c in counts], 0.99))


def rate_floor(p: float, n: int) -> float:
    """How far a rate p moves in a window of n by chance (99th percentile, normal approx.)."""
    return 2.33 * float(np.sqrt(max(p * (1 - p), 1.0 / max(n, 1)) / max(n, 1)))


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
