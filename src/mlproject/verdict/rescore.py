"""rescore: the judge's own scores and measurements of every model, from files it checked.

The scores in the evidence are the PR run's claims; the gate does not use them. The judge
loads the model files that came with the evidence (through this checkout's allowlist of trusted
types, in a job without write scopes), scores them on the evidence's rows (already checked
against their hashes), measures latency and throughput with the models taking turns, and reads
each model's size from its file. Main's model and rule baseline are main's only when their bytes
are those main's sidecars record at the merge base; such a file is loaded with the sidecar read
from git here, never the one that came with it. A model whose bytes differ (trained on several
threads and rebuilt) is held to scoring main's holdout as main recorded (judge.py). When main
records a model at the base, the evidence must bring it: leaving it out does not turn a
pull request into a project's first.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from mlproject import artifact, threads
from mlproject.errors import PipelineError
from mlproject.gate import Check
from mlproject.predict import Predictor
from mlproject.verdict import champion as champions
from mlproject.verdict import scoring
from mlproject.verdict.evidence import Evidence, probabilities, table

SCORE_TOLERANCE = 1e-6  # the evidence rounds scores to 9 decimals
MAIN = {"champion": "model", "rule_baseline": "rule_baseline"}  # evidence name -> main's name
LABEL = {"challenger": "this PR's model", "champion": "main's model",
         "rule_baseline": "the rule baseline"}


@dataclass
class Rescored:
    proba: dict[str, np.ndarray]
    timing: dict[str, scoring.Timing]
    sizes: dict[str, float]
    sha256: dict[str, str]
    main_bytes: dict[str, bool] = field(default_factory=dict)  # name -> bytes are main's
    checks: list[Check] = field(default_factory=list)


def rescore(e: Evidence, files: dict[str, Path], base: str | None, root: Path,
            threads_n: int = 1, repeats: int = 50) -> Rescored:
    """Load, check and score the models in ``files`` (name -> .skops) on the evidence's rows."""
    recorded = champions.recorded(base, root) if base else {}
    if "model" in recorded and "champion" not in files:
        raise PipelineError(f"main records a model at {base[:12]}, and the evidence does not "
                            "bring it to be compared with")
    if "model" not in recorded and "champion" in files:
        raise PipelineError(f"the evidence brings a model of main's, but main records none at "
                            f"{str(base)[:12]}")
    for name in ("challenger", "rule_baseline"):
        if name not in files:
            raise PipelineError(f"the evidence has no model file of {LABEL[name]}")
    rows = table(e.holdout)
    with tempfile.TemporaryDirectory() as tmp:
        predictors, main_bytes = {}, {}
        for name, path in files.items():
            sidecar = recorded.get(MAIN.get(name, ""), (None, None))[1]
            predictors[name], main_bytes[name] = _load(name, path, sidecar, Path(tmp))
            if predictors[name].classes != list(e.classes):
                raise PipelineError(f"{LABEL[name]} predicts {predictors[name].classes}, the "
                                    f"holdout has {list(e.classes)}")
        with threads.limited(threads_n):
            proba = {name: _score(name, p, rows) for name, p in predictors.items()}
            timing = scoring.timings({k: predictors[k] for k in ("challenger", "champion")
                                      if k in predictors}, rows, repeats)
    sizes = {name: float(path.stat().st_size) for name, path in files.items()}
    sha256 = {name: artifact.sha256_of(path) for name, path in files.items()}
    gap = float(np.max(np.abs(proba["challenger"] - probabilities(e, "challenger"))))
    checks = [Check("integrity", "re-scored", "challenger",
                    "pass" if gap <= SCORE_TOLERANCE else "fail", gap, SCORE_TOLERANCE,
                    "this PR's run reported the scores its model file gives on these rows")]
    return Rescored(proba, timing, sizes, sha256,
                    {k: v for k, v in main_bytes.items() if k in MAIN and MAIN[k] in recorded},
                    checks)


def _load(name: str, path: Path, sidecar: dict | None, tmp: Path) -> tuple[Predictor, bool]:
    """The predictor, and whether its bytes are main's (then loaded with main's sidecar)."""
    try:
        if sidecar is not None and artifact.sha256_of(path) == sidecar.get("sha256"):
            trusted = tmp / f"{name}.skops"
            shutil.copyfile(path, trusted)
            artifact.sidecar(trusted).write_text(json.dumps(sidecar), encoding="utf-8")
            return Predictor.load(trusted), True
        return Predictor.load(path), False
    except PipelineError as exc:
        raise PipelineError(f"{LABEL[name]} cannot be loaded by main's code: "
                            f"{str(exc).split(': ', 1)[-1]}") from None


def _score(name: str, predictor: Predictor, rows) -> np.ndarray:
    try:
        return np.round(predictor.predict_proba(rows), 9)
    except PipelineError as exc:
        raise PipelineError(f"{LABEL[name]} cannot score the evidence's rows: {exc}") from None
