"""`make setup` on a machine without uv: it installs a pinned uv locally, or falls back to pip."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

FILES = ["Makefile", "pyproject.toml", "uv.lock", "requirements.lock", "README.md", "src"]


def copy_project(root: Path, target: Path) -> Path:
    """What `make setup` needs from a checkout: the Makefile, the locks, the package."""
    target.mkdir()
    for name in FILES:
        copy = shutil.copytree if (root / name).is_dir() else shutil.copy
        copy(root / name, target / name)
    return target


def without_uv(env: dict[str, str]) -> dict[str, str]:
    """The environment with every PATH folder that holds a `uv` left out."""
    folders = [d for d in env.get("PATH", "").split(os.pathsep)
               if d and not (Path(d) / "uv").exists()]
    return {**env, "PATH": os.pathsep.join(folders)}


def make_setup(project: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    python = Path(sys._base_executable).resolve()  # not the test's venv: a fresh machine's
    return subprocess.run(["make", "setup", f"PYTHON={python}"], cwd=project, env=env,
                          capture_output=True, text=True, timeout=600)


def test_without_uv_a_pinned_uv_is_installed_into_the_project(root, tmp_path):
    """The uv of the Makefile's pin lands in .venv-tools/, and it builds the environment."""
    project = copy_project(root, tmp_path / "project")
    env = without_uv({k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"})
    assert shutil.which("uv", path=env["PATH"]) is None
    start = time.perf_counter()
    done = make_setup(project, env)
    seconds = time.perf_counter() - start
    assert done.returncode == 0, done.stdout + done.stderr
    # Python writes bytecode as modules are first imported: nothing was compiled up front,
    # unless Python may not write it (then every process would compile its imports again)
    site = next((project / ".venv" / "lib").glob("python3*/site-packages"))
    assert not (site / "sklearn" / "__pycache__").exists()
    pin = re.search(r"^UV_VERSION := (\S+)", (root / "Makefile").read_text(), re.M).group(1)
    assert f"installing uv {pin} into .venv-tools/" in done.stdout
    version = subprocess.run([project / ".venv-tools" / "bin" / "uv", "--version"],
                             capture_output=True, text=True, check=True).stdout
    assert version.split()[1] == pin
    subprocess.run([project / ".venv" / "bin" / "python", "-c", "import mlproject.cli"],
                   check=True)
    print(f"make setup without uv: {seconds:.1f} s")  # measured by `make bench`, not judged here
    again = make_setup(project, env)
    assert again.returncode == 0 and "installing uv" not in again.stdout  # nothing to do
    for value, compiled in (("1", True), ("", False)):
        plan = subprocess.run(["make", "-n", "-B", "setup"], cwd=project, capture_output=True,
                              text=True, env={**env, "PYTHONDONTWRITEBYTECODE": value})
        assert ("-m compileall" in plan.stdout) == compiled, plan.stdout


def test_when_uv_cannot_be_installed_pip_takes_over(root, tmp_path):
    """Offline with no uv wheel: said in one line, nothing half-installed, pip is used."""
    project = copy_project(root, tmp_path / "project")
    empty = tmp_path / "wheels"
    empty.mkdir()
    env = {**without_uv(dict(os.environ)), "PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(empty),
           "PIP_CONFIG_FILE": os.devnull}
    done = make_setup(project, env)
    assert "setup: uv could not be installed; using pip instead (slower)" in done.stdout
    assert not (project / ".venv-tools").exists()
    # the fallback asked pip for the first locked package; with no wheels at all it stops
    first = re.search(r"^([A-Za-z0-9_.-]+)==(\S+)", (root / "requirements.lock").read_text(),
                      re.M)
    assert done.returncode != 0 and f"{first.group(1)}=={first.group(2)}" in done.stderr
    assert (project / ".venv" / "bin" / "pip").exists()
