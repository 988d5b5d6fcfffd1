# %% [markdown]
# # In parallel and in the cloud: `n_jobs`, a Dask cluster, and what survives a crash
#
# The lecture: *these experiments can be run in parallel on different machines or in the cloud.*
# Trials are independent training runs, so they parallelise well. In keras_hpo the loop stays in one
# process (the *driver*, which alone writes the results file); the trials run elsewhere:
#
# - `n_jobs=k`: k worker processes on this machine;
# - `executor=<Dask client>` or `executor="tcp://scheduler:8786"`: the workers of a Dask cluster, on
#   this machine or on many.
#
# Trials are handed out as workers free up (no waiting for the slowest), and `ask(n)` gives each
# worker a different point. The objective must be importable by the workers: put it in a module.

# %%
import os
import pathlib
import sys
import tempfile
import time

import matplotlib.pyplot as plt
import pandas as pd

import keras_hpo as kh

FAST = os.environ.get("KH_COURSE_FAST") == "1"
work = pathlib.Path(tempfile.mkdtemp())
(work / "course_objectives.py").write_text('''
import os, time

def slow_quadratic(params):
    """A stand-in for a training run: half a second of 'work', then a loss."""
    time.sleep(0.5)
    return (params["x"] - 0.3) ** 2 + (params["y"] + 0.1) ** 2

def sometimes_broken(params):
    """Raises for some points, kills its own worker process for others, else returns a loss."""
    time.sleep(0.2)
    if params["x"] > 0.8:
        raise RuntimeError("out of memory (pretend)")
    if params["x"] < -0.8:
        os._exit(1)                      # a hard crash: the worker process dies
    return params["x"] ** 2
''')
sys.path.insert(0, str(work))
os.environ["PYTHONPATH"] = f"{work}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"   # for worker processes
from course_objectives import slow_quadratic, sometimes_broken

space = {"x": kh.Float(-1, 1), "y": kh.Float(-1, 1)}
TRIALS = 8 if FAST else 12

# %% [markdown]
# ## 1. `n_jobs`: worker processes on this machine
#
# The same search serially and with two workers. Each trial "trains" for half a second.

# %%
runs = {}
for n_jobs in (1, 2):
    start = time.perf_counter()
    runs[n_jobs] = kh.tune(slow_quadratic, space, method="random", max_trials=TRIALS, n_jobs=n_jobs, seed=0,
                           progress=False)
    print(f"n_jobs={n_jobs}: {time.perf_counter() - start:.1f} s for {TRIALS} trials")

# %% [markdown]
# A timeline of each run: one bar per trial, from start to finish. With two workers two trials overlap
# at any time (the first ones start a little late: worker processes take a moment to start).

# %%
fig, axes = plt.subplots(1, 2, figsize=(11, 3), sharex=True)
for ax, (n_jobs, result) in zip(axes, runs.items()):
    t0 = min(t.started for t in result.records)
    for t in result.records:
        ax.barh(t.number, t.finished - t.started, left=t.started - t0, color="C0")
    ax.set_xlabel("seconds since the first trial started")
    ax.set_ylabel("trial")
    ax.set_title(f"n_jobs={n_jobs}")

# %% [markdown]
# With Keras, `n_jobs` works the same: `kh.tune(kh.keras.mlp(64, 10), space, data=(x, y), n_jobs=2)`.
# Each worker limits TensorFlow to its share of the cores, so two workers on two cores do not fight.
# (Per-epoch reports, used to prune bad trials early, stream only in the default in-process mode.)
#
# ## 2. A Dask cluster
#
# [Dask](https://distributed.dask.org) runs tasks on a cluster of workers. A `LocalCluster` is a real
# cluster (a scheduler and worker processes) on this machine, which makes it the way to try things
# before using many machines.

# %%
from distributed import Client, LocalCluster

cluster = LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None)
client = Client(cluster)
on_dask = kh.tune(slow_quadratic, space, method="random", max_trials=TRIALS, executor=client, seed=0, progress=False)
print(on_dask.summary(top=3))

# %% [markdown]
# ### Pointing at a remote scheduler
#
# On real machines, start a scheduler on one of them and workers on the others (each with the same
# Python environment: keras_hpo, TensorFlow, and the module that holds your model function):
#
# ```bash
# dask scheduler                                  # on the head node; prints tcp://10.0.0.5:8786
# dask worker tcp://10.0.0.5:8786 --nthreads 1    # on every worker machine (one trial per thread)
# ```
#
# Then give `tune` the address (or a `Client` you made yourself); the data travels to each worker once:
#
# ```python
# result = kh.tune(model_fn, space, data=(x, y), executor="tcp://10.0.0.5:8786",
#                  max_trials=200, storage="runs/big.db", study="mlp-v1")
# ```
#
# Cloud services that start Dask clusters for you (Kubernetes, Coiled, SageMaker, ...) all end with such
# an address. Here the local cluster's own address plays the remote scheduler:

# %%
print("scheduler:", cluster.scheduler_address)
remote = kh.tune(slow_quadratic, space, method="random", max_trials=TRIALS, executor=cluster.scheduler_address,
                 seed=1, progress=False)
len(remote.records), remote.best_value

# %%
client.close()
cluster.close()

# %% [markdown]
# ## 3. What survives a crash
#
# Three kinds of crash, from small to large.
#
# **A trial raises** (a bug for some settings, a diverged loss, out of memory): that trial is FAILED
# with its error text, and the run goes on. **A worker process dies** (a crash in native code, the
# out-of-memory killer): only its own trial fails, a fresh worker takes over.

# %%
points = [{"x": v, "y": 0.0} for v in (0.1, 0.9, -0.2, -0.9, 0.5, 0.3)]   # 0.9 raises, -0.9 kills its worker
broken = kh.tune(sometimes_broken, space, method=kh.searchers.get("manual", trials=points), n_jobs=2, seed=0,
                 progress=False)
broken.trials[["number", "state", "value", "params_x", "error"]]

# %% [markdown]
# **A trial never ends** (a deadlock, a data loader waiting forever, a learning rate that makes every step
# crawl): `trial_timeout=` (seconds) ends it, records it FAILED with the reason, and the run goes on. With
# `n_jobs` or Dask the stuck worker is replaced; in a single process (below) the trial is interrupted on the
# main thread, which works for Python code and Keras training between steps, but not inside one long native call.
# `timeout=` is different: it ends the whole run on time, hanging trials included.

# %%
def sometimes_hangs(params):
    if params["x"] > 0.8:
        time.sleep(3600)                       # stands for a trial that never finishes
    return params["x"] ** 2


start = time.perf_counter()
stuck = kh.tune(sometimes_hangs, space, method=kh.searchers.get("manual", trials=points[:3]), trial_timeout=2,
                progress=False)
print(f"{time.perf_counter() - start:.1f} s")
assert stuck.trials.state.tolist() == ["COMPLETE", "FAILED", "COMPLETE"]
stuck.trials[["number", "state", "value", "params_x", "error"]]

# %% [markdown]
# **The driver dies** (a closed laptop, a killed job, a rebooted machine). With `storage=` every trial
# is written to a SQLite file when it finishes. Below, a study runs in another process that we kill
# with SIGKILL halfway; then we read what it left, and continue it with `resume=True`: finished trials
# are kept, cut-short ones are re-run, and the total stays `max_trials`.

# %%
import signal
import subprocess

db = work / "crash.db"
script = work / "long_run.py"
script.write_text(f'''
import keras_hpo as kh
from course_objectives import slow_quadratic
kh.tune(slow_quadratic, {{"x": kh.Float(-1, 1), "y": kh.Float(-1, 1)}}, method="random", max_trials=20,
        storage={str(db)!r}, study="crash-demo", seed=0, progress=False)
''')
proc = subprocess.Popen([sys.executable, str(script)], cwd=work)
deadline = time.time() + 120
while time.time() < deadline:
    time.sleep(0.5)
    try:
        done = [t for t in kh.load(str(db), "crash-demo").records if t.state.value == "COMPLETE"]
    except Exception:                               # the file or the study is not there yet
        continue
    if len(done) >= 4:
        break
proc.send_signal(signal.SIGKILL)
proc.wait()
left = kh.load(str(db), "crash-demo")
print("after the kill:", pd.Series([t.state.value for t in left.records]).value_counts().to_dict())

# %%
resumed = kh.tune(slow_quadratic, space, method="random", max_trials=20, storage=str(db), study="crash-demo",
                  resume=True, progress=False)
print("after resume:", len(resumed.records), "trials,",
      pd.Series([t.state.value for t in resumed.records]).value_counts().to_dict())

# %% [markdown]
# ## Summary
#
# | what fails | what survives |
# | --- | --- |
# | a trial raises or diverges | everything: that trial is FAILED with its error, the run goes on |
# | a worker process dies | everything: its trial is FAILED, a fresh worker takes over |
# | the driver dies (with `storage=`) | every finished trial, in the SQLite file; `resume=True` re-runs the cut-short ones |
# | the driver dies (no `storage=`) | nothing: always use `storage=` for long runs |
#
# The store holds parameters, values, curves and errors as JSON in one SQLite file (nothing pickled),
# so `kh.load(path, study)`, `keras-hpo show path` or any SQLite tool can read it while a run is going.
# To watch a long run on a cluster, point `keras-hpo show runs/big.db` at the file now and then, or pass
# `tensorboard="logs/big"` to `kh.tune` (or run `keras-hpo tensorboard runs/big.db --logdir logs/big`) and
# follow the trials in TensorBoard's HParams dashboard.
