"""The model as ONNX, for applications that are not written in Python.

``export`` turns a fitted model into one ONNX file that takes the raw feature columns, one
input per feature, and answers as the prediction API does:

- inputs: a numeric feature is a ``double`` tensor of shape ``[N, 1]`` (NaN for missing), a
  categorical one a ``string`` tensor of shape ``[N, 1]`` (the empty string for missing; any
  category the model does not know counts as unseen, as in Python);
- outputs: a classifier gives ``label`` (string, ``[N]``) and ``probabilities`` (float,
  ``[N, classes]``, columns in the order of the model's ``classes``); a regressor gives
  ``value`` (float, ``[N]``).

The preprocessing is the compiled plan of the prediction API's fast path (fastpath.py): each
numeric column an affine map with a value for missing, each categorical column a lookup table,
both read off the fitted transformers and proven equal to them. The estimator is converted by
skl2onnx. The file checks nothing: ranges and types are the schema's (in the model's
metadata), which the application holds its inputs to.

Nothing is faked. A model the export cannot follow (the rule baseline, a datetime feature, an
estimator skl2onnx cannot convert) is skipped with the reason; a file whose answers on the
holdout differ from the Python model's (another label, or a score further than ``TOLERANCE``)
is not shipped, and the reason says by how much.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from mlproject import fastpath

if TYPE_CHECKING:
    from mlproject.predict import Predictor

FILE = "model.onnx"
TOLERANCE = 1e-5  # largest |score difference| shipped (regression: relative to max(1, |value|))
OPSET = {"": 17, "ai.onnx.ml": 3}  # onnxruntime 1.13 and later, and most other runtimes
OUTPUTS = ("label", "probabilities", "value")


class Unportable(Exception):
    """The export cannot follow this model; the message says why."""


@dataclass(frozen=True)
class Export:
    shipped: bool
    reason: str  # one line, for the release's summary
    onnx: bytes | None = None
    rows: int = 0  # holdout rows the parity check compared
    largest_difference: float | None = None

    def to_json(self) -> dict[str, Any]:
        return {"file": FILE if self.shipped else None, "shipped": self.shipped,
                "reason": self.reason, "rows": self.rows,
                "largest_difference": self.largest_difference, "tolerance": TOLERANCE}


def export(predictor: Predictor, table: pd.DataFrame, data: bytes | None = None) -> Export:
    """The ONNX file of ``predictor`` (``data`` when it is converted already) when it answers
    as the model does on ``table`` (the holdout); otherwise why not."""
    try:
        data = data or convert(predictor)
    except Unportable as exc:
        return Export(False, f"{FILE} skipped: {exc}")
    frame = predictor.frame(table)
    rows = len(frame)
    labels, largest = parity(data, predictor, frame)
    if labels:
        return Export(False, f"{FILE} not shipped: {labels:,} of {rows:,} holdout predictions "
                             "differ from the Python model's", rows=rows,
                      largest_difference=largest)
    if not largest <= TOLERANCE:
        return Export(False, f"{FILE} not shipped: its scores differ from the Python model's "
                             f"by up to {largest:.1e} on the holdout (allowed {TOLERANCE:.0e})",
                      rows=rows, largest_difference=largest)
    return Export(True, f"{FILE}: the same predictions as the Python model on {rows:,} holdout "
                        f"rows (scores within {max(largest, 1e-9):.0e})", data, rows, largest)


def write(model: Path, holdout: Path, out: Path) -> dict[str, Any]:
    """Write ``out`` when the ONNX export of the model file ``model`` answers as it does on
    the holdout file; return what happened (``Export.to_json``), the reason included."""
    from mlproject import storage
    from mlproject.errors import PipelineError
    from mlproject.predict import Predictor

    predictor = Predictor.load(model)
    try:  # a model the export cannot follow is said first: no holdout would change that
        data = convert(predictor)
    except Unportable as exc:
        return Export(False, f"{FILE} skipped: {exc}").to_json()
    if not holdout.is_file():
        return Export(False, f"{FILE} skipped: no holdout ({holdout}) to check it on").to_json()
    try:
        found = export(predictor, storage.read_table(holdout), data)
    except PipelineError as exc:  # a holdout the model cannot take: nothing to check it on
        return Export(False, f"{FILE} skipped: {exc}").to_json()
    if found.onnx is not None:
        storage.write_bytes(out, found.onnx)
    return found.to_json()


def convert(predictor: Predictor) -> bytes:
    """The serialized ONNX model of ``predictor``, or Unportable with the reason."""
    kind = type(predictor.model).__name__
    if predictor.schema.datetime:
        raise Unportable("datetime features are not exported")
    plan = fastpath.Plan.compile(predictor.model, predictor.features, predictor.schema)
    if plan is None:
        raise Unportable(f"{kind} has no ONNX form here (only a pipeline of the project's "
                         "preprocessing and an estimator is exported)")
    taken = set(predictor.features) & set(OUTPUTS)
    if taken:
        raise Unportable(f"feature {sorted(taken)[0]!r} has the name of an output")
    estimator = _estimator_graph(plan.estimator, plan.width, predictor.regression)
    return _assemble(predictor, plan, estimator).SerializeToString()


def _estimator_graph(estimator: Any, width: int, regression: bool) -> Any:
    """skl2onnx's graph of the estimator on the encoded matrix, every name prefixed."""
    from skl2onnx import convert_sklearn
    from skl2onnx.common.data_types import FloatTensorType

    options = {} if regression else {id(estimator): {"zipmap": False}}
    try:
        with warnings.catch_warnings():  # skl2onnx writes booleans where protobuf wants ints
            warnings.simplefilter("ignore", DeprecationWarning)
            model = convert_sklearn(estimator, options=options, target_opset=OPSET,
                                    initial_types=[("matrix", FloatTensorType([None, width]))])
    except Exception as exc:  # noqa: BLE001 - the converter's own words are the reason
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:160]
        raise Unportable(f"skl2onnx cannot convert {type(estimator).__name__}: {first}"
                         ) from None
    _missing_directions(model, estimator)
    return model


def _missing_directions(model: Any, estimator: Any) -> None:
    """A random forest's trees send a missing value the way each split learnt
    (``missing_go_to_left``); skl2onnx does not write that, so it is written here."""
    trees = [getattr(t, "tree_", None) for t in getattr(estimator, "estimators_", [])]
    if not trees or any(t is None or not hasattr(t, "missing_go_to_left") for t in trees):
        return
    from onnx import helper

    for node in model.graph.node:
        if node.op_type not in ("TreeEnsembleClassifier", "TreeEnsembleRegressor"):
            continue
        found = {a.name: a for a in node.attribute}
        left = [int(trees[t].missing_go_to_left[n]) for t, n in
                zip(found["nodes_treeids"].ints, found["nodes_nodeids"].ints, strict=True)]
        if "nodes_missing_value_tracks_true" in found:
            node.attribute.remove(found["nodes_missing_value_tracks_true"])
        # the true branch of BRANCH_LEQ is scikit-learn's left child
        node.attribute.append(helper.make_attribute("nodes_missing_value_tracks_true", left))


def _assemble(predictor: Predictor, plan: fastpath.Plan, estimator: Any) -> Any:
    """One model: the plan's preprocessing, the estimator, the API's outputs."""
    from onnx import TensorProto, helper, numpy_helper

    graph = estimator.graph
    rename = {name: f"estimator/{name}" for name in _names(graph)}
    rename["matrix"] = "estimator/matrix"
    for node in graph.node:
        node.input[:] = [rename.get(n, n) if n else n for n in node.input]
        node.output[:] = [rename.get(n, n) if n else n for n in node.output]
        node.name = f"estimator/{node.name}"
    for init in graph.initializer:
        init.name = rename[init.name]

    nodes: list[Any] = []
    constants: list[Any] = []
    inputs: list[Any] = []

    def constant(name: str, value: Any) -> str:
        constants.append(numpy_helper.from_array(np.asarray(value), name))
        return name

    blocks: list[tuple[int, str]] = []
    start = plan.numeric_at.start
    for j, (name, a, b, missing, _, _) in enumerate(plan.numeric):
        inputs.append(helper.make_tensor_value_info(name, TensorProto.DOUBLE, ["N", 1]))
        p = f"numeric/{j}"
        nodes += [
            helper.make_node("Mul", [name, constant(f"{p}/a", a)], [f"{p}/ax"]),
            helper.make_node("Add", [f"{p}/ax", constant(f"{p}/b", b)], [f"{p}/axb"]),
            helper.make_node("IsNaN", [name], [f"{p}/missing"]),
            helper.make_node("Where", [f"{p}/missing", constant(f"{p}/fill", missing),
                                       f"{p}/axb"], [f"{p}/out"]),
        ]
        blocks.append((start + j, f"{p}/out"))
    for j, (name, table, where) in enumerate(plan.categorical):
        inputs.append(helper.make_tensor_value_info(name, TensorProto.STRING, ["N", 1]))
        keys, values = plan._stacked(name, table)  # known..., UNSEEN, None
        known = [str(k) for k in keys[:-2]]
        codes = list(range(len(known)))
        if "" not in known:  # the empty string is how a missing category is written
            known, codes = [*known, ""], [*codes, len(keys) - 1]
        p = f"categorical/{j}"
        nodes += [
            helper.make_node("LabelEncoder", [name], [f"{p}/code"], domain="ai.onnx.ml",
                             keys_strings=known, values_int64s=codes,
                             default_int64=len(keys) - 2),
            helper.make_node("Gather", [constant(f"{p}/blocks", values), f"{p}/code"],
                             [f"{p}/gathered"], axis=0),
            helper.make_node("Reshape", [f"{p}/gathered",
                                         constant(f"{p}/shape", np.array(
                                             [-1, where.stop - where.start], dtype=np.int64))],
                             [f"{p}/out"]),
        ]
        blocks.append((where.start, f"{p}/out"))
    nodes += [
        helper.make_node("Concat", [n for _, n in sorted(blocks)], ["encoded"], axis=1),
        helper.make_node("Cast", ["encoded"], ["estimator/matrix"], to=TensorProto.FLOAT),
    ]
    produced = {o.name: rename[o.name] for o in graph.output}
    if predictor.regression:
        tail = [helper.make_node("Reshape", [produced["variable"],
                                             constant("flat", np.array([-1], dtype=np.int64))],
                                 ["value"])]
        outputs = [helper.make_tensor_value_info("value", TensorProto.FLOAT, ["N"])]
    else:
        order = np.array(predictor._order if predictor._order is not None
                         else range(len(predictor.classes)), dtype=np.int64)
        tail = [
            helper.make_node("Gather", [produced["probabilities"], constant("order", order)],
                             ["probabilities"], axis=1),
            helper.make_node("ArgMax", ["probabilities"], ["best"], axis=1, keepdims=0),
            helper.make_node("Gather", [constant("classes", np.array(predictor.classes,
                                                                     dtype=object)), "best"],
                             ["label"], axis=0),
        ]
        outputs = [helper.make_tensor_value_info("label", TensorProto.STRING, ["N"]),
                   helper.make_tensor_value_info("probabilities", TensorProto.FLOAT,
                                                 ["N", len(predictor.classes)])]
    merged = helper.make_graph([*nodes, *graph.node, *tail], "mlproject", inputs, outputs,
                               initializer=[*constants, *graph.initializer])
    versions = {**{o.domain: o.version for o in estimator.opset_import}, **OPSET}
    model = helper.make_model(merged, producer_name="mlproject", opset_imports=[
        helper.make_opsetid(domain, version) for domain, version in versions.items()])
    model.ir_version = estimator.ir_version
    meta = predictor.metadata
    props = {"task": predictor.task, "features": ",".join(predictor.features),
             "classes": ",".join(predictor.classes), "model_sha256": str(meta.get("sha256")),
             "model_name": str(meta.get("name", ""))}
    helper.set_model_props(model, props)
    import onnx

    onnx.checker.check_model(model, full_check=True)
    return model


def _names(graph: Any) -> set[str]:
    names = {i.name for i in graph.input} | {o.name for o in graph.output}
    names |= {i.name for i in graph.initializer}
    for node in graph.node:
        names |= {n for n in (*node.input, *node.output) if n}
    return names


def feeds(predictor: Predictor, frame: pd.DataFrame) -> dict[str, np.ndarray]:
    """The ONNX inputs of a checked feature table: one [N, 1] array per feature."""
    out = {}
    for name in predictor.features:
        column = frame[name]
        if name in predictor.schema.numeric:
            out[name] = column.to_numpy(dtype=np.float64).reshape(-1, 1)
        else:
            values = column.astype(object).where(column.notna(), "")
            out[name] = values.to_numpy(dtype=object).reshape(-1, 1)
    return out


def session(data: bytes) -> Any:
    import onnxruntime

    return onnxruntime.InferenceSession(data, providers=["CPUExecutionProvider"])


def parity(data: bytes, predictor: Predictor, frame: pd.DataFrame) -> tuple[int, float]:
    """(predictions that differ, the largest score difference) of the ONNX file against
    ``predictor`` on a checked table."""
    found = dict(zip(OUTPUTS, [None] * 3, strict=True))
    answer = session(data)
    names = [o.name for o in answer.get_outputs()]
    found.update(zip(names, answer.run(names, feeds(predictor, frame)), strict=True))
    expected = predictor.outputs(frame)
    if predictor.regression:
        values = np.asarray(found["value"], dtype=float)
        scale = np.maximum(1.0, np.abs(expected))
        return 0, float(np.max(np.abs(values - expected) / scale, initial=0.0))
    proba = np.asarray(found["probabilities"], dtype=float)
    labels = np.asarray(predictor.classes, dtype=object)[expected.argmax(axis=1)]
    top = np.sort(expected, axis=1)
    # a tie within the tolerance (a forest's 0.5 and 0.5) may break either way in 32 bits
    clear = top[:, -1] - top[:, -2] > TOLERANCE if top.shape[1] > 1 else True
    differ = int(((np.asarray(found["label"], dtype=object) != labels) & clear).sum())
    return differ, float(np.max(np.abs(proba - expected), initial=0.0))
