"""Bring your own data: init-data on data sets of different shapes, end to end."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from mlproject.adopt import infer, init_data
from mlproject.errors import PipelineError

pytestmark = pytest.mark.slow


def shapes(rows: int = 600, seed: int = 0) -> dict[str, pd.DataFrame]:
    """Three data sets: multi-class with dates and free text; heavy missingness with many
    categories; a Parquet file with an id column and a 0/1 target."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=rows)
    plan = rng.choice(["basic", "plus", "pro"], rows)
    multi = pd.DataFrame({
        "signup": pd.date_range("2023-01-01", periods=rows, freq="D").strftime("%Y-%m-%d"),
        "usage": (x * 10 + 50).round(2), "plan": plan,
        "comment": [f"free text number {i} about things" for i in range(rows)],
        "tier": np.where(x > 0.5, "gold", np.where(x > -0.5, "silver", "bronze"))})
    city = rng.choice([f"city_{i:03d}" for i in range(120)], rows)
    income = rng.integers(1000, 9000, rows).astype(float)
    sparse = pd.DataFrame({"city": city, "income": income, "age": rng.integers(18, 90, rows),
                           "owner": rng.choice(["yes", "no"], rows),
                           "churned": np.where(income > 6000, "yes", "no")})
    for column in ("city", "income", "owner"):
        sparse.loc[rng.random(rows) < 0.3, column] = None
    ids = pd.DataFrame({"customer_id": np.arange(rows), "score": x,
                        "segment": rng.choice(["a", "b"], rows),
                        "bought": (x + rng.normal(scale=0.5, size=rows) > 0).astype(int)})
    return {"multi": multi, "sparse": sparse, "ids": ids}


@pytest.fixture(scope="module")
def repo(root, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("adopt") / "repo"
    subprocess.run(["git", "clone", "-q", str(root), str(path)], check=True)
    return path


def fresh(repo: Path, tmp_path: Path) -> Path:
    """A copy of the clone (params, dvc.yaml, embedded remote) for one data set."""
    target = tmp_path / "repo"
    subprocess.run(["git", "clone", "-q", str(repo), str(target)], check=True)
    return target


@pytest.mark.parametrize(("name", "target", "save"), [
    ("multi", "tier", lambda df, p: df.to_csv(p, sep=";", index=False)),
    ("sparse", "churned", lambda df, p: df.to_csv(p, index=False, na_rep="NA")),
    ("ids", "bought", lambda df, p: df.to_parquet(p, index=False)),
])
def test_init_data_runs_the_pipeline(repo, tmp_path, name, target, save):
    """Schema inferred, params written, data tracked, pipeline run, metrics for all models."""
    work = fresh(repo, tmp_path)
    source = tmp_path / (f"{name}.parquet" if name == "ids" else f"{name}.csv")
    save(shapes()[name], source)
    init_data.main(source, target, root=work)
    params = yaml.safe_load((work / "params.yaml").read_text())
    assert params["data"]["target"]["column"] == target
    assert params["train"]["model"]["name"] == "hist_gradient_boosting"  # other sections kept
    assert params["gate"]["min"] == {} and params["gate"]["max_drop"]  # floors were Adult's
    assert (work / "data" / source.name).read_bytes() == source.read_bytes()
    assert not (work / "data" / "adult.data").exists()
    metrics = json.loads((work / "reports" / "metrics.json").read_text())
    model, dummy = metrics["model"]["quality"], metrics["dummy"]["quality"]
    assert model["accuracy"] >= dummy["accuracy"]
    schema = params["schema"]
    if name == "multi":
        assert params["data"]["reader"]["separator"] == ";"
        assert schema["datetime"] == ["signup"] and "comment" not in schema["categorical"]
        assert len(params["data"]["target"]["classes"]) == 3
        assert "top_2_accuracy" in metrics["model"]["product"]
        assert set(metrics["model"]["per_class"]) == {"bronze", "gold", "silver"}
    if name == "sparse":
        assert "NA" in params["data"]["reader"]["missing_values"]
        assert len(schema["categorical"]["city"]) > 100  # many categories, kept
        assert params["baseline"]["rule"][0]["column"] == "income"
    if name == "ids":
        assert "customer_id" not in schema["numeric"] and schema["extra_columns"] == "drop"
        assert params["data"]["target"]["classes"] == ["0", "1"]
    status = subprocess.run(["dvc", "status"], cwd=work, capture_output=True, text=True)
    assert "up to date" in status.stdout


def test_regression_target_is_refused_clearly():
    df = pd.DataFrame({"x": range(100), "price": np.linspace(1, 50, 100)})
    with pytest.raises(PipelineError, match="regression is not supported by this template"):
        infer.target_classes(df, "price")


def test_unknown_target_names_the_columns():
    with pytest.raises(PipelineError, match="target column 'y' is not in the file; columns: a, b"):
        infer.target_classes(pd.DataFrame({"a": [1], "b": [2]}), "y")


def test_missing_target_values_are_refused():
    with pytest.raises(PipelineError, match="has 1 missing value"):
        infer.target_classes(pd.DataFrame({"y": ["a", None, "b"]}), "y")


def test_params_sections_are_replaced_and_others_kept(tmp_path, root):
    path = tmp_path / "params.yaml"
    path.write_text((root / "params.yaml").read_text())
    new = {"evaluate": {"slices": [], "min_slice_rows": 5, "latency_repeats": 10}}
    init_data.write_params(path, new, "note")
    text = path.read_text()
    assert "min_slice_rows: 5" in text and "# note" in text
    assert "# One of: logistic_regression, random_forest, hist_gradient_boosting." in text
