"""The short Keras trials of the parallel speed-up benchmarks: 30 trials of a digits MLP, about half a second each.

Shared by ``parallel_speedup_by_method.py`` and ``driver_blas_ab.py`` (``parallel_speedup.py``
runs the same problem inside its own driver script).
"""

from __future__ import annotations

import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from sklearn.datasets import load_digits  # noqa: E402

import keras_hpo as kh  # noqa: E402

TRIALS = 30
SPACE = {"units": kh.Int(8, 64), "learning_rate": kh.Float(1e-3, 1e-2, log=True), "epochs": 3, "batch_size": 64}


def digits() -> tuple:
    """The first 600 digits, scaled to [0, 1]."""
    x, y = load_digits(return_X_y=True)
    return (x[:600] / 16.0).astype("float32"), y[:600]


def timed_tune(data: tuple, n_jobs: int, seed: int, method: str = "auto") -> float:
    """Wall seconds of one ``kh.tune`` of ``TRIALS`` short trials."""
    start = time.perf_counter()
    kh.tune(kh.keras.mlp(64, 10), SPACE, data=data, metric="val_accuracy", max_trials=TRIALS, n_jobs=n_jobs,
            seed=seed, method=method, progress=False)
    return time.perf_counter() - start


def warm_up(data: tuple, method: str = "auto") -> None:
    """One serial and one ``n_jobs=2`` call out of the clock: imports, first tracing, and a warm worker pool."""
    timed_tune(data, 1, 99, method)
    timed_tune(data, 2, 98, method)
