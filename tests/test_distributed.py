"""Trials on a real Dask cluster that the test starts (two worker processes on this machine)."""

import os

import pytest

import keras_hpo as kh

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
