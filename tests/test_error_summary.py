"""A failed trial is logged (and, on the command line, reported) by its exception and message, not by the
traceback's last line, which for Keras errors is often the arguments a layer received."""

import json
import logging
import subprocess

import keras_hpo as kh
from keras_hpo.errors import error_summary

#: the shape of Keras's error for a model built for other inputs: the last line says nothing
KERAS_LIKE = ("Exception encountered when calling Sequential.call().\n\n\x1b[1mInput 0 of layer 'dense' is incompatible "
              "with the layer: expected axis -1 of input shape to have value 32\x1b[0m\n\nArguments received by "
              "Sequential.call():\n  • inputs=tf.Tensor(shape=(32, 64), dtype=float32)\n  • kwargs=<class 'inspect._empty'>")


def _build_for_other_inputs(params):
    raise ValueError(KERAS_LIKE)


def test_the_failed_trial_warning_names_the_exception_and_its_message(caplog):
    with caplog.at_level(logging.WARNING, logger="keras_hpo"):
        try:
            kh.tune(_build_for_other_inputs, {"x": [1]}, method="grid", progress=False)
        except kh.AllTrialsFailed:
            pass
    warned = [r.getMessage() for r in caplog.records if "trial 0 failed" in r.getMessage()]
    assert warned == ["trial 0 failed: ValueError: Exception encountered when calling Sequential.call(). Input 0 of "
                      "layer 'dense' is incompatible with the layer: expected axis -1 of input shape to have value 32"]


def test_summary_of_plain_texts_and_long_messages():
    assert error_summary("") == ""
    assert error_summary("trial_timeout: ran past 2 s") == "trial_timeout: ran past 2 s"
    long = 'Traceback (most recent call last):\n  File "a.py", line 1, in f\n    g()\nValueError: ' + "x" * 500
    assert error_summary(long).startswith("ValueError: xxx") and len(error_summary(long)) == 300


def test_the_command_line_reports_the_exception_of_the_first_failed_trial(tmp_path):
    (tmp_path / "fails.py").write_text(f"def f(p):\n    raise ValueError({KERAS_LIKE!r})\n")
    (tmp_path / "space.json").write_text(json.dumps({"x": [1]}))
    done = subprocess.run(["keras-hpo", "run", "fails:f", "--space", "space.json", "--no-progress"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("keras-hpo run: error: all 1 trials failed; the first error was: ValueError: Exception "
                           "encountered when calling Sequential.call(). Input 0 of layer 'dense' is incompatible"), last


def test_the_trials_table_shows_the_exception_and_its_message():
    def half(params):
        if params["x"] == 2:
            raise ValueError(KERAS_LIKE)
        return 0.0

    result = kh.tune(half, {"x": [1, 2]}, method="grid", progress=False)
    assert list(result.trials["error"]) == [None, "ValueError: Exception encountered when calling Sequential.call(). "
                                                  "Input 0 of layer 'dense' is incompatible with the layer: expected "
                                                  "axis -1 of input shape to have value 32"]
