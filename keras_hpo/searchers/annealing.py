"""Simulated annealing over mixed spaces, with a geometric schedule and reheating.

Suggestions are neighbours of the current point: a Gaussian step on the encoded
numbers and, now and then, a switched category. When a result comes back the
Metropolis rule decides whether it becomes the current point: always if it is no
worse, otherwise with probability ``exp(-delta / T)``. So the schedule works on
any objective, ``delta`` is measured in ranks (the fraction of all results seen
that lie between the two points) rather than in the objective's own units. The
temperature falls geometrically per result and the step shrinks with it; after
``patience`` results without a new best the search reheats from the best point.
Results from parallel workers are judged in the order they arrive.

>>> import keras_hpo as kh
>>> space = {"x": kh.Float(-2, 2), "n": kh.Int(1, 9)}
>>> result = kh.tune(lambda p: p["x"] ** 2 + abs(p["n"] - 4), space, progress=False,
...                  method="annealing", max_trials=120, seed=0)
>>> result.best_params["n"], result.best_value < 0.01
(4, True)
"""

from __future__ import annotations

import bisect
import math

from ..trial import Suggestion, Trial
from ._moves import Cube, coin, usable
from .base import Searcher


class SimulatedAnnealing(Searcher):
    """Metropolis acceptance on loss ranks, geometric cooling, steps that shrink with the temperature."""

    def __init__(self, *, temperature: float = 0.1, cooling: float = 0.96, step: float = 0.1,
                 min_step: float = 0.005, patience: int = 100, reheat: float = 0.5, n_initial: int = 8) -> None:
        self.temperature = temperature  # start temperature: a move 10% of ranks worse is accepted w.p. exp(-0.1 / T)
        self.cooling = cooling          # geometric factor applied to the temperature after every result
        self.step = step                # std of a numeric move in the unit cube at the start temperature
        self.min_step = min_step        # floor of the step as it shrinks with sqrt(T / temperature)
        self.patience = patience        # results without a new best before reheating from the best point
        self.reheat = reheat            # temperature after a reheat, as a fraction of the start temperature
        self.n_initial = n_initial      # random points first; annealing starts from the best of them

    def _validate(self) -> None:
        for name in ("temperature", "step"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be > 0, got {getattr(self, name)!r}")
        for name in ("cooling", "reheat"):
            if not 0 < getattr(self, name) <= 1:
                raise ValueError(f"{name} must be in (0, 1], got {getattr(self, name)!r}")
        if not 0 <= self.min_step <= self.step:
            raise ValueError(f"min_step must be in [0, step], got {self.min_step!r}")
        for name in ("patience", "n_initial"):
            if not isinstance(getattr(self, name), int) or getattr(self, name) < 1:
                raise ValueError(f"{name} must be a positive integer, got {getattr(self, name)!r}")
        self.cube = Cube(self.space)
        # all of this is a function of the told trials (acceptance coins included), so resume replays it
        self.current: Trial | None = None
        self.best: Trial | None = None
        self._heat = 1.0      # temperature relative to the start one
        self._stale = 0       # results since the last new best
        self._losses: list[float] = []

    @property
    def current_temperature(self) -> float:
        return self.temperature * self._heat

    def _observe(self, trial: Trial) -> None:
        self._heat *= self.cooling
        self._stale += 1
        if not usable(trial):
            return  # a failed move is a rejected move
        loss = self.loss(trial)
        bisect.insort(self._losses, loss)
        if self.best is None or loss < self.loss(self.best):
            self.best, self._stale = trial, 0
        if self.current is None:
            if len(self.history) >= self.n_initial:
                self.current = self.best
        elif loss <= self.loss(self.current) or coin(self.seed, trial.number) < self._acceptance(loss):
            self.current = trial
        if self._stale >= self.patience:
            self.current, self._heat, self._stale = self.best, self.reheat, 0

    def _acceptance(self, loss: float) -> float:
        """Metropolis probability of moving from the current point to a worse one with ``loss``."""
        rank = lambda v: bisect.bisect_left(self._losses, v) / len(self._losses)  # noqa: E731
        delta = rank(loss) - rank(self.loss(self.current))
        return math.exp(-delta / max(self.current_temperature, 1e-300))

    def _suggest(self, n: int) -> list[Suggestion]:
        if self.current is None:
            return [Suggestion(self.space.sample(self.rng)) for _ in range(n)]
        step = max(self.min_step, self.step * math.sqrt(self._heat))
        scale = [max(step, w / 2) for w in self.cube.widths]
        p_switch = max(min(0.5, 2 * step), 0.5 / len(self.space))
        x = self.cube.encode(self.current.params)
        taken: set[str] = set()
        return [Suggestion(self.cube.propose(self, self.cube.mutate(x, self.rng, scale, p_switch), self.rng, taken)[1])
                for _ in range(n)]
