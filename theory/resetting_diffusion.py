r"""Diffusion with stochastic resetting: periodic retraining as Poisson resetting.

A diffusion :math:`dX = \mu\,dt + \sigma\,dW` starts at ``x0`` and is reset to
``x0`` at the events of a Poisson process of rate :math:`r` — or, with
``period > 0``, every ``period`` time units (clock-driven resetting) —
(retraining puts the system back where it started); it is stopped when it first reaches the
threshold ``hi > x0`` (misalignment). Resetting cuts off the long excursions
away from the threshold but also the lucky runs toward it, so the mean time to
misalignment :math:`T(r)` has a minimum at an optimal rate :math:`r^*` when the
free passage time is broad enough (Péclet number :math:`\mu L/\sigma^2 < 1`,
:math:`L = hi - x_0`), and resetting only delays the passage otherwise.

Every formula is *derived* by sympy: the Laplace transform of the free
first-passage time solves the backward equation (``dsolve``, bounded root),
the last-renewal decomposition of the survival with resetting gives an
algebraic equation for its transform (``solve``), the mean is that transform
at ``s = 0``; ``r -> 0`` is a ``limit``; the optimal rate solves the derived
``dT/dr = 0`` (``diff``), reduced to one dimensionless equation and solved with
:func:`scipy.optimize.brentq`.

``dt`` is the *simulation* time step of :mod:`montecarlo`; no formula here
depends on it.

Source: M. R. Evans and S. N. Majumdar, Diffusion with stochastic resetting,
Phys. Rev. Lett. 106, 160601 (2011); drift: A. Pal and S. Reuveni, Phys. Rev.
Lett. 118, 030603 (2017); S. Ray, D. Mondal and S. Reuveni, J. Phys. A 52,
255002 (2019).
"""

from __future__ import annotations

import functools
import math
import sys
from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy as sp
from driftkit.theory._base import (
    Model,
    Parameter,
    ParameterError,
    Quantity,
    Reference,
    time_step_parameter,
)
from driftkit.theory._cache import disk_cache
from driftkit.theory._registry import register
from scipy.integrate import quad
from scipy.optimize import brentq, minimize_scalar
from scipy.special import erf, erfc, erfcx, log_ndtr, ndtr

__all__ = ["ResettingDiffusion", "optimal_w", "stationarity"]

# Model symbols.
mu = sp.Symbol(r"\mu", real=True)
sigma = sp.Symbol(r"\sigma", positive=True)
r = sp.Symbol("r", positive=True)
x0, hi = sp.symbols(r"x_0 \mathrm{hi}", real=True)
# Derivation symbols: L = hi - x0, s the Laplace variable, x the position.
L = sp.Symbol("L", positive=True)
s = sp.Symbol("s", positive=True)
x = sp.Symbol("x", real=True)
t = sp.Symbol("t", positive=True)
period_sym = sp.Symbol("P", positive=True)
# Dimensionless variables of the optimum: m = mu L / sigma^2 (Péclet number),
# w = L sqrt(mu^2 + 2 r sigma^2) / sigma^2 (so w > |m| for r > 0).
m = sp.Symbol("m", real=True)
w = sp.Symbol("w", positive=True)
w_star = sp.Symbol("w_*", positive=True)
_WHERE = r"\qquad L = \mathrm{hi} - x_0"
_RTOL = 4 * 2.220446049250313e-16  # brentq's smallest relative tolerance (4 eps)
_SQRT2 = math.sqrt(2.0)
_LN2 = math.log(2.0)
_LOG_MAX = math.log(sys.float_info.max)  # about 709.78


@dataclass(frozen=True)
class _Derived:
    ode: sp.Eq  # backward equation of f(x) = E_x[exp(-s tau)]
    general: sp.Expr  # dsolve's general solution
    decaying: sp.Expr  # the exponent rate kept (bounded at -inf)
    dropped: sp.Expr  # the exponent rate dropped
    laplace_fpt: sp.Expr  # E[exp(-s tau)] from x0, in L
    laplace_survival: sp.Expr  # Qhat_0(s) = (1 - E[exp(-s tau)]) / s
    renewal: sp.Eq  # Laplace-transformed renewal equation for Qhat_r
    laplace_survival_reset: sp.Expr  # Qhat_r(s)
    mean: sp.Expr  # T(r) = Qhat_r(0), in L
    lam: sp.Expr  # lambda(r)
    mean_driftless: sp.Expr  # T at mu = 0
    limit_r0: sp.Expr  # lim_{r -> 0} T for mu > 0
    derivative: sp.Expr  # dT/dr
    stationarity: sp.Expr  # r^2 e^{-lambda L} dT/dr in (m, w): same sign as dT/dr
    rate_of_w: sp.Expr  # r as a function of w (and m)
    survival: sp.Expr  # Q_0(t), the free survival (method of images)
    clock_renewal: sp.Eq  # renewal equation of clock-driven (period P) resetting
    clock_mean: sp.Expr  # T_P = int_0^P Q_0 / (1 - Q_0(P))


@disk_cache
def _derive() -> _Derived:
    """Derive every formula of the model (a few seconds, done once)."""
    f = sp.Function("f")
    ode = sp.Eq(sigma**2 / 2 * f(x).diff(x, 2) + mu * f(x).diff(x) - s * f(x), 0)
    general = sp.dsolve(ode, f(x)).rhs
    # Each term is C_i exp(k_i x); f is a Laplace transform of a probability law,
    # so it is bounded as x -> -inf: keep the k_i > 0. sqrt(mu^2 + 2 s sigma^2) > |mu|
    # for s > 0, so exactly one rate is positive; check the sign at several points.
    terms = {}
    for term in sp.Add.make_args(general):
        (e,) = term.atoms(sp.exp)
        consts = term.free_symbols - e.free_symbols
        terms[sp.simplify(e.args[0] / x)] = (term / e, consts)
    samples = [{mu: a, sigma: b, s: c} for a in (-3, 0, 2) for b in (0.5, 2) for c in (0.1, 5)]
    (decaying,) = [k for k in terms if all(k.subs(v) > 0 for v in samples)]
    (dropped,) = [k for k in terms if k != decaying]
    (const,) = terms[decaying][1]
    (other,) = terms[dropped][1]
    bounded = general.subs(other, 0)
    (c_val,) = sp.solve(sp.Eq(bounded.subs(x, hi), 1), const)
    f_sol = sp.simplify(bounded.subs(const, c_val))
    laplace_fpt = sp.simplify(sp.powsimp(f_sol.subs(x, hi - L), force=True))
    laplace_survival = (1 - laplace_fpt) / s
    # Last-renewal decomposition of the survival Q_r(t) with resetting:
    # Q_r(t) = e^{-rt} Q_0(t) + int_0^t r e^{-r u} Q_0(u) Q_r(t - u) du  (no reset up to t,
    # or a first reset at u after surviving); its Laplace transform at s:
    Qr = sp.Symbol(r"\hat Q_r")
    Q0 = laplace_survival.subs(s, s + r)
    renewal = sp.Eq(Qr, Q0 + r * Q0 * Qr)
    (laplace_survival_reset,) = sp.solve(renewal, Qr)
    laplace_survival_reset = sp.simplify(laplace_survival_reset)
    mean = sp.simplify(sp.limit(laplace_survival_reset, s, 0))
    lam = decaying.subs(s, r)
    mean_driftless = sp.simplify(mean.subs(mu, 0))
    mu_pos = sp.Symbol("mu_pos", positive=True)
    limit_r0 = sp.limit(mean.subs(mu, mu_pos), r, 0).subs(mu_pos, mu)
    derivative = sp.diff(mean, r)
    rate_of_w = sigma**2 * (w**2 - m**2) / (2 * L**2)
    scaled = (derivative * r**2 * sp.exp(-lam * L)).subs(mu, m * sigma**2 / L)
    stationarity = sp.simplify(scaled.subs(r, rate_of_w))
    # Clock-driven resetting with period P: the free law over one period. Q_0(t) is the
    # classical inverse-Gaussian (Lévy for mu = 0) survival; its Laplace transform is
    # the derived laplace_survival (checked numerically in the tests).
    Phi = sp.Function(r"\Phi")
    sq = sigma * sp.sqrt(t)
    survival = 1 - Phi((mu * t - L) / sq) - sp.exp(2 * mu * L / sigma**2) * Phi((-mu * t - L) / sq)
    # Renewal at the first reset time P: either the passage happens before P (the time
    # spent is min(tau, P)), or with probability Q_0(P) nothing happened and it restarts.
    TP = sp.Symbol("T_P")
    mean_min = sp.Integral(survival, (t, 0, period_sym))
    clock_renewal = sp.Eq(TP, mean_min + survival.subs(t, period_sym) * TP)
    (clock_mean,) = sp.solve(clock_renewal, TP, simplify=False)
    return _Derived(
        ode,
        general,
        decaying,
        dropped,
        laplace_fpt,
        laplace_survival,
        renewal,
        laplace_survival_reset,
        mean,
        lam,
        mean_driftless,
        limit_r0,
        derivative,
        stationarity,
        rate_of_w,
        survival,
        clock_renewal,
        clock_mean,
    )


def _in_model_symbols(expr: sp.Expr) -> sp.Expr:
    return expr.subs(L, hi - x0)


@functools.cache
def _stationarity_function():
    """phi(w, m) = r^2 e^{-lambda L} dT/dr as a float function, written with expm1.

    The derived expression is ``w/2 - m**2/(2 w) + exp(m - w) - 1``; its value near
    ``w = m`` is a difference of nearly equal terms, so it is rewritten (and checked
    equal in sympy) as ``(w - m)(w + m)/(2 w) + expm1(m - w)``.
    """
    stable = (w - m) * (w + m) / (2 * w) + (sp.exp(m - w) - 1)
    if sp.simplify(stable - _derive().stationarity) != 0:  # pragma: no cover
        raise RuntimeError("the stable form of the stationarity condition does not match")
    return lambda wv, mv: (wv - mv) * (wv + mv) / (2 * wv) + math.expm1(mv - wv)


def stationarity(wv: float, mv: float) -> float:
    r"""The sign function of :math:`dT/dr` in dimensionless form.

    :math:`\varphi(w, m) = r^2 e^{-\lambda L}\,dT/dr` with :math:`m = \mu L/\sigma^2`
    and :math:`w = L\sqrt{\mu^2 + 2 r \sigma^2}/\sigma^2 > |m|`.
    """
    return _stationarity_function()(wv, mv)


def optimal_w(mv: float) -> float:
    r"""The root :math:`w_* > |m|` of :math:`\varphi(w, m) = 0`, or ``nan`` if there is none.

    There is none for :math:`m \ge 1`: then :math:`T(r)` increases in :math:`r`
    (Ray, Mondal & Reuveni 2019; near :math:`w = m` the expansion of
    :math:`\varphi` is :math:`(1 - 1/m)(w - m)^2/2`).
    """
    if mv >= 1.0:
        return math.nan
    phi = _stationarity_function()
    a = abs(mv)
    b = a + 2.0  # phi > 0 there: (w - |m|)/2 >= 1 > 1 - e^{-(w - m)}
    if mv < 0.0:
        lower = a  # phi(|m|, m) = -(1 - e^{2m}) < 0
    else:
        res = minimize_scalar(
            lambda wv: phi(wv, mv), bounds=(a, b), method="bounded", options={"xatol": 1e-12}
        )
        lower = float(res.x)
    if not phi(lower, mv) < 0.0:  # pragma: no cover  (m just below 1: r* underflows)
        return math.nan
    return float(brentq(lambda wv: phi(wv, mv), lower, b, xtol=1e-15, rtol=_RTOL, maxiter=500))


def _log_image(a: float, b: float, two_m: float) -> float:
    """log of e^{2m} Phi(b), the image term (b^2 - a^2 = 4m), without overflow or cancellation.

    For b < 0 it is written ``-a^2/2 + log(erfcx(-b/sqrt 2)/2)``: the huge ``2m`` and the
    huge ``log Phi(b)`` never meet, so the result keeps its relative precision.
    """
    if b < 0.0:
        return -0.5 * a * a + math.log(0.5 * float(erfcx(-b / _SQRT2)))
    return two_m + float(log_ndtr(b))


def _arguments(tv: float, muv: float, sigmav: float, Lv: float) -> tuple[float, float, float]:
    """(a, b, 2m): a, b = (+-mu t - L)/(sigma sqrt t), m = mu L/sigma^2 (Péclet number)."""
    st_ = sigmav * math.sqrt(tv)
    a = muv * math.sqrt(tv) / sigmav - Lv / st_
    b = -muv * math.sqrt(tv) / sigmav - Lv / st_
    return a, b, 2.0 * muv * Lv / sigmav**2


def log_passage_cdf(tv: float, muv: float, sigmav: float, Lv: float) -> float:
    r"""log P(tau <= t) of the free diffusion, tau its first passage over L > 0.

    :math:`P(\tau \le t) = \Phi(a) + e^{2\mu L/\sigma^2}\Phi(b)` (method of images), a sum
    of two positive terms, summed in log space: no cancellation, no underflow.
    """
    if tv <= 0.0:
        return -math.inf
    a, b, two_m = _arguments(tv, muv, sigmav, Lv)
    return float(np.logaddexp(float(log_ndtr(a)), _log_image(a, b, two_m)))


def free_survival(tv: float, muv: float, sigmav: float, Lv: float) -> float:
    r"""Q_0(t) = P(tau > t) of the free diffusion, tau its first passage over L.

    :math:`1 - \Phi(a) - e^{2\mu L/\sigma^2}\Phi(b)`, :math:`a, b = (\pm\mu t - L)/
    (\sigma\sqrt t)`, evaluated without cancellation: as ``-expm1(log P(tau <= t))``
    while the passage probability is below 1/2; beyond, for ``|mu L/sigma^2| <= 1`` as
    ``e^{-a^2/2}[erfcx(a/sqrt 2) - erfcx(-b/sqrt 2)]/2`` after the drift time (``mu > 0``,
    ``a >= 1``), else for ``|mu L/sigma^2| <= 1`` as ``[Phi(c) - Phi(b)] - expm1(2m) Phi(b)``
    (``c = -a``; the bracket from ``erf`` differences).
    """
    if tv <= 0.0:
        return 1.0
    a, b, two_m = _arguments(tv, muv, sigmav, Lv)
    log_f = float(np.logaddexp(float(log_ndtr(a)), _log_image(a, b, two_m)))
    if log_f < -_LN2:
        return -math.expm1(log_f)
    c = -a
    if two_m > 0.0 and a >= 1.0:  # after the drift time: both terms ~ e^{-a^2/2}
        q = 0.5 * math.exp(-0.5 * a * a) * float(erfcx(a / _SQRT2) - erfcx(-b / _SQRT2))
    elif abs(two_m) <= 2.0:
        if b >= 0.0:  # b < c, both >= 0: mass between two upper tails
            mass = 0.5 * float(erfc(b / _SQRT2) - erfc(c / _SQRT2))
        elif c <= 0.0:
            mass = 0.5 * float(erfc(-c / _SQRT2) - erfc(-b / _SQRT2))
        else:  # b < 0 < c: a sum of two positive terms
            mass = 0.5 * float(erf(c / _SQRT2) + erf(-b / _SQRT2))
        q = mass - math.expm1(two_m) * float(ndtr(b))
    else:
        q = float(ndtr(c)) - math.exp(_log_image(a, b, two_m))
    return max(q, 0.0)


def _clock_points(muv: float, sigmav: float, period: float, Lv: float) -> list[float]:
    """Break points for the integral of Q_0 over (0, P): decades of the diffusive time
    L^2/sigma^2 (the onset of the passage, and the t^{-1/2} tail without drift) and, for a
    large Péclet number m, the drift time L/mu +- j (L/mu)/sqrt(m) where Q_0 drops."""
    scale = Lv * Lv / (sigmav * sigmav)  # diffusive time of the distance L
    points = []
    if scale > 0.0 and math.isfinite(scale):
        start = max(math.floor(math.log10(scale)) - 3, -320)
        stop = math.ceil(math.log10(period)) if period < math.inf else 310
        points += [10.0**k for k in range(start, min(stop, 310) + 1)]
    m = muv * Lv / sigmav**2
    if m > 1.0:
        drift = Lv / muv
        points += [drift * (1.0 + j / math.sqrt(m)) for j in range(-8, 9) if j * j < 0.8 * m]
        points += [drift * f for f in (0.5, 2.0, 4.0)]
    kept: list[float] = []
    for p in sorted(p for p in points if 0.0 < p < period * (1.0 - 1e-9)):
        if not kept or p > kept[-1] * (1.0 + 1e-9):  # no sliver intervals (quad flags them)
            kept.append(p)
    return kept


def _peclet_number(muv: float, sigmav: float, Lv: float) -> float:
    """m = mu L/sigma^2 as (mu/sigma)(L/sigma): no overflow of sigma^2, and 0 for mu = 0."""
    return 0.0 if muv == 0.0 else (muv / sigmav) * (Lv / sigmav)


def clock_mean(muv: float, sigmav: float, period: float, Lv: float) -> float:
    """T_P = E[min(tau, P)] / P(tau <= P) for clock-driven resetting with period ``P``.

    Computed in the units of the diffusive time ``L^2/sigma^2`` (Péclet number
    ``m = mu L/sigma^2``, period ``P sigma^2/L^2``), so no intermediate overflows; the
    ratio is formed in log space from :func:`log_passage_cdf` (the passage probability
    within one period, never ``1 - Q_0(P)``): ``T_P`` is finite whenever its value is
    below the largest double, ``inf`` beyond.
    """
    log_scale = 2.0 * (math.log(Lv) - math.log(sigmav))  # log of L^2/sigma^2
    m = _peclet_number(muv, sigmav, Lv)
    if math.isinf(m):  # drift beyond the float range against diffusion: passage at L/mu
        if m < 0.0 or period < Lv / muv:
            return math.inf
        return Lv / muv
    log_tau = math.log(period) - log_scale
    if log_tau > _LOG_MAX:  # the period is beyond any passage time: no resetting at all
        return Lv / muv if m > 0.0 else math.inf
    log_t = log_scale + _log_clock_mean_reduced(m, math.exp(log_tau))
    return math.exp(log_t) if log_t < _LOG_MAX else math.inf


def _log_clock_mean_reduced(m: float, tau: float) -> float:
    """log T_P in units of L^2/sigma^2 (L = sigma = 1, drift m, period tau)."""
    if not tau > 0.0:
        return math.inf
    if m > 0.0 and m * math.sqrt(tau) - 1.0 / math.sqrt(tau) > 40.0:
        # Q_0(tau) < Phi(-40): the period outlasts every passage, T = E[tau] = 1/m
        return -math.log(m)
    log_passed = log_passage_cdf(tau, m, 1.0, 1.0)
    if log_passed == -math.inf:
        return math.inf  # no passage within a period, even in log space: T is astronomical
    points = _clock_points(m, 1.0, tau, 1.0)
    integral, _ = quad(
        free_survival,
        0.0,
        tau,
        args=(m, 1.0, 1.0),
        points=points or None,
        epsabs=0.0,
        epsrel=1e-12,
        limit=max(400, 4 * len(points) + 50),
    )
    if not integral > 0.0:  # pragma: no cover  (Q_0 > 0 near t = 0, so the integral is too)
        return math.inf
    return math.log(integral) - log_passed


def _lambda(muv: float, sigmav: float, rv: float) -> float:
    """lambda(r) = (-mu + sqrt(mu^2 + 2 r sigma^2)) / sigma^2 without cancellation."""
    root = math.hypot(muv, math.sqrt(2.0 * rv) * sigmav)
    if muv > 0.0:
        return 2.0 * rv / (muv + root)  # = the same, rationalized
    return (root - muv) / sigmav / sigmav  # sigma^2 could underflow to 0


@register
class ResettingDiffusion(Model):
    r"""Drifted diffusion reset to ``x0`` at rate ``r`` until it first reaches ``hi``.

    With :math:`L = hi - x_0` and :math:`\lambda(r) = (-\mu + \sqrt{\mu^2 +
    2 r \sigma^2})/\sigma^2`, the mean first-passage time is

    .. math:: T(r) = \frac{e^{\lambda(r) L} - 1}{r},

    :math:`(e^{\sqrt{2r}\,L/\sigma} - 1)/r` without drift; at :math:`r = 0` it is
    :math:`L/\mu` for :math:`\mu > 0` and infinite for :math:`\mu \le 0`.

    Source: Evans & Majumdar, PRL 106, 160601 (2011).

    Examples
    --------
    >>> from driftkit.theory import get_model
    >>> m = get_model("resetting-diffusion")()
    >>> round(m.value("mean_first_passage_time"), 6)   # (e^{sqrt 2} - 1)/0.5
    6.226501
    """

    name = "resetting-diffusion"
    title = "Diffusion with stochastic resetting (retraining)"
    summary = "Diffusion mu dt + sigma dW reset to x0 at Poisson rate r until it first reaches hi."
    curve_parameter = "r"
    plot_quantities = ("mean_first_passage_time",)
    parameters = (
        Parameter("mu", 0.0, "drift of the diffusion", latex=r"\mu"),
        Parameter(
            "sigma",
            math.sqrt(2.0),
            "diffusion coefficient (volatility), sigma > 0",
            0.0,
            low_open=True,
            latex=r"\sigma",
        ),
        Parameter("r", 0.5, "resetting (retraining) rate, r >= 0", 0.0, latex="r"),
        Parameter("x0", 0.0, "starting and reset point, x0 < hi", latex="x_0"),
        Parameter("hi", 2.0, "threshold (misalignment), hi > x0", latex=r"\mathrm{hi}"),
        Parameter(
            "period",
            0.0,
            "reset period of clock-driven (deterministic) resetting; 0 = Poisson resetting at "
            "rate r (r is ignored when period > 0)",
            0.0,
            latex="P",
        ),
        time_step_parameter(),
    )
    quantities = (
        Quantity(
            "mean_first_passage_time",
            "expected time until the threshold hi is first reached, resets included "
            "(Poisson resetting at rate r, or every period P when period > 0; inf for "
            "r = 0 with mu <= 0, or when it overflows a float)",
            r"T",
        ),
        Quantity(
            "optimal_reset_rate",
            "the Poisson reset rate r* minimising the mean first-passage time (root of the "
            "derived dT/dr = 0 to machine precision); 0 when resetting never helps "
            "(mu L/sigma^2 >= 1); about Poisson resetting, whatever period; numerical: "
            "w* is found by brentq",
            r"r^*",
            kind="numerical",
        ),
    )
    references = (
        Reference(
            "evans2011",
            "M. R. Evans and S. N. Majumdar, Diffusion with stochastic resetting, "
            "Phys. Rev. Lett. 106, 160601 (2011).",
            "@article{evans2011,\n  author = {Evans, Martin R. and Majumdar, Satya N.},\n"
            "  title = {Diffusion with Stochastic Resetting},\n"
            "  journal = {Phys. Rev. Lett.}, volume = {106}, pages = {160601}, year = {2011},\n"
            "  doi = {10.1103/PhysRevLett.106.160601}\n}",
        ),
        Reference(
            "ray2019",
            "S. Ray, D. Mondal and S. Reuveni, Péclet number governs transition to "
            "acceleratory restart in drift-diffusion, J. Phys. A 52, 255002 (2019).",
            "@article{ray2019,\n  author = {Ray, Somrita and Mondal, Debasish and "
            "Reuveni, Shlomi},\n"
            "  title = {P{\\'e}clet number governs transition to acceleratory restart in "
            "drift-diffusion},\n"
            "  journal = {J. Phys. A: Math. Theor.}, volume = {52}, pages = {255002},\n"
            "  year = {2019}, doi = {10.1088/1751-8121/ab1fcc}\n}",
        ),
    )

    def _check(self, params: dict[str, Any]) -> None:
        if not params["hi"] > params["x0"]:
            raise ParameterError(
                "hi",
                f"parameter 'hi' must be a number > x0 = {params['x0']!r}, got {params['hi']!r}",
            )

    def curve_range(self, param: str) -> tuple[float, float]:
        """``r`` is swept over ``(0, 5 r*)`` (``(0, 5 sigma^2/L^2)`` when ``r* = 0``)."""
        if param == "r":
            opt = self.value("optimal_reset_rate")
            if opt <= 0.0:
                opt = self["sigma"] ** 2 / (self["hi"] - self["x0"]) ** 2
            return 0.0, 5.0 * opt
        return super().curve_range(param)

    # -- formulas ---------------------------------------------------------
    def _peclet(self) -> float:
        return _peclet_number(self["mu"], self["sigma"], self["hi"] - self["x0"])

    def _expression(self, name: str, case: bool) -> sp.Expr:
        d = _derive()
        if name == "mean_first_passage_time" and self["period"] > 0:
            return _in_model_symbols(d.clock_mean)
        if name == "mean_first_passage_time":
            general = _in_model_symbols(d.mean)
            at0 = _in_model_symbols(d.limit_r0)
            if case:
                if self["r"] > 0:
                    return general
                return at0 if self["mu"] > 0 else sp.oo
            # the model symbol r is positive (for the derivation); the cases need r >= 0
            r0 = sp.Symbol("r", nonnegative=True)
            return sp.Piecewise((general.subs(r, r0), r0 > 0), (at0, mu > 0), (sp.oo, True))
        # optimal_reset_rate: r* = sigma^2 (w*^2 - m^2) / (2 L^2) at the root w* of phi.
        general = _in_model_symbols(d.rate_of_w.subs({w: w_star, m: mu * L / sigma**2}))
        if case:
            return general if self._peclet() < 1 else sp.Integer(0)
        return sp.Piecewise((general, mu * (hi - x0) / sigma**2 < 1), (0, True))

    def latex(self, name: str) -> str:
        """LaTeX of the formula for this model's case (``r*`` with its defining equation)."""
        symbol = self.quantity(name).symbol
        expr = sp.latex(self.expression(name))
        if name == "mean_first_passage_time" and self["period"] > 0:
            where = r"\qquad \Phi \text{ the standard normal CDF}"
            return f"{symbol} = {expr}{where}"
        if name == "mean_first_passage_time":
            return f"{symbol} = {expr}{_WHERE}"
        if self._peclet() >= 1:
            return f"{symbol} = 0 \\qquad (\\mu L/\\sigma^2 \\ge 1,\\ L = \\mathrm{{hi}} - x_0)"
        eq = sp.latex(sp.Eq(_derive().stationarity.subs(w, w_star), 0))
        return f"{symbol} = {expr}, \\qquad w_* > |\\mu| L/\\sigma^2: {eq}, \\ m = \\mu L/\\sigma^2"

    def _value(self, name: str) -> float:
        muv, sigmav, rv = self["mu"], self["sigma"], self["r"]
        Lv = self["hi"] - self["x0"]
        if name == "mean_first_passage_time" and self["period"] > 0:
            return clock_mean(muv, sigmav, self["period"], Lv)
        if name == "mean_first_passage_time":
            if rv == 0.0:
                return Lv / muv if muv > 0 else math.inf
            lam_l = _lambda(muv, sigmav, rv) * Lv
            if lam_l < _LOG_MAX:
                return math.expm1(lam_l) / rv
            # e^{lambda L} is beyond the float range, T = e^{lambda L}(1 - e^{-lambda L})/r
            # may not be: form it in log space (inf only when T itself overflows)
            log_t = lam_l + math.log1p(-math.exp(-lam_l)) - math.log(rv)
            return math.exp(log_t) if log_t < _LOG_MAX else math.inf
        mv = self._peclet()
        if mv < 0.0:
            # solve for the gap u = w* - |m| in (0, 2]: w + m = u exactly, so r* keeps its
            # digits even when |m| is so large that w* and |m| round to the same double
            am = min(-mv, 1e300)  # beyond, the root is u = 1 to double precision
            gap = brentq(
                lambda uv: uv * (2.0 * am + uv) / (2.0 * (am + uv)) + math.expm1(-2.0 * am - uv),
                0.0,
                2.0,
                xtol=1e-300,
                rtol=_RTOL,
                maxiter=500,
            )
            # r* = sigma^2 u (2|m| + u)/(2 L^2) = u |mu|/L + (u sigma/L)^2/2 (no overflow)
            return gap * (abs(muv) / Lv) + 0.5 * (gap * (sigmav / Lv)) ** 2
        wv = optimal_w(mv)
        if math.isnan(wv):
            return 0.0
        return (sigmav / Lv) * (sigmav / Lv) * (wv - mv) * (wv + mv) / 2.0

    # -- derivation -------------------------------------------------------
    def derivation(self) -> str:
        d = _derive()
        X = sp.latex
        lam_sym = sp.Symbol(r"\lambda")
        lines = [
            f"## {self.title}: derivation",
            "",
            "**Model.** $dX_t = \\mu\\,dt + \\sigma\\,dW_t$, $X_0 = x_0$; at the events of a "
            "Poisson process of rate $r \\ge 0$ (independent of $W$) the process is reset to "
            "$x_0$; it is stopped when it first reaches $\\mathrm{hi} > x_0$. Write "
            "$L = \\mathrm{hi} - x_0$. $T$ is the mean of that first-passage time.",
            "",
            "**Assumptions.** Resets are instantaneous; the reset clock is memoryless and "
            "independent of the diffusion; the threshold is absorbing. The simulation step "
            "$\\Delta t$ is not part of the model.",
            "",
            "### Free first passage (no resetting)",
            "",
            "Let $f(x) = E_x[e^{-s\\tau}]$, $\\tau$ the first time the free diffusion "
            "reaches $\\mathrm{hi}$. It solves the backward equation",
            "",
            f"$$ {X(d.ode)}, \\qquad f(\\mathrm{{hi}}) = 1, \\quad f \\text{{ bounded as }} "
            "x \\to -\\infty. $$",
            "",
            f"`sympy.dsolve` gives $f(x) = {X(d.general)}$. Since "
            "$\\sqrt{\\mu^2 + 2 s \\sigma^2} > |\\mu|$ for $s > 0$, only the rate "
            f"${X(d.decaying)} > 0$ keeps $f$ bounded; the other, ${X(d.dropped)}$, is "
            "dropped. The boundary condition then gives, from $x_0 = \\mathrm{hi} - L$,",
            "",
            f"$$ E[e^{{-s\\tau}}] = {X(d.laplace_fpt)}, \\qquad "
            f"\\hat Q_0(s) = \\int_0^\\infty e^{{-st}} Q_0(t)\\,dt = {X(d.laplace_survival)}, $$",
            "",
            "with $Q_0(t) = P(\\tau > t)$ the survival without resetting.",
            "",
            "### Renewal at the resets",
            "",
            "Either no reset happens before $t$ (probability $e^{-rt}$, and the free path "
            "survives), or the first reset is at $u < t$ (density $r e^{-ru}$, the free path "
            "survives to $u$, and the process starts afresh):",
            "",
            "$$ Q_r(t) = e^{-rt} Q_0(t) + \\int_0^t r e^{-ru} Q_0(u)\\, Q_r(t-u)\\,du. $$",
            "",
            "Its Laplace transform is the algebraic equation",
            "",
            f"$$ {X(d.renewal)}, \\qquad \\hat Q_0 \\equiv \\hat Q_0(s + r), $$",
            "",
            f"solved by `sympy.solve`: $\\hat Q_r(s) = {X(d.laplace_survival_reset)}$. "
            "The mean first-passage time is $T = \\int_0^\\infty Q_r(t)\\,dt = \\hat Q_r(0)$:",
            "",
            f"$$ T(r) = {X(d.mean)}. $$",
            "",
            f"With $\\lambda(r) = {X(d.lam)}$ this is $T = (e^{{{X(lam_sym)} L}} - 1)/r$; without "
            f"drift, $T = {X(d.mean_driftless)}$ (Evans & Majumdar 2011).",
            "",
            f"**No resetting.** For $\\mu > 0$, $\\lim_{{r \\to 0}} T = {X(d.limit_r0)}$, the "
            "inverse-Gaussian mean. For $\\mu \\le 0$ and $r = 0$ the mean is infinite "
            "(returned as `inf`): the free passage time has an infinite mean for $\\mu = 0$ "
            "and is defective for $\\mu < 0$.",
            "",
            "### Optimal reset rate",
            "",
            f"`sympy.diff` gives $dT/dr = {X(d.derivative)}$. With the Péclet number "
            "$m = \\mu L/\\sigma^2$ and $w = L\\sqrt{\\mu^2 + 2r\\sigma^2}/\\sigma^2 > |m|$, "
            f"i.e. $r = {X(d.rate_of_w)}$, the positive multiple $r^2 e^{{-\\lambda L}}\\,dT/dr$ "
            "simplifies to",
            "",
            f"$$ \\varphi(w, m) = {X(d.stationarity)}. $$",
            "",
            "$r^*$ is the root $w_*$ of $\\varphi = 0$ on $w > |m|$ (found with `brentq`), "
            "mapped back by $r^* = \\sigma^2 (w_*^2 - m^2)/(2L^2)$. Near $w = m$ (i.e. "
            "$r \\to 0$, $m > 0$), $\\varphi \\approx (1 - 1/m)(w - m)^2/2$: for $m \\ge 1$ "
            "resetting only delays the passage and $r^* = 0$ (Ray, Mondal & Reuveni 2019). "
            "Without drift $w_* = z_*$, the root of $z/2 = 1 - e^{-z}$, "
            "$z_* \\approx 1.5936242600$, and $r^* = z_*^2 \\sigma^2/(2L^2)$.",
            "",
            "### Clock-driven (periodic) resetting",
            "",
            "With `period` $P > 0$ the resets happen at $P, 2P, \\dots$ (and $r$ is ignored). "
            "The free survival is the inverse-Gaussian (Lévy for $\\mu = 0$) law, by the "
            "method of images,",
            "",
            f"$$ Q_0(t) = {X(d.survival)}, $$",
            "",
            "whose Laplace transform is the $\\hat Q_0(s)$ derived above. Renewal at the first "
            "reset: the passage happens before $P$ (time spent $\\min(\\tau, P)$), or, with "
            "probability $Q_0(P)$, the process restarts afresh:",
            "",
            f"$$ {X(d.clock_renewal)}, $$",
            "",
            "solved by `sympy.solve`:",
            "",
            f"$$ T_P = {X(d.clock_mean)} = \\frac{{E[\\min(\\tau, P)]}}{{P(\\tau \\le P)}}. $$",
            "",
            "Evaluation never forms $1 - Q_0(P)$, which cancels when a crossing within one "
            "period is rare: $P(\\tau \\le P) = \\Phi(a) + e^{2\\mu L/\\sigma^2}\\Phi(b)$ "
            "(method of images) is a sum of two positive terms, added in log space "
            "(`log_ndtr`, the image term through `erfcx`); $E[\\min(\\tau, P)] = "
            "\\int_0^P Q_0(s)\\,ds$ is integrated with `scipy.integrate.quad` in diffusive "
            "time units, with break points on the scales of the passage-time law, and "
            "$T_P$ is formed as a ratio in log space, so it is `inf` only when $T_P$ itself "
            "exceeds the largest double.",
            "",
            "### Evaluation",
            "",
            "$\\lambda$ is computed as $2r/(\\mu + \\sqrt{\\mu^2 + 2r\\sigma^2})$ for $\\mu > 0$ "
            "(no cancellation) and $T = \\operatorname{expm1}(\\lambda L)/r$; when "
            "$e^{\\lambda L}$ exceeds the float range (about $\\lambda L > 709.78$) $T$ is "
            "returned as `inf`. $\\varphi$ is evaluated as "
            "$(w-m)(w+m)/(2w) + \\operatorname{expm1}(m - w)$.",
            "",
            "**Source.** M. R. Evans and S. N. Majumdar, *Phys. Rev. Lett.* 106, 160601 (2011).",
            "",
        ]
        return "\n".join(lines)
