"""The judge: evidence in, verdict out, computed with this checkout's code and rules."""

from __future__ import annotations

import json

import pytest

from mlproject.verdict import run

from .helpers import SHA_HEAD, Case, tamper


def judge(folder, repo, params, event=None):
    out = repo / "reports" / "pr"
    verdict = run.judge(folder, out, params, repo, event)
    return verdict, (out / "report.md").read_text()


@pytest.fixture(scope="module")
def same(tmp_path_factory):
    """The PR's model is main's: trained with the same settings."""
    case = Case(tmp_path_factory.mktemp("same"))
    return case, *case.build()


@pytest.fixture(scope="module")
def worse(tmp_path_factory):
    """The PR trains two boosting rounds instead of sixty."""
    case = Case(tmp_path_factory.mktemp("worse"), challenger={"max_iter": 2})
    return case, *case.build()


def test_same_model_passes_and_every_integrity_check_holds(same):
    case, _, folder, repo = same
    verdict, body = judge(folder, repo, case.raw)
    assert verdict["passed"], body[:2000]
    kinds = {(c["kind"], c["metric"]): c["status"] for c in verdict["checks"]
             if c["group"] == "integrity"}
    assert kinds == {("re-scored", "challenger"): "pass", ("settings", "challenger"): "pass",
                     ("holdout", "holdout"): "pass",
                     ("recorded", "challenger"): "pass",
                     ("main's records", "champion"): "pass",
                     ("main's records", "rule_baseline"): "pass",
                     ("main's records", "dummy"): "pass"}
    assert body.startswith("## ✅ Model gate passed")


def test_a_worse_model_fails_on_changes_beyond_noise(worse):
    case, _, folder, repo = worse
    verdict, body = judge(folder, repo, case.raw)
    assert not verdict["passed"]
    failed = {c["metric"] for c in verdict["checks"] if c["status"] == "fail"}
    assert "roc_auc" in failed
    roc = next(c for c in verdict["checks"] if c["kind"] == "change" and c["metric"] == "roc_auc")
    assert roc["high"] < 0 and -roc["value"] > roc["limit"]  # beyond tolerance and noise
    assert verdict["description"].startswith("failed ")


def test_a_drop_inside_the_noise_passes(tmp_path):
    """Another seed: a different model, whose changes the intervals call noise."""
    case = Case(tmp_path, challenger={"max_iter": 60, "random_state": 11, "max_features": 0.7})
    _, folder, repo = case.build()
    verdict, body = judge(folder, repo, case.raw)
    changes = [c for c in verdict["checks"] if c["kind"] in ("change", "slice")]
    assert changes and all(c["status"] == "pass" for c in changes), body[:3000]


def test_first_pr_without_a_champion_is_judged_by_floors_and_the_rule(tmp_path):
    case = Case(tmp_path, champion=None)
    _, folder, repo = case.build(records=False)
    verdict, body = judge(folder, repo, case.raw)
    kinds = {c["kind"] for c in verdict["checks"]}
    assert "change" not in kinds and "slice" not in kinds and "rule baseline" in kinds
    assert "No champion" in body


def test_a_changed_holdout_is_said_at_the_top(tmp_path):
    case = Case(tmp_path)
    _, folder, repo = case.build(fingerprint="f" * 64)
    verdict, body = judge(folder, repo, case.raw)
    holdout = next(c for c in verdict["checks"] if c["kind"] == "holdout")
    assert holdout["status"] == "warn"
    assert "⚠️ holdout changed" in body.split("<details>", 1)[0]


def flip_first(raw: dict, model: str) -> None:
    proba = raw["models"][model]["proba"]
    proba[0] = [0.0, 1.0] if proba[0][0] > 0.5 else [1.0, 0.0]


def test_scores_the_model_file_does_not_give_fail(same, tmp_path):
    case, e, _, repo = same
    folder = tamper(case.write(e, name="forged"), lambda raw: flip_first(raw, "challenger"))
    verdict, _ = judge(folder, repo, case.raw)
    assert not verdict["passed"]
    assert any(c["kind"] == "re-scored" and c["status"] == "fail" for c in verdict["checks"])


@pytest.mark.parametrize(("field", "value", "said"), [
    ("threshold", 0.0, "confidence threshold 0, the PR's model records 0.7"),
    ("positive", "no", "positive class 'no', the PR's model records 'yes'"),
])
def test_settings_the_model_does_not_record_fail(same, field, value, said):
    """A run that judges its model at a threshold of 0 shows every prediction: a coverage
    that fell would be hidden. The evidence's settings must be the model's own."""
    case, e, _, repo = same
    folder = tamper(case.write(e, name=f"forged-{field}"),
                    lambda raw: raw.update({field: value}))
    verdict, body = judge(folder, repo, case.raw)
    assert not verdict["passed"]
    check = next(c for c in verdict["checks"] if c["kind"] == "settings")
    assert check["status"] == "fail" and said in check["detail"], check
    assert said in body


def test_the_evidences_scores_of_mains_models_are_not_used(same, tmp_path):
    """The judge scores main's model itself: forged champion scores change nothing."""
    case, e, folder, repo = same
    honest, _ = judge(folder, repo, case.raw)
    forged = tamper(case.write(e, name="forged-champion"),
                    lambda raw: flip_first(raw, "champion"))
    verdict, _ = judge(forged, repo, case.raw)
    def scored(v: dict) -> list:  # everything but the timings, measured anew on each run
        return [c for c in v["checks"] if c["group"] != "system"]

    assert verdict["passed"] and scored(verdict) == scored(honest)


def test_leaving_mains_model_out_does_not_make_a_first_pr(worse, tmp_path):
    case, e, _, repo = worse
    models = {k: v for k, v in e.models.items() if k != "champion"}
    info = e.champion.model_copy(update={"source": "none"})
    folder = case.write(e.model_copy(update={"models": models, "champion": info}), "no-champ")
    for name in ("champion.skops", "champion.json"):
        (folder / name).unlink()
    verdict, _ = judge(folder, repo, case.raw)
    assert not verdict["passed"] and verdict["checks"] == []
    assert verdict["description"].startswith("main records a model at ")


def swap_champion(folder, model_dir) -> None:
    """Put another model file (and its sidecar) where main's model should be."""
    (folder / "champion.skops").write_bytes((model_dir / "model.skops").read_bytes())
    (folder / "champion.json").write_bytes((model_dir / "model.json").read_bytes())


def test_another_model_passed_off_as_mains_fails(worse, tmp_path):
    """The PR's own (worse) model in main's place, as if rebuilt: it does not score main's
    holdout as main recorded, so the verdict fails whatever the scores say."""
    case, e, _, repo = worse
    info = e.champion.model_copy(update={"source": "rebuilt"})
    folder = case.write(e.model_copy(update={"champion": info}), "swapped")
    swap_champion(folder, case.root / "models")
    verdict, _ = judge(folder, repo, case.raw)
    assert not verdict["passed"]
    assert any(c["kind"] == "main's records" and c["status"] == "fail"
               for c in verdict["checks"])


def test_on_a_changed_holdout_mains_model_must_be_mains_bytes(tmp_path):
    case = Case(tmp_path, challenger={"max_iter": 2})
    e, _, repo = case.build(fingerprint="f" * 64)
    folder = case.write(e, "swapped")
    swap_champion(folder, case.root / "models")
    verdict, _ = judge(folder, repo, case.raw)
    assert not verdict["passed"]
    assert any(c["kind"] == "main's file" and c["status"] == "fail" for c in verdict["checks"])


def test_a_model_main_cannot_load_fails_the_verdict(same, tmp_path):
    """A sidecar that claims another scikit-learn (the one the PR's commit records): the model
    cannot be scored here, and unchecked scores are never taken instead."""
    case, e, _, repo = same
    folder = case.write(e, "old-sklearn")
    recorded = repo / "models" / "model.json"
    honest = recorded.read_text()
    meta = json.loads(honest)
    meta["versions"]["scikit-learn"] = "0.0"
    recorded.write_text(json.dumps(meta))
    try:
        verdict, _ = judge(folder, repo, case.raw)
    finally:
        recorded.write_text(honest)
    assert not verdict["passed"]
    assert verdict["description"].startswith("this PR's model cannot be loaded by main's code")


def test_evidence_for_another_commit_is_refused(same, tmp_path):
    case, _, folder, repo = same
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"workflow_run": {"head_sha": "9" * 40, "conclusion": "success"},
                                 "repository": {"full_name": "acme/mlci"}}))
    verdict, body = judge(folder, repo, case.raw, event)
    assert not verdict["passed"] and verdict["checks"] == []
    assert "the evidence is about 111111111111, the run was for 999999999999" in body
    assert verdict["pr"] == 7  # the PR can still be told why


def test_a_failed_pipeline_is_a_failed_verdict(same, tmp_path):
    case, e, _, repo = same
    from mlproject.verdict import scoring

    failed = case.write(scoring.failed(e.pr, "make repro failed"), name="failed")
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"workflow_run": {"head_sha": SHA_HEAD, "conclusion": "failure"},
                                 "repository": {"full_name": "acme/mlci"}}))
    verdict, body = judge(failed, repo, case.raw, event)
    assert not verdict["passed"]
    assert "the pipeline failed on this pull request: make repro failed" in body


def test_a_base_that_is_not_in_main_is_refused(same, tmp_path):
    case, e, _, repo = same
    folder = case.write(e.model_copy(update={"pr": e.pr.model_copy(
        update={"base_sha": "3" * 40})}), name="elsewhere")
    verdict, _ = judge(folder, repo, case.raw)
    assert not verdict["passed"]
    assert verdict["description"] == "the evidence's base commit is not in this branch's history"


def test_the_rules_are_this_checkouts(worse, tmp_path):
    """Loosen the rules in the judge's own params (as main would): the same evidence passes."""
    case, _, folder, repo = worse
    loose = json.loads(json.dumps(case.raw))
    loose.setdefault("gate", {})
    loose["gate"] = {"max_drop": {"roc_auc": 0.5}, "beat_rule_baseline_by": {}}
    verdict, _ = judge(folder, repo, loose)
    assert verdict["passed"], [c for c in verdict["checks"] if c["status"] == "fail"]


def test_a_slice_column_main_judges_must_be_in_the_holdout(same, tmp_path):
    case, _, folder, repo = same
    raw = {**case.raw, "evaluate": {**case.raw["evaluate"], "slices": ["region", "segment"]}}
    verdict, _ = judge(folder, repo, raw)
    [missing] = [c for c in verdict["checks"] if c["kind"] == "slices"]
    assert missing["status"] == "fail" and missing["metric"] == "segment"
    assert not verdict["passed"]


def test_a_small_holdout_is_timed_on_a_batch_of_at_least_5000_rows(monkeypatch):
    """Throughput timed on 218 rows is too brief to be steady: the rows are repeated, and the
    models take turns, three to seven rounds each."""
    import pandas as pd

    from mlproject.verdict import scoring

    seen: list[tuple[str, int]] = []

    class Clock:  # the judge's clock: time passes only while a model predicts
        now = 0.0

        @classmethod
        def perf_counter(cls) -> float:
            return cls.now

    monkeypatch.setattr(scoring, "time", Clock)

    class Model:
        def __init__(self, name: str, seconds: list[float]) -> None:
            self.name, self.seconds = name, seconds

        def predict(self, records: list) -> None:
            Clock.now += 0.001

        def outputs(self, table: pd.DataFrame) -> None:
            seen.append((self.name, len(table)))
            Clock.now += self.seconds[len(seen) % len(self.seconds)]

    table = pd.DataFrame({"x": range(218)})
    steady = {"challenger": Model("a", [0.02]), "champion": Model("b", [0.03])}
    timed = scoring.timings(steady, table, 4)
    assert {n for _, n in seen} == {218 * 23} and 218 * 23 >= scoring.MIN_BATCH_ROWS
    assert [name for name, _ in seen] == ["a", "b", "b", "a", "a", "b"]  # steady: 3 rounds
    assert all(len(t.batch_rows_per_s) == 3 and len(t.latency_ms) == 4 for t in timed.values())
    seen.clear()  # throughputs that keep spreading: the most rounds
    timed = scoring.timings({"challenger": Model("a", [0.01, 0.04]),
                             "champion": Model("b", [0.02])}, table, 4)
    assert [name for name, _ in seen] == ["a", "b", "b", "a"] * 3 + ["a", "b"]
    assert all(len(t.batch_rows_per_s) == 7 for t in timed.values())


def bad_models():
    """Model files that a PR could commit (its dvc.lock records them): each must be judged."""
    import io
    import zipfile

    def bomb() -> bytes:
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z, \
                z.open("schema.json", "w", force_zip64=True) as member:
            for _ in range(64):
                member.write(b"\0" * (1 << 24))
        return out.getvalue()

    def malformed() -> bytes:
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as z:
            z.writestr("schema.json", '{"__class__": "HistGradientBoostingClassifier"}')
        return out.getvalue()

    return {"zip bomb": (bomb, "unpacks to 1,074 MB"),
            "malformed schema": (malformed, "not a readable skops model file")}


@pytest.mark.parametrize("name", list(bad_models()))
def test_a_model_file_that_cannot_be_loaded_is_a_posted_failing_verdict(tmp_path, name):
    """Bytes the PR's commit records but main's code refuses to load: a failing verdict whose
    comment says why in one line; never a traceback, never a verdict without a comment."""
    from mlproject import artifact
    from mlproject.verdict.provenance import md5_of

    from .helpers import git

    make, reason = bad_models()[name]
    case = Case(tmp_path)
    e, folder, repo = case.build()
    model = folder / "model.skops"
    model.write_bytes(make())
    meta = json.loads(model.with_suffix(".json").read_text())
    meta.update(sha256=artifact.sha256_of(model), size_bytes=model.stat().st_size)
    model.with_suffix(".json").write_text(json.dumps(meta))
    case.files["challenger"] = model
    case.record(repo, {"model": "challenger", "rule_baseline": "rule_baseline",
                       "dummy": "dummy"})
    git(repo, "commit", "-qam", "A model file main cannot load")
    assert md5_of(model) in (repo / "dvc.lock").read_text()
    verdict, body = judge(folder, repo, case.raw)
    assert not verdict["passed"]
    assert reason in verdict["description"] and "\n" not in verdict["description"]
    assert body.startswith("## ❌") and reason in body and "Traceback" not in body


def with_sidecar(case: Case, folder, repo, change) -> None:
    """The challenger's sidecar changed through ``change(dict)``, in the evidence and in a
    new commit of the PR (the sidecar the judge trusts is the one the commit records)."""
    from .helpers import git

    path = folder / "model.json"
    meta = json.loads(path.read_text())
    change(meta)
    path.write_text(json.dumps(meta))
    (repo / "models" / "model.json").write_text(json.dumps(meta))
    git(repo, "commit", "-qam", "The PR's sidecar")


@pytest.mark.parametrize("validation", ["far worse", "as good"])
def test_a_holdout_far_better_than_validation_is_warned_at_the_top(tmp_path, validation):
    """Validation ROC AUC 0.60 at training and the holdout's far higher: holdout rows most
    likely reached training. Validation as good as the holdout: no warning."""
    from mlproject import metrics

    case = Case(tmp_path)
    e, folder, repo = case.build()
    y = case.holdout["churned"].to_numpy(dtype=object)
    on_holdout = metrics.quality(y, case.proba["challenger"], case.classes,
                                 case.params.data.target.positive)["roc_auc"]
    auc = 0.60 if validation == "far worse" else on_holdout - 0.005
    with_sidecar(case, folder, repo, lambda meta: meta.update(
        validation_rows={c: 150 for c in case.classes}, validation_metrics={"roc_auc": auc}))
    verdict, body = judge(folder, repo, case.raw)
    top = body.split("| metric |")[0]
    warned = validation == "far worse"
    assert ("did holdout rows reach training?" in top) == warned, top
    assert (f"{on_holdout:.4f} on the holdout, 0.6000 on validation" in top) == warned
    assert verdict["passed"], body[:1500]  # a warning, never a failure by itself


def test_a_pr_that_changes_the_gate_is_shown_its_verdict_under_its_own_rules(worse):
    """Judged by main's rules (it fails), and told what its own `gate:` would say."""
    import yaml

    from .helpers import git

    case, e, folder, repo = worse
    loose = {**case.raw, "gate": {**case.raw["gate"], "max_drop": {"roc_auc": 0.9}}}
    (repo / "params.yaml").write_text(yaml.safe_dump(loose))
    git(repo, "commit", "-qam", "Loosen the gate")
    head = git(repo, "rev-parse", "HEAD")
    ours = case.write(e.model_copy(update={"pr": e.pr.model_copy(update={"head_sha": head})}),
                      name="loosened")
    try:
        verdict, body = judge(ours, repo, case.raw)
        assert not verdict["passed"]  # main's rules judge
        line = verdict["under_own_rules"]
        assert line.startswith("Under this PR's own `gate:`") and "would pass" in line
        assert "ℹ️ Under this PR's own" in body.split("| metric |")[0]
        (repo / "params.yaml").write_text("gate: {min: {log_loss: 0.5}}\n")
        git(repo, "commit", "-qam", "A gate main would refuse")
        head = git(repo, "rev-parse", "HEAD")
        refused = case.write(e.model_copy(update={"pr": e.pr.model_copy(
            update={"head_sha": head})}), name="refused")
        verdict, body = judge(refused, repo, case.raw)
        assert verdict["under_own_rules"].startswith("This PR's own `gate:` section would be "
                                                     "refused")
    finally:
        git(repo, "reset", "-q", "--hard", "HEAD~2")
