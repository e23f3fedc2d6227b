"""init-data: replace the starter data with your own CSV or Parquet file.

    mlproject init-data path/to/file.csv --target churned

Reads the file, infers reader options, column types, the target's classes, a rule baseline and
slices, rewrites the data-related sections of params.yaml (the others are kept as they are),
points the prepare stage at the new file, tracks it with DVC and runs the pipeline.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import yaml

from mlproject import storage
from mlproject.adopt import infer
from mlproject.config import parse_params
from mlproject.errors import PipelineError

MAX_MB = 5000  # a larger file needs a bigger machine than init-data assumes


def read(source: Path, separator: str | None, header: bool | None,
         missing: list[str] | None) -> tuple[dict, pd.DataFrame]:
    """(reader options for params, the table with missing markers as NaN)."""
    storage.check_file(source, MAX_MB)
    if source.suffix == ".parquet":
        df = storage.as_text(pd.read_parquet(source))
        return {"columns": list(df.columns)}, df
    reader = infer.sniff(source, separator, header)
    try:
        df = pd.read_csv(source, sep=reader["separator"], header=0 if reader["header"] else None,
                         dtype=str, keep_default_na=False, encoding="utf-8",
                         skipinitialspace=reader["skip_initial_space"], index_col=False)
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise PipelineError(f"{source}: cannot be read ({exc})") from None
    if not reader["header"]:
        df.columns = [f"column_{i + 1}" for i in range(df.shape[1])]
    df.columns = [str(c).strip() for c in df.columns]
    present = {v for c in df.columns for v in df[c].unique()}
    markers = missing if missing is not None else [m for m in infer.MISSING_MARKERS
                                                   if m in present]
    reader.update(columns=list(df.columns), missing_values=markers, encoding="utf-8")
    return reader, df.replace(markers, None) if markers else df


def sections(reader: dict, df: pd.DataFrame, target: str, size_mb: float
             ) -> tuple[dict, list[str]]:
    """(the params.yaml sections describing this data set, columns not used as features)."""
    classes, positive = infer.target_classes(df, target)
    kinds = infer.column_kinds(df, target)
    numeric = {c: {"min": None, "max": None} for c, k in kinds.items() if k == "numeric"}
    categorical = {c: sorted(df[c].dropna().astype(str).unique().tolist())
                   for c, k in kinds.items() if k == "categorical"}
    excluded = [c for c, k in kinds.items() if k == "excluded"]
    if not numeric and not categorical:
        raise PipelineError("no usable feature columns: every column is an identifier or text")
    target_spec = {"column": target, "classes": classes}
    if positive is not None:
        target_spec["positive"] = positive
    return {
        "data": {"reader": reader, "max_file_mb": max(100, round(size_mb * 4)),
                 "holdout_fraction": 0.2, "holdout_seed": 42, "target": target_spec},
        "schema": {"numeric": numeric, "categorical": categorical,
                   "datetime": [c for c, k in kinds.items() if k == "datetime"],
                   "extra_columns": "drop" if excluded else "reject",
                   "duplicates": "drop", "min_rows": min(100, max(10, len(df) // 20))},
        "baseline": {"rule": infer.rule_baseline(df, target, kinds)},
        "evaluate": {"slices": infer.slice_columns(df, kinds), "min_slice_rows": 30,
                     "latency_repeats": 100},
    }, excluded


def write_params(path: Path, new: dict, note: str) -> None:
    """Replace the given top-level sections of params.yaml; keep every other block verbatim."""
    blocks = re.split(r"\n(?=(?:#[^\n]*\n)*[A-Za-z_]+:)", path.read_text(encoding="utf-8"))
    out, done = [], set()
    for block in blocks:
        key = re.search(r"^([A-Za-z_]+):", block, re.M)
        name = key.group(1) if key else None
        if name in new:
            text = yaml.safe_dump({name: new[name]}, sort_keys=False, width=100,
                                  allow_unicode=True)
            out.append(f"# {note}\n{text.rstrip()}\n")
            done.add(name)
        else:
            out.append(block.rstrip() + "\n")
    out += [yaml.safe_dump({k: v}, sort_keys=False) for k, v in new.items() if k not in done]
    text = "\n".join(out)
    parse_params(yaml.safe_load(text))  # never write params that would not load
    storage.write_bytes(path, text.encode("utf-8"))


def point_pipeline_at(dvc_yaml: Path, file_name: str) -> None:
    """Make the prepare stage read data/<file_name> and carve its holdout from it."""
    text = dvc_yaml.read_text(encoding="utf-8")
    text = re.sub(r"cmd: mlproject prepare .*", "cmd: mlproject prepare --train "
                  f"data/{file_name} --out artifacts/prepared", text, count=1)
    text = re.sub(r"(\n      - data/[^\n]+)+", f"\n      - data/{file_name}", text, count=1)
    storage.write_bytes(dvc_yaml, text.encode("utf-8"))


def main(source: Path, target: str, separator: str | None = None, header: bool | None = None,
         missing: list[str] | None = None, run: bool = True, root: Path = Path(".")) -> None:
    source = source.resolve()
    reader, df = read(source, separator, header, missing)
    new, excluded = sections(reader, df, target, source.stat().st_size / 1e6)
    gate = (yaml.safe_load((root / "params.yaml").read_text(encoding="utf-8")) or {}).get("gate")
    if isinstance(gate, dict) and gate.get("min"):
        # the floors were set for the starter data: start from "beat the rule baseline"
        new["gate"] = {**gate, "min": {}}
    write_params(root / "params.yaml", new, f"written by `mlproject init-data {source.name}`; "
                 "review and adjust")
    data = root / "data"
    for old in data.iterdir() if data.is_dir() else []:
        old.unlink()
    data.mkdir(exist_ok=True)
    shutil.copy(source, data / source.name)
    point_pipeline_at(root / "dvc.yaml", source.name)
    kinds = new["schema"]
    print(f"init-data: {len(df):,} rows; target {target!r} with classes "
          f"{', '.join(new['data']['target']['classes'])}; {len(kinds['numeric'])} numeric, "
          f"{len(kinds['categorical'])} categorical, {len(kinds['datetime'])} datetime column(s)"
          + (f"; not used as features: {', '.join(excluded)}" if excluded else ""))
    for cmd in (["dvc", "add", "-q", "data"], ["dvc", "push", "-q", "data.dvc"]):
        done = subprocess.run(cmd, cwd=root, capture_output=True, text=True)
        if done.returncode:
            reason = (done.stderr.strip().splitlines() or ["no output"])[-1]
            raise PipelineError(f"{' '.join(cmd)} failed: {reason}")
    if run and subprocess.run(["dvc", "repro"], cwd=root).returncode:
        raise PipelineError("the pipeline failed on the new data (see above); fix params.yaml "
                            "and run `dvc repro` again")
    print("init-data: next, review params.yaml, then commit: git add params.yaml dvc.yaml "
          "data.dvc .dvc/remote && git commit")
