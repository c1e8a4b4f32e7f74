r"""Monte Carlo for :class:`driftkit.theory.goodhart_selection.GoodhartSelection`.

Each "path" is one candidate with :math:`A = Z_1`, :math:`V = \rho Z_1 +
\sqrt{1-\rho^2}\,Z_2` for two independent standard normals (exact in law, ``rho = +-1``
included), simulated as described below (not all of them are drawn in full). The
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

**Candidates that cannot be counted are not drawn in full** (exact in law). A
candidate with :math:`A \le \ell = \min(c, z_q)` enters no accumulator. For :math:`n`
candidates the kernel draws the number :math:`N_+ \sim \mathrm{Binomial}(n, 1/2)` with
:math:`A > 0`, whose proxies are then i.i.d. :math:`|Z|` (the half-normal: the law of
:math:`A` given :math:`A > 0`), and keeps those above :math:`\ell`; when
:math:`\ell < 0` the other :math:`n - N_+` are :math:`-|Z|`, kept when above
:math:`\ell`, and when :math:`\ell \ge 0` they are never drawn. Far in the tail
(:math:`\ell \ge` ``TAIL_FROM`` :math:`= 1.5`) it instead draws :math:`N_\ell \sim
\mathrm{Binomial}(n, \bar\Phi(\ell))` and that many proxies from the normal tail above
:math:`\ell` by Marsaglia's exact rejection method (:math:`x = \sqrt{\ell^2 - 2\log
U_1}`, kept when :math:`U_2 x < \ell`; Marsaglia 1964, Devroye 1986 ch. IX.1), all of
them kept. Conditional on the counts the kept proxies are i.i.d. from the law of
:math:`A` given :math:`A > \ell`, so the accumulators have exactly the law of drawing
all :math:`n` pairs (the random stream is different). :math:`V` is drawn (one normal,
:math:`\rho a + \sqrt{1-\rho^2}\,Z_2`) only for a kept candidate. For the defaults
(:math:`\ell = 0`) that is about :math:`n/2` half-normals and :math:`n/2` normals, one
normal per candidate instead of two.

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
from scipy import special

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


#: at and above this lower threshold the proxies are drawn from the normal tail
#: (Marsaglia's method, about 19 ns a draw at 1.5 here) instead of as half-normals kept
#: above it (3.2 ns a half-normal, kept with probability 2 Phi-bar(l)): measured break-even
TAIL_FROM = 1.5


@njit(cache=True, nogil=True)
def _tail(gen, lo):  # pragma: no cover
    """One draw of ``A`` given ``A > lo`` (``lo > 0``), Marsaglia's exact tail method."""
    while True:
        x = math.sqrt(lo * lo - 2.0 * math.log(1.0 - gen.random()))  # 1 - U in (0, 1]
        if gen.random() * x < lo:
            return x


@njit(cache=True, nogil=True)
def _paths(gen, n_paths, rho, c, z_q, sf_lo):  # pragma: no cover
    """Simulate ``n_paths`` candidates; return the accumulators (see ``_ACC``).

    Only candidates with ``A > min(c, z_q)`` are drawn (see the module docstring);
    ``sf_lo`` is ``P(A > min(c, z_q))``, used in the tail regime.
    """
    s = math.sqrt(max(0.0, (1.0 - rho) * (1.0 + rho)))
    lo = min(c, z_q)
    n_sel = 0
    n_dec = 0
    sum_v = 0.0
    sum_v2 = 0.0
    n_top = 0
    n_top_dec = 0
    sum_t = 0.0
    sum_t2 = 0.0
    if lo >= TAIL_FROM:
        n_pos = gen.binomial(n_paths, sf_lo)
        n_neg = 0
    else:
        n_pos = gen.binomial(n_paths, 0.5)
        n_neg = n_paths - n_pos if lo < 0.0 else 0
    for i in range(n_pos + n_neg):
        if lo >= TAIL_FROM:
            a = _tail(gen, lo)
        else:
            a = abs(gen.standard_normal())
            if i >= n_pos:
                a = -a
            if not a > lo:
                continue
        v = rho * a + s * gen.standard_normal()
        neg = v < 0.0
        if a > c:
            n_sel += 1
            n_dec += neg
            sum_v += v
            sum_v2 += v * v
        if a > z_q:
            n_top += 1
            n_top_dec += neg
            sum_t += v
            sum_t2 += v * v
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
    """Exact bivariate normal candidates (those that cannot be selected are not drawn in
    full; see the module); counts and sums over the selected ones."""

    model_class = GoodhartSelection
    quantities = (
        "deceptive_probability",
        "false_pass_rate",
        "selected_true_mean",
        "top_fraction_true_mean",
        "top_fraction_deceptive_rate",
    )

    # a candidate costs a few ns: big sub-batches keep the per-call overhead small
    min_chunk_paths = 65536

    def prepare(self, model: Model) -> tuple:
        rho, c, z_q = float(model["rho"]), float(model["c"]), float(model.z_q)
        return rho, c, z_q, float(special.ndtr(-min(c, z_q)))

    def run_chunk(self, prepared, gen, n_paths, max_steps):
        return _paths(gen, n_paths, *prepared)  # max_steps: one step per path

    def summarize(self, model, totals, paths, level, interval):
        return _SUMMARY(totals, paths, level, interval, self.quantities)


register_simulator(GoodhartSelectionSimulator())
