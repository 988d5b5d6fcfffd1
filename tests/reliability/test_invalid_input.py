"""Invalid spaces and options: a clear error before any trial, and nothing written.

Figure (docs/reliability.md): 0 objective calls and 0 studies created over all the
invalid cases below.
"""

import os
import sqlite3

import pytest

import keras_hpo as kh

GOOD = {"x": kh.Float(0, 1)}
CASES = [
    ("empty choice", {"space": {"a": []}}),
    ("low >= high", {"space": {"x": kh.Float(1, 0)}}),
    ("log with low <= 0", {"space": {"x": kh.Float(0, 1, log=True)}}),
    ("step not dividing", {"space": {"x": kh.Float(0, 1, step=0.3)}}),
    ("condition on unknown", {"space": {"x": kh.Float(0, 1, when={"nope": [1]})}}),
    ("cycle of conditions", {"space": {"a": kh.Choice([1, 2], when={"b": [1]}), "b": kh.Choice([1, 2], when={"a": [1]})}}),
    ("duplicate choice", {"space": {"a": [1, 1]}}),
    ("not a space", {"space": [1, 2, 3]}),
    ("continuous without max_trials", {"max_trials": None}),
    ("grid on a continuous space", {"method": "grid"}),
    ("unknown method", {"method": "nope"}),
    ("negative max_trials", {"max_trials": -1}),
    ("bad direction", {"direction": "up"}),
    ("bad seed", {"seed": -3}),
    ("bad study name", {"study": "../escape"}),
    ("bad n_jobs", {"n_jobs": 0}),
    ("bad genetic option", {"method": kh.searchers.get("genetic", population=0)}),
    ("manual point outside", {"method": kh.searchers.get("manual", trials=[{"x": 5.0}])}),
]


@pytest.mark.parametrize("what, change", CASES, ids=[c[0] for c in CASES])
def test_invalid_input_fails_before_any_trial_and_writes_nothing(tmp_path, what, change):
    calls = []
    options = {"space": GOOD, "max_trials": 3, "storage": str(tmp_path / "i.db"), "study": "s", "progress": False,
               **change}
    space = options.pop("space")
    with pytest.raises((ValueError, TypeError)):
        kh.tune(lambda p: calls.append(p) or 0.0, space, **options)
    assert calls == []
    db = tmp_path / "i.db"
    if db.exists():
        with sqlite3.connect(db) as con:
            assert con.execute("SELECT COUNT(*) FROM studies").fetchone()[0] == 0
    assert [p for p in os.listdir(tmp_path) if "artifacts" in p] == []
