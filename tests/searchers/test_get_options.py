"""A misspelt method name or option is refused before any trial, naming the method and the closest known spelling
(it used to be Python's own "BayesSearch.__init__() got an unexpected keyword argument 'n_intial'")."""

import pytest

import keras_hpo as kh


@pytest.mark.parametrize(("name", "options", "message"), [
    ("bayes", {"n_intial": 8}, "bayes: unknown option 'n_intial'; did you mean 'n_initial'? (bayes takes n_initial,"),
    ("genetic", {"populaton": 8}, "genetic: unknown option 'populaton'; did you mean 'population'?"),
    ("hyperband", {"etta": 3}, "hyperband: unknown option 'etta'; did you mean 'eta'?"),
    ("manual", {"trial": [{"x": 1}]}, "manual: unknown option 'trial'; did you mean 'trials'?"),
    ("grid", {"colour": "red"}, "grid: unknown option 'colour' (grid takes shuffle)"),
    # talos.Scan's reduction_method is not random_method (a 0.69 match): no hint rather than a wrong one
    ("talos", {"reduction_method": "correlation"}, "talos: unknown option 'reduction_method' (talos takes"),
])
def test_unknown_options_name_the_method_and_the_closest_option(name, options, message):
    with pytest.raises(TypeError) as error:
        kh.searchers.get(name, **options)
    assert str(error.value).startswith(message)


def test_a_misspelt_method_name_suggests_the_known_one_before_any_trial():
    calls = []
    with pytest.raises(ValueError, match=r"unknown method 'randon'; did you mean 'random'\? known methods: grid,"):
        kh.tune(lambda p: calls.append(p) or 0.0, {"x": [1, 2]}, method="randon")
    assert calls == []


def test_known_options_still_work():
    assert kh.searchers.get("bayes", n_initial=8).n_initial == 8
    assert kh.searchers.get("asha", searcher="random", eta=3) is not None
