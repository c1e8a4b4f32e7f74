r"""Monte Carlo for :class:`driftkit.theory.wright_fisher.WrightFisher`: the chain,
generation by generation.

A path starts with :math:`X_0 = N p_0` copies of the variant. Each generation draws
:math:`X' \sim \mathrm{Binomial}(N, p')` with :math:`p' = (1-u)\,x(1+s)/(1+xs)`,
:math:`x = X/N` (selection with variant fitness :math:`1+s`, one-way mutation variant
:math:`\to` resident, binomial sampling), computed in the kernel from the formula, not
from the theory's tables. The path stops at the first generation with :math:`X = 0`
(loss) or :math:`X = N` (fixation; with :math:`u > 0` its *first* fixation, as in the
theory), or after ``max_steps`` generations, when it is censored.

Estimates: ``exact_fixation_probability`` is the proportion of fixed paths (Wilson or
Clopper-Pearson; censored paths counted as lost at the low end and as fixed at the
high end, so the interval covers every way they could have ended);
``mean_absorption_time`` is the mean number of generations (CLT; censored paths enter
at the budget, a lower bound, and the interval is then open above). Kimura's
``fixation_probability`` (an approximation) is compared with the same proportion when
:math:`u = 0`, allowing the stated error envelope
:meth:`driftkit.theory.wright_fisher.WrightFisher.kimura_error_envelope` beside the interval;
with :math:`u > 0` it is not compared (it ignores mutation). The deterministic
``mutation_selection_balance`` (:math:`N = \infty`) is not simulated.
"""

from __future__ import annotations

import numpy as np
from driftkit.montecarlo.engine.accumulators import layout
from driftkit.montecarlo.engine.core import Simulator, register_simulator
from driftkit.montecarlo.engine.stats import CensoredMean, Proportion, Summary
from driftkit.theory import Model
from driftkit.theory.wright_fisher import WrightFisher
from numba import njit

__all__ = ["WrightFisherSimulator"]


#: the kernel's accumulators: paths fixed, lost, censored; sums of the generations T
#: (a censored path's budget) and T^2; the generations are the steps
_ACC = layout("WrightFisherAcc", "fixed", "lost", "censored", "sum_t", "sum_t2")
_FIXATION = Proportion("fixed", "censored")
_SUMMARY = Summary(
    _ACC,
    {
        "exact_fixation_probability": _FIXATION,
        "mean_absorption_time": CensoredMean("sum_t", "sum_t2", "censored"),
        "fixation_probability": _FIXATION,
    },
    steps="sum_t",
)


@njit(cache=True, nogil=True)
def _paths(gen, n_paths, n, x0, s, u, max_steps):  # pragma: no cover
    """Simulate ``n_paths`` Wright-Fisher paths from ``x0`` copies; return ``_ACC``."""
    fixed = 0
    lost = 0
    censored = 0
    sum_t = 0.0
    sum_t2 = 0.0
    for _ in range(n_paths):
        x = x0
        t = 0
        while 0 < x < n and t < max_steps:
            p = x / n
            x = gen.binomial(n, (1.0 - u) * p * (1.0 + s) / (1.0 + p * s))
            t += 1
        if x == n:
            fixed += 1
        elif x == 0:
            lost += 1
        else:
            censored += 1
        tf = float(t)
        sum_t += tf
        sum_t2 += tf * tf
    out = np.empty(len(_ACC), dtype=np.float64)
    out[_ACC.fixed] = fixed
    out[_ACC.lost] = lost
    out[_ACC.censored] = censored
    out[_ACC.sum_t] = sum_t
    out[_ACC.sum_t2] = sum_t2
    return out


class WrightFisherSimulator(Simulator):
    """Exact simulation of the Wright-Fisher chain (one binomial draw per generation)."""

    model_class = WrightFisher
    quantities = ("exact_fixation_probability", "mean_absorption_time", "fixation_probability")
    # at the defaults a path lasts about 12 generations: 300,000 paths take ~1 s on 2 cores
    default_paths = 300_000
    min_chunk_paths = 1024

    def prepare(self, model: Model) -> tuple:
        return int(model["N"]), int(model.copies), float(model["s"]), float(model["u"])

    def run_chunk(self, prepared, gen, n_paths, max_steps):
        n, x0, s, u = prepared
        return _paths(gen, n_paths, n, x0, s, u, max_steps)

    def simulated_quantities(self, model: Model) -> tuple[str, ...]:
        """Kimura's formula is compared only for ``u = 0`` (it ignores mutation)."""
        if model["u"] > 0:
            return ("exact_fixation_probability", "mean_absorption_time")
        return self.quantities

    def tolerance(self, model: Model, name: str) -> float:
        r"""The stated envelope of Kimura's error for ``fixation_probability``, else 0.

        The simulation estimates the chain's exact fixation probability; the diffusion
        differs from it by at most
        :meth:`~driftkit.theory.wright_fisher.WrightFisher.kimura_error_envelope`
        (:math:`\min(|s|/2, (|s| + 1.5 N s^2) P_{\mathrm{Kimura}})`, an envelope measured
        against the exact chain, see the model's derivation), allowed beside the interval.
        """
        return model.allowance(name).value

    def summarize(self, model, totals, paths, level, interval):
        return _SUMMARY(totals, paths, level, interval, self.simulated_quantities(model))


register_simulator(WrightFisherSimulator())
