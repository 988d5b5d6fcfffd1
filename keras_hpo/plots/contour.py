"""A contour of the objective over two parameters, interpolated between the trials that were run."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._common import axes_for, best_of, check_param, coordinate, label_axis, say

#: a triangulated surface needs a few points that are not all on one line
MIN_TRIALS_FOR_CONTOUR = 4


def plot_contour(result: Any, x: str | None = None, y: str | None = None, ax: Any = None) -> Any:
    """Filled contours of the objective over ``x`` and ``y`` (default: the two most important parameters).

    The surface is a linear interpolation over the triangulated trials (choices at
    their index, log scales on log10), so it is only as good as the points under
    it: they are drawn on top, the best as a red star.
    """
    from .basics import importances

    if x is None or y is None:
        ranked = [n for n, _ in sorted(importances(result).items(), key=lambda kv: -kv[1]) if n not in (x, y)]
        if len(ranked) < (x is None) + (y is None):
            raise ValueError("x, y: a contour needs two searched parameters; this study has fewer")
        x = x or ranked.pop(0)
        y = y or ranked.pop(0)
    check_param(result, x, "x")
    check_param(result, y, "y")
    if x == y:
        raise ValueError(f"y: a contour needs two different parameters, got x=y={x!r}")
    ax = axes_for(ax, figsize=(6, 5))
    ax.set_title(f"contour: {x} and {y}")
    done = [t for t in result.completed if t.params.get(x) is not None and t.params.get(y) is not None]
    xs = np.array([coordinate(result.space[x], t.params[x]) for t in done])
    ys = np.array([coordinate(result.space[y], t.params[y]) for t in done])
    values = np.array([t.value for t in done])
    if len(done) < MIN_TRIALS_FOR_CONTOUR or np.linalg.matrix_rank(np.c_[xs - xs.mean(), ys - ys.mean()]) < 2:
        return say(ax, f"a contour needs at least {MIN_TRIALS_FOR_CONTOUR} complete trials spread over {x} and {y}; "
                       f"this run has {len(done)}")
    cmap = "viridis_r" if result.direction == "min" else "viridis"
    filled = ax.tricontourf(xs, ys, values, levels=12, cmap=cmap, alpha=0.85)
    ax.scatter(xs, ys, s=14, color="white", edgecolors="0.2", linewidths=0.6, label="trial")
    best = best_of(result)
    if best is not None and best in done:
        ax.scatter([coordinate(result.space[x], best.params[x])], [coordinate(result.space[y], best.params[y])],
                   marker="*", s=220, color="C3", edgecolors="white", zorder=3, label=f"best (trial {best.number})")
    label_axis(ax.xaxis, result.space[x], x)
    label_axis(ax.yaxis, result.space[y], y)
    ax.figure.colorbar(filled, ax=ax, label=result.metric or "objective")
    ax.legend(loc="best")
    return ax
