"""The warm pool of local workers: a second ``tune(n_jobs=2)`` in one process reuses them, and nothing lingers.

Each test starts from an empty pool (``kh.shutdown_workers()``) and reads worker
pids from the trials themselves and from ``/proc``, the way a user would check.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
import types
from pathlib import Path

import pytest
from processes import alive as _alive

import keras_hpo as kh
from keras_hpo import _pool
from keras_hpo._pool import preload_for

ROOT = Path(__file__).resolve().parents[1]
SPACE = {"x": kh.Float(0, 1)}

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")


def _pid(params):
    from keras_hpo import execution

    time.sleep(0.1)
    return {"value": params["x"], "pid": os.getpid(), "objectives": len(execution._SHARED)}


def _run(fn=_pid, seed=0, trials=6, **options):
    return kh.tune(fn, SPACE, method="random", max_trials=trials, n_jobs=2, metric="value", seed=seed,
                   progress=False, **options)


def _pids(result) -> set[int]:
    return {t.metrics["pid"] for t in result.records}


def _workers_of(pid: int) -> set[int]:
    """Living ``keras_hpo._worker`` processes whose parent is ``pid``."""
    found = set()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid and b"keras_hpo._worker" in cmdline and _alive(int(entry)):
            found.add(int(entry))
    return found


def _gone(pids, seconds=10.0) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end and any(_alive(p) for p in pids):
        time.sleep(0.05)
    return not any(_alive(p) for p in pids)


@pytest.fixture(autouse=True)
def _empty_pool():
    def empty():
        pids = _pool.POOL.idle_pids()
        kh.shutdown_workers()
        assert _gone(pids)

    empty()
    yield
    empty()


def test_a_second_run_reuses_the_warm_workers_and_starts_no_process():
    first = _run(seed=0)
    warm = set(_pool.POOL.idle_pids())  # kept after the run
    assert len(first.completed) == 6 and len(warm) == 2 and _pids(first) <= warm
    assert _workers_of(os.getpid()) == warm
    started = time.monotonic()
    second = _run(seed=1)
    assert time.monotonic() - started < 5
    assert _pids(second) == warm  # the same two processes ran the second run's trials
    assert _workers_of(os.getpid()) == warm  # and no other worker was started
    # each run's trials see that run's objective only
    assert {t.metrics["objectives"] for t in first.records + second.records} == {1}


def test_a_reused_run_finds_what_a_fresh_one_finds():
    _run(seed=0)
    warm = _run(seed=5)
    kh.shutdown_workers()
    fresh = _run(seed=5)
    assert _pids(warm).isdisjoint(_pids(fresh))
    assert [t.params for t in warm.records] == [t.params for t in fresh.records]
    assert warm.best_value == fresh.best_value


def test_idle_workers_stop_after_the_idle_timeout(monkeypatch):
    monkeypatch.setattr(_pool, "IDLE_TIMEOUT", 1.0)
    _run()
    pids = _pool.POOL.idle_pids()
    assert len(pids) == 2
    assert _gone(pids, seconds=10)
    assert _pool.POOL.idle_pids() == []
    assert _workers_of(os.getpid()) == set()  # stopped and reaped: not even a zombie is left


def test_shutdown_workers_stops_the_idle_workers():
    _run()
    pids = _pool.POOL.idle_pids()
    assert kh.shutdown_workers() == 2
    assert _gone(pids, seconds=10)
    assert kh.shutdown_workers() == 0
    assert len(_run(seed=3).completed) == 6  # and the next run starts new ones


def test_a_warm_worker_killed_while_idle_is_replaced():
    _run()
    pids = set(_pool.POOL.idle_pids())
    victim = min(pids)
    os.kill(victim, signal.SIGKILL)
    assert _gone([victim])
    second = _run(seed=1)
    assert len(second.completed) == 6
    now = set(_pool.POOL.idle_pids())
    assert victim not in now and len(now) == 2 and (pids - {victim}) <= now and _pids(second) <= now


def _dies_above(params):
    if params["x"] > 0.9:
        os.kill(os.getpid(), signal.SIGKILL)
    return {"value": params["x"], "pid": os.getpid()}


def test_a_warm_worker_killed_by_its_trial_is_replaced():
    _run()
    pids = _pool.POOL.idle_pids()
    trials = [{"x": 0.95}, {"x": 0.1}, {"x": 0.2}, {"x": 0.3}]
    result = kh.tune(_dies_above, SPACE, method=kh.searchers.get("manual", trials=trials), n_jobs=2, metric="value",
                     seed=0, progress=False)
    died = next(t for t in result.records if t.params["x"] == 0.95)
    assert died.state is kh.TrialState.FAILED and "killed by SIGKILL" in died.error
    assert len(result.completed) == 3
    assert not all(_alive(p) for p in pids)
    assert len(_pool.POOL.idle_pids()) == 2


def test_a_run_with_other_environment_variables_starts_new_workers(monkeypatch):
    _run()
    pids = _pool.POOL.idle_pids()
    monkeypatch.setenv("KERAS_HPO_TEST_SETTING", "changed")  # e.g. KERAS_BACKEND or CUDA_VISIBLE_DEVICES
    second = _run(seed=1)
    assert _pids(second).isdisjoint(pids) and set(_pool.POOL.idle_pids()).isdisjoint(pids)
    assert _gone(pids)  # the old ones are not kept


def test_a_warm_worker_whose_module_changed_on_disk_is_replaced(tmp_path, monkeypatch):
    module = tmp_path / "kh_pool_objective.py"
    module.write_text("import os\ndef objective(p):\n    return {'value': 1.0, 'pid': os.getpid()}\n")
    old = time.time() - 3600
    os.utime(module, (old, old))
    monkeypatch.syspath_prepend(str(tmp_path))
    import kh_pool_objective

    first = kh.tune(kh_pool_objective.objective, SPACE, max_trials=4, n_jobs=2, metric="value", seed=0, progress=False)
    assert first.best_value == 1.0
    warm = set(_pool.POOL.idle_pids())
    module.write_text("import os\ndef objective(p):\n    return {'value': 2.0, 'pid': os.getpid()}\n")
    second = kh.tune(kh_pool_objective.objective, SPACE, max_trials=4, n_jobs=2, metric="value", seed=0,
                     progress=False)
    assert second.best_value == 2.0  # the edited code ran, not the copy a warm worker had imported
    ran_old_code = _pids(first)  # (a worker still starting when the file changed imported the new code: it may stay)
    assert _pids(second).isdisjoint(ran_old_code) and set(_pool.POOL.idle_pids()).isdisjoint(ran_old_code)
    assert ran_old_code <= warm
    sys.modules.pop("kh_pool_objective", None)


def test_a_failed_check_leaves_no_worker_and_costs_little():
    started = time.monotonic()
    with pytest.raises(ValueError, match="max_trials"):
        kh.tune(_pid, SPACE, n_jobs=2, progress=False)  # continuous space, no limit: refused before any trial
    assert time.monotonic() - started < 2
    assert _workers_of(os.getpid()) == set() and _pool.POOL.idle_pids() == []


def test_a_failed_check_keeps_the_warm_workers_it_did_not_use():
    _run()
    pids = set(_pool.POOL.idle_pids())
    with pytest.raises(ValueError, match="max_trials"):
        kh.tune(_pid, SPACE, n_jobs=2, progress=False)
    assert set(_pool.POOL.idle_pids()) == pids and all(_alive(p) for p in pids)


torch = types.ModuleType("torch")  # stands for a heavy library the objective uses


def _uses_torch(params):
    return float(torch.tensor(params["x"]))


def _calls_a_helper_that_uses_torch(params):
    return _uses_torch(params)


def test_workers_preload_only_the_heavy_modules_the_objective_uses():
    assert preload_for(_uses_torch, keras_run=False) == ("torch",)
    assert preload_for(_calls_a_helper_that_uses_torch, keras_run=False) == ("torch",)
    assert preload_for(lambda p: p["x"], keras_run=False) == ()
    assert preload_for(_pid, keras_run=True) == ("keras",)  # a Keras run (data=) imports Keras anyway


DRIVER = """
    import os, sys, time
    import keras_hpo as kh

    def objective(params):
        return {"value": params["x"], "pid": os.getpid()}

    for seed in (0, 1):
        result = kh.tune(objective, {"x": kh.Float(0, 1)}, max_trials=4, n_jobs=2, metric="value", seed=seed,
                         progress=False)
    from keras_hpo._pool import POOL

    print(" ".join(str(p) for p in POOL.idle_pids()), flush=True)
    time.sleep(3600)  # the warm pool waits for a next run
"""


def test_sigkill_of_a_driver_with_a_warm_pool_leaves_no_process(tmp_path):
    script = tmp_path / "driver.py"
    script.write_text(textwrap.dedent(DRIVER))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    driver = subprocess.Popen([sys.executable, str(script)], env=env, stdout=subprocess.PIPE, text=True)
    try:
        pids = [int(p) for p in driver.stdout.readline().split()]
        assert len(pids) == 2 and all(_alive(p) for p in pids)
        driver.send_signal(signal.SIGKILL)
        driver.wait()
        assert _gone(pids, seconds=10)
    finally:
        if driver.poll() is None:
            driver.kill()


def test_a_script_exits_promptly_with_warm_workers(tmp_path):
    script = tmp_path / "driver.py"
    script.write_text(textwrap.dedent(DRIVER.replace("time.sleep(3600)", "")))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    out = subprocess.run([sys.executable, str(script)], env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    pids = [int(p) for p in out.stdout.split()]
    assert _gone(pids, seconds=10)


def test_an_unused_warm_worker_that_died_is_replaced(tmp_path):
    db = str(tmp_path / "done.db")
    kh.tune(_pid, SPACE, max_trials=2, metric="value", storage=db, study="s", seed=0, progress=False)  # serial
    kh.tune(_pid, SPACE, max_trials=2, n_jobs=2, metric="value", storage=db, study="s", resume=True,
            progress=False)  # nothing left to run: its two workers go to the pool without an objective
    pids = _pool.POOL.idle_pids()
    assert len(pids) == 2
    os.kill(pids[0], signal.SIGKILL)
    assert _gone(pids[:1])
    assert len(_run(seed=2).completed) == 6  # replaced (a death after the check at take() is covered in _lost)
