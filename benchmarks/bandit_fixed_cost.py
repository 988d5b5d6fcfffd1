"""A new arm's fixed cost ``c`` against an epoch's cost ``e`` on the bandit_keras task, per variant of the adapter.

ASHA starts ~115 new models where Hyperband starts 49 at the same 357 epochs,
so its wall time over Hyperband's is about (115c + 357e) / (49c + 357e); this
measures ``c`` and ``e`` through the real ``KerasObjective`` (CPU seconds of the
process, and wall seconds): for each of ``N`` configurations drawn from the
space (seed 7, a pilot seed) a new 1-epoch arm and a new 9-epoch arm, in
alternating order; ``e = (t9 - t1) / 8`` and ``c = t1 - e``. Variants:

- ``arrays``: the validation set handed to every ``fit`` as arrays (Keras builds its pipeline per call);
- ``cached``: the adapter's default, the validation pipeline built once (``KerasObjective._validation_data``);
- ``eager``: as ``cached``, with the model compiled ``run_eagerly=True`` (no tracing at all; tried for short arms);
- ``eager_val``: as ``cached``, with the train step traced but the test step eager and the validation set in one
  batch (``validation_batch_size=360``): no test-step tracing (tried for short arms).

``flock /work/wt/timing.lock python3 benchmarks/bandit_fixed_cost.py``; rows go to stdout and
``results/bandit_fixed_cost.jsonl``.
"""

import json
import os
import sys
import tempfile
import time

for _name in ("TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS", "OMP_NUM_THREADS"):
    os.environ[_name] = "1"
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [HERE, os.path.dirname(HERE)]

import bandit_keras  # noqa: E402
import numpy as np  # noqa: E402

import keras_hpo as kh  # noqa: E402
from keras_hpo.keras.adapter import KerasObjective, _compile  # noqa: E402

N = int(os.environ.get("FIXED_COST_ARMS", 12))


def arms(n: int, seed: int = 7) -> list[dict]:
    result = kh.tune(lambda p: 0.0, bandit_keras.space(), method="random", max_trials=n, seed=seed, progress=False)
    return [dict(t.params) for t in result.records]


def timed(objective: KerasObjective, params: dict, epochs: int, seed: int) -> tuple[float, float]:
    cpu, wall = time.process_time(), time.perf_counter()
    objective(dict(params), seed=seed, budget=float(epochs))
    return time.process_time() - cpu, time.perf_counter() - wall


def main() -> None:
    data, _ = bandit_keras.digits()
    variants = sys.argv[1:] or ["arrays", "cached", "eager_val", "eager"]
    objectives = {}
    def eager_mlp(params: dict):
        model = kh.keras.mlp(64, 10)(params)
        _compile(model, params, data[1])
        model.run_eagerly = True
        return model

    def eager_validation_mlp(params: dict):
        model = kh.keras.mlp(64, 10)(params)
        _compile(model, params, data[1])
        model.run_eagerly = True
        model.make_test_function(force=True)  # fit keeps this eager test function; the train step is traced
        model.run_eagerly = False
        return model

    model_fns = {"eager": eager_mlp, "eager_val": eager_validation_mlp}

    for variant in variants:
        objective = KerasObjective(model_fns.get(variant, kh.keras.mlp(64, 10)), data, metric="val_accuracy",
                                   artifacts_dir=tempfile.mkdtemp(prefix="fixed-cost-"),
                                   fit_kwargs={"validation_batch_size": len(data[2])} if variant == "eager_val" else None)
        objective.bind_study(seed=0, direction="max")
        if variant == "arrays":
            objective._validation_data = lambda model, params, validation, fit: (
                None if validation[0] is None else validation[:2] if validation[2] is None else validation)
        objectives[variant] = objective
    configs = arms(N + 2)
    for variant in variants:  # warm-up: imports and Keras's first models out of the clock
        for params in configs[:2]:
            timed(objectives[variant], params, 1, 1)
    times = {v: {1: [], 9: []} for v in variants}
    for i, params in enumerate(configs[2:]):
        order = variants if i % 2 == 0 else variants[::-1]
        for variant in order:
            for epochs in ((1, 9) if i % 2 == 0 else (9, 1)):
                times[variant][epochs].append(timed(objectives[variant], params, epochs, 100 + i))
    for variant in variants:
        row = {"variant": variant, "arms": N, "load": round(os.getloadavg()[0], 2),
               "ended": time.strftime("%Y-%m-%d %H:%M", time.gmtime())}
        for k, clock in enumerate(("cpu", "wall")):
            t1 = float(np.median([t[k] for t in times[variant][1]]))
            t9 = float(np.median([t[k] for t in times[variant][9]]))
            e = (t9 - t1) / 8
            row[clock] = {"t1": round(t1, 3), "t9": round(t9, 3), "e": round(e, 3), "c": round(t1 - e, 3),
                          "c_over_e": round((t1 - e) / e, 2)}
        line = json.dumps(row)
        print(line, flush=True)
        with open(os.path.join(HERE, "results", "bandit_fixed_cost.jsonl"), "a") as handle:
            handle.write(line + "\n")


if __name__ == "__main__":
    main()
