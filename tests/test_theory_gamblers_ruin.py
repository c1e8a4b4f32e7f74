"""Theory of gambler's ruin against independent routes.

Independent routes used here: the absorbing Markov chain solved as a linear
system with numpy; exact rational arithmetic (``fractions``) of the classical
formulas (Feller 1968, vol. I, XIV.2-3); Feller's own table; mpmath at 40 digits.
"""

import itertools
from fractions import Fraction

import mpmath
import numpy as np
import pytest
import sympy as sp
from driftkit.theory import GamblersRuin, ParameterError
from driftkit.theory.gamblers_ruin import N, _derive, n, p, q
from hypothesis import given
from hypothesis import strategies as st


def absorbing_chain(pv, qv, lo, hi, x0):
    """Escape probability and mean exit time from the chain's linear system (numpy)."""
    states = np.arange(lo + 1, hi)
    k = len(states)
    Q = np.zeros((k, k))
    to_hi = np.zeros(k)
    for i, x in enumerate(states):
        Q[i, i] = 1 - pv - qv
        if x + 1 < hi:
            Q[i, i + 1] = pv
        else:
            to_hi[i] = pv
        if x - 1 > lo:
            Q[i, i - 1] = qv
    A = np.eye(k) - Q
    w = np.linalg.solve(A, to_hi)
    t = np.linalg.solve(A, np.ones(k))
    return w[x0 - lo - 1], t[x0 - lo - 1]


@st.composite
def walks(draw, max_width=30):
    pv = draw(st.floats(0.0, 1.0))
    qv = draw(st.floats(0.0, 1.0 - pv))
    if pv + qv < 0.05:
        qv = 0.05
    lo = draw(st.integers(-20, 20))
    hi = lo + draw(st.integers(2, max_width))
    x0 = draw(st.integers(lo + 1, hi - 1))
    return GamblersRuin(p=pv, q=qv, lo=lo, hi=hi, x0=x0)


@given(walks())
def test_matches_absorbing_markov_chain(model):
    w, t = absorbing_chain(*(model[k] for k in ("p", "q", "lo", "hi", "x0")))
    assert model.value("escape_probability") == pytest.approx(w, rel=1e-7, abs=1e-10)
    assert model.value("mean_exit_time") == pytest.approx(t, rel=1e-7)


@given(walks(max_width=200))
def test_escape_plus_ruin_is_one(model):
    total = model.value("escape_probability") + model.value("ruin_probability")
    assert total == pytest.approx(1.0, abs=1e-12)


@given(walks())
def test_escape_is_monotone_in_start(model):
    lo, hi = model["lo"], model["hi"]
    values = [model.replace(x0=x).value("escape_probability") for x in range(lo + 1, hi)]
    assert all(b >= a - 1e-15 for a, b in itertools.pairwise(values))


@given(st.floats(0.01, 0.49), st.integers(2, 60), st.data())
def test_continuous_at_p_equals_q(pv, width, data):
    x0 = data.draw(st.integers(1, width - 1))
    fair = GamblersRuin(p=pv, q=pv, lo=0, hi=width, x0=x0)
    for eps in (1e-6, 1e-9, 1e-12):
        near = fair.replace(q=pv * (1 + eps))
        for name in ("escape_probability", "mean_exit_time"):
            # the derivative in q is O(width**2) relative, so the gap is below eps * width**3
            assert near.value(name) == pytest.approx(fair.value(name), rel=eps * width**3 + 1e-13)


def exact_classical(pv, qv, z, a):
    """Feller XIV.2-3 in exact rational arithmetic: (escape, duration), lower barrier 0."""
    P, Q = Fraction(pv), Fraction(qv)
    r = Q / P
    escape = (1 - r**z) / (1 - r**a)
    duration = (z - a * escape) / (Q - P)
    return escape, duration


def test_feller_table_p045():
    # Feller (1968) vol. I, XIV.3, table 1: p=0.45, q=0.55, z=90, a=100:
    # probability of ruin 0.866, expected duration 765.6.
    m = GamblersRuin(p=0.45, q=0.55, lo=0, hi=100, x0=90)
    assert round(m.value("ruin_probability"), 3) == 0.866
    assert round(m.value("mean_exit_time"), 1) == 765.6
    escape, duration = exact_classical(0.45, 0.55, 90, 100)
    assert m.value("escape_probability") == pytest.approx(float(escape), rel=1e-12)
    assert m.value("mean_exit_time") == pytest.approx(float(duration), rel=1e-12)


def test_large_barrier_is_finite_and_exact():
    m = GamblersRuin(p=0.45, q=0.55, lo=0, hi=5000, x0=4990)
    escape, duration = exact_classical(0.45, 0.55, 4990, 5000)
    assert m.value("escape_probability") == pytest.approx(float(escape), rel=1e-12)
    assert m.value("mean_exit_time") == pytest.approx(float(duration), rel=1e-12)


@pytest.mark.parametrize("pv,qv", [(0.45, 0.55), (0.55, 0.45), (0.2, 0.2 + 2**-40)])
def test_million_wide_barrier_against_mpmath(pv, qv):
    a, z = 10**6, 10**6 - 10
    m = GamblersRuin(p=pv, q=qv, lo=0, hi=a, x0=z)
    with mpmath.workdps(40):
        r = mpmath.mpf(qv) / mpmath.mpf(pv)
        escape = (1 - r**z) / (1 - r**a)
        duration = (z - a * escape) / (mpmath.mpf(qv) - mpmath.mpf(pv))
    assert np.isfinite(m.value("mean_exit_time"))
    assert m.value("escape_probability") == pytest.approx(float(escape), rel=1e-12)
    assert m.value("mean_exit_time") == pytest.approx(float(duration), rel=1e-9)


@pytest.mark.parametrize("pv,qv", [(0.0, 0.4), (0.4, 0.0), (1.0, 0.0), (0.0, 1.0)])
def test_one_sided_walks(pv, qv):
    m = GamblersRuin(p=pv, q=qv, lo=0, hi=7, x0=3)
    w, t = absorbing_chain(pv, qv, 0, 7, 3)
    assert m.value("escape_probability") == pytest.approx(w, abs=1e-15)
    assert m.value("mean_exit_time") == pytest.approx(t, rel=1e-12)


def test_holding_stretches_time_only():
    # Feller XIV: with q/p fixed, holding multiplies durations by 1/(p+q).
    moving = GamblersRuin(p=0.4, q=0.6, hi=12, x0=4)
    lazy = GamblersRuin(p=0.1, q=0.15, hi=12, x0=4)
    assert lazy.value("escape_probability") == pytest.approx(
        moving.value("escape_probability"), rel=1e-13
    )
    assert lazy.value("mean_exit_time") == pytest.approx(
        moving.value("mean_exit_time") / 0.25, rel=1e-12
    )


def test_derived_solutions_satisfy_recurrence_and_boundaries():
    d = _derive()
    for solved, (b0, bN) in ((d.escape, (0, 1)), (d.ruin, (1, 0)), (d.exit_time, (0, 0))):
        f = solved.first_step.lhs.func
        for result, qq in ((solved.result, q), (solved.result_eq, p)):
            residual = solved.recurrence.subs(q, qq).replace(
                f, lambda arg, res=result: res.subs(n, arg)
            )
            assert sp.simplify(residual) == 0
            assert sp.simplify(result.subs(n, 0) - b0) == 0
            assert sp.simplify(result.subs(n, N) - bN) == 0
    assert d.drift == p - q
    assert sp.expand(d.variance - (p + q - (p - q) ** 2)) == 0


def test_expressions_and_latex():
    m = GamblersRuin()
    assert isinstance(m.general_expression("escape_probability"), sp.Piecewise)
    assert "r = q/p" in m.latex("escape_probability")
    fair = GamblersRuin(p=0.3, q=0.3)
    assert fair.latex("escape_probability").startswith(r"P_{\mathrm{esc}} = \frac{n}{N}")
    text = m.derivation()
    for needle in ("rsolve", "Case $p = q$", "Mean exit time", "Feller"):
        assert needle in text


@pytest.mark.parametrize(
    "params,name",
    [
        ({"p": 1.5}, "p"),
        ({"p": -0.1}, "p"),
        ({"p": 0.6, "q": 0.6}, "q"),
        ({"p": 0.0, "q": 0.0}, "p"),
        ({"x0": 0}, "x0"),
        ({"x0": 10}, "x0"),
        ({"hi": 0}, "hi"),
        ({"x0": 2.5}, "x0"),
        ({"p": "abc"}, "p"),
        ({"p": float("nan")}, "p"),
        ({"zz": 1}, "zz"),
    ],
)
def test_bad_parameters_name_themselves(params, name):
    with pytest.raises(ParameterError) as info:
        GamblersRuin(**params)
    assert info.value.parameter == name
    assert f"'{name}'" in str(info.value)
