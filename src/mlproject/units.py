"""Numbers as a reviewer reads them: one precision, one minus sign, units that fit the value.

Scores have 4 decimals everywhere (the verdict line and the tables agree); a value that rounds to
zero but is not zero reads "<0.0001"; milliseconds have one decimal; bytes read as kB or MB;
counts have thousands separators; anything that is not a finite number is a dash.
"""

from __future__ import annotations

from typing import Any

from mlproject.storage import finite

MINUS = "\u2212"  # the one minus sign of the report
DIGITS = 4


def score(value: Any) -> str:
    """A metric value: 0.9265, <0.0001, 1.0000."""
    v = finite(value)
    if v is None:
        return "—"
    if v != 0 and abs(v) < 0.5 * 10 ** -DIGITS:
        return f"{'' if v > 0 else MINUS}<{10 ** -DIGITS:.{DIGITS}f}"
    return f"{v:.{DIGITS}f}".replace("-", MINUS)


def signed(value: Any) -> str:
    """A change: +0.0100, −0.0100, ±0 for none at this precision."""
    v = finite(value)
    if v is None:
        return "—"
    if abs(v) < 0.5 * 10 ** -DIGITS:
        return "±0" if v == 0 else f"{'+' if v > 0 else MINUS}<{10 ** -DIGITS:.{DIGITS}f}"
    return f"{'+' if v > 0 else MINUS}{abs(v):.{DIGITS}f}"


def interval(low: Any, high: Any) -> str:
    """A 95 % interval: (−0.0140 … −0.0060)."""
    if finite(low) is None or finite(high) is None:
        return ""
    return f"({signed(low)} … {signed(high)})"


def between(low: Any, high: Any) -> str:
    """A 95 % interval of a value itself: (0.5800 … 0.6600)."""
    if finite(low) is None or finite(high) is None:
        return ""
    return f"({score(low)} … {score(high)})"


def count(value: Any) -> str:
    v = finite(value)
    return "—" if v is None else f"{round(v):,}".replace("-", MINUS)


def percent(part: Any, whole: Any) -> str:
    """A change relative to a whole, with one decimal: −20.1 %."""
    p, w = finite(part), finite(whole)
    if p is None or not w:
        return ""
    share = p / w * 100
    return f"{'+' if share > 0 else MINUS if share < 0 else ''}{abs(share):.1f} %"


def ms(value: Any) -> str:
    v = finite(value)
    return "—" if v is None else f"{v:,.1f} ms"


def size(value: Any) -> str:
    """Bytes as B, kB or MB (powers of 1000, as file sizes are shown)."""
    v = finite(value)
    if v is None:
        return "—"
    for unit, scale in (("MB", 1e6), ("kB", 1e3)):
        if abs(v) >= scale:
            return f"{v / scale:,.1f} {unit}"
    return f"{v:,.0f} B"


def per_second(value: Any) -> str:
    v = finite(value)
    return "—" if v is None else f"{v:,.0f} rows/s"


def ratio(value: Any) -> str:
    """A ratio of two measurements: 1.3×, 17×."""
    v = finite(value)
    if v is None:
        return "—"
    return f"{v:.0f}×" if v >= 10 else f"{v:.2g}×" if v < 1 else f"{v:.1f}×"


def measured(name: str, value: Any) -> str:
    """A system metric in its unit."""
    if name.startswith("latency"):
        return ms(value)
    if name == "model_size_bytes":
        return size(value)
    if name == "batch_rows_per_s":
        return per_second(value)
    return score(value)
