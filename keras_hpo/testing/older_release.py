"""A stored study rewritten as an older release of keras_hpo would have saved it: for tests of resume across upgrades.

A release that adds a searcher option declares the value that behaves as before (``Searcher.options_added``), so a
study stored without it goes on as it began. Testing that needs such a study; this edits a fresh one in place, as
the tests of several searchers do, instead of each writing the SQL again.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["as_if_stored_by_an_older_release"]


def as_if_stored_by_an_older_release(db: str, drop: Iterable[str] = (), set_: Mapping[str, Any] | None = None) -> None:
    """Remove the options ``drop`` (and their searcher-state entries) from every study in the SQLite file ``db``, and
    give the options in ``set_`` their older values."""
    with sqlite3.connect(db) as con:
        rows = con.execute("SELECT rowid, method_options, searcher_state FROM studies").fetchall()
        for rowid, options, state in rows:
            options, state = json.loads(options), json.loads(state)
            for name in drop:
                options.pop(name)
                state.pop(name, None)
            options.update(set_ or {})
            con.execute("UPDATE studies SET method_options = ?, searcher_state = ? WHERE rowid = ?",
                        (json.dumps(options), json.dumps(state), rowid))
