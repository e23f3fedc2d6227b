"""The evidence: what the pull request's job scored, and all the judge may read of it.

The PR's job runs the PR's code, so everything here is hostile input to the judge: the folder
may hold only `evidence.json` (under a size cap) and the model files named in ``MODEL_FILES``,
all regular files; the JSON must match this strict schema (unknown keys, wrong types, NaN or
infinite numbers, over-long texts or lists are refused); and the shapes must agree (one label
per holdout row, one probability per class per row and model, probabilities in [0, 1] summing
to 1 (a regression: one finite target and one finite value per row and model), unique row
keys, row hashes that match the rows' values). Nothing in it is executed; the
model files are loaded only by the judge, in a job without write scopes, through the allowlist
of trusted types, and main's are accepted only when they are the ones main recorded
(rescore.py).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from mlproject.errors import PipelineError
from mlproject.holdout import fingerprint, row_hashes

FILE = "evidence.json"
MODEL_FILES = {"challenger": "model.skops", "champion": "champion.skops",  # sidecars beside:
               "rule_baseline": "rule_baseline.skops", "dummy": "dummy.skops"}  # model.json...
ALLOWED = {FILE} | {n for f in MODEL_FILES.values() for n in (f, f.replace(".skops", ".json"))}
FORMAT = 1
MAX_BYTES = 200_000_000
MAX_ROWS = 2_000_000
MAX_CLASSES = 50
SHA = r"^[0-9a-f]{40}$"
Text = Annotated[str, Field(max_length=200)]
Name = Annotated[str, Field(max_length=100, pattern=r"^[\w.\-=/ \[\]:]+$")]
Number = Annotated[float, Field(allow_inf_nan=False)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class PullRequest(Strict):
    number: Annotated[int, Field(ge=1, le=10**9)] | None
    head_sha: Annotated[str, Field(pattern=SHA)]
    base_sha: Annotated[str, Field(pattern=SHA)] | None
    repository: Annotated[str, Field(max_length=140, pattern=r"^[\w.-]+/[\w.-]+$")] | None


Value = Number | Annotated[str, Field(max_length=1000)] | None


class Holdout(Strict):
    """The holdout rows both models were scored on: keys, labels, every column's values."""

    keys: Annotated[list[Annotated[int, Field(ge=0)]], Field(max_length=MAX_ROWS)]
    labels: Annotated[list[Annotated[int, Field(ge=0, lt=MAX_CLASSES)]],
                      Field(max_length=MAX_ROWS)] = []  # classification: class indices
    targets: Annotated[list[Number], Field(max_length=MAX_ROWS)] = []  # regression: values
    hashes: Annotated[list[Annotated[str, Field(pattern=r"^[0-9a-f]{16}$")]],
                      Field(max_length=MAX_ROWS)]
    fingerprint: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
    columns: Annotated[dict[Name, Annotated[list[Value], Field(max_length=MAX_ROWS)]],
                       Field(max_length=500)]


class Scores(Strict):
    name: Name
    sha256: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
    size_bytes: Annotated[int, Field(ge=0, le=10**12)]
    proba: Annotated[list[Annotated[list[Number], Field(max_length=MAX_CLASSES)]],
                     Field(max_length=MAX_ROWS)] = []  # classification
    values: Annotated[list[Number], Field(max_length=MAX_ROWS)] = []  # regression


class ChampionInfo(Strict):
    source: Literal["DVC cache", "DVC remote", "rebuilt", "none"]
    seconds: Annotated[float, Field(ge=0, le=1e6, allow_inf_nan=False)]
    detail: Text


class ParamChange(Strict):
    key: Text
    main: Text
    branch: Text


Fact = Number | Text | dict[Text, Number]  # a validation summary's value: count, hash, shares


class Changes(Strict):
    params: Annotated[list[ParamChange], Field(max_length=500)]
    code: Annotated[list[Text], Field(max_length=500)]
    data_changed: bool
    validation: dict[Literal["main", "branch"],
                     dict[Literal["train", "holdout"], dict[Name, Fact]]]
    drift: dict[Name, Number] | Text


class Evidence(Strict):
    format: Literal[1]
    outcome: Literal["scored", "failed"]
    reason: Text = ""
    pr: PullRequest
    task: Literal["classification", "regression"] = "classification"
    classes: Annotated[list[Text], Field(max_length=MAX_CLASSES)] = []
    positive: Text | None = None
    threshold: Annotated[float, Field(ge=0, le=1)] = 0.5
    # regression: a prediction is within tolerance when off by <= max(relative x |truth|, absolute)
    tolerance: Annotated[list[Annotated[float, Field(ge=0, le=1e12, allow_inf_nan=False)]],
                         Field(min_length=2, max_length=2)] | None = None
    holdout: Holdout | None = None
    models: dict[Literal["challenger", "champion", "rule_baseline", "dummy"], Scores] = {}
    champion: ChampionInfo | None = None
    changes: Changes | None = None

    @field_validator("classes")
    @classmethod
    def _distinct(cls, classes: list[str]) -> list[str]:
        if len(set(classes)) != len(classes):
            raise ValueError("class names repeat")
        return classes


def write(evidence: Evidence, out_dir: Path, files: dict[str, Path] | None = None) -> Path:
    """Write the evidence folder: evidence.json, and each model file in ``files`` (name ->
    .skops, its .json sidecar beside) under its name in MODEL_FILES. Return the JSON's path."""
    import shutil

    from mlproject import artifact, storage

    out_dir = Path(out_dir)
    for name in ALLOWED - {FILE}:  # a model from an earlier run is not this evidence's
        (out_dir / name).unlink(missing_ok=True)
    path = out_dir / FILE
    storage.write_bytes(path, evidence.model_dump_json().encode("utf-8"))
    for name, source in (files or {}).items():
        target = out_dir / MODEL_FILES[name]
        shutil.copyfile(source, target)
        shutil.copyfile(artifact.sidecar(source), artifact.sidecar(target))
    return path


def model_files(folder: Path) -> dict[str, Path]:
    """{model name: .skops path} of the model files the evidence folder holds."""
    return {name: Path(folder) / file for name, file in MODEL_FILES.items()
            if (Path(folder) / file).is_file()}


def read(folder: Path) -> Evidence:
    """Read and check the evidence folder; raise PipelineError with one line naming the fault."""
    folder = Path(folder)
    if not folder.is_dir():
        raise PipelineError(f"no evidence: {folder.name} is missing (the pr run made none)")
    entries = sorted(folder.iterdir())
    unexpected = [e.name for e in entries if e.name not in ALLOWED]
    if unexpected:
        shown = ", ".join(repr(name[:60]) for name in unexpected[:5])
        raise PipelineError(f"evidence may hold only {FILE} and the model files; found {shown}")
    if not (folder / FILE).exists():
        raise PipelineError(f"evidence: no {FILE} (the pr run made none)")
    for entry in entries:
        if entry.is_symlink() or not entry.is_file():
            raise PipelineError(f"evidence: {entry.name} is not a regular file")
    file = folder / FILE
    size = file.stat().st_size
    if size > MAX_BYTES:
        raise PipelineError(f"evidence: {FILE} is {size:,} bytes, over the {MAX_BYTES:,} cap")
    try:
        raw = json.loads(file.read_bytes(), parse_constant=_no_constants)
        evidence = Evidence.model_validate(raw)
    except (ValueError, RecursionError) as exc:
        raise PipelineError(f"evidence: {FILE}: {_first_problem(exc)}") from None
    _check_shapes(evidence)
    return evidence


def _no_constants(name: str) -> float:
    raise ValueError(f"{name} is not a finite number")


def _first_problem(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        error = exc.errors()[0]
        where = ".".join(str(p) for p in error["loc"][:6])
        return f"{where}: {error['msg'][:120]} ({exc.error_count()} problem(s))"
    return str(exc).splitlines()[0][:160] if str(exc) else type(exc).__name__


def _check_shapes(e: Evidence) -> None:
    """Counts and values that the schema alone cannot tie together."""
    if e.outcome == "failed":
        return
    regression = e.task == "regression"
    if e.holdout is None or "challenger" not in e.models or \
            (len(e.classes) < 2 if not regression else e.classes or e.tolerance is None):
        raise PipelineError("evidence: a scored run needs a holdout, the challenger and "
                            + ("a tolerance and no classes" if regression else "classes"))
    h, n, k = e.holdout, len(e.holdout.keys), len(e.classes)
    truths = h.targets if regression else h.labels
    if not (len(truths) == len(h.hashes) == n) or n == 0 or (h.labels and h.targets):
        raise PipelineError("evidence: holdout keys, labels and hashes differ in number")
    if len(set(h.keys)) != n:
        raise PipelineError("evidence: holdout row keys repeat")
    if not regression and max(h.labels) >= k:
        raise PipelineError("evidence: a holdout label is not one of the classes")
    if e.positive is not None and e.positive not in e.classes:
        raise PipelineError("evidence: the positive class is not one of the classes")
    names = [str(t) for t in h.targets] if regression else [e.classes[i] for i in h.labels]
    if fingerprint(h.keys, names, h.hashes) != h.fingerprint:
        raise PipelineError("evidence: the holdout's fingerprint does not match its rows")
    if any(len(values) != n for values in h.columns.values()):
        raise PipelineError("evidence: a holdout column has another number of rows")
    if row_hashes(table(h), list(h.columns)) != h.hashes:
        raise PipelineError("evidence: the holdout's values do not match their row hashes")
    for name, scores in e.models.items():
        if regression:
            if len(scores.values) != n or scores.proba:
                raise PipelineError(f"evidence: {name} gives {len(scores.values)} values, "
                                    f"expected {n}")
            continue
        proba = np.asarray(scores.proba, dtype=float)
        if scores.values or proba.shape != (n, k):
            raise PipelineError(f"evidence: {name} scores {proba.shape}, expected ({n}, {k})")
        if (proba < 0).any() or (proba > 1).any() or \
                not np.allclose(proba.sum(axis=1), 1, atol=1e-6):
            raise PipelineError(f"evidence: {name} probabilities are not in [0, 1] summing to 1")


def table(h: Holdout) -> Any:
    """The holdout rows as a table, columns typed as the prepare stage typed them."""
    import pandas as pd

    columns = {}
    for name, values in h.columns.items():
        numeric = all(v is None or isinstance(v, float) for v in values)
        columns[name] = pd.Series(values, dtype="float64" if numeric else "object")
    return pd.DataFrame(columns)


def outputs(e: Evidence, name: str) -> np.ndarray:
    """What the PR's run says model ``name`` gives on the holdout: class probabilities (n,
    classes), or a regression's values (n,)."""
    scores = e.models[name]
    return np.asarray(scores.values if e.task == "regression" else scores.proba, dtype=float)


def truths(e: Evidence) -> np.ndarray:
    """The holdout's truth per row: class indices, or a regression's target values."""
    assert e.holdout is not None
    if e.task == "regression":
        return np.asarray(e.holdout.targets, dtype=float)
    return np.asarray(e.holdout.labels)


PR_NUMBER = re.compile(r'"pr"\s*:\s*\{?\s*"number"\s*:\s*(\d{1,10})\b')


def pr_number(folder: Path) -> int | None:
    """The pull request number of evidence that failed its checks, if it can be read at all.

    Only used to say why on the pull request; publishing verifies it with GitHub first.
    """
    file = Path(folder) / FILE
    try:
        if file.is_symlink() or not file.is_file() or file.stat().st_size > MAX_BYTES:
            return None
        text = file.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    try:
        number = json.loads(text)["pr"]["number"]
    except (ValueError, KeyError, TypeError, RecursionError):  # not JSON: look for it in text
        found = PR_NUMBER.search(text)
        number = int(found.group(1)) if found else None
    ok = isinstance(number, int) and not isinstance(number, bool) and 0 < number <= 10**9
    return number if ok else None
