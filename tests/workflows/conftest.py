"""Shared helpers for the workflow tests: the workflow files, parsed, and their jobs and steps."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = ROOT / ".github" / "workflows"
BAD = Path(__file__).parent / "fixtures" / "bad"


def load(path: Path) -> dict:
    # PyYAML reads the key `on` as True (YAML 1.1); put it back under its name.
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if True in data:
        data["on"] = data.pop(True)
    return data


@pytest.fixture(scope="session")
def workflows() -> dict[str, dict]:
    return {p.name: load(p) for p in sorted(WORKFLOWS.glob("*.yml"))}


def jobs(workflows: dict[str, dict]):
    for name, wf in workflows.items():
        for job_id, job in wf["jobs"].items():
            yield name, job_id, job


def steps(workflows: dict[str, dict]):
    for name, job_id, job in jobs(workflows):
        for step in job.get("steps", []):
            yield name, job_id, step


@pytest.fixture(scope="session")
def project_template(tmp_path_factory) -> Path:
    """This checkout adopted by a generated data set (act_harness.project_template), built
    once and copied by every act scenario."""
    from .act_harness import VENV, project_template

    if not (VENV / ".installed").exists():
        pytest.skip("run `make setup` first")
    return project_template(tmp_path_factory.mktemp("template") / "project")
