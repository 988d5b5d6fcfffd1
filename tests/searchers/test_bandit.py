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
    searcher = kh.searchers.get("successive_halving", min_budget=1, max_budget=4, iterations=4)
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


def _assert_resume_matches(tmp_path, method, stop_at: int, total: int) -> None:
    """A study stopped after ``stop_at`` trials and resumed to ``total`` proposes what an uninterrupted one does."""
    whole = kh.tune(curve, SPACE, method=method(), max_trials=total, seed=4, progress=False)
    db = str(tmp_path / "study.db")
    kh.tune(curve, SPACE, method=method(), max_trials=stop_at, seed=4, storage=db, study="s", progress=False)
    resumed = kh.tune(curve, SPACE, method=method(), max_trials=total, storage=db, study="s", resume=True,
                      progress=False)
    strip = lambda r: [(t.params, t.budget, t.resume_from, t.value) for t in r.records]  # noqa: E731
    assert strip(resumed) == strip(whole)


def test_resumed_bandit_study_matches_an_uninterrupted_one(tmp_path):
    _assert_resume_matches(tmp_path, lambda: kh.searchers.get("successive_halving", max_budget=8), 6, 15)


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


# Budgets from the user's own words ------------------------------------------------------------
def with_epochs(epochs):
    return kh.Space({"x": kh.Float(0, 1), "act": ["relu", "tanh"], "epochs": epochs})


def test_max_budget_is_the_space_epochs_and_leaves_the_params():
    result = kh.tune(curve, with_epochs(9), method="hyperband", seed=0, progress=False)
    assert {t.budget for t in result.records} == {1.0, 3.0, 9.0}
    assert all("epochs" not in t.params for t in result.records)
    assert "epochs" not in result.best_params and result.best_trial.budget == 9.0
    assert "params_epochs" not in result.trials.columns


def test_a_searched_epochs_becomes_the_budget_up_to_its_upper_bound():
    result = kh.tune(curve, with_epochs(kh.Int(1, 10)), method="asha", seed=0, progress=False)
    assert max(t.budget for t in result.records) == 10.0
    assert "epochs" not in result.best_params


def test_fixed_epochs_5_trains_up_to_5_not_1():
    """The issue's case: epochs=5 and max_trials=12 once trained every trial for 1 epoch."""
    result = kh.tune(curve, with_epochs(5), method="hyperband", max_trials=12, seed=0, progress=False)
    assert max(t.budget for t in result.records) == 5.0
    assert result.searcher.budgets == [2.0, 5.0]  # 5 / 3 rounded: whole epochs


@pytest.mark.parametrize("max_budget, eta, expected", [(27, 3, 1), (81, 3, 1), (5, 3, 5 / 3), (16, 2, 1), (10, 3, 10 / 9),
                                                       (2, 3, 2)])
def test_default_min_budget_is_the_smallest_division_by_eta_that_stays_at_least_one(max_budget, eta, expected):
    from keras_hpo.searchers.bandit import default_min_budget

    assert default_min_budget(max_budget, eta) == pytest.approx(expected)


def test_a_max_budget_that_clashes_with_fixed_epochs_names_both_numbers():
    calls = []
    with pytest.raises(ValueError, match=r"max_budget=27 clashes with the space's epochs=5"):
        kh.tune(lambda p, budget: calls.append(p) or 0.0, with_epochs(5),
                method=kh.searchers.get("hyperband", max_budget=27), progress=False)
    assert calls == []


def test_the_budgets_are_logged_in_the_first_line(caplog):
    with caplog.at_level("INFO", logger="keras_hpo"):
        kh.tune(curve, SPACE, method="hyperband", seed=0, progress=False)
    first = caplog.records[0].getMessage()
    assert "budgets 1, 3, 9, 27" in first and "max_budget 27 from the default" in first and "eta=3" in first


# No max_trials needed -------------------------------------------------------------------------
def test_successive_halving_runs_one_set_of_rungs_without_max_trials():
    result = kh.tune(curve, SPACE, method=kh.searchers.get("successive_halving", max_budget=8), seed=0, progress=False)
    assert Counter(t.budget for t in result.records) == {1: 8, 2: 4, 4: 2, 8: 1}


def test_hyperband_runs_one_iteration_and_iterations_gives_more():
    one = kh.tune(curve, SPACE, method=kh.searchers.get("hyperband", max_budget=9), seed=0, progress=False)
    starts = Counter(t.budget for t in one.records if t.resume_from is None)
    assert starts == {1: 9, 3: 5, 9: 3} and len(one.records) == one.searcher.planned == 9 + 3 + 1 + 5 + 1 + 3
    two = kh.tune(curve, SPACE, method=kh.searchers.get("hyperband", max_budget=9, iterations=2), seed=0, progress=False)
    assert len(two.records) == 2 * len(one.records)


def test_asha_runs_until_hyperbands_number_of_full_budget_trials():
    result = kh.tune(curve, SPACE, method="asha", seed=0, progress=False)
    full = [t for t in result.records if t.budget == 27]
    assert len(full) == result.searcher.full_budget_trials == 1 + 1 + 2 + 4  # brackets s=3, 2, 1, 0 of 27/3


def test_the_progress_bar_shows_the_planned_total(monkeypatch):
    import importlib

    tune_module = importlib.import_module("keras_hpo.tune")  # kh.tune is the function
    totals = []
    real = tune_module._progress_bar
    monkeypatch.setattr(tune_module, "_progress_bar", lambda enabled, total, *a, **k: totals.append(total) or real(
        False, total, *a, **k))
    kh.tune(curve, SPACE, method=kh.searchers.get("hyperband", max_budget=9), seed=0, progress=False)
    assert totals == [22]


@pytest.mark.parametrize("method", ["successive_halving", "hyperband", "asha"])
def test_a_finite_space_smaller_than_a_bracket_still_reaches_the_full_budget(method):
    space = kh.Space({"x": [0.1, 0.3, 0.5, 0.7], "act": ["relu"]})  # 4 arms; the first bracket wants 27 (16 for SH)
    result = kh.tune(curve, space, method=method, seed=0, progress=False)
    full = [t for t in result.records if t.budget == 27]
    assert full and full[0].params["x"] == 0.3 and full[0].resume_from is not None
    assert result.best_params["x"] == 0.3 and result.best_trial.budget == 27
    starts = [t.params["x"] for t in result.records if t.resume_from is None]
    assert sorted(starts) == [0.1, 0.3, 0.5, 0.7]  # each arm started once


# The budget stop ------------------------------------------------------------------------------
def test_max_budget_total_counts_the_epochs_each_trial_added():
    result = kh.tune(curve, SPACE, method="asha", max_budget_total=60, seed=0, progress=False)
    by_number = {t.number: t for t in result.records}
    added = [t.budget - (by_number[t.resume_from].budget if t.resume_from is not None else 0) for t in result.records]
    assert sum(added[:-1]) < 60 <= sum(added)  # stops at the first trial that reaches the total
    assert any(t.resume_from is not None for t in result.records)


def test_max_budget_total_is_checked_before_any_trial():
    with pytest.raises(ValueError, match="max_budget_total must be a positive number"):
        kh.tune(curve, SPACE, method="asha", max_budget_total=0, progress=False)


@pytest.mark.parametrize("name", ["hyperband", "successive_halving"])
def test_state_forgets_finished_brackets_and_resume_still_matches(tmp_path, name):
    """The saved state holds open brackets' arms only (it once grew by ~265 bytes a trial), and a study resumed
    after some brackets closed goes on exactly as an uninterrupted one."""
    import json

    def state_bytes(n):
        searcher = kh.searchers.get(name, max_budget=9, eta=3)
        kh.tune(curve, SPACE, method=searcher, max_trials=n, seed=4, progress=False)
        assert any(b.closed for b in searcher.brackets)
        return len(json.dumps(searcher.state_dict()))

    small, large = state_bytes(60), state_bytes(300)
    assert (large - small) / 240 < 3 and large < 3000, (small, large)  # a finished bracket costs 16 bytes

    _assert_resume_matches(tmp_path, lambda: kh.searchers.get(name, max_budget=9, eta=3), 31, 60)
