"""bayes's local steps: expected improvement inside a trust region around the best result (``local_every``)."""

import numpy as np
import pytest

from keras_hpo import searchers
from keras_hpo.searchers.bayes import _TR_MAX, _TR_MIN, _TR_START
from keras_hpo.testing.objectives import BRANIN, HARTMANN6
from keras_hpo.trial import Trial, TrialState


def _tell(searcher, values, problem=BRANIN, seed=0):
    rng = np.random.default_rng(seed)
    start = len(searcher.history)
    for i, value in enumerate(values):
        searcher.tell(Trial(start + i, problem.space.sample(rng), TrialState.COMPLETE, value=value))


def _searcher(problem=BRANIN, **options):
    searcher = searchers.get("bayes", n_initial=5, **options)
    searcher.setup(problem.space, "min", 0)
    return searcher


def test_new_bests_widen_the_region_and_misses_shrink_it():
    searcher = _searcher(local_every=2)
    _tell(searcher, [10.0] * 5)  # the initial design does not count
    assert searcher._region_length() == _TR_START
    _tell(searcher, [9.0, 8.0, 7.0])  # three new bests in a row
    assert searcher._region_length() == 2 * _TR_START
    _tell(searcher, [7.0] * 4)  # max(4, d) results without one
    assert searcher._region_length() == _TR_START
    _tell(searcher, list(np.linspace(6.0, 1.0, 30)))  # new bests all along
    assert searcher._region_length() == _TR_MAX


def test_a_region_that_shrank_too_far_starts_again():
    searcher = _searcher(local_every=2)
    _tell(searcher, [10.0] * 5)
    lengths = []
    for _ in range(60):
        _tell(searcher, [10.0] * 4)
        lengths.append(searcher._region_length())
    assert min(lengths) >= _TR_MIN
    assert lengths.count(_TR_START) >= 2  # it came back to the start after shrinking


def test_every_second_suggestion_after_the_design_stays_in_the_trust_region():
    searcher = _searcher(HARTMANN6, local_every=2)
    _tell(searcher, [HARTMANN6.fn(HARTMANN6.space.sample(np.random.default_rng(i))) for i in range(12)], HARTMANN6)
    assert searcher._is_local(12) and not searcher._is_local(11) and not searcher._is_local(4)
    point = HARTMANN6.space.encode(searcher.ask(1)[0].params)  # suggestion 12: a local step
    X, y = searcher._data()
    lower, upper = searcher._trust_region(searcher._gp, X, y)  # the GP that suggestion used
    assert np.all(upper - lower < 0.99)  # a real region, not the whole cube
    assert np.all(point >= lower - 1e-9) and np.all(point <= upper + 1e-9)


def test_without_local_steps_no_suggestion_is_local():
    searcher = _searcher(local_every=0)
    assert not any(searcher._is_local(i) for i in range(100))


@pytest.mark.parametrize("value", [-1, 1.5, "2"])
def test_bad_local_every_is_refused(value):
    searcher = searchers.get("bayes", local_every=value)
    with pytest.raises(ValueError, match="local_every"):
        searcher.setup(BRANIN.space, "min", 0)


def test_a_study_stored_before_local_steps_existed_resumes_without_them(tmp_path):
    import keras_hpo as kh
    from keras_hpo.testing.older_release import as_if_stored_by_an_older_release

    db = str(tmp_path / "r.db")
    run = dict(method="bayes", seed=1, storage=db, study="s", progress=False)
    kh.tune(BRANIN, BRANIN.space, max_trials=6, **run)
    as_if_stored_by_an_older_release(db, ["local_every"])
    result = kh.tune(BRANIN, BRANIN.space, max_trials=8, resume=True, **run)
    assert len(result.records) == 8 and result.searcher.options()["local_every"] == 0
    fresh = kh.tune(BRANIN, BRANIN.space, max_trials=2, **{**run, "storage": str(tmp_path / "new.db")})
    assert fresh.searcher.options()["local_every"] == 2  # new studies get the local steps
