"""Monte Carlo for :class:`theory.GamblersRuin`: the lattice walk with holding.

Speed comes from drawing fewer random numbers than steps, exactly. A step
compares a uniform ``U`` with ``p`` and ``p + q``. One uniform double carries
52 usable random bits, cut here into four 13-bit cells ``b``; the cell tells
the step outright unless a threshold falls inside it (``U in [b, b+1) / 2**13``
with ``p * 2**13`` or ``(p+q) * 2**13`` in that range), and then a fresh
uniform ``V`` completes ``U = (b + V) / 2**13`` and decides. The step law is
therefore exactly that of one uniform per step, at about a quarter of the
draws (plus ``2 / 2**13`` per step for the rare undecided cells).

Between checks the walk takes ``d = min(x - lo, hi - x)`` steps at once: it
cannot reach a barrier in fewer than ``d`` steps, so the barrier test is done
once per block.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from montecarlo._engine import Simulator, register_simulator
from montecarlo._stats import (
    Estimate,
    censored_proportion,
    censored_time_mean,
    normal_estimate,
)
from theory import GamblersRuin, Model

__all__ = ["GamblersRuinSimulator", "step_table"]

CELL_BITS = 13
CELLS_PER_DRAW = 4  # 4 * 13 = 52 bits of one uniform double
_UNDECIDED = 2


def step_table(p: float, q: float) -> tuple[np.ndarray, float, float]:
    """The step of each 13-bit cell: +1, -1, 0, or 2 where a threshold cuts the cell.

    Returns the table and the thresholds ``p * 2**13`` and ``(p+q) * 2**13``
    (exact: scaling by a power of two) used to decide the cut cells.
    """
    m = 1 << CELL_BITS
    t_up, t_move = p * m, (p + q) * m
    b = np.arange(m, dtype=np.float64)
    table = np.full(m, _UNDECIDED, dtype=np.int8)
    table[b + 1 <= t_up] = 1
    table[(b >= t_up) & (b + 1 <= t_move)] = -1
    table[b >= t_move] = 0
    return table, t_up, t_move


@njit(cache=True, nogil=True)
def _walk(gen, n_paths, x0, lo, hi, max_steps, table, t_up, t_move):  # pragma: no cover
    """Simulate ``n_paths`` walks; return the accumulators (see ``_ACC``)."""
    mask = (1 << CELL_BITS) - 1
    scale = 4503599627370496.0  # 2**52
    escaped = 0
    ruined = 0
    censored = 0
    steps = 0
    moves = 0
    displacement = 0
    sum_t2 = 0.0
    bits = 0
    left = 0
    for _ in range(n_paths):
        x = x0
        t = 0
        while True:
            d = min(x - lo, hi - x, max_steps - t)
            if d <= 0:
                break
            for _j in range(d):
                if left == 0:
                    bits = np.int64(gen.random() * scale)
                    left = CELLS_PER_DRAW
                b = bits & mask
                bits >>= CELL_BITS
                left -= 1
                s = table[b]
                if s == _UNDECIDED:
                    u = b + gen.random()
                    s = 1 if u < t_up else (-1 if u < t_move else 0)
                x += s
                moves += s & 1
            t += d
        if x == hi:
            escaped += 1
        elif x == lo:
            ruined += 1
        else:
            censored += 1
        steps += t
        displacement += x - x0
        sum_t2 += float(t) * float(t)
    out = np.empty(7, dtype=np.float64)
    out[0] = escaped
    out[1] = ruined
    out[2] = censored
    out[3] = steps
    out[4] = moves
    out[5] = displacement
    out[6] = sum_t2
    return out


_ACC = ("escaped", "ruined", "censored", "steps", "moves", "displacement", "sum_t2")


class GamblersRuinSimulator(Simulator):
    """Exact simulation of the walk, step by step (holding steps included)."""

    model_class = GamblersRuin
    quantities = (
        "drift_rate",
        "step_variance",
        "escape_probability",
        "ruin_probability",
        "mean_exit_time",
    )

    def prepare(self, model: Model) -> tuple:
        table, t_up, t_move = step_table(model["p"], model["q"])
        return (model["x0"], model["lo"], model["hi"], table, t_up, t_move)

    def run_chunk(self, prepared, gen, n_paths, max_steps):
        x0, lo, hi, table, t_up, t_move = prepared
        return _walk(gen, n_paths, x0, lo, hi, max_steps, table, t_up, t_move)

    def summarize(self, model, totals, paths, level, interval):
        acc = dict(zip(_ACC, totals.tolist(), strict=True))
        escaped, ruined, censored = (int(acc[k]) for k in ("escaped", "ruined", "censored"))
        steps, moves, disp = (int(acc[k]) for k in ("steps", "moves", "displacement"))
        est: dict[str, Estimate] = {
            "escape_probability": censored_proportion(escaped, censored, paths, level, interval),
            "ruin_probability": censored_proportion(ruined, censored, paths, level, interval),
        }
        # Exit time: censored paths count as max_steps, a lower bound, so the
        # interval is open above when any path was censored.
        est["mean_exit_time"] = censored_time_mean(
            float(steps), acc["sum_t2"], paths, censored, level
        )
        # Per-step law from all steps drawn. Every step is an independent draw
        # whatever the stopping rule, and by Wald's identities the ratio
        # estimators below have the i.i.d. (multinomial) variance asymptotically.
        if steps > 0:
            up, down = (moves + disp) / 2, (moves - disp) / 2
            ph, qh = up / steps, down / steps
            mu = (up - down) / steps
            var = ph + qh - mu * mu
            m4 = ph * (1 - mu) ** 4 + qh * (1 + mu) ** 4 + (1 - ph - qh) * mu**4
            est["drift_rate"] = normal_estimate(mu, math.sqrt(var / steps), steps, level)
            est["step_variance"] = normal_estimate(
                var, math.sqrt(max(m4 - var * var, 0.0) / steps), steps, level
            )
        return {k: est[k] for k in self.quantities if k in est}, censored, steps


register_simulator(GamblersRuinSimulator())
