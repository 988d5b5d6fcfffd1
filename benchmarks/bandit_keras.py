"""Best-arm search and pruning on a real Keras task, side by side with KerasTuner's Hyperband.

Digits (scikit-learn's bundled 8x8 images, 1797 samples: 1077 train, 360
validation, 360 test), an MLP over ``kh.keras.mlp_space(max_layers=2,
epochs=27)``, validation accuracy maximised. Methods:

- ``hyperband``: ``method="hyperband"`` and nothing else (max 27 epochs from the
  space, factor 3, one iteration: the budgets come from the space);
- ``asha`` and ``successive_halving`` (factor 3): stopped at the epochs one
  Hyperband iteration trains in the same seed (``max_budget_total``; a dry run
  of the schedule with a plain objective gives that number, 357), so all three
  train the same number of epochs (ASHA overshoots by its last promotions);
- ``random+median``: random search with ``pruner="median"`` (its defaults),
  ``RANDOM_TRIALS`` trials of up to 27 epochs;
- ``random``: the same ``RANDOM_TRIALS`` random trials, all 27 epochs (same
  seed, hence the same configurations as ``random+median``);
- ``kerastuner_hyperband``: ``keras_tuner.Hyperband(max_epochs=27, factor=3,
  hyperband_iterations=1)`` on the same space, data, split and model function
  (compiled as our adapter compiles it; KerasTuner then fits it as it does).

Recorded per run: wall time, epochs trained in all (continued trials count
the epochs they added; KerasTuner's counted by a callback), trials (ours: and
how many started a new model), best
validation accuracy, the test accuracy of the best model each tool hands
back (``result.best_model()``, ``tuner.get_best_models(1)[0]``), the load
average before and after, the library's folder (``code``) and the process (``run``): ratios compare runs of
the same process, which run one after another in a rotating order.
TensorFlow runs on one thread each way for every method.

On a shared machine, one process per seed and group of methods, each timing
group under the shared lock, the others niced and marked ``--untimed``::

    flock /work/wt/timing.lock python3 benchmarks/bandit_keras.py --seeds 11 --methods hyperband kerastuner_hyperband --append
    flock /work/wt/timing.lock python3 benchmarks/bandit_keras.py --seeds 11 --methods hyperband asha --append
    nice -n 15 python3 benchmarks/bandit_keras.py --seeds 11 --methods random+median random --untimed --append
    nice -n 15 python3 benchmarks/bandit_keras.py --seeds 41 --methods random+median random --untimed --append \
        --out bandit_keras_pruner   # the pruner's defaults of 30 Nov (seeds 41-43), kept apart from the old rows
    nice -n 15 python3 benchmarks/bandit_keras.py --seeds 11 --methods successive_halving --untimed --append
    python3 benchmarks/bandit_keras.py --table-from results/bandit_keras.jsonl   # the table again

(``python3 benchmarks/bandit_keras.py`` alone runs every method for seeds 11-13 in one process.)
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

for _var in ("TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS", "OMP_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

import keras_hpo as kh  # noqa: E402
from keras_hpo.budget import trial_cost  # noqa: E402

MAX_EPOCHS = int(os.environ.get("BANDIT_KERAS_MAX_EPOCHS", 27))  # smaller only to smoke-test the script
FACTOR = 3
RANDOM_TRIALS = int(os.environ.get("BANDIT_KERAS_RANDOM_TRIALS", 16))
OUT = Path(__file__).parent / "results"
RUN = f"{os.getpid()}-{int(time.time())}"  # rows of one process share it: their ratios compare runs side by side
TIMED = True  # False (--untimed): the run's wall times were taken under nice, without the timing lock
#: the seeds of the table; 0-2 were reported before the adapter changed, 7, 99 and 100 were pilots and profiling
REPORTED_SEEDS = [11, 12, 13]
METHODS = ["hyperband", "asha", "successive_halving", "random+median", "random", "kerastuner_hyperband"]


def digits() -> tuple:
    from sklearn.datasets import load_digits

    x, y = load_digits(return_X_y=True)
    order = np.random.default_rng(0).permutation(len(x))
    x, y = (x[order] / 16.0).astype("float32"), y[order]
    return (x[:1077], y[:1077], x[1077:1437], y[1077:1437]), (x[1437:], y[1437:])


def space() -> kh.Space:
    return kh.keras.mlp_space(max_layers=2, epochs=MAX_EPOCHS)


def run_ours(method: str, seed: int, data: tuple, test: tuple, epochs_budget: float | None) -> dict:
    options: dict = {}
    if method == "hyperband":
        search = "hyperband"
    elif method in ("asha", "successive_halving"):
        search = kh.searchers.get(method, eta=FACTOR)
        options["max_budget_total"] = epochs_budget
    else:
        search = "random"
        options["max_trials"] = RANDOM_TRIALS
        if method == "random+median":
            options["pruner"] = "median"
    started = time.perf_counter()
    result = kh.tune(kh.keras.mlp(64, 10), space(), data=data, method=search, metric="val_accuracy", seed=seed,
                     progress=False, **options)
    wall = time.perf_counter() - started
    by_number = {t.number: t for t in result.records}
    model = result.best_model()
    _, test_accuracy = model.evaluate(*test, verbose=0)
    return {"wall": wall, "epochs": sum(trial_cost(t, by_number) for t in result.records), "trials": len(result.records),
            "pruned": sum(t.state is kh.TrialState.PRUNED for t in result.records),
            "new_models": sum(t.resume_from is None for t in result.records),  # each pays a new model's fixed cost
            "best_val": result.best_value, "test": float(test_accuracy), "best_budget": result.best_trial.budget}


def run_kerastuner(seed: int, data: tuple, test: tuple) -> dict:
    import keras
    import keras_tuner as kt

    sp = space()
    counted = []

    class Count(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            counted.append(1)

    class MLP(kt.HyperModel):
        def build(self, hp):
            params = {}
            for name, dist in sp.items():
                if isinstance(dist, kh.Fixed):
                    continue
                if isinstance(dist, kh.Int):
                    params[name] = hp.Int(name, dist.low, dist.high, sampling="log" if dist.log else "linear")
                elif isinstance(dist, kh.Float):
                    params[name] = hp.Float(name, dist.low, dist.high, sampling="log" if dist.log else "linear")
                elif all(isinstance(v, bool) for v in dist.values()):
                    params[name] = hp.Boolean(name)
                else:
                    params[name] = hp.Choice(name, list(dist.values()))
            model = kh.keras.mlp(64, 10)(params)  # the very model function our runs use
            if not model.compiled:
                from keras_hpo.keras.adapter import _compile

                _compile(model, params, data[1])
            return model

        def fit(self, hp, model, *args, **kwargs):
            return model.fit(*args, batch_size=hp.get("batch_size"), **kwargs)

    folder = tempfile.mkdtemp(prefix="kt-")
    started = time.perf_counter()
    tuner = kt.Hyperband(MLP(), objective="val_accuracy", max_epochs=MAX_EPOCHS, factor=FACTOR, hyperband_iterations=1,
                         seed=seed, directory=folder, project_name="digits", overwrite=True)
    tuner.search(data[0], data[1], validation_data=(data[2], data[3]), verbose=0, callbacks=[Count()])
    wall = time.perf_counter() - started
    best = tuner.oracle.get_best_trials(1)[0]
    model = tuner.get_best_models(1)[0]
    _, test_accuracy = model.evaluate(*test, verbose=0)
    return {"wall": wall, "epochs": len(counted), "trials": len(tuner.oracle.trials), "pruned": 0,
            "best_val": float(best.score), "test": float(test_accuracy), "best_budget": best.hyperparameters.get("tuner/epochs")}


def hyperband_epochs(seed: int) -> float:
    """The epochs one Hyperband iteration trains on this space: a dry run with a plain objective (no Keras).

    The schedule does not depend on the values, so this is exactly what ``hyperband`` spends in the same seed,
    and ``asha``/``successive_halving`` can run in another process (or before it) at equal epochs.
    """
    def plain(params, budget):
        return float(len(str(params))) + 1.0 / budget

    result = kh.tune(plain, space(), method="hyperband", seed=seed, progress=False)
    by_number = {t.number: t for t in result.records}
    return float(sum(trial_cost(t, by_number) for t in result.records))


def load() -> float:
    return round(os.getloadavg()[0], 2)


def run_seed(seed: int, methods: list[str], log) -> list[dict]:
    data, test = digits()
    rows, epochs_budget = [], hyperband_epochs(seed)
    order = methods[seed % len(methods):] + methods[: seed % len(methods)]  # rotated: load hits each method alike
    for method in order:
        before = load()
        if method == "kerastuner_hyperband":
            row = run_kerastuner(seed, data, test)
        else:
            row = run_ours(method, seed, data, test, epochs_budget)
        row.update(method=method, seed=seed, load=[before, load()], ended=time.strftime("%H:%M:%S", time.gmtime()),
                   timed=TIMED, run=RUN, code=os.path.dirname(os.path.dirname(kh.__file__)))
        rows.append(row)
        log(json.dumps(row))
    return rows


def table(rows: list[dict], seeds: list[int]) -> str:
    by = {m: [r for r in rows if r["method"] == m] for m in METHODS if any(r["method"] == m for r in rows)}
    lines = [f"# Bandits and pruning on Keras (digits MLP, max {MAX_EPOCHS} epochs, factor {FACTOR})", "",
             f"Seeds {seeds}; medians over runs (min-max in brackets). A wall-time ratio compares a run with the "
             "reference method's run in the same process (same seed, one after the other), an epochs ratio with the "
             "reference's runs of the same seed.", "",
             "| method | runs | wall s | / KerasTuner HB | / our HB | epochs | / random's epochs | trials | pruned | "
             "best val acc | test acc |", "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]

    def med(values: list[float], fmt: str = "{:.3g}") -> str:
        if not values:
            return "-"
        return f"{fmt.format(np.median(values))} [{fmt.format(min(values))}-{fmt.format(max(values))}]"

    for method, runs in by.items():
        def ratio(ref_method: str, key: str = "wall", runs: list = runs) -> list[float]:
            out = []
            for r in runs:
                same_seed = [x for x in by.get(ref_method, []) if x["seed"] == r["seed"]]
                refs = [x for x in same_seed if x.get("run") is not None and x.get("run") == r.get("run")]
                if not refs and key != "wall":  # counts of epochs do not depend on the run; times do
                    refs = same_seed
                if refs:
                    out.append(r[key] / float(np.median([x[key] for x in refs])))
            return out

        timed = all(r.get("timed", True) for r in runs)
        wall = med([r["wall"] for r in runs], "{:.0f}") + ("" if timed else " (untimed)")
        lines.append(" | ".join([
            f"| {method}", str(len(runs)), wall, med(ratio("kerastuner_hyperband"), "{:.2f}") if timed else "-",
            med(ratio("hyperband"), "{:.2f}") if timed else "-", med([r["epochs"] for r in runs], "{:.0f}"),
            med(ratio("random", "epochs"), "{:.2f}"), med([r["trials"] for r in runs], "{:.0f}"),
            med([r["pruned"] for r in runs], "{:.0f}"), med([r["best_val"] for r in runs], "{:.4f}"),
            med([r["test"] for r in runs], "{:.4f}")]) + " |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=REPORTED_SEEDS)
    parser.add_argument("--methods", nargs="+", default=METHODS, choices=METHODS)
    parser.add_argument("--out", default="bandit_keras")
    parser.add_argument("--untimed", action="store_true",
                        help="rows whose wall time is not a timing figure (run under nice, without the timing lock)")
    parser.add_argument("--append", action="store_true",
                        help="add the rows to OUT.jsonl (one short run per seed or per group of methods), "
                             "then write the table from all its rows")
    parser.add_argument("--table-from", nargs="+", metavar="JSONL",
                        help="only write the table, from rows that runs (e.g. one process per seed) already wrote")
    args = parser.parse_args()
    global TIMED
    TIMED = not args.untimed
    OUT.mkdir(exist_ok=True)
    if args.table_from:
        rows = [json.loads(line) for path in args.table_from for line in Path(path).read_text().splitlines() if line]
        seeds = sorted({r["seed"] for r in rows})
        (OUT / f"{args.out}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
        text = table(rows, seeds)
        (OUT / f"{args.out}.md").write_text(text)
        print(text)
        return
    jsonl = OUT / f"{args.out}.jsonl"
    rows = []
    with open(jsonl, "a" if args.append else "w") as handle:
        def log(line: str) -> None:
            handle.write(line + "\n")
            handle.flush()
            print(line, file=sys.stderr, flush=True)

        for seed in args.seeds:
            rows += run_seed(seed, list(args.methods), log)
    if args.append:
        rows = [json.loads(line) for line in jsonl.read_text().splitlines() if line]
    text = table(rows, sorted({r["seed"] for r in rows}))
    (OUT / f"{args.out}.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
