"""Where trials run: an executor takes ``run_trial`` calls and hands back futures.

The loop only calls ``submit`` and ``wait``; a trial's exceptions are caught in
``run_trial`` on the worker, so a future always resolves to a plain dict and
nothing but data crosses a process boundary.

- ``SerialExecutor``: in this process, one at a time (default; works in notebooks).
- ``ProcessExecutor``: ``n_jobs`` local worker processes (``keras_hpo._worker``),
  each limited to its share of the CPU threads; they die with the driver, and stay
  warm between runs in one process (``keras_hpo._pool``).
- ``DaskExecutor``: the workers of an existing Dask cluster (``distributed.Client``),
  on this machine or many; ``tune(executor=client)`` or ``executor="tcp://host:8786"``.

All three stream per-epoch ``report``s back to the driver (the process pool over
its socket, Dask through a ``distributed.Queue``), and enforce the limits set by
``set_limits(trial_timeout=, deadline=)``: a trial past ``trial_timeout`` resolves
to a FAILED record (its worker is killed and replaced; in serial mode the trial
is interrupted, see ``keras_hpo.interrupt``); at the run's ``deadline`` running
trials resolve to a record marked ``cancelled`` (the loop keeps them resumable).
Objectives travel as cloudpickle bytes, so lambdas, closures and functions
defined in a notebook or in ``__main__`` work everywhere.
"""

from __future__ import annotations

import concurrent.futures as cf
import itertools
import logging
import multiprocessing
import multiprocessing.connection
import os
import signal
import socket
import time
import traceback
import uuid
from collections.abc import Callable, Iterable
from typing import Any

from ._pool import Worker as _Worker
from .errors import WorkerError
from .interrupt import TrialInterrupted, time_limit
from .objective import Outcome, is_finite_number
from .trial import Decision, TrialState
from .values import storable

__all__ = ["run_trial", "SerialExecutor", "ProcessExecutor", "DaskExecutor", "make_executor", "resolve_n_jobs"]

log = logging.getLogger("keras_hpo")


def run_trial(objective: Callable, params: dict, *, seed: int | None, budget: float | None = None,
              resume_from: Any = None, report: Callable | None = None) -> dict[str, Any]:
    """Run one evaluation and describe it as a dict: never raises for the trial's own errors."""
    started = time.time()
    record: dict[str, Any] = {"started": started}
    try:
        outcome = objective(params, seed=seed, budget=budget, resume_from=resume_from, report=report)
        if not isinstance(outcome, Outcome):
            raise TypeError(f"the objective must return an Outcome, got {type(outcome).__name__}")
        record.update(metrics=outcome.metrics, curve=list(outcome.curve), folds=list(outcome.folds),
                      artifact=outcome.artifact, value=outcome.value)
        if outcome.files:
            record["files"] = dict(outcome.files)
        if not is_finite_number(outcome.value):
            record.update(state=TrialState.FAILED.value, error=f"the objective value is {outcome.value!r}, not a finite number")
        else:
            record.update(state=(TrialState.PRUNED if outcome.pruned else TrialState.COMPLETE).value, value=float(outcome.value))
    except Exception as exc:  # the trial failed; the run goes on
        record.update(state=TrialState.FAILED.value, value=None,
                      error="".join(traceback.format_exception(type(exc), exc, exc.__traceback__)))
    record["finished"] = time.time()
    record["metrics"] = {"worker": f"{socket.gethostname()}:{os.getpid()}", **(record.get("metrics") or {})}  # timeline
    return storable(record, params)  # plain JSON data: crosses process boundaries and fits the store, or FAILED


def _stopped(reason: str, *, cancelled: bool) -> dict[str, Any]:
    """The record of a trial stopped from outside: past ``trial_timeout`` (FAILED) or at the run's deadline."""
    now = time.time()
    if cancelled:
        return {"state": TrialState.RUNNING.value, "value": None, "started": now, "finished": None,
                "cancelled": True, "error": reason}
    return {"state": TrialState.FAILED.value, "value": None, "started": now, "finished": now,
            "timed_out": True, "error": reason}


def _timeout_reason(seconds: float, where: str) -> str:
    return f"trial_timeout: the trial ran longer than trial_timeout={seconds:g} s and was stopped ({where})"


_DEADLINE_REASON = "timeout: the run's timeout ended this trial before it finished; resume=True runs it again"


class _Limits:
    """``trial_timeout`` (seconds per trial) and ``deadline`` (``time.monotonic()`` at which the run ends)."""

    trial_timeout: float | None = None
    deadline: float | None = None

    def set_limits(self, trial_timeout: float | None = None, deadline: float | None = None) -> None:
        self.trial_timeout, self.deadline = trial_timeout, deadline

    def _expired(self, started: float, now: float) -> str | None:
        """'timeout' or 'deadline' when a trial started at ``started`` must stop now, else None."""
        if self.deadline is not None and now >= self.deadline:
            return "deadline"
        if self.trial_timeout is not None and now - started >= self.trial_timeout:
            return "timeout"
        return None

    def _next_expiry(self, starts: Iterable[float]) -> float | None:
        times = [s + self.trial_timeout for s in starts] if self.trial_timeout is not None else []
        if self.deadline is not None:
            times.append(self.deadline)
        return min(times, default=None)


class SerialExecutor(_Limits):
    """Runs each trial in this process when it is submitted; limits interrupt it (``keras_hpo.interrupt``)."""

    n_workers = 1
    streams_reports = True

    def submit(self, fn: Callable, /, *args: Any, **kwargs: Any) -> cf.Future:
        future: cf.Future = cf.Future()
        now = time.monotonic()
        limits = [(self.trial_timeout, "timeout")] if self.trial_timeout is not None else []
        if self.deadline is not None:
            limits.append((self.deadline - now, "deadline"))
        seconds, which = min(limits, default=(None, None), key=lambda item: item[0])
        try:
            with time_limit(seconds, which or ""):
                result = fn(*args, **kwargs)
        except TrialInterrupted as stop:
            result = (_stopped(_DEADLINE_REASON, cancelled=True) if stop.reason == "deadline" else
                      _stopped(_timeout_reason(self.trial_timeout, "interrupted in this process"), cancelled=False))
        future.set_result(result)
        return future

    def wait(self, futures: Iterable[cf.Future], timeout: float | None = None) -> set[cf.Future]:
        return {f for f in futures if f.done()}

    def close(self) -> None:
        pass


#: numbers the runs of ProcessExecutors in this process (see ``_receive``)
_RUNS = itertools.count()

#: objectives installed in this worker process at its start, by key
_SHARED: dict[str, Any] = {}


class Shared:
    """A small, picklable stand-in for an objective that every worker received once, at its start."""

    def __init__(self, key: str) -> None:
        self.key = key

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return _SHARED[self.key](*args, **kwargs)


def _dumps(obj: Any, what: str) -> bytes:
    from ._worker import dumps

    try:
        return dumps(obj)
    except Exception as exc:
        raise TypeError(f"{what} cannot be sent to worker processes ({type(exc).__name__}: {exc}); "
                        "it holds something that does not pickle (an open file, a lock, a generator); "
                        "create that inside the function, or use n_jobs=1") from exc


def _death(code: int | None) -> str:
    if code is None:
        return "it stopped answering"
    if code < 0:
        name = signal.Signals(-code).name if -code in signal.Signals._value2member_map_ else str(-code)
        hint = {"SIGKILL": ", e.g. by the out-of-memory killer", "SIGSEGV": ", a crash in native code",
                "SIGABRT": ", an abort in native code"}.get(name, "")
        return f"killed by {name}{hint}"
    return f"exit code {code}"


class _Task:
    def __init__(self, number: int, future: cf.Future, payload: bytes, report: Callable | None) -> None:
        self.id, self.future, self.payload, self.report = number, future, payload, report
        self.started = 0.0


class ProcessExecutor(_Limits):
    """``n_jobs`` worker processes on this machine; a worker is replaced after ``max_tasks_per_child`` trials.

    Workers are fresh interpreters (``python -m keras_hpo._worker``) taken from the
    warm pool (``keras_hpo._pool``) when the executor is made: idle workers of an
    earlier run in this process, or new ones that start importing ``preload`` at
    once. They receive the shared objective once, as cloudpickle bytes, at the
    first ``submit``, and die with the driver. A worker that cannot load the
    objective makes ``wait`` raise ``WorkerError`` with the worker's traceback.
    ``close`` hands idle workers back to the pool; ``abort`` (a run ended by an
    error or Ctrl-C) kills every worker that worked for this run.
    """

    streams_reports = True

    def __init__(self, n_jobs: int, max_tasks_per_child: int | None = 50, preload: Iterable[str] = ()) -> None:
        from ._pool import POOL

        self.n_workers = resolve_n_jobs(n_jobs)
        self._max_tasks = max_tasks_per_child
        self._shared: dict[str, bytes] = {}
        self._queue: list[_Task] = []
        self._ids = itertools.count()
        self._threads = max(1, (os.cpu_count() or 1) // self.n_workers)
        self._preload = tuple(preload)
        self._pool = POOL
        self._workers: list[_Worker] = POOL.take(self.n_workers, self._threads, self._preload)
        self._fresh = {w.pid for w in self._workers if not w.served}  # started for this run
        self._run = next(_RUNS)  # a warm worker may still answer an earlier run's setup: those answers are ignored
        self._closed = False

    @property
    def worker_pids(self) -> list[int]:
        """The process ids of this executor's workers (for tests and diagnostics)."""
        return [w.pid for w in self._workers]

    def share(self, obj: Any) -> Shared:
        """Send ``obj`` (the objective and its data) to each worker once, when it starts, not with every trial."""
        if any(w.setup_sent for w in self._workers):
            raise RuntimeError("share() must come before the first submit()")
        key = f"shared-{len(self._shared)}"
        self._shared[key] = _dumps(obj, "the objective (model_fn and data)")
        return Shared(key)

    def submit(self, fn: Callable, /, *args: Any, report: Callable | None = None, **kwargs: Any) -> cf.Future:
        future: cf.Future = cf.Future()
        future.set_running_or_notify_cancel()
        self._queue.append(_Task(next(self._ids), future, _dumps((fn, args, kwargs), "the trial"), report))
        self._dispatch()
        return future

    def _dispatch(self) -> None:
        while len(self._workers) < self.n_workers:
            worker = self._pool.spawn(self._threads, self._preload)
            self._fresh.add(worker.pid)
            self._workers.append(worker)
        for worker in self._workers:
            if not worker.setup_sent:
                worker.send_setup(self._run, self._shared)
            if self._queue and worker.ready and worker.task is None:
                task = self._queue.pop(0)
                task.started = time.monotonic()
                worker.task = task
                worker.send(("run", task.id, task.payload, task.report is not None))

    def wait(self, futures: Iterable[cf.Future], timeout: float | None = None) -> set[cf.Future]:
        futures = list(futures)
        end = None if timeout is None else time.monotonic() + timeout
        while True:
            self._enforce_limits()
            done = {f for f in futures if f.done()}
            now = time.monotonic()
            if done or (end is not None and now >= end):
                return done
            wake = [t for t in (end, self._next_expiry(w.task.started for w in self._busy())) if t is not None]
            seconds = None if not wake else max(0.0, min(wake) - now)
            ready = multiprocessing.connection.wait([w.conn for w in self._workers], timeout=seconds)
            for worker in [w for w in self._workers if w.conn in ready]:
                self._receive(worker)
            self._dispatch()

    def _busy(self) -> list[_Worker]:
        return [w for w in self._workers if w.task is not None]

    def _receive(self, worker: _Worker) -> None:
        try:
            message = worker.conn.recv()
        except (EOFError, OSError):
            self._lost(worker)
            return
        kind = message[0]
        if kind in ("ready", "stale", "setup_failed") and message[1] != self._run:
            return  # the answer to an earlier run's setup: this run's comes next
        if kind == "ready":
            worker.ready = True
        elif kind == "stale":  # a warm worker whose code changed on disk: a new one takes its place
            log.debug("replacing a warm worker: %s", message[2])
            self._remove(worker)
        elif kind == "setup_failed":
            self._remove(worker)
            raise WorkerError(f"a worker process could not load the objective; its error:\n{message[2]}")
        elif kind == "report":
            decision = Decision.CONTINUE
            try:
                decision = Decision(worker.task.report(message[2], message[3]))
            except Exception:
                log.exception("the searcher's report() failed; the trial continues")
            worker.send(("decision", decision.value))
        elif kind == "done":
            task, worker.task = worker.task, None
            task.future.set_result(message[2])
            worker.tasks_done += 1
            if self._max_tasks is not None and worker.tasks_done >= self._max_tasks:
                self._retire(worker)

    def _lost(self, worker: _Worker) -> None:
        code = self._remove(worker)
        if worker.task is not None:
            now = time.time()
            worker.task.future.set_result({
                "state": TrialState.FAILED.value, "value": None, "started": now, "finished": now,
                "error": f"the executor could not run the trial: its worker process died ({_death(code)})"})
        elif not worker.ready and worker.pid in self._fresh:
            raise WorkerError(f"a worker process ended before it was ready ({_death(code)}); "
                              "its own error, if any, is on the driver's stderr")
        # else a warm worker that died while it waited in the pool: a new one takes its place

    def _remove(self, worker: _Worker) -> int | None:
        self._workers.remove(worker)
        return worker.kill()

    def _retire(self, worker: _Worker) -> None:
        """Replace a worker that ran its share of trials (Keras leaks a little memory per model); it exits by itself."""
        self._workers.remove(worker)
        self._pool.retire(worker)

    def _enforce_limits(self) -> None:
        now = time.monotonic()
        for worker in self._busy():
            which = self._expired(worker.task.started, now)
            if which is None:
                continue
            task = worker.task
            worker.task = None
            self._remove(worker)  # the only way to stop a running trial for sure: kill its process
            task.future.set_result(
                _stopped(_DEADLINE_REASON, cancelled=True) if which == "deadline" else
                _stopped(_timeout_reason(self.trial_timeout, "its worker process was killed and replaced"),
                         cancelled=False))
        if self.deadline is not None and now >= self.deadline:
            for task in self._queue:
                task.future.set_result(_stopped(_DEADLINE_REASON, cancelled=True))
            self._queue.clear()

    def close(self) -> None:
        """End the run: idle workers go back to the warm pool; busy ones (a trial cut short, a setup still
        being written) are killed."""
        self._end(lambda w: w.task is None and w.alive() and w.quiet_line())

    def abort(self) -> None:
        """End a run that failed (an error, Ctrl-C): kill its workers; warm ones it never used go back to the pool."""
        self._end(lambda w: w.pid not in self._fresh and not w.setup_sent and w.task is None)

    def _end(self, keeps: Callable[[Any], bool]) -> None:
        """Cancel what is queued, give the workers ``keeps`` accepts back to the pool and kill the others (once)."""
        if self._closed:
            return
        self._closed = True
        for task in self._queue:
            task.future.cancel()
        self._queue.clear()
        keep = [w for w in self._workers if keeps(w)]
        for worker in [w for w in self._workers if w not in keep]:
            worker.kill()
        self._workers = []
        self._pool.give_back(keep)


def _dask_trial(key: str, blob: bytes, fn: Callable, args: tuple, kwargs: dict,
                files: dict[str, bytes] | None = None) -> dict[str, Any]:
    """On a Dask worker: load the shared objective once per process (cloudpickle), then run the trial.

    ``files`` are the driver's kept weights of the trial this one continues (``resume_from``).
    """
    if key not in _SHARED:
        from ._worker import loads

        try:
            _SHARED[key] = loads(blob)
        except BaseException:
            return {"setup_failed": traceback.format_exc()}
    if files:
        _SHARED[key].install_files(files)
    return fn(Shared(key), *args, **kwargs)


class _DaskReport:
    """``report(step, value)`` on a Dask worker: a message on the run's queue, then the driver's answer on the trial's."""

    def __init__(self, prefix: str, task: int) -> None:
        self.prefix, self.task = prefix, task

    def __call__(self, step: int, value: float) -> Decision:
        from distributed import Queue

        Queue(f"{self.prefix}-reports").put((self.task, int(step), float(value)))
        try:
            return Decision(Queue(f"{self.prefix}-reply-{self.task}").get(timeout=120))
        except TimeoutError:
            return Decision.CONTINUE


class DaskExecutor(_Limits):
    """Trials as tasks on a Dask cluster; one trial per worker thread at a time.

    The driver alone writes the store, so any number of machines can work on one
    study. The objective goes to the workers once as cloudpickle bytes; per-epoch
    reports come back through a ``distributed.Queue``. A trial past
    ``trial_timeout`` has its worker restarted (workers need a nanny, as
    ``LocalCluster`` and ``dask worker`` give them). The client is the caller's:
    ``close`` leaves it open.
    """

    streams_reports = True

    def __init__(self, client: Any) -> None:
        self.client = client
        threads = sum(client.nthreads().values())
        if threads < 1:
            raise ValueError("executor: the Dask cluster has no workers; start some or wait for them first")
        self.n_workers = threads
        self._prefix = f"keras_hpo-{uuid.uuid4().hex}"
        self._shared: dict[str, Any] = {}
        self._blobs: dict[str, bytes] = {}
        self._origins: dict[str, Any] = {}
        self._running: dict[cf.Future, tuple[Any, int, float, Callable | None]] = {}
        self._ids = itertools.count()
        self._reports: Any = None

    def share(self, obj: Any) -> Shared:
        """Scatter ``obj`` (the objective and its data, as cloudpickle bytes) to every worker once."""
        key = f"{self._prefix}-shared-{len(self._shared)}"
        self._origins[key] = obj
        remote = getattr(obj, "remote", None)  # workers may not share the driver's disk: e.g. weights come back
        obj = remote() if callable(remote) else obj
        self._blobs[key] = _dumps(obj, "the objective (model_fn and data)")
        self._shared[key] = self.client.scatter(self._blobs[key], broadcast=True, hash=False)
        return Shared(key)

    def submit(self, fn: Callable, /, *args: Any, report: Callable | None = None, **kwargs: Any) -> cf.Future:
        task = next(self._ids)
        if report is not None:
            if self._reports is None:
                from distributed import Queue

                self._reports = Queue(f"{self._prefix}-reports", client=self.client)
            kwargs["report"] = _DaskReport(self._prefix, task)
        if args and isinstance(args[0], Shared):
            key = args[0].key
            if self._shared[key].status != "finished":
                # every worker that held the shared objective died (killed trials, restarts): scatter it again,
                # so the next trials do not fail for want of it
                self._shared[key] = self.client.scatter(self._blobs[key], broadcast=True, hash=False)
            files_for = getattr(self._origins[key], "files_for", None)
            files = files_for(kwargs["resume_from"]) if kwargs.get("resume_from") is not None and callable(files_for) else None
            remote = self.client.submit(_dask_trial, key, self._shared[key], fn, args[1:], kwargs, files, pure=False)
        else:
            remote = self.client.submit(fn, *args, pure=False, **kwargs)
        future: cf.Future = cf.Future()
        future.set_running_or_notify_cancel()
        self._running[future] = (remote, task, time.monotonic(), report)

        def resolve(done: Any) -> None:
            try:
                result = done.result()
            except BaseException as exc:  # noqa: BLE001 - any remote failure becomes the trial's record
                now = time.time()
                died = isinstance(exc, cf.CancelledError) or type(exc).__name__ == "KilledWorker"
                reason = f"{type(exc).__name__}: {exc}"
                if died:
                    reason = f"its Dask worker died, or the data it needed died with one ({reason})"
                result = {"state": TrialState.FAILED.value, "value": None, "started": now, "finished": now,
                          "worker_died": died,  # it may have died beside a trial that killed the worker: re-run alone
                          "error": f"the executor could not run the trial: {reason}"}
            if not future.done():
                future.set_result(result)

        remote.add_done_callback(resolve)
        return future

    def wait(self, futures: Iterable[cf.Future], timeout: float | None = None) -> set[cf.Future]:
        futures = list(futures)
        end = None if timeout is None else time.monotonic() + timeout
        while True:
            self._answer_reports()
            self._enforce_limits()
            done = {f for f in futures if f.done()}
            for f in done:
                if isinstance(f.result(), dict) and "setup_failed" in f.result():
                    raise WorkerError(f"a Dask worker could not load the objective; its error:\n{f.result()['setup_failed']}")
                self._running.pop(f, None)
            if done or (end is not None and time.monotonic() >= end):
                return done
            cf.wait(futures, timeout=0.05 if self._reports is not None else 0.2, return_when=cf.FIRST_COMPLETED)

    def _answer_reports(self) -> None:
        if self._reports is None:
            return
        from distributed import Queue

        by_task = {task: report for remote, task, started, report in self._running.values()}
        for task, step, value in self._reports.get(batch=True):
            decision = Decision.CONTINUE
            try:
                if by_task.get(task) is not None:
                    decision = Decision(by_task[task](step, value))
            except Exception:
                log.exception("the searcher's report() failed; the trial continues")
            Queue(f"{self._prefix}-reply-{task}", client=self.client).put(decision.value)

    def _enforce_limits(self) -> None:
        now = time.monotonic()
        for future, (remote, _task, started, _report) in list(self._running.items()):
            which = None if future.done() else self._expired(started, now)
            if which is None:
                continue
            del self._running[future]
            if which == "deadline":
                future.set_result(_stopped(_DEADLINE_REASON, cancelled=True))
                remote.cancel()
                continue
            future.set_result(_stopped(_timeout_reason(self.trial_timeout, "its Dask worker was restarted"),
                                       cancelled=False))
            self._restart_worker_of(remote)

    def _restart_worker_of(self, remote: Any) -> None:
        """Restart the worker that runs ``remote``: a Python thread cannot be stopped any other way."""
        try:
            processing = self.client.processing()
            workers = [w for w, keys in processing.items() if remote.key in keys]
            remote.cancel()
            if workers:
                self.client.restart_workers(workers, timeout=60, raise_for_error=False)
        except Exception as exc:  # the trial is recorded anyway; say why its worker may still be busy
            log.warning("could not restart the Dask worker of a timed-out trial: %s", exc)

    def close(self) -> None:
        for remote, *_ in self._running.values():
            remote.cancel()
        self._running.clear()


def _is_dask_client(obj: Any) -> bool:
    return type(obj).__name__ == "Client" and type(obj).__module__.startswith("distributed")


def make_executor(n_jobs: int = 1, executor: Any = None, preload: Iterable[str] = ()) -> Any:
    """The executor for ``tune(n_jobs=..., executor=...)``: a Dask client or address, or any object with the seam.

    Local worker processes start at once and import ``preload`` (``keras_hpo._pool.preload_for``).
    """
    if isinstance(executor, str):
        if not executor.startswith(("tcp://", "tls://", "inproc://", "ucx://")):
            raise ValueError(f"executor: expected a Dask scheduler address like 'tcp://host:8786', got {executor!r}")
        from distributed import Client

        executor = Client(executor)
    if _is_dask_client(executor):
        return DaskExecutor(executor)
    if executor is not None:
        if all(hasattr(executor, a) for a in ("submit", "wait", "close", "n_workers")):
            return executor
        raise TypeError(f"executor must provide submit/wait/close/n_workers, got {type(executor).__name__}")
    n_jobs = resolve_n_jobs(n_jobs)
    return SerialExecutor() if n_jobs == 1 else ProcessExecutor(n_jobs, preload=preload)


def resolve_n_jobs(n_jobs: Any) -> int:
    """The number of workers for ``n_jobs``: a positive count, or as in scikit-learn -1 = every core, -2 = all but one."""
    if isinstance(n_jobs, int) and not isinstance(n_jobs, bool):
        cores = os.cpu_count() or 1
        if n_jobs >= 1:
            return n_jobs
        if n_jobs < 0 and cores + 1 + n_jobs >= 1:
            return cores + 1 + n_jobs
    raise ValueError(f"n_jobs must be a positive integer or -1 (every core), -2 (all but one), ...; got {n_jobs!r}")

