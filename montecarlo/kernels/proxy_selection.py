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

import math

import numpy as np
from driftkit.montecarlo.engine.core import Simulator, register_simulator
from driftkit.montecarlo.engine.stats import Estimate, censored_proportion, mean_interval
from driftkit.theory import Model
from driftkit.theory.proxy_selection import ProxySelection
from numba import njit

__all__ = ["ProxySelectionSimulator"]


@njit(cache=True, nogil=True)
def _paths(gen, n_paths, d, k, sigma, tol, tau, steps, max_steps):  # pragma: no cover
    """Simulate ``n_paths`` walks; return the accumulators (see ``_ACC``)."""
    run = min(steps, max_steps)
    x = np.zeros(d)
    yo = np.zeros(max(k, 1))
    acc = np.zeros(13)
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
                    acc[0] += 1.0
                    acc[1] += sn - s
                    acc[2] += (sn - s) ** 2
                    acc[3] += un - u
                    acc[4] += (un - u) ** 2
                s = sn
                u = un
        acc[5] += s
        acc[6] += s * s
        acc[7] += u
        acc[8] += u * u
        acc[9] += s + u
        acc[10] += (s + u) ** 2
        acc[11] += run
        if run < steps:
            acc[12] += 1.0
    return acc


_ACC = (
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


def _mean(total: float, total_sq: float, n: int, level: float, censored: int = 0) -> Estimate:
    if censored or n < 2:
        # all these quantities are >= 0; a censored walk's end is unknown
        return Estimate(math.nan if censored else total / n, 0.0, math.inf, n, level, "clt")
    mean, low, high = mean_interval(total, total_sq, n, level)
    return Estimate(mean, low, high, n, level, "clt")


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
        a = dict(zip(_ACC, totals.tolist(), strict=True))
        censored = int(a["censored"])
        est: dict[str, Estimate] = {
            "acceptance_probability": censored_proportion(
                int(a["accepted1"]), 0, paths, level, interval
            ),
            "observed_drift_rate": _mean(a["dobs1"], a["dobs1_sq"], paths, level),
            "unobserved_drift_rate": _mean(a["dunobs1"], a["dunobs1_sq"], paths, level),
            "expected_misalignment": _mean(a["total"], a["total_sq"], paths, level, censored),
            "expected_observed_misalignment": _mean(a["obs"], a["obs_sq"], paths, level, censored),
            "expected_unobserved_misalignment": _mean(
                a["unobs"], a["unobs_sq"], paths, level, censored
            ),
        }
        return {q: est[q] for q in self.quantities}, censored, int(a["steps"])


register_simulator(ProxySelectionSimulator())
