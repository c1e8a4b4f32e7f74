"""Diffusion with resetting: theory against independent routes, and against simulation.

Independent routes used here: the Laplace transform of the free survival
function Q_0(t) (inverse-Gaussian / Lévy law, written with the normal CDF),
integrated numerically by mpmath at 30 digits and put through the renewal
formula T = Qhat_0(r) / (1 - r Qhat_0(r)); the driftless formula
(e^{alpha L} - 1)/r, alpha = sqrt(2 r / sigma^2), of Evans & Majumdar (2011)
(shared/THEORY.md); the constant z* = 1.5936242600400401 (root of
z/2 = 1 - e^{-z}, given in the brief); direct evaluation of T around r*.

Simulation comparisons use validate() at 99.9% with fixed seeds; hypothesis
draws parameters deterministically (conftest profile), so nothing here flakes.
"""

import itertools
import math

import driftkit.montecarlo.kernels.resetting_diffusion
import driftkit.theory.resetting_diffusion  # noqa: F401  (registers the model)
import mpmath
import pytest
import sympy as sp
from driftkit.montecarlo import get_simulator, validate
from driftkit.theory import ParameterError, get_model
from driftkit.theory.resetting_diffusion import (
    ResettingDiffusion,
    _derive,
    hi,
    mu,
    optimal_w,
    s,
    sigma,
    stationarity,
    x,
)
from hypothesis import given, settings
from hypothesis import strategies as st

Z_STAR = 1.5936242600400401  # root of z/2 = 1 - e^{-z} (from the brief; checked below)


def mean_fpt_by_laplace(muv, sigmav, rv, Lv, dps=30):
    """T from the numerical Laplace transform of the free survival Q_0 (mpmath, 30 digits).

    Q_0(t) = 1 - Phi((mu t - L)/(sigma sqrt t)) - e^{2 mu L/sigma^2} Phi((-mu t - L)/(sigma sqrt t))
    (the first-passage law of drifted Brownian motion, defective for mu < 0); the
    renewal argument at the resets gives T = Qhat_0(r) / (1 - r Qhat_0(r)).
    """
    with mpmath.workdps(dps):
        m, sg, r, L = map(mpmath.mpf, (muv, sigmav, rv, Lv))
        k = mpmath.exp(2 * m * L / sg**2)

        def survival(t):
            st_ = sg * mpmath.sqrt(t)
            return 1 - mpmath.ncdf((m * t - L) / st_) - k * mpmath.ncdf((-m * t - L) / st_)

        tl = L**2 / sg**2
        points = sorted({mpmath.mpf(0), tl / 10, tl, 1 / r, 10 / r, 10 * tl, mpmath.inf})
        qhat = mpmath.quad(lambda t: mpmath.exp(-r * t) * survival(t), points)
        return float(qhat / (1 - r * qhat))


@st.composite
def models(draw, max_lambda_l=12.0):
    """Parameters with lambda(r) L <= max_lambda_l (T moderate, the quadrature accurate)."""
    sigmav = draw(st.floats(0.2, 3.0))
    Lv = draw(st.floats(0.1, 5.0))
    # Péclet number mu L / sigma^2; lambda L -> 2|m| as r -> 0 when m < 0
    m = draw(st.floats(max(-3.0, 0.5 - max_lambda_l / 2), 3.0))
    muv = m * sigmav**2 / Lv
    x0 = draw(st.floats(-5.0, 5.0))
    # r through w = L sqrt(mu^2 + 2 r sigma^2)/sigma^2 in (|m|, |m| + ...): lambda L = w - m
    w = draw(st.floats(abs(m) + 1e-3, min(abs(m) + 6.0, max_lambda_l + m)))
    rv = sigmav**2 * (w * w - m * m) / (2 * Lv**2)
    return ResettingDiffusion(mu=muv, sigma=sigmav, r=rv, x0=x0, hi=x0 + Lv)


def T(model):
    return model.value("mean_first_passage_time")


@settings(max_examples=15)
@given(models())
def test_matches_laplace_transform_of_free_survival(model):
    L = model["hi"] - model["x0"]
    expected = mean_fpt_by_laplace(model["mu"], model["sigma"], model["r"], L)
    assert T(model) == pytest.approx(expected, rel=1e-10)


def mean_fpt_clock_by_mpmath(muv, sigmav, period, Lv, dps=30):
    """Clock-driven T_P = int_0^P Q_0 / (1 - Q_0(P)) with mpmath (30 digits, erfc-based CDF)."""
    with mpmath.workdps(dps):
        m, sg, P, L = map(mpmath.mpf, (muv, sigmav, period, Lv))
        k = mpmath.exp(2 * m * L / sg**2)

        def cdf(z):
            return mpmath.erfc(-z / mpmath.sqrt(2)) / 2

        def survival(t):
            st_ = sg * mpmath.sqrt(t)
            return 1 - cdf((m * t - L) / st_) - k * cdf((-m * t - L) / st_)

        tl = L**2 / sg**2
        points = sorted({mpmath.mpf(0), P} | {p for p in (tl / 10, tl, 10 * tl) if p < P})
        return float(mpmath.quad(survival, points) / (1 - survival(P)))


@st.composite
def clock_models(draw):
    sigmav = draw(st.floats(0.2, 3.0))
    Lv = draw(st.floats(0.1, 5.0))
    m = draw(st.floats(-2.0, 3.0))
    tl = Lv**2 / sigmav**2  # diffusive time of the distance
    period = tl * draw(st.floats(0.2, 20.0))
    return ResettingDiffusion(mu=m * sigmav**2 / Lv, sigma=sigmav, period=period, hi=Lv)


@settings(max_examples=15)
@given(clock_models())
def test_clock_driven_matches_mpmath(model):
    L = model["hi"] - model["x0"]
    expected = mean_fpt_clock_by_mpmath(model["mu"], model["sigma"], model["period"], L)
    assert T(model) == pytest.approx(expected, rel=1e-11)


def test_clock_driven_limits():
    # P -> inf with mu > 0: no resetting, the inverse-Gaussian mean L/mu = 2
    assert T(ResettingDiffusion(mu=1.0, period=200.0)) == pytest.approx(2.0, rel=1e-12)
    # P -> 0: a passage within one period underflows, T is beyond the float range
    assert T(ResettingDiffusion(period=1e-6)) == math.inf
    # r is ignored in clock mode
    assert T(ResettingDiffusion(period=1.0, r=3.0)) == T(ResettingDiffusion(period=1.0))
    assert "\\Phi" in ResettingDiffusion(period=1.0).latex("mean_first_passage_time")


@given(st.floats(0.05, 5.0), st.floats(0.01, 10.0), st.floats(0.1, 5.0))
def test_driftless_is_evans_majumdar(sigmav, rv, Lv):
    # shared/THEORY.md: (e^{alpha L} - 1)/r with alpha = sqrt(2 r / sigma^2)
    model = ResettingDiffusion(mu=0.0, sigma=sigmav, r=rv, x0=0.0, hi=Lv)
    alpha = math.sqrt(2 * rv / sigmav**2)
    assert T(model) == pytest.approx(math.expm1(alpha * Lv) / rv, rel=1e-13)


def test_default_value():
    # (e^{sqrt(2 * 0.5 / 2) * 2} - 1) / 0.5 = (e^{sqrt 2} - 1) / 0.5
    assert T(ResettingDiffusion()) == pytest.approx(math.expm1(math.sqrt(2)) / 0.5, rel=1e-15)


def test_derived_ode_solution_satisfies_ode_and_boundary():
    d = _derive()
    f = d.ode.lhs.atoms(sp.Function).pop().func
    k = d.decaying
    sol = sp.exp(k * (x - hi))  # the bounded solution with f(hi) = 1
    residual = d.ode.lhs.subs(f(x), sol).doit()
    assert sp.simplify(residual) == 0
    assert sp.simplify(sol.subs(x, hi)) == 1
    # the kept rate is the positive one, the dropped one negative (bounded at -inf)
    assert sp.simplify(k - (-mu + sp.sqrt(mu**2 + 2 * s * sigma**2)) / sigma**2) == 0
    for v in ({mu: -2, sigma: 1, s: 3}, {mu: 5, sigma: 0.1, s: 0.01}):
        assert k.subs(v) > 0 and d.dropped.subs(v) < 0
    # E[e^{-s tau}] from x0 = hi - L is e^{-lambda(s) L}
    L = sp.Symbol("L", positive=True)
    assert sp.simplify(d.laplace_fpt - sp.exp(-k * L)) == 0
    # the renewal solution reduces to (e^{lambda L} - 1)/r
    r = sp.Symbol("r", positive=True)
    lam = k.subs(s, r)
    assert sp.simplify(d.mean - (sp.exp(lam * L) - 1) / r) == 0
    assert d.limit_r0 == L / mu


def test_driftless_optimum_z_star():
    # z* solves z/2 = 1 - e^{-z} (given constant) and r* = z*^2 sigma^2 / (2 L^2)
    assert optimal_w(0.0) == pytest.approx(Z_STAR, rel=1e-14)
    assert Z_STAR / 2 == pytest.approx(1 - math.exp(-Z_STAR), rel=1e-15)
    assert stationarity(Z_STAR, 0.0) == pytest.approx(0.0, abs=1e-15)
    for sigmav, Lv in ((math.sqrt(2), 2.0), (0.3, 0.7), (4.0, 10.0)):
        model = ResettingDiffusion(sigma=sigmav, hi=Lv)
        expected = Z_STAR**2 * sigmav**2 / (2 * Lv**2)
        assert model.value("optimal_reset_rate") == pytest.approx(expected, rel=1e-12)


@given(models())
def test_minimum_of_T_is_at_optimal_rate(model):
    rstar = model.value("optimal_reset_rate")
    peclet = model["mu"] * (model["hi"] - model["x0"]) / model["sigma"] ** 2
    if peclet >= 1:
        # Ray, Mondal & Reuveni (2019): resetting never helps; T increases in r
        assert rstar == 0.0
        rs = [model["r"] * 2.0**k for k in range(-6, 4)]
        ts = [T(model.replace(r=rv)) for rv in rs]
        assert all(b > a for a, b in itertools.pairwise(ts))
        assert T(model.replace(r=0.0)) < ts[0]
        return
    if peclet > 0.95:
        return  # r* -> 0 at Pe = 1: the minimum is too flat to resolve at 1e-3
    assert rstar > 0
    at = T(model.replace(r=rstar))
    assert T(model.replace(r=rstar * (1 - 1e-3))) > at
    assert T(model.replace(r=rstar * (1 + 1e-3))) > at


@given(st.floats(0.05, 5.0), st.floats(0.1, 3.0), st.floats(0.1, 5.0))
def test_no_resetting_limit(muv, sigmav, Lv):
    # r = 0: the inverse-Gaussian mean L/mu (mu > 0), approached continuously
    model = ResettingDiffusion(mu=muv, sigma=sigmav, r=0.0, hi=Lv)
    assert T(model) == pytest.approx(Lv / muv, rel=1e-15)
    assert T(model.replace(r=1e-12)) == pytest.approx(Lv / muv, rel=1e-9)
    assert T(model.replace(mu=-muv)) == math.inf  # defective free passage
    assert T(model.replace(mu=0.0)) == math.inf


def test_overflow_gives_inf_and_extremes_are_finite():
    assert T(ResettingDiffusion(r=1e6, hi=1e3)) == math.inf
    assert T(ResettingDiffusion(mu=-1e200, r=1.0, hi=1.0)) == math.inf
    big = ResettingDiffusion(mu=1e200, r=1.0, hi=1.0)
    assert T(big) == pytest.approx(1e-200, rel=1e-12)  # lambda = 2r/(mu + ...) ~ r/mu


def test_theory_does_not_depend_on_dt():
    assert ResettingDiffusion(dt=0.3).values() == ResettingDiffusion(dt=1e-5).values()


def test_expressions_latex_derivation_registry():
    model = ResettingDiffusion()
    assert isinstance(model.general_expression("mean_first_passage_time"), sp.Piecewise)
    assert model.latex("mean_first_passage_time").startswith("T = ")
    assert "w_*" in model.latex("optimal_reset_rate")
    assert ResettingDiffusion(mu=3.0).latex("optimal_reset_rate").startswith("r^* = 0")
    text = model.derivation()
    for needle in ("dsolve", "renewal", "brentq", "Evans", "Péclet", "Clock-driven"):
        assert needle.lower() in text.lower()
    assert "@article{evans2011" in model.references[0].bibtex
    assert get_model("resetting-diffusion") is ResettingDiffusion
    lo, high = model.curve_range("r")
    assert lo == 0.0 and high == pytest.approx(5 * model.value("optimal_reset_rate"))


@pytest.mark.parametrize(
    "params,name",
    [
        ({"sigma": 0.0}, "sigma"),
        ({"sigma": -1.0}, "sigma"),
        ({"r": -0.1}, "r"),
        ({"dt": 0.0}, "dt"),
        ({"dt": -0.01}, "dt"),
        ({"hi": 0.0}, "hi"),
        ({"hi": -1.0}, "hi"),
        ({"x0": 3.0}, "hi"),
        ({"mu": float("nan")}, "mu"),
        ({"r": "fast"}, "r"),
        ({"period": -1.0}, "period"),
    ],
)
def test_bad_parameters_name_themselves(params, name):
    with pytest.raises(ParameterError) as info:
        ResettingDiffusion(**params)
    assert info.value.parameter == name
    assert f"'{name}'" in str(info.value)


# -- theory <-> simulation ------------------------------------------------------


def test_validate_defaults():
    # about 630 steps per path at dt = 0.01 (T = 6.2265)
    res = validate(ResettingDiffusion(), paths=20_000, rng=2026)
    assert res.ok, res.to_dict()
    assert res.simulation.censored == 0
    assert set(res.comparisons) == {"mean_first_passage_time"}


@settings(max_examples=6)
@given(models(max_lambda_l=6.0), st.integers(0, 2**32 - 1))
def test_validate_agrees_on_drawn_parameters(model, seed):
    # dt chosen so that a path takes about 200 steps on average (the time error
    # per path is below dt/2 = T/400, far inside the 99.9% interval at 20,000 paths)
    model = model.replace(dt=T(model) / 200)
    res = validate(model, paths=20_000, rng=seed)
    assert res.ok, res.to_dict()


@pytest.mark.parametrize(
    "params",
    [
        {"mu": 1.0, "r": 0.0},  # no resetting: inverse-Gaussian mean L/mu = 2
        {"mu": -0.5, "r": 1.0, "dt": 0.05},  # drift away from the threshold
        {"mu": 3.0, "r": 4.0, "dt": 0.02},  # Pe = 3: resetting delays the passage
        {"period": 1.0},  # clock-driven resetting at the defaults (T_P = 5.996)
        {"period": 0.5, "mu": -0.5, "hi": 1.0, "dt": 0.005},  # clock-driven, drift away
    ],
)
def test_validate_edge_cases(params):
    assert validate(ResettingDiffusion(**params), paths=20_000, rng=7).ok


def test_infinite_mean_is_not_simulated():
    # r = 0 with mu <= 0: T is infinite, nothing to compare (paths would only be censored)
    for model in (ResettingDiffusion(r=0.0, mu=-1.0), ResettingDiffusion(r=0.0)):
        assert get_simulator(model).simulated_quantities(model) == ()
    model = ResettingDiffusion()
    assert get_simulator(model).simulated_quantities(model) == ("mean_first_passage_time",)


# -- issue 17, item 1: clock-driven resetting when a passage within one period is rare --
# T_P = E[min(tau, P)] / P(tau <= P). References computed independently with mpmath at
# 50 digits (mpmath.mp.dps = 50): P(tau <= P) = Phi(a) + e^{2 mu L/sigma^2} Phi(b) with
# Phi(x) = erfc(-x/sqrt 2)/2, and E[min(tau, P)] = mpmath.quad of 1 - P(tau <= t) over
# (0, P) split at the decades of L^2/sigma^2 (script: mu, sigma, P, L -> num / F). For
# mu = 0 the numerator was also checked against the closed form
# P - [(P + 2c^2) erfc(c/sqrt P) - 2c sqrt(P/pi) e^{-c^2/P}], c = L/(sigma sqrt 2) (agree to
# 1e-39). The released code gave 45% error at P = 0.03 and inf at 0.02 and 0.01.
CLOCK_REFERENCES = [
    # (mu, sigma, period, L, T_P)
    (0.0, math.sqrt(2.0), 0.06, 2.0, 7727938.8991003911262),
    (0.0, math.sqrt(2.0), 0.04, 2.0, 26016940504.696930042),
    (0.0, math.sqrt(2.0), 0.03, 2.0, 93304972388304.246233),
    (0.0, math.sqrt(2.0), 0.02, 2.0, 1.3123612710498038877e21),
    (0.0, math.sqrt(2.0), 0.01, 2.0, 4.7881539147024070847e42),
    (0.0, math.sqrt(2.0), 0.005, 2.0, 9.0789443014662170564e85),
    (1.0, 1.0, 0.01, 2.0, 2.4696597956751639e85),
    (-1.0, 1.0, 0.01, 2.0, 1.3483885605509694e87),
    (5.0, 1.0, 1e-3, 1.0, 3.79908991290524e213),
    (-3.0, 1.0, 1e3, 2.0, 162753792.08567059),
    (1e-8, 1.0, 1e12, 1.0, 1585795.9829704386),
    (0.0, 1.0, 1e14, 1.0, 15957691.4892969),
]


@pytest.mark.parametrize(("muv", "sigmav", "period", "Lv", "expected"), CLOCK_REFERENCES)
def test_clock_driven_rare_passage_matches_mpmath_reference(muv, sigmav, period, Lv, expected):
    model = ResettingDiffusion(mu=muv, sigma=sigmav, period=period, x0=0.0, hi=Lv)
    assert T(model) == pytest.approx(expected, rel=1e-9)


def _log_bracket_clock(muv, sigmav, period, Lv):
    """log of P Q_0(P)/F(P) and of P/F(P), bounds on T_P (mpmath at 150 digits: no overflow,
    and Q_0 = 1 - F keeps its digits down to 1e-100 for the drawn magnitudes)."""
    with mpmath.workdps(150):
        m, sg, P, L = map(mpmath.mpf, (muv, sigmav, period, Lv))
        st_ = sg * mpmath.sqrt(P)
        a, b = (m * P - L) / st_, (-m * P - L) / st_
        phi = lambda v: mpmath.erfc(-v / mpmath.sqrt(2)) / 2  # noqa: E731
        passed = phi(a) + mpmath.exp(2 * m * L / sg**2) * phi(b)
        survived = 1 - passed
        lo = (
            mpmath.log(P) + mpmath.log(survived) - mpmath.log(passed)
            if survived > 0
            else -mpmath.inf
        )
        return float(lo), float(mpmath.log(P) - mpmath.log(passed))


_LOG_MAX = math.log(1.7976931348623157e308)
_mag = st.floats(-30.0, 30.0).map(lambda e: 10.0**e)


@settings(max_examples=60, deadline=None)
@given(
    st.one_of(st.just(0.0), st.floats(-30.0, 12.0).map(lambda e: 10.0**e)),
    st.booleans(),
    _mag,
    _mag,
    _mag,
    st.one_of(st.just(0.0), _mag),
)
def test_every_quantity_finite_across_the_range(peclet, negative, sigmav, Lv, period, rv):
    """Issue 17 'Done when': finite wherever the true value is a finite double.

    The Péclet number m = mu L/sigma^2 is drawn up to 1e12: beyond about 1e15 the passage
    time L/mu has a relative width 1/sqrt(m) below the double resolution of t, and T_P
    at a period near L/mu is no longer determined by the double inputs.
    """
    muv = (-peclet if negative else peclet) * sigmav * (sigmav / Lv)
    clock = ResettingDiffusion(mu=muv, sigma=sigmav, x0=0.0, hi=Lv, period=period, r=rv)
    value = T(clock)
    lo, hi_ = _log_bracket_clock(muv, sigmav, period, Lv)
    if hi_ < _LOG_MAX - 1e-9:  # P/F is a finite double, so is T_P <= P/F
        assert math.isfinite(value) and value > 0.0
        if value > 0.0:
            assert lo - 1e-9 <= math.log(value) <= hi_ + 1e-9
    elif lo > _LOG_MAX + 1e-9:
        assert value == math.inf
    poisson = clock.replace(period=0.0)
    t_p = T(poisson)
    if rv > 0.0:  # T = expm1(lambda L)/r, lambda from mpmath at 30 digits
        with mpmath.workdps(30):
            m, sg, r_, L = map(mpmath.mpf, (muv, sigmav, rv, Lv))
            root = mpmath.sqrt(m**2 + 2 * r_ * sg**2)
            # rationalised for m > 0 (no cancellation at any precision)
            lam_l = L * (2 * r_ / (m + root) if m > 0 else (root - m) / sg**2)
            log_true = float(lam_l + mpmath.log(-mpmath.expm1(-lam_l)) - mpmath.log(r_))
        if log_true < _LOG_MAX - 1e-6:
            assert math.isfinite(t_p)
            if t_p > 1e-300:
                assert math.log(t_p) == pytest.approx(log_true, abs=1e-9)
        elif log_true > _LOG_MAX + 1e-6:
            assert t_p == math.inf
    rate = poisson.value("optimal_reset_rate")
    assert math.isfinite(rate) and rate >= 0.0
