import subprocess
import sys


def test_import_is_fast_and_does_not_load_tensorflow():
    code = (
        "import sys, time; t = time.perf_counter(); import keras_hpo; dt = time.perf_counter() - t; "
        "print(dt, 'tensorflow' in sys.modules, 'keras' in sys.modules, 'pandas' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    seconds, tf_loaded, keras_loaded, pandas_loaded = float(out[0]), out[1], out[2], out[3]
    assert tf_loaded == "False" and keras_loaded == "False" and pandas_loaded == "False"
    assert seconds < 1.0, f"import keras_hpo took {seconds:.2f} s"


def test_import_does_not_configure_logging_or_warnings():
    code = (
        "import logging, warnings, numpy; before = list(warnings.filters); import keras_hpo; "
        "print(logging.getLogger().handlers == [], warnings.filters == before, "
        "logging.getLogger('keras_hpo').handlers == [])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["True", "True", "True"]
