"""One tracking issue per concern, kept in step with GitHub's CLI (``gh`` and GH_TOKEN).

The promote workflow keeps "main is ahead of production: ..." and the monitor workflow
"production drift: ...": an issue is opened when the problem appears, edited and commented on
while it lasts, and closed when it is gone; there is never more than one open per title prefix.
Without gh or GH_TOKEN it is skipped, and the job summary still tells.
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


@dataclass(frozen=True)
class Problem:
    title: str  # the whole title, starting with the prefix
    body: str  # the issue's description (Markdown)
    comment: str  # added to an issue already open


def available() -> bool:
    return bool(os.environ.get("GH_TOKEN")) and shutil.which("gh") is not None


def open_issues(prefix: str) -> list[str]:
    """The numbers of the open issues whose title starts with ``prefix``."""
    try:
        found = json.loads(gh("issue", "list", "--state", "open", "--limit", "100",
                              "--json", "number,title") or "[]")
    except ValueError:
        raise PipelineError("gh issue list: unexpected output") from None
    return [str(int(i["number"])) for i in found if isinstance(i, dict)
            and str(i.get("title", "")).startswith(prefix)]


def sync(prefix: str, problem: Problem | None, resolved: str, directory: Path) -> str:
    """Open or update the issue for ``problem``, or close every open one with ``resolved``;
    return what happened, in a few words."""
    if not available():
        return "skipped (needs gh and GH_TOKEN)"
    numbers = open_issues(prefix)
    if problem is not None:
        title = line(problem.title, 200)
        body = write(directory, "issue.md", problem.body)
        if not numbers:
            return f"opened {gh('issue', 'create', '--title', title, '--body-file', body)}"
        gh("issue", "edit", numbers[0], "--title", title, "--body-file", body)
        gh("issue", "comment", numbers[0], "--body-file",
           write(directory, "comment.md", problem.comment))
        return f"updated #{numbers[0]}"
    for number in numbers:
        gh("issue", "close", number, "--comment", resolved)
    return f"closed {', '.join(f'#{n}' for n in numbers)}" if numbers else "none open"


def gh(*args: str) -> str:
    done = subprocess.run(["gh", *args], capture_output=True, text=True)
    if done.returncode:
        detail = (done.stderr.strip().splitlines() or ["failed"])[-1]
        raise PipelineError(f"gh {' '.join(args[:2])}: {detail}")
    return done.stdout.strip()


def write(directory: Path, name: str, text: str) -> str:
    storage.write_bytes(directory / name, text.encode("utf-8"))
    return str(directory / name)


def run_url() -> str:
    parts = [os.environ.get(k) for k in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY",
                                         "GITHUB_RUN_ID")]
    return f"{parts[0]}/{parts[1]}/actions/runs/{parts[2]}" if all(parts) else ""


def line(text: str, limit: int = 500) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[:limit - 1] + "…"


def escape(text: str) -> str:
    """A workflow command's message: %, CR and LF are escaped, so one line stays one line."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
