"""Storage cost per trial as a study grows: trials 0-1000 against trials 4000-5000 of a trivial random search.

    nice -n 5 python3 benchmarks/store_cost.py                          # seeds 1 2 3, writes results/store_cost.md
    python3 benchmarks/store_cost.py --seeds 0 --trials 1200            # the pilot (seed 0 is never reported)

Each run is a fresh subprocess: ``kh.tune`` of an objective that returns at once,
``method="random"`` over 3 floats and a choice, 5000 trials, one of these setups:

- ``file``: this code, a SQLite file (WAL, synchronous=NORMAL);
- ``file_full``: this code with synchronous=FULL, to show what NORMAL saves;
- ``memory``: this code, ``storage=None`` (SQLite in memory): the baseline for "the store's overhead";
- ``main``: the code of ``--main`` (default /work/main, the commit before this work), a SQLite file.

Measured per trial: the wall time between consecutive objective calls (the whole
loop: ask, store, tell) and, for this code, the time spent inside ``Store.save``.
Reported: medians over seeds of the mean per trial over trials 0-1000 and 4000-5000,
their ratio, and the store's overhead (file minus memory). The setups rotate
order from seed to seed so a slow spell on the shared machine hits all of them.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SETUPS = ("file", "file_full", "memory", "main")

_WORKER = r"""
import json, sys, time
import keras_hpo as kh
from keras_hpo.storage import Store

setup, storage, trials, seed = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
if setup == "file_full":
    Store.synchronous = "FULL"
calls, saves = [], [0.0] * (trials + 1)
real_save = Store.save
current = {"n": 0}

def timed_save(self, study, trial, *args, **kwargs):
    t = time.perf_counter()
    try:
        return real_save(self, study, trial, *args, **kwargs)
    finally:
        saves[min(current["n"], trials)] += time.perf_counter() - t

Store.save = timed_save

def objective(p):
    calls.append(time.perf_counter())
    current["n"] = len(calls) - 1
    return p["a"] + p["b"] * p["c"] + (p["k"] == "x")

space = {"a": kh.Float(0, 1), "b": kh.Float(1e-3, 1, log=True), "c": kh.Float(-1, 1), "k": ["x", "y", "z"]}
kh.tune(objective, space, method="random", max_trials=trials, seed=seed, progress=False,
        storage=None if setup == "memory" else storage, study="bench")
print(json.dumps({"calls": calls, "saves": saves}))
"""


def run(setup: str, trials: int, seed: int, main: str) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        code = main if setup == "main" else ROOT
        env = {**os.environ, "PYTHONPATH": code, "TF_CPP_MIN_LOG_LEVEL": "3"}
        out = subprocess.run([sys.executable, "-c", _WORKER, setup, os.path.join(tmp, "s.db"), str(trials), str(seed)],
                             env=env, capture_output=True, text=True, check=True, cwd=tmp)
        data = json.loads(out.stdout.strip().splitlines()[-1])
    gaps = [b - a for a, b in zip(data["calls"], data["calls"][1:])]  # gap i: from trial i's call to trial i+1's
    saves = data["saves"]
    window = lambda xs, lo, hi: 1000 * statistics.fmean(xs[lo:hi])  # noqa: E731  (ms per trial)
    hi = min(trials - 1, 5000)
    lo = max(0, hi - 1000)
    return {"setup": setup, "seed": seed, "trials": trials,
            "loop_first_ms": window(gaps, 0, 1000), "loop_last_ms": window(gaps, lo, hi),
            "save_first_ms": window(saves, 0, 1000), "save_last_ms": window(saves, lo, hi)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--trials", type=int, default=5001)
    parser.add_argument("--setups", nargs="+", default=list(SETUPS))
    parser.add_argument("--main", default="/work/main")
    parser.add_argument("--out", default=os.path.join(HERE, "results", "store_cost"))
    args = parser.parse_args()
    rows = []
    for i, seed in enumerate(args.seeds):
        order = args.setups[i % len(args.setups):] + args.setups[: i % len(args.setups)]
        for setup in order:
            if setup == "main" and not os.path.isdir(args.main):
                continue
            started = time.time()
            row = run(setup, args.trials, seed, args.main)
            row["wall_s"] = time.time() - started
            rows.append(row)
            print(json.dumps(row), flush=True)
            with open(args.out + ".jsonl", "a") as handle:
                handle.write(json.dumps(row) + "\n")
    write_table(rows, args.out + ".md")


def write_table(rows: list[dict], path: str) -> None:
    med = lambda setup, key: statistics.median(r[key] for r in rows if r["setup"] == setup)  # noqa: E731
    setups = [s for s in SETUPS if any(r["setup"] == s for r in rows)]
    seeds = sorted({r["seed"] for r in rows})
    lines = [
        "# Store cost per trial as the study grows",
        "",
        f"`nice -n 5 python3 benchmarks/store_cost.py` — trivial objective, random search, "
        f"{rows[0]['trials'] - 1} trials; medians over seeds {seeds} (seed 0 was the pilot). "
        "Times in ms per trial; 'loop' is the wall time between consecutive objective calls "
        "(ask + store + tell), 'save' the time inside `Store.save` (all of the store's writes).",
        "",
        "| setup | loop 0-1000 | loop 4000-5000 | ratio | save 0-1000 | save 4000-5000 | ratio |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for s in setups:
        lf, ll, sf, sl = (med(s, k) for k in ("loop_first_ms", "loop_last_ms", "save_first_ms", "save_last_ms"))
        lines.append(f"| {s} | {lf:.2f} | {ll:.2f} | {ll / lf:.2f}x | {sf:.2f} | {sl:.2f} | {sl / sf:.2f}x |")
    if "file" in setups and "memory" in setups:
        over = [statistics.median(r[k] for r in rows if r["setup"] == "file") -
                statistics.median(r[k] for r in rows if r["setup"] == "memory") for k in ("loop_first_ms", "loop_last_ms")]
        lines += ["", f"Store overhead (file minus memory, loop time): {over[0]:.2f} ms per trial over trials 0-1000, "
                      f"{over[1]:.2f} ms over trials 4000-5000."]
    with open(path, "w") as handle:
        handle.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
