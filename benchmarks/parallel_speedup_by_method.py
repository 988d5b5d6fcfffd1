"""Warm ``n_jobs=2`` speed-up on the short Keras trials of ``parallel_speedup.py``, by search method.

Why: with trials this short (30 trials in about 16 s serially) the driver's own work
per trial is on the critical path of a parallel run. ``method="random"`` costs the
driver nothing; ``method="auto"`` (Bayesian optimisation here) refits a Gaussian
process per trial, about 0.1 s of CPU that competes with the two workers. Comparing
the two separates the executor's speed-up from the searcher's cost.

One process: a warm-up serial call and a warm-up ``n_jobs=2`` call (which leaves the
pool warm), then serial and parallel calls interleaved (1, 2, 2, 1), 30 trials each.
Usage: ``python3 benchmarks/parallel_speedup_by_method.py random`` (or ``auto``); prints one line.
"""

import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from sklearn.datasets import load_digits  # noqa: E402

import keras_hpo as kh  # noqa: E402


def main() -> None:
    method = sys.argv[1] if len(sys.argv) > 1 else "auto"
    x, y = load_digits(return_X_y=True)
    x, y = (x[:600] / 16.0).astype("float32"), y[:600]
    space = {"units": kh.Int(8, 64), "learning_rate": kh.Float(1e-3, 1e-2, log=True), "epochs": 3, "batch_size": 64}

    def call(n_jobs: int, seed: int) -> float:
        start = time.perf_counter()
        kh.tune(kh.keras.mlp(64, 10), space, data=(x, y), metric="val_accuracy", max_trials=30, n_jobs=n_jobs,
                seed=seed, method=method, progress=False)
        return time.perf_counter() - start

    call(1, 99)
    call(2, 98)  # leaves the pool warm
    walls: dict[int, list[float]] = {1: [], 2: []}
    for rep, order in enumerate(((1, 2), (2, 1))):
        for n_jobs in order:
            walls[n_jobs].append(call(n_jobs, rep))
    print(method, {k: [round(v, 1) for v in vs] for k, vs in walls.items()},
          "speed-up", round(sum(walls[1]) / sum(walls[2]), 2), "load", round(os.getloadavg()[0], 2))


if __name__ == "__main__":
    main()
