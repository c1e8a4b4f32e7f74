r"""Monte Carlo for :class:`driftkit.theory.moran.Moran`: the Moran birth-death chain,
event by event.

A path starts with ``i0`` copies and runs until the variant is lost (0) or fixed
(``N``), or until the step budget. Holding events are not drawn one by one: in
state :math:`i` the chain moves with probability :math:`w_i = T^+_i + T^-_i`,
so the number of events up to and including the next move is
:math:`\mathrm{Geometric}(w_i)`, and the move is up with probability
:math:`T^+_i / w_i = r/(1+r)` whatever :math:`i`. This is exact in law: the
path's event count (the model's time, holding events included) has exactly the
chain's distribution. A path whose next move would come after ``max_steps``
events is censored at ``max_steps`` events.

Estimates: the fixation probability is the proportion of fixed paths (censored
paths allowed for both ways); the mean absorption time is the mean event count
(censored paths enter at the budget, a lower bound, so the interval is then
open above); the mean fixation time is the mean over the fixed paths (a
censored path could still fix later, after more than ``max_steps`` events, so
with any censoring the interval is open above). The diffusion approximation is
compared with the same fixation proportion, allowing its proven error bound
(:func:`driftkit.theory.moran.diffusion_error_bound`) beside the interval.
"""

from __future__ import annotations

import numpy as np
from driftkit.montecarlo.engine.accumulators import layout
from driftkit.montecarlo.engine.core import Simulator, register_simulator
from driftkit.montecarlo.engine.stats import CensoredMean, Proportion, Summary
from driftkit.theory import Model
from driftkit.theory.moran import Moran
from numba import njit

__all__ = ["MoranSimulator"]


#: the kernel's accumulators: paths fixed, lost, censored; the moves; sums of the events
#: T (a censored path's budget) and T^2, over all paths and over the fixed ones
_ACC = layout(
    "MoranAcc", "fixed", "lost", "censored", "moves", "sum_t", "sum_t2", "sum_fix", "sum_fix2"
)
_FIXATION = Proportion("fixed", "censored")
_SUMMARY = Summary(
    _ACC,
    {
        "fixation_probability": _FIXATION,
        "mean_absorption_time": CensoredMean("sum_t", "sum_t2", "censored"),
        # conditional on fixing (no information if no path fixed); censored paths might
        # fix later (after more than max_steps events), which only raises the mean: the
        # interval opens above
        "mean_fixation_time": CensoredMean("sum_fix", "sum_fix2", "censored", of="fixed"),
        "diffusion_fixation_probability": _FIXATION,
    },
    steps="sum_t",
)


@njit(cache=True, nogil=True)
def _paths(gen, n_paths, n, r, i0, max_steps):  # pragma: no cover
    """Simulate ``n_paths`` Moran paths from ``i0``; return the accumulators (see ``_ACC``)."""
    up = r / (1.0 + r)
    fixed = 0
    lost = 0
    censored = 0
    moves = 0
    sum_t = 0.0
    sum_t2 = 0.0
    sum_fix = 0.0
    sum_fix2 = 0.0
    for _ in range(n_paths):
        i = i0
        t = 0
        while 0 < i < n:
            # P(move) = T+ + T- = i (N - i) (1 + r) / (N (r i + N - i))
            w = i * (n - i) * (1.0 + r) / (n * (r * i + (n - i)))
            g = gen.geometric(min(w, 1.0))
            if g > max_steps - t:
                t = max_steps
                break
            t += g
            moves += 1
            if gen.random() < up:
                i += 1
            else:
                i -= 1
        tf = float(t)
        sum_t += tf
        sum_t2 += tf * tf
        if i == n:
            fixed += 1
            sum_fix += tf
            sum_fix2 += tf * tf
        elif i == 0:
            lost += 1
        else:
            censored += 1
    out = np.empty(len(_ACC), dtype=np.float64)
    out[_ACC.fixed] = fixed
    out[_ACC.lost] = lost
    out[_ACC.censored] = censored
    out[_ACC.moves] = moves
    out[_ACC.sum_t] = sum_t
    out[_ACC.sum_t2] = sum_t2
    out[_ACC.sum_fix] = sum_fix
    out[_ACC.sum_fix2] = sum_fix2
    return out


class MoranSimulator(Simulator):
    """Exact simulation of the Moran chain (holding events jumped over geometrically)."""

    model_class = Moran
    quantities = (
        "fixation_probability",
        "mean_absorption_time",
        "mean_fixation_time",
        "diffusion_fixation_probability",
    )
    # at the defaults a path averages about 160 moves (690 events): 100,000 paths ~ 1 s
    default_paths = 100_000
    min_chunk_paths = 1024

    def prepare(self, model: Model) -> tuple:
        return int(model["N"]), float(model["r"]), int(model["i0"])

    def run_chunk(self, prepared, gen, n_paths, max_steps):
        n, r, i0 = prepared
        return _paths(gen, n_paths, n, r, i0, max_steps)

    def tolerance(self, model: Model, name: str) -> float:
        """The diffusion's proven error bound for ``diffusion_fixation_probability``, else 0.

        The simulation estimates the exact fixation probability; Kimura's formula exceeds
        it by at most :func:`driftkit.theory.moran.diffusion_error_bound` (derived in the model's
        derivation), which is therefore allowed beside the interval.
        """
        return model.allowance(name).value

    def summarize(self, model, totals, paths, level, interval):
        return _SUMMARY(totals, paths, level, interval)


register_simulator(MoranSimulator())
