"""Helpers shared by the benchmark scripts: our searchers and the Optuna and nevergrad peers driven on a keras_hpo Space,
regret curves kept small, and the runs files read back."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from keras_hpo.space import Choice, Fixed, Float, Int, Space
from keras_hpo.testing.objectives import Problem


def optuna_params(trial: Any, space: Space) -> dict:
    """The point an Optuna trial suggests in ``space``, inactive conditional parameters left out."""
    params: dict = {}
    for name, dist in space.items():
        if not space.is_active(name, params):
            continue
        if isinstance(dist, Float):
            params[name] = trial.suggest_float(name, dist.low, dist.high, log=dist.log, step=dist.step)
        elif isinstance(dist, Int):
            params[name] = trial.suggest_int(name, dist.low, dist.high, log=dist.log, step=dist.step)
        elif isinstance(dist, Choice):
            params[name] = trial.suggest_categorical(name, list(dist.values_))
        elif isinstance(dist, Fixed):
            params[name] = dist.value
    return params


def improvements(values: list[float]) -> list[list]:
    """``[evaluation index, value]`` each time the best so far improves: all a regret curve needs, and small."""
    out, best = [], float("inf")
    for i, value in enumerate(values):
        if value < best:
            out.append([i, value])
            best = value
    return out


def run_optuna(kind: str, problem: Problem, seed: int, budget: int) -> list[float]:
    """Optuna's TPE, CMA-ES or GP sampler (``kind``: optuna_tpe, optuna_cmaes, optuna_gp) minimising ``problem``."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    sampler = {"optuna_tpe": lambda: optuna.samplers.TPESampler(seed=seed),
               "optuna_cmaes": lambda: optuna.samplers.CmaEsSampler(seed=seed, warn_independent_sampling=False),
               "optuna_gp": lambda: optuna.samplers.GPSampler(seed=seed)}[kind]()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        study = optuna.create_study(sampler=sampler, direction="minimize")
        values: list[float] = []

        def objective(trial):
            values.append(problem.fn(optuna_params(trial, problem.space)))
            return values[-1]

        study.optimize(objective, n_trials=budget)
    return values


def _ng_parametrization(space: Space):
    import nevergrad as ng

    parts = {}
    for name, dist in space.items():
        if isinstance(dist, Choice):
            parts[name] = ng.p.Choice(list(dist.values_), deterministic=True)
        elif isinstance(dist, (Float, Int)):
            p = ng.p.Log(lower=dist.low, upper=dist.high) if dist.log else ng.p.Scalar(lower=dist.low, upper=dist.high)
            parts[name] = p.set_integer_casting() if isinstance(dist, Int) else p
    return ng.p.Dict(**parts)


def _ng_params(space: Space, raw: dict) -> dict:
    params = {}
    for name, dist in space.items():
        if not space.is_active(name, params):
            continue
        value = raw.get(name, getattr(dist, "value", None))
        if isinstance(dist, (Float, Int)) and dist.step is not None and not dist.log:
            value = dist.low + round((value - dist.low) / dist.step) * dist.step
            value = min(max(value, dist.low), dist.high)
        params[name] = int(value) if isinstance(dist, Int) else value
    return params


def run_nevergrad(kind: str, problem: Problem, seed: int, budget: int) -> list[float]:
    """nevergrad's NGOpt or CMA (``kind``: ng_ngopt, ng_cma) minimising ``problem``, told the budget."""
    import nevergrad as ng
    from nevergrad.optimization import metamodel

    # nevergrad 1.0.12's metamodel calls float() on a 1-element array, which numpy 2.4 refuses (NGOpt then crashes
    # mid-run); a module-level float that takes such arrays fixes it without changing what NGOpt computes
    metamodel.float = lambda v: float(np.asarray(v).ravel()[0])
    parametrization = _ng_parametrization(problem.space)
    parametrization.random_state = np.random.RandomState(seed)
    optimizer = {"ng_ngopt": ng.optimizers.NGOpt, "ng_cma": ng.optimizers.CMA}[kind](
        parametrization=parametrization, budget=budget)
    values: list[float] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(budget):
            candidate = optimizer.ask()
            raw = {k: v.item() if isinstance(v, np.ndarray) else v for k, v in candidate.value.items()}
            values.append(problem.fn(_ng_params(problem.space, raw)))
            optimizer.tell(candidate, values[-1])
    return values


def run_skopt(problem: Problem, seed: int, budget: int,
              minimised: Callable[[dict], float] | None = None) -> list[float]:
    """scikit-optimize's ``gp_minimize`` (its defaults: GP with a Matérn kernel, ``gp_hedge``) minimising ``problem``
    (or ``minimised``, a transform of it such as log(1 + f)); returns the raw values in evaluation order."""
    from skopt import gp_minimize
    from skopt.space import Categorical, Integer, Real

    names, dims, decoders = [], [], []
    for name, dist in problem.space.items():
        names.append(name)
        if isinstance(dist, Float) and dist.step is not None:  # a stepped float is an integer grid index
            dims.append(Integer(0, dist._levels - 1))
            decoders.append(lambda i, d=dist: d._level(int(i)))
        elif isinstance(dist, Float):
            dims.append(Real(dist.low, dist.high, prior="log-uniform" if dist.log else "uniform"))
            decoders.append(float)
        elif isinstance(dist, Int):
            dims.append(Integer(dist.low, dist.high, prior="log-uniform" if dist.log else "uniform"))
            decoders.append(int)
        elif isinstance(dist, Choice):
            dims.append(Categorical(list(dist.values_)))
            decoders.append(lambda v: v)
    values: list[float] = []
    f = minimised or problem.fn

    def objective(x):
        params = {n: dec(v) for n, dec, v in zip(names, decoders, x)}
        values.append(problem.fn(params))
        return f(params)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gp_minimize(objective, dims, n_calls=budget, random_state=seed)
    return values


def run_ours(name: str, problem: Problem, seed: int, budget: int, batch: int = 1, ask_times: list | None = None,
             **options) -> list[float]:
    """The values of a run of our searcher ``name``: ask ``batch`` points, evaluate them, tell them, until ``budget``.

    A searcher with ``plan`` (``auto``) is told ``max_trials=budget``, as ``tune`` would; the seconds of each ``ask``
    are appended to ``ask_times`` when given.
    """
    import time

    from keras_hpo import searchers
    from keras_hpo.trial import Trial, TrialState

    searcher = searchers.get(name, **options)
    if hasattr(searcher, "plan"):
        searcher.plan(max_trials=budget)
    searcher.setup(problem.space, "min", seed)
    values: list[float] = []
    while len(values) < budget:
        start = time.perf_counter()
        suggestions = searcher.ask(min(batch, budget - len(values)))
        if ask_times is not None:
            ask_times.append(time.perf_counter() - start)
        told = []
        for s in suggestions:
            values.append(problem.fn(s.params))
            told.append(Trial(len(values) - 1, s.params, TrialState.COMPLETE, value=values[-1]))
        for t in told:
            searcher.tell(t)
    return values


def load_longest(path) -> list[dict]:
    """The records of a JSON-lines runs file, one per (method, problem, seed): the first of the longest runs."""
    import json
    from pathlib import Path

    path = Path(path)
    if not path.exists():
        return []
    records: dict[tuple, dict] = {}
    for line in path.read_text().splitlines():
        if line.strip():
            record = json.loads(line)
            key = (record["method"], record["problem"], record["seed"])
            if key not in records or record["n"] > records[key]["n"]:
                records[key] = record
    return list(records.values())
