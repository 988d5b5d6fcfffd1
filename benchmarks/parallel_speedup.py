"""Speed-up of ``n_jobs=2`` over serial for short Keras trials, cold and warm, and the driver's memory over 200 trials.

One driver process per (seed, n_jobs) imports Keras and fits one warm-up model before any
clock starts (as a notebook session would have), then makes two timed calls:

- **cold**: the first ``kh.tune(..., max_trials=N)`` of the process. With ``n_jobs=2``
  it includes starting the two worker processes (each imports TensorFlow): what a
  user waits for in a fresh script.
- **warm**: a second call in the same process with another seed (a notebook's next
  cell). With ``n_jobs=2`` it runs on the workers kept warm by the first call
  (``keras_hpo._pool``); the serial run gets the same second call.

Problem: digits (600 samples, 64 -> units -> 10, 3 epochs, batch 64), ``method="auto"``
(what a user gets), 30 trials per call. Serial and parallel processes are interleaved
(serial first for even seeds, parallel first for odd ones) so the machine's load hits
both alike. Seeds: pilot 100, 101 (used while changing the executor); reported 0, 1, 2
(the warm call uses seed + 1000). Run one seed per command under the timing lock::

    flock /work/wt/timing.lock setsid --wait sh -c \
        'echo -15 > /proc/self/autogroup; exec python3 benchmarks/parallel_speedup.py --seeds 0'  # then 1, 2
    (the same with --memory)                                                  # 200 trials, driver RSS
    python3 benchmarks/parallel_speedup.py --report             # writes the .md

Why the ``autogroup``: Linux (``kernel.sched_autogroup_enabled=1``) shares the CPU between
sessions first and applies ``nice`` only inside a session, so other jobs running at
``nice 15`` in sessions of their own still take an equal share, and with three of
them busy a serial run and a two-worker run get the same CPU (the previous runs:
0.84x under load). The benchmark's own session at autogroup nice -15 gets the weight
that "normal priority against nice 15" is meant to give (29154 : 1024 as 1024 : 36).

Per call it records wall time, steady state (first trial start to last trial end),
the time from calling ``tune`` to the first trial's start, the 1-minute load average,
and the share of the machine's CPU used by this run's processes (driver and workers,
from ``/proc``) and by everything else (1.0 = both cores busy the whole call).

Memory: one driver tunes 200 trials with ``n_jobs=2`` and records its own RSS after
each trial (a callback); the slope from trial 20 on shows whether the driver holds
anything per trial.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
ROOT = Path(__file__).resolve().parents[1]
ROWS = RESULTS / "parallel_speedup.jsonl"
PILOT_ROWS = RESULTS / "parallel_speedup_pilot.jsonl"
TRIALS = 30
WARM_SEED_OFFSET = 1000

RUN = """
import json, os, sys, time
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np
import keras
import keras_hpo as kh
from sklearn.datasets import load_digits

n_jobs, trials, seed, memory = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4] == "memory"
HZ, CORES = os.sysconf("SC_CLK_TCK"), os.cpu_count()
x, y = load_digits(return_X_y=True)
x, y = (x[:600] / 16.0).astype("float32"), y[:600]
warm = kh.keras.build_mlp({"units": 8}, input_shape=64, outputs=10)
warm.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
warm.fit(x, y, epochs=1, verbose=0)
space = {"units": kh.Int(8, 64), "learning_rate": kh.Float(1e-3, 1e-2, log=True), "epochs": 3, "batch_size": 64}
rss = []

def rss_mib(result, trial):
    with open("/proc/self/status") as handle:
        rss.append(next(int(l.split()[1]) for l in handle if l.startswith("VmRSS")) / 1024)

def tree():
    children = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = open(f"/proc/{entry}/stat").read()
            except OSError:
                continue
            children.setdefault(int(stat.rsplit(")", 1)[1].split()[1]), []).append(int(entry))
    found, todo = {os.getpid()}, [os.getpid()]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found

def cpu(pids):
    out = {}
    for pid in pids:
        try:
            fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        out[pid] = (int(fields[11]) + int(fields[12])) / HZ
    return out

def machine():
    values = [float(v) for v in open("/proc/stat").readline().split()[1:]]
    return (sum(values) - values[3] - values[4]) / HZ

def call(seed, callbacks=()):
    load0, busy0, own0 = os.getloadavg()[0], machine(), cpu(tree())
    t0, start = time.time(), time.perf_counter()
    result = kh.tune(kh.keras.mlp(64, 10), space, data=(x, y), metric="val_accuracy", max_trials=trials,
                     n_jobs=n_jobs, seed=seed, progress=False, callbacks=list(callbacks))
    wall = time.perf_counter() - start
    own1, busy1 = cpu(tree()), machine()
    own = sum(v - own0.get(p, 0.0) for p, v in own1.items())
    records = result.records
    return {"wall": wall, "steady": max(t.finished for t in records) - min(t.started for t in records),
            "first_start": min(t.started for t in records) - t0, "completed": len(result.completed),
            "best": result.best_value, "load1": round((load0 + os.getloadavg()[0]) / 2, 2),
            "own_cpu_share": round(own / (wall * CORES), 3),
            "others_cpu_share": round(max(0.0, busy1 - busy0 - own) / (wall * CORES), 3),
            "workers": sorted({t.metrics.get("worker", "") for t in records})}

if memory:
    row = call(seed, [rss_mib])
    row["rss"] = rss
    print(json.dumps(row))
else:
    cold = call(seed)
    hot = call(seed + WARM)
    hot["reused"] = bool(set(cold["workers"]) & set(hot["workers"]))
    print(json.dumps({"cold": cold, "warm": hot}))
"""


def run(n_jobs: int, trials: int, seed: int, memory: bool = False) -> dict:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
               TQDM_DISABLE="1", TF_CPP_MIN_LOG_LEVEL="3")
    with tempfile.TemporaryDirectory() as folder:
        script = Path(folder) / "run.py"
        script.write_text(textwrap.dedent(RUN).replace("WARM)", f"{WARM_SEED_OFFSET})"))
        out = subprocess.run([sys.executable, str(script), str(n_jobs), str(trials), str(seed),
                              "memory" if memory else "speed"], env=env, capture_output=True, text=True, cwd=folder)
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-3000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def measure(seeds: list[int], path: Path, trials: int) -> None:
    with open(path, "a") as log:
        for seed in seeds:
            for n_jobs in ((1, 2) if seed % 2 == 0 else (2, 1)):  # interleaved: the order alternates per seed
                calls = run(n_jobs, trials, seed)
                for which in ("cold", "warm"):
                    row = dict(calls[which], seed=seed, n_jobs=n_jobs, call=which, trials=trials,
                               measured=time.strftime("%Y-%m-%d %H:%M:%S"))
                    log.write(json.dumps(row) + "\n")
                    print(row, flush=True)


NOTES = """## Reading

The table above is a run on an idle machine (load about 1-2, nothing else running) on 2026-11-30 at 01:30, after
the driver's BLAS was kept to one thread while workers train (`keras_hpo/driver_threads.py`). Earlier runs of the
same protocol: on the idle machine before that change, cold 1.04x and warm 1.46x
(`parallel_speedup_quiet_before_blas.jsonl`); under the load of a working session (load 8-10, others at nice 15,
this run at autogroup nice -15) cold 1.41x and warm 1.69x (`parallel_speedup_loaded.jsonl`), a flattered figure:
under load the serial baseline loses TensorFlow's second thread (0.50 own CPU instead of 0.60).

- **Warm** (a notebook's next cell, on the workers kept by the first call; first trial within 0.03 s). The serial
  run already uses 0.60 of the two cores (TensorFlow's own threads). With trials this short the driver's search
  method is on the critical path: `method="auto"`'s Gaussian process took 4.1 s of CPU for 30 suggestions with
  BLAS's default threads (they spin while they wait) and 1.7 s with one. A/B of exactly that
  (`benchmarks/driver_blas_ab.py`, one process per run, two interleaved series off, on, on, off, off, on and
  off, on, on, off, off, on, idle machine): warm speed-up **1.87x, 1.79x, 1.95x, 1.74x, 1.75x, 1.86x with one
  driver thread (median 1.83x)** against 1.55x, 1.52x, 1.58x, 1.72x, 1.60x, 1.51x without (median 1.57x).
  `benchmarks/parallel_speedup_by_method.py` (before that change) measured 1.73x and 1.82x with `method="random"`,
  whose suggestions cost nothing, against 1.53x and 1.52x with `method="auto"`.
- **Cold** (the first call in a process): each worker is a fresh Python that imports TensorFlow and Keras (3.7 s
  of imports measured with `python -X importtime -c "import keras"`, TensorFlow itself about 2 s, `keras.wrappers`
  pulling in scikit-learn 0.7 s), both at once on the 2 cores, about 3.8 s before the first trial. Starting them
  before `tune` checks its input and prepares the run hides only what the driver does meanwhile (milliseconds). On a
  16 s serial run the two imports (7.4 s of CPU against about 20 s of work) bound the cold speed-up near 1.25x; it
  is paid once per Python process, and longer runs dilute it.
- **Worker retirement:** a worker is replaced after 50 trials (`max_tasks_per_child`, against Keras's slow memory
  growth), and its replacement pays the cold start; a long series of warm calls sees one such ~4 s pause per 100
  trials on 2 workers. Not changed yet: it needs a measurement of the leak it guards against.
- **Pilot (seeds 100, 101; rows in `parallel_speedup_pilot.jsonl`), not used for the figures above:**
  - one TensorFlow thread per worker (`cores // n_jobs`, kept) against TensorFlow's default threads in each worker,
    seed 100: warm call 15.7 s against 18.2 s, steady state 16.9 s against 18.1 s (cold call);
  - main before the warm pool, seed 100, same load conditions: cold 21.8 s (warm pool branch 21.1 s), second call
    21.1 s (warm: 15.7 s); main also waited up to 1.4 s at the end of each call for its workers to exit;
  - a warm worker's garbage collection right after a run (0.5-0.9 s with TensorFlow loaded) delayed the next call's
    first trial to 0.87 s; it now waits until the worker has been idle for 2 s.
  - without the session's autogroup nice (others' equal share), seed 100: own CPU 0.25 for serial and parallel alike,
    no speed-up measurable (cold 0.73x, warm 1.12x), as in the previous session under load.

## Before this branch

Previous session, same problem (one call per driver): under load 0.84x wall (`parallel_speedup_before.jsonl`); on a
quiet machine 1.23x wall, 1.65x steady state (`parallel_speedup_quiet.jsonl`).
"""


def _slope(values: list[float]) -> float:
    n = len(values)
    mx, my = (n - 1) / 2, sum(values) / n
    return sum((x - mx) * (v - my) for x, v in enumerate(values)) / sum((x - mx) ** 2 for x in range(n))


def report(path: Path, out: Path) -> None:
    lines_in = [json.loads(line) for line in open(path)]
    rows = [r for r in lines_in if "memory" not in r]
    memory = next((r["memory"] for r in reversed(lines_in) if "memory" in r), None)
    seeds = sorted({r["seed"] for r in rows})
    pick = {(r["seed"], r["n_jobs"], r["call"]): r for r in rows}  # the last measurement of each
    lines = [
        "# Speed-up of n_jobs=2 over serial on short Keras trials, cold and warm; driver memory",
        "",
        f"{rows[0]['trials']} trials per call (digits 600 samples, MLP 64 -> units -> 10, 3 epochs, batch 64, "
        f"method='auto'), seeds {seeds} (warm call: seed + {WARM_SEED_OFFSET}); {os.cpu_count()} cores. Each row "
        "pair comes from one driver process that imported Keras and fitted a warm-up model before the clocks "
        "started: **cold** = its first `tune` call (with `n_jobs=2` this includes starting the two workers), "
        "**warm** = its second call (with `n_jobs=2` on the workers kept warm by the first). Serial and parallel "
        "processes interleaved (order alternating per seed), run under the timing lock in a session of their own at "
        "autogroup nice -15 while other jobs ran at nice 15 in theirs (see the script's docstring: without it the "
        "kernel gives every session an equal share whatever its nice). "
        "Steady = first trial start to last trial end; first trial = seconds from calling `tune` to the first "
        "trial's start. Load: 1-minute load average; own / others' CPU: share of the machine's CPU time used by "
        "this run's processes / by all other processes (1.0 = both cores busy).",
        "",
        "| seed | call | n_jobs | wall (s) | steady (s) | first trial (s) | completed | best val_accuracy | "
        "load avg | own CPU | others' CPU |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for seed in seeds:
        for which in ("cold", "warm"):
            for n_jobs in (1, 2):
                r = pick.get((seed, n_jobs, which))
                if r is None:
                    continue
                lines.append(f"| {seed} | {which} | {n_jobs} | {r['wall']:.1f} | {r['steady']:.1f} | "
                             f"{r['first_start']:.2f} | {r['completed']} | {r['best']:.4f} | {r['load1']:.2f} | "
                             f"{r['own_cpu_share']:.2f} | {r['others_cpu_share']:.2f} |")
    lines.append("")
    for which in ("cold", "warm"):
        both = [s for s in seeds if (s, 1, which) in pick and (s, 2, which) in pick]
        if not both:
            continue
        wall = [pick[(s, 1, which)]["wall"] / pick[(s, 2, which)]["wall"] for s in both]
        steady = [pick[(s, 1, which)]["steady"] / pick[(s, 2, which)]["steady"] for s in both]
        others = [pick[(s, n, which)]["others_cpu_share"] for s in both for n in (1, 2)]
        lines.append(f"**{which.capitalize()}: speed-up (serial wall / parallel wall), median over seeds "
                     f"{statistics.median(wall):.2f}x** (per seed: {', '.join(f'{x:.2f}' for x in wall)}); "
                     f"steady state {statistics.median(steady):.2f}x (per seed: {', '.join(f'{x:.2f}' for x in steady)}); "
                     f"others' CPU median {statistics.median(others):.2f}. Goal: >= 1.6x.")
        lines.append("")
    reused = [r.get("reused") for r in rows if r["n_jobs"] == 2 and r["call"] == "warm"]
    if reused:
        lines.append(f"Warm parallel calls that ran on the first call's workers: {sum(map(bool, reused))} of {len(reused)}.")
        lines.append("")
    if memory is not None:
        rss = memory["rss"]
        marks = [i for i in (0, 19, 49, 99, 149, 199) if i < len(rss)]
        lines += [f"## Driver memory over {len(rss)} trials (n_jobs=2, one cold call)", "",
                  "| after trial | " + " | ".join(str(i + 1) for i in marks) + " |",
                  "| --- | " + " | ".join("---" for _ in marks) + " |",
                  "| driver RSS (MiB) | " + " | ".join(f"{rss[i]:.0f}" for i in marks) + " |", "",
                  f"Slope from trial 20 on (least squares): {_slope(rss[19:]) * 1024:.1f} KiB per trial "
                  f"(load avg {memory['load1']:.2f}, others' CPU {memory['others_cpu_share']:.2f}).", ""]
    if path == ROWS:
        lines.append(NOTES)
    out.write_text("\n".join(lines))
    print("\n".join(lines))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, nargs="*", default=[], help="reported: 0 1 2; pilot: 100 101")
    parser.add_argument("--trials", type=int, default=TRIALS)
    parser.add_argument("--memory", action="store_true", help="the 200-trial driver-memory run")
    parser.add_argument("--memory-trials", type=int, default=200)
    parser.add_argument("--report", action="store_true", help="write the .md from the .jsonl")
    args = parser.parse_args()
    pilot = bool(args.seeds) and min(args.seeds) >= 100
    path = PILOT_ROWS if pilot else ROWS
    if args.seeds:
        measure(args.seeds, path, args.trials)
    if args.memory:
        row = run(2, args.memory_trials, 0, memory=True)
        with open(path, "a") as log:
            log.write(json.dumps({"memory": row}) + "\n")
    if args.report:
        report(path, path.with_suffix(".md"))


if __name__ == "__main__":
    main()
