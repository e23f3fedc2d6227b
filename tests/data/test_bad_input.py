"""Every bad input of PRODUCT.md §5: non-zero exit, one clear line, earlier outputs intact."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from mlproject.cli import main

from .. import fixture_data

COLUMNS = [c for c in fixture_data.COLUMNS if c != "customer"]
HEADER = ",".join(COLUMNS)


def rows(n: int = 120, label=lambda i: "no" if i % 3 else "yes") -> list[str]:
    """Distinct valid raw rows of the generated data set (the usage column differs)."""
    table = fixture_data.raw_rows(n, seed=4)[COLUMNS]
    table["usage"] = [f"{i / 1000:.3f}" for i in range(n)]
    table["churned"] = [label(i) for i in range(n)]
    return table.to_csv(index=False, header=False).splitlines()


def row(**fields) -> str:
    """One valid row with ``fields`` changed."""
    values = dict(zip(COLUMNS, rows(1)[0].split(","), strict=True))
    return ",".join(str(fields.get(c, values[c])) for c in COLUMNS)


def write(path: Path, lines: list[str] | bytes) -> Path:
    path.write_bytes(lines if isinstance(lines, bytes) else ("\n".join(lines) + "\n").encode())
    return path


def set_params(change) -> None:
    raw = yaml.safe_load(Path("params.yaml").read_text())
    change(raw)
    Path("params.yaml").write_text(yaml.safe_dump(raw))


def headerless(raw: dict) -> None:
    """The files below have no header line and no customer column."""
    raw["data"]["reader"].update(columns=COLUMNS, header=False)


def run(capsys, *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    err = capsys.readouterr().err.strip()
    return code, err


def prepare_then_validate(capsys, train: Path) -> tuple[int, str]:
    """Run prepare (which validates both files); return its status and error line."""
    test = Path("holdout.csv")  # same layout as the training file, read after it
    if train.is_file():
        shutil.copy(train, test)
    else:
        write(test, rows())
    return run(capsys, "prepare", "--train", str(train), "--holdout", str(test),
               "--out", "prepared", "--summary", "validation.json")


@pytest.fixture
def previous(workdir: Path) -> dict[Path, bytes]:
    """Outputs of an earlier good run; no failure may change them."""
    outputs = {Path("prepared/train.parquet"): b"old train", Path("validation.json"): b"{}"}
    for path, content in outputs.items():
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(content)
    return outputs


CASES = {
    "empty file": (lambda p: write(p, b""), None, "churn.csv: file is empty"),
    "non-UTF-8 bytes": (lambda p: write(p, "\n".join(rows(5)).encode() + b"\n12,\xff\xfe\n"),
                        None, "churn.csv: line 6: not valid utf-8 text"),
    "wrong dtype": (lambda p: write(p, [*rows(3), row(tenure="old")]), None,
                    "column 'tenure': 1 value(s) are not numbers (line 4: 'old')"),
    "+inf": (lambda p: write(p, [*rows(), row(monthly="inf")]), None,
             "column 'monthly': 1 row(s) fail finite"),
    "-inf": (lambda p: write(p, [*rows(), row(usage="-inf")]), None,
             "column 'usage': 1 row(s) fail finite"),
    "NaN in target": (lambda p: write(p, [*rows(), row(churned="")]), None,
                      "column 'churned': 1 row(s) fail not_nullable"),
    "unknown label": (lambda p: write(p, [*rows(), row(churned="maybe")]), None,
                      "column 'churned': 1 row(s) fail isin"),
    "single class": (lambda p: write(p, rows(label=lambda i: "no")), None,
                     "table: fails 'at least two classes'"),
    "too few rows": (lambda p: write(p, rows(20)), None, "table: fails 'at least 50 rows'"),
    "unseen category": (lambda p: write(p, [*rows(), row(plan="platinum")]), None,
                        "column 'plan': 1 row(s) fail isin"),
    "out of range": (lambda p: write(p, [*rows(), row(tenure="500")]), None,
                     "column 'tenure': 1 row(s) fail in range [0, 120]"),
    "duplicate rows (policy reject)": (
        lambda p: write(p, [*rows(), rows()[0]]),
        lambda raw: raw["schema"].update(duplicates="reject"),
        "table: 1 row(s) fail 'no duplicate rows' (line 121)"),
    "over the size cap": (lambda p: write(p, rows()),
                          lambda raw: raw["data"].update(max_file_mb=0.001),
                          "is over the 0.001 MB cap (data.max_file_mb)"),
    "header only": (lambda p: write(p, [HEADER]), lambda raw: raw["data"]["reader"].update(
        header=True), "churn.csv: no rows (header only)"),
    "missing target column": (
        lambda p: write(p, [HEADER.rsplit(",", 1)[0]] + [r.rsplit(",", 1)[0] for r in rows()]),
        lambda raw: raw["data"]["reader"].update(header=True),
        "missing column(s): churned"),
    "unknown extra column (policy reject)": (
        lambda p: write(p, [HEADER + ",note"] + [r + ",hi" for r in rows()]),
        lambda raw: (raw["data"]["reader"].update(header=True),
                     raw["schema"].update(extra_columns="reject")),
        "unexpected column(s): 'note' (schema.extra_columns is 'reject')"),
    "missing data file": (lambda p: p, None, "churn.csv: file not found"),
    "malformed params (unknown estimator)": (
        lambda p: write(p, rows()), lambda raw: raw["train"]["model"].update(name="xgboost"),
        "params.yaml: train.model.name: unknown estimator 'xgboost'"),
    "malformed params (wrong type)": (
        lambda p: write(p, rows()), lambda raw: raw["data"].update(max_file_mb="big"),
        "params.yaml: data.max_file_mb: expected float, got 'big'"),
    "malformed params (unknown key)": (
        lambda p: write(p, rows()), lambda raw: raw["data"].update(sep=";"),
        "params.yaml: data.sep: unknown key"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_is_one_clear_line(case, previous, capsys):
    make_file, change_params, message = CASES[case]
    set_params(headerless)
    if change_params:
        set_params(change_params)
    train = make_file(Path("churn.csv"))
    code, err = prepare_then_validate(capsys, train)
    assert code != 0
    assert err.startswith("error: ") and len(err.splitlines()) == 1, err
    assert message in err
    for path, content in previous.items():
        assert path.read_bytes() == content


def test_extra_columns_can_be_dropped_by_policy(workdir, capsys):
    """With schema.extra_columns: drop, an unknown column is dropped, not an error."""
    set_params(lambda raw: (headerless(raw), raw["data"]["reader"].update(header=True),
                            raw["schema"].update(extra_columns="drop")))
    write(Path("churn.csv"), [HEADER + ",note"] + [r + ",hi" for r in rows()])
    code, err = prepare_then_validate(capsys, Path("churn.csv"))
    assert code == 0, err


def test_failed_prepare_keeps_previous_outputs(previous, capsys):
    """A failing prepare leaves the earlier prepared table untouched (atomic writes)."""
    set_params(headerless)
    write(Path("churn.csv"), b"")
    code, _ = prepare_then_validate(capsys, Path("churn.csv"))
    assert code == 1
    assert Path("prepared/train.parquet").read_bytes() == b"old train"
    assert not [p for p in Path("prepared").iterdir() if p.name.endswith(".tmp")]


@pytest.mark.slow
def test_corrupt_data_file_is_detected(root, tmp_path):
    """A data file that no longer matches data.dvc stops `check-data` with a way out (on the
    project's own data: it holds for any data set)."""
    repo = tmp_path / "repo"
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    shutil.copytree(root / ".dvc", repo / ".dvc", ignore=shutil.ignore_patterns("cache", "tmp"))
    for name in ("data.dvc", ".dvcignore", "params.yaml"):  # params: data.max_file_mb
        shutil.copy(root / name, repo / name)
    env_run = {"cwd": repo, "capture_output": True, "text": True}
    subprocess.run(["dvc", "pull", "-q", "data.dvc"], check=True, **env_run)
    ok = subprocess.run(["mlproject", "check-data"], **env_run)
    assert ok.returncode == 0, ok.stderr
    first = next(p for p in sorted((repo / "data").rglob("*")) if p.is_file())
    with open(first, "ab") as fh:  # the project's own data, whatever it is
        fh.write(b"tampered\n")
    bad = subprocess.run(["mlproject", "check-data"], **env_run)
    assert bad.returncode == 1
    assert bad.stderr.strip() == (
        f"error: data.dvc: the data does not match the recorded version (data/{first.name} is "
        "modified): "
        "restore it with `dvc checkout data.dvc`, or record a new version with "
        "`mlproject add-data`")
