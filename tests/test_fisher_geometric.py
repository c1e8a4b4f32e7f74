"""Fisher's geometric model: theory against independent routes and simulation.

Independent routes used here:
- the Poisson(lambda/2) mixture of central chi-square CDFs, summed in mpmath at 30 digits
  (regularised lower incomplete gamma), for P_ben (scipy's ncx2 is Boost's algorithm);
- conditioning on the mutation length rho = sigma chi_d: a uniform direction is beneficial
  with probability I_{1 - rho^2/(4 z^2)}((d-1)/2, 1/2)/2 (cap of a sphere, regularised
  incomplete beta), integrated over the chi_d law by scipy quad; and for large d its
  plug-in rho = sigma sqrt(d);
- mpmath quadrature of E[(z - sigma sqrt W)^+] against the Bessel form of the noncentral
  chi-square density (the theory integrates the CDF instead, by parts);
- d = 1: the gain is an elementary function of one normal, integrated by scipy quad;
- the published (1+1)-ES optimum s* ~ 1.224, phi* ~ 0.2025, success ~ 0.27
  (Rechenberg 1973; Beyer 2001, ch. 3) and Beyer's formula for phi(s) typed from the book.
Simulation checks use ``validate`` at 99.9% family-wise with fixed seeds.
"""

import math

import driftkit.montecarlo.kernels.fisher_geometric
import driftkit.theory.fisher_geometric  # noqa: F401  (registers the model)
import mpmath
import numpy as np
import pytest
from driftkit.montecarlo import validate
from driftkit.montecarlo.kernels.fisher_geometric import _bare_normals, _trials
from driftkit.theory import ParameterError
from driftkit.theory.fisher_geometric import (
    FisherGeometric,
    asymptotic_progress,
    asymptotic_success,
)
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, optimize, special, stats

CASES = [
    {},  # the defaults
    {"d": 1},
    {"d": 2, "z": 3.0, "sigma": 0.7},
    {"d": 25, "z": 0.5, "sigma": 0.02},
    {"d": 4, "z": 1.0, "sigma": 1.5},
    {"d": 100, "z": 2.0, "sigma": 0.03},
]


def mixture_cdf(d, lam, w):
    """P(chi'^2_d(lam) < w) = sum_j Pois(j; lam/2) P(chi^2_{d+2j} < w), mpmath 30 digits."""
    with mpmath.workdps(30):
        h = mpmath.mpf(lam) / 2
        total = mpmath.mpf(0)
        for k in range(int(h + 40 * math.sqrt(h + 1) + 60)):  # Poisson tail < 1e-30
            weight = mpmath.exp(-h + k * mpmath.log(h) - mpmath.loggamma(k + 1)) if h else (k == 0)
            total += weight * mpmath.gammainc(
                mpmath.mpf(d) / 2 + k, 0, mpmath.mpf(w) / 2, regularized=True
            )
        return float(total)


@pytest.mark.parametrize("params", CASES)
def test_beneficial_matches_poisson_mixture(params):
    m = FisherGeometric(**params)
    lam = (m["z"] / m["sigma"]) ** 2
    # Boost's ncx2 vs a 30-digit series: agreement to 1e-12 relative
    ref = mixture_cdf(m["d"], lam, lam)
    assert m.value("beneficial_probability") == pytest.approx(ref, rel=1e-12)


def beta_route(d, z, sigma):
    """E[I_{1-rho^2/4z^2}((d-1)/2, 1/2)/2; rho < 2z], rho = sigma chi_d (scipy quad)."""

    def f(rho):
        return (
            0.5
            * special.betainc((d - 1) / 2, 0.5, 1 - (rho / (2 * z)) ** 2)
            * stats.chi.pdf(rho / sigma, d)
            / sigma
        )

    mode = sigma * math.sqrt(max(d - 1, 0.0))
    pts = [p for p in (mode,) if 0 < p < 2 * z]
    return integrate.quad(f, 0, 2 * z, points=pts or None, epsabs=0, epsrel=1e-12, limit=400)[0]


@pytest.mark.parametrize("params", [c for c in CASES if c.get("d", 10) >= 2])
def test_beneficial_matches_incomplete_beta_form(params):
    m = FisherGeometric(**params)
    ref = beta_route(m["d"], m["z"], m["sigma"])
    assert m.value("beneficial_probability") == pytest.approx(ref, rel=1e-9)


def test_large_d_beta_limit():
    # rho -> sigma sqrt(d): P_ben -> I_{1 - d sigma^2/(4 z^2)}((d-1)/2, 1/2)/2, and both tend
    # to the asymptotic success rate 1 - Phi(s/2); errors shrink as d grows
    errs = []
    for d in (10, 100, 1000, 10000):
        sigma = 1.2 / d  # s = 1.2, z = 1
        p = FisherGeometric(d=d, sigma=sigma).value("beneficial_probability")
        plug = 0.5 * special.betainc((d - 1) / 2, 0.5, 1 - d * sigma**2 / 4)
        errs.append(abs(p - plug))
        assert abs(p - stats.norm.sf(0.6)) < 0.6 / math.sqrt(d)
    assert errs == sorted(errs, reverse=True) and errs[-1] < 2e-3


def density_route(d, z, sigma):
    """E[(z - sigma sqrt W)^+] with the Bessel-form ncx2 density, mpmath quad at 30 digits."""
    with mpmath.workdps(30):
        lam = (mpmath.mpf(z) / sigma) ** 2
        nu = mpmath.mpf(d) / 2 - 1

        def f(w):
            if w == 0:
                return mpmath.mpf(0)
            dens = (
                mpmath.exp(-(w + lam) / 2 + (nu / 2) * mpmath.log(w / lam))
                * mpmath.besseli(nu, mpmath.sqrt(lam * w))
                / 2
            )
            return (z - sigma * mpmath.sqrt(w)) * dens

        c = float(lam) + d
        sd = 2 * math.sqrt(float(lam) + d)
        pts = sorted(
            {0.0, *[x for x in (c - 8 * sd, c - 4 * sd, c - sd) if 0 < x < float(lam)], float(lam)}
        )
        return float(mpmath.quad(f, pts))


@pytest.mark.parametrize("params", CASES)
def test_progress_matches_mpmath_density(params):
    m = FisherGeometric(**params)
    ref = density_route(m["d"], m["z"], m["sigma"])
    assert m.value("expected_progress") == pytest.approx(ref, rel=1e-9)


def test_one_dimension_is_elementary():
    # d = 1: new distance |z + sigma Z|, kept iff -2z/sigma < Z < 0; P = Phi(0) - Phi(-2z/sigma)
    z, sigma = 1.0, 0.8
    m = FisherGeometric(d=1, z=z, sigma=sigma)
    p = stats.norm.cdf(0) - stats.norm.cdf(-2 * z / sigma)
    gain = integrate.quad(
        lambda x: (z - abs(z + sigma * x)) * stats.norm.pdf(x),
        -2 * z / sigma,
        0,
        points=[-z / sigma],
        epsabs=0,
        epsrel=1e-13,
    )[0]
    assert m.value("beneficial_probability") == pytest.approx(p, rel=1e-13)
    assert m.value("expected_progress") == pytest.approx(gain, rel=1e-11)


def test_asymptotic_optimum_matches_published_numbers():
    m = FisherGeometric()
    # Rechenberg (1973) / Beyer (2001): s* ~ 1.224, phi* ~ 0.2025, success ~ 0.27
    assert round(m.value("optimal_normalized_step"), 3) == 1.224
    assert round(m.value("optimal_progress_rate"), 4) == 0.2025
    assert round(m.value("optimal_success_rate"), 2) == 0.27
    # the derived phi equals Beyer's formula typed from the book, at several s
    for sv in (0.3, 1.0, 1.224, 2.5, 4.0):
        beyer = sv / math.sqrt(2 * math.pi) * math.exp(-(sv**2) / 8) - sv**2 / 2 * stats.norm.sf(
            sv / 2
        )
        assert asymptotic_progress(sv) == pytest.approx(beyer, rel=1e-13)
        assert asymptotic_success(sv) == pytest.approx(stats.norm.sf(sv / 2), rel=1e-13)
    # s* is the maximiser: an independent bounded scalar minimiser finds the same point
    opt = optimize.minimize_scalar(
        lambda v: -asymptotic_progress(v),
        bounds=(0.5, 3.0),
        method="bounded",
        options={"xatol": 1e-10},
    )
    assert m.value("optimal_normalized_step") == pytest.approx(opt.x, abs=1e-6)
    # asymptotic quantities do not depend on the parameters
    other = FisherGeometric(d=3, z=7.0, sigma=2.0)
    for name in ("optimal_normalized_step", "optimal_progress_rate", "optimal_success_rate"):
        assert other.value(name) == m.value(name)
        assert m.quantity(name).kind == "asymptotic"


@pytest.mark.parametrize("s_value", [0.6, 1.224, 2.5])
def test_finite_d_progress_approaches_phi(s_value):
    # d E[Delta]/z at sigma = s z/d tends to phi(s): the error shrinks with d
    errs = []
    for d in (10, 100, 1000, 10000):
        m = FisherGeometric(d=d, z=2.0, sigma=s_value * 2.0 / d)
        errs.append(abs(m.normalized_progress() - asymptotic_progress(s_value)))
    assert errs == sorted(errs, reverse=True), errs
    assert errs[-1] < 2e-3


def test_expressions_latex_and_derivation():
    m = FisherGeometric()
    assert r"\gamma" in m.latex("beneficial_probability")
    assert r"\int" in m.latex("expected_progress")
    assert r"\operatorname{erfc}" in m.latex("optimal_normalized_step")
    text = m.derivation()
    for needle in ("sympy.integrate", "sympy.limit", "brentq", "noncentral", "Beyer", "1.22400"):
        assert needle in text, needle
    assert m.curve_parameter == "sigma"
    assert m.curve_range("sigma") == (0.0, 0.4)
    assert {r.key for r in m.references} == {"fisher1930", "rechenberg1973", "beyer2001"}


@pytest.mark.parametrize(
    "params,name",
    [
        ({"d": 0}, "d"),
        ({"d": 2.5}, "d"),
        ({"z": 0.0}, "z"),
        ({"z": -1.0}, "z"),
        ({"sigma": 0.0}, "sigma"),
        ({"sigma": float("nan")}, "sigma"),
        ({"sigma": float("inf")}, "sigma"),
        ({"zz": 1}, "zz"),
    ],
)
def test_bad_parameters_name_themselves(params, name):
    with pytest.raises(ParameterError) as info:
        FisherGeometric(**params)
    assert info.value.parameter == name
    assert f"'{name}'" in str(info.value)


# -- simulation -----------------------------------------------------------------------


def test_validate_defaults():
    res = validate(FisherGeometric(), paths=200_000, rng=2026)
    assert res.ok, res.to_dict()
    assert res.simulation.censored == 0
    assert res.simulation.steps == 200_000
    assert set(res.comparisons) == {"beneficial_probability", "expected_progress"}


@st.composite
def simulable(draw):
    """d in [1, 40], z in [0.2, 5], normalised step s = sigma d / z in [0.2, 3]: P_ben is then
    in about [0.07, 0.5], so 20,000 trials give well over 1,000 kept mutations and the CLT
    interval of the mean gain is accurate (the estimators are unbiased: no time step)."""
    d = draw(st.integers(1, 40))
    z = draw(st.floats(0.2, 5.0))
    s_value = draw(st.floats(0.2, 3.0))
    return FisherGeometric(d=d, z=z, sigma=s_value * z / d)


@settings(max_examples=5)
@given(simulable(), st.integers(0, 2**32 - 1))
def test_validate_agrees_on_drawn_parameters(model, seed):
    res = validate(model, paths=20_000, rng=seed)
    assert res.ok, res.to_dict()


def independent_sim(d, z, sigma, n, seed):
    """numpy, vectorised: the same experiment with a different sampler of the new distance."""
    rng = np.random.default_rng(seed)
    x = np.zeros(d)
    x[0] = z
    new = np.linalg.norm(x + sigma * rng.standard_normal((n, d)), axis=1)
    return np.maximum(z - new, 0.0)


def test_kernel_agrees_with_numpy_sampler():
    # kernel mean gain vs an independent numpy sampler, two-sample z-test at 99.9%
    n = 100_000
    acc = _trials(np.random.default_rng(5), n, 10, 1.0, 0.1, 1)
    g = independent_sim(10, 1.0, 0.1, n, 6)
    m1, v1 = acc[3] / n, (acc[4] / n - (acc[3] / n) ** 2) / n
    assert abs(m1 - g.mean()) < 3.29 * math.sqrt(v1 + g.var() / n)
    assert abs(acc[0] / n - (g > 0).mean()) < 3.29 * math.sqrt(2 * 0.25 / n)
    assert _bare_normals(np.random.default_rng(0), 10) == pytest.approx(
        np.random.default_rng(0).standard_normal(10).sum()
    )


# -- issue 17, item 2: large noncentrality (z/sigma)^2 > 1e11, where scipy's ncx2.cdf is NaN --
# References computed independently with mpmath at 40 digits (mpmath.mp.dps = 40):
# * d = 3: the noncentral-chi density of R/sigma, f(r) = (r/rho)[phi(r - rho) - phi(r + rho)],
#   rho = z/sigma; P_ben = mpmath.quad(f, (0, rho)), E[Delta] = sigma mpmath.quad((rho - r) f)
#   (160 panels on (rho - 40, rho)); P_ben also by the route below (same 20 digits).
# * d = 10^6: length/direction coordinates (l = |Z| ~ chi_d, c the cosine to the optimum):
#   P_ben = mpmath.quad over l of chi_d(l) (1 - betainc(1/2, (d-1)/2, 0, l^2/(4 rho^2),
#   regularized=True))/2 on 240 panels of sqrt(d) +- 60; E[Delta] = sigma times the 2-d
#   mpmath.quad over (l, c) of (rho - sqrt(rho^2 - 2 rho l c + l^2))^+ chi_d(l)
#   (1 - c^2)^((d-3)/2) / B((d-1)/2, 1/2) (about 10 minutes).
# The released code gave NaN and 0 for all four.
LARGE_NONCENTRALITY = [
    # (d, z, sigma, P_ben, E[Delta])
    (3, 1.0, 3e-6, 0.4999988031731587957, 1.1968223412042980338e-6),
    (10**6, 1.0, 1.224e-6, 0.27026908123729623595, 2.0245661681090441029e-7),
]


@pytest.mark.parametrize(("dv", "zv", "sv", "p_ben", "progress"), LARGE_NONCENTRALITY)
def test_large_noncentrality_matches_mpmath_reference(dv, zv, sv, p_ben, progress):
    model = FisherGeometric(d=dv, z=zv, sigma=sv)
    assert model.value("beneficial_probability") == pytest.approx(p_ben, rel=1e-9)
    assert model.value("expected_progress") == pytest.approx(progress, rel=1e-9)


def test_small_noncentrality_matches_poisson_series():
    # P(chi'^2_50(0.25) < 0.25) by mpmath.nsum of the Poisson(lambda/2) mixture of
    # regularised lower gammas, 40 digits: 1.336240359600658867e-48
    value = FisherGeometric(d=50, z=1.0, sigma=2.0).value("beneficial_probability")
    assert value == pytest.approx(1.336240359600658867e-48, rel=1e-9)


@settings(max_examples=40, deadline=None)
@given(
    st.one_of(st.integers(1, 12), st.floats(1.0, 300.0).map(lambda e: int(10.0**e))),
    st.floats(-300.0, 300.0).map(lambda e: 10.0**e),
    st.floats(-300.0, 300.0).map(lambda e: 10.0**e),
)
def test_every_quantity_finite_and_bounded_across_the_range(dv, zv, sv):
    """Issue 17 'Done when': finite everywhere (every true value is a finite double here),
    probabilities in [0, 1/2] (the ball |y| < z lies in the half-space facing the optimum),
    and 0 <= E[Delta] <= z P_ben (a kept step gains at most z)."""
    model = FisherGeometric(d=dv, z=zv, sigma=sv)
    p_ben = model.value("beneficial_probability")
    progress = model.value("expected_progress")
    assert 0.0 <= p_ben <= 0.5
    assert math.isfinite(progress) and 0.0 <= progress <= zv * p_ben * (1 + 1e-12)
    for name in ("optimal_normalized_step", "optimal_progress_rate", "optimal_success_rate"):
        assert math.isfinite(model.value(name))
