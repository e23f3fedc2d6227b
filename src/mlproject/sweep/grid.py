"""A sweep's grid: parsed, checked against params.yaml and dvc.yaml, expanded into cells.

A grid is ``key=v1,v2;key2=v3,v4``: each key an existing params key that a pipeline stage
reads, each value a plain scalar. Nothing from it is ever pasted into a shell: the values reach
``dvc exp run -S key=value`` as separate arguments, and the pattern below keeps out every
character a shell, YAML or git could give a meaning to.
"""

from __future__ import annotations

import itertools
import re
from typing import Any

from mlproject.errors import PipelineError

MAX_CHARS = 2000  # of the grid as typed into the form
MATRIX_LIMIT = 256  # GitHub runs at most 256 jobs per matrix
DEFAULT_MAX_CELLS = 16
KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*")
VALUE = re.compile(r"[A-Za-z0-9_.+-]{1,64}")
NUMBER = re.compile(r"-?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")
AMBIGUOUS = {"yes", "no", "on", "off", "y", "n", "true", "false", "null", "none", "inf", "nan"}
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,39}")  # an experiment's name, a git ref part

Grid = dict[str, list[str]]


def parse(text: str, what: str = "grid") -> Grid:
    """Return ``{key: [values]}`` from ``k=v1,v2;k2=v3``; raise PipelineError on bad syntax."""
    if len(text) > MAX_CHARS:
        raise PipelineError(f"{what}: longer than {MAX_CHARS} characters")
    grid: Grid = {}
    for part in filter(None, (p.strip() for p in text.split(";"))):
        key, sep, values = (s.strip() for s in part.partition("="))
        if not sep or not KEY.fullmatch(key):
            raise PipelineError(f"{what}: {part[:80]!r} is not key=value1,value2 "
                                f"(keys are dotted params names such as train.seed)")
        if key in grid:
            raise PipelineError(f"{what}: {key} appears twice")
        grid[key] = [v.strip() for v in values.split(",")]
        for value in grid[key]:
            if not VALUE.fullmatch(value):
                raise PipelineError(f"{what}: {key}: {value[:80]!r} is not a plain value "
                                    f"(letters, digits and _ . + - only, at most 64)")
        if len(set(grid[key])) != len(grid[key]):
            raise PipelineError(f"{what}: {key}: a value appears twice")
    if not grid:
        raise PipelineError(f"{what}: empty; expected key=value1,value2;key2=value3")
    return grid


def read_by_pipeline(dvc_yaml: dict) -> list[str]:
    """Return the params.yaml keys the stages of dvc.yaml declare (a section covers its keys)."""
    keys = []
    for stage in (dvc_yaml.get("stages") or {}).values():
        for entry in stage.get("params") or []:
            if isinstance(entry, str):
                keys.append(entry)
            elif isinstance(entry, dict):
                keys += [k for k in entry.get("params.yaml") or [] if isinstance(k, str)]
    return keys


def check(grid: Grid, params: dict, dvc_yaml: dict, what: str = "grid") -> None:
    """Raise PipelineError unless every key exists, holds a scalar, is read by a stage, and
    every value has the type of the current one (numbers for numbers, true/false for flags)."""
    declared = read_by_pipeline(dvc_yaml)
    for key, values in grid.items():
        current = _lookup(params, key, what)
        if not any(key == d or key.startswith(d + ".") for d in declared):
            raise PipelineError(f"{what}: {key}: no stage in dvc.yaml reads it, so every cell "
                                f"would give the same results")
        for value in values:
            kind = value_kind(value)
            if kind is None:
                raise PipelineError(f"{what}: {key}: {value!r} is ambiguous; write numbers as "
                                    f"0.5 or 1e-3, flags as true or false, text starting "
                                    f"with a letter")
            if not _same_kind(kind, current):
                raise PipelineError(f"{what}: {key}: {value!r} is not a {_kind(current)} like "
                                    f"the current value {current!r}")


def _lookup(params: dict, key: str, what: str) -> Any:
    node: Any = params
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            raise PipelineError(f"{what}: {key}: not a key in params.yaml")
        node = node[part]
    if isinstance(node, dict | list):
        raise PipelineError(f"{what}: {key}: holds a {type(node).__name__}; name one of its "
                            f"values (e.g. {key}.<name>)")
    return node


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "true/false"
    return "number" if isinstance(value, int | float) else "text"


def value_kind(value: str) -> str | None:
    """Return how DVC and params.yaml will both read ``value``: number, true/false, null or
    text; None for anything they could read differently (yes, on, inf, 0x10, ...)."""
    if NUMBER.fullmatch(value):
        return "number"
    if value in ("true", "false", "null"):
        return "true/false" if value != "null" else "null"
    if WORD.fullmatch(value) and value.lower() not in AMBIGUOUS:
        return "text"
    return None


def _same_kind(kind: str, current: Any) -> bool:
    if kind == "null" or current is None:  # unset, or unsetting: any plain value
        return True
    return kind == _kind(current) or (kind == "number" and _kind(current) == "text")


def max_cells(params: dict) -> int:
    """Return ``sweep.max_cells`` from params (default 16); fail naming the key when bad."""
    section = params.get("sweep") or {}
    if not isinstance(section, dict):
        raise PipelineError("params.yaml: sweep: expected a mapping (the only key is max_cells)")
    for unknown in sorted(set(section) - {"max_cells"}, key=str):
        raise PipelineError(f"params.yaml: sweep.{str(unknown)[:40]}: unknown key; the only "
                            "key is max_cells")
    value = section.get("max_cells", DEFAULT_MAX_CELLS)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MATRIX_LIMIT:
        raise PipelineError(f"params.yaml: sweep.max_cells: expected a whole number from 1 to "
                            f"{MATRIX_LIMIT}, got {value!r}")
    return value


def cells(grid: Grid) -> list[dict[str, str]]:
    """Return every combination of the grid's values, first key slowest."""
    return [dict(zip(grid, combo, strict=True)) for combo in itertools.product(*grid.values())]


def as_text(cell: dict[str, str]) -> str:
    """Return a cell in the grid's own syntax, one value per key (``k=v;k2=v2``)."""
    return ";".join(f"{k}={v}" for k, v in cell.items())


def checked_name(name: str) -> str:
    """Return ``name`` when it is a plain experiment name; raise PipelineError otherwise."""
    if not NAME.fullmatch(name):
        raise PipelineError(f"--name: {name[:80]!r} is not a plain name (letters, digits, "
                            f"_ and -, at most 40)")
    return name


def plan(text: str, prefix: str, params: dict, dvc_yaml: dict) -> dict[str, list[dict]]:
    """Return the GitHub Actions matrix ``{"include": [{"name", "cell"}, ...]}`` of a grid;
    cells are named ``<prefix>-1``, ``<prefix>-2``, ..."""
    checked_name(f"{prefix}-{MATRIX_LIMIT}")  # the longest name a cell can get
    grid = parse(text)
    check(grid, params, dvc_yaml)
    found, cap = cells(grid), max_cells(params)
    if len(found) > cap:
        raise PipelineError(f"grid: {len(found)} cells, more than sweep.max_cells ({cap}) in "
                            f"params.yaml allows")
    return {"include": [{"name": f"{prefix}-{i}", "cell": as_text(cell)}
                        for i, cell in enumerate(found, start=1)]}


def one_cell(name: str, text: str, params: dict, dvc_yaml: dict) -> dict[str, str]:
    """Return a cell's settings after checking them again (the runner re-reads params.yaml)."""
    checked_name(name)
    grid = parse(text, "cell")
    check(grid, params, dvc_yaml, "cell")
    if any(len(values) != 1 for values in grid.values()):
        raise PipelineError("cell: one value per key")
    return {key: values[0] for key, values in grid.items()}
