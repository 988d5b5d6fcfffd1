"""Resume checks what makes a study one experiment, and brings the searcher back exactly."""

import json
import sqlite3

import pytest

import keras_hpo as kh
from keras_hpo.storage import Store
from keras_hpo.testing.older_release import as_if_stored_by_an_older_release

SPACE = {"x": kh.Float(0, 1), "k": ["a", "b"]}


def objective(p):
    return {"loss": p["x"] + (p["k"] == "b"), "acc": 1 - p["x"]}


def _first(db, **options):
    options = {"method": "random", "max_trials": 3, "seed": 1, "metric": "loss", **options}
    return kh.tune(objective, SPACE, storage=db, study="s", progress=False, **options)


def _resume(db, **options):
    options = {"method": "random", "max_trials": 5, "seed": 1, "metric": "loss", **options}
    return kh.tune(objective, SPACE, storage=db, study="s", resume=True, progress=False, **options)


@pytest.mark.parametrize("changed, words", [
    ({"metric": "acc"}, ["metric", "'loss'", "'acc'"]),
    ({"metric": None}, ["metric"]),
    ({"direction": "max"}, ["direction"]),
    ({"seed": 2}, ["seed=1", "not 2"]),
    ({"method": "tpe"}, ["method=", "random"]),
    ({"method": "genetic"}, ["method="]),
])
def test_resume_with_another_setting_is_refused(tmp_path, changed, words):
    db = str(tmp_path / "r.db")
    _first(db)
    with pytest.raises(kh.ResumeMismatch) as error:
        _resume(db, **changed)
    for word in words:
        assert word in str(error.value)
    assert kh.load(db).metric == "loss" and len(kh.load(db).records) == 3  # the stored study keeps its metric


def test_resume_with_other_method_options_is_refused_and_every_difference_listed(tmp_path):
    db = str(tmp_path / "r.db")
    _first(db, method=kh.searchers.get("genetic", population=6))
    with pytest.raises(kh.ResumeMismatch) as error:
        kh.tune(objective, {**SPACE, "x": kh.Float(0, 2)}, method=kh.searchers.get("genetic", population=8, mutation=0.3),
            max_trials=5, seed=4, metric="acc", storage=db, study="s", resume=True, progress=False)
    message = str(error.value)
    for word in ("population=6 stored, 8 given", "mutation=0.5 stored, 0.3 given", "seed", "metric", "space", "x"):
        assert word in message
    _resume(db, method=kh.searchers.get("genetic", population=6))  # the same options resume fine


def test_what_only_says_how_long_may_change(tmp_path):
    db = str(tmp_path / "r.db")
    _first(db, timeout=100)
    result = _resume(db, max_trials=6, timeout=50, target=-5, seed=None)
    assert len(result.records) == 6 and result.seed == 1


def test_the_stored_options_are_json_on_the_study(tmp_path):
    db = str(tmp_path / "r.db")
    _first(db, method=kh.searchers.get("successive_halving", searcher="tpe", max_budget=9))
    with sqlite3.connect(db) as con:
        options = json.loads(con.execute("SELECT method_options FROM studies").fetchone()[0])
    assert options["max_budget"] == 9 and options["searcher"] == "tpe"


def test_options_describe_the_constructor_arguments():
    assert kh.searchers.get("random").options() == {}
    assert kh.searchers.get("grid").options() == {"shuffle": False}
    assert kh.searchers.get("talos", seed=3).options()["seed"] == 3
    nested = kh.searchers.get("hyperband", searcher=kh.searchers.get("tpe", gamma=0.3)).options()
    assert nested["searcher"]["method"] == "tpe" and nested["searcher"]["options"]["gamma"] == 0.3
    manual = kh.searchers.get("manual", trials=[{"x": 0.5, "k": ("a",)}]).options()
    assert json.loads(json.dumps(manual)) == {"trials": [{"x": 0.5, "k": ["a"]}]}


# --- the searcher state: constant size, saved once per trial, resumed exactly --------------
def test_searcher_state_does_not_grow_with_the_study():
    searcher = kh.searchers.get("random")
    searcher.setup(kh.Space(SPACE), "min", 0)
    sizes = []
    for number in range(2000):
        [s] = searcher.ask()
        searcher.tell(kh.Trial(number=number, params=s.params, state=kh.TrialState.COMPLETE, value=0.0))
        if number in (10, 1999):
            sizes.append(len(json.dumps(searcher.state_dict())))
    assert sizes[1] <= sizes[0] + 16


def test_the_state_is_saved_once_per_trial_not_twice(tmp_path, monkeypatch):
    saved = []
    real = Store.save

    def counting(self, study, trial, state=None):
        saved.append(state is not None)
        return real(self, study, trial, state)

    monkeypatch.setattr(Store, "save", counting)
    kh.tune(lambda p: p["x"], SPACE, max_trials=20, storage=str(tmp_path / "r.db"), study="s", progress=False)
    assert sum(saved) == 20


@pytest.mark.parametrize("method", ["random", "grid", "genetic", "annealing", "tabu", "pso", "ant_colony", "tpe",
                                    "successive_halving"])
@pytest.mark.parametrize("crash_at", [1, 4, 7])
def test_a_crash_then_resume_gives_the_trials_of_an_uninterrupted_run(tmp_path, monkeypatch, method, crash_at):
    space = {"x": kh.Float(0, 1, step=0.05), "k": ["a", "b", "c"]}

    def f(p, budget=None):
        return p["x"] + {"a": 0, "b": 0.3, "c": 0.6}[p["k"]]

    def run(db, resume=False):
        return kh.tune(f, space, method=method, max_trials=10, seed=3, storage=db, study="s", resume=resume,
                       progress=False)

    whole = run(str(tmp_path / "whole.db"))
    real, calls = Store.save, {"n": 0}

    def crashing(self, study, trial, state=None):
        if state is not None:
            calls["n"] += 1
            if calls["n"] == crash_at + 1:
                raise KeyboardInterrupt  # inside the write that would start the next trial
        return real(self, study, trial, state)

    monkeypatch.setattr(Store, "save", crashing)
    with pytest.raises(KeyboardInterrupt):
        run(str(tmp_path / "cut.db"))
    monkeypatch.setattr(Store, "save", real)
    resumed = run(str(tmp_path / "cut.db"), resume=True)
    assert [(t.params, t.budget) for t in resumed.records] == [(t.params, t.budget) for t in whole.records]


@pytest.mark.parametrize("method, drop", [
    ("annealing", ["polish", "jump"]), ("tabu", ["polish", "redraw"]), ("pso", ["polish", "craziness"]),
    ("genetic", ["polish"]), ("ant_colony", ["polish", "restart"]),
])
def test_a_study_stored_before_an_option_existed_resumes_with_it_off(tmp_path, method, drop):
    db = str(tmp_path / "r.db")
    _first(db, method=method, max_trials=12)
    as_if_stored_by_an_older_release(db, drop, {"min_step": 1e-7} if method == "annealing" else None)
    result = _resume(db, method=method, max_trials=20)
    assert len(result.records) == 20
    options = result.searcher.options()
    assert all(options[name] == type(result.searcher).options_added[name] for name in drop)
    if method == "annealing":
        assert options["min_step"] == 1e-7  # a default changed since: the study keeps the one it began with
    with sqlite3.connect(db) as con:
        stored = json.loads(con.execute("SELECT method_options FROM studies").fetchone()[0])
    assert not set(drop) & set(stored)  # the record of the study is not rewritten


def test_an_option_the_caller_gives_must_still_match_the_stored_study(tmp_path):
    db = str(tmp_path / "r.db")
    _first(db, method="annealing", max_trials=6)
    as_if_stored_by_an_older_release(db, ["polish"])
    with pytest.raises(kh.ResumeMismatch, match="polish=0.0 stored, 0.5 given"):
        _resume(db, method=kh.searchers.get("annealing", polish=0.5))
    assert len(_resume(db, method=kh.searchers.get("annealing", polish=0.0), max_trials=8).records) == 8
