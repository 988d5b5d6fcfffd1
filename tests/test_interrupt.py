"""Serial time limits: SIGALRM on the main thread, an asynchronous exception on any other thread."""

import threading
import time

import pytest

import keras_hpo as kh
from keras_hpo.interrupt import TrialInterrupted, time_limit


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
