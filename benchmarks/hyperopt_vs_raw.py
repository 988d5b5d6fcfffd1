"""``tpe`` through keras_hpo against ``hyperopt.fmin`` called directly, side by side in one process.

One command runs everything and writes ``benchmarks/results/hyperopt_vs_raw.md``
(and the per-run records in ``hyperopt_vs_raw.jsonl``)::

    nice -n 5 python3 benchmarks/hyperopt_vs_raw.py               # 10 seeds, 200 evaluations
    python3 benchmarks/hyperopt_vs_raw.py --seeds 2 --evals 60    # a quick pilot

For every problem (Branin, Hartmann-6, mixed) and seed, three runs share the seed:

- ``fmin``: ``hyperopt.fmin(fn, space, algo=tpe.suggest, rstate=np.random.default_rng(seed))``
  on a hand-written Hyperopt space, as a Hyperopt user would write it;
- ``tune``: ``keras_hpo.tune(fn, problem.space, method="tpe", seed=seed)``, the whole loop
  (in-memory SQLite store, executor, bookkeeping);
- ``ask/tell``: the keras_hpo ``TPE`` searcher driven by a bare ask/evaluate/tell loop,
  which is what ``fmin`` does, so the difference in time per suggestion is the adapter.

Regret at 50 evaluations is read from the first 50 of the 200-evaluation run (TPE is
sequential and does not know the budget). Times are CPU seconds of this process
(``time.process_time``), which the other loads on a shared machine disturb less than
wall time; wall time is recorded too.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import logging  # noqa: E402
import math  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
from hyperopt import Trials, fmin, hp, tpe  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import keras_hpo as kh  # noqa: E402
from keras_hpo import searchers  # noqa: E402
from keras_hpo.testing.objectives import BRANIN, HARTMANN6, MIXED, Problem  # noqa: E402
from keras_hpo.trial import Trial, TrialState  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
PROBLEMS = {p.name: p for p in (BRANIN, HARTMANN6, MIXED)}
METHODS = ("fmin", "tune", "ask/tell")
CHECKPOINTS = (50, 200)


def raw_space(problem: Problem) -> tuple[dict, callable]:
    """The Hyperopt space a Hyperopt user would write, and how to turn fmin's point into the problem's params."""
    if problem is BRANIN:
        return {"x1": hp.uniform("x1", -5, 10), "x2": hp.uniform("x2", 0, 15)}, dict
    if problem is HARTMANN6:
        return {f"x{i}": hp.uniform(f"x{i}", 0, 1) for i in range(6)}, dict
    space = {
        "optimizer": hp.choice("optimizer", ["sgd", "adam", "rmsprop"]),
        "learning_rate": hp.loguniform("learning_rate", math.log(1e-5), math.log(1.0)),
        "units": hp.qloguniform("units", math.log(7.5), math.log(1024.5), 1),
        "activation": hp.choice("activation", ["relu", "tanh", "sigmoid"]),
        "dropout": hp.quniform("dropout", -0.025, 0.525, 0.05),
    }

    def params(point: dict) -> dict:
        return {**point, "units": int(point["units"])}

    return space, params


def run_fmin(problem: Problem, seed: int, evals: int) -> list[float]:
    space, to_params = raw_space(problem)
    values: list[float] = []

    def fn(point: dict) -> float:
        values.append(problem.fn(to_params(point)))
        return values[-1]

    fmin(fn, space, algo=tpe.suggest, max_evals=evals, trials=Trials(), rstate=np.random.default_rng(seed),
         show_progressbar=False)
    return values


def run_tune(problem: Problem, seed: int, evals: int) -> list[float]:
    result = kh.tune(problem.fn, problem.space, method="tpe", max_trials=evals, seed=seed, progress=False)
    return [t.value for t in sorted(result.records, key=lambda t: t.number)]


def run_ask_tell(problem: Problem, seed: int, evals: int) -> list[float]:
    searcher = searchers.get("tpe")
    searcher.setup(problem.space, "min", seed)
    values: list[float] = []
    for number in range(evals):
        [suggestion] = searcher.ask(1)
        values.append(problem.fn(suggestion.params))
        searcher.tell(Trial(number, suggestion.params, TrialState.COMPLETE, value=values[-1]))
    return values


RUNNERS = {"fmin": run_fmin, "tune": run_tune, "ask/tell": run_ask_tell}


def timed(method: str, problem: Problem, seed: int, evals: int) -> dict:
    wall, cpu = time.perf_counter(), time.process_time()
    values = RUNNERS[method](problem, seed, evals)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    return {"problem": problem.name, "method": method, "seed": seed, "evals": evals, "values": values,
            "cpu": cpu, "wall": wall}


def regret_at(record: dict, n: int) -> float:
    problem = PROBLEMS[record["problem"]]
    return problem.regret(min(record["values"][:n]))


def quartiles(xs: list[float]) -> tuple[float, float, float]:
    q = np.percentile(xs, [25, 50, 75])
    return float(q[0]), float(q[1]), float(q[2])


def report(records: list[dict], evals: int) -> str:
    seeds = sorted({r["seed"] for r in records})
    lines = [
        "# tpe through keras_hpo vs hyperopt.fmin (same process, same seeds)",
        "",
        f"hyperopt {__import__('hyperopt').__version__}, {len(seeds)} seeds ({seeds[0]}..{seeds[-1]}), "
        f"{evals} evaluations per run; regret at 50 is the best of the first 50 of the same run. "
        "Generated by `nice -n 5 python3 benchmarks/hyperopt_vs_raw.py`.",
        "",
        "## Simple regret: median [25%, 75%]",
        "",
        "| problem | evals | fmin | tune (tpe) | ask/tell (tpe) | seeds with identical trajectories (fmin = tune) |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    by = {(r["problem"], r["method"], r["seed"]): r for r in records}
    for name in PROBLEMS:
        for n in CHECKPOINTS:
            if n > evals:
                continue
            cells = []
            for method in METHODS:
                xs = [regret_at(by[(name, method, s)], n) for s in seeds if (name, method, s) in by]
                lo, med, hi = quartiles(xs)
                cells.append(f"{med:.4g} [{lo:.3g}, {hi:.3g}]")
            same = sum(
                np.allclose(by[(name, "fmin", s)]["values"][:n], by[(name, "tune", s)]["values"][:n], rtol=1e-9, atol=1e-12)
                for s in seeds if (name, "fmin", s) in by and (name, "tune", s) in by
            )
            lines.append(f"| {name} | {n} | {' | '.join(cells)} | {same}/{len(seeds)} |")
    lines += [
        "",
        "## Time per suggestion (CPU ms; objective time included, it is microseconds)",
        "",
        "| problem | fmin | ask/tell | adapter overhead | tune (whole loop) | tune over fmin |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    total = {m: 0.0 for m in METHODS}
    for name in PROBLEMS:
        per = {}
        for method in METHODS:
            rs = [r for r in records if r["problem"] == name and r["method"] == method]
            per[method] = 1000 * sum(r["cpu"] for r in rs) / sum(r["evals"] for r in rs)
            total[method] += per[method]
        lines.append(
            f"| {name} | {per['fmin']:.2f} | {per['ask/tell']:.2f} | {100 * (per['ask/tell'] / per['fmin'] - 1):+.1f}% | "
            f"{per['tune']:.2f} | {100 * (per['tune'] / per['fmin'] - 1):+.1f}% |"
        )
    lines.append(
        f"| all | {total['fmin'] / 3:.2f} | {total['ask/tell'] / 3:.2f} | {100 * (total['ask/tell'] / total['fmin'] - 1):+.1f}% | "
        f"{total['tune'] / 3:.2f} | {100 * (total['tune'] / total['fmin'] - 1):+.1f}% |"
    )
    lines += [
        "",
        "Reading the tables: the three columns are the same numbers because the runs are the same runs. With the",
        "same seed keras_hpo hands Hyperopt the same search space (`hp.uniform`, `hp.loguniform`, `hp.choice`,",
        "`hp.qloguniform` for log ints, `hp.quniform` for steps), the same `Trials` contents and the same",
        "per-call seeds (`rstate.integers(2**31 - 1)`, as `fmin` draws them), so `tpe.suggest` proposes the same",
        "points; the last column counts the seeds whose 200 objective values agree to 1e-9. `adapter overhead` is",
        "CPU time per suggestion of keras_hpo's ask/tell loop over `fmin`'s (negative: `fmin` does more per",
        "evaluation, e.g. evaluating the pyll space to build the point); `tune` adds the loop's store (in-memory",
        "SQLite), executor and bookkeeping, which is fixed per trial and vanishes next to any real training.",
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--evals", type=int, default=200)
    parser.add_argument("--problems", nargs="*", default=list(PROBLEMS))
    parser.add_argument("--fresh", action="store_true", help="ignore runs already in the .jsonl")
    parser.add_argument("--out", default="hyperopt_vs_raw")
    args = parser.parse_args()
    logging.getLogger("hyperopt").setLevel(logging.WARNING)
    RESULTS.mkdir(exist_ok=True)
    log_path = RESULTS / f"{args.out}.jsonl"
    if args.fresh and log_path.exists():
        log_path.unlink()
    done = [json.loads(line) for line in log_path.read_text().splitlines()] if log_path.exists() else []
    have = {(r["problem"], r["method"], r["seed"], r["evals"]) for r in done}
    for seed in range(args.seeds):
        for name in args.problems:
            for method in METHODS:  # interleaved, so a busy spell on the machine hits every method alike
                if (name, method, seed, args.evals) in have:
                    continue
                record = timed(method, PROBLEMS[name], seed, args.evals)
                done.append(record)
                with log_path.open("a") as f:
                    f.write(json.dumps(record) + "\n")
                print(f"{name:10s} {method:9s} seed {seed}: regret {regret_at(record, args.evals):.4g} "
                      f"({record['cpu']:.1f} s cpu)", flush=True)
    records = [r for r in done if r["evals"] == args.evals and r["problem"] in args.problems]
    text = report(records, args.evals)
    (RESULTS / f"{args.out}.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
