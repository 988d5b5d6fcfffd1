"""Bandits and pruners on real (tiny) Keras models: budgets from the space, honest records, exact continuation."""

import numpy as np
import pytest

import keras_hpo as kh
from keras_hpo.keras.adapter import KerasObjective
from keras_hpo.keras.live import LiveModels, live_models
from keras_hpo.tune import trial_seed

pytestmark = pytest.mark.keras
keras = pytest.importorskip("keras")


def _tiny(params):
    model = keras.Sequential([keras.Input((64,)), keras.layers.Dense(params.get("units", 8), activation="relu"),
                              keras.layers.Dense(10, activation="softmax")])
    model.compile(keras.optimizers.Adam(params.get("learning_rate", 0.01)), "sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


SPACE = {"units": [4, 8, 16], "learning_rate": kh.Float(1e-3, 3e-2, log=True), "batch_size": 64, "epochs": 5}


def test_hyperband_trains_the_space_epochs_and_reports_only_searched_params(digits):
    """The issue's case: epochs=5 and max_trials=12 once trained every trial for 1 epoch and reported epochs=5."""
    result = kh.tune(_tiny, SPACE, data=digits, method="hyperband", max_trials=12, metric="val_accuracy", seed=0,
                     progress=False)
    trained = [t.metrics["epochs_trained"] for t in result.records]
    assert max(trained) == 5 and all(len(t.curve) == t.metrics["epochs_trained"] == t.budget for t in result.records)
    assert "epochs" not in result.best_params and set(result.best_params) == {"units", "learning_rate", "batch_size"}
    for t in result.records:  # each record says where it started and how far it went
        assert t.metrics["continued_from_epoch"] == (0 if t.resume_from is None else
                                                     result.records[t.resume_from].metrics["epochs_trained"])
    best = result.best_trial
    model = result.best_model()  # the weights of the rung that produced the best value
    x, y = digits
    _, accuracy = model.evaluate(x[240:], y[240:], verbose=0)
    assert accuracy == pytest.approx(best.value, abs=1e-6) and best.budget in (2.0, 5.0)


def test_a_searched_epochs_is_the_budget_under_asha(digits):
    space = {**SPACE, "epochs": kh.Int(1, 4)}
    result = kh.tune(_tiny, space, data=digits, method="asha", max_budget_total=20, metric="val_accuracy", seed=0,
                     progress=False)
    assert "epochs" not in result.best_params
    assert result.best_trial.metrics["epochs_trained"] == result.best_trial.budget
    spent = sum(t.metrics["epochs_trained"] - t.metrics["continued_from_epoch"] for t in result.records)
    assert 20 <= spent < 20 + 4


def _weights_after(objective, params, seed_of, steps):
    """Train through ``steps`` = [(trial number, budget, resume_from), ...]; the last trial's kept weights."""
    for number, budget, resume_from in steps:
        objective(params, seed=seed_of(number), budget=budget, resume_from=resume_from)
    model = _tiny(params)
    model.optimizer.build(model.trainable_variables)
    model.load_weights(objective._path(f"seed-{seed_of(steps[-1][0])}.weights.h5"))
    return model.get_weights(), [v.numpy() for v in model.optimizer.variables]


@pytest.mark.parametrize("live", [True, False], ids=["live-model", "from-disk"])
def test_continuing_is_exactly_training_in_one_go(tmp_path, digits, live):
    """k + m epochs in one go == k epochs, stop, continue m: weights and Adam's state within float tolerance."""
    import tensorflow as tf

    tf.config.experimental.enable_op_determinism()
    params = {"units": 8, "batch_size": 64, "shuffle": False}
    seed_of = lambda n: trial_seed(3, n)  # noqa: E731
    one_go = KerasObjective(_tiny, digits, artifacts_dir=tmp_path / "one")
    one_go.bind_study(seed=3, direction="min")
    whole, whole_opt = _weights_after(one_go, params, seed_of, [(0, 5, None)])
    split = KerasObjective(_tiny, digits, artifacts_dir=tmp_path / "split")
    split.bind_study(seed=3, direction="min")
    split(params, seed=seed_of(0), budget=2)
    if not live:
        live_models.clear()  # a continuation in another process, or after a resume, reloads from disk
    parts, parts_opt = _weights_after(split, params, seed_of, [(1, 5, 0)])
    for a, b in zip(whole + whole_opt, parts + parts_opt):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_a_live_model_is_continued_without_rebuilding(tmp_path, digits):
    built = []

    def counting(params):
        built.append(1)
        return _tiny(params)

    objective = KerasObjective(counting, digits, artifacts_dir=tmp_path)
    objective.bind_study(seed=5, direction="min")
    params = {"units": 8, "batch_size": 64}
    objective(params, seed=trial_seed(5, 0), budget=1)
    outcome = objective(params, seed=trial_seed(5, 1), budget=3, resume_from=0)
    assert len(built) == 1 and len(outcome.curve) == 3 and outcome.metrics["continued_from_epoch"] == 1


def test_live_models_stay_within_their_limit_and_drop_the_least_promising_first():
    class Fake:
        def __init__(self, n):
            self.n = n

        def count_params(self):
            return self.n

    cache = LiveModels(max_models=3, max_megabytes=1.0)
    for i, loss in enumerate([0.5, 0.9, 0.1]):
        cache.put(("d", i), Fake(1000), epochs=1, history={}, budget=1.0, loss=loss)
    cache.put(("d", 3), Fake(1000), epochs=3, history={}, budget=3.0, loss=0.2)
    assert len(cache) == 3 and cache.take(("d", 1)) is None  # the worst of the most crowded budget went
    cache.put(("d", 4), Fake(10**6), epochs=1, history={}, budget=1.0, loss=0.0)  # 11 MB: too big to keep at all
    assert cache.take(("d", 4)) is None and cache.megabytes <= 1.0


@pytest.mark.parametrize("pruner", ["median", "percentile", "patience"])
def test_each_pruner_on_a_tiny_keras_model(digits, pruner):
    """Half the learning rates barely move the weights: those trials are the ones to stop."""
    space = {"units": [8, 16], "learning_rate": [1e-5, 2e-5, 1e-2, 3e-2], "batch_size": 64, "epochs": 4}
    chosen = {"median": kh.pruners.MedianPruner(warmup_steps=1, min_trials=2),
              "percentile": kh.pruners.PercentilePruner(40, warmup_steps=1, min_trials=2),
              "patience": kh.pruners.PatiencePruner(2)}[pruner]
    order = [{"units": u, "learning_rate": lr, "batch_size": 64, "epochs": 4}  # two good ones complete first
             for lr, u in [(1e-2, 8), (3e-2, 16), (1e-5, 8), (3e-2, 8), (2e-5, 16)]]
    result = kh.tune(_tiny, space, data=digits, method=kh.searchers.get("manual", trials=order),
                     metric="val_accuracy", seed=2, progress=False, pruner=chosen)
    pruned = [t for t in result.records if t.state is kh.TrialState.PRUNED]
    assert pruned, [(t.params, t.curve) for t in result.records]
    for t in pruned:
        assert len(t.curve) == t.metrics["epochs_trained"] < 4 and t.value == t.curve[-1]
    assert any(t.params["learning_rate"] < 1e-3 for t in pruned)
    assert result.best_trial.state is kh.TrialState.COMPLETE


@pytest.mark.parametrize("dropout", [0.0, 0.3])
def test_a_trial_trains_as_a_bare_keras_loop(tmp_path, digits, dropout):
    """Building the optimizer and metrics before fit (one trace instead of two) changes no number."""
    import tensorflow as tf

    from keras_hpo.keras.adapter import _build_for_fit

    tf.config.experimental.enable_op_determinism()
    params = {"layers": 1, "units": 16, "dropout": dropout, "batch_size": 64, "shuffle": True, "epochs": 3}
    model_fn = kh.keras.mlp(64, 10)
    objective = KerasObjective(model_fn, digits, artifacts_dir=tmp_path, metric="val_loss", objective="last")
    objective.bind_study(seed=1, direction="min")
    outcome = objective(params, seed=7)

    x, y = digits
    keras.backend.clear_session()
    keras.utils.set_random_seed(7)
    bare = model_fn(params)
    bare.compile(keras.optimizers.Adam(), keras.losses.SparseCategoricalCrossentropy(), metrics=["accuracy"])
    history = bare.fit(x[:240], y[:240], validation_data=(x[240:], y[240:]), epochs=3, batch_size=64, verbose=0)
    assert not bare.optimizer.built or bare._compile_metrics.built  # the bare loop built them inside fit
    np.testing.assert_allclose(outcome.curve, history.history["val_loss"], rtol=1e-6)
    np.testing.assert_allclose(outcome.metrics["history"]["accuracy"], history.history["accuracy"], rtol=1e-6)

    fresh = model_fn(params)  # and the building does happen before fit
    fresh.compile(keras.optimizers.Adam(), "sparse_categorical_crossentropy", metrics=["accuracy"])
    _build_for_fit(fresh, (x, y))
    assert fresh.optimizer.built and fresh._compile_metrics.built


def test_the_validation_pipeline_is_built_once_with_the_same_numbers(tmp_path, digits, monkeypatch):
    """Keras builds a tf.data pipeline of the validation arrays at every fit; the objective builds it once per batch size.

    Three trials (two new arms and a continuation) ask Keras's array adapter for one validation pipeline, not three,
    and every validation number is the one a bare Keras fit on the arrays reports, weights and a batch size given.
    """
    import tensorflow as tf
    from keras.src.trainers.data_adapters.array_data_adapter import ArrayDataAdapter

    tf.config.experimental.enable_op_determinism()
    built = []
    real = ArrayDataAdapter.get_tf_dataset
    monkeypatch.setattr(ArrayDataAdapter, "get_tf_dataset", lambda self: built.append(self._shuffle) or real(self))
    x, y = digits
    weights = np.linspace(0.5, 1.5, len(x)).astype("float32")
    params = {"units": 8, "learning_rate": 0.01, "batch_size": 64}
    objective = KerasObjective(_tiny, (x[:240], y[:240], x[240:], y[240:]), artifacts_dir=tmp_path,
                               metric="val_accuracy", fit_kwargs={"validation_batch_size": 25},
                               validation_weights=weights[240:])
    objective.bind_study(seed=3, direction="max")
    first = objective(dict(params), seed=trial_seed(3, 0), budget=2.0)
    objective(dict(params, units=16), seed=trial_seed(3, 1), budget=1.0)
    objective(dict(params), seed=trial_seed(3, 2), budget=3.0, resume_from=0)
    assert built.count(False) == 1 and built.count(True) == 3  # one validation pipeline; a training one per fit
    assert len(objective._validation_sets) == 1

    keras.backend.clear_session()
    keras.utils.set_random_seed(trial_seed(3, 0))
    bare = _tiny(params)
    history = bare.fit(x[:240], y[:240], validation_data=(x[240:], y[240:], weights[240:]), validation_batch_size=25,
                       epochs=2, batch_size=64, verbose=0)
    for key in ("val_loss", "val_accuracy", "loss"):
        assert first.metrics["history"][key] == history.history[key], key  # equal, not just close
