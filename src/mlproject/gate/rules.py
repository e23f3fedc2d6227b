"""The gate's thresholds: the `gate:` section of params.yaml, parsed and validated.

A misspelled key or metric fails loudly: a rule that silently matches nothing would leave the
gate open while looking closed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlproject import storage
from mlproject.errors import PipelineError
from mlproject.results import git_show

QUALITY = {"accuracy", "balanced_accuracy", "precision", "recall", "f1", "roc_auc",
           "average_precision", "log_loss", "brier"}
PRODUCT = {"coverage", "precision_when_shown", "top_2_accuracy"}
SYSTEM = {"model_size_bytes", "training_time_s", "latency_one_ms_p50", "latency_one_ms_p95",
          "batch_rows_per_s"}
SLICE_METRICS = {"accuracy", "f1", "roc_auc"}
LOWER_IS_BETTER = {"log_loss", "brier", "model_size_bytes", "training_time_s",
                   "latency_one_ms_p50", "latency_one_ms_p95"}


@dataclass(frozen=True)
class Growth:
    fraction: float  # 0.2 = may grow by 20 % of the baseline value ...
    slack: float = 0.0  # ... plus this absolute amount (measured metrics are noisy)


@dataclass(frozen=True)
class Rules:
    min: dict[str, float] = field(default_factory=dict)
    max_drop: dict[str, float] = field(default_factory=dict)
    max_growth: dict[str, Growth] = field(default_factory=dict)
    beat_rule_baseline_by: dict[str, float] = field(default_factory=dict)
    slice_metric: str = "roc_auc"
    slice_max_drop: float | None = None


def _number(value: Any, key: str, minimum: float = 0.0) -> float:
    v = storage.finite(value)
    if v is None or v < minimum:
        raise PipelineError(f"params.yaml: gate.{key}: expected a number >= {minimum:g}, "
                            f"got {value!r}")
    return v


def _mapping(raw: dict, key: str, names: set[str] | None = None) -> dict:
    value = raw.get(key) or {}
    if not isinstance(value, dict):
        raise PipelineError(f"params.yaml: gate.{key}: expected a mapping of metric: value")
    for name in value:
        if names is not None and name not in names:
            raise PipelineError(f"params.yaml: gate.{key}.{name}: unknown metric; choose one "
                                f"of {', '.join(sorted(names))}")
    return value


def load_rules(params: Any) -> Rules:
    """Parse the `gate:` section of Params or of raw params.yaml data; fail naming a bad key."""
    raw = params.extra if hasattr(params, "extra") else params
    raw = (raw or {}).get("gate") or {}
    if not isinstance(raw, dict):
        raise PipelineError("params.yaml: gate: expected a mapping")
    _known(raw, {"min", "max_drop", "max_growth", "beat_rule_baseline_by", "slices"}, "gate")
    every = QUALITY | PRODUCT | SYSTEM
    growth = {}
    for name, spec in _mapping(raw, "max_growth", SYSTEM).items():
        spec = spec if isinstance(spec, dict) else {"fraction": spec}
        _known(spec, {"fraction", "slack"}, f"gate.max_growth.{name}")
        growth[name] = Growth(_number(spec.get("fraction"), f"max_growth.{name}.fraction"),
                              _number(spec.get("slack", 0), f"max_growth.{name}.slack"))
    slices = _mapping(raw, "slices")
    _known(slices, {"metric", "max_drop"}, "gate.slices")
    metric = str(slices.get("metric", "roc_auc"))
    if metric not in SLICE_METRICS:
        raise PipelineError(f"params.yaml: gate.slices.metric: {metric!r} is not measured per "
                            f"slice; choose one of {', '.join(sorted(SLICE_METRICS))}")
    drop = slices.get("max_drop")
    return Rules(
        min={k: _number(v, f"min.{k}", -math.inf)
             for k, v in _mapping(raw, "min", every).items()},
        max_drop={k: _number(v, f"max_drop.{k}")
                  for k, v in _mapping(raw, "max_drop", QUALITY | PRODUCT).items()},
        max_growth=growth,
        beat_rule_baseline_by={k: _number(v, f"beat_rule_baseline_by.{k}", -math.inf)
                               for k, v in _mapping(raw, "beat_rule_baseline_by",
                                                    QUALITY).items()},
        slice_metric=metric,
        slice_max_drop=None if drop is None else _number(drop, "slices.max_drop"))


def _known(raw: dict, known: set[str], where: str) -> None:
    for key in raw:
        if key not in known:
            raise PipelineError(f"params.yaml: {where}.{key}: unknown key; known keys: "
                                f"{', '.join(sorted(known))}")


def rules_at(base: str, params: Any, root: Path | str = ".") -> tuple[Rules, str]:
    """Return the rules in params.yaml at ``base``, so a PR cannot loosen its own gate."""
    import yaml

    text = git_show(base, "params.yaml", root)
    try:
        base_params = yaml.safe_load(text or "") or {}
    except yaml.YAMLError:
        # fail closed: never fall back to the branch's own (possibly looser) rules
        raise PipelineError(f"params.yaml at {base[:12]}: not valid YAML; cannot read the "
                            "gate's thresholds") from None
    if isinstance(base_params, dict) and isinstance(base_params.get("gate"), dict):
        return load_rules(base_params), f"`params.yaml` at `{base[:12]}` (the base)"
    return load_rules(params), "`params.yaml` on this branch (the base has no gate section yet)"
