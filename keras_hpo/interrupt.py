"""Interrupting a trial that runs in this process (serial mode) when it runs out of time.

``time_limit(seconds)`` raises ``TrialInterrupted`` inside the trial once
``seconds`` have passed. On the main thread of a POSIX process it uses
``SIGALRM`` (``signal.setitimer``), which also breaks a ``time.sleep`` or a
blocking read; elsewhere it asks the interpreter to raise the exception in the
trial's thread (``PyThreadState_SetAsyncExc``), which happens at the next
Python bytecode. Either way it comes again every half second until the trial
has stopped, because Python drops an exception that lands in a garbage-collector
callback or a ``__del__`` (on the main thread, a ring that finds such a clean-up
running lets it finish). Code that never returns to Python (one long call
into a C library, a deadlock in native code) cannot be interrupted in this
process; run trials in worker processes (``n_jobs >= 2``) where the whole worker
is killed instead.

``TrialInterrupted`` derives from ``BaseException`` so that a trial's own
``except Exception`` cannot swallow it.

>>> import time
import types
>>> try:
...     with time_limit(0.2, reason="too slow"):
...         time.sleep(5)
... except TrialInterrupted as stop:
...     print(stop.reason)
too slow
"""

from __future__ import annotations

import ctypes
import gc
import signal
import threading
import time
import types
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["TrialInterrupted", "ctrl_c_not_dropped", "time_limit"]


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


#: seconds between the rings that follow the first, until the body has stopped
_AGAIN = 0.5


@contextmanager
def _alarm(seconds: float, reason: str) -> Iterator[None]:
    """SIGALRM after ``seconds``, then every ``_AGAIN`` s until the body stops.

    Python drops an exception raised while it runs a garbage-collector
    callback or a ``__del__`` ("Exception ignored in ..."): during Keras
    training one ring in some dozens landed in jax's ``_xla_gc_callback`` or in
    TensorFlow's ``ConcreteFunctionGarbageCollector.__del__``, and the trial ran
    on to its end. So a ring that finds such a clean-up on the stack lets it
    finish, and the rings go on until one lands in the trial. An alarm armed
    before this one (pytest-timeout's, a user's) still rings at its time and is
    re-armed after.
    """
    began = time.monotonic()
    ours = began + seconds
    outer_left, outer_interval = signal.getitimer(signal.ITIMER_REAL)
    outer_at = began + outer_left if outer_left > 0 else None
    done = False

    def ring(signum: int, frame: types.FrameType | None) -> None:
        nonlocal outer_at
        if done:
            return
        now = time.monotonic()
        if outer_at is not None and now >= outer_at:
            outer_at = None
            signal.setitimer(signal.ITIMER_REAL, max(ours - now, 0.001), _AGAIN)
            if callable(previous):
                previous(signum, frame)
        elif now >= ours and not _cleaning_up(frame):
            raise TrialInterrupted(reason)

    previous = signal.signal(signal.SIGALRM, ring)
    signal.setitimer(signal.ITIMER_REAL, min(seconds, outer_left or seconds), _AGAIN)
    try:
        yield
    finally:
        done = True
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if outer_left > 0:
            left = outer_at - time.monotonic() if outer_at is not None else outer_interval
            if left:
                signal.setitimer(signal.ITIMER_REAL, max(left, 0.001), outer_interval)


def _cleaning_up(frame: types.FrameType | None) -> bool:
    """Whether ``frame`` runs inside a ``__del__`` or a garbage-collector callback, where an exception is dropped."""
    callbacks = {getattr(callback, "__code__", None) for callback in gc.callbacks}
    while frame is not None:
        if frame.f_code.co_name == "__del__" or frame.f_code in callbacks:
            return True
        frame = frame.f_back
    return False


@contextmanager
def _async_exception(seconds: float, reason: str) -> Iterator[None]:
    """``TrialInterrupted`` in this thread after ``seconds``, again every ``_AGAIN`` s (see ``_alarm``) until the body stops."""
    target = ctypes.c_ulong(threading.get_ident())
    finished = threading.Event()
    lock = threading.Lock()
    exc = type("TrialInterrupted", (TrialInterrupted,), {"__init__": lambda self: TrialInterrupted.__init__(self, reason)})

    def fire() -> None:
        wait = seconds
        while not finished.wait(wait):
            with lock:
                if not finished.is_set():
                    ctypes.pythonapi.PyThreadState_SetAsyncExc(target, ctypes.py_object(exc))
            wait = _AGAIN

    threading.Thread(target=fire, name="keras_hpo-time-limit", daemon=True).start()
    try:
        yield
    finally:
        with lock:
            finished.set()
            ctypes.pythonapi.PyThreadState_SetAsyncExc(target, None)  # one sent but not raised yet is withdrawn


@contextmanager
def ctrl_c_not_dropped() -> Iterator[None]:
    """Ctrl-C in the body stops it even when it lands in a clean-up.

    Python's own handler raises ``KeyboardInterrupt`` wherever the main thread
    is; inside a ``__del__`` or a garbage-collector callback (jax registers one
    when Keras is imported) the exception is dropped, and a run went on to its
    end after Ctrl-C. Here the interrupt waits until the clean-up has returned.
    A SIGINT handler of the user's is left alone, and so are other threads.
    """
    if (threading.current_thread() is not threading.main_thread()
            or signal.getsignal(signal.SIGINT) is not signal.default_int_handler):
        yield
        return

    waiting: list[threading.Timer] = []  # the Ctrl-C that waits for a clean-up, if any

    def interrupt(signum: int, frame: types.FrameType | None) -> None:
        if _cleaning_up(frame):  # comes again in 50 ms, until the clean-up has returned
            if not waiting or not waiting[-1].is_alive():
                waiting.append(threading.Timer(0.05, signal.raise_signal, (signal.SIGINT,)))
                waiting[-1].daemon = True
                waiting[-1].start()
            return
        waiting.clear()
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, interrupt)
    try:
        yield
    finally:
        for timer in waiting:
            timer.cancel()
        signal.signal(signal.SIGINT, signal.default_int_handler)
        if waiting:  # the body ended while the Ctrl-C waited
            raise KeyboardInterrupt
