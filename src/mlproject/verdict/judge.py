"""judge: metrics, intervals and the gate, computed with this checkout's code.

In CI this runs in the `verdict` workflow, which GitHub starts from the default branch: its code,
its `gate:` rules and its `evaluate.slices` decide, whatever the pull request changed. The
evidence is checked before anything is computed from it (evidence.py), every model is scored
again here from its file (rescore.py), the holdout is compared with the one main recorded, and
main's model and baselines must be main's: the bytes main recorded, or, on main's holdout,
the scores main recorded.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from mlproject import gate
from mlproject.gate import BASELINES, Check, Comparison, Estimate, Measured, SliceEstimate
from mlproject.gate.rules import Rules
from mlproject.metrics import (
    PRODUCT,
    QUALITY,
    REGRESSION_PRODUCT,
    REGRESSION_QUALITY,
    mape_defined,
    regression_curves,
)
from mlproject.verdict import bootstrap as bs
from mlproject.verdict.evidence import Evidence, table, truths
from mlproject.verdict.rescore import LABEL, MAIN, Rescored
from mlproject.verdict.scoring import slice_codes

RECORD_TOLERANCE = 2e-6  # main's recorded metrics have 6 decimals
LEAK_METRIC = "roc_auc"
LEAK_Z = 3.0  # holdout better than validation by this many standard errors of the difference
LEAK_MIN = 0.01  # ... and by at least this much


@dataclass
class MainRecords:
    """What main recorded at the base: the holdout's fingerprint and rows, and the metrics."""

    fingerprint: str | None = None
    rows: int | None = None
    metrics: dict = field(default_factory=dict)  # reports/metrics.json at the base


@dataclass
class Judgement:
    evidence: Evidence
    comparison: Comparison
    verdict: gate.Verdict
    rules: Rules
    slice_columns: list[str]
    records: MainRecords
    point: dict[str, dict[str, float]]  # every metric of every scored model (folded table)
    curves: dict[str, dict[str, list[tuple[float, float]]]]  # kind -> model -> points
    confusion: dict[str, np.ndarray]  # model -> (true, predicted) counts
    rescored: Rescored  # the judge's own scores and measurements


def _rows(e: Evidence) -> bs.Rows:
    if e.task == "regression":
        relative, absolute = e.tolerance or (0.0, 0.0)
        return bs.Rows(truths(e), [], None, e.threshold, (relative, absolute))
    positive = e.classes.index(e.positive) if e.positive is not None else None
    return bs.Rows(truths(e), list(e.classes), positive, e.threshold)


def metric_names(e: Evidence) -> list[str]:
    """Every metric the judge computes for the evidence's task."""
    if e.task == "regression":
        keep_mape = mape_defined(truths(e))
        return [m for m in (*REGRESSION_QUALITY, *REGRESSION_PRODUCT)
                if m != "mape" or keep_mape]
    return [m for m in (*QUALITY, *PRODUCT)
            if m != "top_2_accuracy" or len(e.classes) > 2]


def _finite(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None


def _integrity(e: Evidence, records: MainRecords, point: dict, main_bytes: dict[str, bool]
               ) -> list[Check]:
    """Is the holdout main's, and are main's model and baselines main's?"""
    checks = []
    same = records.fingerprint is not None and records.fingerprint == e.holdout.fingerprint
    if records.fingerprint is not None:
        checks.append(Check("integrity", "holdout", "holdout", "pass" if same else "warn",
                            len(e.holdout.keys), records.rows,
                            "the rows both models are scored on are main's holdout"))
    for model, recorded_as in MAIN.items():
        if model not in main_bytes:
            continue  # main records no such file at the base: nothing to hold it to
        label = LABEL[model].replace("the ", "main's ", 1)
        recorded = ((records.metrics.get(recorded_as) or {}).get("quality") or {})
        gaps = [abs(point[model][k] - v) for k, v in recorded.items()
                if k in point[model] and isinstance(v, int | float)
                and np.isfinite(point[model][k])]
        if same and gaps:
            agrees = max(gaps) <= RECORD_TOLERANCE
            checks.append(Check("integrity", "main's records", model,
                                "pass" if agrees else "fail", max(gaps), RECORD_TOLERANCE,
                                f"{label} scores main's holdout as main recorded"))
        elif not main_bytes[model]:
            checks.append(Check("integrity", "main's file", model, "fail", None, None,
                                f"{label} is not the file main recorded, and its scores "
                                "cannot be held to main's records on these rows"))
    return checks


def judged_metrics(rules: Rules, headline: list[str], names: list[str]) -> list[str]:
    """The metrics the key table shows: the headline, then every other metric a rule judges."""
    ruled = [*rules.max_drop, *rules.beat_rule_baseline_by, *rules.beat_dummy_by,
             *rules.min, *rules.max]
    return [m for m in dict.fromkeys([*headline, *ruled]) if m in names]


def estimates(scored: dict[str, bs.Scored], point: dict, names: list[str], wanted: list[str],
              b) -> dict[str, Estimate]:
    """Each metric's values, with the paired intervals of the challenger against every other
    model (on the same resamples) and of its own value, for the ``wanted`` metrics."""
    resampled = bs.resample(wanted, scored, b.resamples, b.seed)
    out = {}
    for m in names:
        draws = resampled.get(m, {})

        def vs(other: str, draws: dict = draws) -> tuple[float | None, float | None]:
            if other not in draws:
                return None, None
            return _pair(bs.interval(draws["challenger"], draws[other], b.confidence))

        own = _pair(bs.interval(draws["challenger"], np.zeros_like(draws["challenger"]),
                                b.confidence)) if draws else (None, None)
        low, high = vs("champion")
        value = {k: _finite(v[m]) for k, v in point.items()}
        out[m] = Estimate(value["challenger"], value.get("champion"), value.get("rule_baseline"),
                          low, high, value.get("dummy"), own,
                          {k: vs(k) for k in BASELINES if k in draws})
    return out


def _pair(interval: tuple[float, float]) -> tuple[float | None, float | None]:
    low, high = interval
    return _finite(low), _finite(high)


def compare(e: Evidence, rules: Rules, slice_columns: list[str], records: MainRecords,
            headline: list[str], rescored: Rescored,
            best: dict[str, tuple[str, float]] | None = None,
            extra: list[Check] | None = None) -> Judgement:
    """Compute every number the gate and the report need from the evidence's rows and the
    scores and measurements the judge made itself (``rescored``); ``extra``: more integrity
    checks (whose model the challenger is)."""
    rows = _rows(e)
    scored = {name: bs.scored(rows, rescored.outputs[name]) for name in rescored.outputs}
    names = metric_names(e)
    point = {model: {m: bs.point(m, s) for m in names} for model, s in scored.items()}
    pair = {k: scored[k] for k in ("challenger", "champion") if k in scored}
    metrics = estimates(scored, point, names, judged_metrics(rules, headline, names),
                        rules.bootstrap)
    integrity = [*rescored.checks, *(extra or []),
                 *_integrity(e, records, point, rescored.main_bytes)]
    integrity += _leakage(metrics.get(LEAK_METRIC), rescored.metadata.get("challenger"))
    slices, missing = _slices(e, pair, rules, slice_columns)
    integrity += [Check("integrity", "slices", column, "fail", None, None,
                        f"main judges slices of {column}; the holdout has no such column")
                  for column in missing]
    comparison = Comparison(metrics, slices, _system(rescored), rules.slices.metric,
                            "champion" in pair, integrity, best or {})
    return Judgement(e, comparison, gate.check(comparison, rules), rules, slice_columns,
                     records, point, _curves(rows, scored), _confusion(rows, scored), rescored)


def auc_standard_error(auc: float, positives: int, negatives: int) -> float:
    """Hanley and McNeil's (1982) standard error of a ROC AUC from its class sizes."""
    q1, q2 = auc / (2 - auc), 2 * auc * auc / (1 + auc)
    variance = (auc * (1 - auc) + (positives - 1) * (q1 - auc * auc)
                + (negatives - 1) * (q2 - auc * auc)) / (positives * negatives)
    return float(np.sqrt(max(variance, 0.0)))


def _leakage(est: Estimate | None, sidecar: dict | None) -> list[Check]:
    """A warning when the challenger scores the holdout better than its own validation rows
    (recorded in its sidecar at training) by more than the noise of both allows: a sign that
    holdout rows, or something that knows them, reached training."""
    sidecar = sidecar if isinstance(sidecar, dict) else {}
    validation = (sidecar.get("validation_metrics") or {}).get(LEAK_METRIC)
    rows = sidecar.get("validation_rows") or {}
    counts = sorted(int(v) for v in rows.values() if isinstance(v, int | float) and v > 0) \
        if isinstance(rows, dict) else []
    if (est is None or est.challenger is None or None in est.own or len(counts) < 2
            or not isinstance(validation, int | float) or not 0 < validation < 1):
        return []
    rarest = counts[0]
    noise_val = auc_standard_error(float(validation), rarest, sum(counts) - rarest)
    noise_hold = (est.own[1] - est.own[0]) / (2 * 1.96)
    gap, noise = est.challenger - float(validation), float(np.hypot(noise_val, noise_hold))
    if gap <= max(LEAK_MIN, LEAK_Z * noise):
        return []
    return [Check("integrity", "leakage", LEAK_METRIC, "warn", gap, LEAK_Z * noise,
                  f"this PR's model scores the holdout better than its own validation rows "
                  f"beyond noise ({LEAK_METRIC} {est.challenger:.4f} on the holdout, "
                  f"{validation:.4f} on validation): did holdout rows reach training?")]


def _slices(e: Evidence, pair: dict[str, bs.Scored], rules: Rules, columns: list[str]
            ) -> tuple[list[SliceEstimate], list[str]]:
    """Per value of each slice column: its class counts, whether it is judged, the estimates."""
    codes_of = slice_codes(table(e.holdout), columns)
    out, missing = [], [c for c in columns if c not in codes_of]
    metric, b = rules.slices.metric, rules.bootstrap
    y = truths(e)
    regression = e.task == "regression"
    for ci, column in enumerate(c for c in columns if c in codes_of):
        s = codes_of[column]
        codes = np.asarray(s.codes)
        for vi, value in enumerate([*s.values, "(missing)"]):
            mask = codes == (vi if vi < len(s.values) else -1)
            if not mask.any():
                continue
            if regression:  # judged with enough rows; there are no classes to count
                counts = np.zeros(0, dtype=int)
                enough = int(mask.sum()) >= rules.slices.min_rows
            else:
                counts = np.bincount(y[mask], minlength=len(e.classes))
                enough = bool(counts.min() >= rules.slices.min_class_rows)
            judged = "champion" in pair and enough
            sub = {k: bs.subset(v, mask) for k, v in pair.items()}
            est = {k: _finite(bs.point(metric, v)) for k, v in sub.items()}
            low = high = None
            if judged:
                seed = b.seed + 1 + ci * 1000 + vi  # own draws per slice, the same for both
                r = bs.resample([metric], sub, b.resamples, seed)[metric]
                low, high = bs.interval(r["challenger"], r["champion"], b.confidence)
            out.append(SliceEstimate(est["challenger"], est.get("champion"), None, low, high,
                                     key=f"{column}={value}", rows=int(mask.sum()),
                                     classes={c: int(n) for c, n in zip(e.classes, counts,
                                                                        strict=True)},
                                     judged=judged))
    return out, missing


def _system(r: Rescored) -> dict[str, Measured]:
    out: dict[str, Measured] = {}
    t = r.timing
    if "challenger" in t:
        def stat(fn) -> Measured:
            values = {k: float(fn(v)) for k, v in t.items()}
            return Measured(values["challenger"], values.get("champion"))

        out["latency_ms_p50"] = stat(lambda v: np.percentile(v.latency_ms, 50))
        out["latency_ms_p95"] = stat(lambda v: np.percentile(v.latency_ms, 95))
        out["batch_rows_per_s"] = stat(lambda v: np.median(v.batch_rows_per_s))
    out["model_size_bytes"] = Measured(r.sizes["challenger"], r.sizes.get("champion"))
    return out


GRID = np.linspace(0, 1, 11)  # chart points: 0, 0.1, ..., 1


def _curves(rows: bs.Rows, scored: dict) -> dict:
    """ROC (tpr at each fpr) and precision-recall (best precision at each recall) on GRID; a
    regression: per decile of each model's prediction, the mean prediction and the mean truth
    (predicted_actual), and the residuals' median (residuals)."""
    if rows.regression:
        out = {"predicted_actual": {}, "residuals": {}}
        for name, s in scored.items():
            curves = regression_curves(rows.y, s.pred)
            out["predicted_actual"][name] = [(c["predicted"], c["actual"])
                                             for c in curves["predicted_actual"]]
            out["residuals"][name] = [(c["decile"], c["residual"]) for c in curves["residuals"]]
        return out
    out: dict[str, dict] = {"roc": {}, "precision_recall": {}}
    for name, s in scored.items():
        if rows.binary:
            hit, score = rows.y == rows.positive, s.proba[:, rows.positive]
        else:  # micro-average: every (row, class) pair is one decision
            hit = (rows.y[:, None] == np.arange(len(rows.classes))).ravel()
            score = s.proba.ravel()
        order = np.argsort(-score, kind="mergesort")
        h = hit[order]
        ends = np.flatnonzero(np.r_[score[order][1:] != score[order][:-1], True])
        tp, fp = np.cumsum(h)[ends], np.cumsum(~h)[ends]
        tpr, fpr = np.r_[0, tp / max(h.sum(), 1)], np.r_[0, fp / max((~h).sum(), 1)]
        precision = tp / np.maximum(tp + fp, 1)
        recall = tp / max(h.sum(), 1)
        out["roc"][name] = [(x, float(np.interp(x, fpr, tpr))) for x in GRID]
        out["precision_recall"][name] = [
            (r, float(precision[recall >= r].max()) if (recall >= r).any() else 0.0)
            for r in GRID]
    return out


def _confusion(rows: bs.Rows, scored: dict) -> dict[str, np.ndarray]:
    if rows.regression:
        return {}
    k = len(rows.classes)
    return {name: np.bincount(rows.y * k + s.pred, minlength=k * k).reshape(k, k)
            for name, s in scored.items()}
