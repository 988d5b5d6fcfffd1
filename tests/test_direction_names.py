"""direction is inferred from Keras's metric names: every loss-like name Keras (or KerasHub) logs is minimised.

``metrics=[keras.losses.log_cosh]`` logs ``log_cosh`` (the metric class logs ``logcosh``), and KerasHub's
``Perplexity`` logs ``perplexity``; both were maximised."""

import pytest

from keras_hpo.tune import infer_direction


@pytest.mark.parametrize("name", ["val_loss", "val_mae", "val_mean_squared_error", "val_root_mean_squared_error",
                                  "val_sparse_categorical_crossentropy", "val_squared_hinge", "val_kl_divergence",
                                  "val_logcosh", "val_log_cosh", "log_cosh", "val_poisson", "val_huber",
                                  "val_false_negatives", "val_perplexity"])
def test_losses_and_errors_are_minimised(name):
    assert infer_direction(name) == "min"


@pytest.mark.parametrize("name", ["val_accuracy", "val_auc", "val_precision", "val_recall", "val_f1_score",
                                  "val_r2_score", "val_cosine_similarity", "val_true_positives", "val_mean_io_u"])
def test_scores_are_maximised(name):
    assert infer_direction(name) == "max"
