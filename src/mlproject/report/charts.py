"""Charts: Mermaid `xychart-beta` blocks GitHub renders in a comment, PNGs for the artifact.

xychart's x-axis is categorical (points evenly spaced), which is why the curves are recorded on
a uniform grid. It has no legend, so the colours are fixed and named in the title.
"""

from __future__ import annotations

import json
from pathlib import Path

from mlproject.storage import atomic_path, finite

COLOURS = ("#1f77b4", "#ff7f0e")  # blue: main, orange: this branch
AXES = {"roc": ("ROC curve", "false positive rate", "true positive rate"),
        "precision_recall": ("Precision-recall curve", "recall", "precision")}
MAX_POINTS = 41


def _clean(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Keep finite points inside the unit square, at most MAX_POINTS of them."""
    good = [(x, y) for x, y in points if finite(x) is not None and finite(y) is not None
            and 0 <= x <= 1 and 0 <= y <= 1]
    return good[:MAX_POINTS]


def mermaid(kind: str, base: list[tuple[float, float]], head: list[tuple[float, float]]) -> str:
    """Return a fenced Mermaid line chart of main (blue) and this branch (orange)."""
    title, xlabel, ylabel = AXES[kind]
    base, head = _clean(base), _clean(head)
    xs = [x for x, _ in head]
    series = [("main", base), ("this branch", head)] if [x for x, _ in base] == xs \
        else [("this branch", head)]  # another grid cannot share the categorical axis
    palette = ", ".join(COLOURS[-len(series):])
    names = ", ".join(f"{c}: {n}" for c, n in zip(("blue", "orange")[-len(series):],
                                                      (n for n, _ in series), strict=True))
    init = {"themeVariables": {"xyChart": {"plotColorPalette": palette}}}
    lines = ["```mermaid", f"%%{{init: {json.dumps(init)}}}%%",
             "xychart-beta",
             f'  title "{title} ({names})"',
             f'  x-axis "{xlabel}" [{", ".join(f"{x:g}" for x in xs)}]',
             f'  y-axis "{ylabel}" 0 --> 1']
    lines += [f"  line [{', '.join(f'{y:.3f}' for _, y in pts)}]" for _, pts in series]
    return "\n".join([*lines, "```"])


def pngs(curves: dict, out_dir: Path) -> list[Path]:
    """Write full-resolution PNGs of each curve (main vs this branch); return their paths."""
    import matplotlib

    matplotlib.use("Agg")  # no display in CI
    import matplotlib.pyplot as plt

    written = []
    for kind, (title, xlabel, ylabel) in AXES.items():
        fig, ax = plt.subplots(figsize=(6, 5), dpi=150)
        for (side, label), colour in zip((("base", "main"), ("head", "this branch")), COLOURS,
                                         strict=True):
            pts = _clean(curves[side].get(kind, []))
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
