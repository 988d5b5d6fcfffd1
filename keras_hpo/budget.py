"""What a trial cost in budget units (epochs), for ``tune(..., max_budget_total=N)`` and the progress bar.

A continued trial pays only for what it added: a Keras trial that went on from
epoch 3 to epoch 9 costs 6. In order of preference a trial's cost is

1. ``metrics["epochs_trained"] - metrics["continued_from_epoch"]`` (the Keras
   adapter records both: the epochs it really trained, pruned trials included);
2. its ``budget`` minus the budget of the trial it continued (``resume_from``),
   for plain objectives that take ``budget``;
3. the number of values it reported (``len(curve)``), else 1.

>>> from keras_hpo.trial import Trial
>>> first = Trial(0, {}, budget=3.0)
>>> trial_cost(Trial(1, {}, budget=9.0, resume_from=0), {0: first})
6.0
"""

from __future__ import annotations

from collections.abc import Mapping

from .trial import Trial

__all__ = ["trial_cost"]


def trial_cost(trial: Trial, by_number: Mapping[int, Trial]) -> float:
    """The budget units ``trial`` used on its own (see the module's docstring); 0 for a trial that never ran."""
    metrics = trial.metrics or {}
    if "epochs_trained" in metrics:
        return float(metrics["epochs_trained"]) - float(metrics.get("continued_from_epoch", 0))
    if trial.budget is not None:
        before = by_number.get(trial.resume_from) if trial.resume_from is not None else None
        done_before = before.budget if before is not None and before.budget is not None else 0.0
        return max(0.0, float(trial.budget) - float(done_before))
    return float(len(trial.curve)) if trial.curve else 1.0
