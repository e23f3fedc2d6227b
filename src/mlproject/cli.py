"""Command line: one subcommand per pipeline stage, plus prediction and the summary.

dvc.yaml calls these with the paths of each stage; params come from params.yaml. Any bad input
ends as one line on stderr and a non-zero exit status.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from mlproject.errors import PipelineError
from mlproject.from_yaml import safe_load

P = Path


def _stage(module: str):
    """Run ``mlproject.stages.<module>.main(params, **paths)``."""

    def run(args: argparse.Namespace) -> None:
        import importlib

        from mlproject.config import load_params

        params = load_params(args.params)
        kwargs = {k: v for k, v in vars(args).items() if k not in ("params", "func", "command")}
        importlib.import_module(f"mlproject.stages.{module}").main(params, **kwargs)

    return run


def _predict(args: argparse.Namespace) -> None:
    from mlproject import predict

    log = None
    if args.log is not None:
        from mlproject.monitor import settings

        log = settings.load(args.params).log if args.params.is_file() else settings.Log()
    predict.main(args.model, args.source, args.out, log_dir=args.log, log_settings=log)


def _monitor(args: argparse.Namespace) -> None:
    from mlproject.monitor import actions, check, settings

    s = settings.load(args.params)
    result = check.run(s, args.logs or P(s.log.dir), args.out, labels=args.labels,
                       until=args.until, hours=args.hours, reference_path=args.reference)
    actions.summary((args.out / "report.md").read_text(encoding="utf-8"))
    actions.output(status=result["status"].replace(" ", "-"),
                   retrain=str(result["retrain"]).lower())
    what = f" ({result['title']})" if result["title"] else ""
    w = result["window"]
    print(f"monitor: {result['status']}{what}: {w['predictions']:,} predictions, "
          f"{w['start']} to {w['until']} -> {args.out / 'report.md'}")


def _monitor_action(action: str):
    def run(args: argparse.Namespace) -> None:
        from mlproject.monitor import actions, settings

        if action == "fetch":
            actions.fetch(settings.load(args.params), args.out, args.until, args.hours,
                          args.labels_out)
            return
        result = actions.read_result(args.result / "monitor.json")
        print(actions.issue(result, args.result) if action == "issue"
              else actions.retrain(result))

    return run


def _simulate(args: argparse.Namespace) -> None:
    from mlproject.config import load_params
    from mlproject.monitor import simulate

    target = load_params(args.params).data.target.column
    done = simulate.run(args.url, args.rows, target, args.count, args.shift, args.share,
                        args.flip_labels, args.labels_out, args.seed, args.concurrency,
                        args.seconds)
    labels = (f"; {done['labels']:,} labels -> {args.labels_out} ({done['flipped']:,} flipped)"
              if "labels" in done else "")
    print(f"simulate-traffic: {done['sent']:,} requests answered, {done['failed']:,} failed, "
          f"{done['shifted']:,} shifted, in {done['seconds']} s{labels}")


def _max_mb(path: Path) -> float:
    """data.max_file_mb from params.yaml, without validating the rest (no data is read yet)."""
    from mlproject.config import Data

    raw = _raw_params(path).get("data")
    default = Data.__dataclass_fields__["max_file_mb"].default
    value = raw.get("max_file_mb", default) if isinstance(raw, dict) else default
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise PipelineError(f"{path}: data.max_file_mb: expected a number of megabytes > 0")
    return float(value)


def _export_onnx(args: argparse.Namespace) -> None:
    from mlproject import portable

    found = portable.write(args.model, args.holdout, args.out)
    if not found["shipped"]:
        raise PipelineError(found["reason"])
    print(f"export-onnx: {found['reason']} -> {args.out}")


def _check_data(args: argparse.Namespace) -> None:
    from mlproject import datacheck

    if args.sizes_only:
        datacheck.check_sizes(args.target, _max_mb(args.params))
    else:
        datacheck.check(args.target, _max_mb(args.params), args.out)


def _add_data(args: argparse.Namespace) -> None:
    from mlproject import datacheck

    datacheck.record(args.target, _max_mb(args.params), push=not args.no_push)


def _init_data(args: argparse.Namespace) -> None:
    from mlproject.adopt import init_data

    init_data.main(args.source, args.target, args.separator, args.header, args.missing,
                   args.positive, run=not args.no_run, commit_now=args.commit,
                   retrains=args.retrains, task=args.task)


def _rename(args: argparse.Namespace) -> None:
    from mlproject.adopt import rename

    rename.main(args.name, run=not args.no_run)


def _refresh_data(args: argparse.Namespace) -> None:
    from mlproject import refresh, tracking

    if args.reason:
        print(f"refresh-data: training asked for: {tracking.line(args.reason, 200)}")
    refresh.refresh(_raw_params(args.params).get("refresh"), max_mb=_max_mb(args.params))


def _summary(args: argparse.Namespace) -> None:
    from mlproject import summary

    summary.main(args.metrics)


def _ci(action: str):
    """The CI glue in mlproject.ci; each prints one result line for the workflow log."""

    def run(args: argparse.Namespace) -> None:
        from mlproject import ci

        if action == "record-results":
            print(ci.record_results(rev=args.rev, bundle=args.bundle))
        elif action == "push-results":
            import os

            print(ci.push_results(Path("."), args.bundle, args.event,
                                  os.environ.get("TOKEN", "")))
        elif action == "release-args":
            print("\n".join(ci.release_args(args.dir, args.version)))
        else:
            print(ci.create_release(args.dir))

    return run
def _verify_reproduced(args: argparse.Namespace) -> int:
    import os

    from mlproject import reproduce

    outcome = reproduce.verify(Path("."), args.rev)
    print(f"verify-reproduced: {outcome.line()}")
    if not outcome.reproduced and os.environ.get("GITHUB_ACTIONS"):
        print("::warning::The results recorded on main do not reproduce; a pull request will "
              "record them.")
    if os.environ.get("GITHUB_OUTPUT"):  # the promote workflow branches on it
        with open(os.environ["GITHUB_OUTPUT"], "a", encoding="utf-8") as out:
            out.write(f"stale={'false' if outcome.reproduced else 'true'}\n")
    return 0


def _raw_params(path: Path) -> dict:
    """params.yaml as plain data: report and gate parse their own sections, and skipping the
    full validation keeps scikit-learn out of the import (the report must take seconds)."""
    import yaml

    try:
        raw = safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError, UnicodeDecodeError) as exc:
        first = (str(exc).splitlines() or [type(exc).__name__])[0][:160]
        raise PipelineError(f"{path}: cannot be read as YAML: {first}") from None
    return raw if isinstance(raw, dict) else {}


def _compare(args: argparse.Namespace) -> None:
    from mlproject.verdict import evidence, scoring

    root = Path(".")
    base = _resolve_base(args.base)
    pr = scoring.pull_request(args.event, root, base)
    if args.failed:
        found = scoring.Compared(scoring.failed(pr, args.failed))
    else:
        _fresh(root)
        found = scoring.compare(root, base, pr)
    path = evidence.write(found.evidence, args.out, found.files)  # the judge re-scores them
    e = found.evidence
    champion = e.champion.source if e.champion else "none"
    print(f"compare: {path} ({e.outcome}; main's model: {champion})")


def _resolve_base(base: str | None) -> str:
    """The commit to compare with: --base, else the merge base of HEAD with main."""
    from mlproject.registry import git

    for rev in ([base] if base else ["main", "origin/main"]):
        sha = git("rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}", check=False)
        if sha:
            return sha if base else git("merge-base", "HEAD", sha)
    raise PipelineError(f"--base {base}: not a commit here (fetch it first?)" if base else
                        "no base: neither main nor origin/main exists; pass --base")


def _fresh(root: Path) -> None:
    """Refuse to compare results that `dvc status` says are stale."""
    from dvc.repo import Repo

    from mlproject import datacheck

    with Repo(str(root)) as repo:
        stale = sorted(name.rsplit(":", 1)[-1]
                       for name in datacheck.stale(repo.status(), Path(root)))
    if stale:
        raise PipelineError(f"results are stale ({', '.join(stale)} changed): run `dvc repro` "
                            "first")


def _judge(args: argparse.Namespace) -> int:
    from mlproject.verdict import run

    verdict = run.judge(args.evidence, args.out, _raw_params(args.params), Path("."),
                        args.event, args.rules_from, args.charts, args.results)
    return 1 if args.check and not verdict["passed"] else 0


def _fetch_head(args: argparse.Namespace) -> None:
    from mlproject.verdict import provenance
    from mlproject.verdict.event import read_event

    event = read_event(args.event)
    print(provenance.fetch_head(Path("."), event.head_sha, os.environ.get("TOKEN") or None))


def _publish(args: argparse.Namespace) -> None:
    from mlproject.verdict import publish

    print(publish.publish(args.verdict, args.event))


def _accept(args: argparse.Namespace) -> None:
    from mlproject.verdict import accept

    repo = args.repo or os.environ.get("GITHUB_REPOSITORY")
    if not repo:
        raise PipelineError("no repository: pass --repo or set GITHUB_REPOSITORY")
    print(accept.accept(repo, args.pr, args.sha, args.by, args.reason or ""))


def _promote(args: argparse.Namespace) -> int:
    from mlproject.registry.promote import promote

    outcome = promote(".", args.params, major=args.major, force=args.force == "true",
                      before=args.before or None, push_tags=not args.no_push)
    # a refusal fails the command (and the CI job); nothing to promote does not
    return 1 if outcome.status in ("refused", "superseded") else 0


def _rollback(args: argparse.Namespace) -> None:
    from mlproject.registry.rollback import rollback

    rollback(args.version, ".", args.params, push_tags=not args.no_push)


def _release_dir(params: Path) -> Path:
    """registry.release_dir, validated, without importing the pipeline's libraries."""
    from mlproject.registry import settings_from

    return Path(settings_from(_raw_params(params).get("registry")).release_dir)


def _push_tags(args: argparse.Namespace) -> None:
    from mlproject.registry.push import push_pending

    print(push_pending(_release_dir(args.params)))


def _notify(args: argparse.Namespace) -> None:
    from mlproject.registry import notify

    print(notify.report(_release_dir(args.params), args.job_status))


def _registry(args: argparse.Namespace) -> None:
    from mlproject.registry import load_settings, view

    show = view.show if args.action == "show" else view.history
    print(show(load_settings(args.params), ".", as_json=args.json))


def _site(args: argparse.Namespace) -> None:
    from mlproject import site
    from mlproject.registry import load_settings

    data = site.build(load_settings(args.params), args.out, ".", args.monitor,
                      site.repo_url(args.repo_url))
    print(f"site: {len(data['versions'])} version(s), {data['stage']} = "
          f"{data['production'] or 'none'} -> {args.out / 'index.html'}")


def _model(args: argparse.Namespace) -> None:
    from mlproject.registry.fetch import fetch

    fetch(args.ref, args.out, ".", args.params)


def _sweep(args: argparse.Namespace) -> None:
    from mlproject import sweep

    out = sweep.main(args.action, args.params, grid_text=args.grid, name=args.name,
                     cell=args.cell, matrix=args.matrix, base_branch=args.base_branch)
    if out:
        print(out, end="" if out.endswith("\n") else "\n")


def _serve(args: argparse.Namespace) -> None:
    from mlproject import serve
    from mlproject.monitor import settings

    log = settings.load(args.params).log if args.params.is_file() else settings.Log()
    log_dir = None if args.no_log or not log.enabled else (args.log_dir or P(log.dir))
    serve.main(serve.choose_model(args.model, args.params), args.host, args.port, log_dir, log)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mlproject", description=__doc__.splitlines()[0])
    parser.add_argument("--params", type=P, default=P("params.yaml"), help="params file")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, func, help: str, *arguments: tuple[str, dict]) -> None:
        cmd = sub.add_parser(name, help=help, description=help)
        for flag, options in arguments:
            cmd.add_argument(flag, **options)
        cmd.set_defaults(func=func)

    path = {"type": P}
    add("prepare", _stage("prepare"), "read, type and validate the raw files; write Parquet",
        ("--train", {**path, "required": True}),
        ("--holdout", {**path, "help": "default: carve data.holdout_fraction from --train"}),
        ("--out", {**path, "required": True}),
        ("--summary", {**path, "required": True, "help": "validation summary (JSON)"}))
    add("split", _stage("split"), "stratified train/validation split",
        ("table", path), ("--out", {**path, "required": True}))
    add("train", _stage("train"), "fit the model named in params and the two baselines",
        ("split_dir", path), ("--out-dir", {**path, "required": True}))
    add("evaluate", _stage("evaluate"), "metrics of model and baselines on the holdout",
        ("--holdout", {**path, "dest": "holdout_path", "required": True}),
        ("--train", {**path, "dest": "train_path", "default": None,
                     "help": "the model's training rows: also write models/reference.json"}),
        ("--models-dir", {**path, "required": True}),
        ("--out-dir", {**path, "required": True}))
    add("predict", _predict, "batch predictions from a CSV or Parquet file",
        ("model", path), ("source", path), ("--out", {**path, "required": True}),
        ("--log", {**path, "default": None, "metavar": "DIR",
                   "help": "also record the predictions in the prediction log in DIR"}))
    add("export-onnx", _export_onnx, "the model as ONNX, written only when it answers as the "
        "model does on the holdout (a release carries it too)",
        ("model", {**path, "nargs": "?", "default": P("models/model.skops")}),
        ("--holdout", {**path, "default": P("artifacts/prepared/holdout.parquet")}),
        ("--out", {**path, "default": P("build/model.onnx")}))
    data_dvc = ("target", {**path, "nargs": "?", "default": P("data.dvc")})
    add("check-data", _check_data, "fail unless data/ matches the version in data.dvc",
        data_dvc, ("--sizes-only", {"action": "store_true",
                                    "help": "only hold every file to data.max_file_mb"}),
        ("--out", {**path, "help": "then write the version checked to this JSON file"}))
    add("add-data", _add_data, "record the files under data/ as a new version (dvc add, push)",
        data_dvc, ("--no-push", {"action": "store_true", "help": "do not dvc push"}))
    add("init-data", _init_data, "replace the starter data with your own CSV or Parquet file",
        ("source", path), ("--target", {"required": True, "help": "the column to predict"}),
        ("--separator", {"help": "default: detected"}),
        ("--header", {"action": argparse.BooleanOptionalAction, "help": "default: detected"}),
        ("--missing", {"nargs": "*", "help": "missing-value markers (default: detected)"}),
        ("--positive", {"metavar": "LABEL",
                        "help": "the positive class of a binary target (default: 1, yes, true "
                                "in such pairs, else the rarer class)"}),
        ("--task", {"choices": ["classification", "regression"],
                    "help": "default: regression for a numeric target with more than 20 "
                            "distinct values, else classification"}),
        ("--no-run", {"action": "store_true", "help": "do not run the pipeline afterwards"}),
        ("--retrains", {"type": int, "default": 3, "metavar": "N",
                        "help": "seed-only retrains judged against main's model to fit the "
                                "gate to noise (default: 3; 0: main against itself only)"}),
        ("--commit", {"action": "store_true",
                      "help": "commit the new data, params and results (default: print the "
                              "command)"}))
    add("rename", _rename, "make the template yours: rename the package, reset the registry, "
        "clear the example results, re-run", ("name", {"help": "new package name"}),
        ("--no-run", {"action": "store_true", "help": "do not set up and run afterwards"}))
    add("refresh-data", _refresh_data,
        "update data/ from refresh.source; record a new version with DVC when it changed",
        ("--reason", {"default": "", "help": "why training was asked for (printed)"}))
    add("summary", _summary, "print the key metrics beside the baselines",
        ("--metrics", {**path, "default": P("reports/metrics.json")}))
    add("record-results", _ci("record-results"),
        "commit dvc.lock and the result files when they differ from the commit",
        ("--rev", {"default": "HEAD", "help": "recorded results to compare with"}),
        ("--bundle", {**path, "default": None, "help": "also write the commit as a git bundle"}))
    add("push-results", _ci("push-results"),
        "check a results commit (one commit on the PR head, result files only) and push it "
        "to the PR branch (CI: TOKEN)",
        ("--bundle", {**path, "required": True}),
        ("--event", {**path, "required": True, "help": "the workflow_run event"}))
    add("verify-reproduced", _verify_reproduced,
        "say whether the workspace results reproduce those recorded at a commit",
        ("--rev", {"default": "HEAD", "help": "the commit whose results to check"}))
    add("release-args", _ci("release-args"),
        "print validated gh release create arguments from release.json, one per line",
        ("--dir", {**path, "default": P("build/release")}), ("--version", {"default": None}))
    add("release", _ci("release"),
        "create the GitHub release of the last promotion with gh, once (needs GH_TOKEN)",
        ("--dir", {**path, "default": P("build/release")}))
    add("compare", _compare, "score this branch's model and main's on the same holdout rows; "
        "write the evidence the judge reads",
        ("--base", {"default": None, "metavar": "REV",
                    "help": "main's commit to compare with (default: merge base with main)"}),
        ("--out", {**path, "default": P("build/evidence")}),
        ("--event", {**path, "default": None, "help": "the pull_request event (CI)"}),
        ("--failed", {"default": None, "metavar": "REASON",
                      "help": "write the evidence of a run whose pipeline failed"}))
    add("judge", _judge, "judge the evidence with this checkout's code and rules; write the "
        "comment and verdict.json",
        ("--evidence", {**path, "default": P("build/evidence")}),
        ("--out", {**path, "default": P("reports/pr")}),
        ("--event", {**path, "default": None, "help": "the workflow_run event (CI)"}),
        ("--rules-from", {"default": None, "metavar": "REV",
                          "help": "take the gate's rules from params.yaml at this commit"}),
        ("--results", {**path, "default": None,
                       "help": "the results commit the pr run made (git bundle), if any"}),
        ("--check", {"action": "store_true", "help": "exit 1 when the model fails the gate"}),
        ("--charts", {"action": "store_true", "help": "also write full-size PNG charts"}))
    add("fetch-head", _fetch_head, "fetch the judged PR head commit into this clone, without "
        "checking it out (CI: TOKEN)",
        ("--event", {**path, "required": True, "help": "the workflow_run event"}))
    add("publish", _publish, "post the comment (CML) and set the `model gate` status (gh)",
        ("--verdict", {**path, "default": P("reports/pr")}),
        ("--event", {**path, "required": True, "help": "the workflow_run event"}))
    add("accept", _accept, "set `model gate` to success on a PR head despite a failing "
        "verdict, on the record (CI: the accept workflow; GH_TOKEN)",
        ("--pr", {"type": int, "required": True, "help": "the pull request number"}),
        ("--sha", {"required": True, "help": "its head commit, as the reviewer saw it"}),
        ("--by", {"required": True, "help": "the GitHub login that accepts it"}),
        ("--reason", {"help": "why, in one line (shown in the comment)"}),
        ("--repo", {"help": "owner/name (default: GITHUB_REPOSITORY)"}))
    no_push = ("--no-push", {"action": "store_true",
                             "help": "create the tags locally only (CI pushes them itself)"})
    add("promote", _promote, "register HEAD's model and assign prod when it beats production",
        ("--major", {"action": "store_true", "help": "bump the major version (breaking change)"}),
        ("--force", {"nargs": "?", "const": "true", "default": "false",
                     "choices": ["true", "false"],
                     "help": "promote the model file of a deprecated or rolled-back version"}),
        ("--before", {"default": "", "metavar": "SHA",
                      "help": "main before this push (the gate's rules come from there)"}),
        no_push)
    add("rollback", _rollback, "assign prod to an earlier version and withdraw the current one",
        ("version", {"help": "a registered version, e.g. v1.2.0"}), no_push)
    add("push-tags", _push_tags, "push the tags promote/rollback --no-push left, atomically")
    add("notify", _notify, "report the last promotion: job summary, annotation, tracking issue",
        ("--job-status", {"default": "success", "choices": ["success", "failure", "cancelled"],
                          "help": "the CI job's status so far"}))
    add("site", _site, "the registry as a static site (GitHub Pages): production, versions, "
        "cards, stage history",
        ("--out", {**path, "default": P("build/site")}),
        ("--monitor", {**path, "default": None,
                       "help": "a monitor.json to show the monitoring status from"}),
        ("--repo-url", {"default": None, "help": "https://github.com/OWNER/REPO for links "
                        "(default: from GitHub Actions' environment)"}))
    add("registry", _registry, "registry show: production and versions; history: all events",
        ("action", {"choices": ["show", "history"]}), ("--json", {"action": "store_true"}))
    add("model", _model, "model fetch VERSION|prod: install a registered model file",
        ("action", {"choices": ["fetch"]}), ("ref", {"help": "vX.Y.Z or prod"}),
        ("--out", {**path, "default": P("models/production.skops")}))
    add("sweep", _sweep, "sweep plan|run|push|pull|summary: a grid of params as DVC "
        "experiments, one runner per cell (the sweep workflow)",
        ("action", {"choices": ["plan", "run", "push", "pull", "summary"]}),
        ("--grid", {"help": "plan: key=v1,v2;key2=v3 (params keys the pipeline reads)"}),
        ("--name", {"help": "plan: the cells' name prefix; run, push: the experiment"}),
        ("--cell", {"help": "run: one cell, key=v;key2=v2"}),
        ("--matrix", {"help": "pull, summary: the JSON that plan printed"}),
        ("--base-branch", {"default": "main", "help": "summary: the branch the PR targets"}))
    add("serve", _serve, "HTTP prediction service (/predict, /health, /model)",
        ("--model", {"default": "auto",
                     "help": "a model file (default: production's, else models/model.skops)"}),
        ("--host", {"default": "127.0.0.1"}), ("--port", {"type": int, "default": 8000}),
        ("--log-dir", {**path, "default": None,
                       "help": "where the prediction log goes (default: monitor.log.dir)"}),
        ("--no-log", {"action": "store_true", "help": "do not log predictions"}))
    window = (("--until", {"default": None, "metavar": "ISO",
                           "help": "the window's end (default: now, UTC)"}),
              ("--hours", {"type": float, "default": None,
                           "help": "the window's length (default: monitor.window_hours)"}))
    add("monitor", _monitor, "compare a window of the prediction log with the model's "
        "reference: drift, predictions, quality; write monitor.json and report.md",
        ("--logs", {**path, "default": None, "help": "default: monitor.log.dir"}),
        ("--labels", {**path, "default": None,
                      "help": "true labels known so far: a CSV or Parquet file of request_id, "
                              "label (and record), or a folder of them"}),
        *window,
        ("--reference", {**path, "default": None,
                         "help": "default: models/reference.json of the window's model, from "
                                 "the workspace or git history"}),
        ("--out", {**path, "default": P("build/monitor")}))
    add("monitor-fetch", _monitor_action("fetch"), "copy the window's log files from "
        "monitor.storage and the label files from monitor.labels (CI)",
        ("--out", {**path, "default": P("build/monitor/logs")}),
        ("--labels-out", {**path, "default": P("build/monitor/labels")}), *window)
    result = ("--result", {**path, "default": P("build/monitor"),
                           "help": "the folder mlproject monitor wrote"})
    add("monitor-issue", _monitor_action("issue"),
        "open, update or close the one 'production drift' issue (CI: GH_TOKEN)", result)
    add("monitor-retrain", _monitor_action("retrain"),
        "dispatch continuous-training.yml when the result asks for retraining (CI: GH_TOKEN)",
        result)
    add("simulate-traffic", _simulate, "send holdout rows to the service on this machine, "
        "optionally shifted; write their true labels",
        ("--url", {"default": "http://127.0.0.1:8000"}),
        ("--rows", {**path, "default": P("artifacts/prepared/holdout.parquet")}),
        ("--count", {"type": int, "default": 2000, "help": "requests, one record each"}),
        ("--shift", {"action": "append", "default": [], "metavar": "COL=CHANGE",
                     "help": "age=+1sd, age=+5, age=*2 or workclass=Private (repeatable)"}),
        ("--share", {"type": float, "default": 1.0, "help": "the share of requests shifted"}),
        ("--flip-labels", {"type": float, "default": 0.0,
                           "help": "the share of labels swapped in --labels-out"}),
        ("--labels-out", {**path, "default": None, "help": "write request_id,label here"}),
        ("--seed", {"type": int, "default": 0}),
        ("--concurrency", {"type": int, "default": 4}),
        ("--seconds", {"type": float, "default": 300.0, "help": "stop sending after this"}))
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # the tools this command runs (dvc, gto) are installed beside it: find them there even when
    # it was called as .venv/bin/mlproject without activating the environment
    tools = str(Path(sys.executable).parent)
    if tools not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = os.pathsep.join(filter(None, [tools, os.environ.get("PATH")]))
    try:
        status = args.func(args)
    except PipelineError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    return status or 0


if __name__ == "__main__":
    sys.exit(main())
