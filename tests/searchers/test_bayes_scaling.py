"""bayes with pending trials (batches, busy workers) and with many observations (bounded refits)."""

import numpy as np
import pytest

from keras_hpo import searchers
from keras_hpo.searchers.bayes import _MAX_POINTS, _PENDING, _subset
from keras_hpo.testing.objectives import BRANIN, HARTMANN6
from keras_hpo.trial import Trial, TrialState


def _told(searcher, problem, n, seed=1):
    rng = np.random.default_rng(seed)
    for number in range(n):
        params = problem.space.sample(rng)
        searcher.tell(Trial(number, params, TrialState.COMPLETE, value=problem.fn(params)))


def test_subset_keeps_the_best_half_and_spreads_the_rest():
    y = np.random.default_rng(0).normal(size=1000)
    keep = _subset(y, 300)
    assert len(keep) == len(set(keep)) == 300
    assert set(np.argsort(y)[:150]) <= set(keep)
    assert keep.min() < 20 and keep.max() > 980  # the rest covers the whole run


def test_the_gp_sees_a_bounded_subset_of_a_long_history():
    searcher = searchers.get("bayes")
    searcher.setup(HARTMANN6.space, "min", 0)
    _told(searcher, HARTMANN6, 400)
    searcher.ask(1)
    assert searcher._gp.X.shape[0] == _MAX_POINTS
    best = min(searcher.completed, key=lambda t: t.value)
    assert np.any(np.all(np.isclose(searcher._gp.X, HARTMANN6.space.encode(best.params)), axis=1))


@pytest.mark.parametrize("pending_as", _PENDING)
def test_a_batch_spreads_around_pending_points(pending_as):
    searcher = searchers.get("bayes", pending_as=pending_as)
    searcher.setup(BRANIN.space, "min", 0)
    _told(searcher, BRANIN, 20)
    batch = [BRANIN.space.encode(s.params) for s in searcher.ask(4)]
    gaps = [np.linalg.norm(a - b) for i, a in enumerate(batch) for b in batch[i + 1:]]
    assert min(gaps) > 1e-3


@pytest.mark.parametrize("pending_as", _PENDING)
def test_the_first_point_of_a_batch_is_the_sequential_suggestion(pending_as):
    points = []
    for n in (1, 4):
        searcher = searchers.get("bayes", pending_as=pending_as)
        searcher.setup(HARTMANN6.space, "min", 3)
        _told(searcher, HARTMANN6, 25)
        points.append(searcher.ask(n)[0].params)
    assert points[0] == points[1]


def test_pending_points_from_busy_workers_change_the_next_suggestion():
    searcher = searchers.get("bayes")
    searcher.setup(BRANIN.space, "min", 0)
    _told(searcher, BRANIN, 20)
    [first] = searcher.ask(1)  # still pending
    [second] = searcher.ask(1)
    gap = np.linalg.norm(BRANIN.space.encode(first.params) - BRANIN.space.encode(second.params))
    assert gap > 1e-3


def test_bad_pending_as_is_refused():
    with pytest.raises(ValueError, match="pending_as"):
        searchers.get("bayes", pending_as="constant").setup(BRANIN.space, "min", 0)
