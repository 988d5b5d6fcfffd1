"""One driver per study: a lock row in the study's SQLite file, kept alive by a heartbeat.

``StudyLock(path, study).acquire()`` writes ``(study, host, pid, started, heartbeat,
token)`` into the ``study_locks`` table in one ``BEGIN IMMEDIATE`` transaction, or
raises ``StudyLocked`` naming the holder. A daemon thread refreshes the heartbeat
every ``HEARTBEAT`` seconds (also while a trial blocks the main thread). A lock
is taken over when its heartbeat is older than ``STALE_AFTER`` seconds (its
holder died, on this machine or another one sharing the file), or at once when
the holder is a process of this machine that no longer exists. Locks are per
study, so two different studies in one file run at the same time.

Why a row and not an OS file lock: the row travels with the file (network
file systems often ignore ``flock``), and it can say who holds it.

>>> import os, tempfile
>>> path = os.path.join(tempfile.mkdtemp(), "s.db")
>>> with StudyLock(path, "a"):
...     try:
...         StudyLock(path, "a").acquire()
...     except StudyLocked as exc:
...         print("locked by pid", exc.pid == os.getpid())
locked by pid True
"""

from __future__ import annotations

import datetime
import os
import socket
import sqlite3
import threading
import time
import uuid
from typing import Any

from .errors import StudyLocked

__all__ = ["StudyLock", "StudyLocked", "HEARTBEAT", "STALE_AFTER"]

#: seconds between heartbeats of a running driver
HEARTBEAT = 5.0
#: seconds without a heartbeat after which a lock is considered abandoned and taken over
STALE_AFTER = 30.0

_SCHEMA = """CREATE TABLE IF NOT EXISTS study_locks (
    study TEXT PRIMARY KEY, host TEXT NOT NULL, pid INTEGER NOT NULL, started REAL NOT NULL,
    heartbeat REAL NOT NULL, token TEXT NOT NULL)"""


def _alive_here(host: str, pid: int) -> bool:
    if host != socket.gethostname():
        return True  # cannot tell: trust the heartbeat
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class StudyLock:
    """The lock of ``study`` in the SQLite file ``path``; a context manager."""

    def __init__(self, path: str, study: str, *, heartbeat: float = HEARTBEAT, stale_after: float = STALE_AFTER) -> None:
        self.path, self.study, self.heartbeat, self.stale_after = path, study, heartbeat, stale_after
        self.token = uuid.uuid4().hex
        self.lost = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, isolation_level=None, timeout=30, check_same_thread=False)
        db.execute(_SCHEMA)
        return db

    def acquire(self) -> StudyLock:
        """Take the lock, or raise ``StudyLocked`` naming the driver that holds it."""
        db = self._connect()
        try:
            db.execute("BEGIN IMMEDIATE")
            try:
                row = db.execute("SELECT host, pid, started, heartbeat FROM study_locks WHERE study = ?",
                                 (self.study,)).fetchone()
                now = time.time()
                if row is not None:
                    host, pid, started, beat = row
                    if now - beat < self.stale_after and _alive_here(host, pid):
                        when = datetime.datetime.fromtimestamp(started).isoformat(sep=" ", timespec="seconds")
                        raise StudyLocked(
                            f"study {self.study!r} in {self.path} is being run by another driver: host {host}, "
                            f"pid {pid}, started {when} (last heartbeat {now - beat:.0f} s ago). One driver per "
                            f"study: wait for it, stop it, or scale it with n_jobs= / a Dask executor=. A lock "
                            f"whose driver died is taken over after {self.stale_after:g} s without a heartbeat.",
                            host=host, pid=pid, started=started)
                db.execute("INSERT OR REPLACE INTO study_locks VALUES (?, ?, ?, ?, ?, ?)",
                           (self.study, socket.gethostname(), os.getpid(), now, now, self.token))
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        finally:
            db.close()
        self._thread = threading.Thread(target=self._beat, name="keras_hpo-heartbeat", daemon=True)
        self._thread.start()
        return self

    def _beat(self) -> None:
        db = self._connect()
        try:
            while not self._stop.wait(self.heartbeat):
                try:
                    cursor = db.execute("UPDATE study_locks SET heartbeat = ? WHERE study = ? AND token = ?",
                                        (time.time(), self.study, self.token))
                    if cursor.rowcount == 0:
                        self.lost = True
                        return
                except sqlite3.Error:
                    pass  # busy for longer than the timeout: try again at the next beat
        finally:
            db.close()

    def release(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        db = self._connect()
        try:
            db.execute("DELETE FROM study_locks WHERE study = ? AND token = ?", (self.study, self.token))
        finally:
            db.close()

    def __enter__(self) -> StudyLock:
        return self.acquire()

    def __exit__(self, *exc: Any) -> None:
        self.release()
