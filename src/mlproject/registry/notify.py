"""The promotion's outcome where people see it: job summary, annotation, one tracking issue.

Reads ``<release_dir>/promotion.json`` (written by ``promote``) and the job's status. A refusal,
or a job that failed around the promotion, adds a ``::warning::`` annotation and opens (or
updates) the one open issue titled "main is ahead of production: <reason>"; a promotion, or a
main whose model is production's, closes it. A run refused only because it is not main's tip
(a re-run of an older commit) leaves the issue alone: main's own run speaks for main. The
issue is handled with GitHub's CLI (``gh`` and GH_TOKEN); without them it is skipped.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from mlproject import storage
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
    if not os.environ.get("GH_TOKEN") or shutil.which("gh") is None:
        return "tracking issue: skipped (needs gh and GH_TOKEN)"
    try:
        found = json.loads(_gh("issue", "list", "--state", "open", "--limit", "100",
                               "--json", "number,title") or "[]")
    except ValueError:
        raise PipelineError("gh issue list: unexpected output") from None
    numbers = [str(int(i["number"])) for i in found if isinstance(i, dict)
               and str(i.get("title", "")).startswith(TITLE)]
    commit, url = str(outcome.get("commit", "?"))[:12], _run_url()
    run = f" ({url})" if url else ""
    if n.state == "refused":
        title = _line(f"{TITLE}: {n.headline}", 200)
        body = _file(directory, "issue.md", _body(n, outcome, url))
        if not numbers:
            opened = _gh("issue", "create", "--title", title, "--body-file", body)
            return f"tracking issue: opened {opened}"
        _gh("issue", "edit", numbers[0], "--title", title, "--body-file", body)
        _gh("issue", "comment", numbers[0], "--body-file",
            _file(directory, "comment.md", f"Still not promoted at `{commit}`: {n.headline}{run}"))
        return f"tracking issue: updated #{numbers[0]}"
    for number in numbers:
        _gh("issue", "close", number, "--comment", f"Production is up to date with main at "
            f"`{commit}`: {n.headline}{run}")
    closed = ", ".join(f"#{n}" for n in numbers)
    return f"tracking issue: closed {closed}" if numbers else "tracking issue: none open"


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
    target = os.environ.get("GITHUB_STEP_SUMMARY")
    if target:
        with open(target, "a", encoding="utf-8") as out:
            out.write(text)
    else:
        print(text)


def _gh(*args: str) -> str:
    done = subprocess.run(["gh", *args], capture_output=True, text=True)
    if done.returncode:
        detail = (done.stderr.strip().splitlines() or ["failed"])[-1]
        raise PipelineError(f"gh {' '.join(args[:2])}: {detail}")
    return done.stdout.strip()


def _file(directory: Path, name: str, text: str) -> str:
    storage.write_bytes(directory / name, text.encode("utf-8"))
    return str(directory / name)


def _run_url() -> str:
    parts = [os.environ.get(k) for k in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY",
                                         "GITHUB_RUN_ID")]
    return f"{parts[0]}/{parts[1]}/actions/runs/{parts[2]}" if all(parts) else ""


def _line(text: str, limit: int = 500) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[:limit - 1] + "…"


def _escape(text: str) -> str:
    """A workflow command's message: %, CR and LF are escaped, so one line stays one line."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
