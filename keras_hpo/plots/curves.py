"""Learning curves: every trial's per-epoch metric, the best trial highlighted, pruned trials dashed.

A trial's curve is the objective metric per epoch (``trial.curve``), or any other
metric Keras logged (``metric="val_loss"``, read from ``trial.metrics["history"]``).
A continued trial (Hyperband) carries the epochs of the trial it continued, so
its curve starts at epoch 1 too.
"""

from __future__ import annotations

from typing import Any

from ..trial import TrialState
from ._common import axes_for, best_of, say


def curve_of(trial: Any, metric: str | None) -> list[float]:
    """The per-epoch values of ``metric`` for ``trial`` (its objective curve when ``metric`` is None)."""
    history = trial.metrics.get("history")
    if metric is not None and isinstance(history, dict) and metric in history:
        return list(history[metric])
    return list(trial.curve) if metric is None else []


def plot_learning_curves(result: Any, ax: Any = None, metric: str | None = None) -> Any:
    """One line per trial over epochs; the best COMPLETE trial thick and red, PRUNED trials dashed."""
    ax = axes_for(ax)
    name = metric or result.metric or "objective"
    ax.set_title(f"learning curves: {name}")
    best = best_of(result)
    curves = [(t, curve_of(t, metric)) for t in sorted(result.records, key=lambda t: t.number)]
    curves = [(t, c) for t, c in curves if c and t.state in (TrialState.COMPLETE, TrialState.PRUNED)]
    if not curves:
        return say(ax, f"no per-epoch values of {name}: learning curves come from Keras trials "
                       "(or objectives that return an Outcome with a curve)")
    drawn = set()
    for trial, curve in curves:
        if best is not None and trial.number == best.number:
            continue
        pruned = trial.state is TrialState.PRUNED
        label = ("pruned" if pruned else "trial") if trial.state not in drawn else None
        drawn.add(trial.state)
        ax.plot(range(1, len(curve) + 1), curve, ls="--" if pruned else "-", lw=1, alpha=0.6,
                color="C1" if pruned else "C0", label=label, gid=f"trial-{trial.number}")
    best_curve = curve_of(best, metric) if best is not None else []
    if best_curve:
        ax.plot(range(1, len(best_curve) + 1), best_curve, color="C3", lw=2.5, label=f"best (trial {best.number})",
                gid=f"trial-{best.number}")
    ax.set_xlabel("epoch")
    ax.set_ylabel(name)
    ax.legend(loc="best")
    return ax
