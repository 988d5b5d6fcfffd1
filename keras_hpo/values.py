"""What a trial may record: JSON values, converted where there is one obvious form, and a size limit.

An objective returns metrics as it likes. Before a trial is stored, ``storable``
turns NumPy arrays and scalars into lists and numbers, tuples into lists, sets
into sorted lists, ``Path`` into a string and ``datetime``/``date`` into ISO
text; non-finite floats become ``null``. Anything else (bytes, an arbitrary
object, a key that is not a string or number) makes that one trial FAILED with a
message naming the key and the type, and the run goes on. So does a record
larger than ``MAX_RECORD_BYTES``: a runaway metric fails its trial instead of
filling the disk.

>>> import numpy as np
>>> storable({"state": "COMPLETE", "value": 0.5, "metrics": {"per_class": np.array([0.5, 1.0]), "tags": {"b", "a"}}})["metrics"]
{'per_class': [0.5, 1.0], 'tags': ['a', 'b']}
>>> storable({"state": "COMPLETE", "value": 0.5, "metrics": {"raw": b"x"}})["error"]
"metrics['raw'] is bytes, which has no JSON form; return numbers, strings, lists or dicts"
"""

from __future__ import annotations

import datetime
import json
import math
import numbers
import os
from collections.abc import Mapping
from typing import Any

import numpy as np

__all__ = ["MAX_RECORD_BYTES", "MAX_ERROR_CHARS", "to_json", "storable"]

#: the largest a trial's stored record (params, metrics, curve, folds, error as JSON) may be
MAX_RECORD_BYTES = 1_000_000
#: an error text (traceback) is cut to its last this many characters
MAX_ERROR_CHARS = 20_000
_MAX_DEPTH = 50


class _Unstorable(TypeError):
    pass


def to_json(value: Any, where: str = "value", _depth: int = 0) -> Any:
    """``value`` as plain JSON data (dict/list/str/int/float/bool/None); ``TypeError`` naming ``where`` otherwise."""
    if _depth > _MAX_DEPTH:
        raise _Unstorable(f"{where} is nested more than {_MAX_DEPTH} levels deep")
    if value is None or isinstance(value, (str, bool)):
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        value = float(value)
        return value if math.isfinite(value) else None
    if isinstance(value, np.generic):  # numpy bool_, str_, datetime64, ...
        return to_json(value.item(), where, _depth + 1)
    if isinstance(value, np.ndarray):
        return to_json(value.tolist(), where, _depth + 1)
    if isinstance(value, Mapping):
        out = {}
        for key, item in value.items():
            if isinstance(key, (bool, np.bool_)) or not isinstance(key, (str, numbers.Integral, np.integer)):
                raise _Unstorable(f"{where} has the key {key!r} of type {type(key).__name__}; keys must be strings")
            out[str(key)] = to_json(item, f"{where}[{key!r}]", _depth + 1)
        return out
    if isinstance(value, (list, tuple)):
        return [to_json(v, f"{where}[{i}]", _depth + 1) for i, v in enumerate(value)]
    if isinstance(value, (set, frozenset)):
        items = [to_json(v, f"{where} item", _depth + 1) for v in value]
        try:
            return sorted(items)
        except TypeError:
            raise _Unstorable(f"{where} is a set of mixed types that cannot be sorted; return a list") from None
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if isinstance(value, (datetime.datetime, datetime.date, datetime.time)):
        return value.isoformat()
    raise _Unstorable(f"{where} is {type(value).__name__}, which has no JSON form; "
                      "return numbers, strings, lists or dicts")


def storable(record: dict[str, Any], params: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """A worker's record of a trial with JSON-ready metrics, curve and folds, or the same trial FAILED saying why."""
    record = dict(record)
    error = record.get("error")
    if isinstance(error, str) and len(error) > MAX_ERROR_CHARS:
        record["error"] = "...(cut)...\n" + error[-MAX_ERROR_CHARS:]
    try:
        for name, empty in (("metrics", {}), ("curve", []), ("folds", [])):
            record[name] = to_json(record.get(name) or empty, name)
        size = len(json.dumps([params, record["metrics"], record["curve"], record["folds"], record.get("error")],
                              default=str))
        if size > MAX_RECORD_BYTES:
            raise _Unstorable(f"the trial's record is {size:,} bytes as JSON, above the limit of {MAX_RECORD_BYTES:,} "
                              "(keras_hpo.values.MAX_RECORD_BYTES); return fewer or smaller metrics")
    except _Unstorable as exc:
        return {**record, "state": "FAILED", "value": None, "metrics": {}, "curve": [], "folds": [], "error": str(exc)}
    except RecursionError:
        return {**record, "state": "FAILED", "value": None, "metrics": {}, "curve": [], "folds": [],
                "error": "the trial's metrics are nested too deeply (or contain themselves) to store"}
    return record
