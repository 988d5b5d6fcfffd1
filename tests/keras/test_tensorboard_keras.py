"""A Keras run's TensorBoard files: every epoch of every logged metric, per trial, from the driver's records."""

import pytest

import keras_hpo as kh

pytestmark = pytest.mark.keras
pytest.importorskip("tensorboard")


def test_keras_trials_get_per_epoch_scalars_and_their_final_metrics(digits, tmp_path):
    from tensorboard.backend.event_processing import event_accumulator

    space = {"units": [4, 8], "epochs": 3, "batch_size": 64}
    result = kh.tune(kh.keras.mlp(64, 10), space, data=digits, metric="val_accuracy", max_trials=2, seed=0,
                     progress=False, tensorboard=tmp_path)
    for trial in result.records:
        history = trial.metrics["history"]  # the adapter keeps every epoch of every metric
        assert set(history) >= {"loss", "accuracy", "val_loss", "val_accuracy"} and len(history["val_loss"]) == 3
        assert history["val_accuracy"] == trial.curve
        epochs = event_accumulator.EventAccumulator(str(tmp_path / f"trial-{trial.number:05d}" / "epochs"))
        epochs.Reload()
        for name, values in history.items():
            events = epochs.Tensors(name)
            assert [e.step for e in events] == [1, 2, 3]
            assert [e.tensor_proto.float_val[0] for e in events] == pytest.approx(values, rel=1e-6)
        session = event_accumulator.EventAccumulator(str(tmp_path / f"trial-{trial.number:05d}"))
        session.Reload()
        assert session.Tensors("value")[0].tensor_proto.float_val[0] == pytest.approx(trial.value, rel=1e-6)
        assert session.Tensors("val_loss")[0].tensor_proto.float_val[0] == pytest.approx(trial.metrics["val_loss"], rel=1e-6)
