"""keras_hpo's ``bayes`` against random search, Optuna (TPE, GP) and scikit-optimize's gp_minimize.

One command runs everything and writes ``benchmarks/results/bayes_vs_peers.md``::

    nice -n 5 python3 benchmarks/bayes_vs_peers.py            # 10 seeds, budgets 30 and 60, timing
    python3 benchmarks/bayes_vs_peers.py --seeds 2 --no-timing  # a quick pilot

Every finished run is appended to ``benchmarks/results/bayes_vs_peers.jsonl`` as it
completes, and runs already there are skipped, so an interrupted benchmark resumes
(``--fresh`` starts over). Each method gets the same objective and space. Regret at
budget 30 is read from the first 30 evaluations of the 60-evaluation run (every
method here is sequential and none of them changes its behaviour with the budget).
Rosenbrock-4 is optimised as log(1 + f) by every method (its raw values span six
orders of magnitude); its regret is reported on the raw f.
"""

# ruff: noqa: E402  (thread limits must be set before numpy is imported)
from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # one thread per run: fair between methods on a shared machine

import argparse
import json
import math
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import _peers
from _peers import optuna_params

from keras_hpo import searchers
from keras_hpo.testing.objectives import BRANIN, HARTMANN6, MIXED, ROSENBROCK4, Problem
from keras_hpo.trial import Trial, TrialState

RESULTS = Path(__file__).resolve().parent / "results"
PROBLEMS = {p.name: p for p in (BRANIN, HARTMANN6, ROSENBROCK4, MIXED)}
METHODS = ["bayes", "random", "optuna_tpe", "optuna_gp", "skopt_gp"]
BUDGETS = (30, 60)
TIMING_AT = (20, 60, 200)


def optimised(problem: Problem) -> Callable[[dict], float]:
    """What the methods minimise: the problem itself, or log(1 + f) for Rosenbrock."""
    if problem.name == "rosenbrock4":
        return lambda params: math.log1p(problem.fn(params))
    return problem.fn


# One function per method: (problem, seed, budget) -> raw objective values in evaluation order.
def run_keras_hpo(name: str, problem: Problem, seed: int, budget: int) -> list[float]:
    searcher = searchers.get(name)
    searcher.setup(problem.space, "min", seed)
    f, values = optimised(problem), []
    for number in range(budget):
        [suggestion] = searcher.ask(1)
        values.append(problem.fn(suggestion.params))
        searcher.tell(Trial(number, suggestion.params, TrialState.COMPLETE, value=f(suggestion.params)))
    return values




def run_optuna(sampler_name: str, problem: Problem, seed: int, budget: int) -> list[float]:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    sampler = optuna.samplers.TPESampler(seed=seed) if sampler_name == "tpe" else optuna.samplers.GPSampler(seed=seed)
    study = optuna.create_study(sampler=sampler)
    f, values = optimised(problem), []

    def objective(trial):
        params = optuna_params(trial, problem.space)
        values.append(problem.fn(params))
        return f(params)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # GPSampler is flagged experimental
        study.optimize(objective, n_trials=budget)
    return values


def run_skopt(problem: Problem, seed: int, budget: int) -> list[float]:
    return _peers.run_skopt(problem, seed, budget, optimised(problem))


RUNNERS: dict[str, Callable[[Problem, int, int], list[float]]] = {
    "bayes": lambda p, s, b: run_keras_hpo("bayes", p, s, b),
    "random": lambda p, s, b: run_keras_hpo("random", p, s, b),
    "optuna_tpe": lambda p, s, b: run_optuna("tpe", p, s, b),
    "optuna_gp": lambda p, s, b: run_optuna("gp", p, s, b),
    "skopt_gp": run_skopt,
}


# Timing: seconds per suggestion with n observations already told (Hartmann-6) ------------------------
def _random_history(n: int, seed: int) -> list[dict]:
    rng = np.random.default_rng(seed)
    return [HARTMANN6.space.sample(rng) for _ in range(n)]


def time_bayes(n: int, steps: int = 5) -> list[float]:
    searcher = searchers.get("bayes")
    searcher.setup(HARTMANN6.space, "min", 0)
    for number, params in enumerate(_random_history(n, 1)):
        searcher.tell(Trial(number, params, TrialState.COMPLETE, value=HARTMANN6.fn(params)))
    times = []
    for step in range(steps):
        t0 = time.perf_counter()
        [suggestion] = searcher.ask(1)
        times.append(time.perf_counter() - t0)
        searcher.tell(Trial(n + step, suggestion.params, TrialState.COMPLETE, value=HARTMANN6.fn(suggestion.params)))
    return times


def time_optuna_gp(n: int, steps: int = 5) -> list[float]:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    dists = {name: optuna.distributions.FloatDistribution(0.0, 1.0) for name in HARTMANN6.space}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        study = optuna.create_study(sampler=optuna.samplers.GPSampler(seed=0))
        for params in _random_history(n, 1):
            study.add_trial(optuna.trial.create_trial(params=params, distributions=dists, value=HARTMANN6.fn(params)))
        times = []
        for _ in range(steps):
            t0 = time.perf_counter()
            trial = study.ask(dists)
            times.append(time.perf_counter() - t0)
            study.tell(trial, HARTMANN6.fn(trial.params))
    return times


# Running and reporting ------------------------------------------------------------------------------
def _load(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _append(path: Path, record: dict) -> None:
    with path.open("a") as fh:
        fh.write(json.dumps(record) + "\n")
        fh.flush()


def _quartiles(xs: list[float]) -> tuple[float, float, float]:
    q1, q2, q3 = np.percentile(xs, [25, 50, 75])
    return float(q1), float(q2), float(q3)


def _fmt(x: float) -> str:
    return f"{x:.2g}" if x < 1e-3 or x >= 100 else f"{x:.3g}" if x >= 1 else f"{x:.2g}" if x < 0.01 else f"{x:.3f}"


def _versus(runs: dict, problem: str, budget: int, seeds: list[int]) -> str:
    """bayes against the peer with the best median: two-sided Mann-Whitney U p-value (tied when p > 0.05)."""
    from scipy.stats import mannwhitneyu

    def regrets(method):
        return [
            PROBLEMS[problem].regret(min(runs[(method, problem, s)]["values"][:budget]))
            for s in seeds
            if (method, problem, s) in runs
        ]

    ours = regrets("bayes")
    peers = {m: regrets(m) for m in METHODS if m != "bayes" and regrets(m)}
    if not ours or not peers:
        return "—"
    peer = min(peers, key=lambda m: np.median(peers[m]))
    p = mannwhitneyu(ours, peers[peer], alternative="two-sided").pvalue
    verdict = "tied" if p > 0.05 else ("better" if np.median(ours) < np.median(peers[peer]) else "worse")
    return f"{verdict} vs {peer} (p={p:.2g})"


def report(records: list[dict], methods: list[str], problems: list[str], seeds: list[int]) -> str:
    runs = {(r["method"], r["problem"], r["seed"]): r for r in records if r["kind"] == "run"}  # the latest wins
    lines = [
        "# bayes vs peers",
        "",
        f"Simple regret, median [25%, 75%] over {len(seeds)} seeds (seeds {seeds[0]}..{seeds[-1]}); lower is better.",
        "Rosenbrock-4 is optimised as log(1 + f) by every method; its regret is on f.",
        "**bold** = best median on that problem and budget. Last column: bayes against the peer with the best",
        "median, two-sided Mann-Whitney U over seeds (tied when p > 0.05). Every method runs with its default",
        "options (Optuna's GPSampler ran without the optional `greenlet` package, so its L-BFGS-B restarts ran",
        "one after another).",
        "",
    ]
    for budget in BUDGETS:
        lines += [
            f"## {budget} evaluations",
            "",
            "| problem | " + " | ".join(methods) + " | bayes vs best peer |",
            "| --- | " + " | ".join("---" for _ in methods) + " | --- |",
        ]
        for problem in problems:
            cells, medians = [], {}
            for method in methods:
                regrets = [
                    PROBLEMS[problem].regret(min(runs[(method, problem, s)]["values"][:budget]))
                    for s in seeds
                    if (method, problem, s) in runs
                ]
                if not regrets:
                    cells.append("—")
                    continue
                q1, q2, q3 = _quartiles(regrets)
                medians[method] = q2
                cells.append(
                    (
                        q2,
                        f"{_fmt(q2)} [{_fmt(q1)}, {_fmt(q3)}]"
                        + ("" if len(regrets) == len(seeds) else f" (n={len(regrets)})"),
                    )
                )
            best = min(medians.values()) if medians else None
            shown = [c if isinstance(c, str) else (f"**{c[1]}**" if c[0] == best else c[1]) for c in cells]
            lines.append(f"| {problem} | " + " | ".join(shown) + f" | {_versus(runs, problem, budget, seeds)} |")
        lines.append("")
    seconds = {(r["method"], r["problem"]): [] for r in runs.values()}
    for r in runs.values():
        seconds[(r["method"], r["problem"])].append(r["seconds"] / len(r["values"]))
    lines += [
        "Mean wall-clock seconds per evaluation (suggestion + evaluation; one thread each). Rough: runs share",
        "a busy machine and were not all made at the same time; the table below times both GP methods side by side.",
        "",
        "| problem | " + " | ".join(methods) + " |",
        "| --- | " + " | ".join("---" for _ in methods) + " |",
    ]
    for problem in problems:
        lines.append(
            f"| {problem} | "
            + " | ".join(
                f"{statistics.mean(seconds[(m, problem)]):.3f}" if seconds.get((m, problem)) else "—" for m in methods
            )
            + " |"
        )
    timing = [r for r in records if r["kind"] == "timing"]
    if timing:
        lines += [
            "",
            "## Seconds per suggestion on Hartmann-6",
            "",
            "n random observations told first, then 5 consecutive ask/tell steps; median (mean) of those 5 asks.",
            "",
            "| observations | bayes | optuna_gp |",
            "| --- | --- | --- |",
        ]
        by = {(r["method"], r["n"]): r["times"] for r in timing}
        for n in TIMING_AT:
            cells = [
                f"{statistics.median(by[(m, n)]):.3f} ({statistics.mean(by[(m, n)]):.3f})" if (m, n) in by else "—"
                for m in ("bayes", "optuna_gp")
            ]
            lines.append(f"| {n} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--methods", nargs="+", default=METHODS, choices=METHODS)
    parser.add_argument("--problems", nargs="+", default=list(PROBLEMS), choices=list(PROBLEMS))
    parser.add_argument(
        "--only-seeds", type=int, nargs="+", help="run just these seeds (to split the work over processes)"
    )
    parser.add_argument("--no-timing", action="store_true")
    parser.add_argument("--fresh", action="store_true", help="ignore and overwrite earlier results")
    parser.add_argument("--retime", action="store_true", help="measure the suggestion times again (both methods)")
    parser.add_argument(
        "--redo",
        nargs="+",
        default=[],
        choices=METHODS,
        help="run these methods again (e.g. after changing bayes); the newest result wins",
    )
    parser.add_argument("--out", default=str(RESULTS / "bayes_vs_peers"), help="path without extension")
    args = parser.parse_args(argv)
    jsonl, md = Path(args.out + ".jsonl"), Path(args.out + ".md")
    jsonl.parent.mkdir(parents=True, exist_ok=True)
    if args.fresh and jsonl.exists():
        jsonl.unlink()
    try:
        import torch

        torch.set_num_threads(1)
    except ImportError:
        pass
    records = _load(jsonl)
    done = {
        (r["method"], r["problem"], r["seed"]) for r in records if r["kind"] == "run" and r["method"] not in args.redo
    }
    seeds = list(range(args.seeds))
    for seed in args.only_seeds or seeds:  # seeds outermost: a partial run still compares every method
        for problem in args.problems:
            for method in args.methods:
                if (method, problem, seed) in done:
                    continue
                t0 = time.perf_counter()
                values = RUNNERS[method](PROBLEMS[problem], seed, max(BUDGETS))
                record = {
                    "kind": "run",
                    "method": method,
                    "problem": problem,
                    "seed": seed,
                    "values": values,
                    "seconds": time.perf_counter() - t0,
                }
                _append(jsonl, record)
                records.append(record)
                print(
                    f"{method:11s} {problem:12s} seed {seed}: regret@60 "
                    f"{PROBLEMS[problem].regret(min(values)):.3g} ({record['seconds']:.1f} s)",
                    flush=True,
                )
        md.write_text(report(_load(jsonl), args.methods, args.problems, seeds))
    if not args.no_timing:
        timed = {
            (r["method"], r["n"])
            for r in records
            if r["kind"] == "timing" and r["method"] not in args.redo and not args.retime
        }
        for n in TIMING_AT:
            for method, fn in (("bayes", time_bayes), ("optuna_gp", time_optuna_gp)):
                if (method, n) not in timed:
                    record = {"kind": "timing", "method": method, "n": n, "times": fn(n)}
                    _append(jsonl, record)
                    records.append(record)
                    print(f"timing {method} n={n}: {statistics.median(record['times']):.3f} s", flush=True)
    md.write_text(report(_load(jsonl), args.methods, args.problems, seeds))
    print(f"wrote {md}")


if __name__ == "__main__":
    main()
