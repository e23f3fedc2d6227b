"""provenance: the model judged as this PR's is the one the PR's commit records.

The evidence's model files are whatever the PR's run put there, and that run executes the PR's
own Makefile. So the judge accepts a file as this PR's model only when its md5 is the one a
dvc.lock of the PR records for it, and only a dvc.lock that is up to date with its commit:

- the **results commit** the pr run built on the PR head (the `pr-results` artifact), once it
  proves to be one commit whose only parent is the head and which touches result files only
  (`ci.check_results_commit`, the check `push-results` makes before pushing it); else
- the **PR head** itself, when its results were committed with it (the pr run then had nothing
  to record).

"Up to date" means `dvc status` finds nothing changed in what git holds at that commit: the
stages' commands, params, code and lock files (the data and the pipeline's outputs are not in
git, so they are not compared; a data.dvc that changed while dvc.lock still records main's data
is stale too). DVC runs on a copy of the commit's files in a temporary folder, in a separate
process with a time and memory limit: nothing of the PR is executed.

What the judge binds to the commit then reaches `main` with the merge (the results commit is
pushed to a same-repository branch; a fork's author can pull it in), and promote.yml's
reproduction of main closes the loop: a dvc.lock that claims a model its params do not make is
found stale there and never promoted. A local `make report` (no event) binds to the
workspace's dvc.lock instead, which `mlproject compare` has already found up to date.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from mlproject import artifact, datacheck
from mlproject.errors import PipelineError
from mlproject.verdict import champion as champions

if TYPE_CHECKING:
    from mlproject.gate import Check

MAX_TREE_MB = 300  # what git holds at the PR's commit, besides the embedded DVC remote
MAX_FILES = 50_000
MAX_LOCK_BYTES = 5_000_000
MAX_BUNDLE_MB = 100
STATUS_SECONDS = 120
STATUS_MEMORY = 4 * 1024**3
SKIPPED = (".dvc/remote", ".dvc/cache", ".dvc/tmp")  # never copied out of the PR's commit
OWN = {"challenger": "models/model.skops", "rule_baseline": "models/rule_baseline.skops",
       "dummy": "models/dummy.skops"}  # evidence name -> the path a dvc.lock records
REDO = "run `make run` and commit dvc.lock and the result files"
SHA = re.compile(r"^[0-9a-f]{40}$")


@dataclass
class Recorded:
    """What the PR's commit records: where, each model file's md5, each sidecar."""

    where: str  # "the results commit abc on the PR head" | "the PR head abc" | "the workspace"
    md5: dict[str, str] = field(default_factory=dict)  # path -> md5
    sidecars: dict[str, dict] = field(default_factory=dict)  # evidence name -> sidecar
    problem: str | None = None  # why nothing it records can be trusted


def _git(root: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["git", *args], cwd=root, capture_output=True)


def blob(root: Path, rev: str, path: str, limit: int = MAX_LOCK_BYTES) -> bytes | None:
    """A file's bytes at ``rev`` (None when absent or over ``limit``)."""
    size = _git(root, "cat-file", "-s", f"{rev}:{path}")
    if size.returncode or int(size.stdout or 0) > limit:
        return None
    shown = _git(root, "cat-file", "blob", f"{rev}:{path}")
    return shown.stdout if shown.returncode == 0 else None


def _sidecars(read) -> dict[str, dict]:
    out = {}
    for name, path in OWN.items():
        raw = read(str(artifact.sidecar(path)))
        try:
            meta = json.loads(raw) if raw else None
        except (ValueError, RecursionError):
            meta = None
        if isinstance(meta, dict):
            out[name] = meta
    return out


def at_commit(root: Path, rev: str, where: str, base: str | None = None) -> Recorded:
    """What ``rev`` records, and whether its dvc.lock is up to date with it."""
    lock = blob(root, rev, "dvc.lock")
    if lock is None:
        return Recorded(where, problem=f"{where} records no dvc.lock (or one over "
                                       f"{MAX_LOCK_BYTES:,} bytes): {REDO}")
    recorded = Recorded(where, champions.locked_outputs(lock.decode("utf-8", "replace")),
                        _sidecars(lambda path: blob(root, rev, path)))
    stale = stale_reasons(root, rev, base)
    if stale:
        shown = "; ".join(stale[:2]) + (f"; and {len(stale) - 2} more" if len(stale) > 2 else "")
        recorded.problem = f"dvc.lock at {where} is out of date with its commit ({shown}): {REDO}"
    return recorded


def in_workspace(root: Path) -> Recorded:
    """What the workspace records (a local run: `mlproject compare` found it up to date)."""
    def read(path: str) -> bytes | None:
        file = root / path
        return file.read_bytes() if file.is_file() else None

    lock = read("dvc.lock")
    return Recorded("the workspace", champions.locked_outputs(lock.decode() if lock else None),
                    _sidecars(read))


def for_pr(root: Path, head: str, base: str | None, results: Path | None) -> Recorded:
    """What the PR records: its results commit on ``head`` when the run made one, else the
    head itself. ``head`` is the commit GitHub's event names; it must be in this clone."""
    from mlproject import ci

    if not SHA.fullmatch(head) or _git(root, "cat-file", "-e", f"{head}^{{commit}}").returncode:
        return Recorded(f"the PR head {head[:12]}",
                        problem=f"the PR head {head[:12]} is not in this clone (the workflow's "
                                "fetch-head step brings it), so its records cannot be read")
    if results is not None and results.is_file():
        size = results.stat().st_size
        if size > MAX_BUNDLE_MB * 1e6:
            return Recorded("the results commit", problem=f"the results commit is "
                            f"{size / 1e6:,.0f} MB, over the {MAX_BUNDLE_MB} MB cap")
        try:
            commit = ci.check_results_commit(root, results, head)
        except PipelineError as exc:
            return Recorded("the results commit", problem=f"the results commit the pr run made "
                                                         f"is refused: {exc}")
        return at_commit(root, commit, f"the results commit {commit[:12]} on the PR head", base)
    return at_commit(root, head, f"the PR head {head[:12]}", base)


def checks(files: dict[str, Path], recorded: Recorded, mains: set[str]) -> list[Check]:
    """One check per model file that must be the PR's own: the challenger, and its baselines
    when main records none (``mains``: the evidence names main's files stand for)."""
    from mlproject.gate import Check  # the gate's code is heavy; fetch-head needs none of it

    out = []
    for name, path in OWN.items():
        if name not in files or name in mains:
            continue
        label = "this PR's model" if name == "challenger" else f"this PR's {name}"
        problem = recorded.problem
        if problem is None:
            wanted, brought = recorded.md5.get(path), md5_of(files[name])
            if wanted is None:
                problem = f"dvc.lock at {recorded.where} records no {path}: {REDO}"
            elif wanted != brought:
                problem = (f"{label} is not the file its commit records: dvc.lock at "
                           f"{recorded.where} records {path} md5 {wanted[:8]}, the evidence "
                           f"brings {brought[:8]}; {REDO}")
        out.append(Check("integrity", "recorded", name, "fail" if problem else "pass", None,
                         None, problem or f"{label} is the file dvc.lock at {recorded.where} "
                                          "records"))
    return out


def md5_of(path: Path) -> str:
    """The md5 DVC records for a file (of its bytes)."""
    artifact.sha256_of(path)  # the same size cap as every model file
    return hashlib.md5(path.read_bytes(), usedforsecurity=False).hexdigest()


def stale_reasons(root: Path, rev: str, base: str | None = None) -> list[str]:
    """What `dvc status` finds changed at ``rev``, among what git holds there (and data
    changed since ``base`` without a run); [] when its dvc.lock is up to date with it."""
    listing = _git(root, "ls-tree", "-r", "-l", "-z", rev)
    if listing.returncode:
        return [f"{rev[:12]} cannot be read"]
    entries = [line.split(b"\t", 1) for line in listing.stdout.split(b"\0") if line]
    kept = [(meta.split(), path.decode("utf-8", "replace")) for meta, path in entries]
    kept = [(m, p) for m, p in kept if not any(p == s or p.startswith(f"{s}/") for s in SKIPPED)]
    total = sum(int(m[3]) for m, _ in kept if m[3].isdigit())
    if len(kept) > MAX_FILES or total > MAX_TREE_MB * 1e6:
        return [f"{len(kept):,} files, {total / 1e6:,.0f} MB: over what the judge copies "
                f"({MAX_FILES:,} files, {MAX_TREE_MB} MB)"]
    with tempfile.TemporaryDirectory() as tmp:
        tree = Path(tmp) / "tree"
        tree.mkdir()
        excluded = [f":(exclude){s}" for s in SKIPPED]
        archive = subprocess.run(["git", "archive", "--format=tar", rev, "--", ".", *excluded],
                                 cwd=root, capture_output=True)
        if archive.returncode:
            return [f"{rev[:12]} cannot be copied"]
        subprocess.run(["tar", "-x", "-C", str(tree)], input=archive.stdout, check=True,
                       capture_output=True)
        (tree / ".dvc").mkdir(exist_ok=True)
        (tree / ".dvc" / "config").write_text("")  # DVC's settings, never the PR's
        subprocess.run(["git", "init", "-q"], cwd=tree, check=True, capture_output=True)
        status = _dvc_status(tree, Path(tmp))
        if isinstance(status, str):
            return [status]
        return _changes(datacheck.stale(status, tree), tree) + _data_behind(root, rev, base, tree)


def _dvc_status(tree: Path, tmp: Path) -> dict | str:
    """`dvc status --json` in ``tree``, limited in time and memory; a reason when it fails."""
    import resource
    import sys

    def limits() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (STATUS_MEMORY, STATUS_MEMORY))

    dvc = Path(sys.executable).with_name("dvc")
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp), "DVC_NO_ANALYTICS": "1",
           "DVC_SITE_CACHE_DIR": str(tmp / "site"), "GIT_CONFIG_NOSYSTEM": "1"}
    try:
        done = subprocess.run([str(dvc) if dvc.exists() else "dvc", "status", "--json"],
                              cwd=tree, env=env, capture_output=True, text=True,
                              timeout=STATUS_SECONDS, preexec_fn=limits)
    except subprocess.TimeoutExpired:
        return f"dvc status took more than {STATUS_SECONDS} s"
    last = (done.stderr.strip().splitlines() or ["no output"])[-1]
    if done.returncode:
        return f"dvc status failed: {last[:160]}"
    try:
        status = json.loads(done.stdout or "{}")
    except ValueError:
        return "dvc status gave no JSON"
    return status if isinstance(status, dict) else "dvc status gave no JSON"


def _outputs(tree: Path) -> list[str]:
    """Every path DVC produces or tracks (not in git): dvc.lock's outs and .dvc files' outs."""
    lock = tree / "dvc.lock"
    paths = list(champions.locked_outputs(lock.read_text(errors="replace"))) \
        if lock.is_file() else []
    return paths + [p for file in tree.glob("**/*.dvc") for p in _dvc_file_outs(file, tree)]


def _changes(status: dict, tree: Path) -> list[str]:
    """The changes of a `dvc status` that git can see (outputs are missing here, as meant)."""
    outputs = _outputs(tree)

    def produced(path: str) -> bool:
        return any(path == o or path.startswith(f"{o.rstrip('/')}/") for o in outputs)

    found = []
    for stage, entries in status.items():
        if str(stage).endswith(".dvc"):
            continue  # data tracked by a .dvc file: its files are not in git
        for entry in entries if isinstance(entries, list) else [entries]:
            if not isinstance(entry, dict):
                found.append(f"{stage}: {str(entry)[:60]}")
                continue
            for key, value in entry.items():
                if key == "changed outs":
                    continue
                if key != "changed deps" or not isinstance(value, dict):
                    found.append(f"{stage}: {key}")
                    continue
                for path, state in value.items():
                    if isinstance(state, dict):
                        found.append(f"{stage}: params {', '.join(map(str, state))[:80]} "
                                     "changed")
                    elif not (state == "deleted" and produced(path)):
                        found.append(f"{stage}: {str(path)[:60]} {state}")
    return found


def _data_behind(root: Path, rev: str, base: str | None, tree: Path) -> list[str]:
    """A .dvc file changed since ``base`` while dvc.lock still records ``base``'s data: the
    data changed and the pipeline was not run on it."""
    if base is None:
        return []
    base_lock = (blob(root, base, "dvc.lock") or b"").decode("utf-8", "replace")
    lock = (tree / "dvc.lock").read_text(errors="replace") if (tree / "dvc.lock").is_file() \
        else ""
    found = []
    for file in sorted(tree.glob("**/*.dvc")):
        rel = file.relative_to(tree).as_posix()
        old = blob(root, base, rel)
        if old is None or old == file.read_bytes():
            continue
        tracked = _dvc_file_outs(file, tree)
        now = _deps_under(lock, tracked)
        if now and now == _deps_under(base_lock, tracked):
            found.append(f"{rel} changed and dvc.lock still records main's data")
    return found


def _dvc_file_outs(file: Path, tree: Path) -> list[str]:
    from mlproject.from_yaml import safe_load

    try:
        spec = safe_load(file.read_text(errors="replace")) or {}
    except Exception:  # noqa: BLE001 - a broken .dvc file tracks nothing
        return []
    outs = spec.get("outs") if isinstance(spec, dict) else None
    return [(file.parent.relative_to(tree) / out["path"]).as_posix()
            for out in (outs if isinstance(outs, list) else [])
            if isinstance(out, dict) and isinstance(out.get("path"), str)]


def _deps_under(lock_text: str, outs: list[str]) -> dict[str, str]:
    """{path: md5} of the dependencies a dvc.lock's text records under ``outs``."""
    return {path: md5 for path, md5 in champions.locked_paths(lock_text, "deps").items()
            if any(path == o or path.startswith(f"{o}/") for o in outs)}


def fetch_head(root: Path, head: str, token: str | None = None) -> str:
    """Fetch the PR head commit (a fork's too: GitHub keeps it reachable in this repository)
    into the judge's clone, without checking it out; say what was done."""
    from mlproject import ci

    if not SHA.fullmatch(head):
        raise PipelineError(f"not a commit hash: {head[:60]!r}")
    if _git(root, "cat-file", "-e", f"{head}^{{commit}}").returncode == 0:
        return f"fetch-head: {head[:12]} is already here"
    done = _git(root, *ci.token_header(token), "fetch", "--quiet", "--no-tags", "origin", head)
    if done.returncode:
        reason = (done.stderr.decode(errors="replace").strip().splitlines() or ["failed"])[-1]
        raise PipelineError(f"fetch-head: could not fetch {head[:12]}: {reason[:160]}")
    return f"fetch-head: fetched {head[:12]}"
