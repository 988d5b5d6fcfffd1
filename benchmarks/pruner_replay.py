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

Pilot (seeds 0-3, 7, 21, 99, 100 on digits; 0, 7, 21, 99, 100 on breast_cancer; synthetic seeds 200-219)::

    nice -n 15 python3 benchmarks/pruner_replay.py --record 0 1 2 3 7 21 99 100   # digits MLP, 16 trials, 27 epochs
    nice -n 15 python3 benchmarks/pruner_replay.py --record 0 7 21 99 100 --problem breast_cancer
    python3 benchmarks/pruner_replay.py --replay [--max-steps 9]   # candidate rules on the recorded digits curves
    nice -n 15 python3 benchmarks/pruner_replay.py --check 0       # the old defaults for real on digits seed 0
    python3 benchmarks/pruner_replay.py --compare                  # ... the same epochs as their replay?

Report (after the defaults were frozen; seeds never used before)::

    python3 benchmarks/pruner_replay.py --synthetic $(seq 300 349)   # old and new defaults, 6 trial counts/budgets
    nice -n 15 python3 benchmarks/pruner_replay.py --problem breast_cancer --record 41 42 43 \
        --curves benchmarks/results/pruner_report_curves.jsonl
    nice -n 15 python3 benchmarks/pruner_replay.py --problem breast_cancer --check 41 42 43 --check-pruner median
    python3 benchmarks/pruner_replay.py --compare --curves benchmarks/results/pruner_report_curves.jsonl

``--check SEED`` runs random search with a pruner for real (default: the old
median defaults) and ``--compare`` sets it beside plain random's recorded
curves of that seed: the epochs it trained, whether each of its curves is a
prefix of plain random's (the replay is exact only then), and the best values.
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


def _problem(problem: str) -> tuple:
    import bandit_keras as bk

    if problem == "digits":
        return bk.digits()[0], bk.space(), kh.keras.mlp(64, 10)
    if problem == "breast_cancer":
        return breast_cancer(), kh.keras.mlp_space(max_layers=2, epochs=bk.MAX_EPOCHS), kh.keras.mlp(30, 2)
    raise ValueError(f"problem: unknown {problem!r}")


def record(seed: int, trials: int, problem: str, pruner: object = None, tag: str | None = None) -> dict:
    """Random search on ``problem`` (plain at the full budget when ``pruner`` is None); every trial's curve, in order."""
    data, space, model = _problem(problem)
    result = kh.tune(model, space, data=data, method="random", metric="val_accuracy", seed=seed,
                     max_trials=trials, progress=False, pruner=pruner)
    rows = [{"number": t.number, "state": t.state.name, "curve": list(t.curve), "value": t.value}
            for t in sorted(result.records, key=lambda t: t.number)]
    return {"problem": tag or problem, "seed": seed, "direction": "max", "best_value": result.best_value,
            "trials": rows}


def check(seed: int, trials: int, problem: str = "digits", pruner: object = None) -> dict:
    """Random search with ``pruner`` for real (default: the old median defaults), to compare with the replay."""
    pruner = pruner or kh.pruners.MedianPruner(warmup_steps=2, min_trials=5)
    tag = f"{problem}-check-{'old-median' if not isinstance(pruner, str) else pruner}"
    return record(seed, trials, problem, pruner, tag)


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
    """Per candidate: median epochs ratio, worst ratio, best kept in how many sets, mean loss of the best value."""
    rows = []
    for name, make in candidates().items():
        outs = [replay(make(), curves, direction, **kw) for _, curves in sets]
        rows.append((name, float(np.median([o["ratio"] for o in outs])), max(o["ratio"] for o in outs),
                     sum(o["kept"] for o in outs), len(outs),
                     float(np.mean([o["full_best"] - o["best"] for o in outs]))))
    return rows


def load_curves(problem: str | None = None, path: Path = CURVES) -> list[dict]:
    rows = [json.loads(line) for line in path.read_text().splitlines() if line]
    return [r for r in rows if problem is None or r["problem"] == problem]


def compare(curves_path: Path) -> None:
    """Each real pruned run of ``pruner_check.jsonl`` against plain random's recorded curves of the same seed.

    Prints the real run's epochs and pruned count beside plain random's, whether every pruned curve is a prefix
    of plain random's curve of the same trial (training deterministic per trial), and the best values.
    """
    plain = {(r["problem"], r["seed"]): r for r in load_curves(None, curves_path)}
    for real in load_curves(None, OUT / "pruner_check.jsonl"):
        problem = real["problem"].split("-check-")[0]
        ref = plain.get((problem, real["seed"]))
        if ref is None:
            continue
        full = sum(len(t["curve"]) for t in ref["trials"])
        used = sum(len(t["curve"]) for t in real["trials"])
        prefix = all(a["curve"][:len(b["curve"])] == b["curve"] for a, b in zip(ref["trials"], real["trials"]))
        best_plain = max(max(t["curve"]) for t in ref["trials"])
        best_real = max(max(t["curve"]) for t in real["trials"] if t["state"] == "COMPLETE")
        print(f"{real['problem']} seed {real['seed']}: epochs {used}/{full} = {used / full:.2f}, "
              f"pruned {sum(t['state'] == 'PRUNED' for t in real['trials'])}/{len(real['trials'])}, "
              f"best {best_real:.4f} vs plain {best_plain:.4f}, curves are prefixes: {prefix}")


def synthetic_report(seeds: list[int]) -> None:
    """Old and new median defaults on synthetic curves at several trial counts and budgets."""
    makes = {"old (warmup 2, min 5)": lambda: kh.pruners.MedianPruner(warmup_steps=2, min_trials=5),
             "defaults": lambda: kh.pruners.MedianPruner()}
    for trials, steps in ((8, 27), (16, 27), (32, 27), (64, 27), (16, 9), (16, 81)):
        for name, make in makes.items():
            outs = [replay(make(), synthetic(seed, trials, steps)) for seed in seeds]
            ratios = [o["ratio"] for o in outs]
            lost = [o["full_best"] - o["best"] for o in outs if not o["kept"]]
            print(f"{trials:3d} trials x {steps:2d} steps  {name:22s} epochs ratio median {np.median(ratios):.2f} "
                  f"[{np.percentile(ratios, 25):.2f}-{np.percentile(ratios, 75):.2f}]  best kept {len(seeds) - len(lost)}"
                  f"/{len(seeds)}  median loss when lost {np.median(lost) if lost else 0:.4f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--record", type=int, nargs="+", metavar="SEED")
    parser.add_argument("--problem", default="digits", choices=["digits", "breast_cancer"])
    parser.add_argument("--trials", type=int, default=16)
    parser.add_argument("--curves", default=str(CURVES), help="the jsonl of recorded curves (pilot: the default)")
    parser.add_argument("--synthetic", type=int, nargs="+", metavar="SEED",
                        help="old and new defaults on synthetic curves of these seeds (pilot: 200-219)")
    parser.add_argument("--compare", action="store_true", help="real pruned runs (--check) against recorded curves")
    parser.add_argument("--replay", action="store_true")
    parser.add_argument("--max-steps", type=int, help="replay on the first epochs only (a smaller budget)")
    parser.add_argument("--check", type=int, nargs="+", metavar="SEED")
    parser.add_argument("--check-pruner", help="a pruner name for --check (default: the old median defaults)")
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    for seed in args.record or []:
        row = record(seed, args.trials, args.problem)
        with open(args.curves, "a") as handle:
            handle.write(json.dumps(row) + "\n")
        print(f"recorded {args.problem} seed {seed}: {len(row['trials'])} trials", file=sys.stderr, flush=True)
    for seed in args.check or []:
        with open(OUT / "pruner_check.jsonl", "a") as handle:
            handle.write(json.dumps(check(seed, args.trials, args.problem, args.check_pruner)) + "\n")
    if args.synthetic:
        synthetic_report(args.synthetic)
    if args.compare:
        compare(Path(args.curves))
    if args.replay:
        recs = load_curves(args.problem, Path(args.curves))
        sets = [(f"{r['problem']}-{r['seed']}", [t["curve"] for t in r["trials"]]) for r in recs]
        print(f"{args.problem}: seeds {[r['seed'] for r in recs]}")
        for row in summary(sets, max_steps=args.max_steps):
            name, median, worst, kept, n, loss = row
            print(f"{name:36s} median ratio {median:.2f}  worst {worst:.2f}  best kept {kept}/{n}  "
                  f"mean loss of best {loss:.4f}")


if __name__ == "__main__":
    main()
