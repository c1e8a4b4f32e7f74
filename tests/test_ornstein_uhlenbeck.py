"""Ornstein-Uhlenbeck escape: theory against independent routes, and against simulation.

Independent routes used here: Siegert's double integral taken literally and
integrated in two dimensions by mpmath at 30 digits (no erf reduction); the
well-bottom special case in hypergeometric form,
E[T] = ((pi/2) erfi(u) + u^2 2F2(1, 1; 3/2, 2; u^2)) / theta (term-by-term integration
of e^{w^2} erf(w), checked by mpmath); the normal law of scipy.stats and
mpmath's erfc in the tail; for the escape probability, the ratio of scale functions
S(x0)/S(hi), S(x) = int_m^x exp(theta (y - m)^2 / sigma^2) dy (the scale density of the
drift -theta (x - m); Karlin & Taylor 1981, 15.3), by mpmath quadrature at 30 digits with
no erfi or Dawson function; and the simulation (exact OU steps, Brownian-bridge
crossing check), compared at 99.9% family-wise with fixed seeds.
"""

import itertools
import math

import driftkit.montecarlo.kernels.ornstein_uhlenbeck as mc_ou  # registers the kernel
import driftkit.theory.ornstein_uhlenbeck as th_ou
import mpmath
import numpy as np
import pytest
import sympy as sp
from driftkit.montecarlo import get_simulator, validate
from driftkit.theory import ParameterError, get_model
from driftkit.theory.ornstein_uhlenbeck import (
    OrnsteinUhlenbeck,
    _derive,
    _derive_escape,
    m,
    sigma,
    theta,
    xi,
)
from hypothesis import example, given, settings
from hypothesis import strategies as st
from scipy import stats

DEFAULTS = OrnsteinUhlenbeck()


def siegert_double_quadrature(th, mm, sg, x0, hi, dps=30):
    """(2/sigma^2) int_{x0}^{hi} dy e^{U(y)} int_{-inf}^{y} e^{-U(z)} dz, 2-D mpmath quadrature.

    With z = y - s the integrand e^{U(y) - U(y - s)} = e^{theta (2 (y - m) s - s^2)/sigma^2}
    cannot overflow; Gauss-Legendre on the product of [x0, hi] and [0, inf).
    """
    with mpmath.workdps(dps):
        th, mm, sg, x0, hi = (mpmath.mpf(v) for v in (th, mm, sg, x0, hi))

        def f(yy, ss):
            return mpmath.exp(th * (2 * (yy - mm) * ss - ss * ss) / sg**2)

        return 2 / sg**2 * mpmath.quad(f, [x0, hi], [0, mpmath.inf], method="gauss-legendre")


def well_bottom_closed_form(th, u):
    """E[T] from m to m + u sigma/sqrt(theta) via erfi and 2F2 (mpmath, 30 digits)."""
    with mpmath.workdps(30):
        u = mpmath.mpf(u)
        return (mpmath.pi / 2 * mpmath.erfi(u) + u**2 * mpmath.hyp2f2(1, 1, 1.5, 2, u**2)) / th


def scale_quadrature(th, mm, sg, x, dps=30):
    """S(x) = int_m^x exp(theta (y - m)^2 / sigma^2) dy by mpmath (tanh-sinh, 30 digits).

    The integrand peaks at y = x with width w = sigma^2 / (2 theta (x - m)); breakpoints at
    x - j w keep the quadrature on the peak (mpmath's exponent range has no overflow).
    """
    with mpmath.workdps(dps):
        th, mm, sg, x = (mpmath.mpf(v) for v in (th, mm, sg, x))
        k2 = th / sg**2
        width = 1 / (2 * k2 * (x - mm))
        pts = [mm] + [x - j * width for j in (80, 20, 5, 1) if x - j * width > mm] + [x]
        return mpmath.quad(lambda yy: mpmath.exp(k2 * (yy - mm) ** 2), pts)


@st.composite
def ou_models(draw, max_u=2.5, min_u0=-3.0, dt=0.01, gap=0.05):
    """OU models with scaled threshold u in (-max_u, max_u) and start u0 in (min_u0, u - gap).

    Scaled: u = sqrt(theta) (hi - m) / sigma, u0 = sqrt(theta) (x0 - m) / sigma.
    """
    th = draw(st.floats(0.3, 3.0))
    sg = draw(st.floats(0.2, 3.0))
    mm = draw(st.floats(-5.0, 5.0))
    u = draw(st.floats(max(-max_u, min_u0 + gap), max_u))
    u0 = draw(st.floats(min_u0, u - gap))
    k = sg / math.sqrt(th)
    return OrnsteinUhlenbeck(theta=th, sigma=sg, m=mm, x0=mm + u0 * k, hi=mm + u * k, dt=dt)


# -- theory -----------------------------------------------------------------


def _params(model):
    return tuple(model[k] for k in ("theta", "m", "sigma", "x0", "hi"))


@settings(max_examples=3)
@given(ou_models())
@example(DEFAULTS)
def test_mfpt_matches_siegert_double_quadrature(model):
    # mpmath 2-D quadrature of Siegert's integral as written (30 digits): 1e-10 relative
    ref = siegert_double_quadrature(*_params(model))
    assert model.value("mean_first_passage_time") == pytest.approx(float(ref), rel=1e-10)


@given(st.floats(0.1, 10.0), st.floats(0.05, 20.0))
def test_mfpt_from_well_bottom_closed_form(th, u):
    # x0 = m: the erfi / 2F2 closed form (mpmath, 30 digits); 1e-11 relative, in log space
    model = OrnsteinUhlenbeck(theta=th, sigma=1.0, m=0.0, x0=0.0, hi=u / math.sqrt(th))
    ref = well_bottom_closed_form(th, u)
    assert model.log_value("mean_first_passage_time") == pytest.approx(
        float(mpmath.log(ref)), rel=1e-11, abs=1e-11
    )


def test_default_value():
    # u = 1/sqrt(2): (pi/2) erfi(u) + u^2 2F2(1,1;3/2,2;u^2) = 2.0934066496783216 (mpmath)
    assert DEFAULTS.value("mean_first_passage_time") == pytest.approx(
        float(well_bottom_closed_form(1.0, 1 / math.sqrt(2))), rel=1e-13
    )
    assert DEFAULTS.value("mean_first_passage_time") == pytest.approx(2.0934066496783216, rel=1e-13)


@given(ou_models(max_u=4.0, min_u0=-20.0))
def test_mfpt_decreases_towards_threshold(model):
    # T' < 0 (derived): starting closer to hi never takes longer
    x0, hi = model["x0"], model["hi"]
    closer = model.replace(x0=x0 + 0.5 * (hi - x0))
    assert closer.value("mean_first_passage_time") < model.value("mean_first_passage_time")


def test_derived_mfpt_satisfies_backward_equation():
    d = _derive()
    x = sp.Symbol("x", real=True)
    T = d.mfpt.subs(th_ou.x0, x)
    residual = sigma**2 / 2 * sp.diff(T, x, 2) - theta * (x - m) * sp.diff(T, x) + 1
    assert sp.simplify(residual) == 0
    assert d.mfpt.subs(th_ou.x0, th_ou.hi).doit() == 0  # T(hi) = 0
    # T' from dsolve solves the first-order equation, and T' e^{-U} -> 0 at -inf
    v = d.derivative
    ode = d.first_order.lhs.subs(sp.Function("v")(xi), v).doit() - d.first_order.rhs
    assert sp.simplify(ode) == 0
    assert sp.limit(v * sp.exp(-d.U), xi, -sp.oo) == 0
    # the integrating-factor identity shown in the derivation holds for this T'
    exact = d.exact_derivative
    mu_v = exact.lhs.expr.subs(sp.Function("v")(xi), v)
    assert sp.simplify(sp.diff(mu_v, xi) - exact.rhs) == 0
    # the Siegert double integral, differentiated twice (Leibniz), gives the same T'
    siegert_prime = sp.diff(d.siegert, th_ou.x0).subs(th_ou.x0, xi + m).doit()
    assert sp.simplify((siegert_prime - v).rewrite(sp.erf)) == 0


def test_stationary_law_is_normal():
    d = _derive()
    var = sigma**2 / (2 * theta)
    normal_pdf = sp.exp(-(xi**2) / (2 * var)) / sp.sqrt(2 * sp.pi * var)
    assert sp.simplify(d.density - normal_pdf) == 0
    assert d.stationary_mean == 0
    assert sp.simplify(d.stationary_variance - var) == 0
    # it is a zero of the Fokker-Planck operator
    fp = sp.diff(theta * xi * d.density, xi) + sigma**2 / 2 * sp.diff(d.density, xi, 2)
    assert sp.simplify(fp) == 0


@settings(max_examples=15)
@given(
    st.floats(0.1, 10.0),
    st.floats(0.1, 5.0),
    st.floats(-5.0, 5.0),
    st.floats(0.02, 26.0),
    st.floats(1e-6, 0.999),
)
@example(1.0, math.sqrt(2.0), 0.0, 4.7 / math.sqrt(2.0), 0.5 / 4.7)  # the splitting test case
@example(1.0, 1.0, 0.0, 26.0, 1e-3)  # P about 1e-300, the far tail
def test_escape_probability_matches_scale_density_quadrature(th, sg, mm, u, frac):
    # u = sqrt(theta)(hi - m)/sigma up to 26 (P down to about 1e-300), x0 = m + frac (hi - m)
    k = sg / math.sqrt(th)
    model = OrnsteinUhlenbeck(theta=th, sigma=sg, m=mm, x0=mm + frac * u * k, hi=mm + u * k)
    with mpmath.workdps(30):
        # mpmath quadrature of the scale density (see scale_quadrature), 30 digits
        ref = scale_quadrature(th, mm, sg, model["x0"]) / scale_quadrature(th, mm, sg, model["hi"])
        log_ref = float(mpmath.log(ref))
    # log space: 1e-12 relative (the exponent (u0 - u)(u0 + u) is good to a few ulps of u^2)
    assert model.log_value("escape_probability") == pytest.approx(log_ref, rel=1e-12, abs=1e-13)
    assert model.value("escape_probability") == pytest.approx(float(ref), rel=1e-10)
    assert 1e-310 < model.value("escape_probability") < 1.0


def test_escape_probability_edge_cases():
    # x0 = m (the defaults) or below: the path is at m or passes it first, so 0 exactly
    assert DEFAULTS.value("escape_probability") == 0.0
    assert DEFAULTS.log_value("escape_probability") == -math.inf
    assert OrnsteinUhlenbeck(x0=-1.0, hi=-0.5).value("escape_probability") == 0.0
    # u = 40, u0 = 1: log P = 1 - 1600 + log(D(1)/D(40)) underflows a double but its log does
    # not; reference: mpmath's erfi at 30 digits (P = erfi(u0)/erfi(u))
    far = OrnsteinUhlenbeck(sigma=1.0, x0=1.0, hi=40.0)
    assert far.value("escape_probability") == 0.0
    with mpmath.workdps(30):
        ref = float(mpmath.log(mpmath.erfi(1) / mpmath.erfi(40)))
    assert far.log_value("escape_probability") == pytest.approx(ref, rel=1e-13)
    # start next to the threshold: P -> 1 (no cancellation in the ratio)
    near = OrnsteinUhlenbeck(x0=1.0 - 1e-9, hi=1.0)
    assert 1.0 - 1e-8 < near.value("escape_probability") < 1.0


def test_derived_escape_probability_is_harmonic():
    e = _derive_escape()
    f = e.in_xi
    c = next(iter(f.free_symbols - {xi, theta, sigma}))
    # L f = 0 for the generator, f(0) = 0, f(c) = 1; and it equals the scale-function ratio
    assert sp.simplify(sigma**2 / 2 * sp.diff(f, xi, 2) - theta * xi * sp.diff(f, xi)) == 0
    assert f.subs(xi, 0) == 0 and sp.simplify(f.subs(xi, c)) == 1
    assert e.ratio_check == 0
    assert sp.simplify(e.scale_density - sp.exp(theta * xi**2 / sigma**2)) == 0
    assert OrnsteinUhlenbeck(x0=-1.0).expression("escape_probability") == 0
    assert isinstance(DEFAULTS.general_expression("escape_probability"), sp.Piecewise)


@given(ou_models(max_u=30.0))
def test_stationary_exceedance_matches_normal_tail(model):
    sd = model["sigma"] / math.sqrt(2 * model["theta"])
    # scipy.stats.norm.sf of N(m, sigma^2/(2 theta)) (accurate in the upper tail)
    ref = stats.norm.sf(model["hi"], loc=model["m"], scale=sd)
    assert model.value("stationary_exceedance") == pytest.approx(ref, rel=1e-12, abs=1e-300)


def test_stationary_exceedance_far_tail_in_log_space():
    # u = 40: erfc(40)/2 = e^{-1600}/... underflows a double; mpmath at 30 digits
    model = OrnsteinUhlenbeck(hi=40 * math.sqrt(2))
    assert model.value("stationary_exceedance") == 0.0
    with mpmath.workdps(30):
        ref = float(mpmath.log(mpmath.erfc(40) / 2))
    assert model.log_value("stationary_exceedance") == pytest.approx(ref, rel=1e-13)


def test_kramers_ratio_tends_to_one():
    # exact / Kramers = 1 + 1/(2u^2) + O(u^-4) (Dawson's function asymptotics); the
    # gap shrinks monotonically and stays below 1/u^2 once u >= 2.
    gaps = []
    for u in (2.0, 4.0, 8.0, 16.0, 32.0, 100.0):
        model = OrnsteinUhlenbeck(sigma=1.0, hi=u)  # theta = 1, sigma = 1, m = 0: u = hi
        log_ratio = model.log_value("mean_first_passage_time") - model.log_value("kramers_time")
        gap = math.expm1(log_ratio)
        assert 0 < gap < 1 / u**2
        gaps.append(gap)
    assert all(b < a for a, b in itertools.pairwise(gaps))
    assert gaps[-1] == pytest.approx(1 / (2 * 100.0**2), rel=0.01)
    assert _derive().kramers_limit == 1


def test_large_barriers_are_overflow_safe():
    # u = 26 is still a double (about 1e293); u = 30 is not: inf, with a finite log
    model = OrnsteinUhlenbeck(sigma=1.0, hi=26.0)
    assert math.isfinite(model.value("mean_first_passage_time"))
    huge = OrnsteinUhlenbeck(sigma=1.0, hi=30.0)
    assert huge.value("mean_first_passage_time") == math.inf
    assert huge.value("kramers_time") == math.inf
    log_t = huge.log_value("mean_first_passage_time")
    assert log_t == pytest.approx(float(mpmath.log(well_bottom_closed_form(1.0, 30.0))), rel=1e-12)
    # no barrier above the well bottom: the passage from m to hi <= m takes no time
    # (issue 12: never NaN; the description says "0 when hi <= m")
    assert OrnsteinUhlenbeck(hi=-1.0, x0=-2.0).value("kramers_time") == 0.0


def test_expressions_derivation_and_registry():
    m0 = OrnsteinUhlenbeck()
    assert isinstance(m0.expression("mean_first_passage_time"), sp.Integral)
    assert m0.latex("stationary_exceedance").startswith(r"P_\infty(X > \mathrm{hi}) = ")
    assert m0.quantity("kramers_time").kind == "asymptotic"
    text = m0.derivation()
    needles = ("dsolve", "integrating factor", "Siegert", "Laplace", "Fokker-Planck", "scale")
    for needle in needles:
        assert needle in text
    assert get_model("ornstein-uhlenbeck") is OrnsteinUhlenbeck
    low, high = m0.curve_range("x0")
    assert low == pytest.approx(-3.0) and high == 1.0  # m - 3 sigma/sqrt(2 theta) = -3
    assert {r.key for r in m0.references} == {"siegert1951", "gardiner2004", "karlin1981"}
    assert m0.quantity("escape_probability").kind == "exact"
    assert m0.to_dict()["quantities"]["escape_probability"]["value"] == 0.0  # x0 = m


@pytest.mark.parametrize(
    "params,name",
    [
        ({"sigma": 0.0}, "sigma"),
        ({"sigma": -1.0}, "sigma"),
        ({"theta": 0.0}, "theta"),
        ({"theta": -2.0}, "theta"),
        ({"dt": 0.0}, "dt"),
        ({"dt": -0.01}, "dt"),
        ({"x0": 1.0}, "x0"),
        ({"x0": 2.0}, "x0"),
        ({"m": float("nan")}, "m"),
        ({"hi": "abc"}, "hi"),
        ({"zz": 1}, "zz"),
    ],
)
def test_bad_parameters_name_themselves(params, name):
    with pytest.raises(ParameterError) as info:
        OrnsteinUhlenbeck(**params)
    assert info.value.parameter == name
    assert f"'{name}'" in str(info.value)


# -- simulation ---------------------------------------------------------------


def test_burn_in_leaves_a_negligible_bias():
    # the exceedance indicator is recorded at n_b steps; its exact law differs from the
    # stationary one by less than 1e-4 * phi, far inside any interval used here
    # (the bound: density <= 0.4 / sd times a mean offset <= 1e-4 sd)
    for model in (DEFAULTS, OrnsteinUhlenbeck(x0=-30.0, theta=0.5, dt=0.02)):
        assert abs(mc_ou.burn_in_bias(model)) < 0.4e-4
    assert mc_ou.burn_in_steps(DEFAULTS) == math.ceil(math.log(1e4) / 0.01)
    assert get_simulator(DEFAULTS).quantities == (
        "mean_first_passage_time",
        "stationary_exceedance",
    )
    # escape_probability is estimated by method="splitting" only, not by naive validate
    assert "escape_probability" not in get_simulator(DEFAULTS).simulated_quantities(DEFAULTS)


def test_validate_defaults():
    res = validate(DEFAULTS, paths=100_000, rng=2026)
    assert res.ok, res.to_dict()
    assert res.simulation.censored == 0
    assert set(res.comparisons) == {"mean_first_passage_time", "stationary_exceedance"}
    assert res.comparison_level == pytest.approx(1 - 0.001 / 2)


@settings(max_examples=5)
@given(ou_models(max_u=1.5, min_u0=-2.0, gap=0.5), st.integers(0, 2**32 - 1))
def test_validate_agrees_on_drawn_parameters(model, seed):
    res = validate(model, paths=20_000, rng=seed)
    assert res.ok, res.to_dict()


def test_censored_paths_open_the_interval():
    # a 50-step budget (t = 0.5) censors most passages and every exceedance record
    res = validate(DEFAULTS, paths=4096, rng=3, max_steps=50)
    est = res["mean_first_passage_time"].estimate
    assert res.simulation.censored > 0 and est.ci_high == math.inf
    exc = res["stationary_exceedance"].estimate
    assert exc.ci_low == 0.0 and exc.ci_high == 1.0 and np.isnan(exc.estimate)
    assert res.ok


# -- bounded evaluation at extreme parameters (issue 12) -------------------------


@pytest.mark.parametrize(
    ("x0v", "hiv"),
    [(-2e4, 1.0), (-3e5, -2e4), (-1e6, 5.0), (1.2e4, 1.2e4 + 1e-4), (5.0, 1.5e4), (-3.0, 1.1e4)],
)
def test_siegert_far_below_m_and_high_barrier_match_mpmath(x0v, hiv):
    # theta = sigma = 1, m = 0: u0 = x0, u = hi. Reference: Siegert's integral
    # E[T] = sqrt(pi) int_{u0}^{u} e^{w^2} erfc(-w) dw (Siegert 1951), mpmath quadrature
    # at 40 digits with breakpoints (its exponent range is unbounded); compared in logs.
    # The evaluator switches to asymptotic series beyond |u| = 1e4.
    import mpmath

    model = OrnsteinUhlenbeck(theta=1.0, sigma=1.0, m=0.0, x0=x0v, hi=hiv)
    with mpmath.workdps(40):
        a, b = mpmath.mpf(x0v), mpmath.mpf(hiv)
        pts = sorted({a, b, *(p for p in (-1e4, -100, -1, 0, 1, 100, b - 1e-3) if a < p < b)})
        ref = mpmath.log(
            mpmath.sqrt(mpmath.pi) * mpmath.quad(lambda w: mpmath.exp(w * w) * mpmath.erfc(-w), pts)
        )
    assert model.log_value("mean_first_passage_time") == pytest.approx(float(ref), rel=1e-12)


def test_tiny_sigma_gives_the_deterministic_limits():
    # sigma = 5e-324 (the smallest double): u0, u overflow. From x0 < hi < m the motion
    # x(t) = m - (m - x0) e^{-theta t} reaches hi at ln((m - x0)/(m - hi))/theta (the
    # deterministic limit of Siegert's integral, erfcx(x) ~ 1/(x sqrt(pi))); a barrier above
    # m is never crossed (inf), the Kramers time of a non-barrier is 0, the escape 0.
    down = OrnsteinUhlenbeck(theta=2.0, m=1.0, sigma=5e-324, x0=-3.0, hi=0.0)
    assert down.value("mean_first_passage_time") == pytest.approx(math.log(4.0) / 2.0, rel=1e-12)
    up = OrnsteinUhlenbeck(theta=2.0, m=0.0, sigma=5e-324, x0=0.5, hi=1.0)
    assert up.value("mean_first_passage_time") == math.inf
    assert up.value("escape_probability") == 0.0
    assert up.value("stationary_exceedance") == 0.0
    assert down.value("kramers_time") == 0.0
    assert up.value("kramers_time") == math.inf
