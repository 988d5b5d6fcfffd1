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

from _short_keras import digits, timed_tune, warm_up


def main() -> None:
    variant, seed = sys.argv[1], int(sys.argv[2])
    data = digits()
    if variant == "off":
        sys.modules["keras_hpo.tune"].one_blas_thread = lambda active=True: contextlib.nullcontext()
    warm_up(data)
    serial, parallel = timed_tune(data, 1, seed), timed_tune(data, 2, seed)
    print((variant, seed, round(serial, 1), round(parallel, 1), round(serial / parallel, 2)),
          "load", round(os.getloadavg()[0], 2), flush=True)


if __name__ == "__main__":
    main()
