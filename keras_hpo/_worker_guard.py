"""A worker process ends when its driver dies, instead of waiting forever on a queue nobody will write to.

A ``ProcessPoolExecutor`` worker holds both ends of its task queue, so a driver
killed with SIGKILL (or by the out-of-memory killer) never gives it an end-of-file:
without this it would live on, an orphan holding memory and maybe a GPU. A daemon
thread waits on the parent's sentinel (readable once the parent has exited) and
ends the worker at once.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.connection
import os
import threading

__all__ = ["exit_with_parent"]


def exit_with_parent() -> None:
    """In a worker process: end it as soon as the process that started it is gone."""
    parent = multiprocessing.parent_process()
    if parent is None or getattr(parent, "sentinel", None) is None:
        return

    def watch() -> None:
        multiprocessing.connection.wait([parent.sentinel])
        os._exit(70)  # no cleanup: the driver is gone and nobody waits for this worker's results

    threading.Thread(target=watch, name="keras_hpo-exit-with-parent", daemon=True).start()
