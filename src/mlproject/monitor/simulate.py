"""mlproject simulate-traffic: send holdout rows to a running service, shifted if you like.

    mlproject serve &                                      # logs to logs/predictions/
    mlproject simulate-traffic --count 2000 --shift age=+1sd --share 0.3 \\
        --labels-out build/labels.csv --flip-labels 0.1
    mlproject monitor --labels build/labels.csv            # the report says what moved

Only a service on this machine is reached (127.0.0.1, ::1 or localhost), with at most
MAX_COUNT requests and for at most ``--seconds``. Shifts: ``age=+1sd`` (add one standard
deviation of the holdout's column), ``age=+5`` (add 5), ``age=*2`` (double), ``workclass=Private``
(set a category); ``--share`` is the part of the requests shifted. ``--labels-out`` writes the
true label of each request (request_id, label), a ``--flip-labels`` share of them swapped for
another class (a regression: another row's value), as labels that arrive later would.
"""

from __future__ import annotations

import json
import math
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mlproject import storage
from mlproject.errors import PipelineError

MAX_COUNT = 100_000
LOOPBACK = {"127.0.0.1", "::1", "localhost"}
SHIFT = re.compile(r"^(?P<col>[^=]{1,200})=(?P<op>[+*-]?)(?P<num>[0-9.]+)(?P<sd>sd)?$")


def loopback(url: str) -> str:
    parts = urllib.parse.urlparse(url)
    if parts.scheme != "http" or parts.hostname not in LOOPBACK:
        raise PipelineError(f"--url: {url[:80]!r}: only a service on this machine is reached "
                            "(http://127.0.0.1:PORT)")
    return url.rstrip("/")


def _get(url: str) -> Any:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - loopback only
            return json.loads(response.read())
    except (urllib.error.URLError, OSError) as exc:
        raise PipelineError(f"{url}: no service answers ({getattr(exc, 'reason', exc)}); "
                            "start it with `make serve`") from None


def apply_shift(frame: pd.DataFrame, specs: list[str], rows: np.ndarray, schema: dict
                ) -> pd.DataFrame:
    """``frame`` with each shift applied to ``rows`` (a boolean mask)."""
    out = frame.copy()
    numeric, categorical = schema.get("numeric", {}), schema.get("categorical", {})
    for spec in specs:
        col, _, value = spec.partition("=")
        if col not in frame.columns:
            raise PipelineError(f"--shift {spec[:80]!r}: {col[:40]!r} is not a feature")
        if col in categorical:
            out[col] = out[col].astype(object)
            out.loc[rows, col] = value
            continue
        m = SHIFT.match(spec)
        if col not in numeric or not m:
            raise PipelineError(f"--shift {spec[:80]!r}: expected column=+N, column=+Nsd or "
                                "column=*N for a numeric feature, column=VALUE for a category")
        number = float(m["num"]) * (-1 if m["op"] == "-" else 1)
        values = out[col].astype(float)
        if m["sd"]:
            number *= float(values.std())
        shifted = values * number if m["op"] == "*" else values + number
        bounds = numeric[col]
        low = -math.inf if bounds.get("min") is None else bounds["min"]
        high = math.inf if bounds.get("max") is None else bounds["max"]
        out[col] = np.where(rows, shifted.clip(low, high), values)
    return out


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    plain = frame.astype(object).where(frame.notna(), None)
    return [{k: (v.item() if hasattr(v, "item") else v) for k, v in r.items()}
            for r in plain.to_dict("records")]


def run(url: str, rows_path: Path, target: str, count: int = 2000, shifts: list[str] | None = None,
        share: float = 1.0, flip: float = 0.0, labels_out: Path | None = None, seed: int = 0,
        concurrency: int = 4, seconds: float = 300.0) -> dict[str, Any]:
    base = loopback(url)
    if not 1 <= count <= MAX_COUNT:
        raise PipelineError(f"--count: between 1 and {MAX_COUNT:,}")
    if not 0 <= share <= 1 or not 0 <= flip <= 1:
        raise PipelineError("--share and --flip-labels: between 0 and 1")
    if not 1 <= concurrency <= 32 or not 0 < seconds <= 3600:
        raise PipelineError("--concurrency: 1 to 32; --seconds: up to 3600")
    info = _get(f"{base}/model")
    features, classes = info["features"], info.get("classes") or []  # none: a regression
    table = storage.read_table(rows_path)
    if target not in table.columns:
        raise PipelineError(f"{rows_path}: no column {target!r} (the target)")
    rng = np.random.default_rng(seed)
    pick = table.iloc[rng.integers(0, len(table), count)].reset_index(drop=True)
    shifted = (rng.random(count) < share) & bool(shifts)
    frame = apply_shift(pick[features], shifts or [], shifted, info.get("schema") or {})
    bodies = records(frame)
    ids = [f"sim-{seed}-{i}" for i in range(count)]
    deadline = time.monotonic() + seconds
    sent = [False] * count

    def send(i: int) -> None:
        if time.monotonic() > deadline:
            return
        body = json.dumps({"records": [bodies[i]]}).encode()
        request = urllib.request.Request(f"{base}/predict", data=body, method="POST", headers={  # noqa: S310 - loopback http only
            "content-type": "application/json", "x-request-id": ids[i]})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                sent[i] = response.status == 200
        except (urllib.error.URLError, OSError):
            sent[i] = False

    start = time.monotonic()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(send, range(count)))
    ok = sum(sent)
    result = {"sent": ok, "failed": count - ok, "shifted": int(shifted.sum()),
              "seconds": round(time.monotonic() - start, 1)}
    if labels_out is not None:
        truth = pick[target].astype(str).to_numpy(dtype=object)
        flipped = rng.random(count) < flip
        for i in np.flatnonzero(flipped):
            if not classes:  # a regression: another row's true value
                truth[i] = str(table[target].iloc[int(rng.integers(0, len(table)))])
                continue
            others = [c for c in classes if c != truth[i]]
            truth[i] = others[int(rng.integers(0, len(others)))]
        keep = np.array(sent)
        storage.write_csv(labels_out, [{"request_id": r, "label": t} for r, t, k in
                                       zip(ids, truth, keep, strict=True) if k])
        result.update(labels=int(keep.sum()), flipped=int((flipped & keep).sum()))
    return result
