r"""Monte Carlo for :class:`driftkit.theory.monitored_diffusion.MonitoredDiffusion`.

Each path draws its catch time :math:`C \sim \mathrm{Exp}(\kappa)` once (an exact
exponential clock; :math:`\kappa = 0` means never) and then takes exact Gaussian
increments :math:`\mu h + \sigma\sqrt{h}\,Z` of length :math:`h = \Delta t`
(``dt``). After every step the Brownian-bridge probability that the path crossed
a barrier *inside* the step, :math:`\exp(-2(b - x_n)(b - x_{n+1})/(\sigma^2 h))`
for ``hi`` and the same for ``lo``, is compared with a uniform draw, so crossings
between grid points are not missed; a step that ends beyond a barrier crossed it.

The step that contains :math:`C` is shortened to end exactly at :math:`C`: the
path is caught at time :math:`C` exactly when no crossing was detected on
:math:`[t_n, C]`. So escape and detection are exact in law except for the
double-barrier term (both barriers crossed inside one step, probability of
order :math:`\exp(-2(\mathrm{hi} - \mathrm{lo})^2/(\sigma^2\Delta t))`, and the
two bridge tests being done one after the other), and the rule "caught if
:math:`C` < step end and no crossing detected" carries no :math:`O(\Delta t)`
ordering error. The only :math:`O(\Delta t)` residual is in ``mean_time``: a path
that crosses inside a step is recorded as ending at the step's midpoint
:math:`t_n + h/2` (bias at most :math:`\Delta t/2` per path).

Paths that reach the step budget ``max_steps`` are censored: counted, with
their elapsed time as a lower bound, and allowed for in every interval.
"""

from __future__ import annotations

import math

import numpy as np
from driftkit.montecarlo.engine.accumulators import layout
from driftkit.montecarlo.engine.core import Simulator, register_simulator
from driftkit.montecarlo.engine.stats import CensoredMean, Proportion, Summary
from driftkit.theory import Model
from driftkit.theory.monitored_diffusion import MonitoredDiffusion
from numba import njit

__all__ = ["MonitoredDiffusionSimulator"]

#: exp(-a) is exactly 0.0 in double precision for a > 745.2: no uniform can fall below it
_NEGLIGIBLE = 746.0


#: the kernel's accumulators: paths that hit hi, hit lo, were caught, were censored; the
#: steps; sums of the end time (a censored path's elapsed time) and its square
_ACC = layout(
    "MonitoredDiffusionAcc", "escaped", "lowered", "caught", "censored", "steps", "sum_t", "sum_t2"
)
_SUMMARY = Summary(
    _ACC,
    {
        "escape_probability": Proportion("escaped", "censored"),
        "detection_probability": Proportion("caught", "censored"),
        # Censored paths contribute their elapsed time, a lower bound: the
        # interval is then open above.
        "mean_time": CensoredMean("sum_t", "sum_t2", "censored"),
    },
)


@njit(cache=True, nogil=True)
def _paths(gen, n_paths, x0, lo, hi, mu, sigma, kappa, dt, max_steps):  # pragma: no cover
    """Simulate ``n_paths`` paths; return the accumulators (see ``_ACC``)."""
    s2 = sigma * sigma
    sdt = sigma * math.sqrt(dt)
    escaped = 0
    lowered = 0
    caught = 0
    censored = 0
    steps = 0
    sum_t = 0.0
    sum_t2 = 0.0
    for _ in range(n_paths):
        c = math.inf if kappa == 0.0 else gen.standard_exponential() / kappa
        x = x0
        t = 0.0
        k = 0
        end = 0.0
        while True:
            if k >= max_steps:
                censored += 1
                end = t
                break
            h = dt
            sd = sdt
            last = c < t + dt
            if last:  # the catch falls inside this step: stop the step at C
                h = c - t
                sd = sigma * math.sqrt(h)
            xn = x + mu * h + sd * gen.standard_normal()
            k += 1
            out = 0  # 1: hi, -1: lo
            if xn >= hi:
                out = 1
            elif xn <= lo:
                out = -1
            else:
                a = 2.0 * (hi - x) * (hi - xn) / (s2 * h)
                if a < _NEGLIGIBLE and gen.random() < math.exp(-a):
                    out = 1
                else:
                    a = 2.0 * (x - lo) * (xn - lo) / (s2 * h)
                    if a < _NEGLIGIBLE and gen.random() < math.exp(-a):
                        out = -1
            if out == 1:
                escaped += 1
                end = t + 0.5 * h
                break
            if out == -1:
                lowered += 1
                end = t + 0.5 * h
                break
            if last:
                caught += 1
                end = c
                break
            x = xn
            t += h
        steps += k
        sum_t += end
        sum_t2 += end * end
    acc = np.empty(len(_ACC), dtype=np.float64)
    acc[_ACC.escaped] = escaped
    acc[_ACC.lowered] = lowered
    acc[_ACC.caught] = caught
    acc[_ACC.censored] = censored
    acc[_ACC.steps] = steps
    acc[_ACC.sum_t] = sum_t
    acc[_ACC.sum_t2] = sum_t2
    return acc


class MonitoredDiffusionSimulator(Simulator):
    """Gaussian steps with Brownian-bridge barrier tests and an exact exponential catch."""

    model_class = MonitoredDiffusion
    quantities = ("escape_probability", "detection_probability", "mean_time")

    def prepare(self, model: Model) -> tuple:
        return tuple(float(model[k]) for k in ("x0", "lo", "hi", "mu", "sigma", "kappa", "dt"))

    def run_chunk(self, prepared, gen, n_paths, max_steps):
        x0, lo, hi, mu, sigma, kappa, dt = prepared
        return _paths(gen, n_paths, x0, lo, hi, mu, sigma, kappa, dt, max_steps)

    def summarize(self, model, totals, paths, level, interval):
        return _SUMMARY(totals, paths, level, interval, self.quantities)

    def time_step_warning(self, model: Model, result) -> str | None:
        """Warn when ``dt`` may bias an estimate by more than its interval's half-width.

        ``mean_time``: a crossing is recorded at the midpoint of its step, a bias of at
        most ``dt / 2``; the catch time is exact.
        Two barriers: the bridge tests treat a step's crossings of ``hi`` and ``lo`` as
        independent, an error only when the bridge spans both, of order
        ``exp(-2 (hi - lo)^2 / (sigma^2 dt))`` per path (it exits in one step).
        """
        from driftkit.montecarlo.engine.core import time_step_bias_warning

        dt, lo, hi, sigma = model["dt"], model["lo"], model["hi"], model["sigma"]
        both = math.exp(-2.0 * (hi - lo) ** 2 / (sigma * sigma * dt)) if math.isfinite(lo) else 0.0
        biases = {"mean_time": dt / 2, "escape_probability": both, "detection_probability": both}
        how = "crossings recorded at the step midpoint; bridge crossings of both barriers"
        return time_step_bias_warning(result, dt, biases, how)


register_simulator(MonitoredDiffusionSimulator())
