"""YAML the way DVC writes it, and typed objects from plain YAML data.

``safe_load(text)`` reads YAML with YAML 1.2 booleans: only true/false. DVC rewrites
params.yaml with YAML 1.2 (``dvc exp run -S``, ``dvc exp apply``) and leaves ``no``, ``yes``,
``on`` and ``off`` unquoted; a YAML 1.1 reader would turn a target class ``"no"`` into False.

``build(Params, raw, "")`` returns the dataclass or raises KeyProblem naming the full key
(``train.model.name``) and what is wrong with it.
"""

from __future__ import annotations

import dataclasses
import re
import types
import typing
from typing import Any, Literal

import yaml

MAX_BYTES = 1_000_000  # a params file is a few kilobytes; this is far above any real one
MAX_ALIASES = 20  # a "billion laughs" needs dozens of aliases; params files need none


class TooMuchYaml(yaml.YAMLError):
    """YAML refused before it is built: too large, or too many aliases (one line)."""


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader with the YAML 1.2 core schema's booleans, refusing documents with
    more than MAX_ALIASES aliases (each alias can double what the document expands to)."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            self.aliases_seen = getattr(self, "aliases_seen", 0) + 1
            if self.aliases_seen > MAX_ALIASES:
                line = self.peek_event().start_mark.line + 1
                raise TooMuchYaml(f"line {line}: more than {MAX_ALIASES} aliases (*name); "
                                  "write the values out instead")
        return super().compose_node(parent, index)


_BOOL = "tag:yaml.org,2002:bool"
_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != _BOOL]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()}
_Loader.add_implicit_resolver(_BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
                              list("tTfF"))


if yaml.__with_libyaml__:
    class _FastLoader(yaml.CSafeLoader):
        """The same reading with libyaml's parser: about ten times faster."""

    _FastLoader.yaml_implicit_resolvers = _Loader.yaml_implicit_resolvers


def safe_load(text: str | bytes) -> Any:
    """Parse YAML (no tags beyond the safe ones) with YAML 1.2 booleans; refuse text over
    MAX_BYTES or with more than MAX_ALIASES aliases (TooMuchYaml, a YAMLError).

    libyaml's C parser reads text without aliases (most params files, every dvc.lock); text
    with an alias, and text libyaml refuses, goes through the Python parser, which counts the
    aliases and says what is wrong and where in the words every error message quotes.
    """
    if len(text) > MAX_BYTES:
        raise TooMuchYaml(f"{len(text):,} bytes is over the {MAX_BYTES:,}-byte limit for YAML")
    if yaml.__with_libyaml__ and ("*" not in text if isinstance(text, str) else
                                  b"*" not in text):
        try:
            return yaml.load(text, Loader=_FastLoader)  # noqa: S506 - a CSafeLoader subclass
        except yaml.YAMLError:
            pass
    try:
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
    except RecursionError:  # libyaml stops at 1,000 levels; the Python parser at its stack
        raise TooMuchYaml("nested too deeply (lists or mappings inside each other hundreds "
                          "of levels deep)") from None


class KeyProblem(Exception):
    """A params key and what is wrong with it."""

    def __init__(self, key: str, reason: str) -> None:
        self.key, self.reason = key or "(top level)", reason


def build(tp: Any, value: Any, key: str) -> Any:
    """Convert plain YAML data into the annotated type, or raise KeyProblem."""
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if dataclasses.is_dataclass(tp):
        if not isinstance(value, dict):
            raise KeyProblem(key, f"expected a mapping, got {type(value).__name__}")
        hints = typing.get_type_hints(tp)
        names = {f.name for f in dataclasses.fields(tp)}
        for unknown in sorted(set(value) - names, key=str):
            raise KeyProblem(join(key, unknown),
                              f"unknown key; known keys: {', '.join(sorted(names))}")
        kwargs = {}
        for f in dataclasses.fields(tp):
            if f.name in value:
                kwargs[f.name] = build(hints[f.name], value[f.name], join(key, f.name))
            elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                raise KeyProblem(join(key, f.name), "required key is missing")
        return tp(**kwargs)
    if tp is Any:
        return value
    if origin is Literal:
        if value not in args:
            raise KeyProblem(key, f"got {value!r}; choose one of {', '.join(map(str, args))}")
        return value
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        inner = [a for a in args if a is not type(None)]
        return build(inner[0], value, key)
    if origin is list:
        if not isinstance(value, list):
            raise KeyProblem(key, f"expected a list, got {type(value).__name__}")
        return [build(args[0], v, f"{key}[{i}]") for i, v in enumerate(value)]
    if origin is dict:
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise KeyProblem(key, f"expected a mapping, got {type(value).__name__}")
        return {str(k): build(args[1], v, join(key, str(k))) for k, v in value.items()}
    return _scalar(tp, value, key)


def _scalar(tp: type, value: Any, key: str) -> Any:
    ok = {
        bool: isinstance(value, bool),
        int: isinstance(value, int) and not isinstance(value, bool),
        float: isinstance(value, int | float) and not isinstance(value, bool),
        str: isinstance(value, str),
    }[tp]
    if not ok:
        raise KeyProblem(key, f"expected {tp.__name__}, got {value!r}")
    return tp(value)


def join(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name
