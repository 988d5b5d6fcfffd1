"""The five metaheuristics against random search, Optuna and nevergrad, side by side.

One command runs everything and writes ``benchmarks/results/metaheuristics_vs_peers.md``::

    nice -n 5 python3 benchmarks/metaheuristics_vs_peers.py              # 10 seeds, budgets 100 and 300
    python3 benchmarks/metaheuristics_vs_peers.py --seeds 2 --methods genetic random   # a pilot

Each finished run is appended to ``benchmarks/results/metaheuristics_vs_peers.jsonl``
(the best value so far each time it improves) and runs already there are skipped, so an interrupted benchmark resumes (``--fresh``
starts over). Regret at 100 evaluations is read from the first 100 of the 300-run
(every method is run sequentially; the nevergrad optimisers are told budget 300).

Peers and how they see the spaces:

- Optuna (define-by-run, so conditionals are native): multivariate TPE (``group=True``),
  CMA-ES, and NSGA-II as Optuna's genetic algorithm. Optuna's CMA-ES only models
  numeric parameters that are always present; it samples categorical and conditional
  parameters with its independent (random) sampler, which is the library's own
  behaviour, kept as is.
- nevergrad (PSO, TwoPointsDE, CMA): floats and ints as (log-)scalars, choices as
  ``ng.p.Choice(deterministic=True)`` (argmax of learned weights), stepped floats
  rounded to their grid. nevergrad has no conditionals: every ``units_i`` of
  CONDITIONAL is always present and the objective ignores the inactive ones.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import logging
import os
import statistics
import sys
import time
import warnings
from pathlib import Path

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # one thread per run: fair between methods on a shared machine

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _peers import improvements, optuna_params  # noqa: E402

from keras_hpo import searchers  # noqa: E402
from keras_hpo.space import Choice, Float, Int, Space  # noqa: E402
from keras_hpo.testing.objectives import ACKLEY5, CONDITIONAL, HARTMANN6, MIXED, ROSENBROCK4, Problem  # noqa: E402
from keras_hpo.trial import Trial, TrialState  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
PROBLEMS = {p.name: p for p in (HARTMANN6, ROSENBROCK4, ACKLEY5, MIXED, CONDITIONAL)}
OURS = ["genetic", "ant_colony", "annealing", "tabu", "pso"]
PEERS = ["random", "optuna_tpe_mv", "optuna_cmaes", "optuna_nsga2", "ng_pso", "ng_de", "ng_cma"]
BUDGETS = (100, 300)
#: method name prefix -> the package it needs (Optuna's CMA-ES sampler needs ``cmaes`` besides Optuna)
NEEDS = {"optuna_": "optuna", "optuna_cmaes": "cmaes", "ng_": "nevergrad"}


def run_keras_hpo(name: str, problem: Problem, seed: int, budget: int) -> list[float]:
    searcher = searchers.get(name)
    searcher.setup(problem.space, "min", seed)
    values = []
    for number in range(budget):
        [suggestion] = searcher.ask(1)
        values.append(problem.fn(suggestion.params))
        searcher.tell(Trial(number, suggestion.params, TrialState.COMPLETE, value=values[-1]))
    return values


def run_optuna(kind: str, problem: Problem, seed: int, budget: int) -> list[float]:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    if kind == "optuna_tpe_mv":
        sampler = optuna.samplers.TPESampler(seed=seed, multivariate=True, group=True)
    elif kind == "optuna_cmaes":
        sampler = optuna.samplers.CmaEsSampler(seed=seed, warn_independent_sampling=False)
    else:
        sampler = optuna.samplers.NSGAIISampler(seed=seed)
    study = optuna.create_study(sampler=sampler, direction="minimize")
    values = []

    def objective(trial):
        values.append(problem.fn(optuna_params(trial, problem.space)))
        return values[-1]

    study.optimize(objective, n_trials=budget)
    return values


def _ng_parametrization(space: Space):
    import nevergrad as ng

    parts = {}
    for name, dist in space.items():
        if isinstance(dist, Choice):
            parts[name] = ng.p.Choice(list(dist.values_), deterministic=True)
        elif isinstance(dist, (Float, Int)):
            p = ng.p.Log(lower=dist.low, upper=dist.high) if dist.log else ng.p.Scalar(lower=dist.low, upper=dist.high)
            parts[name] = p.set_integer_casting() if isinstance(dist, Int) else p
    return ng.p.Dict(**parts)


def _ng_params(space: Space, raw: dict) -> dict:
    params = {}
    for name, dist in space.items():
        if not space.is_active(name, params):
            continue
        value = raw.get(name, getattr(dist, "value", None))
        if isinstance(dist, (Float, Int)) and dist.step is not None and not dist.log:
            value = dist.low + round((value - dist.low) / dist.step) * dist.step
            value = min(max(value, dist.low), dist.high)
        params[name] = int(value) if isinstance(dist, Int) else value
    return params


def run_nevergrad(kind: str, problem: Problem, seed: int, budget: int) -> list[float]:
    import nevergrad as ng

    parametrization = _ng_parametrization(problem.space)
    parametrization.random_state = np.random.RandomState(seed)
    optimizer_cls = {"ng_pso": ng.optimizers.PSO, "ng_de": ng.optimizers.TwoPointsDE, "ng_cma": ng.optimizers.CMA}[kind]
    optimizer = optimizer_cls(parametrization=parametrization, budget=budget)
    values = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(budget):
            candidate = optimizer.ask()
            values.append(problem.fn(_ng_params(problem.space, candidate.value)))
            optimizer.tell(candidate, values[-1])
    return values


def run(method: str, problem: Problem, seed: int, budget: int) -> list[float]:
    if method.startswith("optuna_"):
        return run_optuna(method, problem, seed, budget)
    if method.startswith("ng_"):
        return run_nevergrad(method, problem, seed, budget)
    return run_keras_hpo(method, problem, seed, budget)


def suggestion_times(name: str, problem: Problem, n_obs: int = 300, repeats: int = 31) -> list[float]:
    """Seconds per ``ask(1)`` once ``n_obs`` trials have been told (each timed ask is then told too)."""
    searcher = searchers.get(name)
    searcher.setup(problem.space, "min", 0)
    times = []
    for number in range(n_obs + repeats):
        start = time.perf_counter()
        [suggestion] = searcher.ask(1)
        if number >= n_obs:
            times.append(time.perf_counter() - start)
        searcher.tell(Trial(number, suggestion.params, TrialState.COMPLETE, value=problem.fn(suggestion.params)))
    return times


def regret_at(problem: Problem, improved: list[list], budget: int) -> float:
    return problem.regret(min(v for i, v in improved if i < budget))


def _fmt(x: float) -> str:
    return f"{x:.2g}" if abs(x) < 0.01 or abs(x) >= 1000 else f"{x:.3g}"


def write_report(records: list[dict], methods: list[str], seeds: int, timing: dict, path: Path) -> None:
    lines = ["# Metaheuristics vs peers: median simple regret", "",
             f"{seeds} seeds per cell; regret = best value found - known optimum (lower is better). "
             "Generated by `benchmarks/metaheuristics_vs_peers.py`; see its docstring for how each peer "
             "sees categorical and conditional parameters.", ""]
    medians: dict[tuple[str, str, int], float] = {}
    for budget in BUDGETS:
        lines += [f"## {budget} evaluations", "", "| problem | " + " | ".join(methods) + " |",
                  "|---|" + "---:|" * len(methods)]
        for pname, problem in PROBLEMS.items():
            row = []
            for m in methods:
                rs = [regret_at(problem, r["improvements"], budget) for r in records if r["method"] == m and r["problem"] == pname]
                if rs:
                    medians[(pname, m, budget)] = statistics.median(rs)
                    row.append(_fmt(medians[(pname, m, budget)]) + ("" if len(rs) == seeds else f" (n={len(rs)})"))
                else:
                    row.append("–")
            best = min((medians.get((pname, m, budget), np.inf) for m in methods), default=np.inf)
            row = [f"**{c}**" if (pname, m, budget) in medians and medians[(pname, m, budget)] == best else c
                   for c, m in zip(row, methods)]
            lines.append(f"| {pname} | " + " | ".join(row) + " |")
        lines.append("")
    b = BUDGETS[-1]
    lines += [f"## Targets at {b} evaluations", ""]
    ours = [m for m in OURS if m in methods]
    if "random" in methods:
        for m in ours:
            wins = [p for p in PROBLEMS if (p, m, b) in medians and (p, "random", b) in medians
                    and medians[(p, m, b)] < medians[(p, "random", b)]]
            lines.append(f"- {m} beats random on {len(wins)}/5: {', '.join(wins) or 'none'}"
                         f" ({'met' if len(wins) >= 4 else 'NOT met'})")
    if "optuna_tpe_mv" in methods and ours:
        wins = []
        for p in PROBLEMS:
            best = min((medians[(p, m, b)], m) for m in ours if (p, m, b) in medians) if ours else None
            if best and (p, "optuna_tpe_mv", b) in medians and best[0] < medians[(p, "optuna_tpe_mv", b)]:
                wins.append(f"{p} ({best[1]})")
        lines.append(f"- best of the five beats Optuna multivariate TPE on {len(wins)}/5: {', '.join(wins) or 'none'}"
                     f" ({'met' if len(wins) >= 3 else 'NOT met'})")
    if "ng_cma" in methods and ours:
        close = [p for p in PROBLEMS if (p, "ng_cma", b) in medians and min(
            medians.get((p, m, b), np.inf) for m in ours) <= 10 * max(medians[(p, "ng_cma", b)], 1e-12)]
        lines.append(f"- stretch, best of the five within 10x of nevergrad CMA: {len(close)}/5: {', '.join(close) or 'none'}")
    lines.append("")
    if timing:
        lines += ["## Suggestion time", "",
                  "Median (and max) milliseconds per `ask(1)` after 300 told trials, 31 timed asks, seed 0.", "",
                  "| problem | " + " | ".join(timing) + " |", "|---|" + "---:|" * len(timing)]
        for pname in PROBLEMS:
            cells = [f"{1e3 * statistics.median(timing[m][pname]):.2f} ({1e3 * max(timing[m][pname]):.1f})"
                     for m in timing if pname in timing[m]]
            lines.append(f"| {pname} | " + " | ".join(cells) + " |")
        lines.append("")
    path.write_text("\n".join(lines))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--first-seed", type=int, default=0, help="seeds first-seed .. first-seed + seeds - 1")
    parser.add_argument("--methods", nargs="+", default=OURS + PEERS)
    parser.add_argument("--problems", nargs="+", default=list(PROBLEMS))
    parser.add_argument("--tag", default="metaheuristics_vs_peers", help="name of the .jsonl/.md files")
    parser.add_argument("--fresh", action="store_true", help="ignore runs already recorded")
    parser.add_argument("--no-timing", action="store_true")
    args = parser.parse_args()
    for method in list(args.methods):
        missing = [mod for prefix, mod in NEEDS.items() if method.startswith(prefix) and not importlib.util.find_spec(mod)]
        if missing:
            print(f"skipping {method}: pip install {missing[0]}", file=sys.stderr)
            args.methods.remove(method)
    logging.getLogger("optuna").setLevel(logging.ERROR)
    RESULTS.mkdir(exist_ok=True)
    store = RESULTS / f"{args.tag}.jsonl"
    records = []
    if store.exists() and not args.fresh:
        records = [json.loads(line) for line in store.read_text().splitlines() if line.strip()]
    done = {(r["method"], r["problem"], r["seed"]) for r in records}
    budget = max(BUDGETS)
    with store.open("w" if args.fresh else "a") as out:
        for seed in range(args.first_seed, args.first_seed + args.seeds):
            for pname in args.problems:
                for method in args.methods:
                    if (method, pname, seed) in done:
                        continue
                    start = time.perf_counter()
                    values = run(method, PROBLEMS[pname], seed, budget)
                    record = {"method": method, "problem": pname, "seed": seed, "improvements": improvements(values),
                              "seconds": time.perf_counter() - start}
                    records.append(record)
                    out.write(json.dumps(record) + "\n")
                    out.flush()
                    print(f"seed {seed} {pname:12s} {method:14s} regret@300 {PROBLEMS[pname].regret(min(values)):.4g}"
                          f"  ({record['seconds']:.1f}s)", flush=True)
            write_report(records, args.methods, args.seeds, {}, RESULTS / f"{args.tag}.md")
    timing = {}
    if not args.no_timing:
        for m in [m for m in args.methods if m in OURS]:
            timing[m] = {p: suggestion_times(m, PROBLEMS[p]) for p in args.problems}
    write_report(records, args.methods, args.seeds, timing, RESULTS / f"{args.tag}.md")
    print((RESULTS / f"{args.tag}.md").read_text())


if __name__ == "__main__":
    main()
