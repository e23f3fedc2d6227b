"""promote: move production forward, one serialized step at a time, keyed on the model file.

promote = same bytes as production? (nothing to promote) -> the tip of main, built on
production? -> bytes of a deprecated or rolled-back version? (refused unless --force) ->
results reproduced (`dvc status` clean)? -> the gate against production (``judge``) -> outputs
in the DVC remote -> release bundle -> tags (a new version, or the earlier version with the same
bytes re-used) -> one atomic push. Nothing is tagged until every check passed, a lock under .git
serializes promotions, and every outcome is written to ``<release_dir>/promotion.json``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from mlproject import storage
from mlproject.errors import PipelineError
from mlproject.registry import (
    OUTCOME,
    Settings,
    candidate,
    checks,
    git,
    release,
    settings_from,
    side_by_side,
    tags,
)
from mlproject.registry import push as tag_push
from mlproject.registry.lock import promotion_lock
from mlproject.registry.remote import push_outputs

SHA = re.compile(r"^[0-9a-f]{40}$")


@dataclass
class Outcome:
    status: str  # promoted | reused | nothing | refused | superseded (not main's tip)
    reason: str
    commit: str
    production: str | None = None  # the version in the stage after this run
    version: str | None = None  # the version whose release bundle this run wrote
    release: str | None = None
    tags: list[str] = field(default_factory=list)
    portable: str | None = None  # what the release's ONNX export did (release.export_onnx)

    @property
    def promoted(self) -> bool:
        return self.status in ("promoted", "reused")


@dataclass(frozen=True)
class Judgement:
    """The gate's answer about a candidate, and what its release records."""

    passed: bool
    summary: str
    verdict: Any  # checks and to_json(): the model card and metrics.json show them
    candidate: dict
    production: dict | None


def rules_revision(root: Path, before: str | None, production: tags.Version | None,
                   commit: str) -> str:
    """Where the gate's rules come from, so a merged change cannot loosen its own gate.

    ``before`` is the push event's previous tip of main: right after merge, squash and rebase
    merges alike. Without one (a first push, all zeros; a manual run) the rules at production's
    commit apply, and with no production yet those at ``commit``.
    """
    if before and set(before) != {"0"}:
        if not SHA.fullmatch(before):
            raise PipelineError(f"--before {before[:50]!r}: expected a full 40-hex commit hash")
        if git("cat-file", "-t", before, root=root, check=False) == "commit":
            return before
        print(f"promote: {before[:8]} (main before the push) is not in this clone")
    return production.commit if production else commit


def promote(root: Path | str = ".", params_path: Path | str = "params.yaml", *,
            major: bool = False, force: bool = False, before: str | None = None,
            judge: Callable | None = None, push: Callable[[Path, bool], None] = push_outputs,
            push_tags: bool = True) -> Outcome:
    """Promote HEAD's model when every check passes; return the outcome (also on disk)."""
    from mlproject.config import load_params

    root = Path(root)
    params = load_params(root / params_path)
    settings = settings_from(params.extra.get("registry"))
    commit, production = git("rev-parse", "HEAD", root=root), None
    try:
        with promotion_lock(root, settings.lock_timeout_s):
            state = tags.read_state(settings.artifact, root)
            production = state.in_stage(settings.stage)
            rules = rules_revision(root, before, production, commit)
            judge = judge or side_by_side.judge  # tests give a stand-in
            outcome = _promote(root, settings, params, state, commit, rules, major, force, judge,
                               push, push_tags)
    except PipelineError as exc:  # every refusal is an outcome; not the tip: superseded
        status = "superseded" if isinstance(exc, checks.NotTheTip) else "refused"
        outcome = Outcome(status, f"not promoted: {exc}", commit,
                          production.version if production else None)
    print(f"promote: {outcome.reason}")
    storage.write_json(root / settings.release_dir / OUTCOME,
                       {**asdict(outcome), "promoted": outcome.promoted})
    return outcome


def _promote(root: Path, settings: Settings, params: Any, state: tags.State, commit: str,
             rules: str, major: bool, force: bool, judge: Callable, push: Callable,
             push_tags: bool) -> Outcome:
    stage, production = settings.stage, state.in_stage(settings.stage)
    sha = candidate.sha256_at(commit, settings, root)
    if sha is None:
        raise PipelineError(f"no sha256 in the model's metadata committed at {commit[:8]}: run "
                            "the pipeline and commit its results")
    shas = {v.version: candidate.sha256_at(v.commit, settings, root)
            for v in state.versions.values()}
    decision = candidate.decide(state, stage, sha, shas, force)
    if decision.action == "nothing":
        bundle = _finish_release(root, settings, params, state, commit, rules, judge)
        return Outcome("nothing", decision.reason, commit, production.version,
                       production.version if bundle else None, _release_file(bundle),
                       portable=_portable(bundle))
    checks.check_tip(root, commit, production, settings)
    if decision.action == "refuse":
        raise PipelineError(decision.reason)
    checks.check_reproduced(root, settings)
    judgement = judge(root, commit, production, rules, params, state)
    against = f"production {production.version}" if production else "the gate's floors"
    if not judgement.passed:
        raise PipelineError(f"the gate failed against {against}: {judgement.summary}")
    push(root, settings.require_remote)
    reused = decision.version if decision.action == "reuse" else None
    name = reused.version if reused else _next_version(root, settings, state, commit, major)
    bundle = None
    if reused is None or reused.commit == commit:  # a re-used older version has its release
        bundle = release.write_bundle(root, settings, name, commit, params, judgement.candidate,
                                      judgement.verdict, production, judgement.production)
    created = [] if reused else [tags.register(settings.artifact, name,
                                               f"Register {name}: {judgement.summary}", root)]
    created.append(tags.assign(state, stage, name, f"Promote {name} to {stage}", root))
    tag_push.publish(created, root, root / settings.release_dir, push_tags)
    what = f"re-used {reused.tag}, whose model file this is" if reused else f"promoted {name}"
    return Outcome("reused" if reused else "promoted", f"{what}; {stage} is now {name} "
                   f"(against {against}: {judgement.summary})", commit, name,
                   name if bundle else None, _release_file(bundle), created, _portable(bundle))


def _next_version(root: Path, settings: Settings, state: tags.State, commit: str,
                  major: bool) -> str:
    """The bump rule: from the latest version ever registered, comparing with production."""
    latest = state.latest()
    if latest is None:
        return settings.first_version
    previous = state.in_stage(settings.stage) or latest
    part = candidate.bump_part(candidate.facets(commit, settings, root),
                               candidate.facets(previous.commit, settings, root), settings, major)
    return tags.bump(latest.version, part)


def _finish_release(root: Path, settings: Settings, params: Any, state: tags.State,
                    commit: str, rules: str, judge: Callable) -> Path | None:
    """Production's bundle when HEAD is production's commit (a re-run finishes its release)."""
    production = state.in_stage(settings.stage)
    if production is None or production.commit != commit:
        return None
    bundle = root / settings.release_dir / production.version
    if not (bundle / "release.json").is_file():
        checks.check_reproduced(root, settings)
        previous = _production_before(state, production.version, settings.stage)
        judgement = judge(root, commit, previous, rules, params, state)
        bundle = release.write_bundle(root, settings, production.version, commit, params,
                                      judgement.candidate, judgement.verdict, previous,
                                      judgement.production)
    return bundle


def _production_before(state: tags.State, version: str, stage: str) -> tags.Version | None:
    """The newest version below ``version`` that was ever in ``stage`` (for its release notes)."""
    earlier = [v for v in state.versions.values()
               if tags.key(v.version) < tags.key(version) and state.ever_in(v.version, stage)]
    return max(earlier, key=lambda v: tags.key(v.version), default=None)


def _release_file(bundle: Path | None) -> str | None:
    return str(bundle / "release.json") if bundle else None


def _portable(bundle: Path | None) -> str | None:
    """The release's line about its ONNX file, when this run has a release."""
    if bundle is None or not (bundle / "release.json").is_file():
        return None
    found = storage.read_json(bundle / "release.json").get("portable")
    return found if isinstance(found, str) else None
