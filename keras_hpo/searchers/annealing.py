"""Simulated annealing over mixed spaces, with a geometric schedule, adaptive steps and reheating.

Suggestions are neighbours of the current point: a Gaussian step on some of the
encoded numbers (one coordinate or all of them), now and then one coordinate
redrawn anywhere in its range (a long jump out of a wrong basin) and a switched
category. When a result comes back the Metropolis rule decides whether it becomes
the current point: always if it is no worse, otherwise with probability
``exp(-delta / T)``. So the schedule works on any objective, ``delta`` is
measured in ranks (the fraction of all results seen that lie between the two
points) rather than in the objective's own units. The temperature falls
geometrically per result. Each coordinate has its own step, adapted as in
Corana et al. (1987) by how often moves along it succeed: a move that improves on
the current point widens the steps it used, one that does not narrows them (the
1/5 success rule), so the search settles finely into the minimum it is in. After
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

import numpy as np

from ..trial import Suggestion, Trial
from ._moves import Cube, coin, usable
from .base import Searcher


class SimulatedAnnealing(Searcher):
    """Metropolis acceptance on loss ranks, geometric cooling, per-coordinate steps adapted by success."""

    def __init__(self, *, temperature: float = 0.1, cooling: float = 0.96, step: float = 0.1,
                 min_step: float = 1e-7, patience: int = 40, reheat: float = 0.5, jump: float = 0.1,
                 n_initial: int = 8) -> None:
        self.temperature = temperature  # start temperature: a move 10% of ranks worse is accepted w.p. exp(-0.1 / T)
        self.cooling = cooling          # geometric factor applied to the temperature after every result
        self.step = step                # start std of a numeric move in the unit cube, per coordinate
        self.min_step = min_step        # floor of a coordinate's step as failed moves shrink it
        self.patience = patience        # results without a new best before reheating from the best point
        self.reheat = reheat            # temperature after a reheat, as a fraction of the start temperature
        self.jump = jump                # chance that a move redraws one coordinate anywhere in its range
        self.n_initial = n_initial      # random points first; annealing starts from the best of them

    def _validate(self) -> None:
        for name in ("temperature", "step"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be > 0, got {getattr(self, name)!r}")
        for name in ("cooling", "reheat"):
            if not 0 < getattr(self, name) <= 1:
                raise ValueError(f"{name} must be in (0, 1], got {getattr(self, name)!r}")
        if not 0 <= self.jump <= 1:
            raise ValueError(f"jump must be a probability in [0, 1], got {self.jump!r}")
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
        self.steps = np.full(self.cube.n_dims, self.step)  # per-coordinate step in the unit cube

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
        else:
            self._adapt(trial, loss < self.loss(self.current))
            if loss <= self.loss(self.current) or coin(self.seed, trial.number) < self._acceptance(loss):
                self.current = trial
        if self._stale >= self.patience:
            self.current, self._heat, self._stale = self.best, self.reheat, 0
            self.steps = np.maximum(self.steps, self.step * math.sqrt(self.reheat))

    def _adapt(self, trial: Trial, improved: bool) -> None:
        """The 1/5 success rule per coordinate: widen the steps a successful move used, narrow a failed one's.

        Which coordinates moved is read off the trial itself (against the current point), so replaying
        the trials on resume rebuilds the steps. A long jump (far beyond the step) adapts nothing.
        """
        gap = np.abs(self.cube.encode(trial.params) - self.cube.encode(self.current.params))[self.cube.numeric]
        steps = self.steps[self.cube.numeric]
        moved = (gap > 1e-12) & (gap < 5 * steps + self.cube.widths[self.cube.numeric])
        factor = 2.0 if improved else 2.0 ** -0.25  # balanced at one success in five
        steps[moved] = np.clip(steps[moved] * factor, self.min_step, 0.5)
        self.steps[self.cube.numeric] = steps

    def _acceptance(self, loss: float) -> float:
        """Metropolis probability of moving from the current point to a worse one with ``loss``."""
        rank = lambda v: bisect.bisect_left(self._losses, v) / len(self._losses)  # noqa: E731
        delta = rank(loss) - rank(self.loss(self.current))
        return math.exp(-delta / max(self.current_temperature, 1e-300))

    def _suggest(self, n: int) -> list[Suggestion]:
        if self.current is None:
            return [Suggestion(self.space.sample(self.rng)) for _ in range(n)]
        x = self.cube.encode(self.current.params)
        taken: set[str] = set()
        return [Suggestion(self.cube.propose(self, self._neighbour(x), self.rng, taken)[1]) for _ in range(n)]

    def _neighbour(self, x: np.ndarray) -> np.ndarray:
        """A move from ``x``: one coordinate or all of them by their steps, maybe one redrawn, maybe a category."""
        numeric = self.cube.numeric
        scale = np.zeros(self.cube.n_dims)
        if len(numeric):
            chosen = numeric if self.rng.random() < 0.8 else numeric[[int(self.rng.integers(len(numeric)))]]
            scale[chosen] = np.maximum(self.steps[chosen], self.cube.widths[chosen] / 2)
        p_switch = max(min(0.5, 2 * float(np.mean(self.steps[numeric])) if len(numeric) else 0.5),
                       0.5 / len(self.space))
        y = self.cube.mutate(x, self.rng, scale, p_switch)
        if len(numeric) and self.rng.random() < self.jump:
            y[numeric[int(self.rng.integers(len(numeric)))]] = self.rng.random()
        return y
