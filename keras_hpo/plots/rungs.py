"""The rungs of a bandit run (successive halving, Hyperband, ASHA): value against budget, promotions as lines."""

from __future__ import annotations

from typing import Any

from ..trial import TrialState
from ._common import axes_for, best_of, say, state_colour


def plot_rungs(result: Any, ax: Any = None) -> Any:
    """Each trial at its budget (log scale) and value; a grey line joins a promoted trial to the one it continued."""
    ax = axes_for(ax)
    ax.set_title("rungs")
    budgeted = [t for t in result.records if t.budget is not None and t.value is not None
                and t.state in (TrialState.COMPLETE, TrialState.PRUNED)]
    if not budgeted:
        return say(ax, "no trial has a budget: rungs are drawn for bandit runs "
                       "(successive_halving, hyperband, asha)")
    by_number = {t.number: t for t in budgeted}
    promotions = 0
    for trial in budgeted:
        parent = by_number.get(trial.resume_from) if trial.resume_from is not None else None
        if parent is not None:
            ax.plot([parent.budget, trial.budget], [parent.value, trial.value], color="0.6", lw=0.8, zorder=1,
                    label="promotion" if promotions == 0 else None)
            promotions += 1
    for state in (TrialState.COMPLETE, TrialState.PRUNED):
        group = [t for t in budgeted if t.state is state]
        if group:
            ax.scatter([t.budget for t in group], [t.value for t in group], s=24, color=state_colour(state),
                       zorder=2, label=state.value.lower())
    best = best_of(result)
    if best is not None and best.budget is not None:
        ax.scatter([best.budget], [best.value], marker="*", s=200, color="C3", zorder=3,
                   label=f"best (trial {best.number})")
    budgets = sorted({t.budget for t in budgeted})
    if len(budgets) > 1 and budgets[0] > 0:
        ax.set_xscale("log", base=2)
    ax.set_xticks(budgets, [f"{b:g}" for b in budgets])
    ax.minorticks_off()
    ax.set_xlabel("budget (epochs)")
    ax.set_ylabel(result.metric or "objective")
    ax.legend(loc="best")
    return ax
