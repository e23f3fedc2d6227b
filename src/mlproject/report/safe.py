"""Make values read from a branch harmless before they reach a PR comment.

Everything in a report comes from files a pull request can change, so every string is escaped
(Markdown and HTML), `@mentions` are neutralised, long text is cut, and numbers are accepted only
when they are finite.
"""

from __future__ import annotations

import html
import re
from typing import Any

from mlproject.storage import finite

MAX_TEXT = 80  # characters of any one name or value shown in the report
_URL = re.compile(r"(?i)://|www\.")
_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-!|~>])")


def text(value: Any, limit: int = MAX_TEXT) -> str:
    """Return ``value`` as inline text that renders literally: no HTML, links or mentions."""
    raw = " ".join(str(value).split())
    if len(raw) > limit:
        raw = raw[: limit - 1] + "…"
    # quote=False: an apostrophe stays one (&#x27; would be mangled by the Markdown escape)
    escaped = _MARKDOWN.sub(r"\\\1", html.escape(raw, quote=False))
    # A zero-width joiner after @ stops GitHub from notifying users and teams; one inside
    # "://" and "www." stops bare URLs from becoming links.
    escaped = _URL.sub(lambda m: m.group(0)[:-1] + "\u200d" + m.group(0)[-1], escaped)
    return escaped.replace("@", "@\u200d")


def code(value: Any, limit: int = MAX_TEXT) -> str:
    """Return ``value`` as an inline code span. Inside one, Markdown escapes would show as
    backslashes and nothing renders as HTML, a link or a mention; only backticks and line
    breaks could break out, so they are replaced."""
    raw = " ".join(str(value).split()).replace("`", "'")
    if len(raw) > limit:
        raw = raw[: limit - 1] + "…"
    return f"`{raw}`"


def fmt(value: Any, digits: int = 4) -> str:
    """Format a finite number compactly; anything else becomes an em dash."""
    v = finite(value)
    if v is None:
        return "—"
    # counts and sizes print as integers; a score of exactly 0.0 or 1.0 keeps its decimals
    if (isinstance(value, int) or abs(v) > 1) and v == int(v) and abs(v) < 1e15:
        return f"{int(v):,}"
    return f"{v:,.{digits}f}" if abs(v) < 1e6 else f"{v:.4g}"
