"""refresh-data: bring the raw data up to date with its source (continuous training).

The source is set in params.yaml:

    refresh:
      source: /mnt/exports/census          # a folder or file, or an https:// URL of a file
      files: [adult.data, adult.test]      # names to take from a folder source

The files are copied into data/, and when their bytes differ from the recorded version,
`dvc add data` records the new version in data.dvc and `dvc push` stores it in the remote.
The workflow then opens a pull request, which is trained, reported and gated like any other.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

from mlproject import storage
from mlproject.errors import PipelineError

MAX_DOWNLOAD_MB = 1000


def settings(raw: dict[str, Any] | None) -> tuple[str, list[str]]:
    """(source, file names) from the `refresh:` section; an empty source means not set up."""
    raw = raw or {}
    unknown = set(raw) - {"source", "files"}
    if unknown:
        raise PipelineError(f"params.yaml: refresh.{sorted(unknown)[0]}: unknown key; "
                            "known keys: files, source")
    source, files = raw.get("source") or "", raw.get("files") or []
    if not isinstance(source, str) or not isinstance(files, list):
        raise PipelineError("params.yaml: refresh: source must be text and files a list")
    return source, [str(f) for f in files]


def fetch(source: str, files: list[str], into: Path) -> list[Path]:
    """Copy or download the source's files into the folder ``into``; return their paths."""
    scheme = urllib.parse.urlparse(source).scheme
    if scheme == "http":
        raise PipelineError("refresh.source: use https://, not http://")
    if scheme == "https":
        name = Path(urllib.parse.urlparse(source).path).name or "data"
        target = into / name
        with urllib.request.urlopen(source, timeout=60) as response:  # noqa: S310 (https only)
            data = response.read(int(MAX_DOWNLOAD_MB * 1e6) + 1)
        if len(data) > MAX_DOWNLOAD_MB * 1e6:
            raise PipelineError(f"{source}: over the {MAX_DOWNLOAD_MB} MB download cap")
        target.write_bytes(data)
        return [target]
    if scheme not in ("", "file"):
        raise PipelineError(f"refresh.source: {scheme}:// is not supported; use a folder, a "
                            "file or an https:// URL (or `dvc import-url` for cloud storage)")
    path = Path(urllib.parse.urlparse(source).path if scheme else source)
    sources = [path / f for f in files] if path.is_dir() else [path]
    out = []
    for item in sources:
        storage.check_file(item, MAX_DOWNLOAD_MB, "the limit of refresh-data")
        out.append(Path(shutil.copy(item, into / item.name)))
    return out


def refresh(raw: dict[str, Any] | None, root: Path = Path(".")) -> bool:
    """Update data/ from the source; return True when a new version was recorded."""
    source, files = settings(raw)
    if not source:
        print("refresh-data: no refresh.source in params.yaml; data unchanged")
        return False
    data = root / "data"
    with tempfile.TemporaryDirectory() as tmp:
        fetched = fetch(source, files, Path(tmp))
        changed = [f.name for f in fetched
                   if not (data / f.name).is_file()
                   or storage.file_hash(f) != storage.file_hash(data / f.name)]
        for item in fetched:
            if item.name in changed:
                shutil.copy(item, data / item.name)
    if not changed:
        print(f"refresh-data: data unchanged ({len(fetched)} file(s) checked)")
        return False
    for cmd in (["dvc", "add", "-q", "data"], ["dvc", "push", "-q", "data.dvc"]):
        done = subprocess.run(cmd, cwd=root, capture_output=True, text=True)
        if done.returncode:
            reason = (done.stderr.strip().splitlines() or ["no output"])[-1]
            raise PipelineError(f"{' '.join(cmd)} failed: {reason}")
    print(f"refresh-data: data changed ({', '.join(changed)}); data.dvc records the new version")
    return True
