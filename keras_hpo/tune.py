"""``tune``: ask the searcher, run the trials, record them, tell the searcher, until a stop condition.

>>> import keras_hpo as kh
>>> result = kh.tune(lambda p: (p["x"] - 0.3) ** 2 + p["y"], {"x": kh.Float(0, 1), "y": [0, 1]},
...                  method="random", max_trials=30, seed=0, progress=False)
>>> result.best_params["y"]
0
"""

from __future__ import annotations

import logging
import numbers
import os
import secrets
import time
from collections.abc import Callable, Sequence
from concurrent.futures import CancelledError
from typing import Any

import numpy as np

from . import searchers as _searchers
from ._pool import preload_for
from .budget import trial_cost
from .compat import from_hypermodel, prepare
from .driver_threads import one_blas_thread
from .errors import AllTrialsFailed, SearchExhausted, StudyExists, StudyLocked, error_summary
from .execution import ProcessExecutor, make_executor, resolve_n_jobs, run_trial
from .experiment import CrossValidated, as_splitter
from .hyperopt_space import warn_unused_weights
from .interrupt import ctrl_c_not_dropped
from .keras.datasets import check_dataset_options
from .locking import StudyLock
from .objective import check_model_fn, make_objective
from .paths import artifacts_dir, check_study_name
from .pruners import make_pruner
from .quiet import native_log_filter
from .result import TuneResult
from .resume import check_resume, replay, with_stored_options
from .space import Space
from .storage import Store
from .store_file import problems_named
from .trial import Trial, TrialState, better
from .values import storable

__all__ = ["tune", "load", "infer_direction"]

log = logging.getLogger("keras_hpo")

_MINIMISED = ("loss", "error", "mse", "mae", "rmse", "mape", "msle", "crossentropy", "hinge", "regret", "time",
              "divergence", "kld", "logcosh", "log_cosh", "poisson", "huber", "false_positives", "false_negatives",
              "perplexity")


def infer_direction(metric: str | None) -> str:
    """'min' for losses and errors (and when no metric is named), 'max' for everything else."""
    if metric is None:
        return "min"
    return "min" if any(word in metric.lower() for word in _MINIMISED) else "max"


def trial_seed(study_seed: int, number: int) -> int:
    """The seed of trial ``number``: depends only on the study seed and the number."""
    return int(np.random.SeedSequence([study_seed, number]).generate_state(1)[0] & 0x7FFFFFFF)


@ctrl_c_not_dropped()  # from the first check on: Keras & co. are imported and collected then too
def tune(
    model_fn: Callable,
    space: Space | dict | None = None,
    *,
    data: Any = None,
    method: str | _searchers.Searcher = "auto",
    max_trials: int | None = None,
    timeout: float | None = None,
    target: float | None = None,
    metric: str | None = None,
    direction: str | None = None,
    objective: str = "best",
    cv: Any = None,
    n_jobs: int = 1,
    executor: Any = None,
    trial_timeout: float | None = None,
    storage: str | None = None,
    study: str | None = None,
    resume: bool = False,
    seed: int | None = None,
    progress: bool = True,
    callbacks: Sequence[Callable[[TuneResult, Trial], None]] = (),
    max_consecutive_failures: int | None = 20,
    fit_kwargs: dict | None = None,
    tensorboard: str | os.PathLike | None = None,
    pruner: Any = None,
    max_budget_total: float | None = None,
    budget: str | None = None,
) -> TuneResult:
    """Tune ``model_fn`` over ``space`` and return a ``TuneResult``.

    ``model_fn`` is a plain objective ``fn(params) -> float | dict``, or, with
    ``data=``, a Keras model function (``fn(params) -> keras.Model`` or the Talos
    shape). ``space`` is a dict or ``kh.Space``, or a Hyperopt space; leave it out
    for a KerasTuner-style ``model_fn(hp)``, whose space is discovered (see
    ``keras_hpo.compat``). Every input is checked before the first trial runs. A trial that
    raises or returns NaN is recorded FAILED and the run goes on, and so is a
    trial that runs past ``trial_timeout`` seconds. ``fit_kwargs``
    go to every trial's ``model.fit`` (callbacks, class_weight, sample_weight, ...).
    ``tensorboard="logs/run1"`` writes every finished trial as a TensorBoard HParams
    session (see ``keras_hpo.tensorboard_hparams``).

    ``pruner`` ("median", "percentile", "patience" or a ``kh.pruners.Pruner``)
    stops bad trials from their per-epoch reports; ``max_budget_total`` ends the
    run once that many epochs (budget units) were trained in all, a continued
    trial counting the epochs it added (``keras_hpo.budget``); the progress bar
    then counts epochs.
    """
    model_fn = from_hypermodel(model_fn)  # a KerasTuner HyperModel instance: its build(hp)
    check_model_fn(model_fn)
    callbacks = () if callbacks is None else callbacks
    _check_options(max_trials=max_trials, max_budget_total=max_budget_total, timeout=timeout,
                   trial_timeout=trial_timeout, target=target, direction=direction, seed=seed,
                   callbacks=callbacks, max_consecutive_failures=max_consecutive_failures, study=study, metric=metric,
                   objective=objective, data=data, storage=storage)
    if resume and storage is None:
        log.warning("resume=True without storage=: there is no stored study to continue, and this run is not stored "
                    "either; pass storage='runs/x.db' (and study=) to keep its trials")
    # local worker processes start now and import Keras & co. while the input is checked and the run prepared
    local = _start_local_workers(n_jobs, executor, model_fn, keras_run=data is not None)
    try:
        model_fn, space = prepare(model_fn, space)  # a KerasTuner build(hp), a Hyperopt space, Talos objects (compat.py)
        from .searchers.auto import budget_searcher

        searcher = budget_searcher(method, space, budget)  # budget="auto": a bandit around method="auto"
        warn_unused_weights(space, searcher)  # hp.pchoice probabilities: only Hyperopt's searchers read them
        searcher.pruner = make_pruner(pruner)
        searcher.run_has_limit = any(v is not None for v in (max_trials, timeout, target, max_budget_total))
        method_name = _method_name(searcher)
        method_options = searcher.options()  # before setup, which may fill in defaults
        direction = direction or infer_direction(metric)  # Keras's default metric, val_loss, is minimised too
        name = study or "default"
        if fit_kwargs is not None and data is None:
            raise ValueError("fit_kwargs: options for model.fit need a model to train; pass data=(x, y) as well")
        check_dataset_options(data, cv=cv, n_jobs=n_jobs, executor=executor)
        keras_options = {} if data is None else {"objective": objective, "artifacts_dir": _artifacts_dir(storage, name)}
        if fit_kwargs is not None:
            keras_options["fit_kwargs"] = fit_kwargs
        if cv is not None:
            if data is None:
                raise ValueError("cv: cross-validation splits data; it needs data=(x, y)")
            work = CrossValidated(model_fn, data, as_splitter(cv), metric=metric, **keras_options)
        else:
            work = make_objective(model_fn, data=data, metric=metric, **keras_options)
        if searcher.pruner is not None and not getattr(work, "reports", True):  # a plain fn(params)
            log.warning("pruner: the objective takes no report argument, so no trial can be pruned; write it as "
                        "def objective(params, report) and call report(step, value) as it goes")
        for owner in (model_fn, work):  # model builders and adapters can reject names (activations, ...) up front
            check_space = getattr(owner, "check_space", None)
            if callable(check_space):
                check_space(space)
        if max_trials is None and timeout is None and target is None and max_budget_total is None and not (
                space.finite or searcher.finite_by_itself):
            raise ValueError("max_trials: give max_trials (or timeout=) because the space is continuous and would never run out")
        board = None
        if tensorboard is not None:  # the driver writes sessions from the finished records, for any executor
            from .tensorboard_hparams import TensorBoardWriter

            board = TensorBoardWriter(tensorboard, space, metric=metric, direction=direction)
            callbacks = (*callbacks, board)
    except BaseException:  # bad input: the workers started for this run do not outlive it
        if local is not None:
            local.abort()
        raise

    executor_ = local if local is not None else make_executor(n_jobs, executor)
    store = None
    lock = None
    try:
        if searcher.pruner is not None and not getattr(executor_, "streams_reports", False):
            log.warning("pruner: this executor does not stream per-epoch reports yet, so no trial will be pruned")
        if trial_timeout is not None and not callable(getattr(executor_, "set_limits", None)):
            raise ValueError(f"trial_timeout: the executor {type(executor_).__name__} cannot stop trials (no set_limits)")
        store = Store(storage)
        if storage is not None:  # before anything is read or written: one driver per study
            lock = StudyLock(storage, name).acquire()
        info = store.study(name)
        if info is not None and not resume:
            raise StudyExists(f"study {name!r} already exists in {storage}; resume it (resume=True, or --resume on the "
                              "command line) or give another study name")
        if info is None:
            seed = secrets.randbelow(2**31) if seed is None else seed
        else:  # options left to their defaults go on as the study began, even if a newer release changed them
            searcher = with_stored_options(searcher, info, method_name)
            method_options = searcher.options()
            check_resume(info, space=space, method=method_name, method_options=method_options, direction=direction,
                         metric=metric, seed=seed, storage=storage, options_added=searcher.options_added)
            seed = info["seed"]
        if callable(getattr(searcher, "plan", None)):  # method="auto" chooses from the limits and the workers
            searcher.plan(max_trials=max_trials, timeout=timeout, n_workers=executor_.n_workers)
        searcher.setup(space, direction, seed)  # validates the method's options before anything is written
        bind_study = getattr(work, "bind_study", None)  # the Keras adapter finds earlier trials' weights by seed
        if callable(bind_study):
            bind_study(seed=seed, direction=direction)
        if info is None:
            store.create_study(name, space=space.to_json(), method=method_name, direction=direction, metric=metric, seed=seed,
                               method_options=method_options)
        loop = _Loop(store, name, searcher, work, executor_, seed=seed, max_trials=max_trials,
                     max_budget_total=max_budget_total, timeout=timeout, trial_timeout=trial_timeout,
                     lock=lock, target=target, progress=progress, callbacks=callbacks,
                     max_consecutive_failures=max_consecutive_failures, result_args=dict(
                         space=searcher.space, direction=direction, metric=metric, study=name, method=method_name, seed=seed,
                         storage=storage, objective=work, searcher=searcher))
        local_workers = isinstance(executor_, ProcessExecutor)
        with native_log_filter(active=local_workers), one_blas_thread(active=local_workers):
            records = loop.run(resume_state=info["searcher_state"] if info else None,
                               resume_told=info["searcher_told"] if info else None)
        if board is not None:
            board.write_missing(records)
    except BaseException:  # an error or Ctrl-C: the workers stop with the run (warm ones it never used stay)
        abort = getattr(executor_, "abort", None)
        if callable(abort):
            abort()
        raise
    finally:
        executor_.close()
        if lock is not None:
            lock.release()
        if store is not None:
            store.close()
    result = TuneResult(records, **loop.result_args)
    if not result.completed:
        failed = [t for t in records if t.state is TrialState.FAILED]
        pruned = sum(t.state is TrialState.PRUNED for t in records)
        if pruned and not failed:
            raise AllTrialsFailed(f"no trial completed: all {pruned} were pruned; use a milder pruner (a longer "
                                  "warm-up, more patience) or none")
        first = failed[0].error if failed else "no trial ran"
        raise AllTrialsFailed(f"all {len(records)} trials failed; the first error was:\n{first}")
    return result


def load(storage: str, study: str | None = None) -> TuneResult:
    """The result of a stored study, without running anything (``study`` may be left out if there is one)."""
    if not os.path.exists(storage):
        raise FileNotFoundError(f"storage: no such file {storage!r}")
    with Store(storage, read_only=True) as store:  # reading never writes: another program's file stays as it is
        names = store.studies()
        if study is None:
            if len(names) != 1:
                raise ValueError(f"study: {storage} holds {len(names)} studies {names}; name one (study=, or --study "
                                 "on the command line)")
            study = names[0]
        info = store.study(study)
        if info is None:
            raise ValueError(f"study {study!r} is not in {storage}; it holds {names}")
        records = store.trials(study)
        with problems_named(storage, f"the space of study {study!r}"):
            space = Space.from_json(info["space"])
    return TuneResult(records, space=space, direction=info["direction"],
                      metric=info["metric"], study=study, method=info["method"], seed=info["seed"], storage=storage)


class _Loop:
    """The ask / run / record / tell cycle, with resume and the stop conditions."""

    def __init__(self, store: Store, study: str, searcher: Any, objective: Callable, executor: Any, *,
                 seed: int, max_trials: int | None, max_budget_total: float | None, timeout: float | None,
                 target: float | None, progress: bool, callbacks: Sequence[Callable],
                 max_consecutive_failures: int | None, result_args: dict,
                 trial_timeout: float | None = None, lock: StudyLock | None = None) -> None:
        self.store, self.study, self.searcher, self.objective, self.executor = store, study, searcher, objective, executor
        self.seed, self.max_trials, self.timeout, self.target = seed, max_trials, timeout, target
        self.trial_timeout, self.lock = trial_timeout, lock
        self.callbacks, self.max_consecutive_failures, self.result_args = callbacks, max_consecutive_failures, result_args
        self.progress = progress
        self.max_budget_total = max_budget_total
        self.direction = result_args["direction"]

    def run(self, resume_state: dict | None, resume_told: int | None = None) -> list[Trial]:
        share = getattr(self.executor, "share", None)  # remote workers get the objective (and data) once
        self.work = share(self.objective) if callable(share) else self.objective
        records = {t.number: t for t in self.store.trials(self.study)}
        replay(self.searcher, [records[n] for n in self.store.told_order(self.study)], resume_state, resume_told)
        rerun = [t for t in records.values() if t.state is TrialState.RUNNING]
        for trial in [t for t in rerun if t.attempts >= 2]:  # no poison trials: it killed the process twice
            rerun.remove(trial)
            records[trial.number] = self._finish(trial, _died_twice(trial))
        if records:
            log.info("resuming study %r: %d finished trials, %d to re-run", self.study, len(records) - len(rerun), len(rerun))
        finished = [t for t in records.values() if t.state.is_finished()]
        self.best = self._best_of(finished)
        self.spent = sum(trial_cost(t, records) for t in finished)
        next_number = max(records, default=-1) + 1
        deadline = None if self.timeout is None else time.monotonic() + self.timeout
        set_limits = getattr(self.executor, "set_limits", None)
        if callable(set_limits):
            set_limits(trial_timeout=self.trial_timeout, deadline=deadline)
        running: dict[Any, Trial] = {}
        starting: list[Trial] = []
        suspects: list[Trial] = []  # Dask trials lost with a worker another trial killed: each re-runs alone
        alone: set[int] = set()
        exhausted, stopping = False, self._target_reached() or self._budget_spent()
        failures_in_a_row = 0
        if self.max_budget_total is None:
            bar = _progress_bar(self.progress, self._total(), len(finished), self.best)
        else:
            bar = _progress_bar(self.progress, self.max_budget_total, self.spent, self.best, unit="epoch")
        try:
            while True:
                if deadline is not None and time.monotonic() >= deadline:
                    stopping = True
                room = self.executor.n_workers - len(running)
                if self.max_trials is not None:
                    room = min(room, self.max_trials - len(finished) - len(running))
                if suspects:  # a suspect runs alone, once the others are done
                    batch = [suspects.pop(0)] if not running else []
                elif not (exhausted or stopping) and room > 0:
                    batch = [rerun.pop(0) for _ in range(min(room, len(rerun)))]
                    if len(batch) < room:
                        try:
                            suggestions = self.searcher.ask(room - len(batch))
                        except SearchExhausted:
                            exhausted, suggestions = True, []
                        for s in suggestions:
                            batch.append(Trial(number=next_number, params=dict(s.params), budget=s.budget,
                                               resume_from=s.resume_from, seed=trial_seed(self.seed, next_number)))
                            next_number += 1
                else:
                    batch = []
                batch = [t.replace(started=time.time(), state=TrialState.RUNNING, attempts=t.attempts + 1) for t in batch]
                if batch:
                    self.store.save(self.study, batch, self.searcher.state_dict())  # one transaction
                starting = list(batch)  # a serial executor runs the trial inside submit
                for trial in batch:
                    running[self._submit(trial)] = trial
                    starting.remove(trial)
                if not running:
                    if not (exhausted or stopping) and (self.max_trials is None or len(finished) < self.max_trials):
                        raise RuntimeError(f"searcher {self.searcher.name!r} suggested nothing while no trial was running")
                    break
                wait = None if deadline is None or stopping else max(0.0, deadline - time.monotonic())
                for future in self.executor.wait(list(running), timeout=wait):
                    trial, outcome = running.pop(future), _outcome_of(future)
                    if outcome.get("cancelled"):  # the run's timeout cut it short: kept RUNNING, resume re-runs it
                        self.store.save(self.study, trial.replace(attempts=trial.attempts - 1))
                        stopping = True
                        continue
                    if outcome.get("worker_died") and len(running) + len(suspects) > 0 and trial.number not in alone:
                        alone.add(trial.number)  # it may have died with a neighbour that killed the worker
                        suspects.append(trial)
                        continue
                    trial = self._finish(trial, outcome)
                    finished.append(trial)
                    records[trial.number] = trial
                    failures_in_a_row = failures_in_a_row + 1 if trial.state is TrialState.FAILED else 0
                    self._after(trial, finished, bar)
                    if self._target_reached() or self._budget_spent():
                        stopping = True
                    limit = self.max_consecutive_failures
                    if limit is not None and failures_in_a_row >= limit and not stopping:
                        log.error("stopping: %d trials in a row failed; the last error:\n%s", failures_in_a_row, trial.error)
                        stopping = True
                if self.lock is not None and self.lock.lost:
                    raise StudyLocked(f"study {self.study!r}: another driver took the lock (this driver's heartbeat "
                                      "stalled); stopping without writing more")
        except BaseException:  # Ctrl-C, a worker that cannot load the objective, ...: the study stays resumable
            cut = [*running.values(), *starting, *suspects]
            interrupted = [t.replace(attempts=t.attempts - 1) for t in cut]  # not their fault
            if interrupted and not (self.lock is not None and self.lock.lost):
                self.store.save(self.study, interrupted)
            raise
        finally:
            bar.close()
        return self.store.trials(self.study)

    def _submit(self, trial: Trial) -> Any:
        report = None  # executors that stream reports carry them from the worker to the searcher
        if getattr(self.executor, "streams_reports", False):
            number = trial.number

            def report(step: int, value: float) -> Any:
                return self.searcher.report(number, step, value)

        return self.executor.submit(run_trial, self.work, dict(trial.params), seed=trial.seed,
                                    budget=trial.budget, resume_from=trial.resume_from, report=report)

    def _finish(self, trial: Trial, outcome: dict) -> Trial:
        outcome = storable(outcome, trial.params)  # again, for executors that do not go through run_trial
        done = trial.replace(
            state=TrialState(outcome["state"]), value=outcome.get("value"), metrics=outcome.get("metrics") or {},
            curve=outcome.get("curve") or [], folds=outcome.get("folds") or [], started=outcome["started"],
            finished=outcome["finished"], error=outcome.get("error"),
        )
        receive = getattr(self.objective, "receive_files", None)
        if outcome.get("files") and callable(receive):  # weights written on another machine
            receive(outcome["files"])
        if done.state is TrialState.FAILED:
            log.warning("trial %d failed: %s", done.number, error_summary(done.error or ""))
        self.searcher.tell(done)
        self.store.save(self.study, done)  # the state is saved with the next batch; resume replays this tell
        return done

    def _after(self, trial: Trial, finished: list[Trial], bar: Any) -> None:
        if trial.state is TrialState.COMPLETE and self._better(trial, self.best):
            self.best = trial
        cost = trial_cost(trial, {t.number: t for t in finished})
        self.spent += cost
        bar.update(1 if self.max_budget_total is None else cost)
        if self.best is not None:
            bar.set_postfix(best=f"{self.best.value:.4g}", refresh=False)
        if self.callbacks:
            snapshot = TuneResult(sorted(finished, key=lambda t: t.number), **self.result_args)
            for callback in self.callbacks:
                callback(snapshot, trial)

    def _better(self, a: Trial, b: Trial | None) -> bool:
        return better(a.value, None if b is None else b.value, self.direction)

    def _best_of(self, trials: list[Trial]) -> Trial | None:
        best = None
        for t in trials:
            if t.state is TrialState.COMPLETE and t.value is not None and self._better(t, best):
                best = t
        return best

    def _target_reached(self) -> bool:
        if self.target is None or self.best is None:
            return False
        return self.best.value <= self.target if self.direction == "min" else self.best.value >= self.target

    def _budget_spent(self) -> bool:
        return self.max_budget_total is not None and self.spent >= self.max_budget_total

    def _total(self) -> int | None:
        planned = self.searcher.planned
        if self.max_trials is None:
            return planned
        return self.max_trials if planned is None else min(self.max_trials, planned)


def _outcome_of(future: Any) -> dict:
    """The worker's record of a trial; a worker that died or could not run it gives a FAILED record."""
    try:
        return future.result()
    except Exception as exc:
        now = time.time()
        # a Dask task that killed its workers or lost the data it needed with them
        died = isinstance(exc, CancelledError) or type(exc).__name__ == "KilledWorker"
        return {"state": TrialState.FAILED.value, "value": None, "started": now, "finished": now, "worker_died": died,
                "error": f"the executor could not run the trial: {type(exc).__name__}: {exc}"}


def _died_twice(trial: Trial) -> dict:
    """The record of a trial whose process died under it on two attempts: FAILED, so it cannot poison the study."""
    return {"state": TrialState.FAILED.value, "value": None, "started": trial.started, "finished": time.time(),
            "error": f"the process died while running this trial twice ({trial.attempts} attempts); it is not run again"}


def _progress_bar(enabled: bool, total: float | None, initial: float, best: Trial | None, unit: str = "trial") -> Any:
    from .quiet import progress_bar_class

    bar = progress_bar_class()(total=total, initial=initial, disable=not enabled, desc=f"{unit}s", unit=unit)
    if best is not None:
        bar.set_postfix(best=f"{best.value:.4g}", refresh=False)
    return bar


def _start_local_workers(n_jobs: Any, executor: Any, model_fn: Callable, *, keras_run: bool) -> ProcessExecutor | None:
    """For ``n_jobs`` > 1 without an ``executor``: the local workers, started (or taken warm from the pool) now."""
    if executor is not None or resolve_n_jobs(n_jobs) == 1:
        return None
    return ProcessExecutor(n_jobs, preload=preload_for(model_fn, keras_run))


def _artifacts_dir(storage: str | None, study: str) -> str | None:
    """Where trained weights go: beside a storage file (so they survive a resume), else a temporary folder."""
    if storage is None:
        return None
    return artifacts_dir(storage, study)


def _method_name(searcher: Any) -> str:
    name = getattr(searcher, "name", "searcher")
    return name if name != "searcher" else type(searcher).__name__




def _check_metric(metric: Any) -> None:
    """``metric`` is a name; a KerasTuner ``kt.Objective("val_auc", direction="max")`` is told how to write it."""
    if metric is None or (isinstance(metric, str) and metric):
        return
    name, way = getattr(metric, "name", None), getattr(metric, "direction", None)
    if isinstance(name, str) and way in ("min", "max"):
        raise TypeError(f"metric must be the metric's name, got {type(metric).__name__}({name!r}, direction={way!r}); "
                        f"write metric={name!r}, direction={way!r}")
    raise TypeError(f"metric must be a metric's name (a non-empty string such as 'val_accuracy') or None, got {metric!r}")


def _check_objective(objective: Any, *, keras_run: bool) -> None:
    """``objective`` picks the epoch that scores a Keras trial; KerasTuner's ``objective="val_accuracy"`` is ``metric``."""
    if objective in ("best", "last") and (keras_run or objective == "best"):
        return
    if objective == "last":
        raise ValueError("objective='last' scores a Keras trial at its last epoch; it needs data=(x, y) (a plain "
                         "objective's return value is its value)")
    hint = (f"; the value to optimise is metric=, e.g. metric={objective!r}"
            if isinstance(objective, str) and objective not in ("best", "last") else "")
    raise ValueError(f"objective must be 'best' or 'last' (the epoch that scores a trial), got {objective!r}{hint}")


def _check_options(**o: Any) -> None:
    def positive(name: str, value: Any, kind: type | tuple) -> None:
        if value is not None and (not isinstance(value, kind) or isinstance(value, bool) or value <= 0):
            raise ValueError(f"{name} must be a positive {'integer' if kind is numbers.Integral else 'number'} or None, got {value!r}")

    positive("max_trials", o["max_trials"], numbers.Integral)
    positive("max_budget_total", o["max_budget_total"], numbers.Real)
    positive("timeout", o["timeout"], numbers.Real)
    positive("trial_timeout", o["trial_timeout"], numbers.Real)
    positive("max_consecutive_failures", o["max_consecutive_failures"], numbers.Integral)
    if o["target"] is not None and (not isinstance(o["target"], numbers.Real) or isinstance(o["target"], bool)):
        raise TypeError(f"target must be a number or None, got {o['target']!r}")
    if o["direction"] not in (None, "min", "max"):
        raise ValueError(f"direction must be 'min' or 'max', got {o['direction']!r}")
    _check_metric(o["metric"])
    _check_objective(o["objective"], keras_run=o["data"] is not None)
    if o["seed"] is not None and (not isinstance(o["seed"], (int, np.integer)) or isinstance(o["seed"], bool) or o["seed"] < 0):
        raise ValueError(f"seed must be a non-negative integer or None, got {o['seed']!r}")
    if o["study"] is not None:
        check_study_name(o["study"])
    if callable(o["callbacks"]) or not isinstance(o["callbacks"], (list, tuple)):
        raise TypeError(f"callbacks must be a list of callables f(result, trial), got {type(o['callbacks']).__name__}"
                        + ("; write callbacks=[fn]" if callable(o["callbacks"]) else ""))
    for callback in o["callbacks"]:
        if hasattr(callback, "set_model") and hasattr(callback, "on_epoch_end"):  # a keras.callbacks.Callback
            raise TypeError(f"callbacks: {type(callback).__name__} is a Keras callback; give it to every trial's fit "
                            "with fit_kwargs={'callbacks': [...]}")
        if not callable(callback):
            raise TypeError(f"callbacks must be callables f(result, trial), got {callback!r}")
    if o["storage"] is not None and not isinstance(o["storage"], (str, os.PathLike)):
        raise TypeError(f"storage must be a file path (str or os.PathLike) or None, got {type(o['storage']).__name__}")
