r"""Monte Carlo for :class:`driftkit.theory.best_of_n.BestOfN`.

One path is one best-of-:math:`n` selection: the kernel draws the :math:`n`
candidates one by one, each a true value :math:`V` (``gen.standard_normal()``) and
an independent error :math:`X = \sigma Z` (``nu = inf``) or :math:`X = \sigma T_\nu`
(``gen.standard_t(nu)``), forms the proxy :math:`U = V + X` and keeps the
candidate with the largest :math:`U`. It accumulates the kept candidate's
:math:`V`, :math:`V^2`, :math:`U` and :math:`U^2`. The law is the model's, candidate
by candidate: the kernel does *not* use the theory's reduction
(:math:`U_{kept} = \sqrt{1+\sigma^2}\max_n Z`, :math:`V \mid U` normal), so the
simulation checks that reduction instead of repeating it.

A path is exactly :math:`n \le 10^9` candidates (the ``steps``), so it always ends
and nothing is censored; ``max_steps`` is accepted for the engine's signature and
does not bind. Chunks are small (``min_chunk_paths``) because one path costs
:math:`n` pairs of draws. Intervals: the CLT interval of the i.i.d. kept values.
"""

from __future__ import annotations

import math

import numpy as np
from driftkit.montecarlo.engine.accumulators import layout
from driftkit.montecarlo.engine.core import Simulator, register_simulator
from driftkit.montecarlo.engine.stats import Mean, Summary
from driftkit.theory import Model
from driftkit.theory.best_of_n import BestOfN
from numba import njit

__all__ = ["BestOfNSimulator"]


#: the kernel's accumulators: candidates drawn (the steps), the sums of the kept
#: candidate's true value V and V^2, and of its proxy U and U^2
_ACC = layout("BestOfNAcc", "steps", "sum_v", "sum_v2", "sum_u", "sum_u2")
_SUMMARY = Summary(
    _ACC,
    {
        "expected_gold": Mean("sum_v", "sum_v2"),
        "expected_proxy": Mean("sum_u", "sum_u2"),
    },
    censored=None,
)


@njit(cache=True, nogil=True)
def _paths(gen, n_paths, n, sigma, nu, heavy):  # pragma: no cover
    """Simulate ``n_paths`` best-of-``n`` selections; return the accumulators (``_ACC``)."""
    sum_v = 0.0
    sum_v2 = 0.0
    sum_u = 0.0
    sum_u2 = 0.0
    for _ in range(n_paths):
        best_u = -math.inf
        best_v = 0.0
        for _i in range(n):
            v = gen.standard_normal()
            if heavy:
                x = sigma * gen.standard_t(nu)
            else:
                x = sigma * gen.standard_normal()
            u = v + x
            if u > best_u:
                best_u = u
                best_v = v
        sum_v += best_v
        sum_v2 += best_v * best_v
        sum_u += best_u
        sum_u2 += best_u * best_u
    acc = np.empty(len(_ACC), dtype=np.float64)
    acc[_ACC.steps] = float(n_paths) * float(n)
    acc[_ACC.sum_v] = sum_v
    acc[_ACC.sum_v2] = sum_v2
    acc[_ACC.sum_u] = sum_u
    acc[_ACC.sum_u2] = sum_u2
    return acc


class BestOfNSimulator(Simulator):
    """``n`` candidates per path, drawn one by one; the kept one's gold and proxy."""

    model_class = BestOfN
    quantities = ("expected_gold", "expected_proxy")
    default_paths = 100_000
    min_chunk_paths = 64

    def prepare(self, model: Model) -> tuple:
        nu = float(model["nu"])
        heavy = math.isfinite(nu)
        return int(model["n"]), float(model["sigma"]), nu if heavy else 0.0, heavy

    def run_chunk(self, prepared, gen, n_paths, max_steps):
        n, sigma, nu, heavy = prepared
        return _paths(gen, n_paths, n, sigma, nu, heavy)  # max_steps: a path is n steps

    def summarize(self, model, totals, paths, level, interval):
        return _SUMMARY(totals, paths, level, interval, self.quantities)


register_simulator(BestOfNSimulator())
