"""What the registry site shows, read from the registry (GTO, as `gto show`/`gto history`) and
from git at each version's commit: the sidecar, the metrics, the slices, params and data.dvc.

Every file of every version is read through one `git cat-file --batch` process, so a registry
of a hundred versions is read in about a second.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import yaml

from mlproject import storage
from mlproject.from_yaml import safe_load
from mlproject.registry import Settings, tags
from mlproject.registry.candidate import data_version_of

FILES = {"sidecar": "models/model.json", "metrics": "reports/metrics.json",
         "slices": "reports/slices.json", "params": "params.yaml", "data": "data.dvc",
         "intended_use": "docs/intended_use.md"}
PULL = re.compile(r"\(#(\d{1,7})\)\s*$|^Merge pull request #(\d{1,7})\b", re.MULTILINE)
MAX_FILE = 5_000_000  # bytes of one file read at a version's commit


def collect(settings: Settings, root: Path | str = ".", monitor: Path | None = None
            ) -> dict[str, Any]:
    """The registry as the site shows it (plain data: the pages only format it)."""
    state = tags.read_state(settings.artifact, root)
    withdrawn = state.withdrawn(settings.stage)
    commits = sorted({v.commit for v in state.versions.values()})
    files = _read_files(commits, root)
    subjects = _messages(commits, root)
    versions = []
    for v in sorted(state.versions.values(), key=lambda v: tags.key(v.version), reverse=True):
        got = files.get(v.commit, {})
        sidecar = _json(got.get("sidecar")) or {}
        params = _yaml(got.get("params")) or {}
        message = subjects.get(v.commit, "")
        pull = PULL.search(message)
        versions.append({
            "version": v.version, "tag": v.tag, "commit": v.commit, "registered": v.created,
            "deprecated": v.deprecated, "rolled_back": v.version in withdrawn,
            "ever_in_stage": state.ever_in(v.version, settings.stage),
            "model_type": sidecar.get("name"), "hyperparameters": sidecar.get("hyperparameters"),
            "classes": sidecar.get("classes"), "size_bytes": sidecar.get("size_bytes"),
            "sha256": sidecar.get("sha256"), "data_version": data_version_of(got.get("data")),
            "metrics": _json(got.get("metrics")) or {}, "slices": _json(got.get("slices")) or {},
            "train": params.get("train") if isinstance(params.get("train"), dict) else {},
            "headline": _headline(params),
            "intended_use": (got.get("intended_use") or b"").decode("utf-8", "replace"),
            "subject": message.splitlines()[0][:200] if message else "",
            "pull_request": int(next(g for g in pull.groups() if g)) if pull else None})
    prod = state.in_stage(settings.stage)
    assignments = [e for e in state.events
                   if e.stage == settings.stage and e.event == "assignment"]
    since = max((e.created for e in assignments if prod and e.version == prod.version),
                default=None)
    before = [e.version for e in assignments if prod and e.version != prod.version
              and (since is None or e.created <= since)]
    return {"artifact": settings.artifact, "stage": settings.stage,
            "production": prod.version if prod else None, "since": since,
            "previous": before[-1] if before else None, "versions": versions,
            "events": [e.__dict__ for e in state.events],
            "monitor": _monitor(monitor) if monitor is not None else None}


def _read_files(commits: list[str], root: Path | str) -> dict[str, dict[str, bytes]]:
    """{commit: {key: bytes}} for the FILES that exist at each commit (one git process)."""
    if not commits:
        return {}
    wanted = [(c, key, path) for c in commits for key, path in FILES.items()]
    request = "".join(f"{c}:{path}\n" for c, _, path in wanted).encode()
    out = subprocess.run(["git", "cat-file", "--batch"], cwd=root, input=request,
                         capture_output=True, check=True).stdout
    found: dict[str, dict[str, bytes]] = {}
    pos = 0
    for commit, key, _ in wanted:
        end = out.index(b"\n", pos)
        header = out[pos:end].split()
        pos = end + 1
        if len(header) < 3 or header[1] == b"missing":
            continue
        size = int(header[2])
        if header[1] == b"blob" and size <= MAX_FILE:
            found.setdefault(commit, {})[key] = out[pos:pos + size]
        pos += size + 1
    return found


def _messages(commits: list[str], root: Path | str) -> dict[str, str]:
    if not commits:
        return {}
    out = subprocess.run(["git", "show", "-s", "--format=%H%x00%B%x01", *commits], cwd=root,
                         capture_output=True, text=True, check=True).stdout
    return dict(part.strip("\n").split("\0", 1) for part in out.split("\x01") if "\0" in part)


def _json(raw: bytes | None) -> Any:
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return None


def _yaml(raw: bytes | None) -> Any:
    try:
        found = safe_load(raw.decode("utf-8")) if raw else None
    except (yaml.YAMLError, UnicodeDecodeError, ValueError):
        return None
    return found if isinstance(found, dict) else None


def _headline(params: dict) -> list[str]:
    report = params.get("report") if isinstance(params.get("report"), dict) else {}
    names = report.get("headline") if isinstance(report.get("headline"), list) else []
    return [str(n) for n in names][:6]


def _monitor(path: Path) -> dict[str, Any] | None:
    """The status of the last monitoring run (monitor.json), or None when there is none."""
    if not path.is_file():
        return None
    result = storage.read_json(path)
    if not isinstance(result, dict) or "status" not in result:
        return None
    window = result.get("window") if isinstance(result.get("window"), dict) else {}
    return {"status": str(result["status"]), "title": str(result.get("title") or ""),
            "start": str(window.get("start", "")), "until": str(window.get("until", "")),
            "predictions": window.get("predictions"),
            "version": (result.get("model") or {}).get("version")}
