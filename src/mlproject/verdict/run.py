"""The judge's input and output: evidence and event in; report.md, PNGs and verdict.json out.

`judge` never raises on bad evidence: a pull request whose run failed, made no evidence, or made
evidence that fails a check gets a failing verdict with a one-line reason, which the publish step
posts as the comment and the `model gate` status.
"""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlproject import storage
from mlproject.errors import PipelineError
from mlproject.gate.rules import rules_at
from mlproject.results import git_show
from mlproject.verdict import evidence as evidences
from mlproject.verdict.judge import MainRecords, compare, verify_scores

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


def _git(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True)


def records(base: str, root: Path) -> MainRecords:
    """The holdout fingerprint and metrics main recorded at ``base``."""
    def parsed(path: str) -> dict:
        try:
            value = json.loads(git_show(base, path, root) or "{}")
        except json.JSONDecodeError:
            return {}
        return value if isinstance(value, dict) else {}

    holdout = parsed("reports/validation.json").get("holdout") or {}
    return MainRecords(holdout.get("fingerprint"), holdout.get("rows"),
                       parsed("reports/metrics.json"))


def slice_columns(params: dict) -> list[str]:
    """`evaluate.slices` of raw params: the slice columns the gate judges."""
    found = (params.get("evaluate") or {}).get("slices") or []
    return [s for s in found if isinstance(s, str)] if isinstance(found, list) else []


def judge(evidence_dir: Path, out_dir: Path, params: dict, root: Path = Path("."),
          event_path: Path | None = None, rules_from: str | None = None,
          pngs: bool = False) -> dict[str, Any]:
    """Judge the evidence; write report.md, PNGs and verdict.json; return the verdict."""
    from mlproject import report

    event = read_event(event_path)
    cfg = report.load_config(params)
    pr = None
    try:
        e = evidences.read(evidence_dir)
        pr = e.pr.number
        _check_origin(e, event, root)
        rules, rules_source = rules_at(rules_from, params, root)
        j = compare(e, rules, slice_columns(params), records(e.pr.base_sha, root), cfg["headline"],
                    verify_scores(e, Path(evidence_dir)))
    except PipelineError as exc:
        return _failure(out_dir, str(exc), pr or evidences.pr_number(evidence_dir), event)
    ctx = context(e, event, root, cfg, params)
    body = report.render(j, ctx, cfg)
    report.write(body, j, out_dir, pngs)
    summary = j.verdict.summary
    verdict = {"passed": j.verdict.passed, "pr": pr, "head_sha": e.pr.head_sha,
               "description": summary[:140], "rules_from": rules_source,
               "checks": [c.to_json() for c in j.verdict.checks]}
    storage.write_json(Path(out_dir) / VERDICT, verdict)
    print(f"judge: {'passed' if j.verdict.passed else 'failed'}: {summary}")
    return verdict


def _check_origin(e: evidences.Evidence, event: Event | None, root: Path) -> None:
    """The evidence is about the commit the event names, and its base is on this branch."""
    if event is not None:
        if e.pr.head_sha != event.head_sha:
            raise PipelineError(f"the evidence is about {e.pr.head_sha[:12]}, the run was for "
                                f"{event.head_sha[:12]}")
        if event.conclusion != "success" and e.outcome != "failed":
            raise PipelineError(f"the pull request's run ended with '{event.conclusion}'")
    if e.outcome == "failed":
        raise PipelineError(f"the pipeline failed on this pull request: {e.reason}")
    if e.pr.base_sha is None or _git(root, "merge-base", "--is-ancestor", e.pr.base_sha,
                                     "HEAD").returncode != 0:
        raise PipelineError("the evidence's base commit is not in this branch's history")


def context(e: evidences.Evidence, event: Event | None, root: Path, cfg: dict, params: dict):
    from mlproject.report import Context

    server, repo = os.environ.get("GITHUB_SERVER_URL"), os.environ.get("GITHUB_REPOSITORY")
    run_id = os.environ.get("GITHUB_RUN_ID")
    behind = _git(root, "rev-list", "--count", f"{e.pr.base_sha}..HEAD").stdout.strip()
    return Context(
        head=e.pr.head_sha, base=e.pr.base_sha or "", pr=e.pr.number,
        repo_url=(event.repo_url if event else None) or (f"{server}/{repo}" if server and repo
                                                        else None),
        run_url=event.run_url if event else None,
        verdict_url=f"{server}/{repo}/actions/runs/{run_id}" if server and repo and run_id
        else None,
        commits_behind=int(behind) if event is not None and behind.isdigit() else None,
        history=history(root, params, cfg, e))


def history(root: Path, params: dict, cfg: dict, e: evidences.Evidence
            ) -> list[tuple[str, float]]:
    """The headline metric of recent production versions (as recorded), then this PR's."""
    return []


def _failure(out_dir: Path, reason: str, pr: int | None, event: Event | None) -> dict:
    body = (f"## ❌ Model gate failed\n\n{_escape(reason)}\n\nNo model was judged, so the gate "
            "did not pass. The run's log says more.\n\n<!-- mlproject-verdict: failed -->\n"
            "<!-- CML's watermark follows\n")
    storage.write_bytes(Path(out_dir) / "report.md", body.encode("utf-8"))
    verdict = {"passed": False, "pr": pr, "head_sha": event.head_sha if event else None,
               "description": reason[:140], "rules_from": None, "checks": []}
    storage.write_json(Path(out_dir) / VERDICT, verdict)
    print(f"judge: failed: {reason}")
    return verdict


def _escape(reason: str) -> str:
    from mlproject.report.safe import text

    return text(reason, 300)
