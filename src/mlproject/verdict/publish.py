"""publish: the verdict onto the pull request: one comment (CML) and the `model gate` status (gh).

The pull request number came with the evidence, so GitHub is asked first whether that pull
request's head is the commit that was judged; if not, nothing is commented. The comment is
updated in place, except when the verdict flips from passed to failed: then a new comment is
posted, so a regression notifies the reviewers, and later pushes update that newest one. The
status is set on the judged commit in every case, so a missing or failed judgement blocks merging.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

from mlproject import storage
from mlproject.errors import PipelineError
from mlproject.verdict.event import MARKER, VERDICT, read_event

CONTEXT = "model gate"
WATERMARK = "mlproject-report"  # CML finds the comment to update by it
STATE = re.compile(rf"<!-- {MARKER}: (passed|failed) -->")


def gh(*args: str) -> str:
    done = subprocess.run(["gh", *args], capture_output=True, text=True)
    if done.returncode:
        reason = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise PipelineError(f"gh {' '.join(args[:2])} failed: {reason[:200]}")
    return done.stdout


def pages(text: str) -> list[Any]:
    """The items of `gh api --paginate` output: one JSON array per page, back to back."""
    decoder, items, text, at = json.JSONDecoder(), [], text.strip(), 0
    while at < len(text):
        page, at = decoder.raw_decode(text, at)
        items += page if isinstance(page, list) else [page]
        while at < len(text) and text[at].isspace():
            at += 1
    return items


def previous_state(repo: str, pr: int) -> str | None:
    """passed/failed as the newest verdict comment on the pull request says, if any."""
    comments = pages(gh("api", "--paginate", f"repos/{repo}/issues/{pr}/comments"))
    for comment in reversed(comments):
        body = str(comment.get("body", "")) if isinstance(comment, dict) else ""
        found = STATE.search(body)
        if found and WATERMARK in body:
            return found.group(1)
    return None


def verify(repo: str, pr: int, head_sha: str) -> str | None:
    """Why the evidence's pull request number cannot be trusted, or None when it can."""
    pull = json.loads(gh("api", f"repos/{repo}/pulls/{pr}"))
    if pull.get("head", {}).get("sha") != head_sha:
        return f"pull request #{pr}'s head is not {head_sha[:12]}, the commit that was judged"
    if pull.get("state") != "open":
        return f"pull request #{pr} is not open"
    return None


def publish(verdict_dir: Path, event_path: Path, repo: str | None = None) -> str:
    """Comment on the pull request (when verified) and set the status; say what was done."""
    event = read_event(event_path)
    repo = repo or event.repository or os.environ.get("GITHUB_REPOSITORY")
    if not repo:
        raise PipelineError("no repository: the event names none and GITHUB_REPOSITORY is unset")
    file = Path(verdict_dir) / VERDICT
    verdict = storage.read_json(file) if file.is_file() else {
        "passed": False, "pr": None, "description": "the judge made no verdict (its job failed)"}
    passed, pr = verdict.get("passed") is True, verdict.get("pr")
    description = str(verdict.get("description", ""))[:140]
    done = []
    problem = verify(repo, pr, event.head_sha) if isinstance(pr, int) else "no pull request"
    if problem is None:
        report = Path(verdict_dir) / "report.md"
        flipped = not passed and previous_state(repo, pr) == "passed"
        action = "create" if flipped else "update"
        cml(action, report, pr)
        done.append(f"{'posted a new' if flipped else 'updated the'} comment on #{pr}")
    else:
        reason = "" if passed else f"{description}; "
        passed, description = False, f"{reason}not commented: {problem}"[:140]
        print(f"::warning::{description}")
    status(repo, event.head_sha, passed, description)
    done.append(f"status '{CONTEXT}' {'success' if passed else 'failure'} on "
                f"{event.head_sha[:12]}")
    return "publish: " + "; ".join(done)


def cml(action: str, report: Path, pr: int) -> None:
    """The one CML call: create or update the watermarked comment, never uploading images."""
    done = subprocess.run(["cml", "comment", action, str(report), f"--target=pr/{pr}",
                           f"--watermark-title={WATERMARK}", "--no-publish"],
                          capture_output=True, text=True)
    if done.returncode:
        reason = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise PipelineError(f"cml comment {action} failed: {reason[:200]}")


def status(repo: str, sha: str, passed: bool, description: str) -> None:
    server, run = os.environ.get("GITHUB_SERVER_URL"), os.environ.get("GITHUB_RUN_ID")
    args = ["api", "--method", "POST", f"repos/{repo}/statuses/{sha}",
            "-f", f"state={'success' if passed else 'failure'}", "-f", f"context={CONTEXT}",
            "-f", f"description={description}"]
    if server and run:
        args += ["-f", f"target_url={server}/{repo}/actions/runs/{run}"]
    gh(*args)


def newest_status(repo: str, sha: str) -> dict | None:
    """The newest `model gate` status GitHub has on ``sha``, if any."""
    found = pages(gh("api", f"repos/{repo}/commits/{sha}/statuses"))  # newest first
    return next((x for x in found if isinstance(x, dict) and x.get("context") == CONTEXT), None)


def carry(repo: str, judged: str, results: str) -> str:
    """Set the `model gate` status of the judged commit on its results commit too.

    The results commit only adds the judged run's result files on top of the judged commit
    (push-results checks that), so its verdict is the judged commit's; without the status, a
    required `model gate` would wait on a commit no workflow runs for (GitHub starts no workflow
    for a push made with the workflow's own token).
    """
    newest = newest_status(repo, judged)
    state = newest.get("state") if newest else None
    if state not in ("success", "failure", "error"):
        return f"no '{CONTEXT}' status on {judged[:12]} to carry"
    args = ["api", "--method", "POST", f"repos/{repo}/statuses/{results}", "-f", f"state={state}",
            "-f", f"context={CONTEXT}",
            "-f", f"description={str(newest.get('description') or '')[:140]}"]
    url = str(newest.get("target_url") or "")
    if re.fullmatch(r"https://[\w.-]+/[\w./#-]{1,300}", url):
        args += ["-f", f"target_url={url}"]
    gh(*args)
    return f"status '{CONTEXT}' {state} carried to {results[:12]}"
