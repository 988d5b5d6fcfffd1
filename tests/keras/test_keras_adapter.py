"""KerasObjective through kh.tune: the three model_fn shapes, the history, failures, bad data, weights and best_model."""

import os
import pickle

import numpy as np
import pytest

import keras_hpo as kh
from keras_hpo.errors import AllTrialsFailed
from keras_hpo.keras.adapter import KerasObjective
from keras_hpo.trial import Decision
from keras_hpo.tune import trial_seed

pytestmark = pytest.mark.keras
keras = pytest.importorskip("keras")

FAST = {"epochs": 2, "batch_size": 64}


def _tiny(params, compiled=True, outputs=10):
    model = keras.Sequential([keras.Input((64,)), keras.layers.Dense(params.get("units", 8), activation="relu"),
                              keras.layers.Dense(outputs, activation="softmax")])
    if compiled:
        model.compile(keras.optimizers.Adam(0.01), "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def _tune(model_fn, space, data, **options):
    options = {"max_trials": 1, "seed": 0, "progress": False, **options}
    return kh.tune(model_fn, {**FAST, **space}, data=data, **options)


# The three shapes ------------------------------------------------------------
def test_a_compiled_model_is_trained_and_scored_from_its_history(digits):
    result = _tune(_tiny, {"units": [8, 16]}, digits, max_trials=2, metric="val_accuracy")
    assert result.direction == "max" and len(result.completed) == 2
    for trial in result.records:
        assert len(trial.curve) == 2 and trial.value == max(trial.curve)
        assert set(trial.metrics) >= {"loss", "accuracy", "val_loss", "val_accuracy", "epoch"}
        assert trial.metrics["val_accuracy"] == trial.value


def test_an_uncompiled_model_is_compiled_from_params(digits):
    seen = {}

    def model_fn(params):
        model = _tiny(params, compiled=False, outputs=10)
        seen["model"] = model
        return model

    result = _tune(model_fn, {"optimizer": "nesterov", "learning_rate": 0.03}, digits, metric="val_accuracy")
    model = seen["model"]
    assert type(model.optimizer).__name__ == "SGD" and model.optimizer.nesterov
    assert float(keras.ops.convert_to_numpy(model.optimizer.learning_rate)) == pytest.approx(0.03)
    assert type(model.loss).__name__ == "SparseCategoricalCrossentropy" and "val_accuracy" in result.best_trial.metrics


@pytest.mark.parametrize("y_kind, loss", [("onehot", "CategoricalCrossentropy"), ("binary", "BinaryCrossentropy"),
                                          ("real", "MeanSquaredError")])
def test_the_inferred_loss_fits_the_labels(y_kind, loss, digits):
    x, labels = digits
    y = {"onehot": np.eye(10)[labels], "binary": (labels > 4).astype("int64"), "real": x[:, :1] * 3.0}[y_kind]
    outputs, activation = (10, "softmax") if y_kind == "onehot" else (1, "sigmoid" if y_kind == "binary" else None)
    seen = {}

    def model_fn(params):
        seen["model"] = keras.Sequential([keras.Input((64,)), keras.layers.Dense(outputs, activation=activation)])
        return seen["model"]

    _tune(model_fn, {}, (x, y))
    assert type(seen["model"].loss).__name__ == loss


def test_the_talos_shape_is_called_as_is(digits):
    calls = []

    def talos_fn(x_train, y_train, x_val, y_val, params):
        calls.append((len(x_train), len(x_val), params["epochs"]))
        model = _tiny(params)
        history = model.fit(x_train, y_train, validation_data=(x_val, y_val), epochs=params["epochs"],
                            batch_size=params["batch_size"], verbose=0)
        return history, model

    result = _tune(talos_fn, {"units": 8, "validation_split": 0.25}, digits, metric="val_accuracy")
    assert calls == [(225, 75, 2)]
    trial = result.best_trial
    assert len(trial.curve) == 2 and trial.value == max(trial.curve)
    assert result.best_model().count_params() == _tiny({"units": 8}).count_params()


def test_a_plain_objective_with_data_is_just_called(digits):
    result = _tune(lambda params: {"loss": params["units"] / 10, "other": 1.0}, {"units": [3, 5]}, digits,
                   max_trials=2, metric="loss")
    assert result.best_value == pytest.approx(0.3)
    with pytest.raises(ValueError, match="no model"):
        result.best_model()


def test_a_given_validation_set_is_used(digits):
    x, y = digits
    calls = []

    def talos_fn(x_train, y_train, x_val, y_val, params):
        calls.append((len(x_train), len(x_val)))
        return {"val_loss": [0.5, 0.25]}, _tiny(params)

    result = _tune(talos_fn, {}, (x[:200], y[:200], x[200:], y[200:]))
    assert calls == [(200, 100)] and result.best_value == 0.25


# The objective from the history ------------------------------------------------
@pytest.mark.parametrize("objective, expected", [("best", 0.2), ("last", 0.4)])
def test_best_or_last_epoch(objective, expected, small):
    def talos_fn(x_train, y_train, x_val, y_val, params):
        return {"loss": [0.9, 0.5, 0.6], "val_loss": [0.6, 0.2, 0.4]}, keras.Sequential([keras.Input((6,))])

    result = kh.tune(talos_fn, {"a": 1}, data=small, objective=objective, max_trials=1, progress=False)
    assert result.best_value == expected and result.best_trial.curve == [0.6, 0.2, 0.4]
    assert result.best_trial.metrics["epoch"] == (2 if objective == "best" else 3)
    with pytest.raises(ValueError, match="objective must be 'best' or 'last'"):
        kh.tune(talos_fn, {"a": 1}, data=small, objective="mean", max_trials=1, progress=False)


# Failures are FAILED trials with a message, and the run goes on ----------------------
def test_a_model_fn_that_raises_fails_its_trial_only(digits):
    def model_fn(params):
        if params["units"] == 3:
            raise RuntimeError("no model with 3 units")
        return _tiny(params)

    result = _tune(model_fn, {"units": [3, 8]}, digits, method="grid", max_trials=None)
    states = {t.params["units"]: (t.state.value, t.error) for t in result.records}
    assert states[8][0] == "COMPLETE" and states[3][0] == "FAILED" and "no model with 3 units" in states[3][1]


def test_a_diverging_model_fails_with_a_clear_message(digits):
    def model_fn(params):
        model = _tiny(params, compiled=False)
        nan_loss = lambda y_true, y_pred: keras.ops.mean(y_pred) * float("nan")  # noqa: E731
        model.compile("sgd", nan_loss) if params["nan"] else model.compile("adam", "sparse_categorical_crossentropy")
        return model

    result = _tune(model_fn, {"nan": [True, False], "epochs": 4}, digits, method="grid", max_trials=None)
    failed = [t for t in result.records if t.state.value == "FAILED"]
    assert [t.params["nan"] for t in failed] == [True]
    assert "training diverged: loss became nan at epoch 1" in failed[0].error
    assert result.best_trial.params["nan"] is False


def test_a_missing_metric_fails_listing_the_metrics_that_exist(digits):
    with pytest.raises(AllTrialsFailed) as info:
        _tune(_tiny, {"epochs": 3}, digits, metric="val_auc")
    message = str(info.value)
    assert "metric 'val_auc' is not in the training history" in message
    assert "'accuracy', 'loss', 'val_accuracy', 'val_loss'" in message


def test_no_validation_data_explains_a_missing_val_metric(digits):
    objective = KerasObjective(_tiny, digits)
    with pytest.raises(ValueError, match="no validation data: validation_split is 0"):
        objective({**FAST, "validation_split": 0.0}, seed=0)


# Bad data and options fail before any training ------------------------------------------
@pytest.mark.parametrize("data, message", [
    (lambda x, y: (x, y[:-1]), "x has 300 samples but y has 299"),
    (lambda x, y: (x[:0], y[:0]), "x is empty"),
    (lambda x, y: (x, y, x[:10]), r"data must be \(x, y\) or \(x_train, y_train, x_val, y_val\)"),
    (lambda x, y: (x[:200], y[:200], x[200:], y[200:250]), "x_val has 100 samples but y_val has 50"),
    (lambda x, y: (x[:200], y[:200], x[200:, :10], y[200:]), "x_train samples have shape"),
    (lambda x, y: (np.where(x > 0.9, np.nan, x), y), "x contains NaN"),
    (lambda x, y: (x, None), "y is None"),
    (lambda x, y: (x, [str(v) + "a" for v in y] and np.array([{}] * len(y))), "must hold numbers"),
])
def test_bad_data_fails_before_training(data, message, digits):
    built = []
    with pytest.raises(ValueError, match=message):
        kh.tune(lambda p: built.append(p), FAST, data=data(*digits), max_trials=1, progress=False)
    assert built == []


@pytest.mark.parametrize("space, message", [
    ({"validation_split": [0.2, 1.0]}, "validation_split must be a number in"),
    ({"validation_split": 0.001}, "leaves no training or no validation sample"),
    ({"epochs": [0, 2]}, "epochs: must be a positive integer"),
    ({"batch_size": 2.5}, "batch_size: must be a positive integer"),
    ({"learning_rate": kh.Float(0, 1)}, "learning_rate: must be a positive number"),
])
def test_bad_training_values_in_the_space_fail_before_training(space, message, digits):
    built = []
    with pytest.raises(ValueError, match=message):
        kh.tune(lambda p: built.append(p), space, data=digits, max_trials=1, progress=False)
    assert built == []


@pytest.mark.parametrize("one_hot", [False, True])
def test_labels_sorted_by_class_warn_that_the_validation_split_holds_one_class(one_hot, caplog):
    """Keras's validation_split takes the last samples: on iris as sklearn ships it (sorted by class) that is class 2
    only. talos.Scan shuffles first, so a Talos notebook ported as it is would validate on one class without a word."""
    from sklearn.datasets import load_iris

    x, y = load_iris(return_X_y=True)
    y = np.eye(3)[y] if one_hot else y

    def build(params):
        return keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="softmax")])

    with caplog.at_level("WARNING", logger="keras_hpo"):
        kh.tune(build, {"epochs": 1}, data=(x, y), max_trials=1, seed=0, progress=False)
    assert "the validation split (the last 20% of the samples" in caplog.text and "holds only label 2" in caplog.text
    caplog.clear()
    order = np.random.default_rng(0).permutation(len(x))
    with caplog.at_level("WARNING", logger="keras_hpo"):
        kh.tune(build, {"epochs": 1}, data=(x[order], y[order]), max_trials=1, seed=0, progress=False)
        kh.tune(build, {"epochs": 1, "loss": "mse"}, data=(x, x[:, :3]), max_trials=1, seed=0, progress=False)  # regression
    assert "validation split" not in caplog.text


def test_a_keras_model_without_data_fails_with_a_hint():
    with pytest.raises(AllTrialsFailed, match="pass data="):
        kh.tune(_tiny, {"units": 4}, max_trials=1, progress=False)


# Pruning, budgets and continuation ------------------------------------------------------------
def test_a_stop_decision_prunes_the_trial(digits):
    steps = []

    def report(step, value):
        steps.append(step)
        return Decision.STOP if step == 2 else Decision.CONTINUE

    outcome = KerasObjective(_tiny, digits)({"epochs": 5, "batch_size": 64}, seed=0, report=report)
    assert outcome.pruned and steps == [1, 2] and len(outcome.curve) == 2
    assert outcome.value == outcome.curve[-1]  # a pruned trial keeps its last value, not its best


def test_a_budgeted_trial_continues_from_the_weights_of_an_earlier_one(tmp_path, digits):
    objective = KerasObjective(_tiny, digits, artifacts_dir=tmp_path)
    objective.bind_study(seed=7, direction="min")
    params = {"units": 8, "batch_size": 64, "epochs": 99}
    first = objective(params, seed=trial_seed(7, 0), budget=2)
    assert len(first.curve) == 2 and os.path.exists(first.artifact)
    second = objective(params, seed=trial_seed(7, 1), budget=4, resume_from=0)
    assert len(second.curve) == 4 and second.curve[:2] == first.curve and second.metrics["epochs_trained"] == 4
    assert second.curve[2] < first.curve[0]  # it went on from trained weights, not from scratch
    missing = objective(params, seed=trial_seed(7, 2), budget=1, resume_from=5)  # nothing kept: from scratch
    assert len(missing.curve) == 1


def test_successive_halving_runs_on_keras(digits):
    method = kh.searchers.get("successive_halving", min_budget=1, max_budget=2, eta=2)
    result = kh.tune(_tiny, {"units": [4, 8], "batch_size": 64}, data=digits, method=method, max_trials=3,
                     seed=0, progress=False)
    promoted = [t for t in result.records if t.resume_from is not None]
    assert promoted and all(t.state.value == "COMPLETE" for t in result.records)
    assert all(len(t.curve) == t.budget for t in result.records)


# Weights, best_model and memory ----------------------------------------------------------------
def test_best_model_is_the_trained_best_without_retraining(tmp_path, digits):
    built = []

    def model_fn(params):
        built.append(params)
        return _tiny(params)

    storage = str(tmp_path / "runs.db")
    result = _tune(model_fn, {"units": [4, 8, 16], "epochs": 3}, digits, max_trials=3, metric="val_accuracy",
                   storage=storage, study="s")
    kept = sorted(os.listdir(f"{storage}.artifacts/s"))
    assert kept == sorted(["best.json", f"best-seed-{result.best_trial.seed}.weights.h5"])  # nothing per trial
    model = result.best_model()
    assert len(built) == 4  # three trials, then one build for the weights: no retraining
    x, y = digits
    _, accuracy = model.evaluate(x[240:], y[240:], verbose=0)
    assert accuracy == pytest.approx(result.best_value, abs=1e-6)  # the best epoch's weights


def test_best_model_retrains_with_the_seed_when_nothing_was_kept(digits):
    objective = KerasObjective(_tiny, digits, metric="val_accuracy")
    result = _tune(_tiny, {"units": 8}, digits, metric="val_accuracy")
    trial = result.best_trial
    model = objective.best_model(trial)  # a fresh objective: no kept weights
    _, accuracy = model.evaluate(digits[0][240:], digits[1][240:], verbose=0)
    assert accuracy == pytest.approx(trial.value, abs=0.05)


def test_the_objective_pickles_small_does_not_grow_and_repeats_a_seed(digits):
    objective = KerasObjective(_tiny, digits)
    objective.bind_study(seed=0, direction="min")
    before = len(pickle.dumps(objective))
    a, b = (objective({"units": 8, **FAST}, seed=3) for _ in range(2))
    assert a.curve == pytest.approx(b.curve, rel=1e-5)  # same seed, same trial
    after = pickle.dumps(objective)
    assert len(after) == before  # nothing per trial is held
    clone = pickle.loads(after)
    assert clone.artifacts_dir == objective.artifacts_dir and np.isfinite(clone({"epochs": 1}, seed=0).value)


def test_a_temporary_folder_is_removed_with_the_objective(digits):
    objective = KerasObjective(_tiny, digits)
    objective({"units": 4, "epochs": 1}, seed=0)
    folder = objective.artifacts_dir
    assert os.path.isdir(folder)
    del objective
    import gc

    gc.collect()
    assert not os.path.exists(folder)


def test_full_collections_are_paced_by_training_time(monkeypatch):
    from keras_hpo.keras import adapter

    calls = []
    monkeypatch.setattr(adapter.gc, "collect", lambda: calls.append(1) or 0)
    collector = adapter._Collector()
    collector.cost = 0.1  # at 3% of training time: one collection per 3.33 s of training
    for _ in range(3):
        collector.before_trial()
        collector.after_trial(1.0)
    assert calls == []
    collector.after_trial(0.4)
    collector.before_trial()
    assert calls == [1] and collector.work == 0.0
    monkeypatch.setattr(adapter, "GC_TIME_SHARE", 1.0)  # before every trial, like clear_session() itself
    collector.before_trial()
    collector.before_trial()
    assert calls == [1, 1, 1]


@pytest.mark.slow
def test_trials_in_worker_processes_keep_the_best_weights_for_the_driver(digits):
    result = kh.tune(kh.keras.mlp(64, 10), {"units": [4, 8, 16], **FAST}, data=digits, metric="val_accuracy",
                     max_trials=3, n_jobs=2, seed=0, progress=False)
    assert [t.state.value for t in result.records] == ["COMPLETE"] * 3
    _, accuracy = result.best_model().evaluate(digits[0][240:], digits[1][240:], verbose=0)
    assert accuracy == pytest.approx(result.best_value, abs=1e-6)  # reloaded from a worker's weights, not retrained


def test_a_misspelt_metric_fails_saying_which_one_was_meant(digits):
    with pytest.raises(AllTrialsFailed) as info:
        _tune(_tiny, {"epochs": 1}, digits, metric="val_acc")
    assert "metric 'val_acc' is not in the training history; it has ['accuracy', 'loss', 'val_accuracy', " \
           "'val_loss']; did you mean 'val_accuracy'?" in str(info.value)
