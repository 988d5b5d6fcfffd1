"""Read means read: kh.load, keras-hpo show and plot never write; every bad file is an error naming it."""

import hashlib
import json
import os
import sqlite3
import subprocess
import sys

import pytest

import keras_hpo as kh
from keras_hpo.store_file import APPLICATION_ID, SCHEMA_VERSION


def _digest(path):
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


def _store(tmp_path, trials=3):
    db = str(tmp_path / "ours.db")
    kh.tune(lambda p: p["x"], {"x": kh.Float(0, 1)}, max_trials=trials, storage=db, study="s", seed=0, progress=False)
    return db


def _other_app(tmp_path):
    db = str(tmp_path / "theirs.db")
    with sqlite3.connect(db) as con:
        con.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)")
        con.execute("INSERT INTO notes (text) VALUES ('hello')")
    return db


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "keras_hpo.cli", *args], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": os.environ.get("PYTHONPATH") or os.getcwd(), "MPLBACKEND": "Agg"})


def test_the_store_records_its_schema_version_and_marks_itself(tmp_path):
    with sqlite3.connect(_store(tmp_path)) as con:
        assert con.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION >= 1
        assert con.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID


def test_load_leaves_another_applications_database_untouched(tmp_path):
    db = _other_app(tmp_path)
    before = _digest(db)
    with pytest.raises(kh.StoreError, match="theirs.db.*another application"):
        kh.load(db)
    assert _digest(db) == before
    with sqlite3.connect(db) as con:
        assert con.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
        assert [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")] == ["notes"]


def test_tune_refuses_another_applications_database(tmp_path):
    db = _other_app(tmp_path)
    before = _digest(db)
    with pytest.raises(kh.StoreError, match="another application"):
        kh.tune(lambda p: p["x"], {"x": [1]}, storage=db, progress=False)
    assert _digest(db) == before


@pytest.mark.parametrize("command", ["show", "plot"])
def test_cli_readers_never_write(tmp_path, command):
    db = _other_app(tmp_path)
    before = _digest(db)
    out = _cli(command, db)
    assert out.returncode == 2 and "theirs.db" in out.stderr and "Traceback" not in out.stderr
    assert _digest(db) == before
    ours = _store(tmp_path)
    with sqlite3.connect(ours) as con:
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    before = _digest(ours)
    extra = ["--out", str(tmp_path / "p.png")] if command == "plot" else []
    assert _cli(command, ours, *extra).returncode == 0
    assert _digest(ours) == before


def test_an_empty_file_stays_empty(tmp_path):
    db = tmp_path / "empty.db"
    db.write_bytes(b"")
    with pytest.raises(kh.StoreError, match="empty.db is empty"):
        kh.load(str(db))
    assert db.stat().st_size == 0


def test_an_empty_sqlite_database_is_not_a_store(tmp_path):
    db = str(tmp_path / "blank.db")
    sqlite3.connect(db).execute("PRAGMA user_version = 0").close()
    sqlite3.connect(db).execute("CREATE TABLE t(x)").execute("DROP TABLE t").connection.close()
    with pytest.raises(kh.StoreError, match="blank.db"):
        kh.load(db)


@pytest.mark.parametrize("damage", ["garbage", "truncated", "zeroed_middle"])
def test_corrupted_files_give_an_error_naming_the_file(tmp_path, damage):
    db = _store(tmp_path, trials=200)
    with sqlite3.connect(db) as con:
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = open(db, "rb").read()
    if damage == "garbage":
        data = b"this is not a database at all" * 100
    elif damage == "truncated":
        data = data[: len(data) // 3]
    else:
        data = data[:4096] + b"\0" * (len(data) - 8192) + data[-4096:]
    open(db, "wb").write(data)
    with pytest.raises(kh.StoreError, match="ours.db"):
        kh.load(db, "s")
    out = _cli("show", db)
    assert out.returncode == 2 and "ours.db" in out.stderr and "Traceback" not in out.stderr


def test_a_newer_schema_is_refused_by_readers_and_writers(tmp_path):
    db = _store(tmp_path)
    with sqlite3.connect(db) as con:
        con.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(kh.StoreError, match="newer keras_hpo"):
        kh.load(db)
    with pytest.raises(kh.StoreError, match="newer keras_hpo"):
        kh.tune(lambda p: p["x"], {"x": kh.Float(0, 1)}, max_trials=5, storage=db, study="s", resume=True,
                progress=False)


TAMPERED = [
    ("params", b"\xff\xfe not utf-8"),
    ("params", "{not json"),
    ("params", "[" * 100_000 + "]" * 100_000),
    ("params", "[1, 2]"),
    ("metrics", '"a string"'),
    ("curve", "{}"),
    ("state", "EXPLODED"),
    ("value", "'text'"),
    ("number", "'x'"),
]


@pytest.mark.parametrize("column, content", TAMPERED)
def test_tampered_rows_give_an_error_naming_the_file(tmp_path, column, content):
    db = _store(tmp_path)
    with sqlite3.connect(db) as con:
        con.execute(f"UPDATE trials SET {column} = ? WHERE number = 1", (content,))
    with pytest.raises(kh.StoreError, match="ours.db.*(altered|cannot be read)"):
        kh.load(db, "s")


@pytest.mark.parametrize("column, content", [("space", "{bad"), ("direction", "sideways"), ("seed", "'x'"),
                                             ("searcher_state", "[[[")])
def test_a_tampered_study_row_gives_an_error_naming_the_file(tmp_path, column, content):
    db = _store(tmp_path)
    with sqlite3.connect(db) as con:
        con.execute(f"UPDATE studies SET {column} = ?", (content,))
    with pytest.raises(kh.StoreError, match="ours.db"):
        kh.load(db, "s")


def test_a_store_from_before_the_schema_version_is_read_and_upgraded(tmp_path):
    db = _store(tmp_path)
    with sqlite3.connect(db) as con:  # as main (bded53d) wrote it: no version, no mark, no new columns
        con.execute("DROP INDEX trials_told")
        con.execute("ALTER TABLE studies DROP COLUMN method_options")
        con.execute("ALTER TABLE studies DROP COLUMN searcher_told")
        con.execute("UPDATE studies SET searcher_state = json_insert(searcher_state, '$.seen', json('[]'))")
        con.execute("PRAGMA user_version = 0")
        con.execute("PRAGMA application_id = 0")
    assert len(kh.load(db).records) == 3
    result = kh.tune(lambda p: p["x"], {"x": kh.Float(0, 1)}, max_trials=6, storage=db, study="s", resume=True,
                     progress=False)
    assert len(result.records) == 6
    with sqlite3.connect(db) as con:
        assert con.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_load_of_a_running_study_sees_its_committed_trials(tmp_path):
    db = _store(tmp_path)
    with sqlite3.connect(db) as writer:  # another connection holds uncommitted work: the reader is not blocked
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("UPDATE trials SET value = 99 WHERE number = 0")
        assert kh.load(db).records[0].value != 99
        writer.execute("ROLLBACK")
    json.dumps(kh.load(db).records[0].to_dict())
