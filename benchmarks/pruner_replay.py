"""Pilot pruner defaults offline: record plain-random learning curves once, then replay pruners on them.

A trial's per-epoch validation curve depends only on its configuration and its
seed (the adapter seeds each trial with ``keras.utils.set_random_seed``; one
TensorFlow thread), not on the pruner. So the curves of plain random search at
the full budget are recorded once per seed (``--record``), and any pruner is
then replayed on them in the order ``tune`` runs trials serially: each trial
reports its epochs one by one to the very ``kh.pruners`` object, stops at the
first STOP, and is told to the pruner (COMPLETE or PRUNED) before the next
trial starts. The replay counts the epochs used and whether the trial with the
best final value of plain random (its best accuracy) still trains in full.

    nice -n 15 python3 benchmarks/pruner_replay.py --record 0 7 21 99 100      # digits MLP, 16 trials, 27 epochs
    python3 benchmarks/pruner_replay.py --replay                                # candidates on the recorded curves

``--check SEED`` runs ``random+median`` for real (the current defaults) and
compares its epochs and pruned trials with the replay of the same pruner on
the recorded curves of that seed: the replay is exact only if they agree.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

for _var in ("TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS", "OMP_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

sys.path.insert(0, str(Path(__file__).parent))

import numpy as np  # noqa: E402

import keras_hpo as kh  # noqa: E402

OUT = Path(__file__).parent / "results"
CURVES = OUT / "pruner_curves.jsonl"


def record(seed: int, trials: int, problem: str) -> dict:
    """Plain random search at the full budget on ``problem``; every trial's curve, in trial order."""
    import bandit_keras as bk

    if problem == "digits":
        data, space, model = bk.digits()[0], bk.space(), kh.keras.mlp(64, 10)
    elif problem == "breast_cancer":
        data, space, model = breast_cancer(), kh.keras.mlp_space(max_layers=2, epochs=bk.MAX_EPOCHS), kh.keras.mlp(30, 2)
    else:
        raise ValueError(f"problem: unknown {problem!r}")
    result = kh.tune(model, space, data=data, method="random", metric="val_accuracy", seed=seed,
                     max_trials=trials, progress=False)
    rows = [{"number": t.number, "state": t.state.name, "curve": list(t.curve), "value": t.value}
            for t in sorted(result.records, key=lambda t: t.number)]
    return {"problem": problem, "seed": seed, "direction": "max", "trials": rows}


def check(seed: int, trials: int) -> dict:
    """``random`` with the old median defaults for real on digits: its curves, to compare with the replay."""
    import bandit_keras as bk

    result = kh.tune(kh.keras.mlp(64, 10), bk.space(), data=bk.digits()[0], method="random", metric="val_accuracy",
                     seed=seed, max_trials=trials, progress=False,
                     pruner=kh.pruners.MedianPruner(warmup_steps=2, min_trials=5))
    rows = [{"number": t.number, "state": t.state.name, "curve": list(t.curve), "value": t.value}
            for t in sorted(result.records, key=lambda t: t.number)]
    return {"problem": "digits-check-old-median", "seed": seed, "direction": "max", "trials": rows}


def breast_cancer() -> tuple:
    from sklearn.datasets import load_breast_cancer

    x, y = load_breast_cancer(return_X_y=True)
    order = np.random.default_rng(0).permutation(len(x))
    x, y = x[order], y[order]
    mean, std = x[:341].mean(0), x[:341].std(0) + 1e-9
    x = ((x - mean) / std).astype("float32")
    return x[:341], y[:341], x[341:455], y[341:455]


def replay(pruner: kh.pruners.Pruner | None, curves: list[list[float]], direction: str = "max",
           max_steps: int | None = None) -> dict:
    """``pruner`` on ``curves`` as serial ``tune`` would run them: epochs used, pruned count, best kept.

    A trial's value is its best epoch (the Keras adapter's ``objective="best"``); ``kept`` says whether the
    best complete trial is as good as plain random's best (every curve in full). ``max_steps`` cuts every
    curve to a smaller budget (the first epochs of a longer run are those of a shorter one).
    """
    max_steps = max_steps or max(len(c) for c in curves)
    curves = [c[:max_steps] for c in curves]
    sign = 1.0 if direction == "max" else -1.0
    if pruner is not None:
        pruner.setup(direction)
    epochs, pruned, values = 0, 0, []
    for number, curve in enumerate(curves):
        stopped_at = len(curve)
        for step, value in enumerate(curve, start=1):
            if pruner is not None and pruner.report(number, step, value) is kh.Decision.STOP:
                stopped_at = step
                break
        epochs += stopped_at
        done = stopped_at == len(curve)
        pruned += not done
        state = kh.TrialState.COMPLETE if done else kh.TrialState.PRUNED
        if pruner is not None:
            pruner.tell(kh.Trial(number, {}, state, value=curve[stopped_at - 1], curve=list(curve[:stopped_at])))
        values.append(max(sign * v for v in curve) if done else -np.inf)
    full_best = max(max(sign * v for v in c) for c in curves)
    return {"epochs": epochs, "ratio": epochs / sum(len(c) for c in curves), "pruned": pruned,
            "kept": max(values) >= full_best, "best": sign * max(values), "full_best": sign * full_best}


def synthetic(seed: int, trials: int = 16, steps: int = 27) -> list[list[float]]:
    """Accuracy-like curves ``A - (A - a0) exp(-t / tau) + noise``, final level and speed drawn independently.

    Slow learners that end best exist here (tau up to a third of the budget), so a pruner that judges too early
    loses the best; a second problem, not the one the defaults were piloted on.
    """
    rng = np.random.default_rng(seed)
    t = np.arange(1, steps + 1)
    curves = []
    for _ in range(trials):
        final, start = rng.uniform(0.5, 0.98), rng.uniform(0.05, 0.3)
        tau = np.exp(rng.uniform(np.log(0.5), np.log(steps / 3)))
        noise = rng.normal(scale=rng.uniform(0.002, 0.02), size=steps)
        curves.append(list(np.clip(final - (final - start) * np.exp(-t / tau) + noise, 0, 1)))
    return curves


class _RunningBest(kh.pruners.MedianPruner):
    """Variant: the completed trials' best so far at the step (not their value there) is the reference."""

    def _stop(self, curve, step):
        if step <= self.warmup_steps:
            return False
        peers = [min(c[:step]) for c in self._completed if len(c) >= step]
        if len(peers) < self.min_trials:
            return False
        return min(v for s, v in curve.items() if s <= step) > float(np.median(peers))


class _AllReached(kh.pruners.MedianPruner):
    """Variant: pruned trials' values at the step count as references too (once ``min_trials`` completed)."""

    def setup(self, direction):
        super().setup(direction)
        self._pruned: list[list[float]] = []

    def tell(self, trial):
        super().tell(trial)
        if trial.state is kh.TrialState.PRUNED and trial.curve:
            self._pruned.append([self._loss(v) for v in trial.curve])

    def _stop(self, curve, step):
        if step <= self.warmup_steps or len(self._completed) < self.min_trials:
            return False
        peers = [c[step - 1] for c in self._completed + self._pruned if len(c) >= step]
        return min(v for s, v in curve.items() if s <= step) > float(np.median(peers))


def candidates() -> dict:
    P = kh.pruners
    out = {"old default median(warmup 2, min 5)": lambda: P.MedianPruner(warmup_steps=2, min_trials=5),
           "current defaults": lambda: P.MedianPruner()}
    for m in (1, 2, 3, 4, 5):
        for w in (0, 1, 2, 3, 5):
            out[f"median w{w} m{m}"] = lambda w=w, m=m: P.MedianPruner(warmup_steps=w, min_trials=m)
    for m in (2, 3, 5):
        for w in (1, 2):
            out[f"runbest w{w} m{m}"] = lambda w=w, m=m: _RunningBest(warmup_steps=w, min_trials=m)
            out[f"allreached w{w} m{m}"] = lambda w=w, m=m: _AllReached(warmup_steps=w, min_trials=m)
    return out


def summary(sets: list[tuple[str, list[list[float]]]], direction: str = "max", **kw) -> list[tuple]:
    """Per candidate: median epochs ratio, worst ratio, best kept in how many of the sets."""
    rows = []
    for name, make in candidates().items():
        outs = [replay(make(), curves, direction, **kw) for _, curves in sets]
        rows.append((name, float(np.median([o["ratio"] for o in outs])), max(o["ratio"] for o in outs),
                     sum(o["kept"] for o in outs), len(outs),
                     float(np.median([o["full_best"] - o["best"] for o in outs]))))
    return rows


def load_curves(problem: str | None = None) -> list[dict]:
    rows = [json.loads(line) for line in CURVES.read_text().splitlines() if line]
    return [r for r in rows if problem is None or r["problem"] == problem]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--record", type=int, nargs="+", metavar="SEED")
    parser.add_argument("--problem", default="digits", choices=["digits", "breast_cancer"])
    parser.add_argument("--trials", type=int, default=16)
    parser.add_argument("--replay", action="store_true")
    parser.add_argument("--max-steps", type=int, help="replay on the first epochs only (a smaller budget)")
    parser.add_argument("--check", type=int, nargs="+", metavar="SEED")
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    for seed in args.record or []:
        row = record(seed, args.trials, args.problem)
        with open(CURVES, "a") as handle:
            handle.write(json.dumps(row) + "\n")
        print(f"recorded {args.problem} seed {seed}: {len(row['trials'])} trials", file=sys.stderr, flush=True)
    for seed in args.check or []:
        with open(OUT / "pruner_check.jsonl", "a") as handle:
            handle.write(json.dumps(check(seed, args.trials)) + "\n")
    if args.replay:
        recs = load_curves(args.problem)
        sets = [(f"{r['problem']}-{r['seed']}", [t["curve"] for t in r["trials"]]) for r in recs]
        print(f"{args.problem}: seeds {[r['seed'] for r in recs]}")
        for row in summary(sets, max_steps=args.max_steps):
            print("%-36s median ratio %.2f  worst %.2f  best kept %d/%d  median loss of best %.4f" % row)


if __name__ == "__main__":
    main()
