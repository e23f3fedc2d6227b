"""The gate's thresholds: the `gate:` section of params.yaml, parsed and validated.

A misspelled key or metric fails loudly, and so does a rule that points the wrong way for its
metric (a floor on a lower-is-better metric never fails a worse model): a rule that silently
matches nothing would leave the gate open while looking closed.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    model_validator,
)

from mlproject.errors import PipelineError
from mlproject.from_yaml import safe_load
from mlproject.metrics import (
    LOWER_IS_BETTER,
    PRODUCT,
    QUALITY,
    REGRESSION_PRODUCT,
    REGRESSION_QUALITY,
    REGRESSION_SLICE_METRICS,
    SLICE_METRICS,
    SYSTEM,
)

Share = Annotated[float, Field(ge=0, allow_inf_nan=False)]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SystemRule(_Section):
    """Measured side by side: challenger <= champion x max_ratio + slack (lower is better),
    or challenger >= champion x min_ratio (higher is better)."""

    max_ratio: Annotated[float, Field(gt=0, allow_inf_nan=False)] | None = None
    min_ratio: Annotated[float, Field(gt=0, allow_inf_nan=False)] | None = None
    slack: Share = 0.0


class Slices(_Section):
    metric: Literal["accuracy", "f1", "roc_auc", "mae", "rmse"] = "roc_auc"
    max_drop: Share | None = None
    min_class_rows: Annotated[int, Field(ge=1)] = 20  # judged only with this many of each class
    min_rows: Annotated[int, Field(ge=1)] = 30  # regression: judged only with this many rows


class Bootstrap(_Section):
    resamples: Annotated[int, Field(ge=100, le=100_000)] = 1000
    seed: int = 0
    confidence: Annotated[float, Field(gt=0.5, lt=1)] = 0.95


class Rules(_Section):
    min: dict[str, float] = {}
    max: dict[str, float] = {}
    max_drop: dict[str, Share] = {}
    beat_rule_baseline_by: dict[str, float] = {}
    beat_dummy_by: dict[str, float] = {}
    # promotion: never more than this below the best any production version had on the same
    # holdout rows, so drops each allowed by max_drop cannot add up release after release
    max_below_best: dict[str, Share] = {}
    system: dict[str, SystemRule] = {}
    slices: Slices = Slices()
    bootstrap: Bootstrap = Bootstrap()

    @model_validator(mode="after")
    def _directions(self, info: ValidationInfo) -> Rules:
        regression = (info.context or {}).get("task") == "regression"
        quality = set(REGRESSION_QUALITY if regression else QUALITY)
        scored = quality | set(REGRESSION_PRODUCT if regression else PRODUCT)
        allowed = {"min": scored - LOWER_IS_BETTER, "max": scored & LOWER_IS_BETTER,
                   "max_drop": scored, "beat_rule_baseline_by": quality,
                   "beat_dummy_by": quality, "max_below_best": scored,
                   "system": set(SYSTEM)}
        slice_metrics = REGRESSION_SLICE_METRICS if regression else SLICE_METRICS
        if self.slices.metric not in slice_metrics:
            raise ValueError(f"slices.metric: {self.slices.metric} is not a slice metric of a "
                             f"{'regression' if regression else 'classification'} target; "
                             f"choose one of {', '.join(slice_metrics)}")
        for key, names in (("min", self.min), ("max", self.max), ("max_drop", self.max_drop),
                           ("max_below_best", self.max_below_best),
                           ("beat_rule_baseline_by", self.beat_rule_baseline_by),
                           ("beat_dummy_by", self.beat_dummy_by),
                           ("system", self.system)):
            for name in names:
                if name in allowed[key]:
                    continue
                if key in ("min", "max") and name in scored:
                    way, other = ("lower", "max") if key == "min" else ("higher", "min")
                    raise ValueError(f"{key}.{name}: {name} is {way}-is-better, so this rule "
                                     f"could never fail a worse model; use gate.{other}.{name}")
                raise ValueError(f"{key}.{name}: unknown metric here; choose one of "
                                 f"{', '.join(sorted(allowed[key]))}")
        for name, rule in self.system.items():
            lower = name in LOWER_IS_BETTER
            wrong, right = ("min_ratio", "max_ratio") if lower else ("max_ratio", "min_ratio")
            if getattr(rule, wrong) is not None or getattr(rule, right) is None:
                raise ValueError(f"system.{name}: {name} is {'lower' if lower else 'higher'}-"
                                 f"is-better: give {right} (and not {wrong})")
            if not lower and rule.slack:
                raise ValueError(f"system.{name}.slack: only lower-is-better metrics take one")
        return self


def task_of(params: Any) -> str:
    """``classification`` or ``regression``: data.target.task of Params or raw params data."""
    if hasattr(params, "data"):
        return params.data.target.task
    target = ((params or {}).get("data") or {}).get("target") if isinstance(params, dict) \
        else None
    task = target.get("task") if isinstance(target, dict) else None
    return task if task in ("classification", "regression") else "classification"


def load_rules(params: Any, task: str | None = None) -> Rules:
    """Parse the `gate:` section of Params or of raw params.yaml data; fail naming a bad key.
    The metrics allowed are those of ``task`` (default: the params' own data.target.task)."""
    raw = params.extra if hasattr(params, "extra") else params
    section = (raw or {}).get("gate") or {}
    if not isinstance(section, dict):
        raise PipelineError("params.yaml: gate: expected a mapping")
    task = task or task_of(params)
    if task == "regression" and isinstance(section.get("slices", {}), dict) \
            and "metric" not in section.get("slices", {}):
        section = {**section, "slices": {**section.get("slices", {}), "metric": "mae"}}
    try:
        return Rules.model_validate(section, context={"task": task})
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(p) for p in error["loc"])
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "value_error" and "." in message.split(":")[0]:
            raise PipelineError(f"params.yaml: gate.{message}") from None
        raise PipelineError(f"params.yaml: gate.{where}: {message}") from None


def rules_at(rev: str | None, params: Any, root: Any = ".") -> tuple[Rules, str]:
    """The rules in params.yaml at ``rev`` (the default branch's, so a PR cannot loosen them);
    ``rev`` None means this checkout's own params.yaml."""
    import yaml

    from mlproject.results import git_show

    if rev is None:
        return load_rules(params), "`params.yaml` of this checkout"
    text = git_show(rev, "params.yaml", root)
    try:
        base = safe_load(text or "") or {}
    except yaml.YAMLError:
        # fail closed: never fall back to the branch's own (possibly looser) rules
        raise PipelineError(f"params.yaml at {rev[:12]}: not valid YAML; cannot read the "
                            "gate's thresholds") from None
    if isinstance(base, dict) and isinstance(base.get("gate"), dict):
        return load_rules(base), f"`params.yaml` at {rev[:12]}"
    return load_rules(params), "`params.yaml` on this branch (the base has no gate section)"


__all__ = ["SLICE_METRICS", "Rules", "SystemRule", "load_rules", "rules_at"]
