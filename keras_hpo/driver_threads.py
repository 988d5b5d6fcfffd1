"""One BLAS thread for the driver while local worker processes train.

With ``n_jobs`` workers on as many cores, the driver's own numerical work (the
searcher's Gaussian process, CMA-ES's algebra) runs on the critical path of every
trial and competes with the workers for the CPU. On the small matrices of a
search method a multithreaded BLAS buys little speed and costs extra CPU time
(OpenBLAS's threads spin while they wait): 30 suggestions of ``method="auto"``
took 4.1 s of CPU with the default threads against 1.7 s with one, at the same
wall time. So while workers run, the driver keeps to one thread; serial runs,
whose trials run in the driver itself, are left as they are.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from types import ModuleType

#: set in ``os.environ`` by threadpoolctl's import (an Intel OpenMP workaround)
_SET_BY_IMPORT = "KMP_DUPLICATE_LIB_OK"


def _import_threadpoolctl() -> ModuleType:
    """``threadpoolctl``, imported without leaving a change in ``os.environ``.

    The warm worker pool reuses workers only for runs with the same environment,
    so a variable that appears in the middle of a run would make the next run
    start new workers.
    """
    before = os.environ.get(_SET_BY_IMPORT)
    try:
        import threadpoolctl
    finally:
        if before is None:
            os.environ.pop(_SET_BY_IMPORT, None)
        else:
            os.environ[_SET_BY_IMPORT] = before
    return threadpoolctl


@contextlib.contextmanager
def one_blas_thread(active: bool = True) -> Iterator[None]:
    """Inside, BLAS libraries loaded in this process use one thread (``threadpoolctl``); a no-op if not ``active``."""
    if not active:
        yield
        return
    try:
        threadpool_limits = _import_threadpoolctl().threadpool_limits
    except ImportError:  # only an optimisation: without threadpoolctl the driver keeps BLAS's default threads
        yield
        return
    with threadpool_limits(limits=1, user_api="blas"):
        yield
