"""Registry state as GTO reads it, and new registry tags written through GTO.

Tags follow GTO: ``NAME@vX.Y.Z`` registers a version, ``NAME@vX.Y.Z!`` deregisters (deprecates)
it, ``NAME#STAGE#N`` assigns the version registered at the tagged commit to STAGE and
``NAME#STAGE!#N`` withdraws it. What is in a stage, which versions are deprecated and the order
of events come from GTO's own Python API (the functions behind ``gto show`` and ``gto history``),
so ``mlproject`` and ``gto`` never disagree. GTO orders events by the tag's time in whole
seconds; a new stage tag is therefore never written in the same second as the previous one.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlproject.errors import PipelineError
from mlproject.registry import VERSION_RE, check_version, git


@dataclass(frozen=True)
class Version:
    version: str
    tag: str
    commit: str
    created: int  # unix seconds
    deprecated: bool = False


@dataclass(frozen=True)
class Event:
    tag: str
    event: str  # registration | deregistration | assignment | unassignment | deprecation
    version: str
    stage: str
    commit: str
    created: int
    message: str = ""


@dataclass
class State:
    name: str
    versions: dict[str, Version] = field(default_factory=dict)  # deprecated ones included
    stages: dict[str, Version] = field(default_factory=dict)  # what `gto show` puts in a stage
    events: list[Event] = field(default_factory=list)  # oldest first, as `gto history --asc`

    def in_stage(self, stage: str) -> Version | None:
        """The version GTO shows in ``stage``, or None."""
        return self.stages.get(stage)

    def at_commit(self, commit: str) -> Version | None:
        return next((v for v in self.versions.values() if v.commit == commit), None)

    def latest(self) -> Version | None:
        """The highest version ever registered, deprecated ones included (never reused)."""
        return max(self.versions.values(), key=lambda v: key(v.version), default=None)

    def ever_in(self, version: str, stage: str) -> bool:
        return any(e.version == version and e.stage == stage and e.event == "assignment"
                   for e in self.events)

    def withdrawn(self, stage: str) -> set[str]:
        """Versions whose last event in ``stage`` is an unassignment (rolled back from)."""
        last: dict[str, str] = {}
        for e in self.events:
            if e.stage == stage and e.event in ("assignment", "unassignment"):
                last[e.version] = e.event
        return {v for v, event in last.items() if event == "unassignment"}

    def last_stage_change(self) -> int:
        return max((e.created for e in self.events if e.stage), default=0)


def key(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in version[1:].split("."))


def bump(version: str, part: str) -> str:
    major, minor, patch = key(check_version(version))
    if part == "major":
        return f"v{major + 1}.0.0"
    if part == "minor":
        return f"v{major}.{minor + 1}.0"
    return f"v{major}.{minor}.{patch + 1}"


def read_state(name: str, root: Path | str = ".") -> State:
    """The registry state of artifact ``name`` exactly as ``gto show`` / ``gto history`` see it."""
    state = State(name)
    if not _has_tags(name, root):  # GTO has nothing to say; skip importing it
        return state
    from gto import api

    root = str(Path(root).resolve())
    active = _gto(api.show, root, name)  # the defaults of `gto show NAME`
    everything = _gto(api.show, root, name, deprecated=True)
    active_versions = {v["version"] for v in active}
    for v in everything:
        registered = v.get("registrations") or []
        if not registered or not VERSION_RE.fullmatch(v["version"]):
            continue  # a commit GTO discovered, not a registered version
        state.versions[v["version"]] = Version(
            v["version"], registered[0]["tag"], v["commit_hexsha"],
            int(registered[0]["created_at"].timestamp()), v["version"] not in active_versions)
    for v in active:
        for stage in v.get("stages") or []:
            if v["version"] in state.versions:
                state.stages[stage["stage"]] = state.versions[v["version"]]
    for e in _gto(api.history, root, name, ascending=True):
        state.events.append(Event(e["ref"], e["event"], e.get("version") or "",
                                  e.get("stage") or "", e["commit"],
                                  int(e["timestamp"].timestamp()), e.get("message") or ""))
    return state


def _has_tags(name: str, root: Path | str) -> bool:
    listed = git("tag", "--list", f"{name}@*", f"{name}#*", root=root)
    return bool(listed.strip())


def _gto(func, *args: Any, **kwargs: Any) -> Any:
    from gto.exceptions import GTOException

    try:
        return func(*args, **kwargs)
    except GTOException as exc:
        raise PipelineError(f"gto: {exc}") from None


def register(name: str, version: str, message: str, root: Path | str = ".") -> str:
    """Create the annotated tag ``name@version`` on HEAD (through GTO); return it."""
    from gto import api

    check_version(version)
    return _gto(api.register, str(root), name, "HEAD", version=version, message=message).tag


def assign(state: State, stage: str, version: str, message: str,
           root: Path | str = ".") -> str:
    """Create the next ``name#stage#N`` tag for ``version`` (through GTO); return it."""
    from gto import api

    _after(state.last_stage_change())
    # force: re-assigning an earlier version (rollback, re-use) is a new event, not an error
    return _gto(api.assign, str(root), state.name, stage, version=check_version(version),
                message=message, force=True).tag


def unassign(state: State, stage: str, version: str, message: str,
             root: Path | str = ".") -> str:
    """Create the next ``name#stage!#N`` tag withdrawing ``version`` from ``stage``; return it."""
    from gto import api

    _after(state.last_stage_change())
    return _gto(api.unassign, str(root), state.name, version=check_version(version),
                stage=stage, message=message).tag


def _after(seconds: int) -> None:
    """Wait until the clock has left second ``seconds``: GTO orders tags by whole seconds."""
    while time.time() < seconds + 1:
        time.sleep(0.05)

