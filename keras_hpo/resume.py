"""Resuming a study: what must match the stored one, and how the searcher is brought back.

A study is one experiment: its metric, direction, space, method, the method's
options and the seed are fixed when it is created. Resuming with any of them
changed would silently mix two experiments in one table, so ``check_resume``
lists every difference in one ``ResumeMismatch``. What only says how long to go
on (``max_trials``, ``timeout``, ``target``, ``n_jobs``, ...) may change; so may
``seed=None`` (it means "the stored seed").

Options the caller did not give take the stored study's values
(``with_stored_options``): a newer keras_hpo whose defaults changed, or which
added an option (declared in the searcher's ``options_added`` with the value that
behaves as before), goes on with the experiment as it was started, instead of
refusing to resume or changing the method halfway. Options the caller gives
must still match.

``replay`` rebuilds the searcher: the store keeps the searcher's state with the
number of trials it had been told when the state was saved. The searcher is told
those trials again, given the saved state, then told the trials finished after it,
which is exactly the sequence it lived through.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from .errors import ResumeMismatch
from .space import Space
from .trial import Trial

__all__ = ["check_resume", "replay", "with_stored_options"]


_SCALARS = (bool, int, float, str, type(None))


def stored_options(info: dict, options_added: dict | None = None) -> dict | None:
    """The stored study's method options, with the value of every option added since (``options_added``)."""
    if info.get("method_options") is None:
        return None
    return {**(options_added or {}), **info["method_options"]}


def with_stored_options(searcher: Any, info: dict, method: str) -> Any:
    """``searcher`` rebuilt so that every option the caller did not give has the stored study's value.

    Only plain values (numbers, strings, flags) are taken over; a nested searcher or a callable that differs is
    left to ``check_resume`` to report.
    """
    stored = stored_options(info, searcher.options_added)
    if stored is None or info["method"] != method:
        return searcher
    written = searcher.given_options()
    adopt = {name: stored[name] for name, value in searcher.options().items()
             if name not in written and name in stored and stored[name] != value
             and isinstance(stored[name], _SCALARS) and isinstance(value, _SCALARS)}
    return searcher.with_options(**adopt) if adopt else searcher


def check_resume(info: dict, *, space: Space, method: str, method_options: dict, direction: str, metric: str | None,
                 seed: int | None, storage: str | None, options_added: dict | None = None) -> None:
    """``ResumeMismatch`` listing every way the given options differ from the stored study ``info``."""
    differences = []
    if info["metric"] != metric:
        differences.append(f"metric: the study optimises {info['metric']!r}, this call gives {metric!r}")
    if info["direction"] != direction:
        differences.append(f"direction: the study was run with direction={info['direction']!r}, not {direction!r}")
    stored_space = Space.from_json(info["space"])
    if stored_space != space:
        names = sorted(n for n in set(stored_space) | set(space)
                       if n not in stored_space or n not in space or stored_space[n] != space[n])
        differences.append(f"space: the study was run with another space (parameters that differ: {', '.join(names)})")
    if info["method"] != method:
        differences.append(f"method: the study was run with method={info['method']!r}, not {method!r}")
    elif (stored := stored_options(info, options_added)) is not None:
        given = json.loads(json.dumps(method_options))
        changed = sorted(k for k in set(stored) | set(given) if stored.get(k) != given.get(k))
        if changed:
            shown = "; ".join(f"{k}={stored.get(k)!r} stored, {given.get(k)!r} given" for k in changed)
            differences.append(f"method options: {shown}")
    if seed is not None and int(seed) != info["seed"]:
        differences.append(f"seed: the study was run with seed={info['seed']}, not {seed} (pass seed=None to keep it)")
    if differences:
        where = f" in {storage}" if storage else ""
        raise ResumeMismatch(
            f"study {info['name']!r}{where} cannot be resumed with these options; they differ from the stored study:\n"
            + "\n".join(f"  - {d}" for d in differences)
            + "\nmax_trials, timeout, target and n_jobs may change on resume; for another experiment use another study="
        )


def replay(searcher: Any, told: Sequence[Trial], state: dict | None, told_at: int | None) -> None:
    """Tell ``searcher`` the ``told`` trials again around its saved ``state`` (saved after ``told_at`` of them)."""
    if state is None:
        for trial in told:
            searcher.tell(trial)
        return
    cut = len(told) if told_at is None else min(int(told_at), len(told))
    for trial in told[:cut]:
        searcher.tell(trial)
    searcher.load_state_dict(state)
    for trial in told[cut:]:
        searcher.tell(trial)
