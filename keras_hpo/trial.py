"""Trial records and the small vocabulary that searchers and the loop exchange.

A ``Trial`` is a frozen record of one evaluation. ``Suggestion`` is what a
searcher asks the loop to run; budgets and continuation live there, never in the
hyperparameters. ``Decision`` is the answer to a per-epoch report.

>>> t = Trial(number=0, params={"lr": 0.01}, state=TrialState.COMPLETE, value=0.3)
>>> t.state.is_finished()
True
>>> Trial.from_dict(t.to_dict()) == t
True
"""

from __future__ import annotations

import enum
import math
from dataclasses import asdict, dataclass, field, replace
from typing import Any

__all__ = ["Trial", "TrialState", "Suggestion", "Decision", "better"]


class TrialState(enum.Enum):
    """Where a trial is in its life; only COMPLETE trials count for the best."""

    RUNNING = "RUNNING"
    COMPLETE = "COMPLETE"
    PRUNED = "PRUNED"
    FAILED = "FAILED"

    def is_finished(self) -> bool:
        return self is not TrialState.RUNNING

    def __str__(self) -> str:
        return self.value


class Decision(enum.Enum):
    """A searcher's answer to ``report(trial, step, value)``: keep training or stop now."""

    CONTINUE = "CONTINUE"
    STOP = "STOP"


@dataclass(frozen=True)
class Suggestion:
    """What to run next: the parameters, and for multi-fidelity searchers a budget and a trial to continue."""

    params: dict[str, Any]
    budget: float | None = None
    resume_from: int | None = None


@dataclass(frozen=True)
class Trial:
    """One evaluation: its parameters, state, objective value and what was measured on the way."""

    number: int
    params: dict[str, Any]
    state: TrialState = TrialState.RUNNING
    value: float | None = None
    metrics: dict[str, Any] = field(default_factory=dict)
    curve: list[float] = field(default_factory=list)
    budget: float | None = None
    folds: list[float] = field(default_factory=list)
    seed: int | None = None
    started: float | None = None
    finished: float | None = None
    error: str | None = None
    resume_from: int | None = None
    #: how many times a process started this trial (the store keeps it, so a trial that kills its process is
    #: re-run once on resume and then recorded FAILED)
    attempts: int = 0

    @property
    def duration(self) -> float | None:
        """Seconds from start to finish, ``None`` while running."""
        if self.started is None or self.finished is None:
            return None
        return self.finished - self.started

    def replace(self, **changes: Any) -> Trial:
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (non-finite floats become ``None``)."""
        d = asdict(self)
        d["state"] = self.state.value
        d["value"] = _finite_or_none(self.value)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Trial:
        d = dict(d)
        d["state"] = TrialState(d["state"])
        return cls(**{k: v for k, v in d.items() if k in cls.__dataclass_fields__})


def better(value: float, than: float | None, direction: str) -> bool:
    """Whether ``value`` beats ``than`` (``None``: nothing to beat yet) when the direction is 'min' or 'max'."""
    return than is None or (value < than if direction == "min" else value > than)


def _finite_or_none(value: float | None) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return float(value)
