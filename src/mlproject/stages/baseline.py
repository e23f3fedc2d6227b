"""baseline: the rule-based dummy model from params, and scikit-learn's DummyClassifier floor."""

from __future__ import annotations

import time
from pathlib import Path

import pandas as pd
from sklearn.dummy import DummyClassifier

from mlproject import artifact, storage
from mlproject.config import Params
from mlproject.rule_model import RuleClassifier


def baselines(df: pd.DataFrame, params: Params) -> dict[str, tuple[object, float]]:
    """Return {name: (fitted model, training seconds)} for the rule and the prior."""
    X, y = df[params.features], df[params.data.target.column].to_numpy(dtype=object)
    rule = tuple((c.column, c.op, c.value) for c in params.baseline.rule)
    out = {}
    for name, model in (("rule_baseline", RuleClassifier(conditions=rule)),
                        ("dummy", DummyClassifier(strategy="prior"))):
        start = time.perf_counter()
        out[name] = (model.fit(X, y), time.perf_counter() - start)
    return out


def main(params: Params, train_table: Path, out_dir: Path) -> None:
    for name, (model, seconds) in baselines(storage.read_table(train_table), params).items():
        meta = artifact.metadata_for(params, name, train_table)
        meta.update(training_time_s=round(seconds, 3))
        artifact.save_model(model, out_dir / f"{name}.skops", meta)
        print(f"baseline: {name} saved")
