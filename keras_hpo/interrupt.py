"""Interrupting a trial that runs in this process (serial mode) when it runs out of time.

``time_limit(seconds)`` raises ``TrialInterrupted`` inside the trial once
``seconds`` have passed. On the main thread of a POSIX process it uses
``SIGALRM`` (``signal.setitimer``), which also breaks a ``time.sleep`` or a
blocking read; elsewhere it asks the interpreter to raise the exception in the
trial's thread (``PyThreadState_SetAsyncExc``), which happens at the next
Python bytecode. Either way, code that never returns to Python (one long call
into a C library, a deadlock in native code) cannot be interrupted in this
process; run trials in worker processes (``n_jobs >= 2``) where the whole worker
is killed instead.

``TrialInterrupted`` derives from ``BaseException`` so that a trial's own
``except Exception`` cannot swallow it.

>>> import time
>>> try:
...     with time_limit(0.2, reason="too slow"):
...         time.sleep(5)
... except TrialInterrupted as stop:
...     print(stop.reason)
too slow
"""

from __future__ import annotations

import ctypes
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["TrialInterrupted", "time_limit"]


class TrialInterrupted(BaseException):
    """Raised inside a trial that ran past its time; ``reason`` says which limit it was."""

    def __init__(self, reason: str = "time limit") -> None:
        super().__init__(reason)
        self.reason = reason


@contextmanager
def time_limit(seconds: float | None, reason: str = "time limit") -> Iterator[None]:
    """Raise ``TrialInterrupted(reason)`` in the body if it runs longer than ``seconds`` (None: no limit)."""
    if seconds is None:
        yield
        return
    seconds = max(seconds, 0.001)
    if threading.current_thread() is threading.main_thread() and hasattr(signal, "setitimer"):
        with _alarm(seconds, reason):
            yield
    else:
        with _async_exception(seconds, reason):
            yield


@contextmanager
def _alarm(seconds: float, reason: str) -> Iterator[None]:
    def ring(signum: int, frame: object) -> None:
        raise TrialInterrupted(reason)

    previous = signal.signal(signal.SIGALRM, ring)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@contextmanager
def _async_exception(seconds: float, reason: str) -> Iterator[None]:
    target = threading.get_ident()
    finished = threading.Event()
    lock = threading.Lock()

    def fire() -> None:
        with lock:
            if not finished.is_set():
                exc = type("TrialInterrupted", (TrialInterrupted,), {"__init__": lambda self: TrialInterrupted.__init__(self, reason)})
                ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(target), ctypes.py_object(exc))

    timer = threading.Timer(seconds, fire)
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        with lock:
            finished.set()
        timer.cancel()
