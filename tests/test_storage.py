import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time

import pytest

import keras_hpo as kh
from keras_hpo.storage import Store

SPACE = {"x": kh.Float(0, 1), "kind": ["a", "b", "c"]}


def objective(params):
    return params["x"] + {"a": 0.0, "b": 0.5, "c": 1.0}[params["kind"]]


def test_store_is_plain_sqlite_with_json_columns(tmp_path):
    db = tmp_path / "run.db"
    kh.tune(objective, SPACE, max_trials=4, storage=str(db), study="s1", seed=0, progress=False)
    with sqlite3.connect(db) as con:
        rows = con.execute("SELECT number, state, params, value FROM trials ORDER BY number").fetchall()
        study = con.execute("SELECT space, method, direction, seed, searcher_state FROM studies").fetchone()
        mode = con.execute("PRAGMA journal_mode").fetchone()[0]
    assert [r[0] for r in rows] == [0, 1, 2, 3] and {r[1] for r in rows} == {"COMPLETE"}
    assert all(set(json.loads(r[2])) == {"x", "kind"} for r in rows)
    assert kh.Space.from_json(study[0]) == kh.Space(SPACE)
    assert study[1:4] == ("auto", "min", 0)  # the default method
    json.loads(study[4])  # the searcher state is JSON too
    assert mode == "wal"
    assert b"\x80\x04" not in db.read_bytes()  # no pickle protocol-4 frames anywhere


def test_load_gives_the_same_result_without_running(tmp_path):
    db = str(tmp_path / "run.db")
    ran = kh.tune(objective, SPACE, max_trials=6, storage=db, study="s", seed=1, progress=False)
    loaded = kh.load(db)
    assert loaded.best_params == ran.best_params and loaded.best_value == ran.best_value
    assert [t.params for t in loaded.records] == [t.params for t in ran.records]
    assert loaded.method == "auto" and loaded.seed == 1


def test_load_errors_name_the_study(tmp_path):
    db = str(tmp_path / "run.db")
    kh.tune(objective, SPACE, max_trials=2, storage=db, study="one", progress=False)
    kh.tune(objective, SPACE, max_trials=2, storage=db, study="two", progress=False)
    with pytest.raises(ValueError, match="holds 2 studies"):
        kh.load(db)
    with pytest.raises(ValueError, match="'three' is not in"):
        kh.load(db, "three")


def test_existing_study_needs_resume(tmp_path):
    db = str(tmp_path / "run.db")
    kh.tune(objective, SPACE, max_trials=2, storage=db, study="s", progress=False)
    with pytest.raises(kh.StudyExists, match="resume=True"):
        kh.tune(objective, SPACE, max_trials=2, storage=db, study="s", progress=False)


def test_a_rejected_run_leaves_no_study_behind(tmp_path):
    db = str(tmp_path / "run.db")
    with pytest.raises(ValueError, match="grid needs a finite space"):
        kh.tune(objective, SPACE, method="grid", storage=db, study="s", progress=False)
    with pytest.raises(ValueError, match="n_jobs"):
        kh.tune(objective, SPACE, max_trials=2, n_jobs=0, storage=db, study="s", progress=False)
    kh.tune(objective, SPACE, max_trials=2, storage=db, study="s", progress=False)  # the name is still free
    assert len(kh.load(db, "s").records) == 2


def test_resume_refuses_another_space_or_method(tmp_path):
    db = str(tmp_path / "run.db")
    kh.tune(objective, SPACE, max_trials=2, storage=db, study="s", progress=False)
    with pytest.raises(ValueError, match="another space"):
        kh.tune(objective, {**SPACE, "x": kh.Float(0, 2)}, max_trials=4, storage=db, study="s", resume=True, progress=False)
    with pytest.raises(ValueError, match="method="):
        kh.tune(objective, {"x": kh.Float(0, 1), "kind": ["a", "b", "c"]}, method=kh.searchers.get("manual", trials=[{"x": 0.1, "kind": "a"}]),
                storage=db, study="s", resume=True, progress=False)


def test_resume_continues_to_max_trials_and_keeps_what_was_done(tmp_path):
    db = str(tmp_path / "run.db")
    first = kh.tune(objective, SPACE, max_trials=5, storage=db, study="s", seed=2, progress=False)
    second = kh.tune(objective, SPACE, max_trials=12, storage=db, study="s", resume=True, progress=False)
    assert [t.number for t in second.records] == list(range(12))
    assert [t.to_dict() for t in second.records[:5]] == [t.to_dict() for t in first.records]
    keys = [kh.Space(SPACE).key(t.params) for t in second.records]
    assert len(set(keys)) == 12


def test_resumed_grid_does_not_repeat_points(tmp_path):
    db = str(tmp_path / "grid.db")
    space = {"a": [1, 2, 3], "b": [1, 2, 3]}
    kh.tune(lambda p: p["a"] + p["b"], space, method="grid", max_trials=4, storage=db, study="g", progress=False)
    result = kh.tune(lambda p: p["a"] + p["b"], space, method="grid", storage=db, study="g", resume=True, progress=False)
    pairs = [(t.params["a"], t.params["b"]) for t in result.records]
    assert len(pairs) == 9 and len(set(pairs)) == 9


def test_in_memory_store_round_trips_trials():
    store = Store(None)
    store.create_study("s", space=kh.Space(SPACE).to_json(), method="random", direction="min", metric=None, seed=0)
    trial = kh.Trial(number=0, params={"x": 0.5, "kind": "a"}, state=kh.TrialState.COMPLETE, value=0.5,
                     curve=[1.0, 0.7, 0.5], metrics={"acc": 0.9}, seed=7, started=1.0, finished=2.5)
    store.save("s", trial, {"rng": 1})
    assert store.trials("s") == [trial]
    assert store.study("s")["searcher_state"] == {"rng": 1}
    assert store.told_order("s") == [0]


# --- a real crash: SIGKILL at various moments, then resume ----------------------------

_SCRIPT = textwrap.dedent(
    """
    import sys, time, json
    import keras_hpo as kh

    def objective(params):
        time.sleep(0.03)
        with open(sys.argv[2], "a") as log:
            log.write(json.dumps(params) + "\\n")
        return (params["x"] - 0.3) ** 2 + (0.0 if params["kind"] == "a" else 0.2)

    step = 0.05 if sys.argv[3] == "grid" else None
    kh.tune(objective, {"x": kh.Float(0, 1, step=step), "kind": ["a", "b"]}, method=sys.argv[3], max_trials=30,
            storage=sys.argv[1], study="crash", resume=True, seed=5, progress=False)
    """
)


def _rows(db, state):
    if not os.path.exists(db):
        return []
    try:
        with sqlite3.connect(db, timeout=5) as con:
            return con.execute("SELECT number, params, value FROM trials WHERE state = ? ORDER BY number", (state,)).fetchall()
    except sqlite3.OperationalError:
        return []


def _completed(db):
    return _rows(db, "COMPLETE")


@pytest.mark.slow
@pytest.mark.parametrize("method", ["random", "grid"])
@pytest.mark.parametrize("kill_after", [0, 3, 11])
def test_sigkill_then_resume_loses_nothing_and_duplicates_nothing(tmp_path, kill_after, method):
    script, db, log = tmp_path / "run.py", str(tmp_path / "crash.db"), str(tmp_path / "calls.log")
    script.write_text(_SCRIPT)
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    proc = subprocess.Popen([sys.executable, str(script), db, log, method], env=env)
    deadline = time.monotonic() + 60
    while len(_completed(db)) < kill_after and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    before, running = _completed(db), _rows(db, "RUNNING")
    assert len(before) < 30, "the run finished before it could be killed"

    subprocess.run([sys.executable, str(script), db, log, method], env=env, check=True, timeout=120)
    result = kh.load(db, "crash")
    assert [t.number for t in result.records] == list(range(30))
    assert all(t.state is kh.TrialState.COMPLETE for t in result.records)
    after = {row[0]: row for row in _completed(db)}
    for row in before:  # every trial completed before the kill is still there, unchanged
        assert after[row[0]] == row
    for number, params, _ in running:  # a trial cut short is run again, as the same trial
        assert json.loads(after[number][1]) == json.loads(params)
    keys = [json.dumps(t.params, sort_keys=True) for t in result.records]
    assert len(set(keys)) == 30


class _TwoAtOnce:
    """An in-process executor that claims two workers, so the loop hands out batches of two."""

    n_workers = 2
    streams_reports = False

    def __init__(self):
        from keras_hpo.execution import SerialExecutor

        self._serial = SerialExecutor()

    def submit(self, fn, /, *args, **kwargs):
        return self._serial.submit(fn, *args, **kwargs)

    def wait(self, futures, timeout=None):
        return self._serial.wait(futures, timeout)

    def close(self):
        pass


@pytest.mark.parametrize("method", ["grid", "random", "successive_halving"])
def test_a_crash_while_a_parallel_batch_starts_loses_no_point(tmp_path, monkeypatch, method):
    db = str(tmp_path / "batch.db")
    space = {"a": [1, 2, 3, 4, 5, 6]}
    make = (lambda: kh.searchers.get("successive_halving", max_budget=2)) if method == "successive_halving" else (lambda: method)
    calls = {"n": 0}
    real_save = Store.save

    def crashing_save(self, study, trial, state=None):
        calls["n"] += 1
        if calls["n"] == 4:  # the second batch of RUNNING trials: start, finish, finish, start <- crash
            raise KeyboardInterrupt
        return real_save(self, study, trial, state)

    monkeypatch.setattr(Store, "save", crashing_save)
    with pytest.raises(KeyboardInterrupt):
        kh.tune(lambda p, budget=None: p["a"], space, method=make(), executor=_TwoAtOnce(), max_trials=6,
                storage=db, study="s", seed=0, progress=False)
    monkeypatch.setattr(Store, "save", real_save)
    result = kh.tune(lambda p, budget=None: p["a"], space, method=make(), executor=_TwoAtOnce(), max_trials=6,
                     storage=db, study="s", resume=True, progress=False)
    first_rung = sorted(t.params["a"] for t in result.records if t.resume_from is None)
    assert len(result.records) == 6
    if method != "successive_halving":
        assert first_rung == [1, 2, 3, 4, 5, 6]  # every point once: none lost in the crash
    else:
        assert len(set(first_rung)) == len(first_rung)


def test_load_of_a_missing_file_is_an_error_and_creates_nothing(tmp_path):
    path = tmp_path / "typo.db"
    with pytest.raises(FileNotFoundError, match="no such file"):
        kh.load(str(path))
    assert not path.exists()


def _open_store_at_once(path, barrier, answers):
    barrier.wait()
    try:
        Store(path).close()
        answers.put("ok")
    except Exception as exc:  # the answer is what the test checks
        answers.put(repr(exc))


def test_drivers_that_create_one_new_file_at_the_same_moment_all_open_it(tmp_path):
    """Two studies started together in one new file: SQLite refuses the WAL switch at once while another process
    writes the schema ("database is locked"), so opening waits for it instead of failing (it did, 10 of 80 here)."""
    import multiprocessing

    context = multiprocessing.get_context("fork")
    answers = []
    for attempt in range(10):
        barrier, queue = context.Barrier(4), context.Queue()
        openers = [context.Process(target=_open_store_at_once, args=(str(tmp_path / f"{attempt}.db"), barrier, queue))
                   for _ in range(4)]
        for process in openers:
            process.start()
        answers += [queue.get(timeout=60) for _ in openers]
        for process in openers:
            process.join()
    assert answers == ["ok"] * 40
