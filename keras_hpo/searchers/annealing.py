"""Simulated annealing over mixed spaces, with a geometric schedule, adaptive moves and reheating.

Suggestions are neighbours of the current point: a Gaussian step on the encoded
numbers, now and then one coordinate redrawn anywhere in its range (a long jump
out of a wrong basin) and a switched category. When a result comes back the
Metropolis rule decides whether it becomes the current point: always if it is no
worse, otherwise with probability ``exp(-delta / T)``. So the schedule works on
any objective, ``delta`` is measured in ranks (the fraction of all results seen
that lie between the two points) rather than in the objective's own units. The
temperature falls geometrically per result. The move distribution adapts to the
landscape as in Vanderbilt & Louie (1984): its size by the 1/5 success rule (a
move that improves on the current point widens it, one that does not narrows
it), its shape towards the steps that worked, so the search follows valleys
that do not run along the axes and settles finely into the minimum it is in.
After ``patience`` results without a new best the search reheats from the best
point. Results from parallel workers are judged in the order they arrive.

The best point is polished late in a run (``polish``, see ``_moves.Polish``); polishing steps are judged
as moves like any other when they come back.

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
from ._moves import Cube, Polish, Polished, coin, one_fifth_rule, reflect, usable


class SimulatedAnnealing(Polished):
    """Metropolis acceptance on loss ranks, geometric cooling, a move distribution adapted by success."""

    #: studies stored before these options existed resume with them off (``Searcher.options_added``)
    options_added = {**Polished.options_added, "jump": 0.0}

    def __init__(self, *, temperature: float = 0.1, cooling: float = 0.96, step: float = 0.1,
                 min_step: float = 1e-12, patience: int = 40, reheat: float = 0.5, jump: float = 0.1,
                 n_initial: int = 8, polish: float = 0.5) -> None:
        self.temperature = temperature  # start temperature: a move 10% of ranks worse is accepted w.p. exp(-0.1 / T)
        self.cooling = cooling          # geometric factor applied to the temperature after every result
        self.step = step                # start std of a numeric move in the unit cube
        self.min_step = min_step        # floor of that std as failed moves shrink it
        self.patience = patience        # results without a new best before reheating from the best point
        self.reheat = reheat            # temperature after a reheat, as a fraction of the start temperature
        self.jump = jump                # chance that a move redraws one coordinate anywhere in its range
        self.n_initial = n_initial      # random points first; annealing starts from the best of them
        self.polish = polish            # largest share of suggestions that, late on, refine the best point (0: never)

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
        Polish.check(self.polish)
        self.cube = Cube(self.space)
        self.polisher = Polish.make(self.cube, self.polish, 4 * self.n_initial)
        # all of this is a function of the told trials (acceptance coins included), so resume replays it
        self.current: Trial | None = None
        self.best: Trial | None = None
        self._heat = 1.0      # temperature relative to the start one
        self._stale = 0       # results since the last new best
        self._losses: list[float] = []
        d = len(self.cube.numeric)
        #: the move distribution on the numeric coordinates: step size times a learned covariance
        self.sigma = self.step
        self.covariance = np.eye(d)
        self._path = np.zeros(d)
        self._c_path, self._c_cov = 2 / (d + 2), 2 / (d**2 + 6)

    @property
    def current_temperature(self) -> float:
        return self.temperature * self._heat

    def _observe(self, trial: Trial) -> None:
        if self.polisher is not None:  # a polishing step is also judged as a move (so replaying the trials agrees)
            self.polisher.observe(self, trial)
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
            self.sigma = max(self.sigma, self.step * math.sqrt(self.reheat))

    def _adapt(self, trial: Trial, improved: bool) -> None:
        """Adapt the moves to the landscape from how moves fare, as Vanderbilt & Louie (1984) let annealing's
        step distribution follow the steps that worked: the 1/5 success rule on the step size (a move that
        improves on the current point widens it, a failed one narrows it) and, on success, a rank-one update of
        the covariance towards the direction that worked (as in the (1+1)-CMA-ES), so valleys that do not run
        along the axes are followed too.

        The move is read off the trial itself (against the current point), so replaying the trials on resume
        rebuilds all of it. A long jump (far outside the move distribution) adapts nothing.
        """
        numeric = self.cube.numeric
        if not len(numeric):
            return
        delta = (self.cube.encode(trial.params) - self.cube.encode(self.current.params))[numeric]
        delta = delta / max(self.sigma, 1e-300)
        if not np.any(delta) or float(delta @ np.linalg.solve(self.covariance, delta)) > 25 * len(numeric):
            return
        self.sigma = one_fifth_rule(self.sigma, improved, self.min_step)
        if improved:
            c, c_cov = self._c_path, self._c_cov
            self._path = (1 - c) * self._path + math.sqrt(c * (2 - c)) * delta
            self.covariance = (1 - c_cov) * self.covariance + c_cov * np.outer(self._path, self._path)

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
        out = []
        for k in range(n):
            if self.polisher is not None and self.polisher.due(self, k):
                out.append(Suggestion(self.polisher.propose(self, self.rng, taken)))
            else:
                out.append(Suggestion(self.cube.propose(self, self._neighbour(x), self.rng, taken)[1]))
        return out

    def _neighbour(self, x: np.ndarray) -> np.ndarray:
        """A move from ``x``: a correlated Gaussian step on the numbers, maybe one redrawn, maybe a category."""
        numeric = self.cube.numeric
        scale = np.maximum(self.sigma * np.sqrt(np.diag(self.covariance)), self.cube.widths[numeric] / 2)
        p_switch = max(min(0.5, 2 * float(np.mean(scale))) if len(numeric) else 0.5, 0.5 / len(self.space))
        y = self.cube.mutate(x, self.rng, 0.0, p_switch)
        if len(numeric):
            root = np.linalg.cholesky(self.covariance + 1e-12 * np.eye(len(numeric)))
            z = self.sigma * (root @ self.rng.standard_normal(len(numeric)))
            floor = self.cube.widths[numeric] / 2  # an integer moves by one level at least now and then
            z = np.where(np.abs(z) < floor, floor * self.rng.standard_normal(len(numeric)), z)
            y[numeric] = reflect(x[numeric] + z)
            if self.rng.random() < self.jump:
                y[numeric[int(self.rng.integers(len(numeric)))]] = self.rng.random()
        return y

