"""The PR report on real git + DVC repositories: one test per kind of pull request."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from mlproject import report

from .mermaid_check import assert_valid
from .report_helpers import results, validation

GOLDEN = Path(__file__).parent / "golden"


def run(repo, base=None) -> str:
    body = report.main(repo.params(), base, repo.path / "reports/pr", repo.path)
    assert len(body) < 65_536
    assert_valid(body)
    return body


def structure(body: str) -> str:
    """The report's skeleton: headings, table headers, folded summaries, SHAs masked."""
    keep = [line for line in body.splitlines()
            if line.startswith(("#", "| metric", "| slice", "| key", "<details>", "**"))]
    return re.sub(r"\b[0-9a-f]{12,40}\b", "<sha>", "\n".join(keep)) + "\n"


def golden(name: str, body: str) -> None:
    path = GOLDEN / f"{name}.md"
    if os.environ.get("UPDATE_GOLDEN") or not path.exists():
        path.parent.mkdir(exist_ok=True)
        path.write_text(structure(body), encoding="utf-8")
    assert structure(body) == path.read_text(encoding="utf-8"), "regenerate: UPDATE_GOLDEN=1"


def test_param_change_that_improves_the_model_passes(pr):
    """Better ROC AUC after a params change: passed, marked better, the params diff shown."""
    pr.params(lambda p: p["train"]["model"]["params"].update(max_iter=300))
    pr.write_results(results(auc=0.93, f1=0.72), curve_shift=0.02)
    pr.commit("more iterations")
    body = run(pr)
    assert body.startswith("## ✅ Model passed the validation gate")
    assert re.search(r"\| roc\\_auc \| 0\.9200 \| 0\.9300 \| 🟢 better \(\+0\.0100\) \| 0\.7500 \|",
                     body)
    assert "train.model.params.max\\_iter | 150 | 300" in body
    assert "**Data:** unchanged" in body and "no files under `src/` changed" in body
    assert assert_valid(body) == 2
    assert (pr.path / "reports/pr/roc.png").stat().st_size > 10_000
    assert json.loads((pr.path / "reports/pr/gate.json").read_text())["passed"] is True
    golden("improves", body)


def test_param_change_that_makes_the_model_worse_fails(pr):
    """ROC AUC drops by 0.02 (limit 0.005): failed; the verdict names the rule and the amount."""
    pr.params(lambda p: p["train"]["model"].update(name="logistic_regression", params={}))
    pr.write("src/mlproject/train.py", "# another model\n")
    pr.write_results(results(auc=0.90, f1=0.69))
    pr.commit("simpler model")
    body = run(pr)
    first = body.split("\n\n")[1]
    assert body.startswith("## ❌ Model failed the validation gate")
    assert "roc\\_auc dropped by 0.02, more than the 0.005 allowed" in first
    assert "🔴 worse (−0.0200)" in body
    assert "`src/mlproject/train.py`" in body
    golden("worse", body)


def test_data_change_shows_rows_columns_and_class_balance(pr):
    """A new data version: row, column and class-balance changes from validation.json."""
    pr.write("data.dvc", "outs:\n- md5: b2222222222222222222222222222222\n  path: data\n")
    pr.write("reports/validation.json", validation(rows=1200, positive=0.30, columns=16))
    pr.commit("more data")
    body = run(pr)
    assert "**Data:** `data.dvc` changed." in body
    assert "| train | rows | 1,000 | 1,200 | +200 |" in body
    assert "| train | columns | 15 | 16 | +1 |" in body
    assert "| train | share of &gt;50K | 0.2400 | 0.3000 | +0.0600 |" in body
    assert "Drift: unavailable" in body


def test_nothing_changed_is_one_line(pr):
    """Same params, data, code and metrics: the report says so instead of empty tables."""
    body = run(pr)
    assert "Nothing changed against main: same params, data, code and metrics." in body
    assert "|" not in body and "```" not in body
    golden("unchanged", body)


def test_base_without_results_shows_new(repo):
    """First PR: main has no recorded results; every metric is new and only floors apply."""
    repo.commit("skeleton without results")
    repo.git("checkout", "-qb", "pr")
    repo.write_results(results())
    repo.commit("first results")
    body = run(repo)
    assert body.startswith("## ✅")
    assert "| roc\\_auc | new | 0.9200 | 🆕 new | 0.7500 |" in body
    assert "no recorded results" in body


def test_explicit_base_revision(pr):
    """--base takes any git revision; a bad one is one clear error."""
    pr.write_results(results(auc=0.93))
    pr.commit("better")
    assert "🟢 better" in run(pr, base="main")
    with pytest.raises(Exception, match="--base nope: not a git revision"):
        run(pr, base="nope")


def test_a_metric_new_on_the_branch_shows_as_new(pr):
    """A metric main never recorded is "new", not a failure."""
    res = results()
    res["metrics"]["model"]["quality"]["mcc"] = 0.6
    pr.write_results(res)
    pr.params(lambda p: p["report"].update(headline=["roc_auc", "mcc"]))
    pr.commit("add a metric")
    body = run(pr)
    assert body.startswith("## ✅")
    assert "| mcc | new | 0.6000 | 🆕 new |" in body


def test_report_command_writes_the_report_and_charts(pr, monkeypatch):
    """`mlproject report` from the repository root, as `make report` runs it."""
    from mlproject import cli

    pr.write_results(results(auc=0.93))
    pr.commit("better")
    monkeypatch.chdir(pr.path)
    assert cli.main(["report", "--base", "main", "--out-dir", "out"]) == 0
    names = sorted(p.name for p in (pr.path / "out").iterdir())
    assert names == ["gate.json", "precision_recall.png", "report.md", "roc.png"]
