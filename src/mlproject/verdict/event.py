"""What a verdict run starts from and leaves: the `workflow_run` event, the verdict file, and
the hidden line of the comment. Kept apart so the light steps (fetch-head, publish) start fast."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from mlproject.errors import PipelineError

MARKER = "mlproject-verdict"  # a hidden line saying passed/failed: a flip posts a new comment
VERDICT = "verdict.json"


@dataclass
class Event:
    """The `workflow_run` event that started the judge (GitHub's own data, not the PR's)."""

    head_sha: str
    conclusion: str
    run_url: str | None
    repository: str | None
    repo_url: str | None


def read_event(path: Path | None) -> Event | None:
    if path is None:
        return None
    try:
        payload = json.loads(Path(path).read_text(encoding="utf-8"))
        run = payload["workflow_run"]
        repo = payload.get("repository") or {}
        return Event(str(run["head_sha"]), str(run.get("conclusion") or ""),
                     run.get("html_url"), repo.get("full_name"), repo.get("html_url"))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise PipelineError(f"{path}: not a workflow_run event ({type(exc).__name__})") from None
