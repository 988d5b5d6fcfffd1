"""The install extras: ``keras`` never adds a second TensorFlow; the backends come from their own extras."""

from pathlib import Path

import pytest

tomllib = pytest.importorskip("tomllib")  # Python 3.11+

EXTRAS = tomllib.loads((Path(__file__).resolve().parents[1] / "pyproject.toml").read_text())["project"][
    "optional-dependencies"]


def _names(extra):
    return {req.split(";")[0].split("[")[0].split(">")[0].split("=")[0].strip().lower() for req in EXTRAS[extra]}


def test_the_keras_extra_brings_no_backend():
    assert _names("keras") == {"keras", "scikit-learn"}
    assert not {"tensorflow", "tensorflow-cpu", "jax", "torch"} & _names("all")


def test_backends_have_their_own_extras_and_dev_installs_tensorflow_and_jax():
    assert _names("tensorflow") == {"tensorflow-cpu", "tensorflow"}
    assert any("sys_platform == 'linux'" in r and r.startswith("tensorflow-cpu") for r in EXTRAS["tensorflow"])
    assert _names("jax") == {"jax"}
    assert any(r.startswith("keras_hpo[") and {"all", "tensorflow", "jax"} <= set(r[10:-1].split(","))
               for r in EXTRAS["dev"])
