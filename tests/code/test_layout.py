"""The files a fresh checkout must have, and the DVC settings the template relies on."""

from __future__ import annotations

import configparser
import subprocess
import sys
from pathlib import Path

REQUIRED = {".github", "data.dvc", "src", "params.yaml", "dvc.yaml", "dvc.lock", "tests",
            "reports", "README.md", "pyproject.toml", "uv.lock", "requirements.lock",
            "Makefile", ".ci", ".dvc", ".gitignore"}


def test_top_level_layout(root):
    tracked = subprocess.run(["git", "ls-files"], cwd=root, capture_output=True, text=True,
                             check=True).stdout.split()
    top = {path.split("/")[0] for path in tracked}
    assert not REQUIRED - top, REQUIRED - top


def test_raw_data_is_tracked_by_dvc_not_git(root):
    tracked = subprocess.run(["git", "ls-files", "data"], cwd=root, capture_output=True,
                             text=True, check=True).stdout
    assert tracked == ""
    assert "path: data" in (root / "data.dvc").read_text()


def test_dvc_config_embedded_remote_copy_cache_no_telemetry(root):
    config = configparser.ConfigParser()
    config.read(root / ".dvc" / "config")
    assert config["core"]["analytics"] == "false"
    assert config["cache"]["type"] == "copy"  # never hardlinks into the cache (D5)
    remote = config[f"'remote \"{config['core']['remote']}\"'"]["url"]
    assert (root / ".dvc" / remote).is_dir()  # relative to .dvc/: inside the repository


def test_make_help_lists_the_quickstart(root):
    out = subprocess.run(["make", "-s", "help"], cwd=root, capture_output=True, text=True,
                         check=True).stdout
    for target in ("run", "test", "setup", "bench"):
        assert f"  {target} " in out


def test_the_cli_finds_dvc_beside_itself_without_an_activated_environment(tmp_path):
    """`.venv/bin/mlproject init-data ...` runs dvc: without `source .venv/bin/activate` the
    command puts its own bin directory first on PATH, so dvc is the environment's."""
    code = ("import os, shutil; from mlproject.cli import main; main(['summary']); "
            "print(shutil.which('dvc'))")
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                          text=True, env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})
    bin_dir = str(Path(sys.executable).parent)
    assert done.stdout.strip() == f"{bin_dir}/dvc", done.stderr
