"""Keras trials on worker processes and on a Dask cluster whose workers do not share the driver's disk."""

from __future__ import annotations

import logging
import os
import tempfile

import pytest

import keras_hpo as kh
from keras_hpo.testing.doubles import StopsOddTrials

FAST = {"epochs": 2, "batch_size": 64}

pytestmark = pytest.mark.keras


@pytest.mark.slow
def test_reports_from_keras_workers_stop_trials_early(digits):
    searcher = StopsOddTrials(at_step=2)
    result = kh.tune(kh.keras.mlp(64, 10), {"units": [4, 8], "epochs": 6, "batch_size": 64}, data=digits,
                     metric="val_accuracy", method=searcher, max_trials=4, n_jobs=2, seed=0, progress=False)
    assert [t.state for t in result.records] == [kh.TrialState.COMPLETE, kh.TrialState.PRUNED] * 2
    assert [t.metrics["epochs_trained"] for t in result.records] == [6, 2, 6, 2]
    assert sorted((n, s) for n, s, _ in searcher.reports) == sorted(
        (n, s) for n in range(4) for s in range(1, 7 if n % 2 == 0 else 3))


@pytest.fixture(scope="module")
def separate_client(tmp_path_factory):
    """A LocalCluster of two worker processes, each with its own temporary folder (as on separate machines)."""
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    client = distributed.Client(cluster)
    folders = {}
    for address in client.nthreads():
        folder = str(tmp_path_factory.mktemp("worker"))
        folders[address] = folder
        client.run(lambda f=folder: setattr(tempfile, "tempdir", f), workers=[address])
    yield client, folders
    client.close()
    cluster.close()


@pytest.mark.slow
def test_best_model_on_a_cluster_without_a_shared_disk_needs_no_retraining(separate_client, digits, tmp_path, caplog):
    client, folders = separate_client
    db = str(tmp_path / "d.db")
    result = kh.tune(kh.keras.mlp(64, 10), {"units": [4, 8, 16, 32], **FAST}, data=digits,
                     metric="val_accuracy", max_trials=4, executor=client, storage=db, study="s", seed=0, progress=False)
    assert [t.state.value for t in result.records] == ["COMPLETE"] * 4
    worked_in = {f for f in folders.values() if any(name.startswith("keras_hpo-") for name in os.listdir(f))}
    assert len(worked_in) >= 1  # the workers wrote in their own folders, which the driver never reads
    kept = os.listdir(f"{db}.artifacts/s")
    assert "best.json" in kept and any(name.startswith("best-seed-") for name in kept)
    with caplog.at_level(logging.INFO, logger="keras_hpo"):
        model = result.best_model()
    assert "retraining" not in caplog.text
    _, accuracy = model.evaluate(digits[0][240:], digits[1][240:], verbose=0)
    assert accuracy == pytest.approx(result.best_value, abs=1e-6)


@pytest.mark.slow
def test_bandit_rungs_continue_from_weights_across_workers(separate_client, digits):
    client, _ = separate_client
    sh = kh.searchers.get("successive_halving", min_budget=1, max_budget=4)
    result = kh.tune(kh.keras.mlp(64, 10), {"units": [4, 8, 16, 32], "batch_size": 64}, data=digits,
                     metric="val_accuracy", method=sh, max_trials=7, executor=client, seed=0, progress=False)
    by_number = {t.number: t for t in result.records}
    continued = [t for t in result.records if t.resume_from is not None]
    assert continued
    for trial in continued:  # the earlier epochs' history came with the weights: it was continued, not restarted
        parent = by_number[trial.resume_from]
        assert trial.curve[: len(parent.curve)] == parent.curve
        assert len(trial.curve) == int(trial.budget)


@pytest.mark.slow
def test_serial_keras_training_is_interrupted_by_trial_timeout(digits):
    start = __import__("time").monotonic()
    manual = kh.searchers.get("manual", trials=[{"units": 8, "epochs": 1}, {"units": 8, "epochs": 10000}])
    result = kh.tune(kh.keras.mlp(64, 10), {"units": [8], "epochs": kh.Int(1, 10000), "batch_size": 16}, data=digits,
                     metric="val_accuracy", method=manual, trial_timeout=15, seed=0, progress=False)
    long = result.records[1]
    assert long.state is kh.TrialState.FAILED and long.error.startswith("trial_timeout:")
    assert __import__("time").monotonic() - start < 90
