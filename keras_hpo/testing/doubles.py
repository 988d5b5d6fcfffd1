"""Test doubles for the executor seams: a searcher that stops trials from their reports, and an
objective that only the driver can unpickle.

They test transports (reports from workers, a worker that cannot load the function), not
algorithms, so they live here once instead of in every test file that needs them.

>>> import keras_hpo as kh
>>> searcher = StopsOddTrials(at_step=2)
>>> searcher.setup(kh.Space({"x": kh.Float(0, 1)}), "min", 0)
>>> searcher.report(1, 2, 0.5), searcher.report(0, 2, 0.5)
(<Decision.STOP: 'STOP'>, <Decision.CONTINUE: 'CONTINUE'>)
"""

from __future__ import annotations

import os
from typing import Any

from ..searchers.base import Searcher
from ..trial import Decision, Suggestion

__all__ = ["StopsOddTrials", "LoadsOnlyInTheDriver"]


class StopsOddTrials(Searcher):
    """Random points; odd-numbered trials are told to stop once they report ``at_step``.

    Every report is kept as ``(trial_number, step, pid)``: the pid shows the searcher
    heard it in the driver, whichever process ran the trial.
    """

    name = "stops-odd-trials"

    def __init__(self, at_step: int = 2) -> None:
        super().__init__()
        self.at_step = at_step

    def setup(self, space: Any, direction: str, seed: int) -> None:
        super().setup(space, direction, seed)
        self.reports: list[tuple[int, int, int]] = []

    def ask(self, n: int = 1) -> list[Suggestion]:
        return [Suggestion(self.space.sample(self.rng)) for _ in range(n)]

    def report(self, trial_number: int, step: int, value: float) -> Decision:
        self.reports.append((trial_number, step, os.getpid()))
        return Decision.STOP if trial_number % 2 and step >= self.at_step else Decision.CONTINUE


class LoadsOnlyInTheDriver:
    """An objective whose unpickling raises anywhere but in the driver, as a function from a module the workers lack would."""

    def __init__(self) -> None:
        self.driver = os.getpid()

    def __setstate__(self, state: dict) -> None:
        if os.getpid() != state["driver"]:
            raise ImportError("No module named 'only_on_my_laptop'")
        self.__dict__.update(state)

    def __call__(self, params: dict) -> float:
        return params["x"]
