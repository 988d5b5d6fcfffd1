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

from _short_keras import digits, timed_tune, warm_up


def main() -> None:
    method = sys.argv[1] if len(sys.argv) > 1 else "auto"
    data = digits()
    warm_up(data, method)
    walls: dict[int, list[float]] = {1: [], 2: []}
    for rep, order in enumerate(((1, 2), (2, 1))):
        for n_jobs in order:
            walls[n_jobs].append(timed_tune(data, n_jobs, rep, method))
    print(method, {k: [round(v, 1) for v in vs] for k, vs in walls.items()},
          "speed-up", round(sum(walls[1]) / sum(walls[2]), 2), "load", round(os.getloadavg()[0], 2))


if __name__ == "__main__":
    main()
