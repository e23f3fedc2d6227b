"""The judge's input and output: evidence and event in; report.md, PNGs and verdict.json out.

`judge` never raises on bad evidence: a pull request whose run failed, made no evidence, or made
evidence that fails a check gets a failing verdict with a one-line reason, which the publish step
posts as the comment and the `model gate` status.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

from mlproject import storage
from mlproject.errors import PipelineError
from mlproject.gate.rules import rules_at, task_of
from mlproject.results import git_show
from mlproject.verdict import champion as champions
from mlproject.verdict import evidence as evidences
from mlproject.verdict import provenance
from mlproject.verdict.event import VERDICT, Event, read_event
from mlproject.verdict.judge import MainRecords, compare
from mlproject.verdict.rescore import MAIN, rescore


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


def measuring(params: dict) -> tuple[int, int]:
    """(train.threads, evaluate.latency_repeats) of raw params: how the judge scores and times."""
    from mlproject.config import parse_params

    try:
        typed = parse_params(params)
    except PipelineError:
        return 1, 50
    return typed.train.threads, typed.evaluate.latency_repeats


def slice_columns(params: dict) -> list[str]:
    """`evaluate.slices` of raw params: the slice columns the gate judges."""
    found = (params.get("evaluate") or {}).get("slices") or []
    return [s for s in found if isinstance(s, str)] if isinstance(found, list) else []


def judge(evidence_dir: Path, out_dir: Path, params: dict, root: Path = Path("."),
          event_path: Path | None = None, rules_from: str | None = None,
          pngs: bool = False, results: Path | None = None) -> dict[str, Any]:
    """Judge the evidence; write report.md, PNGs and verdict.json; return the verdict.

    ``results``: the results commit the pr run made (a git bundle), when it made one. Nothing
    in the evidence makes this raise: any fault is a failing verdict saying why.
    """
    event = read_event(event_path)
    pr = None
    try:
        return _judge(evidence_dir, out_dir, params, root, event, rules_from, pngs, results)
    except PipelineError as exc:
        reason = str(exc)
    except Exception as exc:  # never a traceback instead of a verdict: the PR is told why
        reason = f"the judge could not finish ({type(exc).__name__}: {str(exc)[:160]})"
    try:
        pr = evidences.read(evidence_dir).pr.number
    except PipelineError:
        pr = None
    return _failure(out_dir, reason, pr or evidences.pr_number(evidence_dir), event)


def _judge(evidence_dir: Path, out_dir: Path, params: dict, root: Path, event: Event | None,
           rules_from: str | None, pngs: bool, results: Path | None) -> dict[str, Any]:
    from mlproject import report

    cfg = report.load_config(params)
    e = evidences.read(evidence_dir)
    pr = e.pr.number
    _check_origin(e, event, root)
    if e.task != task_of(params):
        raise PipelineError(f"the evidence scores a {e.task} target; the params.yaml it is "
                            f"judged by has a {task_of(params)} target")
    rules, rules_source = rules_at(rules_from, params, root)
    threads_n, repeats = measuring(params)
    files = evidences.model_files(evidence_dir)
    # whose model is it? the one the PR's commit records (provenance.py)
    recorded = provenance.for_pr(root, event.head_sha, e.pr.base_sha, results) \
        if event is not None else provenance.in_workspace(root)
    mains = {n for n, m in MAIN.items() if m in champions.recorded(e.pr.base_sha, root)}
    bound = provenance.checks(files, recorded, mains)
    own = {c.metric: recorded.sidecars[c.metric] for c in bound
           if c.status == "pass" and c.metric in recorded.sidecars}
    rescored = rescore(e, files, e.pr.base_sha, root, threads_n, repeats, own)
    mains_records = records(e.pr.base_sha, root)
    j = compare(e, rules, slice_columns(params), mains_records, cfg["headline"], rescored,
                extra=bound)
    ctx = context(e, event, root, cfg, params)
    theirs = own_rules(e, rules, root, params)
    if isinstance(theirs, str):  # main would refuse the PR's own gate
        ctx.own_rules = theirs
    elif theirs is not None:  # the PR changes the gate: what would its own rules say?
        ctx.own_rules = own_verdict_line(compare(e, theirs, slice_columns(params),
                                                 mains_records, cfg["headline"], rescored,
                                                 extra=bound).verdict)
    ctx.history = history(root, params, cfg["history_versions"], cfg["headline"][0],
                          j.point["challenger"].get(cfg["headline"][0]))
    body = report.render(j, ctx, cfg)
    report.write(body, j, out_dir, pngs)
    summary = j.verdict.summary
    verdict = {"passed": j.verdict.passed, "pr": pr, "head_sha": e.pr.head_sha,
               "description": summary[:140], "rules_from": rules_source,
               "under_own_rules": ctx.own_rules,
               "checks": [c.to_json() for c in j.verdict.checks],
               "system": {name: {"main": m.champion, "pr": m.challenger}
                          for name, m in j.comparison.system.items()}}
    storage.write_json(Path(out_dir) / VERDICT, verdict)
    print(f"judge: {'passed' if j.verdict.passed else 'failed'}: {summary}")
    return verdict


MAX_PARAMS_BYTES = 200_000  # a PR's params.yaml is read as hostile text: capped first


def own_rules(e: evidences.Evidence, rules, root: Path, params: dict):
    """The rules of the PR's own `gate:` (params.yaml at its head) when they differ from the
    ones it is judged by, or the one line saying main would refuse them. None when the PR
    keeps the gate, or its params.yaml cannot be read here (or is over MAX_PARAMS_BYTES)."""
    from mlproject.from_yaml import safe_load
    from mlproject.gate import load_rules

    data = provenance.blob(root, e.pr.head_sha, "params.yaml", MAX_PARAMS_BYTES)
    if data is None:  # not readable here, or over the cap
        return None
    try:
        raw = safe_load(data.decode("utf-8", "replace"))
        gate = raw.get("gate") if isinstance(raw, dict) else None
        if not isinstance(gate, dict):
            return None
        theirs = load_rules({**params, "gate": gate})
    except Exception as exc:  # hostile text: any fault is one line, never the verdict's end
        reason = str(exc).splitlines()[0][:160] if str(exc) else type(exc).__name__
        return f"This PR's own `gate:` section would be refused: {reason}"
    return None if theirs == rules else theirs


def own_verdict_line(verdict) -> str:
    """What the verdict would be under the PR's own `gate:`, in one line."""
    word = "pass" if verdict.passed else "fail"
    return (f"Under this PR's own `gate:` (it judges the pull requests after this one is "
            f"merged) the model would {word}: {verdict.summary}")


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
        commits_behind=int(behind) if event is not None and behind.isdigit() else None)


def history(root: Path, params: dict, count: int, metric: str, this_pr: float | None
            ) -> list[tuple[str, float]]:
    """``metric`` as recorded at the commits of the last ``count`` versions put in production
    (each measured on its own holdout when it was trained), then this PR's; [] when fewer
    than one version recorded it. A registry that cannot be read costs the chart, not the
    verdict."""
    from mlproject.gate import from_recorded
    from mlproject.registry import settings_from, show_file, tags

    if count == 0 or this_pr is None:
        return []
    try:
        settings = settings_from(params.get("registry"))
        state = tags.read_state(settings.artifact, root)
    except PipelineError as exc:
        print(f"::warning::no production history in the report: {exc}")
        return []
    order: list[str] = []  # the versions in the order they (last) went into production
    for event in state.events:
        if event.stage == settings.stage and event.event == "assignment" \
                and event.version in state.versions:
            order = [v for v in order if v != event.version] + [event.version]
    points = []
    for version in order[-count:]:
        try:
            recorded = json.loads(show_file(state.versions[version].commit,
                                            "reports/metrics.json", root) or b"{}")
        except json.JSONDecodeError:
            continue
        estimate = from_recorded(recorded).metrics.get(metric) if isinstance(recorded, dict) \
            else None
        if estimate is not None and estimate.challenger is not None:
            points.append((version, estimate.challenger))
    return [*points, ("this PR", this_pr)] if points else []


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
