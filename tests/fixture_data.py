"""Generated data sets for the template's own tests: never the starter data, never data/.

``project_params()`` is a complete params.yaml (as a dict) for a small churn-like data set with
numeric and categorical features, blanks, and a yes/no target (or three classes); ``raw_rows``
writes rows of it as a raw CSV file would hold them. The label follows the features with noise,
so models have something to learn and the rule baseline something to find.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

COLUMNS = ["customer", "tenure", "monthly", "usage", "region", "plan", "city", "churned"]
REGIONS = ["east", "north", "south", "west"]
PLANS = ["basic", "plus", "pro"]
CITIES = [f"city-{i:02d}" for i in range(48)]  # many categories: a wide one-hot matrix
BINARY = ["no", "yes"]
THREE = ["stay", "downgrade", "leave"]

PARAMS: dict[str, Any] = {
    "data": {
        "reader": {"columns": COLUMNS, "header": True, "separator": ",",
                   "skip_initial_space": False, "missing_values": [""], "encoding": "utf-8",
                   "skip_rows": {}},
        "max_file_mb": 50,
        "holdout_fraction": 0.25,
        "holdout_seed": 7,
        "target": {"column": "churned", "classes": BINARY, "positive": "yes"},
    },
    "schema": {
        "numeric": {"tenure": {"min": 0, "max": 120}, "monthly": {"min": 0, "max": None},
                    "usage": {"min": None, "max": None}},
        "categorical": {"region": REGIONS, "plan": PLANS, "city": CITIES},
        "datetime": [],
        "extra_columns": "drop",  # the customer id is not a feature
        "duplicates": "drop",
        "min_rows": 50,
    },
    "split": {"validation_fraction": 0.2, "seed": 3},
    "train": {"seed": 3, "threads": 1,
              "model": {"name": "hist_gradient_boosting",
                        "params": {"max_iter": 60, "learning_rate": 0.1}}},
    "baseline": {"rule": [{"column": "tenure", "op": "<", "value": 12}]},
    "predict": {"confidence_threshold": 0.7},
    "evaluate": {"slices": ["region", "plan"], "latency_repeats": 10},
    "report": {"headline": ["roc_auc", "average_precision", "f1", "accuracy"]},
    "gate": {
        "min": {"roc_auc": 0.6},
        "max_drop": {"roc_auc": 0.005, "average_precision": 0.01, "f1": 0.02},
        "beat_rule_baseline_by": {"roc_auc": 0.02},
        "system": {"latency_ms_p50": {"max_ratio": 2.0, "slack": 2.0},
                   "batch_rows_per_s": {"min_ratio": 0.5},
                   "model_size_bytes": {"max_ratio": 2.0, "slack": 1_000_000}},
        "slices": {"metric": "roc_auc", "max_drop": 0.03, "min_class_rows": 20},
        "bootstrap": {"resamples": 300, "seed": 0},  # fewer than the template's 1000: fast
    },
}


def generated_params(classes: list[str] = BINARY) -> dict[str, Any]:
    """A complete params.yaml for the generated data (binary unless ``classes`` says otherwise)."""
    params = copy.deepcopy(PARAMS)
    target = params["data"]["target"]
    target["classes"] = list(classes)
    if len(classes) == 2:
        target["positive"] = classes[1]
    else:
        target.pop("positive")
    return params


def raw_rows(rows: int, seed: int = 0, classes: list[str] = BINARY) -> pd.DataFrame:
    """``rows`` rows as text, the way a CSV file holds them ('' is missing)."""
    rng = np.random.default_rng(seed)
    tenure = rng.integers(0, 121, rows).astype(float)
    monthly = np.round(rng.lognormal(3.5, 0.5, rows), 2)
    usage = np.round(rng.normal(0, 1, rows), 4)
    region = rng.choice(REGIONS, rows)
    plan = rng.choice(PLANS, rows, p=[0.5, 0.3, 0.2])
    city = rng.choice(len(CITIES), rows)
    risk = (1.5 - tenure / 30 + (monthly - 35) / 20 - usage + (plan == "basic") * 0.8
            + (region == "south") * 0.5 + (city % 7 == 0) * 0.6 + rng.normal(0, 1, rows))
    if len(classes) == 2:
        label = np.where(risk > 0.5, classes[1], classes[0])
    else:
        label = np.asarray(classes)[np.digitize(risk, [-0.5, 1.2])]
    table = pd.DataFrame({
        "customer": [f"C{seed:02d}{i:06d}" for i in range(rows)],
        "tenure": [f"{v:g}" for v in tenure], "monthly": [f"{v:g}" for v in monthly],
        "usage": [f"{v:g}" for v in usage], "region": region, "plan": plan,
        "city": np.asarray(CITIES)[city], "churned": label})
    table.loc[rng.random(rows) < 0.05, "usage"] = ""  # blanks in a numeric column
    table.loc[rng.random(rows) < 0.03, "region"] = ""
    return table


def write_csv(path: Path, rows: int, seed: int = 0, classes: list[str] = BINARY) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    raw_rows(rows, seed, classes).to_csv(path, index=False)
    return path


RECORD = {"tenure": 24.0, "monthly": 42.5, "usage": 0.2, "region": "north", "plan": "basic",
          "city": "city-03"}  # one customer, as the prediction API takes them


def typed_table(rows: int, seed: int = 0, classes: list[str] = BINARY) -> pd.DataFrame:
    """The generated rows as the prepare stage types them (with their row key)."""
    from mlproject.config import ROW_KEY, parse_params
    from mlproject.schema import typed

    params = parse_params(generated_params(classes))
    raw = raw_rows(rows, seed, classes).replace("", np.nan)
    raw[ROW_KEY] = range(2, rows + 2)  # line 1 is the header
    return typed(raw, params, "generated.csv").drop(columns="customer")


# A regression target on the same features: what a customer spends next month.
SPEND_KINDS = ("linear", "heavy", "zeros")


def regression_params(kind: str = "linear") -> dict[str, Any]:
    """A complete params.yaml for the generated regression data (``regression_rows``)."""
    params = copy.deepcopy(PARAMS)
    params["data"]["reader"]["columns"] = [*COLUMNS[:-1], "spend"]
    params["data"]["target"] = {"column": "spend", "task": "regression"}
    params["baseline"]["rule"] = [{"column": "tenure", "op": ">=", "value": 60}]
    params["predict"] = {"tolerance": {"relative": 0.1, "absolute": 1.0 if kind == "zeros"
                                       else 0.0}}
    params["report"] = {"headline": ["rmse", "mae", "r2", "within_tolerance"]}
    if kind == "heavy":  # squared error chases the tail: the median's loss suits MAE
        params["train"]["model"]["params"]["loss"] = "absolute_error"
    params["gate"] = {
        "min": {"r2": 0.2},
        "max_drop": {"rmse": 0.5, "mae": 0.5, "within_tolerance": 0.02},  # target's units
        "beat_rule_baseline_by": {"mae": 0.0},
        "system": {"latency_ms_p50": {"max_ratio": 2.0, "slack": 2.0},
                   "batch_rows_per_s": {"min_ratio": 0.5},
                   "model_size_bytes": {"max_ratio": 2.0, "slack": 1_000_000}},
        "slices": {"metric": "mae", "max_drop": 1.0, "min_rows": 20},
        "bootstrap": {"resamples": 300, "seed": 0},
    }
    return params


def regression_rows(rows: int, seed: int = 0, kind: str = "linear") -> pd.DataFrame:
    """``rows`` rows as text with a numeric target: ``linear`` (a linear signal plus normal
    noise), ``heavy`` (log-normal: a heavy right tail) or ``zeros`` (counts, many of them 0)."""
    table = raw_rows(rows, seed).drop(columns="churned")
    rng = np.random.default_rng(seed + 100)
    tenure = table["tenure"].astype(float).to_numpy()
    monthly = table["monthly"].astype(float).to_numpy()
    usage = pd.to_numeric(table["usage"], errors="coerce").fillna(0).to_numpy()
    pro = (table["plan"] == "pro").to_numpy()
    if kind == "linear":
        spend = 40 + 0.8 * tenure + 1.5 * monthly - 10 * usage + 25 * pro \
            + rng.normal(0, 12, rows)
    elif kind == "heavy":
        spend = np.exp(3 + tenure / 60 + 0.5 * pro - 0.2 * usage + rng.normal(0, 0.8, rows))
    else:
        spend = rng.poisson(np.exp(-0.5 + tenure / 50 - 0.4 * usage + 0.6 * pro)).astype(float)
    table["spend"] = [f"{v:.2f}" for v in spend]
    return table


def typed_regression_table(rows: int, seed: int = 0, kind: str = "linear") -> pd.DataFrame:
    """The generated regression rows as the prepare stage types them (with their row key)."""
    from mlproject.config import ROW_KEY, parse_params
    from mlproject.schema import typed

    params = parse_params(regression_params(kind))
    raw = regression_rows(rows, seed, kind).replace("", np.nan)
    raw[ROW_KEY] = range(2, rows + 2)
    return typed(raw, params, "generated.csv").drop(columns="customer")
