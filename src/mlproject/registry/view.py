"""registry show / history: what is in production, every version with its metrics and commit.

Both read the registry through GTO (``tags.read_state``): production is what ``gto show`` says,
the events are ``gto history``'s, oldest first.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from mlproject import storage
from mlproject.registry import Settings, show_file, tags

SHOWN = ("roc_auc", "f1", "precision_when_shown", "coverage")
SHOWN_REGRESSION = ("rmse", "mae", "r2", "within_tolerance")


def _when(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d %H:%M")


def _metrics(commit: str, root: Path | str) -> dict[str, float | None]:
    raw = show_file(commit, "reports/metrics.json", root)
    model = (json.loads(raw) if raw else {}).get("model", {})
    flat = {**model.get("quality", {}), **model.get("product", {})}
    return {k: storage.finite(flat.get(k)) for k in shown(flat)}


def shown(metrics: dict) -> tuple[str, ...]:
    """The metrics a version's row shows: a regression's errors, or the class metrics."""
    return SHOWN_REGRESSION if "rmse" in metrics else SHOWN


def versions(settings: Settings, root: Path | str = ".") -> dict:
    """Production version and every registered version with metrics (newest first)."""
    state = tags.read_state(settings.artifact, root)
    prod, withdrawn = state.in_stage(settings.stage), state.withdrawn(settings.stage)
    rows = [{"version": v.version, "tag": v.tag, "commit": v.commit, "registered": _when(v.created),
             "deprecated": v.deprecated, "rolled_back_from": v.version in withdrawn,
             "metrics": _metrics(v.commit, root)}
            for v in sorted(state.versions.values(), key=lambda v: tags.key(v.version),
                            reverse=True)]
    return {"artifact": settings.artifact, "stage": settings.stage,
            "production": prod.version if prod else None, "versions": rows}


def show(settings: Settings, root: Path | str = ".", as_json: bool = False) -> str:
    data = versions(settings, root)
    if as_json:
        return json.dumps(data, indent=2)
    lines = [f"{data['artifact']}: {data['stage']} = {data['production'] or 'none'}", ""]
    names = tuple(data["versions"][0]["metrics"]) if data["versions"] else SHOWN
    header = ["version", settings.stage, "commit", "registered", *names]
    table = [[r["version"] + (" (deprecated)" if r["deprecated"] else "")
              + (" (rolled back from)" if r["rolled_back_from"] else ""),
              "*" if r["version"] == data["production"] else "", r["commit"][:8], r["registered"],
              *("-" if r["metrics"].get(k) is None else f"{r['metrics'][k]:.4f}"
                for k in names)]
             for r in data["versions"]]
    return "\n".join(lines + _columns([header, *table])) if table else lines[0]


def history(settings: Settings, root: Path | str = ".", as_json: bool = False) -> str:
    """Every registry event, oldest first: registrations, assignments, unassignments (a
    rollback's withdrawal) and deregistrations (deprecations)."""
    events = tags.read_state(settings.artifact, root).events
    if as_json:
        return json.dumps([e.__dict__ for e in events], indent=2)
    rows = [["when", "event", "version", "stage", "commit", "tag"]]
    rows += [[_when(e.created), e.event, e.version, e.stage or "-", e.commit[:8], e.tag]
             for e in events]
    return "\n".join(_columns(rows)) if events else f"{settings.artifact}: no versions yet"


def _columns(rows: list[list[str]]) -> list[str]:
    widths = [max(len(str(r[i])) for r in rows) for i in range(len(rows[0]))]
    return ["  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
            for r in rows]
