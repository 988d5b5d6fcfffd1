"""The Talos searcher takes its rows from Talos's own ParamSpace; results convert to Talos's table."""

import importlib
import sys
import warnings

import numpy as np
import pytest

import keras_hpo as kh
from keras_hpo import searchers
from keras_hpo.errors import SearchExhausted
from keras_hpo.searchers.talos_scan import RANDOM_METHODS, _import_talos, to_talos
from keras_hpo.trial import TrialState

ParamSpace = _import_talos("talos.parameters.ParamSpace").ParamSpace

TALOS_PARAMS = {"lr": [0.001, 0.01, 0.1], "units": [8, 16], "activation": ["relu", "elu"], "dropout": [0.0, 0.25]}


def _talos_rows(params, **options):
    scan = ParamSpace(params, list(params), **options)
    rows = []
    while (row := scan.round_parameters()) is not False:
        rows.append(row)
    return rows


def _all_suggestions(searcher):
    out = []
    while True:
        try:
            batch = searcher.ask(2)
        except SearchExhausted:
            return out
        out += [s.params for s in batch]


def test_grid_order_is_talos_order():
    searcher = searchers.get("talos")
    searcher.setup(TALOS_PARAMS, "min", 0)
    assert _all_suggestions(searcher) == _talos_rows(TALOS_PARAMS)


@pytest.mark.parametrize("method", [m for m in RANDOM_METHODS if m not in ("uniform_crypto", "quantum", "ambience")])
def test_every_seeded_random_method_gives_talos_rows(method):
    searcher = searchers.get("talos", random_method=method, round_limit=7)
    searcher.setup(TALOS_PARAMS, "min", 5)
    assert _all_suggestions(searcher) == _talos_rows(TALOS_PARAMS, random_method=method, round_limit=7, seed=5)


def test_fraction_limit_seed_and_boolean_limit_pass_through():
    def keep(p):
        return not (p["units"] == 16 and p["dropout"] > 0)

    searcher = searchers.get("talos", fraction_limit=0.5, boolean_limit=keep, seed=11)
    searcher.setup(TALOS_PARAMS, "min", 0)  # the option's seed wins over the study seed
    got = _all_suggestions(searcher)
    assert got == _talos_rows(TALOS_PARAMS, fraction_limit=0.5, boolean_limit=keep, seed=11)
    assert 0 < len(got) <= 12 and all(keep(p) for p in got)


def test_uniform_crypto_is_unseeded_but_stays_in_the_space():
    searcher = searchers.get("talos", random_method="uniform_crypto", round_limit=5)
    searcher.setup(TALOS_PARAMS, "min", 0)
    got = _all_suggestions(searcher)
    assert len(got) == 5 and all(searcher.space.contains(p) for p in got)


def test_the_real_param_space_is_used(monkeypatch):
    module = importlib.import_module("talos.parameters.ParamSpace")
    built, rounds = [], []
    real_init, real_round = module.ParamSpace.__init__, module.ParamSpace.round_parameters

    def init(self, params, *args, **kwargs):
        built.append((params, kwargs))
        real_init(self, params, *args, **kwargs)

    def round_parameters(self):
        rounds.append(1)
        return real_round(self)

    monkeypatch.setattr(module.ParamSpace, "__init__", init)
    monkeypatch.setattr(module.ParamSpace, "round_parameters", round_parameters)
    result = kh.tune(lambda p: p["lr"], TALOS_PARAMS, method=searchers.get("talos", round_limit=4), seed=2, progress=False)
    assert len(result.records) == 4
    [(params, kwargs)] = built
    assert params == TALOS_PARAMS and kwargs["round_limit"] == 4 and kwargs["seed"] == 2
    assert len(rounds) == 5  # four rows, then Talos's "no more rows"


def test_talos_params_dict_is_the_space():
    params = {"lr": (0.1, 0.5, 4), "units": (16, 64, 3), "batch_size": [32], "epochs": 5}
    result = kh.tune(lambda p: p["lr"] * p["units"], params, method="talos", seed=0, progress=False)
    assert len(result.records) == 12  # 4 x 3, and the scan ends on its own
    best = result.best_params
    assert best == {"lr": 0.1, "units": 16, "batch_size": 32, "epochs": 5}
    lrs = sorted({t.params["lr"] for t in result.records})
    assert lrs == [0.1, 0.2, 0.3, 0.4]


def test_conditional_space_collapses_inactive_parameters():
    space = kh.Space({"a": [1, 2, 3], "b": ["x", "y"], "c": kh.Int(0, 2, when={"b": ["y"]})})
    searcher = searchers.get("talos")
    searcher.setup(space, "min", 0)
    got = _all_suggestions(searcher)
    assert len(got) == space.cardinality == 12
    assert len({space.key(p) for p in got}) == 12 and all(space.contains(p) for p in got)


@pytest.mark.parametrize("space, match", [
    ({"lr": kh.Float(1e-4, 1e-1, log=True)}, "parameter 'lr': Talos has no log ranges"),
    ({"units": kh.Int(8, 64, log=True)}, "parameter 'units': Talos has no log ranges"),
    ({"x": kh.Float(0, 1)}, "parameter 'x': Talos needs a finite list"),
])
def test_what_talos_cannot_express_fails_before_any_trial(space, match):
    calls = []
    with pytest.raises(ValueError, match=match):
        kh.tune(lambda p: calls.append(p) or 0.0, space, method="talos", max_trials=3, progress=False)
    assert calls == []


@pytest.mark.parametrize("options, match", [
    ({"random_method": "coin_flip"}, "random_method"), ({"fraction_limit": 2.0}, "fraction_limit"),
    ({"round_limit": 0}, "round_limit"), ({"fraction_limit": 0.5, "round_limit": 3}, "not both"),
    ({"boolean_limit": 3}, "boolean_limit"), ({"seed": -1}, "seed"),
    ({"fraction_limit": 0.01}, "fraction_limit: Talos could not"),  # Talos: "Limiters lead to < 1 permutations"
])
def test_bad_options_fail_at_setup(options, match):
    searcher = searchers.get("talos", **options)
    with pytest.raises(ValueError, match=match):
        searcher.setup(TALOS_PARAMS, "min", 0)


def test_a_grid_walk_cut_by_max_trials_says_it_varies_only_the_last_parameters(caplog):
    """talos.Scan(round_limit=10) samples 10 rows across the grid; method="talos" with max_trials=10 takes the first
    10 rows of the grid walk, where "lr" (the first parameter) never changes: the run says so and how to sample."""
    objective = lambda p: p["lr"]  # noqa: E731
    with caplog.at_level("WARNING", logger="keras_hpo"):
        walk = kh.tune(objective, TALOS_PARAMS, method="talos", max_trials=4, seed=0, progress=False)
    assert {t.params["lr"] for t in walk.records} == {0.001}
    assert "walks all 24 rows of the grid" in caplog.text and "kh.searchers.get('talos', round_limit=10)" in caplog.text
    caplog.clear()
    with caplog.at_level("WARNING", logger="keras_hpo"):
        sampled = kh.tune(objective, TALOS_PARAMS, method=searchers.get("talos", round_limit=4), seed=0, progress=False)
        kh.tune(objective, TALOS_PARAMS, method="talos", seed=0, progress=False)  # the whole grid: nothing cut
    assert "walks all" not in caplog.text
    assert [t.params for t in sampled.records] == _talos_rows(TALOS_PARAMS, round_limit=4, seed=0)


def test_remote_methods_without_a_key_fail_clearly(monkeypatch):
    monkeypatch.delenv("TALOS_ANU_KEY_FILE", raising=False)  # Talos asks for the key before any request
    with pytest.raises(ValueError, match="random_method: Talos could not make the candidate rows.*TALOS_ANU_KEY_FILE"):
        searchers.get("talos", random_method="quantum", round_limit=3).setup(TALOS_PARAMS, "min", 0)


def test_importing_talos_leaves_warning_filters_alone(monkeypatch, tmp_path):
    noisy = tmp_path / "noisy_import.py"
    noisy.write_text("import warnings\nwarnings.simplefilter('ignore')\n")  # what Talos 1.x did at import
    monkeypatch.syspath_prepend(str(tmp_path))
    before = list(warnings.filters)
    _import_talos("noisy_import")
    assert warnings.filters == before
    for name in [m for m in sys.modules if m == "talos" or m.startswith("talos.")]:
        monkeypatch.delitem(sys.modules, name)  # a real first import of Talos, restored afterwards
    searchers.get("talos").setup(TALOS_PARAMS, "min", 0)
    assert warnings.filters == before


class _Stop(BaseException):
    """Escapes the trial like a kill: that trial stays RUNNING in the store."""


def test_killed_scan_resumes_and_finishes_the_same_rows(tmp_path):
    db = str(tmp_path / "scan.db")
    calls = {"n": 0}

    def dies_once(p):
        calls["n"] += 1
        if calls["n"] == 5:
            raise _Stop()
        return p["lr"] * p["units"]

    def make():
        return searchers.get("talos", round_limit=10, random_method="sobol")

    with pytest.raises(_Stop):
        kh.tune(dies_once, TALOS_PARAMS, method=make(), seed=3, storage=db, study="t", progress=False)
    assert len(kh.load(db, "t").completed) == 4
    resumed = kh.tune(dies_once, TALOS_PARAMS, method=make(), seed=3, storage=db, study="t", resume=True,
                      progress=False)
    assert len(resumed.records) == 10 and all(t.state is TrialState.COMPLETE for t in resumed.records)
    assert [t.params for t in resumed.records] == _talos_rows(TALOS_PARAMS, random_method="sobol", round_limit=10, seed=3)


def test_to_talos_is_shaped_like_scan_data():
    Analyze = _import_talos("talos.commands.analyze").Analyze

    def fn(p):
        return {"val_loss": p["lr"] * 10 + p["dropout"], "loss": p["lr"], "epoch": 1, "epochs_trained": 3}

    result = kh.tune(fn, {**TALOS_PARAMS, "loss_weight": [1]}, metric="val_loss", method="talos", seed=0,
                     progress=False)
    frame = result.to_talos()
    assert frame.equals(to_talos(result))
    assert list(frame.columns[:4]) == ["start", "end", "duration", "round_epochs"]
    assert list(frame.columns[4:]) == ["val_loss", "loss", "lr", "units", "activation", "dropout", "loss_weight"]
    assert len(frame) == 24 and (frame["round_epochs"] == 3).all()
    assert frame["val_loss"].tolist() == [t.value for t in result.records]
    analyze = Analyze(frame)
    assert analyze.rounds() == 24 and analyze.low("val_loss") == result.best_value
    best = analyze.best_params("val_loss", ["start", "end", "duration", "round_epochs", "loss"], n=1, ascending=True)
    assert list(best[0][:4]) == [result.best_params[k] for k in ("lr", "units", "activation", "dropout")]


def test_to_talos_renames_a_parameter_that_clashes_with_a_metric():
    result = kh.tune(lambda p: {"loss": p["loss"] * 2.0}, {"loss": [1, 2]}, method="talos", seed=0, progress=False)
    frame = result.to_talos()
    assert list(frame.columns) == ["start", "end", "duration", "round_epochs", "loss", "param__loss"]
    assert frame["param__loss"].tolist() == [1, 2]


@pytest.mark.keras
def test_talos_shaped_model_function_runs_under_talos_and_tpe():
    pytest.importorskip("keras_hpo.keras.adapter")
    import keras

    rng = np.random.default_rng(0)
    x = rng.normal(size=(80, 4)).astype("float32")
    y = (x[:, 0] > 0).astype("int32")

    def talos_model(x_train, y_train, x_val, y_val, params):
        model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(params["units"], activation=params["activation"]),
                                  keras.layers.Dense(2, activation="softmax")])
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        history = model.fit(x_train, y_train, validation_data=(x_val, y_val), epochs=params["epochs"],
                            batch_size=16, verbose=0)
        return history, model

    params = {"units": [4, 8], "activation": ["relu", "tanh"], "epochs": 2}
    scan = kh.tune(talos_model, params, data=(x, y), method="talos", metric="val_accuracy", seed=0, progress=False)
    assert [t.params for t in scan.records] == _talos_rows({**params, "epochs": [2]})
    frame = scan.to_talos()
    assert {"accuracy", "loss", "val_accuracy", "val_loss"} <= set(frame.columns)
    assert (frame["round_epochs"] == 2).all()
    assert len(frame) == 4
    tpe = kh.tune(talos_model, params, data=(x, y), method="tpe", metric="val_accuracy", seed=0, max_trials=2,
                  progress=False)
    assert len(tpe.completed) == 2


def test_docstring_example():
    import doctest

    import keras_hpo.searchers.talos_scan as module

    failures, tried = doctest.testmod(module)
    assert tried > 0 and failures == 0
