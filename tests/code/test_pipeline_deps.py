"""dvc.yaml's dependencies cover the code every stage runs, so `dvc status` tells the truth.

Each stage's command is `mlproject <subcommand>`; the import closure of the CLI and of the stage's
module (every `mlproject` module they import, at any depth, function-level imports included) must
lie under the stage's dependencies, and every stage depends on the locked environment.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src"
PACKAGE = "mlproject"


def module_file(name: str) -> Path | None:
    """The file of module ``name`` under src/, or None when it is not a module of the package."""
    path = SRC.joinpath(*name.split("."))
    for candidate in (path.with_suffix(".py"), path / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def imported(path: Path) -> set[str]:
    """Names of the package modules ``path`` imports anywhere in its body."""
    package = ".".join(path.relative_to(SRC).with_suffix("").parts[:-1])
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative import
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            names.add(base)
            names |= {f"{base}.{a.name}" for a in node.names}
    return {n for n in names if n == PACKAGE or n.startswith(f"{PACKAGE}.")}


def loaded_by_name() -> list[str]:
    """Package modules skops imports by name while loading a model file (its trusted types)."""
    from mlproject.artifact import TRUSTED_TYPES

    return [t.rsplit(".", 1)[0] for t in TRUSTED_TYPES if t.startswith(f"{PACKAGE}.")]


def closure(*modules: str) -> set[Path]:
    """Every package file reached by importing ``modules`` (parent packages included), and the
    modules a model file names when the closure can load one."""
    todo, seen = list(modules), set()
    while todo:
        name = todo.pop()
        parts = name.split(".")
        for i in range(1, len(parts) + 1):  # importing a.b.c runs a/__init__ and a/b/__init__
            file = module_file(".".join(parts[:i]))
            if file is not None and file not in seen:
                seen.add(file)
                todo += sorted(imported(file))
                if file == SRC / PACKAGE / "artifact.py":
                    todo += loaded_by_name()
    return seen


def uncovered(files: set[Path], deps: list[str]) -> list[str]:
    """The files that no dependency path covers."""
    roots = [(ROOT / d).resolve() for d in deps]
    return sorted(str(f.relative_to(ROOT)) for f in files
                  if not any(f == r or r in f.parents for r in roots))


MODULES = {"check-data": "datacheck"}  # a stage's subcommand -> its module (else stages.<it>)


def stages() -> dict[str, dict]:
    return yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]


@pytest.mark.parametrize("name", list(stages()))
def test_every_stage_depends_on_the_code_it_runs(name):
    stage = stages()[name]
    program, subcommand = stage["cmd"].split()[:2]
    assert program == "mlproject", "a stage runs the package's CLI"
    module = MODULES.get(subcommand, f"stages.{subcommand}")
    files = closure(f"{PACKAGE}.cli", f"{PACKAGE}.{module}")
    assert SRC / PACKAGE / f"{module.replace('.', '/')}.py" in files
    assert not uncovered(files, stage["deps"]), f"{name} does not depend on these"


@pytest.mark.parametrize("name", list(stages()))
def test_every_stage_depends_on_the_locked_environment(name):
    """A bumped library (a Dependabot PR) re-runs the stage instead of keeping old results."""
    assert "uv.lock" in stages()[name]["deps"]


def test_the_check_catches_a_stage_that_lists_only_its_own_file():
    """The closure reaches the shared modules, and the rule baseline's module, which evaluate
    never imports but loads through the model file: listing one file is not enough."""
    missing = uncovered(closure(f"{PACKAGE}.stages.evaluate"), ["src/mlproject/stages/evaluate.py"])
    assert {"src/mlproject/predict.py", "src/mlproject/metrics.py",
            "src/mlproject/rule_model.py"} <= set(missing)
