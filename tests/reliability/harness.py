"""Shared pieces of the reliability suite: a driver script run as users run it, and ways to read its store."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ENV = {**os.environ, "PYTHONPATH": os.environ.get("PYTHONPATH") or ROOT, "TF_CPP_MIN_LOG_LEVEL": "3"}
TRIALS = 40

#: a driver that logs every objective call (pid, params) and resumes its study; argv: db log n_jobs sleep
DRIVER = textwrap.dedent(
    """
    import json, os, sys, time
    import keras_hpo as kh

    def objective(params):
        time.sleep(float(sys.argv[4]))
        with open(sys.argv[2], "a") as log:
            log.write(json.dumps({"pid": os.getpid(), "params": params}) + "\\n")
        return (params["x"] - 0.3) ** 2 + (0.0 if params["kind"] == "a" else 0.2)

    if __name__ == "__main__":
        kh.tune(objective, {"x": kh.Float(0, 1), "kind": ["a", "b"]}, method="random", max_trials=TRIALS,
                n_jobs=int(sys.argv[3]), storage=sys.argv[1], study="crash", resume=True, seed=5, progress=False)
    """
).replace("TRIALS", str(TRIALS))


def rows(db: str, state: str | None = None) -> list[tuple]:
    """(number, state, params, value) rows, read with a plain read-only SQLite connection."""
    if not os.path.exists(db):
        return []
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
    try:
        query = "SELECT number, state, params, value FROM trials"
        if state:
            return con.execute(query + " WHERE state = ? ORDER BY number", (state,)).fetchall()
        return con.execute(query + " ORDER BY number").fetchall()
    except sqlite3.OperationalError:  # the tables were not created yet
        return []
    finally:
        con.close()


def log_lines(path: str) -> list[dict]:
    if not os.path.exists(path):
        return []
    out = []
    with open(path) as handle:
        for line in handle:
            try:
                out.append(json.loads(line))
            except ValueError:  # a line cut by the kill
                pass
    return out


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().split(") ")[1].split()[0] not in ("Z", "X")
    except (FileNotFoundError, IndexError):
        return False


def kill_and_resume(tmp_path, seed: int, n_jobs: int, sleep: float = 0.03) -> dict:
    """Start the driver, SIGKILL it at a random moment after its first trial, resume it; the measured figures."""
    import random

    rng = random.Random(seed)
    script, db, log = tmp_path / f"driver{seed}.py", str(tmp_path / f"s{seed}.db"), str(tmp_path / f"calls{seed}.log")
    script.write_text(DRIVER)
    args = [sys.executable, str(script), db, log, str(n_jobs), str(sleep)]
    proc = subprocess.Popen(args, env=ENV)
    deadline = time.monotonic() + 120
    while not log_lines(log) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.002)
    time.sleep(rng.uniform(0, 0.4))
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    calls_before = log_lines(log)
    before = rows(db, "COMPLETE")
    workers = {c["pid"] for c in calls_before} - {proc.pid}
    end = time.monotonic() + 10
    while any(alive(p) for p in workers) and time.monotonic() < end:
        time.sleep(0.05)
    left = sum(alive(p) for p in workers)
    subprocess.run(args, env=ENV, check=True, timeout=300)
    after = {r[0]: r for r in rows(db)}
    calls_after = log_lines(log)[len(calls_before):]
    done_before = {json.dumps(json.loads(r[2]), sort_keys=True) for r in before}
    rerun = sum(json.dumps(c["params"], sort_keys=True) in done_before for c in calls_after)
    lost = sum(after.get(r[0]) != r for r in before)
    keys = [json.dumps(json.loads(r[2]), sort_keys=True) for r in after.values()]
    return {"seed": seed, "n_jobs": n_jobs, "completed_at_kill": len(before), "lost": lost, "rerun": rerun,
            "processes_left": left, "trials": len(after), "all_complete": all(r[1] == "COMPLETE" for r in after.values()),
            "duplicates": len(keys) - len(set(keys)), "finished_before_kill": len(before) >= TRIALS}
