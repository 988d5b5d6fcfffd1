"""Serial time limits: SIGALRM on the main thread, an asynchronous exception on any other thread."""

import os
import signal
import threading
import time

import pytest

import keras_hpo as kh
from keras_hpo.interrupt import TrialInterrupted, ctrl_c_not_dropped, time_limit


def _spin(params):
    if params["x"] > 0.5:
        while True:
            pass
    return params["x"]


def test_a_hung_trial_is_interrupted_on_a_thread_that_is_not_the_main_one():
    box = {}

    def run():
        manual = kh.searchers.get("manual", trials=[{"x": 0.9}, {"x": 0.1}])
        box["result"] = kh.tune(_spin, {"x": kh.Float(0, 1)}, method=manual, trial_timeout=1, progress=False)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(30)
    assert not thread.is_alive()
    states = [t.state for t in box["result"].records]
    assert states == [kh.TrialState.FAILED, kh.TrialState.COMPLETE]


def test_the_trial_cannot_swallow_the_interruption():
    with pytest.raises(TrialInterrupted):
        with time_limit(0.2, "too slow"):
            try:
                time.sleep(5)
            except Exception:  # what careless user code does
                pass


def test_no_limit_leaves_the_body_alone():
    with time_limit(None):
        time.sleep(0.01)


def _swallow_the_first_interruption(box):
    """Like an interruption that lands in a garbage-collector callback, which Python drops: the body runs on."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            while time.monotonic() < deadline:
                time.sleep(0.01)
        except TrialInterrupted:
            box["swallowed"] = box.get("swallowed", 0) + 1
            if box["swallowed"] > 1:
                raise


def test_an_interruption_that_was_dropped_comes_again_on_the_main_thread():
    box = {}
    start = time.monotonic()
    with pytest.raises(TrialInterrupted):
        with time_limit(0.2, "too slow"):
            _swallow_the_first_interruption(box)
    assert box["swallowed"] == 2 and time.monotonic() - start < 5


def test_an_interruption_that_was_dropped_comes_again_on_another_thread():
    box = {}

    def run():
        try:
            with time_limit(0.2, "too slow"):
                _swallow_the_first_interruption(box)
        except TrialInterrupted as stop:
            box["reason"] = stop.reason

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(30)
    assert box == {"swallowed": 2, "reason": "too slow"}


def test_an_alarm_armed_before_still_rings_and_is_re_armed_after():
    rung = []
    previous = signal.signal(signal.SIGALRM, lambda signum, frame: rung.append(time.monotonic()))
    saved = signal.setitimer(signal.ITIMER_REAL, 0.3)  # pytest-timeout's own alarm, if any, is put back below
    try:
        start = time.monotonic()
        with time_limit(5, "ours"):
            time.sleep(1.0)  # the earlier alarm rings inside, ours does not
        assert len(rung) == 1 and rung[0] - start >= 0.29  # inside, and not before its time
        signal.setitimer(signal.ITIMER_REAL, 0.8)
        with time_limit(5, "ours"):
            time.sleep(0.1)
        left, _ = signal.getitimer(signal.ITIMER_REAL)
        assert 0 < left <= 0.7  # re-armed with what was left of it (0.8 s less the 0.1 s slept at least)
        time.sleep(0.9)
        assert len(rung) == 2
    finally:
        signal.signal(signal.SIGALRM, previous)
        signal.setitimer(signal.ITIMER_REAL, *saved)


class _SlowToDelete:
    def __init__(self, box):
        self.box = box

    def __del__(self):
        time.sleep(0.6)  # a clean-up that is running when the time is up
        self.box["deleted"] = True


def test_a_clean_up_running_when_the_time_is_up_finishes_and_the_trial_is_interrupted_after(monkeypatch):
    dropped, box = [], {}
    monkeypatch.setattr("sys.unraisablehook", dropped.append)
    with pytest.raises(TrialInterrupted):
        with time_limit(0.2, "too slow"):
            _SlowToDelete(box)  # deleted at once: its __del__ runs past the limit
            time.sleep(5)
    assert box == {"deleted": True} and dropped == []


class _CtrlCWhileDeleted:
    """A clean-up during which the user presses Ctrl-C (as when it lands in jax's garbage-collector callback)."""

    def __init__(self, box):
        self.box = box

    def __del__(self):
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.3)
        self.box["deleted"] = self.box.get("deleted", 0) + 1


@pytest.fixture
def python_s_own_ctrl_c(monkeypatch):
    dropped = []
    monkeypatch.setattr("sys.unraisablehook", dropped.append)
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield dropped
    signal.signal(signal.SIGINT, previous)


def test_ctrl_c_in_a_clean_up_stops_the_body_after_it(python_s_own_ctrl_c):
    box = {}
    with pytest.raises(KeyboardInterrupt):
        with ctrl_c_not_dropped():
            _CtrlCWhileDeleted(box)
            time.sleep(5)
    assert box == {"deleted": 1} and python_s_own_ctrl_c == []
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_ctrl_c_in_a_trial_s_clean_up_stops_the_run_and_keeps_what_was_done(python_s_own_ctrl_c, tmp_path):
    box = {}

    def objective(params):
        if params["x"] == 2:
            _CtrlCWhileDeleted(box)
        time.sleep(1.0 if params["x"] >= 3 else 0.01)  # x=3 is still running when the waiting Ctrl-C comes
        return params["x"]

    db = str(tmp_path / "s.db")
    with pytest.raises(KeyboardInterrupt):
        kh.tune(objective, {"x": [0, 1, 2, 3, 4]}, method="grid", storage=db, study="s", progress=False)
    assert box == {"deleted": 1} and python_s_own_ctrl_c == []
    assert [t.params["x"] for t in kh.load(db).completed] in ([0, 1], [0, 1, 2])  # stopped within 50 ms of it


def test_a_ctrl_c_handler_of_the_user_s_is_left_alone():
    mine = lambda signum, frame: None  # noqa: E731
    previous = signal.signal(signal.SIGINT, mine)
    try:
        kh.tune(lambda p: signal.getsignal(signal.SIGINT) is mine and p["x"] or float("nan"), {"x": [1, 2]},
                method="grid", progress=False)
    finally:
        signal.signal(signal.SIGINT, previous)
