"""Rewrite sections of params.yaml in place, keeping its comments and layout.

``render(text, {"data": {...}, "refresh": {...}})`` gives each named top-level section exactly
the new content: keys that stay keep their comments and place, values that did not change keep
their exact text, new keys are appended, dropped keys go with their comments. Every other
section is kept byte for byte. Rendering the same content twice changes nothing.
"""

from __future__ import annotations

import io
import re
from typing import Any

import yaml
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.representer import RepresenterError
from ruamel.yaml.scalarstring import DoubleQuotedScalarString

from mlproject.errors import PipelineError
from mlproject.from_yaml import safe_load

TOP_KEY = re.compile(r"\n(?=(?:#[^\n]*\n)*[A-Za-z_][A-Za-z0-9_]*:)")  # before a section
SCALARS = (str, int, float, bool, type(None))


def render(text: str, new: dict[str, Any]) -> str:
    """params.yaml's text with the sections in ``new`` replaced (appended when absent)."""
    new = _plain(new)
    blocks, done = [], set()
    try:
        for block in TOP_KEY.split(text):
            key = re.search(r"^([A-Za-z_][A-Za-z0-9_]*):", block, re.M)
            name = key.group(1) if key else None
            if name in new:
                block = _rewrite(block, name, new[name])
                done.add(name)
            blocks.append(block.rstrip() + "\n")
        blocks += [_rewrite(f"{k}:\n", k, v).rstrip() + "\n" for k, v in new.items()
                   if k not in done]
    except RepresenterError as exc:
        raise PipelineError(f"params.yaml: cannot be written ({exc})") from None
    out = "\n".join(blocks)
    written = safe_load(out) or {}
    for name, content in new.items():  # what the pipeline will read is what was meant
        if not _equal(written.get(name), content):
            raise PipelineError(f"params.yaml: section {name!r} could not be written faithfully")
    return out


def _rewrite(block: str, name: str, content: Any) -> str:
    """One section's text with ``content``; unchanged when the content is already there."""
    old = (safe_load(block) or {}).get(name)
    if _equal(old, content):
        return block
    tree = _yaml().load(block)
    if isinstance(tree.get(name), CommentedMap) and isinstance(content, dict):
        _assign(tree[name], content, old if isinstance(old, dict) else {})
    else:
        tree[name] = _node(content)
        if isinstance(tree[name], CommentedMap):
            tree[name].fa.set_block_style()  # a section reads as a block, never {a: 1}
    buf = io.StringIO()
    _yaml().dump(tree, buf)
    dumped = buf.getvalue()
    # ruamel leaves a space at the end of wrapped flow lists; drop it where it means nothing
    stripped = re.sub(r"[ \t]+\n", "\n", dumped)
    return stripped if safe_load(stripped) == safe_load(dumped) else dumped


def _assign(node: CommentedMap, content: dict, old: dict) -> None:
    """Make ``node`` hold ``content``, keeping what did not change (``old``: its plain value)."""
    for key in [k for k in node if k not in content]:
        del node[key]
    for key, value in content.items():
        before = old.get(key) if isinstance(old, dict) else None
        if key in node and _equal(before, value):
            continue  # keep its text: quotes, flow style, line breaks
        current = node.get(key)
        if isinstance(current, CommentedMap) and isinstance(value, dict) and value \
                and not current.fa.flow_style():
            _assign(current, value, before if isinstance(before, dict) else {})
        else:
            node[key] = _node(value)


def _node(value: Any) -> Any:
    """A ruamel node for a plain value: short mappings and lists of scalars in flow style."""
    if isinstance(value, dict):
        node = CommentedMap((_node(k), _node(v)) for k, v in value.items())
        if not value or (len(value) <= 3 and all(_flat(v) for v in value.values())):
            node.fa.set_flow_style()
        return node
    if isinstance(value, list | tuple):
        seq = CommentedSeq(_node(v) for v in value)
        if all(isinstance(v, SCALARS) for v in value):
            seq.fa.set_flow_style()
        return seq
    if isinstance(value, str) and _read_back(value) != value:
        return DoubleQuotedScalarString(value)  # e.g. "Yes", "1", "null": keep them text
    return value


def _plain(value: Any) -> Any:
    """``value`` with numpy scalars as Python ones (pandas hands out numpy integers)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value.item() if hasattr(value, "item") and not isinstance(value, str) else value


def _flat(value: Any) -> bool:
    return isinstance(value, SCALARS) or (
        isinstance(value, list | tuple) and all(isinstance(v, SCALARS) for v in value))


def _read_back(value: str) -> Any:
    """How a YAML 1.1 reader would read ``value`` written plainly: stricter than the
    pipeline's own reader (``no`` is False there), so what it misreads is written quoted."""
    try:
        return yaml.safe_load(f"k: {value}")["k"]
    except yaml.YAMLError:
        return None


def _equal(a: Any, b: Any) -> bool:
    """Equal values of equal types (True is not 1, 1.0 is not 1)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_equal(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


def _yaml() -> YAML:
    y = YAML()
    y.width = 96
    y.indent(mapping=2, sequence=4, offset=2)
    y.preserve_quotes = True
    y.representer.add_representer(
        type(None), lambda r, _: r.represent_scalar("tag:yaml.org,2002:null", "null"))
    y.representer.add_representer(
        float, lambda r, v: r.represent_scalar("tag:yaml.org,2002:float", _float_text(v)))
    return y


def _float_text(value: float) -> str:
    """A float as PyYAML reads it back: 1e-05 is text to it, 1.0e-05 a number."""
    if value != value:
        return ".nan"
    if value in (float("inf"), float("-inf")):
        return ".inf" if value > 0 else "-.inf"
    text = repr(value)
    mantissa, e, exponent = text.partition("e")
    return f"{mantissa}.0e{exponent}" if e and "." not in mantissa else text


NOTE = "# init-data: "


def note(text: str, section: str, line: str) -> str:
    """params.yaml's text with one comment line saying why, first in ``section`` (replacing
    the one an earlier run wrote there): the reason travels with the values it explains."""
    lines = text.split("\n")
    try:
        at = lines.index(f"{section}:")
    except ValueError:
        return text
    while at + 1 < len(lines) and lines[at + 1].lstrip().startswith(NOTE):
        del lines[at + 1]
    lines.insert(at + 1, f"  {NOTE}{' '.join(line.split())}")
    return "\n".join(lines)
