r"""Monte Carlo for :class:`driftkit.theory.GamblersRuin`: the lattice walk with holding.

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

**Importance sampling** (``method="importance"``, Siegmund's algorithm) for
``escape_probability``. The step :math:`\xi \in \{+1, -1, 0\}` has
:math:`E[e^{\theta\xi}] = p e^\theta + q e^{-\theta} + (1 - p - q)`, which is 1
at :math:`\theta = 0` and at the adjustment coefficient :math:`\gamma = \log(q/p)`.
Tilting by :math:`\gamma` gives the walk with :math:`p' = p e^\gamma = q`,
:math:`q' = q e^{-\gamma} = p` and the same holding probability: p and q swap,
and the drift :math:`p - q < 0` becomes :math:`q - p > 0`, so the walk escapes
often. A path with ``U`` up, ``D`` down and ``H`` holding steps has the likelihood
ratio :math:`L = (p/p')^U (q/q')^D (h/h')^H`, carried exactly in log space from
its step counts. For this tilt :math:`L = (p/q)^{U - D} = (p/q)^{X_T - x_0}`, which
is the constant :math:`(p/q)^{\mathrm{hi} - x_0}` on {hit hi}: the estimator is that
constant times the fraction of tilted paths that escape, with relative variance
:math:`(1 - P')/P'` per path, :math:`P'` the tilted escape probability (bounded as
hi grows: Siegmund's efficiency). The kernel computes :math:`L` from the counts
anyway, for any proposal. Since :math:`L` is that constant on the event, the interval
is the constant times the binomial (Wilson or Clopper-Pearson) interval of the
fraction that escapes, which stays honest when every proposal path escapes. With
:math:`p \ge q` the escape is not rare and the walk is not tilted (weights 1, naive
Monte Carlo).
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
from driftkit.montecarlo.engine.accumulators import layout
from driftkit.montecarlo.engine.core import Simulator, register_simulator
from driftkit.montecarlo.engine.rare import IS_ACC, ImportanceSampling, tally_weight
from driftkit.montecarlo.engine.stats import (
    CensoredMean,
    Proportion,
    Summary,
    normal_estimate,
    proportion_interval,
)
from driftkit.theory import GamblersRuin, Model
from numba import njit

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
def _one_walk(gen, x, lo, hi, max_steps, table, t_up, t_move, bits, left):  # pragma: no cover
    """One walk from ``x`` until it is absorbed or has taken ``max_steps`` steps: 13-bit
    cells of one 52-bit draw (``bits``, ``left`` of them unused, carried between walks)
    give the steps, and a second draw decides a cell a threshold cuts. Returns the end
    point, the steps taken, the moving steps, and the unused cells."""
    mask = (1 << CELL_BITS) - 1
    scale = 4503599627370496.0  # 2**52
    t = 0
    moves = 0
    while True:
        d = min(x - lo, hi - x, max_steps - t)  # no absorption possible within d steps
        if d <= 0:
            return x, t, moves, bits, left
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


#: the naive kernel's accumulators: paths that hit hi, lo, or neither (censored), the
#: steps, the moving (non-holding) steps, the summed displacement X_T - x0, sum of T^2
_ACC = layout(
    "GamblersRuinAcc",
    "escaped",
    "ruined",
    "censored",
    "steps",
    "moves",
    "displacement",
    "sum_t2",
)
_SUMMARY = Summary(
    _ACC,
    {
        "escape_probability": Proportion("escaped", "censored"),
        "ruin_probability": Proportion("ruined", "censored"),
        # Exit time: censored paths count as max_steps, a lower bound, so the
        # interval is open above when any path was censored.
        "mean_exit_time": CensoredMean("steps", "sum_t2", "censored"),
    },
)


@njit(cache=True, nogil=True)
def _walk(gen, n_paths, x0, lo, hi, max_steps, table, t_up, t_move):  # pragma: no cover
    """Simulate ``n_paths`` walks; return the accumulators (see ``_ACC``)."""
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
        x, t, m, bits, left = _one_walk(gen, x0, lo, hi, max_steps, table, t_up, t_move, bits, left)
        moves += m
        if x == hi:
            escaped += 1
        elif x == lo:
            ruined += 1
        else:
            censored += 1
        steps += t
        displacement += x - x0
        sum_t2 += float(t) * float(t)
    out = np.empty(len(_ACC), dtype=np.float64)
    out[_ACC.escaped] = escaped
    out[_ACC.ruined] = ruined
    out[_ACC.censored] = censored
    out[_ACC.steps] = steps
    out[_ACC.moves] = moves
    out[_ACC.displacement] = displacement
    out[_ACC.sum_t2] = sum_t2
    return out


@njit(cache=True, nogil=True)
def _tilted_walk(
    gen, n_paths, x0, lo, hi, max_steps, table, t_up, t_move, lw_up, lw_down, lw_hold, log_scale
):  # pragma: no cover
    """Walks under the proposal law (``table``), weighted by the likelihood ratio:
    ``log L = U lw_up + D lw_down + H lw_hold``; return
    :data:`driftkit.montecarlo.engine.rare.IS_ACC`
    (weights divided by ``exp(log_scale)``)."""
    acc = np.zeros(len(IS_ACC))
    steps = 0
    bits = 0
    left = 0
    for _ in range(n_paths):
        x, t, moves, bits, left = _one_walk(
            gen, x0, lo, hi, max_steps, table, t_up, t_move, bits, left
        )
        disp = x - x0
        ups = (moves + disp) // 2
        downs = (moves - disp) // 2
        log_w = ups * lw_up + downs * lw_down + (t - moves) * lw_hold - log_scale
        steps += t
        if x != lo:  # on the event, or censored (its weight at the cut)
            tally_weight(acc, x == hi, math.exp(log_w))
    acc[IS_ACC.steps] = steps
    return acc


def adjustment_coefficient(p: float, q: float) -> float:
    r"""The tilt: :math:`\gamma = \log(q/p)` when the drift is negative (``p < q``), else 0."""
    return math.log(q / p) if 0 < p < q else 0.0


class _TiltedEscape(ImportanceSampling):
    """Siegmund's importance sampling of ``escape_probability`` (see the module)."""

    quantity = "escape_probability"

    def check(self, model: Model) -> None:
        if not (model["p"] > 0 and model["q"] > 0):
            raise ValueError(
                "method 'importance' of gamblers-ruin needs p > 0 and q > 0 (with p = 0 or "
                f"q = 0 the escape is certain or impossible), got p={model['p']}, q={model['q']}"
            )

    def log_scale(self, model: Model) -> float:
        # log L on {hit hi}: (hi - x0) log(p/q) under the tilt
        return -(model["hi"] - model["x0"]) * adjustment_coefficient(model["p"], model["q"])

    def prepare(self, model: Model) -> tuple:
        p, q = float(model["p"]), float(model["q"])
        h = 1.0 - p - q
        # the tilted walk p e^g, q e^-g, h: with g = log(q/p) that is q, p, h exactly
        pt, qt, ht = (q, p, h) if adjustment_coefficient(p, q) else (p, q, h)
        table, t_up, t_move = step_table(pt, qt)
        lw_hold = math.log(h / ht) if h > 0 and ht > 0 else 0.0  # (no holding step occurs)
        return (
            model["x0"],
            model["lo"],
            model["hi"],
            table,
            t_up,
            t_move,
            math.log(p / pt),
            math.log(q / qt),
            lw_hold,
            self.log_scale(model),
        )

    def summarize(self, model, totals, paths, level, interval):
        """The weight is the constant ``c = exp(log_scale)`` on {hit hi}, so the estimate
        is ``c`` times the proportion of proposal paths that escape: its interval is
        ``c`` times the binomial one (``interval``: Wilson or Clopper-Pearson), which
        keeps its width when every path escapes (the CLT interval of equal weights would
        have width 0). Censored paths carry weights above ``c``; the high end also
        allows for them as :class:`ImportanceSampling` does."""
        estimates, censored, steps = super().summarize(model, totals, paths, level, interval)
        e = estimates[self.quantity]
        hits = int(IS_ACC.read(totals)["hits"])
        c = math.exp(self.log_scale(model))
        low, high = proportion_interval(hits, paths, level, interval)
        high = max(c * high, e.ci_high) if censored else c * high
        estimates[self.quantity] = dataclasses.replace(e, ci_low=c * low, ci_high=high)
        return estimates, censored, steps

    def run_chunk(self, prepared, gen, n_paths, max_steps):
        return _tilted_walk(
            gen, n_paths, prepared[0], prepared[1], prepared[2], max_steps, *prepared[3:]
        )


class GamblersRuinSimulator(Simulator):
    """Exact simulation of the walk, step by step (holding steps included)."""

    model_class = GamblersRuin
    rare_methods = (_TiltedEscape(),)
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
        est, censored, steps = _SUMMARY(totals, paths, level, interval)
        acc = _SUMMARY.read(totals)
        moves, disp = int(acc["moves"]), int(acc["displacement"])
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
