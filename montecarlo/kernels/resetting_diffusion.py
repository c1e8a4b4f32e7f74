r"""Monte Carlo for :class:`driftkit.theory.resetting_diffusion.ResettingDiffusion`.

Each path is simulated in pieces of duration ``h <= dt`` (``dt``, the model's
simulation step):

* **Exact increments.** Over a piece the diffusion moves by
  ``mu*h + sigma*sqrt(h)*Z`` with ``Z`` standard normal: the law of the path at
  the piece ends is exact, whatever ``dt``.
* **Exact resets.** Reset times come from an exponential clock of rate ``r``
  (i.i.d. ``Exp(r)`` gaps), or are ``period, 2 period, ...`` when ``period > 0``
  (clock-driven resetting). A reset falling inside a step ends the piece there:
  the path is moved to the reset time with an increment of the partial
  duration, checked for a crossing, and then set to ``x0``; the next piece
  starts from ``x0`` at the reset time.
* **Brownian-bridge crossing.** Given the piece's end points ``x_a, x_b < hi``,
  the path crossed ``hi`` inside the piece with probability
  ``exp(-2 (hi - x_a)(hi - x_b) / (sigma^2 h))`` (exact for a Brownian bridge);
  a uniform decides. Where that probability is below ``exp(-40) ~ 4e-18`` the
  uniform is not drawn (a bias below ``4e-18`` per piece, far beneath any
  Monte Carlo resolution).

So *whether* and *in which piece* the threshold is first reached are exact; the
passage time is recorded as the piece's midpoint, an error of at most ``h/2``
per path whose mean (the residual bias of the estimator) is ``O(dt)`` — it is
below ``dt/2`` in absolute value and shrinks with ``dt``.

A piece is one step of the budget ``max_steps``; a path that uses it up is
censored: counted, its time so far entering the mean (a lower bound), and the
interval of the mean left open above.
"""

from __future__ import annotations

import math

import numpy as np
from driftkit.montecarlo.engine.accumulators import layout
from driftkit.montecarlo.engine.core import Simulator, register_simulator
from driftkit.montecarlo.engine.stats import CensoredMean, Summary
from driftkit.theory import Model
from driftkit.theory.resetting_diffusion import ResettingDiffusion
from numba import njit

__all__ = ["ResettingDiffusionSimulator"]

#: below exp(-_SKIP) the bridge crossing probability is treated as 0 (no uniform drawn)
_SKIP = 40.0


#: the kernel's accumulators: paths that passed hi, censored paths, steps, resets, sums
#: of the passage time (a censored path's time so far) and its square
_ACC = layout("ResettingDiffusionAcc", "hit", "censored", "steps", "resets", "sum_t", "sum_t2")
_SUMMARY = Summary(
    _ACC,
    {
        # Passage time: censored paths count with their time so far, a lower bound,
        # so the interval is open above when any path was censored.
        "mean_first_passage_time": CensoredMean("sum_t", "sum_t2", "censored"),
    },
)


@njit(cache=True, nogil=True)
def _paths(gen, n_paths, mu, sigma, rate, period, x0, hi, dt, max_steps):  # pragma: no cover
    """Simulate ``n_paths`` paths; return the accumulators (see ``_ACC``)."""
    two_over_s2 = 2.0 / (sigma * sigma)
    mean_gap = 1.0 / rate if rate > 0.0 else 0.0
    hit = 0
    censored = 0
    steps = 0
    resets = 0
    sum_t = 0.0
    sum_t2 = 0.0
    for _ in range(n_paths):
        x = x0
        t = 0.0
        k = 0
        if period > 0.0:
            next_reset = period
        elif rate > 0.0:
            next_reset = gen.exponential(mean_gap)
        else:
            next_reset = math.inf
        passed = False
        while k < max_steps:
            h = dt
            reset = False
            if next_reset - t <= dt:
                h = next_reset - t
                reset = True
            k += 1
            if h > 0.0:
                y = x + mu * h + sigma * math.sqrt(h) * gen.standard_normal()
                if y >= hi:
                    passed = True
                else:
                    a = two_over_s2 * (hi - x) * (hi - y) / h
                    if a < _SKIP and gen.random() < math.exp(-a):
                        passed = True
                if passed:
                    t += 0.5 * h
                    break
                x = y
            if reset:
                t = next_reset
                x = x0
                resets += 1
                next_reset = t + (period if period > 0.0 else gen.exponential(mean_gap))
            else:
                t += h
        if passed:
            hit += 1
        else:
            censored += 1
        steps += k
        sum_t += t
        sum_t2 += t * t
    out = np.empty(len(_ACC), dtype=np.float64)
    out[_ACC.hit] = hit
    out[_ACC.censored] = censored
    out[_ACC.steps] = steps
    out[_ACC.resets] = resets
    out[_ACC.sum_t] = sum_t
    out[_ACC.sum_t2] = sum_t2
    return out


class ResettingDiffusionSimulator(Simulator):
    """Exact-increment simulation with exact reset times and a Brownian-bridge crossing test."""

    model_class = ResettingDiffusion
    quantities = ("mean_first_passage_time",)

    def simulated_quantities(self, model: Model) -> tuple[str, ...]:
        """None where the mean is infinite (``r = 0`` with ``mu <= 0``, or overflow)."""
        return self.quantities if math.isfinite(model.value("mean_first_passage_time")) else ()

    def prepare(self, model: Model) -> tuple:
        return tuple(float(model[k]) for k in ("mu", "sigma", "r", "period", "x0", "hi", "dt"))

    def run_chunk(self, prepared, gen, n_paths, max_steps):
        mu, sigma, rate, period, x0, hi, dt = prepared
        return _paths(gen, n_paths, mu, sigma, rate, period, x0, hi, dt, max_steps)

    def summarize(self, model, totals, paths, level, interval):
        return _SUMMARY(totals, paths, level, interval)

    def time_step_warning(self, model: Model, result) -> str | None:
        """Warn when ``dt`` may bias the passage time by more than its interval's
        half-width: a crossing is recorded at the midpoint of its piece (``h <= dt``), a
        bias of at most ``dt / 2``; increments, resets and the bridge test are exact."""
        from driftkit.montecarlo.engine.core import time_step_bias_warning

        dt = model["dt"]
        how = "crossings recorded at the step midpoint"
        return time_step_bias_warning(result, dt, {"mean_first_passage_time": dt / 2}, how)


register_simulator(ResettingDiffusionSimulator())
