"""Monitored diffusion (monitoring as killing): theory against independent routes and simulation.

Independent routes used here:
- scipy's collocation BVP solver (``solve_bvp``, tol 1e-10, adaptive mesh) on the backward
  equations, which knows nothing of the closed forms;
- mpmath's Taylor-series ODE integrator (``mpmath.odefun``, 30 digits) by
  shooting: the equations are linear, so one particular and one homogeneous
  initial-value solution combine to meet the boundary conditions;
- the classical no-monitor exit probability of Brownian motion with drift
  (THEORY.md; Karlin & Taylor 1981, ch. 15), in numpy;
- the identity P_det = kappa E[tau] (both solve the same boundary-value problem).
Simulation checks use ``validate`` at 99.9% family-wise with fixed seeds.
"""

import math

import driftkit.montecarlo.kernels.monitored_diffusion
import driftkit.theory.monitored_diffusion  # noqa: F401  (registers the model)
import mpmath
import numpy as np
import pytest
import sympy as sp
from driftkit.montecarlo import validate
from driftkit.theory import ParameterError
from driftkit.theory.monitored_diffusion import (
    _CASE_SUBS,
    CASES,
    L,
    MonitoredDiffusion,
    _derive,
    evaluate,
    y,
)
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.integrate import solve_bvp

#: (quantity, right-hand side R of (sigma^2/2) f'' + mu f' - kappa f = R, f(lo), f(hi))
PROBLEMS = (
    ("escape_probability", lambda kappa: 0.0, 0.0, 1.0),
    ("detection_probability", lambda kappa: -kappa, 0.0, 0.0),
    ("mean_time", lambda kappa: -1.0, 0.0, 0.0),
)


def coords(m):
    return m["mu"], m["sigma"], m["kappa"], m["hi"] - m["lo"], m["x0"] - m["lo"]


def bvp_route(m, rhs, f0, fL):
    """Solve the backward equation numerically with scipy's solve_bvp (no closed form used)."""
    mu, sigma, kappa, length, y0 = coords(m)
    c = 2.0 / sigma**2

    def fun(t, f):
        return np.vstack([f[1], c * (rhs - mu * f[1] + kappa * f[0])])

    def bc(fa, fb):
        return np.array([fa[0] - f0, fb[0] - fL])

    t = np.linspace(0.0, length, 201)
    sol = solve_bvp(fun, bc, t, np.zeros((2, t.size)), tol=1e-10, max_nodes=400_000, bc_tol=1e-13)
    assert sol.success, sol.message
    return float(sol.sol(y0)[0])


def shooting_route(m, rhs, f0, fL):
    """Solve the backward equation by shooting with mpmath.odefun at 30 digits."""
    mu, sigma, kappa, length, y0 = coords(m)
    with mpmath.workdps(30):
        c = 2 / mpmath.mpf(sigma) ** 2

        def system(r):
            return lambda t, f: [f[1], c * (r - mu * f[1] + kappa * f[0])]

        part = mpmath.odefun(system(rhs), 0, [f0, 0])  # f(0) = f0, f'(0) = 0
        hom = mpmath.odefun(system(0), 0, [0, 1])  # h(0) = 0, h'(0) = 1
        a = (fL - part(length)[0]) / hom(length)[0]
        return part(y0)[0] + a * hom(y0)[0]


@st.composite
def diffusions(draw, kappa_zero=False):
    mu = draw(st.floats(-1.5, 1.5))
    sigma = draw(st.floats(0.5, 2.0))
    kappa = 0.0 if kappa_zero else draw(st.floats(0.0, 2.0))
    lo = draw(st.floats(-5.0, 5.0))
    width = draw(st.floats(0.2, 4.0))
    frac = draw(st.floats(0.02, 0.98))
    return MonitoredDiffusion(
        mu=mu, sigma=sigma, kappa=kappa, lo=lo, hi=lo + width, x0=lo + frac * width
    )


# -- theory ---------------------------------------------------------------------------


@settings(max_examples=8)
@given(diffusions())
def test_matches_numerical_bvp(model):
    # scipy.solve_bvp at tol 1e-10 (observed error <= 1e-12): the closed forms agree to
    # 1e-10 relative (the absolute floor 1e-13 covers probabilities like exp(-40) that
    # lie below the solver's noise)
    for name, rhs, f0, fL in PROBLEMS:
        ref = bvp_route(model, rhs(model["kappa"]), f0, fL)
        assert model.value(name) == pytest.approx(ref, rel=1e-10, abs=1e-13), name


@pytest.mark.parametrize(
    "params",
    [
        {},  # the defaults
        {"mu": -1.3, "sigma": 0.7, "kappa": 0.4, "lo": -1.0, "hi": 2.5, "x0": 0.2},
        {"mu": 0.0, "kappa": 1.5, "hi": 2.0, "x0": 1.5},
    ],
)
def test_matches_mpmath_shooting(params):
    # mpmath.odefun (Taylor series, 30 digits): agreement to 1e-12 relative
    m = MonitoredDiffusion(**params)
    for name, rhs, f0, fL in PROBLEMS:
        ref = float(shooting_route(m, rhs(m["kappa"]), f0, fL))
        assert m.value(name) == pytest.approx(ref, rel=1e-12), name


def test_derived_solutions_satisfy_ode_and_boundaries():
    # The dsolve results, substituted back: residual of the ODE and of both
    # boundary conditions simplify to exactly 0 in every case.
    d = _derive()
    for solved in (d.escape, d.lower, d.detection, d.mean_time):
        (b0, bL) = solved.boundary
        f = b0.lhs.func
        for case in CASES:
            ode = solved.ode.subs(_CASE_SUBS[case])
            res = solved.result[case]
            residual = (ode.lhs - ode.rhs).subs(f(y), res).doit()
            assert sp.simplify(residual) == 0, (f, case)
            assert sp.simplify(res.subs(y, 0) - b0.rhs) == 0, (f, case)
            assert sp.simplify(res.subs(y, L) - bL.rhs) == 0, (f, case)


@settings(max_examples=30)
@given(diffusions())
def test_outcomes_are_exhaustive(model):
    # escape + detection + P(hit lo first) = 1 (the three outcomes partition the paths);
    # P(hit lo first) is its own derived BVP solution, not 1 - the others
    lower = float(evaluate("lower_exit_probability", *coords(model)))
    total = model.value("escape_probability") + model.value("detection_probability") + lower
    assert total == pytest.approx(1.0, abs=1e-14)


@settings(max_examples=30)
@given(diffusions())
def test_detection_is_kappa_times_mean_time(model):
    # v and kappa*T solve the same BVP (Feynman-Kac), so they are equal
    kappa_t = model["kappa"] * model.value("mean_time")
    assert model.value("detection_probability") == pytest.approx(kappa_t, rel=1e-13, abs=1e-300)


def brownian_exit(mu, sigma, lo, hi, x):
    """THEORY.md: P(hit hi before lo) = (1 - e^{-2 mu (x-lo)/s^2}) / (1 - e^{-2 mu (hi-lo)/s^2})."""
    if mu == 0:
        return (x - lo) / (hi - lo)
    c = -2.0 * mu / sigma**2
    return math.expm1(c * (x - lo)) / math.expm1(c * (hi - lo))


@settings(max_examples=30)
@given(diffusions(kappa_zero=True))
def test_no_monitor_is_brownian_exit(model):
    mu, sigma, lo, hi, x = (model[k] for k in ("mu", "sigma", "lo", "hi", "x0"))
    classic = brownian_exit(mu, sigma, lo, hi, x)
    assert model.value("escape_probability") == pytest.approx(classic, rel=1e-12)
    assert model.value("detection_probability") == 0.0
    # and kappa -> 0 is continuous: the kappa > 0 (general) formula converges to it
    for eps in (1e-6, 1e-9, 1e-12):
        near = model.replace(kappa=eps)
        # d(escape)/d(kappa) is bounded by E[tau] <= L^2/sigma^2 + L/|mu| (< 200 here)
        assert near.value("escape_probability") == pytest.approx(classic, rel=200 * eps / classic)
        assert near.value("mean_time") == pytest.approx(model.value("mean_time"), rel=1e-3)


def test_closed_forms_at_special_points():
    # kappa = mu = 0: escape y/L and mean time y(L-y)/sigma^2 (Karlin & Taylor ch. 15)
    m = MonitoredDiffusion(mu=0.0, kappa=0.0, sigma=2.0, lo=-1.0, hi=3.0, x0=0.0)
    assert m.value("escape_probability") == pytest.approx(0.25, rel=1e-15)
    assert m.value("mean_time") == pytest.approx(1 * 3 / 4, rel=1e-15)
    # mu = 0, kappa > 0: escape sinh(a y)/sinh(a L), a = sqrt(2 kappa)/sigma
    m = MonitoredDiffusion(mu=0.0, kappa=0.5, sigma=1.0, lo=0.0, hi=2.0, x0=0.5)
    a = math.sqrt(2 * 0.5)
    assert m.value("escape_probability") == pytest.approx(
        math.sinh(a * 0.5) / math.sinh(a * 2.0), rel=1e-14
    )
    # strong drift, long interval: exp(lambda L) ~ exp(5e4) would overflow a double.
    # Deterministic travel (sigma -> small): caught before hi with prob 1 - exp(-kappa L/mu)
    m = MonitoredDiffusion(mu=50.0, sigma=1.0, kappa=0.05, lo=0.0, hi=1000.0, x0=10.0)
    assert np.isfinite(m.value("mean_time"))
    assert m.value("escape_probability") == pytest.approx(math.exp(-0.05 * 990 / 50), rel=1e-3)


def test_tiny_kappa_needs_no_special_case():
    # kappa = 1e-300 with mu = 0: the general formula cancels completely at 30 digits;
    # the evaluator raises the precision and returns the kappa = 0 answers (y/L, y(L-y)/s^2)
    m = MonitoredDiffusion(mu=0.0, kappa=1e-300, hi=3.0, x0=1.0)
    assert m.value("escape_probability") == pytest.approx(1 / 3, rel=1e-14)
    assert m.value("mean_time") == pytest.approx(2.0, rel=1e-14)
    assert m.value("detection_probability") == pytest.approx(2e-300, rel=1e-14)


def test_expressions_latex_and_derivation():
    m = MonitoredDiffusion()
    general = m.general_expression("escape_probability")
    assert isinstance(general, sp.Piecewise) and len(general.args) == 3
    assert r"\sinh" in m.latex("escape_probability")
    assert r"\gamma" in m.latex("mean_time")
    text = m.derivation()
    for needle in ("dsolve", r"Case $\kappa = 0$", "Mean time", "Karlin", r"\kappa\,E[\tau]"):
        assert needle in text
    assert m.curve_parameter == "x0"
    assert {r.key for r in m.references} == {"karlin1981", "borodin2002"}
    # dt is a simulation setting: the theory does not depend on it
    assert m.replace(dt=0.5).values() == m.values()


@pytest.mark.parametrize(
    "params,name",
    [
        ({"sigma": 0.0}, "sigma"),
        ({"sigma": -1.0}, "sigma"),
        ({"kappa": -0.1}, "kappa"),
        ({"dt": 0.0}, "dt"),
        ({"dt": -0.01}, "dt"),
        ({"x0": 0.0}, "x0"),
        ({"x0": 3.0}, "x0"),
        ({"x0": 7.0}, "x0"),
        ({"hi": 0.0}, "hi"),
        ({"hi": -1.0}, "hi"),
        ({"mu": float("nan")}, "mu"),
        ({"mu": float("inf")}, "mu"),
        ({"kappa": "abc"}, "kappa"),
        ({"zz": 1}, "zz"),
    ],
)
def test_bad_parameters_name_themselves(params, name):
    with pytest.raises(ParameterError) as info:
        MonitoredDiffusion(**params)
    assert info.value.parameter == name
    assert f"'{name}'" in str(info.value)


# -- simulation -----------------------------------------------------------------------


def test_validate_defaults():
    res = validate(MonitoredDiffusion(), paths=100_000, rng=2026)
    assert res.ok, res.to_dict()
    assert res.simulation.censored == 0
    assert set(res.comparisons) == {"escape_probability", "detection_probability", "mean_time"}
    assert res.comparison_level == pytest.approx(1 - 0.001 / 3)


@st.composite
def simulable(draw):
    """Parameters with dt = f E[tau], f in [1/2000, 1/200]: at most ~2000 steps per path
    on average, and the O(dt) time-recording bias (at most dt/2 per path, see the kernel)
    is below 1/400 of E[tau], far inside the 99.97% interval of 20,000 paths."""
    model = draw(diffusions())
    f = draw(st.floats(1 / 2000, 1 / 200))
    return model.replace(dt=f * model.value("mean_time"))


@settings(max_examples=5)
@given(simulable(), st.integers(0, 2**32 - 1))
def test_validate_agrees_on_drawn_parameters(model, seed):
    res = validate(model, paths=20_000, rng=seed)
    assert res.ok, res.to_dict()


def test_no_monitor_is_never_caught():
    res = validate(MonitoredDiffusion(kappa=0.0), paths=20_000, rng=3)
    assert res.ok, res.to_dict()
    assert res["detection_probability"].estimate.estimate == 0.0


def test_censoring_is_counted_and_allowed_for():
    # a budget of 10 steps (0.1 time units) censors most paths; intervals stay valid
    res = validate(MonitoredDiffusion(), paths=20_000, rng=4, max_steps=10)
    assert res.simulation.censored > 10_000
    assert res["mean_time"].estimate.ci_high == math.inf
    assert res.ok


# -- bounded evaluation at extreme parameters (issue 12) -------------------------


def test_stable_form_matches_the_derived_expressions_at_high_precision():
    # Reference: sympy's dsolve solutions (monitored_diffusion._mp_function, the derived
    # expressions with exponentials of both signs) in mpmath at 300 digits, where their
    # cancellation (about 2 gamma L / sigma^2 / ln 10 < 100 digits here) is resolved.
    import mpmath
    from driftkit.theory.monitored_diffusion import _mp_function

    for params in [
        {"mu": 0.1, "sigma": 1.0, "kappa": 0.05, "lo": 0.0, "hi": 3.0, "x0": 1.0},
        {"mu": -2.0, "sigma": 0.3, "kappa": 0.7, "lo": -1.0, "hi": 2.0, "x0": 1.9},
        {"mu": 5.0, "sigma": 0.4, "kappa": 1e-6, "lo": 0.0, "hi": 1.0, "x0": 0.5},
        {"mu": 0.3, "sigma": 0.5, "kappa": 0.0, "lo": 0.0, "hi": 2.0, "x0": 0.2},
    ]:
        model = MonitoredDiffusion(**params)
        case = "general" if params["kappa"] > 0 else "no_killing"
        for name in ("escape_probability", "mean_time") + (
            ("detection_probability",) if case == "general" else ()
        ):
            with mpmath.workdps(300):
                args = [params[k] for k in ("mu", "sigma", "kappa")]
                args += [params["hi"] - params["lo"], params["x0"] - params["lo"]]
                ref = float(_mp_function(name, case)(*(mpmath.mpf(a) for a in args)))
            assert model.value(name) == pytest.approx(ref, rel=1e-14), (params, name)


@pytest.mark.parametrize("sv", [1e-12, 1e-100, 5e-324])
def test_tiny_sigma_gives_the_deterministic_limit(sv):
    # sigma -> 0 (the old evaluator ran to 4000 digits and hung): the path moves at speed
    # mu > 0 and reaches hi at t_d = (hi - x0)/mu unless the Poisson monitor fires first:
    # P_esc = e^{-kappa t_d}, P_det = 1 - P_esc, E[tau] = (1 - e^{-kappa t_d})/kappa
    # (corrections are O(sigma^2), below 1e-20 here).
    model = MonitoredDiffusion(mu=0.5, sigma=sv, kappa=0.2, lo=0.0, hi=3.0, x0=1.0)
    td = 2.0 / 0.5
    assert model.value("escape_probability") == pytest.approx(math.exp(-0.2 * td), rel=1e-12)
    assert model.value("detection_probability") == pytest.approx(-math.expm1(-0.2 * td), rel=1e-12)
    assert model.value("mean_time") == pytest.approx(-math.expm1(-0.2 * td) / 0.2, rel=1e-12)
