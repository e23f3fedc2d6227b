"""Model files: skops only, byte-identical, trusted types only, tamper-evident."""

from __future__ import annotations

import ast
import io
import json
import zipfile
from pathlib import Path

import pytest
import skops.io as sio
from sklearn.linear_model import LogisticRegression

from mlproject import artifact
from mlproject.errors import PipelineError
from mlproject.rule_model import RuleClassifier

SRC = Path(__file__).resolve().parents[2] / "src"
UNSAFE_CALLS = {("pickle", "load"), ("pickle", "loads"), ("joblib", "load"),
                ("pd", "read_pickle"), ("torch", "load"), ("cloudpickle", "load")}


def calls(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner = node.func.value
            yield (owner.id if isinstance(owner, ast.Name) else "", node.func.attr), node


def test_no_unsafe_loaders_in_the_package():
    """No pickle/joblib loading, and skops never trusts everything (M1, M3)."""
    for path in SRC.rglob("*.py"):
        tree = ast.parse(path.read_text())
        for name, node in calls(tree):
            assert name not in UNSAFE_CALLS, f"{path}: {name}"
            for kw in node.keywords:
                if kw.arg == "trusted":
                    assert not isinstance(kw.value, ast.Constant), f"{path}: trusted=constant"
                    assert not isinstance(kw.value, ast.Call), f"{path}: trusted=<call>"
                if kw.arg == "allow_pickle":
                    assert not (isinstance(kw.value, ast.Constant) and kw.value.value)
        for node in ast.walk(tree):
            if isinstance(node, ast.Import | ast.ImportFrom):
                names = [a.name for a in node.names] + [getattr(node, "module", "") or ""]
                assert not {"pickle", "joblib", "cloudpickle", "dill"} & set(names), path


def test_saved_files_are_byte_identical(tmp_path):
    """Saving the same model twice gives the same bytes (skops ids and times canonicalised)."""
    model = LogisticRegression().fit([[0.0], [1.0], [2.0], [3.0]], [0, 0, 1, 1])
    a = artifact.save_model(model, tmp_path / "a.skops", {"name": "x"})
    b = artifact.save_model(model, tmp_path / "b.skops", {"name": "x"})
    assert a["sha256"] == b["sha256"]
    assert (tmp_path / "a.skops").read_bytes() == (tmp_path / "b.skops").read_bytes()
    loaded, meta = artifact.load_model(tmp_path / "a.skops")
    assert loaded.predict_proba([[1.5]]).tolist() == model.predict_proba([[1.5]]).tolist()
    assert meta["versions"]["scikit-learn"]


def test_pipeline_models_need_only_trusted_types(trained):
    """Every type in the models the pipeline writes is on the allowlist (M2)."""
    for path in (trained / "models").glob("*.skops"):
        untrusted = set(sio.get_untrusted_types(file=path))
        assert untrusted <= set(artifact.TRUSTED_TYPES), (path.name, untrusted)


def test_every_estimator_needs_only_trusted_types(params, table, tmp_path):
    """Switching the model in params never needs a new trusted type."""
    from mlproject.config import Model
    from mlproject.estimators import ESTIMATORS, build_model

    numeric = [c for c in params.features if c in params.schema.numeric]
    categorical = [c for c in params.features if c in params.schema.categorical]
    for name in (n for n, spec in ESTIMATORS.items() if spec.classifier):
        model = build_model(Model(name, {}), numeric, categorical, 0)
        model.fit(table[params.features], table[params.data.target.column])
        data = sio.dumps(model)
        untrusted = set(sio.get_untrusted_types(data=data))
        assert untrusted <= set(artifact.TRUSTED_TYPES), (name, untrusted)


def test_untrusted_type_is_refused(tmp_path):
    """A file holding a type outside the allowlist is refused before anything runs (M2)."""
    from mlproject.config import Range  # any class outside the allowlist

    data = artifact.canonical(sio.dumps({"payload": Range(1, 2)}))
    path = tmp_path / "evil.skops"
    path.write_bytes(data)
    meta = {"sha256": artifact._sha256(data), "versions": artifact.versions()}
    path.with_suffix(".json").write_text(json.dumps(meta))
    with pytest.raises(PipelineError, match="not trusted"):
        artifact.load_model(path)


def test_tampered_file_is_refused(tmp_path):
    """A model file whose sha256 differs from its sidecar is refused (M6)."""
    model = RuleClassifier().fit([[0], [1]], [0, 1])
    artifact.save_model(model, tmp_path / "m.skops", {"name": "rule"})
    buf = io.BytesIO()
    with zipfile.ZipFile(tmp_path / "m.skops") as zin, zipfile.ZipFile(buf, "w") as zout:
        for item in zin.infolist():
            zout.writestr(item, zin.read(item.filename))
        zout.writestr("extra.txt", b"x")
    (tmp_path / "m.skops").write_bytes(buf.getvalue())
    with pytest.raises(PipelineError, match="sha256 does not match"):
        artifact.load_model(tmp_path / "m.skops")


def test_other_sklearn_version_is_refused(tmp_path):
    """A model trained with another scikit-learn is refused with both versions named (M5)."""
    model = RuleClassifier().fit([[0], [1]], [0, 1])
    meta = artifact.save_model(model, tmp_path / "m.skops", {"name": "rule"})
    meta["versions"]["scikit-learn"] = "0.1.0"
    (tmp_path / "m.json").write_text(json.dumps(meta))
    with pytest.raises(PipelineError, match="trained with scikit-learn 0.1.0"):
        artifact.load_model(tmp_path / "m.skops")


def test_missing_sidecar_and_oversized_file(tmp_path, monkeypatch):
    (tmp_path / "m.skops").write_bytes(b"PK")
    with pytest.raises(PipelineError, match="metadata file m.json is missing"):
        artifact.load_model(tmp_path / "m.skops")
    monkeypatch.setattr(artifact, "MAX_MODEL_MB", 0.000001)
    with pytest.raises(PipelineError, match="over the"):
        artifact.load_model(tmp_path / "m.skops")


def signed(path: Path, data: bytes) -> Path:
    """``data`` written as a model file with a sidecar that vouches for it."""
    path.write_bytes(data)
    meta = {"sha256": artifact._sha256(data), "versions": artifact.versions()}
    path.with_suffix(".json").write_text(json.dumps(meta))
    return path


def rezipped(data: bytes, change) -> bytes:
    """``data`` (a skops archive) with ``change(name, bytes) -> bytes`` applied per member."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as zin, zipfile.ZipFile(
            out, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            zout.writestr(item.filename, change(item.filename, zin.read(item.filename)))
    return out.getvalue()


def test_a_schema_that_parses_but_is_not_skops_is_one_line(tmp_path):
    """A file whose schema.json is valid JSON of the wrong shape: refused, never a traceback."""
    good = artifact.canonical(sio.dumps(RuleClassifier().fit([[0], [1]], [0, 1])))
    broken = {"list": b"[1, 2, 3]", "no type": b'{"__class__": "RuleClassifier"}',
              "content a string": json.dumps({**json.loads(zipfile.ZipFile(
                  io.BytesIO(good)).read("schema.json")), "content": "x"}).encode()}
    for name, schema in broken.items():
        data = rezipped(good, lambda n, b, s=schema: s if n == "schema.json" else b)
        path = signed(tmp_path / f"{name.replace(' ', '_')}.skops", data)
        with pytest.raises(PipelineError, match="not a readable skops model file") as info:
            artifact.load_model(path)
        assert "\n" not in str(info.value), name


@pytest.mark.parametrize("meta", ["[]", '{"versions": "1.0"}', '"text"'])
def test_a_sidecar_that_parses_but_is_malformed_is_one_line(tmp_path, meta):
    path = tmp_path / "m.skops"
    artifact.save_model(RuleClassifier().fit([[0], [1]], [0, 1]), path, {"name": "rule"})
    path.with_suffix(".json").write_text(meta)
    with pytest.raises(PipelineError, match="not a JSON object"):
        artifact.load_model(path)


def test_a_zip_bomb_is_refused_before_it_is_inflated(tmp_path):
    """About 1 MB on disk that says it unpacks to 1 GiB: refused from the declared sizes."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        with z.open("schema.json", "w", force_zip64=True) as member:
            block = b"\0" * (1 << 24)
            for _ in range(64):
                member.write(block)
    data = out.getvalue()
    assert len(data) < 2e6
    with pytest.raises(PipelineError, match=r"unpacks to 1,074 MB from 1\.0 MB, over the caps"):
        artifact.load_model(signed(tmp_path / "bomb.skops", data))


def test_too_many_members_are_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(artifact, "MAX_MEMBERS", 10)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for i in range(11):
            z.writestr(f"{i}.npy", b"")
    with pytest.raises(PipelineError, match="11 members in the archive, over the 10 allowed"):
        artifact.load_model(signed(tmp_path / "many.skops", out.getvalue()))
