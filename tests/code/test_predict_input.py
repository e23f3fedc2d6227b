"""Bad input to the prediction API: one clear PipelineError line, never a raw traceback."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mlproject import schema
from mlproject.config import Model, Range, Schema
from mlproject.errors import PipelineError
from mlproject.estimators import build_model
from mlproject.predict import Predictor

from ..fixture_data import RECORD

SCHEMA = Schema(numeric={"weight": Range(0, 90), "age": Range()},
                categorical={"colour": ["black", "white"]})
FEATURES = ["weight", "age", "colour"]
PET = {"weight": 12.5, "age": 3, "colour": "black"}


@pytest.fixture(scope="module")
def predictor() -> Predictor:
    """A small model on generated rows, with the metadata the prediction API reads."""
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"weight": rng.uniform(1, 80, 200), "age": rng.integers(0, 15, 200),
                          "colour": rng.choice(["black", "white"], 200)})
    y = np.where(frame["weight"] > 30, "yes", "no")
    model = build_model(Model("logistic_regression"), ["weight", "age"], ["colour"], 0)
    metadata = {"classes": ["no", "yes"], "confidence_threshold": 0.7, "features": FEATURES,
                "schema": {"numeric": {"weight": {"min": 0, "max": 90},
                                       "age": {"min": None, "max": None}},
                           "categorical": SCHEMA.categorical, "datetime": []}}
    return Predictor(model.fit(frame[FEATURES], y), metadata)


BAD = [  # (records, the message's start)
    (PET, "input: expected a list of records (column: value mappings) or a DataFrame, got dict;"
          " wrap one record in a list"),
    (None, "input: expected a list of records (column: value mappings) or a DataFrame, got "
           "NoneType"),
    ("weight=12", "input: expected a list of records (column: value mappings) or a DataFrame, "
                  "got str"),
    (42, "input: expected a list of records (column: value mappings) or a DataFrame, got int"),
    ([PET, "black"], "input: record 1 is a str, not a mapping of column: value"),
    ([PET, None], "input: record 1 is a NoneType, not a mapping of column: value"),
    ([{**PET, "weight": 10**400}], "input: column 'weight': not a finite number in [0, 90]"),
    ([{**PET, "age": 10**400}], "input: column 'age': not a finite number (rows 0: "),
    ([{**PET, "weight": True}], "input: column 'weight': not a finite number"),
    ([PET, {**PET, "age": False}], "input: column 'age': not a finite number "
                                   "(rows 1: False)"),
    ([{**PET, "weight": float("inf")}], "input: column 'weight': not a finite number"),
    ([{**PET, "weight": "heavy"}], "input: column 'weight': not a finite number"),
    ([{**PET, "weight": 120}], "input: column 'weight': not a finite number in [0, 90]"),
    ([{k: v for k, v in PET.items() if k != "age"}], "input: missing column(s): age"),
    ([PET, PET, {k: v for k, v in PET.items() if k != "age"}],
     "input: missing column(s): age (record 2)"),
    ([], "no records to predict"),
    ([PET, {**PET, "colour": {"dark": True}}],
     "input: column 'colour': a category is text or a number, not dict (rows 1)"),
    ([{**PET, "colour": ["black"]}],
     "input: column 'colour': a category is text or a number, not list (rows 0)"),
    (pd.DataFrame([{**PET, "weight": True}]), "input: column 'weight': not a finite number"),
    (pd.DataFrame({"weight": [1.0]}), "input: missing column(s): age, colour"),
]


@pytest.mark.parametrize("method", ["predict", "predict_proba"])
@pytest.mark.parametrize(("records", "message"), BAD, ids=[m[:40] for _, m in BAD])
def test_bad_input_is_one_clear_line(predictor, method, records, message):
    with pytest.raises(PipelineError) as caught:
        getattr(predictor, method)(records)
    assert str(caught.value).startswith(message)
    assert "\n" not in str(caught.value) and len(str(caught.value)) < 300


@pytest.mark.parametrize("frame", [{"weight": 1}, None, "text", [PET]])
def test_conform_takes_tables_only(frame):
    with pytest.raises(PipelineError, match="^input: expected a table \\(pandas DataFrame\\), "
                                            "got (dict|NoneType|str|list)$"):
        schema.conform(frame, SCHEMA, FEATURES)


def test_good_input_of_every_shape_gives_the_same_answer(predictor):
    """Numbers as int, float, numeric text or numpy scalars; a tuple of records; a table."""
    expected = predictor.predict([PET])
    for records in ([{**PET, "age": 3.0}], [{**PET, "weight": "12.5"}],
                    [{**PET, "age": np.int64(3)}], (PET,), pd.DataFrame([PET]),
                    [{**PET, "unused": True}]):
        assert predictor.predict(records) == expected


def test_a_missing_value_is_allowed_when_the_key_is_there(predictor):
    """None is a missing value (imputed); an absent key is a mistake (refused above)."""
    [answer] = predictor.predict([{**PET, "age": None}])
    assert answer.label in ("no", "yes")


def test_the_batch_cli_names_the_file_and_its_lines(trained, tmp_path, capsys):
    """A bad value on the third data row of a CSV is line 4 of that file (line 1 is the
    header), a Parquet file's rows count from 1; a line short of a field (pandas would read it
    as blank) and a header-only file are named."""
    from mlproject.cli import main

    rows = pd.DataFrame([RECORD] * 5).astype(object)
    rows.loc[2, "tenure"] = "old"
    model = str(trained / "models" / "model.skops")
    for name, first in (("people.csv", 4), ("people.parquet", 3)):
        source = tmp_path / name
        rows.astype(str).to_parquet(source) if name.endswith(".parquet") else \
            rows.to_csv(source, index=False)
        assert main(["predict", model, str(source), "--out", str(tmp_path / "o.csv")]) == 1
        err = capsys.readouterr().err.strip()
        assert err.startswith(f"error: {source}: column 'tenure': not a finite number"), err
        assert f"(lines {first}: 'old')" in err and "np." not in err
    ragged = tmp_path / "ragged.csv"
    lines = pd.DataFrame([RECORD] * 3).to_csv(index=False).splitlines()
    lines[2] = lines[2].rsplit(",", 1)[0]  # the last field of line 3 is missing
    ragged.write_text("\n".join(lines) + "\n")
    assert main(["predict", model, str(ragged), "--out", str(tmp_path / "o.csv")]) == 1
    assert capsys.readouterr().err.strip() == (
        f"error: {ragged}: line 3: {len(RECORD) - 1} fields, the header expects {len(RECORD)}")
    header = tmp_path / "header.csv"
    header.write_text(",".join(RECORD) + "\n")
    assert main(["predict", model, str(header), "--out", str(tmp_path / "o.csv")]) == 1
    assert f"{header}: header only" in capsys.readouterr().err
    assert not (tmp_path / "o.csv").exists()
