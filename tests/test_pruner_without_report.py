"""A pruner given to a plain objective that cannot report says so, instead of pruning nothing in silence."""

import logging

import keras_hpo as kh


def test_a_pruner_with_an_objective_without_report_warns(caplog):
    with caplog.at_level(logging.WARNING, logger="keras_hpo"):
        result = kh.tune(lambda p: p["x"], {"x": kh.Float(0, 1)}, pruner="median", max_trials=4, progress=False)
    assert len(result.completed) == 4
    assert any(r.getMessage().startswith("pruner: the objective takes no report argument, so no trial can be pruned")
               for r in caplog.records)


def test_an_objective_that_reports_gets_no_such_warning(caplog):
    def learn(params, report):
        for epoch in range(1, 4):
            report(epoch, params["x"] / epoch)
        return params["x"] / 3

    with caplog.at_level(logging.WARNING, logger="keras_hpo"):
        kh.tune(learn, {"x": kh.Float(0, 1)}, pruner="median", max_trials=4, progress=False)
    assert not [r for r in caplog.records if r.getMessage().startswith("pruner:")]
