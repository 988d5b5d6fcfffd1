"""Driver SIGKILL at a random moment, then resume: lost trials, finished trials re-run, processes left.

Figures (docs/reliability.md): over 10 seeds each serial and with 2 worker processes,
0 trials lost, 0 finished trials re-run, 0 processes left, every study resumed to
40 COMPLETE trials with no duplicate point.
"""

import pytest
from harness import TRIALS, kill_and_resume


def _check(figures):
    assert not figures["finished_before_kill"], "the run finished before it could be killed"
    assert figures["lost"] == 0
    assert figures["rerun"] == 0
    assert figures["processes_left"] == 0
    assert figures["trials"] == TRIALS and figures["all_complete"] and figures["duplicates"] == 0


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_a_killed_driver_loses_nothing_and_reruns_nothing(tmp_path, n_jobs):
    _check(kill_and_resume(tmp_path, seed=0, n_jobs=n_jobs))


@pytest.mark.slow
@pytest.mark.parametrize("n_jobs", [1, 2])
def test_ten_random_kills(tmp_path, n_jobs):
    figures = [kill_and_resume(tmp_path, seed=seed, n_jobs=n_jobs) for seed in range(1, 11)]
    print(f"\nn_jobs={n_jobs}: killed after {[f['completed_at_kill'] for f in figures]} completed trials; "
          f"lost {sum(f['lost'] for f in figures)}, re-run {sum(f['rerun'] for f in figures)}, "
          f"processes left {sum(f['processes_left'] for f in figures)}")
    for f in figures:
        _check(f)
