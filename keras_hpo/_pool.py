"""The warm pool of local worker processes behind ``n_jobs=k`` (``execution.ProcessExecutor``).

A worker is a fresh interpreter (``python -m keras_hpo._worker``) that, for a Keras
run, must import TensorFlow: about 4 s of CPU before its first trial (measured in
``benchmarks/results/parallel_speedup.md``), as long as dozens of short trials. So:

- ``tune`` starts its workers right after checking its simple options, and each
  worker imports the heavy modules the run will use (``preload_for``: Keras for a
  Keras run, and TensorFlow, Keras, PyTorch or JAX when the objective's code names
  them) while the driver still prepares the space, data, searcher and store.
- When a run ends, its idle workers stay here, and the next run with local workers
  in the same process (a notebook's next cell) takes them instead of starting new
  ones. Each run sends its own objective; a worker drops the previous run's
  objective and data (and clears the Keras session) as soon as it becomes idle.
- A worker is reused only by a run with the same Python, the same environment
  variables and the same thread count; one whose imported code changed on disk
  since it started (the user's own module edited, a package upgraded) is replaced;
  one that died while idle is replaced.
- Idle workers are stopped after ``IDLE_TIMEOUT`` seconds (300), at interpreter
  exit, and by ``keras_hpo.shutdown_workers()``. Busy workers belong to their run:
  a trial past its time limit or a run ended by an error or Ctrl-C kills them.
- Workers die with the driver as before (``PR_SET_PDEATHSIG`` and a watchdog, see
  ``keras_hpo._worker``); only the thread that runs ``tune`` starts them, because
  Linux ties ``PR_SET_PDEATHSIG`` to the thread that started the child.
"""

from __future__ import annotations

import atexit
import inspect
import multiprocessing
import os
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from typing import Any

__all__ = ["IDLE_TIMEOUT", "Worker", "POOL", "shutdown_workers", "preload_for"]

#: seconds an idle worker waits for the next run before it is stopped
IDLE_TIMEOUT = 300.0

#: heavy modules a worker imports before its objective arrives when the run will use them
_HEAVY = ("keras", "tensorflow", "torch", "jax")

_THREAD_VARS = ("OMP_NUM_THREADS", "TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS", "OPENBLAS_NUM_THREADS",
                "MKL_NUM_THREADS")


def preload_for(fn: Any, keras_run: bool) -> tuple[str, ...]:
    """The heavy modules a worker imports at its start: Keras for a Keras run, and those ``fn`` uses.

    ``fn`` uses a module when its code (or, one level down, the code of functions it
    calls from the same globals) names it, or names a function or class from it:
    ``keras.Sequential(...)`` in a notebook cell, ``from torch import nn``. Only what
    the run will import anyway is imported early: a worker that imports a module the
    objective does not need would only answer later (a wrong objective's error, a
    ``timeout=``) and hold more memory.
    """
    used = {"keras"} if keras_run else set()
    todo, seen = [(fn, 0)], set()
    while todo:
        obj, depth = todo.pop()
        if id(obj) in seen or depth > 2:
            continue
        seen.add(id(obj))
        for value in _names_used(obj):
            module = value.__name__ if inspect.ismodule(value) else getattr(value, "__module__", None)
            top = module.split(".")[0] if isinstance(module, str) else ""
            if isinstance(module, str) and module.startswith("keras_hpo.keras"):  # our model builders
                top = "keras"
            if top in _HEAVY:
                used.add(top)
            elif inspect.isfunction(value) or inspect.isclass(value) or callable(value):
                todo.append((value, depth + 1))
    return tuple(m for m in _HEAVY if m in used)


def _names_used(obj: Any) -> list[Any]:
    """The global values and closure cells the code of ``obj`` (a function, or a callable's ``__call__``) refers to."""
    if inspect.ismethod(obj):
        obj = obj.__func__
    if not inspect.isfunction(obj):
        call = inspect.getattr_static(type(obj), "__call__", None)  # a callable object: its class's __call__
        if inspect.isclass(obj) or not inspect.isfunction(call):
            return []
        obj = call
    values: list[Any] = []
    names = set(obj.__code__.co_names)
    for const in obj.__code__.co_consts:  # nested functions and comprehensions
        if inspect.iscode(const):
            names |= set(const.co_names)
    for name in names:
        if name in obj.__globals__:
            values.append(obj.__globals__[name])
    for cell in obj.__closure__ or ():
        try:
            values.append(cell.cell_contents)
        except ValueError:  # an empty cell
            pass
    return values


def _key(threads: int) -> tuple:
    """What a reused worker must share with the run that takes it."""
    from .quiet import _default_log_level

    _default_log_level()  # TF_CPP_MIN_LOG_LEVEL, set before the first worker starts so the key does not change
    return sys.executable, threads, tuple(sorted(os.environ.items()))


class Worker:
    """One worker process and the driver's end of its socket; ``ProcessExecutor`` drives its protocol."""

    def __init__(self, threads: int, modules: Sequence[str], key: tuple) -> None:
        from .quiet import _fd2_usable, relay_filtered

        here, child = multiprocessing.Pipe(duplex=True)
        package_root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        env = dict(os.environ, **{var: str(threads) for var in _THREAD_VARS})
        env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH")) if p)
        relay = _fd2_usable()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "keras_hpo._worker", str(child.fileno()), str(os.getpid())],
            pass_fds=[child.fileno()], env=env, stdin=subprocess.DEVNULL,
            stderr=subprocess.PIPE if relay else None)
        child.close()
        if relay:  # its stderr, TensorFlow's start-up noise dropped, to whatever fd 2 is when it writes
            relay_filtered(os.dup(self.proc.stderr.fileno()))
            self.proc.stderr.close()
        self.conn = here
        self.key = key
        self.ready = False  # answered this run's setup (an earlier run's answer may still be on its way)
        self.setup_sent = False  # this run's setup is on its way
        self.served = False  # waited in the pool for a later run (not started for the run that has it)
        self.task: Any = None
        self.tasks_done = 0
        self.idle_since = 0.0
        self._sending: threading.Thread | None = None
        self.send(("prepare", list(sys.path), list(modules)))

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def send(self, message: Any) -> None:
        try:
            self.conn.send(message)
        except OSError:
            pass  # it died; the driver reads the reason from its exit

    def send_setup(self, run: int, shared: dict[str, bytes]) -> None:
        """Send run ``run``'s objective without blocking the driver (a worker still importing reads it later)."""
        self.setup_sent, self.ready = True, False
        message = ("setup", run, list(sys.path), list(sys.argv), os.getcwd(), shared)
        self._sending = threading.Thread(target=self.send, args=(message,), name="keras_hpo-setup", daemon=True)
        self._sending.start()

    def quiet_line(self) -> bool:
        """True when no message is half-written on the socket (another may be sent)."""
        return self._sending is None or not self._sending.is_alive()

    def stop(self) -> None:
        """Ask it to exit (it finishes by itself); the pool reaps it."""
        if self.quiet_line():
            self.send(("stop",))
        else:
            self.proc.kill()
        self.conn.close()

    def kill(self) -> int | None:
        try:
            self.proc.kill()
        except OSError:
            pass
        self.conn.close()
        try:
            return self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            return None


class Pool:
    """Idle workers between runs, the reaper that stops them after ``IDLE_TIMEOUT``, and the exits to reap."""

    def __init__(self) -> None:
        self._lock = threading.Condition()
        self._idle: list[Worker] = []
        self._exiting: list[Worker] = []
        self._reaper: threading.Thread | None = None

    def take(self, n: int, threads: int, modules: Sequence[str]) -> list[Worker]:
        """``n`` workers for a run: idle ones started alike first, new ones (starting now) for the rest."""
        key = _key(threads)
        with self._lock:
            fits = [w for w in self._idle if w.key == key and w.alive()]
            others = [w for w in self._idle if w not in fits]
            taken, self._idle = fits[:n], fits[n:]
        for worker in others:  # another environment, thread count or Python: not used again
            self.retire(worker)
        for worker in taken:  # from the pool: one that died while it waited is replaced, not reported
            worker.ready, worker.setup_sent, worker.task, worker.served = False, False, None, True
        return taken + [Worker(threads, modules, key) for _ in range(n - len(taken))]

    def spawn(self, threads: int, modules: Sequence[str]) -> Worker:
        """A new worker (to replace one that died, timed out or was recycled)."""
        return Worker(threads, modules, _key(threads))

    def give_back(self, workers: Sequence[Worker]) -> None:
        """Keep idle workers for the next run; each forgets this run's objective once it has it."""
        now = time.monotonic()
        for worker in workers:
            if worker.setup_sent:
                worker.send(("idle",))
                worker.served = True
            worker.idle_since = now
        with self._lock:
            self._idle.extend(workers)
            self._start_reaper()
            self._lock.notify_all()

    def retire(self, worker: Worker) -> None:
        """Stop a worker (it exits by itself) and reap it later."""
        worker.stop()
        with self._lock:
            self._exiting.append(worker)
            self._start_reaper()
            self._lock.notify_all()

    def idle_pids(self) -> list[int]:
        with self._lock:
            return [w.pid for w in self._idle]

    def shutdown(self, at_exit: bool = False) -> int:
        """Stop every idle worker; returns how many. At interpreter exit nobody waits for them (nor can a thread start)."""
        with self._lock:
            idle, self._idle = self._idle, []
        for worker in idle:
            worker.stop()
        with self._lock:
            self._exiting.extend(idle)
            if not at_exit and self._exiting:
                self._start_reaper()
                self._lock.notify_all()
        return len(idle)

    def _start_reaper(self) -> None:
        if self._reaper is None or not self._reaper.is_alive():
            self._reaper = threading.Thread(target=self._reap, name="keras_hpo-pool", daemon=True)
            self._reaper.start()

    def _reap(self) -> None:
        """Stop workers idle for ``IDLE_TIMEOUT``; collect the exit status of stopped ones (no zombies)."""
        while True:
            with self._lock:
                now = time.monotonic()
                expired = [w for w in self._idle if now - w.idle_since >= IDLE_TIMEOUT]
                self._idle = [w for w in self._idle if w not in expired]
                self._exiting = [w for w in self._exiting if w.proc.poll() is None]
                wakes = [w.idle_since + IDLE_TIMEOUT - now for w in self._idle]
                if self._exiting:
                    wakes.append(0.2)
                if not expired and not wakes:
                    self._reaper = None
                    return
            for worker in expired:
                worker.stop()
            with self._lock:
                self._exiting.extend(expired)
                if not expired:
                    self._lock.wait(timeout=max(0.01, min(wakes)))

    def _after_fork(self) -> None:
        """In a forked child: the workers are the parent's; forget them without touching them."""
        self._lock = threading.Condition()
        self._idle, self._exiting, self._reaper = [], [], None


POOL = Pool()


def shutdown_workers() -> int:
    """Stop the idle worker processes that ``tune(n_jobs=...)`` keeps warm for the next run; returns how many.

    They also stop by themselves after ``IDLE_TIMEOUT`` seconds (300) without a run,
    and when this interpreter exits. Running trials are not touched.
    """
    return POOL.shutdown()


atexit.register(POOL.shutdown, at_exit=True)
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=POOL._after_fork)
