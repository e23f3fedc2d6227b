"""The short table `make run` prints: the model's key metrics beside both baselines."""

from __future__ import annotations

from pathlib import Path

from mlproject import storage

KEYS = [("quality", "roc_auc"), ("quality", "f1"), ("quality", "accuracy"),
        ("quality", "average_precision"), ("product", "coverage"),
        ("product", "precision_when_shown")]
REGRESSION_KEYS = [("quality", "rmse"), ("quality", "mae"), ("quality", "median_absolute_error"),
                   ("quality", "r2"), ("quality", "mape"), ("product", "within_tolerance")]
MODELS = ("model", "rule_baseline", "dummy")


def table(metrics: dict) -> str:
    """Return an aligned text table, one row per metric, one column per model."""
    header = f"{'metric':<22}" + "".join(f"{m:>15}" for m in MODELS)
    lines = [header, "-" * len(header)]
    regression = "rmse" in (metrics.get("model", {}).get("quality") or {})
    for family, key in REGRESSION_KEYS if regression else KEYS:
        cells = []
        for model in MODELS:
            value = storage.finite(metrics.get(model, {}).get(family, {}).get(key))
            cells.append(f"{value:>15.4f}" if value is not None else f"{'-':>15}")
        lines.append(f"{key:<22}" + "".join(cells))
    return "\n".join(lines)


def main(path: Path) -> None:
    print(table(storage.read_json(path)))
