"""Values from a branch are untrusted: hostile metric files must render harmless."""

from __future__ import annotations

import json

from mlproject import report
from mlproject.report.safe import fmt, text

from .mermaid_check import assert_valid
from .report_helpers import results


def test_hostile_metrics_file_is_rendered_harmless(pr):
    """@mentions, HTML, a 1 MB value and NaN: no ping, no tag, no huge body, no number."""
    res = results()
    q = res["metrics"]["model"]["quality"]
    q["roc_auc"] = float("nan")
    q["f1"] = "<img src=x onerror=alert(1)>"
    q["@team please merge"] = 1.0
    q["x" * 1_000_000] = 0.5
    res["slices"]["model"]["<script>@org/team</script>"] = {"rows": 99, "judged": True,
                                                            "roc_auc": "@all"}
    pr.write_results(res)
    (pr.path / "reports/metrics.json").write_text(json.dumps(res["metrics"]), encoding="utf-8")
    pr.params(lambda p: p["train"].update(note="@maintainers <b>look</b> [x](http://e.vil)"))
    pr.commit("hostile")
    body = report.main(pr.params(), None, pr.path / "reports/pr", pr.path)
    assert len(body) < 65_536
    assert_valid(body)
    assert "<img" not in body and "<script" not in body and "<b>" not in body
    assert "](http" not in body and "http://" not in body  # no link, not even a bare URL
    for mention in ("@team", "@org", "@all", "@maintainers"):
        assert mention not in body  # neutralised with a zero-width joiner
    assert "x" * 100 not in body
    assert "nan" not in body.lower()
    # NaN ROC AUC is not a number: the floor check fails rather than passing silently
    assert body.startswith("## ❌ Model failed")


def test_text_escapes_markdown_html_and_mentions():
    assert text("<img src=x>") == "&lt;img src=x&gt;"
    assert text("@team") == "@\u200dteam"
    assert text("a|b") == "a\\|b"
    assert "://" not in text("see https://evil.example") and "www." not in text("www.x.org")
    assert len(text("y" * 10_000)) <= 80


def test_only_finite_numbers_are_shown():
    assert [fmt(v) for v in (float("nan"), float("inf"), "1", True, None)] == ["—"] * 5
    assert fmt(0.5) == "0.5000" and fmt(1234) == "1,234"


def test_oversized_report_folds_details_below_the_limit():
    big = "<details><summary>x</summary>\n\n" + "y" * 70_000 + "\n\n</details>"
    body = report.cap("## verdict\n\n" + big + "\n\nfooter\n")
    assert len(body) < 65_536 and body.startswith("## verdict") and "footer" in body
    assert len(report.cap("z" * 100_000)) < 65_536


def test_malformed_result_files_give_a_failing_report_not_a_traceback(pr):
    """Lists or strings where the report expects mappings fail the gate; the report renders."""
    res = results()
    res["metrics"]["model"] = "x"
    res["slices"] = {"model": ["a", "b"]}
    res["system"] = {"model": "fast"}
    pr.write_results(res)
    pr.commit("malformed")
    body = report.main(pr.params(), None, pr.path / "reports/pr", pr.path)
    assert body.startswith("## ❌ Model failed")
    assert_valid(body)


def test_apostrophes_read_as_apostrophes():
    assert text("Children's") == "Children's"


def test_file_names_in_code_spans_are_shown_as_they_are():
    """Inside backticks an escape would show as a backslash: src/my_pkg stays src/my_pkg."""
    from mlproject.report.safe import code

    assert code("src/my_pkg/train.py") == "`src/my_pkg/train.py`"
    assert code("a`b\nc") == "`a'b c`"
