"""A structural validator for the `xychart-beta` subset the report emits.

GitHub shows an error box instead of a chart when a block is malformed; this catches the
mistakes we can make (bad init JSON, quotes inside titles, series longer than the axis).
"""

from __future__ import annotations

import json
import re

NUMBER = r"-?\d+(?:\.\d+)?"
LIST = rf"\[({NUMBER}(?:, {NUMBER})*)\]"


def blocks(markdown: str) -> list[str]:
    return re.findall(r"```mermaid\n(.*?)\n```", markdown, flags=re.S)


def problems(block: str) -> list[str]:
    """Return what is wrong with one block (empty when it is valid)."""
    lines = block.splitlines()
    found = []
    init = re.fullmatch(r"%%\{init: (.*)\}%%", lines[0]) if lines else None
    try:
        palette = json.loads(init.group(1))["themeVariables"]["xyChart"]["plotColorPalette"]
    except (AttributeError, ValueError, KeyError, TypeError):
        return ["first line is not a JSON init directive with a plotColorPalette"]
    if lines[1:2] != ["xychart-beta"]:
        found.append("second line must be xychart-beta")
    body = lines[2:]
    if not body or not re.fullmatch(r'  title "[^"\n]*"', body[0]):
        found.append("missing or malformed title")
    x = re.fullmatch(rf'  x-axis "[^"]*" {LIST}', body[1] if len(body) > 1 else "")
    if not x:
        found.append("malformed x-axis")
    if len(body) < 3 or not re.fullmatch(rf'  y-axis "[^"]*" {NUMBER} --> {NUMBER}', body[2]):
        found.append("malformed y-axis range")
    series = body[3:]
    if not series or len(series) > len(palette.split(",")):
        found.append("needs one line per palette colour")
    for line in series:
        m = re.fullmatch(rf"  line {LIST}", line)
        if not m:
            found.append(f"malformed series: {line[:40]}")
        elif x and len(m.group(1).split(", ")) != len(x.group(1).split(", ")):
            found.append("series length differs from the x-axis")
    return found


def assert_valid(markdown: str) -> int:
    """Assert every Mermaid block in ``markdown`` is valid; return how many there are."""
    found = blocks(markdown)
    for block in found:
        assert not problems(block), (problems(block), block)
    return len(found)
