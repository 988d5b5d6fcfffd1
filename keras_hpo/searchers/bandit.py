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

Budgets come from the user's own words, so no arithmetic is needed:

- ``max_budget`` defaults to the space's ``epochs`` (a fixed value, or the upper
  bound of a searched one); ``epochs`` then *is* the budget and leaves the
  hyperparameters (``best_params`` never holds it). Without ``epochs`` in the
  space it defaults to 27. A ``max_budget`` that differs from a fixed
  ``epochs`` is an error naming both numbers.
- ``min_budget`` defaults to ``max_budget / eta**k`` for the largest ``k`` that
  keeps it at least 1. An integer ``max_budget`` (epochs) gives integer rungs.
- How long: ``iterations`` (default 1 when the run has no other stop) full
  sets of rungs for ``successive_halving``, full Hyperband iterations for
  ``hyperband``, and for ``asha`` as many full-budget trials as that many
  Hyperband iterations would train. With ``max_trials``, ``timeout``,
  ``target`` or ``max_budget_total`` they go on until that stop.
- A finite space smaller than a bracket: the bracket goes on with the arms it
  has, so some arm always reaches the full budget.

The chosen budgets are logged (``logging.getLogger("keras_hpo")``, INFO) when
the run starts.

>>> import keras_hpo as kh
>>> def objective(params, budget):       # a plain objective may take the budget (epochs)
...     return (params["x"] - 0.3) ** 2 + 1.0 / budget
>>> result = kh.tune(objective, {"x": kh.Float(0, 1), "epochs": 8}, seed=0, progress=False,
...                  method="successive_halving")        # eta=2: 8 arms on 1 epoch ... 1 on 8
>>> sorted({t.budget for t in result.records}), len(result.records), "epochs" in result.best_params
([1.0, 2.0, 4.0, 8.0], 15, False)
"""

from __future__ import annotations

import logging
import math
from typing import Any

from ..errors import SearchExhausted
from ..space import Choice, Fixed, Space
from ..trial import Suggestion, Trial, TrialState
from .base import Searcher

__all__ = ["SuccessiveHalving", "Hyperband", "ASHA", "rung_budgets", "default_min_budget", "BUDGET_KEY"]

log = logging.getLogger("keras_hpo")

#: the space's key that is the budget when a bandit runs (Keras trains that many epochs)
BUDGET_KEY = "epochs"
#: ``max_budget`` when neither the caller nor the space says
DEFAULT_MAX_BUDGET = 27


def rung_budgets(min_budget: float, max_budget: float, eta: float, integer: bool = False) -> list[float]:
    """``min_budget * eta**k`` below ``max_budget``, then ``max_budget`` itself (rounded to whole units if ``integer``)."""
    budgets, budget = [], float(min_budget)
    while budget < max_budget * (1 - 1e-9):
        budgets.append(round(budget, 9))
        budget *= eta
    budgets.append(float(max_budget))
    if integer:
        budgets = sorted({float(max(1, round(b))) for b in budgets})
    return budgets


def default_min_budget(max_budget: float, eta: float) -> float:
    """``max_budget / eta**k`` for the largest ``k`` that keeps it at least 1 (``max_budget`` itself if below ``eta``)."""
    k = 0
    while max_budget / eta ** (k + 1) >= 1 - 1e-9:
        k += 1
    return max_budget / eta**k


def _top_of(dist: Any) -> float:
    """The largest value a distribution of epochs can take."""
    if isinstance(dist, Fixed):
        return dist.value
    if isinstance(dist, Choice):
        return max(dist.values())
    return dist.high


class _Bracket:
    """One synchronous successive-halving run: ``n0`` arms on ``budgets[0]``, the best ``1/eta`` moving up.

    ``sizes[r]`` is how many arms rung ``r`` trains: planned from ``n0`` until the
    rung below is cut, then the survivors that really exist (failed and pruned
    arms are never promoted; a space that runs out shrinks the first rung).
    A finished bracket forgets its arms (``closed``), so the searcher's state
    holds the arms of open brackets only, plus 16 bytes per finished bracket:
    about 10 kB at 100 or 1000 Hyperband trials, against 28 and 265 kB (and a
    1000-trial run on a plain objective 7x slower) when brackets kept every arm.
    """

    def __init__(self, budgets: list[float], n0: int, eta: float) -> None:
        self.budgets, self.eta = budgets, eta
        self.sizes = _planned_sizes(n0, len(budgets), eta)
        self.issued = [0] * len(budgets)             # suggestions handed out per rung
        self.results: list[dict[int, float]] = [{} for _ in budgets]  # trial number -> loss, per rung
        self.params: dict[int, dict] = {}
        self.queue: list[dict] = []                  # promotions ready to hand out
        self.cut = [False] * len(budgets)            # rung r has sent its survivors up
        self.closed = False                          # finished, and its arms forgotten

    @property
    def open_first_rung(self) -> bool:
        return self.issued[0] < self.sizes[0]

    @property
    def finished(self) -> bool:
        return self.closed or all(len(done) >= size for done, size in zip(self.results, self.sizes))

    def close_first_rung(self) -> None:
        """The space ran out: go on with the arms handed out so far."""
        self.sizes = _planned_sizes(self.issued[0], len(self.budgets), self.eta)
        self._cut()

    def observe(self, rung: int, trial: Trial, loss: float) -> None:
        self.results[rung][trial.number] = loss
        self.params[trial.number] = dict(trial.params)
        self._cut()
        if self.finished and not self.queue:  # nothing of it can move up any more
            self.results, self.params, self.closed = [{} for _ in self.budgets], {}, True

    def _cut(self) -> None:
        for rung in range(len(self.budgets) - 1):
            done = self.results[rung]
            if self.cut[rung] or self.sizes[rung] == 0 or len(done) < self.sizes[rung]:
                continue
            ranked = sorted((n for n in done if math.isfinite(done[n])), key=lambda n: (done[n], n))
            survivors = ranked[: self.sizes[rung + 1]]
            self.cut[rung] = True
            if len(survivors) < self.sizes[rung + 1]:
                self.sizes[rung + 1 :] = _planned_sizes(len(survivors), len(self.budgets) - rung - 1, self.eta)
            self.queue += [{"params": self.params[n], "budget": self.budgets[rung + 1], "resume_from": n}
                           for n in survivors]

    def to_dict(self) -> dict:
        if self.closed:  # only its place in the list matters now
            return {"closed": True}
        return {"budgets": self.budgets, "sizes": self.sizes, "eta": self.eta, "issued": self.issued, "cut": self.cut,
                "closed": self.closed, "results": [{str(k): v for k, v in r.items()} for r in self.results],
                "params": {str(k): v for k, v in self.params.items()}, "queue": self.queue}

    @classmethod
    def from_dict(cls, d: dict) -> _Bracket:
        if d.get("closed") and "budgets" not in d:
            stub = cls([0.0], 0, 2.0)
            stub.closed = True
            return stub
        sizes = d.get("sizes") or _planned_sizes(d["n0"], len(d["budgets"]), d["eta"])  # older studies kept n0
        bracket = cls(d["budgets"], sizes[0], d["eta"])
        bracket.sizes = list(sizes)
        bracket.issued = list(d["issued"])
        bracket.cut = list(d.get("cut", [False] * len(d["budgets"])))
        bracket.results = [{int(k): v for k, v in r.items()} for r in d["results"]]
        bracket.params = {int(k): v for k, v in d["params"].items()}
        bracket.queue = list(d["queue"])
        bracket.closed = bool(d.get("closed", False))
        return bracket


def _planned_sizes(n0: int, rungs: int, eta: float) -> list[int]:
    """Arms per rung when ``n0`` start: ``n // eta`` moves up, at least one while any arm is left."""
    sizes = [int(n0)]
    for _ in range(rungs - 1):
        sizes.append(max(1, int(sizes[-1] // eta)) if sizes[-1] else 0)
    return sizes


class _MultiFidelity(Searcher):
    """Shared plumbing: the inner searcher, budgets, the loss of a trial, matching tells to rungs."""

    allow_repeats = True  # a promoted arm is the same point on a larger budget
    finite_by_itself = True  # one planned round when the run has no other stop (see ``iterations``)
    default_eta: float = 3

    def __init__(self, searcher: str | Searcher = "random", *, min_budget: float | None = None,
                 max_budget: float | None = None, eta: float | None = None, iterations: int | None = None) -> None:
        self.searcher, self.min_budget, self.max_budget = searcher, min_budget, max_budget
        self.eta = self.default_eta if eta is None else eta
        self.iterations = iterations

    def setup(self, space: Space | dict, direction: str = "min", seed: int | None = None) -> None:
        """As ``Searcher.setup``, but a space's ``epochs`` becomes the budget and leaves the searched space."""
        full = Space.from_any(space)
        self.budget_dist = full.get(BUDGET_KEY)
        if self.budget_dist is not None:
            others = {name: dist for name, dist in full.items() if name != BUDGET_KEY}
            for name, dist in others.items():
                if BUDGET_KEY in dist.condition:
                    raise ValueError(f"{name}: depends on {BUDGET_KEY!r}, which a bandit uses as the budget; "
                                     "drop the condition or use another method")
            if not others:
                raise ValueError(f"space: {BUDGET_KEY!r} is the only parameter; a bandit searches other parameters "
                                 "and uses it as the budget")
            full = Space(others)
        super().setup(full, direction, seed)

    def _validate(self) -> None:
        from . import resolve

        for name in ("min_budget", "max_budget", "eta"):
            value = getattr(self, name)
            if value is None and name != "eta":
                continue
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
                raise ValueError(f"{name} must be a positive number, got {value!r}")
        if self.eta <= 1:
            raise ValueError(f"eta must be greater than 1 (2 keeps the better half), got {self.eta}")
        if self.iterations is not None and (not isinstance(self.iterations, int) or isinstance(self.iterations, bool)
                                            or self.iterations < 1):
            raise ValueError(f"iterations must be a positive integer or None, got {self.iterations!r}")
        top, source = self._max_budget()
        low = self.min_budget
        if low is None:
            low = default_min_budget(top, self.eta)
        elif low >= top:
            raise ValueError(f"min_budget must be below max_budget, got {low} and {top}")
        integer = isinstance(top, int) and not isinstance(top, bool)  # epochs: whole rungs
        self.budgets = rung_budgets(low, top, self.eta, integer=integer)
        self.inner = resolve(self.searcher)
        if isinstance(self.inner, _MultiFidelity):
            raise ValueError("searcher: the inner searcher proposes arms; it cannot itself be a bandit")
        self.inner.setup(self.space, self.direction, None if self.seed is None else self.seed + 1)
        self._inner_done = False
        self.rounds = self.iterations or (None if self.run_has_limit else 1)  # None: until the run's own stop
        log.info("%s: budgets %s (max_budget %s from %s; min_budget %s%s), eta=%s, %s", self.name,
                 ", ".join(f"{b:g}" for b in self.budgets), f"{top:g}", source, f"{self.budgets[0]:g}",
                 "" if self.min_budget is not None else " = max_budget/eta^k, the smallest >= 1", f"{self.eta:g}",
                 f"{self.rounds} round(s), about {self.planned} trials" if self.rounds else "until the run's own stop")

    def _max_budget(self) -> tuple[float, str]:
        """``max_budget`` and where it came from: the caller, the space's epochs, or the default."""
        if self.budget_dist is None:
            if self.max_budget is None:
                return DEFAULT_MAX_BUDGET, "the default (no 'epochs' in the space)"
            return self.max_budget, "max_budget"
        top = _top_of(self.budget_dist)
        if self.max_budget is not None and float(self.max_budget) != float(top):
            raise ValueError(f"max_budget={self.max_budget:g} clashes with the space's {BUDGET_KEY}={top:g}: "
                             f"the bandit trains arms up to max_budget epochs; leave max_budget out (it then is "
                             f"{top:g}) or give the same number")
        kind = "fixed" if isinstance(self.budget_dist, Fixed) else "upper bound of the searched"
        return top, f"the space's {kind} {BUDGET_KEY!r}"

    @property
    def exhausted(self) -> bool:  # the space may be used up while promotions are still to come
        return False

    def _learned(self, trial: Trial) -> Trial:
        return trial  # rungs rank arms themselves; the inner searcher applies its own rule to pruned trials

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

    def __init__(self, searcher: str | Searcher = "random", *, min_budget: float | None = None,
                 max_budget: float | None = None, eta: float | None = None, n_arms: int | None = None,
                 iterations: int | None = None) -> None:
        super().__init__(searcher, min_budget=min_budget, max_budget=max_budget, eta=eta, iterations=iterations)
        self.n_arms = n_arms

    def _validate(self) -> None:
        if self.n_arms is not None and (not isinstance(self.n_arms, int) or self.n_arms < 1):
            raise ValueError(f"n_arms must be a positive integer, got {self.n_arms!r}")
        self.brackets: list[_Bracket] = []
        self._where: dict[str, int] = {}  # "key|budget" of a pending suggestion -> bracket index
        super()._validate()

    def _bracket_shape(self, index: int) -> tuple[list[float], int]:
        n0 = self.n_arms or int(round(self.eta ** (len(self.budgets) - 1)))
        return self.budgets, n0

    @property
    def _brackets_per_round(self) -> int:
        return 1

    @property
    def planned(self) -> int | None:
        """Trials in the planned rounds (a finite space shrinks the brackets it cannot fill)."""
        if not getattr(self, "rounds", None):
            return None
        total, left = 0, self.space.cardinality
        for index in range(self.rounds * self._brackets_per_round):
            budgets, n0 = self._bracket_shape(index)
            n0 = int(min(n0, left))
            left -= n0
            total += sum(_planned_sizes(n0, len(budgets), self.eta))
        return total

    def _suggest(self, n: int) -> list[Suggestion]:
        out: list[Suggestion] = []
        while len(out) < n:
            suggestion = self._next()
            if suggestion is None:
                break
            out.append(suggestion)
        if not out and not self._where:
            raise SearchExhausted("every bracket has finished" + (" and the space is used up" if self._inner_done else ""))
        return out

    def _next(self) -> Suggestion | None:
        while True:
            for index, bracket in enumerate(self.brackets):
                if bracket.queue:
                    move = bracket.queue.pop(0)
                    rung = bracket.budgets.index(move["budget"])
                    bracket.issued[rung] += 1
                    return self._hand_out(index, Suggestion(move["params"], move["budget"], move["resume_from"]))
            if not self.brackets or not self.brackets[-1].open_first_rung:
                limit = None if self.rounds is None else self.rounds * self._brackets_per_round
                if self._inner_done or (limit is not None and len(self.brackets) >= limit):
                    return None
                budgets, n0 = self._bracket_shape(len(self.brackets))
                self.brackets.append(_Bracket(budgets, n0, self.eta))
            bracket = self.brackets[-1]
            params = self._new_arm()
            if params is not None:
                bracket.issued[0] += 1
                return self._hand_out(len(self.brackets) - 1, Suggestion(params, bracket.budgets[0]))
            bracket.close_first_rung()  # the space is used up: promote what this bracket has
            if bracket.issued[0] == 0:
                self.brackets.pop()
            if not any(b.queue for b in self.brackets):
                return None

    def _hand_out(self, index: int, suggestion: Suggestion) -> Suggestion:
        self._where[self._tag(suggestion.params, suggestion.budget)] = index
        return suggestion

    def _tag(self, params: dict, budget: float | None) -> str:
        return f"{self.space.key(params)}|{budget}"

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


def _hyperband_shape(budgets: list[float], eta: float, index: int) -> tuple[list[float], int]:
    """Bracket ``index`` of Hyperband: from ``s_max`` (most arms, smallest budget) down to ``s = 0``."""
    s_max = len(budgets) - 1
    s = s_max - index % (s_max + 1)
    n0 = int(math.ceil((s_max + 1) / (s + 1) * eta**s))
    return budgets[s_max - s :], n0


class Hyperband(SuccessiveHalving):
    """Hyperband: successive-halving brackets from aggressive (many arms, small budget) to none (few, full budget).

    One iteration (``iterations=1``, as KerasTuner's ``hyperband_iterations``) runs every bracket once.
    """

    default_eta = 3

    def __init__(self, searcher: str | Searcher = "random", *, min_budget: float | None = None,
                 max_budget: float | None = None, eta: float | None = None, iterations: int | None = None) -> None:
        super().__init__(searcher, min_budget=min_budget, max_budget=max_budget, eta=eta, iterations=iterations)

    def _bracket_shape(self, index: int) -> tuple[list[float], int]:
        return _hyperband_shape(self.budgets, self.eta, index)

    @property
    def _brackets_per_round(self) -> int:
        return len(self.budgets)


class ASHA(_MultiFidelity):
    """Asynchronous successive halving: promote as soon as an arm is in the top ``1/eta`` of its rung.

    One round ends after as many full-budget trials as one Hyperband iteration trains.
    """

    def _validate(self) -> None:
        super()._validate()
        self.rungs: list[dict[int, float]] = [{} for _ in self.budgets]  # trial number -> loss
        self.arm_params: dict[int, dict] = {}
        self.promoted: list[list[int]] = [[] for _ in self.budgets]
        self._outstanding = 0
        self._full_issued = 0

    @property
    def full_budget_trials(self) -> int | None:
        """Full-budget trials to run: what ``rounds`` Hyperband iterations would train (None: no limit)."""
        if not getattr(self, "rounds", None):
            return None
        per_round = sum(_planned_sizes(n0, len(b), self.eta)[-1]
                        for b, n0 in (_hyperband_shape(self.budgets, self.eta, i) for i in range(len(self.budgets))))
        return self.rounds * per_round

    @property
    def planned(self) -> int | None:
        """About ``eta**r`` first-rung arms per full-budget trial, summed over the rungs."""
        full = self.full_budget_trials
        if full is None:
            return None
        return int(sum(full * self.eta**r for r in range(len(self.budgets))))

    def _suggest(self, n: int) -> list[Suggestion]:
        out: list[Suggestion] = []
        full = self.full_budget_trials
        for _ in range(n):
            if full is not None and self._full_issued >= full:
                break
            suggestion = self._promotion() or self._fresh() or self._last_resort()
            if suggestion is None:
                break
            self._full_issued += suggestion.budget == self.budgets[-1]
            out.append(suggestion)
        self._outstanding += len(out)
        if not out and self._outstanding == 0:
            raise SearchExhausted("the planned full-budget trials are done, or the space is used up and no arm "
                                  "can be promoted")
        return out

    def _promotion(self) -> Suggestion | None:
        for rung in range(len(self.budgets) - 2, -1, -1):
            finished = sorted(self.rungs[rung], key=lambda n: (self.rungs[rung][n], n))
            for number in finished[: int(len(finished) / self.eta + 1e-9)]:
                if number not in self.promoted[rung] and math.isfinite(self.rungs[rung][number]):
                    return self._promote(rung, number)
        return None

    def _promote(self, rung: int, number: int) -> Suggestion:
        self.promoted[rung].append(number)
        return Suggestion(self.arm_params[number], self.budgets[rung + 1], number)

    def _last_resort(self) -> Suggestion | None:
        """The space is used up and nothing runs: promote the best arm of the highest rung until one reaches the top."""
        if not self._inner_done or self._outstanding or self.rungs[-1]:
            return None
        for rung in range(len(self.budgets) - 2, -1, -1):
            finished = sorted(self.rungs[rung], key=lambda n: (self.rungs[rung][n], n))
            for number in finished:
                if number not in self.promoted[rung] and math.isfinite(self.rungs[rung][number]):
                    return self._promote(rung, number)
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
        return {**super().state_dict(), "promoted": self.promoted, "outstanding": self._outstanding,
                "full_issued": self._full_issued}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        super().load_state_dict(state)
        self.promoted = [list(p) for p in state["promoted"]]
        self._outstanding = state["outstanding"]
        self._full_issued = state.get("full_issued", 0)
