"""rescore: the judge's own scores and measurements of every model, from files it checked.

The scores in the evidence are the PR run's claims; the gate does not use them. The judge
loads the model files that came with the evidence (through this checkout's allowlist of trusted
types, in a job without write scopes), scores them on the evidence's rows (already checked
against their hashes), measures latency and throughput with the models taking turns, and reads
each model's size from its file. Main's model and baselines are main's only when their bytes
are those main's sidecars record at the merge base; such a file is loaded with the sidecar read
from git here, never the one that came with it (the PR's own files likewise with the sidecars
its commit records, when provenance.py found them). A model whose bytes differ (trained on
several threads and rebuilt) is held to scoring main's holdout as main recorded (judge.py).
When main records a model at the base, the evidence must bring it: leaving it out does not
turn a pull request into a project's first. A file that cannot be loaded or scored, for any
reason, is one line of refusal, never a traceback.
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
from mlproject.verdict.evidence import Evidence, outputs, table
from mlproject.verdict.provenance import REDO

SCORE_TOLERANCE = 1e-6  # the evidence rounds scores to 9 decimals
MAIN = {"champion": "model", "rule_baseline": "rule_baseline", "dummy": "dummy"}  # -> main's
LABEL = {"challenger": "this PR's model", "champion": "main's model",
         "rule_baseline": "the rule baseline", "dummy": "the dummy"}
REQUIRED = ("challenger", "rule_baseline", "dummy")


@dataclass
class Rescored:
    outputs: dict[str, np.ndarray]  # class probabilities (n, classes), or values (n,)
    timing: dict[str, scoring.Timing]
    sizes: dict[str, float]
    sha256: dict[str, str]
    main_bytes: dict[str, bool] = field(default_factory=dict)  # name -> bytes are main's
    checks: list[Check] = field(default_factory=list)
    metadata: dict[str, dict] = field(default_factory=dict)  # name -> the sidecar it loaded with


def rescore(e: Evidence, files: dict[str, Path], base: str | None, root: Path,
            threads_n: int = 1, repeats: int = 50, own: dict[str, dict] | None = None
            ) -> Rescored:
    """Load, check and score the models in ``files`` (name -> .skops) on the evidence's rows.

    ``own``: the sidecars the PR's commit records for its own files (challenger, and its
    baselines when main records none); those files are loaded with them.
    """
    recorded = champions.recorded(base, root) if base else {}
    for name, main_name in MAIN.items():
        if main_name in recorded and name not in files:
            what = "a model" if name == "champion" else LABEL[name].replace("the ", "a ", 1)
            raise PipelineError(f"main records {what} at {base[:12]}, and the evidence does "
                                "not bring it to be compared with")
    if "model" not in recorded and "champion" in files:
        raise PipelineError(f"the evidence brings a model of main's, but main records none at "
                            f"{str(base)[:12]}")
    for name in REQUIRED:
        if name not in files:
            raise PipelineError(f"the evidence has no model file of {LABEL[name]}")
    with tempfile.TemporaryDirectory() as tmp:
        predictors, main_bytes = {}, {}
        for name, path in files.items():
            mains = recorded.get(MAIN.get(name, ""), (None, None))[1]
            predictors[name], main_bytes[name] = _load(name, path, mains, (own or {}).get(name),
                                                       Path(tmp))
            if predictors[name].task != e.task:
                raise PipelineError(f"{LABEL[name]} is a {predictors[name].task} model, the "
                                    f"holdout's target is a {e.task} target")
            if predictors[name].classes != list(e.classes):
                raise PipelineError(f"{LABEL[name]} predicts {predictors[name].classes[:10]}, "
                                    f"the holdout has {list(e.classes)[:10]}")
        found = measure(e, predictors, threads_n, repeats)
    found.sizes = {name: float(path.stat().st_size) for name, path in files.items()}
    found.sha256 = {name: artifact.sha256_of(path) for name, path in files.items()}
    found.main_bytes = {k: v for k, v in main_bytes.items() if k in MAIN and MAIN[k] in recorded}
    gap = float(np.max(np.abs(found.outputs["challenger"] - outputs(e, "challenger"))))
    found.checks = [Check("integrity", "re-scored", "challenger",
                          "pass" if gap <= SCORE_TOLERANCE else "fail", gap, SCORE_TOLERANCE,
                          "this PR's run reported the scores its model file gives on these rows"),
                    settings_check(e, predictors["challenger"])]
    return found


def settings_check(e: Evidence, challenger: Predictor) -> Check:
    """The evidence's product settings (the positive class, the confidence threshold that
    decides what is shown, a regression's tolerance) are the ones the PR's model records:
    the run that wrote the evidence cannot judge its model at settings it does not ship with
    (a threshold of 0 would show every prediction and hide a coverage that fell)."""
    if e.task == "regression":
        pairs = [("tolerance", tuple(e.tolerance or ()), challenger.tolerance)]
    else:
        pairs = [("confidence threshold", e.threshold, challenger.threshold),
                 ("positive class", e.positive, challenger.metadata.get("positive"))]
    wrong = [f"{what} {_shown(claimed)}, the PR's model records {_shown(recorded)}"
             for what, claimed, recorded in pairs if claimed != recorded]
    if not wrong:
        return Check("integrity", "settings", "challenger", "pass", None, None,
                     "the evidence judges at the settings the PR's model records")
    return Check("integrity", "settings", "challenger", "fail", None, None,
                 f"the evidence judges at {'; '.join(wrong)}; {REDO}")


def _shown(value: object) -> str:
    if isinstance(value, tuple):
        return " / ".join(_shown(v) for v in value)
    return f"{value:g}" if isinstance(value, float | int) and not isinstance(value, bool) \
        else repr(value)[:60]


def measure(e: Evidence, predictors: dict[str, Predictor], threads_n: int, repeats: int
            ) -> Rescored:
    """Score every model on the evidence's rows and time the challenger and the champion
    taking turns (sizes and hashes are the caller's: they come from files)."""
    rows = table(e.holdout)
    with threads.limited(threads_n):
        scored = {name: _score(name, p, rows) for name, p in predictors.items()}
        timing = scoring.timings({k: predictors[k] for k in ("challenger", "champion")
                                  if k in predictors}, rows, repeats)
    return Rescored(scored, timing, {}, {},
                    metadata={name: p.metadata for name, p in predictors.items()})


def _load(name: str, path: Path, mains: dict | None, own: dict | None, tmp: Path
          ) -> tuple[Predictor, bool]:
    """The predictor, and whether its bytes are main's (then loaded with main's sidecar; the
    PR's own files with the sidecar its commit records, when there is one)."""
    try:
        is_mains = mains is not None and artifact.sha256_of(path) == mains.get("sha256")
        sidecar = mains if is_mains else own
        if sidecar is None:
            return Predictor.load(path), False
        trusted = tmp / f"{name}.skops"
        shutil.copyfile(path, trusted)
        artifact.sidecar(trusted).write_text(json.dumps(sidecar), encoding="utf-8")
        return Predictor.load(trusted), is_mains
    except PipelineError as exc:
        raise PipelineError(f"{LABEL[name]} cannot be loaded by main's code: "
                            f"{str(exc).split(': ', 1)[-1]}") from None
    except Exception as exc:  # a file from the evidence: any fault is a refusal, not a crash
        raise PipelineError(f"{LABEL[name]} cannot be loaded by main's code: "
                            f"{type(exc).__name__}: {str(exc)[:120]}") from None


def _score(name: str, predictor: Predictor, rows) -> np.ndarray:
    try:
        proba = np.asarray(predictor.outputs(rows), dtype=float)
    except PipelineError as exc:
        raise PipelineError(f"{LABEL[name]} cannot score the evidence's rows: {exc}") from None
    except Exception as exc:  # a model that loads but breaks when it predicts
        raise PipelineError(f"{LABEL[name]} cannot score the evidence's rows: "
                            f"{type(exc).__name__}: {str(exc)[:120]}") from None
    shape = (len(rows),) if predictor.regression else (len(rows), len(predictor.classes))
    if proba.shape != shape or not np.isfinite(proba).all():
        raise PipelineError(f"{LABEL[name]} gives scores of shape {proba.shape} or not finite "
                            f"for {len(rows)} rows" + ("" if predictor.regression else
                                                        f" of {len(predictor.classes)} classes"))
    return np.round(proba, 9)
