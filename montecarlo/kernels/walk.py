r"""Monte Carlo of the walk family (:mod:`driftkit.theory.families.walk`).

One compiled kernel serves every walk spec: the step law enters as per-state tables
(``up``, ``down``, ``detect`` for every state ``first .. hi - 1``, precomputed from the
spec's expressions), so no code is generated and nothing is compiled per spec.

As in the built-in gamblers-ruin kernel, one uniform double is cut into four 13-bit
cells; a cell decides the step outright unless one of the state's thresholds
``u 2**13``, ``(u+w) 2**13``, ``(u+w+d) 2**13`` falls inside it, and then a fresh uniform
completes the draw. The law of each step is exactly that of one uniform per step. A
block of ``min(x - lo, hi - x)`` steps runs without a barrier check. With
``lo = -inf`` the tables have one entry, used in every state.
"""

from __future__ import annotations

import math

import numpy as np
from driftkit.montecarlo.engine.accumulators import layout
from driftkit.montecarlo.engine.core import Simulator
from driftkit.montecarlo.engine.stats import CensoredMean, Proportion, Summary, normal_estimate
from driftkit.theory import Model
from driftkit.theory.families.walk import NEG_INF_POSITION, Walk
from numba import njit

__all__ = ["WalkSimulator", "simulator_for"]

CELL_BITS = 13
CELLS_PER_DRAW = 4

_ACC = layout(
    "WalkAcc", "escaped", "ruined", "detected", "censored", "steps", "sum_t2", "first",
    "first_sq",
)  # fmt: skip
_SUMMARY = Summary(
    _ACC,
    {
        "escape_probability": Proportion("escaped", "censored"),
        "ruin_probability": Proportion("ruined", "censored"),
        "detection_probability": Proportion("detected", "censored"),
        "mean_exit_time": CensoredMean("steps", "sum_t2", "censored"),
    },
)


_UNDECIDED = 3
_DETECTED = 2
#: most distinct step laws given a cell table each (8 KiB per law); beyond, every step
#: completes its cell with a second uniform (exact, slower)
MAX_TABLES = 4096


def cell_tables(up, down, detect) -> tuple[np.ndarray, np.ndarray, bool]:
    """Per-law 13-bit cell tables and each state's row: ``(tables, row_of, use_tables)``.

    A cell's entry is +1, -1, 0 (stay), 2 (detected), or 3 where a threshold cuts the
    cell. States with the same law share a row, so a constant law has one.
    """
    m = 1 << CELL_BITS
    t1, t2, t3 = up * m, (up + down) * m, np.minimum(up + down + detect, 1.0) * m
    laws, row_of = np.unique(np.stack([t1, t2, t3], axis=1), axis=0, return_inverse=True)
    row_of = np.ascontiguousarray(row_of.reshape(-1), dtype=np.int64)
    if len(laws) > MAX_TABLES:
        return np.full((1, m), _UNDECIDED, dtype=np.int8), np.zeros_like(row_of), False
    b = np.arange(m, dtype=np.float64)
    tables = np.full((len(laws), m), _UNDECIDED, dtype=np.int8)
    for r, (a1, a2, a3) in enumerate(laws):
        row = tables[r]
        row[b + 1 <= a1] = 1
        row[(b >= a1) & (b + 1 <= a2)] = -1
        row[(b >= a2) & (b + 1 <= a3)] = _DETECTED
        row[b >= a3] = 0
    return tables, row_of, True


@njit(cache=True, nogil=True)
def _decide(u, i, t1, t2, t3):  # pragma: no cover
    """The outcome of the scaled uniform ``u`` in table state ``i``: +1, -1, 2 or 0."""
    if u < t1[i]:
        return 1
    if u < t2[i]:
        return -1
    if u < t3[i]:
        return _DETECTED
    return 0


@njit(cache=True, nogil=True)
def _walks(
    gen, n_paths, x0, lo, hi, first, tables, row_of, t1, t2, t3, max_steps
):  # pragma: no cover
    """Simulate ``n_paths`` walks; return the accumulators (see ``_ACC``)."""
    mask = (1 << CELL_BITS) - 1
    scale = 4503599627370496.0  # 2**52
    last = t1.shape[0] - 1
    single = tables.shape[0] == 1  # one law (or no tables): no per-state lookup
    flat = tables.ravel()
    m = 1 << CELL_BITS
    escaped = 0
    ruined = 0
    detected = 0
    censored = 0
    steps = 0
    sum_t2 = 0.0
    first_sum = 0.0
    first_sq = 0.0
    bits = 0
    left = 0
    for _ in range(n_paths):
        x = x0
        t = 0
        caught = False
        start = x0
        while True:
            d = min(x - lo, hi - x, max_steps - t)
            if d <= 0:
                break
            for j in range(d):
                if left == 0:
                    bits = np.int64(gen.random() * scale)
                    left = CELLS_PER_DRAW
                b = bits & mask
                bits >>= CELL_BITS
                left -= 1
                if single:
                    s = flat[b]
                else:
                    s = flat[row_of[x - first] * m + b]
                if s >= _DETECTED:
                    if s == _UNDECIDED:
                        i = min(max(x - first, 0), last)
                        s = _decide(b + gen.random(), i, t1, t2, t3)
                    if s == _DETECTED:
                        caught = True
                        t += j + 1
                        break
                x += s
                if t == 0 and j == 0:
                    start = x
            if caught:
                if t == 1:
                    start = x0
                break
            t += d
        if caught:
            detected += 1
        elif x == hi:
            escaped += 1
        elif x == lo:
            ruined += 1
        else:
            censored += 1
        steps += t
        sum_t2 += float(t) * float(t)
        f = float(start - x0)
        first_sum += f
        first_sq += f * f
    out = np.empty(len(_ACC), dtype=np.float64)
    out[_ACC.escaped] = escaped
    out[_ACC.ruined] = ruined
    out[_ACC.detected] = detected
    out[_ACC.censored] = censored
    out[_ACC.steps] = steps
    out[_ACC.sum_t2] = sum_t2
    out[_ACC.first] = first_sum
    out[_ACC.first_sq] = first_sq
    return out


class WalkSimulator(Simulator):
    """Exact simulation of one walk spec, step by step (table-driven kernel)."""

    quantities = (
        "drift_rate",
        "escape_probability",
        "ruin_probability",
        "detection_probability",
        "mean_exit_time",
    )

    def __init__(self, model_class: type[Walk]) -> None:
        self.model_class = model_class

    def prepare(self, model: Model) -> tuple:
        first, up, down, det = model.walk_tables()
        m = float(1 << CELL_BITS)
        t1 = up * m
        t2 = (up + down) * m
        t3 = np.minimum(up + down + det, 1.0) * m
        lo = model.lo if math.isfinite(model.lo) else NEG_INF_POSITION
        tables, row_of, _ = cell_tables(up, down, det)
        return (int(model["x0"]), int(lo), int(model.hi), int(first), tables, row_of, t1, t2, t3)

    def run_chunk(self, prepared, gen, n_paths, max_steps):
        return _walks(gen, n_paths, *prepared, max_steps)

    def simulated_quantities(self, model: Model) -> tuple[str, ...]:
        out = list(self.quantities)
        if not math.isfinite(model.lo):  # drifting to -inf is never observed in finite time
            out.remove("ruin_probability")
            if not math.isfinite(model.value("mean_exit_time")):
                out.remove("mean_exit_time")
        return tuple(out)

    def summarize(self, model, totals, paths, level, interval):
        names = [q for q in self.simulated_quantities(model) if q != "drift_rate"]
        est, censored, steps = _SUMMARY(totals, paths, level, interval, names)
        acc = _SUMMARY.read(totals)
        # drift_rate = up(x0) - down(x0): the mean of every path's first step
        mean = acc["first"] / paths
        var = max(acc["first_sq"] / paths - mean * mean, 0.0)
        est["drift_rate"] = normal_estimate(mean, math.sqrt(var / paths), paths, level)
        return {k: est[k] for k in self.simulated_quantities(model)}, censored, steps


def simulator_for(cls: type[Walk]) -> WalkSimulator:
    """The simulator of the walk spec class ``cls``."""
    return WalkSimulator(cls)
