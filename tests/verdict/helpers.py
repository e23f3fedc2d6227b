"""Evidence built from real models trained on generated data, without running the pipeline.

``Case`` trains a challenger and a champion on generated rows, scores a generated holdout the
way `mlproject compare` does, and can write the evidence folder and a git repository whose
`main` recorded the champion's results (what the judge compares with).
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from mlproject import artifact, holdout, metrics, storage
from mlproject.config import Model, Params, parse_params
from mlproject.stages.train import baselines, train
from mlproject.verdict import evidence as ev
from mlproject.verdict.scoring import column_values

from ..fixture_data import (
    generated_params,
    regression_params,
    typed_regression_table,
    typed_table,
)

SHA_HEAD = "1" * 40  # the pull request's head: the judge never checks it out


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True,
                          text=True).stdout.strip()


@dataclass
class Case:
    """A pull request's evidence and the repository the judge runs in."""

    root: Path
    challenger: dict = field(default_factory=lambda: {"max_iter": 60})
    champion: dict | None = field(default_factory=lambda: {"max_iter": 60})
    rows: int = 3000
    classes: list[str] = field(default_factory=lambda: ["no", "yes"])
    params_changes: dict = field(default_factory=dict)
    regression: str | None = None  # a kind of generated regression data: linear, heavy, zeros

    def __post_init__(self) -> None:
        raw = regression_params(self.regression) if self.regression else \
            generated_params(self.classes)
        for key, value in self.params_changes.items():
            section, name = key.split(".", 1)
            raw[section][name] = value
        self.raw = raw
        self.params: Params = parse_params(raw)
        self.target = self.params.data.target.column
        if self.regression:
            self.classes = []
            self.train_rows = typed_regression_table(self.rows, 1, self.regression)
            self.holdout = typed_regression_table(self.rows // 2, 2, self.regression)
        else:
            self.train_rows = typed_table(self.rows, seed=1, classes=self.classes)
            self.holdout = typed_table(self.rows // 2, seed=2, classes=self.classes)

    def model(self, name: str, hyper: dict | None, out: Path) -> Path:
        hyper = {**self.params.train.model.params, **(hyper or {})}
        p = replace(self.params, train=replace(self.params.train,
                                               model=Model("hist_gradient_boosting", hyper)))
        fitted = train(self.train_rows, p)
        meta = artifact.metadata_for(p, "hist_gradient_boosting", self._train_file())
        artifact.save_model(fitted, out / f"{name}.skops", meta)
        return out / f"{name}.skops"

    def _train_file(self) -> Path:
        path = self.root / "train.parquet"
        if not path.exists():
            self.root.mkdir(parents=True, exist_ok=True)
            self.train_rows.to_parquet(path)
        return path

    def baselines(self, out: Path) -> dict[str, Path]:
        """The rule baseline and the dummy, as the train stage saves them."""
        found = {}
        for name, fitted in baselines(self.train_rows, self.params).items():
            artifact.save_model(fitted, out / f"{name}.skops",
                                artifact.metadata_for(self.params, name, self._train_file()))
            found[name] = out / f"{name}.skops"
        return found

    def build(self, records: bool = True, fingerprint: str | None = None
              ) -> tuple[ev.Evidence, Path, Path]:
        """Train and score; make main's repository (recording the champion's results unless
        ``records`` is False); write the evidence folder. Return (evidence, folder, repo)."""
        from mlproject.predict import Predictor
        from mlproject.verdict.evidence import (
            ChampionInfo,
            Changes,
            Holdout,
            PullRequest,
            Scores,
        )

        models = self.root / "models"
        models.mkdir(parents=True, exist_ok=True)
        files = {"challenger": self.model("model", self.challenger, models),
                 **self.baselines(models)}
        if self.champion is not None:
            files["champion"] = self.model("champion", self.champion, models)
        self.files = files
        predictors = {k: Predictor.load(v) for k, v in files.items()}
        ident = holdout.identity(self.holdout, self.target)
        index = {c: i for i, c in enumerate(self.classes)}
        proba = {k: np.round(p.outputs(self.holdout), 9) for k, p in predictors.items()}
        self.proba = proba
        repo = self.repo(records, fingerprint)
        if self.regression:
            task = {"task": "regression", "tolerance": list(predictors["challenger"].tolerance)}
            truth = {"targets": self.holdout[self.target].to_numpy(dtype=float).tolist()}
            key = "values"
        else:
            task = {"classes": self.classes, "positive": self.params.data.target.positive,
                    "threshold": predictors["challenger"].threshold}
            truth = {"labels": [index[v] for v in ident["labels"]]}
            key = "proba"
        e = ev.Evidence(
            format=1, outcome="scored",
            pr=PullRequest(number=7, head_sha=SHA_HEAD, base_sha=git(repo, "rev-parse", "main"),
                           repository="acme/mlci"), **task,
            holdout=Holdout(keys=ident["keys"], **truth,
                            hashes=ident["hashes"], fingerprint=ident["fingerprint"],
                            columns=column_values(self.holdout)),
            models={k: Scores(name="hist_gradient_boosting", sha256=p.metadata["sha256"],
                              size_bytes=p.metadata["size_bytes"], **{key: proba[k].tolist()})
                    for k, p in predictors.items()},
            champion=ChampionInfo(source="DVC cache" if self.champion is not None else "none",
                                  seconds=0.1, detail="the model main recorded"
                                  if self.champion is not None else "main records no model"),
            changes=Changes(params=[], code=[], data_changed=False,
                            validation={"main": {}, "branch": {}}, drift="data unchanged"))
        return e, self.write(e), repo

    def write(self, e: ev.Evidence, name: str = "evidence") -> Path:
        folder = self.root / name
        ev.write(e, folder, self.files)
        return folder

    def repo(self, record_champion: bool = True, fingerprint: str | None = None) -> Path:
        """A git repository whose main recorded the champion's results, and the PR's branch
        `pr` on top of it, checked out, whose dvc.lock and sidecars record the PR's files
        (as a local `make report` finds its workspace)."""
        repo = self.root / "repo"
        repo.mkdir(parents=True, exist_ok=True)
        git(repo, "init", "-q", "-b", "main")
        git(repo, "config", "user.email", "t@example.invalid")
        git(repo, "config", "user.name", "T")
        (repo / "params.yaml").write_text(yaml.safe_dump(self.raw))
        if record_champion:
            ident = holdout.identity(self.holdout, self.target)
            storage.write_json(repo / "reports" / "validation.json", {"holdout": {
                "rows": len(self.holdout), "fingerprint": fingerprint or ident["fingerprint"]}})
            y = self.holdout[self.target].to_numpy(dtype=float if self.regression else object)
            recorded: dict[str, Any] = {}
            for model, key in (("model", "champion"), ("rule_baseline", "rule_baseline"),
                               ("dummy", "dummy")):
                if key in self.proba and self.regression:
                    recorded[model] = {"quality": metrics.regression_quality(y, self.proba[key])}
                elif key in self.proba:
                    recorded[model] = {"quality": metrics.quality(
                        y, self.proba[key], self.classes, self.params.data.target.positive)}
            storage.write_json(repo / "reports" / "metrics.json", recorded)
            self.record(repo, {"model": "champion", "rule_baseline": "rule_baseline",
                               "dummy": "dummy"})
        git(repo, "add", "-A")
        git(repo, "commit", "-qm", "main")
        git(repo, "checkout", "-q", "-b", "pr")
        self.record(repo, {"model": "challenger", "rule_baseline": "rule_baseline",
                           "dummy": "dummy"})
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "--allow-empty", "-m", "The PR's model")
        return repo

    def record(self, repo: Path, models: dict[str, str]) -> None:
        """dvc.lock and the sidecars of ``models`` (path name -> file), as a commit records
        them (what champion.recorded and provenance read)."""
        from mlproject.verdict.provenance import md5_of

        outs = []
        (repo / "models").mkdir(exist_ok=True)
        for model, key in models.items():
            if key in self.files:
                sidecar = artifact.sidecar(self.files[key])
                (repo / "models" / f"{model}.json").write_bytes(sidecar.read_bytes())
                outs.append({"path": f"models/{model}.skops", "md5": md5_of(self.files[key])})
        (repo / "dvc.lock").write_text(yaml.safe_dump(
            {"schema": "2.0", "stages": {"train": {"cmd": "train", "outs": outs}}}))


def tamper(folder: Path, change) -> Path:
    """Rewrite evidence.json through ``change(raw dict)``."""
    path = folder / ev.FILE
    raw = json.loads(path.read_text())
    change(raw)
    path.write_text(json.dumps(raw))
    return folder
