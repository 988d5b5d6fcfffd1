"""Per-trial overhead of the Keras adapter against a bare build/compile/fit loop, KerasTuner and Talos.

One command runs everything and writes ``benchmarks/results/keras_overhead.md`` (and
the per-run records in ``keras_overhead.jsonl``)::

    nice -n 5 python3 benchmarks/keras_overhead.py                 # 3 rounds of 8 trials per method
    python3 benchmarks/keras_overhead.py --rounds 1 --trials 2     # a quick pilot
    nice -n 5 python3 benchmarks/keras_overhead.py --methods bare keras_hpo --rounds 6 --out keras_overhead_pairs

Every method trains the same network (digits, 64 inputs -> Dense(64, relu) -> Dense(10,
softmax), Adam 1e-3, batch 32, 5 epochs, the last 20% validating) the same number
of times; the searched parameter is a dummy that does not change the model, so the
difference in time is the tool's own. Methods:

- ``bare``: ``build(); model.fit(...)`` in a loop, the baseline (ratio 1.00);
- ``bare_clear``: the same with ``keras.backend.clear_session()`` first, as every tool does;
- ``keras_hpo``: ``kh.tune(model_fn, space, data=(x, y), max_trials=8)`` (in-memory store);
- ``keras_hpo_sqlite``: the same with a SQLite file and weights kept beside it;
- ``kerastuner``: ``keras_tuner.RandomSearch(...).search(...)``;
- ``talos``: ``talos.Scan(...)``.

Each (round, method) runs in a fresh subprocess that first trains one warm-up model
(TensorFlow's one-off start-up is not counted), and the order of the methods
rotates from round to round, so a slow spell on a shared machine hits every method
alike. Each tool is imported before the clock starts. TensorFlow uses one thread
each way. Wall time and the process's CPU time are both reported: on a shared
machine the CPU time is the steadier of the two.
"""

from __future__ import annotations

import os

for _var in ("TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS", "OMP_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import argparse  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
ROOT = Path(__file__).resolve().parents[1]
METHODS = ["bare", "bare_clear", "keras_hpo", "keras_hpo_sqlite", "kerastuner", "talos"]
EPOCHS, BATCH, SPLIT = 5, 32, 0.2


def _data():
    from sklearn.datasets import load_digits

    x, y = load_digits(return_X_y=True)
    return (x / 16.0).astype("float32"), y


def _build(params=None):
    import keras

    model = keras.Sequential([keras.Input((64,)), keras.layers.Dense(64, activation="relu"),
                              keras.layers.Dense(10, activation="softmax")])
    model.compile(keras.optimizers.Adam(1e-3), "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def _fit(model, x, y):
    return model.fit(x, y, epochs=EPOCHS, batch_size=BATCH, validation_split=SPLIT, verbose=0)


def run_bare(x, y, trials, seed, folder, clear=False):
    import keras

    for _ in range(trials):
        if clear:
            keras.backend.clear_session()
        _fit(_build(), x, y)


def run_keras_hpo(x, y, trials, seed, folder, storage=False):
    import keras_hpo as kh

    kh.tune(_build, {"dummy": kh.Float(0.0, 1.0), "epochs": EPOCHS, "batch_size": BATCH, "validation_split": SPLIT},
            data=(x, y), max_trials=trials, method="random", seed=seed, progress=False,
            storage=os.path.join(folder, "runs.db") if storage else None)


def _stub_tensorboard():
    """KerasTuner imports tensorboard's hparams API in every trial (used only with a TensorBoard callback, which
    this benchmark does not use); TensorBoard is not installed here, so an empty stand-in is given."""
    import importlib.util
    import types

    if importlib.util.find_spec("tensorboard") is None:
        for name in ("tensorboard", "tensorboard.plugins", "tensorboard.plugins.hparams"):
            sys.modules[name] = types.ModuleType(name)
        sys.modules["tensorboard.plugins.hparams.api"] = types.ModuleType("tensorboard.plugins.hparams.api")
        sys.modules["tensorboard.plugins.hparams"].api = sys.modules["tensorboard.plugins.hparams.api"]


def run_kerastuner(x, y, trials, seed, folder):
    import keras_tuner

    def build(hp):
        hp.Float("dummy", 0.0, 1.0)
        return _build()

    tuner = keras_tuner.RandomSearch(build, objective="val_loss", max_trials=trials, seed=seed, directory=folder,
                                     project_name="kt", overwrite=True)
    tuner.search(x, y, epochs=EPOCHS, batch_size=BATCH, validation_split=SPLIT, verbose=0)
    done = [t for t in tuner.oracle.trials.values() if t.status == "COMPLETED"]
    if len(done) != trials:
        raise RuntimeError(f"KerasTuner completed {len(done)} of {trials} trials")


def run_talos(x, y, trials, seed, folder):
    import talos

    def model_fn(x_train, y_train, x_val, y_val, params):
        model = _build()
        out = model.fit(x_train, y_train, validation_data=(x_val, y_val), epochs=EPOCHS, batch_size=BATCH, verbose=0)
        return out, model

    cut = int(len(x) * (1 - SPLIT))
    os.chdir(folder)
    talos.Scan(x[:cut], y[:cut], {"dummy": [i / trials for i in range(trials)]}, model_fn, experiment_name="talos",
               x_val=x[cut:], y_val=y[cut:], seed=seed, print_params=False, disable_progress_bar=True)


RUNNERS = {
    "bare": run_bare,
    "bare_clear": lambda *a: run_bare(*a, clear=True),
    "keras_hpo": run_keras_hpo,
    "keras_hpo_sqlite": lambda *a: run_keras_hpo(*a, storage=True),
    "kerastuner": run_kerastuner,
    "talos": run_talos,
}


#: what each tool imports, done before the clock starts: a one-off cost, not a per-trial one
IMPORTS = {"keras_hpo": ["keras_hpo", "keras_hpo.keras.adapter", "tqdm.auto"], "kerastuner": ["keras_tuner"],
           "talos": ["talos"]}


def child(method: str, trials: int, seed: int) -> dict:
    """Runs in the subprocess: import the tool, warm up, then time ``trials`` trainings by ``method``."""
    import importlib

    import keras

    sys.path.insert(0, str(ROOT))
    _stub_tensorboard()
    for module in IMPORTS.get(method.replace("_sqlite", ""), []):
        importlib.import_module(module)

    x, y = _data()
    keras.utils.set_random_seed(seed)
    _fit(_build(), x[:64], y[:64])  # warm-up: TensorFlow's one-off costs are not the tool's
    keras.backend.clear_session()
    with tempfile.TemporaryDirectory() as folder:
        wall, cpu = time.perf_counter(), time.process_time()
        RUNNERS[method](x, y, trials, seed, folder)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return {"method": method, "trials": trials, "wall": wall, "cpu": cpu}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--trials", type=int, default=8)
    parser.add_argument("--methods", nargs="*", default=METHODS)
    parser.add_argument("--out", default="keras_overhead", help="name of the result files in benchmarks/results/")
    parser.add_argument("--report-only", action="store_true", help="rewrite the .md from the .jsonl, run nothing")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--seed", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.trials, args.seed)))
        return

    RESULTS.mkdir(exist_ok=True)
    if args.report_only:
        records = [json.loads(line) for line in open(RESULTS / f"{args.out}.jsonl")]
        (RESULTS / f"{args.out}.md").write_text(report(records, args))
        return
    records = []
    for round_ in range(args.rounds):
        order = args.methods[round_ % len(args.methods):] + args.methods[:round_ % len(args.methods)]
        for method in order:
            done = subprocess.run([sys.executable, __file__, "--child", method, "--trials", str(args.trials),
                                   "--seed", str(round_)], capture_output=True, text=True)
            if done.returncode != 0:
                record = {"method": method, "round": round_, "error": done.stderr.strip().splitlines()[-1:]}
            else:
                record = {**json.loads(done.stdout.strip().splitlines()[-1]), "round": round_}
            records.append(record)
            print(json.dumps(record), flush=True)
    with open(RESULTS / f"{args.out}.jsonl", "w") as handle:
        handle.writelines(json.dumps(r) + "\n" for r in records)
    (RESULTS / f"{args.out}.md").write_text(report(records, args))


def report(records: list[dict], args: argparse.Namespace) -> str:
    ok = [r for r in records if "wall" in r]
    base = {r["round"]: r for r in ok if r["method"] == "bare"}
    lines = [
        "# Keras adapter overhead (per trial, against a bare build/compile/fit loop)",
        "",
        f"Digits MLP (64-64-10), {EPOCHS} epochs, batch {BATCH}, validation split {SPLIT}; {args.trials} trials "
        f"per method per round, {args.rounds} rounds, methods interleaved (order rotated each round), one fresh "
        "process per (round, method) after a warm-up fit; TensorFlow limited to 1 thread; `nice -n 5` on a "
        "2-core machine shared with other work. Ratio = wall time / the same round's bare loop; the summary is "
        "the median over rounds. Each tool is imported before the clock starts. KerasTuner imports TensorBoard's "
        "hparams API in every trial; TensorBoard is not installed here, so an empty stand-in module is given "
        "(it is used only with a TensorBoard callback). On this shared machine the CPU time is the steadier "
        "measure; wall time moves with the other users' load.",
        "",
        "| method | wall s/trial (median) | wall ratio per round | wall ratio (median) | CPU s/trial (median) "
        "| CPU ratio per round | CPU ratio (median) |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for method in args.methods:
        runs = sorted((r for r in ok if r["method"] == method), key=lambda r: r["round"])
        failed = [r for r in records if r["method"] == method and "error" in r]
        if not runs:
            lines.append(f"| {method} | did not run: {failed[0]['error'] if failed else 'no record'} | | | | | |")
            continue
        ratios = [r["wall"] / base[r["round"]]["wall"] for r in runs if r["round"] in base]
        cpu_ratios = [r["cpu"] / base[r["round"]]["cpu"] for r in runs if r["round"] in base]
        per_trial = statistics.median(r["wall"] / r["trials"] for r in runs)
        cpu = statistics.median(r["cpu"] / r["trials"] for r in runs)
        lines.append(f"| {method} | {per_trial:.3f} | {', '.join(f'{q:.2f}' for q in ratios)} | "
                     f"{statistics.median(ratios):.2f}x | {cpu:.3f} | {', '.join(f'{q:.2f}' for q in cpu_ratios)} | "
                     f"{statistics.median(cpu_ratios):.2f}x |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
