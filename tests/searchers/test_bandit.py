from collections import Counter

import pytest

import keras_hpo as kh
from keras_hpo.searchers.bandit import rung_budgets
from keras_hpo.testing.conformance import drive

SPACE = kh.Space({"x": kh.Float(0, 1), "act": ["relu", "tanh"]})


def curve(params, budget):
    """A learning curve: the loss falls with the budget towards a floor set by the parameters."""
    floor = (params["x"] - 0.3) ** 2 + (0.0 if params["act"] == "relu" else 0.1)
    return floor + 1.0 / budget


def test_rung_budgets():
    assert rung_budgets(1, 27, 3) == [1, 3, 9, 27]
    assert rung_budgets(1, 8, 2) == [1, 2, 4, 8]
    assert rung_budgets(2, 10, 3) == [2, 6, 10]


def test_successive_halving_keeps_the_better_half_and_continues_it():
    result = kh.tune(curve, SPACE, method=kh.searchers.get("successive_halving", min_budget=1, max_budget=8),
                     max_trials=15, seed=0, progress=False)
    by_budget = Counter(t.budget for t in result.records)
    assert by_budget == {1: 8, 2: 4, 4: 2, 8: 1}
    records = {t.number: t for t in result.records}
    for budget, previous in ((2, 1), (4, 2), (8, 4)):
        rung = [t for t in result.records if t.budget == previous]
        promoted = [t for t in result.records if t.budget == budget]
        best = sorted(rung, key=lambda t: t.value)[: len(promoted)]
        assert {t.resume_from for t in promoted} == {t.number for t in best}  # the better half, by number
        assert all(records[t.resume_from].params == t.params for t in promoted)  # continued, same arm
    assert result.best_trial.budget == 8


def test_hyperband_bracket_shapes():
    searcher = kh.searchers.get("hyperband", min_budget=1, max_budget=9, eta=3)
    searcher.setup(SPACE, "min", 0)
    trials = drive(searcher, 9 + 3 + 1 + 5 + 1 + 3, objective=lambda p: curve(p, 1))
    starts = [t.budget for t in trials if t.resume_from is None]
    assert Counter(starts) == {1: 9, 3: 5, 9: 3}  # brackets s=2, 1, 0
    assert Counter(t.budget for t in trials if t.resume_from is not None) == {3: 3, 9: 2}


def test_asha_promotes_without_waiting_for_the_rung():
    searcher = kh.searchers.get("asha", min_budget=1, max_budget=9, eta=3)
    searcher.setup(SPACE, "min", 0)
    first = searcher.ask(3)
    assert all(s.budget == 1 for s in first)
    for number, s in enumerate(first):
        searcher.tell(kh.Trial(number, s.params, kh.TrialState.COMPLETE, value=[0.5, 0.1, 0.9][number], budget=1))
    [promotion] = searcher.ask(1)
    assert promotion.budget == 3 and promotion.resume_from == 1 and promotion.params == first[1].params


def test_parallel_workers_are_never_left_idle():
    searcher = kh.searchers.get("successive_halving", min_budget=1, max_budget=4)
    searcher.setup(SPACE, "min", 0)
    batches = [searcher.ask(3) for _ in range(4)]  # nothing told yet: new brackets open instead of waiting
    assert [len(b) for b in batches] == [3, 3, 3, 3]


def test_failed_arms_are_not_promoted():
    def sometimes_fails(params, budget):
        if params["x"] < 0.2:
            raise RuntimeError("diverged")
        return curve(params, budget)

    result = kh.tune(sometimes_fails, SPACE, method=kh.searchers.get("asha", max_budget=9), max_trials=40,
                     seed=2, progress=False)
    failed = {t.number for t in result.records if t.state is kh.TrialState.FAILED}
    assert failed
    assert not any(t.resume_from in failed for t in result.records)


def test_a_plain_objective_can_continue_from_the_earlier_trial():
    seen = []

    def objective(params, budget, resume_from):
        seen.append((budget, resume_from))
        return curve(params, budget)

    kh.tune(objective, SPACE, method=kh.searchers.get("successive_halving", max_budget=4), max_trials=7,
            seed=0, progress=False)
    assert seen[:4] == [(1.0, None)] * 4 and all(r is not None for b, r in seen[4:])


def test_inner_searcher_proposes_the_arms():
    inner = kh.searchers.get("grid")
    space = kh.Space({"x": [0.1, 0.3, 0.5, 0.7], "act": ["relu"]})
    result = kh.tune(curve, space, method=kh.searchers.get("successive_halving", searcher=inner, max_budget=4),
                     progress=False)
    first_rung = [t.params["x"] for t in result.records if t.resume_from is None]
    assert first_rung == [0.1, 0.3, 0.5, 0.7]  # the grid's order
    assert result.best_params["x"] == 0.3


def test_resumed_bandit_study_matches_an_uninterrupted_one(tmp_path):
    method = lambda: kh.searchers.get("successive_halving", max_budget=8)  # noqa: E731
    whole = kh.tune(curve, SPACE, method=method(), max_trials=15, seed=4, progress=False)
    db = str(tmp_path / "sh.db")
    kh.tune(curve, SPACE, method=method(), max_trials=6, seed=4, storage=db, study="s", progress=False)
    resumed = kh.tune(curve, SPACE, method=method(), max_trials=15, storage=db, study="s", resume=True, progress=False)
    strip = lambda r: [(t.params, t.budget, t.resume_from, t.value) for t in r.records]  # noqa: E731
    assert strip(resumed) == strip(whole)


@pytest.mark.parametrize(
    "options, message",
    [
        ({"eta": 1}, "eta must be greater than 1"),
        ({"min_budget": 9, "max_budget": 3}, "min_budget must be below max_budget"),
        ({"max_budget": 0}, "max_budget must be a positive number"),
        ({"searcher": "asha"}, "cannot itself be a bandit"),
        ({"searcher": "nope"}, "unknown method 'nope'"),
    ],
)
def test_bad_options_fail_before_any_trial(options, message):
    calls = []
    with pytest.raises(ValueError, match=message):
        kh.tune(lambda p: calls.append(p) or 0.0, SPACE, method=kh.searchers.get("hyperband", **options),
                max_trials=5, progress=False)
    assert calls == []
