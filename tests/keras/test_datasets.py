"""``data=(train_ds, val_ds)`` with tf.data.Dataset or keras.utils.PyDataset, and the clear refusals around them."""

import numpy as np
import pytest

import keras_hpo as kh

keras = pytest.importorskip("keras")
pytestmark = pytest.mark.keras


def _build(calls=None):
    def build(params):  # uncompiled: the loss is inferred from a batch of the dataset's labels
        if calls is not None:
            calls.append(params)
        return keras.Sequential([keras.Input((64,)), keras.layers.Dense(params["units"], activation="relu"),
                                 keras.layers.Dense(10, activation="softmax")])

    return build


@pytest.fixture(scope="module")
def tf_datasets(digits):
    tf = pytest.importorskip("tensorflow")
    x, y = digits
    train = tf.data.Dataset.from_tensor_slices((x[:240], y[:240])).shuffle(240, seed=0).batch(32)
    val = tf.data.Dataset.from_tensor_slices((x[240:], y[240:])).batch(32)
    return train, val


class Batches(keras.utils.PyDataset):
    def __init__(self, x, y=None, batch_size=32):
        super().__init__()
        self.x, self.y, self.batch_size = x, y, batch_size

    def __len__(self):
        return int(np.ceil(len(self.x) / self.batch_size))

    def __getitem__(self, i):
        part = slice(i * self.batch_size, (i + 1) * self.batch_size)
        return self.x[part] if self.y is None else (self.x[part], self.y[part])


def test_tf_data_datasets_train_and_give_the_best_model_back(tf_datasets, digits):
    result = kh.tune(_build(), {"units": [8, 16], "epochs": 2, "learning_rate": 0.01}, data=tf_datasets,
                     method="grid", metric="val_accuracy", seed=0, progress=False)
    assert [t.state.name for t in result.records] == ["COMPLETE", "COMPLETE"]
    assert all(len(t.curve) == 2 for t in result.records) and 0 < result.best_value <= 1
    x = digits[0][240:]
    assert result.best_model().predict(x, verbose=0).shape == (60, 10)


def test_py_datasets_train_with_fit_kwargs(digits):
    x, y = digits
    stop = keras.callbacks.EarlyStopping(monitor="val_loss", patience=0, min_delta=10.0)
    result = kh.tune(_build(), {"units": [8], "epochs": 5}, data=(Batches(x[:240], y[:240]), Batches(x[240:], y[240:])),
                     method="grid", metric="val_accuracy", fit_kwargs={"callbacks": [stop]}, seed=0, progress=False)
    assert result.records[0].metrics["epochs_trained"] == 2


def test_datasets_without_labels_stop_before_training(digits, tf_datasets):
    tf = pytest.importorskip("tensorflow")
    x, y = digits
    calls = []
    unlabelled = tf.data.Dataset.from_tensor_slices(x[:240]).batch(32)
    with pytest.raises(ValueError, match=r"data: train_ds yields .*not \(x, y\): a dataset without labels"):
        kh.tune(_build(calls), {"units": [8]}, data=(unlabelled, tf_datasets[1]), max_trials=1, progress=False)
    with pytest.raises(ValueError, match=r"data: val_ds yields ndarray, not \(x, y\)"):
        kh.tune(_build(calls), {"units": [8]}, data=(Batches(x, y), Batches(x)), max_trials=1, progress=False)
    assert calls == []


def test_dataset_options_that_cannot_apply_are_refused(digits, tf_datasets):
    x, y = digits
    calls = []
    cases = [
        (dict(cv=3), r"cv: cross-validation cannot split a dataset"),
        (dict(n_jobs=2), r"n_jobs: a tf.data.Dataset cannot be sent to worker processes"),
        (dict(fit_kwargs={"sample_weight": np.ones(240)}), r"sample_weight cannot go with a dataset; make the dataset yield"),
        (dict(space={"units": [8], "batch_size": [16, 32]}), r"batch_size: .* remove 'batch_size' from the space"),
        (dict(space={"units": [8], "validation_split": 0.1}), r"validation_split: .*bring their own validation set"),
        (dict(data=(tf_datasets[0], x)), r"data: with datasets, give data=\(train_ds, val_ds\)"),
        (dict(data=(tf_datasets[0],)), r"data: with datasets, give data=\(train_ds, val_ds\)"),
    ]
    for options, message in cases:
        options = {"data": tf_datasets, "space": {"units": [8]}, **options}
        with pytest.raises(ValueError, match=message):
            kh.tune(_build(calls), options.pop("space"), max_trials=1, progress=False, **options)
    assert calls == []
