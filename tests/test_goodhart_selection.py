"""Goodhart selection: theory against independent routes and simulation.

Independent routes used here:
- mpmath quadrature (tanh-sinh, 30 digits) of P(A > c, V < 0) = int_c^inf phi(a) Phi(-rho a / s) da,
  with breakpoints on the integrand's decay scale (the closed form uses Owen's T);
- scipy's multivariate normal CDF (Genz's algorithm), P(A > c, V < 0) = 1/2 - F(c, 0);
- scipy.stats.truncnorm: E[V | A > c] = rho E[A | A > c] (V = rho A + s Z);
- exact special cases: Sheppard's orthant 1/4 - asin(rho)/(2 pi) (THEORY.md), rho = 0
  (independence), rho = +-1 (V = +-A), fraction = 1 (everything selected).
Simulation checks use ``validate`` at 99.9% family-wise with fixed seeds.
"""

import json
import math

import driftkit.montecarlo.kernels.goodhart_selection
import driftkit.theory.goodhart_selection  # noqa: F401  (registers the model)
import mpmath
import numpy as np
import pytest
import sympy as sp
from driftkit.montecarlo import validate
from driftkit.montecarlo.app.cli import main
from driftkit.theory import ParameterError
from driftkit.theory.goodhart_selection import CASES, GoodhartSelection, OwenT, _derive
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import special, stats

NAMES = (
    "deceptive_probability",
    "false_pass_rate",
    "selected_true_mean",
    "top_fraction_true_mean",
    "top_fraction_deceptive_rate",
)


def mp_deceptive(rho, c):
    """P(A > c, V < 0) by mpmath quadrature at 30 digits, with breakpoints on the decay
    scale 1/(|c|(1 + lambda^2) + 1) after c and, for c < 0, on the width s/|rho| of the
    step of Phi(-rho a/s) at a = 0."""
    with mpmath.workdps(30):
        rho, c = mpmath.mpf(rho), mpmath.mpf(c)
        s = mpmath.sqrt((1 - rho) * (1 + rho))
        scale = 1 / (abs(c) * (1 + (rho / s) ** 2) + 1)
        pts = {c + scale * 2**k for k in range(-2, 12)}
        if c < 0 and rho != 0:
            width = s / abs(rho)
            pts |= {sign * width * 2**k for k in range(-2, 12) for sign in (-1, 1)} | {0}
        pts = [c, *sorted(p for p in pts if p > c), mpmath.inf]
        # the integrand is scaled by 1/npdf(c) so that quad's absolute error criterion
        # (about 10^-dps) is a relative one: unscaled, a tail value of 1e-28 (c = 11)
        # came out with only 11 correct digits
        lead = mpmath.npdf(c)

        def f(a):
            return mpmath.npdf(a) / lead * mpmath.ncdf(-rho * a / s)

        return lead * mpmath.quad(f, pts)


def mp_sf(c):
    with mpmath.workdps(30):
        return mpmath.ncdf(-mpmath.mpf(c))


# -- theory ---------------------------------------------------------------------------


@pytest.mark.parametrize("rho", [-1.0, -0.95, -0.3, 0.0, 0.5, 0.8, 0.9])
def test_orthant_is_exact(rho):
    # THEORY.md: P(A > 0, V < 0) = 1/4 - arcsin(rho)/(2 pi), to the last bit
    m = GoodhartSelection(rho=rho, c=0.0)
    assert m.value("deceptive_probability") == 0.25 - math.asin(rho) / (2 * math.pi)
    assert m.value("false_pass_rate") == pytest.approx(0.5 - math.asin(rho) / math.pi, rel=1e-15)


@pytest.mark.parametrize("rho", [0.95, 0.999, 1 - 1e-12, 1.0])
def test_orthant_near_one_keeps_relative_accuracy(rho):
    # 1/4 - asin(rho)/(2 pi) = acos(rho)/(2 pi): the evaluator uses the second form above
    # 0.9, so the value keeps its relative accuracy as rho -> 1 (mpmath at 40 digits)
    with mpmath.workdps(40):
        ref = mpmath.mpf(1) / 4 - mpmath.asin(mpmath.mpf(rho)) / (2 * mpmath.pi)
    m = GoodhartSelection(rho=rho, c=0.0)
    assert m.value("deceptive_probability") == pytest.approx(float(ref), rel=1e-14, abs=0)


def test_cli_theory_orthant(capsys):
    # the done-when: driftkit theory goodhart-selection --set rho=0.8 --set c=0 --json
    code = main(["theory", "goodhart-selection", "--set", "rho=0.8", "--set", "c=0", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code in (0, None)
    value = out["quantities"]["deceptive_probability"]["value"]
    assert value == 0.25 - math.asin(0.8) / (2 * math.pi)
    assert out["params"] == {"rho": 0.8, "c": 0.0, "fraction": 0.1}


@settings(max_examples=25)
@given(st.floats(-0.999, 0.999), st.floats(-6.0, 12.0))
def test_deceptive_matches_mpmath_quadrature(rho, c):
    # 30-digit quadrature: agreement to 1e-12 relative (also in the far tail, where the
    # Owen's T form cancels and the evaluator integrates in log-scaled form)
    m = GoodhartSelection(rho=rho, c=c)
    ref = mp_deceptive(rho, c)
    assert m.value("deceptive_probability") == pytest.approx(float(ref), rel=1e-12, abs=1e-300)
    assert m.value("false_pass_rate") == pytest.approx(float(ref / mp_sf(c)), rel=1e-12)


@pytest.mark.parametrize(
    "rho,c",
    [(0.8, 40.0), (0.3, 30.0), (-0.5, 45.0), (0.99, 3.0), (1 - 1e-7, -1.0), (1 - 1e-10, -0.7)],
)
def test_far_tail_is_finite_and_accurate(rho, c):
    # P(A > c) underflows a double at c ~ 38; the conditional rate is formed in log space
    m = GoodhartSelection(rho=rho, c=c)
    ref = mp_deceptive(rho, c) / mp_sf(c)
    assert m.value("false_pass_rate") == pytest.approx(float(ref), rel=1e-11)
    assert math.isfinite(m.value("selected_true_mean"))


@pytest.mark.parametrize("rho,c", [(0.8, 1.0), (-0.6, -0.7), (0.3, 2.5), (0.95, -1.5)])
def test_deceptive_matches_scipy_bivariate_cdf(rho, c):
    # Genz's algorithm (abseps 1e-11): P(A > c, V < 0) = P(V < 0) - P(A <= c, V < 0)
    cov = [[1.0, rho], [rho, 1.0]]
    mvn = stats.multivariate_normal([0.0, 0.0], cov, abseps=1e-11, releps=1e-11)
    ref = 0.5 - mvn.cdf([c, 0.0])
    m = GoodhartSelection(rho=rho, c=c)
    assert m.value("deceptive_probability") == pytest.approx(ref, abs=1e-9)


@settings(max_examples=25)
@given(st.floats(-1.0, 1.0), st.floats(-8.0, 8.0))
def test_selected_mean_is_rho_times_truncated_normal_mean(rho, c):
    # V = rho A + s Z with Z independent of A: E[V | A > c] = rho E[A | A > c]
    ref = rho * stats.truncnorm(c, np.inf).mean()
    m = GoodhartSelection(rho=rho, c=c)
    assert m.value("selected_true_mean") == pytest.approx(ref, rel=1e-10, abs=1e-15)


@settings(max_examples=20)
@given(st.floats(-0.99, 0.99), st.floats(1e-4, 1.0))
def test_top_fraction_is_threshold_at_quantile(rho, q):
    # selecting the top q is the threshold rule at z_q = Phi^{-1}(1 - q), P(A > z_q) = q
    m = GoodhartSelection(rho=rho, fraction=q)
    z = m.z_q
    assert special.ndtr(-z) == pytest.approx(q, rel=1e-13)
    at = GoodhartSelection(rho=rho, c=z) if math.isfinite(z) else None
    if at is not None:
        assert m.value("top_fraction_true_mean") == pytest.approx(
            at.value("selected_true_mean"), rel=1e-14, abs=1e-300
        )
        assert m.value("top_fraction_deceptive_rate") == pytest.approx(
            at.value("false_pass_rate"), rel=1e-14, abs=1e-300
        )
        # rho phi(z_q)/q (THEORY.md)
        phi = math.exp(-z * z / 2) / math.sqrt(2 * math.pi)
        assert m.value("top_fraction_true_mean") == pytest.approx(rho * phi / q, rel=1e-12)


def test_special_cases():
    # rho = 0: V independent of A: half of every selection is deceptive, mean 0
    m = GoodhartSelection(rho=0.0, c=1.3, fraction=0.2)
    assert m.value("false_pass_rate") == pytest.approx(0.5, rel=1e-14)
    assert m.value("deceptive_probability") == pytest.approx(0.5 * special.ndtr(-1.3), rel=1e-14)
    assert m.value("top_fraction_true_mean") == 0.0
    # fraction = 1: everything selected: P(V < 0) = 1/2, E[V] = 0
    m = GoodhartSelection(fraction=1.0)
    assert m.value("top_fraction_deceptive_rate") == 0.5
    assert m.value("top_fraction_true_mean") == 0.0
    # fraction = 1/2: z_q = 0, the orthant formula again
    m = GoodhartSelection(rho=0.8, fraction=0.5)
    assert m.value("top_fraction_deceptive_rate") == pytest.approx(
        2 * (0.25 - math.asin(0.8) / (2 * math.pi)), rel=1e-14
    )


@pytest.mark.parametrize("c", [-2.0, -0.5, 0.7, 2.0])
def test_degenerate_correlations(c):
    # rho = 1: V = A, deceptive iff c < A < 0; rho = -1: V = -A, deceptive iff A > max(c, 0)
    one, minus = GoodhartSelection(rho=1.0, c=c), GoodhartSelection(rho=-1.0, c=c)
    assert one.value("deceptive_probability") == pytest.approx(
        max(0.0, special.ndtr(0) - special.ndtr(c)), abs=1e-16
    )
    assert minus.value("deceptive_probability") == pytest.approx(
        special.ndtr(-max(c, 0.0)), rel=1e-14
    )
    # and the |rho| < 1 formula converges to them
    for r, m in ((1 - 1e-10, one), (-1 + 1e-10, minus)):
        near = GoodhartSelection(rho=r, c=c)
        assert near.value("deceptive_probability") == pytest.approx(
            m.value("deceptive_probability"), abs=1e-4
        )
        assert near.value("selected_true_mean") == pytest.approx(
            m.value("selected_true_mean"), rel=1e-9
        )


def _numeric(expr):
    f = sp.lambdify((), expr, modules=[{"OwenT": special.owens_t}, "scipy"])
    return float(f())


@pytest.mark.parametrize(
    "params", [{}, {"rho": -0.4, "c": 0.6, "fraction": 0.3}, {"rho": 0.5, "c": -1.0}]
)
def test_sympy_expressions_evaluate_to_the_values(params):
    # the derived sympy expressions (Owen's T form, no cancellation at these points),
    # evaluated by lambdify + scipy, agree with the evaluator
    m = GoodhartSelection(**params)
    subs = {
        sp.Symbol(r"\rho", real=True): m["rho"],
        sp.Symbol("c", real=True): m["c"],
        sp.Symbol("q", positive=True): m["fraction"],
    }
    for name in NAMES:
        assert _numeric(m.expression(name).subs(subs)) == pytest.approx(m.value(name), rel=1e-12)


def test_derivation_objects():
    d = _derive()
    a = sp.Symbol("a", real=True)
    rho = sp.Symbol(r"\rho", real=True)
    assert sp.simplify(d.cond_mean - rho * a) == 0
    assert d.derivative_residual == 0
    assert set(d.deceptive) == set(CASES)
    assert isinstance(d.deceptive["general"].atoms(OwenT).pop(), OwenT)
    m = GoodhartSelection()
    general = m.general_expression("deceptive_probability")
    assert isinstance(general, sp.Piecewise) and len(general.args) == 4
    assert r"\operatorname{asin}" in m.latex("deceptive_probability")
    assert "T\\left(" in GoodhartSelection(c=1.0).latex("deceptive_probability")
    assert r"\Phi^{-1}(1 - q)" in m.latex("top_fraction_true_mean")
    text = m.derivation()
    for needle in ("Owen", "orthant", r"\varphi(c)", "Sheppard", "log-scaled", r"\rho = 1"):
        assert needle in text
    assert {r.key for r in m.references} == {"owen1956", "sheppard1899", "manheim2018"}
    assert m.curve_parameter == "rho"
    assert m.curve_range("rho") == (-0.99, 0.99)


@pytest.mark.parametrize(
    "params,name",
    [
        ({"rho": 1.01}, "rho"),
        ({"rho": -1.5}, "rho"),
        ({"rho": float("nan")}, "rho"),
        ({"c": float("inf")}, "c"),
        ({"c": "x"}, "c"),
        ({"fraction": 0.0}, "fraction"),
        ({"fraction": 1.2}, "fraction"),
        ({"zz": 1}, "zz"),
    ],
)
def test_bad_parameters_name_themselves(params, name):
    with pytest.raises(ParameterError) as info:
        GoodhartSelection(**params)
    assert info.value.parameter == name
    assert f"'{name}'" in str(info.value)


# -- simulation -----------------------------------------------------------------------


def test_validate_defaults():
    res = validate(GoodhartSelection(), paths=400_000, rng=2026)
    assert res.ok, res.to_dict()
    assert res.simulation.censored == 0
    assert set(res.comparisons) == set(NAMES)
    assert res.comparison_level == pytest.approx(1 - 0.001 / 5)


@settings(max_examples=5)
@given(
    st.floats(-0.99, 0.99),
    st.floats(-2.0, 2.0),
    st.floats(0.02, 1.0),
    st.integers(0, 2**32 - 1),
)
def test_validate_agrees_on_drawn_parameters(rho, c, q, seed):
    # c <= 2 and q >= 0.02 leave >= 2000 of the 100,000 candidates selected: the CLT
    # intervals of the conditional means are then accurate (the data are normal-tailed)
    res = validate(GoodhartSelection(rho=rho, c=c, fraction=q), paths=100_000, rng=seed)
    assert res.ok, res.to_dict()


@pytest.mark.parametrize(
    "c, q",
    [
        (2.5, 0.01),  # min(c, z_q) = 2.33 >= TAIL_FROM: proxies drawn from the normal tail
        (0.7, 0.4),  # 0 < min(c, z_q) < TAIL_FROM: half-normals, kept above it
        (-1.0, 0.9),  # min(c, z_q) = -1.28 < 0: the negative half drawn too
    ],
)
def test_validate_each_kernel_regime(c, q):
    # 400,000 candidates leave >= 2,400 selected at c = 2.5 (P(A > 2.5) = 0.0062)
    res = validate(GoodhartSelection(rho=0.7, c=c, fraction=q), paths=400_000, rng=31)
    assert res.ok, res.to_dict()


@pytest.mark.parametrize("rho", [1.0, -1.0])
def test_validate_degenerate_correlation(rho):
    res = validate(GoodhartSelection(rho=rho, c=-0.5), paths=100_000, rng=7)
    assert res.ok, res.to_dict()


def test_nothing_selected_gives_no_information():
    # c = 10: P(A > c) ~ 7.6e-24, no candidate passes; the conditional intervals are
    # the whole range, the deceptive count is 0
    res = validate(GoodhartSelection(c=10.0), paths=20_000, rng=5)
    assert res.ok
    assert res["false_pass_rate"].estimate.n == 0
    assert res["deceptive_probability"].estimate.estimate == 0.0
