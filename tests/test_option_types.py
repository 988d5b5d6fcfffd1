"""tune's options of the wrong type are refused up front, naming the option (they were Python's own messages:
"'function' object is not iterable", "expected str, bytes or os.PathLike object, not int")."""

from pathlib import Path

import pytest

import keras_hpo as kh

SPACE = {"x": kh.Float(0, 1)}


def _never(params):
    raise AssertionError("no trial may run")


class _KerasLikeCallback:  # what keras.callbacks.EarlyStopping looks like to tune
    def set_model(self, model):
        pass

    def on_epoch_end(self, epoch, logs=None):
        pass


@pytest.mark.parametrize(("options", "message"), [
    ({"callbacks": lambda result, trial: None}, "callbacks must be a list of callables f(result, trial), got function; "
                                                "write callbacks=[fn]"),
    ({"callbacks": [_KerasLikeCallback()]}, "callbacks: _KerasLikeCallback is a Keras callback; give it to every "
                                            "trial's fit with fit_kwargs={'callbacks': [...]}"),
    ({"storage": 123}, "storage must be a file path (str or os.PathLike) or None, got int"),
])
def test_options_of_the_wrong_type_name_the_option(options, message):
    with pytest.raises(TypeError) as error:
        kh.tune(_never, SPACE, max_trials=2, progress=False, **options)
    assert str(error.value) == message


def test_no_callbacks_and_a_path_storage_work(tmp_path):
    result = kh.tune(lambda p: p["x"], SPACE, max_trials=2, progress=False, callbacks=None,
                     storage=Path(tmp_path) / "p.db")
    assert len(result.records) == 2
    assert len(kh.load(str(tmp_path / "p.db")).records) == 2


def test_resume_without_storage_warns_that_nothing_is_stored(caplog):
    import logging

    with caplog.at_level(logging.WARNING, logger="keras_hpo"):
        kh.tune(lambda p: p["x"], SPACE, max_trials=2, progress=False, resume=True)
    assert any(r.getMessage().startswith("resume=True without storage=: there is no stored study to continue")
               for r in caplog.records)
