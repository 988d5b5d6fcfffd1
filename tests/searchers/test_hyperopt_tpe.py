"""The Hyperopt searchers call Hyperopt's own algorithms and reproduce ``hyperopt.fmin``."""

import math

import hyperopt
import numpy as np
import pytest
from hyperopt import Trials, fmin, hp, tpe

import keras_hpo as kh
from keras_hpo import searchers
from keras_hpo.searchers.hyperopt_tpe import to_hyperopt
from keras_hpo.testing.conformance import MIXED, drive
from keras_hpo.testing.objectives import BRANIN
from keras_hpo.trial import Trial, TrialState


def _fmin_points(fn, space, seed, evals, **algo_options):
    trials = Trials()
    algo = tpe.suggest if not algo_options else (lambda *a: tpe.suggest(*a, **algo_options))
    fmin(fn, space, algo=algo, max_evals=evals, trials=trials, rstate=np.random.default_rng(seed),
         show_progressbar=False)
    return [{k: v[0] for k, v in t["misc"]["vals"].items()} for t in trials.trials]


@pytest.mark.parametrize("seed", [0, 7])
def test_same_points_as_fmin_on_branin(seed):
    # 30 evaluations: 20 random start-up points, then 10 from TPE's posterior
    raw = _fmin_points(BRANIN.fn, {"x1": hp.uniform("x1", -5, 10), "x2": hp.uniform("x2", 0, 15)}, seed, 30)
    result = kh.tune(BRANIN.fn, BRANIN.space, method="tpe", max_trials=30, seed=seed, progress=False)
    assert [t.params for t in result.records] == raw


def test_same_points_as_fmin_on_choices_log_and_steps():
    space = {"opt": ["sgd", "adam", "rmsprop"], "lr": kh.Float(1e-5, 1.0, log=True),
             "dropout": kh.Float(0.0, 0.5, step=0.05)}
    best = {"sgd": -1.0, "adam": -3.0, "rmsprop": -2.5}

    def loss(p):
        return (math.log10(p["lr"]) - best[p["opt"]]) ** 2 + (p["dropout"] - 0.2) ** 2

    raw_space = {"opt": hp.choice("opt", ["sgd", "adam", "rmsprop"]),
                 "lr": hp.loguniform("lr", math.log(1e-5), 0.0),
                 "dropout": hp.quniform("dropout", -0.025, 0.525, 0.05)}
    raw = _fmin_points(loss, raw_space, 3, 30, n_startup_jobs=10)
    result = kh.tune(loss, space, method=searchers.get("tpe", n_startup_jobs=10), max_trials=30, seed=3, progress=False)
    ours = [t.params for t in result.records]
    assert [p["opt"] for p in ours] == [["sgd", "adam", "rmsprop"][r["opt"]] for r in raw]  # values, not indices
    assert [p["lr"] for p in ours] == [r["lr"] for r in raw]
    assert [p["dropout"] for p in ours] == pytest.approx([r["dropout"] for r in raw], abs=1e-12)


@pytest.mark.parametrize("name, module", [("tpe", "tpe"), ("anneal", "anneal"), ("hyperopt_random", "rand")])
def test_the_real_hyperopt_algorithm_is_called(monkeypatch, name, module):
    real = getattr(hyperopt, module).suggest
    calls = []

    def spy(new_ids, domain, trials, seed, **options):
        calls.append((list(new_ids), len(trials.trials), options))
        return real(new_ids, domain, trials, seed, **options)

    monkeypatch.setattr(getattr(hyperopt, module), "suggest", spy)
    searcher = searchers.get(name)
    searcher.setup(MIXED, "min", 0)
    drive(searcher, 8)
    assert [c[0] for c in calls] == [[i] for i in range(8)]
    assert [c[1] for c in calls] == list(range(8))  # Hyperopt saw every earlier trial


def test_tpe_options_reach_hyperopt(monkeypatch):
    seen = []
    real = tpe.suggest
    monkeypatch.setattr(tpe, "suggest", lambda *a, **o: seen.append(o) or real(*a, **o))
    searcher = searchers.get("tpe", n_startup_jobs=4, n_EI_candidates=7, gamma=0.3, prior_weight=0.5)
    searcher.setup(BRANIN.space, "min", 0)
    drive(searcher, 6, objective=BRANIN.fn)
    assert seen[0] == {"n_startup_jobs": 4, "n_EI_candidates": 7, "gamma": 0.3, "prior_weight": 0.5, "verbose": False}


def test_parallel_asks_show_pending_trials_to_hyperopt(monkeypatch):
    sizes = []
    real = tpe.suggest

    def spy(new_ids, domain, trials, seed, **options):
        sizes.append([d["state"] for d in trials.trials])
        return real(new_ids, domain, trials, seed, **options)

    monkeypatch.setattr(tpe, "suggest", spy)
    searcher = searchers.get("tpe", n_startup_jobs=3)
    searcher.setup(BRANIN.space, "min", 0)
    drive(searcher, 4, objective=BRANIN.fn)
    sizes.clear()
    batch = searcher.ask(3)
    assert len({searcher.space.key(s.params) for s in batch}) == 3
    new, done = hyperopt.JOB_STATE_NEW, hyperopt.JOB_STATE_DONE
    assert sizes == [[done] * 4, [done] * 4 + [new], [done] * 4 + [new, new]]


def test_conditional_space_becomes_nested_choices():
    expr, codecs = to_hyperopt(MIXED)
    assert set(codecs) == {"layers", "units_1", "units_2", "activation", "learning_rate", "dropout", "batch_size"}
    assert "layers|branch" in expr and "units_1" not in expr  # units_* live under the layers branches
    searcher = searchers.get("hyperopt_random")
    searcher.setup(MIXED, "min", 1)
    trials = drive(searcher, 40)
    for t in trials:
        assert MIXED.contains(t.params)
        assert ("units_1" in t.params) == (t.params["layers"] >= 2)
        assert ("units_2" in t.params) == (t.params["layers"] == 3)
        assert isinstance(t.params["activation"], str) and t.params["batch_size"] in (16, 32, 64)
    # Hyperopt's own records agree: units_2 is recorded only for the 3-layer trials
    docs = searcher._trials.trials
    assert [bool(d["misc"]["vals"]["units_2"]) for d in docs] == [t.params["layers"] == 3 for t in trials]


def test_tpe_improves_on_its_startup_points():
    result = kh.tune(BRANIN.fn, BRANIN.space, method=searchers.get("tpe", n_startup_jobs=10), max_trials=60, seed=0,
                     progress=False)
    values = [t.value for t in result.records]
    assert min(values[10:]) < min(values[:10])


def test_failed_and_pruned_trials_reach_hyperopt():
    searcher = searchers.get("tpe", n_startup_jobs=2)
    searcher.setup(BRANIN.space, "min", 0)
    a, b, c = (searcher.ask()[0].params for _ in range(3))
    searcher.tell(Trial(0, a, TrialState.FAILED, error="boom"))
    searcher.tell(Trial(1, b, TrialState.PRUNED, value=5.0))
    searcher.tell(Trial(2, c, TrialState.COMPLETE, value=1.0))
    results = [d["result"] for d in searcher._trials.trials]
    assert results == [{"status": "fail"}, {"status": "ok", "loss": 5.0}, {"status": "ok", "loss": 1.0}]
    assert BRANIN.space.contains(searcher.ask()[0].params)


def test_maximising_gives_hyperopt_the_negated_value():
    searcher = searchers.get("tpe")
    searcher.setup(BRANIN.space, "max", 0)
    [s] = searcher.ask()
    searcher.tell(Trial(0, s.params, TrialState.COMPLETE, value=3.0))
    assert searcher._trials.trials[0]["result"]["loss"] == -3.0


def test_a_space_hyperopt_cannot_express_fails_before_any_trial():
    space = kh.Space({"x": kh.Float(0, 1), "y": kh.Float(0, 1, when={"x": [0.5]})})
    calls = []
    with pytest.raises(ValueError, match="parameter 'x'.*continuous"):
        kh.tune(lambda p: calls.append(p) or 0.0, space, method="tpe", max_trials=5, progress=False)
    assert calls == []


@pytest.mark.parametrize("options, match", [
    ({"n_startup_jobs": -1}, "n_startup_jobs"), ({"n_EI_candidates": 0}, "n_EI_candidates"),
    ({"gamma": 1.5}, "gamma"), ({"prior_weight": 0}, "prior_weight"), ({"gamma": "x"}, "gamma"),
])
def test_bad_options_fail_at_setup_naming_the_option(options, match):
    searcher = searchers.get("tpe", **options)  # constructors only store
    with pytest.raises(ValueError, match=match):
        searcher.setup(BRANIN.space, "min", 0)


def test_anneal_options_are_checked():
    with pytest.raises(ValueError, match="shrink_coef"):
        searchers.get("anneal", shrink_coef=-1).setup(BRANIN.space, "min", 0)


def test_finite_space_is_exhausted_exactly():
    space = kh.Space({"a": [1, 2, 3], "b": kh.Int(0, 3)})
    result = kh.tune(lambda p: p["a"] * p["b"], space, method="tpe", seed=0, progress=False)
    assert len(result.records) == 12 == len({space.key(t.params) for t in result.records})


class _Stop(BaseException):
    """Not an Exception, so it escapes the trial like a kill would (the trial stays RUNNING in the store)."""


@pytest.mark.parametrize("method", ["tpe", "anneal"])
def test_killed_run_resumes_where_it_stopped(tmp_path, method):
    db = str(tmp_path / "runs.db")
    calls = {"n": 0}

    def dies_once(p):
        calls["n"] += 1
        if calls["n"] == 9:
            raise _Stop()
        return BRANIN.fn(p)

    make = (lambda: searchers.get("tpe", n_startup_jobs=5)) if method == "tpe" else (lambda: searchers.get(method))
    with pytest.raises(_Stop):
        kh.tune(dies_once, BRANIN.space, method=make(), max_trials=16, seed=4, storage=db, study="s", progress=False)
    stored = kh.load(db, "s")
    assert len(stored.completed) == 8 and stored.records[-1].state is TrialState.RUNNING
    resumed = kh.tune(BRANIN.fn, BRANIN.space, method=make(), max_trials=16, seed=4, storage=db, study="s",
                      resume=True, progress=False)
    assert len(resumed.records) == 16 and len(resumed.completed) == 16
    straight = kh.tune(BRANIN.fn, BRANIN.space, method=make(), max_trials=16, seed=4, progress=False)
    assert [t.params for t in resumed.records] == [t.params for t in straight.records]


def test_docstring_example():
    import doctest

    import keras_hpo.searchers.hyperopt_tpe as module

    failures, tried = doctest.testmod(module)
    assert tried > 0 and failures == 0
