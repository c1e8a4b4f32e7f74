"""Selection on a proxy (whac-a-mole): theory against independent routes and simulation.

Independent routes used here:
- mpmath (30 digits): the regularized incomplete gamma ``gammainc`` for tau = 0, and
  ``mpmath.quad`` for tau > 0, integrating in the *other* order (over the noise, of the
  chi-square CDF) for the acceptance, and directly over w of w f_k(w) Phi(...) for the
  observed drift (no use of the identity w f_k = k f_{k+2});
- exact special cases of the multi-step chain: one step (E[s_1] is the observed drift),
  k = d (nothing unobserved), a tolerance no proposal can exceed in practice (every step
  accepted: E||x_T||^2 = d sigma^2 T), tol = tau = 0 (frozen walk), k = 0 (constant
  acceptance, d sigma^2 T P_acc);
- a simple independent simulator of the one-dimensional chain in s (numpy's
  ``noncentral_chisquare``), which knows nothing of the grid;
- the numba kernel (the observed squared norm step by step, the unobserved part drawn
  once per path: exact in law, see its module; ``tests/reference`` checks it against the
  full d-dimensional walk), through ``validate`` at 99.9% family-wise, fixed seeds.
"""

import itertools
import math

import driftkit.montecarlo.kernels.proxy_selection
import driftkit.theory.proxy_selection  # noqa: F401  (registers the model)
import mpmath
import numpy as np
import pytest
import sympy as sp
from driftkit.montecarlo import validate
from driftkit.theory import ParameterError
from driftkit.theory.proxy_selection import CHAIN_RTOL, ProxySelection, chain_values, grid_propagate
from hypothesis import given, settings
from hypothesis import strategies as st

mpmath.mp.dps = 30


def mp_acceptance(k, sigma, tol, tau):
    """P(sigma^2 chi2_k + tau sqrt2 eta <= tol): integrate over eta the chi-square CDF."""
    if tau == 0:
        return mpmath.gammainc(
            mpmath.mpf(k) / 2, 0, mpmath.mpf(tol) / (2 * sigma**2), regularized=True
        )
    c = mpmath.sqrt(2) * tau

    def integrand(e):
        x = (tol - c * e) / sigma**2
        if x <= 0:
            return mpmath.mpf(0)
        return mpmath.npdf(e) * mpmath.gammainc(mpmath.mpf(k) / 2, 0, x / 2, regularized=True)

    e0 = tol / c  # the kink: below it the CDF argument is positive
    return mpmath.quad(integrand, [-mpmath.inf, e0 - 10, e0])


def mp_observed_drift(k, sigma, tol, tau):
    """E[sigma^2 W 1{accept}] as a direct integral over w of w f_k(w) Phi(.)."""
    kk = mpmath.mpf(k)

    def pdf(w):
        return w ** (kk / 2 - 1) * mpmath.exp(-w / 2) / (2 ** (kk / 2) * mpmath.gamma(kk / 2))

    if tau == 0:
        return sigma**2 * mpmath.quad(lambda w: w * pdf(w), [0, tol / sigma**2])
    c = mpmath.sqrt(2) * tau
    m = tol / sigma**2
    return sigma**2 * mpmath.quad(
        lambda w: w * pdf(w) * mpmath.ncdf((tol - sigma**2 * w) / c),
        [0, m, m + 50 * c / sigma**2 + 200],
    )


START = [
    {},
    {"tau": 0.02},
    {"k": 1, "sigma": 0.7, "tol": 0.3, "tau": 0.1},
    {"k": 3, "d": 4, "sigma": 1.0, "tol": 2.5},
    {"k": 8, "d": 8, "sigma": 0.2, "tol": 0.05, "tau": 0.5},
]


@pytest.mark.parametrize("params", START)
def test_start_state_matches_mpmath(params):
    # scipy quad (1e-13) / gammainc against mpmath at 30 digits: 1e-9 relative
    m = ProxySelection(**params)
    k, d, s, tol, tau = (m[n] for n in ("k", "d", "sigma", "tol", "tau"))
    acc = float(mp_acceptance(k, s, tol, tau))
    assert m.value("acceptance_probability") == pytest.approx(acc, rel=1e-9)
    assert m.value("unobserved_drift_rate") == pytest.approx((d - k) * s**2 * acc, rel=1e-9)
    drift = float(mp_observed_drift(k, s, tol, tau))
    assert m.value("observed_drift_rate") == pytest.approx(drift, rel=1e-9)


def test_noise_lets_bad_steps_through():
    # the observed drift (and the acceptance) rise with the detector noise tau
    values = [ProxySelection(tau=t).value("observed_drift_rate") for t in (0.0, 0.01, 0.05, 0.2)]
    assert all(a < b for a, b in itertools.pairwise(values))


def test_one_step_is_the_drift():
    # E[s_1] = observed drift and E||x_unobs,1||^2 = unobserved drift (exact identities).
    # both by quadrature of the same one-step integrals: to CHAIN_RTOL
    for params, rel in (({"steps": 1}, CHAIN_RTOL), ({"steps": 1, "tau": 0.03}, CHAIN_RTOL)):
        m = ProxySelection(**params)
        obs = m.value("expected_observed_misalignment")
        assert obs == pytest.approx(m.value("observed_drift_rate"), rel=rel)
        unobs = m.value("expected_unobserved_misalignment")
        assert unobs == pytest.approx(m.value("unobserved_drift_rate"), rel=rel)


def test_every_step_accepted():
    # tol = 50 with sigma = 0.5, k = 2, 8 steps: a rise s' - s = 2 sigma x.Z + sigma^2 chi2_2
    # above 50 needs chi2_2 > 100 or a normal beyond ~12 s.d. (|x| <= 4 but for < 1e-30):
    # every step is accepted up to < 1e-29, so E[s_T] = k sigma^2 T and
    # E||x_unobs,T||^2 = (d-k) sigma^2 T (a plain random walk)
    m = ProxySelection(d=6, k=2, sigma=0.5, tol=50.0, steps=8)
    assert m.value("acceptance_probability") == 1.0
    assert m.value("expected_observed_misalignment") == pytest.approx(2 * 0.25 * 8, rel=1e-9)
    assert m.value("expected_unobserved_misalignment") == pytest.approx(4 * 0.25 * 8, rel=1e-12)


def test_special_cases():
    # tol = tau = 0: frozen (every proposal raises the observed misalignment a.s.)
    frozen = ProxySelection(tol=0.0)
    assert frozen.frozen()
    assert all(v == 0.0 for v in frozen.values().values())
    # k = 0: the reading difference is pure noise, accepted with Phi(tol/(tau sqrt2))
    m = ProxySelection(k=0, tau=0.02, steps=37)
    p = 0.5 * math.erfc(-0.01 / (0.02 * math.sqrt(2)) / math.sqrt(2))
    assert m.value("acceptance_probability") == pytest.approx(p, rel=1e-14)
    assert m.value("expected_misalignment") == pytest.approx(20 * 0.01 * 37 * p, rel=1e-14)
    assert ProxySelection(k=0).value("acceptance_probability") == 1.0
    # k = d: nothing is unobserved
    m = ProxySelection(d=5, k=5, steps=50)
    assert m.value("expected_unobserved_misalignment") == 0.0
    assert m.value("expected_misalignment") == m.value("expected_observed_misalignment") > 0


def test_chain_refinement_is_controlled():
    # the reported values against a finer panel layout (grow 0.3, widest panel 1): within
    # CHAIN_RTOL, and the per-call estimate (difference from a coarser layout) is below it
    from driftkit.theory.proxy_selection import _chain_on

    obs, unobs, info = grid_propagate(5, 20, 0.1, 0.01, 0.02, 32)
    assert info["error"] <= CHAIN_RTOL and info["lost"] <= 1e-13
    m, p = chain_values(5, 1.0, 2.0, 32)[:2]  # the same chain in units of sigma^2
    assert obs == pytest.approx(0.01 * m, rel=1e-15)
    assert unobs == pytest.approx(15 * 0.01 * p, rel=1e-15)
    import driftkit.theory.proxy_selection as ps

    old = ps._PANELS
    try:
        ps._PANELS = 60
        fine = _chain_on(5, 1.0, 2.0, 32, info["U"], True)
    finally:
        ps._PANELS = old
    assert m == pytest.approx(fine[0], rel=CHAIN_RTOL)
    assert p == pytest.approx(fine[1], rel=CHAIN_RTOL)


def test_two_steps_against_mpmath():
    # Independent reference (mpmath, 30 digits; not scipy): k=5, sigma=1, tol=1, tau=0.
    # a(s) = P(chi'^2_5(s) <= s + tol) and b(s) = E[X 1{X <= s + tol}] as Poisson
    # mixtures sum_j e^{-s/2}(s/2)^j/j! P(k/2+j [+1], (s+tol)/2) [(k+2j)] (mp.nsum);
    # p0 = P(5/2, 1/2); sum_{t<2} p(t) = p0 + (1-p0) p0 + int_0^1 f_5(w) a(w) dw and
    # E[s_2] = int_0^1 f_5(w) (w (1 - a(w)) + b(w)) dw + (1 - p0) b(0) (mp.quad):
    # 0.076610026874656149159 and 0.052142344118581637837.
    obs, unobs, _ = grid_propagate(5, 6, 1.0, 1.0, 0.0, 2)
    assert unobs == pytest.approx(0.076610026874656149159, rel=1e-12)
    assert obs == pytest.approx(0.052142344118581637837, rel=1e-12)


def test_tiny_acceptance_reported_case():
    # issue 17 item 4 follow-up: d=89, k=5, sigma=5.8e7, tol=1.6e-6, tau=2, one step.
    # Independent reference (mpmath quad at 40 digits of the chi^2_5 density times
    # Phi((tol' - w)/(tau' sqrt2)), tol' = tol/sigma^2, tau' = tau/sigma^2, split at
    # multiples of the noise width): P_acc = 6.72356131056364e-40, so the unobserved
    # value is 84 sigma^2 P_acc = 1.899917060893831e-22 (the old grid counted a normal-
    # tail bound as accepted; the old start-state quad missed the mass near 0).
    m = ProxySelection(d=89, k=5, sigma=5.8e7, tol=1.6e-6, tau=2.0, steps=1)
    assert m.value("expected_unobserved_misalignment") == pytest.approx(
        1.899917060893831e-22, rel=CHAIN_RTOL
    )
    assert m.value("unobserved_drift_rate") == pytest.approx(1.899917060893831e-22, rel=1e-6)
    # five steps: the acceptance stays ~1e-40, so the sum is 5 p0 to relative ~1e-39
    five = m.replace(steps=5).value("expected_unobserved_misalignment")
    assert five == pytest.approx(5 * 1.899917060893831e-22, rel=CHAIN_RTOL)


def simulate_s_chain(k, d, sigma, tol, tau, steps, paths, seed):
    """Independent simulator of the 1-D chain s (numpy noncentral chi-square)."""
    gen = np.random.default_rng(seed)
    s = np.zeros(paths)
    accepts = np.zeros(paths)
    for _ in range(steps):
        prop = sigma**2 * gen.noncentral_chisquare(k, s / sigma**2 + 1e-300)
        ok = prop - s + tau * math.sqrt(2) * gen.standard_normal(paths) <= tol
        s = np.where(ok, prop, s)
        accepts += ok
    return s, (d - k) * sigma**2 * accepts


def test_grid_matches_independent_s_chain():
    # 6,000 paths of the 1-D chain, 60 steps: the grid lies within 4.5 standard errors
    # of the means (the unobserved mean uses the accept count; E||x_u||^2 given the
    # accept count N is (d-k) sigma^2 N); grid error (1e-3 relative) is << 1 s.e.
    m = ProxySelection(tau=0.03, steps=60)
    s, u = simulate_s_chain(5, 20, 0.1, 0.01, 0.03, 60, 6_000, 7)
    for values, name in (
        (s, "expected_observed_misalignment"),
        (u, "expected_unobserved_misalignment"),
    ):
        se = values.std(ddof=1) / math.sqrt(values.size)
        assert abs(values.mean() - m.value(name)) < 4.5 * se, name


def test_expressions_latex_and_derivation():
    m = ProxySelection()
    assert r"\gamma" in m.latex("acceptance_probability")  # lower incomplete gamma
    general = m.general_expression("acceptance_probability")  # k = 0 or not, tau = 0 or not
    assert isinstance(general, sp.Piecewise) and len(general.args) == 4
    assert isinstance(ProxySelection(tau=0.1).expression("acceptance_probability"), sp.Integral)
    text = m.derivation()
    for needle in ("noncentral", r"\tau\sqrt2", "never moves", "Gauss-Legendre", "Johnson"):
        assert needle in text
    assert m.curve_parameter == "steps"
    assert m.curve_range("steps") == (0.0, 1001.0)
    assert {r.key for r in m.references} == {"johnson1995", "manheim2018"}
    # the unobserved part grows linearly, the observed part is held down
    a, b = (ProxySelection(steps=t) for t in (500, 1000))
    assert b.value("expected_unobserved_misalignment") > 1.9 * a.value(
        "expected_unobserved_misalignment"
    )
    assert b.value("expected_observed_misalignment") < 0.05


@pytest.mark.parametrize(
    "params,name",
    [
        ({"d": 0}, "d"),
        ({"d": 2.5}, "d"),
        ({"k": -1}, "k"),
        ({"k": 21}, "k"),
        ({"sigma": 0.0}, "sigma"),
        ({"tol": -0.1}, "tol"),
        ({"tau": -1.0}, "tau"),
        ({"tau": float("nan")}, "tau"),
        ({"steps": 0}, "steps"),
        ({"zz": 1}, "zz"),
    ],
)
def test_bad_parameters_name_themselves(params, name):
    with pytest.raises(ParameterError) as info:
        ProxySelection(**params)
    assert info.value.parameter == name
    assert f"'{name}'" in str(info.value)


# -- simulation -----------------------------------------------------------------------


def test_validate_defaults():
    res = validate(ProxySelection(), paths=20_000, rng=2026)
    assert res.ok, res.to_dict()
    assert res.simulation.censored == 0
    assert res.comparison_level == pytest.approx(1 - 0.001 / 6)


def test_validate_noisy_detector():
    res = validate(ProxySelection(tau=0.02, steps=300), paths=10_000, rng=11)
    assert res.ok, res.to_dict()


@pytest.mark.parametrize(
    "params",
    [
        # k = 0: no observed coordinate, the noisy reading alone decides
        dict(d=4, k=0, sigma=0.5, tol=0.1, tau=0.2, steps=20),
        # k = 6: the reduction with an odd chi-square (df 5), 3 unobserved (squared normals)
        dict(d=9, k=6, sigma=0.2, tol=0.05, tau=0.05, steps=40),
        # k = 20: one chisquare draw a step (df 19 > SMALL_DF); 10 unobserved (chisquare)
        dict(d=30, k=20, sigma=0.1, tol=0.1, steps=50),
    ],
)
def test_validate_each_kernel_branch(params):
    # the kernel's observed part has three branches (k = 0, k <= DIRECT_K coordinate by
    # coordinate, the reduction) and its unobserved end two draws (squared normals up to
    # NORMALS_DF, chisquare above); the defaults and the noisy case cover k = 5, d - k = 15
    res = validate(ProxySelection(**params), paths=10_000, rng=29)
    assert res.ok, res.to_dict()


@st.composite
def small_models(draw):
    """Small walks (d <= 8, steps <= 30): the theory is exact up to CHAIN_RTOL
    relative, far inside the intervals of 10,000 paths (several percent)."""
    d = draw(st.integers(1, 8))
    k = draw(st.integers(0, d))
    sigma = draw(st.floats(0.2, 1.5))
    tol = draw(st.floats(0.0, 2.0)) * sigma**2 * max(k, 1)
    tau = draw(st.sampled_from([0.0, 1.0])) * draw(st.floats(0.05, 2.0)) * sigma**2
    steps = draw(st.integers(1, 30))
    return ProxySelection(d=d, k=k, sigma=sigma, tol=tol, tau=tau, steps=steps)


@settings(max_examples=5)
@given(small_models(), st.integers(0, 2**32 - 1))
def test_validate_agrees_on_drawn_parameters(model, seed):
    res = validate(model, paths=10_000, rng=seed)
    assert res.ok, res.to_dict()


def test_frozen_walk_simulates_to_zero():
    res = validate(ProxySelection(tol=0.0, steps=20), paths=5_000, rng=3)
    assert res.ok
    assert res["expected_misalignment"].estimate.estimate == 0.0


def test_censoring_is_counted_and_allowed_for():
    res = validate(ProxySelection(steps=50), paths=5_000, rng=4, max_steps=10)
    assert res.simulation.censored == 5_000
    assert res["expected_misalignment"].estimate.ci_high == math.inf
    assert res.ok  # the start-state quantities are still checked


# -- issue 17, item 4: the multi-step quantities are labelled numerical ----------------------


def test_multi_step_quantities_are_numerical_with_their_error():
    # Reference (mpmath quad at 30 digits of the chi-square density times the normal CDF,
    # independent of scipy): k=5, sigma=0.1, tol=0.01, tau=0.01 gives P_acc =
    # 0.091540175185924673735, unobserved drift 0.01373102627788870106 and observed drift
    # 0.0015392008933459842655. The start-state quantities are exact (to 1e-9); the
    # chain's one-step values are numerical, within CHAIN_RTOL.
    m = ProxySelection(tau=0.01, steps=1)
    assert m.value("acceptance_probability") == pytest.approx(0.091540175185924673735, rel=1e-9)
    assert m.value("unobserved_drift_rate") == pytest.approx(0.01373102627788870106, rel=1e-9)
    assert m.value("observed_drift_rate") == pytest.approx(0.0015392008933459842655, rel=1e-9)
    unobs = m.value("expected_unobserved_misalignment")
    obs = m.value("expected_observed_misalignment")
    assert unobs == pytest.approx(0.01373102627788870106, rel=CHAIN_RTOL)
    assert obs == pytest.approx(0.0015392008933459842655, rel=CHAIN_RTOL)
    for name in ("expected_misalignment", "expected_observed_misalignment"):
        assert m.quantity(name).kind == "numerical"
        assert f"error < {CHAIN_RTOL:g} relative" in m.quantity(name).description
    assert m.quantity("expected_unobserved_misalignment").kind == "numerical"


@settings(max_examples=20, deadline=None, derandomize=True)
@given(
    d=st.one_of(st.sampled_from([1, 10**6]), st.integers(1, 1000)),
    kfrac=st.floats(0.0, 1.0),
    sigma=st.one_of(st.sampled_from([1e-150, 1e150]), st.floats(1e-8, 1e8)),
    tol=st.one_of(st.sampled_from([0.0, 1e300]), st.floats(0.0, 1e8)),
    tau=st.one_of(st.sampled_from([0.0, 1e300]), st.floats(0.0, 1e8)),
)
def test_exact_quantities_finite_and_acceptance_in_unit_interval(d, kfrac, sigma, tol, tau):
    # issue 17 "Done when": the exact (start-state) quantities are finite where the true
    # value is a finite double, and the acceptance probability lies in [0, 1]
    k = round(kfrac * d)
    m = ProxySelection(d=d, k=k, sigma=sigma, tol=tol, tau=tau)
    acc = m.value("acceptance_probability")
    assert 0.0 <= acc <= 1.0
    drift = m.value("observed_drift_rate")
    assert drift >= 0.0 and not math.isnan(drift)
    unobs = m.value("unobserved_drift_rate")
    if (d - k) * sigma**2 < 1e300:  # the true value is then a finite double
        assert math.isfinite(unobs)
    if k * sigma**2 < 1e300:
        assert math.isfinite(drift)
