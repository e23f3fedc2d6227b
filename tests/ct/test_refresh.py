"""refresh-data: a new version is recorded only when the source's bytes changed."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from mlproject import refresh
from mlproject.errors import PipelineError

pytestmark = pytest.mark.slow


@pytest.fixture
def repo(root, tmp_path, monkeypatch) -> Path:
    """A git+DVC repository with the starter data pulled from the embedded remote."""
    path = tmp_path / "repo"
    subprocess.run(["git", "clone", "-q", str(root), str(path)], check=True)
    subprocess.run(["dvc", "pull", "-q", "data.dvc"], cwd=path, check=True)
    return path


def source_copy(repo: Path, tmp_path: Path) -> Path:
    source = tmp_path / "source"
    shutil.copytree(repo / "data", source)
    return source


def data_files(repo: Path) -> list[str]:
    """The project's data files (whatever data the project holds)."""
    return sorted(p.name for p in (repo / "data").iterdir() if p.is_file())


def test_unchanged_source_records_nothing(repo, tmp_path, capsys):
    source = source_copy(repo, tmp_path)
    before = (repo / "data.dvc").read_text()
    files = data_files(repo)
    assert not refresh.refresh({"source": str(source), "files": files}, root=repo)
    assert f"data unchanged ({len(files)} file(s) checked)" in capsys.readouterr().out
    assert (repo / "data.dvc").read_text() == before


def test_changed_source_records_and_pushes_a_new_version(repo, tmp_path, capsys):
    source = source_copy(repo, tmp_path)
    first = data_files(repo)[0]
    with open(source / first, "ab") as fh:
        fh.write(b"\n")  # one more byte: a new version of the file
    before = (repo / "data.dvc").read_text()
    assert refresh.refresh({"source": str(source), "files": [first]}, root=repo)
    assert f"data changed ({first})" in capsys.readouterr().out
    assert (repo / "data.dvc").read_text() != before
    status = subprocess.run(["dvc", "data", "status", "--not-in-remote", "--json"], cwd=repo,
                            capture_output=True, text=True, check=True)
    import json

    assert not [p for p in json.loads(status.stdout).get("not_in_remote", [])
                if p.startswith("data")]


def test_no_source_configured(capsys):
    assert not refresh.refresh({"source": ""})
    assert "no refresh.source" in capsys.readouterr().out


@pytest.mark.parametrize(("raw", "message"), [
    ({"sauce": "x"}, "refresh.sauce: unknown key"),
    ({"source": "s3://bucket/x"}, "s3:// is not supported"),
    ({"source": "http://example.invalid/x.csv"}, "use https://, not http://"),
    ({"source": "/nonexistent/file.csv"}, "file not found"),
])
def test_bad_settings_are_one_line(raw, message, tmp_path):
    with pytest.raises(PipelineError, match=message):
        refresh.refresh(raw, root=tmp_path)
