"""Live models of budgeted trials, kept in this process so a promoted arm continues without being rebuilt.

A trial's fixed cost on a small network is mostly TensorFlow tracing the train
and test functions of a freshly built model, not its epochs: on digits (a
64-32 MLP, one thread, a loaded machine) a 1-epoch trial took 2-4 s, of which
about 0.8 s was the epoch itself; building took 0.1 s and saving the weights
0.05 s. A bandit continues many arms (a third of ASHA's trials), so the
adapter keeps each budgeted trial's trained model here, with its traced
functions and optimizer state, and a trial that continues it (``resume_from``)
trains on directly: same weights, same optimizer state, nothing rebuilt,
restored or retraced. The weights are still written to disk, so a continuation
that lands in another process, or after an eviction or a resume, loads them
there instead.

The memory limit: at most ``MAX_MODELS`` models and ``MAX_MEGABYTES`` of
estimated weights plus optimizer slots (4 bytes x parameters x 3). When full,
the model least likely to be promoted goes first: the worst value among the
models at the most crowded budget.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["LiveModels", "live_models", "MAX_MODELS", "MAX_MEGABYTES"]

MAX_MODELS = 48
MAX_MEGABYTES = 256.0


@dataclass
class _Entry:
    model: Any
    epochs: int
    history: dict
    budget: float
    loss: float   # lower is better, whatever the direction
    megabytes: float
    metric_epochs: list | None = None  # the epochs the metric was measured at (validation_freq > 1)


class LiveModels:
    """A bounded map ``(folder, seed) -> trained model``; ``take`` hands a model out once (it will train on)."""

    def __init__(self, max_models: int = MAX_MODELS, max_megabytes: float = MAX_MEGABYTES) -> None:
        self.max_models, self.max_megabytes = max_models, max_megabytes
        self._entries: dict[tuple, _Entry] = {}

    def __len__(self) -> int:
        return len(self._entries)

    def put(self, key: tuple, model: Any, *, epochs: int, history: dict, budget: float, loss: float,
            metric_epochs: list | None = None) -> None:
        try:
            megabytes = 4 * 3 * float(model.count_params()) / 2**20
        except Exception:  # an unbuilt or exotic model: do not keep it
            return
        if megabytes > self.max_megabytes or self.max_models < 1:
            return
        self._entries[key] = _Entry(model, epochs, {k: list(v) for k, v in history.items()}, budget, loss, megabytes,
                                    None if metric_epochs is None else list(metric_epochs))
        while len(self._entries) > self.max_models or self.megabytes > self.max_megabytes:
            self._entries.pop(self._least_promising())

    def take(self, key: tuple) -> tuple[Any, int, dict, list | None] | None:
        """The model, its epochs, history and metric epochs, removed from the cache; None when it is not here."""
        entry = self._entries.pop(key, None)
        return None if entry is None else (entry.model, entry.epochs, entry.history, entry.metric_epochs)

    def clear(self) -> None:
        self._entries.clear()

    @property
    def megabytes(self) -> float:
        return sum(e.megabytes for e in self._entries.values())

    def _least_promising(self) -> tuple:
        budgets: dict[float, int] = {}
        for entry in self._entries.values():
            budgets[entry.budget] = budgets.get(entry.budget, 0) + 1
        crowded = max(budgets, key=lambda b: (budgets[b], -b))
        candidates = [k for k, e in self._entries.items() if e.budget == crowded]
        return max(candidates, key=lambda k: self._entries[k].loss)


#: this process's cache (a worker process has its own)
live_models = LiveModels()
