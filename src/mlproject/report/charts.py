"""Charts: Mermaid `xychart-beta` blocks GitHub draws in a comment, PNGs for the artifact.

xychart has no legend, so each chart has a text line before it naming the colours and the
number that matters (AUC, AP); the x-axis is categorical, which is why curves are sampled on a
fixed grid. The colours read on light and dark backgrounds.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

from mlproject import units
from mlproject.storage import atomic_path, finite

MAIN, BRANCH = "#4493f8", "#fb8500"  # blue: main, orange: this PR
GREY, RED = "#8c959f", "#cf222e"  # reference lines: zero, the allowed drop
MARKS = {MAIN: "🔵", BRANCH: "🟠"}
AXES = {"roc": ("ROC curve", "false positive rate", "true positive rate", "roc_auc", "AUC"),
        "precision_recall": ("Precision-recall curve", "recall", "precision",
                             "average_precision", "AP")}


def block(lines: list[str], palette: list[str], horizontal: bool = False) -> str:
    init = {"themeVariables": {"xyChart": {"plotColorPalette": ", ".join(palette)}}}
    kind = "xychart-beta horizontal" if horizontal else "xychart-beta"
    return "\n".join(["```mermaid", f"%%{{init: {json.dumps(init)}}}%%", kind, *lines, "```"])


def _floor(value: float, step: float = 0.05) -> float:
    return max(0.0, math.floor(value / step) * step)


def curve(kind: str, series: dict[str, list[tuple[float, float]]], value: dict[str, float]
          ) -> str:
    """A legend line and a line chart of one curve for main (if any) and this PR.

    The first grid point is left out (a ROC curve starts at 0 there) and the y-axis starts just
    below the lowest point, so curves that nearly overlap still look apart.
    """
    title, xlabel, ylabel, _, short = AXES[kind]
    shown = [(key, name, colour, series[key][1:]) for key, name, colour in
             (("champion", "main", MAIN), ("challenger", "this PR", BRANCH)) if key in series]
    legend = " · ".join(f"{MARKS[colour]} {name}: {short} {units.score(value.get(key))}"
                        for key, name, colour, _ in shown)
    xs = [x for x, _ in shown[-1][3]]
    low = _floor(min(y for *_, pts in shown for _, y in pts))
    lines = [f'  title "{title}"', f'  x-axis "{xlabel}" [{", ".join(f"{x:g}" for x in xs)}]',
             f'  y-axis "{ylabel}" {low:g} --> 1']
    lines += [f"  line [{', '.join(f'{y:.3f}' for _, y in pts)}]" for *_, pts in shown]
    return f"{legend}\n\n{block(lines, [colour for _, _, colour, _ in shown])}"


def label(value: str, limit: int = 24) -> str:
    """A category name Mermaid shows as is: letters, digits and a few signs, quoted."""
    clean = re.sub(r"[^\w =.+-]", "_", value)[:limit]
    return f'"{clean}"'


def slice_changes(metric: str, deltas: list[tuple[str, float]], limit: float | None) -> str:
    """A legend line and a chart of each judged slice's change, worst first, against zero and
    the allowed drop (horizontal: slice names on the side, where long names fit)."""
    values = [d for _, d in deltas]
    top = math.ceil(max(0.01, *(abs(v) for v in values), limit or 0) * 100) / 100
    names = ", ".join(label(k, 18) for k, _ in deltas)
    series = [[0.0] * len(values)] + ([[-limit] * len(values)] if limit is not None else [])
    lines = [f'  title "{metric}: this PR − main, per judged slice"', f"  x-axis [{names}]",
             f'  y-axis "change" {-top:g} --> {top:g}']
    lines += [f"  line [{', '.join(f'{v:.4f}' for v in line)}]" for line in [*series, values]]
    palette = [GREY] + ([RED] if limit is not None else []) + [BRANCH]
    legend = f"{MARKS[BRANCH]} change · ⚪ no change" + (
        f" · 🔴 allowed drop ({units.signed(-limit)})" if limit is not None else "")
    return f"{legend}\n\n{block(lines, palette, horizontal=True)}"


def history(metric: str, points: list[tuple[str, float]]) -> str:
    """The headline metric across production versions, this PR last."""
    low = _floor(min(v for _, v in points), 0.01)
    high = min(1.0, math.ceil(max(v for _, v in points) * 100) / 100 + 0.01)
    names = ", ".join(label(k, 16) for k, _ in points)
    lines = [f'  title "{metric} of production versions, then this PR"', f"  x-axis [{names}]",
             f'  y-axis "{metric}" {low:g} --> {high:g}',
             f"  line [{', '.join(f'{v:.4f}' for _, v in points)}]"]
    return block(lines, [BRANCH])


def pngs(curves: dict[str, dict[str, list]], out_dir: Path) -> list[Path]:
    """Write full-resolution PNGs of each curve (main vs this PR); return their paths."""
    import matplotlib

    matplotlib.use("Agg")  # no display in CI
    import matplotlib.pyplot as plt

    written = []
    for kind, (title, xlabel, ylabel, _, _) in AXES.items():
        fig, ax = plt.subplots(figsize=(6, 5), dpi=150)
        for key, label, colour in (("champion", "main", MAIN), ("challenger", "this PR", BRANCH)):
            pts = [(x, y) for x, y in curves.get(kind, {}).get(key, [])
                   if finite(x) is not None and finite(y) is not None]
            if pts:
                ax.plot(*zip(*pts, strict=True), color=colour, label=label, marker=".")
        ax.set(title=title, xlabel=xlabel, ylabel=ylabel, xlim=(0, 1), ylim=(0, 1.02))
        ax.grid(alpha=0.3)
        ax.legend(loc="lower right" if kind == "roc" else "lower left")
        target = out_dir / f"{kind}.png"
        with atomic_path(target) as tmp:
            fig.savefig(tmp, format="png", bbox_inches="tight")
        plt.close(fig)
        written.append(target)
    return written
