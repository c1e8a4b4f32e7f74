"""Belief evolution: theory against independent routes and simulation.

Independent routes used here:
- mpmath quadrature (20 digits) of D(d) = int_0^inf phi(a - d) Phi(-rho a / s) da, and scipy's
  bivariate normal CDF (Genz), for the shifted orthant probability (the theory uses Owen's T);
- a grid solution of the mean-field recursion f_{t+1} = (1-mu) e^{beta a} f_t / Z + mu f_0 for
  the law of the signal alone (V | A is unchanged by tilting), for the age-weight sums;
- exact cases: Sheppard's orthant at beta = 0 (THEORY.md), mu = 0 (a pure shift g beta),
  mu = 1 (the prior);
- the published number of Eicher (2026): 0.105 +/- 0.041 at rho = 0.8.
Simulation checks use ``validate`` at 99.9% family-wise with fixed seeds.
"""

import json
import math

import driftkit.montecarlo.kernels.belief_evolution
import driftkit.theory.belief_evolution  # noqa: F401  (registers the model)
import mpmath
import numpy as np
import pytest
from driftkit.montecarlo import simulate, validate
from driftkit.montecarlo.app.cli import main
from driftkit.theory import ParameterError, get_model
from driftkit.theory.belief_evolution import (
    BeliefEvolution,
    _derive,
    mean_field_weights,
    shifted_deceptive,
)
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import special, stats

ORTHANT_08 = 0.25 - math.asin(0.8) / (2 * math.pi)  # 0.10241638..., Sheppard


def mp_shifted(rho, d):
    """D(d) = int_0^inf phi(a - d) Phi(-rho a / s) da at 20 digits."""
    with mpmath.workdps(20):
        rho, d = mpmath.mpf(rho), mpmath.mpf(d)
        s = mpmath.sqrt((1 - rho) * (1 + rho))
        return mpmath.quad(
            lambda a: mpmath.npdf(a - d) * mpmath.ncdf(-rho * a / s), [0, d, d + 4, mpmath.inf]
        )


def grid_mean_field(rho, beta, mu, g):
    """Mean-field fraction and mean signal by iterating the law of A on a grid (trapezoid)."""
    # 0 is a grid node: the deceptive integrand starts there
    a = np.concatenate(
        (np.linspace(-12.0, 0.0, 20_001), np.linspace(0.0, 12.0 + g * beta, 20_001)[1:])
    )
    f0 = np.exp(-0.5 * a * a) / math.sqrt(2 * math.pi)
    f = f0.copy()
    for _ in range(g):
        tilted = f * np.exp(beta * (a - a.max()))
        f = (1 - mu) * tilted / np.trapezoid(tilted, a) + mu * f0
    s = math.sqrt((1 - rho) * (1 + rho))
    pos = a >= 0
    frac = np.trapezoid(f[pos] * special.ndtr(-rho * a[pos] / s), a[pos])
    return frac, np.trapezoid(f * a, a)


# -- theory ---------------------------------------------------------------------------


@pytest.mark.parametrize("rho", [-1.0, -0.5, 0.0, 0.3, 0.8, 1.0])
def test_no_selection_is_sheppard(rho):
    # beta = 0, g = 0 or mu = 1: every belief keeps the prior law (THEORY.md orthant)
    ref = 0.25 - math.asin(rho) / (2 * math.pi)
    for params in ({"beta": 0.0}, {"generations": 0}, {"mu": 1.0}):
        m = BeliefEvolution(rho=rho, **params)
        assert m.value("deceptive_fraction") == pytest.approx(ref, abs=1e-16)
        assert m.value("deceptive_fraction_neutral") == pytest.approx(ref, abs=1e-16)
        assert m.value("mean_signal") == 0.0


def test_cli_theory_orthant(capsys):
    code = main(["theory", "belief-evolution", "--set", "beta=0", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code in (0, None)
    assert out["quantities"]["deceptive_fraction"]["value"] == pytest.approx(ORTHANT_08, 1e-15)
    assert out["quantities"]["deceptive_fraction"]["kind"] == "approximation"
    assert out["params"]["population"] == 400


@settings(max_examples=8)
@given(st.floats(-0.99, 0.99), st.floats(0.0, 8.0))
def test_shifted_orthant_matches_mpmath(rho, d):
    # 20-digit quadrature of the defining integral; absolute agreement to 1e-13
    assert shifted_deceptive(rho, d) == pytest.approx(float(mp_shifted(rho, d)), abs=1e-13)


@pytest.mark.parametrize("rho,d", [(0.8, 0.7), (-0.6, 1.5), (0.3, 3.0), (0.95, 0.2)])
def test_shifted_orthant_matches_scipy_bivariate_cdf(rho, d):
    # Genz: P(A > -d, V < -rho d) = P(V < -rho d) - P(A <= -d, V < -rho d)
    mvn = stats.multivariate_normal([0, 0], [[1, rho], [rho, 1]], abseps=1e-11, releps=1e-11)
    ref = special.ndtr(-rho * d) - mvn.cdf([-d, -rho * d])
    assert shifted_deceptive(rho, d) == pytest.approx(ref, abs=1e-9)


@pytest.mark.parametrize("d", [0.0, 0.4, 2.0])
def test_shifted_orthant_degenerate(d):
    # rho = 1: V = A, never deceptive; rho = -1: V = -A, deceptive iff A > -d; rho = 0: Phi(d)/2
    assert shifted_deceptive(1.0, d) == 0.0
    assert shifted_deceptive(-1.0, d) == pytest.approx(special.ndtr(d), rel=1e-15)
    assert shifted_deceptive(0.0, d) == pytest.approx(0.5 * special.ndtr(d), rel=1e-15)
    for r, ref in ((1 - 1e-9, 0.0), (-1 + 1e-9, special.ndtr(d)), (1e-12, special.ndtr(d) / 2)):
        assert shifted_deceptive(r, d) == pytest.approx(ref, abs=1e-4)


@settings(max_examples=6)
@given(st.floats(-0.9, 0.9), st.floats(0.0, 0.4), st.floats(0.0, 1.0), st.integers(0, 12))
def test_mean_field_matches_grid_recursion(rho, beta, mu, g):
    # the age-mixture solution against the recursion iterated on a grid (trapezoid, 1e-7)
    m = BeliefEvolution(rho=rho, beta=beta, mu=mu, generations=g)
    frac, signal = grid_mean_field(rho, beta, mu, g)
    assert m.value("deceptive_fraction") == pytest.approx(frac, abs=1e-7)
    assert m.value("mean_signal") == pytest.approx(signal, abs=1e-7)
    assert m.value("mean_true_value") == pytest.approx(rho * signal, abs=1e-7)


def test_weights_special_cases():
    # mu = 0: everything is age g (a pure shift g beta); mu = 1: everything fresh
    assert mean_field_weights(0.3, 0.0, 7) == pytest.approx(np.eye(8)[7])
    assert mean_field_weights(0.3, 1.0, 7) == pytest.approx(np.eye(8)[0])
    w = mean_field_weights(0.5, 0.2, 400)  # no overflow: beta^2 g^2 / 2 = 20,000
    assert w.sum() == pytest.approx(1.0, rel=1e-12) and w[0] == 0.2
    m = BeliefEvolution(rho=0.5, beta=0.2, mu=0.0, generations=10)
    assert m.value("deceptive_fraction") == pytest.approx(shifted_deceptive(0.5, 2.0), 1e-14)


@pytest.mark.parametrize("rho,far", [(0.8, 0.0), (0.0, 0.5), (-0.4, 1.0)])
def test_limit_is_approached(rho, far):
    # derived: E[R_g] -> mu * orthant + (1 - mu) D(inf); D(inf) = 0, 1/2, 1 by the sign of rho
    m = BeliefEvolution(rho=rho, beta=0.3, mu=0.3, generations=2000)
    lim = 0.3 * (0.25 - math.asin(rho) / (2 * math.pi)) + 0.7 * far
    assert m.value("deceptive_fraction_limit") == pytest.approx(lim, rel=1e-14)
    assert m.value("deceptive_fraction") == pytest.approx(lim, abs=1e-3)


def test_derivation_objects():
    d = _derive()
    assert d.residuals == (0, 0)
    assert str(d.log_prod_m) == "\\beta**2*k**2/2"
    m = BeliefEvolution()
    assert "T\\left(" in m.latex("deceptive_fraction")
    text = m.derivation()
    for needle in ("Sheppard", "Owen", "Tilting", "renewal", "e^{\\Lambda}", "house of cards"):
        assert needle in text or needle.lower() in text.lower()
    assert {r.key for r in m.references} == {"eicher2026", "sheppard1899", "owen1956"}
    assert m.curve_range("rho") == (-0.95, 0.95)
    assert get_model("belief-evolution") is BeliefEvolution


@pytest.mark.parametrize(
    "params,name",
    [
        ({"rho": 1.5}, "rho"),
        ({"beta": -0.1}, "beta"),
        ({"mu": 1.2}, "mu"),
        ({"population": 0}, "population"),
        ({"beliefs": 2.5}, "beliefs"),
        ({"generations": -1}, "generations"),
        ({"population": 10**6, "beliefs": 100}, "population"),
        ({"zz": 1}, "zz"),
    ],
)
def test_bad_parameters_name_themselves(params, name):
    with pytest.raises(ParameterError) as info:
        BeliefEvolution(**params)
    assert info.value.parameter == name
    assert f"'{name}'" in str(info.value)


def test_cli_bad_input_exits_2(capsys):
    assert main(["theory", "belief-evolution", "--set", "mu=2", "--json"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "'mu'" in err[0]


# -- simulation -----------------------------------------------------------------------


def test_cli_validate_defaults(capsys):
    code = main(["validate", "belief-evolution", "--paths", "300", "--seed", "3", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and out["ok"]
    names = {"deceptive_fraction", "mean_signal", "mean_true_value"}
    assert set(out["quantities"]) == names | {"deceptive_fraction_neutral"}
    assert all(out["quantities"][n]["tolerance"] > 0 for n in names)
    assert "tolerance" not in out["quantities"]["deceptive_fraction_neutral"]  # exact


def test_validate_without_selection_has_zero_tolerance():
    # beta = 0: exact for every N; 20,000 beliefs per run, 400 runs
    res = validate(BeliefEvolution(beta=0.0, population=200, beliefs=20), paths=400, rng=11)
    assert res.ok, res.to_dict()
    assert all(c.tolerance == 0.0 for c in res.comparisons.values())
    assert "deceptive_fraction_neutral" in res.comparisons


@settings(max_examples=5)
@given(
    st.floats(-0.9, 0.9),
    st.floats(0.0, 0.15),
    st.floats(0.05, 1.0),
    st.integers(1, 8),
    st.integers(2, 6),
    st.integers(0, 2**32 - 1),
)
def test_validate_agrees_on_drawn_parameters(rho, beta, mu, g, k, seed):
    m = BeliefEvolution(population=300, beliefs=k, rho=rho, beta=beta, mu=mu, generations=g)
    assert m.resolution <= 0.5  # beta^2 K g^2 <= 0.0225 * 6 * 64: always resolved here
    res = validate(m, paths=300, rng=seed)
    assert res.ok, res.to_dict()


def test_validate_refuses_unresolved_mean_field(capsys):
    # the paper's run: N = 300, K = 50, g = 100, no mutation; Lambda = 5000
    args = ["--set", "population=300", "--set", "beliefs=50", "--set", "mu=0"]
    args += ["--set", "generations=100"]
    assert main(["validate", "belief-evolution", *args, "--json"]) == 2
    assert "not resolved" in capsys.readouterr().err


def test_paper_rho_08():
    # Eicher (2026), level 1 at rho = 0.8: 300 models, 50 beliefs, 100 generations, no
    # mutation, beta = 5 on a mean signal (= 0.1 on the summed signal here), 50 runs:
    # deceptive fraction 0.105 +/- 0.041 (read as mean +/- SD over the runs: a population
    # fixed on one model of 50 beliefs has SD sqrt(p(1-p)/50) = 0.043).
    m = BeliefEvolution(population=300, beliefs=50, rho=0.8, beta=0.1, mu=0.0, generations=100)
    res = simulate(m, paths=200, rng=2026, level=0.95)
    est = res["deceptive_fraction"]
    sd = (est.ci_high - est.ci_low) / (2 * 1.959964) * math.sqrt(est.n)
    # the paper's mean has standard error 0.041/sqrt(50); ours sd/sqrt(200): 3 joint SEs
    assert abs(est.estimate - 0.105) < 3 * math.hypot(0.041 / math.sqrt(50), sd / math.sqrt(200))
    assert 0.034 < sd < 0.050  # the run-to-run spread, +-20% around 0.041 (n = 200)
    # and the infinite-population prediction does not apply there (fixation): ~0
    assert m.value("deceptive_fraction") < 1e-10 and m.resolution == math.inf


def test_censoring_and_thread_independence():
    m = BeliefEvolution(population=50, beliefs=4)
    cens = simulate(m, paths=16, rng=5, max_steps=10)
    assert cens.censored == 16 and cens.steps == 160
    e = cens["deceptive_fraction"]
    assert math.isnan(e.estimate) and (e.ci_low, e.ci_high) == (0.0, 1.0)
    one = simulate(m, paths=64, rng=9, threads=1)
    two = simulate(m, paths=64, rng=9, threads=2)
    assert one["mean_signal"] == two["mean_signal"]
    assert one.steps == 64 * 20


# -- issue 17, item 5: the mean field is flagged where a population does not resolve it ------


def test_warning_where_finite_populations_differ_from_the_mean_field(capsys):
    # rho=.6, beta=.3, mu=.2, g=50: mean signal 11.96 in the mean field, 1.4 to 1.9 in
    # simulations at N = 400 to 20,000 (issue 17's audit); r = inf there (Lambda ~ 1794)
    m = BeliefEvolution(rho=0.6, beta=0.3, mu=0.2, generations=50)
    assert m.value("mean_signal") == pytest.approx(11.962972059894, rel=1e-9)
    (line,) = m.warnings()
    assert "not resolved by population=400" in line
    assert m.to_dict()["warnings"] == [line]
    assert (
        main(
            [
                "theory",
                "belief-evolution",
                "--set",
                "rho=0.6",
                "--set",
                "beta=0.3",
                "--set",
                "mu=0.2",
                "--set",
                "generations=50",
            ]
        )
        == 0
    )
    err = capsys.readouterr().err
    assert err.startswith("driftkit: warning: belief-evolution:") and err.count("\n") == 1
    assert BeliefEvolution().warnings() == []  # defaults: r = 0.107 <= 0.5
    assert BeliefEvolution(beta=0.0, generations=50).warnings() == []  # no selection: exact


@settings(max_examples=25, deadline=None, derandomize=True)
@given(
    rho=st.one_of(st.sampled_from([-1.0, 0.0, 1.0]), st.floats(-1.0, 1.0)),
    beta=st.one_of(st.sampled_from([0.0, 1e8]), st.floats(0.0, 1e8)),
    mu=st.one_of(st.sampled_from([0.0, 1.0]), st.floats(0.0, 1.0)),
    generations=st.integers(0, 200),
)
def test_exact_quantities_finite_and_in_unit_interval(rho, beta, mu, generations):
    # issue 17 "Done when": the exact quantity (a probability) is in [0, 1]; the mean-field
    # fractions too, and no value is NaN
    m = BeliefEvolution(rho=rho, beta=beta, mu=mu, generations=generations)
    assert 0.0 <= m.value("deceptive_fraction_neutral") <= 1.0
    for name in ("deceptive_fraction", "deceptive_fraction_limit"):
        assert 0.0 <= m.value(name) <= 1.0
    for name in ("mean_signal", "mean_true_value"):
        assert not math.isnan(m.value(name))


def test_mean_field_weights_sum_to_one_under_extreme_selection():
    # At beta = 1e8 the tilt beta^2 (k + 1/2) is ~5e15: log(1 - mu) must not be lost to
    # rounding against it (it was: w = [0.25, 1.0] summed to 1.25 and the deceptive
    # fraction came out 1.125). The weights are a probability law, so they sum to 1.
    from driftkit.theory.belief_evolution import mean_field_weights

    for beta in (1e-3, 1.0, 1e4, 1e8, 1e150):
        w = mean_field_weights(beta, 0.25, 3)
        assert math.fsum(w) == pytest.approx(1.0, abs=1e-15)
    m = BeliefEvolution(rho=-1.0, beta=1e8, mu=0.25, generations=1)
    # rho = -1: D(0) = 1/2 (Sheppard), D(1e8) = Phi(1e8) = 1, weights (1/4, 3/4)
    assert m.value("deceptive_fraction") == pytest.approx(0.25 * 0.5 + 0.75 * 1.0, rel=1e-15)
