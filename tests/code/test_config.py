"""params.yaml is validated once; a wrong key or value names the key."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from mlproject.config import load_params
from mlproject.errors import PipelineError

from ..fixture_data import generated_params

ROOT = Path(__file__).resolve().parents[2]


def edit(tmp_path, change) -> str:
    raw = generated_params()
    change(raw)
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(raw))
    return str(path)


@pytest.mark.parametrize(("change", "message"), [
    (lambda p: p["train"]["model"].update(name="xgboost"),
     "train.model.name: unknown estimator 'xgboost'; choose one of logistic_regression"),
    (lambda p: p["split"].update(seed="seven"), "split.seed: expected int, got 'seven'"),
    (lambda p: p["train"].update(learning_rate=0.1), "train.learning_rate: unknown key"),
    (lambda p: p.update(extra_section={}), "extra_section: unknown key"),
    (lambda p: p["schema"].update(duplicates="sometimes"),
     "schema.duplicates: got 'sometimes'; choose one of allow, drop, reject"),
    (lambda p: p["data"]["target"].update(column="salary"),
     "data.target.column: 'salary' is not in data.reader.columns"),
    (lambda p: p["train"].update(threads=-1), "train.threads: must be 0 (every core)"),
    (lambda p: p["data"]["reader"]["columns"].append("__line__"),
     "data.reader.columns: '__line__' is reserved for the row key"),
    (lambda p: p["split"].update(validation_fraction=1.5),
     "split.validation_fraction: must be between 0 and 1"),
    (lambda p: p["data"]["target"].pop("classes"),
     "data.target.classes: needs at least two classes"),
    (lambda p: p["baseline"]["rule"][0].update(column="churned"),
     "baseline.rule[0].column: 'churned' is not a feature"),
])
def test_bad_params_fail_with_the_key_name(tmp_path, change, message):
    """Each malformed params.yaml names the offending key in one line."""
    path = edit(tmp_path, change)
    with pytest.raises(PipelineError, match="^" + path.replace(".", r"\.") + ": ") as err:
        load_params(path)
    assert message in str(err.value)
    assert "\n" not in str(err.value)


def test_invalid_yaml_is_one_line(tmp_path):
    """A YAML syntax error is reported with the file name, not a traceback."""
    path = tmp_path / "params.yaml"
    path.write_text("train: [unclosed\n")
    with pytest.raises(PipelineError, match="not valid YAML"):
        load_params(path)


def test_unknown_hyperparameter_is_named(params):
    """A hyperparameter the estimator does not have is refused by name."""
    from mlproject.config import Model
    from mlproject.estimators import build_model

    with pytest.raises(PipelineError, match="train.model.params.max_depthh: not a parameter"):
        build_model(Model("random_forest", {"max_depthh": 3}), ["tenure"], ["plan"], 0)


def test_params_rewritten_by_dvc_keep_yes_and_no_as_strings(tmp_path):
    """`dvc exp run -S` rewrites params.yaml as YAML 1.2 and leaves `no`/`yes` unquoted; the
    pipeline reads them back as the class names they are, not as booleans."""
    from dvc.utils.serialize import modify_yaml

    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(generated_params(["no", "yes"])))
    with modify_yaml(path) as raw:  # what `dvc exp run -S train.model.params.max_iter=20` does
        raw["train"]["model"]["params"]["max_iter"] = 20
    assert "- no\n" in path.read_text() or "[no, yes]" in path.read_text()
    target = load_params(path).data.target
    assert (target.classes, target.positive) == (["no", "yes"], "yes")


LAUGHS = ('lol: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]\n'
          + "".join(f"l{i}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 9)}]\n"
                    for i in range(8)))


def test_a_billion_laughs_is_refused_before_it_grows(tmp_path):
    """A 1 kB params.yaml of nested aliases (it would expand to 9**9 strings) is refused in
    one line naming the line, by the validated reader and by the raw one every command uses
    before DVC runs (`make data` and `make repro` start with `mlproject check-data`)."""
    import subprocess
    import sys

    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(generated_params()) + LAUGHS)
    assert len(LAUGHS) < 1100
    with pytest.raises(PipelineError, match=r"not valid YAML: line \d+: more than 20 aliases"):
        load_params(path)
    (tmp_path / "data.dvc").write_text("outs:\n- md5: 0\n  path: data\n")
    done = subprocess.run([sys.executable, "-m", "mlproject.cli", "--params", str(path),
                           "check-data", "--sizes-only", str(tmp_path / "data.dvc")],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and done.stderr.count("\n") == 1, done.stderr
    assert "cannot be read as YAML: line" in done.stderr and "more than 20 aliases" in done.stderr


def test_an_oversized_params_file_is_refused_and_a_few_anchors_are_fine(tmp_path):
    path = tmp_path / "params.yaml"
    text = yaml.safe_dump(generated_params())
    path.write_text(text + "# " + "x" * 1_000_000 + "\n")
    with pytest.raises(PipelineError, match="over the 1,000,000-byte limit"):
        load_params(path)
    text = text.replace("holdout_seed: 7", "holdout_seed: &seed 7")
    assert "split:\n  seed: 3\n" in text
    path.write_text(text.replace("split:\n  seed: 3\n", "split:\n  seed: *seed\n"))
    assert load_params(path).split.seed == 7  # an anchor and an alias, as people write them


@pytest.mark.parametrize(("section", "extra", "message"), [
    ("sweep", {"cells": 3}, "sweep.cells: unknown key"),
    ("refresh", {"url": "x"}, "refresh.url: unknown key"),
    ("registry", {"stages": "prod"}, "registry.stages: unknown key"),
    ("monitor", {"windows": 3}, "monitor.windows: unknown key"),
])
def test_unknown_keys_are_refused_in_sections_no_stage_reads(tmp_path, section, extra,
                                                             message):
    raw = generated_params()
    raw[section] = {**(raw.get(section) or {}), **extra}
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(raw))
    with pytest.raises(PipelineError, match=message):
        load_params(path)


def test_a_merge_key_cannot_pull_unknown_keys_into_a_section(tmp_path):
    text = yaml.safe_dump(generated_params()).replace("split:\n", "split: &split\n", 1)
    path = tmp_path / "params.yaml"
    path.write_text(text + "sweep:\n  <<: *split\n  max_cells: 4\n")
    with pytest.raises(PipelineError, match=r"sweep\.seed: unknown key"):
        load_params(path)


@pytest.mark.parametrize("text", [
    *(p.read_text() for p in (ROOT / "params.yaml", ROOT / "dvc.yaml", ROOT / "dvc.lock")),
    "a: yes\nb: no\nc: on\nd: True\ne: 1.0\nf: 0o17\ng: 2026-01-01\nh: null\ni: ~\nj: 1e3\n",
    "k: 'x'\nl: \"\\u00e9\\t\"\nm: |\n  two\n  lines\nn: [1, {o: p}]\n? q\n",
])
def test_libyaml_reads_what_the_python_parser_reads(text):
    """safe_load takes libyaml's parser for text without aliases: the same values, with
    YAML 1.2 booleans (yes, no, on stay text)."""
    from mlproject import from_yaml

    python = yaml.load(text, Loader=from_yaml._Loader)  # noqa: S506 - a SafeLoader subclass
    assert from_yaml.safe_load(text) == python and from_yaml.safe_load(text.encode()) == python


@pytest.mark.parametrize("text", ["a: [1, 2\nb: 3\n", "a: b: c\n", "a:\n\t- 1\n", "- a\nb: c\n"])
def test_a_yaml_error_reads_the_same_whichever_parser_found_it(text):
    from mlproject import from_yaml

    with pytest.raises(yaml.YAMLError) as python:
        yaml.load(text, Loader=from_yaml._Loader)  # noqa: S506 - a SafeLoader subclass
    with pytest.raises(yaml.YAMLError) as fast:
        from_yaml.safe_load(text)
    assert str(fast.value) == str(python.value)


def test_yaml_nested_thousands_deep_is_one_line_not_a_traceback(tmp_path):
    import subprocess
    import sys

    path = tmp_path / "params.yaml"
    path.write_text("data: " + "[" * 5000 + "]" * 5000 + "\n")
    with pytest.raises(PipelineError, match="nested too deeply"):
        load_params(path)
    (tmp_path / "data.dvc").write_text("outs:\n- md5: 0\n  path: data\n")
    done = subprocess.run([sys.executable, "-m", "mlproject.cli", "--params", str(path),
                           "check-data", "--sizes-only", str(tmp_path / "data.dvc")],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and done.stderr.count("\n") == 1, done.stderr[-2000:]
    assert "nested too deeply" in done.stderr
