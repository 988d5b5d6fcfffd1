"""A worker SIGKILLed in the middle of a trial, on each executor that has workers: no duplicate, the run goes on.

Figures (docs/reliability.md): on local processes (n_jobs=2) and on a Dask cluster
(2 worker processes), 2 of 8 trials kill their own worker; 0 duplicate points in the
store, the 2 recorded FAILED (naming the dead worker), the 6 others COMPLETE.
(The serial executor runs trials in the driver: killing it is the driver-kill case.)
"""

import json
import os
import signal

import pytest

import keras_hpo as kh

POINTS = [{"x": v} for v in (0.1, 0.95, 0.2, 0.3, 0.99, 0.4, 0.5, 0.6)]


def kills_its_worker(params):
    if params["x"] > 0.9:
        os.kill(os.getpid(), signal.SIGKILL)
    return params["x"]


def _figures(db):
    records = kh.load(db).records
    keys = [json.dumps(t.params, sort_keys=True) for t in records if t.state is kh.TrialState.COMPLETE]
    failed = [t for t in records if t.state is kh.TrialState.FAILED]
    return {"trials": len(records), "duplicates": len(keys) - len(set(keys)), "failed": len(failed),
            "complete": len(keys), "errors": [t.error for t in failed],
            "failed_points": sorted(t.params["x"] for t in failed)}


def _check(figures, died_words):
    assert figures["trials"] == 8 and figures["duplicates"] == 0
    assert figures["failed"] == 2 and figures["complete"] == 6
    assert figures["failed_points"] == [0.95, 0.99]
    assert all(any(w in e for w in died_words) for e in figures["errors"])


def test_worker_processes(tmp_path):
    db = str(tmp_path / "p.db")
    kh.tune(kills_its_worker, {"x": kh.Float(0, 1)}, method=kh.searchers.get("manual", trials=POINTS), n_jobs=2,
            storage=db, study="w", seed=0, progress=False)
    _check(_figures(db), ["worker process died"])


@pytest.mark.slow
def test_dask_workers(tmp_path):
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    client = distributed.Client(cluster)
    try:
        db = str(tmp_path / "d.db")
        kh.tune(kills_its_worker, {"x": kh.Float(0, 1)}, method=kh.searchers.get("manual", trials=POINTS),
                executor=client, storage=db, study="w", seed=0, progress=False)
        _check(_figures(db), ["KilledWorker", "worker", "died"])
    finally:
        client.close()
        cluster.close()
