"""Local worker processes as users meet them: lambdas, scripts, hung trials, dead drivers, Ctrl-C, reports.

Driver scripts run as subprocesses (the way users run them), with this worktree's
package first on PYTHONPATH.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from processes import alive as _alive

import keras_hpo as kh
from keras_hpo.testing.doubles import LoadsOnlyInTheDriver, StopsOddTrials

ROOT = Path(__file__).resolve().parents[1]
SPACE = {"x": kh.Float(0, 1)}


def _env() -> dict:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    env.update(TQDM_DISABLE="1", TF_CPP_MIN_LOG_LEVEL="3")
    return env


def _script(tmp_path: Path, body: str, name: str = "driver.py") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(body))
    return path


def _descendants(pid: int) -> set[int]:
    """Every living process below ``pid`` (Linux /proc)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(entry))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


# Functions from anywhere ------------------------------------------------------
def test_lambdas_and_closures_run_in_worker_processes():
    centre = 0.3

    def closure(params):
        return (params["x"] - centre) ** 2

    for fn in (closure, lambda p: (p["x"] - centre) ** 2):
        serial = kh.tune(fn, SPACE, method="random", max_trials=6, seed=0, progress=False)
        parallel = kh.tune(fn, SPACE, method="random", max_trials=6, n_jobs=2, seed=0, progress=False)
        assert all(t.state is kh.TrialState.COMPLETE for t in parallel.records)
        assert parallel.best_value == serial.best_value


def test_n_jobs_minus_one_means_every_core():
    from keras_hpo.execution import resolve_n_jobs

    assert resolve_n_jobs(-1) == os.cpu_count()
    assert resolve_n_jobs(3) == 3
    with pytest.raises(ValueError, match="n_jobs"):
        resolve_n_jobs(-(os.cpu_count() + 1))
    with pytest.raises(ValueError, match="n_jobs"):
        resolve_n_jobs(0)


def test_a_worker_that_cannot_load_the_objective_raises_its_real_error_at_once(tmp_path):
    db = str(tmp_path / "s.db")
    started = time.monotonic()
    with pytest.raises(kh.WorkerError, match="only_on_my_laptop"):
        kh.tune(LoadsOnlyInTheDriver(), SPACE, max_trials=4, n_jobs=2, storage=db, seed=0, progress=False)
    assert time.monotonic() - started < 20
    assert all(t.attempts == 0 for t in kh.load(db).records)  # nothing ran: not counted as an attempt


def test_an_unpicklable_objective_is_refused_before_any_trial():
    import threading

    lock = threading.Lock()
    with pytest.raises(TypeError, match="cannot be sent to worker processes"):
        kh.tune(lambda p: lock and p["x"], SPACE, max_trials=2, n_jobs=2, progress=False)


def test_a_script_without_a_main_guard_works(tmp_path):
    script = _script(tmp_path, """
        import keras_hpo as kh
        offset = 0.25
        def objective(params):
            return (params["x"] - offset) ** 2
        result = kh.tune(objective, {"x": kh.Float(0, 1)}, max_trials=6, n_jobs=2, seed=0, progress=False)
        print("best", len(result.completed))
    """)
    out = subprocess.run([sys.executable, str(script)], env=_env(), capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "best 6" in out.stdout


# Time limits ----------------------------------------------------------------------
def _hangs_above(params):
    if params["x"] > 0.5:
        while True:  # a hung pure-Python trial
            pass
    return params["x"]


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_a_hanging_trial_is_failed_by_trial_timeout_and_the_run_ends(n_jobs):
    trials = [{"x": 0.1}, {"x": 0.9}, {"x": 0.2}, {"x": 0.3}]
    started = time.monotonic()
    result = kh.tune(_hangs_above, SPACE, method=kh.searchers.get("manual", trials=trials), trial_timeout=2,
                     n_jobs=n_jobs, seed=0, progress=False)
    assert time.monotonic() - started < 25
    hung = next(t for t in result.records if t.params["x"] == 0.9)
    assert hung.state is kh.TrialState.FAILED and "trial_timeout" in hung.error
    assert [t.state for t in result.records].count(kh.TrialState.COMPLETE) == 3
    assert result.best_value == 0.1


def _sleeps(params):
    time.sleep(3600 if params["x"] > 0.15 else 0.05)
    return params["x"]


#: seconds a run may take past its timeout= (stopping workers, writing the store); the README states it
GRACE = 2.0


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_timeout_ends_the_run_on_time_while_trials_hang_and_leaves_them_resumable(tmp_path, n_jobs):
    db = str(tmp_path / "t.db")
    trials = [{"x": 0.1}, {"x": 0.9}, {"x": 0.8}, {"x": 0.7}]
    manual = kh.searchers.get("manual", trials=trials)
    started = time.monotonic()
    result = kh.tune(_sleeps, SPACE, method=manual, timeout=3, n_jobs=n_jobs, storage=db, seed=0, progress=False)
    assert time.monotonic() - started < 3 + GRACE
    states = {t.params["x"]: t.state for t in result.records}
    assert states[0.1] is kh.TrialState.COMPLETE
    cut = [t for t in result.records if t.state is kh.TrialState.RUNNING]
    assert cut and all(t.attempts == 0 for t in cut)  # a cancelled trial is not one of its attempts


def test_trial_timeout_is_checked():
    with pytest.raises(ValueError, match="trial_timeout"):
        kh.tune(lambda p: p["x"], SPACE, max_trials=2, trial_timeout=0, progress=False)


# Dead drivers, Ctrl-C, poison trials -------------------------------------------------
KILLED_DRIVER = """
    import os, sys, time
    import keras_hpo as kh

    def objective(params):
        time.sleep(0.3 if params["x"] < 0.8 else 3600)
        return params["x"]

    kh.tune(objective, {"x": kh.Float(0, 1)}, max_trials=40, n_jobs=2, storage=sys.argv[1], study="s", seed=0,
            progress=False)
"""


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("when", ["starting", "running", "after-some-trials"])
def test_sigkill_of_the_driver_leaves_no_process_alive(tmp_path, when):
    script = _script(tmp_path, KILLED_DRIVER)
    db = tmp_path / "k.db"
    driver = subprocess.Popen([sys.executable, str(script), str(db)], env=_env(), stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        seen: set[int] = set()
        end = time.monotonic() + {"starting": 1.0, "running": 4.0, "after-some-trials": 8.0}[when]
        while time.monotonic() < end:  # keep every pid the driver started
            seen |= _descendants(driver.pid)
            time.sleep(0.05)
        if when != "starting":
            assert len(seen) >= 2, "the workers should be running by now"
        driver.send_signal(signal.SIGKILL)
        driver.wait()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(_alive(p) for p in seen):
            time.sleep(0.1)
        assert not [p for p in seen if _alive(p)]
    finally:
        if driver.poll() is None:
            driver.kill()


def _completed(db: Path) -> int:
    try:
        return sum(t.state is kh.TrialState.COMPLETE for t in kh.load(str(db), "s").records)
    except Exception:  # not created yet, or being written
        return 0


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_ctrl_c_stops_the_workers_and_leaves_a_resumable_study(tmp_path):
    script = _script(tmp_path, """
        import sys, time
        import keras_hpo as kh

        def objective(params):
            time.sleep(0.5)
            return params["x"]

        kh.tune(objective, {"x": kh.Float(0, 1)}, max_trials=int(sys.argv[2]), n_jobs=2, storage=sys.argv[1],
                study="s", seed=0, resume=len(sys.argv) > 3, progress=False)
    """)
    db = tmp_path / "c.db"
    driver = subprocess.Popen([sys.executable, str(script), str(db), "200"], env=_env(), stderr=subprocess.PIPE,
                              text=True)
    seen: set[int] = set()
    end, latest = time.monotonic() + 6, time.monotonic() + 60
    while time.monotonic() < end or (time.monotonic() < latest and not _completed(db)):  # a loaded machine is slow
        seen |= _descendants(driver.pid)
        time.sleep(0.05)
    driver.send_signal(signal.SIGINT)
    _, err = driver.communicate(timeout=20)
    assert "KeyboardInterrupt" in err
    time.sleep(0.5)
    assert seen and not [p for p in seen if _alive(p)]
    before = kh.load(str(db), "s").records
    assert any(t.state is kh.TrialState.COMPLETE for t in before)
    assert all(t.attempts == 0 for t in before if t.state is kh.TrialState.RUNNING)
    done = len([t for t in before if t.state.is_finished()])
    again = subprocess.run([sys.executable, str(script), str(db), str(done + 4), "resume"], env=_env(),
                           capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stderr
    after = kh.load(str(db), "s").records
    assert all(t.state is kh.TrialState.COMPLETE for t in after) and len(after) == done + 4


@pytest.mark.slow
def test_a_trial_that_kills_the_serial_process_fails_after_two_resumes(tmp_path):
    script = _script(tmp_path, """
        import os, sys
        import keras_hpo as kh

        def objective(params):
            if params["x"] == 0.5:
                os._exit(3)  # a segfault in native code, as far as the study can tell
            return params["x"]

        trials = [{"x": 0.1}, {"x": 0.5}, {"x": 0.2}]
        result = kh.tune(objective, {"x": kh.Float(0, 1)}, method=kh.searchers.get("manual", trials=trials),
                         storage=sys.argv[1], study="s", seed=0, resume=os.path.exists(sys.argv[1]), progress=False)
        print("finished", len(result.records))
    """)
    db = str(tmp_path / "p.db")
    codes = []
    for _ in range(3):
        out = subprocess.run([sys.executable, str(script), db], env=_env(), capture_output=True, text=True, timeout=60)
        codes.append(out.returncode)
        if out.returncode == 0:
            break
    assert codes == [3, 3, 0], out.stderr
    assert "finished 3" in out.stdout
    poison = next(t for t in kh.load(db, "s").records if t.params["x"] == 0.5)
    assert poison.state is kh.TrialState.FAILED and poison.attempts == 2
    assert "the process died while running this trial twice" in poison.error


# Reports from workers ----------------------------------------------------------------
def _reports_steps(params, report):
    steps = 0
    for step in range(1, 20):
        steps = step
        if report(step, params["x"] * step) is kh.Decision.STOP:
            break
    return {"value": params["x"], "steps": steps, "pid": os.getpid()}


def test_reports_from_worker_processes_reach_the_searcher_and_stop_trials():
    searcher = StopsOddTrials(at_step=2)
    result = kh.tune(_reports_steps, SPACE, method=searcher, max_trials=6, n_jobs=2, metric="value", seed=0,
                     progress=False)
    stopped = [t for t in result.records if t.number % 2]
    assert {t.metrics["steps"] for t in stopped} == {2} and {t.state for t in stopped} == {kh.TrialState.PRUNED}
    assert {t.metrics["steps"] for t in result.records if not t.number % 2} == {19}
    assert {t.metrics["pid"] for t in result.records}.isdisjoint({os.getpid()})
    assert len(searcher.reports) == 3 * 2 + 3 * 19 and {pid for *_, pid in searcher.reports} == {os.getpid()}


def _dies(params):
    if params["x"] > 0.8:
        os.kill(os.getpid(), signal.SIGKILL)  # what the out-of-memory killer does
    if params["x"] > 0.6:
        os._exit(3)
    return params["x"]


def test_a_dead_worker_is_described_by_its_exit_code_or_signal():
    trials = [{"x": 0.9}, {"x": 0.7}, {"x": 0.1}]
    result = kh.tune(_dies, SPACE, method=kh.searchers.get("manual", trials=trials), n_jobs=2, seed=0, progress=False)
    errors = {t.params["x"]: t.error for t in result.records}
    assert "killed by SIGKILL, e.g. by the out-of-memory killer" in errors[0.9]
    assert "exit code 3" in errors[0.7]
    assert result.best_value == 0.1


@pytest.mark.slow
def test_the_readme_parallel_examples_run(tmp_path, monkeypatch):
    import re

    monkeypatch.chdir(tmp_path)
    readme = (ROOT / "README.md").read_text()
    block = next(b for b in re.findall(r"```python\n(.*?)```", readme, flags=re.S) if "trial_timeout=" in b)
    block = re.sub(r"max_trials=\d+", "max_trials=6", block).replace("n_workers=4", "n_workers=2")
    namespace = {"kh": kh, "space": SPACE, "objective": lambda p: (p["x"] - 0.5) ** 2}
    exec(compile(block, "README", "exec"), namespace)
    try:
        assert len(namespace["result"].completed) == 6
    finally:
        namespace["client"].close()


def _pid(params):
    return {"value": params["x"], "pid": os.getpid()}


def test_workers_are_recycled_after_their_share_of_trials():
    from keras_hpo.execution import ProcessExecutor

    executor = ProcessExecutor(2, max_tasks_per_child=2)
    result = kh.tune(_pid, SPACE, max_trials=8, executor=executor, metric="value", seed=0, progress=False)
    assert len(result.completed) == 8
    assert len({t.metrics["pid"] for t in result.records}) >= 4  # each worker ran at most two trials


@pytest.mark.slow
def test_ctrl_c_in_serial_mode_leaves_the_running_trial_resumable(tmp_path):
    script = _script(tmp_path, """
        import sys, time
        import keras_hpo as kh

        def objective(params):
            print("trial", flush=True)
            time.sleep(0.3 if len(sys.argv) > 2 else 3600)
            return params["x"]

        kh.tune(objective, {"x": kh.Float(0, 1)}, max_trials=3, storage=sys.argv[1], study="s", seed=0,
                resume=len(sys.argv) > 2, progress=False)
    """)
    db = str(tmp_path / "i.db")
    driver = subprocess.Popen([sys.executable, str(script), db], env=_env(), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    assert driver.stdout.readline().strip() == "trial"
    driver.send_signal(signal.SIGINT)
    _, err = driver.communicate(timeout=30)
    assert "KeyboardInterrupt" in err
    (cut,) = kh.load(db, "s").records
    assert cut.state is kh.TrialState.RUNNING and cut.attempts == 0
    again = subprocess.run([sys.executable, str(script), db, "resume"], env=_env(), capture_output=True, text=True,
                           timeout=60)
    assert again.returncode == 0, again.stderr
    records = kh.load(db, "s").records
    assert [t.state for t in records] == [kh.TrialState.COMPLETE] * 3 and records[0].params == cut.params
