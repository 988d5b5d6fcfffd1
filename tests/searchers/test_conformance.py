"""Every registered searcher in keras_hpo.testing.conformance.CASES passes every conformance check."""

import pytest

from keras_hpo.testing.conformance import CASES, CHECKS, run_check


@pytest.mark.parametrize("check", sorted(CHECKS))
@pytest.mark.parametrize("name", sorted(CASES))
def test_conformance(name, check):
    run_check(CASES[name], check)
