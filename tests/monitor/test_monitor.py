"""mlproject monitor on real logs of a model trained on generated data (conftest.monitored): no
alarm on an unchanged window, an alarm for a shifted feature and for flipped labels, and one
line for each kind of bad input."""

from __future__ import annotations

import shutil
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pandas as pd
import pytest

from mlproject.errors import PipelineError
from mlproject.monitor import check, reference, settings
from mlproject.monitor.log import file_time

from .conftest import Monitored
from .logs import write_log

ROOT = Path(__file__).resolve().parents[2]
S = settings.parse(None)


@pytest.fixture
def model(monitored: Monitored) -> Monitored:
    return monitored


def logged(tmp_path: Path, model: Monitored, n: int = 2000, **kw) -> Path:
    """tmp_path, holding logs/ (n predictions in requests of 50), labels.csv and the model's
    reference as reference.json."""
    write_log(tmp_path / "logs", model.predictor, model.pool, model.names.target, n,
              per_request=50, labels=tmp_path / "labels.csv", **kw)
    shutil.copy(model.reference, tmp_path / "reference.json")
    return tmp_path


def run(d: Path, **kw) -> dict:
    return check.run(S, d / "logs", d / "out", reference_path=d / "reference.json", **kw)


def test_an_unchanged_window_is_normal_and_quality_holds(tmp_path, model):
    result = run(logged(tmp_path, model, 3000, seed=3), labels=tmp_path / "labels.csv")
    assert result["status"] == "normal", result["alarms"]
    assert not result["retrain"] and result["quality"]["dropped"] is False
    assert result["window"]["predictions"] == 3000 and result["window"]["requests"] == 60
    report = (tmp_path / "out" / "report.md").read_text()
    assert report.startswith("## ✅ No drift") and "```mermaid" in report


def test_a_numeric_shift_of_30_percent_of_requests_is_found(tmp_path, model):
    feature = model.names.numeric
    result = run(logged(tmp_path, model, shifts=[f"{feature}=+1sd"], share=0.3))
    assert result["status"] == "drift" and result["title"].startswith(feature)
    assert result["retrain"] and result["features"][feature]["drift"]["value"] > 0.2
    assert f"## 🔴 Production drift: {feature}" in (tmp_path / "out" / "report.md").read_text()


def test_a_category_mix_change_and_flipped_labels_are_found(tmp_path, model):
    names = model.names
    result = run(logged(tmp_path, model, shifts=[f"{names.categorical}={names.rare}"],
                        share=0.3, flip=0.1), labels=tmp_path / "labels.csv")
    alarms = {(a["kind"], a["name"]) for a in result["alarms"]}
    assert {("features", names.categorical), ("quality", "accuracy")} <= alarms, alarms
    q = result["quality"]
    assert q["dropped"] and q["interval"][1] < -0.02 and q["matched"] == 2000


def test_a_small_window_judges_nothing(tmp_path, model):
    result = run(logged(tmp_path, model, 200, shifts=[f"{model.names.numeric}=+1sd"]))
    assert result["status"] == "too few predictions" and not result["alarms"]


def test_the_reference_is_found_in_the_workspace_by_the_models_sha(tmp_path, model):
    d = logged(tmp_path, model, 300)
    result = check.run(S, d / "logs", d / "out", root=model.root)
    assert result["model"]["reference"] == "models/reference.json"


def one_line(func) -> str:
    with pytest.raises(PipelineError) as err:
        func()
    assert "\n" not in str(err.value)
    return str(err.value)


def test_bad_input_is_one_line(tmp_path, model):
    d = logged(tmp_path, model, 300)
    empty = tmp_path / "empty"
    empty.mkdir()
    assert "no completed log file" in one_line(lambda: check.run(S, empty, d / "o"))
    other = dict(reference.read(model.reference))
    other["model"] = {**other["model"], "sha256": "0" * 64}
    reference.write(tmp_path / "other.json", other)
    assert "describes model 000000000000" in one_line(
        lambda: check.run(S, d / "logs", d / "o", reference_path=tmp_path / "other.json"))
    assert "no reference for model" in one_line(
        lambda: check.run(S, d / "logs", d / "o", root=tmp_path))
    assert "not an ISO time" in one_line(lambda: run(d, until="yesterday"))
    labels = tmp_path / "unknown.csv"
    a_class = model.predictor.classes[0]
    labels.write_text(f"request_id,label\nnope-1,{a_class}\n")
    assert "none of its 1 label(s)" in one_line(lambda: run(d, labels=labels))
    labels.write_text("request_id,label\nr0-0,maybe\n")
    assert "'maybe'" in one_line(lambda: run(d, labels=labels))
    labels.write_text("id,truth\n1,2\n")
    assert "needs the columns request_id and label" in one_line(lambda: run(d, labels=labels))
    single = tmp_path / "single.csv"
    single.write_text(f"request_id,label\nr0-0,{a_class}\n")
    assert "add a record column" in one_line(lambda: run(d, labels=single))
    good = sorted((d / "logs").glob("*.parquet"))[0]
    corrupt = d / "logs" / good.name.replace("-1.parquet", "-9.parquet")
    corrupt.write_bytes(b"PAR1 not really")
    assert f"{corrupt}: not a readable Parquet file" in one_line(lambda: run(d))
    corrupt.unlink()
    pd.DataFrame({"a": [1]}).to_parquet(corrupt)
    assert "not a prediction log" in one_line(lambda: run(d))


def test_an_old_window_has_no_predictions(tmp_path, model):
    d = logged(tmp_path, model, 200)
    # a window from 25 to 40 minutes after the file began: the file can hold such rows
    # (monitor.log.rotate_minutes is 60), this one does not
    first = file_time(sorted((d / "logs").glob("*.parquet"))[0].name)
    until = (first + timedelta(minutes=40)).isoformat()
    assert "no predictions between" in one_line(lambda: run(d, until=until, hours=0.25))


@pytest.mark.parametrize("raw, key", [
    ({"drift": {"numeric": 0}}, "monitor.drift.numeric"),
    ({"drift": {"categorical": 1.5}}, "monitor.drift.categorical"),
    ({"min_predictions": 10}, "monitor.min_predictions"),
    ({"quality": {"metric": "f2"}}, "monitor.quality.metric"),
    ({"quality": {"resamples": 10}}, "monitor.quality.resamples"),
    ({"log": {"max_total_mb": 10, "rotate_mb": 32}}, "monitor.log.max_total_mb"),
    ({"window_hours": 24 * 40}, "monitor.window_hours"),
    ({"retrain_on": ["volume"]}, "monitor.retrain_on[0]"),
    ({"treshold": 1}, "monitor.treshold"),
])
def test_nonsensical_settings_are_refused_naming_the_key(raw, key):
    assert f"params.yaml: {key}:" in one_line(lambda: settings.parse(raw))


def test_the_reference_has_the_same_bytes_when_written_again(tmp_path, model):
    names = model.names
    profile = reference.profile(model.train, model.holdout, model.predictor, names.target,
                                names.positive)
    reference.write(tmp_path / "reference.json", profile)
    assert (tmp_path / "reference.json").read_bytes() == model.reference.read_bytes()


def test_the_cli_writes_outputs_and_exits_0_on_drift_1_on_bad_input(tmp_path, model):
    d = logged(tmp_path, model, shifts=[f"{model.names.numeric}=+1sd"], share=0.3)
    (d / "params.yaml").write_text("monitor: {}\n")  # the defaults
    out = tmp_path / "github_output"
    env = {"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin", "GITHUB_OUTPUT": str(out),
           "PYTHONPATH": str(ROOT / "src")}
    cmd = [sys.executable, "-m", "mlproject.cli", "monitor", "--logs", str(d / "logs"),
           "--reference", str(d / "reference.json"), "--out", str(d / "cli")]
    done = subprocess.run(cmd, cwd=d, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "status=drift\nretrain=true\n" in out.read_text()
    shutil.rmtree(d / "logs")
    done = subprocess.run(cmd, cwd=d, env=env, capture_output=True, text=True)
    assert done.returncode == 1 and done.stderr.count("\n") == 1


def test_labels_in_a_folder_of_csv_and_parquet_files_are_read_together(tmp_path, model):
    d = logged(tmp_path, model, 600)
    labels = pd.read_csv(d / "labels.csv", dtype=str)
    folder = tmp_path / "labels"
    folder.mkdir()
    labels.iloc[:250].to_csv(folder / "monday.csv", index=False)
    labels.iloc[250:].to_parquet(folder / "tuesday.parquet")
    (folder / "README.md").write_text("not labels")
    result = run(d, labels=folder)
    assert result["quality"]["labels"] == result["quality"]["matched"] == 600
    empty = tmp_path / "no-labels"
    empty.mkdir()
    assert "no labels file (.csv or .parquet)" in one_line(lambda: run(d, labels=empty))
    (folder / "broken.csv").write_text("request_id,label\n\"unterminated\n")
    assert "broken.csv" in one_line(lambda: run(d, labels=folder))


def test_a_small_skewed_three_class_project_is_monitored(tmp_path):
    """480-odd training rows, three classes of which one is rare: unchanged windows are
    normal, a category mix change is found, and labels of every class are judged."""
    from mlproject.config import parse_params
    from mlproject.predict import Predictor
    from mlproject.stages import prepare, split, train

    from ..fixture_data import THREE, generated_params, raw_rows, typed_table
    from .logs import Names

    params = parse_params(generated_params(THREE))
    raw = raw_rows(1200, seed=4, classes=THREE)
    rare = raw.index[raw["churned"] == "leave"][60:]  # 'leave' becomes about 5 % of rows
    raw.drop(index=rare).to_csv(tmp_path / "skewed.csv", index=False)
    prepare.main(params, tmp_path / "skewed.csv", None, tmp_path / "prepared",
                 tmp_path / "validation.json")
    split.main(params, tmp_path / "prepared" / "train.parquet", tmp_path / "split")
    train.main(params, tmp_path / "split", tmp_path / "models")
    predictor = Predictor.load(tmp_path / "models" / "model.skops")
    profile = reference.profile(pd.read_parquet(tmp_path / "split" / "train.parquet"),
                                pd.read_parquet(tmp_path / "prepared" / "holdout.parquet"),
                                predictor, "churned", None)
    reference.write(tmp_path / "reference.json", profile)
    names = Names.of(params, profile)
    pool = typed_table(30_000, seed=77, classes=THREE)
    pool = pool.drop(index=pool.index[pool["churned"] == "leave"][1300:])  # skewed as well

    def window(name: str, **shift) -> dict:
        d = tmp_path / name
        write_log(d / "logs", predictor, pool, "churned", 2000, seed=len(name),
                  per_request=20, labels=d / "labels.csv", **shift)
        return check.run(S, d / "logs", d / "out", labels=d / "labels.csv",
                         reference_path=tmp_path / "reference.json")

    assert profile["rows"]["train"] < 600 and profile["predictions"]["labels"]["leave"] < 0.1
    stable = window("stable")
    assert stable["status"] == "normal", stable["alarms"]
    assert stable["quality"]["matched"] == 2000 and stable["quality"]["dropped"] is False
    moved = window("moved", shifts=[f"{names.categorical}={names.rare}"], share=0.3)
    assert ("features", names.categorical) in {(a["kind"], a["name"]) for a in moved["alarms"]}
