"""Best-arm identification against plain random search at the same total number of epochs.

A synthetic learning curve stands in for a network: the validation loss after
``e`` epochs is ``MIXED(params) + 1.5 * e ** -0.7`` plus noise that shrinks with
training, so short runs rank arms imperfectly, as real ones do. Each method may
spend 400 epochs in all (a continued arm pays only for its extra epochs); we
report the true regret ``MIXED(recommended arm)`` of the arm it would return
(the best value at its largest budget). Peers: random search with every arm at
the full 27 epochs, and Optuna's random sampler with its SuccessiveHalvingPruner
and HyperbandPruner reporting every epoch.

    python3 benchmarks/bandit_vs_random.py            # writes benchmarks/results/bandit_vs_random.md
"""

from __future__ import annotations

import json
import math
import sys
import time
from pathlib import Path

import numpy as np
from _peers import optuna_params

import keras_hpo as kh
from keras_hpo.errors import SearchExhausted
from keras_hpo.testing.objectives import MIXED

EPOCHS_IN_ALL = 400
MAX_EPOCHS = 27
SEEDS = range(10)
OUT = Path(__file__).parent / "results"


def curve(params: dict, epochs: float, rng: np.random.Generator) -> float:
    return MIXED(params) + 1.5 * epochs**-0.7 + rng.normal(scale=0.3 * epochs**-0.5)


def run_keras_hpo(method: str, seed: int) -> float:
    """Ask/tell until the epoch budget is spent; continued arms pay only their extra epochs."""
    if method == "random_full":
        searcher = kh.searchers.get("random")
    else:
        searcher = kh.searchers.get(method, min_budget=1, max_budget=MAX_EPOCHS, eta=3)
    searcher.run_has_limit = True  # this loop stops on its epochs, so the bandits go on past one round
    searcher.setup(MIXED.space, "min", seed)
    noise = np.random.default_rng(seed + 1000)
    spent, number, results = 0.0, 0, {}
    while spent < EPOCHS_IN_ALL:
        try:
            [suggestion] = searcher.ask(1)
        except (SearchExhausted, ValueError):
            break
        budget = suggestion.budget or MAX_EPOCHS
        already = results[suggestion.resume_from][1] if suggestion.resume_from is not None else 0.0
        spent += budget - already
        value = curve(suggestion.params, budget, noise)
        results[number] = (suggestion.params, budget, value)
        searcher.tell(kh.Trial(number, suggestion.params, kh.TrialState.COMPLETE, value=value, budget=suggestion.budget,
                               resume_from=suggestion.resume_from))
        number += 1
    top = max(b for _, b, _ in results.values())
    params, _, _ = min((r for r in results.values() if r[1] == top), key=lambda r: r[2])
    return MIXED(params)


def run_optuna(pruner_name: str, seed: int) -> float:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    pruner = (optuna.pruners.SuccessiveHalvingPruner(min_resource=1, reduction_factor=3) if pruner_name == "sha"
              else optuna.pruners.HyperbandPruner(min_resource=1, max_resource=MAX_EPOCHS, reduction_factor=3))
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=seed), pruner=pruner)
    noise = np.random.default_rng(seed + 1000)
    spent = [0]
    finals: list[tuple[float, dict]] = []

    def objective(trial: optuna.Trial) -> float:
        params = optuna_params(trial, MIXED.space)
        value = math.inf
        for epoch in range(1, MAX_EPOCHS + 1):
            if spent[0] >= EPOCHS_IN_ALL:
                study.stop()
                raise optuna.TrialPruned()
            spent[0] += 1
            value = curve(params, epoch, noise)
            trial.report(value, epoch)
            if trial.should_prune():
                raise optuna.TrialPruned()
        finals.append((value, params))
        return value

    study.optimize(objective, n_trials=10_000)
    if not finals:
        return math.nan
    return MIXED(min(finals, key=lambda f: f[0])[1])


def main() -> None:
    methods = {
        "random (27 epochs each)": lambda s: run_keras_hpo("random_full", s),
        "successive_halving": lambda s: run_keras_hpo("successive_halving", s),
        "hyperband": lambda s: run_keras_hpo("hyperband", s),
        "asha": lambda s: run_keras_hpo("asha", s),
    }
    try:
        import optuna  # noqa: F401

        methods["optuna random + SuccessiveHalvingPruner"] = lambda s: run_optuna("sha", s)
        methods["optuna random + HyperbandPruner"] = lambda s: run_optuna("hyperband", s)
    except ImportError:
        print("optuna not installed: peers skipped", file=sys.stderr)
    OUT.mkdir(exist_ok=True)
    rows = []
    for name, run in methods.items():
        start = time.perf_counter()
        regrets = [run(seed) for seed in SEEDS]
        seconds = (time.perf_counter() - start) / len(SEEDS)
        q1, med, q3 = np.nanpercentile(regrets, [25, 50, 75])
        rows.append({"method": name, "median": med, "q1": q1, "q3": q3, "seconds_per_run": seconds})
        print(json.dumps(rows[-1]))
    lines = [
        f"# Best-arm identification vs random search, {EPOCHS_IN_ALL} epochs in all",
        "",
        f"Synthetic learning curve on the MIXED problem (optimum 0), {len(SEEDS)} seeds; regret of the returned arm.",
        "",
        "| method | median regret | 25% | 75% | seconds per run |",
        "| --- | --- | --- | --- | --- |",
        *(f"| {r['method']} | {r['median']:.3f} | {r['q1']:.3f} | {r['q3']:.3f} | {r['seconds_per_run']:.2f} |" for r in rows),
    ]
    (OUT / "bandit_vs_random.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
