"""Values the adapter or mlp would silently misread stop ``tune`` before any training, naming the parameter.

``"shuffle": "no"`` and ``"batch_norm": "yes"`` were taken as true; ``"epochs": kh.Float(1, 3)`` failed every
trial at run time; string labels failed every trial inside Keras ("Invalid dtype: str32")."""

import numpy as np
import pytest

import keras_hpo as kh

pytestmark = pytest.mark.keras


def _never(params):
    raise AssertionError("no model may be built")


@pytest.mark.parametrize(("space", "message"), [
    ({"shuffle": ["no", "yes"]}, "shuffle: must be True or False, got 'no'"),
    ({"epochs": kh.Float(1, 3)}, "epochs: must be an integer; use kh.Int instead of Float(1, 3)"),
    ({"batch_size": kh.Float(16, 64)}, "batch_size: must be an integer; use kh.Int instead of Float(16, 64)"),
])
def test_training_values_of_the_wrong_type_stop_before_training(small, space, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        kh.tune(_never, space, data=small, max_trials=1, progress=False)


def test_mlp_batch_norm_must_be_a_bool(small):
    with pytest.raises(ValueError, match="batch_norm: must be True or False, got 'yes'"):
        kh.tune(kh.keras.mlp(6, 2), {"batch_norm": "yes"}, data=small, max_trials=1, progress=False)


def test_string_labels_stop_before_training(small):
    x, y = small
    labels = np.where(np.asarray(y) == 1, "cat", "dog")
    with pytest.raises(ValueError, match=r"data: y holds strings \('(cat|dog)', \.\.\.\); Keras trains on numbers: encode "
                                         "the labels, e.g. with sklearn.preprocessing.LabelEncoder"):
        kh.tune(_never, {"units": [4]}, data=(x, labels), max_trials=1, progress=False)


def test_booleans_and_integers_still_pass(small):
    result = kh.tune(kh.keras.mlp(6, 2), {"shuffle": [False, True], "batch_norm": [True], "epochs": kh.Int(1, 2),
                                          "units": 4}, data=small, max_trials=1, progress=False, seed=0)
    assert len(result.completed) == 1


@pytest.mark.parametrize(("model_fn", "data", "message"), [
    (kh.keras.mlp(6, 2), lambda x, y: (x[:, :4], y),
     r"data: x samples have shape \(4,\) but the network was made with kh.keras.mlp\(input_shape=6, ...\), i.e. \(6,\)"),
    (kh.keras.mlp(6, 2), lambda x, y: (x, y + 1),
     r"data: y holds labels from 1 to 2 but kh.keras.mlp\(outputs=2\) tells apart classes 0 to 1; for 3 classes use "
     r"kh.keras.mlp\(..., outputs=3\)"),
    (kh.keras.mlp(6, 1), lambda x, y: (x, y * 3),
     r"data: y holds labels from 0 to 3 but kh.keras.mlp\(outputs=1\) tells apart classes 0 to 1"),
    (kh.keras.mlp(6, 2), lambda x, y: (x, np.eye(2)[y]),
     r"data: y is one-hot \(shape \(80, 2\)\); give integer labels \(y.argmax\(axis=1\)\) or pass "
     r"loss='categorical_crossentropy' to kh.keras.mlp"),
    (kh.keras.mlp(6, 2), lambda x, y: (x, x[:, 0]),
     r"data: y holds non-integer values; a classifier needs class labels \(for numbers to predict, use "
     r"kh.keras.mlp\(..., task='regression'\)\)"),
    (kh.keras.mlp(6, 2), lambda x, y: (x[:60], y[:60], x[60:], y[60:] + 2),
     r"data: y_val holds labels from 2 to 3 but kh.keras.mlp\(outputs=2\)"),
])
def test_data_that_does_not_fit_the_mlp_stops_before_training(small, model_fn, data, message):
    """Keras failed every trial on these (or, for outputs=1 on 4 classes, trained a meaningless model)."""
    with pytest.raises(ValueError, match=message):
        kh.tune(model_fn, {"units": 4, "epochs": 1}, data=data(*small), max_trials=1, progress=False)


def test_data_that_fits_the_mlp_still_runs(small):
    x, y = small
    for model_fn, data in [(kh.keras.mlp(6, 2, loss="categorical_crossentropy"), (x, np.eye(2)[y])),
                           (kh.keras.mlp(6, 1), (x, y.astype("float32").reshape(-1, 1))),
                           (kh.keras.mlp(6, 1, task="regression"), (x, x[:, 0]))]:
        result = kh.tune(model_fn, {"units": 4, "epochs": 1}, data=data, max_trials=1, progress=False, seed=0)
        assert len(result.completed) == 1


def test_an_optimizer_instance_in_the_space_trains_every_trial(small):
    """An optimizer instance is bound to the first model it trains: every trial after the first failed with
    Keras's 'This optimizer can only be called for the variables it was originally built with'."""
    import keras

    def build(params):
        model = keras.Sequential([keras.Input((6,)), keras.layers.Dense(4, activation="relu"),
                                  keras.layers.Dense(2, activation="softmax")])
        model.compile(optimizer=params["optimizer"], loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        return model

    space = {"optimizer": [keras.optimizers.Adam(0.01)], "units": [1, 2, 3], "epochs": 1}
    result = kh.tune(build, space, data=small, method="grid", progress=False, seed=0)
    assert [t.state.value for t in result.records] == ["COMPLETE"] * 3
    chosen = kh.Space(space)["optimizer"]
    first, second = (chosen.object_of(chosen.values()[0]) for _ in range(2))
    assert first is not second and float(first.learning_rate) == float(second.learning_rate) == pytest.approx(0.01)
