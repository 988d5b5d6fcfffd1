"""Particle swarm optimisation in the encoded unit cube, asynchronous.

Every particle has a position in ``[0, 1]^d``, a velocity and the best position it
has evaluated. On its turn a particle moves with the classic update
``v = inertia * v + cognitive * r1 * (own best - x) + social * r2 * (swarm best - x)``,
its velocity clamped to ``max_velocity`` per dimension and its position kept in
the cube (a coordinate that hits a wall stops there). A one-hot block moves like
any other coordinates and is rounded to its largest entry when decoded, which is
how categories take part. With probability ``craziness`` a flight also redraws one
coordinate anywhere in its range (the "craziness" of Kennedy & Eberhart's first
PSO), so a swarm that has converged with a coordinate in a wrong basin can still
find the better one. Particles take turns as workers free up, each using
the latest swarm best, so there is no generation barrier.

The swarm's best point is polished late in a run (``polish``, see ``_moves.Polish``).

>>> import keras_hpo as kh
>>> space = {"x": kh.Float(-2, 2), "y": kh.Float(-2, 2), "act": ["relu", "tanh"]}
>>> result = kh.tune(lambda p: p["x"] ** 2 + p["y"] ** 2 + (p["act"] == "tanh"), space,
...                  method="pso", max_trials=120, seed=0, progress=False)
>>> result.best_params["act"], result.best_value < 0.05
('relu', True)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..trial import Suggestion, Trial
from ._moves import Cube, Polish, Polished, ranked, usable


class ParticleSwarm(Polished):
    """Global-best PSO with velocity clamping and craziness; choices by rounding their one-hot block."""

    #: studies stored before these options existed resume with them off (``Searcher.options_added``)
    options_added = {**Polished.options_added, "craziness": 0.0}

    def __init__(self, *, particles: int = 8, inertia: float = 0.6, cognitive: float = 1.49618,
                 social: float = 1.49618, max_velocity: float = 0.1, craziness: float = 0.05,
                 polish: float = 0.5) -> None:
        self.particles = particles        # swarm size; each particle's first position is random
        self.inertia = inertia            # share of the previous velocity kept each turn
        self.cognitive = cognitive        # pull towards the particle's own best position
        self.social = social              # pull towards the swarm's best position
        self.max_velocity = max_velocity  # largest step per dimension and turn, in the unit cube
        self.craziness = craziness        # chance a flight also sends one coordinate anywhere (Kennedy & Eberhart, 1995)
        self.polish = polish              # largest share of suggestions that, late on, refine the swarm best (0: never)

    def _validate(self) -> None:
        if not isinstance(self.particles, int) or self.particles < 1:
            raise ValueError(f"particles must be a positive integer, got {self.particles!r}")
        for name in ("inertia", "cognitive", "social"):
            if not getattr(self, name) >= 0:
                raise ValueError(f"{name} must be >= 0, got {getattr(self, name)!r}")
        if not 0 <= self.craziness <= 1:
            raise ValueError(f"craziness must be a probability in [0, 1], got {self.craziness!r}")
        if not 0 < self.max_velocity <= 1:
            raise ValueError(f"max_velocity must be in (0, 1], got {self.max_velocity!r}")
        Polish.check(self.polish)
        self.cube = Cube(self.space)
        self.polisher = Polish.make(self.cube, self.polish, 4 * self.particles)
        shape = (self.particles, self.cube.n_dims)
        # where each particle is: not a function of the trials alone, so it goes into state_dict
        self.positions, self.velocities = np.zeros(shape), np.zeros(shape)
        self.best_positions, self.best_losses = np.zeros(shape), np.full(self.particles, np.inf)
        self._born = np.zeros(self.particles, dtype=bool)
        self._turn = 0
        self._flying: dict[str, tuple[int, np.ndarray]] = {}  # key of a pending point -> (particle, position)

    def _observe(self, trial: Trial) -> None:
        if self.polisher is not None:
            self.polisher.observe(self, trial)
        i, x = self._flying.pop(self.space.key(trial.params), (None, None))
        if i is None or not usable(trial):
            return
        if self.loss(trial) < self.best_losses[i]:
            self.best_losses[i], self.best_positions[i] = self.loss(trial), x

    def _suggest(self, n: int) -> list[Suggestion]:
        best = ranked(self)[:1]
        swarm_best = self.cube.encode(best[0].params) if best else None
        taken: set[str] = set()
        out = []
        for k in range(n):
            if self.polisher is not None and self.polisher.due(self, k):
                out.append(Suggestion(self.polisher.propose(self, self.rng, taken)))
                continue
            i, self._turn = self._turn, (self._turn + 1) % self.particles
            x = self._fly(i, swarm_best)
            x, params = self.cube.propose(self, x, self.rng, taken)
            self.positions[i] = x
            self._flying[self.space.key(params)] = (i, x)
            out.append(Suggestion(params))
        return out

    def _fly(self, i: int, swarm_best: np.ndarray | None) -> np.ndarray:
        """Particle ``i``'s next position (its first one is random)."""
        vmax = self.max_velocity
        if not self._born[i]:
            self._born[i] = True
            self.velocities[i] = self.rng.uniform(-vmax, vmax, self.cube.n_dims) / 2
            return self.cube.random(self.rng)
        x = self.positions[i]
        own = self.best_positions[i] if np.isfinite(self.best_losses[i]) else x
        social = swarm_best if swarm_best is not None else own
        r1, r2 = self.rng.random(x.shape), self.rng.random(x.shape)
        v = self.inertia * self.velocities[i] + self.cognitive * r1 * (own - x) + self.social * r2 * (social - x)
        v = np.clip(v, -vmax, vmax)
        x = x + v
        walls = (x < 0) | (x > 1)
        v[walls] = 0.0
        self.velocities[i] = v
        x = np.clip(x, 0.0, 1.0)
        if len(self.cube.numeric) and self.rng.random() < self.craziness:  # keeps a converged swarm from freezing
            x[self.cube.numeric[int(self.rng.integers(len(self.cube.numeric)))]] = self.rng.random()
        return x

    def state_dict(self) -> dict[str, Any]:
        state = super().state_dict()
        state["swarm"] = {
            "positions": self.positions.tolist(), "velocities": self.velocities.tolist(),
            "best_positions": self.best_positions.tolist(),
            "best_losses": [None if not np.isfinite(v) else float(v) for v in self.best_losses],
            "born": self._born.tolist(), "turn": self._turn,
            "flying": {k: [i, x.tolist()] for k, (i, x) in self._flying.items()},
        }
        return state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        super().load_state_dict(state)
        swarm = state["swarm"]
        self.positions, self.velocities = np.array(swarm["positions"]), np.array(swarm["velocities"])
        self.best_positions = np.array(swarm["best_positions"])
        self.best_losses = np.array([np.inf if v is None else v for v in swarm["best_losses"]])
        self._born, self._turn = np.array(swarm["born"], dtype=bool), swarm["turn"]
        self._flying = {k: (i, np.array(x)) for k, (i, x) in swarm["flying"].items()}
