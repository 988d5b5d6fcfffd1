"""Hostile names and altered files: refused with an error naming the file, never followed, never a raw traceback.

Figures (docs/reliability.md): 12 of 12 hostile study names refused before anything
is written, 0 files created outside the folder; 16 of 16 altered or foreign files
give a ``StoreError`` naming the file, and readers leave every one of them
byte-for-byte unchanged. (The best.json cases, which need Keras, are in
tests/keras/test_artifact_safety.py.)
"""

import hashlib
import os
import sqlite3

import pytest

import keras_hpo as kh

NAMES = ["../../outside", "../x", "/tmp/abs", "a/b", "a\\b", ".hidden", "..", "", "white space", "x" * 200, "nul\0",
         "new\nline"]


def _store(path):
    kh.tune(lambda p: p["x"], {"x": kh.Float(0, 1)}, max_trials=3, storage=path, study="s", seed=0, progress=False)
    with sqlite3.connect(path) as con:
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def _sql(sql, *args):
    def change(path):
        _store(path)
        with sqlite3.connect(path) as con:
            con.execute(sql, args)
    return change


def _bytes(transform):
    def change(path):
        _store(path)
        data = open(path, "rb").read()
        open(path, "wb").write(transform(data))
    return change


FILES = {
    "empty file": lambda p: open(p, "wb").close(),
    "text file": lambda p: open(p, "w").write("name,value\na,1\n" * 50),
    "other app's database": lambda p: sqlite3.connect(p).execute("CREATE TABLE notes(x)").connection.close(),
    "truncated": _bytes(lambda d: d[: len(d) // 2]),
    "header smashed": _bytes(lambda d: b"\0" * 100 + d[100:]),
    "newer schema": _sql("PRAGMA user_version = 99"),
    "foreign application id": _sql("PRAGMA application_id = 42"),
    "params not utf-8": _sql("UPDATE trials SET params = CAST(? AS TEXT)", b"\xff\xfe"),
    "params not json": _sql("UPDATE trials SET params = '{oops'"),
    "params deeply nested": _sql("UPDATE trials SET params = ?", "[" * 50000 + "]" * 50000),
    "params a list": _sql("UPDATE trials SET params = '[1]'"),
    "unknown state": _sql("UPDATE trials SET state = 'HACKED'"),
    "value as text": _sql("UPDATE trials SET value = 'high'"),
    "space not json": _sql("UPDATE studies SET space = 'nope'"),
    "direction unknown": _sql("UPDATE studies SET direction = 'up'"),
    "trials table dropped": _sql("DROP TABLE trials"),
}


def test_hostile_study_names(tmp_path):
    refused, before = 0, set(os.listdir(tmp_path.parent))
    for name in NAMES:
        try:
            kh.tune(lambda p: 0.0, {"x": [1]}, storage=str(tmp_path / "s.db"), study=name, progress=False)
        except ValueError:
            refused += 1
    assert refused == len(NAMES) == 12
    assert os.listdir(tmp_path) == [] and set(os.listdir(tmp_path.parent)) == before


def test_altered_and_foreign_files(tmp_path):
    named, unchanged = 0, 0
    for i, make in enumerate(FILES.values()):
        path = str(tmp_path / f"case{i}.db")
        make(path)
        before = hashlib.sha256(open(path, "rb").read()).hexdigest()
        with pytest.raises(kh.StoreError) as error:
            kh.load(path, "s")
        named += f"case{i}.db" in str(error.value)
        unchanged += hashlib.sha256(open(path, "rb").read()).hexdigest() == before
    assert named == unchanged == len(FILES) == 16
