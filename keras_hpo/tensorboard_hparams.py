"""Trials as TensorBoard HParams sessions, written by the driver from the finished trial records.

``tune(..., tensorboard="logs/run1")`` and ``keras-hpo tensorboard study.db --logdir logs/run1``
write, with TensorBoard's own hparams API (``tensorboard.plugins.hparams.summary_v2``):

- in ``logdir``: the experiment (one ``HParam`` per parameter with its domain, one
  ``Metric`` per final metric, ``value`` being the objective);
- in ``logdir/trial-00007``: that trial's session: its params, its state (as an
  hparam ``state`` to filter on, and as the session status: FAILED is a failure),
  and its final metrics as scalars (the objective as ``value``);
- in ``logdir/trial-00007/epochs``: the per-epoch history of a Keras trial (every
  metric Keras logged, step = epoch), for the Scalars dashboard.

Everything comes from ``Trial`` records (``metrics``, ``metrics["history"]``,
``curve``), never from the workers, so any executor, a resumed run and a stored
study give the same files. A trial is written whole, in one event file of its own
(its earlier file is replaced), so writing again is idempotent.
TensorFlow is not imported: the protobufs go through TensorBoard's own event writer.

>>> import tempfile, keras_hpo as kh
>>> result = kh.tune(lambda p: (p["x"] - 1) ** 2, {"x": kh.Float(0, 2)}, max_trials=3, seed=0, progress=False)
>>> logdir = tempfile.mkdtemp()
>>> write_tensorboard(result, logdir)
3
>>> sorted(os.listdir(logdir))[:2]
['events.out.tfevents.keras_hpo-experiment', 'trial-00000']
"""

from __future__ import annotations

import math
import numbers
import os
import time
from collections.abc import Iterable, Mapping
from typing import Any

from .space import Choice, Fixed, Float, Int, Space
from .trial import Trial, TrialState

__all__ = ["TensorBoardWriter", "write_tensorboard", "check_tensorboard"]

#: our event files have fixed names, so that writing a trial again replaces what we wrote before
_SESSION_FILE = "events.out.tfevents.keras_hpo"
_EXPERIMENT_FILE = "events.out.tfevents.keras_hpo-experiment"
#: adapter bookkeeping that is not a measurement of the model
_NOT_METRICS = ("history", "worker")


def check_tensorboard(logdir: Any) -> str:
    """``logdir`` as a path, after checking it and that TensorBoard is installed (before any training)."""
    if not isinstance(logdir, (str, os.PathLike)) or not os.fspath(logdir):
        raise TypeError(f"tensorboard must be a folder path (str or os.PathLike), got {logdir!r}")
    try:
        import tensorboard.plugins.hparams.summary_v2  # noqa: F401
    except ImportError as exc:
        raise ModuleNotFoundError(
            "tensorboard=: TensorBoard is not installed; pip install 'keras_hpo[tensorboard]' (or tensorboard)") from exc
    logdir = os.fspath(logdir)
    if os.path.exists(logdir) and not os.path.isdir(logdir):
        raise ValueError(f"tensorboard: {logdir!r} exists and is not a folder")
    return logdir


def run_name(trial: Trial) -> str:
    """The session's folder (its run in TensorBoard), sortable by trial number."""
    return f"trial-{trial.number:05d}"


class TensorBoardWriter:
    """Writes finished trials into ``logdir``; call it as a ``tune`` callback ``(result, trial)``.

    The experiment summary is rewritten whenever a new metric name shows up, so the
    HParams table always has a column for every metric measured so far.
    """

    def __init__(self, logdir: str | os.PathLike, space: Space, *, metric: str | None = None,
                 direction: str = "min") -> None:
        self.logdir = check_tensorboard(logdir)
        self.space, self.metric, self.direction = space, metric, direction
        self._written: set[int] = set()
        self._metrics: list[str] = []
        self._state = "state" if "state" not in space else "trial_state"  # the trial's state, shown as a column

    def __call__(self, result: Any, trial: Trial) -> None:
        """The callback: write ``trial``, and on the first call every earlier finished trial (a resumed run)."""
        self.write(result.records if not self._written else [trial])

    def write(self, trials: Iterable[Trial]) -> int:
        """Write every finished trial of ``trials`` (again, if it was written before); return how many."""
        count = 0
        for trial in trials:
            if not trial.state.is_finished():
                continue
            folder = os.path.join(self.logdir, run_name(trial))
            _write_events(os.path.join(folder, _SESSION_FILE), self._session_events(trial))
            history = _history(trial, self.metric)
            _write_events(os.path.join(folder, "epochs", _SESSION_FILE), [
                _event(_scalar(name, value), step=epoch, wall_time=trial.finished)
                for name, values in history.items() for epoch, value in enumerate(values, start=1) if _is_number(value)
            ] if history else None)
            self._written.add(trial.number)
            count += 1
            new = [name for name in _final_metrics(trial) if name not in self._metrics]
            if new:
                self._metrics += new
                self.write_experiment()
        return count

    def write_missing(self, trials: Iterable[Trial]) -> int:
        """Write the finished trials not written yet (a resumed run that had nothing left to do)."""
        return self.write([t for t in trials if t.number not in self._written])

    def write_experiment(self) -> None:
        """The experiment summary: hyperparameters with their domains, and the metrics seen so far."""
        from tensorboard.plugins.hparams import summary_v2 as hp

        hparams = [hp.HParam(name, _domain(dist)) for name, dist in self.space.items()]
        hparams.append(hp.HParam(self._state, hp.Discrete([s.value for s in TrialState if s.is_finished()]),
                                 description="how the trial ended: COMPLETE, PRUNED (stopped early) or FAILED"))
        described = f"{self.metric or 'objective'} ({self.direction}imised)"
        metrics = [hp.Metric(name, description=described if name == "value" else None) for name in self._metrics]
        _write_events(os.path.join(self.logdir, _EXPERIMENT_FILE), [_event(hp.hparams_config_pb(hparams, metrics))])

    def _session_events(self, trial: Trial) -> list:
        from tensorboard.plugins.hparams import api_pb2, metadata, plugin_data_pb2, summary_v2

        started = trial.started or trial.finished or time.time()
        finished = trial.finished or started
        params = {name: _hparam_value(self.space.get(name), value) for name, value in trial.params.items()}
        params[self._state] = trial.state.value
        events = [_event(summary_v2.hparams_pb(params, trial_id=run_name(trial), start_time_secs=started),
                         wall_time=started)]
        for name, value in _final_metrics(trial).items():
            events.append(_event(_scalar(name, value), step=0, wall_time=finished))
        # TensorBoard has no "stopped early" status: a PRUNED trial ended normally (the state hparam says PRUNED)
        status = {TrialState.COMPLETE: api_pb2.Status.STATUS_SUCCESS, TrialState.PRUNED: api_pb2.Status.STATUS_SUCCESS,
                  TrialState.FAILED: api_pb2.Status.STATUS_FAILURE}.get(trial.state, api_pb2.Status.STATUS_RUNNING)
        end = plugin_data_pb2.HParamsPluginData(
            session_end_info=plugin_data_pb2.SessionEndInfo(status=status, end_time_secs=finished))
        events.append(_event(_hparams_summary(metadata.SESSION_END_INFO_TAG, end), wall_time=finished))
        return events


def write_tensorboard(result: Any, logdir: str | os.PathLike) -> int:
    """Write a ``TuneResult`` (from ``tune`` or ``kh.load``) into ``logdir``; return the number of sessions."""
    writer = TensorBoardWriter(logdir, result.space, metric=result.metric, direction=result.direction)
    count = writer.write(sorted(result.records, key=lambda t: t.number))
    if not writer._metrics:
        writer.write_experiment()
    return count


# Helpers ------------------------------------------------------------------
def _is_number(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)


def _final_metrics(trial: Trial) -> dict[str, float]:
    """The objective as ``value``, then the trial's numeric final metrics (a FAILED trial has none)."""
    out = {}
    if trial.state is not TrialState.FAILED and _is_number(trial.value):
        out["value"] = float(trial.value)
    for name, value in trial.metrics.items():
        if name not in _NOT_METRICS and name != "value" and _is_number(value):
            out[name] = float(value)
    if trial.budget is not None and "budget" not in out:
        out["budget"] = float(trial.budget)
    return out


def _history(trial: Trial, metric: str | None) -> dict[str, list]:
    """Per-epoch values: Keras's whole history when the adapter kept it, else the objective's curve."""
    history = trial.metrics.get("history")
    if isinstance(history, Mapping) and history:
        return {str(k): list(v) for k, v in history.items() if isinstance(v, list)}
    return {metric or "value": list(trial.curve)} if trial.curve else {}


def _hparam_value(dist: Any, value: Any) -> Any:
    """A value TensorBoard accepts (bool, number, str); numbers of a mixed choice as floats, the rest as text."""
    if isinstance(value, bool):
        return value
    if isinstance(value, numbers.Real):
        return float(value) if isinstance(dist, Choice) and _discrete_type(dist) is float else value
    return value if isinstance(value, str) else str(value)


def _discrete_type(dist: Choice | Fixed) -> type | None:
    values = dist.values()
    if all(isinstance(v, bool) for v in values):
        return bool
    if all(isinstance(v, str) for v in values):
        return str
    if all(isinstance(v, numbers.Real) and not isinstance(v, bool) for v in values):
        return int if all(isinstance(v, numbers.Integral) for v in values) else float
    return None


def _domain(dist: Any) -> Any:
    from tensorboard.plugins.hparams import summary_v2 as hp

    if isinstance(dist, Float):
        return hp.RealInterval(float(dist.low), float(dist.high))
    if isinstance(dist, Int):
        return hp.IntInterval(int(dist.low), int(dist.high))
    if isinstance(dist, (Choice, Fixed)):
        kind = _discrete_type(dist)
        if kind is None:
            return hp.Discrete([str(v) for v in dist.values()])
        return hp.Discrete([kind(v) for v in dist.values()], dtype=kind)
    return None


def _scalar(tag: str, value: float) -> Any:
    from tensorboard.plugins.scalar.summary_v2 import scalar_pb

    return scalar_pb(tag, float(value))


def _hparams_summary(tag: str, data: Any) -> Any:
    from tensorboard.compat.proto import summary_pb2
    from tensorboard.plugins.hparams import metadata

    summary = summary_pb2.Summary()
    summary.value.add(tag=tag, metadata=metadata.create_summary_metadata(data), tensor=metadata.NULL_TENSOR)
    return summary


def _event(summary: Any, step: int = 0, wall_time: float | None = None) -> Any:
    from tensorboard.compat.proto import event_pb2

    if summary is None:
        return event_pb2.Event(wall_time=wall_time or time.time(), file_version="brain.Event:2")
    return event_pb2.Event(wall_time=wall_time or time.time(), step=step, summary=summary)


def _write_events(path: str, events: list | None) -> None:
    """One event file, written whole and moved into place (``None``: remove it).

    TensorBoard's own ``RecordWriter`` frames the records; its ``EventFileWriter``
    is not used because it imports TensorFlow for ``gfile`` when TensorFlow is installed.
    """
    from tensorboard.summary.writer.record_writer import RecordWriter

    if events is None:
        if os.path.exists(path):
            os.remove(path)
        return
    folder = os.path.dirname(path)
    os.makedirs(folder, exist_ok=True)
    tmp = os.path.join(folder, f".keras_hpo-{os.getpid()}.tmp")  # no "tfevents" in it: TensorBoard ignores it
    with open(tmp, "wb") as handle:
        writer = RecordWriter(handle)
        for event in [_event(None), *events]:
            writer.write(event.SerializeToString())
    os.replace(tmp, path)
