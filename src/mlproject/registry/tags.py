"""Registry state read from git tags, and new tags written through GTO.

Tags follow GTO (``gto show`` / ``gto history`` read them): ``NAME@vX.Y.Z`` registers a version,
``NAME@vX.Y.Z!`` deprecates it, ``NAME#STAGE#N`` assigns the version registered at the tagged
commit to STAGE. The current version in a stage is the one with the highest counter N: counters
only grow, so this stays right even when two tags share a timestamp.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from mlproject.errors import PipelineError
from mlproject.registry import check_version, git


@dataclass
class Version:
    version: str
    tag: str
    commit: str
    created: int  # unix seconds
    deprecated: bool = False


@dataclass
class Event:
    tag: str
    event: str  # registration | assignment | unassignment | deprecation
    version: str
    stage: str
    commit: str
    created: int
    counter: int = 0
    message: str = ""


@dataclass
class State:
    name: str
    versions: dict[str, Version] = field(default_factory=dict)
    events: list[Event] = field(default_factory=list)

    def in_stage(self, stage: str) -> Version | None:
        """The version currently assigned to ``stage`` (highest counter), or None."""
        moves = [e for e in self.events if e.stage == stage and e.counter]
        if not moves:
            return None
        last = max(moves, key=lambda e: e.counter)
        return self.versions.get(last.version) if last.event == "assignment" else None

    def at_commit(self, commit: str) -> Version | None:
        return next((v for v in self.versions.values() if v.commit == commit), None)

    def latest(self) -> Version | None:
        return max(self.versions.values(), key=lambda v: _key(v.version), default=None)

    def next_counter(self, stage: str) -> int:
        return 1 + max((e.counter for e in self.events if e.stage == stage), default=0)

    def ever_in(self, version: str, stage: str) -> bool:
        return any(e.version == version and e.stage == stage and e.event == "assignment"
                   for e in self.events)


def _key(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in version[1:].split("."))


def bump(version: str, part: str) -> str:
    major, minor, patch = _key(check_version(version))
    if part == "major":
        return f"v{major + 1}.0.0"
    if part == "minor":
        return f"v{major}.{minor + 1}.0"
    return f"v{major}.{minor}.{patch + 1}"


def read_state(name: str, root: Path | str = ".") -> State:
    """Parse every tag of artifact ``name`` in the repository at ``root``."""
    from gto.tag import parse_name

    fmt = "%(refname:strip=2)%00%(*objectname)%00%(objectname)%00%(creatordate:unix)%00%(subject)"
    out = git("for-each-ref", f"--format={fmt}", "refs/tags", root=root)
    state, moves = State(name), []
    for line in filter(None, out.splitlines()):
        tag, peeled, obj, created, subject = line.split("\0")
        parsed = parse_name(tag, raise_on_fail=False)
        if not parsed or parsed.get("name") != name:
            continue
        commit, when, action = peeled or obj, int(created or 0), parsed["action"].value
        if action == "register":
            state.versions[parsed["version"]] = Version(parsed["version"], tag, commit, when)
        elif action == "deregister":
            moves.append(Event(tag, "deprecation", parsed["version"], "", commit, when, 0, subject))
        elif action in ("assign", "unassign"):
            kind = "assignment" if action == "assign" else "unassignment"
            moves.append(Event(tag, kind, "", parsed["stage"], commit, when, parsed["counter"],
                               subject))
    by_commit = {v.commit: v.version for v in state.versions.values()}
    for event in moves:
        event.version = event.version or by_commit.get(event.commit, "?")
        if event.event == "deprecation" and event.version in state.versions:
            state.versions[event.version].deprecated = True
    registrations = [Event(v.tag, "registration", v.version, "", v.commit, v.created)
                     for v in state.versions.values()]
    state.events = sorted(registrations + moves, key=lambda e: (e.created, e.counter, e.tag))
    return state


def register(name: str, version: str, message: str, root: Path | str = ".") -> str:
    """Create the annotated tag ``name@version`` on HEAD (through GTO); return it."""
    from gto import api

    check_version(version)
    _gto(api.register, str(root), name, "HEAD", version=version, message=message)
    return f"{name}@{version}"


def assign(name: str, stage: str, version: str, message: str, root: Path | str = ".") -> str:
    """Create the next ``name#stage#N`` tag for ``version`` (through GTO); return it."""
    from gto import api

    pattern = f"{name}#{stage}#*"
    before = set(git("tag", "--list", pattern, root=root).split())
    # force: re-assigning an earlier version (rollback) is a new event, not an error
    _gto(api.assign, str(root), name, stage, version=check_version(version), message=message,
         force=True)
    created = set(git("tag", "--list", pattern, root=root).split()) - before
    if len(created) != 1:
        raise PipelineError(f"expected GTO to create one {pattern} tag, found {sorted(created)}")
    return created.pop()


def _gto(func, *args, **kwargs) -> None:
    from gto.exceptions import GTOException

    try:
        func(*args, **kwargs)
    except GTOException as exc:
        raise PipelineError(f"gto: {exc}") from None


def push(tags: list[str], root: Path | str = ".", remote: str = "origin") -> bool:
    """Push ``tags`` to ``remote`` when it exists; return whether anything was pushed."""
    if remote not in git("remote", root=root).split():
        print(f"registry: no git remote '{remote}'; tags stay local")
        return False
    git("push", "--quiet", remote, *[f"refs/tags/{t}" for t in tags], root=root)
    return True


def as_json(state: State) -> str:
    return json.dumps({"name": state.name,
                       "versions": [v.__dict__ for v in state.versions.values()],
                       "events": [e.__dict__ for e in state.events]}, indent=2)
