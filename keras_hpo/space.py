"""The search space: validated distributions and the mapping to and from the unit cube.

Every searcher works through ``Space``: it samples, enumerates, de-duplicates and
maps parameters to numbers and back, so no algorithm re-implements any of it.

>>> import keras_hpo as kh
>>> space = kh.Space({
...     "layers": kh.Int(1, 3),
...     "units_2": kh.Int(16, 128, log=True, when={"layers": [2, 3]}),
...     "activation": ["relu", "tanh"],          # a list is a Choice
...     "learning_rate": kh.Float(1e-4, 1e-1, log=True),
...     "epochs": 5,                             # a scalar is Fixed
... })
>>> params = space.sample(np.random.default_rng(0))
>>> space.contains(params)
True
>>> space.decode(space.encode(params)) == params
True
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["Float", "Int", "Choice", "Fixed", "Space", "Distribution"]

_PRIMITIVES = (str, int, float, bool, type(None))
_TOL = 1e-9


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_))


def _same(a: Any, b: Any) -> bool:
    """Equality that keeps ``True`` apart from ``1`` but lets ``1`` equal ``1.0``."""
    if _is_number(a) and _is_number(b):
        return float(a) == float(b)
    return type(a) is type(b) and a == b


def _as_python(dist: Any, *names: str) -> None:
    """NumPy scalars given as bounds become Python numbers, so the space stays JSON."""
    for name in names:
        value = getattr(dist, name)
        if isinstance(value, np.integer):
            object.__setattr__(dist, name, int(value))
        elif isinstance(value, np.floating):
            object.__setattr__(dist, name, float(value))


def _clean_float(value: float) -> float:
    """Round away binary noise such as 0.30000000000000004 so keys and tables stay readable."""
    return float(f"{float(value):.12g}")


def _normalise_when(when: Any) -> dict[str, tuple]:
    if when is None:
        return {}
    if not isinstance(when, Mapping):
        raise TypeError(f"when must be a dict like {{'parent': [values]}}, got {when!r}")
    out = {}
    for parent, allowed in when.items():
        if isinstance(allowed, (list, tuple, set)):
            out[str(parent)] = tuple(allowed)
        else:
            out[str(parent)] = (allowed,)
    return out


@dataclass(frozen=True)
class Distribution:
    """Base of the value objects; ``Space`` validates them and names the parameter on error."""

    when: Any = field(default=None, kw_only=True)

    #: width of this parameter in the encoded unit-cube vector
    @property
    def n_dims(self) -> int:
        return 1

    @property
    def finite(self) -> bool:
        return False

    @property
    def condition(self) -> dict[str, tuple]:
        return _normalise_when(self.when)

    def __repr__(self) -> str:
        shown = [repr(getattr(self, f)) for f in self._positional]
        for f, default in self._optional:
            value = getattr(self, f)
            if value != default:
                shown.append(f"{f}={value!r}")
        return f"{type(self).__name__}({', '.join(shown)})"

    _positional = ()
    _optional = (("when", None),)

    def values(self) -> list:
        raise ValueError(f"{self!r} has infinitely many values; give it a step or use a list of values")

    def _check(self) -> None:  # raises ValueError with a message that Space prefixes with the name
        pass

    def _to_dict(self) -> dict:
        raise NotImplementedError


@dataclass(frozen=True, repr=False)
class Float(Distribution):
    """A real number in ``[low, high]``; ``log=True`` samples on a log scale, ``step`` makes it a grid."""

    _positional = ("low", "high")
    _optional = (("log", False), ("step", None), ("when", None))

    low: float
    high: float
    log: bool = False
    step: float | None = None

    @property
    def finite(self) -> bool:
        return self.step is not None

    @property
    def _levels(self) -> int:
        return int(round((self.high - self.low) / self.step)) + 1

    def _check(self) -> None:
        _as_python(self, "low", "high", "step")
        if not (_is_number(self.low) and _is_number(self.high)):
            raise TypeError(f"low and high must be numbers, got low={self.low!r}, high={self.high!r}")
        if not (math.isfinite(self.low) and math.isfinite(self.high)):
            raise ValueError(f"low and high must be finite, got low={self.low}, high={self.high}")
        if self.low >= self.high:
            raise ValueError(f"low must be below high, got low={self.low}, high={self.high}")
        if self.log and self.low <= 0:
            raise ValueError(f"log=True needs low > 0, got low={self.low}")
        if self.step is not None:
            if self.log:
                raise ValueError("log=True cannot be combined with step")
            if not _is_number(self.step) or self.step <= 0:
                raise ValueError(f"step must be a positive number, got step={self.step!r}")
            ratio = (self.high - self.low) / self.step
            if abs(ratio - round(ratio)) > 1e-6 * max(1.0, ratio):
                raise ValueError(f"step={self.step} does not divide the range [{self.low}, {self.high}]")

    def sample(self, rng: np.random.Generator) -> float:
        if self.step is not None:
            return self._level(int(rng.integers(self._levels)))
        if self.log:
            return _clean_float(math.exp(rng.uniform(math.log(self.low), math.log(self.high))))
        return float(rng.uniform(self.low, self.high))

    def _level(self, i: int) -> float:
        return _clean_float(self.low + i * self.step)

    def contains(self, value: Any) -> bool:
        if not _is_number(value) or not (self.low - _TOL <= value <= self.high + _TOL):
            return False
        if self.step is None:
            return True
        i = (value - self.low) / self.step
        return abs(i - round(i)) < 1e-6

    def values(self) -> list:
        if self.step is None:
            return super().values()
        return [self._level(i) for i in range(self._levels)]

    def encode(self, value: float) -> list[float]:
        if self.step is not None:
            i = round((value - self.low) / self.step)
            return [(i + 0.5) / self._levels]
        if self.log:
            return [(math.log(value) - math.log(self.low)) / (math.log(self.high) - math.log(self.low))]
        return [(value - self.low) / (self.high - self.low)]

    def decode(self, u: np.ndarray) -> float:
        x = float(np.clip(u[0], 0.0, 1.0))
        if self.step is not None:
            return self._level(min(int(x * self._levels), self._levels - 1))
        if self.log:
            value = math.exp(math.log(self.low) + x * (math.log(self.high) - math.log(self.low)))
            return min(max(_clean_float(value), self.low), self.high)
        return float(self.low + x * (self.high - self.low))

    def _to_dict(self) -> dict:
        return {"type": "float", "low": self.low, "high": self.high, "log": self.log, "step": self.step}


@dataclass(frozen=True, repr=False)
class Int(Distribution):
    """An integer in ``[low, high]`` (both included); ``log=True`` for sizes such as units."""

    _positional = ("low", "high")
    _optional = (("log", False), ("step", 1), ("when", None))

    low: int
    high: int
    log: bool = False
    step: int = 1

    @property
    def finite(self) -> bool:
        return True

    @property
    def _levels(self) -> int:
        return (self.high - self.low) // self.step + 1

    def _check(self) -> None:
        _as_python(self, "low", "high", "step")
        for name in ("low", "high", "step"):
            value = getattr(self, name)
            if not isinstance(value, (int, np.integer)) or isinstance(value, bool):
                raise TypeError(f"{name} must be an integer, got {name}={value!r}")
        if self.low >= self.high:
            raise ValueError(f"low must be below high, got low={self.low}, high={self.high}")
        if self.step <= 0:
            raise ValueError(f"step must be a positive integer, got step={self.step}")
        if (self.high - self.low) % self.step:
            raise ValueError(f"step={self.step} does not divide the range [{self.low}, {self.high}]")
        if self.log and self.low <= 0:
            raise ValueError(f"log=True needs low > 0, got low={self.low}")
        if self.log and self.step != 1:
            raise ValueError("log=True cannot be combined with step")

    def _log_bounds(self) -> tuple[float, float]:
        return math.log(self.low - 0.5), math.log(self.high + 0.5)

    def sample(self, rng: np.random.Generator) -> int:
        if self.log:
            return self.decode(np.array([rng.uniform()]))
        return int(self.low + self.step * rng.integers(self._levels))

    def contains(self, value: Any) -> bool:
        if not _is_number(value) or not math.isfinite(value) or float(value) != int(value):
            return False
        return self.low <= value <= self.high and (int(value) - self.low) % self.step == 0

    def values(self) -> list:
        return list(range(self.low, self.high + 1, self.step))

    def encode(self, value: int) -> list[float]:
        if self.log:
            lo, hi = self._log_bounds()
            return [(math.log(value) - lo) / (hi - lo)]
        return [((value - self.low) // self.step + 0.5) / self._levels]

    def decode(self, u: np.ndarray) -> int:
        x = float(np.clip(u[0], 0.0, 1.0))
        if self.log:
            lo, hi = self._log_bounds()
            return int(min(max(round(math.exp(lo + x * (hi - lo))), self.low), self.high))
        return int(self.low + self.step * min(int(x * self._levels), self._levels - 1))

    def _to_dict(self) -> dict:
        return {"type": "int", "low": self.low, "high": self.high, "log": self.log, "step": self.step}


def _fresh(obj: Any) -> Any:
    """A Keras optimizer instance in a choice, as a new copy for each trial (from its config).

    An optimizer instance is bound to the variables of the first model it trains; handed to the next
    trial as it is, every trial after the first failed ("This optimizer can only be called for the
    variables it was originally built with"). Classes, functions and other objects are handed as they are.
    """
    if not isinstance(obj, type) and callable(getattr(obj, "apply_gradients", None)) \
            and callable(getattr(obj, "get_config", None)) and callable(getattr(type(obj), "from_config", None)):
        return type(obj).from_config(obj.get_config())
    return obj


@dataclass(frozen=True)
class Choice(Distribution):
    """One of a list of values, encoded one-hot, never as an index.

    Values are JSON primitives (str, int, float, bool, None) or objects such as
    Keras optimizer classes, activation functions and loss objects: an object is
    kept by its readable name (``"keras.optimizers.Adam"``, see
    ``keras_hpo.references``), which is what searchers, storage and tables see;
    ``Space.resolve`` hands the object back for the model function.
    """

    values_: tuple = field(metadata={"name": "values"})
    #: the values that are names of objects, with the spec that rebuilds each (None: imported by name)
    refs: tuple = field(default=(), kw_only=True)
    _objects: dict = field(default_factory=dict, kw_only=True, compare=False, repr=False)

    def __init__(self, values: Any, *, when: Any = None, refs: Any = None) -> None:
        values = tuple(values) if isinstance(values, (list, tuple)) else values
        named, objects, specs = _name_objects(values) if isinstance(values, tuple) else (values, {}, {})
        specs.update(dict(refs or {}))
        object.__setattr__(self, "values_", named)
        object.__setattr__(self, "when", when)
        object.__setattr__(self, "refs", tuple(sorted((k, json.dumps(v, sort_keys=True)) for k, v in specs.items())))
        object.__setattr__(self, "_objects", objects)

    def is_reference(self, value: Any) -> bool:
        """Whether ``value`` is the name of an object rather than a plain value."""
        return isinstance(value, str) and any(name == value for name, _ in self.refs)

    def object_of(self, value: Any) -> Any:
        """The value as the model function gets it: the object for an object's name, else the value itself."""
        if not self.is_reference(value):
            return value
        if value not in self._objects:
            from .references import resolve

            self._objects[value] = resolve(value, json.loads(dict(self.refs)[value]))
        return _fresh(self._objects[value])

    def __repr__(self) -> str:
        when = f", when={self.when!r}" if self.when else ""
        return f"Choice({list(self.values_)!r}{when})"

    @property
    def n_dims(self) -> int:
        return len(self.values_)

    @property
    def finite(self) -> bool:
        return True

    def _check(self) -> None:
        if not isinstance(self.values_, tuple):
            raise TypeError(f"choices must be a list, got {self.values_!r}")
        if not self.values_:
            raise ValueError("empty choice: give at least one value")
        for value in self.values_:
            if not isinstance(value, _PRIMITIVES) and not _is_number(value):
                raise TypeError("choice values must be str, int, float, bool, None, or a class, function or Keras "
                                f"object, got {value!r}")
        for i, a in enumerate(self.values_):
            if any(_same(a, b) for b in self.values_[:i]):
                raise ValueError(f"duplicate choice value {a!r}")

    def index(self, value: Any) -> int:
        for i, candidate in enumerate(self.values_):
            if _same(candidate, value):
                return i
        raise ValueError(f"{value!r} is not one of {list(self.values_)!r}")

    def sample(self, rng: np.random.Generator) -> Any:
        return self.values_[int(rng.integers(len(self.values_)))]

    def contains(self, value: Any) -> bool:
        return any(_same(candidate, value) for candidate in self.values_)

    def values(self) -> list:
        return list(self.values_)

    def encode(self, value: Any) -> list[float]:
        onehot = [0.0] * len(self.values_)
        onehot[self.index(value)] = 1.0
        return onehot

    def decode(self, u: np.ndarray) -> Any:
        return self.values_[int(np.argmax(u))]

    def _to_dict(self) -> dict:
        out = {"type": "choice", "values": list(self.values_)}
        if self.refs:
            out["refs"] = {name: json.loads(spec) for name, spec in self.refs}
        return out


def _name_objects(values: tuple) -> tuple[tuple, dict, dict]:
    """Choice values with every object replaced by its name; the objects and specs by name."""
    if not any(not isinstance(v, _PRIMITIVES) and not _is_number(v) for v in values):
        return values, {}, {}
    from .references import is_reference, name_of, spec_of

    named, objects, specs = [], {}, {}
    for value in values:
        if is_reference(value) and (callable(value) or hasattr(value, "get_config")):
            name = name_of(value)
            if name in objects and objects[name] is not value:
                raise ValueError(f"two different objects share the name {name!r}; give them distinct names")
            objects[name], specs[name] = value, spec_of(value)
            value = name
        named.append(value)
    return tuple(named), objects, specs


@dataclass(frozen=True, repr=False)
class Fixed(Distribution):
    """A constant that is passed to the model function but never searched."""

    _positional = ("value",)
    _optional = (("when", None),)

    value: Any

    @property
    def n_dims(self) -> int:
        return 0

    @property
    def finite(self) -> bool:
        return True

    def _check(self) -> None:
        if not isinstance(self.value, _PRIMITIVES):
            raise TypeError(f"fixed values must be str, int, float, bool or None, got {self.value!r}")

    def sample(self, rng: np.random.Generator) -> Any:
        return self.value

    def contains(self, value: Any) -> bool:
        return _same(self.value, value)

    def values(self) -> list:
        return [self.value]

    def encode(self, value: Any) -> list[float]:
        return []

    def decode(self, u: np.ndarray) -> Any:
        return self.value

    def _to_dict(self) -> dict:
        return {"type": "fixed", "value": self.value}


def with_when(dist: Distribution, when: Mapping[str, Any] | None) -> Distribution:
    """A copy of ``dist`` with the condition ``when`` (used where conditions are found after the distribution)."""
    if isinstance(dist, Choice):
        return Choice(dist.values(), when=when, refs={name: json.loads(spec) for name, spec in dist.refs})
    from dataclasses import replace

    return replace(dist, when=when)


def talos_range(start: float, stop: float, steps: int) -> Distribution:
    """The Talos tuple ``(start, stop, steps)``: ``steps`` evenly spaced values from ``start``, ``stop`` excluded."""
    if not all(_is_number(v) for v in (start, stop, steps)) or steps <= 0 or start == stop or int(steps) != steps:
        raise ValueError(f"a (start, stop, steps) range needs numbers, a whole number of steps > 0 and start != stop, got {(start, stop, steps)}")
    values = np.arange(start, stop, (stop - start) / steps, dtype=float)
    if isinstance(start, int) and isinstance(stop, int):
        ints = np.unique(values.astype(int))
        if len(ints) == 1:
            return Fixed(int(ints[0]))
        gaps = set(np.diff(ints).tolist())
        return Int(int(ints[0]), int(ints[-1]), step=gaps.pop()) if len(gaps) == 1 else Choice(ints.tolist())
    if len(values) == 1:
        return Fixed(_clean_float(values[0]))
    step = _clean_float((stop - start) / steps)
    return Float(_clean_float(values[0]), _clean_float(values[0] + step * (len(values) - 1)), step=step)


def _from_shorthand(value: Any) -> Distribution:
    if isinstance(value, Distribution):
        return value
    if isinstance(value, list):
        return Choice(value)
    if isinstance(value, tuple):
        if len(value) != 3:
            raise ValueError(
                f"a tuple is a Talos range (start, stop, steps), got {value!r}; use kh.Float(low, high) or kh.Int(low, high)"
            )
        return talos_range(*value)
    if isinstance(value, Mapping) and "type" in value:
        return _from_dict(value)
    if isinstance(value, _PRIMITIVES):
        return Fixed(value)
    if callable(value) or hasattr(value, "get_config"):  # a single Keras object or function: a choice of one
        return Choice([value])
    raise TypeError(f"cannot make a distribution from {value!r}: use a list, a scalar, a (start, stop, steps) tuple or kh.Float/Int/Choice")


def _from_dict(d: Mapping) -> Distribution:
    kind = d.get("type")
    when = d.get("when")
    if kind == "float":
        return Float(d["low"], d["high"], log=d.get("log", False), step=d.get("step"), when=when)
    if kind == "int":
        return Int(d["low"], d["high"], log=d.get("log", False), step=d.get("step", 1), when=when)
    if kind == "choice":
        return Choice(d["values"], when=when, refs=d.get("refs"))
    if kind == "fixed":
        return Fixed(d["value"], when=when)
    raise ValueError(f"unknown distribution type {kind!r}; known: float, int, choice, fixed")


class Space(Mapping):
    """An ordered, validated set of named distributions, possibly conditional.

    Accepts a dict (values as distributions or shorthand), keyword arguments, or
    another ``Space``. Parameters are kept in an order where every condition's
    parent comes before the child.
    """

    def __init__(self, params: Mapping[str, Any] | Space | None = None, /, **kwargs: Any) -> None:
        raw = dict(params.items() if params is not None else {})
        raw.update(kwargs)
        if not raw:
            raise ValueError("the space is empty: give at least one parameter")
        dists: dict[str, Distribution] = {}
        for name, value in raw.items():
            if not isinstance(name, str) or not name:
                raise TypeError(f"parameter names must be non-empty strings, got {name!r}")
            try:
                dist = _from_shorthand(value)
                dist._check()
            except (ValueError, TypeError) as exc:
                raise type(exc)(f"parameter {name!r}: {exc}") from None
            dists[name] = dist
        self._dists = {name: dists[name] for name in _topological_order(dists)}
        self._check_conditions()
        self._slices: dict[str, slice] = {}
        offset = 0
        for name, dist in self._dists.items():
            self._slices[name] = slice(offset, offset + dist.n_dims)
            offset += dist.n_dims
        self.n_dims = offset
        self._conditional = any(d.condition for d in self._dists.values())

    # Mapping protocol -------------------------------------------------
    def __getitem__(self, name: str) -> Distribution:
        return self._dists[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._dists)

    def __len__(self) -> int:
        return len(self._dists)

    def __repr__(self) -> str:
        body = ", ".join(f"{n!r}: {d!r}" for n, d in self._dists.items())
        return f"Space({{{body}}})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Space) and self.to_json() == other.to_json()

    def __hash__(self) -> int:
        return hash(self.to_json())

    @classmethod
    def from_any(cls, space: Any) -> Space:
        """A ``Space`` from a ``Space``, a dict, or a JSON string made by ``to_json``."""
        if isinstance(space, Space):
            return space
        if isinstance(space, str):
            return cls.from_json(space)
        if isinstance(space, Mapping):
            return cls(space)
        raise TypeError(f"space must be a dict or kh.Space, got {type(space).__name__}")

    def _check_conditions(self) -> None:
        for name, dist in self._dists.items():
            for parent, allowed in dist.condition.items():
                if parent not in self._dists:
                    raise ValueError(f"parameter {name!r}: condition on unknown parameter {parent!r}")
                for value in allowed:
                    if not self._dists[parent].contains(value):
                        raise ValueError(
                            f"parameter {name!r}: condition value {value!r} is not a possible value of {parent!r}"
                        )

    # Conditions -------------------------------------------------------
    def is_active(self, name: str, params: Mapping[str, Any]) -> bool:
        """Whether ``name`` takes part given the (parent) values in ``params``."""
        for parent, allowed in self._dists[name].condition.items():
            if parent not in params or not any(_same(params[parent], a) for a in allowed):
                return False
        return True

    @property
    def conditional(self) -> bool:
        return self._conditional

    def resolve(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """``params`` as the model function gets them: names of objects replaced by the objects (see ``Choice``)."""
        out = dict(params)
        for name, value in params.items():
            dist = self._dists.get(name)
            if isinstance(dist, Choice) and dist.refs:
                out[name] = dist.object_of(value)
        return out

    @property
    def has_objects(self) -> bool:
        """Whether some choice holds objects (so params must go through ``resolve``)."""
        return any(isinstance(d, Choice) and d.refs for d in self._dists.values())

    # Sampling and membership -----------------------------------------
    def sample(self, rng: np.random.Generator | int | None = None) -> dict[str, Any]:
        """A uniformly drawn point (per parameter, on its own scale); inactive parameters are left out.

        ``rng`` is a NumPy ``Generator``, or a seed for one (``space.sample(0)``), as ``np.random.default_rng`` takes.
        """
        if not isinstance(rng, np.random.Generator):
            if rng is not None and (not isinstance(rng, (int, np.integer)) or isinstance(rng, bool) or rng < 0):
                raise TypeError(f"rng must be a numpy Generator, a non-negative integer seed or None, got {rng!r}")
            rng = np.random.default_rng(rng)
        params: dict[str, Any] = {}
        for name, dist in self._dists.items():
            if self.is_active(name, params):
                params[name] = dist.sample(rng)
        return params

    def check(self, params: Mapping[str, Any]) -> None:
        """Raise ``ValueError`` naming the first parameter of ``params`` that does not fit the space."""
        if not isinstance(params, Mapping):
            raise TypeError(f"params must be a dict, got {type(params).__name__}")
        unknown = [k for k in params if k not in self._dists]
        if unknown:
            raise ValueError(f"unknown parameter(s) {unknown}; the space has {list(self._dists)}")
        for name, dist in self._dists.items():
            active = self.is_active(name, params)
            if active and name not in params:
                raise ValueError(f"parameter {name!r} is missing")
            if not active and name in params:
                raise ValueError(f"parameter {name!r} is given but inactive (its condition {dist.when!r} does not hold)")
            if active and not dist.contains(params[name]):
                raise ValueError(f"parameter {name!r}: {params[name]!r} is outside {dist!r}")

    def contains(self, params: Mapping[str, Any]) -> bool:
        """Whether ``params`` is a complete, valid point of the space."""
        try:
            self.check(params)
        except (ValueError, TypeError):
            return False
        return True

    # Finite spaces ------------------------------------------------------
    @property
    def finite(self) -> bool:
        return all(d.finite for d in self._dists.values())

    def grid(self) -> Iterator[dict[str, Any]]:
        """Every point of a finite space once, in a stable order (last parameter varies fastest)."""
        if not self.finite:
            names = [n for n, d in self._dists.items() if not d.finite]
            raise ValueError(f"grid needs a finite space; give a step or a list of values for {names}")
        yield from self._grid_from(0, {})

    def _grid_from(self, index: int, params: dict) -> Iterator[dict]:
        names = list(self._dists)
        if index == len(names):
            yield dict(params)
            return
        name = names[index]
        if not self.is_active(name, params):
            yield from self._grid_from(index + 1, params)
            return
        for value in self._dists[name].values():
            params[name] = value
            yield from self._grid_from(index + 1, params)
            del params[name]

    @property
    def cardinality(self) -> float:
        """The number of distinct points (``math.inf`` when a parameter is continuous)."""
        if not self.finite:
            return math.inf
        parents = {p for d in self._dists.values() for p in d.condition}
        return self._count_from(0, {}, parents)

    def _count_from(self, index: int, params: dict, parents: set) -> int:
        names = list(self._dists)
        total_factor = 1
        while index < len(names) and names[index] not in parents:
            name = names[index]
            if self.is_active(name, params):
                total_factor *= len(self._dists[name].values())
            index += 1
        if index == len(names):
            return total_factor
        name = names[index]
        if not self.is_active(name, params):
            return total_factor * self._count_from(index + 1, params, parents)
        count = 0
        for value in self._dists[name].values():
            params[name] = value
            count += self._count_from(index + 1, params, parents)
            del params[name]
        return total_factor * count

    # Encoding -----------------------------------------------------------
    def slice_of(self, name: str) -> slice:
        """Where ``name`` lives in the encoded vector (an empty slice for ``Fixed``)."""
        return self._slices[name]

    @property
    def choice_blocks(self) -> list[slice]:
        """The one-hot blocks of the encoding, one per ``Choice``."""
        return [self._slices[n] for n, d in self._dists.items() if isinstance(d, Choice)]

    def encode(self, params: Mapping[str, Any]) -> np.ndarray:
        """``params`` as a vector in the unit cube: one-hot choices, log scales, inactive parameters at the centre."""
        vector = np.empty(self.n_dims)
        for name, dist in self._dists.items():
            where = self._slices[name]
            if name in params:
                vector[where] = dist.encode(params[name])
            elif isinstance(dist, Choice):
                vector[where] = 1.0 / dist.n_dims
            else:
                vector[where] = 0.5
        return vector

    def decode(self, vector: np.ndarray) -> dict[str, Any]:
        """The valid point nearest to ``vector`` (clipped, rounded, argmax of one-hot blocks)."""
        vector = np.asarray(vector, dtype=float)
        if vector.shape != (self.n_dims,):
            raise ValueError(f"expected a vector of length {self.n_dims}, got shape {vector.shape}")
        params: dict[str, Any] = {}
        for name, dist in self._dists.items():
            if self.is_active(name, params):
                params[name] = dist.decode(vector[self._slices[name]])
        return params

    def key(self, params: Mapping[str, Any]) -> str:
        """A stable string for a point, equal for equal points; used to de-duplicate."""
        canonical = {}
        for name in sorted(params):
            value = params[name]
            if _is_number(value) and not isinstance(value, (int, np.integer)):
                value = float(f"{float(value):.10g}")
            elif isinstance(value, np.integer):
                value = int(value)
            canonical[name] = value
        return json.dumps(canonical, sort_keys=True)

    # Serialisation ------------------------------------------------------
    def to_dict(self) -> dict:
        out = {}
        for name, dist in self._dists.items():
            d = dist._to_dict()
            if dist.when:
                d["when"] = {p: list(v) for p, v in dist.condition.items()}
            out[name] = d
        return out

    def to_json(self) -> str:
        return json.dumps(self.to_dict())

    @classmethod
    def from_json(cls, text: str | Mapping) -> Space:
        data = json.loads(text) if isinstance(text, str) else text
        return cls({name: _from_dict(d) for name, d in data.items()})


def _topological_order(dists: Mapping[str, Distribution]) -> list[str]:
    """Parents before children, otherwise insertion order; a cycle of conditions is an error."""
    order: list[str] = []
    state: dict[str, str] = {}

    def visit(name: str, path: list[str]) -> None:
        if state.get(name) == "done":
            return
        if state.get(name) == "visiting":
            cycle = path[path.index(name):] + [name]
            raise ValueError(f"parameter {name!r}: cycle of conditions {' -> '.join(cycle)}")
        state[name] = "visiting"
        for parent in dists[name].condition:
            if parent in dists:
                visit(parent, path + [name])
        state[name] = "done"
        order.append(name)

    for name in dists:
        visit(name, [])
    return order
