"""Slice plots: the objective against one parameter at a time, every trial a point coloured by when it ran."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..space import Choice
from ._common import axes_for, best_of, check_param, coordinate, label_axis, say, searched


def plot_slice(result: Any, param: str | None = None, ax: Any = None) -> Any:
    """The objective against ``param`` (an Axes); without ``param``, one Axes per searched parameter (an array).

    Choices sit at their index with a little jitter so equal values do not hide each
    other; log-scaled numbers are drawn on log10. The best trial is a red star.
    """
    if param is None:
        import matplotlib.pyplot as plt

        names = searched(result)
        if ax is not None:
            raise ValueError("ax: give param= to draw one slice on a given Axes")
        _, axes = plt.subplots(1, max(1, len(names)), figsize=(3.6 * max(1, len(names)), 3.4), sharey=True,
                               squeeze=False)
        for name, one in zip(names, axes[0]):
            plot_slice(result, name, ax=one)
        return axes[0]
    check_param(result, param, "param")
    ax = axes_for(ax, figsize=(5, 4))
    dist = result.space[param]
    ax.set_title(f"slice: {param}")
    done = [t for t in result.completed if t.params.get(param) is not None]
    if not done:
        return say(ax, f"no complete trial set {param}")
    rng = np.random.default_rng(0)
    xs = np.array([coordinate(dist, t.params[param]) for t in done])
    if isinstance(dist, Choice):
        xs = xs + rng.uniform(-0.15, 0.15, size=len(xs))
    points = ax.scatter(xs, [t.value for t in done], c=[t.number for t in done], cmap="Blues", edgecolors="0.3",
                        linewidths=0.5, s=28, label="trial")
    best = best_of(result)
    if best is not None and best.params.get(param) is not None:
        ax.scatter([coordinate(dist, best.params[param])], [best.value], marker="*", s=180, color="C3", zorder=3,
                   label=f"best (trial {best.number})")
    label_axis(ax.xaxis, dist, param)
    ax.set_ylabel(result.metric or "objective")
    ax.figure.colorbar(points, ax=ax, label="trial number")
    return ax
