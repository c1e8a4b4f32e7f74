"""Belief pool (Eicher 2026, Level 1): theory against independent routes and simulation.

Independent routes used here:
- scipy's bivariate normal CDF (Genz) and an mpmath quadrature (30 digits) of
  int_0^inf phi(a) Phi(-rho a / s) da for the orthant probability P(V < 0, A > 0)
  (the theory derives it in polar coordinates with sympy);
- scipy's adaptive quadrature (QUADPACK, nested) of the strong-selection integral (the
  theory uses Gauss-Legendre and a trapezoid), and its K = 1 case, a single integral;
- the reference simulator tests/reference/belief_pool.py (in test_reference_simulators);
- the published 2-D sweep of Eicher's repository (npz_data_for_llm/simulation_data_analysis.txt,
  "Level 1", mean_deceptive at beta = 5: 0.3217, 0.2544, 0.1795, 0.0773 at
  rho = 0, 0.3, 0.6, 0.9; 25 runs each).
Simulation checks use ``validate`` at 99.9% family-wise with fixed seeds, and small
sizes set through the parameters.
"""

import json
import math

import driftkit.montecarlo.kernels.belief_pool  # noqa: F401  (registers the simulator)
import mpmath
import numpy as np
import pytest
import sympy as sp
from driftkit.montecarlo import simulate, validate
from driftkit.montecarlo.app.cli import main
from driftkit.theory import ParameterError
from driftkit.theory.belief_pool import BeliefPool, _derive, active_questions, fittest_model_ratio
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, stats

#: small sizes for fast simulation (a run is about 0.1 ms)
SMALL = dict(pool_size=300, n_models=40, beliefs_per_model=10, n_questions=20, generations=20)


def mp_orthant(rho: float) -> mpmath.mpf:
    """P(V < 0, A > 0) = int_0^inf phi(a) Phi(-rho a / s) da, mpmath at 30 digits."""
    with mpmath.workdps(30):
        r = mpmath.mpf(rho)
        s = mpmath.sqrt(1 - r * r)
        return mpmath.quad(lambda a: mpmath.npdf(a) * mpmath.ncdf(-r * a / s), [0, mpmath.inf])


# -- theory ---------------------------------------------------------------------------


def test_polar_derivation_is_sheppard():
    d = _derive()
    rho = next(iter(d.orthant.free_symbols))
    # sympy's polar-coordinates result, with atan(rho/s) = asin(rho) (residual 0)
    assert d.angle_residual == 0
    assert sp.simplify(d.orthant - (sp.Rational(1, 4) - sp.asin(rho) / (2 * sp.pi))) == 0
    assert d.positive == sp.Rational(1, 2)


@pytest.mark.parametrize("rho", [-0.9, -0.3, 0.0, 0.3, 0.5, 0.8, 0.95])
def test_bracket_against_independent_routes(rho):
    m = BeliefPool(rho=rho)
    lower, upper = m.value("deceptive_ratio_lower"), m.value("deceptive_ratio_upper")
    # scipy (Genz): P(V < 0, A > 0) = P(V < 0) - P(V < 0, A < 0)
    genz = 0.5 - stats.multivariate_normal(mean=[0, 0], cov=[[1, rho], [rho, 1]]).cdf([0, 0])
    assert lower == pytest.approx(genz, abs=1e-7)  # Genz's default absolute accuracy
    assert lower == pytest.approx(float(mp_orthant(rho)), rel=1e-13)
    assert m.value("deceptive_ratio_initial") == lower
    # P(V < 0 | A > 0) = P(V < 0, A > 0) / P(A > 0), P(A > 0) = 1/2
    assert upper == pytest.approx(2 * float(mp_orthant(rho)), rel=1e-13)


def test_bracket_ends_are_not_labelled_bounds_and_the_ratio_is_an_approximation():
    kinds = {q.name: q.kind for q in BeliefPool.quantities}
    assert kinds == {
        "deceptive_ratio": "approximation",
        "deceptive_ratio_initial": "exact",
        # exact pool quantities; not "bound" (a rigorous inequality), since the bracket
        # fails for some parameters (test_bracket_fails_... below)
        "deceptive_ratio_lower": "exact",
        "deceptive_ratio_upper": "exact",
    }
    # the derivation says the bracket is not a rigorous inequality everywhere
    assert "Neither end is a rigorous inequality" in BeliefPool().derivation()


def test_strong_selection_against_adaptive_quadrature():
    # scipy's adaptive QUADPACK (quad inside quad) against the theory's fixed rules
    rho, n, k = 0.6, 300, 50
    sf, sig, s = 1 / math.sqrt(k), math.sqrt(1 - 1 / k), math.sqrt(1 - rho * rho)

    def share(f):  # R(f) = int_0^inf phi((a - f)/sig)/sig Phi(-rho a/s) da
        g = lambda a: stats.norm.pdf(a, f, sig) * stats.norm.cdf(-rho * a / s)  # noqa: E731
        return integrate.quad(g, 0, np.inf, epsabs=1e-12)[0]

    def dens(f):  # the fittest of n: n phi_k(f) Phi_k(f)^(n-1), in logs
        return n * stats.norm.pdf(f, 0, sf) * math.exp((n - 1) * stats.norm.logcdf(f / sf))

    ref = integrate.quad(lambda f: dens(f) * share(f), -1.0, 1.5, epsabs=1e-12, limit=200)[0]
    assert fittest_model_ratio(rho, n, k) == pytest.approx(ref, abs=1e-8)
    # K = 1: the fittest belief is the max M of n normals, E[1{M > 0} Phi(-rho M / s)]
    dens1 = lambda f: n * stats.norm.pdf(f) * stats.norm.cdf(f) ** (n - 1)  # noqa: E731
    ref1 = integrate.quad(lambda f: dens1(f) * stats.norm.cdf(-rho * f / s), 0, 10, limit=200)[0]
    assert fittest_model_ratio(rho, n, 1) == pytest.approx(ref1, abs=1e-8)


def test_neutral_cases_are_exact_and_the_rule_for_active_questions():
    for params in (dict(beta=0.0), dict(generations=0)):
        m = BeliefPool(rho=0.3, **params)
        assert m.value("deceptive_ratio") == 0.25 - math.asin(0.3) / (2 * math.pi)
    # the paper's rule max(1, int(n_q d)): 100 * 0.1 -> 10, 25 * 0.1 -> 2, 5 * 0.1 -> 1
    assert [active_questions(n, 0.1) for n in (100, 25, 5)] == [10, 2, 1]
    with pytest.raises(ParameterError, match="'beliefs_per_model'"):
        BeliefPool(pool_size=10, beliefs_per_model=11)


# -- simulation -----------------------------------------------------------------------


@settings(max_examples=6, deadline=None)
@given(
    rho=st.floats(-1.0, 1.0),
    n_models=st.integers(1, 30),
    k=st.integers(1, 12),
    density=st.sampled_from([0.05, 0.2, 1.0]),
    neutral=st.sampled_from(["beta", "generations"]),
)
def test_validate_without_selection_agrees(rho, n_models, k, density, neutral):
    params = dict(SMALL, rho=rho, n_models=n_models, beliefs_per_model=k)
    params["activation_density"] = density
    params["beta" if neutral == "beta" else "generations"] = 0.0 if neutral == "beta" else 0
    res = validate(BeliefPool(**params), paths=200, rng=11, threads=1, level=0.999)
    assert set(res.comparisons) == {"deceptive_ratio", "deceptive_ratio_initial"}
    assert res.ok, res.to_dict()


def test_validate_under_selection_checks_the_exact_quantity_only():
    # small sizes: outside the calibrated range, so the approximation is not compared
    m = BeliefPool(rho=0.4, **SMALL)
    assert not m.calibrated and m.warnings() and m.allowance("deceptive_ratio").value == 0
    res = validate(m, paths=200, rng=12, threads=1, level=0.999)
    assert set(res.comparisons) == {"deceptive_ratio_initial"} and res.ok


def test_validate_at_the_defaults_uses_the_calibrated_allowance():
    # the paper's sizes, beta g = 500: the approximation is compared with its allowance
    # 0.02 (measured at most 0.011; see BeliefPool.allowance); 200 runs give a half-width
    # of about 0.013, so the allowance is under 3 half-widths and the verdict is agree
    # (at 5,000 runs it would swamp the interval: inconclusive)
    m = BeliefPool()
    assert m.calibrated and not m.warnings()
    res = validate(m, paths=200, rng=13, level=0.999)
    assert res.ok, res.to_dict()
    assert res["deceptive_ratio"].tolerance == 0.02
    assert res["deceptive_ratio"].verdict == "agree"
    assert res["deceptive_ratio_initial"].verdict == "agree"
    big = validate(m, paths=5000, rng=13, level=0.999)
    assert big.ok and big["deceptive_ratio"].verdict == "inconclusive"


def test_paper_sizes_inside_the_bracket_and_decreasing_in_rho():
    # Eicher's Level-1 configuration at beta = 5, 120 runs per rho (about 0.2 s each).
    # rho <= 0.6: the 99.9% interval lies inside the bracket; rho = 0.9: the mean is
    # 0.0747 +- 0.0006 (4000 runs), just above the lower end 0.0718, so 120 runs only
    # show an interval that reaches into the bracket
    est = {}
    for rho in (0.0, 0.3, 0.6, 0.9):
        m = BeliefPool(rho=rho, generations=99)
        e = simulate(m, paths=120, rng=2026, level=0.999, threads=1)["deceptive_ratio"]
        lower, upper = m.value("deceptive_ratio_lower"), m.value("deceptive_ratio_upper")
        if rho <= 0.6:
            assert lower <= e.ci_low and e.ci_high <= upper, (rho, e)
        else:
            assert e.ci_high >= lower and e.ci_low <= upper, (rho, e)
        est[rho] = e.estimate
    assert est[0.0] > est[0.3] > est[0.6] > est[0.9]
    # the published means (simulation_data_analysis.txt, beta = 5): within 0.02 of ours
    # (their 25-run mean has standard error about 0.067/5 = 0.013 at rho = 0)
    published = {0.0: 0.321661, 0.3: 0.254397, 0.6: 0.179501, 0.9: 0.077325}
    for rho, value in published.items():
        assert abs(est[rho] - value) < 0.02, (rho, est[rho], value)


def test_bracket_fails_under_strong_selection_as_the_derivation_says():
    # K = 1, N = 300, rho = 0.9: the population fixes on the belief of largest A (about
    # 2.75), whose V is almost never negative; the lower end 0.0718 does not hold
    m = BeliefPool(rho=0.9, beta=15.0, beliefs_per_model=1, **{"n_questions": 20})
    e = simulate(m, paths=100, rng=3, level=0.999, threads=1)["deceptive_ratio"]
    assert e.ci_high < m.value("deceptive_ratio_lower")
    assert m.value("deceptive_ratio") < 1e-6  # the strong-selection value, 2e-7
    # rho = -0.5, K = 1: the upper end 2/3 fails (strong-selection value 0.948)
    m = BeliefPool(rho=-0.5, beta=15.0, beliefs_per_model=1, n_questions=20)
    e = simulate(m, paths=100, rng=3, level=0.999, threads=1)["deceptive_ratio"]
    assert e.ci_low > m.value("deceptive_ratio_upper")


def test_censoring_and_thread_independence():
    m = BeliefPool(**SMALL)
    cens = simulate(m, paths=8, rng=5, max_steps=10)
    assert cens.censored == 8 and cens.steps == 80
    e = cens["deceptive_ratio"]
    assert math.isnan(e.estimate) and (e.ci_low, e.ci_high) == (0.0, 1.0)
    one = simulate(m, paths=64, rng=9, threads=1)
    two = simulate(m, paths=64, rng=9, threads=3)
    assert one["deceptive_ratio"] == two["deceptive_ratio"]
    assert one.steps == 64 * 20


# -- command line ---------------------------------------------------------------------


def test_cli_theory_json(capsys):
    assert main(["theory", "belief-pool", "--set", "rho=0.6", "--json"]) in (0, None)
    out = json.loads(capsys.readouterr().out)
    q = out["quantities"]
    assert q["deceptive_ratio_lower"]["kind"] == q["deceptive_ratio_upper"]["kind"] == "exact"
    assert q["deceptive_ratio_lower"]["value"] == pytest.approx(float(mp_orthant(0.6)), 1e-13)
    assert out["params"]["n_models"] == 300 and out["params"]["pool_size"] == 3000


def test_cli_simulate_json(capsys):
    argv = ["simulate", "belief-pool", "--set", "rho=0.9", "--paths", "20", "--seed", "4"]
    assert main([*argv, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out["quantities"]) == {"deceptive_ratio", "deceptive_ratio_initial"}
    assert out["paths"] == 20 and out["censored"] == 0 and out["steps"] == 20 * 100


@pytest.mark.parametrize(
    "setting, name",
    [("rho=1.5", "rho"), ("beliefs_per_model=4000", "beliefs_per_model"), ("beta=-1", "beta")],
)
def test_cli_bad_input_exits_2(capsys, setting, name):
    assert main(["theory", "belief-pool", "--set", setting, "--json"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f"'{name}'" in err[0]


def test_reference_simulator_sample_is_consistent():
    # the plain-numpy reference (tests/reference/belief_pool.py) at beta = 0: mean ratio
    # equals the orthant probability (exact), here on 200 small runs at 4 standard errors
    import importlib.util
    from pathlib import Path

    path = Path(__file__).parent / "reference" / "belief_pool.py"
    spec = importlib.util.spec_from_file_location("ref_belief_pool", path)
    ref = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(ref)
    m = BeliefPool(rho=0.2, beta=0.0, **SMALL)
    out = ref.simulate(dict(m.params), 200, np.random.default_rng(1))["deceptive_ratio"]
    se = out.std(ddof=1) / math.sqrt(out.size)
    assert abs(out.mean() - m.value("deceptive_ratio")) < 4 * se
