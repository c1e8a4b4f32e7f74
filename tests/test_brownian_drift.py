"""Brownian motion with drift: derived theory against independent routes, and simulation.

Independent routes used here (none of them shares code with driftkit.theory.brownian_drift's
evaluators):
- the classical closed forms of THEORY.md / Karlin & Taylor (1981, ch. 15),
  evaluated with mpmath at 50 digits;
- the Green's-function integral E[T] = int G(x, y) m(y) dy (Karlin & Taylor 1981,
  15.3) by mpmath quadrature;
- the inverse Gaussian law of scipy.stats.invgauss and mpmath quadrature of the
  first-passage density (Borodin & Salminen 2002, II.2.0.2);
- numerical Laplace inversion (mpmath.invertlaplace, Talbot) of the Laplace
  transform that sympy derived from the killed backward equation;
- the limits lo -> -inf and t -> inf, and two different series for the same function.
Simulation checks use validate() at 99.9% family-wise with fixed seeds.
"""

import math
import time

import driftkit.montecarlo.kernels.brownian_drift
import driftkit.theory.brownian_drift  # noqa: F401  (registers the model)
import mpmath
import numpy as np
import pytest
import sympy as sp
from driftkit.montecarlo import get_simulator, simulate, validate
from driftkit.montecarlo.kernels.brownian_drift import horizon_grid
from driftkit.theory import ParameterError, get_model
from driftkit.theory.brownian_drift import BrownianDrift, N, _derive, d, lam, mu, n, sigma, x
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

INF = math.inf


@st.composite
def diffusions(draw, one_sided=False, zero_drift=True):
    muv = draw(st.sampled_from([0.0]) if zero_drift and draw(st.booleans()) else st.floats(-3, 3))
    sv = draw(st.floats(0.3, 3.0))
    hi = draw(st.floats(-5, 5))
    width = draw(st.floats(0.2, 6.0))
    frac = draw(st.floats(0.02, 0.98))
    tv = draw(st.floats(0.05, 20.0))
    lo = -INF if one_sided else hi - width
    x0 = hi - frac * width
    return BrownianDrift(mu=muv, sigma=sv, lo=lo, hi=hi, x0=x0, t=tv)


def classical(model):
    """THEORY.md: P(hit b first) and E[T] (Wald: E[T] = (N P - n)/mu), mpmath at 50
    digits plus the ~2 log10(1 / (|mu| N / s^2)) that E[T] loses to cancellation."""
    scale = abs(model["mu"]) * (model["hi"] - model["lo"]) / model["sigma"] ** 2
    extra = 2 * max(0, math.ceil(-math.log10(scale))) if scale > 0 else 0
    with mpmath.workdps(50 + extra):
        m, s = mpmath.mpf(model["mu"]), mpmath.mpf(model["sigma"])
        nn = mpmath.mpf(model["x0"]) - mpmath.mpf(model["lo"])
        NN = mpmath.mpf(model["hi"]) - mpmath.mpf(model["lo"])
        if m == 0:
            return float(nn / NN), float(nn * (NN - nn) / s**2)
        a = 2 * m / s**2
        p = -mpmath.expm1(-a * nn) / -mpmath.expm1(-a * NN)
        return float(p), float((NN * p - nn) / m)


def green_mean_exit(model):
    """E[T] = int_lo^hi G(x0, y) m(y) dy with scale S' = exp(-2 mu y/s^2), speed 2/(s^2 S')."""
    # 30 digits plus what (Sb - S(y)) * speed(y) loses near hi: e^{2 mu N / s^2} (in digits)
    scale = 2 * abs(model["mu"]) * (model["hi"] - model["lo"]) / model["sigma"] ** 2
    with mpmath.workdps(30 + math.ceil(scale / math.log(10))):
        m, s = mpmath.mpf(model["mu"]), mpmath.mpf(model["sigma"])
        a, b, x0 = (mpmath.mpf(model[k]) for k in ("lo", "hi", "x0"))
        c = 2 * m / s**2

        def S(y):  # scale function, S(a) = 0
            return (y - a) if c == 0 else -mpmath.expm1(-c * (y - a)) / c

        def speed(y):
            return 2 / (s**2 * mpmath.exp(-c * (y - a)))

        Sx, Sb = S(x0), S(b)
        # the speed density is exponentially peaked when 2 mu N / s^2 is large: subdivide
        below = mpmath.quad(lambda y: S(y) * (Sb - Sx) / Sb * speed(y), mpmath.linspace(a, x0, 9))
        above = mpmath.quad(lambda y: Sx * (Sb - S(y)) / Sb * speed(y), mpmath.linspace(x0, b, 9))
        return float(below + above)


# -- closed forms -------------------------------------------------------------


@given(diffusions())
def test_escape_and_exit_time_match_classical_forms(model):
    p, T = classical(model)
    # 10 significant digits at least (the evaluator is good to about 1e-15)
    assert model.value("escape_probability") == pytest.approx(p, rel=1e-10, abs=1e-300)
    assert model.value("mean_exit_time") == pytest.approx(T, rel=1e-10)


@settings(max_examples=20)
@given(diffusions())
def test_mean_exit_time_matches_green_function_quadrature(model):
    assert model.value("mean_exit_time") == pytest.approx(green_mean_exit(model), rel=1e-10)


def test_derived_expressions_equal_classical_symbolically():
    der = _derive()
    a = 2 * mu / sigma**2
    classical_p = (1 - sp.exp(-a * n)) / (1 - sp.exp(-a * N))
    assert sp.simplify(der.escape.result - classical_p) == 0
    assert sp.simplify(der.exit_time.result - (N * classical_p - n) / mu) == 0
    assert der.escape.result_eq == n / N
    assert sp.expand(der.exit_time.result_eq - n * (N - n) / sigma**2) == 0
    assert der.drift == mu
    # lo -> -inf limits (THEORY.md: passage probability exp(2 mu d/s^2) for mu < 0;
    # inverse Gaussian mean d/mu for mu > 0)
    assert der.escape.one_sided == 1
    assert sp.simplify(der.escape.one_sided_neg - sp.exp(2 * mu * d / sigma**2)) == 0
    assert sp.simplify(der.exit_time.one_sided - d / mu) == 0
    assert der.exit_time.one_sided_neg == sp.oo
    # Girsanov (the derivation's claim): exp(2 mu d/s^2) F(t; d, -mu) = F(t; d, mu), so
    # the inverse Gaussian CDF derived for mu > 0 holds for every real mu
    F = der.passage_cdf
    mirrored = sp.exp(2 * mu * d / sigma**2) * F.subs(mu, -mu)
    t_ = sp.Symbol("t", positive=True)
    for point in ({mu: 0.7, sigma: 1.3, d: 2.0, t_: 0.9}, {mu: -1.1, sigma: 0.6, d: 0.5, t_: 3.0}):
        assert sp.N(mirrored.subs(point) - F.subs(point), 30) == pytest.approx(0, abs=1e-25)


def test_ode_solutions_satisfy_equation_and_boundaries():
    der = _derive()
    for solved, (b_lo, b_hi) in ((der.escape, (0, 1)), (der.exit_time, (0, 0))):
        f = solved.ode.lhs.atoms(sp.Function).pop().func
        for result, mu_case in ((solved.result, mu), (solved.result_eq, 0)):
            in_x = result.subs(n, x)  # lo = 0, so x = n
            residual = (solved.ode.lhs - solved.ode.rhs).subs(mu, mu_case)
            residual = residual.subs(f(x), in_x).doit()
            assert sp.simplify(residual) == 0
            assert sp.simplify(result.subs(n, 0) - b_lo) == 0
            assert sp.simplify(result.subs(n, N) - b_hi) == 0
    # the Laplace transforms solve the killed equation with their boundary values
    v = der.laplace_two
    ode = sigma**2 / 2 * v.diff(n, 2) + mu * v.diff(n) - lam * v
    assert sp.simplify(ode) == 0
    assert sp.simplify(v.subs(n, 0)) == 0 and sp.simplify(v.subs(n, N) - 1) == 0
    w = der.laplace_one  # in d = hi - x, so d/dx = -d/dd
    assert sp.simplify(sigma**2 / 2 * w.diff(d, 2) - mu * w.diff(d) - lam * w) == 0
    assert w.subs(d, 0) == 1


@pytest.mark.parametrize(
    "params",
    [
        {"mu": 1e4, "sigma": 1.0, "lo": 0, "hi": 3, "x0": 1},  # mu N / s^2 = 3e4
        {"mu": -1e4, "sigma": 1.0, "lo": 0, "hi": 3, "x0": 2.9999},
        {"mu": 1.0, "sigma": 0.01, "lo": -5, "hi": 5, "x0": -4.9},  # 2 mu N / s^2 = 2e5
        {"mu": 1e-300, "lo": 0, "hi": 3, "x0": 1},  # cancellation near mu = 0
        {"mu": -3e-9, "lo": 0, "hi": 3, "x0": 1},
    ],
)
def test_overflow_and_cancellation_safe(params):
    m = BrownianDrift(**params)
    p, T = classical(m)  # mpmath at 50 digits, expm1 form: no overflow, no cancellation
    assert m.value("escape_probability") == pytest.approx(p, rel=1e-12, abs=1e-300)
    assert m.value("mean_exit_time") == pytest.approx(T, rel=1e-12)
    assert 0.0 <= m.value("escape_by_time") <= m.value("escape_probability") * (1 + 1e-12)


def test_one_sided_closed_forms():
    # THEORY.md: with no lower barrier, P = 1 for mu >= 0, exp(2 mu d / s^2) for mu < 0;
    # E[T] = d/mu (inverse Gaussian mean) for mu > 0, infinite otherwise.
    up = BrownianDrift(mu=0.5, sigma=2.0, lo=-INF, hi=3, x0=1)
    assert up.value("escape_probability") == 1.0
    assert up.value("mean_exit_time") == pytest.approx(2 / 0.5, rel=1e-15)
    down = up.replace(mu=-0.5)
    assert down.value("escape_probability") == pytest.approx(math.exp(-0.5), rel=1e-15)
    assert down.value("mean_exit_time") == INF
    assert up.replace(mu=0.0).value("mean_exit_time") == INF
    assert up.replace(mu=0.0).value("escape_probability") == 1.0


# -- escape by time -------------------------------------------------------------


@settings(max_examples=30)
@given(diffusions(one_sided=True, zero_drift=False))
def test_one_sided_escape_by_time_is_inverse_gaussian(model):
    dv, muv, sv, tv = model["hi"] - model["x0"], model["mu"], model["sigma"], model["t"]
    value = model.value("escape_by_time")
    if muv > 0:
        # scipy: invgauss(mu=m/lam, scale=lam), mean m = d/mu, shape lam = d^2/s^2 (THEORY.md)
        m_, lam_ = dv / muv, dv**2 / sv**2
        ref = stats.invgauss(mu=m_ / lam_, scale=lam_).cdf(tv)
        assert value == pytest.approx(ref, rel=1e-9, abs=1e-15)
    # any mu: mpmath quadrature of the (defective) first-passage density
    with mpmath.workdps(40):  # the density is sharply peaked for small sigma: 40 digits

        def density(u):
            return (
                dv
                / (sv * mpmath.sqrt(2 * mpmath.pi * u**3))
                * mpmath.exp(-((dv - muv * u) ** 2) / (2 * sv**2 * u))
            )

        ref = mpmath.quad(density, mpmath.linspace(0, tv, 12))
    assert value == pytest.approx(float(ref), rel=1e-10, abs=1e-300)


def laplace_inverse(model):
    """P(hi first, T <= t) by Talbot inversion of v_lambda / lambda (sympy's dsolve result)."""
    der = _derive()
    f = sp.lambdify((lam, mu, sigma, n, N), der.laplace_two / lam, modules="mpmath")
    with mpmath.workdps(30):
        args = [mpmath.mpf(model[k]) for k in ("mu", "sigma")]
        nn, NN = mpmath.mpf(model["x0"] - model["lo"]), mpmath.mpf(model["hi"] - model["lo"])
        return float(mpmath.invertlaplace(lambda s: f(s, *args, nn, NN), model["t"]))


@settings(max_examples=12)
@given(diffusions())
def test_two_barrier_escape_by_time_matches_laplace_inversion(model):
    value = model.value("escape_by_time")
    assert value == pytest.approx(laplace_inverse(model), rel=1e-10, abs=1e-14)
    assert 0.0 <= value <= model.value("escape_probability") * (1 + 1e-13)


@given(diffusions(), st.floats(0.3, 3.0))
def test_image_and_eigenfunction_series_agree(model, tau):
    # two different expansions of the same function, where both converge well
    L = model["hi"] - model["lo"]
    m = model.replace(t=tau * L**2 / model["sigma"] ** 2)
    images, eigen = m.escape_by_time_value("images"), m.escape_by_time_value("eigen")
    assert images == pytest.approx(eigen, rel=1e-12, abs=1e-300)


@given(diffusions(one_sided=True))
def test_far_lower_barrier_gives_the_one_sided_law(model):
    # lo pushed 60 standard deviations plus the drift's reach below x0: the two-barrier
    # series must reproduce the one-barrier formula (the image terms vanish)
    sv, tv, muv = model["sigma"], model["t"], model["mu"]
    far = model["x0"] - 60 * sv * math.sqrt(tv) - 2 * abs(muv) * tv - 1
    two = model.replace(lo=far)
    assert two.value("escape_by_time") == pytest.approx(
        model.value("escape_by_time"), rel=1e-12, abs=1e-300
    )


@given(diffusions())
def test_escape_by_time_tends_to_escape_probability(model):
    L, sv = model["hi"] - model["lo"], model["sigma"]
    late = model.replace(t=200 * L**2 / sv**2)  # remaining mass below exp(-200 pi^2 / 2)
    assert late.value("escape_by_time") == pytest.approx(
        model.value("escape_probability"), rel=1e-12
    )
    early = [model.replace(t=model["t"] * f).value("escape_by_time") for f in (0.5, 1.0, 2.0)]
    assert early[0] <= early[1] <= early[2]


# -- simulation ---------------------------------------------------------------


def test_validate_defaults():
    res = validate(BrownianDrift(), paths=100_000, rng=2026)
    assert res.ok, res.to_dict()
    assert res.simulation.censored == 0
    assert set(res.comparisons) == {
        "drift_rate",
        "escape_probability",
        "mean_exit_time",
        "escape_by_time",
    }
    assert res.comparison_level == pytest.approx(1 - 0.001 / 4)


@st.composite
def quick_diffusions(draw):
    # E[T] <= width^2 / sigma^2 / 4 <= 4 time units: at most a few hundred steps per
    # path on average; x0 at least 0.3 sigma (3 sigma sqrt(dt)) from both barriers, so
    # E[T] >> dt (exit times inside a step are sampled from the bridge's first-passage
    # law, so the exit time has no O(dt) bias; the old midpoint rule's, at most dt/2,
    # was far below the interval's half-width too)
    sv = draw(st.floats(0.5, 2.0))
    width = draw(st.floats(1.5, 4.0)) * sv
    muv = draw(st.floats(-1.5, 1.5)) * sv**2 / width
    lo = draw(st.floats(-3, 3))
    x0 = lo + draw(st.floats(0.2, 0.8)) * width
    tv = draw(st.floats(0.1, 2.0)) * width**2 / sv**2
    dtv = 0.01
    return BrownianDrift(mu=muv, sigma=sv, lo=lo, hi=lo + width, x0=x0, t=tv, dt=dtv)


@settings(max_examples=6)
@given(quick_diffusions(), st.integers(0, 2**32 - 1))
def test_validate_agrees_on_drawn_parameters(model, seed):
    res = validate(model, paths=20_000, rng=seed)
    assert res.ok, res.to_dict()


@pytest.mark.parametrize("muv", [0.4, 0.0, -0.4])
def test_validate_without_lower_barrier(muv):
    # dt = 0.1: the bridge correction keeps the probabilities exact at any dt (one
    # barrier); the step budget (T = 100) censors the paths that drift away
    model = BrownianDrift(mu=muv, lo=-INF, hi=2, x0=1, t=4, dt=0.1)
    res = validate(model, paths=8_000, rng=11, max_steps=1_000)
    assert res.ok, res.to_dict()
    expected = {"drift_rate", "escape_probability", "escape_by_time"}
    if muv > 0:
        expected.add("mean_exit_time")
    assert set(res.comparisons) == expected
    assert set(get_simulator(model).simulated_quantities(model)) == expected


def test_horizon_off_the_grid_is_decided_exactly():
    # t = 1.234 is not a multiple of dt = 0.05: the step across t is cut at t
    assert horizon_grid(1.234, 0.05) == (24, pytest.approx(0.034))
    assert horizon_grid(10.0, 0.01) == (1000, 0.0)
    res = validate(BrownianDrift(t=1.234, dt=0.05), paths=40_000, rng=3)
    assert res.ok, res.to_dict()


def test_bridge_correction_matters():
    # at dt = 0.2 the crossings between grid points carry a large part of the escape
    # probability; with the correction the estimate still agrees with theory
    model = BrownianDrift(dt=0.2)
    res = validate(model, paths=40_000, rng=5)
    assert res["escape_probability"].agree and res["escape_by_time"].agree


def test_same_seed_same_result_any_thread_count():
    model = BrownianDrift(t=2.0)
    one = simulate(model, 9_000, rng=42, threads=1)
    two = simulate(model, 9_000, rng=42, threads=2)
    for name in one.estimates:
        assert one[name].estimate == two[name].estimate
    assert one.steps == two.steps


def test_censoring_is_counted():
    res = simulate(BrownianDrift(), 5_000, rng=1, max_steps=50)  # T = 0.5 only
    assert res.censored > 0
    assert res["mean_exit_time"].ci_high == INF
    esc = res["escape_probability"]
    assert esc.ci_low <= BrownianDrift().value("escape_probability") <= esc.ci_high


# -- model contract -------------------------------------------------------------


@pytest.mark.parametrize(
    "params,name",
    [
        ({"sigma": 0.0}, "sigma"),
        ({"sigma": -1.0}, "sigma"),
        ({"dt": 0.0}, "dt"),
        ({"dt": -0.01}, "dt"),
        ({"t": 0.0}, "t"),
        ({"x0": 0.0}, "x0"),
        ({"x0": 3.0}, "x0"),
        ({"x0": 5.0}, "x0"),
        ({"hi": 0.0, "x0": -1.0}, "hi"),
        ({"hi": -1.0}, "hi"),
        ({"hi": INF}, "hi"),
        ({"mu": float("nan")}, "mu"),
        ({"mu": INF}, "mu"),
        ({"lo": INF}, "lo"),
        ({"sigma": "abc"}, "sigma"),
        ({"zz": 1}, "zz"),
    ],
)
def test_bad_parameters_name_themselves(params, name):
    with pytest.raises(ParameterError) as info:
        BrownianDrift(**params)
    assert info.value.parameter == name
    assert f"'{name}'" in str(info.value)


def test_lower_barrier_may_be_minus_infinity():
    m = BrownianDrift(lo="-inf")
    assert m["lo"] == -INF and m.one_sided
    low, high = m.curve_range("x0")
    assert low < m["x0"] < high == m["hi"]
    assert BrownianDrift().curve_range("x0") == (0.0, 3.0)


def test_registry_expressions_and_derivation():
    assert get_model("brownian-drift") is BrownianDrift
    m = BrownianDrift()
    assert isinstance(m.general_expression("escape_probability"), sp.Piecewise)
    assert "N = \\mathrm{hi} - \\mathrm{lo}" in m.latex("escape_probability")
    assert "\\sum" in m.latex("escape_by_time")
    assert "d = \\mathrm{hi} - x_0" in m.replace(lo=-INF).latex("escape_by_time")
    assert (
        m.replace(lo=-INF, mu=-0.1)
        .latex("mean_exit_time")
        .endswith("\\infty\\qquad d = \\mathrm{hi} - x_0")
    )
    text = m.derivation()
    for needle in ("dsolve", "Case $\\mu = 0$", "Mean exit time", "GaussianInverse", "images"):
        assert needle in text
    assert any("@book" in r.bibtex for r in m.references)
    assert "simulation time step" in m.parameter("dt").description
    assert np.isfinite(list(m.values().values())).all()


# -- bounded evaluation at extreme parameters (issue 12) -------------------------


@pytest.mark.parametrize(
    ("muv", "sv", "tv"),
    [(1e3, 0.5, 2e-3), (1e3, 0.5, 2.1e-3), (1e6, 1e-3, 2e-6), (1e6, 1e-3, 2.000001e-6)],
)
def test_extreme_drift_escape_by_time_matches_the_one_barrier_law(muv, sv, tv):
    # lo = 0, x0 = 1, hi = 3: the lower barrier is reached first with probability at most
    # exp(-2 mu (x0 - lo) / s^2) < e^-8000, so P(escape by t) is the inverse Gaussian CDF of
    # the passage over d = 2 (Borodin & Salminen 2.0.2): scipy's invgauss (to 1e-9 here) and
    # the closed form in mpmath at 80 digits with log(ncdf) (no cancellation).
    model = BrownianDrift(mu=muv, sigma=sv, lo=0, hi=3, x0=1, t=tv)
    dv, lam_ = 2.0, 4.0 / sv**2
    ref = stats.invgauss(mu=dv / muv / lam_, scale=lam_).cdf(tv)
    with mpmath.workdps(80):
        m_, s_, t_, d_ = (mpmath.mpf(v) for v in (muv, sv, tv, dv))
        rt = s_ * mpmath.sqrt(t_)
        exact = mpmath.ncdf((m_ * t_ - d_) / rt) + mpmath.exp(
            2 * m_ * d_ / s_**2 + mpmath.log(mpmath.ncdf((-d_ - m_ * t_) / rt))
        )
    value = model.value("escape_by_time")
    assert value == pytest.approx(float(exact), rel=1e-13)
    assert value == pytest.approx(ref, rel=1e-8)


def test_image_series_matches_the_derived_image_sum_at_high_precision():
    # sympy's derived image sum (der.image_sum, its k-th term lambdified) summed over
    # |k| <= 12 in mpmath at 400 digits: its terms carry e^{2 mu N / s^2} = e^{667} and
    # 1 - erf(.) cancellations, which 400 digits resolve; the evaluator sums the same
    # series rearranged (Girsanov's factor inside each image) at 30-60 digits.
    der = _derive()
    total = next(a for a in der.image_sum.args if isinstance(a, sp.Sum))
    term = sp.lambdify(
        (mu, sigma, n, N, sp.Symbol("t", positive=True), sp.Symbol("k", integer=True)),
        der.image_sum / total * total.function,
        modules="mpmath",
    )
    for muv, sv, x0v, tv in [(10.0, 0.3, 1.0, 0.2), (-5.0, 0.5, 2.9, 0.05), (0.0, 1.0, 1.0, 1.0)]:
        with mpmath.workdps(400):
            args = [mpmath.mpf(v) for v in (muv, sv, x0v, 3.0, tv)]
            ref = float(sum(term(*args, kk) for kk in range(-12, 13)))
        value = BrownianDrift(mu=muv, sigma=sv, lo=0, hi=3, x0=x0v, t=tv).value("escape_by_time")
        assert value == pytest.approx(ref, rel=1e-13)


def test_issue_12_extreme_cases_answer_fast_and_exactly():
    # mu = -1e6, sigma = 1e-6 hung (the old image series ran to k ~ |mu| t / 2N = 1.7e6).
    # P(escape by t) <= P(escape) = e^{-2 |mu| (hi - x0) / s^2} = e^{-4e18}: a float 0.
    # mu = +1e6: P(escape by t) >= 1 - P(hit lo first) - P(T > t), both below e^{-1e12}.
    for muv, sv, expected in [(-1e6, 1e-6, 0.0), (-1e4, 1e-4, 0.0), (1e6, 1e-6, 1.0)]:
        start = time.perf_counter()
        model = BrownianDrift(mu=muv, sigma=sv)
        assert model.value("escape_by_time") == expected
        assert model.value("escape_probability") == expected
        assert time.perf_counter() - start < 2.0


def test_normal_cdf_beyond_mpmath_range_matches_mpmath():
    # _ncdf switches to the asymptotic series at |z| = 1e100; mpmath.ncdf itself works up to
    # about 1e154, so both are compared there at 600 digits (the value e^{-z^2/2} needs
    # about 2 log10|z| digits for its exponent: 300 are left).
    from driftkit.theory.brownian_drift import _ncdf

    with mpmath.workdps(600):
        for z in (-1.5e100, -1e120, -3e150):
            z = mpmath.mpf(z)
            assert abs(_ncdf(z) / mpmath.ncdf(z) - 1) < mpmath.mpf(10) ** -250
    with mpmath.workdps(30):
        assert _ncdf(mpmath.mpf(-1e300)) > 0  # mpmath.ncdf raises OverflowError here
