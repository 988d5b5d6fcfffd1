"""Opening a store file: writable or strictly read-only, recognising ours, its schema version, errors that name it.

A keras_hpo store is an SQLite file marked with ``PRAGMA application_id`` and a
schema version in ``PRAGMA user_version`` (files written before the version
existed are version 0 and are upgraded in place when a run opens them to write).
Readers (``kh.load``, ``keras-hpo show``, ``keras-hpo plot``) open the file with
the SQLite URI ``mode=ro``: they never create tables, change the journal mode or
grow an empty file. (SQLite's WAL mode still keeps its ``-wal``/``-shm`` side files
beside the store while it is read; the store file itself is not written.)

Every problem comes out as ``StoreError`` naming the file and what is wrong: not
a keras_hpo store, empty, corrupted or truncated, tampered rows, or a newer
schema than this version of keras_hpo knows.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import urllib.parse
from collections.abc import Iterator

from .errors import StoreError

__all__ = ["SCHEMA_VERSION", "APPLICATION_ID", "connect", "problems_named"]

#: the schema this version writes; a file with a larger number was written by a newer keras_hpo
SCHEMA_VERSION = 1
#: "kHPO": marks an SQLite file as a keras_hpo store
APPLICATION_ID = 0x6B48504F
#: tables every store has, whatever its version
_OUR_TABLES = {"studies", "trials"}


def connect(path: str | None, *, read_only: bool = False) -> sqlite3.Connection:
    """An autocommit connection to ``path`` (``None``: in memory); read-only opens refuse anything but our stores."""
    if path is None:
        return sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
    if read_only:
        if not os.path.exists(path):
            raise FileNotFoundError(f"storage: no such file {path!r}")
        if os.path.isfile(path) and os.path.getsize(path) == 0:
            raise StoreError(f"{path} is empty: it is not a keras_hpo store")
        uri = "file:" + urllib.parse.quote(os.path.abspath(path)) + "?mode=ro"
        with problems_named(path):
            db = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
            check_ours(db, path, allow_new=False)
        return db
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    with problems_named(path):
        db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        check_ours(db, path, allow_new=True)
    return db


def check_ours(db: sqlite3.Connection, path: str, *, allow_new: bool) -> None:
    """Refuse a file that is not a keras_hpo store (``allow_new``: an empty database may become one)."""
    tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    application_id = db.execute("PRAGMA application_id").fetchone()[0]
    version = db.execute("PRAGMA user_version").fetchone()[0]
    if application_id not in (0, APPLICATION_ID) or (tables and not _OUR_TABLES <= tables):
        raise StoreError(f"{path} is an SQLite database of another application (tables {sorted(tables)}), "
                         "not a keras_hpo store; give another storage file")
    if not tables and not allow_new:
        raise StoreError(f"{path} is an empty SQLite database, not a keras_hpo store")
    if version > SCHEMA_VERSION:
        raise StoreError(f"{path} was written by a newer keras_hpo (store schema {version}; this version reads up to "
                         f"{SCHEMA_VERSION}); upgrade keras_hpo to open it")


@contextlib.contextmanager
def problems_named(path: str | None, what: str = "") -> Iterator[None]:
    """Turn SQLite and decoding errors into ``StoreError`` naming the file (and ``what`` was being read)."""
    where = f" ({what})" if what else ""
    try:
        yield
    except sqlite3.DatabaseError as exc:
        if isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc):
            raise
        raise StoreError(f"{path or 'the in-memory store'}{where} cannot be read: {exc} "
                         "(the file is corrupted, truncated or not a keras_hpo store)") from None
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError, KeyError, TypeError, ValueError) as exc:
        if isinstance(exc, StoreError):
            raise
        raise StoreError(f"{path or 'the in-memory store'}{where} holds a value keras_hpo did not write "
                         f"({type(exc).__name__}: {str(exc)[:200]}); the file was altered") from None
