"""Model files are byte-identical whatever the machine's thread settings (train.threads: 1).

Each estimator is trained in two processes whose OpenMP and BLAS pools would use one and two
threads; with `train.threads: 1` the files must be identical. The same run with
`train.threads: 2` shows the check would notice: the bytes then differ for the estimators whose
sums are split across threads.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from ..fixture_data import generated_params, typed_table

pytestmark = pytest.mark.slow
ESTIMATOR_PARAMS = {"logistic_regression": {"C": 0.5, "max_iter": 500},
                    "random_forest": {"n_estimators": 20, "max_depth": 8},
                    "hist_gradient_boosting": {"max_iter": 40}}
TRAIN_ALL = """
import hashlib, json, sys
from dataclasses import replace
import pandas as pd, skops.io as sio
from mlproject import artifact
from mlproject.config import Model, parse_params
from mlproject.stages.train import train
params = parse_params(json.loads(sys.argv[1]))
table = pd.read_parquet(sys.argv[2])
out = {}
for name, hyper in json.loads(sys.argv[3]).items():
    for threads in (1, 2):
        p = replace(params, train=replace(params.train, model=Model(name, hyper), threads=threads))
        data = artifact.canonical(sio.dumps(train(table, p)))
        out[f"{name}/{threads}"] = hashlib.sha256(data).hexdigest()
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def digests(tmp_path_factory) -> dict[str, dict[str, str]]:
    """{environment: {estimator/threads: sha256}} from one process per environment."""
    table = tmp_path_factory.mktemp("threads") / "train.parquet"
    typed_table(20_000, seed=5).to_parquet(table)
    out = {}
    for pools in ("1", "2"):
        env = {**os.environ, "OMP_NUM_THREADS": pools, "OPENBLAS_NUM_THREADS": pools}
        done = subprocess.run([sys.executable, "-c", TRAIN_ALL, json.dumps(generated_params()),
                               str(table), json.dumps(ESTIMATOR_PARAMS)],
                              env=env, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stderr[-2000:]
        out[pools] = json.loads(done.stdout)
    return out


@pytest.mark.parametrize("estimator", list(ESTIMATOR_PARAMS))
def test_one_thread_gives_the_same_bytes_under_any_pool_settings(digests, estimator):
    assert digests["1"][f"{estimator}/1"] == digests["2"][f"{estimator}/1"]


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="needs two cores to use two threads")
@pytest.mark.parametrize("estimator", ["logistic_regression", "hist_gradient_boosting"])
def test_more_threads_change_the_bytes(digests, estimator):
    """The setting reaches the thread pools: two threads sum in another order."""
    assert digests["2"][f"{estimator}/1"] != digests["2"][f"{estimator}/2"]
