"""Rare-event estimation: importance sampling and multilevel splitting against exact values.

Exact values used here come from routes that share no code with montecarlo/:
- gambler's ruin: P(hit hi before lo) = (1 - r^k)/(1 - r^N), r = q/p, k = x0 - lo,
  N = hi - lo (Feller, vol. I, XIV.2; THEORY.md), evaluated with mpmath at 50 digits;
- Brownian motion with drift: P(hit hi before lo) = (1 - e^{-c(x0-lo)})/(1 - e^{-c(hi-lo)}),
  c = 2 mu / sigma^2, and e^{c(hi-x0)} for lo = -inf (Karlin & Taylor 1981, 15.3;
  THEORY.md), mpmath at 50 digits;
- Ornstein-Uhlenbeck, P(reach hi before m) from m < x0 < hi: the ratio of scale functions
  S(x0)/S(hi), S(x) = int_m^x exp(theta (y - m)^2 / sigma^2) dy (Karlin & Taylor 1981,
  15.3: scale density exp(-int 2 b / sigma^2) for the drift b = -theta (x - m)), by
  mpmath quadrature, not by the Dawson function driftkit.theory.OrnsteinUhlenbeck evaluates its
  escape_probability with (the splitting estimate is compared with both);
- entropy ball: driftkit.theory.EntropyBall's return_probability (derived by sympy's dsolve and
  checked there against the classical (r^{2-d} - R^{2-d})/(a^{2-d} - R^{2-d})).
Every interval is at 99.9% family-wise, Bonferroni-corrected over the comparisons of the
test (hypothesis examples included), with fixed seeds: hypothesis is derandomized by the
conftest profile, so a test either fails every time or never.
"""

import json
import math

import mpmath
import numpy as np
import pytest
from driftkit.montecarlo import get_simulator, simulate
from driftkit.montecarlo.app.cli import main
from driftkit.montecarlo.engine.rare import MIN_ESS, UnreliableEstimateError
from driftkit.montecarlo.engine.stats import bonferroni, weighted_mean_estimate
from driftkit.theory import get_model
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

mpmath.mp.dps = 50
FAMILY = 0.999  # family-wise confidence of every test
EXAMPLES = 12  # hypothesis examples per property test

GamblersRuin = get_model("gamblers-ruin")
BrownianDrift = get_model("brownian-drift")
OrnsteinUhlenbeck = get_model("ornstein-uhlenbeck")
EntropyBall = get_model("entropy-ball")


def ruin_exact(p, q, lo, hi, x0):
    """Feller's gambler's-ruin formula in mpmath."""
    r = mpmath.mpf(q) / mpmath.mpf(p)
    return float((1 - r ** (x0 - lo)) / (1 - r ** (hi - lo)))


def drift_exact(mu, sigma, lo, hi, x0):
    """The classical exit probability of Brownian motion with drift, in mpmath."""
    c = 2 * mpmath.mpf(mu) / mpmath.mpf(sigma) ** 2
    if lo == -math.inf:
        return float(mpmath.exp(c * (hi - x0)))
    return float(-mpmath.expm1(-c * (x0 - lo)) / -mpmath.expm1(-c * (hi - lo)))


def ou_exact(theta, m, sigma, x0, hi):
    """P(reach hi before m) from m < x0 < hi: a ratio of scale functions, by quadrature."""
    k = mpmath.sqrt(theta) / sigma

    def scale(x):
        return mpmath.quad(lambda y: mpmath.exp((k * (y - m)) ** 2), [m, x])

    return float(scale(x0) / scale(hi))


def agree(e1, e2, level):
    """Two independent estimates agree: |difference| within the normal quantile of
    ``level`` times the standard error of the difference."""
    se = [(e.ci_high - e.ci_low) / (2 * stats.norm.ppf(0.5 + e.level / 2)) for e in (e1, e2)]
    z = stats.norm.ppf(0.5 + level / 2)
    return abs(e1.estimate - e2.estimate) <= z * math.hypot(*se)


# -- importance sampling: intervals contain the exact value ------------------------------


@st.composite
def negative_walks(draw):
    p = draw(st.floats(0.05, 0.45))
    q = draw(st.floats(p + 0.05, min(1.0 - p, 3.0 * p + 0.3)))
    hi = draw(st.integers(3, 40))
    x0 = draw(st.integers(1, hi - 1))
    return GamblersRuin(p=p, q=q, lo=0, hi=hi, x0=x0)


@settings(max_examples=EXAMPLES)
@given(model=negative_walks(), seed=st.integers(0, 2**32 - 1))
def test_importance_gamblers_ruin_contains_exact(model, seed):
    exact = ruin_exact(model["p"], model["q"], model["lo"], model["hi"], model["x0"])
    res = simulate(
        model, 20_000, seed, method="importance", level=bonferroni(FAMILY, EXAMPLES), threads=1
    )
    e = res["escape_probability"]
    assert res.censored == 0
    assert e.contains(exact), (exact, e)
    assert e.ess >= MIN_ESS and 0 <= e.relative_error < 0.1  # 0: every proposal path escaped
    # the identity of _stats.effective_sample_size: rel^2 = 1/ESS - 1/n (n - 1 vs n aside)
    assert e.relative_error**2 == pytest.approx(1 / e.ess - 1 / e.n, rel=1e-3)


@st.composite
def negative_diffusions(draw):
    mu = draw(st.floats(-2.0, -0.2))
    sigma = draw(st.floats(0.5, 2.0))
    hi = draw(st.floats(-3.0, 3.0))
    dist = draw(st.floats(0.2, 3.0))  # hi - x0
    one_sided = draw(st.booleans())
    lo = -math.inf if one_sided else hi - dist - draw(st.floats(0.2, 3.0))
    return BrownianDrift(mu=mu, sigma=sigma, lo=lo, hi=hi, x0=hi - dist, dt=0.01)


@settings(max_examples=EXAMPLES)
@given(model=negative_diffusions(), seed=st.integers(0, 2**32 - 1))
def test_importance_brownian_drift_contains_exact(model, seed):
    exact = drift_exact(model["mu"], model["sigma"], model["lo"], model["hi"], model["x0"])
    res = simulate(
        model, 10_000, seed, method="importance", level=bonferroni(FAMILY, EXAMPLES), threads=1
    )
    e = res["escape_probability"]
    assert res.censored == 0
    assert e.contains(exact), (exact, e)


def test_importance_reaches_the_issue_target():
    # the issue's benchmark point: P = 1.2179660359e-11 (Feller's formula above), < 2% error
    model = GamblersRuin(p=0.3, q=0.7, hi=30, x0=1)
    exact = ruin_exact(0.3, 0.7, 0, 30, 1)
    assert exact == pytest.approx(1.2179660359e-11, rel=1e-9)  # mpmath, 50 digits
    e = simulate(model, 100_000, 7, method="importance", level=FAMILY)["escape_probability"]
    assert e.contains(exact) and e.relative_error < 0.02
    assert abs(e.estimate / exact - 1) < 0.02


# -- naive and importance agree where both are feasible ------------------------------------


@pytest.mark.parametrize(
    "model",
    [
        GamblersRuin(p=0.4, q=0.5, hi=12, x0=4),  # P = 0.1064 (Feller's formula)
        BrownianDrift(mu=-0.5, sigma=1.0, lo=0.0, hi=2.0, x0=1.0, dt=0.01),  # P = 0.269
    ],
)
def test_naive_and_importance_agree(model):
    exact = (
        ruin_exact(model["p"], model["q"], 0, model["hi"], model["x0"])
        if model.name == "gamblers-ruin"
        else drift_exact(model["mu"], model["sigma"], model["lo"], model["hi"], model["x0"])
    )
    level = bonferroni(FAMILY, 3)  # three comparisons: naive, importance, their difference
    naive = simulate(model, 40_000, 11, level=level)["escape_probability"]
    tilted = simulate(model, 40_000, 12, method="importance", level=level)["escape_probability"]
    assert naive.contains(exact) and tilted.contains(exact)
    assert agree(naive, tilted, level)
    # the tilt pays: a smaller interval from the same number of paths
    assert tilted.ci_high - tilted.ci_low < naive.ci_high - naive.ci_low


def test_no_tilt_for_positive_drift_is_naive_with_weights_one():
    # p >= q: no adjustment coefficient, so the proposal is the walk itself and every
    # weight is 1; the ESS is then the number of escapes (Kish's ESS of indicators)
    model = GamblersRuin(p=0.5, q=0.4, hi=8, x0=3)
    res = simulate(model, 20_000, 3, method="importance", level=FAMILY)
    e = res["escape_probability"]
    assert e.ess == pytest.approx(e.estimate * e.n, rel=1e-12)
    assert e.contains(ruin_exact(0.5, 0.4, 0, 8, 3))


# -- splitting --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "params",
    [
        dict(theta=1.0, m=0.0, sigma=math.sqrt(2.0), x0=0.5, hi=4.7),  # P = 3.72e-5
        dict(theta=2.0, m=1.0, sigma=1.0, x0=1.3, hi=3.3),  # P = 7.06e-5
    ],
)
def test_splitting_ornstein_uhlenbeck_agrees_with_scale_functions(params):
    model = OrnsteinUhlenbeck(**params, dt=0.005)
    exact = ou_exact(params["theta"], params["m"], params["sigma"], params["x0"], params["hi"])
    assert 1e-5 < exact < 1e-4  # moderately rare: naive MC would need ~1e7 paths for 10%
    # the theory's escape_probability (erfi ratio via Dawson) against the mpmath quadrature
    theory = model.value("escape_probability")
    assert theory == pytest.approx(exact, rel=1e-12)
    res = simulate(model, 4_000, 5, method="splitting", level=bonferroni(FAMILY, 2))
    e = res["escape_probability"]
    assert res.censored == 0
    assert e.contains(exact) and e.contains(theory), (exact, theory, e)
    assert e.relative_error < 0.1


def test_splitting_entropy_ball_agrees_with_theory():
    model = EntropyBall(d=8, sigma=1.0, a=0.25, R=3.0, r0=1.0)
    exact = model.value("return_probability")  # 2.438e-4 = (r^-6 - R^-6)/(a^-6 - R^-6)
    res = simulate(model, 4_000, 9, method="splitting", level=FAMILY)
    e = res["return_probability"]
    assert e.contains(exact), (exact, e)
    assert e.relative_error < 0.1


# -- refusal, bookkeeping, determinism ----------------------------------------------------


def test_refuses_when_the_effective_sample_size_is_too_small():
    model = OrnsteinUhlenbeck(x0=0.5, hi=5.0)
    with pytest.raises(UnreliableEstimateError, match="'paths'") as info:
        simulate(model, 50, 1, method="splitting")
    refused = info.value.result["escape_probability"]
    assert refused.ess < MIN_ESS  # the refused numbers are kept for inspection only
    assert isinstance(info.value, ValueError)  # so the CLI treats it as bad input


def test_refuses_when_no_path_reaches_the_event():
    # hi = 30 cannot be reached from 1 in 20 steps: every path is censored, no hit at all
    model = GamblersRuin(p=0.3, q=0.7, hi=30, x0=1)
    with pytest.raises(UnreliableEstimateError, match="no path reached"):
        simulate(model, 5_000, 1, method="importance", max_steps=20)


def test_censored_paths_widen_the_interval_upwards():
    # tilted walk: drift +0.4 per step, 22.5 steps to hi on average; a 30-step budget cuts
    # some paths; they count 0 in the estimate and their weight so far in ci_high
    model = GamblersRuin(p=0.3, q=0.7, hi=10, x0=1)
    exact = ruin_exact(0.3, 0.7, 0, 10, 1)
    res = simulate(model, 20_000, 2, method="importance", max_steps=30, level=FAMILY)
    e = res["escape_probability"]
    assert res.censored > 0
    assert e.estimate < exact <= e.ci_high


def test_method_not_offered_names_the_parameter():
    with pytest.raises(ValueError, match=r"'method'.*naive, importance"):
        simulate(GamblersRuin(), 1_000, 1, method="splitting")
    with pytest.raises(ValueError, match=r"'method'.*naive, splitting"):
        simulate(OrnsteinUhlenbeck(x0=0.5, hi=3.0), 1_000, 1, method="importance")
    with pytest.raises(ValueError, match="'x0'"):  # splitting needs m < x0
        simulate(OrnsteinUhlenbeck(x0=-0.5, hi=3.0), 1_000, 1, method="splitting")
    assert get_simulator("gamblers-ruin").methods == ("naive", "importance")
    assert get_simulator("entropy-ball").methods == ("naive", "splitting")


@pytest.mark.parametrize(
    "model,method",
    [
        (GamblersRuin(p=0.3, q=0.7, hi=20, x0=2), "importance"),
        (BrownianDrift(mu=-1.0, lo=0.0, hi=3.0, x0=1.0), "importance"),
        (OrnsteinUhlenbeck(x0=0.5, hi=2.5), "splitting"),
        (EntropyBall(d=4, a=0.3, R=3.0, r0=1.0), "splitting"),
    ],
)
def test_bit_identical_across_thread_counts(model, method):
    paths = 4 * get_simulator(model).runner(method).min_chunk_paths + 3  # several chunks
    one = simulate(model, paths, 123, method=method, threads=1)
    two = simulate(model, paths, 123, method=method, threads=2)
    assert one.chunks > 1
    assert one.estimates == two.estimates
    assert (one.steps, one.censored) == (two.steps, two.censored)


def test_weighted_mean_estimate_by_hand():
    # contributions 0, 0, 1, 3: mean 1, sample variance (10 - 4)/3 = 2, se = sqrt(2/4),
    # Kish's ESS = 4^2/10 = 1.6 (computed by hand)
    e = weighted_mean_estimate(4.0, 10.0, 4, 0.95, scale=1e-20)
    assert e.estimate == pytest.approx(1e-20)
    assert e.relative_error == pytest.approx(math.sqrt(0.5))
    assert e.ess == pytest.approx(1.6)
    half = stats.norm.ppf(0.975) * math.sqrt(0.5)
    assert e.ci_high == pytest.approx(1e-20 * (1 + half))
    assert e.ci_low == 0.0  # clipped at 0


def test_cli_importance_json_and_refusal(capsys):
    code = main(
        [
            "simulate",
            "gamblers-ruin",
            *("--set", "p=0.3", "--set", "q=0.7", "--set", "hi=30", "--set", "x0=1"),
            *("--method", "importance", "--paths", "20000", "--seed", "1", "--json"),
        ]
    )
    out, err = capsys.readouterr()
    assert code == 0 and err == ""
    data = json.loads(out)
    q = data["quantities"]["escape_probability"]
    assert data["method"] == "importance" and set(data["quantities"]) == {"escape_probability"}
    assert {"estimate", "ci_low", "ci_high", "n", "relative_error", "ess"} <= set(q)
    assert q["ci_low"] <= ruin_exact(0.3, 0.7, 0, 30, 1) <= q["ci_high"]

    code = main(
        [
            "simulate",
            "ornstein-uhlenbeck",
            *("--set", "x0=0.5", "--set", "hi=5"),
            *("--method", "splitting", "--paths", "50", "--seed", "1"),
        ]
    )
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "refused" in lines[0] and "--paths" in lines[0]

    code = main(["simulate", "gamblers-ruin", "--method", "splitting"])
    out, err = capsys.readouterr()
    assert code == 2 and "'method'" in err and len(err.strip().splitlines()) == 1


def test_naive_json_has_no_rare_event_keys(capsys):
    code = main(["simulate", "gamblers-ruin", "--paths", "5000", "--seed", "1", "--json"])
    out, _ = capsys.readouterr()
    q = json.loads(out)["quantities"]["escape_probability"]
    assert code == 0 and "ess" not in q and "relative_error" not in q
    assert np.isfinite(q["estimate"])
