"""While local workers train, the driver's BLAS keeps to one thread; serial runs keep BLAS's own threads."""

import numpy as np  # noqa: F401  (loads the BLAS that threadpoolctl reports on)
import pytest

import keras_hpo as kh

threadpoolctl = pytest.importorskip("threadpoolctl")


def _blas_threads() -> int:
    return max(info["num_threads"] for info in threadpoolctl.threadpool_info() if info["user_api"] == "blas")


def _threads_seen_by_callbacks(n_jobs: int) -> set[int]:
    seen = set()
    kh.tune(lambda p: p["x"] ** 2, {"x": kh.Float(-1, 1)}, method="random", max_trials=4, n_jobs=n_jobs, seed=0,
            progress=False, callbacks=[lambda result, trial: seen.add(_blas_threads())])
    return seen


def test_the_driver_uses_one_blas_thread_only_while_workers_run():
    with threadpoolctl.threadpool_limits(limits=2, user_api="blas"):  # as on a 2-core machine, whatever this one has
        assert _blas_threads() == 2
        assert _threads_seen_by_callbacks(n_jobs=2) == {1}
        assert _blas_threads() == 2  # restored after the run
        assert _threads_seen_by_callbacks(n_jobs=1) == {2}
