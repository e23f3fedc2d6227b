"""The fast path of the prediction API for a few records: no DataFrame, no scikit-learn
preprocessing call, the same numbers.

A fitted model is ``Pipeline([("preprocess", ColumnTransformer), ("estimator", ...)])``
(estimators.py). At load time ``Plan.compile`` turns its preprocessing into plain lookups and
arithmetic, learnt from the fitted transformers themselves:

- each numeric column is an affine map with a value for missing (passthrough for trees;
  median imputation and scaling for linear models), read off the fitted transformer by
  transforming 0, 1 and a missing value;
- each categorical column is a table from category to its encoded block (an ordinal code, or
  a one-hot block), made by transforming every category the encoder knows, an unseen one and
  a missing one; anything else is unseen.

Records are then checked as plain Python values and encoded straight into the NumPy array the
estimator takes. For up to ``FOREST_ROWS`` records, histogram gradient boosting's trees are
walked all at once (``Forest``): scikit-learn walks them one by one, which costs more than the
walking for a few records. Up to ``MAX_RECORDS``, its own tree predictors are called directly
(``Trees``), without the input checks and category tables it makes on every call. Anything the
fast path does not take as it is (a number written as text, a boolean, a value out of range, a
datetime feature, a model of another shape) goes the usual way, which checks it and says what
is wrong: the fast path never decides an error. ``compile`` proves itself before it is used: on
probe records built from the schema, the plan must give the very matrix the pipeline's own
preprocessing gives, or it is not used.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from mlproject.config import Schema

UNSEEN = "\x00unseen\x00"  # a category no encoder knows
MAX_RECORDS = 100  # more records go the DataFrame way: it is as fast per record there
FOREST_ROWS = 8  # up to this many rows walk the trees together; more: scikit-learn's loop
BIG_INT = 2 ** 53  # larger integers lose precision as floats: the usual checks decide


@dataclass
class Plan:
    numeric: list[tuple[str, float, float, float, float | None, float | None]]
    categorical: list[tuple[str, dict[Any, np.ndarray], slice]]
    width: int
    numeric_at: slice
    allowed: dict[str, frozenset[str]]  # unseen: not in the schema's list, as Predictor counts
    estimator: Any = None  # the pipeline's estimator
    forest: Forest | None = None  # its trees walked together, for a few rows
    trees: Trees | None = None  # its tree predictors called directly, for up to MAX_RECORDS

    @classmethod
    def compile(cls, model: Any, features: list[str], schema: Schema) -> Plan | None:
        """The plan of a fitted pipeline, or None when it is not one this module can follow
        (those models simply take the usual path)."""
        try:
            plan = cls._build(model, features, schema)
        except Exception:  # noqa: BLE001 - an unexpected model shape: the usual path serves it
            return None
        if plan is None:
            return None
        probes = probe_records(features, schema)
        if not plan._agrees(model, features, probes):
            return None
        plan.estimator = model.steps[-1][1]
        X = plan.matrix(probes)[0]
        regression = not hasattr(plan.estimator, "predict_proba")
        plan.forest = _proven(Forest, plan.estimator, X, regression)
        plan.trees = _proven(Trees, plan.estimator, X, regression)
        return plan

    def taker(self, rows: int) -> Any:
        """What takes a matrix of ``rows`` rows: the forest for a few, the tree predictors
        for up to MAX_RECORDS, else the estimator."""
        if self.forest is not None and rows <= FOREST_ROWS:
            return self.forest
        return self.trees if self.trees is not None and rows <= MAX_RECORDS else self.estimator

    @classmethod
    def _build(cls, model: Any, features: list[str], schema: Schema) -> Plan | None:
        from sklearn.compose import ColumnTransformer
        from sklearn.pipeline import Pipeline

        if schema.datetime or not isinstance(model, Pipeline) or len(model.steps) != 2:
            return None
        ct = model.steps[0][1]
        if not isinstance(ct, ColumnTransformer):
            return None
        blocks = {name: (trans, list(cols)) for name, trans, cols in ct.transformers_
                  if not (isinstance(trans, str) and trans == "drop")}
        if set(blocks) != {"numeric", "categorical"}:
            return None
        numeric, categorical = blocks["numeric"][1], blocks["categorical"][1]
        if sorted(numeric + categorical) != sorted(features) or set(numeric) != set(
                schema.numeric) or set(categorical) != set(schema.categorical):
            return None
        at = ct.output_indices_
        width = max(s.stop for s in at.values())
        return cls(_numeric_maps(ct, numeric, categorical, schema),
                   _category_tables(ct, numeric, categorical, schema, at["categorical"]),
                   width, at["numeric"],
                   {c: frozenset(v) for c, v in schema.categorical.items()})

    def matrix(self, records: list[Mapping[str, Any]]
               ) -> tuple[np.ndarray, list[dict[str, Any]], dict[str, int]] | None:
        """(the estimator's input, the checked records, unseen counts per column), or None
        when a value needs the usual checks. Rows are built as Python lists (a NumPy item
        assignment costs more than the arithmetic) and become one array at the end."""
        rows: list[list[float]] = []
        checked: list[dict[str, Any]] = []
        unseen: dict[str, int] = {}
        start, blank = self.numeric_at.start, [0.0] * self.width
        numeric, categorical, allowed = self.numeric, self._list_tables, self.allowed
        for record in records:
            out = blank.copy()
            row: dict[str, Any] = {}
            for j, (name, a, b, missing, low, high) in enumerate(numeric, start):
                value = record[name]
                if value is None:
                    number = math.nan
                elif type(value) is float or (type(value) is int and -BIG_INT < value < BIG_INT):
                    number = float(value)
                    if not math.isfinite(number) and not math.isnan(number):
                        return None
                    if (low is not None and number < low) or (high is not None and number > high):
                        return None
                else:
                    return None  # text, booleans, numpy scalars: the usual checks
                out[j] = missing if number != number else a * number + b  # NaN: missing
                row[name] = number
            for name, table, first, stop, other in categorical:
                value = record[name]
                if type(value) is float and value != value:
                    value = None  # a table's missing category, as pandas writes it
                elif value is not None and type(value) is not str:
                    return None
                out[first:stop] = table.get(value, other)
                if value is not None and value not in allowed[name]:
                    unseen[name] = unseen.get(name, 0) + 1
                row[name] = value
            rows.append(out)
            checked.append(row)
        return np.array(rows, dtype=float).reshape(len(rows), self.width), checked, unseen

    @cached_property
    def _list_tables(self) -> list[tuple[str, dict[Any, list[float]], int, int, list[float]]]:
        """The category tables as Python lists: (column, table, first, stop, unseen block)."""
        return [(name, {k: v.tolist() for k, v in table.items()}, int(where.start),
                 int(where.stop), table[UNSEEN].tolist())
                for name, table, where in self.categorical]

    def table_matrix(self, frame: pd.DataFrame) -> np.ndarray:
        """The estimator's input for a checked table (Predictor.frame's): the same lookups
        and arithmetic, a column at a time."""
        X = np.empty((len(frame), self.width))
        start = self.numeric_at.start
        for j, (name, a, b, missing, _, _) in enumerate(self.numeric):
            values = frame[name].to_numpy(dtype=float)
            X[:, start + j] = np.where(np.isnan(values), missing, a * values + b)
        for name, table, where in self.categorical:
            keys, blocks = self._stacked(name, table)
            X[:, where] = blocks[_positions(frame[name], keys)]
        return X

    def _stacked(self, name: str, table: dict[Any, np.ndarray]) -> tuple[list[Any], np.ndarray]:
        """A column's table as (known categories, then UNSEEN, then None) and their blocks."""
        cache = self.__dict__.setdefault("_stacks", {})
        if name not in cache:
            keys = [k for k in table if k not in (UNSEEN, None)] + [UNSEEN, None]
            cache[name] = keys, np.vstack([table[k] for k in keys])
        return cache[name]

    def _agrees(self, model: Any, features: list[str], records: list[dict[str, Any]]
                ) -> bool:
        """The plan gives the pipeline's own preprocessing output on the probe records."""
        found = self.matrix(records)
        if found is None:
            return False
        frame = pd.DataFrame.from_records([r for r in found[1]], columns=features)
        for name in self.allowed:  # the categorical columns
            frame[name] = pd.array(frame[name].to_numpy(dtype=object), dtype="str")
        expected = np.asarray(model.steps[0][1].transform(frame), dtype=float)
        return all(expected.shape == mine.shape and bool(
            np.allclose(expected, mine, rtol=1e-12, atol=1e-12, equal_nan=True))
            for mine in (found[0], self.table_matrix(frame)))


def _positions(values: pd.Series, keys: list[Any]) -> np.ndarray:
    """Each value's row in a stacked table (``keys``: the known categories, then UNSEEN, then
    None): found by Arrow's hash lookup, a twentieth of the time of a pandas index on the
    same strings; values Arrow cannot take as text go the pandas way."""
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        column = pa.array(values, type=pa.string(), from_pandas=True)
        known = pa.array(keys[:-2], type=pa.string())
    except pa.ArrowException:
        index = pd.Index(keys[:-2]).get_indexer(values.astype(object).to_numpy())
        return np.where(index >= 0, index, np.where(values.isna().to_numpy(),
                                                    len(keys) - 1, len(keys) - 2))
    found = pc.index_in(column, value_set=known).fill_null(len(keys) - 2)
    index = np.array(found.to_numpy(zero_copy_only=False), dtype=np.intp)
    index[column.is_null().to_numpy(zero_copy_only=False)] = len(keys) - 1
    return index


def _numeric_maps(ct: Any, numeric: list[str], categorical: list[str], schema: Schema
                  ) -> list[tuple[str, float, float, float, float | None, float | None]]:
    """(column, a, b, value for missing, min, max): the fitted numeric transform as a x + b."""
    probes = [0.0, 1.0, math.nan]
    frame = pd.DataFrame({**{c: probes for c in numeric},
                          **{c: pd.array([None] * 3, dtype="str") for c in categorical}})
    out = np.asarray(ct.transform(frame), dtype=float)[:, ct.output_indices_["numeric"]]
    maps = []
    for j, name in enumerate(numeric):
        zero, one, missing = out[:, j]
        rng = schema.numeric[name]
        maps.append((name, float(one - zero), float(zero), float(missing), rng.min, rng.max))
    return maps


def _category_tables(ct: Any, numeric: list[str], categorical: list[str], schema: Schema,
                     block: slice) -> list[tuple[str, dict[Any, np.ndarray], slice]]:
    """Per categorical column: {category: its encoded block}, with UNSEEN and None, and where
    the block sits in the estimator's input."""
    values = {c: [*_known(ct, c, categorical, schema), UNSEEN, None] for c in categorical}
    rows = [(c, v) for c in categorical for v in values[c]]
    frame = pd.DataFrame({**{c: [math.nan] * len(rows) for c in numeric},
                          **{c: pd.array([v if col == c else None for col, v in rows],
                                         dtype="str") for c in categorical}})
    out = np.asarray(ct.transform(frame), dtype=float)[:, block]
    tables, start = [], 0
    for c in categorical:
        mine = out[start:start + len(values[c])]
        varying = np.flatnonzero((mine != mine[0]).any(axis=0))
        if not len(varying) or not np.array_equal(varying, np.arange(varying[0],
                                                                     varying[-1] + 1)):
            raise ValueError(f"{c}: no contiguous block")
        where = slice(block.start + varying[0], block.start + varying[-1] + 1)
        tables.append((c, {v: mine[k, varying[0]:varying[-1] + 1].copy()
                           for k, v in enumerate(values[c])}, where))
        start += len(values[c])
    return tables


def _known(ct: Any, column: str, categorical: list[str], schema: Schema) -> list[str]:
    """Every category the encoder of ``column`` knows, and the ones the schema allows."""
    encoder = ct.named_transformers_["categorical"]
    encoder = encoder.steps[-1][1] if hasattr(encoder, "steps") else encoder
    learnt = [str(v) for v in encoder.categories_[categorical.index(column)]
              if isinstance(v, str)]
    return list(dict.fromkeys([*schema.categorical[column], *learnt]))


def probe_records(features: list[str], schema: Schema, rows: int = 40) -> list[dict[str, Any]]:
    """Records over the schema: numbers across each range, every category, unseen ones and
    missing values, for checking a plan against the pipeline."""
    rng = np.random.default_rng(0)
    out = []
    for i in range(rows):
        record: dict[str, Any] = {}
        for name in features:
            if name in schema.numeric:
                r = schema.numeric[name]
                low = r.min if r.min is not None else -1000.0
                high = r.max if r.max is not None else low + 2000.0
                record[name] = None if i % 7 == 3 else float(rng.uniform(low, high))
            else:
                allowed = schema.categorical[name]
                pick = i % (len(allowed) + 2)
                record[name] = (allowed[pick] if pick < len(allowed) else
                                None if pick == len(allowed) else f"unseen-{i}")
        out.append(record)
    return out


def _proven(kind: type[Summed], estimator: Any, X: np.ndarray, regression: bool
            ) -> Summed | None:
    """``kind`` compiled from the estimator when it gives the estimator's own outputs on the
    probe matrix ``X``, else None (the estimator's own predict serves)."""
    try:
        found = kind.compile(estimator)
        return found if found is not None and found.agrees(X, regression) else None
    except Exception:  # noqa: BLE001 - an unexpected estimator: its own predict serves
        return None


class Summed:
    """A histogram gradient boosting model's outputs from the sums of its leaf values
    (``raw``, as its _raw_predict gives them), through its own link (sigmoid, softmax,
    identity), as its predict and predict_proba do."""

    estimator: Any

    def raw(self, X: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        return self.estimator._loss.predict_proba(self.raw(X))

    def predict(self, X: np.ndarray) -> np.ndarray:
        return self.estimator._loss.link.inverse(self.raw(X).ravel())

    def agrees(self, X: np.ndarray, regression: bool) -> bool:
        """The estimator's own outputs on ``X``."""
        mine = self.predict(X) if regression else self.predict_proba(X)
        theirs = self.estimator.predict(X) if regression else self.estimator.predict_proba(X)
        return mine.shape == theirs.shape and bool(np.allclose(mine, theirs, rtol=1e-12,
                                                               atol=1e-12))


@dataclass
class Trees(Summed):
    """The tree predictors of a fitted HistGradientBoosting model called one by one, as its
    _raw_predict calls them, on one thread: the same sums in the same order, without checking
    the input again or rebuilding its category tables on every call."""

    estimator: Any
    bitsets: np.ndarray  # the known categories of each categorical feature
    feature_map: np.ndarray

    @classmethod
    def compile(cls, estimator: Any) -> Trees | None:
        """None unless the estimator is a histogram gradient boosting model that takes the
        matrix as it is (no pandas categories of its own to encode)."""
        if not getattr(estimator, "_predictors", None) or \
                getattr(estimator, "_preprocessor", None) is not None:
            return None
        bitsets, feature_map = estimator._bin_mapper.make_known_categories_bitsets()
        return cls(estimator, bitsets, feature_map)

    def raw(self, X: np.ndarray) -> np.ndarray:
        e = self.estimator
        X = np.asarray(X, dtype=np.float64)
        raw = np.zeros((len(X), e.n_trees_per_iteration_), dtype=e._baseline_prediction.dtype,
                       order="F")
        raw += e._baseline_prediction
        for iteration in e._predictors:
            for k, predictor in enumerate(iteration):
                raw[:, k] += predictor.predict(X, self.bitsets, self.feature_map, 1)
        return raw


@dataclass
class Forest(Summed):
    """A fitted HistGradientBoosting model's trees as flat arrays, walked together for a few
    rows: the leaf values summed in scikit-learn's order (the baseline, then tree after tree)."""

    feature: np.ndarray
    threshold: np.ndarray
    missing_left: np.ndarray
    left: np.ndarray
    right: np.ndarray
    leaf: np.ndarray
    value: np.ndarray
    roots: np.ndarray  # per tree, iteration after iteration, class within iteration
    baseline: np.ndarray  # (classes,)
    depth: int
    per_iteration: int
    estimator: Any

    @classmethod
    def compile(cls, estimator: Any) -> Forest | None:
        """The forest of a fitted HistGradientBoosting estimator without categorical splits,
        else None."""
        predictors = getattr(estimator, "_predictors", None)
        if not predictors or not hasattr(estimator, "_baseline_prediction"):
            return None
        trees = [tree.nodes for iteration in predictors for tree in iteration]
        if any(t["is_categorical"].any() for t in trees):
            return None
        sizes = np.array([len(t) for t in trees])
        offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        nodes = np.concatenate(trees)
        shift = np.repeat(offsets, sizes)
        return cls(nodes["feature_idx"].astype(np.intp), nodes["num_threshold"].astype(float),
                   nodes["missing_go_to_left"].astype(bool),
                   nodes["left"].astype(np.intp) + shift, nodes["right"].astype(np.intp) + shift,
                   nodes["is_leaf"].astype(bool), nodes["value"].astype(float), offsets,
                   np.asarray(estimator._baseline_prediction, dtype=float).ravel(),
                   int(max(t["depth"].max() for t in trees)), len(predictors[0]), estimator)

    def raw(self, X: np.ndarray) -> np.ndarray:
        """(rows, classes) sums of the leaf values, as scikit-learn's _raw_predict."""
        node = np.broadcast_to(self.roots, (len(X), len(self.roots))).copy()
        rows = np.arange(len(X))[:, None]
        for _ in range(self.depth):
            leaf = self.leaf[node]
            if leaf.all():
                break
            x = X[rows, self.feature[node]]
            go_left = np.where(np.isnan(x), self.missing_left[node], x <= self.threshold[node])
            node = np.where(leaf, node, np.where(go_left, self.left[node], self.right[node]))
        values = self.value[node].reshape(len(X), -1, self.per_iteration)  # rows, iter, class
        start = np.broadcast_to(self.baseline, (len(X), 1, self.per_iteration))
        return np.cumsum(np.concatenate([start, values], axis=1), axis=1)[:, -1, :]
