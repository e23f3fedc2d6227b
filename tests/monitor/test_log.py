"""The prediction log: every answered request is on disk after SIGTERM, ids round-trip, files
are completed, and the folder's size is bounded."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
import pandas as pd

from mlproject.monitor.log import PredictionLog
from mlproject.monitor.settings import Log

from .conftest import Monitored
from .logs import write_log

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_no_request_is_lost_when_the_service_gets_sigterm(tmp_path, monitored: Monitored):
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    server = subprocess.Popen([sys.executable, "-m", "mlproject.cli", "serve", "--model",
                               str(monitored.model), "--port", str(port), "--log-dir",
                               str(tmp_path)],
                              cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        url = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{url}/health", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        holdout, features = monitored.holdout, monitored.predictor.features
        rows = holdout[features].head(40).astype(object)
        records = rows.where(rows.notna(), None).to_dict("records")
        ids = []
        for i, record in enumerate(records):
            req = urllib.request.Request(f"{url}/predict", method="POST", headers={
                "content-type": "application/json", "x-request-id": f"req-{i}"},
                data=json.dumps({"records": [record]}).encode())
            with urllib.request.urlopen(req, timeout=10) as r:
                body = json.loads(r.read())
                assert r.headers["x-request-id"] == body["request_id"] == f"req-{i}"
                ids.append(body["request_id"])
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(30)
    logged = pd.read_parquet(tmp_path)
    assert sorted(logged["request_id"]) == sorted(ids)
    assert not list(tmp_path.glob("*.part"))
    numeric = monitored.names.numeric
    np.testing.assert_array_equal(logged[f"input_{numeric}"].to_numpy(),  # NaN == NaN here
                                  holdout[numeric].head(40).astype(float).to_numpy())


def test_a_hostile_request_id_is_replaced():
    from mlproject.serve import request_id

    assert request_id("ok-1.2:3_x") == "ok-1.2:3_x"
    for bad in ("a" * 65, "x\ny", "<script>", "", None):
        assert len(request_id(bad)) == 32


def test_files_rotate_and_the_folder_stays_under_its_cap(tmp_path, monitored: Monitored):
    predictor, holdout = monitored.predictor, monitored.pool
    settings = Log(rotate_mb=0.02, max_total_mb=0.05, idle_seconds=60)
    log = PredictionLog.open(tmp_path, predictor, settings)
    for start in range(0, 3000, 500):
        frame, predictions = predictor.predict_frame(holdout.iloc[start:start + 500])
        log.put(f"b{start}", frame, [p.label for p in predictions],
                pd.Series([p.score for p in predictions]).to_numpy(),
                pd.Series([p.above_threshold for p in predictions]).to_numpy(), 1.0)
        time.sleep(0.3)
    log.close()
    files = sorted(tmp_path.glob("predictions-*.parquet"))
    assert files and int(files[-1].name.split("-")[-1].split(".")[0]) >= 3  # rotated
    assert sum(f.stat().st_size for f in files) <= 0.05e6
    assert log.dropped == 0


def test_batch_predict_logs_every_row(tmp_path, monitored: Monitored):
    predictor, holdout = monitored.predictor, monitored.pool
    source = tmp_path / "rows.csv"
    holdout[predictor.features].head(123).to_csv(source, index=False)
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    done = subprocess.run([sys.executable, "-m", "mlproject.cli", "predict", str(monitored.model),
                           str(source), "--out", str(tmp_path / "out.csv"), "--log",
                           str(tmp_path / "logs")], cwd=ROOT, env=env, capture_output=True,
                          text=True)
    assert done.returncode == 0, done.stderr
    logged = pd.read_parquet(tmp_path / "logs")
    assert len(logged) == 123 and logged["record"].tolist() == list(range(123))


def test_the_in_process_log_helper_matches_labels(tmp_path, monitored: Monitored):
    rows = write_log(tmp_path / "logs", monitored.predictor, monitored.pool,
                     monitored.names.target, 100, per_request=10)
    logged = pd.read_parquet(tmp_path / "logs")
    assert list(zip(logged["request_id"], logged["record"], strict=True)) == \
        list(zip(rows["request_id"], rows["record"], strict=True))


def test_records_and_tables_are_logged_alike_dates_as_dates(tmp_path):
    """The fast path's checked records and a checked table give the same rows; a date feature
    (days since 1970 once checked) is logged as that date, a missing value as null."""
    from types import SimpleNamespace

    from mlproject.config import Range, Schema

    predictor = SimpleNamespace(
        features=["signup", "tenure", "plan"], metadata={"sha256": "ab" * 32},
        schema=Schema(numeric={"tenure": Range()}, categorical={"plan": ["basic", "pro"]},
                      datetime=["signup"]))
    log = PredictionLog(tmp_path, predictor, Log())
    log._thread.start()
    table = pd.DataFrame({"signup": [19000.5, np.nan], "tenure": [3.0, np.nan],
                          "plan": pd.array(["pro", None], dtype="str")})
    records = [{"signup": 19000.5, "tenure": 3.0, "plan": "pro"},
               {"signup": None, "tenure": float("nan"), "plan": None}]
    for rid, frame in (("table", table), ("records", records)):
        log.put(rid, frame, ["yes", "no"], np.array([0.9, 0.2]), np.array([True, False]), 1.0)
    log.close()
    [path] = tmp_path.glob("predictions-*.parquet")
    rows = pd.read_parquet(path)
    for rid in ("table", "records"):
        mine = rows[rows.request_id == rid].reset_index(drop=True)
        assert str(mine.input_signup[0]) == "2022-01-08 12:00:00" and pd.isna(mine.input_signup[1])
        assert mine.input_tenure[0] == 3.0 and pd.isna(mine.input_tenure[1])
        assert mine.input_plan[0] == "pro" and pd.isna(mine.input_plan[1])
