r"""Monte Carlo for :class:`driftkit.theory.entropy_ball.EntropyBall`: walk on spheres,
no time step.

The model is rotation invariant, so only the radius is simulated, hop by hop
(walk on spheres, Muller 1956). From radius :math:`r` the largest ball around
the current point that stays inside the annulus has radius
:math:`\rho = \min(r - a, R - r)` (:math:`\rho = R - r` when :math:`a = 0` and
:math:`d \ge 2`: the origin is not a boundary then). Brownian motion leaves that
ball at a uniformly distributed point of its sphere, so the new radius is
exactly :math:`|x + \rho U|` with :math:`U` uniform on :math:`S^{d-1}`; only the
component :math:`U_1` along :math:`x` matters. With :math:`U = Z/|Z|`,
:math:`Z` standard normal in :math:`\mathbb{R}^d`, :math:`U_1 = Z_1/\sqrt{Z_1^2 + C}`
with :math:`C = Z_2^2 + \dots + Z_d^2 \sim \chi^2_{d-1}`: two draws per hop
(:math:`Z_1` and :math:`C`) instead of :math:`d`, and the new radius is computed as
:math:`\sqrt{(r + \rho Z_1/N)^2 + \rho^2 C/N^2}`, :math:`N^2 = Z_1^2 + C`, with no
cancellation. In :math:`d = 1` the "sphere" is two points and :math:`U = \pm 1`
with probability 1/2: the hop lands exactly on the nearer barrier half the time.

Time: the expected exit time of a ball of radius :math:`\rho` from its centre is
:math:`\rho^2/(d\sigma^2)`, and the exit time of the ball is independent of the
exit point (rotation invariance), so by the strong Markov property the sum of
:math:`\rho_i^2/(d\sigma^2)` over the hops has the same mean as the exit time
:math:`\tau` (its variance is smaller; only the mean is estimated).

Stopping: a path stops when it is within :math:`\varepsilon = 10^{-10}(R - a)`
of a barrier and is assigned that barrier. This is the only bias. The true return
probability from inside the shell differs from the assigned 0 or 1 by at most
:math:`\varepsilon\,\max|u'| = \varepsilon |u'(a)|` and the remaining mean time is
at most :math:`\varepsilon \max(|T'(a)|, |T'(R)|)` (up to :math:`O(\varepsilon^2)`);
at the defaults both are below :math:`10^{-8}`, many orders of magnitude inside
any interval a run can produce (:func:`stopping_bias` evaluates the bound from
the closed forms). The number of hops grows like :math:`\log(1/\varepsilon)`.

The step budget ``max_steps`` counts hops; paths that reach it are censored:
counted, with their accumulated time as a lower bound, and allowed for in every
interval. ``radial_drift_rate`` (an instantaneous rate) is theory only.

**Multilevel splitting** (``method="splitting"``) estimates ``return_probability``,
which is small when the aligned ball is small and the dimension high
(:math:`\approx (a/r_0)^{d-2}`): the entropy argument in one number. Levels are radii
:math:`r_0 > \ell_1 > \dots > \ell_L > a` where the theory's
:math:`\log P(\text{reach } \ell_k \text{ before } R)` (``return_probability`` with
``a`` replaced by :math:`\ell_k`) is :math:`-k \log 7` (:mod:`driftkit.montecarlo.engine.rare`). A
particle at stage ``k`` walks on spheres in the annulus :math:`(\ell_k, R)` and has
reached :math:`\ell_k` when it is within the stopping shell :math:`\varepsilon` of
it; its copies start from its actual radius (no approximation: the walk is Markov
in the radius, and every path to ``a`` enters that shell first). So the shell of an
intermediate level can be coarse, 5% of the gap to the next level
(``LEVEL_SHELL``), which saves the :math:`\log(1/\varepsilon)` hops of closing in;
only the final stop at ``a`` uses the fine shell
:math:`\varepsilon = 10^{-10}(R - a)` and carries its bias, as in the naive walk (a
relative :math:`O((d-2)\varepsilon/a)` here). In high dimension the walk closes in
on a sphere slowly (about :math:`2d\log(1/\varepsilon)` hops), so a particle is
given up once it is so far out that the theory's probability of still reaching its
level is below ``HOPELESS`` (:math:`10^{-6}`) times the stage's probability
(:func:`death_radii`; at most :math:`R - \varepsilon`): each such kill discards at
most that much, a relative bias below :math:`10^{-6}` per stage. Every particle has the
hop budget ``max_steps``. Not for ``a = 0`` with ``d >= 2`` (the origin is never
reached).
"""

from __future__ import annotations

import math

import numpy as np
from driftkit.montecarlo.engine.accumulators import layout
from driftkit.montecarlo.engine.core import Simulator, register_simulator
from driftkit.montecarlo.engine.rare import (
    SPLIT_ACC,
    Splitting,
    SplittingPlan,
    levels_by_log_probability,
    pop_particle,
    settle_particle,
    start_tree,
    tally_tree,
    tree_stack,
)
from driftkit.montecarlo.engine.stats import CensoredMean, Proportion, Summary
from driftkit.theory import Model
from driftkit.theory.entropy_ball import EntropyBall
from numba import njit
from scipy import optimize

__all__ = ["SHELL", "EntropyBallSimulator", "stopping_bias"]

#: the stopping shell is SHELL * (R - a) wide
SHELL = 1e-10
#: splitting: a particle has reached an intermediate level within this fraction of
#: the gap to the next level
LEVEL_SHELL = 0.05
#: splitting: a particle is given up where its chance to reach its level is below
#: HOPELESS times the stage's probability (a relative bias below HOPELESS per stage)
HOPELESS = 1e-6


#: the naive kernel's accumulators: paths stopped at a, at R, censored; the hops; the
#: sums of the time (a censored path's accumulated time) and its square
_ACC = layout("EntropyBallAcc", "returned", "escaped", "censored", "steps", "sum_t", "sum_t2")
_SUMMARY = Summary(
    _ACC,
    {
        "return_probability": Proportion("returned", "censored"),
        # censored paths enter with their accumulated time, a lower bound: open above
        "mean_exit_time": CensoredMean("sum_t", "sum_t2", "censored"),
    },
)


@njit(cache=True, nogil=True, inline="always")
def _hop(gen, r, rho, d):  # pragma: no cover
    """The radius after one hop from radius ``r``: the exit point of the ball of radius
    ``rho`` around the current point (exact; see the module docstring)."""
    if d == 1:
        return abs(r + rho) if gen.random() < 0.5 else abs(r - rho)
    z = gen.standard_normal()
    c = gen.chisquare(d - 1)
    n2 = z * z + c
    along = r + rho * z / math.sqrt(n2)
    return math.sqrt(along * along + rho * rho * c / n2)


@njit(cache=True, nogil=True)
def _paths(gen, n_paths, d, sigma, a, R, r0, eps, max_steps):  # pragma: no cover
    """Simulate ``n_paths`` radius paths; return the accumulators (see ``_ACC``)."""
    inv = 1.0 / (d * sigma * sigma)
    inner = not (a == 0.0 and d >= 2)  # is |x| = a a boundary the walk can reach?
    returned = 0
    escaped = 0
    censored = 0
    steps = 0
    sum_t = 0.0
    sum_t2 = 0.0
    for _ in range(n_paths):
        r = r0
        t = 0.0
        k = 0
        while True:
            if k >= max_steps:
                censored += 1
                break
            rho = R - r
            if inner and r - a < rho:
                rho = r - a
            r = _hop(gen, r, rho, d)
            t += rho * rho * inv
            k += 1
            if inner and r - a <= eps:
                returned += 1
                break
            if R - r <= eps:
                escaped += 1
                break
        steps += k
        sum_t += t
        sum_t2 += t * t
    acc = np.empty(len(_ACC), dtype=np.float64)
    acc[_ACC.returned] = returned
    acc[_ACC.escaped] = escaped
    acc[_ACC.censored] = censored
    acc[_ACC.steps] = steps
    acc[_ACC.sum_t] = sum_t
    acc[_ACC.sum_t2] = sum_t2
    return acc


def stopping_bias(model: EntropyBall) -> dict[str, float]:
    """Bound on the bias from stopping in the shell, from the closed forms.

    The value of each quantity at the shell's inner edges (``a + eps`` and
    ``R - eps``) differs from the barrier value assigned there by at most this
    much; a path that stops inside the shell is off by no more.
    """
    eps = SHELL * (model["R"] - model["a"])
    near = [model.replace(r0=model["R"] - eps)]
    if not (model["a"] == 0 and model["d"] >= 2):
        near.append(model.replace(r0=model["a"] + eps))
    ret = max(
        abs(m.value("return_probability") - (1.0 if m["r0"] < model["r0"] else 0.0)) for m in near
    )
    time = max(m.value("mean_exit_time") for m in near)
    return {"return_probability": ret, "mean_exit_time": time}


@njit(cache=True, nogil=True, inline="always")
def _particle(gen, r, inner, shell, death, R, d, max_steps):  # pragma: no cover
    """Walk one particle on spheres in the annulus ``(inner, R)`` from radius ``r`` until
    it is within ``shell`` of ``inner`` (status 1), reaches ``death`` (2) or its hop
    budget ends (0). ``(status, hops, radius)``."""
    n = 0
    while n < max_steps:
        r = _hop(gen, r, min(r - inner, R - r), d)
        n += 1
        if r - inner <= shell:
            return 1, n, r
        if r >= death:
            return 2, n, r
    return 0, n, r


@njit(cache=True, nogil=True)
def _split_trees(
    gen, n_trees, d, r0, levels, shells, deaths, factor, R, max_steps
):  # pragma: no cover
    """Fixed-factor splitting trees of the radius walk; return
    :data:`driftkit.montecarlo.engine.rare.SPLIT_ACC`. A particle at stage ``k`` walks on
    spheres in the annulus ``(levels[k], R)`` until it is within ``shells[k]`` of
    ``levels[k]`` (split into ``factor`` copies where it is, or a hit at the last stage)
    or it reaches ``deaths[k]`` (it dies)."""
    n_splits = levels.size - 1
    stack_r, stack_k = tree_stack(n_splits, factor)
    acc = np.zeros(len(SPLIT_ACC))
    for _ in range(n_trees):
        top, h, c = start_tree(stack_r, stack_k, r0)
        while top > 0:
            top, r, k = pop_particle(stack_r, stack_k, top)
            status, n, r = _particle(gen, r, levels[k], shells[k], deaths[k], R, d, max_steps)
            top, h, c = settle_particle(
                acc, stack_r, stack_k, top, status, r, k, n, n_splits, factor, h, c
            )
        tally_tree(acc, h, c)
    return acc


def death_radii(model: Model, plan) -> np.ndarray:
    """Per stage, the radius beyond which a particle is given up: where the theory's
    probability of still reaching the stage's level falls to ``HOPELESS`` times the
    stage's planned probability (at most ``R - eps``, the naive stopping shell)."""
    R = float(model["R"])
    outer = R - SHELL * (R - float(model["a"]))
    starts = [float(model["r0"]), *plan.levels[:-1]]
    log_p = [-math.log(plan.factor)] * plan.n_splits
    log_p.append(plan.log_probability + plan.n_splits * math.log(plan.factor))
    out = []
    for start, lvl, lp in zip(starts, plan.levels, log_p, strict=True):
        goal = math.log(HOPELESS) + lp

        def excess(r: float, lvl: float = lvl, goal: float = goal) -> float:
            u = model.replace(a=lvl, r0=r).value("return_probability")
            return (math.log(u) if u > 0 else -math.inf) - goal

        out.append(outer if excess(outer) >= 0 else optimize.brentq(excess, start, outer))
    return np.array(out)


class _ReturnSplitting(Splitting):
    """Splitting for ``return_probability`` (see the module)."""

    quantity = "return_probability"

    def check(self, model: Model) -> None:
        if model["a"] == 0 and model["d"] >= 2:
            raise ValueError(
                "method 'splitting' of entropy-ball needs parameter 'a' > 0 when d >= 2 "
                "(the origin is never reached: return_probability is 0), got a=0"
            )

    def make_plan(self, model: Model) -> SplittingPlan:
        r0 = float(model["r0"])

        def log_reach(level: float) -> float:
            if level >= r0:
                return 0.0
            return math.log(model.replace(a=level).value("return_probability"))

        return levels_by_log_probability(log_reach, r0, float(model["a"]))

    def prepare(self, model: Model) -> tuple:
        plan = self.plan(model)
        a, R = float(model["a"]), float(model["R"])
        eps = SHELL * (R - a)
        shells = np.append(LEVEL_SHELL * -np.diff(plan.levels), eps)
        deaths = death_radii(model, plan)
        r0 = float(model["r0"])
        return (int(model["d"]), r0, plan.levels, shells, deaths, plan.factor, R)

    def run_chunk(self, prepared, gen, n_paths, max_steps):
        d, r0, levels, shells, deaths, factor, R = prepared
        return _split_trees(gen, n_paths, d, r0, levels, shells, deaths, factor, R, max_steps)


class EntropyBallSimulator(Simulator):
    """Walk on spheres in radius space: exact hops, a 1e-10 (R - a) stopping shell."""

    model_class = EntropyBall
    rare_methods = (_ReturnSplitting(),)
    quantities = ("return_probability", "mean_exit_time")

    def prepare(self, model: Model) -> tuple:
        a, R = float(model["a"]), float(model["R"])
        return int(model["d"]), float(model["sigma"]), a, R, float(model["r0"]), SHELL * (R - a)

    def run_chunk(self, prepared, gen, n_paths, max_steps):
        d, sigma, a, R, r0, eps = prepared
        return _paths(gen, n_paths, d, sigma, a, R, r0, eps, max_steps)

    def summarize(self, model, totals, paths, level, interval):
        return _SUMMARY(totals, paths, level, interval)


register_simulator(EntropyBallSimulator())
