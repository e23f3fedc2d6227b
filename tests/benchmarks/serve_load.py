"""Load check of the HTTP service: requests per second and latency percentiles on loopback.

    python tests/benchmarks/serve_load.py [--model models/model.skops] [-n 300]

``measure()`` starts `mlproject serve` on 127.0.0.1 on a free port, sends a bounded number of
one-record /predict requests one after another, and stops the server (SIGTERM). Numbers are for the
performance table only; tests never assert them.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
RECORD = {"age": 39, "workclass": "State-gov", "fnlwgt": 77516, "education": "Bachelors",
          "education_num": 13, "marital_status": "Never-married", "occupation": "Adm-clerical",
          "relationship": "Not-in-family", "race": "White", "sex": "Male", "capital_gain": 2174,
          "capital_loss": 0, "hours_per_week": 40, "native_country": "United-States"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def measure(n_requests: int = 300, model: Path | str = ROOT / "models/model.skops",
            batch: int = 1, start_timeout_s: float = 60.0, extra: list[str] | None = None
            ) -> dict[str, float]:
    """Serve ``model`` (with ``extra`` arguments; by default its prediction log goes to a
    temporary folder), send ``n_requests`` requests of ``batch`` records, stop the server with
    SIGTERM; return the numbers."""
    with tempfile.TemporaryDirectory() as tmp:
        return _measure(n_requests, model, batch, start_timeout_s,
                        extra if extra is not None else ["--log-dir", tmp])


def _measure(n_requests: int, model: Path | str, batch: int, start_timeout_s: float,
             extra: list[str]) -> dict[str, float]:
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "mlproject.cli", "serve", "--model", str(model), "--port",
         str(port), *extra], cwd=ROOT, env={**os.environ, "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=url, timeout=10) as client:
            deadline = time.monotonic() + start_timeout_s
            while True:
                if server.poll() is not None:
                    raise RuntimeError(f"server exited: {server.stderr.read().decode()[-500:]}")
                try:
                    if client.get("/health").status_code == 200:
                        break
                except httpx.TransportError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.1)
            body = {"records": [RECORD] * batch}
            for _ in range(min(20, n_requests)):  # warm up
                client.post("/predict", json=body).raise_for_status()
            latencies = []
            start = time.perf_counter()
            for _ in range(n_requests):
                t0 = time.perf_counter()
                client.post("/predict", json=body).raise_for_status()
                latencies.append((time.perf_counter() - t0) * 1000)
            elapsed = time.perf_counter() - start
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
    q = statistics.quantiles(latencies, n=100)
    return {"requests": n_requests, "batch": batch, "answered": n_requests + min(20, n_requests),
            "requests_per_s": round(n_requests / elapsed, 1),
            "p50_ms": round(q[49], 2), "p95_ms": round(q[94], 2)}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=ROOT / "models/model.skops")
    parser.add_argument("-n", type=int, default=300)
    parser.add_argument("--batch", type=int, default=1)
    args = parser.parse_args()
    print(json.dumps(measure(args.n, args.model, args.batch), indent=2))
