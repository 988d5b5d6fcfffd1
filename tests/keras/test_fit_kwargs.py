"""``fit_kwargs`` reach every trial's ``model.fit``: callbacks (fresh per trial), class_weight, sample_weight, ..."""

import os

import numpy as np
import pytest

import keras_hpo as kh

keras = pytest.importorskip("keras")
pytestmark = pytest.mark.keras


def _counting_build(calls):
    def build(params):
        calls.append(dict(params))
        return keras.Sequential([keras.Input((6,)), keras.layers.Dense(2, activation="softmax")])

    return build


@pytest.mark.parametrize("fit_kwargs, message", [
    ({"epochs": 3}, r"'epochs' is set by keras_hpo from the params; put it in the space instead"),
    ({"batch_size": 8}, r"'batch_size' .* put it in the space"),
    ({"epochs": 3}, r"in a KerasTuner build_model\(hp\): hp.Fixed\('epochs', 20\)"),  # its space is not written
    ({"validation_data": None}, r"'validation_data' comes from data="),
    ({"validation_split": 0.1}, r"'validation_split' .* put it in the space"),
    ({"initial_epoch": 1}, r"'initial_epoch' is how keras_hpo continues"),
    ({"callback": []}, r"keras.Model.fit takes no keyword 'callback'; did you mean 'callbacks'\?"),
    ({"class_weights": {0: 1}}, r"no keyword 'class_weights'; did you mean 'class_weight'\?"),
    ({"callbacks": keras.callbacks.EarlyStopping()}, r"callbacks must be a list"),
    ({"callbacks": ["early"]}, r"callbacks must be keras.callbacks.Callback instances"),
    ({"validation_freq": 0}, r"validation_freq must be a positive integer"),
    ({"validation_freq": (2, 4)}, r"validation_freq must be a positive integer or a list"),
    ({"sample_weight": np.ones(79)}, r"sample_weight has 79 weights but x has 80 samples"),
    ({"sample_weight": -np.ones(80)}, r"finite, non-negative"),
    ("verbose=0", r"fit_kwargs must be a dict"),
])
def test_bad_fit_kwargs_stop_before_training(small, fit_kwargs, message):
    calls = []
    with pytest.raises((ValueError, TypeError), match=message):
        kh.tune(_counting_build(calls), {"epochs": 1}, data=small, max_trials=1, fit_kwargs=fit_kwargs,
                progress=False)
    assert calls == []


def test_fit_kwargs_need_data_and_a_model_keras_hpo_trains(small):
    with pytest.raises(ValueError, match="fit_kwargs: options for model.fit need a model to train"):
        kh.tune(lambda p: p["x"], {"x": [1, 2]}, fit_kwargs={"verbose": 0}, progress=False)

    def talos_model(x_train, y_train, x_val, y_val, params):
        raise AssertionError("not called")

    with pytest.raises(ValueError, match="Talos-shaped model_fn.* calls fit itself"):
        kh.tune(talos_model, {"epochs": [1]}, data=small, fit_kwargs={"verbose": 0}, progress=False)


class _Spy(keras.callbacks.Callback):
    """Records which callback object saw which epoch (class level, so the copies report too)."""

    seen: list = []

    def on_epoch_end(self, epoch, logs=None):
        _Spy.seen.append((id(self), epoch))


def test_early_stopping_records_the_epochs_really_trained_and_callbacks_are_fresh_per_trial(digits):
    x, y = digits
    _Spy.seen = []
    spy = _Spy()
    # min_delta=10 can never be met: every trial stops after its second epoch (patience 0)
    stop = keras.callbacks.EarlyStopping(monitor="val_loss", patience=0, min_delta=10.0)
    result = kh.tune(kh.keras.mlp(64, 10), {"units": [8, 16], "epochs": 6, "learning_rate": 0.01}, data=(x, y),
                     method="grid", metric="val_accuracy", fit_kwargs={"callbacks": [stop, spy]}, seed=0,
                     progress=False)
    for trial in result.records:
        assert trial.metrics["epochs_trained"] == 2 and len(trial.curve) == 2
        assert trial.value == max(trial.curve)  # objective="best": the better of the two epochs
        assert trial.metrics["epoch"] == trial.curve.index(trial.value) + 1
    owners = [owner for owner, _ in _Spy.seen]
    assert len(_Spy.seen) == 4 and len(set(owners)) == 2 and id(spy) not in owners  # one copy per trial
    assert getattr(stop, "_model", None) is None  # the user's own object never trained


def test_class_weight_changes_what_the_model_learns(small):
    x, y = small
    leaning = {}
    for favoured in (0, 1):
        weights = {favoured: 1.0, 1 - favoured: 1e-3}
        result = kh.tune(kh.keras.mlp(6, 2), {"units": [4], "epochs": 8, "learning_rate": 0.05}, data=(x, y),
                         method="grid", objective="last", fit_kwargs={"class_weight": weights}, seed=0, progress=False)
        leaning[favoured] = result.best_model().predict(x, verbose=0).argmax(axis=1).mean()  # share predicted 1
    assert leaning[1] > 0.8 and leaning[0] < 0.2, leaning


def test_sample_weight_is_cut_where_the_validation_split_cuts(small):
    x, y = small  # 80 samples; validation_split 0.25 validates on the last 20
    weights = np.r_[np.ones(60), np.zeros(20)]
    result = kh.tune(kh.keras.mlp(6, 2), {"units": [4], "epochs": 2, "validation_split": 0.25}, data=(x, y),
                     method="grid", fit_kwargs={"sample_weight": weights}, seed=0, progress=False)
    trial = result.records[0]
    assert trial.curve == [0.0, 0.0]  # val_loss weighted by the last 20 weights: all zero
    assert trial.metrics["loss"] > 0  # the first 60 trained with weight 1


def test_sample_weight_follows_the_cross_validation_folds(small):
    x, y = small
    result = kh.tune(kh.keras.mlp(6, 2), {"units": [4], "epochs": 1}, data=(x, y), cv=2, method="grid",
                     fit_kwargs={"sample_weight": (y == 0).astype(float)}, metric="val_loss", seed=0, progress=False)
    assert len(result.records[0].folds) == 2 and result.best_value > 0
    with pytest.raises(ValueError, match="sample_weight must hold one weight per sample of y"):
        kh.tune(kh.keras.mlp(6, 2), {"units": [4], "epochs": 1}, data=(x, y), cv=2, method="grid",
                fit_kwargs={"sample_weight": np.ones(10)}, progress=False)


def test_tensorboard_gets_one_folder_per_trial(small, tmp_path):
    logs = tmp_path / "tb"
    kh.tune(kh.keras.mlp(6, 2), {"units": [4, 8], "epochs": 1}, data=small, method="grid", seed=0, progress=False,
            fit_kwargs={"callbacks": [keras.callbacks.TensorBoard(log_dir=str(logs))]})
    assert sorted(os.listdir(logs)) == ["trial-0000", "trial-0001"]
    for trial in ("trial-0000", "trial-0001"):
        assert {"train", "validation"} <= set(os.listdir(logs / trial))
        assert any(name.startswith("events.") for name in os.listdir(logs / trial / "train"))


def test_validation_freq_scores_the_validated_epochs(small):
    result = kh.tune(kh.keras.mlp(6, 2), {"units": [4], "epochs": 4}, data=small, method="grid", seed=0,
                     metric="val_accuracy", fit_kwargs={"validation_freq": 2}, progress=False)
    trial = result.records[0]
    assert len(trial.curve) == 2 and trial.metrics["epochs_trained"] == 4 and trial.metrics["epoch"] in (2, 4)
    assert "loss" in trial.metrics and "val_loss" in trial.metrics
    listed = kh.tune(kh.keras.mlp(6, 2), {"units": [4], "epochs": 3}, data=small, method="grid", seed=0,
                     metric="val_accuracy", fit_kwargs={"validation_freq": [1, 3]}, progress=False).records[0]
    assert len(listed.curve) == 2 and listed.metrics["epoch"] in (1, 3)


def test_verbose_and_other_keywords_reach_fit(small, capfd):
    kh.tune(kh.keras.mlp(6, 2), {"units": [4], "epochs": 2}, data=small, method="grid", seed=0, progress=False,
            fit_kwargs={"verbose": 2, "validation_batch_size": 5})
    assert "Epoch 2/2" in capfd.readouterr().out


def test_a_built_model_instead_of_a_function_is_refused_up_front(small):
    model = keras.Sequential([keras.Input((6,)), keras.layers.Dense(2, activation="softmax")])
    with pytest.raises(TypeError, match="model_fn: got a built Sequential instance; pass a function that builds"):
        kh.tune(model, {"epochs": [1]}, data=small, progress=False)


def test_sample_weight_with_a_given_validation_set_weighs_the_training_samples(small):
    x, y = small
    data = (x[:60], y[:60], x[60:], y[60:])
    with pytest.raises(ValueError, match="sample_weight has 80 weights but x_train has 60 samples"):
        kh.tune(kh.keras.mlp(6, 2), {"units": [4], "epochs": 1}, data=data, fit_kwargs={"sample_weight": np.ones(80)},
                progress=False)
    result = kh.tune(kh.keras.mlp(6, 2), {"units": [4], "epochs": 1}, data=data, method="grid", seed=0,
                     fit_kwargs={"sample_weight": np.zeros(60)}, progress=False)
    trial = result.records[0]
    assert trial.metrics["loss"] == 0.0 and trial.value > 0  # weightless training, unweighted validation


def test_tensorboard_under_cross_validation_gets_a_folder_per_trial_and_fold(small, tmp_path):
    logs = tmp_path / "tb"
    kh.tune(kh.keras.mlp(6, 2), {"units": [4], "epochs": 1}, data=small, cv=2, method="grid", seed=0, progress=False,
            fit_kwargs={"callbacks": [keras.callbacks.TensorBoard(log_dir=str(logs))]})
    assert os.listdir(logs) == ["trial-0000"] and sorted(os.listdir(logs / "trial-0000")) == ["fold-0", "fold-1"]
