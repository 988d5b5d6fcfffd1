"""The ``keras-hpo`` command line.

    keras-hpo demo [--method NAME] [--trials N] [--storage PATH]
    keras-hpo run module:fn [--space space.json] [--data module:load_data] [--method NAME] [--trials N] [--storage PATH] ...
    keras-hpo show runs/x.db [--study NAME] [--top N] [--csv FILE]
    keras-hpo plot runs/x.db [--study NAME] [--kind KIND] [--out FILE.png]
    keras-hpo tensorboard runs/x.db --logdir logs/x [--study NAME]
    keras-hpo methods

Every error is one line on stderr and exit code 2 (argparse's own included), never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import os
import sys
from collections.abc import Sequence

from . import searchers
from .errors import KerasHpoError, error_summary
from .quiet import native_noise_dropped
from .tune import load, tune

__all__ = ["main"]

#: the names of ``keras_hpo.plots.KINDS`` (spelled out so that ``--help`` does not import the plots)
_PLOT_KINDS = ("history", "importance", "parallel", "curves", "slice", "contour", "timeline", "rungs", "ecdf")


class _Refused(ValueError):
    """A command-line input that cannot be used; printed as one line."""


class _Parser(argparse.ArgumentParser):
    """argparse, with its usage errors on one line (and exit code 2, as argparse does)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _positive_int(text: str) -> int:
    """argparse type: a whole number of at least 1 (``--top 0`` printed an empty table, ``--top -1`` all but one)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid int value: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {value}")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="keras-hpo", description="Hyperparameter tuning for Keras in one call.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    demo = sub.add_parser("demo", help="tune a small network on scikit-learn's bundled digits (no download)")
    demo.add_argument("--method", default="auto", help="search method (see `keras-hpo methods`)")
    demo.add_argument("--trials", type=int, default=8, help="number of trials (default 8)")
    demo.add_argument("--storage", default="runs/demo.db", help="SQLite file (default runs/demo.db)")
    demo.add_argument("--study", default=None, help="study name (default: demo-<method>)")
    demo.add_argument("--seed", type=int, default=0)
    demo.add_argument("--no-progress", action="store_true", help="hide the progress bar")

    run = sub.add_parser("run", help="tune module:function over a JSON space: a plain objective, or a Keras model "
                                     "function with --data")
    run.add_argument("target", help="module:function; takes a params dict and returns a number or dict, or (with "
                                    "--data) a keras.Model")
    run.add_argument("--space", default=None, help="JSON file: a space written by Space.to_json(), or a dict of lists; "
                                                   "leave it out for a KerasTuner-style build(hp)")
    run.add_argument("--data", default=None, help="module:function returning what data= takes, e.g. (x, y), "
                                                  "(x_train, y_train, x_val, y_val) or (train_ds, val_ds)")
    run.add_argument("--method", default="auto")
    run.add_argument("--trials", type=int, default=None)
    run.add_argument("--timeout", type=float, default=None, help="seconds")
    run.add_argument("--metric", default=None)
    run.add_argument("--direction", choices=["min", "max"], default=None)
    run.add_argument("--storage", default=None)
    run.add_argument("--study", default=None)
    run.add_argument("--resume", action="store_true", help="continue the study if it exists")
    run.add_argument("--seed", type=int, default=None)
    run.add_argument("--n-jobs", type=int, default=1)
    run.add_argument("--no-progress", action="store_true")

    show = sub.add_parser("show", help="print the summary and leaderboard of a stored study")
    show.add_argument("storage", help="SQLite file")
    show.add_argument("--study", default=None)
    show.add_argument("--top", type=_positive_int, default=10, help="rows of the leaderboard (default 10)")
    show.add_argument("--csv", default=None, help="also write all trials to this CSV file")

    plot = sub.add_parser("plot", help="save history, importance and parallel-coordinate plots of a stored study")
    plot.add_argument("storage", help="SQLite file")
    plot.add_argument("--study", default=None)
    plot.add_argument("--out", default=None, help="PNG file (default: <storage>.png, or <storage>.<kind>.png)")
    plot.add_argument("--kind", default="overview", choices=["overview", *_PLOT_KINDS],
                      help="overview (history, importance, parallel side by side) or one plot; ecdf without --study "
                           "compares every study in the file")

    board = sub.add_parser("tensorboard", help="write a stored study as TensorBoard HParams sessions")
    board.add_argument("storage", help="SQLite file")
    board.add_argument("--logdir", required=True, help="folder for the event files (then: tensorboard --logdir it)")
    board.add_argument("--study", default=None)

    sub.add_parser("methods", help="list the search methods")
    return parser


def _load_target(spec: str, what: str = "target"):
    module_name, _, attr = spec.partition(":")
    if not module_name or not attr:
        raise _Refused(f"{what} must look like module:function, got {spec!r}")
    if "" not in sys.path:
        sys.path.insert(0, "")
    try:
        with native_noise_dropped():  # the module's own `import keras` would print TensorFlow's start-up log
            module = importlib.import_module(module_name)
    except Exception as exc:  # ImportError, or the module itself raising while it loads
        raise _Refused(f"{what}: cannot import {module_name!r}: {_one_line(exc)}") from None
    try:
        found = getattr(module, attr)
    except AttributeError:
        raise _Refused(f"{what}: module {module_name!r} has no attribute {attr!r}") from None
    if not callable(found):
        raise _Refused(f"{what}: {spec} is a {type(found).__name__}, not a function")
    return found


def _load_data(spec: str):
    load_data = _load_target(spec, "--data")
    try:
        return load_data()
    except Exception as exc:
        raise _Refused(f"--data: {spec}() raised {_one_line(exc)}") from None


def _read_space(path: str):
    try:
        with open(path) as handle:
            return json.load(handle)
    except json.JSONDecodeError as exc:
        raise _Refused(f"--space: {path} is not valid JSON ({exc})") from None
    except OSError as exc:
        raise _Refused(f"--space: cannot read {path} ({exc.strerror or exc})") from None


def _one_line(exc: BaseException) -> str:
    """An exception as one line: its type, its first line and, for a multi-line message, its last line."""
    lines = [line.strip() for line in str(exc).strip().splitlines() if line.strip()]
    text = lines[0] if lines else ""
    if "Traceback (most recent call last)" in str(exc):  # all trials failed: the first one's exception and message
        text = f"{text.rstrip(':')}: {error_summary(str(exc).strip().split(chr(10), 1)[1])}"
    elif len(lines) > 1:
        text = f"{text.rstrip(':')}: {lines[-1]}"
    prefix = "" if isinstance(exc, (ValueError, TypeError, KerasHpoError)) else f"{type(exc).__name__}: "
    if isinstance(exc, ModuleNotFoundError) and exc.name in _BACKENDS:
        text += ("; Keras needs a backend: pip install 'keras_hpo[tensorflow]' (or [jax]), or set KERAS_BACKEND "
                 "to one you have")
    return f"{prefix}{text}" if text else type(exc).__name__


_BACKENDS = ("tensorflow", "jax", "torch")


def _cmd_demo(args: argparse.Namespace) -> int:
    from .demo import run_demo

    run_demo(method=args.method, trials=args.trials, storage=args.storage, study=args.study, seed=args.seed,
             progress=not args.no_progress)
    return 0


def _cmd_run(args: argparse.Namespace) -> int:
    fn = _load_target(args.target)
    space = None if args.space is None else _read_space(args.space)
    data = None if args.data is None else _load_data(args.data)
    result = tune(fn, space, data=data, method=args.method, max_trials=args.trials, timeout=args.timeout, metric=args.metric,
                  direction=args.direction, storage=args.storage, study=args.study, resume=args.resume,
                  seed=args.seed, n_jobs=args.n_jobs, progress=not args.no_progress)
    print(result.summary())
    return 0


def _cmd_show(args: argparse.Namespace) -> int:
    result = load(args.storage, args.study)
    print(result.summary(top=args.top))
    if args.csv:
        result.to_csv(args.csv)
        print(f"wrote {len(result.records)} trials to {args.csv}")
    return 0


def _cmd_plot(args: argparse.Namespace) -> int:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .plots import KINDS

    if args.kind == "ecdf" and args.study is None:  # compare every study of the file
        from .storage import Store

        with Store(args.storage) as store:
            names = store.studies()
        ax = KINDS["ecdf"](*(load(args.storage, name) for name in names))
        fig = ax.figure
    elif args.kind == "overview":
        result = load(args.storage, args.study)
        fig, axes = plt.subplots(1, 3, figsize=(18, 4.5))
        result.plot_history(ax=axes[0])
        result.plot_importance(ax=axes[1])
        result.plot_parallel(ax=axes[2])
    else:
        drawn = KINDS[args.kind](load(args.storage, args.study))
        fig = getattr(drawn, "figure", None) or drawn[0].figure  # plot_slice gives one Axes per parameter
    fig.tight_layout()
    out = args.out or (f"{args.storage}.png" if args.kind == "overview" else f"{args.storage}.{args.kind}.png")
    fig.savefig(out, dpi=100)
    print(f"wrote {out}")
    return 0


def _cmd_tensorboard(args: argparse.Namespace) -> int:
    from .tensorboard_hparams import write_tensorboard

    result = load(args.storage, args.study)
    count = write_tensorboard(result, args.logdir)
    print(f"wrote {count} trials of study {result.study!r} to {args.logdir}; view them with: tensorboard --logdir {args.logdir}")
    return 0


def _cmd_methods(args: argparse.Namespace) -> int:
    for name in searchers.available():
        missing = searchers.missing_package(name)
        print(name if missing is None else f"{name}  (not installed: pip install {missing})")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # the command line shows results, not TensorFlow's C++ log
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    commands = {"demo": _cmd_demo, "run": _cmd_run, "show": _cmd_show, "plot": _cmd_plot, "methods": _cmd_methods,
                "tensorboard": _cmd_tensorboard}
    try:
        return commands[args.command](args)
    except KeyboardInterrupt:
        print(f"keras-hpo {args.command}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # one line, never a traceback; the log (logging.getLogger("keras_hpo")) has details
        print(f"keras-hpo {args.command}: error: {_one_line(exc)}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
