"""A value an objective returns never aborts a run: converted to JSON where obvious, else that trial is FAILED."""

import datetime
import json
import pathlib
import sqlite3

import numpy as np
import pytest

import keras_hpo as kh
from keras_hpo.values import MAX_RECORD_BYTES

CONVERTED = [
    (np.array([0.5, 1.0]), [0.5, 1.0]),
    (np.float32(0.25), 0.25),
    (np.int64(3), 3),
    (np.bool_(True), True),
    ((1, 2), [1, 2]),
    ({"b", "a"}, ["a", "b"]),
    (frozenset({3, 1}), [1, 3]),
    (pathlib.Path("/data/x.csv"), "/data/x.csv"),
    (datetime.datetime(2024, 5, 1, 12, 30), "2024-05-01T12:30:00"),
    (datetime.date(2024, 5, 1), "2024-05-01"),
    ({"nested": (np.arange(2), {"k": np.float64("nan")})}, {"nested": [[0, 1], {"k": None}]}),
    ({1: "int keys"}, {"1": "int keys"}),
]
REFUSED = [
    (b"bytes", "bytes"),
    (object(), "object"),
    ({(1, 2): 3}, "tuple"),
    ({1, "a"}, "mixed"),
    (lambda: 0, "function"),
    (np.array([b"x"], dtype=object), "bytes"),
]


def _run(extra, db=None):
    def objective(p):
        return {"loss": p["x"], "extra": extra if p["x"] == 1 else 0}

    return kh.tune(objective, {"x": [0, 1, 2]}, method="grid", storage=db, study="v", progress=False)


@pytest.mark.parametrize("value, stored", CONVERTED)
def test_obvious_values_are_converted(tmp_path, value, stored):
    db = str(tmp_path / "v.db")
    result = _run(value, db)
    assert [t.state for t in result.records] == [kh.TrialState.COMPLETE] * 3
    assert kh.load(db).records[1].metrics["extra"] == stored


@pytest.mark.parametrize("value, kind", REFUSED)
def test_other_values_fail_their_trial_naming_key_and_type_and_the_run_goes_on(tmp_path, value, kind):
    db = str(tmp_path / "v.db")
    result = _run(value, db)
    states = [t.state for t in kh.load(db).records]
    assert states == [kh.TrialState.COMPLETE, kh.TrialState.FAILED, kh.TrialState.COMPLETE]  # none left RUNNING
    error = result.records[1].error
    assert "extra" in error and kind in error


def test_a_record_above_the_size_limit_fails_its_trial(tmp_path):
    db = str(tmp_path / "v.db")
    result = _run(list(range(MAX_RECORD_BYTES // 2)), db)
    assert result.records[1].state is kh.TrialState.FAILED and "limit" in result.records[1].error
    with sqlite3.connect(db) as con:
        biggest = con.execute("SELECT MAX(LENGTH(metrics) + LENGTH(params) + LENGTH(curve)) FROM trials").fetchone()[0]
    assert biggest < 1000


def test_huge_tracebacks_are_cut(tmp_path):
    def objective(p):
        raise RuntimeError("x" * 5_000_000)

    db = str(tmp_path / "v.db")
    with pytest.raises(kh.AllTrialsFailed):
        kh.tune(objective, {"x": [1]}, storage=db, study="v", progress=False)
    assert len(kh.load(db).records[0].error) < 30_000


def _numpy_metrics(p):
    return {"loss": p["x"], "per_class": np.array([p["x"], 1.0]), "s": {"b", "a"}}


def test_values_in_parallel_workers_are_converted_before_they_travel(tmp_path):
    result = kh.tune(_numpy_metrics, {"x": [0.0, 1.0]}, method="grid", n_jobs=2, progress=False)
    assert [t.metrics["per_class"] for t in result.records] == [[0.0, 1.0], [1.0, 1.0]]
    assert json.dumps(result.records[0].metrics)


def test_readme_states_the_size_limit_and_links_the_reliability_figures():
    readme = (pathlib.Path(__file__).resolve().parents[1] / "README.md").read_text()
    assert f"{MAX_RECORD_BYTES:,} bytes" in readme
    assert "(docs/reliability.md)" in readme
    assert (pathlib.Path(__file__).resolve().parents[1] / "docs" / "reliability.md").exists()
