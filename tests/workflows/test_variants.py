"""The opt-in workflow variants in docs/workflow-variants/ pass the same static checks."""

from __future__ import annotations

import subprocess

import pytest

from .conftest import ROOT, load
from .test_static import tool, zizmor

VARIANTS = sorted((ROOT / "docs" / "workflow-variants").glob("*.yml"))


def test_there_are_variants_for_each_way_to_grow():
    assert {p.stem for p in VARIANTS} == {"cloud-remote-oidc", "cml-runner", "larger-runner"}


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
    scripts = []
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


def test_cloud_credentials_come_from_oidc_not_stored_keys():
    for path in VARIANTS:
        text = path.read_text()
        assert "AWS_SECRET_ACCESS_KEY" not in text and "aws-secret-access-key" not in text
        if "configure-aws-credentials" in text:
            assert "id-token: write" in text and "environment: production" in text
