"""Load check of the HTTP service: requests per second and latency percentiles on loopback.

    python tests/benchmarks/serve_load.py [--model models/model.skops] [-n 300]

``measure()`` starts `mlproject serve` on 127.0.0.1 on a free port, sends a bounded number of
one-record /predict requests from one or more clients (``-c``: each on its own keep-alive
connection, sending its next request when the last is answered), and stops the server
(SIGTERM). Numbers are for the performance table only; tests never assert them.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
WARM_UP = 20  # requests per connection before the clock starts
RECORD = {"age": 39, "workclass": "State-gov", "fnlwgt": 77516, "education": "Bachelors",
          "education_num": 13, "marital_status": "Never-married", "occupation": "Adm-clerical",
          "relationship": "Not-in-family", "race": "White", "sex": "Male", "capital_gain": 2174,
          "capital_loss": 0, "hours_per_week": 40, "native_country": "United-States"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def measure(n_requests: int = 300, model: Path | str = ROOT / "models/model.skops",
            batch: int = 1, start_timeout_s: float = 60.0, extra: list[str] | None = None,
            concurrency: int = 1) -> dict[str, float]:
    """Serve ``model`` (with ``extra`` arguments; by default its prediction log goes to a
    temporary folder), send ``n_requests`` requests of ``batch`` records from ``concurrency``
    clients at once, stop the server with SIGTERM; return the numbers."""
    with tempfile.TemporaryDirectory() as tmp:
        return _measure(n_requests, model, batch, start_timeout_s,
                        extra if extra is not None else ["--log-dir", tmp], concurrency)


def _measure(n_requests: int, model: Path | str, batch: int, start_timeout_s: float,
             extra: list[str], concurrency: int) -> dict[str, float]:
    body = json.dumps({"records": [RECORD] * batch}).encode()
    with serving(model, extra, start_timeout_s) as port:
        latencies, elapsed = asyncio.run(load(port, body, n_requests, concurrency))
    q = statistics.quantiles(latencies, n=100)
    return {"requests": n_requests, "batch": batch, "concurrency": concurrency,
            "answered": n_requests + WARM_UP * concurrency,
            "requests_per_s": round(n_requests / elapsed, 1),
            "p50_ms": round(q[49], 2), "p95_ms": round(q[94], 2), "p99_ms": round(q[98], 2)}


@contextmanager
def serving(model: Path | str, extra: list[str], start_timeout_s: float = 60.0
            ) -> Iterator[int]:
    """`mlproject serve` of ``model`` with ``extra`` arguments on a free port, answering
    /health; stopped with SIGTERM (as a deployment stops it) when the block ends."""
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "mlproject.cli", "serve", "--model", str(model), "--port",
         str(port), *extra], cwd=ROOT, env={**os.environ, "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
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
        yield port
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()


def paired(n_requests: int, model: Path | str, a: list[str], b: list[str]
           ) -> tuple[float, float]:
    """p50 latency (ms) of one-record requests to two services of ``model`` run side by
    side, ``a`` and ``b`` their arguments; one client asks them in turns (a, b, b, a, ...),
    ``n_requests`` each, so a machine that speeds up or slows down meanwhile weighs on both
    alike. Both are stopped with SIGTERM afterwards."""
    request = _request(json.dumps({"records": [RECORD]}).encode())
    with serving(model, a) as port_a, serving(model, b) as port_b:
        found = asyncio.run(turns((port_a, port_b), request, n_requests))
    return statistics.median(found[0]), statistics.median(found[1])


async def turns(ports: tuple[int, int], request: bytes, n_requests: int) -> list[list[float]]:
    """Latencies (ms) of ``n_requests`` requests to each port, asked in turns."""
    conns = [await asyncio.open_connection("127.0.0.1", port) for port in ports]
    for reader, writer in conns:
        for _ in range(WARM_UP):
            await _ask(reader, writer, request)
    found: list[list[float]] = [[], []]
    for i in range(n_requests):
        order = (0, 1) if i % 2 == 0 else (1, 0)
        for k in order:
            found[k].append(await _ask(*conns[k], request))
    for _, writer in conns:
        writer.close()
    return found


def _request(body: bytes) -> bytes:
    return (f"POST /predict HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json"
            f"\r\nContent-Length: {len(body)}\r\n\r\n").encode() + body


async def _ask(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes
               ) -> float:
    """Send one request, read the whole answer; its latency in ms (an error raises)."""
    start = time.perf_counter()
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    status = head.split(b" ", 2)[1]
    length = next(int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                  if line.lower().startswith(b"content-length:"))
    await reader.readexactly(length)
    if status != b"200":
        raise RuntimeError(f"HTTP {status.decode()}")
    return (time.perf_counter() - start) * 1000


async def load(port: int, body: bytes, n_requests: int, concurrency: int
               ) -> tuple[list[float], float]:
    """``n_requests`` POSTs of ``body`` over ``concurrency`` keep-alive connections, each
    sending its next request when the last one is answered; (latencies in ms, seconds).
    A plain HTTP/1.1 client: the load generator must cost far less than the server."""
    request = _request(body)
    latencies: list[float] = []
    left = n_requests

    async def connection() -> None:
        nonlocal left
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        for _ in range(WARM_UP):
            await _ask(reader, writer, request)
        warmed.append(1)
        if len(warmed) == concurrency:
            everyone.set()
        await go.wait()
        while left > 0:
            left -= 1
            latencies.append(await _ask(reader, writer, request))
        writer.close()

    warmed: list[int] = []
    everyone, go = asyncio.Event(), asyncio.Event()
    tasks = [asyncio.create_task(connection()) for _ in range(concurrency)]
    await everyone.wait()
    start = time.perf_counter()
    go.set()
    await asyncio.gather(*tasks)
    return latencies, time.perf_counter() - start


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=ROOT / "models/model.skops")
    parser.add_argument("-n", type=int, default=300)
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("-c", "--concurrency", type=int, default=1,
                        help="clients sending at once, each on its own connection")
    args = parser.parse_args()
    print(json.dumps(measure(args.n, args.model, args.batch, concurrency=args.concurrency),
                     indent=2))
