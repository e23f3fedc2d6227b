"""The PR comment: a reviewer decides from its top in seconds, the rest is folded.

top.py writes what is read before any fold (verdict, reasons, data, key table); sections.py the
folded parts; charts.py the Mermaid charts and PNGs; units.py the numbers; safe.py makes every
value from the evidence harmless. `render` puts them together under GitHub's size limit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mlproject import storage
from mlproject.errors import PipelineError
from mlproject.report import sections, top
from mlproject.report.safe import text
from mlproject.verdict.event import MARKER
from mlproject.verdict.judge import Judgement

MAX_CHARS = 60_000  # GitHub takes 65,536; CML appends its watermark
DEFAULTS = {"headline": ["roc_auc", "average_precision", "f1", "accuracy"],
            "history_versions": 8}
REGRESSION_HEADLINE = ["rmse", "mae", "r2", "within_tolerance"]  # data.target.task: regression


@dataclass
class Context:
    """What the judge knows besides the evidence: commits, links, the registry's history."""

    head: str
    base: str
    repo_url: str | None = None  # https://github.com/owner/repo
    pr: int | None = None
    run_url: str | None = None  # the pull request's run
    verdict_url: str | None = None  # the run that judged it (its artifact has the PNGs)
    commits_behind: int | None = None
    history: list[tuple[str, float]] = field(default_factory=list)
    own_rules: str | None = None  # the verdict under the PR's own `gate:`, when it changes it


def load_config(params: Any) -> dict[str, Any]:
    """The `report:` section of params with defaults; fail naming a bad key."""
    raw = params.extra if hasattr(params, "extra") else params
    raw = (raw or {}).get("report") or {}
    if not isinstance(raw, dict) or set(raw) - set(DEFAULTS):
        bad = sorted(set(raw) - set(DEFAULTS)) if isinstance(raw, dict) else ["(section)"]
        raise PipelineError(f"params.yaml: report.{bad[0]}: unknown key; known keys: "
                            f"{', '.join(DEFAULTS)}")
    from mlproject.gate.rules import task_of

    regression = task_of(params) == "regression"
    cfg = {**DEFAULTS, **({"headline": REGRESSION_HEADLINE} if regression else {}), **raw}
    if not (isinstance(cfg["headline"], list) and cfg["headline"]
            and all(isinstance(h, str) for h in cfg["headline"])):
        raise PipelineError("params.yaml: report.headline: expected a list of metric names")
    versions = cfg["history_versions"]
    if isinstance(versions, bool) or not isinstance(versions, int) or versions < 0:
        raise PipelineError("params.yaml: report.history_versions: expected a count >= 0")
    return cfg


def same_model(j: Judgement) -> bool:
    """The PR's model is main's, byte for byte, and nothing it depends on changed."""
    ch = j.evidence.changes
    sha = j.rescored.sha256
    return ("champion" in sha and sha["champion"] == sha["challenger"]
            and ch is not None and not (ch.params or ch.data_changed))


def footer(j: Judgement, ctx: Context, charts: bool = True) -> str:
    links = []
    if ctx.run_url:
        links.append(f"[pull request run]({ctx.run_url})")
    if ctx.verdict_url and charts:
        links.append(f"[full-size charts (artifact)]({ctx.verdict_url}#artifacts)")
    champion = j.evidence.champion
    source = "" if champion is None or champion.source == "none" else (
        f"Main's model came from the {champion.source} ({champion.seconds:.1f} s). "
        if champion.source != "rebuilt" else f"Main's model was {text(champion.detail, 160)}. ")
    fetch = f"git fetch origin pull/{ctx.pr}/head && git checkout FETCH_HEAD" if ctx.pr \
        else f"git checkout {ctx.head[:12]}"
    scored = "both models" if "champion" in j.rescored.outputs else "this PR's model"
    line = (f"{source}{len(j.evidence.holdout.keys):,} holdout rows, {scored} and the rule "
            f"baseline scored on them by the judge in one run.")
    return (f"---\n{' · '.join([line, *links])}\n\nReproduce locally: `{fetch} && make run && "
            "make report`")


def render(j: Judgement, ctx: Context, cfg: dict[str, Any]) -> str:
    """The whole comment, kept under the size limit by dropping whole folded sections."""
    head = [top.headline(j, ctx)]
    reasons = top.reasons(j)
    if reasons:
        head.append("\n".join(reasons))
    champion = j.evidence.champion
    if champion is not None and champion.source == "none":
        head.append(f"No champion: {text(champion.detail, 120)}. Change limits are skipped; "
                    "floors and the margins over the baselines apply.")
    if ctx.own_rules:
        head.append(f"ℹ️ {text(ctx.own_rules, 400)}")
    head.append(top.data_line(j))
    head += [f"⚠️ {text(c.detail, 240)}" for c in j.verdict.checks if c.kind == "leakage"]
    if same_model(j):
        body = [*head, "Same model as main (identical bytes) and no params or data change: "
                       "nothing else to compare.", footer(j, ctx, charts=False)]
        return _close("\n\n".join(body), j)
    head.append(top.key_table(j, cfg["headline"]))
    ranked = [sections.checks(j), sections.changes(j), sections.charts_section(j),
              sections.system(j), sections.slices(j),
              sections.history(cfg["headline"][0], ctx.history), sections.all_metrics(j),
              sections.confusion(j)]  # most useful first; dropped from the end when too long
    ranked = [s for s in ranked if s]
    left_out = []
    while True:
        body = "\n\n".join([*head, *ranked, *_omitted(left_out), footer(j, ctx)])
        if len(body) <= MAX_CHARS or len(ranked) <= 1:
            return _close(body[:MAX_CHARS], j)
        dropped = ranked.pop()
        left_out.append(dropped.split("<summary>", 1)[-1].split("</summary>", 1)[0][:60])


def _omitted(names: list[str]) -> list[str]:
    if not names:
        return []
    return [f"Left out to stay under GitHub's size limit: {'; '.join(names)} (see the "
            "artifact)."]


def _close(body: str, j: Judgement) -> str:
    """End with the hidden verdict marker, then an HTML comment left open on purpose.

    CML appends an image of its watermark (hosted on cml.dev) to every comment it can update
    later; inside this open comment GitHub renders nothing and fetches nothing, while CML still
    finds its watermark in the text.
    """
    state = "passed" if j.verdict.passed else "failed"
    return f"{body}\n\n<!-- {MARKER}: {state} -->\n<!-- CML's watermark follows\n"


def write(body: str, j: Judgement, out_dir: Any, pngs: bool = False) -> None:
    """report.md, and with ``pngs`` full-size charts for the artifact (matplotlib: slower)."""
    from pathlib import Path

    from mlproject.report import charts

    out = Path(out_dir)
    storage.write_bytes(out / "report.md", body.encode("utf-8"))
    if pngs:
        charts.pngs(j.curves, out)
