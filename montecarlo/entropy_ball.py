r"""Monte Carlo for :class:`theory.entropy_ball.EntropyBall`: walk on spheres, no time step.

The model is rotation invariant, so only the radius is simulated, hop by hop
(walk on spheres, Muller 1956). From radius :math:`r` the largest ball around
the current point that stays inside the annulus has radius
:math:`\rho = \min(r - a, R - r)` (:math:`\rho = R - r` when :math:`a = 0` and
:math:`d \ge 2`: the origin is not a boundary then). Brownian motion leaves that
ball at a uniformly distributed point of its sphere, so the new radius is
exactly :math:`|x + \rho U|` with :math:`U` uniform on :math:`S^{d-1}`; only the
component :math:`U_1` along :math:`x` matters. With :math:`U = Z/|Z|`,
:math:`Z` standard normal in :math:`\mathbb{R}^d`, :math:`U_1 = Z_1/\sqrt{Z_1^2 + C}`
with :math:`C = Z_2^2 + \dots + Z_d^2 \sim \chi^2_{d-1}`: two draws per hop
(:math:`Z_1` and :math:`C`) instead of :math:`d`, and the new radius is computed as
:math:`\sqrt{(r + \rho Z_1/N)^2 + \rho^2 C/N^2}`, :math:`N^2 = Z_1^2 + C`, with no
cancellation. In :math:`d = 1` the "sphere" is two points and :math:`U = \pm 1`
with probability 1/2: the hop lands exactly on the nearer barrier half the time.

Time: the expected exit time of a ball of radius :math:`\rho` from its centre is
:math:`\rho^2/(d\sigma^2)`, and the exit time of the ball is independent of the
exit point (rotation invariance), so by the strong Markov property the sum of
:math:`\rho_i^2/(d\sigma^2)` over the hops has the same mean as the exit time
:math:`\tau` (its variance is smaller; only the mean is estimated).

Stopping: a path stops when it is within :math:`\varepsilon = 10^{-10}(R - a)`
of a barrier and is assigned that barrier. This is the only bias. The true return
probability from inside the shell differs from the assigned 0 or 1 by at most
:math:`\varepsilon\,\max|u'| = \varepsilon |u'(a)|` and the remaining mean time is
at most :math:`\varepsilon \max(|T'(a)|, |T'(R)|)` (up to :math:`O(\varepsilon^2)`);
at the defaults both are below :math:`10^{-8}`, many orders of magnitude inside
any interval a run can produce (:func:`stopping_bias` evaluates the bound from
the closed forms). The number of hops grows like :math:`\log(1/\varepsilon)`.

The step budget ``max_steps`` counts hops; paths that reach it are censored:
counted, with their accumulated time as a lower bound, and allowed for in every
interval. ``radial_drift_rate`` (an instantaneous rate) is theory only.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from montecarlo._engine import Simulator, register_simulator
from montecarlo._stats import Estimate, censored_proportion, censored_time_mean
from theory import Model
from theory.entropy_ball import EntropyBall

__all__ = ["SHELL", "EntropyBallSimulator", "stopping_bias"]

#: the stopping shell is SHELL * (R - a) wide
SHELL = 1e-10


@njit(cache=True, nogil=True)
def _paths(gen, n_paths, d, sigma, a, R, r0, eps, max_steps):  # pragma: no cover
    """Simulate ``n_paths`` radius paths; return the accumulators (see ``_ACC``)."""
    inv = 1.0 / (d * sigma * sigma)
    inner = not (a == 0.0 and d >= 2)  # is |x| = a a boundary the walk can reach?
    returned = 0
    escaped = 0
    censored = 0
    steps = 0
    sum_t = 0.0
    sum_t2 = 0.0
    for _ in range(n_paths):
        r = r0
        t = 0.0
        k = 0
        while True:
            if k >= max_steps:
                censored += 1
                break
            rho = R - r
            if inner and r - a < rho:
                rho = r - a
            if d == 1:
                r = abs(r + rho) if gen.random() < 0.5 else abs(r - rho)
            else:
                z = gen.standard_normal()
                c = gen.chisquare(d - 1)
                n2 = z * z + c
                along = r + rho * z / math.sqrt(n2)
                r = math.sqrt(along * along + rho * rho * c / n2)
            t += rho * rho * inv
            k += 1
            if inner and r - a <= eps:
                returned += 1
                break
            if R - r <= eps:
                escaped += 1
                break
        steps += k
        sum_t += t
        sum_t2 += t * t
    acc = np.empty(6, dtype=np.float64)
    acc[0] = returned
    acc[1] = escaped
    acc[2] = censored
    acc[3] = steps
    acc[4] = sum_t
    acc[5] = sum_t2
    return acc


_ACC = ("returned", "escaped", "censored", "steps", "sum_t", "sum_t2")


def stopping_bias(model: EntropyBall) -> dict[str, float]:
    """Bound on the bias from stopping in the shell, from the closed forms.

    The value of each quantity at the shell's inner edges (``a + eps`` and
    ``R - eps``) differs from the barrier value assigned there by at most this
    much; a path that stops inside the shell is off by no more.
    """
    eps = SHELL * (model["R"] - model["a"])
    near = [model.replace(r0=model["R"] - eps)]
    if not (model["a"] == 0 and model["d"] >= 2):
        near.append(model.replace(r0=model["a"] + eps))
    ret = max(
        abs(m.value("return_probability") - (1.0 if m["r0"] < model["r0"] else 0.0)) for m in near
    )
    time = max(m.value("mean_exit_time") for m in near)
    return {"return_probability": ret, "mean_exit_time": time}


class EntropyBallSimulator(Simulator):
    """Walk on spheres in radius space: exact hops, a 1e-10 (R - a) stopping shell."""

    model_class = EntropyBall
    quantities = ("return_probability", "mean_exit_time")

    def prepare(self, model: Model) -> tuple:
        a, R = float(model["a"]), float(model["R"])
        return int(model["d"]), float(model["sigma"]), a, R, float(model["r0"]), SHELL * (R - a)

    def run_chunk(self, prepared, gen, n_paths, max_steps):
        d, sigma, a, R, r0, eps = prepared
        return _paths(gen, n_paths, d, sigma, a, R, r0, eps, max_steps)

    def summarize(self, model, totals, paths, level, interval):
        acc = dict(zip(_ACC, totals.tolist(), strict=True))
        returned, censored = int(acc["returned"]), int(acc["censored"])
        est: dict[str, Estimate] = {
            "return_probability": censored_proportion(returned, censored, paths, level, interval),
            # censored paths enter with their accumulated time, a lower bound: open above
            "mean_exit_time": censored_time_mean(
                acc["sum_t"], acc["sum_t2"], paths, censored, level
            ),
        }
        return est, censored, int(acc["steps"])


register_simulator(EntropyBallSimulator())
