"""Render a report as GitHub would (GFM + Mermaid in Chromium) and look for Mermaid errors.

Needs the render-comment tool (path in $RENDER_COMMENT, default /tmp/render-comment); skipped
with a visible reason when it is not installed.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import numpy as np
import pytest

from mlproject import report

from .report_helpers import results

TOOL = Path(os.environ.get("RENDER_COMMENT", "/tmp/render-comment"))
PYTHON, SCRIPT = TOOL / ".venv/bin/python", TOOL / "render.py"


@pytest.mark.slow
@pytest.mark.skipif(not (PYTHON.exists() and SCRIPT.exists() and (TOOL / "node_modules").exists()),
                    reason=f"render-comment tool not installed at {TOOL} (set RENDER_COMMENT)")
def test_report_renders_without_mermaid_errors(pr, tmp_path):
    from PIL import Image

    pr.write_results(results(auc=0.93), curve_shift=0.02)
    pr.commit("better")
    report.main(pr.params(), None, pr.path / "reports/pr", pr.path)
    png = tmp_path / "report.png"
    subprocess.run([str(PYTHON), str(SCRIPT), str(pr.path / "reports/pr/report.md"), str(png),
                    "1000", "1600"], check=True, capture_output=True, timeout=120)
    image = Image.open(png).convert("RGB")
    top = np.asarray(image)[:60].reshape(-1, 3).astype(int)
    # the tool writes "MERMAID ERROR ..." in red at the top of the page
    red = (top[:, 0] > 200) & (top[:, 1] < 80) & (top[:, 2] < 80)
    assert not red.any(), "Mermaid error shown at the top of the rendered report"
