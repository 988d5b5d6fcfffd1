"""The demo behind ``keras-hpo demo``: a tuning run a new user can start with one command.

Until the Keras adapter lands this tunes the mixed benchmark problem (a stand-in
for a network's validation loss); it uses the embedded SQLite store, so running it
twice with the same study resumes.
"""

from __future__ import annotations

from .result import TuneResult
from .testing.objectives import MIXED
from .tune import tune


def run_demo(method: str = "random", trials: int = 8, storage: str | None = "runs/demo.db", study: str | None = None,
             seed: int = 0, progress: bool = True) -> TuneResult:
    result = tune(MIXED, MIXED.space, method=method, max_trials=trials, storage=storage,
                  study=study or f"demo-{method}", resume=True, seed=seed, progress=progress)
    print(result.summary())
    return result
