import json

import keras_hpo as kh


def test_trial_state_vocabulary():
    assert [s.value for s in kh.TrialState] == ["RUNNING", "COMPLETE", "PRUNED", "FAILED"]
    assert not kh.TrialState.RUNNING.is_finished()
    assert all(s.is_finished() for s in (kh.TrialState.COMPLETE, kh.TrialState.PRUNED, kh.TrialState.FAILED))
    assert str(kh.TrialState.PRUNED) == "PRUNED"


def test_trial_round_trips_through_json():
    trial = kh.Trial(number=3, params={"lr": 0.01, "act": "relu"}, state=kh.TrialState.PRUNED, value=0.7,
                     curve=[0.9, 0.7], budget=3, seed=11, started=10.0, finished=12.5)
    again = kh.Trial.from_dict(json.loads(json.dumps(trial.to_dict())))
    assert again == trial and again.duration == 2.5


def test_non_finite_values_become_null_in_json():
    trial = kh.Trial(number=0, params={}, state=kh.TrialState.FAILED, value=float("nan"))
    assert json.loads(json.dumps(trial.to_dict()))["value"] is None


def test_budget_never_goes_into_params():
    suggestion = kh.Suggestion({"lr": 0.1}, budget=9, resume_from=2)
    assert suggestion.params == {"lr": 0.1}
