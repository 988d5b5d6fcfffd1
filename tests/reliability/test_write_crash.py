"""A crash inside a write: the store is never left unreadable, and the run resumes.

Figures (docs/reliability.md): SIGKILL inside the transaction (after the rows are
written, before COMMIT) leaves 0 unreadable stores and loses only the uncommitted
trial start; SIGKILL at random moments of a run that does nothing but write (a
trivial objective, so the driver is almost always inside SQLite) leaves 0
unreadable stores out of 20 kills (slow: 100), ``PRAGMA integrity_check`` ok each time.
"""

import os
import random
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time

import pytest
from harness import ENV, alive, rows

import keras_hpo as kh

KILL_IN_COMMIT = textwrap.dedent(
    """
    import os, signal, sys
    import keras_hpo as kh
    from keras_hpo import storage

    real_exit, count = storage._transaction.__exit__, {"n": 0}

    def dying_exit(self, exc_type, *rest):
        count["n"] += 1
        if count["n"] == int(sys.argv[2]) and exc_type is None:
            os.kill(os.getpid(), signal.SIGKILL)  # the rows are written, COMMIT is not
        return real_exit(self, exc_type, *rest)

    storage._transaction.__exit__ = dying_exit
    kh.tune(lambda p: p["x"], {"x": kh.Float(0, 1)}, max_trials=20, storage=sys.argv[1], study="w", seed=1,
            resume=True, progress=False)
    """
)

BUSY_WRITER = textwrap.dedent(
    """
    import sys
    import keras_hpo as kh
    kh.tune(lambda p: p["x"], {"x": kh.Float(0, 1), "k": ["a", "b"]}, max_trials=100000, storage=sys.argv[1],
            study="w", seed=1, resume=True, progress=False)
    """
)


def _readable(db):
    """(kh.load works, integrity_check says ok)."""
    try:
        kh.load(db, "w")
        loaded = True
    except Exception:
        loaded = False
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        ok = con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        con.close()
    return loaded, ok


@pytest.mark.parametrize("nth", [1, 2, 5, 6])
def test_sigkill_between_the_writes_and_commit(tmp_path, nth):
    db = str(tmp_path / "w.db")
    out = subprocess.run([sys.executable, "-c", KILL_IN_COMMIT, db, str(nth)], env=ENV)
    assert out.returncode == -signal.SIGKILL
    if nth > 1:  # transaction 1 creates the tables: killed there, there is no store yet to read
        assert _readable(db) == (True, True)
    committed = rows(db)
    assert len(committed) <= nth  # nothing after the cut-off transaction was written
    subprocess.run([sys.executable, "-c", KILL_IN_COMMIT, db, "0"], env=ENV, check=True)
    result = kh.load(db, "w")
    assert [t.number for t in result.records] == list(range(20))
    assert all(t.state is kh.TrialState.COMPLETE for t in result.records)


def _random_kills(tmp_path, kills, seed):
    rng = random.Random(seed)
    db = str(tmp_path / "busy.db")
    unreadable = 0
    for _ in range(kills):
        proc = subprocess.Popen([sys.executable, "-c", BUSY_WRITER, db], env=ENV)
        start = len(rows(db))
        deadline = time.monotonic() + 60
        while len(rows(db)) <= start and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.01)
        time.sleep(rng.uniform(0, 0.05))
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        unreadable += _readable(db) != (True, True)
    assert not alive(proc.pid)
    return unreadable, len(rows(db))


def test_random_kills_of_a_busy_writer_never_leave_an_unreadable_store(tmp_path):
    unreadable, written = _random_kills(tmp_path, kills=20, seed=0)
    assert unreadable == 0 and written > 20


@pytest.mark.slow
def test_a_hundred_random_kills(tmp_path):
    unreadable, written = _random_kills(tmp_path, kills=100, seed=1)
    print(f"\n100 kills of a busy writer: {unreadable} unreadable stores, {written} trials written")
    assert unreadable == 0
