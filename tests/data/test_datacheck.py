"""check-data remembers a folder that matched, and still sees every change made after it."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from mlproject import datacheck
from mlproject.errors import PipelineError


@pytest.fixture(scope="module")
def recorded(tmp_path_factory) -> Path:
    """A DVC repository whose data/ (two files and one .dvcignore'd file) is recorded."""
    root = tmp_path_factory.mktemp("datacheck") / "repo"
    (root / "data").mkdir(parents=True)
    (root / "data" / "a.csv").write_text("x,y\n1,2\n")
    (root / "data" / "b.csv").write_text("x,y\n3,4\n")
    (root / "data" / "notes.tmp").write_text("scratch\n")
    (root / ".dvcignore").write_text("*.tmp\n")
    for cmd in (["git", "init", "-q"], ["dvc", "init", "-q"], ["dvc", "add", "-q", "data"]):
        subprocess.run(cmd, cwd=root, check=True, capture_output=True)
    return root


@pytest.fixture
def repo(recorded: Path, tmp_path: Path, monkeypatch) -> Path:
    """A copy of it, with nothing remembered yet, as the current directory."""
    root = tmp_path / "repo"
    shutil.copytree(recorded, root, symlinks=True)
    (root / ".dvc" / "tmp" / datacheck.VERIFIED).unlink(missing_ok=True)
    monkeypatch.chdir(root)
    return root


def unhashed(monkeypatch) -> None:
    def refuse(folder):
        raise AssertionError("the folder was listed and hashed again")
    monkeypatch.setattr(datacheck, "_listing", refuse)


def test_an_untouched_folder_is_not_hashed_twice(repo, monkeypatch, capsys):
    datacheck.check(Path("data.dvc"))
    assert (repo / ".dvc" / "tmp" / datacheck.VERIFIED).is_file()
    unhashed(monkeypatch)
    datacheck.check(Path("data.dvc"))
    assert capsys.readouterr().out.count("check-data: data matches data.dvc") == 2


def same_size_edit(root: Path) -> None:
    """An edit that keeps the size: only the file's time tells (set a second later)."""
    path = root / "data" / "a.csv"
    before = path.stat().st_mtime_ns
    path.write_text("x,y\n9,2\n")
    os.utime(path, ns=(before + 10**9, before + 10**9))


@pytest.mark.parametrize(("change", "problem"), [
    (same_size_edit, "data/a.csv is modified"),
    (lambda r: (r / "data" / "c.csv").write_text("x,y\n"), "data/c.csv is new"),
    (lambda r: (r / "data" / "b.csv").unlink(), "data/b.csv is missing"),
    (lambda r: (r / ".dvcignore").write_text(""), "data/notes.tmp is new"),  # not ignored now
])
def test_a_change_after_a_match_is_still_found(repo, change, problem):
    datacheck.check(Path("data.dvc"))
    change(repo)
    with pytest.raises(PipelineError, match=problem):
        datacheck.check(Path("data.dvc"))


def test_a_new_recorded_version_is_hashed_again(repo, monkeypatch):
    datacheck.check(Path("data.dvc"))
    (repo / "data" / "a.csv").write_text("x,y\n5,6\n")
    subprocess.run(["dvc", "add", "-q", "data"], cwd=repo, check=True, capture_output=True)
    calls = []
    listing = datacheck._listing
    monkeypatch.setattr(datacheck, "_listing", lambda f: calls.append(f) or listing(f))
    datacheck.check(Path("data.dvc"))
    assert calls  # data.dvc records another md5: the remembered match does not hold
