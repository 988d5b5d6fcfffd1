"""``method="auto"``: what it chooses, when it switches, and that the history is logged, stored and resumed."""

import logging
import subprocess
import sys

import pytest

import keras_hpo as kh
from keras_hpo import searchers
from keras_hpo.testing.conformance import drive
from keras_hpo.testing.objectives import BRANIN, ROSENBROCK4


def _auto(space, seed=0, **plan):
    searcher = searchers.get("auto")
    searcher.plan(**plan)
    searcher.setup(space, "min", seed)
    return searcher


def test_is_the_default_of_tune():
    result = kh.tune(BRANIN, BRANIN.space, max_trials=12, seed=0, progress=False)
    assert result.method == "auto"
    assert result.method_history[0] == {"method": "bayes", "at_trial": 0, "reason": result.method_history[0]["reason"]}
    # polishing takes a share as soon as its model can be fitted: 2 d + 3 = 7 trials on Branin's 2-d
    assert [(s["method"], s["at_trial"]) for s in result.method_history[1:]] == [("bayes+polish", 7)]


def test_a_finite_space_that_fits_is_enumerated():
    space = {"a": [1, 2, 3], "b": ["x", "y"]}
    result = kh.tune(lambda p: p["a"], space, max_trials=10, seed=0, progress=False)
    assert result.method_history[0]["method"] == "grid"
    assert len(result.records) == 6  # every point once, then done
    assert _auto(kh.Space(space), max_trials=5).method == "bayes"  # too many points for the budget


def test_many_workers_get_cmaes():
    assert _auto(ROSENBROCK4.space, n_workers=16).method == "cmaes"
    assert _auto(ROSENBROCK4.space, n_workers=4).method == "bayes"


def test_switches_to_cmaes_at_the_best_point(caplog):
    searcher = searchers.get("auto", switch_after=15)
    searcher.setup(ROSENBROCK4.space, "min", 0)
    with caplog.at_level(logging.INFO, logger="keras_hpo"):
        trials = drive(searcher, 40, objective=ROSENBROCK4.fn)
    assert [(s["method"], s["at_trial"]) for s in searcher.method_history] == [
        ("bayes", 0), ("bayes+polish", 11), ("cmaes+polish", 15)]
    assert "switching to cmaes" in caplog.text
    best_before = min(trials[:15], key=lambda t: t.value).params
    assert searcher.delegate.x0 == best_before


@pytest.mark.slow
def test_a_stalled_gp_hands_over():
    searcher = searchers.get("auto", stall_after=5)
    searcher.setup(BRANIN.space, "min", 0)
    drive(searcher, 210, objective=lambda p: 1.0)  # nothing ever improves after the first trial
    # polishing takes a share from trial 2 d + 3 = 7 on, and goes on under CMA-ES
    assert [(s["method"], s["at_trial"]) for s in searcher.method_history] == [
        ("bayes", 0), ("bayes+polish", 7), ("cmaes+polish", 200)]


def test_history_is_stored_and_a_resumed_study_replays_it(tmp_path):
    db = str(tmp_path / "auto.db")
    method = searchers.get("auto", switch_after=20)
    first = kh.tune(ROSENBROCK4, ROSENBROCK4.space, method=method, max_trials=30, storage=db, study="s", seed=3,
                    progress=False)
    assert [s["method"] for s in first.method_history] == ["bayes", "bayes+polish", "cmaes+polish"]
    assert kh.load(db).method_history == first.method_history
    again = kh.tune(ROSENBROCK4, ROSENBROCK4.space, method=searchers.get("auto", switch_after=20), max_trials=40,
                    storage=db, study="s", resume=True, progress=False)
    assert again.method_history == first.method_history and len(again.records) == 40


def test_a_fixed_method_reports_itself():
    result = kh.tune(BRANIN, BRANIN.space, method="random", max_trials=3, seed=0, progress=False)
    assert [s["method"] for s in result.method_history] == ["random"]


@pytest.mark.parametrize("options, name", [({"switch_after": 0}, "switch_after"), ({"stall_after": "x"}, "stall_after")])
def test_bad_options_fail_before_any_trial(options, name):
    with pytest.raises(ValueError, match=name):
        kh.tune(BRANIN, BRANIN.space, method=searchers.get("auto", **options), max_trials=3, progress=False)


def test_the_command_line_defaults_to_auto(tmp_path):
    (tmp_path / "space.json").write_text('{"a": [1, 2, 3], "b": [0, 1]}')
    (tmp_path / "obj.py").write_text("def f(p):\n    return p['a'] + p['b']\n")
    db = tmp_path / "cli.db"
    out = subprocess.run([sys.executable, "-m", "keras_hpo.cli", "run", "obj:f", "--space", "space.json", "--trials", "6",
                          "--storage", str(db), "--no-progress"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "method=auto" in out.stdout
    assert kh.load(str(db)).method_history[0]["method"] == "grid"


def test_auto_is_exactly_bayes_with_the_same_seed_until_it_polishes_or_switches():
    runs = []
    for method, options in (("auto", {}), ("auto", {"polish": 0.0}), ("auto", {"polish_from": 60}), ("bayes", {})):
        searcher = searchers.get(method, **options)
        searcher.setup(BRANIN.space, "min", 7)
        runs.append([t.params for t in drive(searcher, 25, objective=BRANIN.fn)])
    assert runs[1] == runs[2] == runs[3]
    assert runs[0][:7] == runs[3][:7] and runs[0] != runs[3]  # by default polishing takes a share from trial 7


def test_budget_auto_puts_hyperband_with_bayes_around_a_space_with_epochs():
    def objective(params, budget):
        return (params["x"] - 0.3) ** 2 + 1.0 / budget

    result = kh.tune(objective, {"x": kh.Float(0, 1), "epochs": 9}, budget="auto", seed=0, progress=False)
    assert [s["method"] for s in result.method_history] == ["hyperband"]
    assert sorted({t.budget for t in result.records}) == [1.0, 3.0, 9.0]
    assert result.searcher.inner.name == "bayes"
    assert abs(result.best_params["x"] - 0.3) < 0.1 and "epochs" not in result.best_params


@pytest.mark.parametrize("kwargs, message", [
    ({"budget": "yes"}, "budget must be None or 'auto'"),
    ({"budget": 10}, "budget must be None or 'auto'"),
    ({"budget": "auto", "method": "random"}, "budget: budget='auto' lets method='auto'"),
    ({"budget": "auto", "space": {"x": kh.Float(0, 1)}}, "budget: .*'epochs' entry"),
    ({"budget": "auto", "space": {"x": kh.Float(0, 1), "epochs": 2}}, "budget: .*at least 3"),
])
def test_bad_budget_fails_before_any_trial(kwargs, message):
    calls = []

    def objective(params, budget=1):
        calls.append(params)
        return params["x"]

    kwargs = {"space": {"x": kh.Float(0, 1), "epochs": 9}, **kwargs}
    with pytest.raises(ValueError, match=message):
        kh.tune(objective, kwargs.pop("space"), max_trials=3, progress=False, **kwargs)
    assert calls == []
