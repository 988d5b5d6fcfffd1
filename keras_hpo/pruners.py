"""Pruners: stop a running trial early from its per-epoch reports, for any searcher.

``tune(..., pruner="median" | "percentile" | "patience" | kh.pruners.X(...))``
hands the pruner to the searcher; every per-epoch report reaches it through
``Searcher.report`` (the loop's report hook, whichever executor delivers the
reports) and every finished trial through ``Searcher.tell``. A pruned trial is
recorded PRUNED with its curve and its last value, and searchers learn from it
as a trial no better than the worst complete one (``Searcher._learned``).

- ``MedianPruner``: the median stopping rule (Google Vizier; Optuna's
  ``MedianPruner``): stop a trial whose best value so far is worse than the
  median of the completed trials' values at the same epoch, once
  ``warmup_steps`` epochs have passed and ``min_trials`` trials have completed.
  The defaults, ``warmup_steps=1`` and ``min_trials=3``, judge a trial from its
  second epoch (the first mostly reflects the initialisation and the learning
  rate's first steps) against at least three completed trials: three is the
  smallest sample whose median is one of its values (Ray Tune's
  ``MedianStoppingRule(min_samples_required=3)``; Optuna waits for 5 and judges
  from the first step). Every trial before the third completes trains in full,
  so ``min_trials`` sets a floor on the epochs saved: with the earlier 5 of 16
  trials, pruning could never go below 31% of the epochs. Piloted offline on
  recorded curves (``benchmarks/pruner_replay.py``): on a digits MLP (16 trials,
  27 epochs) 0.43x plain random's epochs against 0.56x for warm-up 2 and 5
  trials, the best trial kept on 8 of 8 pilot seeds. Fewer references prune
  more and, on curves whose final rank is unrelated to their early rank, lose
  the best more often: raise both where late bloomers matter.
- ``PercentilePruner``: the same with another percentile: ``percentile=25``
  keeps only trials whose best so far is within the best quarter at that epoch.
- ``PatiencePruner``: stop a trial whose own value has not improved by
  ``min_delta`` for ``patience`` epochs (``keras.callbacks.EarlyStopping``, for
  every searcher and recorded as PRUNED).

A pruner keeps only running curves and the curves of completed trials; resuming
a study rebuilds it from the stored trials, so it has no state of its own.

>>> import keras_hpo as kh
>>> pruner = kh.pruners.MedianPruner(warmup_steps=0, min_trials=2)
>>> pruner.setup("min")
>>> for number, curve in enumerate([[0.9, 0.5], [0.8, 0.4]]):
...     pruner.tell(kh.Trial(number, {}, kh.TrialState.COMPLETE, value=curve[-1], curve=curve))
>>> pruner.report(2, 1, 0.95).value, pruner.report(3, 1, 0.7).value
('STOP', 'CONTINUE')
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

from .trial import Decision, Trial, TrialState

__all__ = ["Pruner", "MedianPruner", "PercentilePruner", "PatiencePruner", "make_pruner", "NAMES"]


class Pruner:
    """Base class: collects running and completed curves; subclasses write ``_stop(curve, step)``."""

    def setup(self, direction: str) -> None:
        """Bind to the study's direction and check the options (a ``ValueError`` naming the option, before any trial)."""
        if direction not in ("min", "max"):
            raise ValueError(f"direction must be 'min' or 'max', got {direction!r}")
        self.direction = direction
        self._running: dict[int, dict[int, float]] = {}   # trial number -> step -> loss
        self._completed: list[list[float]] = []            # loss curves of COMPLETE trials
        self._validate()

    def _validate(self) -> None:
        """Check the options (override in subclasses)."""

    def _loss(self, value: float) -> float:
        return float(value) if self.direction == "min" else -float(value)

    def report(self, trial_number: int, step: int, value: float) -> Decision:
        """Trial ``trial_number`` reached ``value`` at ``step`` (1 = first epoch): STOP or CONTINUE."""
        curve = self._running.setdefault(int(trial_number), {})
        value = float(value)
        if not math.isfinite(value):
            return Decision.CONTINUE  # the objective itself marks a diverged trial FAILED
        curve[int(step)] = self._loss(value)
        return Decision.STOP if self._stop(curve, int(step)) else Decision.CONTINUE

    def tell(self, trial: Trial) -> None:
        """A finished trial: a COMPLETE one's curve becomes a reference for the trials that follow."""
        self._running.pop(trial.number, None)
        if trial.state is TrialState.COMPLETE and trial.curve:
            self._completed.append([self._loss(v) if v is not None else math.nan for v in trial.curve])

    def _stop(self, curve: dict[int, float], step: int) -> bool:
        raise NotImplementedError

    def __repr__(self) -> str:
        options = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if not k.startswith("_") and k != "direction")
        return f"{type(self).__name__}({options})"


def _check(name: str, value: Any, *, low: float, integer: bool, inclusive: bool = True, high: float | None = None) -> None:
    kind = numbers.Integral if integer else numbers.Real
    ok = isinstance(value, kind) and not isinstance(value, bool) and (value >= low if inclusive else value > low)
    if ok and high is not None:
        ok = value <= high
    if not ok:
        what = "an integer" if integer else "a number"
        bound = f">= {low}" if inclusive else f"> {low}"
        raise ValueError(f"{name} must be {what} {bound}{'' if high is None else f' and <= {high}'}, got {value!r}")


class PercentilePruner(Pruner):
    """Stop a trial whose best value so far is worse than the ``percentile`` best of completed trials at that step.

    ``percentile=25`` keeps trials in the best quarter; 50 is the median rule.
    Nothing is pruned during the first ``warmup_steps`` steps, nor before
    ``min_trials`` completed trials reached the step.
    """

    def __init__(self, percentile: float = 25.0, *, warmup_steps: int = 1, min_trials: int = 3) -> None:
        self.percentile = percentile
        self.warmup_steps = warmup_steps
        self.min_trials = min_trials

    def _validate(self) -> None:
        _check("percentile", self.percentile, low=0, high=100, integer=False, inclusive=False)
        _check("warmup_steps", self.warmup_steps, low=0, integer=True)
        _check("min_trials", self.min_trials, low=1, integer=True)

    def _stop(self, curve: dict[int, float], step: int) -> bool:
        if step <= self.warmup_steps:
            return False
        peers = [c[step - 1] for c in self._completed if len(c) >= step and math.isfinite(c[step - 1])]
        if len(peers) < self.min_trials:
            return False
        best_so_far = min(v for s, v in curve.items() if s <= step)
        return best_so_far > float(np.percentile(peers, self.percentile))


class MedianPruner(PercentilePruner):
    """The median stopping rule: stop a trial whose best so far is worse than the median of completed trials at that step."""

    def __init__(self, *, warmup_steps: int = 1, min_trials: int = 3) -> None:
        super().__init__(50.0, warmup_steps=warmup_steps, min_trials=min_trials)

    def __repr__(self) -> str:
        return f"MedianPruner(warmup_steps={self.warmup_steps!r}, min_trials={self.min_trials!r})"


class PatiencePruner(Pruner):
    """Stop a trial whose value has not improved by more than ``min_delta`` for ``patience`` steps."""

    def __init__(self, patience: int = 3, *, min_delta: float = 0.0) -> None:
        self.patience = patience
        self.min_delta = min_delta

    def _validate(self) -> None:
        _check("patience", self.patience, low=1, integer=True)
        _check("min_delta", self.min_delta, low=0, integer=False)

    def _stop(self, curve: dict[int, float], step: int) -> bool:
        steps = sorted(s for s in curve if s <= step)
        best_step, best = steps[0], curve[steps[0]]
        for s in steps[1:]:
            if curve[s] < best - self.min_delta:
                best_step, best = s, curve[s]
        return step - best_step >= self.patience


#: the names ``tune(pruner=...)`` accepts, with the pruner each one makes
NAMES = {"median": MedianPruner, "percentile": PercentilePruner, "patience": PatiencePruner}


def make_pruner(pruner: str | Pruner | None) -> Pruner | None:
    """``pruner`` as a ``Pruner``: a name from ``NAMES``, an instance, or None (no pruning)."""
    if pruner is None or isinstance(pruner, Pruner):
        return pruner
    if isinstance(pruner, str):
        if pruner not in NAMES:
            raise ValueError(f"pruner: unknown name {pruner!r}; known: {', '.join(NAMES)}, or a kh.pruners.Pruner")
        return NAMES[pruner]()
    raise TypeError(f"pruner must be a name ({', '.join(NAMES)}), a kh.pruners.Pruner or None, got {type(pruner).__name__}")
