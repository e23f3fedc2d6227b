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


def quote(value: Any) -> str:
    """``repr`` of a value, cut to MAX_QUOTED characters."""
    text = repr(value)
    return text if len(text) <= MAX_QUOTED else text[: MAX_QUOTED - 2] + "…" + text[-1]


def quote_some(values: Iterable[Any], total: int | None = None) -> str:
    """The first MAX_VALUES values quoted, and how many more there are (of ``total``)."""
    shown = []
    for value in values:
        if len(shown) == MAX_VALUES:
            break
        shown.append(quote(value) if not isinstance(value, int) else str(value))
    more = (total or 0) - len(shown)
    return ", ".join(shown) + (f" and {more:,} more" if more > 0 else "")
