import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import keras_hpo as kh
from keras_hpo.space import _from_dict, talos_range

# --- validation: bad spaces fail at construction, naming the parameter -------------


@pytest.mark.parametrize(
    "space, message",
    [
        ({"act": []}, "'act': empty choice"),
        ({"act": kh.Choice([])}, "'act': empty choice"),
        ({"lr": kh.Float(0.1, 0.1)}, "'lr': low must be below high"),
        ({"lr": kh.Float(1.0, 0.1)}, "'lr': low must be below high"),
        ({"units": kh.Int(64, 8)}, "'units': low must be below high"),
        ({"lr": kh.Float(0.0, 1.0, log=True)}, "'lr': log=True needs low > 0"),
        ({"units": kh.Int(0, 8, log=True)}, "'units': log=True needs low > 0"),
        ({"d": kh.Float(0.0, 1.0, step=0.3)}, "'d': step=0.3 does not divide"),
        ({"d": kh.Float(0.0, 1.0, step=-0.5)}, "'d': step must be a positive"),
        ({"u": kh.Int(0, 10, step=3)}, "'u': step=3 does not divide"),
        ({"u": kh.Int(1, 9, step=0)}, "'u': step must be a positive"),
        ({"u": kh.Int(1, 3, when={"depth": [2]})}, "'u': condition on unknown parameter 'depth'"),
        ({"d": kh.Int(1, 3), "u": kh.Int(1, 3, when={"d": [7]})}, "'u': condition value 7 is not a possible value of 'd'"),
        ({"a": kh.Choice([1, 2], when={"b": [1]}), "b": kh.Choice([1, 2], when={"a": [1]})}, "cycle of conditions"),
        ({"a": [1, 1]}, "'a': duplicate choice value"),
        ({"r": (1, 2)}, "'r': a tuple is a Talos range"),
        ({"r": (0.0, 1.0, 0)}, "'r': a (start, stop, steps) range needs"),
        ({"r": (0, 10, 2.5)}, "'r': a (start, stop, steps) range needs numbers, a whole number of steps"),
        ({}, "the space is empty"),
    ],
)
def test_bad_spaces_fail_with_the_parameter_named(space, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        kh.Space(space)


@pytest.mark.parametrize(
    "space, message",
    [
        ({"opt": [object()]}, "'opt': choice values must be"),
        ({"u": kh.Int(1.5, 3)}, "'u': low must be an integer"),
        ({"x": kh.Float("a", 3)}, "'x': low and high must be numbers"),
        ({"x": {1, 2}}, "cannot make a distribution"),
    ],
)
def test_wrong_types_raise_type_error(space, message):
    with pytest.raises(TypeError, match=message):
        kh.Space(space)


def test_shorthand_dict():
    space = kh.Space({"act": ["relu", "tanh"], "epochs": 5, "lr": kh.Float(1e-3, 1e-1, log=True)})
    assert space["act"] == kh.Choice(["relu", "tanh"])
    assert space["epochs"] == kh.Fixed(5)
    assert space["lr"].log


def test_talos_range_matches_talos_values():
    # Talos expands (start, stop, steps) with numpy arange, stop excluded, ints de-duplicated
    assert talos_range(0.1, 0.5, 4).values() == [0.1, 0.2, 0.3, 0.4]
    assert talos_range(10, 100, 3).values() == [10, 40, 70]
    assert talos_range(1, 4, 8).values() == [1, 2, 3]
    expected = np.arange(0.0, 1.0, 1.0 / 5).tolist()
    assert talos_range(0.0, 1.0, 5).values() == pytest.approx(expected)


def test_conditions_make_parameters_inactive():
    space = kh.Space({"layers": kh.Int(1, 3), "units_2": kh.Int(8, 64, when={"layers": [2, 3]})})
    rng = np.random.default_rng(0)
    for _ in range(50):
        params = space.sample(rng)
        assert ("units_2" in params) == (params["layers"] >= 2)
    assert not space.contains({"layers": 1, "units_2": 8})
    assert not space.contains({"layers": 2})
    with pytest.raises(ValueError, match="'units_2' is missing"):
        space.check({"layers": 2})
    with pytest.raises(ValueError, match="inactive"):
        space.check({"layers": 1, "units_2": 8})


def test_children_follow_their_parents_whatever_the_input_order():
    space = kh.Space({"u": kh.Int(1, 3, when={"d": [2]}), "d": kh.Int(1, 2)})
    assert list(space) == ["d", "u"]


def test_grid_and_cardinality_of_a_conditional_space():
    space = kh.Space({"a": [1, 2], "b": kh.Int(1, 3, when={"a": [2]}), "c": kh.Float(0, 1, step=0.5)})
    points = list(space.grid())
    assert len(points) == space.cardinality == 3 + 9
    assert len({space.key(p) for p in points}) == len(points)
    assert all(space.contains(p) for p in points)


def test_continuous_space_is_infinite_and_has_no_grid():
    space = kh.Space({"x": kh.Float(0, 1), "y": [1, 2]})
    assert math.isinf(space.cardinality)
    with pytest.raises(ValueError, match=r"\['x'\]"):
        list(space.grid())


def test_log_scales_are_sampled_evenly_in_log_space():
    space = kh.Space({"lr": kh.Float(1e-5, 1e-1, log=True)})
    rng = np.random.default_rng(1)
    logs = np.log10([space.sample(rng)["lr"] for _ in range(4000)])
    assert abs(np.median(logs) - (-3.0)) < 0.15  # a linear scale would put the median near -1.3


def test_encode_uses_one_hot_for_choices_and_imputes_inactive():
    space = kh.Space({"act": ["relu", "tanh", "elu"], "d": kh.Int(1, 2), "u": kh.Int(1, 4, when={"d": [2]})})
    vector = space.encode({"act": "tanh", "d": 1})
    assert vector.tolist()[:3] == [0.0, 1.0, 0.0]
    assert vector[space.slice_of("u")].tolist() == [0.5]
    assert space.choice_blocks == [slice(0, 3)]


def test_decode_rounds_to_valid_points():
    space = kh.Space({"u": kh.Int(8, 512, log=True), "d": kh.Float(0, 0.5, step=0.1), "act": ["a", "b"]})
    rng = np.random.default_rng(3)
    for _ in range(200):
        params = space.decode(rng.uniform(-0.2, 1.2, size=space.n_dims))
        assert space.contains(params), params


def test_key_is_stable_and_order_free():
    space = kh.Space({"x": kh.Float(0, 1), "y": ["a", "b"]})
    assert space.key({"x": 0.5, "y": "a"}) == space.key({"y": "a", "x": 0.5})
    assert space.key({"x": 0.5, "y": "a"}) != space.key({"x": 0.5, "y": "b"})


def test_true_and_one_stay_apart():
    space = kh.Space({"flag": [True, 1]})
    assert space["flag"].index(1) == 1 and space["flag"].index(True) == 0


# --- properties over generated spaces ------------------------------------------------

_values = st.one_of(st.integers(-5, 5), st.text("abc", min_size=1, max_size=3), st.booleans(), st.none())


@st.composite
def spaces(draw):
    params = {}
    for i in range(draw(st.integers(1, 5))):
        kind = draw(st.sampled_from(["float", "logfloat", "stepfloat", "int", "logint", "choice", "fixed"]))
        if kind == "float":
            low = draw(st.floats(-100, 100, allow_nan=False))
            params[f"p{i}"] = kh.Float(low, low + draw(st.floats(0.01, 100)))
        elif kind == "logfloat":
            low = draw(st.floats(1e-6, 1.0))
            params[f"p{i}"] = kh.Float(low, low * draw(st.floats(1.5, 1e4)), log=True)
        elif kind == "stepfloat":
            params[f"p{i}"] = kh.Float(0.0, 1.0, step=draw(st.sampled_from([0.1, 0.25, 0.5])))
        elif kind == "int":
            low = draw(st.integers(-20, 20))
            params[f"p{i}"] = kh.Int(low, low + draw(st.integers(1, 30)))
        elif kind == "logint":
            low = draw(st.integers(1, 16))
            params[f"p{i}"] = kh.Int(low, low * draw(st.integers(2, 64)), log=True)
        elif kind == "choice":
            params[f"p{i}"] = kh.Choice(draw(st.lists(_values, min_size=1, max_size=4, unique_by=lambda v: (type(v), v))))
        else:
            params[f"p{i}"] = kh.Fixed(draw(_values))
    if len(params) >= 2 and draw(st.booleans()):
        parent = kh.Choice(["on", "off"])
        params["switch"] = parent
        child = next(iter(params))
        dist = params[child]
        params[child] = _with_when(dist, {"switch": ["on"]})
    return kh.Space(params)


def _with_when(dist, when):
    return _from_dict({**dist._to_dict(), "when": when})


@settings(max_examples=60, deadline=None)
@given(spaces(), st.integers(0, 2**32 - 1))
def test_samples_are_members_and_survive_encode_decode(space, seed):
    rng = np.random.default_rng(seed)
    for _ in range(5):
        params = space.sample(rng)
        assert space.contains(params)
        vector = space.encode(params)
        assert vector.shape == (space.n_dims,) and np.all((vector >= 0) & (vector <= 1))
        assert space.key(space.decode(vector)) == space.key(params)


@settings(max_examples=60, deadline=None)
@given(spaces())
def test_json_round_trip(space):
    again = kh.Space.from_json(space.to_json())
    assert again == space and list(again) == list(space)


@settings(max_examples=40, deadline=None)
@given(spaces())
def test_cardinality_counts_the_grid(space):
    if not space.finite or space.cardinality > 3000:
        return
    points = list(space.grid())
    assert len(points) == space.cardinality
    assert len({space.key(p) for p in points}) == len(points)


def test_sample_takes_a_seed_as_numpy_does():
    """space.sample(0) was AttributeError: 'int' object has no attribute 'integers'."""
    space = kh.Space({"x": kh.Float(0, 1), "kind": ["a", "b"]})
    assert space.sample(0) == space.sample(np.random.default_rng(0))
    assert space.contains(space.sample())
    with pytest.raises(TypeError, match="rng must be a numpy Generator, a non-negative integer seed or None, got 'a'"):
        space.sample("a")
