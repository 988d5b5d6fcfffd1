"""Hyperopt's own algorithms (``tpe.suggest``, ``anneal.suggest``, ``rand.suggest``) driven ask/tell.

The space becomes ``hp.*`` expressions once, at setup: ``Float`` is ``hp.uniform`` /
``hp.loguniform``, a ``step`` or an ``Int`` is ``hp.quniform`` / ``hp.qloguniform``,
a ``Choice`` is ``hp.choice``, and conditional parameters hang under a nested
``hp.choice`` over their parent's values (the shape Hyperopt users write by
hand). A ``hyperopt.Trials`` lives inside the searcher: every suggestion enters
it as a pending job, so ``ask(n)`` lets Hyperopt see the jobs still running
(TPE counts them with an infinite loss, as it does under ``fmin``), and every
told trial fills its job in. Suggestions are read back from Hyperopt's own
records and returned as values, never as choice indices.

With the same seed, a space without conditions and a deterministic objective,
``tune(..., method="tpe", seed=s)`` proposes exactly the points of
``hyperopt.fmin(..., algo=tpe.suggest, rstate=np.random.default_rng(s))``.

>>> import keras_hpo as kh
>>> result = kh.tune(lambda p: (p["x"] - 0.3) ** 2 + (p["act"] != "relu"),
...                  {"x": kh.Float(0, 1), "act": ["relu", "tanh"]},
...                  method=kh.searchers.get("tpe", n_startup_jobs=5), max_trials=25, seed=0, progress=False)
>>> result.best_params["act"], result.best_value < 0.01
('relu', True)
"""

from __future__ import annotations

import importlib
import math
import numbers
from typing import Any

from hyperopt import Trials, hp
from hyperopt.base import JOB_STATE_DONE, STATUS_FAIL, STATUS_OK, Domain

from ..space import Choice, Fixed, Float, Int, Space, _same
from ..trial import Suggestion, Trial, TrialState
from .base import Searcher

__all__ = ["TPE", "HyperoptAnneal", "HyperoptRandom", "HyperoptSearcher", "to_hyperopt"]

#: extra calls to the algorithm when it proposes a point already tried, before a fresh random point is used
_RETRIES = 2


class _Codec:
    """How one parameter's value maps to the raw number Hyperopt records for its label, and back."""

    def __init__(self, dist: Any, kind: str) -> None:
        self.dist, self.kind = dist, kind

    def to_raw(self, value: Any) -> Any:
        d = self.dist
        if self.kind == "index":
            return next(i for i, candidate in enumerate(d.values()) if _same(candidate, value))
        if self.kind == "shifted":  # hp.quniform over (value - low), so any low works
            return float(round((value - d.low) / d.step)) * d.step
        return float(value)

    def from_raw(self, raw: Any) -> Any:
        d = self.dist
        if self.kind == "index":
            return d.values()[int(raw)]
        if self.kind == "shifted":
            level = min(max(int(round(raw / d.step)), 0), d._levels - 1)
            return d.low + level * d.step if isinstance(d, Int) else d._level(level)
        value = min(max(float(raw), d.low), d.high)
        return int(round(value)) if isinstance(d, Int) else value


def _leaf(name: str, dist: Any) -> tuple[Any, _Codec]:
    """The ``hp`` expression for one unconditional-looking parameter."""
    if isinstance(dist, Choice):
        return hp.choice(name, list(dist.values_)), _Codec(dist, "index")
    if isinstance(dist, Float) and dist.step is None:
        if dist.log:
            return hp.loguniform(name, math.log(dist.low), math.log(dist.high)), _Codec(dist, "value")
        return hp.uniform(name, dist.low, dist.high), _Codec(dist, "value")
    if isinstance(dist, Int) and dist.log:
        return hp.qloguniform(name, *dist._log_bounds(), 1), _Codec(dist, "value")
    # a grid of evenly spaced levels (Float with step, Int): uniform over the levels, each level as wide as a step
    half = dist.step / 2
    return hp.quniform(name, -half, (dist.high - dist.low) + half, dist.step), _Codec(dist, "shifted")


def to_hyperopt(space: Space | dict) -> tuple[dict, dict[str, _Codec]]:
    """``space`` as a Hyperopt search space (a dict of ``hp`` expressions) and the per-label codecs.

    Conditional parameters sit under an ``hp.choice`` labelled with their parent's
    name, one branch per parent value; a parameter active under several branches
    is the same ``hp`` node in each (Hyperopt pools its observations).
    """
    space = Space.from_any(space)
    parents = {p for name in space for p in space[name].condition}
    for name in sorted(parents):
        if not space[name].finite:
            raise ValueError(
                f"parameter {name!r}: Hyperopt branches conditional parameters on a list of values, "
                f"but {name!r} is continuous; give it a step or a list of values"
            )
    leaves: dict[str, Any] = {}
    codecs: dict[str, _Codec] = {}

    def leaf(name: str) -> Any:
        if name not in leaves:
            leaves[name], codecs[name] = _leaf(name, space[name])
        return leaves[name]

    def build(names: list[str], context: dict) -> dict:
        out: dict[str, Any] = {}
        for i, name in enumerate(names):
            dist = space[name]
            if not space.is_active(name, context):
                continue
            if name in parents and isinstance(dist, Fixed):
                context = {**context, name: dist.value}
            elif name in parents:
                branches = [build(names[i + 1:], {**context, name: value}) for value in dist.values()]
                codecs[name] = _Codec(dist, "index")
                out[f"{name}|branch"] = hp.choice(name, branches)
                return out
            elif not isinstance(dist, Fixed):
                out[name] = leaf(name)
        return out

    expr: dict[str, Any] = {}
    for component in _components(space):
        expr.update(build(component, {}))
    return expr, codecs


def _components(space: Space) -> list[list[str]]:
    """Groups of parameters linked by conditions (in space order), so independent branches do not multiply."""
    group = {name: name for name in space}

    def root(name: str) -> str:
        while group[name] != name:
            name = group[name]
        return name

    for name in space:
        for parent in space[name].condition:
            group[root(name)] = root(parent)
    out: dict[str, list[str]] = {}
    for name in space:
        out.setdefault(root(name), []).append(name)
    return list(out.values())


def _never_called(*args: Any) -> None:
    raise RuntimeError("the objective runs in keras_hpo's loop, not inside Hyperopt")


class HyperoptSearcher(Searcher):
    """Drives one of Hyperopt's ``suggest`` functions; subclasses name it and its options."""

    #: the Hyperopt module whose ``suggest`` is called (looked up at each call, so it can be spied on)
    algorithm = "hyperopt.rand"

    def _options(self) -> dict[str, Any]:
        return {}

    def _validate(self) -> None:
        self._algo_options = self._options()
        # a space made from a Hyperopt space (keras_hpo.hyperopt_space) is searched as the user wrote it
        self._expr, self._codecs = getattr(self.space, "hyperopt", None) or to_hyperopt(self.space)
        self._domain = Domain(_never_called, self._expr)
        self._trials = Trials()
        self._pending_tids: dict[str, int] = {}  # space key -> tid of the job waiting for its result
        self._docs: dict[int, dict] = {}  # tid -> the job as stored in the Trials
        self._next_tid = 0

    # Hyperopt's records <-> params --------------------------------------
    def _decode(self, vals: dict[str, list]) -> dict[str, Any]:
        params: dict[str, Any] = {}
        for name, dist in self.space.items():
            raw = vals.get(name) or []
            if name in self._codecs and raw:
                params[name] = self._codecs[name].from_raw(raw[0])
            elif isinstance(dist, Fixed) and self.space.is_active(name, params):
                params[name] = dist.value
        return params

    def _misc(self, tid: int, params: dict[str, Any]) -> dict[str, Any]:
        idxs, vals = {}, {}
        for label, codec in self._codecs.items():
            active = label in params
            idxs[label] = [tid] if active else []
            vals[label] = [codec.to_raw(params[label])] if active else []
        return {"tid": tid, "cmd": self._domain.cmd, "workdir": self._domain.workdir, "idxs": idxs, "vals": vals}

    def _insert(self, doc: dict) -> dict:
        self._trials.insert_trial_docs([doc])
        self._next_tid = max(self._next_tid, doc["tid"] + 1)
        self._docs[doc["tid"]] = self._trials._dynamic_trials[-1]  # the stored copy, which tell() fills in
        return self._docs[doc["tid"]]

    def _new_doc(self, tid: int, params: dict[str, Any]) -> dict:
        return self._trials.new_trial_docs([tid], [None], [self._domain.new_result()], [self._misc(tid, params)])[0]

    # ask / tell -----------------------------------------------------------
    def _suggest(self, n: int) -> list[Suggestion]:
        algo = importlib.import_module(self.algorithm).suggest
        out: list[Suggestion] = []
        batch: set[str] = set()
        for _ in range(n):
            tid = self._next_tid
            params = doc = None
            for _attempt in range(1 + _RETRIES):
                docs = algo([tid], self._domain, self._trials, int(self.rng.integers(2**31 - 1)), **self._algo_options)
                candidate = self._decode(docs[0]["misc"]["vals"])
                if not self._is_seen(candidate) and self.space.key(candidate) not in batch:
                    params, doc = candidate, docs[0]
                    break
            if params is None:  # Hyperopt keeps proposing tried points: a fresh random one, recorded as Hyperopt's job
                params = self._fresh_outside(batch)
                if params is None:
                    break
                doc = self._new_doc(tid, params)
            doc["misc"] = self._misc(tid, params)
            self._insert(doc)
            self._trials.refresh()
            key = self.space.key(params)
            self._pending_tids[key] = tid
            batch.add(key)
            out.append(Suggestion(params))
        return out

    def _fresh_outside(self, batch: set[str]) -> dict | None:
        for _ in range(16):
            params = self.fresh_point()
            if params is None or self.space.key(params) not in batch:
                return params
        return None

    def _observe(self, trial: Trial) -> None:
        key = self.space.key(trial.params)
        tid = self._pending_tids.pop(key, None)
        if tid is None:  # told without being asked here (a resumed run replaying its trials): a new job
            tid = trial.number if trial.number >= 0 and trial.number not in self._docs else self._next_tid
            stored = self._insert(self._new_doc(tid, trial.params))
        else:
            stored = self._docs[tid]
        stored["misc"] = self._misc(tid, trial.params)
        ok = trial.state in (TrialState.COMPLETE, TrialState.PRUNED) and trial.value is not None and math.isfinite(trial.value)
        stored["result"] = {"status": STATUS_OK, "loss": float(self.loss(trial))} if ok else {"status": STATUS_FAIL}
        stored["state"] = JOB_STATE_DONE
        self._trials.refresh()

    # resume -----------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        return {**super().state_dict(), "pending_tids": dict(self._pending_tids), "next_tid": self._next_tid}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        super().load_state_dict(state)
        for params in state["pending"]:
            key = self.space.key(params)
            tid = state["pending_tids"].get(key)
            if key in self._pending_tids or tid is None:
                continue
            if tid in self._docs:
                tid = self._next_tid
            self._insert(self._new_doc(tid, params))
            self._pending_tids[key] = tid
        self._next_tid = max(self._next_tid, state["next_tid"])
        self._trials.refresh()


def _check_int(name: str, value: Any, low: int) -> None:
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < low:
        raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")


def _check_positive(name: str, value: Any, high: float = math.inf) -> None:
    if not isinstance(value, numbers.Real) or isinstance(value, bool) or not 0 < value <= high:
        bound = "" if math.isinf(high) else f" and at most {high}"
        raise ValueError(f"{name} must be a number above 0{bound}, got {value!r}")


class TPE(HyperoptSearcher):
    """Hyperopt's Tree-structured Parzen Estimator (``hyperopt.tpe.suggest``), with its options passed through.

    ``n_startup_jobs`` random points come first, then each suggestion is the best
    of ``n_EI_candidates`` draws from the "good" density (the best ``gamma``
    fraction, scaled by sqrt(n) as Hyperopt does); ``prior_weight`` smooths both
    densities towards the prior.
    """

    algorithm = "hyperopt.tpe"

    def __init__(self, n_startup_jobs: int = 20, n_EI_candidates: int = 24, gamma: float = 0.25,
                 prior_weight: float = 1.0) -> None:
        self.n_startup_jobs = n_startup_jobs
        self.n_EI_candidates = n_EI_candidates
        self.gamma = gamma
        self.prior_weight = prior_weight

    def _options(self) -> dict[str, Any]:
        _check_int("n_startup_jobs", self.n_startup_jobs, 0)
        _check_int("n_EI_candidates", self.n_EI_candidates, 1)
        _check_positive("gamma", self.gamma, 1.0)
        _check_positive("prior_weight", self.prior_weight)
        return {"n_startup_jobs": int(self.n_startup_jobs), "n_EI_candidates": int(self.n_EI_candidates),
                "gamma": float(self.gamma), "prior_weight": float(self.prior_weight), "verbose": False}


class HyperoptAnneal(HyperoptSearcher):
    """Hyperopt's annealing (``hyperopt.anneal.suggest``): sample near one of the best points, ever closer."""

    algorithm = "hyperopt.anneal"

    def __init__(self, avg_best_idx: float = 2.0, shrink_coef: float = 0.1) -> None:
        self.avg_best_idx = avg_best_idx
        self.shrink_coef = shrink_coef

    def _options(self) -> dict[str, Any]:
        if not isinstance(self.avg_best_idx, numbers.Real) or isinstance(self.avg_best_idx, bool) or self.avg_best_idx < 1:
            raise ValueError(f"avg_best_idx must be a number >= 1, got {self.avg_best_idx!r}")
        _check_positive("shrink_coef", self.shrink_coef)
        return {"avg_best_idx": float(self.avg_best_idx), "shrink_coef": float(self.shrink_coef)}


class HyperoptRandom(HyperoptSearcher):
    """Hyperopt's random search (``hyperopt.rand.suggest``): draws from the ``hp`` priors."""

    algorithm = "hyperopt.rand"
