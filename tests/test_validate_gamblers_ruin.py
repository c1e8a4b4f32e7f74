"""Theory <-> simulation: validate agrees on drawn parameters, and catches a wrong theory.

Each validation compares every quantity at 99.9% family-wise (Bonferroni over the
five quantities) with a fixed seed per example; hypothesis draws the parameters
deterministically (derandomized profile in conftest), so these tests cannot flake.
"""

import pytest
from driftkit.montecarlo import validate
from driftkit.theory import GamblersRuin
from hypothesis import given, settings
from hypothesis import strategies as st


@st.composite
def walks(draw):
    pv = draw(st.floats(0.05, 0.9))
    qv = draw(st.floats(0.05, 1.0 - pv))
    lo = draw(st.integers(-10, 10))
    # keep the expected work modest: width <= 25 and |drift| bounded away from 0 or short
    hi = lo + draw(st.integers(2, 25))
    x0 = draw(st.integers(lo + 1, hi - 1))
    return GamblersRuin(p=pv, q=qv, lo=lo, hi=hi, x0=x0)


def test_validate_defaults():
    res = validate(GamblersRuin(), paths=100_000, rng=2026)
    assert res.ok, res.to_dict()
    assert res.simulation.censored == 0
    assert set(res.comparisons) == {
        "drift_rate",
        "step_variance",
        "escape_probability",
        "ruin_probability",
        "mean_exit_time",
    }
    assert res.comparison_level == pytest.approx(1 - 0.001 / 5)


@settings(max_examples=25)
@given(walks(), st.integers(0, 2**32 - 1))
def test_validate_agrees_on_drawn_parameters(model, seed):
    res = validate(model, paths=20_000, rng=seed)
    assert res.ok, res.to_dict()


@pytest.mark.parametrize(
    "params",
    [
        {"p": 0.0, "q": 0.3, "hi": 6, "x0": 2},  # one-sided walks: degenerate answers
        {"p": 1.0, "q": 0.0, "hi": 6, "x0": 2},
        {"p": 0.02, "q": 0.03, "hi": 8, "x0": 4},  # heavy holding
        {"p": 0.45, "q": 0.55, "hi": 100, "x0": 90},  # Feller's example
    ],
)
def test_validate_edge_cases(params):
    assert validate(GamblersRuin(**params), paths=20_000, rng=7).ok
