"""The two examples of docs/registry.md ("The model in other languages"), run as they are
written: JavaScript with onnxruntime-node, and Python with nothing on its path but onnxruntime
and NumPy. Each prints what the Python API answers, for a classifier and a regressor."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from mlproject import portable

from .test_fastpath import fitted, records

DOCS = Path(__file__).resolve().parents[2] / "docs" / "registry.md"
RUNTIME = "onnxruntime-node"


def example(first_line: str) -> str:
    """The code block of docs/registry.md that starts with ``first_line``."""
    blocks = re.findall(r"```(?:js|python)\n(.*?)```", DOCS.read_text(encoding="utf-8"), re.S)
    found = [b for b in blocks if b.startswith(first_line)]
    assert len(found) == 1, f"no single example starting with {first_line!r} in {DOCS}"
    return found[0]


def node_modules() -> Path | None:
    for folder in os.environ.get("NODE_PATH", "").split(os.pathsep):
        if folder and (Path(folder) / RUNTIME / "package.json").is_file():
            return Path(folder)
    return None


def exported(task: str, tmp_path: Path) -> tuple[Path, Path, list]:
    """model.onnx of a fitted model, the holdout as JSON records, and the API's answers."""
    name = "linear" if task == "regression" else "hist_gradient_boosting"
    predictors, holdout = fitted(task, name, tmp_path)
    model = predictors["model"]
    rows = records(holdout.head(60), model.features)
    rows[0] = {**rows[0], model.features[0]: None}  # a missing value is null in JSON
    found = portable.export(model, holdout)
    assert found.shipped, found.reason
    (tmp_path / "model.onnx").write_bytes(found.onnx)
    (tmp_path / "records.json").write_text(json.dumps(rows))
    return tmp_path / "model.onnx", tmp_path / "records.json", model.predict(rows)


def check(lines: list[str], expected: list) -> None:
    answers = [json.loads(line) for line in lines]
    assert len(answers) == len(expected)
    for answer, want in zip(answers, expected, strict=True):
        if hasattr(want, "value"):
            value = answer["value"]
            assert abs((value[0] if isinstance(value, list) else value) - want.value) <= \
                1e-5 * max(1.0, abs(want.value))
        else:
            assert answer["label"] == want.label
            assert abs(max(answer["probabilities"]) - want.score) <= 1e-5


@pytest.mark.parametrize("task", ["three", "regression"])
def test_the_python_example_needs_only_onnxruntime_and_numpy(task, tmp_path):
    model, rows, expected = exported(task, tmp_path)
    script = tmp_path / "predict_onnx.py"
    script.write_text(example("# predict_onnx.py"))
    clean = tmp_path / "clean"  # a path with onnxruntime, NumPy and their dependencies only
    clean.mkdir()
    import onnxruntime

    site = Path(onnxruntime.__file__).parents[1]
    for name in ("onnxruntime", "numpy", "numpy.libs", "flatbuffers", "packaging", "google"):
        if (site / name).exists():
            (clean / name).symlink_to(site / name)
    env = {"PATH": os.environ["PATH"], "PYTHONPATH": str(clean)}
    probe = subprocess.run([sys.executable, "-S", "-s", "-c", "import sklearn"], env=env,
                           capture_output=True, text=True)
    assert probe.returncode != 0 and "No module named 'sklearn'" in probe.stderr
    done = subprocess.run([sys.executable, "-S", "-s", str(script), str(model), str(rows)],
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    check(done.stdout.splitlines(), expected)


@pytest.mark.skipif(shutil.which("node") is None or node_modules() is None,
                    reason=f"NODE_PATH has no {RUNTIME} (npm install {RUNTIME}@1.31.1)")
@pytest.mark.parametrize("task", ["binary", "regression"])
def test_the_javascript_example_answers_as_the_python_api(task, tmp_path):
    model, rows, expected = exported(task, tmp_path)
    script = tmp_path / "predict.mjs"
    script.write_text(example("// predict.mjs"))
    (tmp_path / "node_modules").symlink_to(node_modules())  # import resolves from the script
    done = subprocess.run(["node", str(script), str(model), str(rows)], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    check(done.stdout.splitlines(), expected)
