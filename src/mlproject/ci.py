"""Glue the CI workflows call, kept here so it can be run and tested on a laptop.

- ``record_results``: commit the reproduced results (dvc.lock and the small result files) to the
  branch when they differ from what is committed: a new model, new metrics, or a stale lock.
- ``release_args``: read build/release/<version>/release.json (written by ``mlproject promote``)
  and turn it into validated ``gh release create`` arguments, so no workflow interpolates values.
- ``create_release``: the one ``gh release create`` call for the version the last promotion
  recorded in build/release/promotion.json; a release that exists already is left alone.
"""

from __future__ import annotations

import base64
import fnmatch
import json
import re
import subprocess
from pathlib import Path

from mlproject.errors import PipelineError
from mlproject.from_yaml import safe_load

MODEL_SIDECAR = "models/model.json"
METRICS = "reports/metrics.json"
# What a results commit records: the lock file and the small result files (never reports/pr/).
# Nothing measured is among them, so any difference from the commit is worth recording.
RESULT_PATHS = ["dvc.lock", "reports/*.json", "reports/plots/*.csv", "models/*.json"]
SHA = re.compile(r"^[0-9a-f]{40}$")
SAFE_PATH = re.compile(r"^[A-Za-z0-9._/@+-]{1,300}$")


def _git(root: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=check)


def _json_at(root: Path, rev: str | None, path: str) -> object | None:
    """Parsed JSON of ``path`` in the workspace (rev None) or at a git revision; None if absent."""
    if rev is None:
        file = root / path
        return json.loads(file.read_text(encoding="utf-8")) if file.exists() else None
    shown = _git(root, "show", f"{rev}:{path}", check=False)
    return json.loads(shown.stdout) if shown.returncode == 0 else None


def _pathspecs() -> list[str]:
    return [f":(glob){pattern}" for pattern in RESULT_PATHS]


def changed_results(root: Path, rev: str = "HEAD") -> list[str]:
    """The result files that differ between the workspace and ``rev`` (new ones included)."""
    if not (root / MODEL_SIDECAR).is_file():
        raise PipelineError(f"{MODEL_SIDECAR} is missing: run the pipeline first")
    out = _git(root, "diff", "--name-only", rev, "--", *_pathspecs()).stdout.split()
    new = _git(root, "ls-files", "--others", "--exclude-standard", "--", *_pathspecs())
    return sorted(set(out) | set(new.stdout.split()))


def results_change(root: Path, rev: str = "HEAD") -> str | None:
    """Why the workspace results differ from ``rev``, in a few words, or None when they do not."""
    changed = changed_results(root, rev)
    if not changed:
        return None
    old_model = _json_at(root, rev, MODEL_SIDECAR)
    if old_model is None:
        return "no results recorded yet"
    new_model = _json_at(root, None, MODEL_SIDECAR) or {}
    if new_model.get("sha256") != old_model.get("sha256"):
        return f"model changed ({str(new_model.get('sha256'))[:12]})"
    if METRICS in changed:
        return "metrics changed"
    if changed == ["dvc.lock"]:
        return "dvc.lock was stale (code, params or data changed; results are the same)"
    return f"{', '.join(changed[:3])}{' …' if len(changed) > 3 else ''} changed"


def commit_message(root: Path, reason: str) -> str:
    metrics = _json_at(root, None, METRICS) or {}
    quality = metrics.get("model", {}).get("quality", {}) if isinstance(metrics, dict) else {}
    scores = ", ".join(
        f"{k} {quality[k]:.4f}" for k in ("roc_auc", "f1", "rmse", "mae")
        if isinstance(quality.get(k), float)
    )
    sha = str((_json_at(root, None, MODEL_SIDECAR) or {}).get("sha256", ""))[:12]
    body = f"Reproduced with dvc repro in CI: {reason}.\n\nModel sha256 {sha}"
    return f"Record reproduced results: {scores or 'metrics updated'}\n\n{body}\n"


def record_results(root: Path = Path("."), rev: str = "HEAD", bundle: Path | None = None
                   ) -> str:
    """Commit dvc.lock and the result files when they differ from ``rev``; say what happened.

    With ``bundle``, the new commit is also written as a git bundle: the job that made it holds
    no write token, so another job checks the commit and pushes it (push_results).
    """
    reason = results_change(root, rev)
    if reason is None:
        return "unchanged: the recorded results are what the pipeline produced; nothing to commit"
    before = _git(root, "rev-parse", "HEAD").stdout.strip()
    _git(root, "add", "--all", "--", *changed_results(root, rev))
    _git(root, "commit", "--quiet", "-m", commit_message(root, reason))
    if bundle is not None:
        bundle.parent.mkdir(parents=True, exist_ok=True)
        _git(root, "bundle", "create", "--quiet", str(bundle.resolve()), f"{before}..HEAD")
    return f"recorded: {reason}"


def is_result_path(path: str) -> bool:
    """Whether a results commit may touch ``path`` (``*`` never crosses a folder)."""
    return any(fnmatch.fnmatchcase(path, pattern) and path.count("/") == pattern.count("/")
               for pattern in RESULT_PATHS)


def check_results_commit(root: Path, bundle: Path, head_sha: str) -> str:
    """The commit in ``bundle``, once it proves to be a results commit on top of ``head_sha``.

    It must be one commit whose only parent is the PR head that was trained, touching only
    result paths; anything else was not made by record_results and is refused.
    """
    if not SHA.fullmatch(head_sha):
        raise PipelineError(f"not a commit hash: {head_sha[:60]!r}")
    if _git(root, "bundle", "verify", str(bundle), check=False).returncode:
        raise PipelineError(f"{bundle}: not a git bundle that fits this repository")
    if _git(root, "fetch", "--quiet", "--no-tags", str(bundle), "HEAD", check=False).returncode:
        raise PipelineError(f"{bundle}: holds no HEAD commit to push")
    commit = _git(root, "rev-parse", "FETCH_HEAD").stdout.strip()
    parents = _git(root, "rev-list", "--parents", "-n1", commit).stdout.split()[1:]
    if parents != [head_sha]:
        raise PipelineError(f"the results commit {commit[:12]} is not one commit on top of the "
                            f"PR head {head_sha[:12]}; refusing to push it")
    paths = _git(root, "diff", "--name-only", head_sha, commit).stdout.split()
    others = [p for p in paths if not is_result_path(p)]
    if others:
        raise PipelineError(f"the results commit {commit[:12]} touches {others[0][:80]!r}, which "
                            f"is not a result file ({', '.join(RESULT_PATHS)}); refusing to push")
    return commit


def token_header(token: str | None) -> list[str]:
    """git options that give ``token`` to one git command (never stored in the clone)."""
    if not token:
        return []
    auth = base64.b64encode(f"x-access-token:{token}".encode()).decode()
    return ["-c", f"http.extraheader=AUTHORIZATION: basic {auth}"]


def push_results(root: Path, bundle: Path, event: Path, token: str) -> str:
    """Check the results commit and push it to the PR branch, if that branch did not move."""
    payload = json.loads(event.read_text(encoding="utf-8"))["workflow_run"]
    head_sha, branch = str(payload["head_sha"]), str(payload["head_branch"])
    if not re.fullmatch(r"[\w./-]{1,200}", branch) or ".." in branch:
        raise PipelineError(f"unexpected branch name {branch[:60]!r}")
    header = token_header(token)
    # the bundle builds on the PR head: fetch the branch first (also: did it move?)
    _git(root, *header, "fetch", "--quiet", "--no-tags", "origin", f"refs/heads/{branch}")
    if _git(root, "rev-parse", "FETCH_HEAD").stdout.strip() != head_sha:
        return f"push-results: {branch} moved on since {head_sha[:12]}; the next run records it"
    commit = check_results_commit(root, bundle, head_sha)
    _git(root, *header, "push", "--quiet", "origin", f"{commit}:refs/heads/{branch}")
    from mlproject.verdict.publish import carry

    repo = str((json.loads(event.read_text(encoding="utf-8")).get("repository") or {})
               .get("full_name") or "")
    carried = carry(repo, head_sha, commit) if re.fullmatch(r"[\w.-]+/[\w.-]+", repo) else \
        "no repository in the event: no status carried"
    return f"push-results: pushed {commit[:12]} to {branch}; {carried}"


def _artifact(params_path: Path) -> str:
    """registry.artifact from params.yaml (validated; no scikit-learn import)."""

    from mlproject.registry import settings_from

    raw = safe_load(params_path.read_text(encoding="utf-8")) if params_path.exists() else {}
    return settings_from((raw or {}).get("registry")).artifact


def _release_file(directory: Path, version: str | None) -> Path:
    if version is not None:
        return directory / version / "release.json"
    found = sorted(directory.glob("*/release.json"))
    if len(found) != 1:
        raise PipelineError(f"{directory}: expected exactly one */release.json, found {len(found)}")
    return found[0]


def release_args(directory: Path = Path("build/release"), version: str | None = None,
                 artifact: str | None = None) -> list[str]:
    """``gh release create`` arguments from release.json, each value checked against a pattern.

    The tag must be ``<artifact>@vX.Y.Z`` for the bundle's own version, the target a full commit
    hash, and the notes and files must be files inside that version's bundle folder.
    """
    path = _release_file(directory, version)
    if not path.exists():
        raise PipelineError(f"{path}: not found; run mlproject promote first")
    try:
        spec = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise PipelineError(f"{path}: not valid JSON ({exc})") from None
    if not isinstance(spec, dict):
        raise PipelineError(f"{path}: expected an object")
    artifact = artifact or _artifact(Path("params.yaml"))
    bundle = path.parent.as_posix()
    tag_re = re.compile(rf"^{re.escape(artifact)}@v\d{{1,6}}\.\d{{1,6}}\.\d{{1,6}}$")

    def field(key: str, pattern: re.Pattern[str]) -> str:
        value = spec.get(key)
        if not isinstance(value, str) or not pattern.fullmatch(value):
            raise PipelineError(f"{path}: {key}: {value!r} does not match {pattern.pattern}")
        return value

    def bundle_file(value: object, key: str) -> str:
        if not isinstance(value, str) or not SAFE_PATH.fullmatch(value) \
                or ".." in value.split("/") or not value.startswith(f"{bundle}/"):
            raise PipelineError(f"{path}: {key}: {value!r} is not a plain path inside {bundle}/")
        if not Path(value).is_file():
            raise PipelineError(f"{path}: {key}: {value} is not a file")
        return value

    tag = field("tag", tag_re)
    if tag != f"{artifact}@{path.parent.name}":
        raise PipelineError(f"{path}: tag {tag} is not the version of its folder {bundle}")
    title = spec.get("title")
    if not isinstance(title, str) or not title.strip() or "\n" in title or len(title) > 200:
        raise PipelineError(f"{path}: title: must be one line of at most 200 characters")
    files = spec.get("files")
    if not isinstance(files, list) or not files:
        raise PipelineError(f"{path}: files: expected a non-empty list of paths")
    args = [tag, "--title", title, "--target", field("commit", SHA)]
    args += ["--notes-file", bundle_file(spec.get("notes_file"), "notes_file")]
    return args + ["--", *(bundle_file(f, "files") for f in files)]


def create_release(directory: Path = Path("build/release"),
                   params_path: Path = Path("params.yaml")) -> str:
    """Create the GitHub release of the version build/release/promotion.json names, once."""
    from mlproject.registry import check_version

    outcome = _json_at(Path("."), None, str(directory / "promotion.json"))
    if not isinstance(outcome, dict):
        return "release: nothing was promoted; no release to create"
    if not outcome.get("version"):
        return f"release: nothing to release ({outcome.get('reason', 'not promoted')})"
    artifact = _artifact(params_path)
    tag = f"{artifact}@{check_version(outcome['version'])}"
    if subprocess.run(["gh", "release", "view", tag], capture_output=True).returncode == 0:
        return f"release: {tag} exists already; nothing to do"
    args = release_args(directory, outcome["version"], artifact)
    done = subprocess.run(["gh", "release", "create", *args], capture_output=True, text=True)
    if done.returncode:
        reason = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise PipelineError(f"gh release create {tag} failed: {reason}")
    return f"release: created {tag} with {len(args) - args.index('--') - 1} files"
