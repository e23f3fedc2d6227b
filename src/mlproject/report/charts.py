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
from mlproject.metrics import allowed_change
from mlproject.storage import atomic_path, finite

MAIN, BRANCH = "#4493f8", "#fb8500"  # blue: main, orange: this PR
GREY, RED = "#8c959f", "#cf222e"  # reference lines: zero, the allowed drop
MARKS = {MAIN: "🔵", BRANCH: "🟠"}
AXES = {"roc": ("ROC curve", "false positive rate", "true positive rate", "roc_auc", "AUC"),
        "precision_recall": ("Precision-recall curve", "recall", "precision",
                             "average_precision", "AP")}
# regression: per decile of each model's own prediction (1 = its lowest tenth)
DECILE_AXES = {
    "predicted_actual": ("Mean truth per decile of the prediction", "mean truth", "r2", "R²"),
    "residuals": ("Median residual (truth − prediction) per decile of the prediction",
                  "residual", "mae", "MAE")}


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


def deciles(kind: str, series: dict[str, list[tuple[float, float]]], value: dict[str, float]
            ) -> str:
    """A legend line and a line chart per decile of the prediction, for main (if any) and this
    PR: the mean truth beside this PR's mean prediction (grey; the closer the lines, the better
    the calibration), or the median residual beside zero (grey)."""
    title, ylabel, _, short = DECILE_AXES[kind]
    shown = [(key, name, colour, series[key]) for key, name, colour in
             (("champion", "main", MAIN), ("challenger", "this PR", BRANCH)) if key in series]
    legend = " · ".join(f"{MARKS[colour]} {name}: {short} {units.score(value.get(key))}"
                        for key, name, colour, _ in shown)
    mine = series["challenger"]
    if kind == "predicted_actual":  # (mean prediction, mean truth) per decile
        grey, lines_of = [x for x, _ in mine], [[y for _, y in pts] for *_, pts in shown]
        legend += " · ⚪ this PR's mean prediction"
    else:  # (decile, median residual)
        grey, lines_of = [0.0] * len(mine), [[y for _, y in pts] for *_, pts in shown]
        legend += " · ⚪ zero"
    values = [v for line in [grey, *lines_of] for v in line]
    low, high = min(values), max(values)
    pad = (high - low) * 0.05 or 1.0
    names = ", ".join(str(i + 1) for i in range(max(len(line) for line in lines_of)))
    lines = [f'  title "{title}"', f'  x-axis "decile of the prediction" [{names}]',
             f'  y-axis "{ylabel}" {low - pad:.4g} --> {high + pad:.4g}']
    lines += [f"  line [{', '.join(f'{v:.4g}' for v in line)}]" for line in [grey, *lines_of]]
    return f"{legend}\n\n{block(lines, [GREY, *(c for _, _, c, _ in shown)])}"


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
    allowed = None if limit is None else allowed_change(metric, limit)  # an error may grow
    series = [[0.0] * len(values)] + ([[allowed] * len(values)] if limit is not None else [])
    lines = [f'  title "{metric}: this PR − main, per judged slice"', f"  x-axis [{names}]",
             f'  y-axis "change" {-top:g} --> {top:g}']
    lines += [f"  line [{', '.join(f'{v:.4f}' for v in line)}]" for line in [*series, values]]
    palette = [GREY] + ([RED] if limit is not None else []) + [BRANCH]
    legend = f"{MARKS[BRANCH]} change · ⚪ no change" + (
        f" · 🔴 allowed drop ({units.signed(allowed)})" if limit is not None else "")
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
        if kind not in curves:
            continue  # a regression's curves are per decile: in the comment only
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
