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

from mlproject.metrics import REGRESSION_PRODUCT, REGRESSION_QUALITY

REFERENCE_ROWS = 4000
MAX_DROP = {"roc_auc": 0.005, "average_precision": 0.01, "f1": 0.02,  # the template's defaults
            "balanced_accuracy": 0.02, "coverage": 0.02, "precision_when_shown": 0.02,
            "top_2_accuracy": 0.01}
SLICE_MAX_DROP = 0.03
WIDEST = {"roc_auc": 0.05, "average_precision": 0.08, "f1": 0.1, "balanced_accuracy": 0.1,
          "coverage": 0.1, "precision_when_shown": 0.1, "top_2_accuracy": 0.08, "slices": 0.1}
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


def primary_metric(class_rows: dict[str, int], positive: str | None) -> tuple[str, str]:
    """The metric that judges the predicted class, and why: the positive class's F1, except
    when that class is the majority, where F1 says little (a model that always predicts it
    already scores high) and balanced accuracy (the mean recall of both classes) judges."""
    total = sum(class_rows.values())
    share = class_rows.get(positive, 0) / total if positive is not None and total else 0.0
    if positive is not None and len(class_rows) == 2 and share > 0.5:
        f1 = 2 * share / (1 + share)  # all-positive: precision = share, recall = 1
        return "balanced_accuracy", (f"the positive class {positive!r} is {share:.0%} of the "
                                     f"rows, so predicting it always has F1 {f1:.2f}: "
                                     "balanced accuracy judges instead of F1")
    return "f1", ("F1 of the positive class" if positive is not None and len(class_rows) == 2
                  else "macro F1 (the mean F1 of the classes)")


CLASS_METRICS = ("f1", "balanced_accuracy")


def with_metrics(names: list[str], primary: str, classes: int, product: bool = False
                 ) -> list[str]:
    """``names`` with the other class metric replaced by ``primary``, and top-2 accuracy
    added (several classes, ``product``) or removed (two: it is not defined there)."""
    out = [primary if n in CLASS_METRICS else n for n in names]
    out = [n for n in dict.fromkeys(out) if n != "top_2_accuracy" or classes > 2]
    if product and classes > 2 and "top_2_accuracy" not in out:
        out.append("top_2_accuracy")
    return out


# The starter's class gate: what a gate written for a regression target becomes again when the
# project adopts a class target (its tolerances are then fitted like any other's).
CLASS_GATE = {
    "max_drop": {k: MAX_DROP[k] for k in ("roc_auc", "average_precision", "f1", "coverage",
                                          "precision_when_shown")},
    "max_below_best": {"roc_auc": ANCHOR_DROPS * MAX_DROP["roc_auc"]},
    "beat_rule_baseline_by": {"roc_auc": 0.05, "f1": 0.02},
    "beat_dummy_by": {"roc_auc": 0.05, "log_loss": 0.0},  # no worse than the class shares
    "slices": {"metric": "roc_auc", "max_drop": SLICE_MAX_DROP,
               "min_class_rows": MIN_CLASS_ROWS[1]},
}
CLASS_HEADLINE = ["roc_auc", "average_precision", "f1", "coverage", "precision_when_shown"]
VALUE_NAMES = frozenset(REGRESSION_QUALITY + REGRESSION_PRODUCT)  # a regression target's


def judges_values(gate: dict) -> bool:
    """Whether any rule of ``gate`` names a regression metric (it was written for one)."""
    slices = gate.get("slices") if isinstance(gate.get("slices"), dict) else {}
    return slices.get("metric") in VALUE_NAMES or any(
        isinstance(rules, dict) and VALUE_NAMES & set(rules) for rules in gate.values())


def gate_section(gate: object, fit: dict, primary: str = "f1", classes: int = 2) -> dict | None:
    """The gate with the starter's floors cleared, its metrics fitted to the task (``primary``
    judges the predicted class; top-2 accuracy with several classes) and its change tolerances
    and slice minimums fitted to the holdout (it keeps its shape otherwise; a gate written for
    a regression target takes the starter's class rules again)."""
    if not isinstance(gate, dict):
        return None
    out = copy.deepcopy(gate)
    if judges_values(out):
        out.update(copy.deepcopy(CLASS_GATE), max={})
        slices = gate.get("slices") if isinstance(gate.get("slices"), dict) else {}
        out["slices"] = {k: v for k, v in slices.items() if k != "min_rows"} | CLASS_GATE["slices"]
    if "min" in out:  # the floors were set for the starter data
        out["min"] = {}
    for section in ("max_drop", "max_below_best", "beat_rule_baseline_by", "beat_dummy_by"):
        rules = out.get(section)
        if isinstance(rules, dict):
            product = section == "max_drop" and "coverage" in rules
            names = with_metrics(list(rules), primary, classes, product)
            out[section] = {n: rules.get(n, rules.get("f1", rules.get("balanced_accuracy")))
                            if n in CLASS_METRICS else rules.get(n) for n in names}
    for section in ("max_drop", "max_below_best", "slices"):
        if isinstance(out.get(section), dict):
            out[section].update({k: v for k, v in fit[section].items() if k in out[section]})
    return out


# Regression: tolerances in the target's own units, from the holdout's spread (the error of
# always predicting its median), scaled like the class metrics' by the holdout's size.
VALUE_SHARE = {"rmse": 0.01, "mae": 0.01}  # of the spread: a one per cent worse error
VALUE_WIDEST = 0.1
SLICE_SHARE = 0.03
MIN_ROWS = (10, 30)  # a slice is judged with at least this many rows


def for_values(y: list[float] | object) -> dict:
    """The regression gate's tolerances for a holdout whose targets are ``y``: the same keys
    as ``for_holdout`` (slices: ``min_rows``)."""
    import numpy as np

    values = np.asarray(y, dtype=float)
    n = max(len(values), 1)
    scale = max(1.0, math.sqrt(REFERENCE_ROWS / n))
    spread = {"mae": float(np.mean(np.abs(values - np.median(values)))) if len(values) else 1.0,
              "rmse": float(np.std(values)) if len(values) else 1.0}
    max_drop = {k: _significant(min(VALUE_WIDEST, share * scale) * spread[k])
                for k, share in VALUE_SHARE.items()}
    max_drop["within_tolerance"] = _round(min(WIDEST["coverage"], MAX_DROP["coverage"] * scale))
    low, high = MIN_ROWS
    return {
        "max_drop": max_drop,
        "max_below_best": {k: _significant(ANCHOR_DROPS * v) for k, v in max_drop.items()},
        "slices": {"metric": "mae", "max_drop": _significant(
            min(VALUE_WIDEST, SLICE_SHARE * scale) * spread["mae"]),
            "min_rows": int(min(high, max(low, n // 20)))},
    }


def _significant(value: float, digits: int = 3) -> float:
    """Up to ``digits`` significant digits, rounded up: never narrower than computed."""
    if value <= 0 or not math.isfinite(value):
        return 0.0
    step = 10 ** (math.floor(math.log10(value)) - digits + 1)
    return float(f"{math.ceil(value / step - 1e-9) * step:.{digits}g}")


def regression_gate(gate: object, fit: dict) -> dict | None:
    """The starter's gate for a regression target: its shape (system rules, bootstrap) kept,
    its class metrics replaced by error metrics, tolerances fitted to the holdout (``fit``),
    and the margins over the baselines set to "no worse" (0) in mean absolute error (the rule)
    and RMSE (the dummy, the training mean)."""
    if not isinstance(gate, dict):
        return None
    out = copy.deepcopy(gate)
    out["min"], out["max"] = {}, {}
    out["max_drop"] = dict(fit["max_drop"])
    out["max_below_best"] = {k: v for k, v in fit["max_below_best"].items()
                             if k in ("rmse", "mae")}
    out["beat_rule_baseline_by"] = {"mae": 0.0}
    out["beat_dummy_by"] = {"rmse": 0.0}
    slices = out.get("slices") if isinstance(out.get("slices"), dict) else {}
    out["slices"] = {k: v for k, v in slices.items() if k != "min_class_rows"} | fit["slices"]
    return out
