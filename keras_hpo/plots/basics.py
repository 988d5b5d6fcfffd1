"""The overview of a run: objective by trial, parameter importance, parallel coordinates.

>>> import keras_hpo as kh
>>> result = kh.tune(lambda p: (p["x"] - 0.2) ** 2 + p["noise"] * 0.01,
...                  {"x": kh.Float(0, 1), "noise": kh.Float(0, 1)}, max_trials=30, seed=0, progress=False)
>>> ax = result.plot_history()            # value per trial and the best so far
>>> ax = result.plot_importance()         # which parameters matter
>>> ax = result.plot_parallel()           # every trial across every parameter
>>> sorted(importances(result), key=importances(result).get)[-1]
'x'
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..space import Choice, Fixed
from ..trial import TrialState
from ._common import axes_for, say

__all__ = ["plot_history", "plot_importance", "plot_parallel", "importances"]


#: below this many COMPLETE trials, importances are mostly noise: the plot says so instead
MIN_TRIALS_FOR_IMPORTANCE = 10


def plot_history(result: Any, ax: Any = None) -> Any:
    """Objective value of every COMPLETE trial by trial number, with the best-so-far line; failures marked."""
    ax = axes_for(ax)
    done = sorted(result.completed, key=lambda t: t.number)
    if done:
        numbers = [t.number for t in done]
        values = np.array([t.value for t in done])
        best = np.minimum.accumulate(values) if result.direction == "min" else np.maximum.accumulate(values)
        ax.scatter(numbers, values, s=18, alpha=0.7, label="trial")
        ax.step(numbers, best, where="post", color="C3", label="best so far")
    failed = [t.number for t in result.records if t.state is TrialState.FAILED]
    if failed:
        ax.scatter(failed, [ax.get_ylim()[1]] * len(failed), marker="x", color="grey", label="failed")
    ax.set_xlabel("trial")
    ax.set_ylabel(result.metric or "objective")
    ax.set_title(f"{result.method}: {len(result.records)} trials")
    ax.legend(loc="best")
    return ax


def importances(result: Any) -> dict[str, float]:
    """How much of the spread of the objective each parameter explains, from 0 to 1.

    With a Gaussian-process searcher this is the inverse learned length scale
    (normalised); otherwise the correlation ratio (eta squared) of the objective
    over the parameter's levels, numeric parameters binned by quantiles.
    """
    searcher = getattr(result, "searcher", None)
    if searcher is not None and hasattr(searcher, "length_scales"):
        inverse = {name: 1.0 / max(scale, 1e-12) for name, scale in searcher.length_scales().items()}
        total = sum(inverse.values()) or 1.0
        return {name: value / total for name, value in inverse.items()}
    done = result.completed
    values = np.array([t.value for t in done], dtype=float)
    out: dict[str, float] = {}
    for name, dist in result.space.items():
        if isinstance(dist, Fixed):
            continue
        rows = [(t.params[name], v) for t, v in zip(done, values) if name in t.params]
        out[name] = _correlation_ratio(rows, categorical=isinstance(dist, Choice))
    return out


def _correlation_ratio(rows: list[tuple[Any, float]], categorical: bool, bins: int = 5) -> float:
    if len(rows) < 3:
        return 0.0
    xs = [x for x, _ in rows]
    ys = np.array([y for _, y in rows])
    if categorical:
        labels = np.array([repr(x) for x in xs])
    else:
        edges = np.unique(np.quantile(np.array(xs, dtype=float), np.linspace(0, 1, bins + 1)))
        labels = np.digitize(np.array(xs, dtype=float), edges[1:-1])
    total = np.sum((ys - ys.mean()) ** 2)
    if total == 0:
        return 0.0
    between = sum(np.sum(labels == g) * (ys[labels == g].mean() - ys.mean()) ** 2 for g in np.unique(labels))
    return float(between / total)


def plot_importance(result: Any, ax: Any = None) -> Any:
    """A horizontal bar per parameter, most important on top (see ``importances``)."""
    ax = axes_for(ax)
    ax.set_title("parameter importance")
    if len(result.completed) < MIN_TRIALS_FOR_IMPORTANCE:
        return say(ax, f"importance needs at least {MIN_TRIALS_FOR_IMPORTANCE} complete trials; "
                       f"this run has {len(result.completed)}")
    scores = importances(result)
    names = sorted(scores, key=scores.get)
    ax.barh(names, [scores[n] for n in names], color="C0")
    source = "inverse length scale" if hasattr(getattr(result, "searcher", None), "length_scales") else "correlation ratio"
    ax.set_xlabel(f"importance ({source})")
    return ax


def plot_parallel(result: Any, ax: Any = None) -> Any:
    """Parallel coordinates: one line per COMPLETE trial across the parameters, coloured by value."""
    import matplotlib as mpl

    ax = axes_for(ax)
    names = [n for n, d in result.space.items() if not isinstance(d, Fixed)]
    done = result.completed
    ax.set_title("parallel coordinates")
    if not done:
        return say(ax, "no trial completed: nothing to draw")
    values = np.array([t.value for t in done])
    norm = mpl.colors.Normalize(vmin=values.min(), vmax=values.max())
    cmap = mpl.colormaps["viridis_r" if result.direction == "min" else "viridis"]
    for trial, value in zip(done, values):
        ys = [_position(result.space[n], trial.params.get(n)) for n in names]
        ax.plot(range(len(names)), ys, color=cmap(norm(value)), alpha=0.6, lw=1)
    ax.set_xticks(range(len(names)), names, rotation=30, ha="right")
    ax.set_yticks([0, 1], ["low", "high"])
    ax.figure.colorbar(mpl.cm.ScalarMappable(norm=norm, cmap=cmap), ax=ax, label=result.metric or "objective")
    ax.set_title("parallel coordinates")
    return ax


def _position(dist: Any, value: Any) -> float:
    """A parameter's value placed on [0, 1] on its own scale (choices evenly, in their listed order)."""
    if value is None:
        return float("nan")
    if isinstance(dist, Choice):
        return dist.index(value) / max(1, len(dist.values_) - 1)
    return float(dist.encode(value)[0])
