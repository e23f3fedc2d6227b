"""verify-reproduced: do the results the pipeline just produced match those a commit recorded?

The strongest answer is byte-identical: every result file equals the committed one, the model's
md5 included (``train.threads: 1``). With more threads a model's bytes differ from run to run, so
a model also counts as reproduced when every recorded value is equal at 6 decimals and, when the
recorded model file can be read from the DVC cache, its holdout scores are within 1e-9 of the new
model's. Anything else is stale: the commit's results do not describe its code, params and data.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlproject import ci, storage
from mlproject.errors import PipelineError
from mlproject.from_yaml import safe_load
from mlproject.results import git_show

MODEL = "models/model.skops"
HOLDOUT = "artifacts/prepared/holdout.parquet"
SCORE_TOLERANCE = 1e-9
VALUE_TOLERANCE = 1.5e-6  # values are written with 6 decimals
BYTE_FIELDS = {"md5", "size", "sha256", "size_bytes", "model_size_bytes"}  # depend on the bytes


@dataclass
class Reproduction:
    reproduced: bool
    how: str  # byte-identical | same scores | same metrics | stale
    differences: list[str] = field(default_factory=list)

    def line(self) -> str:
        if self.reproduced:
            return f"reproduced: {self.how}"
        return f"stale: {'; '.join(self.differences[:5])}"


def _parse(path: str, text: str | None) -> Any:
    if text is None:
        return None
    if path.endswith(".json"):
        return json.loads(text)
    if path.endswith(".csv"):
        return list(csv.reader(io.StringIO(text)))
    return safe_load(text)


def same(a: Any, b: Any) -> bool:
    """Equal, numbers within VALUE_TOLERANCE, ignoring fields that depend on the model's bytes."""
    if isinstance(a, dict) and isinstance(b, dict):
        keys = (set(a) | set(b)) - BYTE_FIELDS
        return all(same(a.get(k), b.get(k)) for k in keys)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    x, y = _number(a), _number(b)
    if x is not None and y is not None:
        return abs(x - y) <= VALUE_TOLERANCE
    return a == b


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        return float(value) if isinstance(value, int | float | str) else None
    except ValueError:
        return None


def _lock_md5(lock: Any, path: str) -> str | None:
    for stage in (lock or {}).get("stages", {}).values():
        for out in stage.get("outs", []):
            if out.get("path") == path:
                return out.get("md5")
    return None


def verify(root: Path = Path("."), rev: str = "HEAD") -> Reproduction:
    """Compare the workspace results with those recorded at ``rev``."""
    changed = ci.changed_results(root, rev)
    recorded = _lock_md5(_parse("dvc.lock", git_show(rev, "dvc.lock", root)), MODEL)
    model = root / MODEL
    same_bytes = model.is_file() and storage.file_hash(model, "md5") == recorded
    if not changed and same_bytes:
        return Reproduction(True, "byte-identical")
    differences = []
    for path in changed:
        new_file = root / path
        new = _parse(path, new_file.read_text(encoding="utf-8") if new_file.is_file() else None)
        if not same(_parse(path, git_show(rev, path, root)), new):
            differences.append(f"{path} differs")
    if differences:
        return Reproduction(False, "stale", differences)
    if same_bytes:
        return Reproduction(True, "byte-identical model; result files equal at 6 decimals")
    gap = score_gap(root, rev, recorded) if recorded else None
    if gap is None:
        return Reproduction(True, "same metrics (model bytes differ; the recorded model file "
                                  "is not in the DVC cache to compare scores)")
    if gap > SCORE_TOLERANCE:
        return Reproduction(False, "stale", [f"holdout scores differ by up to {gap:.2e}"])
    return Reproduction(True, f"same scores (within {gap:.0e}; model bytes differ, as they do "
                              "with train.threads above 1)")


def score_gap(root: Path, rev: str, md5: str) -> float | None:
    """Largest holdout score difference between the recorded model (md5) and the workspace's."""
    import tempfile

    import numpy as np

    from mlproject.predict import Predictor

    cached = root / ".dvc" / "cache" / "files" / "md5" / md5[:2] / md5[2:]
    sidecar = git_show(rev, "models/model.json", root)
    if not cached.is_file() or sidecar is None or not (root / HOLDOUT).is_file():
        return None
    holdout = storage.read_table(root / HOLDOUT)
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "model.skops").write_bytes(cached.read_bytes())
        (Path(tmp) / "model.json").write_text(sidecar, encoding="utf-8")
        old = Predictor.load(Path(tmp) / "model.skops").predict_proba(holdout)
    new = Predictor.load(root / MODEL).predict_proba(holdout)
    if old.shape != new.shape:
        raise PipelineError(f"{MODEL}: the recorded and the reproduced model score different "
                            "classes")
    return float(np.max(np.abs(old - new))) if old.size else 0.0
