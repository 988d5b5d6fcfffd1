"""The worker process of ``ProcessExecutor``: ``python -m keras_hpo._worker FD PARENT_PID``.

A fresh interpreter (never a re-import of the caller's ``__main__``, so scripts
without ``if __name__ == "__main__":`` and notebooks work) talks to the driver
over one socket (file descriptor ``FD``), with messages pickled by
``multiprocessing.connection``; functions and objectives travel as cloudpickle
bytes, so lambdas, closures and functions defined in a notebook cell arrive
whole.

Driver -> worker: ``("prepare", sys_path, modules)`` once, right after the start: the worker
imports ``modules`` (e.g. Keras, which the driver has loaded) while the driver still checks
its input; then per ``tune`` call ``("setup", run, sys_path, sys_argv, cwd, shared)``, and
``("run", id, payload, wants_reports)``, ``("decision", "CONTINUE" | "STOP")``, ``("idle",)`` (the run
ended: forget its objective and data, clear the Keras session) and ``("stop",)``.
Worker -> driver: ``("ready", run)``, ``("setup_failed", run, traceback)`` or ``("stale", run, reason)``
(a warm worker whose imported code changed on disk since it started: the driver replaces it),
each naming the run whose setup it answers (a run that ended before its worker was ready
leaves an answer behind for the next one, which ignores it),
``("report", id, step, value)`` (then waits for the decision), ``("done", id, record)``.

A worker serves one ``tune`` call after another (``keras_hpo._pool`` keeps it warm in
between): each ``setup`` drops the previous call's objectives, so nothing of one call's
objective reaches the next one's trials.

The worker dies with its driver: on Linux the kernel kills it when the driver
dies (``PR_SET_PDEATHSIG``), and everywhere a watchdog thread exits when the
driver's pid is no longer its parent or the socket closes.
"""

from __future__ import annotations

import gc
import importlib
import os
import signal
import sys
import threading
import time
import traceback
from multiprocessing.connection import Connection
from typing import Any


def dumps(obj: Any) -> bytes:
    """The wire format from the driver to its workers: cloudpickle, so lambdas and notebook functions travel whole."""
    import cloudpickle

    return cloudpickle.dumps(obj)


def loads(blob: bytes) -> Any:
    """In a worker: the objective or trial its own driver sent (never stored data, which is JSON only).

    The bytes come from the driver process over the worker's private socket (or, on
    Dask, from the driver through the user's own cluster): the code the user asked to
    run, as with any process pool. This module is the only place in keras_hpo that
    unpickles.
    """
    import cloudpickle

    return cloudpickle.loads(blob)


def _die_with_parent(parent: int) -> None:
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, 9)  # PR_SET_PDEATHSIG, SIGKILL
        except Exception:  # pragma: no cover - the watchdog below still works
            pass

    def watch() -> None:
        while True:
            if os.getppid() != parent:
                os._exit(70)
            time.sleep(0.5)

    if os.getppid() != parent:  # the driver died before the signal was armed
        os._exit(70)
    threading.Thread(target=watch, name="keras_hpo-watchdog", daemon=True).start()


class _Report:
    """The ``report(step, value)`` a trial gets in a worker: asks the driver and waits for its decision."""

    def __init__(self, conn: Connection, task: int) -> None:
        self.conn, self.task = conn, task

    def __call__(self, step: int, value: float) -> Any:
        from .trial import Decision

        self.conn.send(("report", self.task, int(step), float(value)))
        message = self.conn.recv()
        return Decision(message[1])


#: seconds of idleness after a run before the worker runs a full garbage collection
_COLLECT_AFTER = 2.0


def _send(conn: Connection, message: Any) -> None:
    """Send to the driver; if it closed the socket (it stopped this worker or died), exit quietly."""
    try:
        conn.send(message)
    except OSError:
        os._exit(0)


def _changed_since(started: float) -> str | None:
    """The first module this process imported whose file changed on disk after ``started``, if any.

    A warm worker keeps what it imported; a module the user edited since (their own
    ``model.py``, a package upgraded with pip) would run old code, so the worker is replaced.
    """
    for name, module in list(sys.modules.items()):
        path = getattr(module, "__file__", None)
        if not path:
            continue
        try:
            if os.stat(path).st_mtime > started:
                return f"{name} ({path}) changed since this worker started"
        except OSError:
            continue
    return None


def _add_path(path: list[str]) -> None:
    sys.path[:] = [p for p in path if p not in sys.path] + sys.path


def _forget() -> None:
    """Between runs: drop the last run's objective and data, and Keras's models and graphs.

    The full garbage collection that frees what they leave in cycles comes later (``main``):
    about half a second with TensorFlow loaded, which a next run that starts at once
    should not wait for (its trials collect as they go, see ``keras_hpo.keras.adapter``).
    """
    from . import execution

    execution._SHARED.clear()
    keras = sys.modules.get("keras")
    backend = getattr(keras, "backend", None)
    if backend is not None and callable(getattr(backend, "clear_session", None)):
        try:
            backend.clear_session(free_memory=False)
        except Exception:  # noqa: BLE001 - an older or half-imported Keras; the next run's trials clear it again
            pass


def _setup(conn: Connection, run: int, path: list[str], argv: list[str], cwd: str, shared: dict[str, bytes]) -> bool:
    """Install one ``tune`` call's objectives (replacing the previous call's); False if they cannot be loaded."""
    from . import execution

    try:
        if execution._SHARED:
            _forget()  # the previous run's objective and data
        _add_path(path)
        sys.argv[:] = argv  # as multiprocessing does: the driver's command line, for code that reads it
        try:
            os.chdir(cwd)  # relative paths in the objective mean what they mean in the driver
        except OSError:
            pass
        for key, blob in shared.items():  # this imports the modules the objective's functions use
            execution._SHARED[key] = loads(blob)
        for objective in execution._SHARED.values():  # e.g. Keras, imported lazily by the adapter
            warm_up = getattr(objective, "warm_up", None)
            if callable(warm_up):
                warm_up()
    except BaseException:
        _send(conn, ("setup_failed", run, traceback.format_exc()))
        return False
    _send(conn, ("ready", run))
    return True


def _run(conn: Connection, task: int, payload: bytes, wants_reports: bool) -> None:
    try:
        fn, args, kwargs = loads(payload)
        if wants_reports:
            kwargs["report"] = _Report(conn, task)
        record = fn(*args, **kwargs)
    except Exception:
        now = time.time()
        record = {"state": "FAILED", "value": None, "started": now, "finished": now,
                  "error": "the worker could not run the trial:\n" + traceback.format_exc()}
    try:
        _send(conn, ("done", task, record))
    except Exception:  # something in the record does not pickle
        now = time.time()
        _send(conn, ("done", task, {"state": "FAILED", "value": None, "started": now, "finished": now,
                                    "error": "the trial's result could not be sent back:\n" + traceback.format_exc()}))


def main(fd: int, parent: int) -> None:
    started = time.time()
    _die_with_parent(parent)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole process group: the driver decides
    conn = Connection(fd)
    try:
        _, path, modules = conn.recv()
    except (EOFError, OSError):
        return
    _add_path(path)
    for name in modules:  # while the driver checks its input and prepares the run
        try:
            importlib.import_module(name)
        except BaseException:  # noqa: BLE001 - the objective's own import reports the real error
            pass
    served = False
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        kind = message[0]
        if kind == "stop":
            return
        if kind == "setup":
            stale = _changed_since(started) if served else None
            if stale is not None:
                _send(conn, ("stale", message[1], stale))
                return
            if not _setup(conn, *message[1:]):
                return
            served = True
        elif kind == "run":
            _run(conn, *message[1:])
        elif kind == "idle":
            _forget()
            if not conn.poll(_COLLECT_AFTER):  # still idle: free the last run's memory now
                gc.collect()


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]))
