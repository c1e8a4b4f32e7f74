r"""Monte Carlo for :class:`driftkit.theory.belief_pool.BeliefPool`.

One "path" is one independent run of Eicher's Level-1 simulation, exactly as the theory
specifies it: a fresh pool of ``pool_size`` beliefs (:math:`A = Z_1`,
:math:`V = \rho Z_1 + \sqrt{1-\rho^2}Z_2`), a fresh activation table (each belief a
uniform ``m``-subset of the questions, by a partial Fisher-Yates shuffle), a fresh initial
population (each model a uniform ``K``-subset of the pool, the same way), each model's
fitness (the mean over its activated questions of its activating beliefs' mean
alignment), then ``generations`` rounds of softmax selection: ``n_models`` parents drawn
with replacement with probabilities proportional to :math:`e^{\beta(F_j - \max F)}`
(inverse-CDF sampling on the cumulative weights).

Inheritance copies a parent's beliefs, hence its fitness and its deceptive count:
without mutation a child *is* a copy of one initial model. The kernel therefore keeps
for each slot of the population only the index of the initial model it copies, and each
initial model's fitness and number of deceptive beliefs; this is the same process in law
(every belief slot of the final population is the corresponding belief of that initial
model), at :math:`O(N)` per generation instead of :math:`O(NK)`.

Each run reports its final deceptive ratio (deceptive slots / :math:`NK`) and that of its
initial population; the estimates are means over runs with Student-t intervals (the runs
are i.i.d.).

Step budget: one step is one generation of one run. ``generations > max_steps`` censors
every run; the final ratio is then ``nan`` with the interval [0, 1].
"""

from __future__ import annotations

import math

import numpy as np
from driftkit.montecarlo.engine.accumulators import layout
from driftkit.montecarlo.engine.core import Simulator, register_simulator
from driftkit.montecarlo.engine.stats import Mean, Summary
from driftkit.theory import Model
from driftkit.theory.belief_pool import BeliefPool, active_questions
from numba import njit

__all__ = ["BeliefPoolSimulator"]


@njit(cache=True, nogil=True)
def _subset(gen, perm, n, k, out):  # pragma: no cover
    """A uniform ``k``-subset of ``0..n-1`` into ``out`` (partial Fisher-Yates on ``perm``,
    which holds a permutation of ``0..n-1`` and stays one)."""
    for i in range(k):
        j = i + int(gen.random() * (n - i))
        if j >= n:
            j = n - 1
        tmp = perm[i]
        perm[i] = perm[j]
        perm[j] = tmp
        out[i] = perm[i]


@njit(cache=True, nogil=True)
def _initial(gen, a, v, act, beliefs, fit, dec, qsum, qcnt, pool_perm, q_perm, rho, s):
    # pragma: no cover
    """Pool, activations, initial models: fill each initial model's fitness and its
    number of deceptive beliefs."""
    n_pool, m = act.shape
    n_models, k = beliefs.shape
    n_q = qsum.size
    for b in range(n_pool):
        z = gen.standard_normal()
        a[b] = z
        v[b] = rho * z + s * gen.standard_normal()
        _subset(gen, q_perm, n_q, m, act[b])
    for j in range(n_models):
        _subset(gen, pool_perm, n_pool, k, beliefs[j])
        qsum[:] = 0.0
        qcnt[:] = 0
        n_dec = 0
        for i in range(k):
            b = beliefs[j, i]
            if a[b] > 0.0 and v[b] < 0.0:
                n_dec += 1
            for c in range(m):
                q = act[b, c]
                qsum[q] += a[b]
                qcnt[q] += 1
        total = 0.0
        n_act = 0
        for q in range(n_q):
            if qcnt[q] > 0:
                total += qsum[q] / qcnt[q]
                n_act += 1
        fit[j] = total / n_act if n_act > 0 else 0.0
        dec[j] = n_dec


#: the kernel's accumulators: runs finished and censored, the generations simulated; the
#: sums (and squares) of the final deceptive ratio over finished runs and of the initial
#: population's ratio over all runs
_ACC = layout("BeliefPoolAcc", "done", "censored", "steps", "sum_r", "sum_r2", "sum_r0", "sum_r02")
#: means over runs (Student-t intervals: few runs); with censored runs the whole range
_SUMMARY = Summary(
    _ACC,
    {
        "deceptive_ratio": Mean(
            "sum_r", "sum_r2", "censored", of="done", low=0.0, high=1.0, student_t=True
        ),
        "deceptive_ratio_initial": Mean("sum_r0", "sum_r02", low=0.0, high=1.0, student_t=True),
    },
)


@njit(cache=True, nogil=True)
def _paths(
    gen, n_paths, n_pool, n_models, k, n_q, m, rho, beta, generations, max_steps
):  # pragma: no cover
    """Simulate ``n_paths`` runs; return the accumulators (see ``_ACC``)."""
    s = math.sqrt(max(0.0, (1.0 - rho) * (1.0 + rho)))
    a = np.empty(n_pool)
    v = np.empty(n_pool)
    act = np.empty((n_pool, m), dtype=np.int64)
    beliefs = np.empty((n_models, k), dtype=np.int64)
    fit = np.empty(n_models)
    dec = np.empty(n_models, dtype=np.int64)
    qsum = np.empty(n_q)
    qcnt = np.empty(n_q, dtype=np.int64)
    pool_perm = np.arange(n_pool)
    q_perm = np.arange(n_q)
    lineage = np.empty(n_models, dtype=np.int64)
    lineage2 = np.empty(n_models, dtype=np.int64)
    cum = np.empty(n_models)
    acc = np.zeros(len(_ACC))
    run = min(generations, max_steps)
    cells = n_models * k
    for _ in range(n_paths):
        _initial(gen, a, v, act, beliefs, fit, dec, qsum, qcnt, pool_perm, q_perm, rho, s)
        n_dec = 0
        for j in range(n_models):
            lineage[j] = j
            n_dec += dec[j]
        r0 = n_dec / cells
        acc[_ACC.sum_r0] += r0
        acc[_ACC.sum_r02] += r0 * r0
        for _t in range(run):
            top = -math.inf
            for j in range(n_models):
                top = max(top, fit[lineage[j]])
            c = 0.0
            for j in range(n_models):
                c += math.exp(beta * (fit[lineage[j]] - top))
                cum[j] = c
            for j in range(n_models):
                p = np.searchsorted(cum, gen.random() * c, side="right")
                if p >= n_models:
                    p = n_models - 1
                lineage2[j] = lineage[p]
            lineage, lineage2 = lineage2, lineage
        acc[_ACC.steps] += run
        if run < generations:
            acc[_ACC.censored] += 1
            continue
        n_dec = 0
        for j in range(n_models):
            n_dec += dec[lineage[j]]
        ratio = n_dec / cells
        acc[_ACC.done] += 1
        acc[_ACC.sum_r] += ratio
        acc[_ACC.sum_r2] += ratio * ratio
    return acc


class BeliefPoolSimulator(Simulator):
    """Whole runs of Eicher's Level 1 (pool, questions, population, selection)."""

    model_class = BeliefPool
    quantities = ("deceptive_ratio", "deceptive_ratio_initial")
    #: one run at the defaults (3000 beliefs, 300 models, 100 generations) takes about 2 ms
    default_paths = 200
    min_chunk_paths = 4

    def prepare(self, model: Model) -> tuple:
        return (
            int(model["pool_size"]),
            int(model["n_models"]),
            int(model["beliefs_per_model"]),
            int(model["n_questions"]),
            active_questions(int(model["n_questions"]), float(model["activation_density"])),
            float(model["rho"]),
            float(model["beta"]),
            int(model["generations"]),
        )

    def run_chunk(self, prepared, gen, n_paths, max_steps):
        n_pool, n_models, k, n_q, m, rho, beta, generations = prepared
        return _paths(gen, n_paths, n_pool, n_models, k, n_q, m, rho, beta, generations, max_steps)

    def warm_up(self, model: Model) -> None:
        """Compile with a tiny run (a default-sized run is not needed for that)."""
        _paths(np.random.default_rng(0), 1, 4, 2, 2, 3, 1, 0.5, 1.0, 2, 10)

    def simulated_quantities(self, model: Model) -> tuple[str, ...]:
        """Both ratios without selection (``beta = 0`` or ``g = 0``: both exact) and under
        selection where the final ratio's strong-selection approximation has a calibrated
        allowance (``model.calibrated``); elsewhere only the initial ratio (exact)."""
        if model.neutral or model.calibrated:
            return self.quantities
        return ("deceptive_ratio_initial",)

    def tolerance(self, model: Model, name: str) -> float:
        """The theory's stated allowance (:meth:`BeliefPool.allowance`)."""
        return model.allowance(name).value

    def summarize(self, model, totals, paths, level, interval):
        return _SUMMARY(totals, paths, level, interval)


register_simulator(BeliefPoolSimulator())
