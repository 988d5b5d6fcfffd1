"""What every plot shares: an Axes to draw on, a note when there is too little to draw, parameter positions."""

from __future__ import annotations

import math
from typing import Any

from ..space import Choice, Fixed
from ..trial import TrialState


def axes_for(ax: Any, figsize: tuple[float, float] = (7, 4)) -> Any:
    """``ax`` itself, or the Axes of a new figure."""
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    return plt.subplots(figsize=figsize)[1]


def say(ax: Any, message: str) -> Any:
    """Write ``message`` in the middle of an empty ``ax`` (instead of a misleading picture) and return ``ax``."""
    ax.text(0.5, 0.5, message, ha="center", va="center", wrap=True, transform=ax.transAxes, color="0.3")
    ax.set_xticks([])
    ax.set_yticks([])
    return ax


def searched(result: Any) -> list[str]:
    """The parameters that were searched (fixed ones are left out)."""
    return [name for name, dist in result.space.items() if not isinstance(dist, Fixed)]


def check_param(result: Any, name: str, argument: str) -> None:
    if name not in result.space:
        raise ValueError(f"{argument}: {name!r} is not a parameter of this study; it has {list(result.space)}")


def coordinate(dist: Any, value: Any) -> float:
    """Where a value goes on a parameter's axis: a choice's index, the log10 of a log-scaled number, else the number."""
    if value is None:
        return math.nan
    if isinstance(dist, Choice):
        return float(dist.index(value))
    if getattr(dist, "log", False):
        return math.log10(float(value))
    return float(value)


def label_axis(axis: Any, dist: Any, name: str) -> None:
    """Name an x or y axis after its parameter; a choice gets its values as tick labels."""
    if isinstance(dist, Choice):
        axis.set_ticks(range(len(dist.values_)), [str(v) for v in dist.values_])
        axis.set_label_text(name)
    else:
        axis.set_label_text(f"log10({name})" if getattr(dist, "log", False) else name)


def best_of(result: Any) -> Any:
    """The best COMPLETE trial, or None."""
    return result.best_trial if result.completed else None


def state_colour(state: TrialState) -> str:
    return {TrialState.COMPLETE: "C0", TrialState.PRUNED: "C1", TrialState.FAILED: "C3"}.get(state, "0.6")
