"""selfcheck: does main pass its own gate? Main against itself, and against seed-only retrains.

A gate that fails main's own model, or a model that differs from it only by a seed, fails every
pull request for reasons no pull request can fix. So after the pipeline has run, main's model
is judged exactly as a pull request's would be (verdict/judge.py: the same rows, the same
intervals, the models timed taking turns): first against itself, then retrained with other
`split.seed`s against it. ``fit`` loosens what noise alone made fail (a margin over a
baseline down to what main reaches, no lower than 0; a change tolerance up to the caps of
adopt/tolerance.py, or for a share of predictions up to most of main's own share, see
``SHARE_ROOM``), and what still fails is named. init-data runs it on the data it adopts;
tests/project runs it on the project's own data.
"""

from __future__ import annotations

import copy
import math
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd

from mlproject import artifact, storage
from mlproject.adopt.tolerance import WIDEST
from mlproject.config import Params, parse_params
from mlproject.gate import BASELINES, Verdict, load_rules
from mlproject.metrics import LOWER_IS_BETTER
from mlproject.predict import Predictor
from mlproject.verdict.evidence import ChampionInfo, Evidence, PullRequest
from mlproject.verdict.judge import Judgement, MainRecords, compare
from mlproject.verdict.rescore import Rescored, measure
from mlproject.verdict.run import slice_columns
from mlproject.verdict.scoring import evidence_of

NO_SHA = "0" * 40
ERRORS = ("rmse", "mae")  # regression metrics in the target's units
# Shares of the predictions (shown at the confidence threshold, right when shown, within the
# tolerance) count rows near a cut-off: a small model on a small holdout can move them more
# between seed-only retrains than any cap meant for a large one. Their tolerance may then widen
# past its cap, up to this part of main's own value, so a model that keeps less than a fifth of
# main's share (none, say) still fails.
SHARES = ("coverage", "precision_when_shown", "within_tolerance")
SHARE_ROOM = 0.8
MAIN = "main against itself"


@dataclass
class Trial:
    """A pull request that could be: its name, its evidence and the judge's measurements."""

    name: str
    evidence: Evidence
    rescored: Rescored


def trials(raw: dict, prepared: Path, models: Path, retrains: int = 3,
           say: Callable[[str], None] = print) -> list[Trial]:
    """Main's model against itself, then ``retrains`` models trained with the next
    `split.seed`s, each with main's baselines, scored on the holdout in ``prepared``."""
    from mlproject.stages.split import split
    from mlproject.stages.train import train

    params = parse_params(raw)
    holdout = storage.read_table(prepared / "holdout.parquet")
    files = {name: models / f"{name}.skops" for name in ("model", "rule_baseline", "dummy")}
    out = [_trial(MAIN, params, holdout, files["model"], files)]
    with tempfile.TemporaryDirectory() as tmp:
        rest = storage.read_table(prepared / "train.parquet")
        for i in range(1, retrains + 1):
            seed = params.split.seed + i
            say(f"init-data: a retrain with split.seed {seed} against main's model "
                f"({i} of {retrains})")
            p = replace(params, split=replace(params.split, seed=seed))
            rows = split(rest, p)[0]
            table = Path(tmp) / f"train-{seed}.parquet"
            storage.write_table(table, rows)
            path = Path(tmp) / f"retrain-{seed}.skops"
            artifact.save_model(train(rows, p), path,
                                artifact.metadata_for(p, p.train.model.name, table))
            out.append(_trial(f"split.seed {seed}", params, holdout, path, files))
    return out


def _trial(name: str, params: Params, holdout: pd.DataFrame, challenger: Path,
           files: dict[str, Path]) -> Trial:
    paths = {"challenger": challenger, "champion": files["model"],
             "rule_baseline": files["rule_baseline"], "dummy": files["dummy"]}
    predictors = {k: Predictor.load(v) for k, v in paths.items()}
    pr = PullRequest(number=None, head_sha=NO_SHA, base_sha=NO_SHA, repository=None)
    e = evidence_of(holdout, params, predictors, pr,
                    ChampionInfo(source="none", seconds=0, detail="main's model"))
    rescored = measure(e, predictors, params.train.threads, params.evaluate.latency_repeats)
    rescored.sizes = {k: float(v.stat().st_size) for k, v in paths.items()}
    rescored.sha256 = {k: artifact.sha256_of(v) for k, v in paths.items()}
    return Trial(name, e, rescored)


def judge(found: list[Trial], raw: dict, headline: list[str]) -> list[tuple[str, Judgement]]:
    """Each trial judged under the `gate:` section of ``raw``."""
    rules, columns = load_rules(raw), slice_columns(raw)
    return [(t.name, compare(t.evidence, rules, columns, MainRecords(), headline, t.rescored))
            for t in found]


def verdicts_of(judged: list[tuple[str, Judgement]]) -> list[tuple[str, Verdict]]:
    return [(name, j.verdict) for name, j in judged]


def main_values(judgement: Judgement) -> dict[str, float]:
    """Main's value of each metric judged, on the holdout."""
    return {name: e.champion for name, e in judgement.comparison.metrics.items()
            if e.champion is not None}


def _floor3(value: float) -> float:
    return math.floor(value * 1000 + 1e-9) / 1000


def _ceil3(value: float) -> float:
    return math.ceil(value * 1000 - 1e-9) / 1000


def fit(gate: dict, verdicts: list[tuple[str, Verdict]], main: dict[str, float] | None = None
        ) -> tuple[dict, list[str]]:
    """The `gate:` section loosened where noise alone failed main or a seed-only retrain,
    and a note per change made. ``main``: main's value of each metric, which bounds how far
    a share's tolerance may widen (without it, the caps hold)."""
    gate, notes, main = copy.deepcopy(gate), [], main or {}
    original = {**(gate.get("max_drop") or {}),
                "slices": (gate.get("slices") or {}).get("max_drop", 0.0)}
    for name, verdict in verdicts:
        for c in verdict.failed:
            if c.kind in ("rule baseline", "dummy"):
                key = next(k for kind, k in BASELINES.values() if kind == c.kind)
                reached = c.high if c.high is not None else c.value
                if reached is None:
                    continue
                new = max(0.0, _floor3(reached))
                if new < gate[key][c.metric]:
                    notes.append(f"gate.{key}.{c.metric} {gate[key][c.metric]:g} → {new:g} "
                                 f"({name}: {c.sentence()})")
                    gate[key][c.metric] = new
            elif c.kind in ("change", "slice") and c.value is not None:
                metric = c.metric if c.kind == "change" else "slices"
                measured = c.metric.split(" [", 1)[0]  # a slice's check: "mae [region=east]"
                drop = c.value if measured in LOWER_IS_BETTER else -c.value
                section = gate["max_drop"] if c.kind == "change" else gate["slices"]
                field = c.metric if c.kind == "change" else "max_drop"
                widest = WIDEST.get(metric, 0.1)
                if measured in ERRORS and section[field] > 0:
                    # in the target's units: at most ten times the fitted tolerance (10 % of
                    # the holdout's spread, as adopt/tolerance.py caps it)
                    widest = max(section[field], original.get(metric, section[field]) * 10)
                cap = widest
                if c.kind == "change" and measured in SHARES and main.get(measured):
                    widest = max(widest, _floor3(SHARE_ROOM * main[measured]))
                new = min(widest, _ceil3(drop * 1.25))
                if new > section[field]:
                    past = (f"; past the cap of {cap:g}, as retrains move this share so "
                            f"much on this holdout: a {measured} under "
                            f"{main[measured] - new:.3f} still fails (main's: "
                            f"{main[measured]:.3f})") if new > cap else ""
                    notes.append(f"gate.{'max_drop' if c.kind == 'change' else 'slices'}."
                                 f"{field} {section[field]:g} → {new:g} ({name}: "
                                 f"{c.sentence()}{past})")
                    section[field] = new
    return gate, notes


def failures(verdicts: list[tuple[str, Verdict]]) -> list[str]:
    """One line per failing check: which trial, and the shortfall."""
    return [f"{name}: {c.sentence()}" for name, v in verdicts for c in v.failed]


def check(raw: dict, prepared: Path, models: Path, retrains: int = 3,
          say: Callable[[str], None] = print) -> tuple[dict | None, list[str], list[str]]:
    """Judge main against itself and seed-only retrains; fit the gate to what noise does.

    Returns (the fitted `gate:` section, or None when nothing changed; the notes of what
    changed; what main or a retrain still fails under the fitted gate)."""
    from mlproject import report

    headline = report.load_config(raw)["headline"]
    found = trials(raw, prepared, models, retrains, say)
    judged = judge(found, raw, headline)
    verdicts = verdicts_of(judged)
    gate, notes = fit(raw.get("gate") or {}, verdicts, main_values(judged[0][1]))
    if notes:
        verdicts = verdicts_of(judge(found, {**raw, "gate": gate}, headline))
    return (gate if notes else None), notes, failures(verdicts)


def first_failures(lines: list[str], count: int = 2) -> str:
    more = f"; and {len(lines) - count} more" if len(lines) > count else ""
    return "; ".join(lines[:count]) + more

