"""Inline SVG charts for the registry site: no script, no library, readable in dark mode.

A chart is one metric across versions, oldest to newest: a line through the values, a dot per
version (its exact value in the dot's tooltip), the production version ringed, and versions
that were rolled back from crossed out. Colours come from CSS variables the page sets.
"""

from __future__ import annotations

from html import escape

W, H = 640, 220
LEFT, RIGHT, TOP, BOTTOM = 56, 36, 14, 50
MAX_LABELS = 8  # x labels shown; the others stay in the tooltips


def metric_chart(metric: str, points: list[tuple[str, float | None, str]],
                 chart_id: str) -> str:
    """``points``: (version, value, state) oldest first; state is "prod", "rolled_back" or ""."""
    known = [v for _, v, _ in points if v is not None]
    title = f"{metric} across versions"
    if not known:
        return f'<p class="muted">No version records {escape(metric)}.</p>'
    low, high = min(known), max(known)
    pad = (high - low) * 0.1 or max(abs(high) * 0.05, 0.01)
    low, high = low - pad, high + pad
    n = len(points)

    def x(i: int) -> float:
        return LEFT + (W - LEFT - RIGHT) * (0.5 if n == 1 else i / (n - 1))

    def y(v: float) -> float:
        return TOP + (H - TOP - BOTTOM) * (1 - (v - low) / (high - low))

    parts = [f'<svg class="chart" viewBox="0 0 {W} {H}" role="img" '
             f'aria-labelledby="{chart_id}-t {chart_id}-d" xmlns="http://www.w3.org/2000/svg">',
             f'<title id="{chart_id}-t">{escape(title)}</title>',
             f'<desc id="{chart_id}-d">{escape(_describe(metric, points))}</desc>']
    for frac in (0, 0.5, 1):
        value = low + (high - low) * frac
        parts.append(f'<line class="grid" x1="{LEFT}" x2="{W - RIGHT}" y1="{y(value):.1f}" '
                     f'y2="{y(value):.1f}"/><text class="axis" x="{LEFT - 6}" '
                     f'y="{y(value) + 4:.1f}" text-anchor="end">{value:.3g}</text>')
    line = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, (_, v, _) in enumerate(points)
                    if v is not None)
    parts.append(f'<polyline class="series" fill="none" points="{line}"/>')
    step = max(1, -(-n // MAX_LABELS))
    for i, (version, value, state) in enumerate(points):
        if i % step == 0 or i == n - 1:
            parts.append(f'<text class="axis" x="{x(i):.1f}" y="{H - BOTTOM + 16}" '
                         f'text-anchor="middle">{escape(version)}</text>')
        if value is None:
            continue
        note = {"prod": " (in production)", "rolled_back": " (rolled back)"}.get(state, "")
        tip = f"<title>{escape(version)}: {value:.4g}{note}</title>"
        cx, cy = x(i), y(value)
        parts.append(f'<circle class="dot {state}" cx="{cx:.1f}" cy="{cy:.1f}" r="4">{tip}'
                     "</circle>")
        if state == "rolled_back":
            parts.append(f'<path class="cross" d="M{cx - 6:.1f},{cy - 6:.1f}l12,12m0,-12l-12,12"'
                         "/>")
        elif state == "prod":
            parts.append(f'<circle class="ring" cx="{cx:.1f}" cy="{cy:.1f}" r="8"/>')
    parts.append(f'<text class="legend" x="{LEFT}" y="{H - 8}">● version · ◯ in production · '
                 "✕ rolled back</text></svg>")
    return "".join(parts)


def _describe(metric: str, points: list[tuple[str, float | None, str]]) -> str:
    shown = [f"{v} {value:.4g}" + (" (rolled back)" if state == "rolled_back" else "")
             for v, value, state in points if value is not None]
    if len(shown) > 8:
        return f"{metric} of the newest 8 of {len(shown)} versions: " + "; ".join(shown[-8:])
    return f"{metric} by version, oldest first: " + "; ".join(shown)
