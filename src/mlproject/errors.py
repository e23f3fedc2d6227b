"""The one exception type a user sees: a single line naming the problem.

Messages may quote values from the data: ``quote`` keeps each under 80 characters and names at
most five, so one bad 10 MB field cannot turn an error line into 10 MB.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

MAX_QUOTED = 80  # characters of one quoted value
MAX_VALUES = 5  # values quoted in one message


class PipelineError(Exception):
    """Bad input or configuration. The CLI prints it as one line and exits non-zero."""

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(str(message).split()))


def plain(value: Any) -> Any:
    """A NumPy scalar as the Python value it holds (``np.int64(5)`` reads as ``5``)."""
    if type(value).__module__ == "numpy" and hasattr(value, "item"):
        try:
            return value.item()
        except (TypeError, ValueError):
            return value
    return value


def quote(value: Any) -> str:
    """``repr`` of a value as plain Python (no NumPy reprs), cut to MAX_QUOTED characters."""
    text = repr(plain(value))
    return text if len(text) <= MAX_QUOTED else text[: MAX_QUOTED - 2] + "…" + text[-1]


def quote_some(values: Iterable[Any], total: int | None = None) -> str:
    """The first MAX_VALUES values quoted, and how many more there are (of ``total``)."""
    shown = []
    for value in values:
        if len(shown) == MAX_VALUES:
            break
        value = plain(value)
        shown.append(str(value) if isinstance(value, int) and not isinstance(value, bool)
                     else quote(value))
    more = (total or 0) - len(shown)
    return ", ".join(shown) + (f" and {more:,} more" if more > 0 else "")
