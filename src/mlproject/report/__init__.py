"""The PR report: one Markdown comment comparing this branch's model with the base on main.

`collect` (compare.py) gathers the facts, `markdown.py` writes the sections, `charts.py` draws
the curves, `safe.py` makes branch values harmless. `main` is what `mlproject report` runs.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from mlproject import gate, storage
from mlproject.errors import PipelineError
from mlproject.report import charts, compare, markdown
from mlproject.report.safe import text

MAX_CHARS = 65_000  # GitHub rejects comments over 65,536 characters
DEFAULTS = {"headline": ["roc_auc", "average_precision", "f1", "accuracy"],
            "slice_metric": "roc_auc", "unchanged_within": 0.0001}


def load_config(params: Any) -> dict[str, Any]:
    """Return the `report:` section of params with defaults; fail naming a bad key."""
    raw = params.extra if hasattr(params, "extra") else params
    raw = (raw or {}).get("report") or {}
    if not isinstance(raw, dict) or set(raw) - set(DEFAULTS):
        bad = sorted(set(raw) - set(DEFAULTS)) if isinstance(raw, dict) else ["(section)"]
        raise PipelineError(f"params.yaml: report.{bad[0]}: unknown key; known keys: "
                            f"{', '.join(DEFAULTS)}")
    cfg = {**DEFAULTS, **raw}
    if not (isinstance(cfg["headline"], list) and all(isinstance(h, str) for h in cfg["headline"])):
        raise PipelineError("params.yaml: report.headline: expected a list of metric names")
    if storage.finite(cfg["unchanged_within"]) is None or cfg["unchanged_within"] < 0:
        raise PipelineError("params.yaml: report.unchanged_within: expected a number >= 0")
    return cfg


def nothing_changed(c: dict) -> bool:
    same_results = c["baseline"] is not None and (
        c["baseline"].get("metrics") == (c["candidate"] or {}).get("metrics"))
    return same_results and not (c["params"] or c["data"]["changed"] or c["code"])


def compose(c: dict, cfg: dict, verdict: gate.Verdict, rules_from: str) -> str:
    """Return the whole comment, folded to stay under GitHub's size limit."""
    icon, word = ("✅", "passed") if verdict.passed else ("❌", "failed")
    head = (f"## {icon} Model {word} the validation gate\n\n{text(verdict.summary, 400)} "
            f"Thresholds from {rules_from}.")
    if nothing_changed(c):
        return "\n\n".join([head, "Nothing changed against main: same params, data, code and "
                                  "metrics.", markdown.footer(c)]) + "\n"
    new_note = "" if c["baseline"] else (
        "\n\nThe base revision has no recorded results: every metric is new, change limits "
        "were skipped.")
    unread = [f"⚠️ DVC could not read {text(e, 120)}." for e in c.get("dvc_errors", [])]
    changed = "\n\n".join(["### What changed", *unread, markdown.params_section(c),
                           markdown.data_section(c), markdown.code_section(c)])
    body = "\n\n".join([head + new_note, markdown.checks_section(verdict),
                        markdown.key_metrics(c, cfg), changed, markdown.charts_section(c),
                        markdown.system_section(c, cfg),
                        markdown.slices_section(c, cfg, cfg.get("slice_max_drop")),
                        markdown.footer(c)]) + "\n"
    return cap(body)


def cap(body: str, limit: int = MAX_CHARS) -> str:
    """Drop the largest folded sections until the body fits, then cut as a last resort."""
    note = "<details><summary>Omitted: too long for a comment (see the artifact)</summary>" \
           "</details>"
    while len(body) > limit:
        blocks = re.findall(r"<details>.*?</details>", body, flags=re.S)
        big = max((b for b in blocks if b != note), key=len, default=None)
        if big is None or len(big) <= len(note):
            return body[: limit - 40] + "\n\n… (report cut at the size limit)\n"
        body = body.replace(big, note, 1)
    return body


def main(params: Any, base: str | None, out_dir: Path, root: Path | str = ".") -> str:
    """Write report.md and the PNG charts into ``out_dir``; return the Markdown."""
    cfg = load_config(params)
    c = compare.collect(base, root)
    if c["candidate"] is None:
        raise PipelineError("reports/metrics.json: not found; run `dvc repro` first")
    rules, rules_from = gate.rules_at(c["base"], params, root)
    cfg["slice_max_drop"] = rules.slice_max_drop
    cfg["slice_metric"] = rules.slice_metric if rules.slice_max_drop is not None \
        else cfg["slice_metric"]
    verdict = gate.check(c["candidate"], c["baseline"], rules)
    body = compose(c, cfg, verdict, rules_from)
    out_dir = Path(out_dir)
    storage.write_bytes(out_dir / "report.md", body.encode("utf-8"))
    storage.write_json(out_dir / "gate.json", {**verdict.to_json(), "base": c["base"]})
    charts.pngs(c["curves"], out_dir)
    print(f"report: {out_dir / 'report.md'} ({len(body):,} characters); {verdict.summary}")
    return body
