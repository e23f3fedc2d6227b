"""The promotion lock: one promotion or rollback at a time in a clone.

In CI the workflows' shared concurrency group does the same across machines.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from mlproject.errors import PipelineError
from mlproject.registry import git


@contextmanager
def promotion_lock(root: Path, timeout_s: float) -> Iterator[None]:
    """Hold an exclusive lock file in the git directory; wait up to ``timeout_s`` for it."""
    path = Path(root, git("rev-parse", "--git-common-dir", root=root)) / "mlproject-promote.lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    deadline = time.monotonic() + timeout_s
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise PipelineError(f"another promotion holds {path}; waited {timeout_s:g}s, "
                                        "try again when it has finished") from None
                time.sleep(0.2)
        yield  # the kernel drops the lock if this process dies
    finally:
        os.close(fd)
