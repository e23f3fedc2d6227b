"""The raw data under DVC: check it matches data.dvc, and record a new version of it.

A changed or missing file under data/ is either corruption or an unrecorded new version; both
stop the pipeline with a clear way out instead of training on unknown data. Every file is held
to `data.max_file_mb` by its size alone, before DVC reads (hashes or copies) a single byte.

`check` is the pipeline's first stage (`check_data` in dvc.yaml, run every time): no stage
lists the raw files as a dependency, so DVC never hashes them nor re-records data.dvc, and the
version checked is written for prepare to depend on. `stale` reads `dvc status` accordingly.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import subprocess
from pathlib import Path

from mlproject import storage
from mlproject.errors import PipelineError

VERIFIED = "mlproject-data-verified.json"  # under .dvc/tmp: the last folder that matched


def tracked_path(target: Path) -> Path:
    """The file or folder a .dvc file tracks (``data.dvc`` -> ``data``)."""
    return target.parent / target.stem


def check_sizes(target: Path, max_mb: float) -> None:
    """Raise PipelineError when a file the .dvc file tracks is over ``max_mb`` megabytes."""
    path = tracked_path(target)
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    for file in files:
        size = file.stat().st_size
        if size > max_mb * 1_000_000:
            raise PipelineError(
                f"{file}: {size / 1e6:,.1f} MB is over the {max_mb:g} MB cap "
                "(data.max_file_mb in params.yaml); nothing was read. Raise the cap if the "
                "machine can take it, or remove the file")


def check(target: Path = Path("data.dvc"), max_mb: float | None = None,
          out: Path | None = None) -> None:
    """Raise PipelineError unless the files tracked by ``target`` match their recorded hash;
    then write the version checked to ``out`` (what the pipeline's prepare stage depends on).

    Hashes the files the way `dvc add` does (md5 of each file; a folder's md5 is that of its
    sorted file list) without opening a DVC repository, so a pipeline stage can run it while
    `dvc repro` holds the repository's lock.
    """
    if not target.is_file():
        raise PipelineError(f"{target}: file not found")
    recorded = _recorded(target)
    path = tracked_path(target)
    if not path.exists():
        raise PipelineError(f"{path}: not found; pull the version {target} records with "
                            f"`make data` (dvc pull {target.name})")
    if max_mb is not None:
        check_sizes(target, max_mb)
    if path.is_file():
        problems = [] if _md5(path) == recorded else [f"{path.name} is modified"]
    else:
        problems = _folder_problems(target, path, recorded)
    if problems:
        raise PipelineError(
            f"{target}: the data does not match the recorded version ({'; '.join(problems)}): "
            f"restore it with `dvc checkout {target.name}`, or record a new version with "
            "`mlproject add-data`")
    if out is not None:
        storage.write_json(out, {"data": target.name, "md5": recorded})
    print(f"check-data: data matches {target}")


def _recorded(target: Path) -> str:
    """The md5 ``target`` records for its one output."""
    from mlproject.from_yaml import safe_load

    try:
        outs = (safe_load(target.read_text(encoding="utf-8")) or {}).get("outs") or []
        md5 = outs[0]["md5"] if len(outs) == 1 else None
    except (AttributeError, KeyError, TypeError, UnicodeDecodeError):
        md5 = None
    if not isinstance(md5, str):
        raise PipelineError(f"{target}: not a .dvc file with one output and its md5")
    return md5


def _md5(path: Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _listing(folder: Path) -> list[dict[str, str]]:
    """``[{"md5", "relpath"}]`` of the files DVC would hash under ``folder`` (its .dvcignore
    rules applied), sorted by path."""
    from dvc.fs import LocalFileSystem
    from dvc.ignore import DvcIgnoreFilter

    fs = LocalFileSystem()
    ignore = DvcIgnoreFilter(fs, str(folder.parent.resolve()))
    files = [Path(top) / name for top, _, names in ignore.walk(fs, str(folder.resolve()))
             for name in names]
    listing = [{"md5": _md5(p), "relpath": p.relative_to(folder.resolve()).as_posix()}
               for p in files]
    return sorted(listing, key=lambda e: e["relpath"])


def _stats(folder: Path, root: Path) -> list[list]:
    """Path, size, mtime and inode of every file under ``folder`` (none left out) and of the
    project's .dvcignore: what a folder verified before must still show to pass unhashed."""
    files = [Path(top) / name for top, _, names in os.walk(folder) for name in names]
    out = []
    for path in sorted(files + [root / ".dvcignore"]):
        try:
            st = path.stat()
        except OSError:
            st = None
        out.append([path.as_posix(), st and st.st_size, st and st.st_mtime_ns,
                    st and st.st_ino])
    return out


def _folder_problems(target: Path, folder: Path, recorded: str) -> list[str]:
    """What differs between ``folder`` and the listing whose md5 is ``recorded``.

    A folder that matched is remembered by its files' sizes, times and inodes (as DVC's own
    state does) in .dvc/tmp, so the next check of an untouched folder hashes nothing and
    leaves DVC unimported: the always-run first stage of a no-op `dvc repro` stays quick.
    """
    seen = target.parent / ".dvc" / "tmp" / VERIFIED
    stats = {"recorded": recorded, "files": _stats(folder, target.parent)}
    try:
        if json.loads(seen.read_text(encoding="utf-8")) == stats:
            return []
    except (OSError, ValueError):
        pass
    listing = _listing(folder)
    text = json.dumps(listing, sort_keys=True).encode("utf-8")
    if hashlib.md5(text, usedforsecurity=False).hexdigest() + ".dir" == recorded:
        if seen.parent.is_dir():
            with contextlib.suppress(OSError):
                storage.write_json(seen, stats)
        return []
    cached = target.parent / ".dvc" / "cache" / "files" / "md5" / recorded[:2] / recorded[2:]
    try:  # the recorded listing, when the cache holds it, says which files differ
        was = {e["relpath"]: e["md5"] for e in json.loads(cached.read_text(encoding="utf-8"))}
    except (OSError, ValueError, KeyError, TypeError):
        return [f"{folder.name} is modified"]
    now = {e["relpath"]: e["md5"] for e in listing}
    return ([f"{folder.name}/{name} is modified" for name in sorted(now.keys() & was.keys())
             if now[name] != was[name]]
            + [f"{folder.name}/{name} is new" for name in sorted(now.keys() - was.keys())]
            + [f"{folder.name}/{name} is missing" for name in sorted(was.keys() - now.keys())]
            ) or [f"{folder.name} is modified"]


def record(target: Path, max_mb: float, push: bool = True) -> None:
    """Record the data under ``target``'s folder as a new version (`dvc add`, `dvc push`)."""
    check_sizes(target, max_mb)
    root = target.parent
    steps = [["dvc", "add", "-q", tracked_path(target).name]]
    if push:
        steps.append(["dvc", "push", "-q", target.name])
    for cmd in steps:
        done = subprocess.run(cmd, cwd=root, capture_output=True, text=True)
        if done.returncode:
            reason = (done.stderr.strip().splitlines() or ["no output"])[-1]
            raise PipelineError(f"{' '.join(cmd)} failed: {reason}")
    print(f"add-data: {target} records the new version"
          + (" and the DVC remote holds it" if push else ""))


CHECK = re.compile(r"check-data\s+(\S+\.dvc)\s+--out\s+(\S+)")
ALWAYS = "always changed"


def stale(status: dict, root: Path) -> dict:
    """`dvc status` read as staleness. The check_data stage is "always changed" by design: that
    alone is not staleness. And since no stage hashes the raw files, DVC cannot see a .dvc file
    that records a version the results were not computed from: that is reported as a change
    of the check stage's dependency ({"changed deps": {"data.dvc": "modified"}})."""
    from mlproject.from_yaml import safe_load

    found = {name: [c for c in changes if c != ALWAYS] if isinstance(changes, list) else changes
             for name, changes in status.items()}
    found = {name: changes for name, changes in found.items() if changes}
    try:
        stages = (safe_load((root / "dvc.yaml").read_text(encoding="utf-8")) or {})["stages"]
    except (OSError, KeyError, TypeError, ValueError):
        return found
    for name, stage in stages.items() if isinstance(stages, dict) else []:
        match = CHECK.search(str(stage.get("cmd", ""))) if isinstance(stage, dict) else None
        if match and _version_behind(root / match[1], root / match[2]):
            found.setdefault(name, []).append({"changed deps": {match[1]: "modified"}})
    return found


def _version_behind(target: Path, out: Path) -> bool:
    """``target`` records another version than the one ``out`` says the pipeline checked."""
    try:
        recorded = _recorded(target)
        checked = json.loads(out.read_text(encoding="utf-8")).get("md5")
    except (OSError, ValueError, AttributeError, PipelineError):
        return False  # a missing or broken file is DVC's to report
    return checked != recorded
