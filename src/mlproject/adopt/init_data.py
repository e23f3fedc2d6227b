"""init-data: replace the starter data with your own CSV or Parquet file.

    mlproject init-data path/to/file.csv --target churned [--positive yes] [--commit]

Reads the file and infers reader options, column types and the target's classes. On the
training split the pipeline will make, it warns about leaked and id-like features and chooses
the rule baseline and, when it is small, the size of the starter's boosted trees
(adopt/capacity.py); from the classes it chooses the metric that judges the predicted class
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
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import yaml

from mlproject import leakage, schema, storage
from mlproject.adopt import capacity, commit, infer, params_file, selfcheck, tolerance
from mlproject.adopt.rename import clear_results
from mlproject.adopt.rule import Choice, ValueChoice, best_rule, best_value_rule
from mlproject.config import Params, parse_params
from mlproject.errors import PipelineError
from mlproject.from_yaml import safe_load
from mlproject.gate import load_rules
from mlproject.monitor.settings import VALUE_METRICS
from mlproject.report import REGRESSION_HEADLINE
from mlproject.stages.prepare import carve_holdout
from mlproject.stages.split import split

MAX_MB = 5000  # a larger file needs a bigger machine than init-data assumes
CAP = "the limit of init-data, adopt.init_data.MAX_MB"
# What a project that adopted a regression target drops or restores on adopting a class target
CONFIDENCE_THRESHOLD = 0.8  # the starter's predict.confidence_threshold
REGRESSION_LOSSES = ("squared_error", "absolute_error", "poisson", "gamma", "quantile")


def sections(raw: dict, reader: dict, df: pd.DataFrame, target: str, positive: str | None,
             size_mb: float, task: str = "classification") -> tuple[dict, list[str]]:
    """(the params.yaml sections describing this data set, columns not used as features).

    Keys of these sections that init-data does not infer keep their values from ``raw``.
    """
    if task == "regression":
        if positive is not None:
            raise PipelineError("--positive names a class: a regression target has none")
        infer.target_values(df, target)
        classes, labels = [], {}
    else:
        classes, positive, labels = infer.target_classes(df, target, positive)
    kinds = infer.column_kinds(df, target)
    numeric = {c: {"min": None, "max": None} for c, k in kinds.items() if k == "numeric"}
    categorical = {c: sorted(df[c].dropna().astype(str).unique().tolist())
                   for c, k in kinds.items() if k == "categorical"}
    excluded = [c for c, k in kinds.items() if k == "excluded"]
    if not numeric and not categorical:
        raise PipelineError("no usable feature columns: every column is an identifier or text")
    target_spec: dict = {"column": target, "task": "regression"} if task == "regression" \
        else {"column": target, "classes": classes}
    if positive is not None:
        target_spec["positive"] = positive
    if labels:
        target_spec["labels"] = labels
    old = {k: raw.get(k) if isinstance(raw.get(k), dict) else {}
           for k in ("data", "schema", "evaluate")}
    predict = raw.get("predict") if isinstance(raw.get("predict"), dict) else {}
    if task == "regression":
        extra = {"predict": {"tolerance": tolerance_of(df[target])}}
    elif "tolerance" in predict:  # written for a regression target: a class target's again
        extra = {"predict": {**{k: v for k, v in predict.items() if k != "tolerance"},
                             "confidence_threshold": predict.get("confidence_threshold",
                                                                 CONFIDENCE_THRESHOLD)}}
    else:
        extra = {}
    return extra | {
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


def tolerance_of(values: pd.Series) -> dict:
    """predict.tolerance for a regression target: within 10 % of the truth, or of a typical
    value (a tenth of the median |target|) for the values near zero."""
    typical = float(pd.to_numeric(values, errors="coerce").abs().median())
    return {"relative": 0.1, "absolute": tolerance._significant(0.1 * typical) or 1.0}


def heavy_tailed(values: pd.Series) -> bool:
    """A right tail long enough that squared error chases it (skewness above 2)."""
    from scipy.stats import skew

    numbers = pd.to_numeric(values, errors="coerce").dropna().to_numpy(dtype=float)
    return len(numbers) > 2 and numbers.std() > 0 and float(skew(numbers)) > 2


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


def _plot(name: str, x: str, y: str, template: str) -> str:
    return (f"      - reports/plots/{name}.csv:\n          cache: false\n          persist: true\n"
            f"          x: {x}\n          y: {y}\n          template: {template}\n")


# The evaluate stage's plots: the files mlproject.stages.evaluate writes for each task.
PLOTS = {
    "classification": "    plots:\n" + "".join(_plot(*p) for p in (
        ("roc", "fpr", "tpr", "simple"), ("precision_recall", "recall", "precision", "simple"),
        ("calibration", "predicted", "observed", "simple"),
        ("threshold", "threshold", "coverage", "simple"),
        ("confusion", "predicted", "actual", "confusion"))),
    "regression": "    plots:\n" + "".join(_plot(*p) for p in (
        ("predicted_actual", "predicted", "actual", "simple"),
        ("residuals", "decile", "residual", "simple"))),
}
EVALUATE_PLOTS = re.compile(r"(\n  evaluate:\n(?:    [^\n]*\n|      [^\n]*\n|\n)*?)"
                            r"    plots:\n(?:      [^\n]*\n)*")


def point_pipeline_at(dvc_yaml: Path, file_name: str, task: str = "classification") -> str:
    """dvc.yaml's text with the prepare stage reading data/<file_name> and carving its holdout
    from it (no separate holdout file), and the evaluate stage declaring the plots of
    ``task``."""
    text = dvc_yaml.read_text(encoding="utf-8")
    if not re.search(r"--train\s+data/\S+", text):
        raise PipelineError(f"{dvc_yaml}: no `mlproject prepare --train data/...` command to "
                            "point at the new file")
    text = re.sub(r"--train\s+data/\S+", f"--train data/{file_name}", text)
    text = re.sub(r"\s+--holdout\s+data/\S+", "", text)
    if EVALUATE_PLOTS.search(text):
        text = EVALUATE_PLOTS.sub(lambda m: m.group(1) + PLOTS[task], text, count=1)
    return text


def main(source: Path, target: str, separator: str | None = None, header: bool | None = None,
         missing: list[str] | None = None, positive: str | None = None, run: bool = True,
         commit_now: bool = False, root: Path = Path("."), retrains: int = 3,
         task: str | None = None) -> None:
    """Make ``source`` the project's data (the steps are in the module's docstring)."""
    if commit_now and not run:
        raise PipelineError("--commit records the pipeline's results: drop --no-run")
    source, root = source.resolve(), root.resolve()
    readable(root)
    params_text = (root / "params.yaml").read_text(encoding="utf-8")
    raw = safe_load(params_text) or {}
    reader, df = infer.read(source, separator, header, missing, MAX_MB, CAP)
    task = infer.task(df, target, task)
    new, excluded = sections(raw, reader, df, target, positive, source.stat().st_size / 1e6,
                             task)
    params = parse_params({**raw, **new})
    regression = params.data.target.regression
    train, holdout = splits(source, params)
    findings = leakage.scan(train, target, params.numeric_features,
                            params.categorical_features, datetime=params.schema.datetime,
                            regression=regression)
    flagged = {f.column for f in findings}  # never the rule, never a slice
    numeric = [c for c in params.numeric_features if c not in params.schema.datetime]
    report = raw.get("report") if isinstance(raw.get("report"), dict) else None
    if regression:
        choice = best_value_rule(train, target, numeric, params.categorical_features, flagged)
        fit = tolerance.for_values(holdout[target].to_numpy(dtype=float))
        gate = tolerance.regression_gate(raw.get("gate"), fit)
        headline = REGRESSION_HEADLINE if report and report.get("headline") else None
        why = "MAE and RMSE judge the predicted value (in the target's units)"
        if heavy_tailed(train[target]) and params.train.model.name == "hist_gradient_boosting":
            new["train"] = _model_params(raw["train"], lambda p: {**p, "loss": "absolute_error"})
            why += "; a long right tail: the model minimises absolute error"
    else:
        classes = params.data.target.classes
        primary, why = tolerance.primary_metric(
            train[target].astype(str).value_counts().to_dict(), params.data.target.positive)
        why = f"{primary} judges the predicted class: {why}"
        choice = best_rule(train, target, numeric, params.categorical_features,
                           params.data.target.positive, flagged, objective=primary)
        fit = tolerance.for_holdout(holdout[target].value_counts().to_dict())
        gate = tolerance.gate_section(raw.get("gate"), fit, primary, len(classes))
        shown = list(report.get("headline") or []) if report else []
        if tolerance.VALUE_NAMES & set(shown):  # written for a regression target
            shown = tolerance.CLASS_HEADLINE
        headline = tolerance.with_metrics(shown, primary, len(classes), product=True) \
            if shown else None
        if params.train.model.params.get("loss") in REGRESSION_LOSSES:
            new["train"] = _model_params(raw["train"], lambda p: {
                k: v for k, v in p.items() if k != "loss"})
    sized = capacity.choose(train, parse_params({**raw, **new}))
    if sized is not None:  # a small training split: smaller trees learn less of its noise
        new["train"] = _model_params(new.get("train") or raw["train"], lambda p: {
            **p, "max_leaf_nodes": sized.chosen.leaves, "max_iter": sized.chosen.rounds})
    monitor = raw.get("monitor") if isinstance(raw.get("monitor"), dict) else None
    if monitor is not None:  # production's quality check judges the same kind of metric
        quality = monitor.get("quality") if isinstance(monitor.get("quality"), dict) else {}
        if regression:
            quality = {**quality, "metric": "mae", "max_drop": fit["max_drop"]["mae"]}
        elif quality.get("metric") in VALUE_METRICS:
            quality = {**quality, "metric": "accuracy", "max_drop": 0.02}
        new["monitor"] = {**monitor, "quality": quality}
    new["baseline"]["rule"] = choice.rule
    new["evaluate"].update(slices=infer.slice_columns(
        df, {c: "categorical" for c in params.categorical_features if c not in flagged}))
    for name, section in (("gate", gate),
                          ("report", {**report, "headline": headline} if headline else None),
                          ("refresh", {**raw["refresh"], "files": [source.name]}
                           if isinstance(raw.get("refresh"), dict) else None)):
        if section is not None:
            new[name] = section
    text = params_file.note(params_file.render(params_text, new), "gate", why)
    parse_params(safe_load(text))  # never write params that would not load
    load_rules(safe_load(text))  # nor a gate that would be refused
    dvc_text = point_pipeline_at(root / "dvc.yaml", source.name, task)
    # every check passed: from here on the project changes
    storage.write_bytes(root / "params.yaml", text.encode("utf-8"))
    storage.write_bytes(root / "dvc.yaml", dvc_text.encode("utf-8"))
    replace_data(root / "data", source)
    describe(parse_params(safe_load(text)), df, excluded, findings, choice, fit, why)
    if sized is not None:
        print(f"init-data: model size for {len(train):,} training rows: {sized}")
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
    hint = few_shown(root)
    if hint:
        print(f"init-data: warning: {hint}")
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


FEW_SHOWN = 0.2  # below this share of predictions shown, the product metrics judge few rows


def few_shown(root: Path) -> str | None:
    """A warning when the model's predictions rarely reach `predict.confidence_threshold` on
    the holdout (several classes, a hard task): coverage and precision when shown are then
    judged on a handful of rows. It names the highest threshold that would show half of them
    (reports/plots/threshold.csv); choosing one is the project's call. None otherwise."""
    metrics = storage.read_json(root / "reports" / "metrics.json") or {}
    product = (metrics.get("model") or {}).get("product") or {}
    coverage, threshold = product.get("coverage"), product.get("threshold")
    if not isinstance(coverage, float | int) or coverage >= FEW_SHOWN:
        return None
    rows = sum(c.get("rows", 0) for c in (metrics["model"].get("per_class") or {}).values())
    counted = f" ({round(coverage * rows)} of {rows} rows)" if rows else ""
    path, better = root / "reports" / "plots" / "threshold.csv", ""
    if path.is_file():
        curve = pd.read_csv(path)
        curve = curve[(curve["model"] == "model") & (curve["coverage"] >= 0.5)]
        if not curve.empty:
            half = curve.loc[curve["threshold"].idxmax()]
            better = (f"; at {half['threshold']:g} half of them would be shown, "
                      f"{half['precision']:.0%} of those right")
    return (f"only {coverage:.0%} of the holdout's predictions{counted} reach "
            f"predict.confidence_threshold {threshold:g}, so coverage and precision when "
            f"shown are judged on few rows{better}. Set the confidence your users need in "
            "params.yaml, then run init-data again on the same file to fit the gate to it")


def _model_params(section: dict, change: Callable[[dict], dict]) -> dict:
    """The ``train`` section with ``change`` applied to the model's params."""
    model = section.get("model", {})
    return {**section, "model": {**model, "params": change(model.get("params") or {})}}


def readable(root: Path) -> None:
    """Refuse before anything changes when DVC could not read its own files (an unfinished
    merge leaves conflict markers in dvc.lock): `dvc add` would fail after data/ changed."""
    for name in ("dvc.yaml", "dvc.lock", "data.dvc"):
        path = root / name
        if not path.is_file():
            continue
        try:
            safe_load(path.read_text(encoding="utf-8"))
        except (yaml.YAMLError, UnicodeDecodeError) as exc:
            where = getattr(exc, "problem_mark", None)
            raise PipelineError(
                f"{name}: not valid YAML{f' (line {where.line + 1})' if where else ''}; "
                "resolve it (an unfinished merge?) and run init-data again: nothing was "
                "changed") from None


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
             findings: list[leakage.Finding], choice: Choice | ValueChoice, fit: dict,
             why: str) -> None:
    """Print what was inferred, the warnings, the rule and the gate's tolerances."""
    sc, target = params.schema, params.data.target
    if target.regression:
        tol = params.predict.tolerance
        what = (f"a number to predict (regression; --task classification to change), within "
                f"tolerance when off by at most {tol.relative:.0%} or {tol.absolute:g}")
    else:
        what = (f"classes {', '.join(target.classes)}"
                + (f" (positive: {target.positive}; --positive to change)"
                   if target.positive else ""))
    print(f"init-data: {len(df):,} rows; target {target.column!r}: {what}"
          + f"; {len(sc.numeric)} numeric, {len(sc.categorical)} categorical, "
          f"{len(sc.datetime)} datetime column(s)"
          + (f"; not used as features: {', '.join(excluded)}" if excluded else ""))
    for finding in findings:
        print(f"init-data: warning: {finding}")
    rule = " and ".join(f"{c['column']} {c['op']} {c['value']}" for c in choice.rule) or "none"
    print(f"init-data: the gate: {why}")
    if isinstance(choice, ValueChoice):
        print(f"init-data: rule baseline: {rule}, each group's median (MAE {choice.mae:.4g} on "
              "the training split)")
        if choice.groups < 2:
            print("init-data: warning: no rule of one or two conditions splits the rows into "
                  "groups of different medians; the rule baseline is the median")
        drops = ", ".join(f"{k} {v:g}" for k, v in _judged_drops(params, fit).items())
        print(f"init-data: gate tolerances for this holdout: max drop {drops}; slices judged "
              f"with at least {fit['slices']['min_rows']} rows")
        return
    print(f"init-data: rule baseline: {rule} ({choice.f1:.4f} on the training split)")
    if choice.classes_predicted < 2:
        print("init-data: warning: no rule of one or two conditions predicts more than one "
              "class here; the rule baseline is weak, so judge the model by the gate's other "
              "rules")
    drops = ", ".join(f"{k} {v}" for k, v in _judged_drops(params, fit).items())
    print(f"init-data: gate tolerances for this holdout: max drop {drops}; slices judged with "
          f"at least {fit['slices']['min_class_rows']} rows of every class")


def _judged_drops(params: Params, fit: dict) -> dict:
    """The gate's max_drop as written: the fitted tolerances of the metrics it judges."""
    gate = params.extra.get("gate")
    written = gate.get("max_drop") if isinstance(gate, dict) else None
    return written if isinstance(written, dict) and written else fit["max_drop"]


def _run(cmd: list[str], root: Path) -> None:
    done = subprocess.run(cmd, cwd=root, capture_output=True, text=True)
    if done.returncode:
        reason = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise PipelineError(f"{' '.join(cmd)} failed: {reason}")
