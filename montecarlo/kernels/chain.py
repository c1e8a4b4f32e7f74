r"""Monte Carlo of the chain family (:mod:`driftkit.theory.families.chain`).

One compiled kernel serves every chain spec: the chain enters as a table (for each
transient state, its moves' cumulative probabilities and target states), so nothing is
generated or compiled per spec. One uniform per step picks the move by scanning the
state's row; the rest of the row is staying put.
"""

from __future__ import annotations

import numpy as np
from driftkit.montecarlo.engine.core import Simulator
from driftkit.montecarlo.engine.stats import censored_proportion, censored_time_mean
from driftkit.theory import Model
from driftkit.theory.families.chain import Chain
from numba import njit

__all__ = ["ChainSimulator", "simulator_for"]


@njit(cache=True, nogil=True)
def _chains(
    gen, n_paths, start, n_transient, n_absorbing, row_start, cum, target, max_steps
):  # pragma: no cover
    """Simulate ``n_paths`` chains; return [hits per absorbing state..., censored, steps,
    sum of squared times]."""
    out = np.zeros(n_absorbing + 3)
    for _ in range(n_paths):
        s = start
        t = 0
        while s < n_transient and t < max_steps:
            u = gen.random()
            a = row_start[s]
            b = row_start[s + 1]
            for k in range(a, b):
                if u < cum[k]:
                    s = target[k]
                    break
            t += 1
        if s >= n_transient:
            out[s - n_transient] += 1
        else:
            out[n_absorbing] += 1
        out[n_absorbing + 1] += t
        out[n_absorbing + 2] += float(t) * float(t)
    return out


class ChainSimulator(Simulator):
    """Exact simulation of one chain spec, step by step."""

    def __init__(self, model_class: type[Chain]) -> None:
        self.model_class = model_class
        self.quantities = tuple(q.name for q in model_class.quantities)

    def prepare(self, model: Model) -> tuple:
        row_start, cum, target, start = model.chain_table()
        return (start, len(model.transient), len(model.absorbing), row_start, cum, target)

    def run_chunk(self, prepared, gen, n_paths, max_steps):
        return _chains(gen, n_paths, *prepared, max_steps)

    def summarize(self, model, totals, paths, level, interval):
        m = len(model.absorbing)
        censored, steps = int(totals[m]), int(totals[m + 1])
        est = {
            f"absorption_probability_{a}": censored_proportion(
                int(totals[k]), censored, paths, level, interval
            )
            for k, a in enumerate(model.absorbing)
        }
        est["mean_absorption_time"] = censored_time_mean(
            totals[m + 1], totals[m + 2], paths, censored, level
        )
        return est, censored, steps


def simulator_for(cls: type[Chain]) -> ChainSimulator:
    """The simulator of the chain spec class ``cls``."""
    return ChainSimulator(cls)
