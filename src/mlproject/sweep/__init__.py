"""Sweeps: a grid of params values, one DVC experiment per cell, each cell on its own runner.

`plan` checks a grid (``key=v1,v2;key2=v3``) against params.yaml and dvc.yaml and expands it
into a GitHub Actions matrix (grid.py); `run` runs one cell with `dvc exp run -S ...`; `push` and
`pull` share experiments through the git remote's ``refs/exps`` (share.py); `summary` writes the
job summary: the cells' metrics, a chart and the best cell's way to a pull request (summary.py).
These are what `mlproject sweep ACTION` and the sweep workflow run.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from mlproject.errors import PipelineError
from mlproject.from_yaml import safe_load
from mlproject.sweep import grid, share

DVC_YAML = Path("dvc.yaml")


def _yaml(path: Path) -> dict[str, Any]:
    try:
        data = safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError, UnicodeDecodeError) as exc:
        first = (str(exc).splitlines() or [type(exc).__name__])[0][:160]
        raise PipelineError(f"{path}: cannot be read as YAML: {first}") from None
    return data if isinstance(data, dict) else {}


def _matrix(text: str) -> dict:
    try:
        matrix = json.loads(text)
    except json.JSONDecodeError:
        raise PipelineError("--matrix: not the JSON that `mlproject sweep plan` prints") from None
    cells = matrix.get("include") if isinstance(matrix, dict) else None
    if not isinstance(cells, list) or not all(
            isinstance(c, dict) and isinstance(c.get("name"), str)
            and isinstance(c.get("cell"), str) for c in cells):
        raise PipelineError("--matrix: expected {\"include\": [{\"name\", \"cell\"}, ...]}")
    return matrix


def main(action: str, params_path: Path, *, grid_text: str | None = None,
         name: str | None = None, cell: str | None = None, matrix: str | None = None,
         base_branch: str = "main") -> str | None:
    """Run one sweep action; return what it prints on stdout (plan: the matrix JSON)."""
    def need(value: str | None, flag: str) -> str:
        if value is None:
            raise PipelineError(f"mlproject sweep {action}: {flag} is required")
        return value

    if action == "plan":
        plan = grid.plan(need(grid_text, "--grid"), need(name, "--name"),
                         _yaml(params_path), _yaml(DVC_YAML))
        return json.dumps(plan, separators=(",", ":"))
    if action == "run":
        name = need(name, "--name")
        share.run(name, grid.one_cell(name, need(cell, "--cell"), _yaml(params_path),
                                      _yaml(DVC_YAML)))
    elif action == "push":
        share.push(grid.checked_name(need(name, "--name")))
    elif action == "pull":
        names = [c["name"] for c in _matrix(need(matrix, "--matrix"))["include"]]
        missing = share.pull([grid.checked_name(n) for n in names])
        return f"fetched {len(names) - len(missing)} of {len(names)} experiments" + (
            f"; missing: {', '.join(missing)}" if missing else "")
    elif action == "summary":
        from mlproject.report import load_config
        from mlproject.sweep.summary import compose

        headline = load_config(_yaml(params_path))["headline"]
        return compose(_matrix(need(matrix, "--matrix")), headline, base_branch)
    return None
