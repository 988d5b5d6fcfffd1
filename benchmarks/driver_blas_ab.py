"""A/B: the driver's BLAS at one thread while local workers train (``keras_hpo.driver_threads``), against BLAS's default.

One process per (variant, seed): a warm-up serial call and a warm-up ``n_jobs=2`` call
(leaving the pool warm), then one serial and one ``n_jobs=2`` call of 30 short Keras
trials (the problem of ``parallel_speedup.py``, ``method="auto"``); prints the warm
speed-up. Few enough trials that no worker reaches ``max_tasks_per_child`` (a retired
worker's replacement pays a cold start). Run the variants interleaved, e.g.::

    for v in "off 0" "on 0" "on 1" "off 1" "off 2" "on 2"; do python3 benchmarks/driver_blas_ab.py $v; done
"""

import contextlib
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from sklearn.datasets import load_digits  # noqa: E402

import keras_hpo as kh  # noqa: E402


def main() -> None:
    variant, seed = sys.argv[1], int(sys.argv[2])
    if variant == "off":
        sys.modules["keras_hpo.tune"].one_blas_thread = lambda active=True: contextlib.nullcontext()
    x, y = load_digits(return_X_y=True)
    x, y = (x[:600] / 16.0).astype("float32"), y[:600]
    space = {"units": kh.Int(8, 64), "learning_rate": kh.Float(1e-3, 1e-2, log=True), "epochs": 3, "batch_size": 64}

    def call(n_jobs: int, call_seed: int) -> float:
        start = time.perf_counter()
        kh.tune(kh.keras.mlp(64, 10), space, data=(x, y), metric="val_accuracy", max_trials=30, n_jobs=n_jobs,
                seed=call_seed, progress=False)
        return time.perf_counter() - start

    call(1, 99)
    call(2, 98)  # leaves the pool warm
    serial, parallel = call(1, seed), call(2, seed)
    print((variant, seed, round(serial, 1), round(parallel, 1), round(serial / parallel, 2)),
          "load", round(os.getloadavg()[0], 2), flush=True)


if __name__ == "__main__":
    main()
