"""Bayesian optimisation: a Gaussian process on the encoded unit cube, maximising log expected improvement.

The searcher starts with a space-filling Sobol design, then models every result
so far with a GP (Matérn 5/2, one length scale per dimension, see ``_gp.py``)
and suggests the point with the highest expected improvement (``_acquisition.py``).
Every second suggestion after the design is a local step: expected improvement
maximised inside a trust region around the best result, a box that grows after
new bests and shrinks after misses (TuRBO's rule, Eriksson et al. 2019). Global EI
alone explores the edges of the cube and converges slowly on the last digits;
the local steps refine the incumbent the way a local optimiser would, while the
other half of the suggestions keeps searching the whole space.
Choices are one-hot blocks, integers and steps are rounded before the GP sees
them, and inactive conditional parameters sit where ``Space.encode`` puts them.
Batches (``ask(n)``) and pending trials are filled greedily, one point at a time, each
given the points before it (a kriging believer, as in BoTorch's sequential greedy
batches): the GP believes its own prediction at the points already handed out, a
believed new best becomes the incumbent of the next point, a local step conditions
its neighbourhood model only on pending points near its trust region, and no point
is handed out twice. A batch then spreads around the best region without leaving it,
and its first point is exactly the sequential suggestion. The previous rule gave pending points
one posterior draw each and left the incumbent in place, so later points of a batch
could come back to an earlier one, and a repeat was replaced by a random point
(``pending_as="fantasy"``, the value stored studies resume with). ``pending_as="thompson"`` (opt-in)
makes three of every four points local steps while points are pending, those with pending points near
drawn by Thompson sampling in the trust region (TuRBO's batch rule); on the pilots it recovered Beale's
late precision but lost on others (Colville-4 at 200 evaluations), and on the VAULT report it was behind the
believer (66 of 147 paired runs better; ``benchmarks/results/batch_vault.md``), so it is not the default. Failed trials are
given the worst value seen so far, so the GP steers away from where things crash.
Before fitting, losses are standardised and their bad tail compressed (a capped
Yeo-Johnson transform), so a few diverged runs do not hide the small differences
between good ones.

>>> import keras_hpo as kh
>>> from keras_hpo.testing.objectives import BRANIN
>>> result = kh.tune(BRANIN, BRANIN.space, method=kh.searchers.get("bayes", n_initial=5),
...                  max_trials=25, seed=0, progress=False)
>>> BRANIN.regret(result.best_value) < 0.1
True
>>> sorted(result.length_scales())
['x1', 'x2']
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy.stats import qmc, yeojohnson, yeojohnson_normmax

from ..space import Choice, Float
from ..trial import Suggestion, Trial, TrialState
from ._acquisition import log_ei, log_ei_with_grad, log_mean_ei, log_mean_ei_with_grad, maximise
from ._gp import GaussianProcess, fit_gp
from .base import Searcher

__all__ = ["BayesSearch"]

#: up to this many observations the hyperparameters are refitted (multi-start) before every suggestion
_ALWAYS_REFIT = 50
#: beyond this many observations the GP sees a subset: the best half of it, and the rest spread over the run
_MAX_POINTS = 300
#: the hyperparameters are fitted on at most this many of them (chosen the same way); the GP then uses all
_FIT_POINTS = 200
#: past ``_ALWAYS_REFIT``, a warm-started refit takes at most this many L-BFGS-B iterations
_WARM_ITERATIONS = 30

#: the trust region of the local steps: first side, largest side, and the side below which it starts again
_TR_START, _TR_MAX, _TR_MIN = 0.2, 0.8, 2.0**-10

#: what a pending trial counts as (see ``BayesSearch._pending_acquisition``)
_PENDING = ("believer", "thompson", "fantasy", "qei", "liar")
#: the values that believe the GP's prediction at pending points (greedy, no repeats in a batch)
_BELIEVERS = ("believer", "thompson")
#: with ``pending_as="thompson"``, candidates of a Thompson draw in the trust region (its cost is cubic in this)
_TS_CANDIDATES = 512


def _warp(y: np.ndarray) -> np.ndarray:
    """Standardise, then a Yeo-Johnson power transform that may only compress the bad (high) tail.

    Losses of a network are skewed: a few diverged runs sit far above the rest. Making
    the distribution closer to normal lets the GP resolve small differences among the
    good points; the power is capped at 1 so the good tail is never squeezed.
    """
    std = float(np.std(y))
    if len(y) < 3 or std <= 1e-12 * max(1.0, abs(float(np.mean(y)))):
        return y
    z = (y - np.mean(y)) / std
    try:
        with np.errstate(all="ignore"):
            lam = float(np.clip(yeojohnson_normmax(z), -0.5, 1.0))
        w = yeojohnson(z, lam)
    except (ValueError, FloatingPointError, RuntimeError):
        return y
    return w if np.all(np.isfinite(w)) else y


def _subset(y: np.ndarray, size: int) -> np.ndarray:
    """Indices of ``size`` observations: the best half of ``size``, then the others evenly spaced in run order.

    The GP keeps every good result (where the next suggestions matter) and a thinned
    cover of the rest, so a long run costs the same per suggestion as one of ``size``.
    """
    order = np.argsort(y, kind="stable")
    best = order[: size // 2]
    rest = np.sort(order[size // 2:])
    spread = rest[np.linspace(0, len(rest) - 1, size - len(best)).round().astype(int)]
    return np.sort(np.concatenate([best, spread]))


class BayesSearch(Searcher):
    """Gaussian-process Bayesian optimisation with log expected improvement.

    Options (all keyword-only):

    - ``n_initial``: points of the initial Sobol design; default ``min(20, max(5, dims + 1))``
      where ``dims`` is the length of the encoded vector.
    - ``n_candidates``: Sobol points over the cube scored per suggestion (rounded down to a power
      of two), plus half as many perturbations of the best results, before gradient refinement.
    - ``n_refine``: how many of the best candidates L-BFGS-B refines.
    - ``refit_every``: past 50 observations, refit the GP hyperparameters only every this many
      suggestions (in between the last ones are reused), which keeps suggestion time low.
    - ``n_restarts``: starts of the marginal-likelihood optimisation.
    - ``pending_as``: what a pending trial (a batch, busy workers) counts as: ``"believer"`` (default),
      the GP's prediction at its point, with the incumbent updated and no repeats in a batch;
      ``"fantasy"``, a draw from the GP posterior at its point (the previous default);
      ``"qei"``, EI averaged over ``n_fantasies`` draws (greedy Monte-Carlo q-EI); ``"liar"``,
      the mean result (the last three kept for comparison and for stored studies); ``"thompson"``, the
      believer with three of four suggestions local steps while points are pending, drawn by Thompson
      sampling in the trust region when pending points are near it (opt-in, see the module docstring).
    - ``n_fantasies``: draws averaged by ``pending_as="qei"``.
    - ``local_every``: every this many suggestions after the design, one is a local step (EI in a trust
      region around the best result); default 2; 0 turns local steps off (EI over the whole cube only).

    >>> import keras_hpo as kh
    >>> s = kh.searchers.get("bayes", n_initial=4)
    >>> s.setup({"lr": kh.Float(1e-4, 1e-1, log=True), "act": ["relu", "tanh"]}, seed=0)
    >>> len(s.ask(3))
    3
    """

    #: studies stored before the local steps existed resume without them (``Searcher.options_added``)
    options_added = {"local_every": 0}

    def __init__(
        self,
        *,
        n_initial: int | None = None,
        n_candidates: int = 2048,
        n_refine: int = 5,
        refit_every: int = 5,
        n_restarts: int = 3,
        pending_as: str = "believer",
        n_fantasies: int = 16,
        local_every: int = 2,
    ) -> None:
        self.n_initial = n_initial
        self.n_candidates = n_candidates
        self.n_refine = n_refine
        self.refit_every = refit_every
        self.n_restarts = n_restarts
        self.pending_as = pending_as
        self.n_fantasies = n_fantasies
        self.local_every = local_every

    def _validate(self) -> None:
        for name in ("n_candidates", "refit_every", "n_restarts", "n_fantasies"):
            value = getattr(self, name)
            if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        for name in ("n_initial", "n_refine", "local_every"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 0):
                raise ValueError(f"{name} must be a non-negative integer, got {value!r}")
        if self.pending_as not in _PENDING:
            raise ValueError(f"pending_as must be one of {', '.join(map(repr, _PENDING))}, got {self.pending_as!r}")
        d = self.space.n_dims
        self._n_initial = self.n_initial if self.n_initial is not None else min(20, max(5, d + 1))
        # plain continuous spaces need no rounding, so candidates skip the decode/encode round trip
        self._plain = not self.space.conditional and all(
            isinstance(dist, Float) and dist.step is None for dist in self.space.values()
        )
        self._design_seed = int(self.rng.integers(2**31))
        self._theta: np.ndarray | None = None
        self._gp: GaussianProcess | None = None
        self._X: list[np.ndarray] = []
        self._trials: list[Trial] = []

    # Bookkeeping ----------------------------------------------------------
    @property
    def design_size(self) -> int:
        """Trials of the space-filling (Sobol) design that come before the first model-based suggestion."""
        return self._n_initial

    def _observe(self, trial: Trial) -> None:
        if trial.state in (TrialState.COMPLETE, TrialState.FAILED):
            self._X.append(self.space.encode(trial.params))
            self._trials.append(trial)

    def _data(self) -> tuple[np.ndarray, np.ndarray] | None:
        """Encoded inputs and losses; failed or non-finite results get the worst finite loss (None if < 2 finite)."""
        losses = [
            self.loss(t) if t.state is TrialState.COMPLETE and t.value is not None else math.nan for t in self._trials
        ]
        y = np.array(losses, dtype=float)
        finite = np.isfinite(y)
        if finite.sum() < 2:
            return None
        y[~finite] = np.max(y[finite])
        X = np.array(self._X)
        if len(y) > _MAX_POINTS:  # bounded cost: Cholesky and prediction stay O(_MAX_POINTS^2) per suggestion
            keep = _subset(y, _MAX_POINTS)
            X, y = X[keep], y[keep]
        return X, y

    def state_dict(self) -> dict[str, Any]:
        state = super().state_dict()
        state["design_seed"] = self._design_seed
        state["theta"] = None if self._theta is None else [float(v) for v in self._theta]
        return state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        super().load_state_dict(state)
        self._design_seed = int(state["design_seed"])
        self._theta = None if state["theta"] is None else np.array(state["theta"], dtype=float)
        self._gp = None

    # Suggestions ----------------------------------------------------------
    def _suggest(self, n: int) -> list[Suggestion]:
        if self.space.n_dims == 0:
            return [Suggestion(self.space.sample(self.rng))]
        start = len(self.history) + len(self._pending)
        out = [Suggestion(self._design_point(i)) for i in range(start, min(start + n, self._n_initial))]
        data = self._data() if len(out) < n else None
        if len(out) < n and data is None:  # not enough results yet for a model
            out += [Suggestion(self.space.sample(self.rng)) for _ in range(n - len(out))]
        if len(out) < n:
            out += [Suggestion(p) for p in self._bayes_points(n - len(out), *data, [s.params for s in out])]
        return out

    def _design_point(self, i: int) -> dict:
        d = self.space.n_dims
        sobol = qmc.Sobol(d, scramble=True, seed=self._design_seed)
        points = sobol.random_base2(max(1, math.ceil(math.log2(self._n_initial))))
        return self.space.decode(points[i])

    def _fit(self, X: np.ndarray, y: np.ndarray) -> GaussianProcess:
        y = _warp(y)
        n = len(self._trials)  # all results told, even when the GP sees a subset of them
        if self._theta is not None and n > _ALWAYS_REFIT and n % self.refit_every:
            gp = GaussianProcess(X, y, self._theta)  # cost control: reuse the last hyperparameters
        else:
            if self._theta is None and len(y) > 2 * _ALWAYS_REFIT:  # cold start on many points (e.g. resumed):
                few = _subset(y, 2 * _ALWAYS_REFIT)  # multi-start on a subset only; the next refits warm-start from it
                self._theta = fit_gp(X[few], y[few], self.rng, n_starts=self.n_restarts, maxiter=60).theta
                gp = GaussianProcess(X, y, self._theta)
                self._gp = gp
                return gp
            warm = n > _ALWAYS_REFIT and self._theta is not None  # one short run from the last fit
            fit = _subset(y, _FIT_POINTS) if len(y) > _FIT_POINTS else slice(None)  # the likelihood is O(n^3)
            theta = fit_gp(X[fit], y[fit], self.rng, start=self._theta, n_starts=1 if warm else self.n_restarts,
                           maxiter=_WARM_ITERATIONS if warm else 200).theta
            gp = GaussianProcess(X, y, theta)
        self._theta, self._gp = gp.theta, gp
        return gp

    def _bayes_points(self, n: int, X: np.ndarray, y: np.ndarray, batch: list[dict]) -> list[dict]:
        raw = y
        gp = self._fit(X, y)
        y = gp.y
        best = float(np.min(gp.predict(X)[0]))  # the incumbent as the GP sees it (robust to noise)
        pending = [self.space.encode(p) for p in self.pending + batch]
        chosen: list[dict] = []
        greedy = self.pending_as in _BELIEVERS
        first = len(self.history) + len(self._pending) + len(batch)  # the index of this suggestion in the run
        for k in range(n):
            model, incumbent, region = gp, best, None
            if self._is_local(first + k) or (pending and self._batch_is_local(first + k)):
                region = self._trust_region(gp, X, y)
                model = self._local_model(gp, X, raw)
                incumbent = float(np.min(model.predict(model.X)[0]))
            near = pending
            if greedy and region is not None:  # the local model knows nothing of far-off points: leave them out
                near = [u for u in pending if self._near(u, region)]
            if near:
                acquisition, with_grad = self._pending_acquisition(model, np.array(near), incumbent)
            else:  # nothing outstanding: exactly the sequential suggestion
                acquisition = lambda U, m=model, b=incumbent: log_ei(*m.predict(U), b)  # noqa: E731
                with_grad = lambda U, m=model, b=incumbent: log_ei_with_grad(m.predict_with_grad, U, b)  # noqa: E731
            avoid = {self.space.key(p) for p in batch + chosen} if greedy else set()
            if near and region is not None and self.pending_as == "thompson":
                params = self._thompson_point(model, np.array(near), X, y, region, avoid)
                chosen.append(params)
                pending.append(self.space.encode(params))
                continue
            params = self._maximise(acquisition, with_grad, X, y, region, avoid)
            chosen.append(params)
            pending.append(self.space.encode(params))
        return chosen

    def _pending_acquisition(self, gp: GaussianProcess, P: np.ndarray, best: float) -> tuple:
        """The acquisition (and its gradient) given results still to come at the points ``P``.

        ``believer`` (default): the GP conditioned on its own posterior mean at ``P`` (kriging
        believer) as noise-free values, so no uncertainty is left there to draw the next point
        back, and the incumbent lowered to the best believed result, so the next point improves
        on what the batch is expected to reach rather than returning to it;
        ``fantasy``: one joint draw of the pending results from the posterior, incumbent unchanged;
        ``qei``: expected improvement averaged over ``n_fantasies`` such draws, each with its own
        incumbent (greedy Monte-Carlo q-EI, Snoek et al. 2012); ``liar``: every pending result is
        the mean of the results. On the pilot instances (seeds 105-109) ``believer`` was slightly
        ahead of a draw with the same incumbent update (mean log10 regret ratio -0.05 to -0.11 at
        30-200 evaluations; ``benchmarks/results/batch_pilot.md``).
        """
        if self.pending_as == "qei":
            draws = gp.sample(P, self.n_fantasies, self.rng)
            model = gp.condition_on_draws(P, draws)
            bests = np.minimum(best, draws.min(axis=1))
            return (lambda U: log_mean_ei(*model.predict(U), bests),
                    lambda U: log_mean_ei_with_grad(model.predict_with_grad, U, bests))
        if self.pending_as in _BELIEVERS:
            values = gp.predict(P)[0]
            best = min(best, float(np.min(values)))  # a believed new best is the incumbent of the next point
        elif self.pending_as == "fantasy":
            values = gp.sample(P, 1, self.rng)[0]
        else:
            values = np.full(len(P), float(np.mean(gp.y)))
        model = gp.condition_on(P, values, noisy=self.pending_as not in _BELIEVERS)
        return (lambda U: log_ei(*model.predict(U), best),
                lambda U: log_ei_with_grad(model.predict_with_grad, U, best))

    def _maximise(self, acquisition, with_grad, X: np.ndarray, y: np.ndarray, region=None,
                  avoid: set[str] = frozenset()) -> dict:
        """The best valid point by the acquisition, skipping points suggested before and the keys in ``avoid``."""
        candidates = self._candidates(X, y) if region is None else self._region_candidates(X, y, *region)
        points, _ = maximise(acquisition, with_grad, candidates, self._free, self._project,
                             n_refine=self.n_refine, bounds=region)
        for point in points:  # best first
            params = self.space.decode(point)
            if not self._is_seen(params) and self.space.key(params) not in avoid:
                return params
        return self.space.decode(points[0])  # everything seen: Searcher.ask swaps in a fresh point

    def _batch_is_local(self, index: int) -> bool:
        """With points pending, whether suggestion ``index`` is a local step in place of a global one.

        ``pending_as="thompson"``: three of every four suggestions after the design are local steps (the
        sequential rule has one of two). A batch gets one round of feedback for four points; spending most of
        them around the incumbent recovers the precision that the fewer rounds lose, while every fourth still
        searches the whole cube.
        """
        after = index - self._n_initial
        return self.pending_as == "thompson" and bool(self.local_every) and after >= 0 and after % 4 != 0

    def _thompson_point(self, model: GaussianProcess, P: np.ndarray, X: np.ndarray, y: np.ndarray,
                        region: tuple[np.ndarray, np.ndarray], avoid: set[str]) -> dict:
        """A local step while points near the trust region are pending: the minimum of a posterior draw.

        The local model believes its own predictions at the pending points ``P`` (no variance left there), and
        one joint draw over candidates in the trust region, at least 10% of its side away from the pending points,
        picks the point (TuRBO's batch rule, Eriksson et al. 2019). The draws of one batch land in different places around the predicted minimum, as far out as the
        model is unsure, so the next round's model of the neighbourhood is better than after points that all
        chase the same expected improvement.
        """
        believed = model.condition_on(P, model.predict(P)[0], noisy=False)
        candidates = self._region_candidates(X, y, *region)
        if len(candidates) > _TS_CANDIDATES:
            candidates = candidates[self.rng.choice(len(candidates), _TS_CANDIDATES, replace=False)]
        gap = 0.1 * float(np.mean(region[1] - region[0]))  # a draw may dip right next to a pending point
        apart = np.min(np.linalg.norm(candidates[:, None, :] - P[None, :, :], axis=2), axis=1) > gap
        candidates = candidates[apart] if apart.any() else candidates
        draw = believed.sample(candidates, 1, self.rng)[0]
        for i in np.argsort(draw, kind="stable"):
            params = self.space.decode(candidates[i])
            if not self._is_seen(params) and self.space.key(params) not in avoid:
                return params
        return self.space.decode(candidates[int(np.argmin(draw))])  # everything seen: Searcher.ask swaps in a fresh point

    # Local steps: expected improvement inside a trust region around the best point -------------------------
    def _is_local(self, index: int) -> bool:
        """Whether suggestion number ``index`` of the run is a local step (every ``local_every``-th after the design)."""
        after = index - self._n_initial
        return bool(self.local_every) and after >= 0 and after % self.local_every == self.local_every - 1

    @staticmethod
    def _near(u: np.ndarray, region: tuple[np.ndarray, np.ndarray]) -> bool:
        """Whether the encoded point ``u`` lies in the box ``region`` widened by half its side at each end."""
        lower, upper = region
        margin = 0.5 * (upper - lower)
        return bool(np.all(u >= lower - margin) and np.all(u <= upper + margin))

    def _region_length(self) -> float:
        """The trust region's side in the unit cube, replayed from the results told so far (TuRBO's rule).

        It starts at ``_TR_START``; three new bests in a row double it (up to ``_TR_MAX``), ``max(4, d)`` results
        without one halve it, and below ``_TR_MIN`` it starts again. Only results after the initial design count.
        """
        d = self.space.n_dims
        length, best, wins, losses = _TR_START, math.inf, 0, 0
        for i, trial in enumerate(self._trials):
            loss = self.loss(trial) if trial.state is TrialState.COMPLETE and trial.value is not None else math.nan
            improved = math.isfinite(loss) and loss < best - 1e-3 * abs(best) if math.isfinite(best) else math.isfinite(loss)
            if math.isfinite(loss):
                best = min(best, loss)
            if i < self._n_initial:
                continue
            wins, losses = (wins + 1, 0) if improved else (0, losses + 1)
            if wins >= 3:
                length, wins = min(2 * length, _TR_MAX), 0
            elif losses >= max(4, d):
                length, losses = length / 2, 0
                if length < _TR_MIN:
                    length = _TR_START
        return length

    def _trust_region(self, gp: GaussianProcess, X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """A box around the best result, wider along dimensions with long length scales (TuRBO, Eriksson et al. 2019)."""
        centre = X[int(np.argmin(y))]
        ls = gp.length_scales
        weights = ls / math.exp(float(np.mean(np.log(ls))))
        half = 0.5 * self._region_length() * np.clip(weights, 0.25, 4.0)
        return np.clip(centre - half, 0.0, 1.0), np.clip(centre + half, 0.0, 1.0)

    def _local_model(self, gp: GaussianProcess, X: np.ndarray, losses: np.ndarray) -> GaussianProcess:
        """A GP of the results nearest the best one (in length-scale units), standardised on them alone.

        The global GP's noise floor is relative to the spread of all results, so near the optimum it cannot
        tell apart differences far smaller than that spread; a model of the neighbourhood can (TuRBO fits its
        GP in the trust region for the same reason). Its hyperparameters start from the global ones.
        """
        k = min(len(X), max(10, 3 * self.space.n_dims + 3))
        centre = X[int(np.argmin(losses))]
        distance = np.sum(((X - centre) / gp.length_scales) ** 2, axis=1)
        near = np.argsort(distance, kind="stable")[:k]
        theta = fit_gp(X[near], losses[near], self.rng, start=gp.theta, n_starts=1, maxiter=_WARM_ITERATIONS).theta
        return GaussianProcess(X[near], losses[near], theta)

    def _region_candidates(self, X: np.ndarray, y: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
        """Sobol points in the trust region and perturbations of the best result inside it."""
        d = self.space.n_dims
        m = 2 ** max(4, int(math.log2(self.n_candidates)) - 1)
        sobol = qmc.Sobol(d, scramble=True, seed=int(self.rng.integers(2**31))).random_base2(int(math.log2(m)))
        inside = lower + sobol * (upper - lower)
        centre = X[int(np.argmin(y))]
        moved = self.rng.uniform(size=(m, d)) < min(1.0, 4.0 / d)
        scale = np.exp(self.rng.uniform(math.log(0.01), math.log(0.5), size=(m, 1))) * (upper - lower)
        local = np.clip(centre + moved * self.rng.normal(0.0, 1.0, size=(m, d)) * scale, lower, upper)
        return self._project(np.vstack([inside, local]))

    # The unit cube ----------------------------------------------------------
    def _candidates(self, X: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Sobol points over the whole cube, perturbations of the best results, and their choice neighbours."""
        d = self.space.n_dims
        m = 2 ** max(4, int(math.log2(self.n_candidates)))
        sobol = qmc.Sobol(d, scramble=True, seed=int(self.rng.integers(2**31))).random_base2(int(math.log2(m)))
        top = X[np.argsort(y, kind="stable")[:5]]
        centres = top[np.arange(m // 2) % len(top)]
        scale = np.exp(self.rng.uniform(math.log(0.002), math.log(0.2), size=(m // 2, 1)))
        moved = self.rng.uniform(size=(m // 2, d)) < min(1.0, 4.0 / d)
        local = np.clip(centres + moved * self.rng.normal(0.0, 1.0, size=(m // 2, d)) * scale, 0.0, 1.0)
        return self._project(np.vstack([sobol, local, self._choice_neighbours(top[0])]))

    def _choice_neighbours(self, x: np.ndarray) -> np.ndarray:
        """``x`` with one choice switched to each of its other values."""
        out = []
        for block in self.space.choice_blocks:
            for j in range(block.start, block.stop):
                if x[j] != 1.0:
                    neighbour = x.copy()
                    neighbour[block] = 0.0
                    neighbour[j] = 1.0
                    out.append(neighbour)
        return np.array(out).reshape(-1, self.space.n_dims)

    def _project(self, U: np.ndarray) -> np.ndarray:
        """The encoded valid point nearest to each row: rounded integers and steps, one-hot choices, imputation."""
        U = np.clip(U, 0.0, 1.0)
        if self._plain:
            return U
        return np.array([self.space.encode(self.space.decode(u)) for u in U]).reshape(U.shape)

    def _free(self, U: np.ndarray) -> np.ndarray:
        """Which dimensions of each row may move continuously: active parameters that are not choices."""
        if self._plain:
            return np.ones(U.shape, dtype=bool)
        free = np.zeros(U.shape, dtype=bool)
        for i, u in enumerate(U):
            params = self.space.decode(u)
            for name in params:
                if not isinstance(self.space[name], Choice):
                    free[i, self.space.slice_of(name)] = True
        return free

    # Introspection ----------------------------------------------------------
    def length_scales(self) -> dict[str, float]:
        """Learned length scale per parameter (mean over a choice's one-hot block); short = the parameter matters."""
        if self._gp is None:  # e.g. just resumed: fit without touching the searcher's RNG or state
            data = self._data()
            if data is None:
                raise ValueError("length scales need at least two completed trials")
            X, y = data
            self._gp = fit_gp(X, _warp(y), np.random.default_rng(0), start=self._theta, n_starts=self.n_restarts)
        scales = self._gp.length_scales
        out = {}
        for name in self.space:
            where = self.space.slice_of(name)
            if where.stop > where.start:
                out[name] = float(np.mean(scales[where]))
        return out
