"""Run one cell as a DVC experiment and share experiments through the git remote.

Experiments travel as git refs (``refs/exps/...``) with `dvc exp push` / `dvc exp pull`; their
metrics and params are small files in git, so no DVC remote (and no cloud credential) is
needed: ``--no-cache`` leaves the model files out. In CI, the job's token reaches git through a
throwaway global git config that lives only as long as the one command (DVC talks to git
remotes through dulwich, which reads ``http.<url>.extraheader`` from the global config only).
"""

from __future__ import annotations

import base64
import os
import re
import shlex
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from mlproject.errors import PipelineError

REMOTE = "origin"
SERVER = re.compile(r"https://[A-Za-z0-9.-]+(:[0-9]+)?")


def dvc() -> str:
    """Return the dvc beside this Python (the project's environment), else the one on PATH."""
    here = Path(sys.executable).with_name("dvc")
    return str(here) if here.exists() else "dvc"


@contextmanager
def git_auth(token: str | None, server: str) -> Iterator[dict[str, str]]:
    """Yield the environment for one dvc command: with ``token``, a global git config that
    sends it to ``server`` as HTTP basic auth; without, the environment as it is."""
    env = {k: v for k, v in os.environ.items() if k != "GIT_TOKEN"}
    if not token:
        yield env
        return
    if not SERVER.fullmatch(server):
        raise PipelineError(f"GITHUB_SERVER_URL: {server[:80]!r} is not an https:// host")
    basic = base64.b64encode(f"x-access-token:{token}".encode()).decode()
    with tempfile.TemporaryDirectory(prefix="git-auth-") as tmp:
        config = Path(tmp) / "gitconfig"
        config.touch(mode=0o600)
        config.write_text(f'[http "{server}/"]\n\textraheader = AUTHORIZATION: basic {basic}\n',
                          encoding="utf-8")
        yield {**env, "GIT_CONFIG_GLOBAL": str(config)}


def _token_env() -> tuple[str | None, str]:
    return os.environ.get("GIT_TOKEN"), os.environ.get("GITHUB_SERVER_URL", "https://github.com")


def _dvc(*args: str, env: dict[str, str] | None = None) -> int:
    """Run dvc with its output in the log, after the command itself; return its status."""
    print("$ " + shlex.join(["dvc", *args]), file=sys.stderr, flush=True)
    return subprocess.run([dvc(), *args], env=env).returncode


def _fail(status: int, what: str) -> None:
    if status:
        raise PipelineError(f"{what} failed (dvc exited with status {status})")


def run(name: str, settings: dict[str, str]) -> None:
    """Run ``dvc exp run --name NAME -S key=value ...`` for one cell."""
    sets = [arg for key, value in settings.items() for arg in ("-S", f"{key}={value}")]
    _fail(_dvc("exp", "run", "--name", name, *sets), f"experiment {name}")


def push(name: str) -> None:
    """Push experiment ``name`` to the git remote (replacing an earlier attempt of the run)."""
    with git_auth(*_token_env()) as env:
        status = _dvc("exp", "push", "--no-cache", "--force", REMOTE, name, env=env)
    _fail(status, f"sharing experiment {name}")


def pull(names: list[str]) -> list[str]:
    """Fetch the experiments that reached the remote; return the names of those that did not.

    One command for all; when it fails (a cell failed, so its experiment is missing), the
    remote's list of experiments says which ones are there, and those are fetched."""
    with git_auth(*_token_env()) as env:
        if _dvc("exp", "pull", "--no-cache", "--force", REMOTE, *names, env=env) == 0:
            return []
        print("$ dvc exp list --name-only origin", file=sys.stderr, flush=True)
        listed = subprocess.run([dvc(), "exp", "list", "--name-only", REMOTE], env=env,
                                capture_output=True, text=True)
        there = [n for n in names if n in listed.stdout.split()]
        if listed.returncode or not there:
            sys.stderr.write(listed.stderr)
            raise PipelineError(f"none of the {len(names)} experiments could be fetched from "
                                f"{REMOTE}; the cells' logs say why")
        _fail(_dvc("exp", "pull", "--no-cache", "--force", REMOTE, *there, env=env),
              "fetching the experiments")
    return [n for n in names if n not in there]
