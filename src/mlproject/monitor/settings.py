"""The `monitor:` section of params.yaml: the prediction log and the scheduled check.

Every value is checked before anything is read or written: a threshold that could never fire,
or one that would fire on noise alone, is refused with the key's name, like the gate's rules.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from mlproject.errors import PipelineError
from mlproject.from_yaml import KeyProblem, build, safe_load

QUALITY_METRICS = ("accuracy", "balanced_accuracy", "precision_when_shown", "roc_auc")
VALUE_METRICS = ("mae", "within_tolerance")  # a regression model's
KINDS = ("features", "predictions", "quality")


@dataclass(frozen=True)
class Log:
    enabled: bool = True
    dir: str = "logs/predictions"
    rotate_mb: float = 32.0
    rotate_minutes: float = 60.0
    idle_seconds: float = 10.0
    retention_days: float = 30.0
    max_total_mb: float = 2048.0


@dataclass(frozen=True)
class Drift:
    numeric: float = 0.1
    categorical: float = 0.1
    score: float = 0.05
    unseen_rate: float = 0.01
    missing_rate: float = 0.05


@dataclass(frozen=True)
class Quality:
    metric: Literal["accuracy", "balanced_accuracy", "precision_when_shown", "roc_auc", "mae",
                    "within_tolerance"] = \
        "accuracy"
    max_drop: float = 0.02
    min_labels: int = 200
    resamples: int = 1000
    confidence: float = 0.95
    seed: int = 0


@dataclass(frozen=True)
class Monitor:
    log: Log = field(default_factory=Log)
    storage: str = ""
    labels: str = ""
    window_hours: float = 24.0
    min_predictions: int = 500
    drift: Drift = field(default_factory=Drift)
    quality: Quality = field(default_factory=Quality)
    retrain_on: list[str] = field(default_factory=lambda: ["features", "quality"])


def parse(raw: Any, source: str = "params.yaml") -> Monitor:
    """The validated settings; a missing section means the defaults."""
    try:
        settings = build(Monitor, {} if raw is None else raw, "monitor")
        _check(settings)
    except KeyProblem as exc:
        raise PipelineError(f"{source}: {exc.key}: {exc.reason}") from None
    return settings


def load(path: Path | str = "params.yaml") -> Monitor:
    path = Path(path)
    try:
        raw = safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PipelineError(f"{path}: file not found") from None
    except Exception as exc:  # noqa: BLE001 - YAML or encoding: one line either way
        first = (str(exc).splitlines() or [type(exc).__name__])[0]
        raise PipelineError(f"{path}: not valid YAML: {first}") from None
    if not isinstance(raw, dict):
        raise PipelineError(f"{path}: expected a mapping of sections at the top level")
    return parse(raw.get("monitor"), str(path))


def _check(m: Monitor) -> None:
    log, drift, q = m.log, m.drift, m.quality
    if not log.dir.strip():
        raise KeyProblem("monitor.log.dir", "must name a folder")
    for key in ("rotate_mb", "rotate_minutes", "idle_seconds", "retention_days", "max_total_mb"):
        if getattr(log, key) <= 0:
            raise KeyProblem(f"monitor.log.{key}", "must be more than 0")
    if log.max_total_mb < 2 * log.rotate_mb:
        raise KeyProblem("monitor.log.max_total_mb",
                         f"must hold at least two files of rotate_mb ({log.rotate_mb:g} MB)")
    if m.window_hours <= 0:
        raise KeyProblem("monitor.window_hours", "must be more than 0")
    if m.window_hours > log.retention_days * 24:
        raise KeyProblem("monitor.window_hours", "is longer than monitor.log.retention_days "
                         "keeps logs")
    if m.min_predictions < 100:
        raise KeyProblem("monitor.min_predictions", "must be at least 100: fewer predictions "
                         "measure noise, not drift")
    # distances are in [0, 1] (Jensen-Shannon, rates); numeric drift is in training SDs
    for key in ("categorical", "score", "unseen_rate", "missing_rate"):
        if not 0 < getattr(drift, key) < 1:
            raise KeyProblem(f"monitor.drift.{key}", "must be between 0 and 1 (exclusive)")
    if not 0 < drift.numeric <= 10:
        raise KeyProblem("monitor.drift.numeric", "must be more than 0 and at most 10 "
                         "(training standard deviations)")
    if q.metric == "mae":  # a regression's error, in the target's units
        if not 0 < q.max_drop < float("inf"):
            raise KeyProblem("monitor.quality.max_drop", "must be more than 0 (for mae: in "
                             "the target's units)")
    elif not 0 < q.max_drop < 1:
        raise KeyProblem("monitor.quality.max_drop", "must be between 0 and 1 (exclusive)")
    if q.min_labels < 50:
        raise KeyProblem("monitor.quality.min_labels", "must be at least 50")
    if q.resamples < 200:
        raise KeyProblem("monitor.quality.resamples", "must be at least 200 for a 95 % interval")
    if not 0.5 <= q.confidence < 1:
        raise KeyProblem("monitor.quality.confidence", "must be at least 0.5 and below 1")
    for i, kind in enumerate(m.retrain_on):
        if kind not in KINDS:
            raise KeyProblem(f"monitor.retrain_on[{i}]",
                             f"got {kind!r}; choose from {', '.join(KINDS)}")
