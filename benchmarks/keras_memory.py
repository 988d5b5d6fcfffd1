"""Process memory (RSS) growth per trial over many small Keras trials in one process.

One command runs everything and writes ``benchmarks/results/keras_memory.md`` (and
the RSS series in ``keras_memory.jsonl``)::

    nice -n 5 python3 benchmarks/keras_memory.py                # 100 trials per variant
    python3 benchmarks/keras_memory.py --trials 20              # a quick pilot

Variants, each in a fresh process after one warm-up fit:

- ``bare_clear``: ``keras.backend.clear_session(); build(); fit()`` in a loop, what
  Keras itself leaks per model;
- ``keras_hpo``: ``kh.tune(model_fn, space, data=(x, y), max_trials=N)`` in memory;
- ``keras_hpo_sqlite``: the same with a SQLite file and weights kept beside it;
- ``keras_hpo_gc_each``: ``keras_hpo`` with a full garbage collection before every
  trial (``GC_TIME_SHARE = 1.0``) instead of the default paced ones, which shows
  what the adapter itself holds (nothing: the slope equals ``bare_clear``'s).

The model is small on purpose (digits, 64 -> 32 -> 10, 2 epochs on 600 samples) so
that a hundred trials take a couple of minutes. The growth per trial is the slope of
a least-squares line through the RSS after each trial, from trial 10 on (the first
trials warm caches up). What the adapter adds is the difference to ``bare_clear``.
"""

from __future__ import annotations

import os

for _var in ("TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS", "OMP_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import argparse  # noqa: E402
import json  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
ROOT = Path(__file__).resolve().parents[1]
VARIANTS = ["bare_clear", "keras_hpo", "keras_hpo_sqlite", "keras_hpo_gc_each"]
MIB = 2**20
SKIP = 10


def _rss() -> float:
    import psutil

    return psutil.Process().memory_info().rss / MIB


def _data():
    from sklearn.datasets import load_digits

    x, y = load_digits(return_X_y=True)
    return (x[:600] / 16.0).astype("float32"), y[:600]


def _build(params=None):
    import keras

    model = keras.Sequential([keras.Input((64,)), keras.layers.Dense(32, activation="relu"),
                              keras.layers.Dense(10, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def child(variant: str, trials: int) -> dict:
    import keras

    x, y = _data()
    _build().fit(x[:64], y[:64], epochs=1, verbose=0)  # warm-up
    rss: list[float] = []
    if variant == "bare_clear":
        for _ in range(trials):
            keras.backend.clear_session()
            _build().fit(x, y, epochs=2, batch_size=64, validation_split=0.2, verbose=0)
            rss.append(_rss())
    else:
        sys.path.insert(0, str(ROOT))
        import keras_hpo as kh
        from keras_hpo.keras import adapter

        if variant == "keras_hpo_gc_each":
            adapter.GC_TIME_SHARE = 1.0

        with tempfile.TemporaryDirectory() as folder:
            kh.tune(_build, {"dummy": kh.Float(0.0, 1.0), "epochs": 2, "batch_size": 64}, data=(x, y),
                    max_trials=trials, seed=0, progress=False,
                    storage=os.path.join(folder, "runs.db") if variant == "keras_hpo_sqlite" else None,
                    callbacks=[lambda result, trial: rss.append(_rss())])
    return {"variant": variant, "rss": rss}


def slope(series: list[float]) -> float:
    """MiB per trial: least-squares slope from trial ``SKIP`` on."""
    y = np.asarray(series[SKIP:])
    return float(np.polyfit(np.arange(len(y)), y, 1)[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=100)
    parser.add_argument("--variants", nargs="*", default=VARIANTS)
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.trials)))
        return
    RESULTS.mkdir(exist_ok=True)
    records = []
    for variant in args.variants:
        done = subprocess.run([sys.executable, __file__, "--child", variant, "--trials", str(args.trials)],
                              capture_output=True, text=True)
        if done.returncode != 0:
            raise SystemExit(f"{variant} failed:\n{done.stderr[-3000:]}")
        record = json.loads(done.stdout.strip().splitlines()[-1])
        records.append(record)
        print(variant, f"{slope(record['rss']):.3f} MiB/trial", flush=True)
    with open(RESULTS / "keras_memory.jsonl", "w") as handle:
        handle.writelines(json.dumps(r) + "\n" for r in records)
    base = next((slope(r["rss"]) for r in records if r["variant"] == "bare_clear"), None)
    lines = [
        "# RSS growth per trial, small Keras trials in one process",
        "",
        f"{args.trials} trials per variant (digits 64-32-10, 2 epochs on 600 samples), each variant in a fresh "
        f"process after a warm-up fit; slope of RSS from trial {SKIP} on (least squares); `nice -n 5`.",
        "",
        "| variant | RSS after trial 10 (MiB) | RSS at the end (MiB) | growth (MiB/trial) | minus bare_clear |",
        "| --- | --- | --- | --- | --- |",
    ]
    for r in records:
        s = slope(r["rss"])
        extra = "" if base is None else f"{s - base:+.3f}"
        lines.append(f"| {r['variant']} | {r['rss'][SKIP - 1]:.0f} | {r['rss'][-1]:.0f} | {s:.3f} | {extra} |")
    (RESULTS / "keras_memory.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
