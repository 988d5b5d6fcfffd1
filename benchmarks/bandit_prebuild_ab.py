"""A/B: our Hyperband on the bandit_keras task with and without building the optimizer and metrics before fit.

The adapter's ``_build_for_fit`` (see its docstring) against a no-op in its place, runs interleaved
off, on, on, off in one process, seed 21 (a pilot seed: not one of bandit_keras's reported seeds).
Run under the timing lock: ``flock /work/wt/timing.lock python3 benchmarks/bandit_prebuild_ab.py``;
rows go to stdout and ``results/bandit_prebuild_ab.jsonl``.
"""
import os, sys, time, json
for v in ("TF_NUM_INTRAOP_THREADS","TF_NUM_INTEROP_THREADS","OMP_NUM_THREADS"): os.environ[v]="1"
os.environ["TF_CPP_MIN_LOG_LEVEL"]="3"
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE); sys.path.insert(0, os.path.dirname(HERE))
import keras_hpo as kh
import keras_hpo.keras.adapter as adapter
import bandit_keras as b
data, test = b.digits()
real = adapter._build_for_fit
kh.tune(kh.keras.mlp(64,10), kh.keras.mlp_space(max_layers=1, epochs=1), data=data, max_trials=1, progress=False, seed=99)
for variant in ["off", "on", "on", "off"]:
    adapter._build_for_fit = real if variant == "on" else (lambda model, sample: None)
    before = os.getloadavg()[0]
    row = b.run_ours("hyperband", 21, data, test, None)
    line = json.dumps({"variant": variant, "wall": round(row["wall"], 1), "best_val": row["best_val"], "test": row["test"],
                       "load": [round(before, 2), round(os.getloadavg()[0], 2)]})
    print(line, flush=True)
    with open(os.path.join(HERE, "results", "bandit_prebuild_ab.jsonl"), "a") as handle:
        handle.write(line + "\n")
