"""params.yaml parsed once into typed, validated objects.

A wrong key or value fails fast with the key's full name, e.g.
``params.yaml: train.model.name: unknown estimator 'xgboost'; choose one of ...``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

from mlproject.errors import PipelineError
from mlproject.from_yaml import KeyProblem, build, safe_load

PARAMS_FILE = Path("params.yaml")
# The column prepare adds to every table: the row's line in its raw file (its row number in a
# Parquet file). Errors name it, and it keys the holdout rows both models are scored on.
ROW_KEY = "__line__"


@dataclass(frozen=True)
class Reader:
    columns: list[str]
    header: bool = False
    separator: str = ","
    skip_initial_space: bool = False
    missing_values: list[str] = field(default_factory=list)
    encoding: str = "utf-8"
    skip_rows: dict[str, int] = field(default_factory=dict)


TASKS = ("classification", "regression")


@dataclass(frozen=True)
class Target:
    column: str
    # classification: a class per row (classes, positive, strip, labels); regression: a number
    task: Literal["classification", "regression"] = "classification"
    classes: list[str] = field(default_factory=list)
    positive: str | None = None
    strip: str = ""
    labels: dict[str, str] = field(default_factory=dict)  # raw label -> class: {"1.0": "1"}

    @property
    def regression(self) -> bool:
        return self.task == "regression"


@dataclass(frozen=True)
class Data:
    reader: Reader
    target: Target
    max_file_mb: float = 100.0
    holdout_fraction: float = 0.2  # carved from the file when there is no holdout file
    holdout_seed: int = 0


@dataclass(frozen=True)
class Range:
    min: float | None = None
    max: float | None = None


@dataclass(frozen=True)
class Schema:
    numeric: dict[str, Range] = field(default_factory=dict)
    categorical: dict[str, list[str]] = field(default_factory=dict)
    datetime: list[str] = field(default_factory=list)  # become numbers: days since 1970
    extra_columns: Literal["reject", "drop"] = "reject"
    duplicates: Literal["allow", "drop", "reject"] = "allow"
    min_rows: int = 1


@dataclass(frozen=True)
class Split:
    validation_fraction: float = 0.2
    seed: int = 0


@dataclass(frozen=True)
class Model:
    name: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Train:
    model: Model
    seed: int = 0
    threads: int = 1  # OpenMP and BLAS threads; 1 = byte-identical models anywhere, 0 = all cores


@dataclass(frozen=True)
class Condition:
    column: str
    op: Literal["<", "<=", ">", ">=", "==", "!=", "in", "not_in"]
    value: Any


@dataclass(frozen=True)
class Baseline:
    rule: list[Condition] = field(default_factory=list)


@dataclass(frozen=True)
class Tolerance:
    """Regression: a prediction is within tolerance when |prediction - truth| is at most
    max(relative x |truth|, absolute)."""
    relative: float = 0.1
    absolute: float = 0.0


@dataclass(frozen=True)
class Predict:
    confidence_threshold: float = 0.5  # classification
    tolerance: Tolerance = field(default_factory=Tolerance)  # regression


@dataclass(frozen=True)
class Evaluate:
    slices: list[str] = field(default_factory=list)
    latency_repeats: int = 200  # one-record predictions timed per model when comparing models
    # what a person knows about the data: a numeric feature whose growth raises (increasing)
    # or lowers (decreasing) the positive class's score; tests/project checks the model agrees
    expectations: dict[str, Literal["increasing", "decreasing"]] = field(default_factory=dict)


@dataclass(frozen=True)
class Params:
    data: Data
    schema: Schema
    split: Split
    train: Train
    baseline: Baseline
    predict: Predict
    evaluate: Evaluate
    extra: dict[str, Any] = field(default_factory=dict)  # sections owned by report, gate, ...

    @property
    def features(self) -> list[str]:
        """Feature columns in file order: every schema column except the target."""
        known = set(self.schema.numeric) | set(self.schema.categorical) | set(self.schema.datetime)
        return [c for c in self.data.reader.columns if c in known and c != self.data.target.column]

    @property
    def numeric_features(self) -> list[str]:
        """Features the models see as numbers (datetimes included)."""
        return [c for c in self.features if c not in self.schema.categorical]

    @property
    def categorical_features(self) -> list[str]:
        return [c for c in self.features if c in self.schema.categorical]


# Sections parsed elsewhere (report, gate, registry, monitor, ...); kept as plain dicts here.
OTHER_SECTIONS = {"report", "gate", "registry", "refresh", "sweep", "monitor"}


def load_params(path: Path | str = PARAMS_FILE) -> Params:
    """Read and validate params.yaml; raise PipelineError naming the bad key."""
    path = Path(path)
    try:
        raw = safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PipelineError(f"{path}: file not found") from None
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise PipelineError(f"{path}: not valid YAML: {first}") from None
    return parse_params(raw, source=str(path))


def parse_params(raw: Any, source: str = "params.yaml") -> Params:
    if not isinstance(raw, dict):
        raise PipelineError(f"{source}: expected a mapping of sections at the top level")
    # sections no stage reads are checked by every command all the same: an unknown key (or
    # one a YAML merge key pulled in) is refused wherever it is
    if "monitor" in raw:
        from mlproject.monitor.settings import parse

        parse(raw["monitor"], source)
    if "sweep" in raw:
        from mlproject.sweep.grid import max_cells

        max_cells(raw)
    if "refresh" in raw:
        from mlproject.refresh import settings as refresh_settings

        refresh_settings(raw["refresh"])
    if "registry" in raw:
        from mlproject.registry import settings_from

        settings_from(raw["registry"])
    extra = {k: raw[k] for k in OTHER_SECTIONS if k in raw}
    core = {k: v for k, v in raw.items() if k not in OTHER_SECTIONS}
    try:
        params = build(Params, {**core, "extra": extra}, "")
        _check(params)
    except KeyProblem as exc:
        raise PipelineError(f"{source}: {exc.key}: {exc.reason}") from None
    return params


def _check(p: Params) -> None:
    """Cross-field rules that types alone cannot express."""
    from mlproject.estimators import ESTIMATORS  # local: keeps config import light

    reader, target = p.data.reader, p.data.target
    if ROW_KEY in reader.columns:
        raise KeyProblem("data.reader.columns", f"{ROW_KEY!r} is reserved for the row key")
    if target.column not in reader.columns:
        raise KeyProblem("data.target.column", f"{target.column!r} is not in data.reader.columns")
    if target.regression:
        for key, value in (("classes", target.classes), ("positive", target.positive),
                           ("strip", target.strip), ("labels", target.labels)):
            if value:
                raise KeyProblem(f"data.target.{key}", "a regression target has no classes: "
                                 "remove the key")
        tol = p.predict.tolerance
        if tol.relative < 0 or tol.absolute < 0 or tol.relative == tol.absolute == 0:
            raise KeyProblem("predict.tolerance", "relative and absolute must be >= 0, and "
                             "one of them > 0")
    elif len(target.classes) < 2:
        raise KeyProblem("data.target.classes", "needs at least two classes")
    if target.positive is not None and target.positive not in target.classes:
        raise KeyProblem("data.target.positive", f"{target.positive!r} is not one of the classes")
    for raw, label in target.labels.items():
        if label not in target.classes:
            raise KeyProblem(f"data.target.labels.{raw}", f"{label!r} is not one of the classes")
    for name in [*p.schema.numeric, *p.schema.categorical, *p.schema.datetime]:
        if name not in reader.columns:
            raise KeyProblem(f"schema.{name}", "column is not in data.reader.columns")
    kinds = [set(p.schema.numeric), set(p.schema.categorical), set(p.schema.datetime)]
    if sum(len(k) for k in kinds) != len(set().union(*kinds)):
        raise KeyProblem("schema", "a column can have only one type")
    if not 0 < p.data.holdout_fraction < 1:
        raise KeyProblem("data.holdout_fraction", "must be between 0 and 1")
    if not 0 < p.split.validation_fraction < 1:
        raise KeyProblem("split.validation_fraction", "must be between 0 and 1")
    names = [n for n, spec in ESTIMATORS.items() if spec.path(target.task)]
    if p.train.model.name not in names:
        known = p.train.model.name in ESTIMATORS
        raise KeyProblem(
            "train.model.name",
            f"{'no ' + target.task + ' ' if known else 'unknown '}estimator "
            f"{p.train.model.name!r}; choose one of {', '.join(names)}")
    if p.train.threads < 0:
        raise KeyProblem("train.threads", "must be 0 (every core) or a positive count")
    if p.evaluate.latency_repeats < 1:
        raise KeyProblem("evaluate.latency_repeats", "must be at least 1")
    if not 0 <= p.predict.confidence_threshold <= 1:
        raise KeyProblem("predict.confidence_threshold", "must be between 0 and 1")
    for i, cond in enumerate(p.baseline.rule):
        if cond.column not in p.features:
            raise KeyProblem(f"baseline.rule[{i}].column", f"{cond.column!r} is not a feature")
    for name in p.evaluate.slices:
        if name not in p.schema.categorical:
            raise KeyProblem("evaluate.slices", f"{name!r} is not a categorical column")
    for name in p.evaluate.expectations:
        if name not in p.numeric_features:
            raise KeyProblem(f"evaluate.expectations.{name}", "not a numeric feature")
