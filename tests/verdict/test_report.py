"""The comment a reviewer decides from: short top, honest marks, units, safe text, size."""

from __future__ import annotations

import re

import pytest

from mlproject import report, units
from mlproject.verdict import run
from mlproject.verdict.evidence import ParamChange

from .helpers import Case


def render(case: Case, folder, repo, out) -> str:
    run.judge(folder, out, case.raw, repo)
    return (out / "report.md").read_text()


@pytest.fixture(scope="module")
def failing(tmp_path_factory):
    case = Case(tmp_path_factory.mktemp("failing"), challenger={"max_iter": 2})
    _, folder, repo = case.build()
    return render(case, folder, repo, tmp_path_factory.mktemp("out"))


@pytest.fixture(scope="module")
def passing(tmp_path_factory):
    case = Case(tmp_path_factory.mktemp("passing"), challenger={"max_iter": 80})
    e, folder, repo = case.build()
    e = e.model_copy(update={"changes": e.changes.model_copy(update={"params": [
        ParamChange(key="train.model.params.max_iter", main="60", branch="80")]})})
    folder = case.write(e, "with-params")
    return render(case, folder, repo, tmp_path_factory.mktemp("out"))


def top(body: str) -> list[str]:
    return [line for line in body.split("<details", 1)[0].splitlines() if line.strip()]


@pytest.mark.parametrize("which", ["failing", "passing"])
def test_the_top_before_any_fold_is_short(request, which):
    lines = top(request.getfixturevalue(which))
    assert len(lines) <= 15, "\n".join(lines)
    assert lines[0] in ("## ✅ Model gate passed", "## ❌ Model gate failed")
    assert lines[1].startswith("This PR ") and " against main " in lines[1]
    assert any(line.startswith("- **Data:**") for line in lines)
    assert ("| metric | main → this PR | Δ (95% interval) | allowed | over rule baseline |"
            in lines)


def test_a_failure_says_why_in_grouped_lines_and_opens_the_failing_checks(failing):
    lines = top(failing)
    reasons = [line for line in lines if line.startswith("- **") and "Data" not in line]
    assert 1 <= len(reasons) <= 3
    assert reasons[0].startswith("- **Quality:** ") and "allowed −0.0050" in reasons[0]
    assert "<details open><summary>❌ Failing checks (" in failing
    failed_row = next(line for line in lines if line.startswith("| roc\\_auc |"))
    assert "🔴" in failed_row and re.search(r"\(−\d\.\d{4} … −\d\.\d{4}\)", failed_row)


def test_marks_follow_the_gate_not_the_sign(passing):
    """A change inside the tolerance or the noise is neutral, never red."""
    for line in top(passing):
        if line.startswith("| ") and "→" in line:
            assert "🔴" not in line, line


def test_one_minus_sign_and_one_precision(failing, passing):
    for body in (failing, passing):
        tables = [line for line in body.splitlines() if line.startswith("|")]
        for line in tables:
            assert not re.search(r"(?<![\w.])-\d", line), line  # U+2212, never a hyphen
            for cell in line.split("|"):
                if "×" in cell:  # ratios have two significant digits
                    continue
                for number in re.findall(r"\d\.\d+(?![\d,])", cell):
                    assert len(number.split(".")[1]) in (1, 4), (number, line)


def test_units():
    assert units.score(0.00004) == "<0.0001" and units.score(0) == "0.0000"
    assert units.signed(-0.0102) == "−0.0102" and units.signed(0) == "±0"
    assert units.ms(104.36601) == "104.4 ms"
    assert units.size(5_899_077) == "5.9 MB" and units.size(359_371) == "359.4 kB"
    assert units.ratio(17.2) == "17×" and units.ratio(1.25) == "1.2×"
    assert units.percent(-6541, 32561) == "−20.1 %"


def test_params_changes_and_folds_read_plainly(passing):
    assert "train.model.params.max\\_iter | 60 | 80" in passing
    for summary in re.findall(r"<summary>(.*?)</summary>", passing):
        assert not re.search(r"[`*\\]", summary), summary  # GitHub shows Markdown literally


def test_the_comment_ends_with_the_verdict_marker_and_an_open_html_comment(failing, passing):
    assert failing.rstrip().endswith("<!-- mlproject-verdict: failed -->\n<!-- CML's watermark "
                                     "follows".rstrip())
    assert "<!-- mlproject-verdict: passed -->" in passing


def test_nothing_changed_is_said_in_a_few_lines(tmp_path):
    case = Case(tmp_path)
    _, folder, repo = case.build()
    body = render(case, folder, repo, tmp_path / "out")
    assert "Same model as main (identical bytes)" in body
    assert "artifact" not in body and "<details" not in body
    assert len(top(body)) <= 10


def test_hostile_text_from_the_evidence_is_harmless(tmp_path):
    hostile = "@org/team <img src=x onerror=alert(1)> [x](http://e.vil) www.e.vil `tick`"
    case = Case(tmp_path)
    case.holdout["plan"] = case.holdout["plan"].astype(str) + " " + hostile  # slice values
    e, _, repo = case.build()
    changes = e.changes.model_copy(update={
        "params": [ParamChange(key=hostile, main=hostile, branch="@all")],
        "code": [f"src/{hostile}.py"], "data_changed": True, "drift": {"x" * 90: 0.5}})
    folder = case.write(e.model_copy(update={"changes": changes}), "hostile")
    body = render(case, folder, repo, tmp_path / "out")
    assert "onerror" in body  # the slice values are shown, made harmless
    for bad in ("<img", "](http", "http://", "www.e", "@org", "@all", "x" * 90):
        assert bad not in body, bad
    assert "@\u200dorg" in body


def test_over_the_size_limit_whole_sections_go_and_the_comment_says_so(tmp_path, monkeypatch):
    case = Case(tmp_path)
    e, _, repo = case.build()
    changes = e.changes.model_copy(update={"params": [
        ParamChange(key=f"train.model.params.p{i}", main="1" * 100, branch="2" * 100)
        for i in range(400)]})
    folder = case.write(e.model_copy(update={"changes": changes}), "long")
    monkeypatch.setattr(report, "MAX_CHARS", 12_000)
    body = render(case, folder, repo, tmp_path / "out")
    assert len(body) <= 12_000 + 200
    assert "Left out to stay under GitHub's size limit" in body
    assert body.count("<details") == body.count("</details>")  # nothing cut inside
    assert "Reproduce locally" in body  # the footer stays
