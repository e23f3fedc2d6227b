"""accept: a documented, audited way past a failing model gate, one pull request head at a time.

    mlproject accept --pr 12 --sha <head> --by octocat [--reason "drift explained in #40"]

Run by the `accept` workflow, which only runs in the `production` environment, so GitHub asks
its required reviewers first. It checks that the pull request is open, that its head is the
commit the reviewer named (a later push is judged again, never accepted unseen) and that the
newest `model gate` status on that commit is a failure; then it sets `model gate` to success
with "accepted by @user despite: <what failed>" and posts the same words as a comment, so
the decision is on the record where the verdict is.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path

from mlproject.errors import PipelineError
from mlproject.report.safe import text
from mlproject.verdict import publish
from mlproject.verdict.publish import CONTEXT, gh

LOGIN = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})(?:\[bot\])?")
SHA = re.compile(r"[0-9a-f]{40}")
MARKER = "<!-- mlproject-verdict: accepted -->"


def accept(repo: str, pr: int, sha: str, by: str, reason: str = "") -> str:
    """Set `model gate` to success on ``sha``, the head of pull request ``pr``, on behalf of
    ``by``; refuse with one line when the head moved, the PR is closed or nothing failed."""
    if not LOGIN.fullmatch(by):
        raise PipelineError(f"--by {by[:50]!r} is not a GitHub login")
    if not SHA.fullmatch(sha):
        raise PipelineError(f"--sha {sha[:50]!r} is not a full commit id (40 hex digits)")
    if pr < 1:
        raise PipelineError(f"--pr {pr} is not a pull request number")
    problem = publish.verify(repo, pr, sha)
    if problem:
        raise PipelineError(f"not accepted: {problem}")
    newest = publish.newest_status(repo, sha)
    if newest is None or newest.get("state") not in ("failure", "error"):
        state = newest.get("state") if newest else "no status"
        raise PipelineError(f"not accepted: '{CONTEXT}' on {sha[:12]} is {state}, not a "
                            "failure: there is nothing to accept")
    failed = " ".join(str(newest.get("description") or "the gate failed").split())
    why = " ".join(reason.split())[:200]
    words = f"accepted by @{by} despite: {failed}"
    publish.status(repo, sha, True, words[:140])
    server, run = os.environ.get("GITHUB_SERVER_URL"), os.environ.get("GITHUB_RUN_ID")
    link = f" ([run]({server}/{repo}/actions/runs/{run}))" if server and run else ""
    body = (f"## ✅ Model gate accepted by @{by}\n\n"
            f"Despite: {text(failed, 400)}\n\n"
            + (f"Reason given: {text(why, 200)}\n\n" if why else "")
            + f"On {sha[:12]}, through the `accept` workflow in the `production` environment"
            f"{link}. A new push is judged again.\n\n{MARKER}\n")
    with tempfile.TemporaryDirectory() as tmp:
        payload = Path(tmp) / "comment.json"
        payload.write_text(json.dumps({"body": body}), encoding="utf-8")
        gh("api", "--method", "POST", f"repos/{repo}/issues/{pr}/comments",
           "--input", str(payload))
    return f"accept: '{CONTEXT}' success on {sha[:12]} ({words[:140]}); commented on #{pr}"
