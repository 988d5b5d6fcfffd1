"""Moves on the encoded unit cube, shared by the five metaheuristics.

``Space.encode`` turns a point into a vector in ``[0, 1]^d``: one dimension per
number (log scales already applied) and a one-hot block per ``Choice``. The
genetic, ant colony, annealing, tabu and swarm searchers all move such vectors
around; ``Cube`` holds the moves they share (Gaussian steps scaled per dimension,
category switches, SBX/uniform crossover, reflection at the bounds) and
``Cube.propose`` snaps a vector back to a valid point that was never suggested,
so a batch for parallel workers holds no duplicates.

>>> import numpy as np, keras_hpo as kh
>>> cube = Cube(kh.Space({"lr": kh.Float(1e-4, 1e-1, log=True), "act": ["relu", "tanh"]}))
>>> rng = np.random.default_rng(0)
>>> y = cube.mutate(cube.encode({"lr": 1e-3, "act": "relu"}), rng, scale=0.1, p_switch=1.0)
>>> cube.space.decode(y)["act"]
'tanh'

Helpers that other searchers may want too (``level_widths``, ``active_mask``)
could later move onto ``Space`` itself.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from ..space import Float, Int, Space
from ..trial import Trial, TrialState
from .base import Searcher

__all__ = ["Cube", "Polish", "reflect", "coin", "usable", "ranked", "collapsed"]

_PROPOSE_TRIES = 12
_MODEL_DIMS = 12  # the polishing step's quadratic model is fitted up to this many dimensions


def reflect(x: np.ndarray) -> np.ndarray:
    """Fold values back into ``[0, 1]`` like a mirror (no pile-up on the bounds as with clipping)."""
    x = np.abs(np.asarray(x, dtype=float)) % 2.0
    return np.where(x > 1.0, 2.0 - x, x)


def coin(seed: int | None, number: int) -> float:
    """A uniform number fixed by ``(seed, trial number)``: lets ``_observe`` make random decisions
    (Metropolis acceptance) that replaying the trials on resume reproduces exactly."""
    return float(np.random.default_rng([0 if seed is None else int(seed), int(number), 0x5EED]).random())


def usable(trial: Trial) -> bool:
    """Whether a told trial has a value to learn from (complete and finite); the rest count as failed moves."""
    return trial.state is TrialState.COMPLETE and trial.value is not None and math.isfinite(trial.value)


def ranked(searcher: Searcher, since: int = 0) -> list[Trial]:
    """The searcher's usable trials (told from the ``since``-th on), best (lowest loss) first; failed, pruned and
    non-finite ones are left out."""
    return sorted(filter(usable, searcher.history[since:]), key=searcher.loss)


def collapsed(cube: Cube, xs: np.ndarray, tol: float) -> bool:
    """Whether a population (encoded rows ``xs``) has converged: its spread (std) on every numeric dimension at
    most ``tol``, or one level for integers. A population method then only resamples one point; IPOP-style
    searchers restart it (Auger & Hansen, 2005) while polishing carries on refining the best."""
    if len(xs) < 2 or not len(cube.numeric):
        return False
    spread = np.asarray(xs)[:, cube.numeric].std(axis=0)
    return bool(np.all(spread <= np.maximum(tol, cube.widths[cube.numeric])))


def one_fifth_rule(sigma: float, success: bool, floor: float = 0.0) -> float:
    """Rechenberg's 1/5 success rule: a success doubles the step size, a failure divides it by 2**(1/4), so it
    holds still at one success in five; kept within ``[floor, 0.5]`` (half the unit cube)."""
    return float(min(0.5, max(floor, sigma * (2.0 if success else 2.0 ** -0.25))))


class Cube:
    """The encoded unit cube of ``space``, with the moves the metaheuristics share."""

    def __init__(self, space: Space) -> None:
        self.space = space
        self.n_dims = space.n_dims
        self.blocks = space.choice_blocks
        numeric = np.ones(self.n_dims, dtype=bool)
        for block in self.blocks:
            numeric[block] = False
        #: indices of the dimensions that are numbers (not part of a one-hot block)
        self.numeric = np.flatnonzero(numeric)
        self.widths = self.level_widths(space)

    @staticmethod
    def level_widths(space: Space) -> np.ndarray:
        """Per dimension, the encoded width of one level (ints, stepped floats; 0 when continuous).

        A mutation smaller than this never changes the decoded value, so step sizes are floored by it.
        """
        widths = np.zeros(space.n_dims)
        for name, dist in space.items():
            if isinstance(dist, Int) or (isinstance(dist, Float) and dist.step is not None):
                levels = (dist.high - dist.low) / dist.step + 1
                widths[space.slice_of(name)] = 1.0 / levels
        return widths

    def active_mask(self, params: Mapping[str, Any]) -> np.ndarray:
        """``True`` on the dimensions of parameters active in ``params`` (inactive ones hold imputed values)."""
        mask = np.zeros(self.n_dims, dtype=bool)
        for name in params:
            mask[self.space.slice_of(name)] = True
        return mask

    def encode(self, params: Mapping[str, Any]) -> np.ndarray:
        return self.space.encode(params)

    def random(self, rng: np.random.Generator) -> np.ndarray:
        """The encoding of a uniformly drawn point."""
        return self.space.encode(self.space.sample(rng))

    def mutate(self, x: np.ndarray, rng: np.random.Generator, scale: float | np.ndarray,
               p_switch: float) -> np.ndarray:
        """A neighbour of ``x``: a Gaussian step of std ``scale`` (one number or one per dimension) on the
        numeric dimensions, reflected into the cube, and each choice switched to another value with
        probability ``p_switch``."""
        y = np.array(x, dtype=float)
        sigma = np.broadcast_to(np.asarray(scale, dtype=float), y.shape)[self.numeric]
        y[self.numeric] = reflect(y[self.numeric] + sigma * rng.standard_normal(len(self.numeric)))
        for block in self.blocks:
            k = block.stop - block.start
            if k > 1 and rng.random() < p_switch:
                other = int(rng.integers(k - 1))
                other += other >= int(np.argmax(y[block]))
                y[block] = 0.0
                y[block.start + other] = 1.0
        return y

    def crossover(self, a: np.ndarray, b: np.ndarray, rng: np.random.Generator, eta: float = 15.0,
                  active_a: np.ndarray | None = None, active_b: np.ndarray | None = None) -> np.ndarray:
        """A child of ``a`` and ``b``: simulated binary crossover (SBX, spread ``eta``) on numbers, each
        choice block taken whole from either parent. A value inactive in one parent (an imputed
        conditional) is taken from the other parent, where it meant something."""
        a, b = np.array(a, dtype=float), np.array(b, dtype=float)
        if active_a is not None and active_b is not None:
            a = np.where(~active_a & active_b, b, a)
            b = np.where(~active_b & active_a, a, b)
        u = rng.random(self.n_dims)
        beta = np.where(u <= 0.5, (2 * u) ** (1 / (eta + 1)), (1 / (2 * (1 - u))) ** (1 / (eta + 1)))
        sign = np.where(rng.random(self.n_dims) < 0.5, -1.0, 1.0)
        child = reflect(0.5 * (a + b) + sign * 0.5 * beta * (a - b))
        for block in self.blocks:
            child[block] = (a if rng.random() < 0.5 else b)[block]
        return child

    def propose(self, searcher: Searcher, x: np.ndarray, rng: np.random.Generator, taken: set[str],
                jitter: float = 0.02) -> tuple[np.ndarray, dict[str, Any]]:
        """``x`` decoded to a valid point neither suggested before nor in ``taken`` (the keys of the batch
        being built, which the new key joins). A repeat is nudged with growing noise and, as a last
        resort, replaced by a random fresh point. Returns the vector actually used and its params."""
        y = np.asarray(x, dtype=float)
        for attempt in range(_PROPOSE_TRIES):
            params = self.space.decode(y)
            key = self.space.key(params)
            if key not in taken and not searcher._is_seen(params):
                taken.add(key)
                return y, params
            scale = np.maximum(jitter * 2.0 ** attempt, self.widths)
            y = self.mutate(x, rng, scale, p_switch=min(1.0, 0.15 * (attempt + 1)))
        for _ in range(_PROPOSE_TRIES):
            fresh = searcher.fresh_point()
            if fresh is None:
                break
            params = fresh
            if self.space.key(fresh) not in taken:
                break
        taken.add(self.space.key(params))
        return self.space.encode(params), params


class Polish:
    """Late-phase local refinement of the best point: model-based trust-region steps and a (1+1)-ES.

    Population methods (genetic, ant colony, swarm) and tabu search locate a good basin well but settle into it
    slowly: their steps follow the spread of their population or a floor, so their regret stalls around
    1e-3..1e-8 where an evolution strategy converges geometrically. A memetic searcher (Moscato, 1989) hands
    a share of its suggestions to a local search around the incumbent. This one moves only the incumbent's
    active numeric coordinates (categories kept), in two kinds of steps:

    - a model step, as in Powell's NEWUOA/BOBYQA: a quadratic fitted to the trials nearest the best (with its
      categories; with ``separable=True`` and too few trials for a full one, a quadratic without cross terms
      from ``2 d + 3`` trials on) and a step to its minimum within a trust region of radius ``2 sigma sqrt(d)``; after it,
      ``sigma`` follows the step's length (twice it after a success, half after a failure);
    - after a failed model step, Rechenberg's (1+1)-ES: a Gaussian step of size ``sigma``; a new best widens
      ``sigma`` (x2), a failure narrows it (x2^-1/4), balanced at one success in five, with no floor. A failed
      step is followed by its mirror image (Brockhoff et al., 2010).

    With steps still out (parallel workers), one model step is made until a result comes back; the other
    polishing steps sample around the model's point.

    How many suggestions it takes is credit-based, as in adaptive operator selection: from the ``start``-th
    suggestion on, its share is the fraction of the recent improvement of the best value (decayed by 0.9 per
    told trial) that polishing steps made, kept within ``[share / 3, share]``. On a smooth basin the search's own
    moves rarely improve late in a run and polishing takes up to ``share``; where the search still finds better
    basins it keeps most of the suggestions. When ``sigma`` falls below ``1e-11`` (float precision) polishing
    pauses until the search's own moves find a better point. The credits, ``sigma`` and the polishing steps
    still out are kept in ``state_dict`` (a few numbers), so a resumed run carries on as the original.
    """

    DONE = 1e-11
    DECAY = 0.9

    def __init__(self, cube: Cube, start: int, share: float = 0.5, sigma: float = 0.1, separable: bool = False) -> None:
        self.cube, self.start, self.share, self.sigma0 = cube, start, share, sigma
        self.separable = separable  # with too few trials for a full quadratic, fit one without cross terms
        self.sigma = sigma
        self.best_loss = math.inf
        self.best_x: np.ndarray | None = None
        self._flying: set[str] = set()
        self.steps = self.successes = 0
        self.credit = [0.0, 0.0]  # recent improvement of the best: by polishing steps, by the search's own moves
        self._due = 0.0           # share accumulated since the last polishing step
        self._mirror: list[float] | None = None  # the last failed step, to be tried the other way next
        self._mirrored = False                   # whether the last step was such a mirror image
        self._last: tuple[str, list[float]] | None = None  # key and step of the last polishing step proposed
        self._xs: list[np.ndarray] = []          # encodings and losses of the usable trials told
        self._losses: list[float] = []
        self._model_next = True                  # whether the next step comes from the quadratic model
        self._modelled = False                   # whether the last step did
        self._centre: tuple[str, list[float]] | None = None  # key and place of the last model step

    @classmethod
    def make(cls, cube: Cube, share: float, initial: int) -> Polish | None:
        """The polisher of a searcher with option ``polish=share`` (0: none), starting after the searcher's own
        ``initial`` phase and not before ``10 * (d + 2)`` suggestions on ``d`` numeric dimensions."""
        return cls(cube, start=max(initial, 10 * (len(cube.numeric) + 2)), share=share) if share else None

    @staticmethod
    def check(value: Any) -> None:
        """Validate a searcher's ``polish`` option: the largest share of suggestions, in [0, 1) (0: off)."""
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < 1:
            raise ValueError(f"polish must be a share of suggestions in [0, 1) (0: off), got {value!r}")

    @property
    def current_share(self) -> float:
        """The share of suggestions polishing takes now: its part of the recent improvements, within bounds."""
        total = self.credit[0] + self.credit[1]
        part = self.credit[0] / total if total > 0 else 0.0
        return float(np.clip(part, self.share / 3, self.share))

    def due(self, searcher: Searcher, offset: int = 0) -> bool:
        """Whether the next suggestion is a polishing step (call once per suggestion: it advances the schedule);
        ``offset`` counts the suggestions already made in the current batch."""
        index = len(searcher.history) + len(searcher.pending) + offset
        if index < self.start or self.best_x is None or self.sigma < self.DONE or not len(self.cube.numeric):
            return False
        self._due += self.current_share
        if self._due < 1.0:
            return False
        self._due -= 1.0
        return True

    def propose(self, searcher: Searcher, rng: np.random.Generator, taken: set[str]) -> dict[str, Any]:
        """A Gaussian step from the best point, decoded to a new valid point (recorded as a polishing step)."""
        best = min(filter(usable, searcher.history), key=searcher.loss)
        x = self.cube.encode(best.params)
        if self.steps == 0 and len(self._xs) > 1 and not self._flying:  # the first step: the scale of the best few
            good = np.argsort(self._losses)[:5]
            spread = (np.array(self._xs)[good] - x)[:, self.cube.numeric]
            self.sigma = float(np.clip(np.sqrt(np.mean(spread**2)), 1e-6, self.sigma0))
        dims = self.cube.numeric[self.cube.active_mask(best.params)[self.cube.numeric]]
        if not len(dims):
            dims = self.cube.numeric
        self._mirrored = self._mirror is not None and len(self._mirror) == len(dims)
        z = None
        if self._mirrored:
            z = -np.asarray(self._mirror)
        elif self._model_next:
            z = self._model_step(searcher, x, dims)
            self._model_next = False  # the model knows nothing new until a result is told: the rest of a batch samples
        self._modelled = z is not None and not self._mirrored
        if z is None:
            floor = self.cube.widths[dims] / 2  # an integer moves by one level at least now and then
            z = self.sigma * rng.standard_normal(len(dims))
            z = np.where(np.abs(z) < floor, floor * rng.standard_normal(len(dims)), z)
            if not self._mirrored and self._centre is not None and self._centre[0] in self._flying \
                    and len(self._centre[1]) == len(dims):
                x = x.copy()
                x[dims] = np.asarray(self._centre[1])  # the model's point is still out: sample around it
        self._mirror = None
        y = x.copy()
        y[dims] = reflect(x[dims] + z)
        _, params = self.cube.propose(searcher, y, rng, taken, jitter=self.sigma)
        key = self.cube.space.key(params)
        self._flying.add(key)
        self._last = (key, (y - x)[dims].tolist())
        if self._modelled:
            self._centre = (key, y[dims].tolist())
        return params

    def observe(self, searcher: Searcher, trial: Trial) -> None:
        """Adapt ``sigma`` and the credits to a told trial: call from ``_observe`` for every trial."""
        key = self.cube.space.key(trial.params)
        polished = key in self._flying
        self._flying.discard(key)
        self.credit = [c * self.DECAY for c in self.credit]
        loss = searcher.loss(trial) if usable(trial) else math.inf
        better = loss < self.best_loss
        if better and math.isfinite(self.best_loss):
            self.credit[0 if polished else 1] += 1.0
        x = self.cube.encode(trial.params)
        if math.isfinite(loss):  # the points the model is fitted to (rebuilt by replaying the trials on resume)
            self._xs.append(x)
            self._losses.append(loss)
        if polished:
            self.steps += 1
            self.successes += better
            last = self._last
            mine = last is not None and last[0] == key
            if self._modelled and mine:  # a trust region: its radius follows the length of the model's step
                length = float(np.linalg.norm(last[1])) / math.sqrt(len(last[1]))
                self.sigma = min(0.5, 2 * length) if better else min(self.sigma, length) / 2
            else:
                self.sigma = one_fifth_rule(self.sigma, better)
            # a failed step is tried the other way round next, unless it was the mirror of one already
            self._mirror = last[1] if not better and mine and not self._mirrored and not self._modelled else None
            # after a failed model step, a random one (and its mirror); after any success or a mirror, the model
            self._model_next = better or not mine or self._mirrored
        elif better and self.best_x is not None and self.sigma < self.DONE:
            # polishing had paused at float precision; the search moved on: polish there, at the scale of the jump
            jump = float(np.linalg.norm((x - self.best_x)[self.cube.numeric])) / math.sqrt(max(1, len(self.cube.numeric)))
            self.sigma = float(np.clip(jump, 1e3 * self.DONE, self.sigma0))
        if better:
            self.best_loss, self.best_x = loss, x

    def state_dict(self) -> dict[str, Any]:
        return {"sigma": self.sigma, "flying": sorted(self._flying), "steps": self.steps, "successes": self.successes,
                "credit": list(self.credit), "due": self._due, "mirror": self._mirror, "mirrored": self._mirrored,
                "model_next": self._model_next, "modelled": self._modelled,
                "centre": None if self._centre is None else list(self._centre),
                "last": None if self._last is None else list(self._last)}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.sigma, self._flying = float(state["sigma"]), set(state["flying"])
        self.steps, self.successes = int(state["steps"]), int(state["successes"])
        self.credit, self._due = [float(c) for c in state["credit"]], float(state["due"])
        self._mirror, self._mirrored = state["mirror"], bool(state["mirrored"])
        self._last = tuple(state["last"]) if state["last"] else None
        self._model_next, self._modelled = bool(state["model_next"]), bool(state["modelled"])
        self._centre = tuple(state["centre"]) if state["centre"] else None

    def _model_step(self, searcher: Searcher, x: np.ndarray, dims: np.ndarray) -> np.ndarray | None:
        """The step to the minimum of a quadratic fitted to the trials nearest the best, within ``2 sigma sqrt(d)``.

        The trust-region idea of model-based local search (Powell's NEWUOA/BOBYQA): near a smooth minimum a
        quadratic fit predicts the minimiser far better than a random step, which is what makes the convergence
        fast. Only trials with the best one's categories count; ``None`` when too few lie near or ``d > 12``.
        """
        d = len(dims)
        n_terms = (d + 1) * (d + 2) // 2
        if d > _MODEL_DIMS:
            return None
        others = np.ones(self.cube.n_dims, dtype=bool)
        others[dims] = False
        xs, losses = np.array(self._xs), np.array(self._losses)
        same = np.all(np.abs(xs[:, others] - x[others]) < 1e-12, axis=1)
        full = same.sum() >= n_terms + 2
        if not full and not (self.separable and same.sum() >= 2 * d + 3):
            return None
        if not full:  # few trials (early in a run): no cross terms, 2 d + 1 of them as in NEWUOA's default
            n_terms = 2 * d + 1
        xs, losses = xs[same][:, dims], losses[same]
        near = np.argsort(np.linalg.norm(xs - x[dims], axis=1))[: 2 * n_terms]
        u, f = xs[near] - x[dims], losses[near]
        h = np.maximum(np.max(np.abs(u), axis=0), 1e-300)
        u = u / h
        iu, ju = np.triu_indices(d) if full else (np.arange(d), np.arange(d))
        features = np.hstack([np.ones((len(u), 1)), u, u[:, iu] * u[:, ju]])
        scale = max(float(np.std(f)), 1e-300)
        coef = np.linalg.lstsq(features, (f - f.min()) / scale, rcond=None)[0]
        g = coef[1 : d + 1]
        hess = np.zeros((d, d))
        hess[iu, ju] = coef[d + 1 :]  # separable: the diagonal only
        hess = hess + hess.T  # the diagonal counted twice: d2/du_i^2 of c u_i^2 is 2c
        if not np.all(np.isfinite(hess)) or not np.all(np.isfinite(g)):
            return None
        try:
            values = np.linalg.eigvalsh(hess)
            step = -np.linalg.solve(hess, g) if values.min() > 1e-12 * max(1.0, values.max()) else None
        except np.linalg.LinAlgError:
            step = None
        radius = 2 * self.sigma * math.sqrt(d)
        if step is None:  # not convex here: the steepest descent to the edge of the trust region
            z = -g * h
            length = float(np.linalg.norm(z))
            return z * (radius / length) if length > 0 else None
        z = step * h
        length = float(np.linalg.norm(z))
        return z * (radius / length) if length > radius else z


class Polished(Searcher):
    """A searcher with a ``polisher`` (``Polish.make``, None when off): its state is kept under "polish"."""

    polisher: Polish | None = None
    #: studies stored before ``polish`` existed resume with it off (``Searcher.options_added``)
    options_added = {"polish": 0.0}

    def state_dict(self) -> dict[str, Any]:
        state = super().state_dict()
        if self.polisher is not None:
            state["polish"] = self.polisher.state_dict()
        return state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        super().load_state_dict(state)
        if self.polisher is not None:
            self.polisher.load_state_dict(state["polish"])
