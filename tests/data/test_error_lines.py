"""Errors point at the raw file and the line a person opens, and quote values briefly."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from mlproject.cli import main
from mlproject.errors import MAX_QUOTED, quote_some
from mlproject.storage import data_lines

from ..fixture_data import generated_params, raw_rows


@pytest.fixture
def project(tmp_path: Path, monkeypatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(generated_params()))
    return tmp_path


def prepare(capsys, *files: str) -> tuple[int, str]:
    argv = ["prepare", "--train", files[0], "--out", "prepared", "--summary", "validation.json"]
    if len(files) > 1:
        argv[3:3] = ["--holdout", files[1]]
    code = main(argv)
    return code, capsys.readouterr().err.strip()


def csv_lines(rows: int = 200) -> list[str]:
    return raw_rows(rows, seed=1).to_csv(index=False).splitlines()


def test_data_lines_skip_blank_lines_and_the_header():
    data = b"# note\nh1,h2\n1,2\n\n  \t\n3,4\r\n\r\n5,6"
    assert data_lines(data, skip=1, header=True).tolist() == [3, 6, 8]
    assert data_lines(b"1\n2\n", skip=0, header=False).tolist() == [1, 2]


def test_a_bad_number_names_its_raw_line_despite_blank_lines(project, capsys):
    lines = csv_lines()
    fields = lines[5].split(",")
    fields[1] = "twelve"  # the tenure of data row 5, on line 6 of the file
    lines[5] = ",".join(fields)
    Path("d.csv").write_text("\n".join(lines[:3] + ["", "   "] + lines[3:]) + "\n")
    code, err = prepare(capsys, "d.csv", "d.csv")
    assert code == 1
    assert err == ("error: d.csv: column 'tenure': 1 value(s) are not numbers (line 8: "
                   "'twelve')")


def test_a_schema_failure_names_raw_lines_not_table_positions(project, capsys):
    """The training part of a file whose holdout is carved from it: the rows that went to the
    holdout leave gaps in the line numbers, which positions in the table would not show."""
    lines = csv_lines(400)
    for i in range(1, len(lines)):  # an unknown plan on every row: both parts fail
        lines[i] = lines[i].replace(",basic,", ",gold,").replace(",plus,", ",gold,") \
            .replace(",pro,", ",gold,")
    Path("d.csv").write_text("\n".join(lines) + "\n")
    code, err = prepare(capsys, "d.csv")
    assert code == 1
    assert err.startswith("error: d.csv: column 'plan': ")
    listed = re.search(r"\(line ([\d, ]+) and \d+ more: 'gold', 'gold'", err)
    numbers = [int(n) for n in listed.group(1).split(", ")]
    assert len(numbers) == 5 and numbers[0] >= 2 and numbers[-1] > 6, err


def test_a_huge_value_is_quoted_short(project, capsys):
    lines = csv_lines()
    fields = lines[1].split(",")
    fields[5] = "x" * 1_000_000  # an unknown plan, one megabyte long
    lines[1] = ",".join(fields)
    Path("d.csv").write_text("\n".join(lines) + "\n")
    code, err = prepare(capsys, "d.csv", "d.csv")
    assert code == 1 and len(err) < 400, err[:500]
    assert "line 2" in err


def test_quote_some_caps_length_and_count():
    text = quote_some(["y" * 500, *"abcdefg"], total=8)
    assert text.count("y") < MAX_QUOTED and text.endswith("and 3 more")
    assert len(text.split(", ")) == 5


def test_values_are_quoted_as_plain_python_never_as_numpy_reprs():
    """np.int64(500), np.True_ and np.float64(inf) read as 500, True and inf."""
    import numpy as np

    from mlproject.config import Range
    from mlproject.errors import PipelineError, quote
    from mlproject.schema import _numbers

    assert quote_some([np.int64(500), np.True_, np.float64("inf"), "a"]) == "500, True, inf, 'a'"
    assert quote(np.str_("x" * 500)).startswith("'xxx") and len(quote(np.str_("x" * 500))) == \
        MAX_QUOTED
    with pytest.raises(PipelineError) as err:
        _numbers(np.array([1, 77516, np.inf], dtype=object), Range(0, 100), "age", "input")
    assert "np." not in str(err.value) and "1: 77516, 2: inf" in str(err.value)


def test_a_category_check_over_a_long_list_is_named_not_printed():
    """100,000 allowed values: the line says where they are listed, not all of them."""
    import numpy as np
    import pandas as pd

    from mlproject.schema import _describe

    allowed = [f"city-{i}" for i in range(100_000)]
    cases = pd.DataFrame({"column": ["city"], "check": [f"isin({allowed})"], "index": [0],
                          "failure_case": ["atlantis"]})
    line = _describe(cases, np.array([2]), "train.csv")
    assert "isin(schema.categorical.city)" in line and "'atlantis'" in line
    assert len(line) < 120, line


@pytest.mark.parametrize(("change", "message"), [
    (lambda fields: fields + ["surplus"], "line 4: 9 fields, the reader expects 8"),
    (lambda fields: fields[:-1], "line 4: 7 fields, the reader expects 8"),
    (lambda fields: ['"East, upper"'] + fields, "line 4: 9 fields, the reader expects 8"),
])
def test_a_headerless_file_holds_every_line_to_its_column_count(project, capsys, change,
                                                                 message):
    """pandas would drop a 9th field or fill a missing 8th one silently: each line must have
    one field per name in data.reader.columns (a quoted separator is one field)."""
    raw = yaml.safe_load(Path("params.yaml").read_text())
    raw["data"]["reader"].update(header=False)
    Path("params.yaml").write_text(yaml.safe_dump(raw))
    lines = csv_lines()[1:]  # no header line
    lines[3] = ",".join(change(lines[3].split(",")))
    Path("d.csv").write_text("\n".join(lines) + "\n")
    code, err = prepare(capsys, "d.csv")
    assert code == 1 and err == f"error: d.csv: {message} (data.reader.columns)"
    assert not Path("prepared").exists()


def test_a_quoted_separator_is_one_field(project, capsys):
    raw = yaml.safe_load(Path("params.yaml").read_text())
    raw["data"]["reader"].update(header=False)
    Path("params.yaml").write_text(yaml.safe_dump(raw))
    lines = csv_lines()[1:]
    lines[3] = lines[3].replace(",", ',"a, b",', 1).replace(',"a, b",', ",", 1)  # unchanged
    fields = lines[3].split(",")
    fields[0] = '"C, 1"'  # the customer id, quoted, holding the separator
    lines[3] = ",".join(fields)
    Path("d.csv").write_text("\n".join(lines) + "\n")
    code, err = prepare(capsys, "d.csv")
    assert code == 0, err
