"""The promotion gate: the candidate against production's model, side by side.

Both models score the same holdout rows in this run, with this code, exactly as a pull request's
verdict compares them (mlproject.verdict: paired-bootstrap intervals, measured ratios); the
rules are params.yaml's `gate:` as it was before the merge. One more rule applies here: the
candidate may not fall more than `gate.max_below_best` below the best value any production
version recorded on the same holdout rows (same fingerprint), so drops that each passed
`max_drop` cannot add up from release to release.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

from mlproject.from_yaml import safe_load
from mlproject.metrics import better
from mlproject.registry import show_file, tags
from mlproject.results import read_results


def best_on_these_rows(state: tags.State, stage: str, fingerprint: str, metrics: list[str],
                       root: Path) -> dict[str, tuple[str, float]]:
    """{metric: (version, value)}: the best each metric was in any version ever in ``stage``
    whose recorded holdout is these rows."""
    best: dict[str, tuple[str, float]] = {}
    for version in state.versions.values():
        if not state.ever_in(version.version, stage):
            continue
        recorded = _json(show_file(version.commit, "reports/validation.json", root))
        if (recorded.get("holdout") or {}).get("fingerprint") != fingerprint:
            continue
        quality = _json(show_file(version.commit, "reports/metrics.json", root))
        values = {**((quality.get("model") or {}).get("quality") or {}),
                  **((quality.get("model") or {}).get("product") or {})}
        for name in metrics:
            value = values.get(name)
            if isinstance(value, int | float) and (
                    name not in best or better(name, value, best[name][1]) > 0):
                best[name] = (version.version, float(value))
    return best


def _json(data: bytes | None) -> dict:
    try:
        value = json.loads(data) if data else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def judge(root: Path, commit: str, production: tags.Version | None, rules_rev: str,
          params: Any, state: tags.State | None = None) -> Any:
    """The candidate at ``commit`` (the workspace's reproduced model) against ``production``."""
    from mlproject import report
    from mlproject.gate.rules import rules_at
    from mlproject.registry.promote import Judgement
    from mlproject.verdict import judge as judging
    from mlproject.verdict import run, scoring
    from mlproject.verdict.evidence import PullRequest
    from mlproject.verdict.rescore import rescore

    base = production.commit if production else commit
    pr = PullRequest(number=None, head_sha=commit, base_sha=base, repository=None)
    compared = scoring.compare(root, base, pr, params, champion=production is not None,
                               changed=False)  # no comment to show it in
    evidence = compared.evidence
    rescored = rescore(evidence, compared.files, base if production else None, root,
                       params.train.threads, params.evaluate.latency_repeats)
    # the scores were computed in this process, not reported by a PR's run: nothing to re-check
    rescored = dataclasses.replace(rescored, checks=[])
    rules, _ = rules_at(rules_rev, params, root)
    slices = run.slice_columns(_raw_params_at(rules_rev, root)
                               or {"evaluate": {"slices": params.evaluate.slices}})
    best = best_on_these_rows(state, _stage(params), evidence.holdout.fingerprint,
                              list(rules.max_below_best), root) if state is not None else {}
    found = judging.compare(evidence, rules, slices, run.records(base, root),
                            report.load_config(params)["headline"], rescored, best=best)
    results = read_results(None, root) or {}
    baseline = read_results(production.commit, root) if production else None
    return Judgement(found.verdict.passed, found.verdict.summary, found.verdict, results,
                     baseline)


def _stage(params: Any) -> str:
    from mlproject.registry import settings_from

    return settings_from(params.extra.get("registry")).stage


def _raw_params_at(rev: str, root: Path) -> dict | None:
    import yaml

    try:
        raw = safe_load(show_file(rev, "params.yaml", root) or b"")
    except yaml.YAMLError:
        return None
    return raw if isinstance(raw, dict) else None
