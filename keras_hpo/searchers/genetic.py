"""A steady-state genetic algorithm on the encoded space.

Each suggestion is one child: two parents picked by tournament from the
population, simulated binary crossover on numbers and uniform crossover on
choices, then a Gaussian mutation whose size along each dimension follows the
population's own spread there (wide early, fine once it has converged). The
population is the ``elite`` best trials plus the most recent others, so the best
point found is never lost and the rest keeps turning over. There are no
generations: a child is bred whenever a worker is free, which makes the search
asynchronous by construction.

The best point is polished late in a run (``polish``, see ``_moves.Polish``): a memetic GA.

>>> import keras_hpo as kh
>>> space = {"x": kh.Float(-2, 2), "act": ["relu", "tanh"]}
>>> result = kh.tune(lambda p: p["x"] ** 2 + (p["act"] == "tanh"), space, progress=False,
...                  method=kh.searchers.get("genetic", population=10), max_trials=60, seed=0)
>>> result.best_params["act"], result.best_value < 0.01
('relu', True)
"""

from __future__ import annotations

import numpy as np

from ..trial import Suggestion, Trial
from ._moves import Cube, Polish, Polished, ranked, usable


class GeneticSearch(Polished):
    """Tournament selection, SBX/uniform crossover, spread-scaled mutation and elitism, steady state."""

    def __init__(self, *, population: int = 16, elite: int | None = None, tournament: int = 3, crossover: float = 0.9,
                 eta: float = 10.0, mutation: float = 0.5, min_mutation: float = 0.01,
                 p_switch: float | None = None, polish: float = 0.5) -> None:
        self.population = population      # trials in the population; the first `population` are random
        self.elite = elite                # best trials kept in the population however old (default 3/4 of it)
        self.tournament = tournament      # contestants drawn per parent; larger = greedier selection
        self.crossover = crossover        # probability that a child has two parents (else a mutated copy)
        self.eta = eta                    # SBX spread: larger keeps children nearer their parents
        self.mutation = mutation          # mutation std per dimension, as a multiple of the population's std there
        self.min_mutation = min_mutation  # floor of the mutation std in the unit cube (keeps the search alive)
        self.p_switch = p_switch          # chance to re-draw each choice; default 1 / number of parameters
        self.polish = polish              # largest share of children that, late on, refine the best instead (0: never)

    def _validate(self) -> None:
        if not isinstance(self.population, int) or self.population < 2:
            raise ValueError(f"population must be an integer >= 2, got {self.population!r}")
        if self.elite is not None and (not isinstance(self.elite, int) or not 0 <= self.elite <= self.population):
            raise ValueError(f"elite must be an integer in [0, population], got {self.elite!r}")
        if not isinstance(self.tournament, int) or self.tournament < 1:
            raise ValueError(f"tournament must be a positive integer, got {self.tournament!r}")
        for name in ("crossover", "p_switch"):
            value = getattr(self, name)
            if value is not None and not 0 <= value <= 1:
                raise ValueError(f"{name} must be a probability in [0, 1], got {value!r}")
        for name in ("eta", "mutation", "min_mutation"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0, got {getattr(self, name)!r}")
        Polish.check(self.polish)
        self.cube = Cube(self.space)
        self.polisher = Polish.make(self.cube, self.polish, 2 * self.population)
        self._elite = self.elite if self.elite is not None else 3 * self.population // 4
        self._p_switch = self.p_switch if self.p_switch is not None else 1.0 / max(1, len(self.space))

    def members(self) -> list[Trial]:
        """The current population: the ``elite`` best completed trials, then the most recent others."""
        best = ranked(self)[: self._elite]
        kept = {id(t) for t in best}
        recent = [t for t in reversed(self.history) if usable(t) and id(t) not in kept][: self.population - len(best)]
        return best + recent

    def _suggest(self, n: int) -> list[Suggestion]:
        pop = self.members()
        if len(self.history) + len(self.pending) < self.population or len(pop) < 2:
            return [Suggestion(self.space.sample(self.rng)) for _ in range(n)]
        xs = np.array([self.cube.encode(t.params) for t in pop])
        masks = np.array([self.cube.active_mask(t.params) for t in pop])
        losses = np.array([self.loss(t) for t in pop])
        sigma = np.maximum(self.mutation * xs.std(axis=0), np.maximum(self.min_mutation, self.cube.widths / 2))
        taken: set[str] = set()
        out = []
        for k in range(n):
            if self.polisher is not None and self.polisher.due(self, k):
                out.append(Suggestion(self.polisher.propose(self, self.rng, taken)))
                continue
            i, j = self._select(losses), self._select(losses)
            child = xs[i]
            if self.rng.random() < self.crossover and i != j:
                child = self.cube.crossover(xs[i], xs[j], self.rng, self.eta, masks[i], masks[j])
            child = self.cube.mutate(child, self.rng, sigma, self._p_switch)
            out.append(Suggestion(self.cube.propose(self, child, self.rng, taken)[1]))
        return out

    def _observe(self, trial: Trial) -> None:
        if self.polisher is not None:
            self.polisher.observe(self, trial)


    def _select(self, losses: np.ndarray) -> int:
        """Tournament: the best of ``tournament`` members drawn at random."""
        contestants = self.rng.choice(len(losses), size=min(self.tournament, len(losses)), replace=False)
        return int(contestants[np.argmin(losses[contestants])])
