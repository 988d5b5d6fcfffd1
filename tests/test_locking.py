"""One driver per study: the second gets StudyLocked and changes nothing; dead holders are taken over."""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import keras_hpo as kh
from keras_hpo.locking import StudyLock
from keras_hpo.storage import Store

ROOT = Path(__file__).resolve().parents[1]

DRIVER = """
    import sys, time
    import keras_hpo as kh

    def objective(params):
        time.sleep(0.2)
        return params["x"]

    result = kh.tune(objective, {"x": kh.Float(0, 1)}, max_trials=int(sys.argv[3]), storage=sys.argv[1],
                     study=sys.argv[2], seed=0, resume=True, progress=False)
    print("done", len(result.completed))
"""


def _env() -> dict:
    return dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]), TQDM_DISABLE="1")


def _rows(db: str) -> list:
    with sqlite3.connect(db) as conn:
        return (conn.execute("SELECT * FROM trials ORDER BY study, number").fetchall()
                + conn.execute("SELECT * FROM studies ORDER BY name").fetchall())


def _start(tmp_path: Path, db: str, study: str, trials: int) -> subprocess.Popen:
    script = tmp_path / "driver.py"
    script.write_text(textwrap.dedent(DRIVER))
    return subprocess.Popen([sys.executable, str(script), db, study, str(trials)], env=_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_for_trials(db: str, n: int, timeout: float = 60) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            with sqlite3.connect(db) as conn:
                if conn.execute("SELECT COUNT(*) FROM trials WHERE state = 'COMPLETE'").fetchone()[0] >= n:
                    return
        except sqlite3.OperationalError:
            pass
        time.sleep(0.1)
    raise AssertionError("the first driver wrote no trials")


@pytest.mark.slow
def test_a_second_driver_gets_study_locked_and_changes_nothing(tmp_path):
    db = str(tmp_path / "s.db")
    first = _start(tmp_path, db, "s", 30)
    try:
        _wait_for_trials(db, 2)
        first.send_signal(signal.SIGSTOP)  # hold the first driver still, so any change would be the second's
        time.sleep(0.3)
        before = _rows(db)
        with pytest.raises(kh.StudyLocked) as caught:
            kh.tune(lambda p: p["x"], {"x": kh.Float(0, 1)}, max_trials=30, storage=db, study="s", seed=0,
                    resume=True, progress=False)
        assert _rows(db) == before
        message = str(caught.value)
        assert f"pid {first.pid}" in message and socket.gethostname() in message and "started 20" in message
        assert caught.value.pid == first.pid
    finally:
        first.send_signal(signal.SIGCONT)
    out, err = first.communicate(timeout=120)
    assert first.returncode == 0, err
    assert "done 30" in out


@pytest.mark.slow
def test_drivers_started_together_one_runs_the_other_is_refused(tmp_path):
    db = str(tmp_path / "s.db")
    drivers = [_start(tmp_path, db, "s", 15) for _ in range(2)]
    outs = [d.communicate(timeout=120) for d in drivers]
    codes = sorted(d.returncode for d in drivers)
    assert codes[0] == 0 and codes[1] != 0
    assert sum("StudyLocked" in err for _, err in outs) == 1
    assert "IntegrityError" not in "".join(err for _, err in outs)
    assert len(kh.load(db, "s").completed) == 15


@pytest.mark.slow
def test_two_studies_in_one_file_run_at_the_same_time(tmp_path):
    db = str(tmp_path / "two.db")
    drivers = [_start(tmp_path, db, name, 15) for name in ("a", "b")]
    for driver in drivers:
        out, err = driver.communicate(timeout=120)
        assert driver.returncode == 0, err
        assert "done 15" in out
    assert {len(kh.load(db, s).completed) for s in ("a", "b")} == {15}


def test_a_lock_without_heartbeat_is_taken_over(tmp_path):
    db = str(tmp_path / "l.db")
    holder = StudyLock(db, "s", heartbeat=0.05).acquire()
    with pytest.raises(kh.StudyLocked):
        StudyLock(db, "s", stale_after=0.5).acquire()
    holder._stop.set()  # the holder hangs: no more heartbeats
    holder._thread.join()
    time.sleep(0.6)
    taker = StudyLock(db, "s", stale_after=0.5).acquire()
    assert taker.token != holder.token
    taker.release()
    holder.release()  # releasing a lock it lost deletes nothing of the new holder's


def test_the_lock_of_a_dead_process_on_this_machine_is_taken_over_at_once(tmp_path):
    db = str(tmp_path / "d.db")
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    pid = int(dead.stdout)
    Store(db).close()  # a store (the lock lives in the study's own file)
    StudyLock(db, "s").acquire()._stop.set()
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE study_locks SET pid = ?", (pid,))
    result = kh.tune(lambda p: p["x"], {"x": kh.Float(0, 1)}, max_trials=3, storage=db, study="s", seed=0,
                     resume=True, progress=False)
    assert len(result.completed) == 3


def test_a_study_in_memory_needs_no_lock():
    assert len(kh.tune(lambda p: p["x"], {"x": kh.Float(0, 1)}, max_trials=2, progress=False).completed) == 2
