"""promote / rollback: move production forward or back, one serialized step at a time.

promote = results reproduced? -> better than production (the gate)? -> outputs in the DVC
remote? -> release bundle -> register version + assign prod (git tags) -> push tags.
Nothing is tagged until every check passed, and a lock under .git serializes promotions.
With ``push_tags=False`` (``--no-push``) the tags stay local: a CI workflow whose checkout holds
no credentials pushes them in a separate step that alone holds the token.
"""

from __future__ import annotations

import fcntl
import importlib
import json
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml

from mlproject import artifact, storage
from mlproject.errors import PipelineError
from mlproject.registry import Settings, git, release, settings_from, show_file, tags
from mlproject.registry.remote import push_outputs


@contextmanager
def promotion_lock(root: Path, timeout_s: float) -> Iterator[None]:
    """Hold an exclusive lock file in the git directory; wait up to ``timeout_s`` for it."""
    path = Path(root, git("rev-parse", "--git-common-dir", root=root)) / "mlproject-promote.lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    deadline = time.monotonic() + timeout_s
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise PipelineError(f"another promotion holds {path}; waited {timeout_s:g}s, "
                                        "try again when it has finished") from None
                time.sleep(0.2)
        yield  # the kernel drops the lock if this process dies
    finally:
        os.close(fd)


def check_reproduced(root: Path, settings: Settings) -> None:
    """Refuse unless the model file is the one dvc.lock records and the results are committed."""
    lock_file = root / "dvc.lock"
    if not lock_file.is_file():
        raise PipelineError("dvc.lock not found: run `dvc repro` and commit its results first")
    lock = yaml.safe_load(lock_file.read_text(encoding="utf-8")) or {}
    recorded = next((out.get("md5") for stage in lock.get("stages", {}).values()
                     for out in stage.get("outs", []) if out.get("path") == settings.model), None)
    if recorded is None:
        raise PipelineError(f"dvc.lock records no output {settings.model}")
    model = root / settings.model
    if not model.is_file():
        raise PipelineError(f"{settings.model} is missing: run `dvc pull` or `dvc repro`")
    actual = storage.file_hash(model, "md5")
    if actual != recorded:
        raise PipelineError(f"stale results: {settings.model} (md5 {actual[:12]}) is not the file "
                            f"dvc.lock records ({recorded[:12]}); run `dvc repro` and commit")
    sidecar = str(artifact.sidecar(settings.model))
    dirty = git("status", "--porcelain", "--", "dvc.lock", "reports", sidecar, root=root)
    if dirty:
        raise PipelineError(f"results are not committed ({' '.join(dirty.split()[1::2])}); "
                            "commit dvc.lock and the result files first")
    artifact.load_model(model)  # sha256 against the sidecar, versions, trusted types


def bump_part(candidate: dict, previous: dict | None, settings: Settings, major: bool) -> str:
    """major by flag; minor when a ``registry.minor_when`` reason changed; patch otherwise."""
    if major:
        return "major"
    if previous is None:
        return "minor"
    changed = {"data": candidate.get("data_md5") != previous.get("data_md5"),
               "model_type": candidate.get("name") != previous.get("name"),
               "params": candidate.get("params_md5") != previous.get("params_md5"),
               "hyperparameters": candidate.get("hyperparameters")
               != previous.get("hyperparameters")}
    return "minor" if any(changed[r] for r in settings.minor_when) else "patch"


def promote(root: Path | str = ".", params_path: Path | str = "params.yaml", *,
            major: bool = False, gate: Any = None,
            push: Callable[[Path, bool], None] = push_outputs,
            push_tags: bool = True) -> dict[str, Any]:
    """Promote HEAD's model to production when it beats it; return the outcome (also on disk)."""
    from mlproject.config import load_params

    root = Path(root)
    params = load_params(root / params_path)
    settings = settings_from(params.extra.get("registry"))
    gate = gate or importlib.import_module("mlproject.gate")
    with promotion_lock(root, settings.lock_timeout_s):
        commit = git("rev-parse", "HEAD", root=root)
        state = tags.read_state(settings.artifact, root)
        done = state.at_commit(commit)
        if done and done.deprecated:
            raise PipelineError(f"{done.tag} is deprecated; refusing to promote it again")
        if done and state.ever_in(done.version, settings.stage):
            # an earlier run may have tagged but failed to push or to release: finish that
            if push_tags:
                tags.push([e.tag for e in state.events if e.commit == commit], root)
            bundle = root / settings.release_dir / done.version
            if not (bundle / "release.json").is_file():
                check_reproduced(root, settings)
                prod = _production_before(state, done.version, settings.stage)
                candidate, baseline, verdict = _judge(gate, root, commit, prod, params)
                bundle = release.write_bundle(root, settings, done.version, commit, params,
                                              candidate, verdict, prod, baseline)
            return _outcome(root, settings, False, f"nothing to do: {commit[:8]} is already "
                            f"{done.tag} and was promoted to {settings.stage}", done.version,
                            bundle)
        check_reproduced(root, settings)
        prod = state.in_stage(settings.stage)
        candidate, baseline, verdict = _judge(gate, root, commit, prod, params)
        against = f"production {prod.version}" if prod else "the gate floors (no production yet)"
        if not verdict.passed:
            return _outcome(root, settings, False, f"not promoted: against {against}, "
                            f"{verdict.summary}", None)
        meta = storage.read_json(artifact.sidecar(root / settings.model))
        if done:  # registered by an earlier run that stopped before assigning the stage
            version = done.version
        else:
            prev = prod or state.latest()
            prev_meta = _json_at(prev.commit, str(artifact.sidecar(settings.model)), root) \
                if prev else None
            latest = state.latest()
            part = bump_part(meta, prev_meta, settings, major)
            version = tags.bump(latest.version, part) if latest else settings.first_version
        push(root, settings.require_remote)
        bundle = release.write_bundle(root, settings, version, commit, params, candidate,
                                      verdict, prod, baseline)
        created = [] if done else [tags.register(settings.artifact, version,
                                                 f"Register {version}: {verdict.summary}", root)]
        created.append(tags.assign(settings.artifact, settings.stage, version,
                                   f"Promote {version} to {settings.stage}", root))
        if push_tags:
            tags.push(created, root)
        print(f"promote: {', '.join(created)} created ({against}: {verdict.summary})")
        return _outcome(root, settings, True, f"promoted {version}", version, bundle)


def _judge(gate: Any, root: Path, commit: str, prod: Any, params: Any) -> tuple:
    """(candidate results, production results, verdict) with the rules from before the merge.

    The rules come from params.yaml at HEAD's first parent, main as it was when the pull
    request was reviewed: the merged change cannot loosen the gate of its own promotion.
    """
    candidate = gate.read_results(commit, root=str(root))
    if candidate is None:
        raise PipelineError(f"no results recorded at {commit[:8]} (reports/*.json)")
    baseline = gate.read_results(prod.commit, root=str(root)) if prod else None
    parent = git("rev-parse", "--verify", "--quiet", f"{commit}^1", root=root, check=False)
    rules, _ = gate.rules_at(parent or commit, params, str(root))
    return candidate, baseline, gate.check(candidate, baseline, rules)


def _production_before(state: Any, version: str, stage: str) -> Any:
    """The newest version below ``version`` that was ever in ``stage`` (for its release notes)."""
    earlier = [v for v in state.versions.values() if tags._key(v.version) < tags._key(version)
               and state.ever_in(v.version, stage)]
    return max(earlier, key=lambda v: tags._key(v.version), default=None)


def _json_at(rev: str, path: str, root: Path) -> dict | None:
    data = show_file(rev, path, root)
    return json.loads(data) if data else None


def _outcome(root: Path, settings: Settings, promoted: bool, reason: str, version: str | None,
             bundle: Path | None = None) -> dict[str, Any]:
    """Print the reason and record it in build/release/promotion.json for the workflow."""
    print(f"promote: {reason}")
    outcome = {"promoted": promoted, "reason": reason, "version": version,
               "release": str(bundle / "release.json") if bundle else None}
    storage.write_json(root / settings.release_dir / "promotion.json", outcome)
    return outcome
