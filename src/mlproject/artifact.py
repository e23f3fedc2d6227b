"""Model files: skops format, byte-identical for the same inputs, loaded only with trusted types.

A model file ``X.skops`` always has a sidecar ``X.json`` (metadata: versions, data and params
hashes, metrics, the model file's sha256). Loading checks the size cap, the sha256 and the
library versions before skops reads a single object, and skops refuses any type not listed in
``TRUSTED_TYPES``. No pickle anywhere.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import platform
import zipfile
from pathlib import Path
from typing import Any

from mlproject import storage
from mlproject.errors import PipelineError

MAX_MODEL_MB = 500
# A skops file is a zip archive: what it unpacks to is capped before a byte is inflated, so a
# small file cannot expand into gigabytes (a zip bomb). The sizes are the archive's declared
# ones; Python's zip reader never inflates an entry past its declared size.
MAX_UNPACKED_MB = 2000
MAX_RATIO = 200  # unpacked / packed, for archives that unpack to more than RATIO_FROM_MB
RATIO_FROM_MB = 50
MAX_MEMBERS = 100_000

# Types a model file may contain beyond skops' own defaults (checked by tests against the files
# the pipeline writes). Add to this list, never pass trusted=True.
TRUSTED_TYPES = [
    "mlproject.rule_model.RuleClassifier",
    "mlproject.rule_model.RuleRegressor",
    "sklearn.compose._column_transformer.ColumnTransformer",
    "sklearn.compose._column_transformer._RemainderColsList",
    "sklearn.dummy.DummyClassifier",
    "sklearn.ensemble._hist_gradient_boosting.binning._BinMapper",
    "sklearn.ensemble._hist_gradient_boosting.gradient_boosting.HistGradientBoostingClassifier",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    "sklearn._loss.link.Interval",
    "sklearn._loss.link.LogitLink",
    "sklearn._loss.link.MultinomialLogit",
    "sklearn._loss.loss.HalfBinomialLoss",
    "sklearn._loss.loss.HalfMultinomialLoss",
    "sklearn._loss._loss.CyHalfBinomialLoss",
    "sklearn._loss._loss.CyHalfMultinomialLoss",
    "sklearn.ensemble._forest.RandomForestClassifier",
    "sklearn.tree._classes.DecisionTreeClassifier",
    "sklearn.tree._tree.Tree",
    "sklearn.impute._base.SimpleImputer",
    "sklearn.linear_model._logistic.LogisticRegression",
    "sklearn.pipeline.Pipeline",
    "sklearn.preprocessing._data.StandardScaler",
    "sklearn.preprocessing._encoders.OneHotEncoder",
    "sklearn.preprocessing._encoders.OrdinalEncoder",
    "numpy.dtype",
    "numpy.dtypes.Float64DType",
    "numpy.dtypes.Int64DType",
    "numpy.dtypes.ObjectDType",
    "builtins.slice",
    # HistGradientBoosting keeps an internal ColumnTransformer whose FunctionTransformer wraps
    # check_array in a partial; skops still checks the wrapped function against this list.
    "functools.partial",
    "sklearn.utils.validation.check_array",
    "builtins.type",
]


def canonical(data: bytes) -> bytes:
    """Rewrite a skops archive so its bytes depend only on the model.

    skops names arrays after ``id()`` of objects, gives byte blobs random names and stamps
    the zip entries with the current time. Renumber ids and files in order of appearance and
    write every entry with a fixed timestamp.
    """
    with zipfile.ZipFile(io.BytesIO(data)) as zin:
        schema = json.loads(zin.read("schema.json"))
        blobs = {n: zin.read(n) for n in zin.namelist() if n != "schema.json"}
    ids: dict[Any, int] = {}
    files: dict[str, str] = {}

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if "__id__" in node:
                node["__id__"] = ids.setdefault(node["__id__"], len(ids) + 1)
            if isinstance(node.get("file"), str) and node["file"] in blobs:
                old = node["file"]
                node["file"] = files.setdefault(old, f"{len(files) + 1}{Path(old).suffix}")
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(schema)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as zout:
        entries = [("schema.json", json.dumps(schema, indent=2).encode())]
        entries += sorted((new, blobs[old]) for old, new in files.items())
        for name, payload in entries:
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zout.writestr(info, payload)
    return out.getvalue()


def versions() -> dict[str, str]:
    import numpy as np
    import pandas as pd
    import sklearn
    import skops

    return {"python": platform.python_version(), "scikit-learn": sklearn.__version__,
            "skops": skops.__version__, "numpy": np.__version__, "pandas": pd.__version__}


def sidecar(path: Path | str) -> Path:
    return Path(path).with_suffix(".json")


def save_model(model: Any, path: Path | str, metadata: dict[str, Any]) -> dict[str, Any]:
    """Write ``model`` and its sidecar atomically; return the sidecar's content."""
    import skops.io as sio  # imported when used: commands that only read metadata start fast

    data = canonical(sio.dumps(model))
    meta = {**metadata, "sha256": _sha256(data), "size_bytes": len(data), "versions": versions()}
    storage.write_bytes(path, data)
    storage.write_json(sidecar(path), meta)
    return meta


def load_model(path: Path | str) -> tuple[Any, dict[str, Any]]:
    """Load a model file after checking size, hash and versions; return (model, metadata)."""
    path = Path(path)
    storage.check_file(path, MAX_MODEL_MB, "the limit for model files, artifact.MAX_MODEL_MB")
    if not sidecar(path).is_file():
        raise PipelineError(f"{path}: metadata file {sidecar(path).name} is missing")
    meta = storage.read_json(sidecar(path))
    if not isinstance(meta, dict) or not isinstance(meta.get("versions", {}), dict):
        raise PipelineError(f"{path}: metadata file {sidecar(path).name} is not a JSON object "
                            "with a versions object")
    import sklearn
    import skops.io as sio
    from skops.io.exceptions import UntrustedTypesFoundException

    data = path.read_bytes()
    if _sha256(data) != meta.get("sha256"):
        raise PipelineError(f"{path}: sha256 does not match {sidecar(path).name}; "
                            "the file was changed after training, refusing to load it")
    trained_with = meta.get("versions", {}).get("scikit-learn")
    if trained_with != sklearn.__version__:
        raise PipelineError(f"{path}: trained with scikit-learn {trained_with}, this environment "
                            f"has {sklearn.__version__}; retrain or use the locked environment")
    check_archive(data, path)
    try:
        model = sio.loads(data, trusted=TRUSTED_TYPES)
    except UntrustedTypesFoundException as exc:
        raise PipelineError(f"{path}: contains types that are not trusted: {exc}") from None
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise PipelineError(f"{path}: not a readable skops model file ({exc})") from None
    except Exception as exc:  # a schema that parses but is not skops': any fault, one line
        raise PipelineError(f"{path}: not a readable skops model file ({type(exc).__name__}: "
                            f"{str(exc)[:120]})") from None
    return model, meta


def check_archive(data: bytes, path: Path | str) -> None:
    """Refuse a model archive whose members are too many or unpack to too much."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise PipelineError(f"{path}: not a readable skops model file ({exc})") from None
    unpacked = sum(m.file_size for m in members)
    mb = unpacked / 1e6
    if len(members) > MAX_MEMBERS:
        raise PipelineError(f"{path}: {len(members):,} members in the archive, over the "
                            f"{MAX_MEMBERS:,} allowed (artifact.MAX_MEMBERS)")
    if mb > MAX_UNPACKED_MB or (mb > RATIO_FROM_MB and unpacked > MAX_RATIO * len(data)):
        raise PipelineError(f"{path}: unpacks to {mb:,.0f} MB from {len(data) / 1e6:,.1f} MB, "
                            f"over the caps (artifact.MAX_UNPACKED_MB {MAX_UNPACKED_MB:,} MB, "
                            f"{MAX_RATIO}x the file above {RATIO_FROM_MB} MB): refusing to "
                            "load it")


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_of(path: Path | str) -> str:
    """The sha256 of a model file (under the size cap for model files)."""
    storage.check_file(Path(path), MAX_MODEL_MB, "the limit for model files, artifact.MAX_MODEL_MB")
    return _sha256(Path(path).read_bytes())


def metadata_for(params: Any, name: str, train_table: Path | str) -> dict[str, Any]:
    """What every model sidecar records: what it predicts, from which data and params."""
    target = params.data.target
    used = {"train": params.train, "baseline": params.baseline, "schema": params.schema,
            "target": target, "predict": params.predict}
    params_json = json.dumps(dataclasses.asdict(_Wrap(used)), sort_keys=True, default=str)
    return {
        "name": name,
        "task": target.task,
        "classes": list(target.classes),
        "positive": target.positive,
        "target": target.column,
        "confidence_threshold": params.predict.confidence_threshold,
        **({"tolerance": dataclasses.asdict(params.predict.tolerance)}
           if target.regression else {}),
        "features": params.features,
        "schema": {"numeric": {k: dataclasses.asdict(v) for k, v in params.schema.numeric.items()},
                   "categorical": params.schema.categorical,
                   "datetime": params.schema.datetime},
        "data_md5": storage.file_hash(train_table, "md5"),
        "params_md5": hashlib.md5(params_json.encode(), usedforsecurity=False).hexdigest(),
    }


@dataclasses.dataclass
class _Wrap:
    sections: dict[str, Any]
