"""The ask/tell protocol that every search method implements.

A searcher sees the space, the trial records it is told about and its own
random generator; nothing else (no storage, no Keras, no global RNG). The base
class does the bookkeeping every method needs, so an algorithm only writes
``_suggest``:

- points already suggested are not suggested again (a repeat is replaced by a
  fresh random point), and on a finite space ``SearchExhausted`` is raised as
  soon as every point has been suggested, never earlier;
- pending (asked but not yet told) suggestions are tracked, so ``ask(n)`` in
  parallel never hands two workers the same point;
- ``state_dict`` captures the RNG and the pending suggestions as JSON for resume;
  its size does not grow with the number of trials (the points already seen are
  rebuilt by replaying the trials, never stored);
- ``options()`` describes the constructor's arguments as JSON, so a resumed study
  can refuse a searcher configured differently;
- a pruner set by ``tune`` answers ``report`` and learns from every told trial,
  and PRUNED trials are learned from pessimistically (see ``_learned``).

>>> import keras_hpo as kh
>>> s = kh.searchers.get("random")
>>> s.setup(kh.Space({"x": kh.Float(0, 1)}), direction="min", seed=0)
>>> [sugg] = s.ask()
>>> 0 <= sugg.params["x"] <= 1
True

Resume contract: the loop rebuilds a searcher with ``setup``, ``tell``s it the
finished trials that it had been told when its state was saved last (in the order
they were told), calls ``load_state_dict`` with that state, then ``tell``s it the
trials finished since. A subclass keeps in ``state_dict`` only what replaying the
trials does not rebuild (a random generator, counters, positions), never a list
that grows with the study. The state is saved when new trials start, not after each
``tell``: whatever ``tell`` (or a ``report`` before it) changes must follow from the
told trial itself, so that telling it again after ``load_state_dict`` rebuilds it.
"""

from __future__ import annotations

import inspect
import math
from typing import Any

import numpy as np

from ..errors import SearchExhausted
from ..space import Space
from ..trial import Decision, Suggestion, Trial, TrialState

__all__ = ["Searcher", "SearchExhausted"]

_FRESH_TRIES = 64


class Searcher:
    """Base class: subclasses implement ``_suggest(n)`` and may override ``_observe(trial)``."""

    #: set on searchers that mean to evaluate a point more than once (manual lists, bandit rungs)
    allow_repeats = False
    #: set on searchers that end on their own (grid, manual lists), so ``tune`` needs no max_trials
    finite_by_itself = False
    #: the registry name, filled in by the registry
    name = "searcher"
    #: set by ``tune``: whether the run has a stop of its own (max_trials, timeout, ...); searchers that could go
    #: on forever (the bandits) then keep going, and otherwise do one planned round
    run_has_limit = False
    #: set by ``tune``: a ``keras_hpo.pruners.Pruner`` that answers ``report``, or None
    pruner: Any = None
    #: options added in a later release, each with the value that behaves as the releases before it did: a study
    #: stored without a record of the option resumes with that value (``keras_hpo.resume``), so it goes on as it began
    options_added: dict[str, Any] = {}

    def __new__(cls, *args: Any, **kwargs: Any) -> Searcher:
        # the constructor's arguments, as given, for options(); subclasses' __init__ need do nothing for it
        self = super().__new__(cls)
        self._init_args = (args, kwargs)
        return self

    def options(self) -> dict[str, Any]:
        """The constructor's arguments (defaults filled in) as JSON; stored with a study so resume can compare them.

        >>> import keras_hpo as kh
        >>> kh.searchers.get("grid", shuffle=True).options()
        {'shuffle': True}
        """
        return {name: _option_json(value) for name, value in self._arguments(defaults=True).items()}

    def given_options(self) -> set[str]:
        """The names of the options the caller wrote out; the others are defaults, which a resume takes from the study."""
        return set(self._arguments(defaults=False))

    def with_options(self, **changes: Any) -> Searcher:
        """A new searcher of this class with the same constructor arguments and ``changes``, and tune's settings."""
        args, kwargs = getattr(self, "_init_args", ((), {}))
        rebuilt = type(self)(*args, **{**kwargs, **changes})
        rebuilt.pruner, rebuilt.run_has_limit = self.pruner, self.run_has_limit
        return rebuilt

    def _arguments(self, *, defaults: bool) -> dict[str, Any]:
        """The constructor's arguments by name (a ``**kwargs`` catch-all flattened), with or without the defaults."""
        args, kwargs = getattr(self, "_init_args", ((), {}))
        try:
            bound = inspect.signature(type(self).__init__).bind(self, *args, **kwargs)
        except TypeError:
            return {}
        if defaults:
            bound.apply_defaults()
        out: dict[str, Any] = {}
        for name, value in list(bound.arguments.items())[1:]:
            kind = bound.signature.parameters[name].kind
            if kind is inspect.Parameter.VAR_KEYWORD:
                out.update(value)
            elif kind is not inspect.Parameter.VAR_POSITIONAL or value:
                out[name] = value
        return out

    def setup(self, space: Space | dict, direction: str = "min", seed: int | None = None) -> None:
        """Bind the searcher to a space; all validation of the options happens here."""
        if direction not in ("min", "max"):
            raise ValueError(f"direction must be 'min' or 'max', got {direction!r}")
        self.space = Space.from_any(space)
        self.direction = direction
        self.seed = seed
        self.rng = np.random.default_rng(seed)
        self.history: list[Trial] = []
        self._seen: set[str] = set()
        self._pending: dict[str, dict] = {}
        if self.pruner is not None:
            self.pruner.setup(self.direction)
        self._validate()

    def _validate(self) -> None:
        """Check the options against the space (override in subclasses)."""

    # The protocol -------------------------------------------------------
    def ask(self, n: int = 1) -> list[Suggestion]:
        """Up to ``n`` distinct suggestions; ``[]`` means wait for results; raises ``SearchExhausted`` when done."""
        if not isinstance(n, (int, np.integer)) or n < 1:
            raise ValueError(f"n must be a positive integer, got {n!r}")
        if self.exhausted:
            raise SearchExhausted(f"all {self.space.cardinality} points of the space have been suggested")
        out: list[Suggestion] = []
        for suggestion in self._suggest(int(n)):
            if not self.allow_repeats and suggestion.budget is None and self._is_seen(suggestion.params):
                params = self.fresh_point()
                if params is None:
                    break
                suggestion = Suggestion(params)
            self._remember(suggestion)
            out.append(suggestion)
        return out

    def tell(self, trial: Trial) -> None:
        """Learn from a finished trial (COMPLETE, PRUNED or FAILED)."""
        key = self.space.key(trial.params)
        self._pending.pop(key, None)
        self._seen.add(key)
        if self.pruner is not None:
            self.pruner.tell(trial)
        trial = self._learned(trial)
        self.history.append(trial)
        self._observe(trial)

    def report(self, trial_number: int, step: int, value: float) -> Decision:
        """A running trial's value at ``step``: the pruner's decision, CONTINUE without one.

        The loop calls this from its report hook, whichever executor streams the
        reports, so every searcher can prune.
        """
        if self.pruner is None:
            return Decision.CONTINUE
        return self.pruner.report(trial_number, step, value)

    def state_dict(self) -> dict[str, Any]:
        """JSON-serialisable state for resume: the RNG and the pending suggestions (at most one per worker).

        The points already seen are not in it: ``tell`` rebuilds them when the trials are replayed.
        """
        return {"rng": self.rng.bit_generator.state, "pending": list(self._pending.values())}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.rng.bit_generator.state = state["rng"]
        pending = ((self.space.key(p), p) for p in state["pending"])
        self._pending = {key: p for key, p in pending if key not in self._seen}

    # For subclasses -----------------------------------------------------
    def _suggest(self, n: int) -> list[Suggestion]:
        raise NotImplementedError

    def _observe(self, trial: Trial) -> None:
        """Hook called by ``tell`` after the bookkeeping."""

    def _learned(self, trial: Trial) -> Trial:
        """What the searcher learns from a told trial: a PRUNED one counts as complete, but no better than the worst.

        A pruned trial was stopped because it looked worse than its peers, so its
        last value is optimistic for a configuration that was cut short. As
        Optuna's TPE ranks pruned trials below completed ones, every searcher here
        sees a pruned trial as COMPLETE with ``max(its own loss, the worst
        complete loss so far)``: it is in the bad group of TPE, at the bottom of
        genetic and annealing ranks, a high point for the GP, never the best. The
        stored record keeps its true state and value.
        """
        if trial.state is not TrialState.PRUNED or trial.value is None or not math.isfinite(trial.value):
            return trial
        losses = [self.loss(trial)] + [self.loss(t) for t in self.completed]
        worst = max(losses)
        return trial.replace(state=TrialState.COMPLETE, value=worst if self.direction == "min" else -worst)

    @property
    def pending(self) -> list[dict]:
        """Parameters suggested but not yet told, oldest first."""
        return list(self._pending.values())

    @property
    def completed(self) -> list[Trial]:
        """Told trials with a usable value."""
        return [t for t in self.history if t.state is TrialState.COMPLETE and t.value is not None]

    def loss(self, trial: Trial) -> float:
        """The trial's value as something to minimise, whatever the direction."""
        return trial.value if self.direction == "min" else -trial.value

    @property
    def planned(self) -> int | None:
        """How many suggestions this searcher makes at most (None: no limit of its own); sizes the progress bar."""
        cardinality = self.space.cardinality
        return None if math.isinf(cardinality) else int(cardinality)

    @property
    def exhausted(self) -> bool:
        return len(self._seen) + len(self._pending) >= self.space.cardinality

    def _is_seen(self, params: dict) -> bool:
        key = self.space.key(params)
        return key in self._seen or key in self._pending

    def _remember(self, suggestion: Suggestion) -> None:
        key = self.space.key(suggestion.params)
        if key not in self._seen:
            self._pending[key] = dict(suggestion.params)

    def fresh_point(self) -> dict | None:
        """A random point not suggested before; ``None`` when a finite space has none left."""
        for _ in range(_FRESH_TRIES):
            params = self.space.sample(self.rng)
            if not self._is_seen(params):
                return params
        if math.isinf(self.space.cardinality):
            return params  # a continuous space that keeps colliding: its discrete part is used up
        unseen = [p for p in self.space.grid() if not self._is_seen(p)]
        if not unseen:
            return None
        return unseen[int(self.rng.integers(len(unseen)))]


def _option_json(value: Any) -> Any:
    """A constructor argument as JSON: a nested searcher by name and options, a callable by its qualified name."""
    from ..values import to_json

    if isinstance(value, Searcher):
        return {"method": value.name if value.name != "searcher" else type(value).__name__, "options": value.options()}
    if callable(value):
        return f"{getattr(value, '__module__', '?')}.{getattr(value, '__qualname__', type(value).__name__)}"
    try:
        return to_json(value)
    except TypeError:
        return f"<{type(value).__module__}.{type(value).__qualname__}>"
