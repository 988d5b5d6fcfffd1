"""The conformance suite that every searcher passes (in the spirit of scikit-learn's ``parametrize_with_checks``).

A new search method adds one line to ``CASES``: its name and a factory that makes
a fresh instance for a given space. ``tests/searchers/test_conformance.py`` runs
every check on every case. Users can run it on their own searcher::

    from keras_hpo.testing.conformance import run_all_checks
    run_all_checks(lambda space: MySearcher())

Checks run on a mixed, conditional space (``MIXED``; its gridded twin
``MIXED_FINITE`` for methods that need a finite space) and on the small finite
``FINITE`` for exact exhaustion.
"""

from __future__ import annotations

import json
import math
import random
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .. import searchers
from ..errors import SearchExhausted
from ..searchers.base import Searcher
from ..space import Choice, Float, Int, Space
from ..trial import Trial, TrialState

__all__ = ["Case", "CASES", "CHECKS", "run_check", "run_all_checks", "drive"]

Factory = Callable[[Space], Searcher]


def _manual(space: Space) -> Searcher:
    if space.finite:
        points = list(space.grid())
    else:
        rng = np.random.default_rng(123)
        points = [space.sample(rng) for _ in range(60)]
    return searchers.get("manual", trials=points)


@dataclass(frozen=True)
class Case:
    """How to make a searcher for a space; ``finite_only`` for methods that need a finite space (grid, Talos)."""

    make: Factory
    finite_only: bool = False


#: registry name -> Case. One line per search method.
CASES: dict[str, Case] = {
    "random": Case(lambda space: searchers.get("random")),
    "grid": Case(lambda space: searchers.get("grid"), finite_only=True),
    "manual": Case(_manual),
    # MIXED's fixed epochs (3) is the bandits' max_budget; iterations=50 keeps them going for every check
    "successive_halving": Case(lambda space: searchers.get("successive_halving", iterations=50)),
    "hyperband": Case(lambda space: searchers.get("hyperband", iterations=50)),
    "asha": Case(lambda space: searchers.get("asha", iterations=50)),
    "genetic": Case(lambda space: searchers.get("genetic")),
    "ant_colony": Case(lambda space: searchers.get("ant_colony")),
    "annealing": Case(lambda space: searchers.get("annealing")),
    "tabu": Case(lambda space: searchers.get("tabu")),
    "pso": Case(lambda space: searchers.get("pso")),
    "tpe": Case(lambda space: searchers.get("tpe")),
    "anneal": Case(lambda space: searchers.get("anneal")),
    "hyperopt_random": Case(lambda space: searchers.get("hyperopt_random")),
    "talos": Case(lambda space: searchers.get("talos", round_limit=200), finite_only=True),
    "bayes": Case(lambda space: searchers.get("bayes")),
}

# A mixed, conditional space every searcher must handle, and a small finite one.
MIXED = Space({
    "layers": Int(1, 3),
    "units_1": Int(8, 256, log=True, when={"layers": [2, 3]}),
    "units_2": Int(8, 256, log=True, when={"layers": [3]}),
    "activation": Choice(["relu", "tanh", "elu"]),
    "learning_rate": Float(1e-4, 1e-1, log=True),
    "dropout": Float(0.0, 0.5),
    "batch_size": Choice([16, 32, 64]),
    "epochs": 3,
})
#: ``MIXED`` with every numeric parameter on a grid, for the methods that need a finite space
MIXED_FINITE = Space({
    **{n: MIXED[n] for n in ("layers", "activation", "batch_size", "epochs")},
    "units_1": Int(8, 256, step=8, when={"layers": [2, 3]}),
    "units_2": Int(8, 256, step=8, when={"layers": [3]}),
    "learning_rate": Choice([1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1]),
    "dropout": Float(0.0, 0.5, step=0.1),
})
FINITE = Space({"a": [1, 2, 3], "b": ["x", "y"], "c": Int(0, 2, when={"b": ["y"]})})


def _toy(params: dict) -> float:
    """Deterministic objective over ``MIXED``/``FINITE`` (a searcher should be able to improve on it)."""
    total = 0.0
    for _, value in sorted(params.items()):
        if isinstance(value, str):
            total += (len(value) % 3) * 0.3
        elif isinstance(value, (int, float)):
            total += math.log1p(abs(float(value))) * 0.1 + abs(math.sin(float(value)))
    return total


def drive(searcher: Searcher, n_trials: int, *, batch: int = 1, fail_every: int = 0,
          objective: Callable[[dict], float] = _toy) -> list[Trial]:
    """Ask/tell ``searcher`` like the tune loop does (batches of ``batch``), ``n_trials`` in all."""
    trials: list[Trial] = []
    while len(trials) < n_trials:
        try:
            suggestions = searcher.ask(min(batch, n_trials - len(trials)))
        except SearchExhausted:
            break
        if not suggestions:
            raise AssertionError("ask() returned [] with nothing pending")
        for s in suggestions:
            number = len(trials)
            if fail_every and number % fail_every == 0:
                trial = Trial(number, dict(s.params), TrialState.FAILED, error="boom", budget=s.budget,
                              resume_from=s.resume_from)
            else:
                trial = Trial(number, dict(s.params), TrialState.COMPLETE, value=objective(s.params), budget=s.budget,
                              resume_from=s.resume_from)
            trials.append(trial)
        for trial in trials[-len(suggestions):]:
            searcher.tell(trial)
    return trials


def _fresh(make: Factory, space: Space, seed: int = 0) -> Searcher:
    searcher = make(space)
    searcher.setup(space, "min", seed)
    return searcher


def check_suggestions_in_space(make: Factory, space: Space) -> None:
    searcher = _fresh(make, space)
    for trial in drive(searcher, 30, batch=3):  # a bandit's space lacks the epochs it uses as the budget
        assert searcher.space.contains(trial.params), f"suggestion outside the space: {trial.params}"


def check_batch_distinct(make: Factory, space: Space) -> None:
    searcher = _fresh(make, space)
    drive(searcher, 6)
    batch = searcher.ask(4)
    keys = [(space.key(s.params), s.budget, s.resume_from) for s in batch]  # a bandit may repeat a point on a new budget
    assert len(batch) >= 1, "ask(4) returned nothing"
    assert len(set(keys)) == len(keys), f"ask(4) repeated a point: {keys}"


def check_same_seed_same_sequence(make: Factory, space: Space) -> None:
    first = [t.params for t in drive(_fresh(make, space, seed=7), 20, batch=2)]
    second = [t.params for t in drive(_fresh(make, space, seed=7), 20, batch=2)]
    assert first == second, "the same seed gave different suggestions"


def check_global_rng_untouched(make: Factory, space: Space) -> None:
    np_state, py_state = np.random.get_state(), random.getstate()
    drive(_fresh(make, space), 15, batch=2)
    after = np.random.get_state()
    assert all(np.array_equal(a, b) if isinstance(a, np.ndarray) else a == b for a, b in zip(np_state, after)), \
        "the searcher used numpy's global RNG"
    assert random.getstate() == py_state, "the searcher used Python's global RNG"


def check_finite_exhaustion(make: Factory, space: Space) -> None:
    searcher = _fresh(make, FINITE)
    trials = drive(searcher, 100, batch=2)
    # multi-fidelity searchers continue arms on larger budgets; each point still starts exactly once
    keys = [FINITE.key(t.params) for t in trials if t.resume_from is None]
    assert len(keys) == FINITE.cardinality, f"{len(keys)} trials on a space of {FINITE.cardinality} points"
    assert len(set(keys)) == len(keys), "a point was suggested twice"
    try:
        searcher.ask(1)
    except SearchExhausted:
        return
    raise AssertionError("ask() after the last point did not raise SearchExhausted")


def check_failed_trials_tolerated(make: Factory, space: Space) -> None:
    searcher = _fresh(make, space)
    trials = drive(searcher, 24, batch=2, fail_every=2)
    assert len(trials) == 24
    searcher = _fresh(make, space)
    trials = drive(searcher, 12, fail_every=1)  # every trial fails
    assert len(trials) == 12 and all(searcher.space.contains(t.params) for t in trials)


def check_state_round_trip(make: Factory, space: Space) -> None:
    original = _fresh(make, space, seed=3)
    told = drive(original, 12, batch=2)
    state = json.loads(json.dumps(original.state_dict()))
    restored = _fresh(make, space, seed=3)
    for trial in told:
        restored.tell(trial)
    restored.load_state_dict(state)
    a = [s.params for s in original.ask(3)]
    b = [s.params for s in restored.ask(3)]
    assert a == b, f"a searcher restored from state_dict suggests differently: {a} != {b}"


def check_max_direction(make: Factory, space: Space) -> None:
    """Maximising ``-f`` must be the very same search as minimising ``f``: a direction slip shows up here."""
    runs = []
    for direction, sign in (("min", 1.0), ("max", -1.0)):
        searcher = make(space)
        searcher.setup(space, direction, 5)
        runs.append([t.params for t in drive(searcher, 20, batch=2, objective=lambda p, s=sign: s * _toy(p))])
    assert runs[0] == runs[1], "maximising -f searched differently from minimising f"


CHECKS = {
    "suggestions_in_space": check_suggestions_in_space,
    "batch_distinct": check_batch_distinct,
    "same_seed_same_sequence": check_same_seed_same_sequence,
    "global_rng_untouched": check_global_rng_untouched,
    "finite_exhaustion": check_finite_exhaustion,
    "failed_trials_tolerated": check_failed_trials_tolerated,
    "state_round_trip": check_state_round_trip,
    "max_direction": check_max_direction,
}


def run_check(case: Case, check: str) -> None:
    """Run the check named ``check`` on ``case`` (on the mixed space, or its finite twin)."""
    CHECKS[check](case.make, MIXED_FINITE if case.finite_only else MIXED)


def run_all_checks(make: Factory | Case, skip: tuple[str, ...] = ()) -> None:
    """Run every check; raises ``AssertionError`` on the first that fails."""
    case = make if isinstance(make, Case) else Case(make)
    for name in CHECKS:
        if name not in skip:
            run_check(case, name)
