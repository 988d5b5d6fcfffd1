"""``auto`` against the five metaheuristics on the same seeded instances, from two reports' raw runs.

``auto_vs_peers.py --split unseen`` and ``metaheuristics_vs_peers.py --set unseen`` ran the same
UNSEEN instances (seeds 3000-3006) separately; this reads both ``.jsonl`` files and prints the median
simple regret per problem at 60 and 200 evaluations (the best value among a run's first ``budget``),
and on how many problems ``auto``'s median is below the best of the five. No run is made here.

    python3 benchmarks/auto_vs_metaheuristics.py
"""

from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from keras_hpo.testing.instances import UNSEEN, unseen  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
FIVE = ("genetic", "ant_colony", "annealing", "tabu", "pso")
SEEDS = range(3000, 3007)


def _runs(name: str) -> dict[tuple[str, str, int], list]:
    rows = (json.loads(line) for line in (RESULTS / name).read_text().splitlines())
    return {(r["method"], r["problem"], r["seed"]): r["improvements"] for r in rows}


def _median_regret(runs: dict, method: str, problem: str, budget: int) -> float:
    regrets = [unseen(problem, seed).regret(min(v for i, v in runs[(method, problem, seed)] if i < budget))
               for seed in SEEDS]
    return statistics.median(regrets)


def main() -> None:
    runs = {**_runs("metaheuristics_unseen.jsonl"), **_runs("auto_unseen.jsonl")}
    for budget in (60, 200):
        print(f"\n{budget} evaluations\n\n| problem | auto | " + " | ".join(FIVE) + " |\n|---|" + "---:|" * 6)
        wins = 0
        for problem in UNSEEN:
            auto = _median_regret(runs, "auto", problem, budget)
            others = [_median_regret(runs, m, problem, budget) for m in FIVE]
            wins += auto < min(others)
            print(f"| {problem} | {auto:.2g} | " + " | ".join(f"{v:.2g}" for v in others) + " |")
        print(f"\nauto's median below the best of the five on {wins}/{len(UNSEEN)} problems")


if __name__ == "__main__":
    main()
