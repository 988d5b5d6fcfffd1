"""Search methods behind one ask/tell protocol, found by name in a registry.

>>> import keras_hpo as kh
>>> kh.searchers.available()[:3]
['grid', 'random', 'manual']
>>> searcher = kh.searchers.get("grid", shuffle=True)

Each method is one module; modules load only when their name is asked for, so
``import keras_hpo`` stays fast and optional libraries stay optional.
"""

from __future__ import annotations

import difflib
import importlib
import importlib.util
import inspect
from typing import Any

from .base import Searcher

__all__ = ["Searcher", "get", "available", "resolve", "REGISTRY"]

#: registry name -> (module, class); a new method is one line here
REGISTRY: dict[str, tuple[str, str]] = {
    "grid": ("grid", "GridSearch"),
    "random": ("random", "RandomSearch"),
    "manual": ("manual", "ManualSearch"),
    "tpe": ("hyperopt_tpe", "TPE"),
    "anneal": ("hyperopt_tpe", "HyperoptAnneal"),
    "hyperopt_random": ("hyperopt_tpe", "HyperoptRandom"),
    "talos": ("talos_scan", "TalosScan"),
    "bayes": ("bayes", "BayesSearch"),
    "genetic": ("genetic", "GeneticSearch"),
    "ant_colony": ("ant_colony", "AntColonySearch"),
    "annealing": ("annealing", "SimulatedAnnealing"),
    "tabu": ("tabu", "TabuSearch"),
    "pso": ("swarm", "ParticleSwarm"),
    "cmaes": ("cma_es", "CMAESSearch"),
    "successive_halving": ("bandit", "SuccessiveHalving"),
    "hyperband": ("bandit", "Hyperband"),
    "asha": ("bandit", "ASHA"),
    "auto": ("auto", "AutoSearch"),
}


def _load(name: str) -> type[Searcher]:
    module_name, class_name = REGISTRY[name]
    try:
        module = importlib.import_module(f"{__name__}.{module_name}")
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.endswith(module_name):
            raise ValueError(f"method {name!r} is not available in this version of keras_hpo") from None
        raise ImportError(f"method {name!r} needs the package {exc.name!r}: pip install {exc.name}") from exc
    cls = getattr(module, class_name)
    if "name" not in cls.__dict__:
        cls.name = name
    return cls


#: the optional package each method needs (the others need numpy and scipy only)
NEEDS: dict[str, str] = {"tpe": "hyperopt", "anneal": "hyperopt", "hyperopt_random": "hyperopt", "talos": "talos",
                         "cmaes": "cmaes"}


def missing_package(name: str) -> str | None:
    """The optional package that method ``name`` needs and that is not installed, else None."""
    package = NEEDS.get(name)
    return package if package and importlib.util.find_spec(package) is None else None


def available() -> list[str]:
    """The registry names whose module ships with this installation."""
    names = []
    for name, (module_name, _) in REGISTRY.items():
        if importlib.util.find_spec(f"{__name__}.{module_name}") is not None:
            names.append(name)
    return names


def get(name: str, **options: Any) -> Searcher:
    """A new searcher by registry name, with its keyword options.

    A misspelt name or option is refused with the closest known one, before any trial:

    >>> get("bayes", n_intial=8)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    TypeError: bayes: unknown option 'n_intial'; did you mean 'n_initial'? (bayes takes ...)
    """
    if not isinstance(name, str) or name not in REGISTRY:
        close = difflib.get_close_matches(name, REGISTRY, n=1) if isinstance(name, str) else []
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise ValueError(f"unknown method {name!r}; {hint}known methods: {', '.join(available())}")
    cls = _load(name)
    _check_options(name, cls, options)
    return cls(**options)


def _check_options(name: str, cls: type, options: dict[str, Any]) -> None:
    """Unknown keyword options name the method and the closest option (a class taking ``**kwargs`` is left alone)."""
    try:
        parameters = inspect.signature(cls.__init__).parameters
    except (TypeError, ValueError):
        return
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()):
        return
    known = [k for k, p in parameters.items() if k != "self" and p.kind is not inspect.Parameter.VAR_POSITIONAL]
    for option in options:
        if option not in known:
            close = difflib.get_close_matches(option, known, n=1, cutoff=0.8)  # a typo, not another option
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise TypeError(f"{name}: unknown option {option!r}{hint} ({name} takes {', '.join(known) or 'none'})")


def resolve(method: str | Searcher) -> Searcher:
    """``method`` as a searcher instance: a registry name or an instance is accepted."""
    if isinstance(method, Searcher):
        return method
    if isinstance(method, type) and issubclass(method, Searcher):
        return method()
    if isinstance(method, str):
        return get(method)
    raise TypeError(f"method must be a registry name or a Searcher, got {type(method).__name__}")


def __getattr__(attr: str) -> Any:
    # kh.searchers.Manual, kh.searchers.GridSearch, ...: classes load on first use
    aliases = {"Manual": "manual", "Grid": "grid", "Random": "random"}
    for name, (_, class_name) in REGISTRY.items():
        if attr == class_name:
            return _load(name)
    if attr in aliases:
        return _load(aliases[attr])
    raise AttributeError(f"module {__name__!r} has no attribute {attr!r}")
