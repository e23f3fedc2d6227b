"""Fixtures: a tiny real model and throwaway git+DVC repositories with a bare origin."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest
import yaml
from dvc.repo import Repo as DvcRepo

from mlproject import artifact
from mlproject.config import parse_params

from ..fixture_data import generated_params, typed_table

ROOT = Path(__file__).resolve().parents[2]
DVC_YAML = """stages:
  train:
    cmd: "true"
    outs:
      - models/model.skops
      - models/model.json:
          cache: false
"""


def run(*cmd: str, cwd: Path) -> str:
    return subprocess.run(cmd, cwd=cwd, check=True, capture_output=True, text=True).stdout


def gto(*args: str, cwd: Path) -> str:
    """The `gto` command's output: its console-script entry point (gto.cli:app), run in this
    process so that each call does not pay GTO's start-up time again."""
    from click.testing import CliRunner
    from gto.cli import app

    with contextlib.chdir(cwd):
        result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def synthetic_rows(params, n: int, seed: int) -> pd.DataFrame:
    """Rows of the generated data set (tests/fixture_data.py), with their label."""
    return typed_table(n, seed).drop(columns="__line__")


@pytest.fixture(scope="session")
def params():
    return parse_params(generated_params())


@pytest.fixture(scope="session")
def model_variant(tmp_path_factory, params):
    """Real skops models whose bytes differ: variant k has 10 + k boosting rounds (400 rows)."""
    from mlproject.config import Model
    from mlproject.stages.train import train

    made: dict[int, Path] = {}
    df = synthetic_rows(params, 400, seed=0)

    def make(k: int = 0) -> Path:
        if k not in made:
            out = tmp_path_factory.mktemp(f"model{k}")
            table = out / "train.parquet"
            df.to_parquet(table)
            rounds = {"max_iter": 10 + k}
            small = dataclasses.replace(params, train=dataclasses.replace(
                params.train, model=Model(name="hist_gradient_boosting", params=rounds)))
            meta = artifact.metadata_for(small, "hist_gradient_boosting", table)
            meta.update(hyperparameters=rounds)
            artifact.save_model(train(df, small), out / "model.skops", meta)
            made[k] = out / "model.skops"
        return made[k]

    return make


@pytest.fixture(scope="session")
def tiny_model(model_variant) -> Path:
    """A real skops model (10 boosting rounds on 400 synthetic rows) with its sidecar."""
    return model_variant(0)


def results(roc_auc: float) -> dict[str, dict]:
    """Fabricated result files: metrics, system, slices, validation."""
    quality = {"accuracy": 0.8, "balanced_accuracy": 0.75, "precision": 0.7, "recall": 0.6,
               "f1": 0.65, "roc_auc": roc_auc, "average_precision": 0.7, "log_loss": 0.4,
               "brier": 0.12}
    product = {"threshold": 0.8, "coverage": 0.7, "precision_when_shown": 0.9}
    rule = {"quality": {**quality, "roc_auc": 0.7, "f1": 0.5}, "product": product,
            "system": {"model_size_bytes": 500}}
    slices = {"plan=basic": {"rows": 100, "classes": {"no": 70, "yes": 30}, "accuracy": 0.9,
                             "f1": 0.6, "roc_auc": roc_auc},
              "plan=pro": {"rows": 12, "classes": {"no": 10, "yes": 2}, "accuracy": 0.9,
                           "f1": 0.6, "roc_auc": roc_auc}}
    validation = {s: {"rows": 1000, "columns": 15, "duplicate_rows": 0, "missing_cells": 3,
                      "class_balance": {"no": 0.76, "yes": 0.24}}
                  for s in ("train", "holdout")}
    return {"metrics": {"model": {"quality": quality, "product": product,
                                  "system": {"model_size_bytes": 1000}},
                        "rule_baseline": rule},
            "slices": {"model": slices}, "validation": validation}


def write_results(repo: Path, roc_auc: float) -> None:
    for name, content in results(roc_auc).items():
        path = repo / "reports" / f"{name}.json"
        path.parent.mkdir(exist_ok=True)
        path.write_text(json.dumps(content, indent=2))


class Repo:
    """A git+DVC repository on `main` with a bare origin and a local DVC remote."""

    def __init__(self, base: Path, variant) -> None:
        self.path, self.origin, self.remote = base / "repo", base / "origin.git", base / "remote"
        self.variant = variant
        run("git", "init", "-q", "--bare", str(self.origin), cwd=base)
        self.path.mkdir()
        for cmd in (["git", "init", "-q", "-b", "main"], ["git", "config", "user.email", "ci@x"],
                    ["git", "config", "user.name", "CI"],
                    ["git", "remote", "add", "origin", str(self.origin)]):
            run(*cmd, cwd=self.path)
        DvcRepo.init(str(self.path)).close()
        self.set_remote(self.remote)
        params = {**generated_params(), "registry": {"lock_timeout_s": 600}}
        (self.path / "params.yaml").write_text(yaml.safe_dump(params))
        (self.path / "dvc.yaml").write_text(DVC_YAML)
        (self.path / ".gitignore").write_text("/build/\n")

    def set_remote(self, url: Path) -> None:
        (self.path / ".dvc/config").write_text(
            f'[core]\n    analytics = false\n    remote = local\n[\'remote "local"\']\n'
            f"    url = {url}\n")

    def commit_results(self, roc_auc: float, message: str = "results", variant: int = 0,
                       name: str | None = None, push: bool = True, meta: dict | None = None) -> str:
        """Put model ``variant`` and result files in place, record them in dvc.lock, commit,
        and (like a merge) push the branch to origin."""
        models = self.path / "models"
        models.mkdir(exist_ok=True)
        source, extra = self.variant(variant), meta
        shutil.copy(source, models / "model.skops")
        meta = json.loads(artifact.sidecar(source).read_text())
        if name:  # a different model type: same bytes, different recorded name
            meta["name"] = name
        (models / "model.json").write_text(json.dumps({**meta, **(extra or {})}, indent=2))
        write_results(self.path, roc_auc)
        with DvcRepo(str(self.path)) as dvc:  # in-process: the dvc CLI starts slowly
            dvc.commit(str(self.path / "dvc.yaml:train"), force=True)
        return self.commit(message, push)

    def commit(self, message: str, push: bool = True, files: dict[str, str] | None = None) -> str:
        """Write ``files`` (relative path -> text), commit every change, push main to origin."""
        for rel, text in (files or {}).items():
            (self.path / rel).write_text(text)
        run("git", "add", "-A", cwd=self.path)
        run("git", "commit", "-q", "--allow-empty", "-m", message, cwd=self.path)
        if push:
            run("git", "push", "-q", "origin", "HEAD:refs/heads/main", cwd=self.path)
        return self.head()

    def track_data(self, text: str, message: str = "New data") -> str:
        """Put ``text`` in data/rows.csv, record it with `dvc add data`, commit."""
        (self.path / "data").mkdir(exist_ok=True)
        (self.path / "data/rows.csv").write_text(text)
        with DvcRepo(str(self.path)) as dvc:
            dvc.add(str(self.path / "data"))
        return self.commit(message)

    def head(self) -> str:
        return run("git", "rev-parse", "HEAD", cwd=self.path).strip()

    def tags(self) -> list[str]:
        return run("git", "tag", "--list", cwd=self.path).split()

    def origin_tags(self) -> list[str]:
        return run("git", "tag", "--list", cwd=self.origin).split()


@pytest.fixture
def repo(tmp_path, model_variant) -> Repo:
    return Repo(tmp_path, model_variant)


def fake_judge(min_gain: float = 0.0, asked: list | None = None):
    """Stand-in for the side-by-side promotion gate (these repositories have no holdout to
    score): compares the ROC AUC recorded at the candidate and at production, allowing the
    drop `gate.max_drop.roc_auc` in params.yaml at the rules' revision, or ``-min_gain``. The
    revisions the rules are read at are appended to ``asked``."""
    import yaml

    from mlproject import gate
    from mlproject.registry import show_file
    from mlproject.registry.promote import Judgement
    from mlproject.results import read_results

    def judge(root, commit, production, rules_rev, params, state=None):
        if asked is not None:
            asked.append(rules_rev)
        results, baseline = read_results(commit, root), None
        new, old = results["metrics"]["model"]["quality"]["roc_auc"], None
        if production is not None:
            baseline = read_results(production.commit, root)
            old = baseline["metrics"]["model"]["quality"]["roc_auc"]
        rules = yaml.safe_load(show_file(rules_rev, "params.yaml", root) or b"") or {}
        allowed = ((rules.get("gate") or {}).get("max_drop") or {}).get("roc_auc", -min_gain)
        drop = None if old is None else old - new
        passed = drop is None or drop <= allowed + 1e-12
        check = gate.Check("quality", "change", "roc_auc", "pass" if passed else "fail",
                           None if drop is None else -drop, allowed,
                           f"roc_auc drops by at most {allowed:g}")
        verdict = gate.Verdict(passed, [check])
        return Judgement(passed, verdict.summary, verdict, results, baseline)

    return judge


@pytest.fixture
def judge(monkeypatch):
    """The promotion gate of the CLI (`mlproject promote`) replaced by fake_judge()."""
    from mlproject.registry import side_by_side

    monkeypatch.setattr(side_by_side, "judge", fake_judge())
    return side_by_side.judge
