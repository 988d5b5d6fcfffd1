"""Injected failures are recorded, one FAILED trial each, and the run goes on.

Figures (docs/reliability.md): over 5 seeds of 60 trials, about a third of them
fail in one of seven ways (an exception, NaN, inf, None, a string, an unstorable
metric, an oversized record); failures recorded = failures injected, 0 trials left
RUNNING, every other trial COMPLETE.
"""

import json
import random

import numpy as np
import pytest

import keras_hpo as kh

KINDS = ["raise", "nan", "inf", "none", "string", "bytes_metric", "huge_metric"]


def _objective(log):
    def objective(params):
        rng = random.Random(json.dumps(params, sort_keys=True))
        kind = rng.choice(KINDS) if rng.random() < 0.35 else None
        log.append(kind)
        value = params["x"]
        if kind == "raise":
            raise RuntimeError("injected")
        if kind in ("nan", "inf", "none", "string"):
            return {"nan": float("nan"), "inf": float("inf"), "none": None, "string": "0.5"}[kind]
        if kind == "bytes_metric":
            return {"loss": value, "blob": b"\x00"}
        if kind == "huge_metric":
            return {"loss": value, "big": np.zeros(300_000)}
        return {"loss": value, "per_class": np.array([value, 1 - value])}

    return objective


@pytest.mark.parametrize("seed", range(5))
def test_failures_recorded_equal_failures_injected(tmp_path, seed):
    log = []
    db = str(tmp_path / "f.db")
    kh.tune(_objective(log), {"x": kh.Float(0, 1)}, max_trials=60, metric="loss", storage=db, study="f", seed=seed,
            progress=False, max_consecutive_failures=None)
    records = kh.load(db).records
    injected = sum(kind is not None for kind in log)
    failed = sum(t.state is kh.TrialState.FAILED for t in records)
    assert len(records) == 60 and injected > 5
    assert failed == injected
    assert sum(t.state is kh.TrialState.COMPLETE for t in records) == 60 - injected
    assert not any(t.state is kh.TrialState.RUNNING for t in records)
