"""How many threads fitting and scoring may use: ``train.threads`` in params.yaml.

Float sums depend on how many threads share them: gradient boosting adds up gradient histograms
per OpenMP thread, and BLAS splits dot products across threads. With one thread a model file is
byte-identical on any machine, so ``dvc.lock`` proves it was reproduced. More threads train faster
on big machines; the model is then reproduced by its scores (within 1e-9), not by its bytes.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager


def count(setting: int) -> int:
    """The thread count a ``train.threads`` setting means: 0 is every core of this machine."""
    return (os.cpu_count() or 1) if setting == 0 else setting


@contextmanager
def limited(setting: int) -> Iterator[None]:
    """Limit every OpenMP and BLAS thread pool of this process while the block runs.

    Call it after the libraries are imported: thread pools loaded later are not limited.
    """
    from threadpoolctl import ThreadpoolController

    with ThreadpoolController().limit(limits=count(setting)):
        yield
