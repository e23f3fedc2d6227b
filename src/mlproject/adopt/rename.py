"""rename: make the template yours.

    mlproject rename churn_model

Renames the package (src/mlproject -> src/churn_model) and every mention of it in tracked
text files (imports, dvc.yaml commands, the lock files, docs), deletes the template's registry
tags from this clone, clears the example results and re-runs the pipeline so the results you
commit are your project's own.
"""

from __future__ import annotations

import importlib.util
import keyword
import re
import shutil
import subprocess
from pathlib import Path

from mlproject.errors import PipelineError

OLD = "mlproject"
NAME = re.compile(r"^[a-z][a-z0-9_]{1,40}$")
RESULTS = ["dvc.lock", "reports", "models", "build"]
REGISTRY_TAGS = ["*@v*", "*#*"]  # GTO: name@vX.Y.Z registers, name#stage#N assigns


def git(root: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True)
    if done.returncode:
        raise PipelineError(f"git {' '.join(args)} failed: {done.stderr.strip()}")
    return done.stdout


def check_name(name: str, root: Path) -> None:
    if not NAME.match(name) or keyword.iskeyword(name):
        raise PipelineError(f"{name!r} is not a usable package name: use lower case letters, "
                            "digits and underscores, starting with a letter")
    if importlib.util.find_spec(name) is not None:
        raise PipelineError(f"{name!r} is the name of an installed module; choose another")
    if (root / "src" / name).exists():
        raise PipelineError(f"src/{name} exists already")
    if not (root / "src" / OLD).is_dir():
        raise PipelineError(f"src/{OLD} not found: was the project renamed already?")


def replace_mentions(root: Path, name: str) -> list[str]:
    """Replace the old name in every tracked text file; return the files changed."""
    changed = []
    for rel in git(root, "ls-files", "-z").split("\0"):
        path = root / rel
        if not rel or not path.is_file() or rel.startswith(".dvc/remote/"):
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue  # binary: images, model files
        if OLD in text:
            path.write_text(text.replace(OLD, name), encoding="utf-8")
            changed.append(rel)
    return changed


def reset_registry(root: Path) -> list[str]:
    """Delete the template's registry tags from this clone; return them."""
    tags = [t for t in git(root, "tag", "--list", *REGISTRY_TAGS).split() if t]
    if tags:
        git(root, "tag", "-d", *tags)
    return tags


def clear_results(root: Path) -> None:
    for rel in RESULTS:
        path = root / rel
        if path.is_dir():
            keep = path / ".gitignore"
            ignore = keep.read_text() if keep.is_file() else None
            shutil.rmtree(path)
            if ignore is not None:  # DVC's list of cached outputs stays
                path.mkdir()
                keep.write_text(ignore)
        elif path.exists():
            path.unlink()


def main(name: str, root: Path = Path("."), run: bool = True) -> None:
    root = root.resolve()
    check_name(name, root)
    git(root, "mv", f"src/{OLD}", f"src/{name}")
    changed = replace_mentions(root, name)
    tags = reset_registry(root)
    clear_results(root)
    print(f"rename: package {OLD} -> {name}; {len(changed)} file(s) updated; "
          f"{len(tags)} registry tag(s) removed; example results cleared")
    if run:
        # the new package must be installed before its stages can run
        for cmd in (["make", "setup"], ["make", "run"]):
            if subprocess.run(cmd, cwd=root).returncode:
                raise PipelineError(f"`{' '.join(cmd)}` failed after renaming; see above")
    print("rename: next, review `git status` and commit: git add -A && git commit -m "
          f"'Start {name} from the template'")
