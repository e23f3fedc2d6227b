"""The promotion's outcome where people see it: job summary, annotation, one tracking issue.

Reads ``<release_dir>/promotion.json`` (written by ``promote``) and the job's status. A refusal,
or a job that failed around the promotion, adds a ``::warning::`` annotation and opens (or
updates) the one open issue titled "main is ahead of production: <reason>"; a promotion, or a
main whose model is production's, closes it. A run refused only because it is not main's tip
(a re-run of an older commit) leaves the issue alone: main's own run speaks for main. The
issue is handled with GitHub's CLI (``gh`` and GH_TOKEN); without them it is skipped.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from mlproject import storage, tracking
from mlproject.errors import PipelineError
from mlproject.registry import OUTCOME

TITLE = "main is ahead of production"


@dataclass(frozen=True)
class Notice:
    state: str  # promoted | nothing | refused | superseded
    headline: str  # one line: what happened and why


def notice(outcome: dict | None, job_status: str) -> Notice:
    """What the job's outcome means for people; a failed job is never reported as promoted."""
    if not isinstance(outcome, dict) or "status" not in outcome:
        return Notice("refused", f"the promote job stopped before deciding (job {job_status}); "
                      "see its log")
    status, reason = str(outcome["status"]), _line(str(outcome.get("reason", "")))
    if status in ("refused", "superseded"):
        return Notice(status, reason.removeprefix("not promoted: "))
    if job_status != "success":
        return Notice("refused", f"the promote job failed after deciding ({reason}), so its "
                      f"tags may not be pushed (job {job_status}); see its log")
    return Notice("promoted" if status in ("promoted", "reused") else "nothing", reason)


def report(directory: Path, job_status: str = "success") -> str:
    """Write the job summary and annotation, sync the tracking issue; return what was done."""
    path = directory / OUTCOME
    outcome = storage.read_json(path) if path.is_file() else None
    n = notice(outcome, job_status)
    outcome = outcome if isinstance(outcome, dict) else {}
    if n.state in ("refused", "superseded"):
        print(f"::warning title=Not promoted::{_escape(n.headline)}")
    try:
        issue = sync_issue(n, outcome, directory)
    except PipelineError as exc:  # the annotation and the summary still tell
        issue = f"tracking issue: not updated ({exc})"
        print(f"::warning title=Tracking issue::{_escape(str(exc))}")
    _summary(n, outcome, issue)
    return issue


def sync_issue(n: Notice, outcome: dict, directory: Path) -> str:
    """Open, update or close the tracking issue with gh; return what happened."""
    if n.state == "superseded":
        return "tracking issue: left as it is (this run is not main's tip)"
    commit, url = str(outcome.get("commit", "?"))[:12], tracking.run_url()
    run = f" ({url})" if url else ""
    problem = None
    if n.state == "refused":
        problem = tracking.Problem(f"{TITLE}: {n.headline}", _body(n, outcome, url),
                                   f"Still not promoted at `{commit}`: {n.headline}{run}")
    done = tracking.sync(TITLE, problem, f"Production is up to date with main at `{commit}`: "
                         f"{n.headline}{run}", directory)
    return f"tracking issue: {done}"


def _body(n: Notice, outcome: dict, url: str) -> str:
    return (f"The promote workflow did not promote the model on `main`:\n\n> {n.headline}\n\n"
            f"- commit: `{outcome.get('commit', '?')}`\n"
            f"- production: `{outcome.get('production') or 'none yet'}`\n"
            f"- run: {url or 'not in GitHub Actions'}\n\n"
            "Production stays as it is until a promotion succeeds, which closes this issue. "
            "Merge a model that passes the gate; or, when the refusal is about the model file "
            "of a deprecated or rolled-back version and you mean it, run the promote workflow "
            "by hand with `force`.\n")


def _summary(n: Notice, outcome: dict, issue: str) -> None:
    """The job summary ($GITHUB_STEP_SUMMARY), or the terminal outside GitHub Actions."""
    heading = {"promoted": "✅ Promoted", "nothing": "✅ Nothing to promote",
               "superseded": "⏭️ Not promoted: not main's tip"}.get(n.state, "❌ Not promoted")
    tags = ", ".join(f"`{t}`" for t in outcome.get("tags") or []) or "none"
    text = (f"## {heading}\n\n{n.headline}\n\n| | |\n|---|---|\n"
            f"| commit | `{str(outcome.get('commit', '?'))[:12]}` |\n"
            f"| production | `{outcome.get('production') or 'none'}` |\n"
            f"| new tags | {tags} |\n"
            f"| tracking issue | {issue.removeprefix('tracking issue: ')} |\n")
    if outcome.get("portable"):
        text += f"| portable model | {_line(str(outcome['portable'])).replace('|', '/')} |\n"
    target = os.environ.get("GITHUB_STEP_SUMMARY")
    if target:
        with open(target, "a", encoding="utf-8") as out:
            out.write(text)
    else:
        print(text)


_line, _escape = tracking.line, tracking.escape
