"""Ant colony optimisation for mixed spaces: ACO_R on numbers, pheromone tables on choices.

Each suggestion is one ant. For the numeric dimensions it follows ACO_R (Socha &
Dorigo, 2008): the ``archive`` best trials are ranked, an ant picks a guide among
them with a Gaussian weight on the rank, and samples around the guide with a
spread set by how far the rest of the archive lies from it. For each choice it
reads a pheromone table, one trail per value: every completed trial evaporates
all trails by ``evaporation`` and the archive lays fresh pheromone on the values
it uses, weighted by rank (elite deposit). Trails never fall below ``floor`` times
uniform, so no value is ruled out for good.

When the archive has collapsed on one point (its spread below ``restart`` in every numeric dimension) a new
colony starts with random ants and an archive twice as large (IPOP, Auger & Hansen 2005), leaving the region
where the last one collapsed to polishing (``polish``, see ``_moves.Polish``), which refines the best point late
in a run.

>>> import keras_hpo as kh
>>> space = {"x": kh.Float(-2, 2), "act": ["relu", "tanh", "elu"]}
>>> result = kh.tune(lambda p: p["x"] ** 2 + (p["act"] != "elu"), space, progress=False,
...                  method="ant_colony", max_trials=80, seed=0)
>>> result.best_params["act"], result.best_value < 0.01
('elu', True)
"""

from __future__ import annotations

import numpy as np

from ..space import Choice
from ..trial import Suggestion, Trial
from ._moves import Cube, Polish, Polished, collapsed, ranked, reflect, usable

_LEFT = 0.02  # half-width (unit cube, per coordinate) of the region a collapsed colony leaves to polishing


class AntColonySearch(Polished):
    """ACO_R for numbers plus evaporating, elite-deposited pheromone trails for categorical values."""

    #: studies stored before these options existed resume with them off (``Searcher.options_added``)
    options_added = {**Polished.options_added, "restart": 0.0}

    def __init__(self, *, archive: int = 16, q: float = 0.1, xi: float = 0.85, evaporation: float = 0.1,
                 floor: float = 0.1, n_initial: int | None = None, polish: float = 0.5,
                 restart: float = 1e-3) -> None:
        self.archive = archive          # best trials the colony remembers (the ACO_R solution archive)
        self.q = q                      # rank locality: small = ants follow the very best, large = the whole archive
        self.xi = xi                    # spread of the numeric samples relative to the archive's own spread
        self.evaporation = evaporation  # fraction of every pheromone trail that evaporates per completed trial
        self.floor = floor              # lowest trail as a fraction of uniform, so no value dies out
        self.n_initial = n_initial      # random ants before the colony starts (default: `archive`)
        self.polish = polish            # largest share of ants that, late on, refine the best instead (0: never)
        self.restart = restart          # archive spread (std, unit cube) at which a new, larger colony starts (0: never)

    def _validate(self) -> None:
        if not isinstance(self.archive, int) or self.archive < 2:
            raise ValueError(f"archive must be an integer >= 2, got {self.archive!r}")
        for name in ("q", "xi"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be > 0, got {getattr(self, name)!r}")
        for name in ("evaporation", "floor"):
            if not 0 <= getattr(self, name) <= 1:
                raise ValueError(f"{name} must be in [0, 1], got {getattr(self, name)!r}")
        if self.n_initial is not None and (not isinstance(self.n_initial, int) or self.n_initial < 1):
            raise ValueError(f"n_initial must be a positive integer, got {self.n_initial!r}")
        Polish.check(self.polish)
        if not 0 <= self.restart < 1:
            raise ValueError(f"restart must be a spread in [0, 1) (0: never), got {self.restart!r}")
        self.cube = Cube(self.space)
        self.polisher = Polish.make(self.cube, self.polish, 2 * (self.n_initial or self.archive))
        # the colony: restarted, twice as large, when it has collapsed; a function of the told trials (resume replays it)
        self.restarts = 0
        self._since = 0  # index in the history where the current colony started
        self._left: list[np.ndarray] = []  # where earlier colonies collapsed (numeric coordinates)
        self._colony(self.archive)

    def _colony(self, size: int) -> None:
        """A fresh colony of archive ``size``: its rank weights and uniform pheromone trails."""
        self._size = size
        ranks = np.arange(size)
        self._weights = np.exp(-(ranks**2) / (2 * (self.q * size) ** 2))
        #: one trail per value of each Choice; a function of the told trials, so resume rebuilds it
        self.pheromone = {n: np.full(d.n_dims, 1.0 / d.n_dims) for n, d in self.space.items() if isinstance(d, Choice)}

    @property
    def _n_initial(self) -> int:
        return self.n_initial or self._size

    def _observe(self, trial: Trial) -> None:
        if self.polisher is not None:
            self.polisher.observe(self, trial)
        if not usable(trial):
            return  # failed and pruned ants leave no trail
        elite = self._elite()
        weights = self._weights[: len(elite)] / self._weights[: len(elite)].sum()
        for name, trail in self.pheromone.items():
            trail *= 1.0 - self.evaporation
            dist = self.space[name]
            for weight, t in zip(weights, elite):
                if name in t.params:
                    trail[dist.index(t.params[name])] += self.evaporation * weight
        if (self.restart and len(self.history) - self._since >= 2 * self._n_initial and len(elite) >= self._size
                and collapsed(self.cube, [self.cube.encode(t.params) for t in elite], self.restart)):
            # the archive sits on one point: a new colony, twice as large, explores afresh (IPOP); the best so far
            # stays the run's best and polishing keeps refining it
            self.restarts += 1
            self._since = len(self.history)
            self._left.append(np.mean([self.cube.encode(t.params) for t in elite], axis=0)[self.cube.numeric])
            self._colony(self._size * 2)

    def _elite(self) -> list[Trial]:
        """The current colony's archive: its best trials, none within ``_LEFT`` of a point an earlier colony
        collapsed on (so polishing steps near the old best do not pull the new colony back there)."""
        if not self._left:
            return ranked(self, self._since)[: self._size]
        out = []
        for t in ranked(self, self._since):
            x = self.cube.encode(t.params)[self.cube.numeric]
            if all(np.max(np.abs(x - c)) >= _LEFT for c in self._left):
                out.append(t)
                if len(out) == self._size:
                    break
        return out

    def _suggest(self, n: int) -> list[Suggestion]:
        elite = self._elite()
        if len(self.history) - self._since + len(self.pending) < self._n_initial or len(elite) < 2:
            return [Suggestion(self.space.sample(self.rng)) for _ in range(n)]
        xs = np.array([self.cube.encode(t.params) for t in elite])
        weights = self._weights[: len(elite)] / self._weights[: len(elite)].sum()
        taken: set[str] = set()
        out = []
        for k in range(n):
            if self.polisher is not None and self.polisher.due(self, k):
                out.append(Suggestion(self.polisher.propose(self, self.rng, taken)))
                continue
            guide = int(self.rng.choice(len(elite), p=weights))
            sigma = self.xi * np.abs(xs - xs[guide]).sum(axis=0) / (len(elite) - 1)
            x = xs[guide] + np.maximum(sigma, self.cube.widths / 2) * self.rng.standard_normal(self.cube.n_dims)
            for name, trail in self.pheromone.items():
                block = self.space.slice_of(name)
                share = trail / trail.sum() if trail.sum() > 0 else np.full(len(trail), 1.0 / len(trail))
                p = np.maximum(share, self.floor / len(trail))
                x[block] = 0.0
                x[block.start + int(self.rng.choice(len(trail), p=p / p.sum()))] = 1.0
            out.append(Suggestion(self.cube.propose(self, reflect(x), self.rng, taken)[1]))
        return out

