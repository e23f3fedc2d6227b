"""model fetch and the loader's refusals: tampered bytes, untrusted types, unknown versions."""

from __future__ import annotations

import fractions
import json
import shutil

import pytest

from mlproject import artifact
from mlproject.errors import PipelineError
from mlproject.predict import Predictor
from mlproject.registry import fetch as fetching
from mlproject.registry import promote as promotion

from .conftest import fake_judge


@pytest.fixture
def promoted(repo):
    """A repository with v1.0.0 and v1.0.1 registered; v1.0.1 in prod."""
    repo.commit_results(0.80)
    promotion.promote(repo.path, judge=fake_judge())
    repo.commit_results(0.85, "retrain", variant=1)
    promotion.promote(repo.path, judge=fake_judge())
    return repo


def test_fetch_prod_from_the_remote_and_predict(promoted, params):
    """With an empty local cache the model comes from the DVC remote, sha256-checked."""
    from .conftest import synthetic_rows

    shutil.rmtree(promoted.path / ".dvc/cache")
    out = fetching.fetch("prod", "models/production.skops", promoted.path)
    meta = json.loads(artifact.sidecar(out).read_text())
    assert meta["registry"]["version"] == "v1.0.1" and meta["registry"]["tag"] == "model@v1.0.1"
    rows = synthetic_rows(params, 3, seed=1).drop(columns=[params.data.target.column])
    predictions = Predictor.load(out).predict(rows.to_dict("records"))
    assert len(predictions) == 3 and all(0 <= p.score <= 1 for p in predictions)


def test_fetch_a_version_and_load_predictor(promoted):
    predictor = fetching.load_predictor("v1.0.0", promoted.path)
    assert predictor.metadata["registry"]["version"] == "v1.0.0"


def test_fetch_refuses_unknown_and_malformed_versions(promoted):
    with pytest.raises(PipelineError, match="not registered"):
        fetching.fetch("v3.0.0", "x.skops", promoted.path)
    with pytest.raises(PipelineError, match="not of the form"):
        fetching.fetch("../../etc/passwd", "x.skops", promoted.path)


def test_fetch_refuses_bytes_that_do_not_match_the_sidecar(promoted):
    """A corrupted cache or remote object is never installed."""
    cached = [p for p in (promoted.path / ".dvc/cache").rglob("*") if p.is_file()]
    for path in cached + [p for p in promoted.remote.rglob("*") if p.is_file()]:
        path.chmod(0o644)
        path.write_bytes(path.read_bytes() + b"tampered")
    with pytest.raises(PipelineError, match="does not match the sha256"):
        fetching.fetch("prod", "models/production.skops", promoted.path)
    assert not (promoted.path / "models/production.skops").exists()


def test_a_deprecated_production_model_is_neither_fetched_nor_served(promoted, monkeypatch,
                                                                    capsys):
    """`gto deprecate model v1.0.1` (prod): fetch, make serve and GTO all fall back to v1.0.0,
    and a copy of v1.0.1 fetched before is refused by serve."""
    from mlproject.cli import main

    from .conftest import gto

    monkeypatch.chdir(promoted.path)
    stale = fetching.fetch("prod", "models/production.skops", promoted.path)
    gto("deprecate", "model", "v1.0.1", cwd=promoted.path)
    assert gto("show", "model#prod", "--ref", cwd=promoted.path).strip() == "model@v1.0.0"
    assert main(["serve", "--model", str(stale)]) == 1
    assert "model@v1.0.1 is deprecated; refusing to serve it" in capsys.readouterr().err
    with pytest.raises(PipelineError, match="deprecated; refusing to fetch"):
        fetching.fetch("v1.0.1", "x.skops", promoted.path)
    assert main(["model", "fetch", "prod"]) == 0  # what `make serve` runs first
    meta = json.loads(artifact.sidecar(stale).read_text())
    assert meta["registry"]["version"] == "v1.0.0"
    fetching.refuse_deprecated(meta, promoted.path)  # the server would start


def test_tampered_model_file_is_refused_at_load(tmp_path, tiny_model):
    model = tmp_path / "model.skops"
    shutil.copy(tiny_model, model)
    shutil.copy(artifact.sidecar(tiny_model), artifact.sidecar(model))
    data = bytearray(model.read_bytes())
    data[len(data) // 2] ^= 0xFF
    model.write_bytes(bytes(data))
    with pytest.raises(PipelineError, match="sha256 does not match"):
        Predictor.load(model)


def test_model_with_an_untrusted_type_is_refused_at_load(tmp_path, tiny_model):
    """Even with a matching sha256, skops' allowlist refuses types nobody vetted."""
    payload = {"model": fractions.Fraction(1, 3)}
    meta = json.loads(artifact.sidecar(tiny_model).read_text())
    path = tmp_path / "evil.skops"
    artifact.save_model(payload, path, {k: meta[k] for k in ("name", "classes")})
    with pytest.raises(PipelineError, match="not trusted"):
        artifact.load_model(path)
