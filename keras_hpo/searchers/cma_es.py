"""CMA-ES: the covariance matrix adaptation evolution strategy of the ``cmaes`` package, driven ask/tell.

Numbers (floats, integers, stepped floats) live on the encoded unit cube and go to
``cmaes.CMAwM``, the CMA-ES with margin that Optuna also uses: integers and steps
are discrete dimensions whose margin keeps the search from freezing on one level.
Choices are sampled beside it, as Optuna's sampler does for categoricals, but
instead of uniformly they are drawn from the smoothed frequencies of the best
quarter of results. A batch ``ask(n)`` draws ``n`` samples of the current
generation; every ``popsize`` finished trials form a generation that updates the
distribution (failed trials are skipped). When the strategy has converged it
restarts from a random mean with twice the population (IPOP).

Resume replays the trials: everything the distribution learns is computed from
the trials told, in order. A dimension a trial does not fix (an inactive
conditional number) is filled with a draw from the current distribution seeded
by the trial number, so it neither pulls the mean nor shrinks the step size.

>>> import keras_hpo as kh
>>> from keras_hpo.testing.objectives import ROSENBROCK4
>>> result = kh.tune(ROSENBROCK4, ROSENBROCK4.space, method="cmaes", max_trials=300, seed=0, progress=False)
>>> ROSENBROCK4.regret(result.best_value) < 1.0
True
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from cmaes import CMAwM

from ..space import Choice, Float, Int
from ..trial import Suggestion, Trial
from ._moves import usable
from .base import Searcher

__all__ = ["CMAESSearch"]

#: draws from the distribution before a repeat is handed to ``Searcher.ask`` (which swaps in a random point)
_DRAWS = 20


class CMAESSearch(Searcher):
    """CMA-ES with margin for integers (``cmaes.CMAwM``), IPOP restarts and ranked sampling of choices.

    Options (keyword-only):

    - ``sigma0``: initial step size in the unit cube (default 1/6, as Optuna).
    - ``popsize``: population of the first run (default ``4 + 3 ln d``, the package's choice).
    - ``restarts``: ``"ipop"`` (default) doubles the population at each restart; ``None`` never restarts.
    - ``x0``: a starting point (a params dict), e.g. the best result of an earlier search.

    >>> import keras_hpo as kh
    >>> s = kh.searchers.get("cmaes")
    >>> s.setup({"lr": kh.Float(1e-4, 1e-1, log=True), "units": kh.Int(8, 64), "act": ["relu", "tanh"]}, seed=0)
    >>> len(s.ask(4))
    4
    """

    def __init__(self, *, sigma0: float = 1 / 6, popsize: int | None = None, restarts: str | None = "ipop",
                 x0: dict | None = None) -> None:
        self.sigma0 = sigma0
        self.popsize = popsize
        self.restarts = restarts
        self.x0 = x0

    def _validate(self) -> None:
        if not isinstance(self.sigma0, (int, float)) or isinstance(self.sigma0, bool) or not 0 < self.sigma0 <= 1:
            raise ValueError(f"sigma0 must be a number in (0, 1], got {self.sigma0!r}")
        if self.popsize is not None and (not isinstance(self.popsize, (int, np.integer)) or isinstance(self.popsize, bool)
                                         or self.popsize < 2):
            raise ValueError(f"popsize must be an integer >= 2 or None, got {self.popsize!r}")
        if self.restarts not in ("ipop", None):
            raise ValueError(f"restarts must be 'ipop' or None, got {self.restarts!r}")
        if self.x0 is not None:
            try:
                self.space.check(self.x0)
            except (ValueError, TypeError) as exc:
                raise ValueError(f"x0 is not a point of the space: {exc}") from None
        # the numeric dimensions of the encoded vector, and the grid step of the discrete ones (0 = continuous)
        self._numeric = [n for n, d in self.space.items() if isinstance(d, (Float, Int))]
        self._idx = np.array([self.space.slice_of(n).start for n in self._numeric], dtype=int)
        self._steps = np.array([self._step(self.space[n]) for n in self._numeric], dtype=float)
        self._dummy = len(self._idx) == 1  # cmaes needs two dimensions: a 1-d space gets an ignored second one
        self._choices = [n for n, d in self.space.items() if isinstance(d, Choice)]
        self._restarts = 0
        self._cma: CMAwM | None = None
        self._generation: list[tuple[np.ndarray, float]] = []
        if len(self._idx):
            start = None if self.x0 is None else self.space.encode(self.x0)[self._idx]
            self._cma = self._new_cma(start, self.popsize)

    @staticmethod
    def _step(dist: Float | Int) -> float:
        if isinstance(dist, Int) and dist.log or isinstance(dist, Float) and dist.step is None:
            return 0.0  # continuous, or an integer on a log scale (rounded when decoded)
        return 1.0 / dist._levels

    def _new_cma(self, start: np.ndarray | None, popsize: int | None) -> CMAwM:
        steps = np.append(self._steps, 0.0) if self._dummy else self._steps
        half = steps / 2  # a discrete level is a cell of width ``step``; its centre is the value cmaes returns
        bounds = np.column_stack([half, 1.0 - half])
        mean = np.full(len(steps), 0.5) if start is None else np.append(start, 0.5) if self._dummy else start
        mean = np.clip(mean, bounds[:, 0], bounds[:, 1])
        seed = int(np.random.SeedSequence([0 if self.seed is None else int(self.seed), self._restarts]).generate_state(1)[0])
        return CMAwM(mean=mean, sigma=self.sigma0, bounds=bounds, steps=steps, seed=seed, population_size=popsize)

    def warm_start(self, trials: list[Trial]) -> None:
        """Learn from earlier trials without feeding them to the distribution (which starts at ``x0``):
        their choices count for the choice sampler and their points are not suggested again."""
        for trial in trials:
            self._seen.add(self.space.key(trial.params))
            self.history.append(trial)

    # Learning ---------------------------------------------------------------
    def _observe(self, trial: Trial) -> None:
        if self._cma is None or not usable(trial):
            return  # failed and pruned trials are skipped, as Optuna does
        self._generation.append((self._point_of(trial), self.loss(trial)))
        if len(self._generation) < self._cma.population_size:
            return
        self._cma.tell(self._generation)
        self._generation = []
        if self.restarts == "ipop" and self._cma.should_stop():
            self._restarts += 1
            rng = np.random.default_rng([0 if self.seed is None else int(self.seed), self._restarts, 0x1909])
            popsize = self._cma.population_size * 2
            self._cma = self._new_cma(rng.uniform(size=len(self._idx)), popsize)

    def _point_of(self, trial: Trial) -> np.ndarray:
        """The trial as a point of the distribution; dimensions it leaves open get a seeded draw."""
        x = self.space.encode(trial.params)[self._idx]
        open_ = [i for i, name in enumerate(self._numeric) if name not in trial.params]
        if self._dummy:
            x, open_ = np.append(x, 0.5), [*open_, len(x)]
        if open_:
            rng = np.random.default_rng([0 if self.seed is None else int(self.seed), trial.number, 0xC3A])
            draw = self._cma.mean + self._spread() * rng.normal(size=len(x))
            x[open_] = draw[open_]
        half = np.append(self._steps, 0.0)[: len(x)] / 2 if self._dummy else self._steps / 2
        return np.clip(x, half, 1.0 - half)

    def _spread(self) -> np.ndarray:
        """Per-dimension standard deviation of the current distribution (sigma * sqrt(diag C))."""
        inner = self._cma._cma  # cmaes keeps sigma and C private; Optuna reads them the same way
        return inner._sigma * np.sqrt(np.diag(inner._C))

    # Suggesting -------------------------------------------------------------
    def _suggest(self, n: int) -> list[Suggestion]:
        out: list[Suggestion] = []
        taken: set[str] = set()
        for _ in range(n):
            params = None
            for _ in range(_DRAWS if self._cma is not None else 1):
                params = self.space.decode(self._vector())
                key = self.space.key(params)
                if key not in taken and not self._is_seen(params):
                    break
            taken.add(self.space.key(params))
            out.append(Suggestion(params))
        return out

    def _vector(self) -> np.ndarray:
        u = np.full(self.space.n_dims, 0.5)
        if self._cma is not None:
            self._cma.reseed_rng(int(self.rng.integers(2**31)))  # the searcher's RNG drives every draw (resume, seeds)
            x, _ = self._cma.ask()
            u[self._idx] = x[: len(self._idx)]
        for name in self._choices:
            block = self.space.slice_of(name)
            u[block] = 0.0
            u[block.start + self._choice_index(name)] = 1.0
        return u

    def _choice_index(self, name: str) -> int:
        """A value of choice ``name``, drawn from how often each value appears in the best quarter of results."""
        dist = self.space[name]
        counts = np.ones(len(dist.values()))
        good = sorted((t for t in self.history if usable(t) and name in t.params), key=self.loss)
        for trial in good[: max(1, math.ceil(len(good) / 4))] if good else []:
            counts[dist.index(trial.params[name])] += 1.0
        return int(self.rng.choice(len(counts), p=counts / counts.sum()))

    def state_dict(self) -> dict[str, Any]:
        # the distribution and the restarts are rebuilt by replaying the trials; only the base state is kept
        return super().state_dict()

    @property
    def restarts_done(self) -> int:
        """How many IPOP restarts have happened so far."""
        return self._restarts


