"""Tiny Keras models on a few hundred digits: one TensorFlow thread each way, so the suite stays quick on shared CPUs."""

import os

for _var in ("TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS", "OMP_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

keras = pytest.importorskip("keras")


@pytest.fixture(scope="session")
def digits():
    """300 digits scaled to [0, 1] (float32) with integer labels."""
    from sklearn.datasets import load_digits

    x, y = load_digits(return_X_y=True)
    return (x[:300] / 16.0).astype("float32"), y[:300]


@pytest.fixture(scope="session")
def small():
    """A 2-class problem of 80 samples and 6 features, learnable by a linear model."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(80, 6)).astype("float32")
    y = (x[:, 0] + 0.5 * x[:, 1] > 0).astype("int64")
    return x, y
