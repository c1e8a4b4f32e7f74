r"""Monte Carlo for :class:`driftkit.theory.belief_evolution.BeliefEvolution`.

One "path" is one independent population run: ``population`` models of ``beliefs``
beliefs drawn from the prior (:math:`A = Z_1`, :math:`V = \rho Z_1 + \sqrt{1-\rho^2}Z_2`),
then ``generations`` generations of exactly the theory's step: ``population``
parents drawn with replacement with probabilities proportional to
:math:`e^{\beta(F_j - \max F)}` (inverse-CDF sampling on the cumulative weights),
children copying their parent's beliefs, and each child belief replaced by a fresh
prior draw with probability :math:`\mu` (the mutated positions are found by
geometric skipping, :math:`\lfloor\log U/\log(1-\mu)\rfloor`, which is exact in law
and draws one uniform per mutation instead of one per belief). Each run reports
its final deceptive fraction, mean signal and mean true value, and the deceptive
fraction of its generation-0 population (no selection yet: the estimate of
``deceptive_fraction_neutral``); the estimates are means over runs with CLT
intervals (the runs are i.i.d.).

Step budget: one step is one generation of one run. ``generations > max_steps``
censors every run (none can finish); the estimates are then ``nan`` with the
widest intervals ([0, 1] for the fraction, the whole line for the means).

Allowance for the mean-field (finite population). The theory's mean-field values
are the :math:`N \to \infty` limit. With :math:`r = \sqrt{\mathrm{expm1}(\Lambda)/N}`,
:math:`\Lambda = \beta^2 K E_w[k^2]` (``BeliefEvolution.resolution``), the measured
error of the mean signal at ``N`` = 100, 400, 1600 on five parameter sets
(K = 5, 10; rho = 0.5, 0.8; beta = 0.05 to 0.2; mu = 0.05 to 0.5; g = 10, 20;
400 runs each) was between 0.25 r and 0.30 r times the mean-field signal, where
:math:`r` was below 1, and far larger where it was not; the fraction's error was
within its noise. :meth:`BeliefEvolutionSimulator.tolerance` allows
``RESOLUTION_CONSTANT * r`` (1.0, over three times the measured constant) times the
mean-field selection effect, and the mean-field quantities are validated only
where ``r <= 0.5``; at :math:`\beta = 0` (or ``g = 0``, or ``mu = 1``) the allowance is 0.
"""

from __future__ import annotations

import math

import numpy as np
from driftkit.montecarlo.engine.accumulators import layout
from driftkit.montecarlo.engine.core import Simulator, register_simulator
from driftkit.montecarlo.engine.stats import Mean, Summary
from driftkit.theory import Model
from driftkit.theory.belief_evolution import RESOLVED, BeliefEvolution
from numba import njit

__all__ = ["BeliefEvolutionSimulator"]


@njit(cache=True, nogil=True)
def _prior(gen, a, v, rho, s):  # pragma: no cover
    n_models, n_beliefs = a.shape
    for m in range(n_models):
        for i in range(n_beliefs):
            z = gen.standard_normal()
            a[m, i] = z
            v[m, i] = rho * z + s * gen.standard_normal()


@njit(cache=True, nogil=True)
def _generation(gen, a, v, a_new, v_new, fit, cum, rho, s, beta, mu):  # pragma: no cover
    """One generation: softmax selection, copying, mutation (into ``a_new``, ``v_new``)."""
    n_models, n_beliefs = a.shape
    for m in range(n_models):
        tot = 0.0
        for i in range(n_beliefs):
            tot += a[m, i]
        fit[m] = beta * tot
    top = fit.max()
    c = 0.0
    for m in range(n_models):
        c += math.exp(fit[m] - top)
        cum[m] = c
    for m in range(n_models):
        p = np.searchsorted(cum, gen.random() * c, side="right")
        if p >= n_models:
            p = n_models - 1
        for i in range(n_beliefs):
            a_new[m, i] = a[p, i]
            v_new[m, i] = v[p, i]
    if mu > 0.0:
        total = n_models * n_beliefs
        pos = -1
        log_keep = math.log1p(-mu) if mu < 1.0 else 0.0
        while True:
            if mu < 1.0:
                pos += 1 + int(math.log(1.0 - gen.random()) / log_keep)
            else:
                pos += 1
            if pos >= total:
                break
            m = pos // n_beliefs
            i = pos - m * n_beliefs
            z = gen.standard_normal()
            a_new[m, i] = z
            v_new[m, i] = rho * z + s * gen.standard_normal()


#: the kernel's accumulators: runs finished and censored, the generations simulated; per
#: finished run the sums (and squares) of the final deceptive fraction, mean signal and
#: mean true value; per run the sums of the generation-0 deceptive fraction (and square)
_ACC = layout(
    "BeliefEvolutionAcc",
    "done",
    "censored",
    "steps",
    "sum_f",
    "sum_f2",
    "sum_a",
    "sum_a2",
    "sum_v",
    "sum_v2",
    "sum_f0",
    "sum_f02",
)
#: means over finished runs; with censored runs (all or none) the whole range
_SUMMARY = Summary(
    _ACC,
    {
        "deceptive_fraction": Mean("sum_f", "sum_f2", "censored", of="done", low=0.0, high=1.0),
        # no selection: the prior population of every run (generation 0), never censored
        "deceptive_fraction_neutral": Mean("sum_f0", "sum_f02", low=0.0, high=1.0),
        "mean_signal": Mean("sum_a", "sum_a2", "censored", of="done"),
        "mean_true_value": Mean("sum_v", "sum_v2", "censored", of="done"),
    },
)


@njit(cache=True, nogil=True)
def _paths(
    gen, n_paths, n_models, n_beliefs, rho, beta, mu, generations, max_steps
):  # pragma: no cover
    """Simulate ``n_paths`` population runs; return the accumulators (see ``_ACC``)."""
    s = math.sqrt(max(0.0, (1.0 - rho) * (1.0 + rho)))
    a = np.empty((n_models, n_beliefs))
    v = np.empty((n_models, n_beliefs))
    a2 = np.empty((n_models, n_beliefs))
    v2 = np.empty((n_models, n_beliefs))
    fit = np.empty(n_models)
    cum = np.empty(n_models)
    acc = np.zeros(len(_ACC))
    run = min(generations, max_steps)
    cells = n_models * n_beliefs
    for _ in range(n_paths):
        _prior(gen, a, v, rho, s)
        n_dec = 0
        for m in range(n_models):
            for i in range(n_beliefs):
                if a[m, i] > 0.0 and v[m, i] < 0.0:
                    n_dec += 1
        frac0 = n_dec / cells
        acc[_ACC.sum_f0] += frac0
        acc[_ACC.sum_f02] += frac0 * frac0
        for _t in range(run):
            _generation(gen, a, v, a2, v2, fit, cum, rho, s, beta, mu)
            a, a2 = a2, a
            v, v2 = v2, v
        acc[_ACC.steps] += run
        if run < generations:
            acc[_ACC.censored] += 1
            continue
        n_dec = 0
        sum_a = 0.0
        sum_v = 0.0
        for m in range(n_models):
            for i in range(n_beliefs):
                if a[m, i] > 0.0 and v[m, i] < 0.0:
                    n_dec += 1
                sum_a += a[m, i]
                sum_v += v[m, i]
        frac, mean_a, mean_v = n_dec / cells, sum_a / cells, sum_v / cells
        acc[_ACC.done] += 1
        acc[_ACC.sum_f] += frac
        acc[_ACC.sum_f2] += frac * frac
        acc[_ACC.sum_a] += mean_a
        acc[_ACC.sum_a2] += mean_a * mean_a
        acc[_ACC.sum_v] += mean_v
        acc[_ACC.sum_v2] += mean_v * mean_v
    return acc


class BeliefEvolutionSimulator(Simulator):
    """Whole populations, generation by generation, exactly as specified in the theory."""

    model_class = BeliefEvolution
    quantities = (
        "deceptive_fraction",
        "deceptive_fraction_neutral",
        "mean_signal",
        "mean_true_value",
    )
    default_paths = 600
    min_chunk_paths = 8

    def prepare(self, model: Model) -> tuple:
        return (
            int(model["population"]),
            int(model["beliefs"]),
            float(model["rho"]),
            float(model["beta"]),
            float(model["mu"]),
            int(model["generations"]),
        )

    def run_chunk(self, prepared, gen, n_paths, max_steps):
        n_models, n_beliefs, rho, beta, mu, generations = prepared
        return _paths(gen, n_paths, n_models, n_beliefs, rho, beta, mu, generations, max_steps)

    def warm_up(self, model: Model) -> None:
        """Compile with a tiny population (a default-sized run is not needed for that)."""
        _paths(np.random.default_rng(0), 1, 2, 2, 0.5, 0.1, 0.5, 2, 10)

    @staticmethod
    def _neutral(model: Model) -> bool:
        return model["beta"] == 0.0 or model["generations"] == 0 or model["mu"] == 1.0

    def simulated_quantities(self, model: Model) -> tuple[str, ...]:
        """Everything where no selection acts (all exact); otherwise the mean-field
        quantities, where the population resolves them (``r <= 0.5``), and the neutral
        fraction (estimated from each run's generation-0 population: exact)."""
        if self._neutral(model):
            return self.quantities
        r = model.resolution
        if r > RESOLVED:
            raise ValueError(
                f"the mean-field theory of {model.name} is not resolved by population="
                f"{model['population']} here (r = sqrt(expm1(Lambda)/N) = {r:.3g} > {RESOLVED}, "
                f"Lambda = beta^2 K E[k^2] = {model.log_weight_variance:.3g}): lower beta, beliefs "
                "or generations, raise mu or population, or use 'simulate'"
            )
        return self.quantities

    def tolerance(self, model: Model, name: str) -> float:
        """The theory's allowance (``model.allowance(name)``): ``RESOLUTION_CONSTANT * r``
        times the mean-field selection effect (0 without selection); see the module
        docstring for the measurements behind it."""
        return model.allowance(name).value

    def summarize(self, model, totals, paths, level, interval):
        return _SUMMARY(totals, paths, level, interval)


register_simulator(BeliefEvolutionSimulator())
