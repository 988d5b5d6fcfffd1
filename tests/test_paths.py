"""Study names are plain names; every path under the artifacts folder stays inside it."""

import os
import subprocess
import sys
import textwrap

import pytest

import keras_hpo as kh
from keras_hpo.paths import artifacts_dir, check_study_name, inside


@pytest.mark.parametrize("name", ["../../outside", "/abs", "a/b", "a\\b", ".hidden", "..", ".", "", "a b", "x" * 129,
                                  "tab\t", "nul\0", 3])
def test_bad_study_names_are_refused_before_any_trial(tmp_path, name):
    calls = []
    with pytest.raises(ValueError, match="study"):
        kh.tune(lambda p: calls.append(p) or 0.0, {"x": [1, 2]}, storage=str(tmp_path / "s.db"), study=name,
                progress=False)
    assert calls == []
    assert os.listdir(tmp_path) == []  # nothing written, inside or outside


@pytest.mark.parametrize("name", ["mlp-v1", "A_b.2", "0", "x" * 128])
def test_plain_names_are_accepted(name):
    assert check_study_name(name) == name


def test_inside_refuses_what_leads_out(tmp_path):
    folder = tmp_path / "art"
    folder.mkdir()
    assert inside(folder, "w.h5") == str(folder / "w.h5")
    for bad in ("../x", str(tmp_path / "x"), "/etc/passwd", "a/../../x", ""):
        with pytest.raises(kh.UnsafePath):
            inside(folder, bad)
    (folder / "link").symlink_to(tmp_path)  # a symbolic link planted in the folder leads out too
    with pytest.raises(kh.UnsafePath):
        inside(folder, "link/x")


def test_artifacts_dir_is_beside_the_store(tmp_path):
    assert artifacts_dir(tmp_path / "r.db", "s") == f"{tmp_path / 'r.db'}.artifacts/s"
    with pytest.raises(ValueError, match="study"):
        artifacts_dir(tmp_path / "r.db", "../s")


def test_new_files_follow_the_users_umask(tmp_path):
    script = textwrap.dedent(
        """
        import os, sys
        os.umask(0o027)
        import keras_hpo as kh
        kh.tune(lambda p: p["x"], {"x": [1, 2]}, storage=sys.argv[1], study="s", progress=False)
        """
    )
    db = tmp_path / "r.db"
    subprocess.run([sys.executable, "-c", script, str(db)], check=True, env={**os.environ, "PYTHONPATH": os.getcwd()})
    assert db.stat().st_mode & 0o777 == 0o640
