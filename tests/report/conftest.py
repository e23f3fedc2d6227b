"""Fixtures: temporary git + DVC repositories with a `main` and a PR branch.

Each test gets a copy of one template repository (creating a DVC repo costs about a second).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from .report_helpers import ROOT, Repo, results, validation


@pytest.fixture(scope="session")
def template_repo(tmp_path_factory) -> Path:
    from dvc.repo import Repo as DvcRepo

    path = tmp_path_factory.mktemp("template")
    subprocess.run(["git", "init", "-qb", "main"], cwd=path, check=True)
    DvcRepo.init(str(path)).close()
    repo = Repo(path)
    repo.write("dvc.yaml", "metrics:\n  - reports/metrics.json\n  - reports/system.json\n"
                           "  - reports/slices.json\nparams:\n  - params.yaml\n")
    params = yaml.safe_load((ROOT / "params.yaml").read_text(encoding="utf-8"))
    repo.write("params.yaml", yaml.safe_dump(params, sort_keys=False))
    repo.write("data.dvc", "outs:\n- md5: a1111111111111111111111111111111\n  path: data\n")
    repo.write("src/mlproject/train.py", "# model code\n")
    return path


@pytest.fixture
def repo(template_repo, tmp_path) -> Repo:
    """A fresh copy of the template with nothing committed yet."""
    path = tmp_path / "repo"
    shutil.copytree(template_repo, path)
    return Repo(path)


@pytest.fixture
def pr(repo) -> Repo:
    """`main` holds recorded results; HEAD is a branch `pr` with the same results."""
    repo.write_results(results())
    repo.write("reports/validation.json", validation())
    repo.commit("main results")
    repo.git("checkout", "-qb", "pr")
    return repo
