"""Tabu search over mixed spaces: neighbourhood moves, a tabu list, aspiration and restarts.

The search samples ``neighbours`` points around the current one (Gaussian steps on
the encoded numbers, switched categories, and now and then one coordinate redrawn
anywhere in its range, so a coordinate stuck in a wrong basin can switch alone)
and, once their results are in, moves
to the best of them, even when it is worse than where it stands: that is how
tabu search climbs out of local minima. What stops it from walking straight back
is the tabu list, the last ``tenure`` points it stood on. A continuous point never
repeats exactly, so a tabu entry covers its key and a small ball around it
(``radius`` times the step at that time). A tabu point is taken anyway when it
beats the best result so far (aspiration). Moves that do not improve shrink the
step; after ``patience`` moves without a new best the search restarts with a fresh
step, alternately far from everything it has evaluated (diversification) and
from the best point (intensification), with the tabu list kept.

The best point is polished late in a run (``polish``, see ``_moves.Polish``); polishing steps count as
neighbours of the current point when they come back.

>>> import keras_hpo as kh
>>> space = {"x": kh.Float(-2, 2), "opt": ["sgd", "adam"]}
>>> result = kh.tune(lambda p: p["x"] ** 2 + (p["opt"] == "sgd"), space, progress=False,
...                  method="tabu", max_trials=100, seed=0)
>>> result.best_params["opt"], result.best_value < 0.01
('adam', True)
"""

from __future__ import annotations

from collections import deque
from typing import Any

import numpy as np

from ..trial import Suggestion, Trial
from ._moves import Cube, Polish, Polished, usable

_TABU_TRIES = 10
_RESTART_POOL = 16


class TabuSearch(Polished):
    """Best-neighbour moves with a tabu list of recent points, aspiration by the best, and restarts."""

    #: studies stored before these options existed resume with them off (``Searcher.options_added``)
    options_added = {**Polished.options_added, "redraw": 0.0}

    def __init__(self, *, neighbours: int = 6, step: float = 0.15, min_step: float = 0.005, shrink: float = 0.6,
                 tenure: int = 12, radius: float = 0.25, patience: int = 8, redraw: float | None = None,
                 n_initial: int = 8, polish: float = 0.5) -> None:
        self.neighbours = neighbours  # results gathered around the current point before each move
        self.step = step              # std of a numeric move in the unit cube (reset on restart)
        self.min_step = min_step      # floor of the step
        self.shrink = shrink          # step factor after a move that does not improve on the current point
        self.tenure = tenure          # how many recent points stay tabu
        self.radius = radius          # a tabu point also bans the ball of radius * step around it
        self.patience = patience      # moves without a new best before a diversification restart
        self.redraw = redraw          # chance a neighbour has one coordinate redrawn anywhere (default 1 / neighbours)
        self.n_initial = n_initial    # random points first; the search starts from the best of them
        self.polish = polish          # largest share of suggestions that, late on, refine the best point (0: never)

    def _validate(self) -> None:
        for name in ("neighbours", "tenure", "patience", "n_initial"):
            if not isinstance(getattr(self, name), int) or getattr(self, name) < 1:
                raise ValueError(f"{name} must be a positive integer, got {getattr(self, name)!r}")
        if not self.step > 0 or not 0 <= self.min_step <= self.step:
            raise ValueError(f"need step > 0 and 0 <= min_step <= step, got step={self.step!r}, min_step={self.min_step!r}")
        if not 0 < self.shrink <= 1:
            raise ValueError(f"shrink must be in (0, 1], got {self.shrink!r}")
        if self.redraw is not None and not 0 <= self.redraw <= 1:
            raise ValueError(f"redraw must be a probability in [0, 1], got {self.redraw!r}")
        self._redraw = self.redraw if self.redraw is not None else 1.0 / self.neighbours
        if not self.radius >= 0:
            raise ValueError(f"radius must be >= 0, got {self.radius!r}")
        Polish.check(self.polish)
        self.cube = Cube(self.space)
        self.polisher = Polish.make(self.cube, self.polish, 4 * self.n_initial)
        # all of this is a function of the told trials, so resume rebuilds it by replaying them
        self.current: Trial | None = None
        self.best: Trial | None = None
        self.best_loss = np.inf
        self._restarts = 0
        self.tabu: deque[tuple[str, np.ndarray, float]] = deque(maxlen=self.tenure)
        self._step = self.step
        self._stale = 0
        self._candidates: list[Trial] = []
        self._waiting = 0                    # results since the last move
        self._visited: list[np.ndarray] = []

    def is_tabu(self, params: dict[str, Any]) -> bool:
        """Whether ``params`` is on the tabu list (its key, or within the ball around a tabu point)."""
        key, x = self.space.key(params), self.cube.encode(params)
        return any(key == k or np.linalg.norm(x - t) < r for k, t, r in self.tabu)

    def _observe(self, trial: Trial) -> None:
        if self.polisher is not None:  # a polishing step also counts as a neighbour: tabu may move there
            self.polisher.observe(self, trial)
        self._visited.append(self.cube.encode(trial.params))
        self._waiting += 1
        if usable(trial):
            self._candidates.append(trial)
        needed = self.n_initial if not self.tabu and self.current is None else self.neighbours
        if self._waiting >= needed and self._candidates:
            self._move()

    def _move(self) -> None:
        """Go to the best candidate that is not tabu, or that beats the best so far (aspiration)."""
        ordered = sorted(self._candidates, key=self.loss)
        self._candidates, self._waiting = [], 0
        chosen = next((t for t in ordered if self.loss(t) < self.best_loss or not self.is_tabu(t.params)), None)
        if chosen is None:
            return  # the whole neighbourhood was tabu: stay and sample again
        loss = self.loss(chosen)
        if self.current is not None and loss >= self.loss(self.current):
            self._step = max(self.min_step, self._step * self.shrink)
        self._stale = 0 if loss < self.best_loss else self._stale + 1
        if loss < self.best_loss:
            self.best, self.best_loss = chosen, loss
        self.current = chosen
        self.tabu.append((self.space.key(chosen.params), self.cube.encode(chosen.params), self.radius * self._step))
        if self._stale >= self.patience:  # restart: alternately far from everything, and from the best again
            self._restarts += 1
            self.current = None if self._restarts % 2 else self.best
            self._step, self._stale = self.step, 0

    def _suggest(self, n: int) -> list[Suggestion]:
        if self.current is None:
            return [Suggestion(self._far_point()) for _ in range(n)]
        x = self.cube.encode(self.current.params)
        scale = np.maximum(self._step, self.cube.widths / 2)
        p_switch = max(min(0.5, 2 * self._step), 0.5 / len(self.space))
        taken: set[str] = set()
        out = []
        for k in range(n):
            if self.polisher is not None and self.polisher.due(self, k):
                out.append(Suggestion(self.polisher.propose(self, self.rng, taken)))
                continue
            for _ in range(_TABU_TRIES):
                y = self.cube.mutate(x, self.rng, scale, p_switch)
                if len(self.cube.numeric) and self.rng.random() < self._redraw:  # a coordinate anywhere in its range
                    y[self.cube.numeric[int(self.rng.integers(len(self.cube.numeric)))]] = self.rng.random()
                if not self.is_tabu(self.space.decode(y)):
                    break
            out.append(Suggestion(self.cube.propose(self, y, self.rng, taken)[1]))
        return out

    def _far_point(self) -> dict[str, Any]:
        """A random point; after a restart, the one of a few draws farthest from everything evaluated."""
        pool = [self.space.sample(self.rng) for _ in range(_RESTART_POOL if self._visited else 1)]
        if not self._visited:
            return pool[0]
        visited = np.array(self._visited)
        gaps = [np.min(np.linalg.norm(visited - self.cube.encode(p), axis=1)) for p in pool]
        return pool[int(np.argmax(gaps))]

