"""params.yaml is rewritten in place: comments and layout kept, values read back as meant."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from mlproject.adopt import params_file
from mlproject.config import parse_params
from mlproject.errors import PipelineError

FIXTURE = Path(__file__).parent / "fixtures" / "params.yaml"


@pytest.fixture
def text() -> str:
    return FIXTURE.read_text(encoding="utf-8")


def new_sections(raw: dict) -> dict:
    """What init-data writes for another data set (labels that YAML would misread included)."""
    return {
        "data": {"reader": {"columns": ["age", "plan", "signup", "left"], "header": True,
                            "separator": ";", "missing_values": ["", "NA"]},
                 "holdout_fraction": 0.2, "holdout_seed": 42,
                 "target": {"column": "left", "classes": ["0", "1"], "positive": "1",
                            "labels": {"1.0": "1", "0.0": "0"}}},
        "schema": {"numeric": {"age": {"min": None, "max": None}},
                   "categorical": {"plan": ["Yes", "No", "null", "on", "2024-01-01"]},
                   "datetime": ["signup"], "extra_columns": "drop", "min_rows": 10},
        "baseline": {"rule": [{"column": "plan", "op": "in", "value": ["Yes"]},
                              {"column": "age", "op": "<", "value": 1e-05}]},
        "evaluate": {**raw["evaluate"], "slices": ["plan"]},
        "refresh": {**raw["refresh"], "files": ["churn.csv"]},
    }


def test_values_are_read_back_as_meant_and_params_load(text):
    """Yes, null, on, dates and 1e-05 written so that PyYAML reads them back unchanged."""
    new = new_sections(yaml.safe_load(text))
    written = yaml.safe_load(params_file.render(text, new))
    for name, content in new.items():
        assert written[name] == content
    assert written["schema"]["categorical"]["plan"] == ["Yes", "No", "null", "on", "2024-01-01"]
    assert written["baseline"]["rule"][1]["value"] == 1e-05
    parse_params(written)


def test_comments_of_kept_keys_and_untouched_sections_stay(text):
    out = params_file.render(text, new_sections(yaml.safe_load(text)))
    for line in [text.splitlines()[0],
                 "  # How to read the raw files.",
                 "    header: true             # the first row holds column names",
                 "  # Categorical features with their allowed values.",
                 "  slices: [plan]             # quality per value of these columns",
                 "  files: [churn.csv]         # names to take from a folder source"]:
        assert line in out.splitlines()
    for untouched in ("split", "train", "predict", "gate"):
        block = text[text.index(f"\n{untouched}:"):].split("\n\n")[0]
        assert block in out  # byte for byte


def test_dropped_keys_go_with_their_comments(text):
    out = params_file.render(text, new_sections(yaml.safe_load(text)))
    assert "skip_rows" not in out and "a title line" not in out
    assert "strip" not in out and "old exports" not in out


def test_rendering_twice_changes_nothing(text):
    """Idempotent: no stacked notes, no reformatting on a second run."""
    new = new_sections(yaml.safe_load(text))
    once = params_file.render(text, new)
    assert params_file.render(once, new) == once
    assert params_file.render(text, {}) == text


def test_a_missing_section_is_appended_as_a_block(text):
    out = params_file.render(text, {"extra": {"a": 1, "b": [1, 2]}})
    assert out.endswith("\nextra:\n  a: 1\n  b: [1, 2]\n")


def test_sections_separated_by_one_blank_line(text):
    out = params_file.render(text, new_sections(yaml.safe_load(text)))
    assert "\n\n\n" not in out and "\n\nschema:\n" in out and "\n\nrefresh:\n" in out


def test_a_value_that_cannot_be_written_is_refused_in_one_line(text):
    with pytest.raises(PipelineError, match="^params.yaml: cannot be written"):
        params_file.render(text, {"evaluate": {"when": object()}})


def test_numpy_numbers_are_written_as_plain_numbers(text):
    import numpy as np

    out = params_file.render(text, {"evaluate": {"latency_repeats": np.int64(34),
                                                 "share": np.float64(0.5)}})
    assert yaml.safe_load(out)["evaluate"] == {"latency_repeats": 34, "share": 0.5}
