"""Rigorous bounds (theory/bounds.py) are never below the probabilities they bound.

Independent routes for the exact values: the trinomial law of the free lattice walk
(``scipy.stats.binom``, summed over the number of moves), a dynamic programme over
the walk's distribution (numpy) for maxima and line crossings, the exact Gaussian
tail (``scipy.stats.norm``) and the one-sided passage law of Brownian motion (the
model's own exact quantities, checked in test_brownian_drift.py), and, for a
Gaussian random walk whose passage probability has no closed form, the upper
Clopper-Pearson limit of a plain numpy simulation with a fixed seed. Hypothesis
draws the parameters (derandomized in conftest).
"""

import json
import math

import numpy as np
import pytest
import sympy as sp
from driftkit.montecarlo import get_simulator
from driftkit.montecarlo.app.cli import main
from driftkit.theory import BrownianDrift, GamblersRuin, ParameterError, bounds
from driftkit.theory.brownian_drift import _derive_bounds as _bm_bounds
from driftkit.theory.gamblers_ruin import _derive_bounds as _gr_bounds
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

INF = math.inf
GR_BOUNDS = (
    "lundberg_bound",
    "chernoff_bound",
    "hoeffding_bound",
    "maximal_bound",
    "time_uniform_bound",
)
BM_BOUNDS = ("lundberg_bound", "chernoff_bound", "maximal_bound", "time_uniform_bound")
# Rounding allowance where a bound is attained (d = t for Chernoff, the one-sided
# passage for Lundberg): both sides are computed to ~1e-15, by different routes.
REL = 1e-9


def at_least(bound: float, exact: float) -> bool:
    return bound >= exact * (1 - REL) - 1e-300


# -- exact values of the free lattice walk -------------------------------------------
def endpoint_tail(pv, qv, d, t):
    """P(S_t - x0 >= d) exactly: M ~ Bin(t, p+q) moves, U | M ~ Bin(M, p/(p+q)) up-steps,
    and S_t - x0 = 2U - M."""
    if pv == 0:
        return 0.0
    m = np.arange(t + 1)
    need = np.ceil((m + d) / 2)  # U >= (M + d)/2
    up = pv / (pv + qv)
    return float(np.sum(stats.binom.pmf(m, t, pv + qv) * stats.binom.sf(need - 1, m, up)))


def crossing_probability(pv, qv, d, slope, horizon):
    """P(S_k - x0 >= d + slope k for some 1 <= k <= horizon), by propagating the law of
    the walk (numpy) and removing the mass that reaches the moving level."""
    h = 1.0 - pv - qv
    off = horizon + 1  # index of position 0
    size = off + math.ceil(d + max(slope, 0.0) * horizon) + 2
    law = np.zeros(size)
    law[off] = 1.0
    absorbed = 0.0
    for k in range(1, horizon + 1):
        new = h * law
        new[1:] += pv * law[:-1]
        new[:-1] += qv * law[1:]
        level = off + math.ceil(d + slope * k - 1e-12)
        if level < size:
            absorbed += new[max(level, 0) :].sum()
            new[max(level, 0) :] = 0.0
        law = new
    return absorbed


@st.composite
def walks(draw, max_t=120):
    pv = draw(st.floats(0.0, 1.0))
    qv = draw(st.floats(0.0, 1.0 - pv))
    if pv + qv < 0.05:
        qv = 0.05
    lo = draw(st.integers(-20, 0))
    x0 = lo + draw(st.integers(1, 20))
    hi = x0 + draw(st.integers(1, 40))
    t = draw(st.integers(1, max_t))
    slope = draw(st.floats(-0.5, 1.2))
    return GamblersRuin(p=pv, q=qv, lo=lo, hi=hi, x0=x0, t=t, slope=slope)


# -- gamblers-ruin --------------------------------------------------------------------
@given(walks())
def test_lundberg_bounds_escape_and_is_the_one_sided_passage(model):
    pv, qv, d = model["p"], model["q"], model["hi"] - model["x0"]
    bound = model.value("lundberg_bound")
    assert at_least(bound, model.value("escape_probability"))
    # the +-1 walk meets hi without overshoot, so with no lower barrier the passage
    # probability is exactly (p/q)^d (Feller XIV.2, the limit lo -> -inf) when p < q
    one_sided = (pv / qv) ** d if pv < qv else 1.0
    assert bound == pytest.approx(one_sided, rel=1e-12, abs=1e-300)


@given(walks())
def test_chernoff_and_hoeffding_bound_the_endpoint_tail(model):
    pv, qv, d, t = model["p"], model["q"], model["hi"] - model["x0"], model["t"]
    exact = endpoint_tail(pv, qv, d, t)
    chernoff, hoeffding = model.value("chernoff_bound"), model.value("hoeffding_bound")
    assert at_least(chernoff, exact)
    assert at_least(hoeffding, exact)
    # Chernoff takes the infimum of the exact exponent, Hoeffding of an upper bound of it
    assert chernoff <= hoeffding * (1 + REL)


@given(walks())
def test_maximal_bound_bounds_the_running_maximum(model):
    pv, qv, d, t = model["p"], model["q"], model["hi"] - model["x0"], model["t"]
    exact = crossing_probability(pv, qv, d, 0.0, t)  # max_{k <= t} S_k - x0 >= d
    maximal = model.value("maximal_bound")
    assert at_least(maximal, exact)
    # the infimum over theta includes theta* (Lundberg) and sits above the endpoint bound
    assert maximal <= model.value("lundberg_bound") * (1 + REL)
    assert maximal >= model.value("chernoff_bound") * (1 - REL)


@settings(max_examples=40)
@given(walks())
def test_time_uniform_bound_bounds_the_line_crossing(model):
    pv, qv, d, c = model["p"], model["q"], model["hi"] - model["x0"], model["slope"]
    bound = model.value("time_uniform_bound")
    mu = pv - qv
    if c <= mu:
        assert bound == 1.0
        return
    # The exact probability of crossing the line within `horizon` steps (dynamic programme
    # over the walk's law) is a lower estimate of P(cross at some k >= 1), which the bound
    # must exceed; a longer horizon only raises it, so the check is never vacuous.
    horizon = 3000
    exact = crossing_probability(pv, qv, d, c, horizon)
    assert at_least(bound, exact)


def test_time_uniform_at_slope_zero_is_lundberg():
    m = GamblersRuin(p=0.3, q=0.6, hi=12, x0=4, slope=0.0)
    # theta_l solves K = 0: the adjustment coefficient log(q/p) = log 2, found numerically
    assert m.value("time_uniform_bound") == pytest.approx(m.value("lundberg_bound"), rel=1e-13)
    assert m.value("lundberg_bound") == pytest.approx(0.5**8, rel=1e-14)  # (p/q)^(hi - x0)


def test_issue_example_escape_is_below_lundberg():
    # issue 7: P ~ 1.2e-11 at p=0.3, q=0.7, hi=30, x0=1; Lundberg gives (3/7)^29
    m = GamblersRuin(p=0.3, q=0.7, hi=30, x0=1)
    assert m.value("escape_probability") == pytest.approx(1.2179660e-11, rel=1e-7)
    assert m.value("lundberg_bound") == pytest.approx((3 / 7) ** 29, rel=1e-13)


def test_bounds_are_overflow_safe():
    m = GamblersRuin(p=0.45, q=0.55, lo=-(10**6), hi=10**6, x0=0, t=10**9, slope=-0.099)
    vals = {n: m.value(n) for n in GR_BOUNDS}
    # exponents of order -10^3 to -10^6 underflow to 0 instead of failing (the level
    # 10^6 lies far above the mean -10^8 at t = 10^9)
    assert all(v == 0.0 for v in vals.values()), vals
    near = GamblersRuin(p=0.49, q=0.51, hi=10**6, x0=1, t=10**6)  # d = t - 1: just reachable
    assert 0.0 <= near.value("chernoff_bound") < 1e-300
    # a bound of 1e-200 is still a normal float: (p/q)^d in log space
    m = GamblersRuin(p=0.1, q=0.9, hi=210, x0=0, lo=-1)
    assert m.value("lundberg_bound") == pytest.approx(9.0**-210, rel=1e-12)


def test_edge_cases_of_the_step_law():
    # p = 0: the walk never climbs; p = q: no negative drift, Lundberg is trivial;
    # d = t: t up-steps needed, Chernoff's infimum is p^t, the exact value
    assert GamblersRuin(p=0.0, q=0.5).value("lundberg_bound") == 0.0
    assert GamblersRuin(p=0.0, q=0.5).value("maximal_bound") == 0.0
    assert GamblersRuin(p=0.3, q=0.3).value("lundberg_bound") == 1.0
    m = GamblersRuin(p=0.3, q=0.5, hi=10, x0=4, t=6)
    assert m.value("chernoff_bound") == pytest.approx(0.3**6, rel=1e-13)
    assert m.value("maximal_bound") == pytest.approx(0.3**6, rel=1e-13)
    assert GamblersRuin(hi=10, x0=4, t=5).value("chernoff_bound") == 0.0  # out of reach
    assert GamblersRuin(slope=1.0).value("time_uniform_bound") == 0.0  # cannot climb


# -- brownian-drift -------------------------------------------------------------------
@st.composite
def motions(draw):
    muv = draw(st.floats(-2.0, 1.0))
    sv = draw(st.floats(0.2, 3.0))
    one_sided = draw(st.booleans())
    lo = -INF if one_sided else -draw(st.floats(0.1, 5.0))
    hi = draw(st.floats(0.1, 5.0))
    t = draw(st.floats(0.05, 50.0))
    slope = draw(st.floats(-1.0, 3.0))
    return BrownianDrift(mu=muv, sigma=sv, lo=lo, hi=hi, x0=0.0, t=t, slope=slope)


@settings(max_examples=50)
@given(motions())
def test_brownian_bounds_are_at_least_the_exact_values(model):
    muv, sv, d, t, c = (model[k] for k in ("mu", "sigma", "hi", "t", "slope"))
    free = model.replace(lo=-INF)
    # Lundberg: exact (continuous paths, no overshoot) for the one-sided passage
    assert at_least(model.value("lundberg_bound"), model.value("escape_probability"))
    assert model.value("lundberg_bound") == pytest.approx(
        free.value("escape_probability"), rel=1e-12
    )
    # Chernoff: X_t - x0 ~ N(mu t, sigma^2 t), the exact Gaussian tail
    tail = stats.norm.sf((d - muv * t) / (sv * math.sqrt(t)))
    assert at_least(model.value("chernoff_bound"), tail)
    # maximal: the one-sided passage law by time t (inverse Gaussian), and a fortiori
    # the two-barrier escape by time t
    assert at_least(model.value("maximal_bound"), free.value("escape_by_time"))
    assert at_least(model.value("maximal_bound"), model.value("escape_by_time"))
    # time-uniform line: the passage of the motion with drift mu - c, also exact
    exact_line = BrownianDrift(mu=muv - c, sigma=sv, lo=-INF, hi=d, x0=0.0)
    assert model.value("time_uniform_bound") == pytest.approx(
        exact_line.value("escape_probability"), rel=1e-12
    )


def test_brownian_bounds_are_derived_not_typed():
    eb = _bm_bounds().exponential
    mu, sigma = sp.Symbol(r"\mu", real=True), sp.Symbol(r"\sigma", positive=True)
    theta, c = bounds.THETA, bounds.SLOPE
    assert sp.simplify(eb.mgf - sp.exp(mu * theta + sigma**2 * theta**2 / 2)) == 0
    assert sp.simplify(eb.adjustment + 2 * mu / sigma**2) == 0  # Lundberg: -2 mu/sigma^2
    assert sp.simplify(eb.line_theta - 2 * (c - mu) / sigma**2) == 0


# -- a Gaussian random walk: no closed form, checked against simulation ----------------
def gaussian_walk_escape(muv, d, low, paths, seed, block=64, budget=20_000):
    """P(reach >= d before <= -low) for S_k = sum of N(mu, 1) steps, by plain numpy.
    Paths still inside after ``budget`` steps are counted as escapes (conservative)."""
    gen = np.random.default_rng(seed)
    pos = np.zeros(paths)
    escaped = 0
    steps = 0
    while pos.size and steps < budget:
        walk = pos[:, None] + np.cumsum(gen.normal(muv, 1.0, (pos.size, block)), axis=1)
        up, down = walk >= d, walk <= -low
        first_up = np.where(up.any(1), up.argmax(1), block)
        first_down = np.where(down.any(1), down.argmax(1), block)
        escaped += int(np.sum(first_up < first_down))
        alive = (first_up == block) & (first_down == block)
        pos = walk[alive, -1]
        steps += block
    return escaped + pos.size  # censored paths counted as escapes


@settings(max_examples=8)
@given(st.floats(-1.0, -0.25), st.floats(0.5, 3.0), st.integers(0, 2**32 - 1))
def test_lundberg_bound_of_a_gaussian_walk_is_above_the_simulated_upper_limit(muv, d, seed):
    # The walk overshoots the level, so P < e^{-theta* d} strictly (Siegmund's
    # correction ~ e^{-0.58 theta*}); the bound must clear the 99.9% Clopper-Pearson
    # upper limit. The lower barrier at -10 only lowers the probability.
    eb = _bm_bounds().exponential
    theta_star = float(
        eb.adjustment.subs({sp.Symbol(r"\mu", real=True): muv}).subs(
            sp.Symbol(r"\sigma", positive=True), 1
        )
    )
    bound = math.exp(-theta_star * d)
    n = 40_000
    k = gaussian_walk_escape(muv, d, 10.0, n, seed)
    upper = stats.beta.ppf(1 - 0.0005, k + 1, n - k) if k < n else 1.0
    assert bound >= upper, (bound, k / n, upper)


# -- the contract: JSON, validation, errors, derivation --------------------------------
def test_theory_json_marks_bounds(capsys):
    code = main(["theory", "gamblers-ruin", "--json"])
    data = json.loads(capsys.readouterr().out)
    assert code == 0
    q = data["quantities"]
    for name in GR_BOUNDS:
        assert q[name]["bound"] is True and q[name]["kind"] == "bound"
    assert "bound" not in q["escape_probability"]
    assert data["params"]["t"] == 100 and data["params"]["slope"] == 0.05
    assert main(["theory", "brownian-drift", "--json"]) == 0
    q = json.loads(capsys.readouterr().out)["quantities"]
    assert all(q[name]["bound"] is True for name in BM_BOUNDS)


def test_bounds_are_not_simulated_or_validated():
    for model in (GamblersRuin(), BrownianDrift()):
        simulated = set(get_simulator(model).simulated_quantities(model))
        assert not simulated & {q.name for q in model.quantities if q.bound}


def test_new_parameters_do_not_change_existing_quantities():
    base = GamblersRuin(p=0.4, q=0.5, hi=12, x0=3)
    other = base.replace(t=7, slope=-0.3)
    for name in ("drift_rate", "step_variance", "escape_probability", "mean_exit_time"):
        assert other.value(name) == base.value(name)
    bm = BrownianDrift(mu=-0.2)
    assert bm.replace(slope=2.0).value("escape_by_time") == bm.value("escape_by_time")


@pytest.mark.parametrize(
    "argv,name",
    [
        (["--set", "t=0"], "t"),
        (["--set", "t=2.5"], "t"),
        (["--set", "slope=abc"], "slope"),
        (["--set", "slope=nan"], "slope"),
    ],
)
def test_bad_bound_parameters_exit_2_naming_them(capsys, argv, name):
    assert main(["theory", "gamblers-ruin", *argv]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f"'{name}'" in err[0]
    with pytest.raises(ParameterError) as info:
        GamblersRuin(**{name: argv[1].split("=")[1]})
    assert info.value.parameter == name


def test_derivations_have_the_bound_steps():
    for model in (GamblersRuin(), BrownianDrift()):
        text = model.derivation()
        for needle in ("Lundberg", "Chernoff", "Ville", "Howard", "adjustment coefficient"):
            assert needle in text
    assert "Azuma" in GamblersRuin().derivation()
    eb = _gr_bounds().exponential
    p, q = sp.symbols("p q", nonnegative=True)
    assert eb.adjustment == sp.log(q / p)  # the positive root of p e^th + q e^-th + h = 1
    # the derived Chernoff optimiser solves a = t K'(theta) at a sample point
    sample = {p: 0.2, q: 0.5, bounds.LEVEL: 7, bounds.HORIZON: 40}
    th = float(eb.chernoff_theta.subs(sample))
    kprime = sp.diff(eb.cgf, bounds.THETA).subs(sample).subs(bounds.THETA, th)
    assert float(kprime) * 40 == pytest.approx(7, rel=1e-12)
