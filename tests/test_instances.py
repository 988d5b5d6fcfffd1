"""Seeded problem instances put the optimum where the seed says, inside the box, and nowhere better."""

import numpy as np
import pytest

from keras_hpo.space import Float
from keras_hpo.testing.instances import PILOT, SEALED, UNSEEN, VAULT, pilot, sealed, shifted, unseen, vault
from keras_hpo.testing.objectives import BRANIN, MIXED


def _build(name, seed):
    for names, make in ((UNSEEN, unseen), (SEALED, sealed), (VAULT, vault)):
        if name in names:
            return make(name, seed)
    return pilot(name, seed)


@pytest.mark.parametrize("name", UNSEEN + SEALED + VAULT)
def test_report_instance_reaches_its_optimum_at_its_minimizer_inside_the_box(name):
    for seed in (0, 1):
        problem = _build(name, seed)
        assert abs(problem.regret(problem.fn(problem.minimizer))) < 1e-9
        for key, value in problem.minimizer.items():
            dim = problem.space[key]
            if isinstance(dim, Float):
                assert dim.low < value < dim.high


@pytest.mark.parametrize("name", PILOT)
def test_pilot_instance_reaches_its_optimum(name):
    problem = pilot(name, 4)
    assert abs(problem.regret(problem.fn(problem.minimizer))) < 1e-9


@pytest.mark.parametrize("name", UNSEEN + SEALED + VAULT + PILOT)
def test_no_random_point_beats_the_optimum(name):
    problem = _build(name, 2)
    rng = np.random.default_rng(0)
    for _ in range(2000):
        point = problem.space.sample(rng)
        assert problem.regret(problem.fn(point)) > -1e-9


def test_seeds_move_the_optimum_away_from_the_centre():
    placements = np.array([list(unseen("powell4", seed).minimizer.values()) for seed in range(20)])
    centre = np.full(4, 0.5)
    assert len({tuple(row) for row in placements}) == 20
    assert np.median(np.abs(placements - centre).max(axis=1)) > 1.0
    assert unseen("powell4", 3).minimizer == unseen("powell4", 3).minimizer


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="parameter 'optimizer' of mixed must be a linear Float"):
        shifted(MIXED, {"learning_rate": 0.1}, 0)
    with pytest.raises(ValueError, match="unknown problem 'nope'"):
        unseen("nope", 0)
    with pytest.raises(ValueError, match="unknown problem 'nope'"):
        pilot("nope", 0)
    with pytest.raises(ValueError, match="sealed: unknown problem 'nope'"):
        sealed("nope", 0)
    with pytest.raises(ValueError, match="vault: unknown problem 'nope'"):
        vault("nope", 0)
    assert shifted(BRANIN, {"x1": 9.42478, "x2": 2.475}, 0).name == "branin@0"
