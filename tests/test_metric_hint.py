"""A metric name that Keras did not log says which logged name was meant when it looks like a typo or Keras 2's
``acc``/``val_acc``, and suggests nothing for another metric (``val_auc`` is not a typo of ``val_accuracy``)."""

import pytest

from keras_hpo.keras.adapter import _not_in_history

LOGGED = {"accuracy": [0.5], "loss": [1.0], "val_accuracy": [0.5], "val_loss": [1.0]}


@pytest.mark.parametrize(("metric", "meant"), [
    ("val_acc", "val_accuracy"), ("acc", "accuracy"), ("val_acuracy", "val_accuracy"), ("val_los", "val_loss"),
    ("val_auc", None), ("mse", None), ("accuracy_val", None), ("val_mse", None),
])
def test_the_hint_names_the_metric_meant(metric, meant):
    message = _not_in_history(metric, LOGGED)
    assert message.startswith(f"metric {metric!r} is not in the training history; it has ['accuracy', 'loss', "
                              "'val_accuracy', 'val_loss']")
    assert message.endswith(f"; did you mean {meant!r}?" if meant else "'val_loss']")
