"""Run the real workflow files with act in host mode against a temporary repository.

The temporary repository holds the project's files (as on disk, committed) plus the test-only
fast pipeline switch (fixtures/fake-targets.mk: FAKE_PIPELINE=1 keeps the committed results
instead of running `dvc repro`); its `origin` is a local bare repository that plays GitHub.
Actions are mapped to the stand-ins in standins/, and `cml`/`gh` are stand-ins from bin/ over a
small fake GitHub in `records` (pulls.json, comments.json, statuses.json, prs.json,
releases.json, issues.json, dispatches.json, calls.jsonl). A pull request runs pr.yml from its
own branch, as GitHub does; its verdict runs verdict.yml from main, reading the pr run's
artifacts by run id.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
VENV = ROOT / ".venv"
SECRET = "dummy-not-a-real-token-0123456789abcdef"
REPOSITORY = "acme/mlci"
ACTIONS = {  # the pins used in .github/workflows -> stand-in directory
    "actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1": "checkout",
    "actions/setup-python@5fda3b95a4ea91299a34e894583c3862153e4b97": "setup-python",
    "astral-sh/setup-uv@20cfd1bf945f4377ade1205e4dbc17946fc9a30d": "setup-uv",
    "actions/cache@27d5ce7f107fe9357f9df03efb73ab90386fccae": "cache",  # and cache/restore
    "actions/upload-artifact@bbbca2ddaa5d8feaa63e36b76fdaad77386f024f": "upload-artifact",
    "actions/download-artifact@3e5f45b2cfb9172054b4087a40e8e0b5a5461e7c": "download-artifact",
    "actions/upload-pages-artifact@fc324d3547104276b827a68afc52ff2a11cc49c9":
        "upload-pages-artifact",
    "actions/deploy-pages@cd2ce8fcbc39b97be8ca5fce6e763baed58fa128": "deploy-pages",
}


def act_binary() -> str | None:
    found = Path(sys.executable).parent / "act"
    return str(found) if found.exists() else shutil.which("act")


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True,
                          text=True).stdout.strip()


def copy_files(source: Path, dest: Path) -> None:
    """The files git would commit in ``source`` (tracked, and new but not ignored)."""
    files = subprocess.run(["git", "ls-files", "-z", "-co", "--exclude-standard"], cwd=source,
                           check=True, capture_output=True).stdout.decode().split("\0")
    for rel in filter(None, files):
        if (source / rel).is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source / rel, dest / rel)


def project_template(dest: Path, rows: int = 3000, regression: bool = False) -> Path:
    """This checkout adopted by a generated data set, the way a team adopts the template:
    `mlproject init-data churn.csv --target churned --commit` (schema, rule, slices, results;
    ``regression``: spend.csv, a numeric target `spend`). The act scenarios run on it, so they
    hold whatever data the project itself has."""
    from ..fixture_data import regression_rows, write_csv

    copy_files(ROOT, dest)
    env = {**os.environ, "PATH": f"{VENV}/bin:{os.environ['PATH']}", "DVC_NO_ANALYTICS": "1",
           "PYTHONPATH": str(dest / "src")}
    for cmd in (["git", "init", "-q", "-b", "main"], ["git", "config", "user.email", "t@x.invalid"],
                ["git", "config", "user.name", "T"], ["git", "add", "-A"],
                ["git", "commit", "-qm", "The template"]):
        subprocess.run(cmd, cwd=dest, check=True, capture_output=True)
    if regression:
        csv = dest.parent / "export" / "spend.csv"
        csv.parent.mkdir(parents=True, exist_ok=True)
        regression_rows(rows, seed=11).to_csv(csv, index=False)
    else:
        csv = write_csv(dest.parent / "export" / "churn.csv", rows, seed=11)
    target = "spend" if regression else "churned"
    done = subprocess.run(["mlproject", "init-data", str(csv), "--target", target, "--commit"],
                          cwd=dest, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return dest


def seed_cache(cache_dir: Path, template: Path) -> None:
    """The runners' cache as main's promote workflow leaves it: main's pipeline outputs."""
    shutil.copytree(template / ".dvc" / "cache", cache_dir / "dvc-main-0-seed" / "0",
                    dirs_exist_ok=True)


def seeded_sandbox(base: Path, template: Path) -> Sandbox:
    """A sandbox of ``template`` whose runners' cache holds main's outputs (seed_cache)."""
    (base / "runner-cache").mkdir()
    seed_cache(base / "runner-cache", template)
    return Sandbox(base, base / "runner-cache", template=template)


@dataclass
class Run:
    returncode: int
    output: str
    seconds: float
    run_id: int = 0
    sha: str = ""
    branch: str = ""
    fork: bool = False


class Sandbox:
    """A work clone, its bare `origin`, act's isolated dirs and the stand-in records."""

    def __init__(self, base: Path, cache_dir: Path, results_later: bool = False,
                 template: Path = ROOT) -> None:
        """A repository made of ``template``'s files (a project_template(), or this checkout).
        ``results_later``: the first commit has no recorded results (a new project's first
        state, where a pull request has no champion); a second commit adds them."""
        self.base, self.cache_dir, self.runs = base, cache_dir, 0
        self.work, self.origin, self.records = base / "work", base / "origin.git", base / "records"
        for d in (self.work, self.records, base / "home", base / "xdg-cache", base / "xdg-config"):
            d.mkdir(parents=True)
        copy_files(template, self.work)
        git(self.work, "init", "-q", "-b", "main")
        git(self.work, "config", "user.email", "dev@example.invalid")
        git(self.work, "config", "user.name", "Dev")
        results = [p for p in ("dvc.lock", "reports", "models") if results_later]
        git(self.work, "add", "-A", "--", ".", *(f":!{p}" for p in results))
        git(self.work, "commit", "-qm", "Template")
        if results:
            self.first = git(self.work, "rev-parse", "HEAD")
            git(self.work, "add", "-A")
            git(self.work, "commit", "-qm", "Record the results")
        with (self.work / "Makefile").open("a") as make:
            make.write((HERE / "fixtures" / "fake-targets.mk").read_text())
        self.commit("Test-only fast pipeline switch", "Makefile")
        subprocess.run(["git", "clone", "-q", "--bare", str(self.work), str(self.origin)],
                       check=True)
        git(self.work, "remote", "add", "origin", str(self.origin))
        git(self.work, "fetch", "-q", "origin")

    def commit(self, message: str, *paths: str) -> str:
        git(self.work, "add", "--", *paths)
        git(self.work, "commit", "-qm", message)
        return git(self.work, "rev-parse", "HEAD")

    def branch(self, name: str, files: dict[str, str], message: str) -> str:
        """Create `name` from main with `files` changed, push it; return its commit."""
        git(self.work, "checkout", "-q", "-B", name, "main")
        for rel, text in files.items():
            (self.work / rel).write_text(text)
        sha = self.commit(message, *files)
        git(self.work, "push", "-q", "-f", "origin", name)
        git(self.work, "checkout", "-q", "main")
        return sha

    def on_main(self, files: dict[str, str], message: str) -> str:
        """Commit `files` on main and push it (a merge); return the new commit."""
        git(self.work, "checkout", "-q", "main")
        for rel, text in files.items():
            (self.work / rel).write_text(text)
        sha = self.commit(message, *files)
        git(self.work, "push", "-q", "origin", "main")
        return sha

    def merge_with_results(self, files: dict[str, str], message: str) -> str:
        """A merge whose PR recorded its results: change ``files`` on main, run the pipeline,
        commit the change with its results, push; the runners' cache holds the outputs under
        the merge commit's key, where promote.yml's reproduce job would have saved them."""
        git(self.work, "checkout", "-q", "main")
        for rel, text in files.items():
            (self.work / rel).write_text(text)
        env = {**os.environ, "PATH": f"{VENV}/bin:{os.environ['PATH']}",
               "DVC_NO_ANALYTICS": "1", "PYTHONPATH": str(self.work / "src")}
        for cmd in (["dvc", "pull", "-q", "data.dvc"], ["dvc", "repro", "-q"]):
            done = subprocess.run(cmd, cwd=self.work, env=env, capture_output=True, text=True)
            assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
        git(self.work, "add", "-A")
        git(self.work, "commit", "-qm", message)
        git(self.work, "push", "-q", "origin", "main")
        sha = git(self.work, "rev-parse", "HEAD")
        # as a real `make repro` on main would leave it (these runs keep the committed results)
        shutil.copytree(self.work / ".dvc" / "cache", self.cache_dir / f"dvc-main-{sha}" / "0",
                        dirs_exist_ok=True)
        return sha

    def origin_sha(self, ref: str) -> str:
        return git(self.origin, "rev-parse", ref)

    def origin_tags(self) -> dict[str, str]:
        out = git(self.origin, "for-each-ref", "--format=%(refname:short) %(objectname)",
                  "refs/tags")
        return dict(line.split(" ", 1) for line in out.splitlines())

    def record(self, name: str) -> dict:
        path = self.records / name
        return json.loads(path.read_text()) if path.exists() else {}

    def open_issues(self) -> list[dict]:
        """The fake GitHub's open issues (issues.json)."""
        return [i for i in self.record("issues.json").values() if i["state"] == "open"]

    def record_list(self, name: str) -> list:
        path = self.records / name
        return json.loads(path.read_text()) if path.exists() else []

    def calls(self, tool: str) -> list[list[str]]:
        path = self.records / "calls.jsonl"
        lines = path.read_text().splitlines() if path.exists() else []
        return [c["args"] for c in map(json.loads, lines) if c["tool"] == tool]

    def pr_event(self, number: int, branch: str, sha: str, fork: bool = False) -> dict:
        head_repo = "mallory/mlci" if fork else REPOSITORY
        return {"action": "synchronize", "number": number,
                "pull_request": {"number": number,
                                 "head": {"ref": branch, "sha": sha,
                                          "repo": {"full_name": head_repo, "fork": fork}},
                                 "base": {"ref": "main", "sha": self.origin_sha("main"),
                                          "repo": {"full_name": REPOSITORY}}},
                "repository": {"full_name": REPOSITORY, "name": "mlci",
                               "owner": {"login": "acme"}}}

    def pull_request(self, number: int, branch: str, sha: str, fork: bool = False,
                     env: dict[str, str] | None = None) -> Run:
        """Run pr.yml as GitHub would for this PR (the workflow file from its branch)."""
        pulls = self.record("pulls.json")
        head_repo = "mallory/mlci" if fork else REPOSITORY
        pulls[str(number)] = {"number": number, "state": "open",
                              "head": {"sha": sha, "ref": branch, "repo": {"full_name": head_repo}}}
        (self.records / "pulls.json").write_text(json.dumps(pulls))
        git(self.work, "checkout", "-q", branch)
        try:
            run = self.act("pull_request", "pr.yml", self.pr_event(number, branch, sha, fork),
                           env=env)
        finally:
            git(self.work, "checkout", "-q", "main")
        run.sha, run.branch, run.fork = sha, branch, fork
        return run

    def verdict(self, pr_run: Run, conclusion: str | None = None) -> Run:
        """Run verdict.yml (from main) for a finished pr run, as its workflow_run event."""
        run_id = pr_run.run_id
        head_repo = "mallory/mlci" if pr_run.fork else REPOSITORY
        event = {"action": "completed",
                 "workflow_run": {
                     "id": run_id, "name": "pr", "event": "pull_request",
                     "head_sha": pr_run.sha, "head_branch": pr_run.branch,
                     "conclusion": conclusion or ("success" if pr_run.returncode == 0
                                                  else "failure"),
                     "html_url": f"https://github.com/{REPOSITORY}/actions/runs/{run_id}",
                     "head_repository": {"full_name": head_repo},
                     "pull_requests": [] if pr_run.fork else [{"number": 0}]},
                 "repository": {"full_name": REPOSITORY, "name": "mlci",
                                "owner": {"login": "acme"}, "default_branch": "main",
                                "html_url": f"https://github.com/{REPOSITORY}"}}
        return self.act("workflow_run", "verdict.yml", event)

    def act_at(self, sha: str, event_name: str, workflow: str, event: dict,
               env: dict[str, str] | None = None) -> Run:
        """Run a workflow for an earlier commit (act takes github.sha from the work clone's
        HEAD): a re-run of an older push."""
        git(self.work, "checkout", "-q", "--detach", sha)
        try:
            return self.act(event_name, workflow, event, env=env)
        finally:
            git(self.work, "checkout", "-q", "main")

    def statuses(self, sha: str) -> list[dict]:
        return self.record("statuses.json").get(sha, [])

    def comments(self, number: int) -> list[dict]:
        return self.record("comments.json").get(str(number), [])

    def act(self, event_name: str, workflow: str, event: dict, *extra: str,
            env: dict[str, str] | None = None) -> Run:
        event_file = self.base / f"event-{time.monotonic_ns()}.json"
        event_file.write_text(json.dumps(event))
        self.runs += 1
        sink = self.base / "runs" / str(self.runs)
        sink.mkdir(parents=True)
        job_env = {"ACT_CHECKOUT_SOURCE": str(self.origin), "ACT_VENV": str(VENV),
                   "ACT_CACHE_DIR": str(self.cache_dir), "ACT_ARTIFACT_SINK": str(sink),
                   "ACT_RUNS": str(self.base / "runs"),
                   "STANDIN_DIR": str(self.records), "HOME": str(self.base / "home"),
                   "GITHUB_REPOSITORY": REPOSITORY, "PYTHONPATH": "src", **(env or {})}
        cmd = [act_binary(), event_name, "-W", f".github/workflows/{workflow}", "-e",
               str(event_file), "-P", "ubuntu-latest=-self-hosted", "--no-skip-checkout",
               "--no-cache-server", "--action-offline-mode", "-s", f"GITHUB_TOKEN={SECRET}",
               "--env", f"GITHUB_RUN_ID={self.runs}"]
        for action, standin in ACTIONS.items():
            cmd += ["--local-repository", f"{action}={HERE / 'standins' / standin}"]
        for key, value in job_env.items():
            cmd += ["--env", f"{key}={value}"]
        host_env = {**os.environ, "PATH": f"{HERE / 'bin'}:{os.environ['PATH']}",
                    "XDG_CACHE_HOME": str(self.base / "xdg-cache"),
                    "XDG_CONFIG_HOME": str(self.base / "xdg-config"),
                    "HOME": str(self.base / "home")}
        host_env.pop("GITHUB_TOKEN", None), host_env.pop("GH_TOKEN", None)
        start = time.monotonic()
        done = subprocess.run([*cmd, *extra], cwd=self.work, env=host_env, text=True,
                              stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, timeout=600)
        run = Run(done.returncode, done.stdout, time.monotonic() - start, self.runs)
        (self.base / f"act-{workflow}-{time.monotonic_ns()}.log").write_text(run.output)
        return run
