"""tune(tensorboard=...) and `keras-hpo tensorboard` write HParams sessions that TensorBoard reads back."""

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

import keras_hpo as kh

pytest.importorskip("tensorboard")


def read_sessions(logdir):
    """Every session in ``logdir`` as TensorBoard's event-processing module reads it."""
    from tensorboard.backend.event_processing import plugin_event_multiplexer
    from tensorboard.plugins.hparams import metadata

    mux = plugin_event_multiplexer.EventMultiplexer()
    mux.AddRunsFromDirectory(logdir)
    mux.Reload()
    sessions = {}
    for run, tags in mux.PluginRunToTagToContent(metadata.PLUGIN_NAME).items():
        if metadata.SESSION_START_INFO_TAG not in tags:
            continue
        start = metadata.parse_session_start_info_plugin_data(tags[metadata.SESSION_START_INFO_TAG])
        end = metadata.parse_session_end_info_plugin_data(tags[metadata.SESSION_END_INFO_TAG])
        params = {k: getattr(v, v.WhichOneof("kind")) for k, v in start.hparams.items()}
        metrics = {}
        for tag in mux.GetAccumulator(run).Tags()["tensors"]:
            if not tag.startswith("_hparams_"):
                events = mux.Tensors(run, tag)
                metrics[tag] = [e.tensor_proto.float_val[0] for e in events]
        sessions[run] = {"params": params, "status": end.status, "metrics": metrics, "group": start.group_name}
    return sessions, mux


def objective(params):
    if params["x"] > 0.85:
        raise RuntimeError("too far")
    return {"loss": (params["x"] - 0.3) ** 2 + params["n"] * 0.01, "width": params["n"] * 2.0}


SPACE = {"x": kh.Float(0, 1), "n": kh.Int(1, 4), "act": ["relu", "tanh"]}


def test_every_trial_is_a_session_with_its_params_state_and_values(tmp_path):
    from tensorboard.plugins.hparams import api_pb2

    logdir = tmp_path / "logs"
    result = kh.tune(objective, SPACE, metric="loss", max_trials=12, seed=0, n_jobs=2, progress=False,
                     tensorboard=str(logdir))
    sessions, _ = read_sessions(str(logdir))
    assert len(sessions) == len(result.records) == 12
    failed = [t for t in result.records if t.state is kh.TrialState.FAILED]
    assert failed, "the seed was chosen so that some trial fails"
    for trial in result.records:
        session = sessions[f"trial-{trial.number:05d}"]
        assert session["group"] == f"trial-{trial.number:05d}"  # one group per trial, even for equal params
        assert session["params"]["x"] == pytest.approx(trial.params["x"])
        assert session["params"]["n"] == trial.params["n"] and session["params"]["act"] == trial.params["act"]
        assert session["params"]["state"] == trial.state.value
        if trial.state is kh.TrialState.FAILED:
            assert session["status"] == api_pb2.Status.STATUS_FAILURE and "value" not in session["metrics"]
        else:
            assert session["status"] == api_pb2.Status.STATUS_SUCCESS
            assert session["metrics"]["value"] == [pytest.approx(trial.value, rel=1e-6)]
            assert session["metrics"]["width"] == [pytest.approx(trial.params["n"] * 2.0)]


def test_the_experiment_names_the_domains_and_metrics(tmp_path):
    from tensorboard.backend.event_processing import event_accumulator
    from tensorboard.plugins.hparams import metadata

    kh.tune(objective, SPACE, metric="loss", max_trials=5, seed=0, progress=False, tensorboard=tmp_path)
    acc = event_accumulator.EventAccumulator(str(tmp_path))
    acc.Reload()
    experiment = metadata.parse_experiment_plugin_data(acc.PluginTagToContent("hparams")[metadata.EXPERIMENT_TAG])
    infos = {h.name: h for h in experiment.hparam_infos}
    assert set(infos) == {"x", "n", "act", "state"}
    assert (infos["x"].domain_interval.min_value, infos["x"].domain_interval.max_value) == (0, 1)
    assert [v.string_value for v in infos["act"].domain_discrete.values] == ["relu", "tanh"]
    assert [m.name.tag for m in experiment.metric_infos][:1] == ["value"]
    assert {"loss", "width"} <= {m.name.tag for m in experiment.metric_infos}


def test_a_resumed_run_adds_its_trials_once(tmp_path):
    db, logdir = str(tmp_path / "s.db"), str(tmp_path / "logs")
    kh.tune(objective, SPACE, metric="loss", max_trials=4, seed=1, storage=db, study="s", progress=False,
            tensorboard=logdir)
    result = kh.tune(objective, SPACE, metric="loss", max_trials=7, seed=1, storage=db, study="s", resume=True,
                     progress=False, tensorboard=logdir)
    sessions, _ = read_sessions(logdir)
    assert sorted(sessions) == [f"trial-{t.number:05d}" for t in result.records] and len(sessions) == 7
    assert all(len(s["metrics"].get("value", [0])) == 1 for s in sessions.values())  # rewritten, never doubled


def test_a_resumed_run_with_nothing_left_still_writes_the_study(tmp_path):
    db = str(tmp_path / "s.db")
    kh.tune(objective, SPACE, metric="loss", max_trials=3, seed=1, storage=db, study="s", progress=False)
    kh.tune(objective, SPACE, metric="loss", max_trials=3, seed=1, storage=db, study="s", resume=True,
            progress=False, tensorboard=tmp_path / "late")
    assert len(read_sessions(str(tmp_path / "late"))[0]) == 3


def test_the_command_line_writes_the_same_sessions_from_a_stored_study(tmp_path):
    db = str(tmp_path / "s.db")
    kh.tune(objective, SPACE, metric="loss", max_trials=6, seed=2, storage=db, study="s", progress=False,
            tensorboard=tmp_path / "live")
    out = subprocess.run(["keras-hpo", "tensorboard", db, "--logdir", str(tmp_path / "later")], capture_output=True,
                         text=True, check=True).stdout
    assert "wrote 6 trials" in out and "tensorboard --logdir" in out
    live, later = read_sessions(str(tmp_path / "live"))[0], read_sessions(str(tmp_path / "later"))[0]
    assert {k: (v["params"], v["metrics"], v["status"]) for k, v in live.items()} == \
           {k: (v["params"], v["metrics"], v["status"]) for k, v in later.items()}


def test_bad_tensorboard_arguments_fail_before_any_trial(tmp_path):
    calls = []

    def counted(params):
        calls.append(params)
        return params["x"]

    with pytest.raises(TypeError, match="tensorboard"):
        kh.tune(counted, SPACE, max_trials=2, progress=False, tensorboard=3)
    (tmp_path / "file").write_text("")
    with pytest.raises(ValueError, match="tensorboard"):
        kh.tune(counted, SPACE, max_trials=2, progress=False, tensorboard=tmp_path / "file")
    assert calls == []


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _post(url, body):
    request = urllib.request.Request(url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


@pytest.mark.slow
def test_a_real_tensorboard_server_shows_the_sessions(tmp_path):
    result = kh.tune(objective, SPACE, metric="loss", max_trials=6, seed=3, progress=False, tensorboard=tmp_path)
    port = _free_port()
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    command = [shutil.which("tensorboard")] if shutil.which("tensorboard") else [sys.executable, "-m", "tensorboard.main"]
    server = subprocess.Popen([*command, "--logdir", str(tmp_path), "--host", "127.0.0.1", "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    base = f"http://127.0.0.1:{port}/data/plugin/hparams"
    request = {"startIndex": 0, "sliceSize": 100, "aggregationType": "AGGREGATION_AVG",
               "allowedStatuses": ["STATUS_SUCCESS", "STATUS_FAILURE", "STATUS_RUNNING", "STATUS_UNKNOWN"],
               "colParams": [{"metric": {"tag": "value"}, "order": "ORDER_ASC"}]}
    try:
        deadline, groups = time.monotonic() + 120, None
        while time.monotonic() < deadline:
            assert server.poll() is None, "tensorboard exited"
            try:
                groups = _post(f"{base}/session_groups", request)
                if groups.get("totalSize") == len(result.records):
                    break
            except OSError:
                pass
            time.sleep(1)
        assert groups is not None and groups["totalSize"] == len(result.records), groups
        experiment = _post(f"{base}/experiment", {"experimentName": ""})
        assert {h["name"] for h in experiment["hparamInfos"]} == {"x", "n", "act", "state"}
        by_name = {g["name"]: g for g in groups["sessionGroups"]}
        best = result.best_trial
        shown = by_name[f"trial-{best.number:05d}"]
        assert shown["hparams"]["act"] == best.params["act"] and shown["hparams"]["state"] == "COMPLETE"
        value = next(m["value"] for m in shown["metricValues"] if m["name"]["tag"] == "value")
        assert value == pytest.approx(best.value, rel=1e-6)
        ordered = [g["name"] for g in groups["sessionGroups"] if any(m["name"]["tag"] == "value" for m in g["metricValues"])]
        assert ordered[0] == f"trial-{best.number:05d}"  # sorted by value, ascending: the best first
    finally:
        server.terminate()
        server.wait(timeout=30)
