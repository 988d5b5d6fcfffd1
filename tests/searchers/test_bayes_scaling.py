"""bayes with pending trials (fantasies) and with many observations (bounded refits)."""

import numpy as np
import pytest

from keras_hpo import searchers
from keras_hpo.searchers.bayes import _MAX_POINTS, _subset
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


@pytest.mark.parametrize("pending_as", ["fantasy", "liar"])
def test_a_batch_spreads_around_pending_points(pending_as):
    searcher = searchers.get("bayes", pending_as=pending_as)
    searcher.setup(BRANIN.space, "min", 0)
    _told(searcher, BRANIN, 20)
    batch = [BRANIN.space.encode(s.params) for s in searcher.ask(4)]
    gaps = [np.linalg.norm(a - b) for i, a in enumerate(batch) for b in batch[i + 1:]]
    assert min(gaps) > 1e-3


def test_fantasies_are_draws_from_the_posterior():
    searcher = searchers.get("bayes")
    searcher.setup(BRANIN.space, "min", 0)
    _told(searcher, BRANIN, 15)
    X, y = searcher._data()
    gp = searcher._fit(X, y)
    x = np.array([0.3, 0.6])
    mean, std = gp.predict(x[None, :])
    values = [searcher._fantasise(gp, x).y[-1] for _ in range(400)]
    assert abs(np.mean(values) - mean[0]) < 0.2 * std[0] and abs(np.std(values) / std[0] - 1) < 0.15


def test_bad_pending_as_is_refused():
    with pytest.raises(ValueError, match="pending_as"):
        searchers.get("bayes", pending_as="believer").setup(BRANIN.space, "min", 0)
