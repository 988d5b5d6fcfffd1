"""The embedded store: one SQLite file (standard library, WAL mode), JSON columns, nothing pickled.

Only the driver process writes. Each change of a trial is one transaction; the
searcher's state is saved with each batch of new trials (once per trial in a serial
run, together with the number of trials told so far), so a run killed at any
instant leaves a store that is consistent and resumable: on resume the searcher
is told the trials up to that number, given the saved state, then told the rest.
The state holds only what replaying cannot rebuild, so the cost of a trial does
not grow with the study. The file is readable with the ``sqlite3`` shell::

    sqlite3 runs/digits.db "select number, state, value, params from trials"
"""

from __future__ import annotations

import json
import math
import os
import sqlite3
import time
from collections.abc import Sequence
from typing import Any

from . import store_file
from .store_file import problems_named
from .trial import Trial, TrialState

__all__ = ["Store", "StudyInfo"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS studies (
    name TEXT PRIMARY KEY,
    space TEXT NOT NULL,
    method TEXT NOT NULL,
    direction TEXT NOT NULL,
    metric TEXT,
    seed INTEGER NOT NULL,
    searcher_state TEXT,
    created REAL NOT NULL,
    method_options TEXT,
    searcher_told INTEGER
);
CREATE TABLE IF NOT EXISTS trials (
    study TEXT NOT NULL REFERENCES studies(name),
    number INTEGER NOT NULL,
    state TEXT NOT NULL,
    params TEXT NOT NULL,
    value REAL,
    metrics TEXT,
    curve TEXT,
    budget REAL,
    folds TEXT,
    seed INTEGER,
    started REAL,
    finished REAL,
    error TEXT,
    resume_from INTEGER,
    told INTEGER,
    PRIMARY KEY (study, number)
);
CREATE INDEX IF NOT EXISTS trials_told ON trials (study, told);
"""

#: columns added after the first stores were written: (table, column, type); an older file gains them on open
_ADDED_COLUMNS = (("studies", "method_options", "TEXT"), ("studies", "searcher_told", "INTEGER"),
                  ("trials", "attempts", "INTEGER NOT NULL DEFAULT 0"))  # starts of a trial (no poison trials)

_TRIAL_COLUMNS = ("number", "state", "params", "value", "metrics", "curve", "budget", "folds", "seed",
                  "started", "finished", "error", "resume_from", "attempts")


class StudyInfo(dict):
    """A study's row: name, space (JSON), method, method_options, direction, metric, seed, searcher_state and
    searcher_told (how many trials the searcher had been told when its state was saved; None: all of them)."""


def _json(value: Any) -> str:
    return json.dumps(value, allow_nan=False, default=_jsonable)


def _jsonable(value: Any) -> Any:
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"cannot store {type(value).__name__} as JSON")


def _clean(value: Any) -> Any:
    """Replace non-finite floats by None, recursively, so the JSON stays standard."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if hasattr(value, "item") and not hasattr(value, "__len__"):
        return _clean(value.item())
    return value


def _use_wal(db: sqlite3.Connection, patience: float = 30.0) -> None:
    """Switch the file to WAL mode (it stays so), waiting while another process creates it at the same moment.

    The switch needs the file to itself, and SQLite answers "database is locked" at once,
    without its busy handler, when a second driver is writing the new schema: two studies
    started together in one new file would otherwise make one of them fail.
    """
    deadline = time.monotonic() + patience
    while True:
        try:
            if db.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                db.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


class Store:
    """Studies and their trials in one SQLite database; ``path=None`` keeps it in memory."""

    #: SQLite's synchronous setting for files (WAL mode); the store-cost benchmark also measures FULL
    synchronous = "NORMAL"

    def __init__(self, path: str | os.PathLike | None = None, *, read_only: bool = False) -> None:
        self.path = None if path is None else os.fspath(path)
        self.read_only = read_only
        self._db = store_file.connect(self.path, read_only=read_only)
        if read_only:
            return
        with problems_named(self.path):
            if self.path is not None:
                _use_wal(self._db)
                # NORMAL in WAL mode: a commit is in the -wal file before the call returns, so a killed process
                # loses nothing; only a power cut may roll back the last commits, never corrupt the file
                self._db.execute(f"PRAGMA synchronous={self.synchronous}")
            self._create_or_upgrade()

    def _create_or_upgrade(self) -> None:
        with _transaction(self._db):
            for statement in filter(str.strip, _SCHEMA.split(";")):
                self._db.execute(statement)
            for table, column, kind in _ADDED_COLUMNS:
                have = {row[1] for row in self._db.execute(f"PRAGMA table_info({table})")}
                if column not in have:
                    self._db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")
            self._db.execute(f"PRAGMA application_id = {store_file.APPLICATION_ID}")
            self._db.execute(f"PRAGMA user_version = {store_file.SCHEMA_VERSION}")

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # Studies ------------------------------------------------------------
    def studies(self) -> list[str]:
        with problems_named(self.path, "the list of studies"):
            return [str(row[0]) for row in self._db.execute("SELECT name FROM studies ORDER BY created")]

    def study(self, name: str) -> StudyInfo | None:
        with problems_named(self.path, f"study {name!r}"):
            cursor = self._db.execute("SELECT * FROM studies WHERE name = ?", (name,))
            row = cursor.fetchone()
            if row is None:
                return None
            info = StudyInfo({"method_options": None, "searcher_told": None})
            info.update(zip([c[0] for c in cursor.description], row))
            del info["created"]
            for column in ("searcher_state", "method_options"):
                info[column] = json.loads(info[column]) if info[column] else None
            _check_study_row(info)
            return info

    def create_study(self, name: str, *, space: str, method: str, direction: str, metric: str | None, seed: int,
                     method_options: dict | None = None) -> None:
        options = None if method_options is None else _json(method_options)
        self._db.execute(
            "INSERT INTO studies (name, space, method, direction, metric, seed, created, method_options) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (name, space, method, direction, metric, seed, time.time(), options),
        )

    # Trials -------------------------------------------------------------
    def save(self, study: str, trial: Trial | list[Trial], searcher_state: dict | None = None) -> None:
        """Write ``trial`` (or a batch of them; insert or replace by number) and the searcher state in one transaction.

        A batch handed to parallel workers is saved whole: a crash can never leave a
        searcher state that counts a suggestion the store has no row for. The state
        is stored with the number of trials told so far (``searcher_told``).
        """
        trials = trial if isinstance(trial, list) else [trial]
        with _transaction(self._db):
            for one in trials:
                d = _clean(one.to_dict())
                row = (
                    study, d["number"], d["state"], _json(d["params"]), d["value"], _json(d["metrics"]),
                    _json(d["curve"]), d["budget"], _json(d["folds"]), d["seed"], d["started"], d["finished"],
                    d["error"], d["resume_from"], d["attempts"],
                )
                told = None
                if one.state.is_finished():
                    told = self._told(study)
                self._db.execute(
                    f"INSERT OR REPLACE INTO trials (study, {', '.join(_TRIAL_COLUMNS)}, told) "
                    f"VALUES ({', '.join('?' * (len(_TRIAL_COLUMNS) + 2))})",
                    (*row, told),
                )
            if searcher_state is not None:
                self._db.execute("UPDATE studies SET searcher_state = ?, searcher_told = ? WHERE name = ?",
                                 (_json(_clean(searcher_state)), self._told(study), study))

    def _told(self, study: str) -> int:
        """How many trials of ``study`` were told so far (the index makes this one lookup, whatever the study's size)."""
        return self._db.execute("SELECT COALESCE(MAX(told), -1) + 1 FROM trials WHERE study = ?", (study,)).fetchone()[0]

    def trials(self, study: str) -> list[Trial]:
        """All trials of ``study`` by number."""
        with problems_named(self.path, f"the trials of study {study!r}"):
            have = {row[1] for row in self._db.execute("PRAGMA table_info(trials)")}
            columns = [c for c in _TRIAL_COLUMNS if c in have]  # a store opened read-only may predate 'attempts'
            cursor = self._db.execute(f"SELECT {', '.join(columns)} FROM trials WHERE study = ? ORDER BY number", (study,))
            return [_row_to_trial(row, columns) for row in cursor]

    def told_order(self, study: str) -> list[int]:
        """Numbers of the finished trials in the order the searcher was told about them."""
        with problems_named(self.path, f"the trials of study {study!r}"):
            cursor = self._db.execute(
                "SELECT number FROM trials WHERE study = ? AND told IS NOT NULL ORDER BY told", (study,)
            )
            return [int(row[0]) for row in cursor]


def _row_to_trial(row: tuple, columns: Sequence[str] = _TRIAL_COLUMNS) -> Trial:
    d = dict(zip(columns, row))
    for column in ("params", "metrics", "curve", "folds"):
        d[column] = json.loads(d[column]) if d[column] else ({} if column in ("params", "metrics") else [])
    d["state"] = TrialState(d["state"])
    _expect(d["params"], dict, "params", d["number"])
    _expect(d["metrics"], dict, "metrics", d["number"])
    for column in ("curve", "folds"):
        _expect(d[column], list, column, d["number"])
    for column in ("number", "seed", "resume_from"):
        _expect(d[column], int, column, d["number"], optional=column != "number")
    for column in ("value", "budget", "started", "finished"):
        _expect(d[column], (int, float), column, d["number"], optional=True)
    _expect(d["error"], str, "error", d["number"], optional=True)
    _expect(d.get("attempts", 0), int, "attempts", d["number"])
    return Trial(**d)


def _expect(value: Any, kind: type | tuple, column: str, number: Any, optional: bool = False) -> None:
    if (value is None and optional) or (isinstance(value, kind) and not isinstance(value, bool)):
        return
    raise TypeError(f"trial {number!r} has {column} of type {type(value).__name__}")


def _check_study_row(info: StudyInfo) -> None:
    for column, kind in (("name", str), ("space", str), ("method", str), ("direction", str), ("seed", int)):
        if not isinstance(info[column], kind):
            raise TypeError(f"the study's {column} is {type(info[column]).__name__}")
    if info["direction"] not in ("min", "max"):
        raise ValueError(f"the study's direction is {info['direction']!r}")


class _transaction:
    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> None:
        self.db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: Any, *rest: Any) -> None:
        self.db.execute("ROLLBACK" if exc_type else "COMMIT")
