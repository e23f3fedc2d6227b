"""compare: score the PR's model and main's on the same holdout rows, in one process.

Both models (and main's rule baseline and dummy) score every holdout row with the same code
and thread settings. The result is the evidence the judge reads: the rows (keys, labels, hashes
and every column's values), these scores, what changed, and beside it the model files, which
the judge checks and scores again itself (rescore.py). `timings` measures one-record latency
and batch throughput interleaved (A, B, B, A, ...), so a busy machine slows both alike and only
their ratio is judged; the judge measures them in its own job.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from mlproject import holdout as holdout_rows
from mlproject import storage, threads
from mlproject.config import ROW_KEY, Params, load_params
from mlproject.errors import PipelineError
from mlproject.predict import Predictor
from mlproject.verdict import champion as champions
from mlproject.verdict import changes
from mlproject.verdict.evidence import (
    ChampionInfo,
    Changes,
    Evidence,
    Holdout,
    PullRequest,
    Scores,
)

HOLDOUT = Path("artifacts/prepared/holdout.parquet")
BATCH_ROWS = 10_000  # rows per throughput measurement, at most
MIN_BATCH_ROWS = 5_000  # a small holdout is repeated up to this: a brief timing is not steady
BATCH_ROUNDS = (3, 7)  # batch timings per model: at least, at most
STEADY = 0.10  # more rounds while a model's throughputs spread wider than this about their median


def scores(predictor: Predictor, table: pd.DataFrame) -> np.ndarray:
    """Class probabilities (or a regression's values), rounded to 9 decimals."""
    return np.round(predictor.outputs(table), 9)


@dataclass
class Timing:
    latency_ms: list[float]  # one-record predictions
    batch_rows_per_s: list[float]


def timings(predictors: dict[str, Predictor], table: pd.DataFrame, repeats: int
            ) -> dict[str, Timing]:
    """Interleaved one-record latencies (ms) and batch throughputs (rows/s) of each model."""
    records = table.head(repeats).to_dict("records") or [{}]
    batch = table.head(BATCH_ROWS)
    if 0 < len(batch) < MIN_BATCH_ROWS:
        batch = pd.concat([batch] * -(-MIN_BATCH_ROWS // len(batch)), ignore_index=True)
    latency: dict[str, list[float]] = {name: [] for name in predictors}
    rows_per_s: dict[str, list[float]] = {name: [] for name in predictors}
    names = list(predictors)
    for i in range(repeats):
        for name in names if i % 2 == 0 else names[::-1]:
            start = time.perf_counter()
            predictors[name].predict([records[i % len(records)]])
            latency[name].append((time.perf_counter() - start) * 1000)
    for i in range(BATCH_ROUNDS[1]):
        for name in names if i % 2 == 0 else names[::-1]:
            start = time.perf_counter()
            predictors[name].outputs(batch)
            rows_per_s[name].append(len(batch) / max(time.perf_counter() - start, 1e-9))
        if i + 1 >= BATCH_ROUNDS[0] and all(steady(v) for v in rows_per_s.values()):
            break
    return {name: Timing(latency_ms=[round(v, 4) for v in latency[name]],
                         batch_rows_per_s=[round(v, 1) for v in rows_per_s[name]])
            for name in names}


def steady(values: list[float]) -> bool:
    """The measurements lie within STEADY of their median: their median will not move much."""
    middle = float(np.median(values))
    return middle > 0 and (max(values) - min(values)) <= STEADY * middle


def column_values(table: pd.DataFrame) -> dict[str, list]:
    """Every column's values (numbers as floats, text as text, missing as None), in the order
    the row hashes read them, so the judge can check the rows and score them itself."""
    out = {}
    for name in (c for c in table.columns if c != ROW_KEY):
        values = table[name]
        if pd.api.types.is_numeric_dtype(values):
            out[name] = [None if pd.isna(v) else float(v) for v in values.to_numpy()]
        else:
            out[name] = [None if pd.isna(v) else str(v) for v in values.astype("object")]
    return out


@dataclass(frozen=True)
class Slice:
    values: list[str]  # the column's distinct values, sorted
    codes: list[int]  # per row: the index of its value, -1 when missing


def slice_codes(table: pd.DataFrame, columns: list[str]) -> dict[str, Slice]:
    """Which value of each slice column every row has (columns the table lacks are left out)."""
    out = {}
    for column in columns:
        if column not in table:
            continue
        text = table[column].astype("object")
        values = sorted({str(v) for v in text.dropna()})
        index = {v: i for i, v in enumerate(values)}
        codes = [index[str(v)] if pd.notna(v) else -1 for v in text]
        out[column] = Slice(values=values, codes=codes)
    return out


@dataclass
class Compared:
    evidence: Evidence
    files: dict[str, Path] = field(default_factory=dict)  # model name -> .skops (sidecar beside)


def compare(root: Path, base: str, pr: PullRequest, params: Params | None = None,
            champion: bool = True, changed: bool = True) -> Compared:
    """Score the workspace's model and the base's (unless ``champion`` is False) on the
    workspace's holdout; return the evidence and the model files it scored. ``changed``:
    collect what changed against the base too (for the comment; the gate does not read it)."""
    params = params or load_params(root / "params.yaml")
    target = params.data.target
    table = storage.read_table(root / HOLDOUT)
    files = {"challenger": root / "models" / "model.skops"}
    found = champions.obtain(base, root, root / "build" / "champion") if champion else \
        champions.Champion("none", 0.0, "nothing is in production yet")
    if "model" in found.files:
        files["champion"] = found.files["model"]
    for name in ("rule_baseline", "dummy"):  # main's, or the branch's own without a champion
        files[name] = found.files.get(name, root / "models" / f"{name}.skops")
    predictors = {name: Predictor.load(path) for name, path in files.items()}
    for name, predictor in predictors.items():
        if predictor.task != target.task:
            raise PipelineError(f"{name} is a {predictor.task} model, this branch's target is "
                                f"a {target.task} target: the models cannot be compared")
        if predictor.classes != list(target.classes):
            raise PipelineError(f"{name} predicts classes {predictor.classes}, this branch has "
                                f"{list(target.classes)}: the models cannot be compared")
    info = ChampionInfo(source=found.source, seconds=round(found.seconds, 2),
                        detail=found.detail[:200])
    return Compared(evidence_of(table, params, predictors, pr, info,
                                changes.collect(root, base) if changed else None), files)


def evidence_of(table: pd.DataFrame, params: Params, predictors: dict[str, Predictor],
                pr: PullRequest, champion: ChampionInfo, changed: Changes | None = None
                ) -> Evidence:
    """The evidence of ``predictors`` (name -> model) scored on the holdout ``table``."""
    target = params.data.target
    identity = holdout_rows.identity(table, target.column)
    with threads.limited(params.train.threads):
        probas = {name: scores(p, table) for name, p in predictors.items()}
    index = {c: i for i, c in enumerate(target.classes)}
    if target.regression:
        truth = {"targets": table[target.column].to_numpy(dtype=float).tolist()}
        task = {"task": "regression", "tolerance": list(predictors["challenger"].tolerance)}
    else:
        truth = {"labels": [index[v] for v in identity["labels"]]}
        task = {"classes": list(target.classes), "positive": target.positive,
                "threshold": predictors["challenger"].threshold}
    return Evidence(
        format=1, outcome="scored", pr=pr, **task,
        holdout=Holdout(keys=identity["keys"], **truth, hashes=identity["hashes"],
                        fingerprint=identity["fingerprint"], columns=column_values(table)),
        models={name: Scores(name=str(p.metadata.get("name", name))[:100],
                             sha256=p.metadata["sha256"], size_bytes=p.metadata["size_bytes"],
                             **{"values" if target.regression else "proba":
                                probas[name].tolist()})
                for name, p in predictors.items()},
        champion=champion, changes=changed)


def failed(pr: PullRequest, reason: str) -> Evidence:
    """The evidence of a run whose pipeline did not finish: the judge reports a failure."""
    return Evidence(format=1, outcome="failed", reason=reason[:200], pr=pr)


def pull_request(event: Path | None, root: Path, base: str) -> PullRequest:
    """Who the evidence is about: the pull_request event's PR, else the local checkout."""
    from mlproject.registry import git

    head = git("rev-parse", "HEAD", root=root)
    if event is None:
        return PullRequest(number=None, head_sha=head, base_sha=base, repository=None)
    try:
        payload = json.loads(Path(event).read_text(encoding="utf-8"))
        pr = payload["pull_request"]
        return PullRequest(number=int(pr["number"]), head_sha=str(pr["head"]["sha"]),
                           base_sha=base,
                           repository=str(payload.get("repository", {}).get("full_name")))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise PipelineError(f"{event}: not a pull_request event ({type(exc).__name__})") from None
