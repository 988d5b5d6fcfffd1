"""The worker process of ``ProcessExecutor``: ``python -m keras_hpo._worker FD PARENT_PID``.

A fresh interpreter (never a re-import of the caller's ``__main__``, so scripts
without ``if __name__ == "__main__":`` and notebooks work) talks to the driver
over one socket (file descriptor ``FD``), with messages pickled by
``multiprocessing.connection``; functions and objectives travel as cloudpickle
bytes, so lambdas, closures and functions defined in a notebook cell arrive
whole.

Driver -> worker: ``("setup", sys_path, sys_argv, shared)``, ``("run", id, payload, wants_reports)``,
``("decision", "CONTINUE" | "STOP")``, ``("stop",)``.
Worker -> driver: ``("ready", pid)`` or ``("setup_failed", traceback)``, ``("report", id, step, value)``
(then waits for the decision), ``("done", id, record)``.

The worker dies with its driver: on Linux the kernel kills it when the driver
dies (``PR_SET_PDEATHSIG``), and everywhere a watchdog thread exits when the
driver's pid is no longer its parent or the socket closes.
"""

from __future__ import annotations

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


def main(fd: int, parent: int) -> None:
    _die_with_parent(parent)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole process group: the driver decides
    conn = Connection(fd)
    try:
        _, path, argv, shared = conn.recv()
        sys.path[:] = [p for p in path if p not in sys.path] + sys.path
        sys.argv[:] = argv  # as multiprocessing does: the driver's command line, for code that reads it
        from . import execution

        for key, blob in shared.items():  # this imports the modules the objective's functions use
            execution._SHARED[key] = loads(blob)
        for objective in execution._SHARED.values():  # e.g. Keras, imported lazily by the adapter
            warm_up = getattr(objective, "warm_up", None)
            if callable(warm_up):
                warm_up()
    except BaseException:
        conn.send(("setup_failed", traceback.format_exc()))
        return
    conn.send(("ready", os.getpid()))
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message[0] == "stop":
            return
        _, task, payload, wants_reports = message
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
            conn.send(("done", task, record))
        except Exception:  # something in the record does not pickle
            now = time.time()
            conn.send(("done", task, {"state": "FAILED", "value": None, "started": now, "finished": now,
                                      "error": "the trial's result could not be sent back:\n" + traceback.format_exc()}))


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]))
