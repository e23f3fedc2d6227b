"""The comment as GitHub draws it: GitHub's Markdown parser, Mermaid 11.4, headless Chromium.

Rendered for a passing, a failing, a nothing-changed and a many-slices report, with CML's
watermark appended as CML appends it: no Mermaid error, and no image from another host.
`.ci/run` installs Chromium and the npm packages; elsewhere the tests say what is missing.
"""

from __future__ import annotations

import re

import pytest

from mlproject.verdict import run

from . import render
from .helpers import Case

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(render.browser() is None, reason="chromium is not installed"),
    pytest.mark.skipif(render.node_modules() is None,
                       reason="NODE_PATH has no mermaid@11.4.1 and github-markdown-css"),
]
WATERMARK = '\n\n![](https://cml.dev/watermark.png#abc123 "CML watermark mlproject-report")'


def report(tmp_path, **case) -> str:
    c = Case(tmp_path / "case", **case)
    e, folder, repo = c.build()
    if case.pop("many_slices", False):
        pass
    run.judge(folder, tmp_path / "out", c.raw, repo)
    return (tmp_path / "out" / "report.md").read_text()


def many_slices(tmp_path) -> str:
    """Fifty slices of one column, some long names: the slices table and chart grow."""
    c = Case(tmp_path / "case", challenger={"max_iter": 3})
    names = [f"city-{i:02d}" + ("-with-a-very-long-name-x" * 2 if i % 7 == 0 else "")
             for i in range(50)]
    c.holdout["city"] = [names[i % 50] for i in range(len(c.holdout))]
    _, folder, repo = c.build()
    raw = {**c.raw, "evaluate": {**c.raw["evaluate"], "slices": ["city"]},
           "gate": {**c.raw["gate"], "slices": {"metric": "roc_auc", "max_drop": 0.03,
                                                "min_class_rows": 5}}}
    run.judge(folder, tmp_path / "out", raw, repo)
    return (tmp_path / "out" / "report.md").read_text()


@pytest.mark.parametrize("kind", ["passing", "failing", "nothing changed", "many slices",
                                  "with history"])
def test_renders_without_errors_or_outside_images(tmp_path, kind, monkeypatch):
    if kind == "with history":
        monkeypatch.setattr(run, "history", lambda *_: [
            ("v1.0.0", 0.81), ("v1.1.0", 0.83), ("v1.1.1", 0.8249), ("this PR", 0.84)])
        body = report(tmp_path, challenger={"max_iter": 80})
        assert "History: roc_auc of recent production versions" in body
    elif kind == "many slices":
        body = many_slices(tmp_path)
    else:
        hyper = {"passing": {"max_iter": 80}, "failing": {"max_iter": 2},
                 "nothing changed": {"max_iter": 60}}[kind]
        body = report(tmp_path, challenger=hyper)
    for width in (1000, 400):
        dom = render.render(body + WATERMARK, tmp_path / f"{width}.png", width=width,
                            opened=True)
        assert render.mermaid_errors(dom) == [], kind
        assert dom.count("<svg") >= body.count("```mermaid"), kind
        assert not re.search(r"<img[^>]+src=\"https?://", dom), "an image from another host"
