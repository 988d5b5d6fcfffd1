"""``method="auto"``, the default: a searcher that picks a method for the problem and may switch during the run.

What it knows before the run: the space (types, size, conditions) and, when ``tune``
calls ``plan``, ``max_trials``, ``timeout`` and the number of workers. It chooses:

- ``grid`` when the space is finite and every point fits in ``max_trials``
  (enumerating is then both exhaustive and cheapest);
- ``cmaes`` when more than eight workers ask at once and the space has numbers
  (a generation of CMA-ES is a natural batch; a GP batch that large costs more
  than it brings);
- ``bayes`` otherwise: a Gaussian process with expected improvement, the best
  method we ship at tens to a few hundred evaluations on every benchmark problem.

It also *polishes* the best point, as the five metaheuristics do (``_moves.Polish``): from trial ``2 d + 3``
on (``d`` numeric dimensions; ``polish_from="model"``, the default: as soon as a quadratic without cross terms
fits, a full one from ``(d + 1) (d + 2) / 2 + 2`` trials), a share of the suggestions (up to ``polish``, 0.5 by
default; credit-based: the polishing steps' part of the recent improvements, at least a third of it) are
model-based trust-region steps (a quadratic fitted to the trials nearest the best, as in NEWUOA, whose default
also interpolates ``2 d + 1`` points) and (1+1)-ES steps, proposed by ``auto`` itself; the method in charge is
told their results too. The GP's own local steps stall around regrets of 1e-4..1e-8, where its noise level
hides the differences; these steps go on to float precision. Started early they also help at 30-60 trials
on smooth problems, where nevergrad's NGOpt (Cobyla from the centre of the box) led the GP: on the seen SEALED
instances (seeds 5000-5006) they beat ``polish_from=60`` in 31 of 49 runs at 30 trials and 32 of 49 at 60
(the rotated ellipsoid-6 at 60: median 3e-22 against 324), and lose on Zakharov-5 and Colville-4's valley.
``polish_from=60`` is the previous behaviour (polishing from trial ``max(60, 10 (d + 2))``, full quadratics
only; a study stored then resumes with it) and ``polish=0`` the one before polishing existed.

During the run it moves from ``bayes`` to ``cmaes`` (started at the best point,
with a step size from the spread of the best results, IPOP restarts after that)
once the GP stops paying off: after ``switch_after`` trials at the latest, or
after ``stall_after`` trials that did not improve the best result when at least
200 trials are done. Long runs then keep improving at a constant cost per trial, and
polishing goes on beside CMA-ES as it did beside the GP. Until polishing starts ``auto`` is exactly ``bayes``
with the same seed. The GP keeps the lead that long: on the pilot problems a hand-over at 100 trials was worse than staying with the GP at 200 evaluations about
as often as it was better (the GP still finds new basins that CMA-ES, refining
locally, does not), and a GP suggestion now costs about the same at 1000 results
as at 200.

Every choice and switch is logged on ``logging.getLogger("keras_hpo")`` and kept
in ``method_history`` (``result.method_history`` after ``tune``), which is part of
the searcher state stored on the study; the decisions depend only on the trials
told, in order, so a resumed study replays them exactly.

>>> import keras_hpo as kh
>>> from keras_hpo.testing.objectives import BRANIN
>>> result = kh.tune(BRANIN, BRANIN.space, max_trials=30, seed=0, progress=False)  # method="auto"
>>> [step["method"] for step in result.method_history]
['bayes', 'bayes+polish']
>>> BRANIN.regret(result.best_value) < 0.1
True
"""

from __future__ import annotations

import importlib.util
import logging
import math
from typing import Any

import numpy as np

from ..space import Float, Int
from ..trial import Suggestion, Trial
from ._moves import Cube, Polish, Polished, usable
from .base import Searcher

__all__ = ["AutoSearch"]

log = logging.getLogger("keras_hpo")

#: a switch on a stalled GP needs at least this many trials first
_MIN_BEFORE_STALL = 200
#: from this many parallel workers on, CMA-ES generations beat GP batches
_MANY_WORKERS = 8
#: polishing takes no suggestion before this many (nor before 10 (d + 2), as in the metaheuristics): the GP's
#: phase, where ``bayes`` alone led every metaheuristic on 5 of 6 problems at 60 evaluations (``auto_unseen.md``)
_GP_FIRST = 60


class AutoSearch(Polished):
    """Chooses grid, bayes or cmaes from the problem, and moves from bayes to cmaes when the GP stops paying off.

    Options (keyword-only): ``switch_after`` (trials after which ``bayes`` hands over to
    ``cmaes``; default 300), ``stall_after`` (trials without a new best, once 200 are done,
    that also trigger it; default 50), ``polish`` (the largest share of suggestions that refine the
    best point as the metaheuristics do; default 0.5, 0 = never, the behaviour before it existed),
    ``polish_from`` (when polishing may start: ``"model"``, the default, from trial ``2 d + 3``, as soon
    as a quadratic model fits; an integer k: from trial ``max(k, 10 (d + 2))``, full quadratics only;
    60 is the behaviour before ``"model"`` existed).

    >>> import keras_hpo as kh
    >>> s = kh.searchers.get("auto")
    >>> s.plan(max_trials=10)
    >>> s.setup({"a": [1, 2], "b": ["x", "y"]}, seed=0)
    >>> s.method_history[0]["method"]
    'grid'
    """

    #: studies stored before ``polish`` / ``polish_from`` existed resume as they began (``Searcher.options_added``)
    options_added = {**Polished.options_added, "polish_from": _GP_FIRST}

    def __init__(self, *, switch_after: int = 300, stall_after: int = 50, polish: float = 0.5,
                 polish_from: int | str = "model") -> None:
        self.switch_after = switch_after
        self.stall_after = stall_after
        self.polish = polish
        self.polish_from = polish_from
        self._plan: dict[str, Any] = {"max_trials": None, "timeout": None, "n_workers": 1}

    def plan(self, *, max_trials: int | None = None, timeout: float | None = None, n_workers: int = 1) -> None:
        """What ``tune`` knows before the run; called before ``setup``. Without it the choice uses the space alone."""
        self._plan = {"max_trials": max_trials, "timeout": timeout, "n_workers": int(n_workers or 1)}

    def _validate(self) -> None:
        for name in ("switch_after", "stall_after"):
            value = getattr(self, name)
            if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        Polish.check(self.polish)
        if self.polish_from != "model" and (not isinstance(self.polish_from, (int, np.integer))
                                            or isinstance(self.polish_from, bool) or self.polish_from < 1):
            raise ValueError(f"polish_from must be 'model' or a positive integer, got {self.polish_from!r}")
        self.method_history: list[dict[str, Any]] = []
        self._polishing = False
        self._best: float = math.inf
        self._since_best = 0
        # CMA-ES is an optional extra (pip install cmaes): without it auto stays with the GP
        has_cmaes = importlib.util.find_spec("cmaes") is not None
        self._numbers = [n for n, d in self.space.items() if isinstance(d, (Float, Int))] if has_cmaes else []
        method, reason = self._first_choice()
        self._switch(method, reason)
        # the best point of a model-based or evolutionary search is polished; an enumeration is not (after the
        # switch: the start of polishing follows the delegate's design)
        self.polisher = self._polisher() if method != "grid" else None

    def _polisher(self) -> Polish | None:
        """The polisher: from ``polish_from`` (an int k: trial ``max(k, 10 (d + 2))``, full quadratic models only,
        as before ``"model"`` existed) or, with ``"model"``, from the first trial after the design at which a
        quadratic model without cross terms can be fitted, ``2 d + 3`` trials on ``d`` numeric dimensions (never
        later than before); its model steps use that one until there are trials enough for a full quadratic."""
        cube = Cube(self.space)
        if self.polish_from != "model":
            return Polish.make(cube, self.polish, int(self.polish_from))
        d = len(cube.numeric)
        design = getattr(self.delegate, "design_size", 0)  # bayes's; methods without a design: 0
        start = min(max(design + 2, 2 * d + 3), max(_GP_FIRST, 10 * (d + 2)))
        return Polish(cube, start=start, share=self.polish, separable=True) if self.polish else None

    @property
    def finite_by_itself(self) -> bool:  # type: ignore[override]
        return bool(getattr(self, "delegate", None) is not None and self.delegate.finite_by_itself)

    @property
    def method(self) -> str:
        """The method in charge now (``"bayes+polish"``: ``bayes``, with polishing taking a share)."""
        return self.method_history[-1]["method"]

    # Choosing -----------------------------------------------------------------
    def _first_choice(self) -> tuple[str, str]:
        max_trials, workers = self._plan["max_trials"], self._plan["n_workers"]
        size = self.space.cardinality
        if self.space.finite and max_trials is not None and size <= max_trials:
            return "grid", f"the space is finite ({int(size)} points) and fits in max_trials={max_trials}"
        if workers > _MANY_WORKERS and self._numbers:
            return "cmaes", f"{workers} workers: CMA-ES generations make natural batches"
        kind = "numeric" if all(isinstance(d, (Float, Int)) for d in self.space.values()) else "mixed"
        budget = f"max_trials={max_trials}" if max_trials is not None else "no trial limit"
        return "bayes", f"{kind} space of {len(self.space)} parameters, {budget}: a GP is the most sample-efficient"

    def _maybe_polish(self) -> None:
        """Log (once, at a told trial, so a resume replays it) that polishing may take suggestions from now on."""
        if self.polisher is None or self._polishing or len(self.history) < self.polisher.start:
            return
        self._polishing = True
        told = len(self.history)
        reason = (f"{told} trials: polishing the best point takes up to {self.polish:g} of the suggestions "
                  "(model-based trust-region and (1+1)-ES steps, by their share of the recent improvements)")
        self.method_history.append({"method": f"{self.delegate.name}+polish", "at_trial": told, "reason": reason})
        log.info("auto: after %d trials, %s also polishes (%s)", told, self.delegate.name, reason)

    def _maybe_switch(self) -> None:
        if self.delegate.name != "bayes" or not self._numbers:
            return
        told = len(self.history)
        if told >= self.switch_after:
            self._switch("cmaes", f"{told} trials: CMA-ES refines at a constant cost per trial")
        elif told >= _MIN_BEFORE_STALL and self._since_best >= self.stall_after:
            self._switch("cmaes", f"no new best in the last {self._since_best} trials: the GP stopped paying off")

    def _switch(self, method: str, reason: str) -> None:
        from . import get  # the registry imports this module

        told = len(self.history)
        options: dict[str, Any] = {}
        if method == "cmaes" and any(usable(t) for t in self.history):
            options = {"x0": self._best_params(), "sigma0": self._spread()}
        delegate = get(method, **options)
        # the first method gets auto's own seed, so auto is exactly that method (with that seed) until it switches
        seed = self.seed if self.seed is None or not self.method_history else int(
            np.random.SeedSequence([int(self.seed), len(self.method_history)]).generate_state(1)[0] & 0x7FFFFFFF)
        delegate.setup(self.space, self.direction, seed)
        if method == "cmaes":
            delegate.warm_start(self.history)  # its choices learn from them; the distribution starts at x0
        else:
            for trial in self.history:
                delegate.tell(trial)
        for params in self.pending:
            delegate._remember(Suggestion(params))
        self.delegate = delegate
        self.method_history.append({"method": method + ("+polish" if self._polishing else ""), "at_trial": told,
                                    "reason": reason})
        log.info("auto: %s %s (%s)", "starting with" if told == 0 else f"after {told} trials, switching to", method,
                 reason)

    def _best_params(self) -> dict:
        return min(filter(usable, self.history), key=self.loss).params

    def _spread(self) -> float:
        """CMA-ES's first step size: the spread of the best tenth of the results in the unit cube."""
        usable_ = sorted(filter(usable, self.history), key=self.loss)
        good = usable_[: max(5, len(usable_) // 10)]
        idx = [self.space.slice_of(n).start for n in self._numbers]
        X = np.array([self.space.encode(t.params)[idx] for t in good])
        return float(np.clip(np.mean(np.std(X, axis=0)) if len(X) > 1 else 0.1, 0.02, 0.2))

    # The protocol ---------------------------------------------------------------
    def _suggest(self, n: int) -> list[Suggestion]:
        polished: list[Suggestion] = []
        if self.polisher is not None:
            taken: set[str] = set()
            for k in range(n):
                if self.polisher.due(self, k):
                    suggestion = Suggestion(self.polisher.propose(self, self.rng, taken))
                    self.delegate._remember(suggestion)  # pending on the delegate too: it will be told the result
                    polished.append(suggestion)
        rest = n - len(polished)
        return polished + (self.delegate.ask(rest) if rest else [])

    def _observe(self, trial: Trial) -> None:
        self.delegate.tell(trial)
        if self.polisher is not None:
            self.polisher.observe(self, trial)
        if usable(trial) and self.loss(trial) < self._best - 1e-12 * max(1.0, abs(self._best)):
            self._best, self._since_best = self.loss(trial), 0
        else:
            self._since_best += 1
        self._maybe_polish()
        self._maybe_switch()

    def state_dict(self) -> dict[str, Any]:
        state = super().state_dict()
        state["method_history"] = [dict(step) for step in self.method_history]
        state["delegate"] = self.delegate.state_dict()
        return state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        super().load_state_dict(state)
        stored = state["method_history"]
        if [s["method"] for s in stored] != [s["method"] for s in self.method_history]:
            # resumed with other options (e.g. a larger max_trials): keep the method the study was using
            self.method_history = stored[:-1]
            self._switch(stored[-1]["method"].split("+")[0], stored[-1]["reason"])
        self.method_history = [dict(step) for step in stored]  # as recorded when it happened
        self.delegate.load_state_dict(state["delegate"])

    @property
    def planned(self) -> int | None:
        return self.delegate.planned

    @property
    def exhausted(self) -> bool:
        return self.delegate.exhausted

    def length_scales(self) -> dict[str, float]:
        """The GP's length scales when ``bayes`` is (or was) in charge."""
        getter = getattr(self.delegate, "length_scales", None)
        if getter is None:
            raise ValueError(f"auto is using {self.method!r}, which learns no length scales")
        return getter()



def budget_searcher(method: Any, space: Any, budget: Any) -> Searcher:
    """What ``tune(..., budget=...)`` runs: ``budget="auto"`` puts Hyperband around ``method="auto"``.

    With ``budget="auto"``, a space holding ``epochs`` (fixed, or the upper bound of a
    searched range) and the default ``method="auto"``, the run becomes Hyperband over
    epochs whose new arms come from ``bayes`` (the GP learns from the first rung of
    each bracket): many configurations are tried on a few epochs and only the best
    are trained to the end. ``budget=None`` (the default) leaves ``method`` alone. The
    choice is logged and kept in ``method_history``. Bad values raise before any training.
    """
    from . import get, resolve
    from .bandit import BUDGET_KEY, _top_of

    if budget is None:
        return resolve(method)
    if budget != "auto":
        raise ValueError(f"budget must be None or 'auto', got {budget!r}")
    if not (method == "auto" or isinstance(method, AutoSearch) or method is AutoSearch):
        name = method if isinstance(method, str) else type(method).__name__
        raise ValueError(f"budget: budget='auto' lets method='auto' put a bandit around the search; with method={name!r} "
                         "choose it yourself, e.g. method=kh.searchers.get('hyperband', searcher='bayes')")
    if BUDGET_KEY not in space:
        raise ValueError(f"budget: budget='auto' shares out training epochs; the space needs an {BUDGET_KEY!r} entry "
                         f"(e.g. {{'{BUDGET_KEY}': 27}}: the most epochs one configuration may get)")
    top = _top_of(space[BUDGET_KEY])
    if isinstance(top, bool) or not isinstance(top, (int, float)) or top < 3:
        raise ValueError(f"budget: budget='auto' needs {BUDGET_KEY} of at least 3 to share out (Hyperband keeps the "
                         f"best third on three times the epochs), got {top!r}")
    searcher = get("hyperband", searcher="bayes")
    reason = (f"budget='auto' and {BUDGET_KEY} up to {top:g}: Hyperband trains many configurations on few epochs "
              "and the best on more; bayes proposes the configurations")
    searcher.method_history = [{"method": "hyperband", "at_trial": 0, "reason": reason}]
    log.info("auto: starting with hyperband (%s)", reason)
    return searcher
