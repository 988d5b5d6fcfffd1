"""The same seed gives the same suggestions in separate processes (other hash seeds, other start times).

Figure (docs/reliability.md): identical suggestion sequences for every method
listed below, run in two processes with different ``PYTHONHASHSEED``.
"""

import json
import subprocess
import sys
import textwrap

import pytest
from harness import ENV

METHODS = ["random", "grid", "tpe", "anneal", "talos", "bayes", "genetic", "ant_colony", "annealing", "tabu", "pso",
           "successive_halving", "hyperband", "asha"]

SCRIPT = textwrap.dedent(
    """
    import json, sys
    import keras_hpo as kh

    space = {"x": kh.Float(0, 1, step=0.05), "k": ["a", "b", "c"], "n": kh.Int(1, 4)}

    def f(p, budget=None):
        return p["x"] + {"a": 0, "b": 0.3, "c": 0.6}[p["k"]] + p["n"] / 10

    out = {}
    for method in sys.argv[1:]:
        result = kh.tune(f, space, method=method, max_trials=12, seed=7, progress=False)
        out[method] = [[t.params, t.budget] for t in result.records]
    print(json.dumps(out))
    """
)


def _run(hash_seed, methods):
    env = {**ENV, "PYTHONHASHSEED": str(hash_seed)}
    out = subprocess.run([sys.executable, "-c", SCRIPT, *methods], env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("group", [0, 1, 2])
def test_same_seed_same_suggestions_across_processes(group):
    methods = METHODS[group::3]
    first, second = _run(1, methods), _run(2, methods)
    identical = [m for m in methods if first[m] == second[m]]
    assert identical == methods
