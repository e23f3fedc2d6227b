"""Results recorded at a git revision: the small result files DVC keeps in git (cache: false).

The base of a comparison is read with `git show`, so it needs no DVC remote and no secrets.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from mlproject.errors import PipelineError

RESULT_FILES = {"metrics": "reports/metrics.json", "slices": "reports/slices.json"}


def read_results(rev: str | None, root: Path | str = ".") -> dict | None:
    """Read metrics and slices at a git revision (None = workspace); None if absent."""
    out = {}
    for key, path in RESULT_FILES.items():
        if rev is None:
            file = Path(root) / path
            text = file.read_text(encoding="utf-8") if file.is_file() else None
        else:
            text = git_show(rev, path, root)
        if text is None:
            if key == "metrics":
                return None
            out[key] = {}
            continue
        try:
            out[key] = shaped(json.loads(text), depth=2 if key == "system" else 3)
        except (json.JSONDecodeError, RecursionError):
            raise PipelineError(f"{path} at {rev or 'workspace'}: not valid JSON") from None
    return out


def shaped(value: Any, depth: int) -> dict:
    """``value`` with every level down to ``depth`` a mapping; anything else becomes {}.

    The files come from a branch: a list or a string where a mapping belongs must not crash
    the gate or the report. Leaves (the numbers) are left to ``storage.finite``.
    """
    if not isinstance(value, dict):
        return {}
    if depth <= 1:
        return value
    return {k: shaped(v, depth - 1) for k, v in value.items()}


def git_show(rev: str, path: str, root: Path | str = ".") -> str | None:
    """Return a file's text at a git revision, or None when it does not exist there."""
    proc = subprocess.run(["git", "show", f"{rev}:{path}"], cwd=root, capture_output=True)
    if proc.returncode != 0:
        return None
    return proc.stdout.decode("utf-8", errors="replace")
