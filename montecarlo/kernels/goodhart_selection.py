r"""Monte Carlo for :class:`driftkit.theory.goodhart_selection.GoodhartSelection`.

Each "path" is one candidate: :math:`A = Z_1`, :math:`V = \rho Z_1 + \sqrt{1-\rho^2}\,Z_2`
with two independent standard normals (exact in law, ``rho = +-1`` included). The
kernel counts the candidates with :math:`A > c` and, among them, those with
:math:`V < 0`, with the sums of :math:`V` and :math:`V^2` over them; and the same at
the top-fraction threshold :math:`z_q = \Phi^{-1}(1 - q)` (selection at the
population quantile, as in the theory, not the empirical top :math:`qn`).

Intervals: ``deceptive_probability`` is a proportion of all candidates (Wilson).
The conditional quantities are ratios over the *random* number :math:`n_{sel}` of
selected candidates; conditional on :math:`n_{sel}`, the selected candidates are
i.i.d. draws from the law of :math:`(A, V)` given :math:`A > c`, so a Wilson interval
with :math:`n = n_{sel}` (rates) or the CLT interval of the :math:`n_{sel}` selected
values (means) has its coverage conditionally, hence also unconditionally. With no
(or one) selected candidate the interval is the whole range (no information).

There is one step per candidate, so ``max_steps`` never binds: it is accepted for
the engine's signature and ignored; nothing is ever censored.
"""

from __future__ import annotations

import math

import numpy as np
from driftkit.montecarlo.engine.accumulators import layout
from driftkit.montecarlo.engine.core import Simulator, register_simulator
from driftkit.montecarlo.engine.stats import Mean, Proportion, Summary
from driftkit.theory import Model
from driftkit.theory.goodhart_selection import GoodhartSelection
from numba import njit

__all__ = ["GoodhartSelectionSimulator"]


#: the kernel's accumulators: candidates selected (a > c), selected and deceptive (v < 0),
#: the sums of their v and v^2, the same for the top fraction (a > z_q)
_ACC = layout(
    "GoodhartSelectionAcc",
    "n_sel",
    "n_dec",
    "sum_v",
    "sum_v2",
    "n_top",
    "n_top_dec",
    "sum_t",
    "sum_t2",
)
#: one candidate per path, never censored (the steps are the paths)
_SUMMARY = Summary(
    _ACC,
    {
        "deceptive_probability": Proportion("n_dec"),
        "false_pass_rate": Proportion("n_dec", of="n_sel"),
        "selected_true_mean": Mean("sum_v", "sum_v2", of="n_sel"),
        "top_fraction_true_mean": Mean("sum_t", "sum_t2", of="n_top"),
        "top_fraction_deceptive_rate": Proportion("n_top_dec", of="n_top"),
    },
    censored=None,
    steps=None,
)


@njit(cache=True, nogil=True)
def _paths(gen, n_paths, rho, c, z_q):  # pragma: no cover
    """Simulate ``n_paths`` candidates; return the accumulators (see ``_ACC``)."""
    s = math.sqrt(max(0.0, (1.0 - rho) * (1.0 + rho)))
    n_sel = 0
    n_dec = 0
    sum_v = 0.0
    sum_v2 = 0.0
    n_top = 0
    n_top_dec = 0
    sum_t = 0.0
    sum_t2 = 0.0
    for _ in range(n_paths):
        a = gen.standard_normal()
        v = rho * a + s * gen.standard_normal()
        if a > c:
            n_sel += 1
            sum_v += v
            sum_v2 += v * v
            if v < 0.0:
                n_dec += 1
        if a > z_q:
            n_top += 1
            sum_t += v
            sum_t2 += v * v
            if v < 0.0:
                n_top_dec += 1
    acc = np.empty(len(_ACC), dtype=np.float64)
    acc[_ACC.n_sel] = n_sel
    acc[_ACC.n_dec] = n_dec
    acc[_ACC.sum_v] = sum_v
    acc[_ACC.sum_v2] = sum_v2
    acc[_ACC.n_top] = n_top
    acc[_ACC.n_top_dec] = n_top_dec
    acc[_ACC.sum_t] = sum_t
    acc[_ACC.sum_t2] = sum_t2
    return acc


class GoodhartSelectionSimulator(Simulator):
    """Exact bivariate normal candidates; counts and sums over the selected ones."""

    model_class = GoodhartSelection
    quantities = (
        "deceptive_probability",
        "false_pass_rate",
        "selected_true_mean",
        "top_fraction_true_mean",
        "top_fraction_deceptive_rate",
    )

    def prepare(self, model: Model) -> tuple:
        return float(model["rho"]), float(model["c"]), float(model.z_q)

    def run_chunk(self, prepared, gen, n_paths, max_steps):
        rho, c, z_q = prepared
        return _paths(gen, n_paths, rho, c, z_q)  # max_steps: one step per path

    def summarize(self, model, totals, paths, level, interval):
        return _SUMMARY(totals, paths, level, interval, self.quantities)


register_simulator(GoodhartSelectionSimulator())
