"""Make it yours: rename the package on a copy of the repository, then its tests pass."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from mlproject.adopt import rename
from mlproject.errors import PipelineError

pytestmark = pytest.mark.slow


def sh(*cmd: str, cwd: Path) -> str:
    env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, env=env)
    assert done.returncode == 0, f"{' '.join(cmd)}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout


def test_rename_then_the_copy_passes_its_tests(root, tmp_path, monkeypatch):
    # the copy's environment compiles what its processes import; where this is set, its setup
    # would compile all of it first (~20 s), which tests/integration/test_setup.py covers
    monkeypatch.delenv("PYTHONDONTWRITEBYTECODE", raising=False)
    copy = tmp_path / "acme"
    sh("git", "clone", "-q", str(root), str(copy), cwd=tmp_path)
    sh("git", "tag", "-a", "model@v1.0.0", "-m", "template version", cwd=copy)
    sh("git", "tag", "-a", "model#prod#1", "-m", "template stage", cwd=copy)
    rename.main("acme_model", root=copy)  # sets up its own environment and runs the pipeline
    assert (copy / "src" / "acme_model" / "cli.py").is_file()
    assert not (copy / "src" / "mlproject").exists()
    assert "acme_model prepare" in (copy / "dvc.yaml").read_text()
    assert sh("git", "tag", "--list", cwd=copy).strip() == ""
    assert (copy / "reports" / "metrics.json").is_file()  # results of the renamed project
    sh("git", "add", "-A", cwd=copy)
    sh("git", "commit", "-qm", "Start acme_model from the template", cwd=copy)
    mentions = sh("git", "grep", "-l", "mlproject", cwd=copy) if subprocess.run(
        ["git", "grep", "-q", "mlproject"], cwd=copy).returncode == 0 else ""
    assert mentions == ""
    # the renamed package imports, its CLI and pipeline work, and its own tests of the code,
    # the data and the model pass (the whole suite is this suite, run on the template; the
    # parity tests of every estimator, which only repeat imports these make, are left out)
    sh("make", "test", "PYTEST_ARGS=-q -x -m 'not slow' tests/code tests/data tests/project "
       "--ignore=tests/code/test_fastpath.py --ignore=tests/code/test_portable.py "
       "--ignore=tests/code/test_portable_examples.py", cwd=copy)


@pytest.mark.parametrize(("name", "message"), [
    ("Acme", "not a usable package name"), ("class", "not a usable package name"),
    ("pandas", "installed module"),
    ("a-b", "not a usable package name")])
def test_bad_names_are_refused(root, name, message):
    with pytest.raises(PipelineError, match=message):
        rename.check_name(name, root)
