"""Best-arm identification: successive halving, Hyperband and ASHA, wrapped around any searcher.

Many configurations ("arms") are trained on a small budget (epochs); the best
``1/eta`` of each rung are continued on ``eta`` times the budget, from their own
weights, until the best arm remains. Budgets travel on the ``Suggestion``
(``budget`` = total epochs, ``resume_from`` = the trial whose weights to
continue), never in the hyperparameters. The inner searcher (random by default,
any registry name or instance) proposes the new arms and learns from the
first-rung results.

- ``successive_halving``: brackets of ``eta ** (rungs - 1)`` arms; a rung is cut
  when all its arms are in. A new bracket opens as soon as the last one has
  handed out its first rung, so parallel workers are never idle.
- ``hyperband``: cycles through brackets that trade many short runs against
  few long ones (Li et al., 2018).
- ``asha``: asynchronous; an arm is promoted as soon as it is in the top
  ``1/eta`` of the arms finished in its rung (Li et al., 2020).

>>> import keras_hpo as kh
>>> def objective(params, budget):       # a plain objective may take the budget (epochs)
...     return (params["x"] - 0.3) ** 2 + 1.0 / budget
>>> result = kh.tune(objective, {"x": kh.Float(0, 1)}, seed=0, progress=False, max_trials=15,
...                  method=kh.searchers.get("successive_halving", min_budget=1, max_budget=8))
>>> sorted({t.budget for t in result.records})
[1.0, 2.0, 4.0, 8.0]
"""

from __future__ import annotations

import math
from typing import Any

from ..errors import SearchExhausted
from ..trial import Suggestion, Trial, TrialState
from .base import Searcher

__all__ = ["SuccessiveHalving", "Hyperband", "ASHA", "rung_budgets"]


def rung_budgets(min_budget: float, max_budget: float, eta: float) -> list[float]:
    """``min_budget * eta**k`` below ``max_budget``, then ``max_budget`` itself."""
    budgets, budget = [], float(min_budget)
    while budget < max_budget * (1 - 1e-9):
        budgets.append(round(budget, 9))
        budget *= eta
    budgets.append(float(max_budget))
    return budgets


class _Bracket:
    """One synchronous successive-halving run: ``n0`` arms on ``budgets[0]``, the best ``1/eta`` moving up."""

    def __init__(self, budgets: list[float], n0: int, eta: float) -> None:
        self.budgets, self.n0, self.eta = budgets, n0, eta
        self.issued = [0] * len(budgets)             # suggestions handed out per rung
        self.results: list[dict[int, float]] = [{} for _ in budgets]  # trial number -> loss, per rung
        self.params: dict[int, dict] = {}
        self.queue: list[dict] = []                  # promotions ready to hand out

    def size(self, rung: int) -> int:
        n = self.n0
        for _ in range(rung):
            n = max(1, int(n // self.eta))
        return n

    @property
    def open_first_rung(self) -> bool:
        return self.issued[0] < self.n0

    @property
    def finished(self) -> bool:
        return len(self.results[-1]) >= self.size(len(self.budgets) - 1)

    def observe(self, rung: int, trial: Trial, loss: float) -> None:
        self.results[rung][trial.number] = loss
        self.params[trial.number] = dict(trial.params)
        if rung + 1 < len(self.budgets) and len(self.results[rung]) == self.size(rung):
            survivors = sorted(self.results[rung], key=lambda n: (self.results[rung][n], n))[: self.size(rung + 1)]
            self.queue += [{"params": self.params[n], "budget": self.budgets[rung + 1], "resume_from": n}
                           for n in survivors]

    def to_dict(self) -> dict:
        return {"budgets": self.budgets, "n0": self.n0, "eta": self.eta, "issued": self.issued,
                "results": [{str(k): v for k, v in r.items()} for r in self.results],
                "params": {str(k): v for k, v in self.params.items()}, "queue": self.queue}

    @classmethod
    def from_dict(cls, d: dict) -> _Bracket:
        bracket = cls(d["budgets"], d["n0"], d["eta"])
        bracket.issued = list(d["issued"])
        bracket.results = [{int(k): v for k, v in r.items()} for r in d["results"]]
        bracket.params = {int(k): v for k, v in d["params"].items()}
        bracket.queue = list(d["queue"])
        return bracket


class _MultiFidelity(Searcher):
    """Shared plumbing: the inner searcher, budgets, the loss of a trial, matching tells to rungs."""

    allow_repeats = True  # a promoted arm is the same point on a larger budget
    default_eta: float = 3

    def __init__(self, searcher: str | Searcher = "random", *, min_budget: float = 1, max_budget: float = 27,
                 eta: float | None = None) -> None:
        self.searcher, self.min_budget, self.max_budget = searcher, min_budget, max_budget
        self.eta = self.default_eta if eta is None else eta

    def _validate(self) -> None:
        from . import resolve

        for name in ("min_budget", "max_budget", "eta"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
                raise ValueError(f"{name} must be a positive number, got {value!r}")
        if self.min_budget >= self.max_budget:
            raise ValueError(f"min_budget must be below max_budget, got {self.min_budget} and {self.max_budget}")
        if self.eta <= 1:
            raise ValueError(f"eta must be greater than 1 (2 keeps the better half), got {self.eta}")
        self.inner = resolve(self.searcher)
        if isinstance(self.inner, _MultiFidelity):
            raise ValueError("searcher: the inner searcher proposes arms; it cannot itself be a bandit")
        self.inner.setup(self.space, self.direction, None if self.seed is None else self.seed + 1)
        self.budgets = rung_budgets(self.min_budget, self.max_budget, self.eta)
        self._inner_done = False

    @property
    def exhausted(self) -> bool:  # the space may be used up while promotions are still to come
        return False

    @property
    def planned(self) -> None:
        return None

    def _rung_loss(self, trial: Trial) -> float:
        return self.loss(trial) if trial.state is TrialState.COMPLETE and trial.value is not None else math.inf

    def _new_arm(self) -> dict | None:
        if self._inner_done:
            return None
        try:
            suggestions = self.inner.ask(1)
        except SearchExhausted:
            self._inner_done = True
            return None
        return dict(suggestions[0].params) if suggestions else None

    def _observe(self, trial: Trial) -> None:
        if trial.resume_from is None:
            self.inner.tell(trial)

    def state_dict(self) -> dict[str, Any]:
        return {**super().state_dict(), "inner": self.inner.state_dict(), "inner_done": self._inner_done}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        super().load_state_dict(state)
        self.inner.load_state_dict(state["inner"])
        self._inner_done = state["inner_done"]


class SuccessiveHalving(_MultiFidelity):
    """Synchronous successive halving; ``eta=2`` (the default) keeps the better half at every rung."""

    default_eta = 2

    def __init__(self, searcher: str | Searcher = "random", *, min_budget: float = 1, max_budget: float = 27,
                 eta: float | None = None, n_arms: int | None = None) -> None:
        super().__init__(searcher, min_budget=min_budget, max_budget=max_budget, eta=eta)
        self.n_arms = n_arms

    def _validate(self) -> None:
        super()._validate()
        if self.n_arms is not None and (not isinstance(self.n_arms, int) or self.n_arms < 1):
            raise ValueError(f"n_arms must be a positive integer, got {self.n_arms!r}")
        self.brackets: list[_Bracket] = []
        self._where: dict[str, int] = {}  # "key|budget" of a pending suggestion -> bracket index

    def _bracket_shape(self, index: int) -> tuple[list[float], int]:
        n0 = self.n_arms or int(round(self.eta ** (len(self.budgets) - 1)))
        return self.budgets, n0

    def _suggest(self, n: int) -> list[Suggestion]:
        out: list[Suggestion] = []
        while len(out) < n:
            suggestion = self._next()
            if suggestion is None:
                break
            out.append(suggestion)
        if not out and not self._pending_anywhere() and self._inner_done:
            raise SearchExhausted("the space is used up and every bracket has finished")
        return out

    def _next(self) -> Suggestion | None:
        for index, bracket in enumerate(self.brackets):
            if bracket.queue:
                move = bracket.queue.pop(0)
                rung = bracket.budgets.index(move["budget"])
                bracket.issued[rung] += 1
                return self._hand_out(index, Suggestion(move["params"], move["budget"], move["resume_from"]))
        if not self.brackets or not self.brackets[-1].open_first_rung:
            budgets, n0 = self._bracket_shape(len(self.brackets))
            self.brackets.append(_Bracket(budgets, n0, self.eta))
        bracket = self.brackets[-1]
        params = self._new_arm()
        if params is None:
            return None
        bracket.issued[0] += 1
        return self._hand_out(len(self.brackets) - 1, Suggestion(params, bracket.budgets[0]))

    def _hand_out(self, index: int, suggestion: Suggestion) -> Suggestion:
        self._where[self._tag(suggestion.params, suggestion.budget)] = index
        return suggestion

    def _tag(self, params: dict, budget: float | None) -> str:
        return f"{self.space.key(params)}|{budget}"

    def _pending_anywhere(self) -> bool:
        return bool(self._where)

    def _observe(self, trial: Trial) -> None:
        super()._observe(trial)
        index = self._where.pop(self._tag(trial.params, trial.budget), None)
        if index is None:
            return
        bracket = self.brackets[index]
        bracket.observe(bracket.budgets.index(trial.budget), trial, self._rung_loss(trial))

    def state_dict(self) -> dict[str, Any]:
        return {**super().state_dict(), "brackets": [b.to_dict() for b in self.brackets], "where": self._where}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        super().load_state_dict(state)
        self.brackets = [_Bracket.from_dict(b) for b in state["brackets"]]
        self._where = dict(state["where"])


class Hyperband(SuccessiveHalving):
    """Hyperband: successive-halving brackets from aggressive (many arms, small budget) to none (few, full budget)."""

    default_eta = 3

    def __init__(self, searcher: str | Searcher = "random", *, min_budget: float = 1, max_budget: float = 27,
                 eta: float | None = None) -> None:
        super().__init__(searcher, min_budget=min_budget, max_budget=max_budget, eta=eta)

    def _bracket_shape(self, index: int) -> tuple[list[float], int]:
        s_max = len(self.budgets) - 1
        s = s_max - index % (s_max + 1)
        n0 = int(math.ceil((s_max + 1) / (s + 1) * self.eta**s))
        return self.budgets[s_max - s :], n0


class ASHA(_MultiFidelity):
    """Asynchronous successive halving: promote as soon as an arm is in the top ``1/eta`` of its rung."""

    def _validate(self) -> None:
        super()._validate()
        self.rungs: list[dict[int, float]] = [{} for _ in self.budgets]  # trial number -> loss
        self.arm_params: dict[int, dict] = {}
        self.promoted: list[list[int]] = [[] for _ in self.budgets]
        self._outstanding = 0

    def _suggest(self, n: int) -> list[Suggestion]:
        out: list[Suggestion] = []
        for _ in range(n):
            suggestion = self._promotion() or self._fresh()
            if suggestion is None:
                break
            out.append(suggestion)
        self._outstanding += len(out)
        if not out and self._outstanding == 0:
            raise SearchExhausted("the space is used up and no arm can be promoted")
        return out

    def _promotion(self) -> Suggestion | None:
        for rung in range(len(self.budgets) - 2, -1, -1):
            finished = sorted(self.rungs[rung], key=lambda n: (self.rungs[rung][n], n))
            for number in finished[: int(len(finished) / self.eta + 1e-9)]:
                if number not in self.promoted[rung] and math.isfinite(self.rungs[rung][number]):
                    self.promoted[rung].append(number)
                    return Suggestion(self.arm_params[number], self.budgets[rung + 1], number)
        return None

    def _fresh(self) -> Suggestion | None:
        params = self._new_arm()
        return None if params is None else Suggestion(params, self.budgets[0])

    def _observe(self, trial: Trial) -> None:
        super()._observe(trial)
        self._outstanding = max(0, self._outstanding - 1)
        if trial.budget in self.budgets:
            self.rungs[self.budgets.index(trial.budget)][trial.number] = self._rung_loss(trial)
            self.arm_params[trial.number] = dict(trial.params)

    def state_dict(self) -> dict[str, Any]:
        return {**super().state_dict(), "promoted": self.promoted, "outstanding": self._outstanding}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        super().load_state_dict(state)
        self.promoted = [list(p) for p in state["promoted"]]
        self._outstanding = state["outstanding"]
