"""The five metaheuristics: each one's defining behaviour, options, parallel asks and resume.

The shared protocol (suggestions in the space, seeds, global RNG, exhaustion,
failures, JSON state) is checked for all of them by the conformance suite.
"""

from __future__ import annotations

import json
import statistics

import numpy as np
import pytest

import keras_hpo as kh
from keras_hpo import searchers
from keras_hpo.searchers._moves import Cube, coin, reflect
from keras_hpo.testing.conformance import MIXED as MIXED_SPACE
from keras_hpo.testing.conformance import drive
from keras_hpo.testing.objectives import HARTMANN6, MIXED
from keras_hpo.trial import Trial, TrialState

NAMES = ["genetic", "ant_colony", "annealing", "tabu", "pso"]


def make(name, space, seed=0, direction="min", **options):
    searcher = searchers.get(name, **options)
    searcher.setup(space, direction, seed)
    return searcher


def complete(number, params, value):
    return Trial(number, dict(params), TrialState.COMPLETE, value=value)


def best_regret(name, problem, budget, seed):
    searcher = make(name, problem.space, seed)
    return min(problem.regret(t.value) for t in drive(searcher, budget, objective=problem.fn))


# Shared moves --------------------------------------------------------------------------


def test_reflect_folds_into_the_unit_interval():
    x = reflect(np.array([-0.25, 0.3, 1.25, 2.5, -1.0]))
    assert np.allclose(x, [0.25, 0.3, 0.75, 0.5, 1.0])


def test_mutate_and_crossover_keep_one_hot_blocks_valid():
    cube, rng = Cube(MIXED_SPACE), np.random.default_rng(0)
    a, b = cube.random(rng), cube.random(rng)
    for _ in range(50):
        child = cube.mutate(cube.crossover(a, b, rng), rng, scale=0.3, p_switch=0.5)
        assert np.all((child >= 0) & (child <= 1))
        for block in cube.blocks:
            assert sorted(child[block])[-1] == 1.0 and child[block].sum() == 1.0
        assert MIXED_SPACE.contains(MIXED_SPACE.decode(child))


def test_crossover_takes_an_inactive_value_from_the_parent_where_it_is_active():
    space = kh.Space({"layers": kh.Int(1, 2), "units": kh.Float(0, 1, when={"layers": [2]})})
    cube, rng = Cube(space), np.random.default_rng(0)
    one, two = {"layers": 1}, {"layers": 2, "units": 0.9}
    a, b = cube.encode(one), cube.encode(two)
    for _ in range(20):
        child = cube.crossover(a, b, rng, eta=50.0, active_a=cube.active_mask(one), active_b=cube.active_mask(two))
        assert child[space.slice_of("units")][0] > 0.8  # never the imputed 0.5 of the one-layer parent


def test_propose_never_returns_a_point_already_seen_or_in_the_batch():
    space = kh.Space({"n": kh.Int(0, 9), "c": ["a", "b"]})
    searcher = make("random", space)
    cube, rng, taken = Cube(space), np.random.default_rng(0), set()
    x = cube.encode({"n": 4, "c": "a"})
    keys = {space.key(cube.propose(searcher, x, rng, taken)[1]) for _ in range(15)}
    assert len(keys) == 15 and keys == taken


def test_coin_is_fixed_by_seed_and_trial_number():
    assert coin(3, 7) == coin(3, 7) and coin(3, 7) != coin(3, 8) and 0 <= coin(None, 1) < 1


# Options ---------------------------------------------------------------------------------

BAD_OPTIONS = [
    ("genetic", {"population": 1}, "population"), ("genetic", {"elite": 99}, "elite"),
    ("genetic", {"crossover": 1.5}, "crossover"), ("genetic", {"tournament": 0}, "tournament"),
    ("ant_colony", {"archive": 1}, "archive"), ("ant_colony", {"evaporation": 2.0}, "evaporation"),
    ("ant_colony", {"xi": 0}, "xi"), ("annealing", {"cooling": 1.5}, "cooling"),
    ("annealing", {"temperature": 0}, "temperature"), ("annealing", {"patience": 0}, "patience"),
    ("annealing", {"jump": 1.5}, "jump"),
    ("tabu", {"tenure": 0}, "tenure"), ("tabu", {"shrink": 0}, "shrink"), ("tabu", {"radius": -1}, "radius"),
    ("pso", {"particles": 0}, "particles"), ("pso", {"max_velocity": 0}, "max_velocity"),
    ("pso", {"inertia": -1}, "inertia"), ("pso", {"craziness": 2.0}, "craziness"), ("tabu", {"redraw": -0.1}, "redraw"),
    *((name, {"polish": bad}, "polish") for name in NAMES for bad in (1.0, -0.1, True, "yes")),
    ("ant_colony", {"restart": 1.0}, "restart"), ("ant_colony", {"restart": -1e-3}, "restart"),
]


@pytest.mark.parametrize("name,options,word", BAD_OPTIONS)
def test_bad_options_fail_at_setup_naming_the_option(name, options, word):
    searcher = searchers.get(name, **options)  # constructors only store their arguments
    with pytest.raises(ValueError, match=word):
        searcher.setup(MIXED_SPACE, "min", 0)


def test_options_are_keyword_only():
    for name in NAMES:
        with pytest.raises(TypeError):
            searchers._load(name)(10)


# Shared behaviour --------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_parallel_batches_never_repeat_a_point(name):
    trials = drive(make(name, MIXED.space), 120, batch=8, objective=MIXED.fn)
    keys = [MIXED.space.key(t.params) for t in trials]
    assert len(trials) == 120 and len(set(keys)) == len(keys)


@pytest.mark.parametrize("name", NAMES)
def test_resume_with_trials_still_pending(name):
    """setup, re-tell the finished trials, load_state_dict: the restored searcher carries on identically."""
    original = make(name, MIXED.space, seed=5)
    told = drive(original, 30, batch=3, objective=MIXED.fn)
    running = original.ask(4)
    for s in running[:2]:
        told.append(complete(len(told), s.params, MIXED.fn(s.params)))
        original.tell(told[-1])
    state = json.loads(json.dumps(original.state_dict()))
    restored = make(name, MIXED.space, seed=5)
    for trial in told:
        restored.tell(trial)
    restored.load_state_dict(state)
    for s in running[2:]:
        trial = complete(len(told), s.params, MIXED.fn(s.params))
        told.append(trial)
        original.tell(trial)
        restored.tell(trial)
    assert [s.params for s in original.ask(5)] == [s.params for s in restored.ask(5)]


@pytest.mark.parametrize("name", NAMES)
def test_non_finite_values_count_as_failed_moves(name):
    calls = iter(range(10**6))

    def objective(params):
        return float("nan") if next(calls) % 3 == 0 else MIXED.fn(params)

    trials = drive(make(name, MIXED.space), 60, batch=2, objective=objective)
    assert all(MIXED.space.contains(t.params) for t in trials)
    assert min(t.value for t in trials[30:] if t.value == t.value) < min(t.value for t in trials[:8] if t.value == t.value)


@pytest.mark.parametrize("name", NAMES)
def test_maximisation_climbs(name):
    trials = drive(make(name, HARTMANN6.space, direction="max"), 120, objective=lambda p: -HARTMANN6.fn(p))
    assert max(t.value for t in trials) > max(t.value for t in trials[:16]) + 0.3


@pytest.mark.parametrize("name", NAMES)
def test_beats_random_search_on_hartmann6(name):
    ours = statistics.median(best_regret(name, HARTMANN6, 150, seed) for seed in range(3))
    random = statistics.median(best_regret("random", HARTMANN6, 150, seed) for seed in range(3))
    assert ours < random / 2


# Defining behaviours -------------------------------------------------------------------


def test_genetic_elitism_keeps_the_best_in_the_population():
    space = HARTMANN6.space
    ga = make("genetic", space, population=8, elite=2)
    best = None
    for trial in drive(ga, 1, objective=HARTMANN6.fn):
        best = trial
    for number in range(1, 150):
        [s] = ga.ask(1)
        trial = complete(number, s.params, HARTMANN6.fn(s.params))
        ga.tell(trial)
        best = min(best, trial, key=lambda t: t.value)
        members = ga.members()
        assert len(members) <= 8 and best in members


def test_genetic_is_steady_state_children_come_from_the_population():
    space = kh.Space({"x": kh.Float(0, 1)})
    ga = make("genetic", space, population=6, mutation=0.0, min_mutation=1e-4, crossover=0.0)
    drive(ga, 6, objective=lambda p: p["x"])
    xs = sorted(t.params["x"] for t in ga.members())
    for s in ga.ask(5):
        assert min(abs(s.params["x"] - x) for x in xs) < 0.01  # a mutated copy of a member, no generation wait


def test_ant_colony_pheromone_evaporates_and_the_elite_deposits():
    space = kh.Space({"c": ["a", "b", "c"], "x": kh.Float(0, 1)})
    aco = make("ant_colony", space, archive=2, evaporation=0.2)
    assert np.allclose(aco.pheromone["c"], 1 / 3)
    aco.tell(complete(0, {"c": "a", "x": 0.1}, 1.0))
    aco.tell(complete(1, {"c": "b", "x": 0.2}, 2.0))
    before = aco.pheromone["c"].copy()
    aco.tell(complete(2, {"c": "a", "x": 0.3}, 0.5))  # the archive is now two "a"s
    after = aco.pheromone["c"]
    assert after[1] == pytest.approx(0.8 * before[1]) and after[2] == pytest.approx(0.8 * before[2])
    assert after[0] > before[0]
    aco.tell(Trial(3, {"c": "c", "x": 0.4}, TrialState.FAILED, error="boom"))
    assert np.array_equal(aco.pheromone["c"], after)  # a failed ant leaves no trail
    for number in range(4, 40):  # nobody uses "c": its trail keeps decaying geometrically
        aco.tell(complete(number, {"c": "b", "x": 0.9}, 9.0))
    assert aco.pheromone["c"][2] == pytest.approx(before[2] * 0.8**37)


def test_ant_colony_follows_the_trail_but_never_rules_a_value_out():
    space = kh.Space({"c": ["a", "b", "c", "d"], "x": kh.Float(0, 1)})
    aco = make("ant_colony", space, archive=4, floor=0.2)
    trials = drive(aco, 200, objective=lambda p: (p["c"] != "d") + (p["x"] - 0.5) ** 2)
    late = [t.params["c"] for t in trials[100:]]
    assert late.count("d") > 0.6 * len(late)
    assert set(late) == {"a", "b", "c", "d"}


def _acceptance_rate(temperature, n=150):
    space = kh.Space({"x": kh.Float(0, 1)})
    sa = make("annealing", space, temperature=temperature, cooling=1.0, n_initial=1, patience=10**6)
    rng = np.random.default_rng(1)
    sa.tell(complete(0, {"x": 0.5}, 0.0))
    worse = accepted = 0
    for number in range(1, n):
        current = sa.current
        trial = complete(number, {"x": float(rng.random())}, sa.loss(current) + float(rng.random()))
        sa.tell(trial)
        worse += 1
        accepted += sa.current is trial
    return accepted / worse


def test_annealing_accepts_worse_moves_when_hot_and_almost_never_when_cold():
    assert _acceptance_rate(10.0) > 0.8
    assert _acceptance_rate(1e-4) < 0.02


def test_annealing_always_accepts_a_better_move_and_cools_geometrically():
    space = kh.Space({"x": kh.Float(0, 1)})
    sa = make("annealing", space, temperature=0.2, cooling=0.9, n_initial=1, patience=5, reheat=0.5)
    sa.tell(complete(0, {"x": 0.5}, 1.0))
    sa.tell(complete(1, {"x": 0.6}, 0.5))
    assert sa.current.number == 1 and sa.current_temperature == pytest.approx(0.2 * 0.9**2)
    for number in range(2, 7):  # five results without a new best: reheat from the best
        sa.tell(complete(number, {"x": 0.1 * number}, 5.0 + number))
    assert sa.current.number == 1 and sa.current_temperature == pytest.approx(0.2 * 0.5)


def test_annealing_steps_shrink_as_moves_fail():
    space = kh.Space({"x": kh.Float(0, 1)})
    sa = make("annealing", space, n_initial=1, cooling=0.9, patience=10**6)
    sa.tell(complete(0, {"x": 0.5}, 0.0))
    hot = [abs(s.params["x"] - 0.5) for s in sa.ask(20)]
    for number in range(1, 80):
        sa.tell(complete(number, {"x": 0.5 + 1e-6 * number}, 1.0 + number))
    cold = [abs(s.params["x"] - 0.5) for s in sa.ask(20)]
    assert statistics.median(cold) < statistics.median(hot) / 3


def test_annealing_adapts_its_moves_by_success():
    """The 1/5 success rule on the step size, and the covariance learns the direction of a move that worked."""
    space = kh.Space({"x": kh.Float(0, 1), "y": kh.Float(0, 1)})
    sa = make("annealing", space, n_initial=1, patience=10**6, jump=0.0)
    sa.tell(complete(0, {"x": 0.5, "y": 0.5}, 1.0))
    start = sa.sigma
    sa.tell(complete(1, {"x": 0.52, "y": 0.52}, 0.9))  # a diagonal move that improved
    assert sa.sigma == pytest.approx(2 * start)
    for number in range(2, 6):  # four failed moves
        sa.tell(complete(number, {"x": 0.52, "y": 0.52 + 0.01 * number}, 9.0))
    assert sa.sigma == pytest.approx(start)
    x = 0.52
    for number in range(6, 12):  # more diagonal successes, each a typical step long
        x += 0.7 * min(sa.sigma, 0.1)
        sa.tell(complete(number, {"x": x, "y": x}, 1.0 - 0.1 * number))
    assert np.allclose(sa.covariance, sa.covariance.T) and sa.covariance[0, 1] > 0
    values, vectors = np.linalg.eigh(sa.covariance)
    assert abs(vectors[0, -1]) == pytest.approx(abs(vectors[1, -1]), abs=0.05)  # the widest axis is the diagonal
    assert values[-1] > 1.5 * values[0]


def test_annealing_follows_a_valley_across_the_axes():
    """A narrow valley along the diagonal: learning the moves' shape beats axis-aligned steps of the same size."""
    space = kh.Space({"x": kh.Float(-1, 1), "y": kh.Float(-1, 1)})

    def valley(p):
        u, v = (p["x"] + p["y"]) / 2, (p["x"] - p["y"]) / 2
        return (u - 0.3) ** 2 + 1000 * v**2

    def regret(seed):
        return min(t.value for t in drive(make("annealing", space, seed=seed), 200, objective=valley))

    assert statistics.median(regret(seed) for seed in range(5)) < 1e-3  # per-coordinate steps alone: ~0.2


def test_annealing_settles_finely_into_a_smooth_minimum():
    space = kh.Space({"x": kh.Float(-1, 1), "y": kh.Float(-1, 1)})
    trials = drive(make("annealing", space, seed=0), 200, objective=lambda p: (p["x"] - 0.3) ** 2 + (p["y"] + 0.2) ** 2)
    assert min(t.value for t in trials) < 1e-8  # a floor-bound step (the old 0.005) stopped near 1e-5


@pytest.mark.parametrize("name,option", [("annealing", "jump"), ("tabu", "redraw"), ("pso", "craziness")])
def test_redrawing_a_coordinate_gets_it_out_of_a_wrong_basin(name, option):
    """Styblinski-Tang in 4-d: each coordinate has a wrong basin, and a converged search tends to leave one or two
    coordinates in it. A move that redraws one coordinate anywhere lets it switch basins alone."""
    space = kh.Space({f"x{i}": kh.Float(-5, 5) for i in range(4)})

    def styblinski(p):
        x = np.array([p[f"x{i}"] for i in range(4)])
        return float(np.sum(x**4 - 16 * x**2 + 5 * x) / 2) + 39.16616570377142 * 4

    def regret(seed, **options):
        return min(t.value for t in drive(make(name, space, seed=seed, **options), 200, objective=styblinski))

    seeds = range(6)  # polishing off in both arms: it refines whichever basin the search found, whatever the option
    assert (statistics.median(regret(s, polish=0) for s in seeds)
            < statistics.median(regret(s, polish=0, **{option: 0.0}) for s in seeds))


def test_tabu_never_moves_to_a_tabu_point_unless_it_beats_the_best():
    space = kh.Space({"a": kh.Int(0, 12), "b": kh.Int(0, 12), "c": ["x", "y"]})

    def objective(p):
        return abs(p["a"] - 7) + abs(p["b"] - 3) + (p["c"] == "y") + 2 * np.sin(p["a"] * p["b"])

    tabu = make("tabu", space, neighbours=3, tenure=8, patience=4, n_initial=3)
    moves = 0
    for number in range(300):
        [s] = tabu.ask(1)
        assert not tabu.is_tabu(s.params), "a tabu point was suggested"
        entries, best, before = list(tabu.tabu), tabu.best_loss, tabu.current
        trial = complete(number, s.params, objective(s.params))
        tabu.tell(trial)
        if tabu.current is not None and tabu.current is not before and tabu.current is not tabu.best:
            moves += 1
            key = space.key(tabu.current.params)
            assert key not in [k for k, _, _ in entries] or tabu.loss(tabu.current) < best
    assert moves > 10


def test_tabu_aspiration_takes_a_tabu_point_that_beats_the_best():
    space = kh.Space({"x": kh.Int(0, 10)})
    tabu = make("tabu", space, neighbours=1, n_initial=1, patience=100)
    tabu.tell(complete(0, {"x": 5}, 1.0))
    tabu.tell(complete(1, {"x": 6}, 2.0))  # tabu search moves even to a worse point
    assert tabu.current.number == 1 and tabu.is_tabu({"x": 5})
    tabu.tell(complete(2, {"x": 5}, 3.0))  # tabu and not better than the best: stay
    assert tabu.current.number == 1
    tabu.tell(complete(3, {"x": 5}, 0.5))  # tabu but beats the best: aspiration
    assert tabu.current.number == 3


def test_tabu_restarts_far_from_what_it_has_seen():
    space = kh.Space({"x": kh.Float(0, 1), "y": kh.Float(0, 1)})
    tabu = make("tabu", space, neighbours=2, patience=2, n_initial=2)
    drive(tabu, 2, objective=lambda p: 0.0)  # a flat objective: no move ever improves
    restarted = False
    for number in range(2, 60):
        [s] = tabu.ask(1)
        if tabu.current is None:
            restarted = True
            seen = np.array([[t.params["x"], t.params["y"]] for t in tabu.history])
            gap = np.min(np.linalg.norm(seen - [s.params["x"], s.params["y"]], axis=1))
            assert gap > 0.05
        tabu.tell(complete(number, s.params, 0.0))
    assert restarted


def test_pso_velocities_stay_clamped_and_particles_in_the_cube():
    pso = make("pso", HARTMANN6.space, particles=6, max_velocity=0.05, cognitive=3.0, social=3.0)
    for number in range(200):
        [s] = pso.ask(1)
        pso.tell(complete(number, s.params, HARTMANN6.fn(s.params)))
        assert np.all(np.abs(pso.velocities) <= 0.05 + 1e-12)
        assert np.all((pso.positions >= 0) & (pso.positions <= 1))


def test_pso_particles_remember_their_own_best():
    space = kh.Space({"x": kh.Float(0, 1), "c": ["a", "b"]})
    pso = make("pso", space, particles=4, polish=0)  # polishing steps are nobody's flight
    trials = drive(pso, 40, objective=lambda p: (p["x"] - 0.3) ** 2 + (p["c"] == "b"))
    assert np.all(np.isfinite(pso.best_losses))
    assert pso.best_losses.min() == pytest.approx(min(t.value for t in trials))
    best_x = pso.best_positions[np.argmin(pso.best_losses)]
    assert space.decode(best_x)["c"] == "a"  # the one-hot block rounds to the category it stands for
