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
from typing import TYPE_CHECKING, Any

import numpy as np

from ..space import Float, Int, Space
from ..trial import Trial, TrialState

if TYPE_CHECKING:
    from .base import Searcher

__all__ = ["Cube", "reflect", "coin", "usable", "ranked"]

_PROPOSE_TRIES = 12


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


def ranked(searcher: Searcher) -> list[Trial]:
    """The searcher's usable trials, best (lowest loss) first; failed, pruned and non-finite ones are left out."""
    return sorted(filter(usable, searcher.history), key=searcher.loss)


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
