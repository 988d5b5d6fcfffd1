"""The embedded store: one SQLite file (standard library, WAL mode), JSON columns, nothing pickled.

Only the driver process writes. Each change of a trial is one transaction that
also saves the searcher's state, so a run killed at any instant leaves a store
that is consistent and resumable. The file is readable with the ``sqlite3`` shell::

    sqlite3 runs/digits.db "select number, state, value, params from trials"
"""

from __future__ import annotations

import json
import math
import os
import sqlite3
import time
from typing import Any

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
    created REAL NOT NULL
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
"""

_TRIAL_COLUMNS = ("number", "state", "params", "value", "metrics", "curve", "budget", "folds", "seed",
                  "started", "finished", "error", "resume_from", "attempts")


class StudyInfo(dict):
    """A study's row: name, space (JSON), method, direction, metric, seed, searcher_state."""


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


class Store:
    """Studies and their trials in one SQLite database; ``path=None`` keeps it in memory."""

    def __init__(self, path: str | os.PathLike | None = None) -> None:
        self.path = None if path is None else os.fspath(path)
        if self.path is not None:
            folder = os.path.dirname(os.path.abspath(self.path))
            os.makedirs(folder, exist_ok=True)
        self._db = sqlite3.connect(self.path or ":memory:", isolation_level=None, check_same_thread=False)
        if self.path is not None:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(_SCHEMA)
        _add_attempts_column(self._db)

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # Studies ------------------------------------------------------------
    def studies(self) -> list[str]:
        return [row[0] for row in self._db.execute("SELECT name FROM studies ORDER BY created")]

    def study(self, name: str) -> StudyInfo | None:
        cursor = self._db.execute(
            "SELECT name, space, method, direction, metric, seed, searcher_state FROM studies WHERE name = ?", (name,)
        )
        row = cursor.fetchone()
        if row is None:
            return None
        keys = ("name", "space", "method", "direction", "metric", "seed", "searcher_state")
        info = StudyInfo(zip(keys, row))
        info["searcher_state"] = json.loads(info["searcher_state"]) if info["searcher_state"] else None
        return info

    def create_study(self, name: str, *, space: str, method: str, direction: str, metric: str | None, seed: int) -> None:
        self._db.execute(
            "INSERT INTO studies (name, space, method, direction, metric, seed, created) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (name, space, method, direction, metric, seed, time.time()),
        )

    # Trials -------------------------------------------------------------
    def save(self, study: str, trial: Trial | list[Trial], searcher_state: dict | None = None) -> None:
        """Write ``trial`` (or a batch of them; insert or replace by number) and the searcher state in one transaction.

        A batch handed to parallel workers is saved whole: a crash can never leave a
        searcher state that counts a suggestion the store has no row for.
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
                    told = self._db.execute(
                        "SELECT COALESCE(MAX(told), -1) + 1 FROM trials WHERE study = ?", (study,)
                    ).fetchone()[0]
                self._db.execute(
                    f"INSERT OR REPLACE INTO trials (study, {', '.join(_TRIAL_COLUMNS)}, told) "
                    f"VALUES ({', '.join('?' * (len(_TRIAL_COLUMNS) + 2))})",
                    (*row, told),
                )
            if searcher_state is not None:
                self._db.execute("UPDATE studies SET searcher_state = ? WHERE name = ?", (_json(_clean(searcher_state)), study))

    def trials(self, study: str) -> list[Trial]:
        """All trials of ``study`` by number."""
        cursor = self._db.execute(
            f"SELECT {', '.join(_TRIAL_COLUMNS)} FROM trials WHERE study = ? ORDER BY number", (study,)
        )
        return [_row_to_trial(row) for row in cursor]

    def told_order(self, study: str) -> list[int]:
        """Numbers of the finished trials in the order the searcher was told about them."""
        cursor = self._db.execute(
            "SELECT number FROM trials WHERE study = ? AND told IS NOT NULL ORDER BY told", (study,)
        )
        return [row[0] for row in cursor]


def _add_attempts_column(db: sqlite3.Connection) -> None:
    """Stores written before trials had an ``attempts`` count get the column (0 for every old trial)."""
    columns = {row[1] for row in db.execute("PRAGMA table_info(trials)")}
    if "attempts" not in columns:
        db.execute("ALTER TABLE trials ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0")


def _row_to_trial(row: tuple) -> Trial:
    d = dict(zip(_TRIAL_COLUMNS, row))
    for column in ("params", "metrics", "curve", "folds"):
        d[column] = json.loads(d[column]) if d[column] else ({} if column in ("params", "metrics") else [])
    d["state"] = TrialState(d["state"])
    return Trial(**d)


class _transaction:
    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> None:
        self.db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: Any, *rest: Any) -> None:
        self.db.execute("ROLLBACK" if exc_type else "COMMIT")
