r"""Monte Carlo for :class:`driftkit.theory.proxy_selection.ProxySelection`.

Each path runs the walk from :math:`x = 0` for ``steps`` proposals. The decisions and
the records depend on the observed coordinates only through
:math:`s = \lVert x_{1:k}\rVert^2`, and on the unobserved ones only through the number
:math:`N` of accepted steps (and whether the first was accepted), so the kernel
simulates :math:`s` step by step and, except in short walks, draws the unobserved
part once per path, at the end. The law of everything recorded is exactly that of the
full :math:`d`-dimensional walk (the random stream is different; the reference
simulator in ``tests/reference`` runs the full walk and is compared with this kernel).
Per step:

- **Reading noise.** The two fresh readings enter only through their difference,
  :math:`\tau(\varepsilon_1 - \varepsilon_2) = \tau\sqrt2\,\eta`: one normal a step
  (none when :math:`\tau = 0`). The step is accepted when
  :math:`\lVert y_{1:k}\rVert^2 \le \mathrm{tol} + s - \tau\sqrt2\,\eta`; a rejected
  step leaves the state unchanged, as in the model.
- **Observed part,** :math:`1 \le k \le` ``DIRECT_K`` :math:`= 4`: the :math:`k`
  coordinates are simulated one by one (:math:`k` normals a step; measured faster than
  the reduction below for these :math:`k`; for :math:`k \le 2` held in scalars, which
  measured faster than arrays). For :math:`k = 0`, :math:`s = 0` always.
- **Observed part,** :math:`k >` ``DIRECT_K``: the reduction of the model's docs page
  (rotation invariance of :math:`Z`). With :math:`Z_1 = \langle Z_{1:k},
  x_{1:k}\rangle / \lVert x_{1:k}\rVert` (any unit vector when :math:`x_{1:k} = 0`) the
  proposal is :math:`\lVert y_{1:k}\rVert^2 = (\sqrt s + \sigma Z_1)^2 + \sigma^2 C`,
  with :math:`Z_1 \sim N(0,1)` and :math:`C \sim \chi^2_{k-1}` independent of each
  other and of the past, and the new :math:`s` is all the walk needs of the new state.
  The step is accepted when :math:`\sigma^2 C \le r = \mathrm{tol} + s -
  \tau\sqrt2\,\eta - (\sqrt s + \sigma Z_1)^2`. For :math:`k - 1 = 2h + o \le`
  ``SMALL_DF`` :math:`= 16`, :math:`C = G^2 - 2\log\prod_{j \le h} U_j` (:math:`G`
  normal if :math:`o = 1`, :math:`U_j` uniform on :math:`(0, 1]`: a sum of :math:`h`
  exponentials is :math:`\Gamma(h)`), and the test is :math:`\prod U_j \ge
  e^{-(r/\sigma^2 - G^2)/2}` (false for :math:`r < 0`), so the logarithm is taken only
  on an accepted step; every step draws the same numbers and the only branch is the
  (rarer) acceptance, since a branch on a fresh random number is mispredicted about as
  often as not (measured: rejecting early when :math:`r < 0` made the kernel slower,
  not faster). Above ``SMALL_DF``, one ``Generator.chisquare`` draw a step.
- **Unobserved part.** The coordinates :math:`k+1..d` move by :math:`\sigma
  Z_{k+1:d}` exactly on the accepted steps, independently of the decisions, so after
  :math:`N` accepted steps they are :math:`\sigma\sqrt N\,Z'`, :math:`Z' \sim
  N(0, I_{d-k})`. The kernel counts :math:`N` and draws the end once per path: with the
  first step accepted, its change :math:`u_1 = \sigma^2 \chi^2_{d-k}` and then
  :math:`u_T = (\sqrt{u_1} + \sigma\sqrt{N-1}\,g)^2 + \sigma^2 (N-1)\chi^2_{d-k-1}`
  (the same rotation argument; :math:`u_T = u_1` when :math:`N = 1`), else
  :math:`u_T = \sigma^2 N \chi^2_{d-k}` (and :math:`u_T = 0` when :math:`N = 0`); the
  pair :math:`(u_1, u_T)` has the joint law of the walk, given the observed path. A
  chi-square with at most ``NORMALS_DF`` :math:`= 6` degrees of freedom is drawn as a
  sum of squared normals (faster than ``Generator.chisquare`` there), above as one
  ``chisquare`` draw. In short walks (:math:`k \ge 1`, :math:`d - k \le`
  ``NORMALS_DF`` and :math:`T (d - k) \le` ``STEPWISE_WORK`` :math:`= 16`, with
  :math:`T = \min(\mathrm{steps}, \mathrm{max\_steps})`) the :math:`d - k` unobserved
  coordinates are instead drawn on each accepted step, as in the model, which measured
  faster there.

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


#: largest k - 1 whose chi-square is drawn as a normal square plus a product of
#: uniforms; above, one ``Generator.chisquare`` draw
SMALL_DF = 16
#: up to this many observed coordinates they are simulated one by one (k normals a
#: step): measured faster than the reduction for k <= 4, slower from k = 5 on
DIRECT_K = 4
#: largest df whose chi-square (the unobserved end) is a sum of squared normals: measured
#: faster than ``Generator.chisquare`` up to 6 (3 ns a normal; chisquare 13-37 ns)
NORMALS_DF = 6
#: when k >= 1, d - k <= NORMALS_DF and steps * (d - k) <= STEPWISE_WORK, the unobserved
#: coordinates are drawn on each accepted step as in the model (d - k normals): measured
#: faster there than the end's draws (about 2 (d - k) normals and the branches around
#: them, once per path), slower in longer walks or with more coordinates
STEPWISE_WORK = 16


@njit(cache=True, nogil=True, inline="always")
def _chi2(gen, df):  # pragma: no cover
    """One chi-square(``df``) draw (0 for ``df = 0``; squared normals up to ``NORMALS_DF``)."""
    if df > NORMALS_DF:
        return gen.chisquare(df)
    c = 0.0
    for _ in range(df):
        g = gen.standard_normal()
        c += g * g
    return c


@njit(cache=True, nogil=True)
def _paths(gen, n_paths, d, k, sigma, tol, tau, steps, max_steps):  # pragma: no cover
    """Simulate ``n_paths`` walks; return the accumulators (see ``_ACC``)."""
    run = min(steps, max_steps)
    sigma2 = sigma * sigma
    noise = tau * math.sqrt(2.0)  # s.d. of the difference of two readings
    df = k - 1
    direct = 2 < k <= DIRECT_K  # k = 1, 2: scalars; 3..DIRECT_K: arrays
    x = np.zeros(max(k, 1))
    yo = np.zeros(max(k, 1))
    small = df <= SMALL_DF
    half = max(df, 0) >> 1
    odd = df > 0 and df & 1 == 1
    du = d - k
    # the unobserved coordinates drawn on each accepted step (see STEPWISE_WORK)
    each_step = k > 0 and du <= NORMALS_DF and run * du <= STEPWISE_WORK
    xu = np.zeros(max(du, 1))
    acc = np.zeros(len(_ACC))
    for _ in range(n_paths):
        s = 0.0  # ||x_{1:k}||^2
        rs = 0.0  # its square root (the reduction, k > DIRECT_K)
        x1 = 0.0  # x_1 and x_2 for k <= 2: scalars, measured faster than the arrays
        x2 = 0.0
        n_acc = 0
        first = False
        un = 0.0  # ||x_{k+1:d}||^2 when drawn step by step
        if each_step:
            for j in range(du):
                xu[j] = 0.0
        if direct:
            for j in range(k):
                x[j] = 0.0
        for t in range(run):
            room = tol + s
            if noise > 0.0:
                room -= noise * gen.standard_normal()
            if k == 1:
                v = x1 + sigma * gen.standard_normal()
                sn = v * v
                ok = sn <= room
                if ok:
                    x1 = v
                    s = sn
            elif k == 2:
                v = x1 + sigma * gen.standard_normal()
                w = x2 + sigma * gen.standard_normal()
                sn = v * v + w * w
                ok = sn <= room
                if ok:
                    x1 = v
                    x2 = w
                    s = sn
            elif direct:  # 3 <= k <= DIRECT_K coordinates, k normals
                sn = 0.0
                for j in range(k):
                    v = x[j] + sigma * gen.standard_normal()
                    yo[j] = v
                    sn += v * v
                ok = sn <= room
                if ok:
                    for j in range(k):
                        x[j] = yo[j]
                    s = sn
            elif k == 0:
                ok = room >= 0.0  # s stays 0
            else:
                # branch-free until the (rarer) accepted step: the tests are decided by
                # fresh random numbers, which a branch predictor cannot guess
                m = rs + sigma * gen.standard_normal()
                r = room - m * m  # accepted iff sigma^2 C <= r
                if small:
                    g2 = 0.0
                    if odd:
                        g = gen.standard_normal()
                        g2 = g * g
                    p = 1.0
                    for _j in range(half):
                        p *= 1.0 - gen.random()  # uniform on (0, 1]
                    # C = g2 - 2 log p <= r / sigma^2 <=> p >= exp(-(r / sigma^2 - g2) / 2);
                    # r < 0 makes the bound > 1 >= p (written "not <": the bound is NaN only
                    # for r = 0 with sigma^2 = 0, where sigma^2 C = 0 <= r accepts)
                    ok = not p < math.exp(-0.5 * (r / sigma2 - g2))
                    if ok:
                        s = m * m + sigma2 * (g2 - 2.0 * math.log(p))
                        rs = math.sqrt(s)
                else:
                    c = gen.chisquare(df)
                    ok = sigma2 * c <= r
                    if ok:
                        s = m * m + sigma2 * c
                        rs = math.sqrt(s)
            if ok:
                n_acc += 1
                if each_step:
                    un = 0.0
                    for j in range(du):
                        v = xu[j] + sigma * gen.standard_normal()
                        xu[j] = v
                        un += v * v
                if t == 0:  # from s = 0 (and u = 0): the changes are the new values
                    first = True
                    acc[_ACC.accepted1] += 1.0
                    acc[_ACC.dobs1] += s
                    acc[_ACC.dobs1_sq] += s * s
                    if each_step:
                        acc[_ACC.dunobs1] += un
                        acc[_ACC.dunobs1_sq] += un * un
        # the unobserved end: sigma sqrt(N) Z' (the first step's change kept apart)
        u = un
        if not each_step and du > 0 and n_acc > 0:
            if first:
                u1 = sigma2 * _chi2(gen, du)
                acc[_ACC.dunobs1] += u1
                acc[_ACC.dunobs1_sq] += u1 * u1
                u = u1  # N = 1: nothing more moved
                if n_acc > 1:
                    rest = n_acc - 1.0
                    g = math.sqrt(u1) + sigma * math.sqrt(rest) * gen.standard_normal()
                    u = g * g + sigma2 * rest * _chi2(gen, du - 1)
            else:
                u = sigma2 * n_acc * _chi2(gen, du)
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
    """The walk with a (noisy) detector of the first k coordinates: the observed squared
    norm step by step (k normals a step for k <= 4, else one normal and one chi-square),
    the unobserved part drawn once per path but in short walks (exact in law; see the
    module)."""

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
