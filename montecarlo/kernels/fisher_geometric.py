r"""Monte Carlo for :class:`driftkit.theory.fisher_geometric.FisherGeometric`.

One path is one trial: the phenotype sits at :math:`x = (z, 0, \dots, 0)` (the
law is rotation invariant), the kernel draws the :math:`d` standard normals of
the mutation :math:`\sigma Z` one by one with ``gen.standard_normal()``, forms
the new squared distance :math:`(z + \sigma Z_1)^2 + \sigma^2\sum_{i \ge 2}
Z_i^2` and keeps the mutation if it is below :math:`z^2`. It accumulates the
number kept and the sum and sum of squares of the gain
:math:`(z - |x + \sigma Z|)^+`. No time stepping and no approximation: the
estimates are unbiased for the exact quantities.

A trial is one step, so a path can only be censored when ``max_steps < 1``,
which the engine forbids; the censored count is kept (always 0) for the
contract. The asymptotic quantities (``optimal_*``, :math:`d \to \infty`) are
not simulated.
"""

from __future__ import annotations

import math

import numpy as np
from driftkit.montecarlo.engine.accumulators import layout
from driftkit.montecarlo.engine.core import Simulator, register_simulator
from driftkit.montecarlo.engine.stats import CensoredMean, Proportion, Summary
from driftkit.theory import Model
from driftkit.theory.fisher_geometric import FisherGeometric
from numba import njit

__all__ = ["FisherGeometricSimulator"]


#: the kernel's accumulators: mutations kept, undecided (a zero step budget), the steps,
#: the sums of the gain g (0 for a rejected mutation) and g^2
_ACC = layout("FisherGeometricAcc", "kept", "censored", "steps", "sum_g", "sum_g2")
_SUMMARY = Summary(
    _ACC,
    {
        "beneficial_probability": Proportion("kept", "censored"),
        # the gain is >= 0; an undecided trial could have gained up to z: open above
        "expected_progress": CensoredMean("sum_g", "sum_g2", "censored"),
    },
)


@njit(cache=True, nogil=True)
def _trials(gen, n_paths, d, z, sigma, max_steps):  # pragma: no cover
    """Simulate ``n_paths`` one-step trials; return the accumulators (see ``_ACC``)."""
    z2 = z * z
    kept = 0
    censored = 0
    steps = 0
    sum_g = 0.0
    sum_g2 = 0.0
    for _ in range(n_paths):
        if max_steps < 1:
            censored += 1
            continue
        y = z + sigma * gen.standard_normal()
        r2 = y * y
        for _i in range(d - 1):
            e = sigma * gen.standard_normal()
            r2 += e * e
        steps += 1
        if r2 < z2:
            kept += 1
            g = z - math.sqrt(r2)
            sum_g += g
            sum_g2 += g * g
    acc = np.empty(len(_ACC), dtype=np.float64)
    acc[_ACC.kept] = kept
    acc[_ACC.censored] = censored
    acc[_ACC.steps] = steps
    acc[_ACC.sum_g] = sum_g
    acc[_ACC.sum_g2] = sum_g2
    return acc


@njit(cache=True, nogil=True)
def _bare_normals(gen, n):  # pragma: no cover
    """Sum of ``n`` calls to ``gen.standard_normal()``: the generator's bare rate."""
    acc = 0.0
    for _ in range(n):
        acc += gen.standard_normal()
    return acc


class FisherGeometricSimulator(Simulator):
    """One isotropic Gaussian mutation per path, kept if it brings the phenotype closer."""

    model_class = FisherGeometric
    quantities = ("beneficial_probability", "expected_progress")

    def prepare(self, model: Model) -> tuple:
        return int(model["d"]), float(model["z"]), float(model["sigma"])

    def run_chunk(self, prepared, gen, n_paths, max_steps):
        d, z, sigma = prepared
        return _trials(gen, n_paths, d, z, sigma, max_steps)

    def summarize(self, model, totals, paths, level, interval):
        return _SUMMARY(totals, paths, level, interval)


register_simulator(FisherGeometricSimulator())
