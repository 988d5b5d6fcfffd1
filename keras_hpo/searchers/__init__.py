"""Search methods behind one ask/tell protocol, found by name in a registry.

>>> import keras_hpo as kh
>>> kh.searchers.available()[:3]
['grid', 'random', 'manual']
>>> searcher = kh.searchers.get("grid", shuffle=True)

Each method is one module; modules load only when their name is asked for, so
``import keras_hpo`` stays fast and optional libraries stay optional.
"""

from __future__ import annotations

import importlib
import importlib.util
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


def available() -> list[str]:
    """The registry names whose module ships with this installation."""
    names = []
    for name, (module_name, _) in REGISTRY.items():
        if importlib.util.find_spec(f"{__name__}.{module_name}") is not None:
            names.append(name)
    return names


def get(name: str, **options: Any) -> Searcher:
    """A new searcher by registry name, with its keyword options."""
    if not isinstance(name, str) or name not in REGISTRY:
        raise ValueError(f"unknown method {name!r}; known methods: {', '.join(available())}")
    cls = _load(name)
    return cls(**options)


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
