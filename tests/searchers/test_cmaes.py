"""CMA-ES (``method="cmaes"``): the real ``cmaes`` package, integers with margin, choices, IPOP restarts."""

import statistics

import numpy as np
import pytest

import keras_hpo as kh
from keras_hpo import searchers
from keras_hpo.testing.conformance import drive
from keras_hpo.testing.objectives import HARTMANN6, ROSENBROCK4


def _best(name, problem, seed, n=200, **options):
    searcher = searchers.get(name, **options)
    searcher.setup(problem.space, "min", seed)
    return min(t.value for t in drive(searcher, n, objective=problem.fn))


def test_the_cmaes_package_does_the_updates(monkeypatch):
    import cmaes

    told = []
    original = cmaes.CMAwM.tell
    monkeypatch.setattr(cmaes.CMAwM, "tell", lambda self, solutions: (told.append(len(solutions)), original(self, solutions)))
    searcher = searchers.get("cmaes", popsize=6)
    searcher.setup(ROSENBROCK4.space, "min", 0)
    drive(searcher, 30, batch=4, objective=ROSENBROCK4.fn)
    assert told == [6] * 5  # every 6 finished trials form one generation


@pytest.mark.parametrize("problem", [ROSENBROCK4, HARTMANN6], ids=lambda p: p.name)
def test_beats_random_search_at_200_evaluations(problem):
    seeds = range(3)
    cma = statistics.median(problem.regret(_best("cmaes", problem, s)) for s in seeds)
    rnd = statistics.median(problem.regret(_best("random", problem, s)) for s in seeds)
    assert cma < rnd / 3, (cma, rnd)


def test_ipop_restarts_with_a_doubled_population():
    space = kh.Space({"x": kh.Float(-1, 1), "y": kh.Float(-1, 1)})
    searcher = searchers.get("cmaes")
    searcher.setup(space, "min", 0)
    first = searcher._cma.population_size
    drive(searcher, 600, objective=lambda p: p["x"] ** 2 + p["y"] ** 2)
    assert searcher.restarts_done >= 1
    assert searcher._cma.population_size == first * 2 ** searcher.restarts_done


def test_integers_choices_and_one_dimension():
    space = kh.Space({"n": kh.Int(0, 20), "act": ["relu", "tanh", "elu"]})
    result = kh.tune(lambda p: (p["n"] - 13) ** 2 + (p["act"] != "tanh"), space, method="cmaes", max_trials=60,
                     seed=1, progress=False)
    assert result.best_params == {"n": 13, "act": "tanh"}
    assert all(isinstance(t.params["n"], int) for t in result.records)


def test_starts_from_x0():
    searcher = searchers.get("cmaes", x0={"x0": 1.0, "x1": 1.0, "x2": 1.0, "x3": 1.0}, sigma0=0.01)
    searcher.setup(ROSENBROCK4.space, "min", 0)
    points = np.array([[s.params[f"x{i}"] for i in range(4)] for s in searcher.ask(5)])
    assert np.all(np.abs(points - 1.0) < 0.2)


@pytest.mark.parametrize("options, name", [({"sigma0": 0}, "sigma0"), ({"popsize": 1}, "popsize"),
                                           ({"restarts": "bipop"}, "restarts"), ({"x0": {"x0": 9.0}}, "x0")])
def test_bad_options_name_the_option(options, name):
    searcher = searchers.get("cmaes", **options)
    with pytest.raises(ValueError, match=name):
        searcher.setup(ROSENBROCK4.space, "min", 0)
