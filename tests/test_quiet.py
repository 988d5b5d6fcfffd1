"""TensorFlow's native start-up lines are dropped on their way to stderr; everything else gets through."""

import subprocess
import sys
import textwrap

import pytest

NOISE = [
    "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR",
    "I0000 00:00:1795983037.160152   10224 port.cc:153] oneDNN custom operations are on. You may see slightly "
    "different numerical results due to floating-point round-off errors from different computation orders.",
    "I0000 00:00:1795983037.189714   10224 cpu_feature_guard.cc:227] This TensorFlow binary is optimized to use "
    "available CPU instructions in performance-critical operations.",
    "To enable the following instructions: AVX2 FMA, in other operations, rebuild TensorFlow with the appropriate "
    "compiler flags.",
]


def _run(code):
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, timeout=60)
    done.stdout, done.stderr = done.stdout.decode(), done.stderr.decode()  # bytes first: keep the "\r" of a bar
    return done


def test_the_filter_drops_native_noise_from_this_process_and_its_children_and_keeps_the_rest(tmp_path):
    noise = "".join(line + "\n" for line in NOISE)
    child = tmp_path / "child.py"
    child.write_text(f"import os\nos.write(2, {noise.encode()!r})\nos.write(2, b'E0000 00:00:1.0 1 x.cc:1] a real error\\n')\n")
    done = _run(f"""
        import os, subprocess, sys
        from keras_hpo.quiet import native_log_filter
        with native_log_filter():
            os.write(2, {noise.encode()!r})
            sys.stderr.write("\\rtrials:  50%|bar\\rtrials: 100%|bar\\n")
            subprocess.run([sys.executable, {str(child)!r}], check=True)
            print("stdout untouched", flush=True)
        os.write(2, b"after the filter\\n")
    """)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "stdout untouched\n"
    assert done.stderr == "\rtrials:  50%|bar\rtrials: 100%|bar\nE0000 00:00:1.0 1 x.cc:1] a real error\nafter the filter\n"


@pytest.mark.keras
def test_importing_keras_through_us_prints_nothing_and_keeps_onednn_on():
    done = _run("""
        import os
        os.environ.pop("TF_CPP_MIN_LOG_LEVEL", None)
        from keras_hpo.quiet import import_keras
        keras = import_keras()
        import tensorflow as tf
        print(os.environ.get("TF_ENABLE_ONEDNN_OPTS"), tf.__version__ != "")
    """)
    assert done.returncode == 0 and done.stderr == "", done.stderr
    assert done.stdout.strip() == "None True"  # oneDNN was not turned off to get there


def test_leaving_the_filter_does_not_wait_for_children_that_still_hold_stderr():
    done = _run("""
        import subprocess, sys, time
        from keras_hpo.quiet import native_log_filter
        with native_log_filter():
            child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
            sys.stderr.write("last line\\n")
            started = time.monotonic()
        print(round(time.monotonic() - started, 1))
        child.kill()
    """)
    assert done.returncode == 0, done.stderr
    assert float(done.stdout) < 2 and done.stderr == "last line\n"  # flushed in order, without waiting for EOF
