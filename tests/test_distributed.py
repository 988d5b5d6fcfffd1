"""Trials on a real Dask cluster that the test starts (two worker processes on this machine)."""

import os

import pytest

import keras_hpo as kh
from keras_hpo.testing.doubles import LoadsOnlyInTheDriver, StopsOddTrials

distributed = pytest.importorskip("distributed")


def where_am_i(params):
    return {"loss": (params["x"] - 0.4) ** 2, "pid": os.getpid()}


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    client = distributed.Client(cluster)
    yield client
    client.close()
    cluster.close()


@pytest.mark.slow
def test_trials_run_on_the_cluster_workers(client, tmp_path):
    db = str(tmp_path / "dask.db")
    result = kh.tune(where_am_i, {"x": kh.Float(0, 1)}, metric="loss", max_trials=10, executor=client,
                     storage=db, seed=0, progress=False)
    assert sorted(t.number for t in result.records) == list(range(10))
    assert all(t.state is kh.TrialState.COMPLETE for t in result.records)
    pids = {t.metrics["pid"] for t in result.records}
    worker_pids = set(client.run(os.getpid).values())
    assert pids <= worker_pids and os.getpid() not in pids
    assert len(pids) == 2  # both workers took trials
    assert kh.load(db).best_value == result.best_value


def fails_sometimes(params):
    if params["x"] > 0.5:
        raise RuntimeError("remote failure")
    return params["x"]


@pytest.mark.slow
def test_remote_failures_are_recorded(client):
    result = kh.tune(fails_sometimes, {"x": kh.Float(0, 1)}, max_trials=12, executor=client, seed=1, progress=False)
    failed = [t for t in result.records if t.state is kh.TrialState.FAILED]
    assert failed and all("remote failure" in t.error for t in failed)
    assert len(result.records) == 12


def test_bad_executor_is_rejected_before_any_trial():
    with pytest.raises(ValueError, match="scheduler address"):
        kh.tune(where_am_i, {"x": kh.Float(0, 1)}, metric="loss", max_trials=2, executor="localhost:8786", progress=False)
    with pytest.raises(TypeError, match="submit/wait/close/n_workers"):
        kh.tune(where_am_i, {"x": kh.Float(0, 1)}, metric="loss", max_trials=2, executor=object(), progress=False)


@pytest.mark.slow
def test_lambdas_and_closures_run_on_the_cluster(client):
    centre = 0.4

    def closure(params):
        return (params["x"] - centre) ** 2

    for fn in (closure, lambda p: (p["x"] - centre) ** 2):
        serial = kh.tune(fn, {"x": kh.Float(0, 1)}, method="random", max_trials=6, seed=0, progress=False)
        remote = kh.tune(fn, {"x": kh.Float(0, 1)}, method="random", max_trials=6, executor=client, seed=0, progress=False)
        assert remote.best_value == serial.best_value


def _reports_steps(params, report):
    steps = 0
    for step in range(1, 20):
        steps = step
        if report(step, params["x"]) is kh.Decision.STOP:
            break
    return {"value": params["x"], "steps": steps, "pid": os.getpid()}


@pytest.mark.slow
def test_reports_from_dask_workers_stop_trials(client):
    searcher = StopsOddTrials(at_step=2)
    result = kh.tune(_reports_steps, {"x": kh.Float(0, 1)}, method=searcher, max_trials=4, executor=client,
                     metric="value", seed=0, progress=False)
    stopped = [t for t in result.records if t.number % 2]
    assert {t.metrics["steps"] for t in stopped} == {2} and {t.state for t in stopped} == {kh.TrialState.PRUNED}
    assert {t.metrics["steps"] for t in result.records if not t.number % 2} == {19}
    assert os.getpid() not in {t.metrics["pid"] for t in result.records}
    assert sorted((n, s) for n, s, _ in searcher.reports) == sorted(
        (n, s) for n in range(4) for s in range(1, 3 if n % 2 else 20))


def _hangs_above(params):
    import time

    if params["x"] > 0.5:
        time.sleep(3600)
    return params["x"]


@pytest.mark.slow
def test_a_hanging_trial_on_dask_is_failed_by_trial_timeout(client):
    trials = [{"x": 0.1}, {"x": 0.9}, {"x": 0.2}, {"x": 0.3}]
    result = kh.tune(_hangs_above, {"x": kh.Float(0, 1)}, method=kh.searchers.get("manual", trials=trials),
                     trial_timeout=2, executor=client, seed=0, progress=False)
    hung = next(t for t in result.records if t.params["x"] == 0.9)
    assert hung.state is kh.TrialState.FAILED and "trial_timeout" in hung.error
    assert result.best_value == 0.1
    assert sum(client.nthreads().values()) == 2  # the stuck worker was restarted, not lost


@pytest.mark.slow
def test_a_dask_worker_that_cannot_load_the_objective_raises_its_real_error(client):
    with pytest.raises(kh.WorkerError, match="only_on_my_laptop"):
        kh.tune(LoadsOnlyInTheDriver(), {"x": kh.Float(0, 1)}, max_trials=4, executor=client, seed=0, progress=False)
