"""A timeline of the trials per worker: when each ran, where, and how it ended.

Lanes are workers as recorded by ``run_trial`` (``trial.metrics["worker"]``, the
worker's ``host:pid``), so a worker process that was recycled or a second machine
shows as its own lane, and idle gaps are real. Studies recorded before workers
were named get lanes from the overlap of start and finish times instead (each
trial in the first lane free at its start), which is what a pool of that size
would have done but cannot tell recycled processes apart.
"""

from __future__ import annotations

from typing import Any

from ._common import axes_for, say, state_colour


def lanes(trials: list[Any]) -> tuple[list[int], list[str]]:
    """Each trial's lane and the lanes' names: by recorded worker, else packed by time overlap."""
    workers = [t.metrics.get("worker") for t in trials]
    if all(isinstance(w, str) for w in workers):
        names = list(dict.fromkeys(workers))
        return [names.index(w) for w in workers], names
    free_at: list[float] = []
    out = []
    for trial in trials:
        lane = next((i for i, end in enumerate(free_at) if end <= trial.started + 1e-9), len(free_at))
        if lane == len(free_at):
            free_at.append(0.0)
        free_at[lane] = trial.finished
        out.append(lane)
    return out, [f"lane {i}" for i in range(len(free_at))]


def plot_timeline(result: Any, ax: Any = None) -> Any:
    """One horizontal bar per finished trial, from its start to its finish, one row per worker; colour = state."""
    ax = axes_for(ax, figsize=(8, 3.5))
    timed = sorted((t for t in result.records if t.started is not None and t.finished is not None),
                   key=lambda t: (t.started, t.number))
    if not timed:
        return say(ax, "no finished trial has start and finish times")
    lane_of, names = lanes(timed)
    origin = min(t.started for t in timed)
    seen = set()
    for trial, lane in zip(timed, lane_of):
        label = trial.state.value if trial.state not in seen else None
        seen.add(trial.state)
        ax.barh(lane, trial.finished - trial.started, left=trial.started - origin, height=0.7,
                color=state_colour(trial.state), edgecolor="white", label=label, gid=f"trial-{trial.number}")
    ax.set_yticks(range(len(names)), names)
    ax.invert_yaxis()
    ax.set_xlabel("seconds since the first trial started")
    ax.set_title(f"{len(timed)} trials on {len(names)} worker{'s' if len(names) != 1 else ''}")
    ax.legend(loc="best")
    return ax
