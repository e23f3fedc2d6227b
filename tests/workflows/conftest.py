"""Shared helpers for the workflow tests: the workflow files, parsed, and their jobs and steps."""

from __future__ import annotations

import shutil
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
def project_template(tmp_path_factory, worker_id) -> Path:
    """This checkout adopted by a generated data set (act_harness.project_template), built
    once per run, whichever worker needs it first (the others wait for it), and copied by
    every act scenario: nothing writes to it."""
    import fcntl

    from .act_harness import VENV, project_template

    if not (VENV / ".installed").exists():
        pytest.skip("run `make setup` first")
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if worker_id != "master" else base  # pytest-N/, shared by workers
    dest, done = shared / "act-template" / "project", shared / "act-template" / "built"
    dest.parent.mkdir(exist_ok=True)
    with open(shared / "act-template" / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            if dest.exists():  # a worker stopped half way
                shutil.rmtree(dest)
            project_template(dest)
            done.touch()
    return dest
