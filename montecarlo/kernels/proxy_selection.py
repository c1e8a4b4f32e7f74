r"""Monte Carlo for :class:`driftkit.theory.proxy_selection.ProxySelection`.

Each path runs the full :math:`d`-dimensional walk from :math:`x = 0` for ``steps``
proposals. Per step: :math:`k` standard normals for the observed coordinates of
:math:`Z`, then, when :math:`\tau > 0`, two fresh reading noises (one for
:math:`\mathrm{reading}(y)`, one for :math:`\mathrm{reading}(x)`: the model's
convention), and the decision
:math:`\lVert y_{1:k}\rVert^2 + \tau\varepsilon_1 - (\lVert x_{1:k}\rVert^2 +
\tau\varepsilon_2) \le \mathrm{tol}`. The :math:`d - k` unobserved normals of
:math:`Z` are drawn only when the step is accepted: they are independent of the
decision and unused otherwise, so the law of the walk is exactly that of drawing all
:math:`d` every step (fewer draws, same process).

Per path the kernel records the final observed and unobserved squared misalignment
(and their sum), and from the first step the acceptance indicator and the changes of
both parts (i.i.d. per path: the three start-state quantities).

The step budget ``max_steps`` cuts a path at ``min(steps, max_steps)`` proposals; a
path cut before ``steps`` is censored, and the end-state intervals become
:math:`[0, \infty)` (nothing is claimed about an unfinished walk). The first step
is always simulated (``max_steps >= 1``).
"""

from __future__ import annotations

import numpy as np
from driftkit.montecarlo.engine.accumulators import layout
from driftkit.montecarlo.engine.core import Simulator, register_simulator
from driftkit.montecarlo.engine.stats import Mean, Proportion, Summary
from driftkit.theory import Model
from driftkit.theory.proxy_selection import ProxySelection
from numba import njit

__all__ = ["ProxySelectionSimulator"]


#: the kernel's accumulators: first steps accepted and the sums of their changes of the
#: observed and unobserved squared norms (and squares); the sums of the final observed,
#: unobserved and total squared norms (and squares); the steps; censored walks
_ACC = layout(
    "ProxySelectionAcc",
    "accepted1",
    "dobs1",
    "dobs1_sq",
    "dunobs1",
    "dunobs1_sq",
    "obs",
    "obs_sq",
    "unobs",
    "unobs_sq",
    "total",
    "total_sq",
    "steps",
    "censored",
)
_SUMMARY = Summary(
    _ACC,
    {
        "acceptance_probability": Proportion("accepted1"),
        "unobserved_drift_rate": Mean("dunobs1", "dunobs1_sq"),
        "observed_drift_rate": Mean("dobs1", "dobs1_sq"),
        # squared norms, >= 0; a censored walk's end is unknown
        "expected_misalignment": Mean("total", "total_sq", "censored", low=0.0),
        "expected_observed_misalignment": Mean("obs", "obs_sq", "censored", low=0.0),
        "expected_unobserved_misalignment": Mean("unobs", "unobs_sq", "censored", low=0.0),
    },
)


@njit(cache=True, nogil=True)
def _paths(gen, n_paths, d, k, sigma, tol, tau, steps, max_steps):  # pragma: no cover
    """Simulate ``n_paths`` walks; return the accumulators (see ``_ACC``)."""
    run = min(steps, max_steps)
    x = np.zeros(d)
    yo = np.zeros(max(k, 1))
    acc = np.zeros(len(_ACC))
    for _ in range(n_paths):
        for j in range(d):
            x[j] = 0.0
        s = 0.0  # ||x_{1:k}||^2
        u = 0.0  # ||x_{k+1:d}||^2
        for t in range(run):
            sn = 0.0
            for j in range(k):
                v = x[j] + sigma * gen.standard_normal()
                yo[j] = v
                sn += v * v
            diff = sn - s
            if tau > 0.0:
                diff += tau * (gen.standard_normal() - gen.standard_normal())
            ok = diff <= tol
            if ok:
                for j in range(k):
                    x[j] = yo[j]
                un = 0.0
                for j in range(k, d):
                    v = x[j] + sigma * gen.standard_normal()
                    x[j] = v
                    un += v * v
                if t == 0:
                    acc[_ACC.accepted1] += 1.0
                    acc[_ACC.dobs1] += sn - s
                    acc[_ACC.dobs1_sq] += (sn - s) ** 2
                    acc[_ACC.dunobs1] += un - u
                    acc[_ACC.dunobs1_sq] += (un - u) ** 2
                s = sn
                u = un
        acc[_ACC.obs] += s
        acc[_ACC.obs_sq] += s * s
        acc[_ACC.unobs] += u
        acc[_ACC.unobs_sq] += u * u
        acc[_ACC.total] += s + u
        acc[_ACC.total_sq] += (s + u) ** 2
        acc[_ACC.steps] += run
        if run < steps:
            acc[_ACC.censored] += 1.0
    return acc


class ProxySelectionSimulator(Simulator):
    """The full d-dimensional walk with a (noisy) detector of the first k coordinates."""

    model_class = ProxySelection
    quantities = (
        "acceptance_probability",
        "unobserved_drift_rate",
        "observed_drift_rate",
        "expected_misalignment",
        "expected_observed_misalignment",
        "expected_unobserved_misalignment",
    )

    def prepare(self, model: Model) -> tuple:
        return (
            int(model["d"]),
            int(model["k"]),
            float(model["sigma"]),
            float(model["tol"]),
            float(model["tau"]),
            int(model["steps"]),
        )

    def run_chunk(self, prepared, gen, n_paths, max_steps):
        d, k, sigma, tol, tau, steps = prepared
        return _paths(gen, n_paths, d, k, sigma, tol, tau, steps, max_steps)

    def summarize(self, model, totals, paths, level, interval):
        return _SUMMARY(totals, paths, level, interval, self.quantities)


register_simulator(ProxySelectionSimulator())
