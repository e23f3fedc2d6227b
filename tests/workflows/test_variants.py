"""The opt-in workflow variants in docs/workflow-variants/ pass the same static checks, and the
files docs/scaling.md asks users to deploy (a SkyPilot task, Helm values) are well-formed."""

from __future__ import annotations

import subprocess

import pytest
import yaml

from .conftest import ROOT, load
from .test_static import tool, zizmor

VARIANTS = sorted((ROOT / "docs" / "workflow-variants").glob("*.yml"))
SKY_TASK = ROOT / "docs" / "long-runs" / "train.sky.yaml"


def test_there_are_variants_for_each_way_to_grow():
    # a larger, GPU or self-hosted runner is the repository variable TRAIN_RUNS_ON, not a variant
    assert {p.stem for p in VARIANTS} == {"cloud-remote-oidc", "long-training"}


@pytest.mark.parametrize("persona", ["regular", "pedantic"])
def test_zizmor_finds_nothing(persona):
    done = zizmor(f"--persona={persona}", *map(str, VARIANTS))
    assert done.returncode == 0, done.stdout + done.stderr


def test_variants_match_the_github_schema():
    done = subprocess.run([tool("check-jsonschema"), "--builtin-schema",
                           "vendor.github-workflows", *map(str, VARIANTS)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


def test_run_blocks_pass_shellcheck_and_hold_no_expressions(tmp_path):
    task = yaml.safe_load(SKY_TASK.read_text())
    scripts = []
    for part in ("setup", "run"):  # the SkyPilot task's scripts run in bash on the VM
        scripts.append(tmp_path / f"sky-{part}.sh")
        scripts[-1].write_text("#!/usr/bin/env bash\n" + task[part])
    for path in VARIANTS:
        for job in load(path)["jobs"].values():
            assert "timeout-minutes" in job and "permissions" in job
            for step in job.get("steps", []):
                if "run" in step:
                    assert "${{" not in step["run"]
                    script = tmp_path / f"{path.stem}-{len(scripts)}.sh"
                    script.write_text("#!/usr/bin/env bash\nset -e\n" + step["run"])
                    scripts.append(script)
    done = subprocess.run([tool("shellcheck"), "-s", "bash", *map(str, scripts)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout


def test_the_long_training_task_reports_on_the_commit_it_trains():
    task = yaml.safe_load(SKY_TASK.read_text())
    assert {"GIT_SHA", "GITHUB_REPOSITORY"} <= set(task["envs"]) and "GH_TOKEN" in task["secrets"]
    assert "statuses/$GIT_SHA" in task["run"] and "trap " in task["run"]
    assert task["run"].index("dvc repro") < task["run"].index("dvc push --run-cache")
    submit = load(ROOT / "docs" / "workflow-variants" / "long-training.yml")["jobs"]["submit"]
    assert "docs/long-runs/train.sky.yaml" in submit["steps"][-1]["run"]


def test_the_runner_scale_set_values_name_the_label_and_start_from_zero():
    values = yaml.safe_load((ROOT / "docs" / "runners" / "arc-values.yaml").read_text())
    assert values["runnerScaleSetName"] and values["minRunners"] == 0
    runner = values["template"]["spec"]["containers"][0]
    assert runner["name"] == "runner" and "@sha256:" in runner["image"]


def test_cloud_credentials_come_from_oidc_not_stored_keys():
    for path in VARIANTS:
        text = path.read_text()
        assert "AWS_SECRET_ACCESS_KEY" not in text and "aws-secret-access-key" not in text
        if "configure-aws-credentials" in text:
            assert "id-token: write" in text and "environment: production" in text
