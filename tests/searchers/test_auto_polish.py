"""``auto`` hands a long run's refinement to polishing (``_moves.Polish``) and keeps its short runs as they were.

These tests fail with ``polish=0`` as the default, with polishing starting before trial 60 under
``polish_from=60`` (the behaviour before ``polish_from="model"``) or later than ``2 d + 3`` trials by default, or
without the polishing state in ``state_dict``.
"""

from __future__ import annotations

import json
import logging

import pytest

import keras_hpo as kh
from keras_hpo import searchers
from keras_hpo.searchers.auto import AutoSearch
from keras_hpo.testing import instances
from keras_hpo.testing.conformance import drive
from keras_hpo.testing.objectives import BRANIN
from keras_hpo.testing.older_release import as_if_stored_by_an_older_release
from keras_hpo.trial import Trial, TrialState


def make(seed=0, space=BRANIN.space, **options):
    searcher = searchers.get("auto", **options)
    searcher.setup(space, "min", seed)
    return searcher


def test_polishing_takes_a_long_run_to_float_precision_where_the_gp_alone_stalls(caplog):
    """A pilot instance (shifted camel, seed 100), 100 evaluations: the GP's own steps stop near 1e-7,
    polishing from trial 2 d + 3 = 7 on reaches 1e-12."""
    problem = instances.pilot("camel", 100)
    regrets = {}
    for polish in (0.5, 0.0):
        searcher = make(100, problem.space, polish=polish)
        with caplog.at_level(logging.INFO, logger="keras_hpo"):
            trials = drive(searcher, 100, objective=problem.fn)
        regrets[polish] = problem.regret(min(t.value for t in trials))
        if polish:
            assert [(s["method"], s["at_trial"]) for s in searcher.method_history] == [("bayes", 0),
                                                                                       ("bayes+polish", 7)]
            assert searcher.polisher.steps >= 5 and searcher.polisher.successes >= 3
            assert "bayes also polishes" in caplog.text
        else:
            assert [s["method"] for s in searcher.method_history] == ["bayes"]
    assert regrets[0.5] < 1e-12 < 1e-4 * regrets[0.0]


def test_with_polish_from_60_the_first_60_trials_are_the_run_before_polishing():
    runs = []
    for polish in (0.5, 0.0):
        searcher = make(7, polish=polish, polish_from=60)  # Branin: 2-d, so 10 (d + 2) = 40 alone would start earlier
        runs.append([t.params for t in drive(searcher, 60, objective=BRANIN.fn)])
        assert searcher.polisher is None or searcher.polisher.steps == 0
    assert runs[0] == runs[1]


def test_resume_while_polishing_carries_on_identically():
    """Mid-polishing with two suggestions out: the state goes through JSON, the restored searcher is told the
    same trials and asks the same points, polishing steps and GP steps alike."""
    problem = instances.pilot("camel", 101)
    original = make(3, problem.space)
    told = drive(original, 75, objective=problem.fn)
    assert original.polisher.steps >= 2
    running = original.ask(3)
    told.append(Trial(len(told), running[0].params, TrialState.COMPLETE, value=problem.fn(running[0].params)))
    original.tell(told[-1])
    state = json.loads(json.dumps(original.state_dict()))
    assert "polish" in state and state["method_history"][-1]["method"] == "bayes+polish"
    restored = make(3, problem.space)
    for trial in told:
        restored.tell(trial)
    restored.load_state_dict(state)
    for s in running[1:]:
        trial = Trial(len(told), s.params, TrialState.COMPLETE, value=problem.fn(s.params))
        told.append(trial)
        original.tell(trial)
        restored.tell(trial)
    steps = original.polisher.steps
    for _ in range(15):
        [asked] = original.ask(1)
        assert [asked.params] == [s.params for s in restored.ask(1)]
        trial = Trial(len(told), asked.params, TrialState.COMPLETE, value=problem.fn(asked.params))
        told.append(trial)
        original.tell(trial)
        restored.tell(trial)
    assert original.polisher.steps > steps  # polishing steps were among the points compared
    assert restored.polisher.sigma == original.polisher.sigma
    assert restored.method_history == original.method_history


@pytest.mark.parametrize(("option", "value"), [
    *[("polish", v) for v in (1.0, -0.1, "half", True, None)],
    *[("polish_from", v) for v in (0, -5, 2.5, True, "early", None)],
])
def test_a_bad_polishing_option_fails_before_any_trial(option, value):
    calls = []
    with pytest.raises(ValueError, match=option):
        kh.tune(lambda p: calls.append(p) or p["x"], {"x": kh.Float(0, 1)},
                method=searchers.get("auto", **{option: value}), max_trials=3, progress=False)
    assert calls == []


def test_a_study_stored_before_polishing_existed_resumes_without_it(tmp_path):
    assert AutoSearch.options_added == {"polish": 0.0, "polish_from": 60}
    db = str(tmp_path / "old.db")
    kh.tune(BRANIN, BRANIN.space, max_trials=8, storage=db, study="s", seed=1, progress=False)
    as_if_stored_by_an_older_release(db, ["polish", "polish_from"])
    result = kh.tune(BRANIN, BRANIN.space, max_trials=10, storage=db, study="s", resume=True, progress=False)
    assert len(result.records) == 10 and result.searcher.options()["polish"] == 0.0
    assert result.searcher.polisher is None


def test_an_enumerated_space_is_not_polished():
    searcher = searchers.get("auto")
    searcher.plan(max_trials=10)
    searcher.setup({"a": [1, 2, 3], "b": [0.5, 1.5]}, "min", 0)
    assert searcher.method == "grid" and searcher.polisher is None


def test_batches_mix_polishing_and_gp_steps_without_repeats_on_a_conditional_space():
    """Parallel workers past trial 60 on a mixed, conditional space: every point once, polishing steps among them,
    each pending on the delegate (the GP accounts for it) until told."""
    from keras_hpo.testing.objectives import MIXED

    searcher = make(5, MIXED.space)
    trials = drive(searcher, 64, batch=4, objective=MIXED.fn)
    batch = searcher.ask(4)
    assert {MIXED.space.key(s.params) for s in batch} == {MIXED.space.key(p) for p in searcher.delegate.pending}
    for s in batch:
        trials.append(Trial(len(trials), s.params, TrialState.COMPLETE, value=MIXED.fn(s.params)))
        searcher.tell(trials[-1])
    trials += drive(searcher, 20, batch=4, objective=MIXED.fn)
    keys = [MIXED.space.key(t.params) for t in trials]
    assert len(set(keys)) == len(keys) == 88
    assert searcher.polisher.steps >= 3 and not searcher.delegate.pending


def test_polishing_from_the_first_model_helps_a_smooth_problem_at_30_evaluations():
    """Seen SEALED instances (Schwefel 2.22 in 4-d, seeds 5000-5006), 30 evaluations: polishing from trial
    2 d + 3 = 11 (quadratic models without cross terms until a full one fits) against ``polish_from=60`` (the
    previous behaviour: no polishing before trial 60, so plain ``bayes`` here)."""
    import numpy as np

    regrets = {"model": [], 60: []}
    for seed in range(5000, 5007):
        problem = instances.sealed("schwefel222_4", seed)
        for start in regrets:
            searcher = make(seed, problem.space, polish_from=start)
            trials = drive(searcher, 30, objective=problem.fn)
            regrets[start].append(problem.regret(min(t.value for t in trials)))
            assert (searcher.polisher.steps > 0) == (start == "model")
    wins = sum(a < b for a, b in zip(regrets["model"], regrets[60]))
    assert wins >= 5 and np.median(regrets["model"]) < 0.8 * np.median(regrets[60])


def test_a_study_stored_before_polish_from_existed_resumes_polishing_from_trial_60(tmp_path):
    db = str(tmp_path / "old.db")
    kh.tune(BRANIN, BRANIN.space, method=searchers.get("auto", polish_from=60), max_trials=8, storage=db, study="s",
            seed=1, progress=False)
    as_if_stored_by_an_older_release(db, ["polish_from"])
    result = kh.tune(BRANIN, BRANIN.space, max_trials=12, storage=db, study="s", resume=True, progress=False)
    assert len(result.records) == 12 and result.searcher.options()["polish_from"] == 60
    assert result.searcher.polisher.start == 60 and result.searcher.polisher.steps == 0


def test_polishing_starts_after_bayes_s_design_where_the_design_is_the_longer_of_the_two():
    one = make(space=kh.Space({"x": kh.Float(-1, 1)}))  # design of 5 points; 2 d + 3 = 5 would overlap it
    assert one.delegate.design_size == 5 and one.polisher.start == 7
    four = make(space=kh.Space({f"x{i}": kh.Float(-1, 1) for i in range(4)}))
    assert four.delegate.design_size == 5 and four.polisher.start == 11
