"""Make the README's "Results" images: `python3 docs/make_images.py` (about two minutes on a laptop CPU).

Every image comes from a real run: small Keras networks on scikit-learn's bundled
digits (two worker processes, so the timeline has two lanes), a Hyperband run of the
same networks, and three methods compared on a plain function. Seeds are fixed, so
the pictures change only when the code does.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("MPLBACKEND", "Agg")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import keras_hpo as kh  # noqa: E402
from keras_hpo.demo import digits  # noqa: E402

OUT = Path(__file__).resolve().parent / "images"
SPACE = {"units": kh.Int(8, 128, log=True), "learning_rate": kh.Float(1e-4, 3e-2, log=True),
         "dropout": kh.Float(0.0, 0.5), "batch_size": 64, "epochs": 12}


def save(ax, name):
    fig = ax.figure if hasattr(ax, "figure") else ax[0].figure
    fig.tight_layout()
    fig.savefig(OUT / name, dpi=90)
    plt.close(fig)
    print("wrote", OUT / name)


def branin(params):
    x, y = params["x"], params["y"]
    return (y - 5.1 / (4 * np.pi**2) * x**2 + 5 / np.pi * x - 6) ** 2 + 10 * (1 - 1 / (8 * np.pi)) * np.cos(x) + 10


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    x_train, y_train, _, _ = digits(seed=0)
    data = (x_train[:800], y_train[:800])
    mlp = kh.keras.mlp(input_shape=64, outputs=10)

    run = kh.tune(mlp, SPACE, data=data, metric="val_accuracy", max_trials=10, n_jobs=2, seed=0, progress=False)
    save(run.plot_learning_curves(), "curves.png")
    save(run.plot_timeline(), "timeline.png")
    save(run.plot_slice(), "slice.png")
    save(run.plot_contour("units", "learning_rate"), "contour.png")
    save(run.plot_importance(), "importance.png")

    bandit = kh.tune(mlp, {**SPACE, "epochs": 9}, data=data, metric="val_accuracy", seed=0, progress=False,
                     max_trials=13, method=kh.searchers.get("hyperband", min_budget=1, max_budget=9, eta=3))
    save(bandit.plot_rungs(), "rungs.png")

    space = {"x": kh.Float(-5, 10), "y": kh.Float(0, 15)}
    runs = {m: kh.tune(branin, space, method=m, max_trials=40, seed=1, progress=False) for m in ("random", "tpe", "bayes")}
    save(kh.plots.plot_ecdf(runs), "ecdf.png")


if __name__ == "__main__":
    main()
