"""A/B: our Hyperband on the bandit_keras task with and without building the optimizer and metrics before fit.

The adapter's ``_build_for_fit`` (see its docstring) against a no-op in its place, runs interleaved
off, on, on, off in one process, seed 21 (a pilot seed: not one of bandit_keras's reported seeds).
Run under the timing lock: ``flock /work/wt/timing.lock python3 benchmarks/bandit_prebuild_ab.py``;
rows go to stdout and ``results/bandit_prebuild_ab.jsonl``.
"""

import json
import os
import sys

for _name in ("TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS", "OMP_NUM_THREADS"):
    os.environ[_name] = "1"
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [HERE, os.path.dirname(HERE)]

import bandit_keras  # noqa: E402

import keras_hpo as kh  # noqa: E402
import keras_hpo.keras.adapter as adapter  # noqa: E402


def main() -> None:
    data, test = bandit_keras.digits()
    real = adapter._build_for_fit
    kh.tune(kh.keras.mlp(64, 10), kh.keras.mlp_space(max_layers=1, epochs=1), data=data, max_trials=1,
            progress=False, seed=99)  # warm-up: imports and first tracing out of the clock
    for variant in ["off", "on", "on", "off"]:
        adapter._build_for_fit = real if variant == "on" else (lambda model, sample: None)
        before = os.getloadavg()[0]
        row = bandit_keras.run_ours("hyperband", 21, data, test, None)
        line = json.dumps({"variant": variant, "wall": round(row["wall"], 1), "best_val": row["best_val"],
                           "test": row["test"], "load": [round(before, 2), round(os.getloadavg()[0], 2)]})
        print(line, flush=True)
        with open(os.path.join(HERE, "results", "bandit_prebuild_ab.jsonl"), "a") as handle:
            handle.write(line + "\n")


if __name__ == "__main__":
    main()
