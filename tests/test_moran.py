"""Moran process: theory against independent routes and simulation.

Independent routes used here:
- mpmath at 30 digits: the fixation probability (1 - r^-i)/(1 - r^-N) (Nowak 2006, eq. 6.2)
  and, for the mean times, the first-step linear systems themselves (tridiagonal, solved by
  elimination in mpmath): (T+ + T-) t_i - T+ t_{i+1} - T- t_{i-1} = 1 and the same with
  right-hand side phi_i for y_i = E[T; fixation] = phi_i tau_i, t_0 = t_N = y_0 = y_N = 0;
- published closed forms at r = 1: t_1 = N H_{N-1}, tau_1 = N(N - 1) (Ewens 2004, §2.10);
- the mirror symmetry (i, r) -> (N - i, 1/r) of the chain (residents are a variant of fitness 1/r);
- the sympy expressions (finite sums) evaluated exactly with rationals.
Simulation checks use ``validate`` at 99.9% family-wise with fixed seeds.
"""

import json
import math

import driftkit.montecarlo.kernels.moran
import driftkit.theory.moran  # noqa: F401  (registers the model)
import mpmath
import pytest
import sympy as sp
from driftkit.montecarlo import simulate, validate
from driftkit.montecarlo.app.cli import main
from driftkit.montecarlo.kernels.moran import MoranSimulator
from driftkit.theory import ParameterError, get_model
from driftkit.theory.moran import (
    Moran,
    _checks,
    _derive,
    diffusion_error_bound,
    diffusion_fixation_probability,
    extinction_probability,
    fixation_probability,
    mean_times,
)
from hypothesis import given, settings
from hypothesis import strategies as st

NAMES = (
    "fixation_probability",
    "mean_absorption_time",
    "mean_fixation_time",
    "diffusion_fixation_probability",
)


def mp_fixation(n, r, i, dps=30):
    """(1 - r^-i)/(1 - r^-N) at ``dps`` digits (i/N at r = 1); ``r`` a string or a double."""
    with mpmath.workdps(dps):
        r = mpmath.mpf(r)
        if r == 1:
            return mpmath.mpf(i) / n
        return (1 - r ** (-i)) / (1 - r ** (-n))


def mp_times(n, r, k, dps=30):
    """Mean absorption and conditional fixation times by solving the first-step equations."""
    with mpmath.workdps(dps):
        r = mpmath.mpf(r)

        def tp(i):
            return r * i / (r * i + n - i) * mpmath.mpf(n - i) / n

        def tm(i):
            return mpmath.mpf(n - i) / (r * i + n - i) * mpmath.mpf(i) / n

        def solve(rhs):  # tridiagonal elimination (Thomas), unknowns at states 1..N-1
            m = n - 1
            lower = [-tm(i) for i in range(1, n)]
            diag = [tp(i) + tm(i) for i in range(1, n)]
            upper = [-tp(i) for i in range(1, n)]
            cp, dp = [0] * m, [0] * m
            cp[0], dp[0] = upper[0] / diag[0], rhs[0] / diag[0]
            for j in range(1, m):
                piv = diag[j] - lower[j] * cp[j - 1]
                cp[j], dp[j] = upper[j] / piv, (rhs[j] - lower[j] * dp[j - 1]) / piv
            out = [0] * m
            out[-1] = dp[-1]
            for j in range(m - 2, -1, -1):
                out[j] = dp[j] - cp[j] * out[j + 1]
            return out

        phi = [mp_fixation(n, r, j, dps) for j in range(n + 1)]
        t = solve([mpmath.mpf(1)] * (n - 1))
        y = solve(phi[1:n])
        return t[k - 1], y[k - 1] / phi[k]


# -- theory: the done-when and the exact values ------------------------------------------


def test_cli_theory_done_when(capsys):
    # driftkit theory moran --set N=50 --set r=1.1 --set i0=1 --json equals the exact Moran
    # formula to 12 digits (mpmath at 30 digits, r = 1.1 as typed)
    code = main(["theory", "moran", "--set", "N=50", "--set", "r=1.1", "--set", "i0=1", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0
    assert out["params"] == {"N": 50, "r": 1.1, "i0": 1}
    value = out["quantities"]["fixation_probability"]["value"]
    assert value == pytest.approx(float(mp_fixation(50, "1.1", 1)), rel=1e-12, abs=0)
    assert out["quantities"]["diffusion_fixation_probability"]["kind"] == "approximation"
    assert (
        r"\phi_{i_0} = \frac{1 - r^{- i_{0}}}{1 - r^{- N}}"
        in (out["quantities"]["fixation_probability"]["latex"])
    )


@settings(max_examples=60)
@given(
    st.integers(2, 10**7),
    st.floats(1e-3, 1e3),
    st.floats(0.0, 1.0),
)
def test_fixation_matches_mpmath(n, r, frac):
    # mpmath at 30 digits with r the same double; overflow-free for huge N and r < 1
    i = min(n - 1, max(1, round(frac * n)))
    m = Moran(N=n, r=r, i0=i)
    ref = mp_fixation(n, r, i)
    assert m.value("fixation_probability") == pytest.approx(float(ref), rel=1e-12, abs=1e-300)
    with mpmath.workdps(30):  # 1 - phi directly, not by cancellation
        rr = mpmath.mpf(r)
        ext = (rr ** (-i) - rr ** (-n)) / (1 - rr ** (-n)) if rr != 1 else mpmath.mpf(n - i) / n
    assert extinction_probability(n, r, i) == pytest.approx(float(ext), rel=1e-12, abs=1e-300)


@settings(max_examples=30)
@given(st.integers(2, 60), st.floats(0.2, 5.0), st.floats(0.0, 1.0))
def test_times_match_mpmath_linear_solve(n, r, frac):
    # the Green's-function sums against the first-step equations solved at 30 digits
    i = min(n - 1, max(1, round(frac * n)))
    t, tau = mp_times(n, r, i)
    m = Moran(N=n, r=r, i0=i)
    assert m.value("mean_absorption_time") == pytest.approx(float(t), rel=1e-12)
    assert m.value("mean_fixation_time") == pytest.approx(float(tau), rel=1e-12)


@pytest.mark.parametrize("r", [1.0, 1 + 1e-13, 1 - 1e-13, 1.01, 0.99, 1.5])
@pytest.mark.parametrize("i", [1, 7])
def test_times_near_neutral_and_moderate(r, i):
    # includes r = 1 exactly (the neutral branch) and r within 1e-13 of it (the general
    # branch, expm1 keeps it accurate); reference: the linear solve at 40 digits
    t, tau = mp_times(40, r, i, dps=40)
    m = Moran(N=40, r=r, i0=i)
    assert m.value("mean_absorption_time") == pytest.approx(float(t), rel=1e-11)
    assert m.value("mean_fixation_time") == pytest.approx(float(tau), rel=1e-11)


@pytest.mark.parametrize("n", [10**5, 10**6])
def test_neutral_closed_forms_at_large_n(n):
    # Ewens (2004) §2.10: from one copy t_1 = N H_{N-1}, tau_1 = N (N - 1) (harmonic: mpmath)
    t, tau = mean_times(n, 1.0, 1)
    assert t == pytest.approx(float(n * mpmath.harmonic(n - 1)), rel=1e-13)
    assert tau == pytest.approx(n * (n - 1), rel=1e-13)
    # within 1e-12 of neutral the general branch agrees to first order in ln r
    t2, tau2 = mean_times(n, 1 + 1e-12, 1)
    assert t2 == pytest.approx(t, rel=1e-5) and tau2 == pytest.approx(tau, rel=1e-5)


def test_times_match_mpmath_at_n_1000():
    # a larger chain: the linear solve at 30 digits (about 0.5 s) for selection either way
    for r, i in ((1.01, 1), (0.995, 700)):
        t, tau = mp_times(1000, r, i)
        m = Moran(N=1000, r=r, i0=i)
        assert m.value("mean_absorption_time") == pytest.approx(float(t), rel=1e-11)
        assert m.value("mean_fixation_time") == pytest.approx(float(tau), rel=1e-11)


@settings(max_examples=20)
@given(st.integers(3, 10**5), st.floats(0.05, 20.0), st.floats(0.0, 1.0))
def test_mirror_symmetry(n, r, frac):
    # residents are a variant of fitness 1/r: (i, r) -> (N - i, 1/r) leaves the absorption
    # time unchanged and swaps fixation with loss; the conditional fixation time at r is
    # the conditional loss time of the mirror, (t - phi tau)/(1 - phi) there
    i = min(n - 1, max(1, round(frac * n)))
    t, tau = mean_times(n, r, i)
    tm_, taum = mean_times(n, 1 / r, n - i)
    assert t == pytest.approx(tm_, rel=1e-9)
    assert fixation_probability(n, r, i) == pytest.approx(
        extinction_probability(n, 1 / r, n - i), rel=1e-9, abs=1e-300
    )
    phim = fixation_probability(n, 1 / r, n - i)
    if 1e-3 < phim < 1 - 1e-3:  # the identity cancels where one outcome dominates
        assert tau == pytest.approx((tm_ - phim * taum) / (1 - phim), rel=1e-8)


def test_large_n_is_finite_and_fast():
    # O(N) sums in log space: N = 10^6, strong selection either way, no overflow or nan
    import time

    for r in (0.5, 1.05, 50.0):
        start = time.perf_counter()
        t, tau = mean_times(10**6, r, 10)
        assert math.isfinite(t) and math.isfinite(tau) and 0 < t and 0 < tau
        assert time.perf_counter() - start < 5.0


@pytest.mark.parametrize("r,rel", [(1.001, 0.002), (1.01, 0.01)])
def test_conditional_fixation_time_asymptotics(r, rel):
    # the classical large-N asymptotic of the diffusion (THEORY.md), (2/s)(ln(2 N_e s) +
    # gamma) generations, with N_e = N/2 for the Moran process and N events a generation;
    # its O(s) and O(1/(Ns)) corrections are below 1% here (N = 10^6)
    n, s = 10**6, r - 1
    _, tau = mean_times(n, r, 1)
    assert tau / n == pytest.approx((2 / s) * (math.log(n * s) + float(mpmath.euler)), rel=rel)


# -- the diffusion approximation and its proven error -------------------------------------


@settings(max_examples=80)
@given(st.integers(2, 10**6), st.floats(0.2, 5.0), st.floats(0.0, 1.0))
def test_exact_vs_diffusion_within_the_proven_bound(n, r, frac):
    # 0 <= phi_diff - phi <= min{phi (e^{(N-i) delta} - 1), (1 - phi)(1 - e^{-i delta})},
    # delta = r - 1 - ln r (derivation); both sides at 30 digits with mpmath, so the
    # comparison is not blurred by rounding
    i = min(n - 1, max(1, round(frac * n)))
    with mpmath.workdps(30):
        rr = mpmath.mpf(r)
        s = rr - 1
        diff = (1 - mpmath.exp(-s * i)) / (1 - mpmath.exp(-s * n)) if s != 0 else mpmath.mpf(i) / n
        gap = float(diff - mp_fixation(n, r, i))
    bound = diffusion_error_bound(n, r, i)
    assert -1e-300 <= gap <= bound * (1 + 1e-9) + 1e-300
    # the model's doubles agree with the 30-digit diffusion value
    assert diffusion_fixation_probability(n, r, i) == pytest.approx(float(diff), rel=1e-12)


@pytest.mark.parametrize("n,r", [(100, 1.05), (1000, 1.01), (50, 0.9), (20, 1.5)])
def test_bound_is_nearly_attained_for_one_copy(n, r):
    # from one copy the bound is within a factor 2 of the actual error (at the defaults
    # 1.151e-3 against 1.117e-3), so the check above is sharp and can fail
    m = Moran(N=n, r=r, i0=1)
    gap = m.value("diffusion_fixation_probability") - m.value("fixation_probability")
    assert 0.5 * m.diffusion_error_bound() < gap <= m.diffusion_error_bound()


@pytest.mark.parametrize("n,r,i", [(100, 1.05, 1), (1000, 1.01, 1), (50, 1.2, 5)])
def test_a_wrong_diffusion_fails_the_bound_check(n, r, i):
    # Kimura's haploid Wright-Fisher factor 2Ns (instead of Moran's Ns) breaks the bound:
    # the check above distinguishes the right diffusion from a factor-2 mistake
    s = r - 1
    wrong = (1 - math.exp(-2 * s * i)) / (1 - math.exp(-2 * s * n))
    assert wrong - fixation_probability(n, r, i) > diffusion_error_bound(n, r, i)


def test_exact_is_diffusion_at_log_r():
    # derivation: phi equals the diffusion formula with s replaced by ln r
    for n, r, i in ((50, 1.1, 1), (300, 0.97, 40)):
        a = math.log(r)
        assert fixation_probability(n, r, i) == pytest.approx(
            math.expm1(-a * i) / math.expm1(-a * n), rel=1e-13
        )


# -- the sympy expressions ---------------------------------------------------------------


@pytest.mark.parametrize(
    "params", [{"N": 12, "r": 1.25, "i0": 4}, {"N": 9, "r": 0.5, "i0": 8}, {"N": 10, "r": 1.0}]
)
def test_sympy_expressions_evaluate_to_the_values(params):
    # the derived expressions (finite sums) evaluated exactly with rationals
    m = Moran(**params)
    subs = {
        sp.Symbol("N", integer=True, positive=True): m["N"],
        sp.Symbol("r", positive=True): sp.Rational(m["r"]),
        sp.Symbol("i_0", integer=True, positive=True): m["i0"],
    }
    for name in NAMES:
        value = m.expression(name).subs(subs).doit()
        assert float(value) == pytest.approx(m.value(name), rel=1e-13)
        general = m.general_expression(name)
        assert isinstance(general, sp.Piecewise)


def test_derivation_objects():
    d = _derive()
    r = sp.Symbol("r", positive=True)
    assert d.ratio == 1 / r
    c = _checks()
    assert c.fixation_display == 0 and c.holding_unchanged == 0
    assert all(e == 0 for e in (*c.green_display, *c.htransform))
    assert c.diffusion_at_log_r == 0 and c.dlog_g == 0
    assert c.h_prime_plus_one == 0 and c.minus_h_prime == 0
    n, x, s = (
        sp.Symbol("N", integer=True, positive=True),
        sp.Symbol("x", positive=True),
        sp.Symbol("s", real=True),
    )
    # drift s x (1 - x)/N and variance 2 x (1 - x)/N^2 per event: 2 M / V = N s
    assert sp.simplify(2 * d.drift / d.variance - n * s) == 0
    assert sp.simplify(d.diffusion_eq - x) == 0
    m = Moran()
    text = m.derivation()
    for needle in ("rsolve", "dsolve", "h-transform", "generation", "overestimates", "Kimura"):
        assert needle in text
    assert {ref.key for ref in m.references} == {
        "moran1958",
        "kimura1962",
        "nowak2006",
        "ewens2004",
    }
    assert m.curve_parameter == "r" and m.curve_range("r") == (0.9, 1.2)
    assert m.curve_range("i0") == (0, 100)
    assert r"\phi{\left(\min" in m.latex("mean_absorption_time")
    assert get_model("moran") is Moran


@pytest.mark.parametrize(
    "params,name",
    [
        ({"N": 1}, "N"),
        ({"N": 2.5}, "N"),
        ({"N": 10**8}, "N"),
        ({"r": 0.0}, "r"),
        ({"r": -1.0}, "r"),
        ({"r": float("inf")}, "r"),
        ({"r": float("nan")}, "r"),
        ({"i0": 0}, "i0"),
        ({"i0": 100}, "i0"),
        ({"N": 5, "i0": 7}, "i0"),
        ({"zz": 1}, "zz"),
    ],
)
def test_bad_parameters_name_themselves(params, name):
    with pytest.raises(ParameterError) as info:
        Moran(**params)
    assert info.value.parameter == name
    assert f"'{name}'" in str(info.value)


def test_cli_bad_input_exits_2_with_one_line(capsys):
    code = main(["theory", "moran", "--set", "N=20", "--set", "i0=20"])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert len(err.splitlines()) == 1
    assert "'i0'" in err and "[1, 19]" in err
    code = main(["validate", "moran", "--set", "r=-2", "--json"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and "'r'" in err


# -- simulation --------------------------------------------------------------------------


def test_validate_defaults():
    res = validate(Moran(), rng=2026)
    assert res.ok, res.to_dict()
    assert res.simulation.censored == 0
    assert set(res.comparisons) == set(NAMES)
    assert res["diffusion_fixation_probability"].tolerance == pytest.approx(
        Moran().diffusion_error_bound()
    )
    assert res["fixation_probability"].tolerance == 0.0


def test_cli_validate_json(capsys):
    code = main(["validate", "moran", "--paths", "20000", "--seed", "3", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and out["ok"]
    assert out["quantities"]["diffusion_fixation_probability"]["tolerance"] > 0


@settings(max_examples=6)
@given(st.integers(2, 40), st.floats(0.7, 1.6), st.floats(0.0, 1.0), st.integers(0, 2**32 - 1))
def test_validate_agrees_on_drawn_parameters(n, r, frac, seed):
    i = min(n - 1, max(1, round(frac * n)))
    res = validate(Moran(N=n, r=r, i0=i), paths=20_000, rng=seed)
    assert res.ok, res.to_dict()


def test_step_budget_censors_and_stays_valid():
    # a budget below the typical fixation time: censored paths are counted, the time
    # intervals open above, and everything still agrees
    res = validate(Moran(N=30, r=1.0, i0=15), paths=20_000, rng=11, max_steps=500)
    assert res.simulation.censored > 1000
    assert res.ok, res.to_dict()
    assert math.isinf(res["mean_absorption_time"].estimate.ci_high)
    assert math.isinf(res["mean_fixation_time"].estimate.ci_high)
    fix = res["fixation_probability"].estimate
    assert fix.ci_high - fix.ci_low > res.simulation.censored / 20_000 * 0.9


def test_results_do_not_depend_on_threads():
    a = simulate(Moran(N=50, r=1.1), 8192, rng=5, threads=1)
    b = simulate(Moran(N=50, r=1.1), 8192, rng=5, threads=2)
    assert a.estimates == b.estimates and a.steps == b.steps


def test_tolerance_only_for_the_diffusion():
    sim = MoranSimulator()
    m = Moran(N=20, r=1.5)
    assert sim.tolerance(m, "fixation_probability") == 0.0
    assert sim.tolerance(m, "diffusion_fixation_probability") == diffusion_error_bound(20, 1.5, 1)
