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
from driftkit.montecarlo.engine.core import Simulator, register_simulator
from driftkit.montecarlo.engine.stats import Estimate, censored_proportion, censored_time_mean
from driftkit.theory import Model
from driftkit.theory.monitored_diffusion import MonitoredDiffusion
from numba import njit

__all__ = ["MonitoredDiffusionSimulator"]

#: exp(-a) is exactly 0.0 in double precision for a > 745.2: no uniform can fall below it
_NEGLIGIBLE = 746.0


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
    acc = np.empty(7, dtype=np.float64)
    acc[0] = escaped
    acc[1] = lowered
    acc[2] = caught
    acc[3] = censored
    acc[4] = steps
    acc[5] = sum_t
    acc[6] = sum_t2
    return acc


_ACC = ("escaped", "lowered", "caught", "censored", "steps", "sum_t", "sum_t2")


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
        acc = dict(zip(_ACC, totals.tolist(), strict=True))
        escaped, caught, censored = (int(acc[k]) for k in ("escaped", "caught", "censored"))
        est: dict[str, Estimate] = {
            "escape_probability": censored_proportion(escaped, censored, paths, level, interval),
            "detection_probability": censored_proportion(caught, censored, paths, level, interval),
        }
        # Censored paths contribute their elapsed time, a lower bound: the
        # interval is then open above.
        est["mean_time"] = censored_time_mean(acc["sum_t"], acc["sum_t2"], paths, censored, level)
        return {k: est[k] for k in self.quantities}, censored, int(acc["steps"])


register_simulator(MonitoredDiffusionSimulator())
