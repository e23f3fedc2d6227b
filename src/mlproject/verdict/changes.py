"""What a pull request changed against its base: params (as DVC diffs them), code, data.

Collected in the PR's job, where both revisions are at hand; the judge shows it as untrusted
text. The data part compares the validation summaries and, when the base's prepared table is
in the DVC cache, the drift of each feature.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from mlproject.results import git_show
from mlproject.verdict.evidence import Changes, ParamChange

MAX_FILES = 200


def _text(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value)
    return text[:200]


def params(root: Path, base: str) -> list[ParamChange]:
    """Changed params keys with their values on the base and on this branch."""
    from dvc.repo import Repo

    with Repo(str(root)) as repo:
        diff = repo.params.diff(a_rev=base).get("diff", {})
    return [ParamChange(key=_text(key), main=_text(d.get("old", "absent")),
                        branch=_text(d.get("new", "absent")))
            for path in sorted(diff) for key, d in sorted(diff[path].items())
            if isinstance(d, dict)][:500]


def code(root: Path, base: str) -> list[str]:
    """Files under src/ that differ between the base and the workspace."""
    done = subprocess.run(["git", "diff", "--name-only", base, "--", "src/"], cwd=root,
                          capture_output=True, text=True)
    return [_text(line) for line in done.stdout.splitlines() if line][:MAX_FILES]


def _json(text: str | None) -> dict:
    try:
        value = json.loads(text) if text else {}
    except json.JSONDecodeError:
        return {}
    return value if isinstance(value, dict) else {}


def _summary(raw: dict) -> dict:
    """The numbers of a validation summary (train and holdout), shaped for the evidence."""
    out = {}
    for part in ("train", "holdout"):
        facts = raw.get(part) if isinstance(raw.get(part), dict) else {}
        out[part] = {k: v for k, v in facts.items()
                     if k in ("rows", "columns", "missing_cells", "duplicate_rows", "fingerprint",
                              "class_balance")}
    return out


def collect(root: Path, base: str) -> Changes:
    validation = "reports/validation.json"
    changed = git_show(base, "data.dvc", root) != (root / "data.dvc").read_text(encoding="utf-8")
    drift: dict[str, float] | str = "data unchanged"
    if changed:
        from mlproject.report import drift as drifts

        found = drifts.between(base, root)
        drift = found.get("scores") or _text(found.get("unavailable", "not computed"))
    return Changes(
        params=params(root, base), code=code(root, base), data_changed=changed,
        validation={"main": _summary(_json(git_show(base, validation, root))),
                    "branch": _summary(_json((root / validation).read_text(encoding="utf-8")))},
        drift=drift)
