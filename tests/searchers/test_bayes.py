"""``method="bayes"``: the behaviours users rely on (the shared conformance suite runs too)."""

import doctest
import importlib
import json
import math

import numpy as np
import pytest

import keras_hpo as kh
from keras_hpo import searchers
from keras_hpo.testing.conformance import drive
from keras_hpo.testing.objectives import BRANIN, CONDITIONAL, MIXED
from keras_hpo.trial import Trial, TrialState


def _bayes(space, seed=0, direction="min", **options):
    searcher = searchers.get("bayes", **options)
    searcher.setup(space, direction, seed)
    return searcher


def _tell(searcher, number, params, value, state=TrialState.COMPLETE):
    searcher.tell(Trial(number, params, state, value=value))


@pytest.mark.parametrize(
    "name", ["keras_hpo.searchers.bayes", "keras_hpo.searchers._gp", "keras_hpo.searchers._acquisition"]
)
def test_docstring_examples(name):
    failures, tried = doctest.testmod(importlib.import_module(name))
    assert tried > 0 and failures == 0


def test_finds_the_branin_optimum_quickly():
    trials = drive(_bayes(BRANIN.space), 30, objective=BRANIN.fn)
    assert BRANIN.regret(min(t.value for t in trials)) < 0.05


def test_beats_its_own_initial_design_on_the_mixed_problem():
    trials = drive(_bayes(MIXED.space, n_initial=8), 30, objective=MIXED.fn)
    values = [t.value for t in trials]
    assert min(values[8:]) < 0.2 * min(values[:8])
    assert all(MIXED.space.contains(t.params) for t in trials)


def test_maximisation_uses_the_direction():
    space = kh.Space({"x": kh.Float(0, 1)})
    trials = drive(_bayes(space, direction="max"), 15, objective=lambda p: -((p["x"] - 0.8) ** 2))
    assert max(t.value for t in trials) > -1e-3


def test_initial_design_scales_with_dimension_and_fills_the_space():
    small = _bayes(kh.Space({"x": kh.Float(0, 1)}))
    large = _bayes(kh.Space({f"x{i}": kh.Float(0, 1) for i in range(12)}))
    assert small.design_size < large.design_size
    xs = sorted(s.params["x"] for s in _bayes(kh.Space({"x": kh.Float(0, 1)}), n_initial=8).ask(8))
    assert len(xs) == 8 and max(np.diff([0.0, *xs, 1.0])) < 0.3  # a Sobol design leaves no big hole


def test_one_dimensional_space():
    space = kh.Space({"lr": kh.Float(1e-5, 1.0, log=True)})
    trials = drive(_bayes(space), 15, objective=lambda p: (math.log10(p["lr"]) + 3) ** 2)
    assert min(t.value for t in trials) < 0.01


def test_all_categorical_space_is_searched_exhaustively_without_repeats():
    space = kh.Space({"a": ["x", "y", "z"], "b": [1, 2, 3, 4], "c": [True, False]})
    trials = drive(_bayes(space), 100, objective=lambda p: (p["a"] == "z") + abs(p["b"] - 3) + p["c"])
    keys = [space.key(t.params) for t in trials]
    assert len(keys) == len(set(keys)) == 24
    assert [t.params for t in trials[:12]].count({"a": "x", "b": 3, "c": False}) <= 1
    best_at = min(range(24), key=lambda i: trials[i].value)
    assert best_at < 20  # the model finds the best of 24 before enumerating everything


def test_thirty_dimensional_space():
    space = kh.Space({f"x{i}": kh.Float(-1, 1) for i in range(30)})
    searcher = _bayes(space, n_initial=10)
    trials = drive(searcher, 16, objective=lambda p: sum(v**2 for v in p.values()))
    assert all(space.contains(t.params) for t in trials)
    assert len(searcher.length_scales()) == 30


def test_integers_and_steps_are_rounded_before_the_gp_sees_them():
    space = kh.Space({"units": kh.Int(8, 512, log=True), "layers": kh.Int(1, 4), "dropout": kh.Float(0, 0.5, step=0.1)})
    searcher = _bayes(space, n_initial=4)
    trials = drive(searcher, 12, batch=2, objective=lambda p: abs(p["units"] - 100) / 100 + p["dropout"] + p["layers"])
    assert all(space.contains(t.params) for t in trials)
    X = np.array(searcher._X)
    assert np.allclose(searcher._project(X), X)  # every observed row is already a valid, rounded point
    candidates = searcher._candidates(X, np.array([t.value for t in trials]))
    assert np.allclose(searcher._project(candidates), candidates)


def test_conditional_parameters_are_imputed_and_suggestions_valid():
    searcher = _bayes(CONDITIONAL.space)
    trials = drive(searcher, 20, batch=2, objective=CONDITIONAL.fn)
    assert all(CONDITIONAL.space.contains(t.params) for t in trials)
    units_3 = CONDITIONAL.space.slice_of("units_3")
    for trial, x in zip(trials, searcher._X):
        if "units_3" not in trial.params:
            assert x[units_3] == pytest.approx([0.5])


def test_batch_points_are_distinct_and_spread_out():
    searcher = _bayes(BRANIN.space, n_initial=6)
    drive(searcher, 12, objective=BRANIN.fn)
    batch = [s.params for s in searcher.ask(4)]
    X = np.array([BRANIN.space.encode(p) for p in batch])
    distances = np.linalg.norm(X[:, None] - X[None], axis=2)[np.triu_indices(4, 1)]
    assert distances.min() > 1e-3
    assert len(searcher.pending) == 4


def test_pending_trials_from_other_workers_are_avoided():
    searcher = _bayes(BRANIN.space, n_initial=6)
    drive(searcher, 12, objective=BRANIN.fn)
    first = searcher.ask(1)[0].params
    second = searcher.ask(1)[0].params  # the first is still running
    assert BRANIN.space.key(first) != BRANIN.space.key(second)


def test_failed_and_nan_trials_never_crash_the_gp():
    space = kh.Space({"x": kh.Float(0, 1), "y": kh.Float(0, 1)})
    searcher = _bayes(space, n_initial=3)
    number = 0
    for round_ in range(8):
        for s in searcher.ask(2):
            x = s.params["x"]
            if x > 0.7:
                _tell(searcher, number, s.params, None, TrialState.FAILED)
            elif round_ % 3 == 2:
                _tell(searcher, number, s.params, math.nan if round_ % 2 else math.inf)
            else:
                _tell(searcher, number, s.params, (x - 0.3) ** 2)
            number += 1
    X, y = searcher._data()
    assert np.all(np.isfinite(y)) and np.all(np.isfinite(searcher._gp.predict(X)[0]))


def test_only_failures_fall_back_to_random_points():
    space = kh.Space({"x": kh.Float(0, 1)})
    trials = drive(_bayes(space), 10, fail_every=1)
    assert len({t.params["x"] for t in trials}) == 10


def test_length_scales_show_which_parameter_matters():
    space = kh.Space(
        {
            "lr": kh.Float(1e-4, 1.0, log=True),
            "noise_param": kh.Float(0, 1),
            "act": ["relu", "tanh", "elu"],
            "epochs": 3,
        }
    )
    searcher = _bayes(space)
    drive(searcher, 25, objective=lambda p: (math.log10(p["lr"]) + 2) ** 2 + (p["act"] == "tanh"))
    scales = searcher.length_scales()
    assert set(scales) == {"lr", "noise_param", "act"}  # one figure per parameter, none for Fixed
    assert scales["lr"] < scales["noise_param"]
    assert all(v > 0 and math.isfinite(v) for v in scales.values())


def test_length_scales_in_the_tune_result():
    result = kh.tune(BRANIN, BRANIN.space, method="bayes", max_trials=12, seed=0, progress=False)
    assert set(result.length_scales()) == {"x1", "x2"}


def test_length_scales_need_results():
    searcher = _bayes(BRANIN.space)
    with pytest.raises(ValueError, match="two completed"):
        searcher.length_scales()


def test_noisy_objective_fits_noise_instead_of_chasing_it():
    rng = np.random.default_rng(0)
    space = kh.Space({"x": kh.Float(0, 1)})
    searcher = _bayes(space, n_initial=5)
    drive(searcher, 25, objective=lambda p: (p["x"] - 0.5) ** 2 + rng.normal(0, 0.05))
    assert searcher._gp.noise > 1e-3  # in standardised units; the floor is 1e-6


def test_same_seed_same_points_different_seed_different_points():
    def run(seed):
        return [t.params for t in drive(_bayes(MIXED.space, seed=seed, n_initial=4), 8, batch=2, objective=MIXED.fn)]

    assert run(1) == run(1)
    assert run(1) != run(2)


def test_resume_restores_the_hyperparameters():
    original = _bayes(BRANIN.space, seed=5, n_initial=4)
    told = drive(original, 10, objective=BRANIN.fn)
    state = json.loads(json.dumps(original.state_dict()))
    assert state["theta"] is not None
    restored = _bayes(BRANIN.space, seed=5, n_initial=4)
    for trial in told:
        restored.tell(trial)
    restored.load_state_dict(state)
    assert set(restored.length_scales()) == {"x1", "x2"}  # fits on demand, leaving the RNG alone
    assert [s.params for s in original.ask(2)] == [s.params for s in restored.ask(2)]


def test_refits_are_spaced_out_once_there_are_many_observations(monkeypatch):
    from keras_hpo.searchers import bayes

    calls = []
    real_fit = bayes.fit_gp
    monkeypatch.setattr(bayes, "fit_gp", lambda *a, **k: calls.append(len(a[1])) or real_fit(*a, **k))
    space = kh.Space({"x": kh.Float(0, 1), "y": kh.Float(0, 1)})
    searcher = _bayes(space, refit_every=5, n_candidates=64)
    rng = np.random.default_rng(0)
    for number in range(60):
        params = space.sample(rng)
        _tell(searcher, number, params, params["x"] + params["y"])
    for number in range(60, 70):
        [s] = searcher.ask(1)
        _tell(searcher, number, s.params, s.params["x"] + s.params["y"])
    assert [n for n in calls if n > 10] == [60, 65]  # the global GP; local steps fit 10 neighbours each time
    assert len(calls) == 2 + 5  # 5 of the 10 suggestions were local steps


@pytest.mark.parametrize(
    "options", [{"n_candidates": 0}, {"refit_every": 0}, {"n_initial": -1}, {"n_restarts": 1.5}, {"n_refine": "5"}]
)
def test_bad_options_are_refused_by_name(options):
    searcher = searchers.get("bayes", **options)
    with pytest.raises(ValueError, match=next(iter(options))):
        searcher.setup(BRANIN.space, "min", 0)
