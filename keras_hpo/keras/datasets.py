"""Streaming inputs: ``data=(train_ds, val_ds)`` with ``tf.data.Dataset`` or ``keras.utils.PyDataset``.

A dataset already batches (and usually shuffles) itself and cannot be cut into a
validation split or folds, so it comes with its own validation dataset, and the
options that only make sense for arrays are refused before any training:
``batch_size``, ``shuffle`` and ``validation_split`` in the space, ``cv=``,
``sample_weight`` in ``fit_kwargs`` (a dataset yields ``(x, y, sample_weight)``
instead), and worker processes for ``tf.data`` (it does not pickle). A dataset
whose elements are not ``(x, y)`` or ``(x, y, sample_weight)`` is refused too:
Keras would otherwise train on inputs without targets and fail in every trial.

Detection looks at already imported modules only, so ``tune`` can ask without
importing TensorFlow or Keras.

>>> is_dataset([1, 2, 3])
False
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np

__all__ = ["is_dataset", "has_datasets", "check_datasets", "check_dataset_options", "first_batch", "label_sample"]

_HOW = ("it must yield (x, y) or (x, y, sample_weight) batches, e.g. "
        "tf.data.Dataset.from_tensor_slices((x, y)).batch(32), or a PyDataset whose __getitem__ returns (x, y)")


def _is_tf_dataset(value: Any) -> bool:
    tf = sys.modules.get("tensorflow")
    data = getattr(tf, "data", None)
    return data is not None and isinstance(value, data.Dataset)


def _is_py_dataset(value: Any) -> bool:
    keras = sys.modules.get("keras")
    utils = getattr(keras, "utils", None)
    return utils is not None and hasattr(utils, "PyDataset") and isinstance(value, utils.PyDataset)


def is_dataset(value: Any) -> bool:
    """True for a ``tf.data.Dataset`` or a ``keras.utils.PyDataset``."""
    return _is_tf_dataset(value) or _is_py_dataset(value)


def has_datasets(data: Any) -> bool:
    """True when ``data`` is a tuple/list holding a dataset."""
    return isinstance(data, (tuple, list)) and any(is_dataset(d) for d in data)


def check_dataset_options(data: Any, *, cv: Any, n_jobs: Any, executor: Any) -> None:
    """``tune``'s checks of a dataset input against its other options, before anything runs."""
    if not has_datasets(data):
        return
    if cv is not None:
        raise ValueError("cv: cross-validation cannot split a dataset (tf.data.Dataset / PyDataset); pass arrays "
                         "data=(x, y) to cross-validate, or drop cv= and give data=(train_ds, val_ds)")
    if any(_is_tf_dataset(d) for d in data) and (executor is not None or n_jobs != 1):
        raise ValueError("n_jobs: a tf.data.Dataset cannot be sent to worker processes; run with n_jobs=1, "
                         "or pass arrays (or a keras.utils.PyDataset) to run trials in parallel")


def _structure(value: Any) -> Any:
    """One element's structure: the element_spec of a tf.data.Dataset, the first batch of a PyDataset."""
    if _is_tf_dataset(value):
        return value.element_spec
    try:
        n = len(value)
    except Exception as exc:
        raise ValueError(f"data: len() of the PyDataset failed ({exc})") from None
    if n == 0:
        raise ValueError("data: the PyDataset is empty (len() is 0)")
    return value[0]


def check_datasets(data: Any) -> tuple[Any, Any]:
    """``(train_ds, val_ds)`` checked: two datasets yielding (x, y[, sample_weight]); raises before any training."""
    if not isinstance(data, (tuple, list)) or len(data) != 2 or not all(is_dataset(d) for d in data):
        kinds = ", ".join(type(d).__name__ for d in data) if isinstance(data, (tuple, list)) else type(data).__name__
        raise ValueError("data: with datasets, give data=(train_ds, val_ds), two tf.data.Dataset or "
                         f"keras.utils.PyDataset; a dataset cannot be split for validation. Got ({kinds})")
    for name, ds in zip(("train_ds", "val_ds"), data):
        element = _structure(ds)
        if not isinstance(element, tuple) or len(element) not in (2, 3):
            shown = type(element).__name__ if not isinstance(element, tuple) else f"a tuple of {len(element)}"
            raise ValueError(f"data: {name} yields {shown}, not (x, y): a dataset without labels cannot be trained "
                             f"on; {_HOW}")
        if element[1] is None:
            raise ValueError(f"data: {name} yields (x, None): it has no labels; {_HOW}")
    return data[0], data[1]


def first_batch(dataset: Any) -> tuple:
    """The first ``(x, y[, sample_weight])`` batch of a dataset."""
    if _is_tf_dataset(dataset):
        return tuple(next(iter(dataset.take(1))))
    return tuple(dataset[0])


def label_sample(dataset: Any) -> np.ndarray:
    """The labels of the first batch, as a NumPy array: enough to infer a loss for an uncompiled model."""
    y = first_batch(dataset)[1]
    return np.asarray(y.numpy() if hasattr(y, "numpy") else y)
