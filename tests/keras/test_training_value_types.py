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
