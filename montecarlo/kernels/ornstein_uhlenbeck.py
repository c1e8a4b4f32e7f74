r"""Monte Carlo for :class:`driftkit.theory.ornstein_uhlenbeck.OrnsteinUhlenbeck`.

**Steps are exact.** On the grid :math:`t_n = n\,\Delta t` the OU transition is
Gaussian and is sampled without discretisation error:

.. math:: X_{n+1} = m + (X_n - m)\,e^{-\theta\Delta t} + s Z, \qquad
          s^2 = \sigma^2 \frac{1 - e^{-2\theta\Delta t}}{2\theta}.

**Crossings between grid points** are caught by a time change. Inside step
:math:`n` put :math:`u = t - t_n \in [0, \Delta t]` and
:math:`Y_u = e^{\theta u}(X_{t_n + u} - m)`: then
:math:`dY = \sigma e^{\theta u} dW`, a Brownian motion run on the clock
:math:`c(u) = \sigma^2 (e^{2\theta u} - 1)/(2\theta)` (length
:math:`C = s^2 e^{2\theta\Delta t}` over the step), and ``hi`` becomes the moving
level :math:`e^{\theta u}(\mathrm{hi} - m)`, which on that clock is
:math:`(\mathrm{hi} - m)\sqrt{1 + 2\theta c/\sigma^2}`. The kernel replaces the level by
its chord between the step's ends; for a Brownian bridge a linear level is crossed
with probability :math:`\exp(-2 d_0 d_1 / C)` (``d`` the distances to the level at
the two ends), here

.. math:: \exp\!\bigl(-2(\mathrm{hi} - X_n)(\mathrm{hi} - X_{n+1})\,e^{-\theta\Delta t}/s^2\bigr),

decided with one uniform (exact for ``hi = m``, where the level is flat; otherwise
the chord's error is second order in :math:`\theta\Delta t` per step, against the
first-order error of the plain Brownian bridge with variance :math:`s^2`, which
biased the passage time by about :math:`+0.06` at ``dt = 0.1``). A crossing inside
step :math:`n` (bridge or end point above ``hi``) is timed exactly for that
approximation: the bridge minus the chord is a Brownian bridge from
:math:`-(\mathrm{hi} - X_n)` to :math:`-(\mathrm{hi} - X_{n+1})e^{\theta\Delta t}` on
the clock, so its crossing time is drawn on the clock by
:func:`driftkit.montecarlo.kernels.brownian_drift.crossing_fraction` (derived in that
module), a fraction ``q`` of ``C``, and mapped back by
:math:`e^{2\theta u} - 1 = q(e^{2\theta\Delta t} - 1)`; the old rule, the step's
midpoint with the plain bridge, is kept behind ``_paths(..., midpoint=True)`` for
``benchmarks/bench_diffusion.py``, which measures the bias against ``dt`` with both.

**Stationary exceedance** is estimated honestly from the dynamics, not by
drawing from the stationary law: each path keeps running (the passage does not
stop it) until the recording time :math:`t_b = n_b \Delta t`, a burn-in of
:math:`\theta t_b \ge \ln(10^4 \max(1, |x_0 - m|/\sigma_\infty))` relaxation
times, and records the indicator :math:`X_{n_b} > \mathrm{hi}`. Paths are
independent, so the indicators are i.i.d. Bernoulli and get a Wilson interval.
Because the steps are exact, :math:`X_{n_b}` has exactly the law
:math:`N(m + (x_0 - m)e^{-\theta t_b},\ \sigma_\infty^2(1 - e^{-2\theta t_b}))`:
its mean is within :math:`10^{-4}\sigma_\infty` of ``m`` and its variance within
:math:`10^{-8}` (relative) of :math:`\sigma_\infty^2`, so the bias of the
proportion is below :math:`0.4 \cdot 10^{-4}` (:func:`burn_in_bias` gives it exactly).
A path whose step budget ends before :math:`n_b` is censored for this quantity
too (its indicator is unknown), and the interval allows for it.

**Multilevel splitting** (``method="splitting"``) estimates
``escape_probability``: the probability that the excursion started at
:math:`m < x_0 < \mathrm{hi}` reaches ``hi`` *before returning to the
mean-reversion level* ``m`` (the threshold is crossed before training pulls the
system back), which is small for a high threshold. Its exact value is the theory's
quantity of the same name (the ratio of scale functions
:math:`\operatorname{erfi}(u_0)/\operatorname{erfi}(u)`, derived there); here its
logarithm, with ``hi`` replaced by a level, is used only to place the levels.
Levels :math:`\ell_k` are put where :math:`\log P(\text{reach } \ell_k) = -k\log 7`
(:mod:`driftkit.montecarlo.engine.rare`); a particle runs with the exact OU steps until it
reaches the next level or ``m``, both detected on the grid and, between grid
points, by the Brownian-bridge test with the local variance :math:`\sigma^2\Delta t`
(the diffusion bridge's crossing law to first order; upper level first). A
continuous path that crosses :math:`\ell_k` is *at* :math:`\ell_k` then, so the
copies start exactly there (strong Markov property; no horizon, so the time of the
crossing does not matter). Every particle has the step budget ``max_steps``.
"""

from __future__ import annotations

import math

import numpy as np
from driftkit.montecarlo.engine.accumulators import layout
from driftkit.montecarlo.engine.core import Simulator, register_simulator
from driftkit.montecarlo.engine.rare import (
    SPLIT_ACC,
    Splitting,
    SplittingPlan,
    levels_by_log_probability,
    pop_particle,
    settle_particle,
    start_tree,
    tally_tree,
    tree_stack,
)
from driftkit.montecarlo.engine.stats import CensoredMean, Proportion, Summary
from driftkit.montecarlo.kernels.brownian_drift import crossing_fraction
from driftkit.theory import Model
from driftkit.theory.ornstein_uhlenbeck import OrnsteinUhlenbeck
from numba import njit
from scipy import special

__all__ = ["OrnsteinUhlenbeckSimulator", "burn_in_bias", "burn_in_steps"]

#: the exceedance is recorded after the start's offset has decayed to this fraction
#: of the stationary standard deviation
BURN_IN_TOLERANCE = 1e-4


def burn_in_steps(model: Model) -> int:
    """Steps until the exceedance indicator is recorded (see the module docstring)."""
    offset = abs(model["x0"] - model["m"]) / model.stationary_sd
    relaxations = math.log(max(1.0, offset) / BURN_IN_TOLERANCE)
    return max(1, math.ceil(relaxations / (model["theta"] * model["dt"])))


def burn_in_bias(model: Model) -> float:
    """Exact ``P(X_{n_b} > hi) - P_stationary(X > hi)`` of the recorded indicator."""
    th, dt = model["theta"], model["dt"]
    t_b = burn_in_steps(model) * dt
    decay = math.exp(-th * t_b)
    mean = model["m"] + (model["x0"] - model["m"]) * decay
    sd = model.stationary_sd * math.sqrt(-math.expm1(-2.0 * th * t_b))
    at_tb = 0.5 * float(special.erfc((model["hi"] - mean) / (sd * math.sqrt(2.0))))
    return at_tb - model.value("stationary_exceedance")


#: the naive kernel's accumulators: paths that passed hi, censored paths (not passed), the
#: sums of the passage time (max_steps * dt for a censored path) and its square, paths
#: above hi at the recording step, paths whose budget ended before it, and the steps
_ACC = layout(
    "OrnsteinUhlenbeckAcc", "passed", "censored", "sum_t", "sum_t2", "above", "unrecorded", "steps"
)
_SUMMARY = Summary(
    _ACC,
    {
        # Passage time: censored paths count as max_steps * dt, a lower bound, so the
        # interval is open above when any path was censored.
        "mean_first_passage_time": CensoredMean("sum_t", "sum_t2", "censored"),
        # a path stopped before the recording step is undecided for the exceedance
        "stationary_exceedance": Proportion("above", "unrecorded"),
    },
)


@njit(cache=True, nogil=True)
def _paths(
    gen, n_paths, x0, m, hi, decay, sd, dt, n_burn, max_steps, midpoint=False
):  # pragma: no cover
    """Simulate ``n_paths`` OU paths; return the accumulators (see ``_ACC``). The
    crossing test uses the chord level and a crossing is timed by ``crossing_fraction``
    (``midpoint=True``: the old rule, the plain bridge of variance ``sd^2`` and the
    step's midpoint, kept for ``benchmarks/bench_diffusion.py``)."""
    # the exponent of the crossing probability of a Brownian bridge under a chord barrier
    # in the time-changed clock (module docstring): -2 (hi - x)(hi - xn) e^{-theta dt} / sd^2
    # (midpoint=True: the old rule, the plain bridge -2 (hi - x)(hi - xn) / sd^2)
    bridge = (-2.0 if midpoint else -2.0 * decay) / (sd * sd)
    big = sd * sd / (decay * decay)  # the step's length in that clock, sd^2 e^{2 theta dt}
    grow = 1.0 / (decay * decay) - 1.0  # e^{2 theta dt} - 1
    two_theta_dt = -2.0 * math.log(decay)
    passed = 0
    censored = 0
    sum_t = 0.0
    sum_t2 = 0.0
    above = 0
    unrecorded = 0
    steps = 0
    for _ in range(n_paths):
        x = x0
        n = 0
        hit = False
        recorded = False
        t_hit = 0.0
        # exact steps; the bridge check only until the first passage, which does not
        # stop the path: it runs on to the recording step n_burn
        while n < max_steps and not (hit and recorded):
            xn = m + (x - m) * decay + sd * gen.standard_normal()
            if not hit:
                a = bridge * (hi - x) * (hi - xn)  # log of the bridge crossing probability
                # (skipped below e^-40: a change of the step law below 1e-17)
                if xn >= hi or (a > -40.0 and gen.random() < math.exp(a)):
                    hit = True
                    if midpoint:
                        f = 0.5
                    else:  # the clock's fraction q, back to time: e^{2 theta t} - 1 = q grow
                        q = crossing_fraction(gen, hi - x, (hi - xn) / decay, big)
                        f = math.log1p(q * grow) / two_theta_dt
                    t_hit = (n + f) * dt
            x = xn
            n += 1
            if n == n_burn:
                recorded = True
                if x > hi:
                    above += 1
        if not recorded:
            unrecorded += 1
        if hit:
            passed += 1
            sum_t += t_hit
            sum_t2 += t_hit * t_hit
        else:
            censored += 1
            t_c = max_steps * dt  # a lower bound of the passage time
            sum_t += t_c
            sum_t2 += t_c * t_c
        steps += n
    out = np.empty(len(_ACC), dtype=np.float64)
    out[_ACC.passed] = passed
    out[_ACC.censored] = censored
    out[_ACC.sum_t] = sum_t
    out[_ACC.sum_t2] = sum_t2
    out[_ACC.above] = above
    out[_ACC.unrecorded] = unrecorded
    out[_ACC.steps] = steps
    return out


@njit(cache=True, nogil=True, inline="always")
def _particle(gen, x, target, lower, m, decay, sd, bridge, max_steps):  # pragma: no cover
    """Run one particle from ``x`` with exact OU steps until it reaches ``target``
    (status 1, at ``target``) or falls to ``lower`` (2), each also caught between grid
    points by the bridge test, or its step budget ends (0). ``(status, steps, x)``."""
    n = 0
    status = 0
    while n < max_steps:
        y = m + (x - m) * decay + sd * gen.standard_normal()
        n += 1
        if y >= target:
            status = 1
        elif y <= lower:
            status = 2
        else:
            a = bridge * (target - x) * (target - y)
            if a > -40.0 and gen.random() < math.exp(a):
                status = 1
            else:
                a = bridge * (x - lower) * (y - lower)
                if a > -40.0 and gen.random() < math.exp(a):
                    status = 2
        if status != 0:
            break
        x = y
    return status, n, target if status == 1 else x


@njit(cache=True, nogil=True)
def _split_trees(
    gen, n_trees, x0, lower, levels, factor, m, decay, sd, bridge, max_steps
):  # pragma: no cover
    """Fixed-factor splitting trees; return :data:`driftkit.montecarlo.engine.rare.SPLIT_ACC`.

    A particle at stage ``k`` runs until it reaches ``levels[k]`` (then it is split
    into ``factor`` copies at that level, or it is a hit when ``k`` is the last
    stage) or falls to ``lower`` (it dies), or its step budget ends (censored).
    """
    n_splits = levels.size - 1
    stack_x, stack_k = tree_stack(n_splits, factor)
    acc = np.zeros(len(SPLIT_ACC))
    for _ in range(n_trees):
        top, h, c = start_tree(stack_x, stack_k, x0)
        while top > 0:
            top, x, k = pop_particle(stack_x, stack_k, top)
            status, n, x = _particle(gen, x, levels[k], lower, m, decay, sd, bridge, max_steps)
            top, h, c = settle_particle(
                acc, stack_x, stack_k, top, status, x, k, n, n_splits, factor, h, c
            )
        tally_tree(acc, h, c)
    return acc


class _EscapeSplitting(Splitting):
    """Splitting for P(reach hi before returning to m) from m < x0 < hi (see the module)."""

    quantity = "escape_probability"

    def check(self, model: Model) -> None:
        if not model["x0"] > model["m"]:
            raise ValueError(
                "method 'splitting' of ornstein-uhlenbeck estimates P(reach hi before "
                f"returning to m) and needs m < x0 < hi: parameter 'x0' must be > m = "
                f"{model['m']}, got {model['x0']}"
            )

    def make_plan(self, model: Model) -> SplittingPlan:
        x0 = float(model["x0"])

        def log_reach(level: float) -> float:
            # the theory's escape probability with the level as the threshold
            if level <= x0:
                return 0.0
            return model.replace(hi=level).log_value("escape_probability")

        return levels_by_log_probability(log_reach, x0, float(model["hi"]))

    def prepare(self, model: Model) -> tuple:
        plan = self.plan(model)
        th, dt, sigma = model["theta"], model["dt"], model["sigma"]
        decay = math.exp(-th * dt)
        sd = sigma * math.sqrt(-math.expm1(-2.0 * th * dt) / (2.0 * th))
        return (
            float(model["x0"]),
            float(model["m"]),
            plan.levels,
            plan.factor,
            float(model["m"]),
            decay,
            sd,
            -2.0 / (sigma * sigma * dt),
        )

    def run_chunk(self, prepared, gen, n_paths, max_steps):
        x0, lower, levels, factor, m, decay, sd, bridge = prepared
        return _split_trees(
            gen, n_paths, x0, lower, levels, factor, m, decay, sd, bridge, max_steps
        )


class OrnsteinUhlenbeckSimulator(Simulator):
    """Exact OU steps with a Brownian-bridge crossing check; see the module docstring."""

    model_class = OrnsteinUhlenbeck
    rare_methods = (_EscapeSplitting(),)
    # kramers_time is an asymptotic formula, not a property of the process: not simulated
    quantities = ("mean_first_passage_time", "stationary_exceedance")

    def prepare(self, model: Model) -> tuple:
        th, dt = model["theta"], model["dt"]
        decay = math.exp(-th * dt)
        sd = model["sigma"] * math.sqrt(-math.expm1(-2.0 * th * dt) / (2.0 * th))
        return (
            float(model["x0"]),
            float(model["m"]),
            float(model["hi"]),
            decay,
            sd,
            float(dt),
            burn_in_steps(model),
        )

    def run_chunk(self, prepared, gen, n_paths, max_steps):
        x0, m, hi, decay, sd, dt, n_burn = prepared
        return _paths(gen, n_paths, x0, m, hi, decay, sd, dt, n_burn, max_steps)

    def summarize(self, model, totals, paths, level, interval):
        return _SUMMARY(totals, paths, level, interval, self.quantities)

    def time_step_warning(self, model: Model, result) -> str | None:
        """Warn when ``dt`` may bias the passage time by more than its interval's half-width.

        The steps are exact and a crossing is timed by the bridge's first-passage law,
        but the crossing test replaces the OU bridge's curved level (on the time-changed
        clock) by its chord, an error of order ``(theta dt)^2`` per step that adds up
        over the whole passage time ``T``. The bound used, kept from the midpoint rule
        (whose bias it covered: 0.25 to 0.7 times ``theta T dt``, 4e5 paths each, at
        ``theta dt`` from 0.01 to 1 and ``hi - m`` of 1 and 2 stationary standard
        deviations), is ``dt * max(1/2, theta T (1/2 + theta dt))``; with the chord and
        the sampled times the measured bias at the defaults is below the resolution of
        10**6 paths down to ``dt = 0.2`` (``benchmarks/bench_diffusion.py``), so the
        bound is conservative.
        ``stationary_exceedance`` is exact on the grid.
        """
        from driftkit.montecarlo.engine.core import time_step_bias_warning

        dt, theta = model["dt"], model["theta"]
        passage = model.value("mean_first_passage_time")
        bias = dt * max(0.5, theta * passage * (0.5 + theta * dt))
        how = "the chord approximation of the OU bridge's crossing level"
        return time_step_bias_warning(result, dt, {"mean_first_passage_time": bias}, how)


register_simulator(OrnsteinUhlenbeckSimulator())
