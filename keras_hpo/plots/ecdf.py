"""The empirical distribution (ECDF) of trial values, to compare methods or studies on one Axes.

For a minimised objective the curve at ``v`` is the share of a run's trials that
reached ``v`` or better, so the curve further left (right, when maximised) and
higher is the method that more often finds good configurations; a median or a
best value alone hides that.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from ._common import axes_for, say


def _label(result: Any) -> str:
    return " ".join(str(p) for p in (result.study, f"({result.method})") if p and p != "(None)") or "run"


def plot_ecdf(*results: Any, ax: Any = None, labels: list[str] | None = None) -> Any:
    """One step curve per result (or per value of a ``{label: result}`` dict); all must share a direction."""
    if len(results) == 1 and isinstance(results[0], Mapping):
        labels, results = list(results[0]), tuple(results[0].values())
    elif len(results) == 1 and isinstance(results[0], (list, tuple)):  # plot_ecdf([a, b]) as plot_ecdf(a, b)
        results = tuple(results[0])
    for result in results:
        if not hasattr(result, "completed") or not hasattr(result, "direction"):
            raise TypeError(f"results: give tune() results (or a {{label: result}} dict), got {type(result).__name__}")
    if not results:
        raise ValueError("results: give at least one result")
    if labels is not None and len(labels) != len(results):
        raise ValueError(f"labels: {len(labels)} labels for {len(results)} results")
    directions = {r.direction for r in results}
    if len(directions) > 1:
        raise ValueError("results: cannot compare a minimised and a maximised objective on one ECDF")
    direction = directions.pop()
    ax = axes_for(ax)
    ax.set_title("distribution of trial values")
    drawn = 0
    for i, result in enumerate(results):
        values = np.sort([t.value for t in result.completed])
        if direction == "max":
            values = values[::-1]
        if len(values) == 0:
            continue
        share = np.arange(1, len(values) + 1) / len(values)
        name = labels[i] if labels is not None else _label(result)
        ax.step(values, share, where="post", label=f"{name}, {len(values)} trials", lw=1.8)
        drawn += 1
    if not drawn:
        return say(ax, "no trial completed: nothing to compare")
    if direction == "max":
        ax.invert_xaxis()
    metric = results[0].metric or "objective"
    ax.set_xlabel(f"{metric} ({'lower' if direction == 'min' else 'higher'} is better)")
    ax.set_ylabel("share of trials this good or better")
    ax.set_ylim(0, 1.02)
    ax.legend(loc="best")
    return ax
