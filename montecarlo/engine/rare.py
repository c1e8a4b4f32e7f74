r"""Rare-event estimation: importance sampling and multilevel splitting.

A probability of :math:`10^{-9}` needs about :math:`10^{11}` naive paths for a 10%
relative error (:math:`100(1 - P)/P`). Two classical remedies are offered, each as a
*method* of a model's simulator (``simulate(model, method=...)``); the engine's
chunking, seeding, threads and progress bar are shared with naive Monte Carlo, so
the same seed gives bit-identical results on any thread count for every method.

**Importance sampling** (``method="importance"``). Paths are drawn from a *tilted*
law :math:`Q` under which the event is common, and each path is weighted by the
likelihood ratio :math:`L = dP/dQ` of what it did up to its stopping time, carried
exactly in log space: :math:`P(A) = E_Q[1_A L]`. For a walk whose increments have
the cumulant generating function :math:`\kappa(\theta) = \log E[e^{\theta\xi}]`,
tilting by the *adjustment coefficient* :math:`\gamma > 0`, the root of
:math:`\kappa(\gamma) = 0` (Lundberg's equation), gives Siegmund's estimator of
:math:`P(\text{reach hi before lo})` for negative drift; it is asymptotically efficient
as hi grows (Siegmund 1976; Asmussen & Glynn, *Stochastic Simulation*, 2007, VI.2).

**Multilevel splitting** (``method="splitting"``), for models with no known tilt.
Levels :math:`\ell_1, \dots, \ell_L` are placed between the start and the target;
one "path" is an independent *splitting tree*: a particle that reaches the next
level is replaced by ``R`` independent copies started where it reached it, and a
particle that dies (falls to the model's lower level) or runs out of its step
budget ends. The tree's estimate is :math:`H / R^L`, ``H`` the number of its
particles that reach the target; it is unbiased (each hit is reached with
probability :math:`P_1 \cdots P_{L+1}` along a lineage with :math:`R^L` leaves),
and trees are i.i.d., so the mean over trees has a CLT interval (Glasserman,
Heidelberger, Shahabuddin & Zajic, *Operations Research* 47 (1999) 585-600;
Glasserman, *Monte Carlo Methods in Financial Engineering*, 2004, 9.3). The levels
are put at equal steps of the log-probability of reaching them, computed from the
model's theory: :math:`\log P(\text{reach } \ell_k) = -k \log R` for ``R = 7``
(about :math:`e^2`, the optimum of that analysis: the number of particles per level
stays about one, the branching is critical, and the work per tree grows only like
:math:`\log(1/P)`); the last stage has the remaining probability, in
:math:`(1/R, 1]`. The levels only change the variance: the estimator is unbiased
for any levels, and in one dimension every path to the target passes every level,
so it is not misled (the failure mode of splitting in higher dimensions).

**What is reported.** For every rare-event estimate: the estimate, a CLT interval,
the relative error (standard error / estimate) and the effective sample size
:math:`\mathrm{ESS} = (\sum_i Y_i)^2 / \sum_i Y_i^2` of the i.i.d. non-negative
contributions :math:`Y_i` (a path's weight on the event for importance sampling, a
tree's estimate for splitting): the squared relative error is
:math:`1/\mathrm{ESS} - 1/n`, so the ESS is the number of naive hits that would give
the same relative error. **Refusal:** an estimate with ``ESS < MIN_ESS`` (100, a
relative error of about 10% or worse), or with no path reaching the event at all, is
not reported: :func:`driftkit.montecarlo.simulate` raises :class:`UnreliableEstimateError`
(the CLI prints one line and exits 2). The ESS comes from the same sample and is
optimistic when a heavy tail of weights has not been sampled yet; the threshold is
what guards against the few-dominant-weights case.

Censored contributions (paths or particles that hit their step budget) count as 0
in the estimate and as their largest possible value in the high end of the
interval (the weight carried so far for importance sampling, since
:math:`E_Q[1_A L \mid \mathcal F_s] = L_s P(A \mid X_s) \le L_s`;
:math:`R^{L-k}` hits for a particle censored at stage ``k`` of a tree).
"""

from __future__ import annotations

import abc
import functools
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from driftkit.montecarlo.engine.accumulators import layout
from driftkit.montecarlo.engine.stats import Estimate, weighted_mean_estimate
from driftkit.theory import Model
from numba import njit
from scipy import optimize

__all__ = [
    "IS_ACC",
    "MIN_ESS",
    "SPLIT_ACC",
    "SPLIT_FACTOR",
    "ImportanceSampling",
    "RareEventMethod",
    "Splitting",
    "SplittingPlan",
    "UnreliableEstimateError",
    "levels_by_log_probability",
    "pop_particle",
    "refusal",
    "settle_particle",
    "start_tree",
    "tally_tree",
    "tally_weight",
    "tree_stack",
]

#: an estimate with a smaller effective sample size is refused
MIN_ESS = 100.0
#: copies per particle that reaches a level (about e^2: Glasserman et al. 1999)
SPLIT_FACTOR = 7


class UnreliableEstimateError(ValueError):
    """A rare-event estimate whose effective sample size is too small to trust.

    ``result`` is the :class:`~driftkit.montecarlo.SimulationResult` that was refused, for
    inspection; its numbers should not be reported.
    """

    def __init__(self, message: str, result=None) -> None:
        super().__init__(message)
        self.result = result


def refusal(estimates: dict[str, Estimate], paths: int, unit: str = "path") -> str | None:
    """Why ``estimates`` cannot be trusted (``None`` if they can): ESS below
    :data:`MIN_ESS` or no contribution at all. Says how many paths would do."""
    for name, e in estimates.items():
        if e.ess is None:
            continue
        if not (e.ess > 0 and math.isfinite(e.ess)):
            return (
                f"{name}: no {unit} reached the event in {paths:,} {unit}s, so there is no "
                f"estimate to trust; raise parameter 'paths' (--paths)"
            )
        if e.ess < MIN_ESS:
            # the ESS grows in proportion to the paths; 20% to spare
            need = math.ceil(paths * MIN_ESS / e.ess * 1.2)
            return (
                f"{name}: effective sample size {e.ess:.3g} < {MIN_ESS:g} (relative error "
                f"{e.relative_error:.2g}), too small to trust; raise parameter 'paths' "
                f"(--paths) to about {need:,}"
            )
    return None


class RareEventMethod(abc.ABC):
    """One rare-event method of a simulator: the same protocol as a
    :class:`~driftkit.montecarlo.Simulator` (``prepare``, ``run_chunk``, ``summarize``), so the
    engine runs it with the same chunks, seeds, threads and progress bar."""

    #: the ``method=`` name
    name: str
    #: the quantity it estimates (a probability)
    quantity: str
    #: paths (splitting: trees) when the caller gives none
    default_paths: int = 100_000
    #: fewest paths in a chunk
    min_chunk_paths: int = 4096
    #: what one of ``paths`` is (progress bar, messages)
    unit: str = "path"

    @property
    def quantities(self) -> tuple[str, ...]:
        return (self.quantity,)

    def simulated_quantities(self, model: Model) -> tuple[str, ...]:
        return self.quantities

    def check(self, model: Model) -> None:
        """Raise a ``ValueError`` naming the parameter if the method does not apply
        (default: it applies to every valid model)."""
        return None

    @abc.abstractmethod
    def prepare(self, model: Model) -> tuple: ...

    @abc.abstractmethod
    def run_chunk(
        self, prepared: tuple, gen: np.random.Generator, n_paths: int, max_steps: int
    ) -> np.ndarray: ...

    @abc.abstractmethod
    def summarize(
        self, model: Model, totals: np.ndarray, paths: int, level: float, interval: str
    ) -> tuple[dict[str, Estimate], int, int]: ...

    def warm_up(self, model: Model) -> None:
        """Compile (or load from numba's cache) the kernel."""
        self.run_chunk(self.prepare(model), np.random.default_rng(0), 1, 1)


# -- importance sampling ------------------------------------------------------

#: the accumulators of an importance-sampling kernel: paths on the event and the sums
#: of their weights and squared weights, censored paths and the sums of their weights
#: (and squares) at the cut, and the steps
IS_ACC = layout("ImportanceAcc", "hits", "sum_w", "sum_w2", "censored", "sum_c", "sum_c2", "steps")


@njit(cache=True, nogil=True)
def tally_weight(acc, hit, w):  # pragma: no cover
    """Add one ended path of weight ``w`` to an :data:`IS_ACC` vector: on the event
    (``hit``) or censored (its weight at the cut)."""
    if hit:
        acc[IS_ACC.hits] += 1.0
        acc[IS_ACC.sum_w] += w
        acc[IS_ACC.sum_w2] += w * w
    else:
        acc[IS_ACC.censored] += 1.0
        acc[IS_ACC.sum_c] += w
        acc[IS_ACC.sum_c2] += w * w


class ImportanceSampling(RareEventMethod):
    """Importance sampling by exponential tilting.

    A kernel returns :data:`IS_ACC`: the number of paths on the event, the sums of
    their weights and squared weights, the number of censored paths and the sums of
    their weights (and squares) at the cut, and the steps; every weight is
    :math:`L / e^{s}` with :math:`s` = :meth:`log_scale`, so sums of squares do not
    underflow for tiny probabilities.
    """

    name = "importance"

    @abc.abstractmethod
    def log_scale(self, model: Model) -> float:
        """``s``: the kernel reports weights divided by ``exp(s)`` (the log-weight a
        path on the event typically carries)."""

    def summarize(self, model, totals, paths, level, interval):
        acc = IS_ACC.read(totals)
        est = weighted_mean_estimate(
            acc["sum_w"],
            acc["sum_w2"],
            paths,
            level,
            upper_total=acc["sum_w"] + acc["sum_c"],
            upper_total_sq=acc["sum_w2"] + acc["sum_c2"],
            scale=math.exp(self.log_scale(model)),
            method="importance",
        )
        return {self.quantity: est}, int(acc["censored"]), int(acc["steps"])


# -- multilevel splitting -----------------------------------------------------

#: the accumulators of a splitting kernel (per tree: ``h`` hits, ``c`` the most hits its
#: censored particles could still have produced): trees with a hit, the sums of ``h``,
#: ``h^2``, ``h + c``, ``(h + c)^2``, the hits, particles, censored particles and steps
SPLIT_ACC = layout(
    "SplittingAcc",
    "trees_hit",
    "sum_h",
    "sum_h2",
    "sum_hc",
    "sum_hc2",
    "hits",
    "particles",
    "censored",
    "steps",
)


@njit(cache=True, nogil=True)
def tally_tree(acc, h, c):  # pragma: no cover
    """Add one finished tree to a :data:`SPLIT_ACC` vector: ``h`` particles reached the
    target, ``c`` more could have from its censored particles."""
    if h > 0:
        acc[SPLIT_ACC.trees_hit] += 1.0
    acc[SPLIT_ACC.sum_h] += h
    acc[SPLIT_ACC.sum_h2] += h * h
    acc[SPLIT_ACC.sum_hc] += h + c
    acc[SPLIT_ACC.sum_hc2] += (h + c) * (h + c)
    acc[SPLIT_ACC.hits] += h


# A splitting kernel runs its trees depth first on a stack of pending particles (a
# position and a stage), with the model's own particle dynamics between these steps:
#
#     stack_x, stack_k = tree_stack(n_splits, factor)
#     for _ in range(n_trees):
#         top, h, c = start_tree(stack_x, stack_k, x0)
#         while top > 0:
#             top, x, k = pop_particle(stack_x, stack_k, top)
#             status, n, x = <run the particle from x towards stage k's level>
#             top, h, c = settle_particle(acc, stack_x, stack_k, top, status, x, k, n,
#                                         n_splits, factor, h, c)
#         tally_tree(acc, h, c)


@njit(cache=True, nogil=True, inline="always")
def tree_stack(n_splits, factor):  # pragma: no cover
    """The stack of a depth-first tree: fewer than ``factor`` particles are pending per
    stage, so ``n_splits * factor + 2`` slots suffice. Positions and stages."""
    cap = n_splits * factor + 2
    return np.empty(cap), np.empty(cap, dtype=np.int64)


@njit(cache=True, nogil=True, inline="always")
def start_tree(stack_x, stack_k, x0):  # pragma: no cover
    """A new tree: one particle at ``x0`` at stage 0. Returns ``(top, h, c)``."""
    stack_x[0] = x0
    stack_k[0] = 0
    return 1, 0.0, 0.0


@njit(cache=True, nogil=True, inline="always")
def pop_particle(stack_x, stack_k, top):  # pragma: no cover
    """Take the last pending particle: ``(top, position, stage)``."""
    top -= 1
    return top, stack_x[top], stack_k[top]


@njit(cache=True, nogil=True, inline="always")
def settle_particle(
    acc, stack_x, stack_k, top, status, x, k, n, n_splits, factor, h, c
):  # pragma: no cover
    """Book a particle of stage ``k`` that took ``n`` steps and ended with ``status``:
    1, it reached the stage's level at ``x`` (a hit at the last stage, else ``factor``
    copies at ``x`` for stage ``k + 1``); 2, it died; 0, its step budget ran out
    (censored: up to ``factor ** (n_splits - k)`` hits lost). Returns ``(top, h, c)``."""
    acc[SPLIT_ACC.steps] += n
    acc[SPLIT_ACC.particles] += 1.0
    if status == 1:
        if k == n_splits:
            h += 1.0
        else:
            for _j in range(factor):
                stack_x[top] = x
                stack_k[top] = k + 1
                top += 1
    elif status == 0:
        acc[SPLIT_ACC.censored] += 1.0
        c += float(factor) ** (n_splits - k)
    return top, h, c


@dataclass(frozen=True)
class SplittingPlan:
    """Where a tree splits: ``levels[:-1]`` are the splitting levels, ``levels[-1]``
    the target; ``factor`` copies per split; ``log_probability`` the theory's log of
    the probability (used only to place the levels)."""

    levels: np.ndarray
    factor: int
    log_probability: float

    @property
    def n_splits(self) -> int:
        return len(self.levels) - 1


def levels_by_log_probability(
    log_reach: Callable[[float], float],
    start: float,
    target: float,
    factor: int = SPLIT_FACTOR,
) -> SplittingPlan:
    """Levels between ``start`` and ``target`` at equal steps ``log(factor)`` of
    ``log_reach(level)``, the log-probability of reaching ``level`` from ``start``
    before dying (0 at ``start``, decreasing towards ``target``); the target last."""
    log_p = float(log_reach(target))
    if not log_p > -math.inf:
        raise ValueError("the target cannot be reached (probability 0): nothing to split")
    step = math.log(factor)
    n_splits = max(0, math.ceil(-log_p / step - 1e-9) - 1)
    levels = []
    lo_end = start
    for k in range(1, n_splits + 1):
        goal = -k * step
        lvl = optimize.brentq(
            lambda x, g=goal: log_reach(x) - g, lo_end, target, xtol=1e-12, rtol=1e-12
        )
        levels.append(lvl)
        lo_end = lvl
    levels.append(target)
    return SplittingPlan(np.array(levels, dtype=np.float64), factor, log_p)


@functools.lru_cache(maxsize=128)
def _cached_plan(method: Splitting, model: Model) -> SplittingPlan:
    return method.make_plan(model)


class Splitting(RareEventMethod):
    """Fixed-factor multilevel splitting; one ``path`` is one tree (see the module).

    A kernel returns :data:`SPLIT_ACC`; subclasses give :meth:`make_plan` (usually
    :func:`levels_by_log_probability` with the theory's log-probability of reaching
    a level).
    """

    name = "splitting"
    default_paths = 20_000
    min_chunk_paths = 256
    unit = "tree"

    @abc.abstractmethod
    def make_plan(self, model: Model) -> SplittingPlan: ...

    def plan(self, model: Model) -> SplittingPlan:
        """The levels for ``model`` (computed once per model)."""
        self.check(model)
        return _cached_plan(self, model)

    def summarize(self, model, totals, paths, level, interval):
        acc = SPLIT_ACC.read(totals)
        plan = self.plan(model)
        est = weighted_mean_estimate(
            acc["sum_h"],
            acc["sum_h2"],
            paths,
            level,
            upper_total=acc["sum_hc"],
            upper_total_sq=acc["sum_hc2"],
            scale=float(plan.factor) ** -plan.n_splits,
            method="splitting",
        )
        return {self.quantity: est}, int(acc["censored"]), int(acc["steps"])
