"""Late-phase polishing of the best point (``_moves.Polish``) and the ant colony's IPOP-style restarts.

Polishing is what lets the five metaheuristics converge to float precision where their own moves stall
(regret around 1e-3..1e-8 before it): these tests fail with ``polish=0`` or without the model step.
"""

from __future__ import annotations

import json
import math
import statistics

import numpy as np
import pytest

import keras_hpo as kh
from keras_hpo import searchers
from keras_hpo.searchers._moves import Cube, Polish, collapsed
from keras_hpo.testing import instances
from keras_hpo.testing.conformance import drive
from keras_hpo.testing.objectives import MIXED
from keras_hpo.trial import Trial, TrialState

NAMES = ["genetic", "ant_colony", "annealing", "tabu", "pso"]


def make(name, space, seed=0, **options):
    searcher = searchers.get(name, **options)
    searcher.setup(space, "min", seed)
    return searcher


def regret(name, problem, seed, budget=200, **options):
    trials = drive(make(name, problem.space, seed, **options), budget, objective=problem.fn)
    return problem.regret(min(t.value for t in trials))


@pytest.mark.parametrize("name", ["genetic", "ant_colony", "tabu", "pso"])
def test_polishing_reaches_float_precision_on_a_shifted_camel(name):
    """Seeded instances (optimum away from the centre), pilot seeds: 200 evaluations reach 1e-10 with polishing;
    without it the search's own steps stall orders of magnitude above (about 1e-8 to 1e-4)."""
    seeds = (11, 12, 13)
    problems = [instances.pilot("camel", seed) for seed in seeds]
    polished = statistics.median(regret(name, p, s) for p, s in zip(problems, seeds))
    plain = statistics.median(regret(name, p, s, polish=0) for p, s in zip(problems, seeds))
    assert polished < 1e-10
    assert plain > 1e-9


def _polisher_told_around(space, fn, centre):
    """A random searcher and a polisher both told 20 trials scattered (sd 0.05) around ``centre``."""
    searcher = make("random", space)
    polisher = Polish(Cube(space), start=0, sigma=0.1)
    rng = np.random.default_rng(0)
    for number in range(20):
        params = {"x": centre[0] + 0.05 * rng.standard_normal(), "y": centre[1] + 0.05 * rng.standard_normal()}
        trial = Trial(number, params, TrialState.COMPLETE, value=fn(params))
        searcher.tell(trial)
        polisher.observe(searcher, trial)
    return searcher, polisher, rng


def test_the_model_step_jumps_to_the_minimum_of_a_quadratic():
    """Near a smooth minimum, the trust-region step to the fitted quadratic's minimiser lands on it at once."""
    space = kh.Space({"x": kh.Float(0, 1), "y": kh.Float(0, 1)})
    target = np.array([0.61, 0.37])
    fn = lambda p: float(3 * (p["x"] - 0.61) ** 2 + (p["y"] - 0.37) ** 2 + (p["x"] - 0.61) * (p["y"] - 0.37))  # noqa: E731
    searcher, polisher, rng = _polisher_told_around(space, fn, (0.61, 0.37))
    params = polisher.propose(searcher, rng, set())
    assert np.allclose([params["x"], params["y"]], target, atol=1e-9)


def test_the_polishing_share_follows_its_credit():
    """No polishing before ``start``; then a share within [share/3, share] by who made the recent new bests."""
    space = kh.Space({"x": kh.Float(0, 1)})
    searcher = make("random", space)
    polisher = Polish(Cube(space), start=10, share=0.6)
    for number in range(10):
        trial = Trial(number, {"x": number / 10}, TrialState.COMPLETE, value=float(10 - number))
        searcher.tell(trial)
        polisher.observe(searcher, trial)  # all new bests by the search's own moves
    assert polisher.current_share == pytest.approx(0.2)
    assert sum(polisher.due(searcher, k) for k in range(30)) == pytest.approx(6, abs=1)
    polisher.credit = [5.0, 0.0]
    assert polisher.current_share == pytest.approx(0.6)
    polisher.credit = [1.0, 1.0]
    assert polisher.current_share == pytest.approx(0.5)
    searcher9 = make("random", space)
    early = Polish(Cube(space), start=50, share=0.6)
    early.best_x = np.zeros(1)
    assert not any(early.due(searcher9, k) for k in range(50))


def test_polishing_pauses_at_float_precision_and_wakes_on_a_new_best_elsewhere():
    space = kh.Space({"x": kh.Float(0, 1), "y": kh.Float(0, 1)})
    searcher = make("random", space)
    polisher = Polish(Cube(space), start=0, share=0.9)
    first = Trial(0, {"x": 0.5, "y": 0.5}, TrialState.COMPLETE, value=1.0)
    searcher.tell(first)
    polisher.observe(searcher, first)
    polisher.sigma = 1e-13
    assert not any(polisher.due(searcher, k) for k in range(20))
    better = Trial(1, {"x": 0.8, "y": 0.2}, TrialState.COMPLETE, value=0.5)  # the search's own move
    searcher.tell(better)
    polisher.observe(searcher, better)
    assert polisher.sigma == pytest.approx(0.1)  # the jump's scale, capped at the start step
    assert any(polisher.due(searcher, k) for k in range(5))


@pytest.mark.parametrize("name", NAMES)
def test_resume_while_polishing_carries_on_identically(name):
    """Past the start of polishing (and, for the colony, a restart): the state goes through JSON, the restored
    searcher is told the same trials and asks the same points."""
    options = {"restart": 0.05} if name == "ant_colony" else {}
    original = make(name, MIXED.space, seed=3, **options)
    told = drive(original, 150, batch=3, objective=MIXED.fn)
    assert original.polisher.steps >= 2
    if name == "ant_colony":
        assert original.restarts >= 1
    running = original.ask(4)
    for s in running[:2]:
        told.append(Trial(len(told), s.params, TrialState.COMPLETE, value=MIXED.fn(s.params)))
        original.tell(told[-1])
    state = json.loads(json.dumps(original.state_dict()))
    assert "polish" in state
    restored = make(name, MIXED.space, seed=3, **options)
    for trial in told:
        restored.tell(trial)
    restored.load_state_dict(state)
    for s in running[2:]:
        trial = Trial(len(told), s.params, TrialState.COMPLETE, value=MIXED.fn(s.params))
        told.append(trial)
        original.tell(trial)
        restored.tell(trial)
    for _ in range(10):  # several rounds, so polishing steps and the colony's moves both come up
        asked = original.ask(3)
        assert [s.params for s in asked] == [s.params for s in restored.ask(3)]
        for s in asked:
            trial = Trial(len(told), s.params, TrialState.COMPLETE, value=MIXED.fn(s.params))
            told.append(trial)
            original.tell(trial)
            restored.tell(trial)
    assert restored.polisher.sigma == original.polisher.sigma


def test_polishing_keeps_categories_and_skips_inactive_parameters():
    space = kh.Space({"x": kh.Float(0, 1), "opt": ["sgd", "adam"],
                      "momentum": kh.Float(0, 1, when={"opt": "sgd"})})
    searcher = make("random", space)
    polisher = Polish(Cube(space), start=0, sigma=0.05)
    best = Trial(0, {"x": 0.4, "opt": "adam"}, TrialState.COMPLETE, value=0.0)
    searcher.tell(best)
    polisher.observe(searcher, best)
    rng = np.random.default_rng(1)
    for _ in range(20):
        params = polisher.propose(searcher, rng, set())
        assert params["opt"] == "adam" and "momentum" not in params and params["x"] != 0.4


def test_a_collapsed_colony_restarts_twice_as_large_away_from_where_it_collapsed():
    space = kh.Space({"x": kh.Float(0, 1), "y": kh.Float(0, 1)})
    fn = lambda p: (p["x"] - 0.3) ** 2 + (p["y"] - 0.6) ** 2  # noqa: E731
    colony = make("ant_colony", space, seed=0, archive=8, polish=0)
    drive(colony, 200, objective=fn)
    assert colony.restarts >= 1 and colony._size == 8 * 2**colony.restarts
    elite = colony._elite()
    assert all(np.max(np.abs(colony.cube.encode(t.params) - colony._left[0])) >= 0.02 for t in elite)
    never = make("ant_colony", space, seed=0, archive=8, polish=0, restart=0)
    drive(never, 200, objective=fn)
    assert never.restarts == 0


def test_collapsed_means_every_numeric_spread_below_the_tolerance():
    cube = Cube(kh.Space({"x": kh.Float(0, 1), "n": kh.Int(0, 9)}))
    tight = np.array([[0.5, 0.3], [0.5001, 0.3], [0.4999, 0.3]])
    assert collapsed(cube, tight, 1e-3)
    assert not collapsed(cube, tight + np.array([[0, 0], [0, 0.5], [0, 0]]), 1e-3)  # an integer one level apart
    assert not collapsed(cube, tight[:1], 1e-3)
    assert math.isclose(cube.widths[1], 0.1)


def test_with_the_model_step_still_out_the_next_polishing_step_samples_around_it():
    """Parallel workers: a second polishing step asked before the model step's result is in does not repeat the
    model's point (it is pending) but samples near it, at the current step size."""
    space = kh.Space({"x": kh.Float(0, 1), "y": kh.Float(0, 1)})
    fn = lambda p: float(3 * (p["x"] - 0.61) ** 2 + (p["y"] - 0.37) ** 2)  # noqa: E731
    searcher, polisher, rng = _polisher_told_around(space, fn, (0.61, 0.37))
    taken: set[str] = set()
    first = polisher.propose(searcher, rng, taken)
    polisher.sigma = 1e-4
    second = polisher.propose(searcher, rng, taken)
    assert first != second
    assert math.dist((second["x"], second["y"]), (0.61, 0.37)) < 1e-3
