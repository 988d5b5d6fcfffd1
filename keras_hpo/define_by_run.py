"""KerasTuner's ``build_model(hp)``, unchanged: an ``hp`` object with KerasTuner's signatures, and space discovery.

``kh.tune(build_model, data=(x, y), max_trials=20)`` with the space left out:
``build_model``'s single parameter is called ``hp`` (or is annotated
``kh.HyperParameters``), so it gets a ``HyperParameters`` object offering
``Int``, ``Float``, ``Choice``, ``Boolean``, ``Fixed`` (with ``parent_name=`` /
``parent_values=``), ``conditional_scope``, ``values``, ``get`` and ``hp[name]``.

**How the space is found.** KerasTuner grows its space while it runs: the first
call records every declaration with its default, and names first seen in a
later branch are added then. Searchers here (and resume, and storage) work on a
fixed space, so the growing happens before any training, in a discovery phase:
``build_model`` is called in probe mode, first with every parameter at its
default, then, for every parameter with a finite set of values (choices,
booleans, integers up to ``MAX_PROBED_LEVELS`` levels), once per value in the
context where it was found, until no new name appears (or ``MAX_PROBES`` calls).
An integer is probed at its top first, and at its other levels only when the
top reveals new names (a loop ``for i in range(hp.Int(...))`` does; a size does
not), so KerasTuner's guide model takes 8 calls.
A name first seen when parameter ``p`` took some values becomes conditional,
``when={p: those values}``; a declaration inside ``conditional_scope`` or with
``parent_name=`` is conditional as declared (and on both, for a loop inside a scope). Then the space is fixed and the
search starts. A name that no probe reached (it needs two parents at once at
non-default values) is not searched: during trials it takes its default and a
warning says so. Probe calls build models but never train them.

Mapping to distributions: ``Int(min, max, step)`` is ``kh.Int`` (the top is
lowered to the last step), ``sampling="log"`` is a log scale (with a ``step``,
KerasTuner's multiplicative grid, which becomes the choice of its levels);
``Float`` likewise; ``Boolean`` is ``Choice([False, True])``; ``Fixed`` is
``kh.Fixed``. Bad declarations (``min_value`` above ``max_value``, a choice with
no values) raise ``ValueError`` naming the parameter, before any training.

>>> import keras_hpo as kh
>>> def objective(hp):
...     x = hp.Float("x", -1.0, 1.0)
...     if hp.Boolean("shift"):
...         return x ** 2 + hp.Choice("by", [0.5, 1.0])
...     return x ** 2
>>> result = kh.tune(objective, method="random", max_trials=20, seed=0, progress=False)
>>> result.space["by"].when
{'shift': [True]}
"""

from __future__ import annotations

import contextlib
import inspect
import logging
import math
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from .compat import ParamsAdapter
from .references import is_reference, name_of
from .space import Choice, Fixed, Float, Int, Space, _same, with_when

__all__ = ["HyperParameters", "HyperParameterError", "takes_hp", "discover", "MAX_PROBES", "MAX_PROBED_LEVELS"]

log = logging.getLogger("keras_hpo")

#: the most calls of the model function the discovery phase makes
MAX_PROBES = 300
#: integers with more levels than this are not probed value by value (names they reveal are always active)
MAX_PROBED_LEVELS = 32


def takes_hp(fn: Callable) -> bool:
    """Whether ``fn`` declares its space KerasTuner-style: one required positional parameter, named ``hp`` or
    annotated as ``HyperParameters`` (ours or ``keras_tuner.HyperParameters``)."""
    try:
        parameters = [p for p in inspect.signature(fn).parameters.values() if p.default is p.empty
                      and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):
        return False
    if len(parameters) != 1:
        return False
    annotation = parameters[0].annotation
    named = annotation if isinstance(annotation, str) else getattr(annotation, "__name__", "")
    return parameters[0].name == "hp" or named.rsplit(".", 1)[-1] == "HyperParameters"


# Declarations -> distributions -------------------------------------------------
def _number(name: str, what: str, value: Any) -> None:
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value):
        raise ValueError(f"parameter {name!r}: {what} must be a finite number, got {value!r}")


def _int_dist(name: str, min_value: Any, max_value: Any, step: Any, sampling: str | None) -> Any:
    for what, value in (("min_value", min_value), ("max_value", max_value)):
        if not isinstance(value, int) or isinstance(value, bool):
            raise ValueError(f"parameter {name!r}: hp.Int needs an integer {what}, got {value!r}")
    return _range_dist(name, min_value, max_value, step, sampling, integer=True)


def _range_dist(name: str, low: Any, high: Any, step: Any, sampling: str | None, *, integer: bool) -> Any:
    kind = "hp.Int" if integer else "hp.Float"
    _number(name, "min_value", low)
    _number(name, "max_value", high)
    sampling = (sampling or "linear").lower()
    if sampling not in ("linear", "log"):
        raise ValueError(f"parameter {name!r}: sampling={sampling!r} is not supported; use 'linear' or 'log'")
    if low > high:
        raise ValueError(f"parameter {name!r}: {kind} min_value={low} is above max_value={high}; swap them")
    if low == high:
        return Fixed(low)
    if step is not None:
        _number(name, "step", step)
        if step <= 0 or (integer and int(step) != step):
            raise ValueError(f"parameter {name!r}: step must be a positive {'integer' if integer else 'number'}, got {step!r}")
    if sampling == "log":
        if low <= 0:
            raise ValueError(f"parameter {name!r}: sampling='log' needs min_value > 0, got {low}")
        if step is None:
            return Int(low, high, log=True) if integer else Float(low, high, log=True)
        if step <= 1:
            raise ValueError(f"parameter {name!r}: with sampling='log', step is a factor above 1, got {step}")
        levels, value = [], low
        while value <= high * (1 + 1e-9):
            levels.append(int(round(value)) if integer else float(f"{value:.12g}"))
            value *= step
        return Choice(levels) if len(levels) > 1 else Fixed(levels[0])
    if integer:
        step = int(step or 1)
        return Int(low, low + (high - low) // step * step, step=step)
    if step is None:
        return Float(float(low), float(high))
    levels = int(math.floor((high - low) / step + 1e-9))
    return Float(float(low), float(f"{low + levels * step:.12g}"), step=step) if levels else Fixed(float(low))


def _choice_dist(name: str, values: Any) -> Choice:
    if not isinstance(values, (list, tuple)) or not values:
        raise ValueError(f"parameter {name!r}: hp.Choice needs a non-empty list of values, got {values!r}")
    try:
        dist = Choice(list(values))
        dist._check()
    except (TypeError, ValueError) as exc:
        raise ValueError(f"parameter {name!r}: {exc}") from None
    return dist


def _default_of(dist: Any, default: Any) -> Any:
    if default is not None:
        return default
    if isinstance(dist, Fixed):
        return dist.value
    if isinstance(dist, Choice):
        return dist.values()[0]
    return dist.low


def _on_grid(dist: Any, value: Any) -> Any:
    """The level nearest ``value`` when it lies inside a stepped range but between its steps, else None.

    KerasTuner takes such a default (``hp.Int("units", 32, 512, step=32, default=100)``) and starts there; here a
    default must be a value the space holds, so it moves to the nearest step. A default outside the range stays an error.
    """
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value):
        return None
    if isinstance(dist, (Int, Float)) and dist.step is not None and dist.low <= value <= dist.high:
        i = int(round((value - dist.low) / dist.step))
        return dist.low + i * dist.step if isinstance(dist, Int) else dist._level(i)
    levels = dist.values() if isinstance(dist, Choice) else []
    if levels and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in levels) \
            and min(levels) <= value <= max(levels):
        return min(levels, key=lambda v: abs(v - value))
    return None


class HyperParameterError(ValueError):
    """A bad ``hp.*`` declaration (raised at discovery, before any training, with the parameter named)."""


class _Declared:
    """One declaration: its distribution, default, explicit conditions (parent -> allowed values)."""

    def __init__(self, dist: Any, default: Any, conditions: dict[str, tuple]) -> None:
        self.dist, self.default, self.conditions = dist, default, conditions


class HyperParameters:
    """KerasTuner's ``hp``: each call declares a parameter and returns its value for this trial.

    In probe mode (discovery) values are the defaults, or the values being
    explored; in a trial they are the searcher's params. ``hp.values`` holds the
    values given out in this call, ``hp.get(name)`` / ``hp[name]`` read one.
    """

    def __init__(self, values: Mapping[str, Any] | None = None, space: Space | None = None) -> None:
        self._given = dict(values or {})
        self._space = space
        self._declared: dict[str, _Declared] = {}
        self._order: list[str] = []
        self._scopes: list[tuple[str, tuple]] = []
        self.values: dict[str, Any] = {}

    # KerasTuner's declarations -----------------------------------------------------
    def Int(self, name: str, min_value: int, max_value: int, step: int | None = None, sampling: str = "linear",
            default: int | None = None, parent_name: str | None = None, parent_values: Any = None) -> Any:  # noqa: N802
        return self._declare(name, lambda: _int_dist(name, min_value, max_value, step, sampling), default,
                             parent_name, parent_values)

    def Float(self, name: str, min_value: float, max_value: float, step: float | None = None, sampling: str = "linear",
              default: float | None = None, parent_name: str | None = None, parent_values: Any = None) -> Any:  # noqa: N802
        return self._declare(name, lambda: _range_dist(name, min_value, max_value, step, sampling, integer=False),
                             default, parent_name, parent_values)

    def Choice(self, name: str, values: Sequence[Any], ordered: bool | None = None, default: Any = None,  # noqa: N802
               parent_name: str | None = None, parent_values: Any = None) -> Any:
        return self._declare(name, lambda: _choice_dist(name, values), default, parent_name, parent_values)

    def Boolean(self, name: str, default: bool = False, parent_name: str | None = None,  # noqa: N802
                parent_values: Any = None) -> Any:
        return self._declare(name, lambda: Choice([False, True]), bool(default), parent_name, parent_values)

    def Fixed(self, name: str, value: Any, parent_name: str | None = None, parent_values: Any = None) -> Any:  # noqa: N802
        def make() -> Any:  # an object (an optimizer class, a loss) is a choice of one, kept by its name
            return Choice([value]) if callable(value) or hasattr(value, "get_config") else Fixed(value)

        return self._declare(name, make, value, parent_name, parent_values)

    @contextlib.contextmanager
    def conditional_scope(self, parent_name: str, parent_values: Any) -> Iterator[None]:
        """Parameters declared inside are active only when ``parent_name`` takes one of ``parent_values``."""
        self._scopes.append((parent_name, _as_tuple(parent_values)))
        try:
            yield
        finally:
            self._scopes.pop()

    def get(self, name: str) -> Any:
        """The value of ``name`` in this call (KeyError if it was not declared)."""
        if name in self.values:
            return self.values[name]
        if name in self._given:
            return self._given[name]
        raise KeyError(f"hyperparameter {name!r} does not exist (declare it first, e.g. hp.Int({name!r}, ...))")

    def __getitem__(self, name: str) -> Any:
        return self.get(name)

    def __contains__(self, name: object) -> bool:
        return name in self.values or name in self._given

    # Internals ----------------------------------------------------------------------
    def _declare(self, name: Any, make: Callable[[], Any], default: Any, parent_name: str | None,
                 parent_values: Any) -> Any:
        if not isinstance(name, str) or not name:
            raise HyperParameterError(f"a hyperparameter name must be a non-empty string, got {name!r}")
        conditions = dict(self._scopes)
        if parent_name is not None:
            if parent_values is None:
                raise HyperParameterError(f"parameter {name!r}: parent_name={parent_name!r} needs parent_values")
            conditions[parent_name] = _as_tuple(parent_values)
        if name not in self._declared:
            try:
                dist = make()
                dist._check()
            except (TypeError, ValueError) as exc:
                message = str(exc) if str(exc).startswith("parameter ") else f"parameter {name!r}: {exc}"
                raise HyperParameterError(message) from None
            default = _default_of(dist, default)
            if isinstance(dist, Choice) and dist.refs and is_reference(default):  # an object's default: its name
                default = name_of(default)
            if not dist.contains(default):
                near = _on_grid(dist, default)
                if near is None:
                    raise HyperParameterError(f"parameter {name!r}: default={default!r} is not a possible value of {dist!r}")
                log.info("parameter %r: default=%r lies between the steps of %r; it starts at %r", name, default, dist, near)
                default = near
            self._declared[name] = _Declared(dist, default, conditions)
            self._order.append(name)
        declared = self._declared[name]
        if not self._conditions_hold(conditions):
            return None  # KerasTuner's answer for an inactive parameter
        value = self._value_of(name, declared)
        self.values[name] = value
        return value

    def _conditions_hold(self, conditions: Mapping[str, tuple]) -> bool:
        for parent, allowed in conditions.items():
            current = self.values.get(parent, self._given.get(parent))
            if current is None or not any(_same(current, a) for a in allowed):
                return False
        return True

    def _value_of(self, name: str, declared: _Declared) -> Any:
        if name in self._given:
            value = self._given[name]
        else:
            if self._space is not None and name not in self._space:
                _warn_unsearched(name)
            value = declared.default
        dist = declared.dist
        return dist.object_of(value) if isinstance(dist, Choice) else value


_warned: set[str] = set()


def _warn_unsearched(name: str) -> None:
    if name not in _warned:
        _warned.add(name)
        log.warning("hyperparameter %r was not found while discovering the space (it needs several parents at "
                    "non-default values); it keeps its default and is not searched", name)


def _as_tuple(values: Any) -> tuple:
    return tuple(values) if isinstance(values, (list, tuple, set)) else (values,)


# Discovery ----------------------------------------------------------------------------
def _probe(fn: Callable, forced: Mapping[str, Any]) -> HyperParameters:
    """One probe call; a bad declaration always stops, other errors only with every parameter at its default."""
    hp = HyperParameters(forced)
    try:
        fn(hp)
    except HyperParameterError:
        raise
    except Exception as exc:
        if not forced:
            raise
        log.debug("probe %s of the model function raised %s: %s", dict(forced), type(exc).__name__, exc)
    return hp


def _explorable(dist: Any) -> list | None:
    """The values to probe a parameter at: every choice, every level of a small integer range; None for the rest."""
    if isinstance(dist, Choice) or (isinstance(dist, Int) and not dist.log and len(dist.values()) <= MAX_PROBED_LEVELS):
        return dist.values()
    return None


class _Discovery:
    """The probe loop: explore each finite parameter's values in the context where it was found."""

    def __init__(self, fn: Callable) -> None:
        self.fn = fn
        self.probes = 0
        self.declared: dict[str, _Declared] = {}
        self.order: list[str] = []
        self.implicit: dict[str, tuple[str, list]] = {}  # name -> (parent, values of the parent it appeared under)

    def run(self) -> None:
        try:
            base = self.probe({})
        except ValueError:
            raise
        except Exception as exc:
            raise ValueError(f"model_fn(hp) failed with every hyperparameter at its default, before any training: "
                             f"{type(exc).__name__}: {exc}") from exc
        self.learn(base, None, None)
        queue = [({}, list(base._order))]
        while queue and self.probes < MAX_PROBES:
            context, names = queue.pop(0)
            for parent in names:
                queue.extend(self.explore(context, parent, set(names)))

    def probe(self, forced: Mapping[str, Any]) -> HyperParameters:
        self.probes += 1
        return _probe(self.fn, forced)

    def learn(self, hp: HyperParameters, parent: str | None, value: Any) -> list[str]:
        new = [n for n in hp._order if n not in self.declared]
        for name in new:
            self.declared[name] = hp._declared[name]
            self.order.append(name)
            if parent is not None and parent not in hp._declared[name].conditions:
                self.implicit[name] = (parent, [])
        for name in hp._order:
            if name in self.implicit and self.implicit[name][0] == parent:
                seen = self.implicit[name][1]
                if not any(_same(value, v) for v in seen):
                    seen.append(value)
        return new

    def explore(self, context: dict, parent: str, known: set[str]) -> list[tuple[dict, list[str]]]:
        """Probe ``parent``'s values in ``context``; integers at their top first, the rest only if that reveals names."""
        values = _explorable(self.declared[parent].dist)
        if values is None or parent in context:
            return []
        default = self.declared[parent].default
        values = [v for v in values if context or not _same(v, default)]
        if isinstance(self.declared[parent].dist, Int):
            values = values[-1:] + values[:-1]
        found = []
        for i, value in enumerate(values):
            if self.probes >= MAX_PROBES:
                break
            forced = {**context, parent: value}
            hp = self.probe(forced)
            new = self.learn(hp, parent, value)
            if new:
                found.append((forced, [n for n in hp._order if n not in known]))
            elif i == 0 and isinstance(self.declared[parent].dist, Int):
                break  # nothing hides behind the top of an integer range: the other levels need no probe
        return found


def discover(fn: Callable) -> tuple[ParamsAdapter, Space]:
    """Call ``fn(hp)`` in probe mode until no new name appears; the fixed ``Space`` and the adapter for trials."""
    found = _Discovery(fn)
    found.run()
    declared, order, implicit, probes = found.declared, found.order, found.implicit, found.probes
    if probes >= MAX_PROBES:
        log.warning("discovering the space stopped after %d calls of the model function; names that only appear "
                    "deeper keep their defaults", MAX_PROBES)
    if "keras" in sys.modules:  # the probes built models: free their graphs before training starts
        sys.modules["keras"].backend.clear_session()
    params = {}
    for name in order:
        decl = declared[name]
        when = {p: list(v) for p, v in decl.conditions.items()}
        if name in implicit and implicit[name][0] not in when:  # a loop inside a conditional_scope: both hold
            parent, values = implicit[name]
            levels = _explorable(declared[parent].dist)
            if levels is not None:
                when[parent] = [v for v in levels if any(_same(v, seen) for seen in values)]
        params[name] = with_when(decl.dist, when) if when else decl.dist
    if not params:
        raise ValueError("model_fn(hp) declared no hyperparameter; call hp.Int/hp.Float/hp.Choice/... in it")
    space = Space(params)
    return HpParams(fn, space), space


class HpParams(ParamsAdapter):
    """Calls the model function with a ``HyperParameters`` object holding the trial's params."""

    def convert(self, params: dict) -> HyperParameters:
        return HyperParameters(params, self.space)
