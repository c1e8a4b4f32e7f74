r"""Monte Carlo for :class:`driftkit.theory.brownian_drift.BrownianDrift`: drifted Brownian paths.

The path is sampled *exactly* on a time grid of step ``dt``: each increment is
:math:`\mu h + \sigma\sqrt{h}\,Z` with :math:`Z \sim N(0, 1)` (``h = dt``, except
that the step containing the horizon ``t`` is cut in two at ``t``, so the event
"escaped by time t" is decided on the grid). Crossings *between* grid points are
not missed: given both ends ``x_n, x_{n+1}`` inside, the Brownian bridge between
them crossed ``hi`` with probability

.. math:: \exp\!\bigl(-2 (\mathrm{hi}-x_n)(\mathrm{hi}-x_{n+1}) / (\sigma^2 h)\bigr)

(and likewise ``lo``), and a uniform draw decides. The uniform is drawn only
when that probability exceeds :math:`e^{-40} \approx 4 \cdot 10^{-18}`, below
the :math:`2^{-53}` resolution of a uniform double, so skipping it changes
nothing measurable. Per barrier the scheme is therefore exact for the
probabilities (``escape_probability``, ``escape_by_time``) at any ``dt``; with
two barriers it treats the two bridge crossings in one step as independent
and tests ``hi`` first, an error only when both barriers lie within a few
:math:`\sigma\sqrt{dt}` of the path in the same step (``hi - lo`` of order
:math:`\sigma\sqrt{dt}`).

**Exit times inside a step are sampled exactly.** A path that leaves during a step
(by an endpoint outside or by a bridge crossing) is given the first-passage time of
the bridge, drawn by :func:`crossing_fraction` from its law given the step's two
ends and that it crossed. Given both ends the path inside the step is a Brownian
bridge whatever the drift, so the exit time has exactly the continuous-time law
(per barrier) and ``mean_exit_time`` carries no ``O(dt)`` bias (the old rule, the
step's midpoint, gave up to ``dt/2``; ``benchmarks/bench_diffusion.py`` shows both).

*The crossing time of a bridge.* Let a Brownian path of variance rate
:math:`\sigma^2` go from :math:`b - u` (:math:`u > 0`) at time 0 to :math:`b - v` at
time :math:`h`, and let :math:`\tau` be its first passage to :math:`b`
(:math:`v > 0`: the end is on the start's side, :math:`v \le 0`: past ``b``).
By the strong Markov property at :math:`\tau`, the joint density of
:math:`(\tau, X_h)` is the first-passage density of the free motion times the
Gaussian kernel from ``b`` to the end, so given the end and :math:`\tau < h`

.. math:: f(t) \propto \frac{u}{t^{3/2}} e^{-u^2/(2\sigma^2 t)}
          \cdot \frac{1}{\sqrt{h-t}} e^{-v^2/(2\sigma^2 (h-t))}, \qquad 0 < t < h

(the same formula for both signs of ``v``; its total mass is the crossing
probability :math:`e^{-2uv/(\sigma^2 h)}` times the free density of the end for
:math:`v > 0`). With :math:`r = t/(h - t)`, :math:`t = h r/(1 + r)`,
:math:`dt = h\,dr/(1+r)^2`, the powers of :math:`1 + r` cancel and

.. math:: f(r) \propto r^{-3/2} \exp\!\Bigl(-\frac{u^2}{2\sigma^2 h\,r}
          - \frac{v^2 r}{2\sigma^2 h}\Bigr),

the inverse Gaussian density with mean :math:`u/|v|` and shape
:math:`\lambda = u^2/(\sigma^2 h)` (for :math:`v = 0` its limit, the Levy law
:math:`r = \lambda/Z^2`). So :math:`\tau = h\,r/(1 + r)` with ``r`` drawn exactly
by the Michael-Schucany-Haas transformation (one normal, one uniform), written in
the form without cancellation. ``tests/test_bridge_crossing.py`` checks the draws
against numerical integration of ``f(t)``.

Without a lower barrier and with ``mu <= 0`` a path may never reach ``hi``: such
paths run to the step budget ``max_steps`` and are censored; the interval of
``escape_probability`` then covers both ways they could end (so it is honest, and
wide unless ``max_steps * dt`` is long), and ``mean_exit_time`` (infinite) is not
simulated: :meth:`BrownianDriftSimulator.simulated_quantities` leaves it out.

``drift_rate`` is estimated from every increment drawn, as
:math:`\hat\mu = \sum \Delta X / \sum h`; :math:`\sum(\Delta X - \mu h)` is a
martingale in the steps (the stopping rule looks only at the past), so its
standard error is :math:`\hat\sigma / \sqrt{\sum h}`.

**Importance sampling** (``method="importance"``, Siegmund's algorithm) for
``escape_probability``. The increment :math:`\xi \sim N(\mu h, \sigma^2 h)` has
:math:`\log E[e^{\theta\xi}] = (\theta\mu + \theta^2\sigma^2/2) h`, zero at the
adjustment coefficient :math:`\gamma = -2\mu/\sigma^2`; tilting by it turns the
drift :math:`\mu < 0` into :math:`\mu + \gamma\sigma^2 = -\mu`. The Gaussian
densities of one increment :math:`\Delta X` under :math:`\mu` and :math:`\mu'`
have the ratio :math:`\exp((\mu - \mu')\Delta X/\sigma^2 - (\mu^2 - \mu'^2)h/(2\sigma^2))`,
:math:`= \exp(2\mu\Delta X/\sigma^2)` for :math:`\mu' = -\mu`, so a path stopped
after ``N`` steps at :math:`X_N` carries :math:`L = e^{2\mu(X_N - x_0)/\sigma^2}`
(computed from the general formula). The bridge crossings keep this weight exact:
given both ends of a step, the law of the path between them (a Brownian bridge)
does not depend on the drift (Girsanov's density :math:`e^{\mu W_h/\sigma^2 - \dots}`
depends on the path only through its end point), so the crossing probability is
the same function of :math:`(x_n, x_{n+1})` under both laws, the uniform that
decides it has the same law, and the likelihood ratio of the whole simulated
record is the product of the increments' density ratios. The estimator is
therefore unbiased for exactly the probability the naive scheme estimates (the
continuous-time one, per barrier; see above). In continuous time :math:`L` is the
constant :math:`e^{2\mu(\mathrm{hi} - x_0)/\sigma^2}` on {hit hi}; on the grid the end
point :math:`X_N` scatters by :math:`O(\sigma\sqrt{dt})` around hi, so the weights
vary a little. With :math:`\mu \ge 0` the escape is not rare and the law is not
tilted (weights 1).
"""

from __future__ import annotations

import math

import numpy as np
from driftkit.montecarlo.engine.accumulators import layout
from driftkit.montecarlo.engine.core import Simulator, register_simulator
from driftkit.montecarlo.engine.rare import IS_ACC, ImportanceSampling, tally_weight
from driftkit.montecarlo.engine.stats import CensoredMean, Proportion, Summary, normal_estimate
from driftkit.theory import Model
from driftkit.theory.brownian_drift import BrownianDrift
from numba import njit

__all__ = ["BrownianDriftSimulator", "horizon_grid"]

#: a bridge crossing of probability below exp(-BRIDGE_CUTOFF) is not drawn
BRIDGE_CUTOFF = 40.0


def horizon_grid(t: float, dt: float) -> tuple[int, float]:
    """``(nh, rem)``: the horizon is ``t = nh * dt + rem`` with ``0 <= rem < dt``.

    A horizon that is a whole number of steps up to rounding (``10 / 0.01``) gets
    ``rem = 0``, so no needless sliver step is taken.
    """
    ratio = t / dt
    nearest = round(ratio)
    if abs(ratio - nearest) <= 1e-9 * max(1.0, ratio):
        return int(nearest), 0.0
    nh = math.floor(ratio)
    return nh, max(t - nh * dt, 0.0)


@njit(cache=True, nogil=True)
def crossing_fraction(gen, u, v, s2):  # pragma: no cover
    """The first-passage time to a level, as a fraction of the step, of a Brownian
    bridge that starts ``u > 0`` below it and ends ``v`` below it (``v <= 0``: past
    it), of variance ``s2`` over the step, given that it reaches the level: an exact
    draw of ``r / (1 + r)`` with ``r`` inverse Gaussian (mean ``u/|v|``, shape
    ``u^2/s2``); see the module docstring."""
    if u <= 0.0:
        return 0.0
    z = gen.standard_normal()
    y = z * z
    if y == 0.0:
        return 1.0
    av = abs(v)
    # the smaller root r of the Michael-Schucany-Haas quadratic, in a form without
    # cancellation that holds for v = 0 too (then r = lam / Z^2): with g = 2 u |v| / (y s2),
    # r = (2 lam / y) / (1 + g + sqrt(1 + 2 g))
    g = 2.0 * u * av / (y * s2)
    r = 2.0 * u * u / (s2 * y * (1.0 + g + math.sqrt(1.0 + 2.0 * g)))
    # keep r with probability mu / (mu + r) (mu = u / |v|), else take mu^2 / r
    if gen.random() * (u + r * av) > u:
        r = (u / av) ** 2 / r
    return r / (1.0 + r)


@njit(cache=True, nogil=True)
def exit_status(gen, x, y, h, lo, hi, has_lo, c, cut):  # pragma: no cover
    """How a step of length ``h`` from ``x`` to ``y`` ends: 0 inside, 1 at ``hi``, 2 at
    ``lo``, counting the Brownian bridge's crossings between the grid points, of
    probability ``exp(-c (hi - x)(hi - y) / h)`` with ``c = 2 / sigma^2`` (not drawn
    below ``exp(-BRIDGE_CUTOFF)``: ``cut = BRIDGE_CUTOFF / c``)."""
    if y >= hi:
        return 1
    if has_lo and y <= lo:
        return 2
    ab = (hi - x) * (hi - y)
    if ab < cut * h and gen.random() < math.exp(-c * ab / h):
        return 1
    if has_lo:
        ab = (x - lo) * (y - lo)
        if ab < cut * h and gen.random() < math.exp(-c * ab / h):
            return 2
    return 0


#: the naive kernel's accumulators: paths that hit hi, lo, neither (censored), hit hi by
#: the horizon t, were censored before t; the steps; sums of the exit time (the clock of
#: a censored path) and its square; per-step sums of dX, dX^2, h, h^2 and dX h
_ACC = layout(
    "BrownianDriftAcc",
    "escaped",
    "ruined",
    "censored",
    "escaped_by_t",
    "censored_before_t",
    "steps",
    "sum_t",
    "sum_t2",
    "sum_dx",
    "sum_dx2",
    "sum_h",
    "sum_h2",
    "sum_dxh",
)
_SUMMARY = Summary(
    _ACC,
    {
        # censored paths may end either way: the interval covers both
        "escape_probability": Proportion("escaped", "censored"),
        # only paths censored before the horizon are undecided by time t
        "escape_by_time": Proportion("escaped_by_t", "censored_before_t"),
        # Exit time: censored paths count with their clock, a lower bound, so the
        # interval is open above when any path was censored.
        "mean_exit_time": CensoredMean("sum_t", "sum_t2", "censored"),
    },
)


@njit(cache=True, nogil=True)
def _paths(
    gen, n_paths, x0, lo, hi, mu, sigma, dt, horizon, nh, rem, max_steps, midpoint=False
):  # pragma: no cover
    """Simulate ``n_paths`` paths; return the accumulators (see ``_ACC``). An exit is
    timed by :func:`crossing_fraction` (``midpoint=True``: at the step's midpoint, the
    old rule, kept for ``benchmarks/bench_diffusion.py``)."""
    has_lo = lo > -np.inf
    sqdt = math.sqrt(dt)
    c = 2.0 / (sigma * sigma)
    cut = BRIDGE_CUTOFF / c  # skip the bridge draw when a*b > cut * h
    split = rem > 0.0
    escaped = 0
    ruined = 0
    censored = 0
    escaped_by_t = 0
    censored_before_t = 0
    steps = 0
    sum_t = 0.0
    sum_t2 = 0.0
    sum_dx = 0.0
    sum_dx2 = 0.0
    sum_h = 0.0
    sum_h2 = 0.0
    sum_dxh = 0.0
    for _ in range(n_paths):
        x = x0
        n = 0  # grid index of the next step's start
        part = 0  # 1 while on the second half of the step cut at the horizon
        status = 0  # 0 running/censored, 1 hi, 2 lo
        taken = 0
        t_exit = 0.0
        by_t = False
        while taken < max_steps:
            if split and n == nh:
                if part == 0:
                    h = rem
                    start = n * dt
                    before = True  # ends exactly at the horizon
                    part = 1
                else:
                    h = dt - rem
                    start = horizon
                    before = False
                    part = 0
                    n += 1
                sd = sigma * math.sqrt(h)
            else:
                h = dt
                start = n * dt
                before = n < nh
                n += 1
                sd = sigma * sqdt
            dx = mu * h + sd * gen.standard_normal()
            taken += 1
            sum_dx += dx
            sum_dx2 += dx * dx
            sum_h += h
            sum_h2 += h * h
            sum_dxh += dx * h
            y = x + dx
            status = exit_status(gen, x, y, h, lo, hi, has_lo, c, cut)
            if status != 0:
                if midpoint:
                    f = 0.5
                elif status == 1:
                    f = crossing_fraction(gen, hi - x, hi - y, sd * sd)
                else:
                    f = crossing_fraction(gen, x - lo, y - lo, sd * sd)
                t_exit = start + f * h
                by_t = before
                break
            x = y
        steps += taken
        if status == 1:
            escaped += 1
            if by_t:
                escaped_by_t += 1
        elif status == 2:
            ruined += 1
        else:
            censored += 1
            # the clock (end of the last step); still before the horizon?
            t_exit = horizon if (split and part == 1) else n * dt
            if part == 0 and (n < nh or (split and n == nh)):
                censored_before_t += 1
        sum_t += t_exit
        sum_t2 += t_exit * t_exit
    out = np.empty(len(_ACC), dtype=np.float64)
    out[_ACC.escaped] = escaped
    out[_ACC.ruined] = ruined
    out[_ACC.censored] = censored
    out[_ACC.escaped_by_t] = escaped_by_t
    out[_ACC.censored_before_t] = censored_before_t
    out[_ACC.steps] = steps
    out[_ACC.sum_t] = sum_t
    out[_ACC.sum_t2] = sum_t2
    out[_ACC.sum_dx] = sum_dx
    out[_ACC.sum_dx2] = sum_dx2
    out[_ACC.sum_h] = sum_h
    out[_ACC.sum_h2] = sum_h2
    out[_ACC.sum_dxh] = sum_dxh
    return out


@njit(cache=True, nogil=True)
def _tilted_paths(
    gen, n_paths, x0, lo, hi, mu_q, sigma, dt, a_dx, a_h, log_scale, max_steps
):  # pragma: no cover
    """Paths with drift ``mu_q`` (the proposal) on the grid ``dt``, with the bridge
    crossing checks of :func:`_paths`, weighted by ``log L = a_dx (X_N - x0) - a_h N dt``;
    return :data:`driftkit.montecarlo.engine.rare.IS_ACC` (weights divided by
    ``exp(log_scale)``)."""
    has_lo = lo > -np.inf
    sd = sigma * math.sqrt(dt)
    c = 2.0 / (sigma * sigma)
    cut = BRIDGE_CUTOFF / c
    acc = np.zeros(len(IS_ACC))
    steps = 0
    for _ in range(n_paths):
        x = x0
        n = 0
        status = 0
        while n < max_steps:
            y = x + mu_q * dt + sd * gen.standard_normal()
            n += 1
            status = exit_status(gen, x, y, dt, lo, hi, has_lo, c, cut)
            x = y
            if status != 0:
                break
        steps += n
        if status != 2:  # on the event, or censored (its weight at the cut)
            w = math.exp(a_dx * (x - x0) - a_h * (n * dt) - log_scale)
            tally_weight(acc, status == 1, w)
    acc[IS_ACC.steps] = steps
    return acc


def tilted_drift(mu: float, sigma: float) -> float:
    r"""The proposal drift :math:`\mu + \gamma\sigma^2 = -\mu` for :math:`\mu < 0`
    (:math:`\gamma = -2\mu/\sigma^2`, the adjustment coefficient), else :math:`\mu`."""
    gamma = -2.0 * mu / (sigma * sigma) if mu < 0 else 0.0
    return mu + gamma * sigma * sigma


class _TiltedEscape(ImportanceSampling):
    """Siegmund's importance sampling of ``escape_probability`` (see the module)."""

    quantity = "escape_probability"

    def log_scale(self, model: Model) -> float:
        # log L of a continuous path that hits hi: 2 mu (hi - x0) / sigma^2 under the tilt
        mu, sigma = float(model["mu"]), float(model["sigma"])
        return (mu - tilted_drift(mu, sigma)) * (model["hi"] - model["x0"]) / sigma**2

    def prepare(self, model: Model) -> tuple:
        mu, sigma = float(model["mu"]), float(model["sigma"])
        mu_q = tilted_drift(mu, sigma)
        return (
            float(model["x0"]),
            float(model["lo"]),
            float(model["hi"]),
            mu_q,
            sigma,
            float(model["dt"]),
            (mu - mu_q) / sigma**2,
            (mu * mu - mu_q * mu_q) / (2.0 * sigma**2),
            self.log_scale(model),
        )

    def run_chunk(self, prepared, gen, n_paths, max_steps):
        x0, lo, hi, mu_q, sigma, dt, a_dx, a_h, log_scale = prepared
        return _tilted_paths(
            gen, n_paths, x0, lo, hi, mu_q, sigma, dt, a_dx, a_h, log_scale, max_steps
        )


class BrownianDriftSimulator(Simulator):
    """Exact Gaussian steps with the Brownian-bridge crossing correction."""

    model_class = BrownianDrift
    rare_methods = (_TiltedEscape(),)
    quantities = ("drift_rate", "escape_probability", "mean_exit_time", "escape_by_time")

    def simulated_quantities(self, model: Model) -> tuple[str, ...]:
        """All quantities, but ``mean_exit_time`` only where it is finite (not for
        ``lo = -inf`` with ``mu <= 0``: there it is infinite and no sample mean
        estimates it)."""
        if math.isinf(model["lo"]) and model["mu"] <= 0:
            return tuple(q for q in self.quantities if q != "mean_exit_time")
        return self.quantities

    def prepare(self, model: Model) -> tuple:
        nh, rem = horizon_grid(model["t"], model["dt"])
        return (
            float(model["x0"]),
            float(model["lo"]),
            float(model["hi"]),
            float(model["mu"]),
            float(model["sigma"]),
            float(model["dt"]),
            float(model["t"]),
            nh,
            rem,
        )

    def run_chunk(self, prepared, gen, n_paths, max_steps):
        x0, lo, hi, mu, sigma, dt, horizon, nh, rem = prepared
        return _paths(gen, n_paths, x0, lo, hi, mu, sigma, dt, horizon, nh, rem, max_steps)

    def summarize(self, model, totals, paths, level, interval):
        est, censored, steps = _SUMMARY(totals, paths, level, interval)
        acc = _SUMMARY.read(totals)
        sh = acc["sum_h"]
        if sh > 0 and steps >= 2:
            m = acc["sum_dx"] / sh
            resid = acc["sum_dx2"] - 2 * m * acc["sum_dxh"] + m * m * acc["sum_h2"]
            s2 = max(resid, 0.0) / sh  # E[(dX - mu h)^2] = sigma^2 h
            est["drift_rate"] = normal_estimate(m, math.sqrt(s2 / sh), steps, level)
        wanted = self.simulated_quantities(model)
        return {k: est[k] for k in wanted if k in est}, censored, steps

    def time_step_warning(self, model: Model, result) -> str | None:
        """Warn when ``dt`` may bias an estimate by more than its interval's half-width.

        Per barrier every estimate is exact: the Brownian-bridge correction is exact for
        constant coefficients and an exit inside a step is timed by the bridge's
        first-passage law (:func:`crossing_fraction`; the old midpoint rule biased
        ``mean_exit_time`` by up to ``dt / 2``).
        Two barriers: the bridge tests treat a step's crossings of ``hi`` and ``lo`` as
        independent, an error only when the bridge spans both, of order
        ``both = exp(-2 (hi - lo)^2 / (sigma^2 dt))`` per path (it exits in one step),
        for the probabilities, and ``dt * both`` for ``mean_exit_time`` (the exit time
        is then off by less than the step).
        """
        from driftkit.montecarlo.engine.core import time_step_bias_warning

        dt, lo, hi, sigma = model["dt"], model["lo"], model["hi"], model["sigma"]
        biases = {}
        how = "bridge crossings of both barriers in one step"
        if math.isfinite(lo):
            both = math.exp(-2.0 * (hi - lo) ** 2 / (sigma * sigma * dt))
            biases.update(escape_probability=both, escape_by_time=both, mean_exit_time=dt * both)
        return time_step_bias_warning(result, dt, biases, how)


register_simulator(BrownianDriftSimulator())
