"""init-data: replace the starter data with your own CSV or Parquet file.

    mlproject init-data path/to/file.csv --target churned [--positive yes] [--commit]

Reads the file and infers reader options, column types and the target's classes. On the
training split the pipeline will make, it warns about leaked and id-like features and chooses
the rule baseline; from the classes it chooses the metric that judges the predicted class
(balanced accuracy when the positive class is the majority, else F1, with the reason written
into params.yaml), and from the holdout's size the gate's tolerances. It rewrites the
data-related sections of params.yaml (comments and every other key kept), points the prepare
stage at the new file, tracks it with DVC, clears the previous results and runs the
pipeline, so the first commit records the new data's own results. Then main's model is judged
under the gate just written, against itself and seed-only retrains (adopt/selfcheck.py); what
noise alone fails is loosened, and the last line says whether main passes its own gate.
Everything is checked before anything is written: bad input stops with one line and leaves the
project as it was.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pandas as pd

from mlproject import leakage, schema, storage
from mlproject.adopt import commit, infer, params_file, selfcheck, tolerance
from mlproject.adopt.rename import clear_results
from mlproject.adopt.rule import Choice, best_rule
from mlproject.config import Params, parse_params
from mlproject.errors import PipelineError
from mlproject.from_yaml import safe_load
from mlproject.gate import load_rules
from mlproject.stages.prepare import carve_holdout
from mlproject.stages.split import split

MAX_MB = 5000  # a larger file needs a bigger machine than init-data assumes
CAP = "the limit of init-data, adopt.init_data.MAX_MB"


def sections(raw: dict, reader: dict, df: pd.DataFrame, target: str, positive: str | None,
             size_mb: float) -> tuple[dict, list[str]]:
    """(the params.yaml sections describing this data set, columns not used as features).

    Keys of these sections that init-data does not infer keep their values from ``raw``.
    """
    classes, positive, labels = infer.target_classes(df, target, positive)
    kinds = infer.column_kinds(df, target)
    numeric = {c: {"min": None, "max": None} for c, k in kinds.items() if k == "numeric"}
    categorical = {c: sorted(df[c].dropna().astype(str).unique().tolist())
                   for c, k in kinds.items() if k == "categorical"}
    excluded = [c for c, k in kinds.items() if k == "excluded"]
    if not numeric and not categorical:
        raise PipelineError("no usable feature columns: every column is an identifier or text")
    target_spec: dict = {"column": target, "classes": classes}
    if positive is not None:
        target_spec["positive"] = positive
    if labels:
        target_spec["labels"] = labels
    old = {k: raw.get(k) if isinstance(raw.get(k), dict) else {}
           for k in ("data", "schema", "evaluate")}
    return {
        "data": {"reader": reader, "max_file_mb": max(100, round(size_mb * 4)),
                 "holdout_fraction": old["data"].get("holdout_fraction", 0.2),
                 "holdout_seed": old["data"].get("holdout_seed", 42), "target": target_spec},
        "schema": {**old["schema"], "numeric": numeric, "categorical": categorical,
                   "datetime": [c for c, k in kinds.items() if k == "datetime"],
                   "extra_columns": "drop" if excluded else "reject",
                   "duplicates": "drop", "min_rows": min(100, max(10, len(df) // 20))},
        "baseline": {"rule": []},
        "evaluate": {**old["evaluate"], "slices": [], "expectations": {}},
    }, excluded


def splits(source: Path, params: Params) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(training split, holdout) exactly as the pipeline will make them, both validated."""
    data = params.data
    typed = schema.typed(storage.read_raw(source, data.reader, data.max_file_mb), params,
                         str(source))
    rest, holdout = carve_holdout(typed, data.holdout_fraction, data.holdout_seed)
    checks = schema.data_schema(params.schema, data.target)
    for name, table in (("training rows", rest), ("holdout", holdout)):
        schema.validate(table, checks, f"{source.name} ({name})")
    return split(rest, params)[0], holdout


def point_pipeline_at(dvc_yaml: Path, file_name: str) -> str:
    """dvc.yaml's text with the prepare stage reading data/<file_name> and carving its holdout
    from it (no separate holdout file)."""
    text = dvc_yaml.read_text(encoding="utf-8")
    if not re.search(r"--train\s+data/\S+", text):
        raise PipelineError(f"{dvc_yaml}: no `mlproject prepare --train data/...` command to "
                            "point at the new file")
    text = re.sub(r"--train\s+data/\S+", f"--train data/{file_name}", text)
    return re.sub(r"\s+--holdout\s+data/\S+", "", text)


def main(source: Path, target: str, separator: str | None = None, header: bool | None = None,
         missing: list[str] | None = None, positive: str | None = None, run: bool = True,
         commit_now: bool = False, root: Path = Path("."), retrains: int = 3) -> None:
    """Make ``source`` the project's data (the steps are in the module's docstring)."""
    if commit_now and not run:
        raise PipelineError("--commit records the pipeline's results: drop --no-run")
    source, root = source.resolve(), root.resolve()
    params_text = (root / "params.yaml").read_text(encoding="utf-8")
    raw = safe_load(params_text) or {}
    reader, df = infer.read(source, separator, header, missing, MAX_MB, CAP)
    new, excluded = sections(raw, reader, df, target, positive, source.stat().st_size / 1e6)
    params = parse_params({**raw, **new})
    train, holdout = splits(source, params)
    findings = leakage.scan(train, target, params.numeric_features,
                            params.categorical_features, datetime=params.schema.datetime)
    flagged = {f.column for f in findings}  # never the rule, never a slice
    classes = params.data.target.classes
    primary, why = tolerance.primary_metric(train[target].astype(str).value_counts().to_dict(),
                                            params.data.target.positive)
    choice = best_rule(train, target, [c for c in params.numeric_features
                                       if c not in params.schema.datetime],
                       params.categorical_features, params.data.target.positive, flagged,
                       objective=primary)
    fit = tolerance.for_holdout(holdout[target].value_counts().to_dict())
    new["baseline"]["rule"] = choice.rule
    new["evaluate"].update(slices=infer.slice_columns(
        df, {c: "categorical" for c in params.categorical_features if c not in flagged}))
    gate = tolerance.gate_section(raw.get("gate"), fit, primary, len(classes))
    report = raw.get("report") if isinstance(raw.get("report"), dict) else None
    for name, section in (("gate", gate),
                          ("report", {**report, "headline": tolerance.with_metrics(
                              list(report.get("headline") or []), primary, len(classes),
                              product=True)} if report and report.get("headline") else None),
                          ("refresh", {**raw["refresh"], "files": [source.name]}
                           if isinstance(raw.get("refresh"), dict) else None)):
        if section is not None:
            new[name] = section
    text = params_file.note(params_file.render(params_text, new), "gate",
                            f"{primary} judges the predicted class: {why}")
    parse_params(safe_load(text))  # never write params that would not load
    load_rules(safe_load(text))  # nor a gate that would be refused
    dvc_text = point_pipeline_at(root / "dvc.yaml", source.name)
    # every check passed: from here on the project changes
    storage.write_bytes(root / "params.yaml", text.encode("utf-8"))
    storage.write_bytes(root / "dvc.yaml", dvc_text.encode("utf-8"))
    replace_data(root / "data", source)
    describe(params, df, excluded, findings, choice, fit, why)
    for cmd in (["dvc", "add", "-q", "data"], ["dvc", "push", "-q", "data.dvc"]):
        _run(cmd, root)
    clear_results(root)  # earlier results (the starter's) must not reach the first commit
    if not run:
        print("init-data: the previous results are cleared; run `dvc repro`, then commit "
              "params.yaml, dvc.yaml, data.dvc and the results")
        return
    if subprocess.run(["dvc", "repro"], cwd=root).returncode:
        raise PipelineError("the pipeline failed on the new data (see above); fix params.yaml "
                            "and run `dvc repro` again")
    failing = fit_gate(root, text, retrains)
    paths, message = commit.paths(root), f"Adopt {source.name}: predict {target}"
    if commit_now:
        print(f"init-data: committed {commit.record(root, paths, message)}"
              + (f"; main fails its own gate: {failing}" if failing else
                 "; main passes its own gate"))
    else:
        print("init-data: next, review params.yaml, then record the new data and its "
              f"results in one commit:\n  {commit.command(paths, message)}")
        print(f"init-data: warning: main fails its own gate: {failing}" if failing else
              "init-data: main passes its own gate")


def fit_gate(root: Path, text: str, retrains: int) -> str:
    """Judge main against itself and ``retrains`` seed-only retrains with the gate just
    written; loosen what noise alone failed (params.yaml rewritten); return what main still
    fails, in one line ("" when it passes)."""
    raw = safe_load(text)
    gate, notes, failing = selfcheck.check(raw, root / "artifacts" / "prepared",
                                           root / "models", retrains)
    for note in notes:
        print(f"init-data: fitted to what noise does: {note}")
    if gate is not None:
        text = params_file.render(text, {"gate": gate})
        storage.write_bytes(root / "params.yaml", text.encode("utf-8"))
    if failing:
        print("init-data: warning: under its own gate, "
              + "; ".join(failing[:5]) + (f"; and {len(failing) - 5} more" if len(failing) > 5
                                          else "")
              + ". Every pull request fails until the model (train.model) or these rules "
              "(gate: in params.yaml) change.")
        return selfcheck.first_failures(failing)
    print(f"init-data: main's model passes its own gate, against itself and {retrains} "
          "retrain(s) with other split seeds")
    return ""


def replace_data(data: Path, source: Path) -> None:
    """Make ``source`` the only file in data/ (it may be there already)."""
    data.mkdir(exist_ok=True)
    for old in data.iterdir():
        if old.resolve() != source:
            shutil.rmtree(old) if old.is_dir() else old.unlink()
    if source.parent != data.resolve():
        shutil.copy(source, data / source.name)


def describe(params: Params, df: pd.DataFrame, excluded: list[str],
             findings: list[leakage.Finding], choice: Choice, fit: dict, why: str) -> None:
    """Print what was inferred, the warnings, the rule and the gate's tolerances."""
    sc, target = params.schema, params.data.target
    print(f"init-data: {len(df):,} rows; target {target.column!r} with classes "
          f"{', '.join(target.classes)}"
          + (f" (positive: {target.positive}; --positive to change)" if target.positive else "")
          + f"; {len(sc.numeric)} numeric, {len(sc.categorical)} categorical, "
          f"{len(sc.datetime)} datetime column(s)"
          + (f"; not used as features: {', '.join(excluded)}" if excluded else ""))
    for finding in findings:
        print(f"init-data: warning: {finding}")
    rule = " and ".join(f"{c['column']} {c['op']} {c['value']}" for c in choice.rule) or "none"
    print(f"init-data: the gate: {why}")
    print(f"init-data: rule baseline: {rule} ({choice.f1:.4f} on the training split)")
    if choice.classes_predicted < 2:
        print("init-data: warning: no rule of one or two conditions predicts more than one "
              "class here; the rule baseline is weak, so judge the model by the gate's other "
              "rules")
    drops = ", ".join(f"{k} {v}" for k, v in fit["max_drop"].items())
    print(f"init-data: gate tolerances for this holdout: max drop {drops}; slices judged with "
          f"at least {fit['slices']['min_class_rows']} rows of every class")


def _run(cmd: list[str], root: Path) -> None:
    done = subprocess.run(cmd, cwd=root, capture_output=True, text=True)
    if done.returncode:
        reason = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise PipelineError(f"{' '.join(cmd)} failed: {reason}")
