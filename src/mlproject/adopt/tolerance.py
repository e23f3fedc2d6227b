"""The gate's change tolerances and slice minimums for a holdout of a given size.

A metric measured on fewer rows moves more between two equally good models, roughly with one
over the square root of the rows of the rarer class. The template's defaults fit a holdout
with about ``REFERENCE_ROWS`` rows of its rarer class (the starter data's has 3,846); a
smaller holdout gets proportionally wider tolerances, never tighter ones, and never wider
than ``WIDEST``: past that a holdout is too small to judge changes, and more data is the cure.
"""

from __future__ import annotations

import copy
import math

REFERENCE_ROWS = 4000
MAX_DROP = {"roc_auc": 0.005, "average_precision": 0.01, "f1": 0.02}  # the template's defaults
SLICE_MAX_DROP = 0.03
WIDEST = {"roc_auc": 0.05, "average_precision": 0.08, "f1": 0.1, "slices": 0.1}
MIN_CLASS_ROWS = (10, 20)  # a slice is judged with at least this many rows of every class
ANCHOR_DROPS = 2  # max_below_best: the best production version's value less two allowed drops


def for_holdout(class_rows: dict[str, int]) -> dict:
    """Tolerances for a holdout with these rows per class.

    Returns the `gate:` keys ``{"max_drop": {metric: tolerance}, "max_below_best": {metric:
    tolerance}, "slices": {"max_drop": tolerance, "min_class_rows": rows}}``.
    """
    rarest = max(min(class_rows.values()), 1)
    scale = max(1.0, math.sqrt(REFERENCE_ROWS / rarest))
    low, high = MIN_CLASS_ROWS
    min_class_rows = int(min(high, max(low, rarest // 20)))
    max_drop = {k: _round(min(WIDEST[k], v * scale)) for k, v in MAX_DROP.items()}
    return {
        "max_drop": max_drop,
        "max_below_best": {k: _round(ANCHOR_DROPS * v) for k, v in max_drop.items()},
        "slices": {"max_drop": _round(min(WIDEST["slices"], SLICE_MAX_DROP * scale)),
                   "min_class_rows": min_class_rows},
    }


def _round(value: float) -> float:
    """Up to the next thousandth: a tolerance is never narrower than computed."""
    return math.ceil(value * 1000 - 1e-9) / 1000


def gate_section(gate: object, fit: dict) -> dict | None:
    """The gate with the starter's floors cleared and its change tolerances and slice
    minimums fitted to the holdout (only keys the section already has: it keeps its shape)."""
    if not isinstance(gate, dict):
        return None
    out = copy.deepcopy(gate)
    if "min" in out:  # the floors were set for the starter data
        out["min"] = {}
    for section in ("max_drop", "max_below_best", "slices"):
        if isinstance(out.get(section), dict):
            out[section].update({k: v for k, v in fit[section].items() if k in out[section]})
    return out
