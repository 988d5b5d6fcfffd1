"""The demo behind ``keras-hpo demo``: tune a small network on scikit-learn's bundled digits, no download.

A quarter of the 1,797 8x8 digit images is held out as a test set; ``kh.keras.mlp``
is tuned on the rest (the last 20% of it validates each trial) for validation
accuracy over ``kh.keras.mlp_space``. The run uses the embedded SQLite store, so
running it again with the same storage and study resumes instead of starting over.
At the end it prints the leaderboard and the best model's accuracy on the test set.
"""

from __future__ import annotations

import os

from .result import TuneResult
from .space import Choice, Space
from .tune import tune

#: the demo's space: small networks that train in a second or two each on a laptop CPU
DEMO_SPACE_OPTIONS = {"max_layers": 2, "units": (16, 128), "epochs": 10, "batch_sizes": (32, 64)}

#: methods that enumerate a finite space (grid order, Talos rows) get the same networks as lists of values
FINITE_METHODS = ("grid", "talos")


def demo_space(method: str) -> Space:
    """``mlp_space`` for the demo; for grid and Talos, its continuous ranges become a few listed values."""
    from .keras import mlp_space

    if method not in FINITE_METHODS:
        return mlp_space(**DEMO_SPACE_OPTIONS)
    return Space({
        "layers": [1, 2],
        "units_0": [32, 64, 128],
        "units_1": Choice([32, 64], when={"layers": [2]}),
        "activation": ["relu", "elu", "tanh"],
        "optimizer": ["adam", "rmsprop"],
        "learning_rate": [0.001, 0.003, 0.01],
        "batch_size": [32, 64],
        "epochs": 10,
    })


def digits(test_size: float = 0.25, seed: int = 0) -> tuple:
    """``(x_train, y_train, x_test, y_test)``: scikit-learn's digits scaled to [0, 1], split stratified."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    x, y = load_digits(return_X_y=True)
    x = (x / 16.0).astype("float32")
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=test_size, random_state=seed, stratify=y)
    return x_train, y_train, x_test, y_test


def run_demo(method: str = "auto", trials: int = 8, storage: str | None = "runs/demo.db", study: str | None = None,
             seed: int = 0, progress: bool = True) -> TuneResult:
    """Tune ``kh.keras.mlp`` on digits with ``method`` for ``trials`` trials; print the leaderboard and test accuracy."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TensorFlow's start-up chatter, for this command only
    from .keras import mlp

    x_train, y_train, x_test, y_test = digits(seed=seed)
    if storage:
        os.makedirs(os.path.dirname(os.path.abspath(storage)), exist_ok=True)
    result = tune(mlp(input_shape=64, outputs=10), demo_space(method), data=(x_train, y_train),
                  metric="val_accuracy", method=method, max_trials=trials, storage=storage,
                  study=study or f"demo-{method}", resume=bool(storage), seed=seed, progress=progress)
    print(result.summary())
    model = result.best_model()
    _, accuracy = model.evaluate(x_test, y_test, verbose=0)
    print(f"best validation accuracy {result.best_value:.4f} (trial {result.best_trial.number}); "
          f"test accuracy of the best model {accuracy:.4f} on {len(y_test)} held-out digits")
    return result
