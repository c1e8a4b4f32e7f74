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
from driftkit.montecarlo.engine.core import Simulator, register_simulator
from driftkit.montecarlo.engine.stats import Estimate, censored_proportion, mean_interval
from driftkit.theory import Model
from driftkit.theory.goodhart_selection import GoodhartSelection
from numba import njit

__all__ = ["GoodhartSelectionSimulator"]


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
    acc = np.empty(8, dtype=np.float64)
    acc[0] = n_sel
    acc[1] = n_dec
    acc[2] = sum_v
    acc[3] = sum_v2
    acc[4] = n_top
    acc[5] = n_top_dec
    acc[6] = sum_t
    acc[7] = sum_t2
    return acc


_ACC = ("n_sel", "n_dec", "sum_v", "sum_v2", "n_top", "n_top_dec", "sum_t", "sum_t2")


def _rate(k: int, n: int, level: float, interval: str) -> Estimate:
    if n == 0:  # nothing selected: no information
        return Estimate(math.nan, 0.0, 1.0, 0, level, interval)
    return censored_proportion(k, 0, n, level, interval)


def _mean(total: float, total_sq: float, n: int, level: float) -> Estimate:
    if n < 2:
        est = total / n if n else math.nan
        return Estimate(est, -math.inf, math.inf, n, level, "clt")
    mean, low, high = mean_interval(total, total_sq, n, level)
    return Estimate(mean, low, high, n, level, "clt")


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
        acc = dict(zip(_ACC, totals.tolist(), strict=True))
        n_sel, n_dec, n_top, n_top_dec = (
            int(acc[k]) for k in ("n_sel", "n_dec", "n_top", "n_top_dec")
        )
        est = {
            "deceptive_probability": censored_proportion(n_dec, 0, paths, level, interval),
            "false_pass_rate": _rate(n_dec, n_sel, level, interval),
            "selected_true_mean": _mean(acc["sum_v"], acc["sum_v2"], n_sel, level),
            "top_fraction_true_mean": _mean(acc["sum_t"], acc["sum_t2"], n_top, level),
            "top_fraction_deceptive_rate": _rate(n_top_dec, n_top, level, interval),
        }
        return {k: est[k] for k in self.quantities}, 0, paths


register_simulator(GoodhartSelectionSimulator())
