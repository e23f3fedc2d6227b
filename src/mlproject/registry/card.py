"""The model card: src/mlproject/templates/model_card.md filled from the model's metadata.

The one part people write by hand, "Intended use and limits", lives in docs/intended_use.md
so adopters edit it once and every release's card carries it.
"""

from __future__ import annotations

import json
import re
from importlib import resources
from pathlib import Path
from string import Template
from typing import Any

from mlproject import artifact, storage
from mlproject.gate.rules import load_rules
from mlproject.registry import Settings, show_file
from mlproject.registry.candidate import DATA_FILE, data_version

INTENDED_USE = Path("docs/intended_use.md")
QUALITY = ("roc_auc", "average_precision", "f1", "precision", "recall", "accuracy",
           "balanced_accuracy", "log_loss", "brier")
PRODUCT = ("threshold", "coverage", "precision_when_shown")
REGRESSION_QUALITY = ("rmse", "mae", "median_absolute_error", "r2", "mape")
REGRESSION_PRODUCT = ("tolerance_relative", "tolerance_absolute", "within_tolerance")
SYSTEM = ("model_size_bytes",)  # exact; latency and throughput are measured at promotion


def _portable(found: dict | None) -> str:
    """The model table's row about the ONNX file."""
    if not found:
        return "| Portable model | not exported |"
    reason = str(found.get("reason", "")).replace("|", "/")
    if found.get("shipped"):
        return (f"| Portable model | `{found.get('file')}` (ONNX, for applications not written in "
                f"Python): {reason.split(': ', 1)[-1]} |")
    return f"| Portable model | none in this release: {reason} |"


def _num(value: Any) -> str:
    value = storage.finite(value)
    if value is None:
        return "–"
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.4g}"


def _table(header: list[str], rows: list[list[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _family(results: dict, previous: dict | None, file: str, family: str | None,
            keys: tuple[str, ...]) -> str:
    """One table: metric | this model | rule baseline | previous production."""

    def get(source: dict | None, model: str, key: str) -> Any:
        section = ((source or {}).get(file) or {}).get(model) or {}
        return (section.get(family) or {}).get(key) if family else section.get(key)

    rows = [[f"`{k}`", _num(get(results, "model", k)), _num(get(results, "rule_baseline", k)),
             _num(get(previous, "model", k))] for k in keys]
    return _table(["metric", "this model", "rule baseline", "previous production"], rows)


def _slices(results: dict, min_class_rows: int, min_rows: int | None = None) -> str:
    """Quality per slice; a slice is judged with at least ``min_class_rows`` of every class
    (a regression: with ``min_rows`` rows)."""
    slices = (results.get("slices") or {}).get("model") or {}
    if min_rows is not None:
        rows = [[f"`{name}`", _num(s.get("rows")),
                 "yes" if (s.get("rows") or 0) >= min_rows else f"no (fewer than {min_rows} rows)",
                 _num(s.get("mae")), _num(s.get("rmse"))] for name, s in sorted(slices.items())]
        return _table(["slice", "rows", "judged", "MAE", "RMSE"], rows) if rows \
            else "No slices configured (`evaluate.slices` in params.yaml)."

    def judged(s: dict) -> str:
        counts = [v for v in (s.get("classes") or {}).values() if isinstance(v, int)]
        return "yes" if counts and min(counts) >= min_class_rows else \
            f"no (fewer than {min_class_rows} of a class)"

    rows = [[f"`{name}`", _num(s.get("rows")), judged(s), _num(s.get("accuracy")),
             _num(s.get("f1")), _num(s.get("roc_auc"))] for name, s in sorted(slices.items())]
    return _table(["slice", "rows", "judged", "accuracy", "F1", "ROC AUC"], rows) if rows \
        else "No slices configured (`evaluate.slices` in params.yaml)."


def _data(root: Path, meta: dict, commit: str) -> str:
    raw = show_file(commit, "reports/validation.json", root)
    validation = json.loads(raw) if raw else {}
    version = data_version(commit, root)
    tracked = f"md5 `{version}`" if version else "not tracked"
    regression = meta.get("task") == "regression"
    what = "a number (regression)" if regression else \
        f"positive class `{meta.get('positive', '?')}`"
    lines = [f"- Source: files tracked by `{DATA_FILE}` ({tracked})",
             f"- Training table md5: `{meta.get('data_md5', '?')}`; "
             f"params md5: `{meta.get('params_md5', '?')}`",
             f"- Target `{meta.get('target', '?')}`, {what}; "
             f"{len(meta.get('features', []))} features: {', '.join(meta.get('features', []))}"]
    for split, info in validation.items():
        if regression:
            stats = ", ".join(f"{k} {_num(v)}" for k, v in (info.get("target") or {}).items())
            lines.append(f"- {split}: {_num(info.get('rows'))} rows, target {stats}")
            continue
        shares = (info.get("class_balance") or {}).items()
        balance = ", ".join(f"`{k}` {_num(v)}" for k, v in shares)
        lines.append(f"- {split}: {_num(info.get('rows'))} rows, class balance {balance}")
    return "\n".join(lines)


def _gate(verdict: Any) -> str:
    """The verdict sentence and one row per check the model passed (or not)."""
    rows = [[f"`{c.metric}`", c.kind, c.detail, _num(c.value), _num(c.limit),
             {"pass": "pass", "warn": "warning"}.get(c.status, "FAIL")]
            for c in (verdict.checks or [])]
    header = ["metric", "check", "rule", "value", "limit", "result"]
    return f"{verdict.summary}\n\n{_table(header, rows) if rows else ''}".strip()


def intended_use(root: Path) -> str:
    path = root / INTENDED_USE
    if path.is_file():  # HTML comments are notes to the editor, not part of the card
        return re.sub(r"<!--.*?-->", "", path.read_text(encoding="utf-8"), flags=re.S).strip()
    return f"_Not written yet: describe it in `{INTENDED_USE}`._"


def render(root: Path, settings: Settings, version: str, commit: str, params: Any,
           results: dict, verdict: Any, prod: Any, previous: dict | None,
           portable: dict | None = None) -> str:
    """The model card of ``version`` as Markdown; ``portable`` is what the ONNX export did
    (release.export_onnx)."""
    meta = storage.read_json(artifact.sidecar(root / settings.model))
    hyper = meta.get("hyperparameters") or {}
    quality = (results.get("metrics") or {}).get("model", {}).get("quality", {})
    regression = meta.get("task") == "regression"
    rules = load_rules(params)
    if regression:
        tolerance = meta.get("tolerance") or {}
        answer = (f"| Answer | the predicted value; within tolerance when off by at most "
                  f"{_num(100 * (tolerance.get('relative') or 0))} % or "
                  f"{_num(tolerance.get('absolute'))} |")
        summary = (f"A `{meta.get('name', '?')}` regressor of `{meta.get('target', '?')}`: "
                   f"holdout RMSE {_num(quality.get('rmse'))}, MAE {_num(quality.get('mae'))}, "
                   f"R² {_num(quality.get('r2'))}.")
    else:
        answer = (f"| Confidence threshold | {_num(meta.get('confidence_threshold'))} (a "
                  "prediction is shown only when its score reaches it) |")
        summary = (f"A `{meta.get('name', '?')}` classifier of `{meta.get('target', '?')}`: "
                   f"holdout ROC AUC {_num(quality.get('roc_auc'))}, F1 "
                   f"{_num(quality.get('f1'))}.")
    template = Template(resources.files("mlproject").joinpath("templates/model_card.md")
                        .read_text(encoding="utf-8"))
    return template.safe_substitute(
        artifact=settings.artifact, version=version, tag=f"{settings.artifact}@{version}",
        commit=commit, model_type=meta.get("name", "?"), model_path=settings.model,
        sha256=meta.get("sha256", "?"), answer=answer, summary=summary,
        portable=_portable(portable),
        versions=", ".join(f"{k} {v}" for k, v in sorted((meta.get("versions") or {}).items())),
        hyperparameters=_table(["name", "value"], [[f"`{k}`", f"`{v}`"]
                                                   for k, v in sorted(hyper.items())])
        if hyper else "Library defaults.",
        data=_data(root, meta, commit),
        previous=f"`{prod.version}`" if prod else "none yet",
        quality=_family(results, previous, "metrics", "quality",
                        REGRESSION_QUALITY if regression else QUALITY),
        product=_family(results, previous, "metrics", "product",
                        REGRESSION_PRODUCT if regression else PRODUCT),
        system=_family(results, previous, "metrics", "system", SYSTEM) + "\n\nLatency and "
        "throughput are not recorded (they depend on the machine): " + (
            "they were measured side by side with the previous production version when this "
            "one was promoted (Gate, below)." if prod else
            "the first version had no production version to be measured beside."),
        slices=_slices(results, rules.slices.min_class_rows,
                       rules.slices.min_rows if regression else None), gate=_gate(verdict),
        intended_use=intended_use(root))
