"""Where trials run: an executor takes ``run_trial`` calls and hands back futures.

The loop only calls ``submit`` and ``wait``; a trial's exceptions are caught in
``run_trial`` on the worker, so a future always resolves to a plain dict and
nothing but data crosses a process boundary.

- ``SerialExecutor``: in this process, one at a time (default; works in notebooks,
  and the only one that streams per-epoch reports to the searcher).
- ``ProcessExecutor``: ``n_jobs`` local worker processes, each limited to its
  share of the CPU threads.
- ``DaskExecutor``: the workers of an existing Dask cluster (``distributed.Client``),
  on this machine or many; ``tune(executor=client)`` or ``executor="tcp://host:8786"``.
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
import os
import socket
import time
import traceback
from collections.abc import Callable, Iterable
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from ._worker_guard import exit_with_parent
from .objective import Outcome, is_finite_number
from .trial import TrialState
from .values import storable

__all__ = ["run_trial", "SerialExecutor", "ProcessExecutor", "DaskExecutor", "make_executor"]


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


class SerialExecutor:
    """Runs each trial in this process when it is submitted."""

    n_workers = 1
    streams_reports = True

    def submit(self, fn: Callable, /, *args: Any, **kwargs: Any) -> cf.Future:
        future: cf.Future = cf.Future()
        future.set_result(fn(*args, **kwargs))
        return future

    def wait(self, futures: Iterable[cf.Future], timeout: float | None = None) -> set[cf.Future]:
        return {f for f in futures if f.done()}

    def close(self) -> None:
        pass


#: objectives installed in this worker process by the pool initializer, by key
_SHARED: dict[str, Any] = {}


class Shared:
    """A small, picklable stand-in for an objective that every worker received once, at its start."""

    def __init__(self, key: str) -> None:
        self.key = key

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return _SHARED[self.key](*args, **kwargs)


def _start_worker(threads: int, shared: dict[str, Any]) -> None:
    exit_with_parent()  # no orphan worker after the driver is killed
    _limit_threads(threads)
    _SHARED.update(shared)


def _limit_threads(threads: int) -> None:
    for var in ("OMP_NUM_THREADS", "TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(threads)


class ProcessExecutor:
    """``n_jobs`` worker processes on this machine; workers are recycled every ``max_tasks_per_child`` trials."""

    streams_reports = False

    def __init__(self, n_jobs: int, max_tasks_per_child: int | None = 20) -> None:
        _check_n_jobs(n_jobs)
        self.n_workers = n_jobs
        self._max_tasks_per_child = max_tasks_per_child
        self._shared: dict[str, Any] = {}
        self._pool = self._new_pool()

    def _new_pool(self) -> cf.ProcessPoolExecutor:
        threads = max(1, (os.cpu_count() or 1) // self.n_workers)
        return cf.ProcessPoolExecutor(
            max_workers=self.n_workers, mp_context=multiprocessing.get_context("spawn"),
            initializer=_start_worker, initargs=(threads, dict(self._shared)),
            max_tasks_per_child=self._max_tasks_per_child,
        )

    def share(self, obj: Any) -> Shared:
        """Send ``obj`` (the objective and its data) to each worker once, when it starts, not with every trial."""
        key = f"shared-{len(self._shared)}"
        self._shared[key] = obj
        self._pool.shutdown(wait=True)
        self._pool = self._new_pool()
        return Shared(key)

    def submit(self, fn: Callable, /, *args: Any, **kwargs: Any) -> cf.Future:
        try:
            return self._pool.submit(fn, *args, **kwargs)
        except BrokenProcessPool:
            # a worker died (out of memory, a crash in native code): its trials are recorded FAILED by the
            # loop; a fresh pool takes the next ones so the run goes on
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = self._new_pool()
            return self._pool.submit(fn, *args, **kwargs)

    def wait(self, futures: Iterable[cf.Future], timeout: float | None = None) -> set[cf.Future]:
        done, _ = cf.wait(list(futures), timeout=timeout, return_when=cf.FIRST_COMPLETED)
        return set(done)

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


class DaskExecutor:
    """Trials as tasks on a Dask cluster; one trial per worker thread at a time.

    The driver alone writes the store, so any number of machines can work on one
    study. The client is the caller's: ``close`` leaves it open.
    """

    streams_reports = False

    def __init__(self, client: Any) -> None:
        self.client = client
        threads = sum(client.nthreads().values())
        if threads < 1:
            raise ValueError("executor: the Dask cluster has no workers; start some or wait for them first")
        self.n_workers = threads
        self._shared: Any = None
        self._refs: list[Any] = []

    def share(self, obj: Any) -> Any:
        """Scatter ``obj`` (the objective and its data) to every worker once; trials then pass a reference."""
        self._shared = obj
        self._refs.append(self.client.scatter(obj, broadcast=True, hash=False))
        return self._refs[-1]

    def submit(self, fn: Callable, /, *args: Any, **kwargs: Any) -> Any:
        if self._refs and self._refs[-1].status != "finished":
            # every worker that held the shared objective died (killed trials): scatter it again, so the
            # next trials do not fail for want of it
            self._refs.append(self.client.scatter(self._shared, broadcast=True, hash=False))
        if self._refs:
            args = tuple(self._refs[-1] if any(a is r for r in self._refs) else a for a in args)
        return self.client.submit(fn, *args, pure=False, **kwargs)

    def wait(self, futures: Iterable[Any], timeout: float | None = None) -> set[Any]:
        from distributed import wait

        futures = list(futures)
        try:
            wait(futures, timeout=timeout, return_when="FIRST_COMPLETED")
        except (TimeoutError, cf.CancelledError):  # a cancelled trial is done: the loop records it FAILED
            pass
        return {f for f in futures if f.done()}

    def close(self) -> None:
        pass


def _is_dask_client(obj: Any) -> bool:
    return type(obj).__name__ == "Client" and type(obj).__module__.startswith("distributed")


def make_executor(n_jobs: int = 1, executor: Any = None) -> Any:
    """The executor for ``tune(n_jobs=..., executor=...)``: a Dask client or address, or any object with the seam."""
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
    _check_n_jobs(n_jobs)
    return SerialExecutor() if n_jobs == 1 else ProcessExecutor(n_jobs)


def _check_n_jobs(n_jobs: Any) -> None:
    if not isinstance(n_jobs, int) or isinstance(n_jobs, bool) or n_jobs < 1:
        raise ValueError(f"n_jobs must be a positive integer, got {n_jobs!r}")

