"""Entropy ball (free diffusion in d dimensions): theory against independent routes and simulation.

Independent routes used here:
- the scale function / speed measure of the radial diffusion (Karlin & Taylor 1981, ch. 15):
  S'(r) = r^{1-d}, m(r) = 2 r^{d-1}/sigma^2, hitting probability (S(R) - S(r))/(S(R) - S(a)),
  mean exit time = integral of the Green's function against m; every integral is done by
  mpmath quadrature at 25 digits (no closed form used);
- Ito's formula done by brute force: sympy's Laplacian and gradient of |x| in explicit
  Cartesian coordinates for d = 1..6;
- exact special cases: a = 0 gives the ball exit time (R^2 - r0^2)/(d sigma^2) (THEORY.md);
  d = 1 is gambler's-ruin-like: (R - r0)/(R - a) and (r0 - a)(R - r0)/sigma^2;
- a log-space evaluation of (r0^{2-d} - R^{2-d})/(a^{2-d} - R^{2-d}) in numpy for huge d.
Simulation checks use ``validate`` at 99.9% family-wise with fixed seeds.
"""

import io
import json
import math
from contextlib import redirect_stdout

import driftkit.montecarlo.kernels.entropy_ball
import driftkit.theory.entropy_ball
import mpmath
import numpy as np
import pytest
import sympy as sp
from driftkit.montecarlo import validate
from driftkit.montecarlo.kernels.entropy_ball import SHELL, stopping_bias
from driftkit.theory import ParameterError
from driftkit.theory.entropy_ball import _DSUB, CASES, EntropyBall, _derive, r
from hypothesis import given, settings
from hypothesis import strategies as st

# -- independent route: scale function and Green's function by quadrature ----------------


def quadrature_route(m, dps=25):
    """(return probability, mean exit time) from S' and m by mpmath quadrature alone."""
    dd, s, a, R, x = m["d"], m["sigma"], m["a"], m["R"], m["r0"]
    with mpmath.workdps(dps):
        a, R, x, s = (mpmath.mpf(v) for v in (a, R, x, s))

        def sbar(y):  # S(R) - S(y) = int_y^R t^{1-d} dt
            return mpmath.quad(lambda t: t ** (1 - dd), [y, R])

        def speed(y):
            return 2 * y ** (dd - 1) / s**2

        origin_polar = a == 0 and dd >= 2  # S(0) = -inf: the origin is never hit
        if origin_polar:
            u = mpmath.mpf(0)
            # G(x, y) = S(R) - S(max(x, y)) (entrance boundary at 0)
            t = sbar(x) * mpmath.quad(speed, [0, x]) + mpmath.quad(
                lambda y: sbar(y) * speed(y), [x, R]
            )
            return float(u), float(t)
        sa, sx = sbar(a), sbar(x)
        u = sx / sa
        # G(x, y) = (S(min) - S(a)) (S(R) - S(max)) / (S(R) - S(a))
        left = mpmath.quad(lambda y: (sa - sbar(y)) * speed(y), [a, x])
        right = mpmath.quad(lambda y: sbar(y) * speed(y), [x, R])
        t = (sx * left + (sa - sx) * right) / sa
        return float(u), float(t)


QUAD_CASES = [
    {},  # the defaults
    {"a": 0.0},
    {"d": 1},
    {"d": 1, "a": 0.0, "sigma": 0.7},
    {"d": 2, "a": 0.3, "R": 2.0, "r0": 0.9, "sigma": 1.5},
    {"d": 2, "a": 0.0},
    {"d": 3, "a": 0.2, "R": 1.0, "r0": 0.25},
    {"d": 7, "a": 1.0, "R": 1.5, "r0": 1.2, "sigma": 0.4},
]


@pytest.mark.parametrize("params", QUAD_CASES)
def test_matches_greens_function_quadrature(params):
    # mpmath quadrature at 25 digits: agreement to 1e-10 relative (10 significant digits)
    m = EntropyBall(**params)
    u, t = quadrature_route(m)
    assert m.value("return_probability") == pytest.approx(u, rel=1e-10, abs=1e-300)
    assert m.value("mean_exit_time") == pytest.approx(t, rel=1e-10)


def test_radial_drift_is_ito_on_the_norm():
    # brute force: (sigma^2/2) Laplacian |x| in d explicit coordinates, and |grad |x||^2 = 1
    sig = sp.Symbol("sigma", positive=True)
    for dd in range(1, 7):
        xs = sp.symbols(f"x1:{dd + 1}", positive=True)
        norm = sp.sqrt(sum(x**2 for x in xs))
        lap = sum(sp.diff(norm, x, 2) for x in xs)
        grad2 = sum(sp.diff(norm, x) ** 2 for x in xs)
        assert sp.simplify(grad2) == 1
        brute = sp.simplify(sig**2 / 2 * lap)
        derived = (
            _derive()
            .ito_drift.subs({driftkit.theory.entropy_ball.d: dd, r: norm})
            .subs(driftkit.theory.entropy_ball.sigma, sig)
        )
        assert sp.simplify(brute - derived) == 0, dd
    assert EntropyBall().value("radial_drift_rate") == pytest.approx(9 / 2, rel=1e-15)
    assert EntropyBall(d=1).value("radial_drift_rate") == 0.0


def test_derived_solutions_satisfy_ode_and_boundaries():
    d = _derive()
    for solved in (d.ret, d.time):
        (ba, bR) = solved.boundary
        f = ba.lhs.func
        for case in CASES:
            ode = solved.ode.subs(driftkit.theory.entropy_ball.d, _DSUB[case])
            res = solved.display[case]
            residual = (ode.lhs - ode.rhs).subs(f(r), res).doit()
            assert sp.simplify(residual) == 0, (f, case)
            assert sp.simplify(res.subs(r, ba.lhs.args[0]) - ba.rhs) == 0, (f, case)
            assert sp.simplify(res.subs(r, bR.lhs.args[0]) - bR.rhs) == 0, (f, case)


@pytest.mark.parametrize("d", [1, 2, 3, 10, 50])
def test_no_aligned_ball(d):
    # a = 0: d >= 2 never returns and the mean time is the ball exit time (R^2 - r0^2)/(d s^2)
    # (THEORY.md); d = 1 hits the origin: (R - r0)/R and r0 (R - r0)/sigma^2
    m = EntropyBall(d=d, a=0.0, sigma=1.3, R=2.5, r0=0.7)
    if d == 1:
        assert m.value("return_probability") == pytest.approx(1.8 / 2.5, rel=1e-15)
        assert m.value("mean_exit_time") == pytest.approx(0.7 * 1.8 / 1.3**2, rel=1e-14)
    else:
        assert m.value("return_probability") == 0.0
        assert m.value("mean_exit_time") == pytest.approx(
            (2.5**2 - 0.7**2) / (d * 1.3**2), rel=1e-14
        )
    # continuity: a -> 0+ (rate (a/r0)^{d-2}, 1/log(1/a), or a)
    near = m.replace(a=1e-12)
    assert near.value("mean_exit_time") == pytest.approx(m.value("mean_exit_time"), rel=0.05)
    assert near.value("return_probability") == pytest.approx(
        m.value("return_probability"), abs=0.05
    )


def test_done_when_cli_a_zero_json():
    # the done-when: `driftkit theory entropy-ball --set a=0 --json` gives (9 - 1)/10
    from driftkit.montecarlo.app.cli import main

    out = io.StringIO()
    with redirect_stdout(out):
        assert main(["theory", "entropy-ball", "--set", "a=0", "--json"]) == 0
    doc = json.loads(out.getvalue())
    assert doc["quantities"]["mean_exit_time"]["value"] == (3.0**2 - 1.0**2) / (10 * 1.0**2)


def test_d1_is_gamblers_ruin_like():
    # d = 1 is BM on (a, R) reflected at nothing: (R - r0)/(R - a), (r0 - a)(R - r0)/sigma^2
    m = EntropyBall(d=1, a=0.5, R=3.0, r0=1.0, sigma=2.0)
    assert m.value("return_probability") == pytest.approx(2.0 / 2.5, rel=1e-15)
    assert m.value("mean_exit_time") == pytest.approx(0.5 * 2.0 / 4.0, rel=1e-14)


@pytest.mark.parametrize("d", [400, 5000, 10**6])
def test_huge_dimension_does_not_overflow(d):
    # r^{2-d} overflows a double for d ~ 400 at r = 0.1; log-space numpy reference
    a, R, x = 0.1, 1.0, 0.2
    m = EntropyBall(d=d, a=a, R=R, r0=x)
    la, lr = (d - 2) * math.log(a / x), (d - 2) * math.log(a / R)
    ref = (math.exp(la) - math.exp(lr)) / -math.expm1(lr)
    assert np.isfinite(m.value("return_probability"))
    assert m.value("return_probability") == pytest.approx(ref, rel=1e-12, abs=1e-300)
    assert m.value("mean_exit_time") == pytest.approx((R**2 - x**2) / d, rel=1e-12)


def test_expressions_latex_and_derivation():
    m = EntropyBall()
    general = m.general_expression("return_probability")
    assert isinstance(general, sp.Piecewise) and len(general.args) == 3
    assert r"\log" in sp.latex(general)
    assert m.latex("radial_drift_rate").startswith(r"\mu_r(r_0) = ")
    text = m.derivation()
    for needle in ("dsolve", "Ito", "Bessel", r"$d = 2$", "Mean exit time", "Durrett"):
        assert needle in text
    assert m.curve_parameter == "r0"
    assert m.curve_range("r0") == (0.5, 3.0)
    assert {q.kind for q in m.quantities} == {"exact"}


@pytest.mark.parametrize(
    "params,name",
    [
        ({"d": 0}, "d"),
        ({"d": 2.5}, "d"),
        ({"sigma": 0.0}, "sigma"),
        ({"a": -0.1}, "a"),
        ({"R": 0.5}, "R"),
        ({"r0": 0.5}, "r0"),
        ({"r0": 3.0}, "r0"),
        ({"r0": float("nan")}, "r0"),
        ({"sigma": float("inf")}, "sigma"),
        ({"zz": 1}, "zz"),
    ],
)
def test_bad_parameters_name_themselves(params, name):
    with pytest.raises(ParameterError) as info:
        EntropyBall(**params)
    assert info.value.parameter == name
    assert f"'{name}'" in str(info.value)


# -- simulation -----------------------------------------------------------------------


def test_validate_defaults():
    m = EntropyBall()
    res = validate(m, paths=50_000, rng=2026)
    assert res.ok, res.to_dict()
    assert res.simulation.censored == 0
    assert set(res.comparisons) == {"return_probability", "mean_exit_time"}
    # the stopping-shell bias bound is far below the interval half-widths
    bias = stopping_bias(m)
    for name, c in res.comparisons.items():
        half = (c.estimate.ci_high - c.estimate.ci_low) / 2
        assert bias[name] < 1e-4 * half, name


@st.composite
def simulable(draw):
    """d in {1, 2, 3, 10}; a = 0 one time in four; r0 away from the barriers by >= 5% of R - a
    so the stopping bias (eps = 1e-10 (R - a) times |u'|, |T'|) stays below 1e-7."""
    d = draw(st.sampled_from([1, 2, 3, 10]))
    a = 0.0 if draw(st.integers(0, 3)) == 0 else draw(st.floats(0.1, 2.0))
    width = draw(st.floats(0.5, 3.0))
    frac = draw(st.floats(0.05, 0.95))
    sigma = draw(st.floats(0.5, 2.0))
    return EntropyBall(d=d, sigma=sigma, a=a, R=a + width, r0=a + frac * width)


@settings(max_examples=6)
@given(simulable(), st.integers(0, 2**32 - 1))
def test_validate_agrees_on_drawn_parameters(model, seed):
    assert max(stopping_bias(model).values()) < 1e-6
    res = validate(model, paths=20_000, rng=seed)
    assert res.ok, res.to_dict()


def test_censoring_is_counted_and_allowed_for():
    # 5 hops cannot reach a 1e-10 shell at d = 10: nearly every path is censored
    res = validate(EntropyBall(), paths=10_000, rng=4, max_steps=5)
    assert res.simulation.censored > 9_000
    assert res["mean_exit_time"].estimate.ci_high == math.inf
    assert res.ok


def test_shell_is_small():
    assert SHELL <= 1e-9
