"""Storage cost per trial as a study grows: trials 0-1000 against trials 4000-5000 of a trivial random search.

    nice -n 5 python3 benchmarks/store_cost.py                          # seeds 1 2 3, writes results/store_cost.md
    python3 benchmarks/store_cost.py --seeds 0 --trials 1200            # the pilot (seed 0 is never reported)

Each run is a fresh subprocess: ``kh.tune`` of an objective that returns at once,
``method="random"`` over 3 floats and a choice, 5000 trials, one of these setups:

- ``file``: this code, a SQLite file (WAL, synchronous=NORMAL);
- ``file_full``: this code with synchronous=FULL, to show what NORMAL saves;
- ``memory``: this code, ``storage=None`` (SQLite in memory, so no disk at all);
- ``main``: the code of ``--main`` (default /work/main, the commit before this work), a SQLite file.

Measured per trial: the wall time between consecutive objective calls (the whole
loop: ask, store, tell) and, for this code, the time spent inside ``Store.save``.
Reported: medians over seeds of the mean per trial over trials 0-1000 and 4000-5000,
and their ratio; the store's per-trial overhead is the time inside ``Store.save``. The
table is built from ``results/store_cost.jsonl`` (the latest run of each setup and
seed), so ``--setups file memory`` can re-measure this code without re-running
``main`` (4-8 minutes a run). The setups rotate
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
calls, cpu, saves, save_cpu = [], [], [0.0] * (trials + 1), [0.0] * (trials + 1)
real_save = Store.save
current = {"n": 0}

def timed_save(self, study, trial, *args, **kwargs):
    t, c = time.perf_counter(), time.process_time()
    try:
        return real_save(self, study, trial, *args, **kwargs)
    finally:
        saves[min(current["n"], trials)] += time.perf_counter() - t
        save_cpu[min(current["n"], trials)] += time.process_time() - c

Store.save = timed_save

def objective(p):
    calls.append(time.perf_counter())
    cpu.append(time.process_time())
    current["n"] = len(calls) - 1
    return p["a"] + p["b"] * p["c"] + (p["k"] == "x")

space = {"a": kh.Float(0, 1), "b": kh.Float(1e-3, 1, log=True), "c": kh.Float(-1, 1), "k": ["x", "y", "z"]}
kh.tune(objective, space, method="random", max_trials=trials, seed=seed, progress=False,
        storage=None if setup == "memory" else storage, study="bench")
print(json.dumps({"calls": calls, "cpu": cpu, "saves": saves, "save_cpu": save_cpu}))
"""


def run(setup: str, trials: int, seed: int, main: str) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        code = main if setup == "main" else ROOT
        env = {**os.environ, "PYTHONPATH": code, "TF_CPP_MIN_LOG_LEVEL": "3"}
        out = subprocess.run([sys.executable, "-c", _WORKER, setup, os.path.join(tmp, "s.db"), str(trials), str(seed)],
                             env=env, capture_output=True, text=True, check=True, cwd=tmp)
        data = json.loads(out.stdout.strip().splitlines()[-1])
    gaps = [b - a for a, b in zip(data["calls"], data["calls"][1:])]  # gap i: from trial i's call to trial i+1's
    cpu_gaps = [b - a for a, b in zip(data["cpu"], data["cpu"][1:])]
    saves, save_cpu = data["saves"], data["save_cpu"]
    window = lambda xs, lo, hi: 1000 * statistics.fmean(xs[lo:hi])  # noqa: E731  (ms per trial)
    hi = min(trials - 1, 5000)
    lo = max(0, hi - 1000)
    return {"setup": setup, "seed": seed, "trials": trials,
            "loop_first_ms": window(gaps, 0, 1000), "loop_last_ms": window(gaps, lo, hi),
            "save_first_ms": window(saves, 0, 1000), "save_last_ms": window(saves, lo, hi),
            "cpu_first_ms": window(cpu_gaps, 0, 1000), "cpu_last_ms": window(cpu_gaps, lo, hi),
            "save_cpu_first_ms": window(save_cpu, 0, 1000), "save_cpu_last_ms": window(save_cpu, lo, hi)}


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
    latest = {}
    with open(args.out + ".jsonl") as handle:  # the table: the latest run of each (setup, seed), this run's seeds
        for line in handle:
            row = json.loads(line)
            if row["seed"] in args.seeds and row["trials"] == args.trials:
                latest[row["setup"], row["seed"]] = row
    write_table(list(latest.values()), args.out + ".md")


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
        "(ask + store + tell), 'save' the time inside `Store.save` (all of the store's writes). 'wall' is the "
        "clock, 'CPU' the process's CPU time, which other programs on this shared 2-core machine disturb far less.",
        "",
        "| setup | measure | loop 0-1000 | loop 4000-5000 | ratio | save 0-1000 | save 4000-5000 | ratio |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for s in setups:
        for measure, prefix in (("wall", ""), ("CPU", "cpu_")):
            if prefix and not all(f"{prefix}first_ms" in r for r in rows if r["setup"] == s):
                continue
            lf, ll = med(s, f"{prefix or 'loop_'}first_ms"), med(s, f"{prefix or 'loop_'}last_ms")
            sf, sl = med(s, f"save_{prefix}first_ms"), med(s, f"save_{prefix}last_ms")
            lines.append(f"| {s} | {measure} | {lf:.2f} | {ll:.2f} | {ll / lf:.2f}x | {sf:.2f} | {sl:.2f} | {sl / sf:.2f}x |")
    if "file" in setups:
        worst = max(r["save_last_ms"] for r in rows if r["setup"] == "file")
        lines += ["", f"Per-trial overhead of the store (time inside `Store.save` with a file, both transactions of a "
                      f"trial): median {med('file', 'save_first_ms'):.2f} ms over trials 0-1000 and "
                      f"{med('file', 'save_last_ms'):.2f} ms over trials 4000-5000 (worst seed {worst:.2f} ms). "
                      "The in-memory store costs about the same: with WAL and synchronous=NORMAL nothing waits for "
                      "the disk. `main` rewrote the whole searcher state (the list of points seen) twice per trial "
                      "with synchronous=FULL."]
    if "main" in setups:
        lines += ["", "`main` takes 4-8 minutes a run, so its rows may come from an earlier run of this script than "
                      "the others (see the jsonl: wall_s); when the machine was busier its absolute times are inflated, "
                      "but its growth from trials 0-1000 to 4000-5000 is its own."]
    with open(path, "w") as handle:
        handle.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
