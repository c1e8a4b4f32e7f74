"""Clymer evolution toy model: mean-field theory against independent routes and simulation.

Independent routes used here:
- the mean-field recursion on the type distribution itself, integrated by Gauss-Jacobi
  quadrature on the Beta weight (scipy ``roots_jacobi``): after t steps every density
  ratio is a polynomial of degree <= t + 1 in p, so t // 2 + 2 nodes integrate it exactly;
- the closed form recomputed in mpmath at 30 digits (nu_k by its recurrence in mpf);
- exact special cases derived by hand: t = 0, t = 1 (only undetectable drifters stay
  misaligned), q = 0 (no removal: A_t = nu_t), q = 1 (everybody detectable: A_t = 1), and a
  single agent (N = 1: a detectable agent is always replaced by itself);
- a plain numpy simulator of the rules, written separately from the numba kernel.
Simulation checks use ``validate`` at 99.9% family-wise with fixed seeds.
"""

import json
import math

import driftkit.montecarlo.kernels.clymer_evolution
import driftkit.theory.clymer_evolution  # noqa: F401  (registers the model)
import mpmath
import numpy as np
import pytest
import sympy as sp
from driftkit.montecarlo import simulate, validate
from driftkit.montecarlo.app.cli import main
from driftkit.montecarlo.kernels.clymer_evolution import run_population
from driftkit.theory import ParameterError
from driftkit.theory.clymer_evolution import (
    ClymerEvolution,
    _derive,
    _log_nu_array,
    finite_n_allowance,
    variance_factors,
)
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import special, stats

SIMULATED = (
    "aligned_fraction",
    "undetectable_fraction",
    "mean_drift_probability",
    "undetectable_type_fraction",
)


def quadrature_mean_field(a, b, q, t):
    """The mean-field recursion on Gauss-Jacobi nodes (exact: see the module docstring)."""
    n = t // 2 + 2
    x, w = special.roots_jacobi(n, b - 1.0, a - 1.0)  # weight (1-x)^(b-1) (1+x)^(a-1)
    p = (x + 1.0) / 2.0
    w = w / w.sum()
    a1, a0, m0 = q * w, (1.0 - q) * w, np.zeros(n)  # aligned detectable/undetectable, misaligned
    for _ in range(t):
        removed = float((a1 * p).sum())
        n0 = a0 + m0  # survivors of undetectable type (all of them survive)
        survivors = float((a1 * (1.0 - p)).sum() + n0.sum())  # 1 - removed, no cancellation
        c = removed / survivors  # replacements per survivor
        a1 = a1 * (1.0 - p) * (1.0 + c)
        m0 = m0 + a0 * p
        a0 = a0 * (1.0 - p) + c * n0
    aligned = a1.sum() + a0.sum()
    return {
        "aligned_fraction": aligned,
        "undetectable_fraction": m0.sum(),
        "mean_drift_probability": ((a1 + a0) * p).sum() / aligned,
        "undetectable_type_fraction": (a0 + m0).sum(),
    }


def mp_mean_field(a, b, q, t):
    """The closed form at 30 digits (nu_{k+1} = nu_k (b + k)/(a + b + k) in mpf)."""
    with mpmath.workdps(30):
        a, b, q = mpmath.mpf(a), mpmath.mpf(b), mpmath.mpf(q)
        nu = [mpmath.mpf(1)]
        for k in range(t + 1):
            nu.append(nu[-1] * (b + k) / (a + b + k))
        mu = [nu[k] - nu[k + 1] for k in range(t + 1)]
        P = [1 / (1 - q + q * nu[k]) for k in range(t + 1)]
        dP = [P[k + 1] - P[k] for k in range(t)]
        aligned = q * P[t] * nu[t] + (1 - q) * (
            nu[t] + mpmath.fsum(dP[s] * nu[t - 1 - s] for s in range(t))
        )
        drift = q * P[t] * mu[t] + (1 - q) * (
            mu[t] + mpmath.fsum(dP[s] * mu[t - 1 - s] for s in range(t))
        )
        return {
            "aligned_fraction": aligned,
            "undetectable_fraction": 1 - aligned,
            "mean_drift_probability": drift / aligned,
            "undetectable_type_fraction": (1 - q) * P[t],
        }


def mp_nu(a, b, k):
    with mpmath.workdps(40):
        a, b = mpmath.mpf(a), mpmath.mpf(b)
        return mpmath.exp(
            mpmath.loggamma(a + b)
            + mpmath.loggamma(b + k)
            - mpmath.loggamma(b)
            - mpmath.loggamma(a + b + k)
        )


# -- theory ---------------------------------------------------------------------------


def test_defaults_against_mpmath():
    # 30-digit recomputation of the closed form: the evaluator keeps ~1e-15 relative
    m = ClymerEvolution()
    ref = mp_mean_field(0.2, 1.0, 0.9, 1000)
    for name in SIMULATED:
        assert m.value(name) == pytest.approx(float(ref[name]), rel=1e-13)
    # 0.75354323340272... (mpmath above); the post's figure shows ~75% aligned at 1000 steps
    assert m.value("aligned_fraction") == pytest.approx(0.7535432334027273, rel=1e-13)


@pytest.mark.parametrize(
    "a,b,q,t", [(3.0, 0.5, 0.3, 2000), (0.05, 2.0, 0.99, 3000), (0.2, 1.0, 0.9, 5000)]
)
def test_against_mpmath(a, b, q, t):
    m = ClymerEvolution(alpha=a, beta=b, detect_prob=q, steps=t)
    ref = mp_mean_field(a, b, q, t)
    for name in SIMULATED:
        assert m.value(name) == pytest.approx(float(ref[name]), rel=1e-13, abs=1e-300)


@settings(max_examples=25)
@given(
    st.floats(0.05, 20.0),
    st.floats(0.05, 20.0),
    st.floats(0.0, 1.0),
    st.integers(0, 300),
)
def test_closed_form_matches_quadrature_recursion(a, b, q, t):
    # the recursion on the type distribution, integrated exactly by Gauss-Jacobi quadrature:
    # an independent check of the derivation. scipy's nodes and weights themselves lose
    # digits when a shape parameter is near 0 (about 1e-8 relative at alpha = 0.05), hence
    # rel=1e-7 here; the evaluator's own accuracy is checked against mpmath above
    m = ClymerEvolution(alpha=a, beta=b, detect_prob=q, steps=t)
    ref = quadrature_mean_field(a, b, q, t)
    for name in ("aligned_fraction", "mean_drift_probability", "undetectable_type_fraction"):
        assert m.value(name) == pytest.approx(ref[name], rel=1e-7, abs=1e-300)
    assert m.value("undetectable_fraction") == pytest.approx(
        ref["undetectable_fraction"], rel=1e-7, abs=1e-12
    )
    # A + U = 1 (derived), the bound holds, W = (1 - q)/(1 - q + q nu_t)
    assert m.value("aligned_fraction") + m.value("undetectable_fraction") == pytest.approx(
        1.0, abs=1e-13
    )
    assert m.value("aligned_fraction_lower_bound") <= m.value("aligned_fraction") * (1 + 1e-12)
    nu = float(mp_nu(a, b, t))
    assert m.value("undetectable_type_fraction") == pytest.approx(
        (1 - q) / (1 - q + q * nu), rel=1e-13
    )


@settings(max_examples=25)
@given(st.floats(0.01, 100.0), st.floats(0.01, 100.0))
def test_log_nu_matches_mpmath(a, b):
    # Stirling's series beyond 10 keeps log(nu_k) to about eps * a * ln(b + k) absolute
    # (1e-14 relative to its size), where betaln differences lose ~1e-10 at k = 10^6
    ks = np.array([0, 1, 7, 10, 11, 333, 10**4, 10**6], dtype=np.float64)
    got = _log_nu_array(a, b, ks)
    for k, g in zip(ks, got, strict=True):
        ref = float(mpmath.log(mp_nu(a, b, int(k))))
        assert g == pytest.approx(ref, rel=1e-14, abs=2e-14 * (1 + a))


@pytest.mark.parametrize("a,b,q", [(0.2, 1.0, 0.9), (2.0, 5.0, 0.3), (0.7, 0.4, 0.0)])
def test_first_two_steps_by_hand(a, b, q):
    # t = 0: everybody aligned; the aligned agents' mean drift is the Beta mean a/(a+b)
    m0 = ClymerEvolution(alpha=a, beta=b, detect_prob=q, steps=0)
    assert m0.value("aligned_fraction") == 1.0
    assert m0.value("undetectable_fraction") == 0.0
    assert m0.value("mean_drift_probability") == pytest.approx(a / (a + b), rel=1e-14)
    assert m0.value("undetectable_type_fraction") == pytest.approx(1 - q, rel=1e-14)
    # t = 1: a mass (1-q) E[p] of undetectable agents drifts and stays; everything else is
    # aligned; the removed mass q E[p] is refilled by copies of the survivors
    m1 = m0.replace(steps=1)
    ep = a / (a + b)
    assert m1.value("aligned_fraction") == pytest.approx(1 - (1 - q) * ep, rel=1e-14)
    assert m1.value("undetectable_type_fraction") == pytest.approx(
        (1 - q) / (1 - q * ep), rel=1e-14
    )


@pytest.mark.parametrize("t", [1, 10, 1000, 10**5])
def test_no_detection_and_full_detection(t):
    # q = 0: nobody is removed, an agent is aligned iff it has not drifted: A_t = nu_t;
    # the aligned agents' p law is f(p)(1-p)^t / nu_t, mean mu_t/nu_t = a/(a + b + t)
    a, b = 0.3, 1.7
    m = ClymerEvolution(alpha=a, beta=b, detect_prob=0.0, steps=t)
    assert m.value("aligned_fraction") == pytest.approx(float(mp_nu(a, b, t)), rel=1e-14)
    assert m.value("undetectable_type_fraction") == 1.0
    assert m.value("mean_drift_probability") == pytest.approx(a / (a + b + t), rel=1e-13)
    # q = 1: every drifter is replaced, A_t = 1 and U_t = W_t = 0; same aligned p law
    m = m.replace(detect_prob=1.0)
    assert m.value("aligned_fraction") == pytest.approx(1.0, rel=1e-14)
    assert m.value("undetectable_fraction") == 0.0
    assert m.value("undetectable_type_fraction") == 0.0
    assert m.value("mean_drift_probability") == pytest.approx(a / (a + b + t), rel=1e-13)
    assert m.value("aligned_fraction_asymptotic") == 1.0


def test_extreme_parameters_stay_finite():
    # alpha = 100, t = 10^6: A_t ~ t^-100 underflows, but the drift mean is formed in log
    # space and equals its asymptote alpha (1 + q)/t to ~t^-alpha (derived)
    m = ClymerEvolution(alpha=100.0, beta=1.0, steps=10**6)
    assert m.value("aligned_fraction") == 0.0
    assert m.value("mean_drift_probability") == pytest.approx(100 * 1.9 / 10**6, rel=1e-3)
    m = ClymerEvolution(alpha=100.0, beta=100.0, detect_prob=1.0, steps=10**6)
    assert all(math.isfinite(v) for v in m.values().values())


@pytest.mark.parametrize("a,q", [(0.5, 0.5), (1.0, 0.3)])
def test_asymptotic_laws(a, q):
    # derived: A_t ~ Gamma(a+b)/(Gamma(b)(1-q)) t^-a and pbar_t ~ a(1+q)/t, with relative
    # corrections O(t^-a) (constants below 10 here: 0.46 and 2 for A_t, from these values)
    errs = []
    for t in (10**2, 10**4, 10**6):
        m = ClymerEvolution(alpha=a, detect_prob=q, steps=t)
        errs.append(
            (
                abs(m.value("aligned_fraction") / m.value("aligned_fraction_asymptotic") - 1),
                abs(
                    m.value("mean_drift_probability") / m.value("mean_drift_probability_asymptotic")
                    - 1
                ),
            )
        )
    for j in (0, 1):
        assert errs[2][j] < errs[1][j] < errs[0][j] < 0.1
        assert errs[2][j] < 20 * (10**6) ** (-a)


def test_lower_bound_is_tight_at_defaults():
    # A_t >= nu_t/(1 - q + q nu_t), within 0.55% at the defaults (largest gap near t = 40)
    for t in (1, 10, 40, 100, 1000, 10**4, 10**6):
        m = ClymerEvolution(steps=t)
        bound, exact = m.value("aligned_fraction_lower_bound"), m.value("aligned_fraction")
        assert bound <= exact
        assert bound > 0.9945 * exact


def test_sympy_expressions_evaluate_to_the_values():
    # the derived sympy expressions (gamma functions and finite sums), summed exactly at t = 4
    m = ClymerEvolution(alpha=0.7, beta=1.3, detect_prob=0.6, steps=4)
    subs = {
        sp.Symbol(r"\alpha", positive=True): sp.Rational(7, 10),
        sp.Symbol(r"\beta", positive=True): sp.Rational(13, 10),
        sp.Symbol("q", nonnegative=True): sp.Rational(3, 5),
        sp.Symbol("t", integer=True, positive=True): 4,
    }
    for q_ in m.quantities:
        expr = m.expression(q_.name).subs(subs).doit()
        assert float(sp.N(expr, 30)) == pytest.approx(m.value(q_.name), rel=1e-13)


def test_derivation_objects():
    d = _derive()
    a, b, q = (
        sp.Symbol(r"\alpha", positive=True),
        sp.Symbol(r"\beta", positive=True),
        sp.Symbol("q", nonnegative=True),
    )
    k = sp.Symbol("k", integer=True, nonnegative=True)
    t = sp.Symbol("t", integer=True, positive=True)
    nu_t = sp.Symbol(r"\nu_t", positive=True)
    assert d.boundary == (0, 0)
    assert (
        sp.simplify(d.nu - sp.gamma(a + b) * sp.gamma(b + k) / (sp.gamma(b) * sp.gamma(a + b + k)))
        == 0
    )
    assert sp.simplify(d.mu_over_nu - a / (a + b + k)) == 0
    assert d.y_step_residual == 0
    assert sp.simplify(d.P_t - 1 / (1 - q + q * nu_t)) == 0
    assert sp.simplify(d.P_inf - 1 / (1 - q)) == 0
    assert sp.simplify(d.drift_asymptotic - a * (1 + q) / t) == 0
    assert d.geometric_infinite == 1
    m = ClymerEvolution()
    text = m.derivation()
    for needle in ("rsolve", "Stirling", "generating function", "survivors", r"\kappa", "expm1"):
        assert needle in text
    assert {r.key for r in m.references} == {"clymer2025drift", "olver1974"}
    assert m.curve_parameter == "steps" and m.curve_log
    assert m.curve_range("steps") == (1, 10_000)
    assert m.quantity("aligned_fraction_asymptotic").kind == "asymptotic"
    assert m.quantity("aligned_fraction_lower_bound").bound
    assert r"\nu_k = \frac{\Gamma" in m.latex("aligned_fraction")


@pytest.mark.parametrize(
    "params,name",
    [
        ({"agents": 0}, "agents"),
        ({"agents": 2.5}, "agents"),
        ({"alpha": 0.0}, "alpha"),
        ({"beta": -1.0}, "beta"),
        ({"detect_prob": 1.5}, "detect_prob"),
        ({"detect_prob": float("nan")}, "detect_prob"),
        ({"steps": -1}, "steps"),
        ({"steps": 10**7}, "steps"),
        ({"zz": 1}, "zz"),
    ],
)
def test_bad_parameters_name_themselves(params, name):
    with pytest.raises(ParameterError) as info:
        ClymerEvolution(**params)
    assert info.value.parameter == name
    assert f"'{name}'" in str(info.value)


def test_allowance():
    # 2 kappa/N times the scale; kappa_nu = E[(1-p)^2t]/nu_t^2 (mpmath, defaults: ~3.78)
    m = ClymerEvolution()
    k_nu, k_mu = variance_factors(0.2, 1.0, 1000)
    ref = mp_nu(0.2, 1.0, 2000) / mp_nu(0.2, 1.0, 1000) ** 2
    assert k_nu == pytest.approx(float(ref), rel=1e-9)
    # kappa_mu = E[p^2 (1-p)^2t] / E[p (1-p)^t]^2 = B(a+2, b+2t) B(a, b) / B(a+1, b+t)^2
    with mpmath.workdps(30):
        a, b = mpmath.mpf("0.2"), mpmath.mpf(1)
        ref_mu = (
            mpmath.beta(a + 2, b + 2000) * mpmath.beta(a, b) / mpmath.beta(a + 1, b + 1000) ** 2
        )
    assert k_mu == pytest.approx(float(ref_mu), rel=1e-9)
    assert finite_n_allowance(m, "aligned_fraction") == pytest.approx(
        2 * k_nu / 10_000 * m.value("aligned_fraction"), rel=1e-12
    )
    assert finite_n_allowance(m, "undetectable_fraction") == finite_n_allowance(
        m, "aligned_fraction"
    )
    # a tiny population far from its mean field (N nu_t << 1): the allowance saturates at 1
    tiny = ClymerEvolution(agents=1, alpha=1.0, steps=10_000)
    assert finite_n_allowance(tiny, "aligned_fraction") == 1.0


# -- simulation -----------------------------------------------------------------------


def test_validate_defaults():
    res = validate(ClymerEvolution(), rng=2026)
    assert res.ok, res.to_dict()
    assert res.simulation.paths == 24 and res.simulation.censored == 0
    assert set(res.comparisons) == set(SIMULATED)
    assert 0 < res["aligned_fraction"].tolerance < 1e-3


@settings(max_examples=4)
@given(
    st.integers(200, 800),
    st.floats(0.1, 2.0),
    st.floats(0.5, 3.0),
    st.floats(0.0, 1.0),
    st.integers(1, 150),
    st.integers(0, 2**32 - 1),
)
def test_validate_agrees_on_drawn_parameters(n, a, b, q, t, seed):
    model = ClymerEvolution(agents=n, alpha=a, beta=b, detect_prob=q, steps=t)
    res = validate(model, paths=200, rng=seed)
    assert res.ok, res.to_dict()


def test_single_agent_is_exact():
    # N = 1: a detectable agent that drifts is removed and, with no survivor, replaced by a
    # copy of itself: it is aligned at every step end. So E[A] = q + (1-q) nu_t exactly, and
    # the pooled mean drift is (q a/(a+b) + (1-q) mu_t) / (q + (1-q) nu_t)
    a, b, q, t = 0.5, 1.0, 0.6, 30
    model = ClymerEvolution(agents=1, alpha=a, beta=b, detect_prob=q, steps=t)
    sim = simulate(model, 40_000, rng=11, level=0.999)
    nu = float(mp_nu(a, b, t))
    mu = nu * a / (a + b + t)
    assert sim["aligned_fraction"].contains(q + (1 - q) * nu)
    assert sim["mean_drift_probability"].contains(
        (q * a / (a + b) + (1 - q) * mu) / (q + (1 - q) * nu)
    )
    assert sim["undetectable_type_fraction"].contains(1 - q)


def reference_population(rng, n, a, b, q, t):
    """The rules, written plainly in numpy (no numba, no rejection sampling); returns the
    aligned, undetectable misaligned and undetectable-type shares and the aligned agents'
    summed drift probability over n, as counted."""
    p = rng.beta(a, b, n)
    det = rng.random(n) < q
    aligned = np.ones(n, dtype=bool)
    for _ in range(t):
        drift = aligned & (rng.random(n) < p)
        aligned &= ~drift
        removed = drift & det
        survivors = np.flatnonzero(~removed)
        idx = np.flatnonzero(removed)
        if idx.size:
            pool = survivors if survivors.size else np.arange(n)
            src = pool[rng.integers(0, pool.size, idx.size)]
            p[idx], det[idx] = p[src], det[src]
            aligned[idx] = True
    return aligned.mean(), (~aligned & ~det).mean(), (~det).mean(), p[aligned].sum() / n


def test_kernel_matches_reference_simulator():
    # N = 40, t = 15 (mean field off by O(kappa/N) here): the numba kernel and the plain
    # simulator agree in law, and the kernel's Rao-Blackwellised drift mass has the mean of
    # the counted one; two-sample z-tests on the four means at 99.9% (Bonferroni)
    n, a, b, q, t, reps = 40, 0.4, 1.0, 0.8, 15, 2000
    rng = np.random.default_rng(5)
    ref = np.array([reference_population(rng, n, a, b, q, t) for _ in range(reps)])
    gen = np.random.default_rng(6)
    ker = np.array([run_population(gen, n, a, b, q, t) for _ in range(reps)])
    z = stats.norm.ppf(1 - 0.001 / 8)
    for j in range(4):
        diff = ref[:, j].mean() - ker[:, j].mean()
        se = math.sqrt(ref[:, j].var(ddof=1) / reps + ker[:, j].var(ddof=1) / reps)
        assert abs(diff) <= z * se


def test_results_do_not_depend_on_threads():
    model = ClymerEvolution(agents=500, steps=50)
    one = simulate(model, 16, rng=3, threads=1)
    two = simulate(model, 16, rng=3, threads=2)
    for name in SIMULATED:
        assert one[name] == two[name]


def test_step_budget_censors_every_population():
    res = validate(ClymerEvolution(agents=100, steps=50), paths=8, rng=1, max_steps=10)
    assert res.simulation.censored == 8
    assert res.simulation.steps == 80
    assert res["aligned_fraction"].estimate.ci_low == 0.0
    assert res["aligned_fraction"].estimate.ci_high == 1.0
    assert res.ok


# -- CLI ------------------------------------------------------------------------------


def test_cli_theory_json(capsys):
    code = main(["theory", "clymer-evolution", "--set", "steps=1000", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code in (0, None)
    # 30-digit mpmath value of the closed form (test_defaults_against_mpmath)
    assert out["quantities"]["aligned_fraction"]["value"] == pytest.approx(
        0.7535432334027273, rel=1e-13
    )
    assert out["quantities"]["aligned_fraction_asymptotic"]["kind"] == "asymptotic"


def test_cli_validate_json(capsys):
    code = main(["validate", "clymer-evolution", "--seed", "4", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and out["ok"]
    assert out["paths"] == 24 and out["censored"] == 0
    assert out["quantities"]["aligned_fraction"]["tolerance"] > 0


@pytest.mark.parametrize(
    "arg,name",
    [
        ("detect_prob=2", "detect_prob"),
        ("agents=0", "agents"),
        ("steps=-3", "steps"),
        ("alpha=0", "alpha"),
    ],
)
def test_cli_bad_input(capsys, arg, name):
    code = main(["theory", "clymer-evolution", "--set", arg])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert len(err.splitlines()) == 1 and name in err


# -- issue 17, item 3: the asymptotic drift law at q = 1 and its order of error -------------


def test_drift_asymptotic_all_detectable_is_alpha_over_t():
    # q = 1: A_t = 1 and bar p_t = mu_t/nu_t = alpha/(alpha + beta + t) exactly, so the law
    # is alpha/t (the q < 1 law alpha (1 + q)/t would give twice that). Reference: the
    # rational alpha/(alpha + beta + t) = 2/1000007 at alpha=2, beta=5, t=10^6, by mpmath.
    m = ClymerEvolution(alpha=2.0, beta=5.0, detect_prob=1.0, steps=10**6)
    ref = float(mpmath.mpf(2) / 1000007)  # 1.9999860000979993e-06
    assert m.value("mean_drift_probability") == pytest.approx(ref, rel=1e-9)
    assert m.value("mean_drift_probability_asymptotic") == 2e-6  # alpha/t
    assert (
        sp.simplify(
            m.expression("mean_drift_probability_asymptotic")
            - sp.Symbol(r"\alpha", positive=True) / sp.Symbol("t", integer=True, positive=True)
        )
        == 0
    )
    general = m.general_expression("mean_drift_probability_asymptotic")
    assert isinstance(general, sp.Piecewise)
    d = _derive()
    assert (
        sp.simplify(
            d.drift_exact_all_detectable
            - d.mu_over_nu.subs(
                sp.Symbol("k", integer=True, nonnegative=True),
                sp.Symbol("t", integer=True, positive=True),
            )
        )
        == 0
    )
    # relative error O(1/t): (alpha + beta)/t = 7e-6 here
    assert 2e-6 / ref - 1 == pytest.approx(7 / 1000000, rel=1e-3)


def test_drift_asymptotic_error_falls_like_one_over_t_for_alpha_above_one():
    # Reference: the mean field at alpha=2, beta=5, q=0.7, t=1000 by an independent
    # 50-digit mpmath evaluation of the convolution with the rational Beta(2, 5) moments
    # nu_k = 30/((5+k)(6+k)), mu_k = 2 nu_k/(7+k) (direct sums, no logs, no Stirling).
    m = ClymerEvolution(alpha=2.0, beta=5.0, detect_prob=0.7, steps=1000)
    assert m.value("aligned_fraction") == pytest.approx(1.003203747115942948853168e-4, rel=1e-9)
    assert m.value("mean_drift_probability") == pytest.approx(
        3.371141837527327111004369e-3, rel=1e-9
    )
    # the relative error of alpha (1 + q)/t times t stays near 8.6 (1/t, not t^-alpha = t^-2)
    scaled = []
    for t in (1000, 10_000, 100_000):
        mt = m.replace(steps=t)
        err = mt.value("mean_drift_probability_asymptotic") / mt.value("mean_drift_probability")
        scaled.append((err - 1.0) * t)
    assert scaled[0] == pytest.approx(8.56, abs=0.01)  # from the 50-digit reference above
    assert scaled[1] == pytest.approx(scaled[0], rel=0.01)
    assert scaled[2] == pytest.approx(scaled[0], rel=0.01)
    assert "min(alpha, 1)" in m.quantity("mean_drift_probability_asymptotic").description
    assert "t^{-\\min(\\alpha, 1)}" in m.derivation()


_PROBABILITIES = (
    "aligned_fraction",
    "undetectable_fraction",
    "mean_drift_probability",
    "undetectable_type_fraction",
    "aligned_fraction_lower_bound",
)


@settings(max_examples=25, deadline=None, derandomize=True)
@given(
    alpha=st.one_of(st.sampled_from([0.01, 100.0, 1.0]), st.floats(0.01, 100.0)),
    beta=st.one_of(st.sampled_from([0.01, 100.0, 1.0]), st.floats(0.01, 100.0)),
    q_v=st.one_of(st.sampled_from([0.0, 1.0, 1e-12, 1 - 1e-12]), st.floats(0.0, 1.0)),
    steps=st.one_of(st.sampled_from([0, 1, 10**6]), st.integers(0, 10**6)),
)
def test_exact_quantities_finite_and_probabilities_in_unit_interval(alpha, beta, q_v, steps):
    # issue 17 "Done when": every exact quantity is finite, probabilities within [0, 1]
    m = ClymerEvolution(alpha=alpha, beta=beta, detect_prob=q_v, steps=steps)
    for q in m.quantities:
        if q.kind not in ("exact", "bound"):
            continue
        val = m.value(q.name)
        assert math.isfinite(val), (q.name, val)
        if q.name in _PROBABILITIES:
            assert 0.0 <= val <= 1.0, (q.name, val)
