r"""Ornstein-Uhlenbeck process: a restoring force, and escape over a threshold.

The state follows :math:`dX = -\theta (X - m)\,dt + \sigma\,dW` started at
``x0 < hi``. In the alignment-drift picture ``m`` is where training pulls the
system back to, ``theta`` how hard it pulls, ``sigma`` the strength of the
random modifications and ``hi`` the threshold of misalignment; the question is
how long until the first excursion above ``hi``, and what fraction of the time
the system spends above it in the long run.

Every formula is *derived* by sympy, in the centred variable
:math:`\xi = x - m` (the model is invariant under shifts):

* the mean first passage time solves the backward equation
  :math:`\tfrac{\sigma^2}{2} T'' - \theta \xi T' = -1`, :math:`T(\mathrm{hi}) = 0`,
  :math:`T` bounded as :math:`\xi \to -\infty`; ``dsolve`` (integrating factor
  :math:`e^{-U}`, :math:`U = \theta\xi^2/\sigma^2`) gives :math:`T'`, boundedness
  fixes the constant, and one more integration gives Siegert's double integral,
  reduced to :math:`T = \frac{\sqrt\pi}{\theta}\int_{u_0}^{u} e^{w^2}(1 + \operatorname{erf} w)\,dw`
  with :math:`u = \sqrt\theta(\mathrm{hi} - m)/\sigma`, :math:`u_0 = \sqrt\theta(x_0 - m)/\sigma`;
* the stationary law solves the zero-flux Fokker-Planck equation, normalised
  by integration: :math:`N(m, \sigma^2/(2\theta))`;
* the Kramers (Arrhenius) time is the Laplace-method asymptotic of the
  Siegert integral from the well bottom, :math:`\sqrt\pi\,e^{u^2}/(\theta u)`.
* the escape probability :math:`P(T_{\mathrm{hi}} < T_m)` from :math:`m < x_0 < \mathrm{hi}`
  (the excursion reaches the threshold before training pulls it back to ``m``) solves
  :math:`\tfrac{\sigma^2}{2} f'' - \theta \xi f' = 0`, :math:`f(0) = 0`,
  :math:`f(\mathrm{hi} - m) = 1`; ``dsolve`` gives the scale function (the integral of
  the scale density :math:`e^{U}`, checked by ``integrate``) and the ratio
  :math:`\operatorname{erfi}(u_0)/\operatorname{erfi}(u)`; it is 0 for :math:`x_0 \le m`.

Values: the integrand is :math:`\operatorname{erfcx}(-w)`, which is bounded for
:math:`w \le 0` and is integrated scaled by :math:`e^{-u^2}` for :math:`w > 0`
(:func:`scipy.integrate.quad`, relative tolerance ``1e-13``), so the logarithm
of the time is finite for any barrier (:meth:`OrnsteinUhlenbeck.log_value`);
:meth:`value` is ``inf`` only where the time itself exceeds the double range
(:math:`u \gtrsim 26.6`). The escape probability is evaluated as
:math:`e^{(u_0 - u)(u_0 + u)} D(u_0)/D(u)` with Dawson's function
:math:`D(v) = \tfrac{\sqrt\pi}{2} e^{-v^2}\operatorname{erfi}(v)` (:func:`scipy.special.dawsn`),
so no :math:`e^{u^2}` is ever formed and its logarithm is finite for any barrier.

Sources: A. J. F. Siegert, Phys. Rev. 81, 617 (1951); C. W. Gardiner,
*Handbook of Stochastic Methods*, 3rd ed. (2004), sections 5.2.7 and 9; S. Karlin and
H. M. Taylor, *A Second Course in Stochastic Processes* (1981), 15.3 (scale functions).
"""

from __future__ import annotations

import math
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
from scipy import integrate, special

__all__ = ["OrnsteinUhlenbeck"]

# Model symbols (what the formulas are written in).
theta, sigma = sp.symbols(r"theta sigma", positive=True)
m, x0, hi = sp.symbols(r"m x_0 \mathrm{hi}", real=True)
# Derivation symbols: xi = x - m (centred state), w = sqrt(theta) xi / sigma (scaled).
xi, y, z, w, s = sp.symbols("xi y z w s", real=True)
u, u0 = sp.symbols("u u_0", real=True)
u_pos = sp.Symbol("u", positive=True)  # the barrier height, for the asymptotics
_EPSREL = 1e-13  # quad's relative tolerance (the result is good to about 1e-13)
_LOG_MAX = math.log(np.finfo(np.float64).max)


@dataclass(frozen=True)
class _Derived:
    U: sp.Expr  # the potential theta xi^2 / sigma^2
    backward: sp.Eq  # the backward equation for T(xi)
    first_order: sp.Eq  # the same for v = T'
    integrating_factor: sp.Expr
    exact_derivative: sp.Eq  # (mu v)' = -(2/sigma^2) mu
    general: sp.Eq  # dsolve's general solution for v
    limit_at_minus_inf: sp.Expr  # lim mu v as xi -> -inf (must vanish)
    constant: dict  # C1 fixed by boundedness
    derivative: sp.Expr  # T'(xi) = v(xi)
    siegert: sp.Expr  # T(xi0) as the Siegert double integral (unevaluated)
    inner: sp.Expr  # the inner integral, evaluated
    integrand: sp.Expr  # the outer integrand in w, times dw
    mfpt: sp.Expr  # T in model symbols (an Integral in w)
    fokker_planck: sp.Eq  # zero-flux stationary equation
    stationary_general: sp.Expr
    normaliser: sp.Expr
    density: sp.Expr  # in xi
    stationary_mean: sp.Expr
    stationary_variance: sp.Expr
    exceedance: sp.Expr  # P(X > hi), model symbols
    laplace: sp.Expr  # the endpoint Laplace integral
    kramers: sp.Expr  # model symbols
    kramers_limit: sp.Expr  # lim exact-leading / kramers as u -> oo (= 1)


@disk_cache
def _derive() -> _Derived:
    """Derive every formula of the model (about a second, done once)."""
    U = theta * xi**2 / sigma**2
    T, v, p = sp.Function("T"), sp.Function("v"), sp.Function("p")
    backward = sp.Eq(sigma**2 / 2 * T(xi).diff(xi, 2) - theta * xi * T(xi).diff(xi), -1)
    first_order = backward.subs(T(xi).diff(xi, 2), v(xi).diff(xi)).subs(T(xi).diff(xi), v(xi))
    # v' + P v = Q with P = -2 theta xi / sigma^2: integrating factor exp(int P).
    coefficient = -2 * theta * xi / sigma**2
    mu = sp.exp(sp.integrate(coefficient, xi))
    exact_derivative = sp.Eq(sp.Derivative(mu * v(xi), xi), -2 / sigma**2 * mu)
    general = sp.dsolve(first_order, v(xi), hint="1st_linear")
    (c1,) = general.rhs.free_symbols - {xi, theta, sigma}
    lim = sp.simplify(sp.limit(sp.expand(mu * general.rhs), xi, -sp.oo))
    (c_value,) = sp.solve(lim, c1)
    derivative = sp.simplify(general.rhs.subs(c1, c_value))
    # T(xi0) = T(h) - int_{xi0}^{h} v dy with T(h) = 0, and mu v = -(2/sigma^2) int mu.
    h, xi0 = hi - m, x0 - m
    siegert = (
        2
        / sigma**2
        * sp.Integral(
            sp.exp(U.subs(xi, y)) * sp.Integral(sp.exp(-U.subs(xi, z)), (z, -sp.oo, y)),
            (y, xi0, h),
        )
    )
    inner = sp.integrate(sp.exp(-U.subs(xi, z)), (z, -sp.oo, y))
    # Substitute y = sigma w / sqrt(theta) (dy = sigma / sqrt(theta) dw).
    outer = 2 / sigma**2 * sp.exp(U.subs(xi, y)) * inner
    integrand = sp.simplify(outer.subs(y, sigma * w / sp.sqrt(theta)) * sigma / sp.sqrt(theta))
    u_of = sp.sqrt(theta) / sigma
    mfpt = sp.Integral(integrand, (w, u_of * (x0 - m), u_of * (hi - m)))
    # Stationary law: zero probability flux  theta xi p + (sigma^2/2) p' = 0.
    fokker_planck = sp.Eq(theta * xi * p(xi) + sigma**2 / 2 * p(xi).diff(xi), 0)
    stationary_general = sp.dsolve(fokker_planck, p(xi)).rhs
    (c_p,) = stationary_general.free_symbols - {xi, theta, sigma}
    normaliser = sp.integrate(stationary_general, (xi, -sp.oo, sp.oo))
    (c_norm,) = sp.solve(sp.Eq(normaliser, 1), c_p)
    density = sp.simplify(stationary_general.subs(c_p, c_norm))
    st_mean = sp.simplify(sp.integrate(xi * density, (xi, -sp.oo, sp.oo)))
    st_var = sp.simplify(sp.integrate(xi**2 * density, (xi, -sp.oo, sp.oo)) - st_mean**2)
    c = sp.Symbol("c", real=True)  # the threshold hi - m, substituted afterwards
    exceedance = sp.integrate(density, (xi, c, sp.oo)).rewrite(sp.erfc).subs(c, hi - m)
    # Kramers: from the well bottom (u0 = 0), for large u, 1 + erf(w) -> 2 where the
    # integrand lives, and near the endpoint w = u - s: e^{w^2} = e^{u^2 - 2us + s^2},
    # the s^2 negligible on the scale s ~ 1/(2u) (Laplace's method).
    laplace = sp.integrate(
        2 * sp.sqrt(sp.pi) / theta * sp.exp(u_pos**2 - 2 * u_pos * s), (s, 0, sp.oo)
    )
    leading = 2 * sp.sqrt(sp.pi) / theta * sp.integrate(sp.exp(w**2), (w, 0, u_pos))
    kramers_limit = sp.limit(leading / laplace, u_pos, sp.oo)
    kramers = laplace.subs(u_pos, u_of * (hi - m))
    return _Derived(
        U,
        backward,
        first_order,
        mu,
        exact_derivative,
        general,
        lim,
        {c1: c_value},
        derivative,
        siegert,
        inner,
        integrand,
        mfpt,
        fokker_planck,
        stationary_general,
        normaliser,
        density,
        st_mean,
        st_var,
        exceedance,
        laplace,
        kramers,
        kramers_limit,
    )


@dataclass(frozen=True)
class _Escape:
    generator_eq: sp.Eq  # L f = 0 for f(xi) = P(reach hi before m)
    general: sp.Eq  # dsolve's general solution
    constants: dict  # from f(0) = 0, f(c) = 1
    in_xi: sp.Expr  # f(xi), threshold c = hi - m
    scale_density: sp.Expr  # s(xi) = exp(-int 2 b / sigma^2), b = -theta xi
    scale_function: sp.Expr  # S(xi) = int_0^xi s
    ratio_check: sp.Expr  # f - S(xi)/S(c), simplified (= 0)
    escape: sp.Expr  # in model symbols


@disk_cache
def _derive_escape() -> _Escape:
    """Derive P(reach hi before returning to m) from the generator (about a second)."""
    f = sp.Function("f")
    c = sp.Symbol("c", positive=True)  # hi - m, substituted afterwards
    generator_eq = sp.Eq(sigma**2 / 2 * f(xi).diff(xi, 2) - theta * xi * f(xi).diff(xi), 0)
    general = sp.dsolve(generator_eq, f(xi))
    consts = sorted(general.rhs.free_symbols - {xi, theta, sigma}, key=str)
    (solved,) = sp.solve([general.rhs.subs(xi, 0), general.rhs.subs(xi, c) - 1], consts, dict=True)
    in_xi = sp.simplify(general.rhs.subs(solved))
    # the classical route: scale density exp(-int 2 b / sigma^2) with drift b = -theta xi
    scale_density = sp.exp(-sp.integrate(2 * (-theta * y) / sigma**2, (y, 0, xi)))
    scale_function = sp.integrate(scale_density.subs(xi, y), (y, 0, xi))
    ratio_check = sp.simplify(in_xi - scale_function / scale_function.subs(xi, c))
    escape = in_xi.subs({xi: x0 - m, c: hi - m})
    return _Escape(
        generator_eq,
        general,
        solved,
        in_xi,
        scale_density,
        scale_function,
        ratio_check,
        escape,
    )


def _log_escape(u0v: float, uv: float) -> float:
    r"""``log(erfi(u0)/erfi(u))`` for ``0 < u0 < u``, as
    :math:`(u_0 - u)(u_0 + u) + \log(D(u_0)/D(u))` with Dawson's :math:`D` (no overflow)."""
    return (u0v - uv) * (u0v + uv) + math.log(float(special.dawsn(u0v)) / float(special.dawsn(uv)))


def _log_integral(a: float, b: float) -> float:
    r"""``log`` of :math:`\int_a^b \operatorname{erfcx}(-w)\,dw`, ``a < b``, overflow-free.

    For :math:`w \le 0` the integrand is in :math:`(0, 1]`; for :math:`w > 0` it is
    :math:`e^{w^2}(2 - \operatorname{erfc} w)`, integrated as
    :math:`e^{(w - b)(w + b)}(2 - \operatorname{erfc} w)` with the factor
    :math:`e^{b^2}` put back in log space.
    """
    total_neg = 0.0
    if a < 0.0:
        total_neg, _ = integrate.quad(
            lambda t: special.erfcx(-t), a, min(b, 0.0), epsabs=0.0, epsrel=_EPSREL, limit=200
        )
    if b <= 0.0:
        return math.log(total_neg)
    lo_pos = max(a, 0.0)
    bb = b * b

    def scaled(t: float) -> float:
        return math.exp((t - b) * (t + b)) * (2.0 - special.erfc(t))

    # The scaled integrand falls like e^{-2b(b - t)} below b: below b - 40/b it is
    # under e^{-80}, so the bulk lies in the last 40/b; quad gets that part separately,
    # with breakpoints at b - k/b, so that it cannot miss a narrow peak.
    cut = max(lo_pos, b - 40.0 / b)
    pos = 0.0
    if cut > lo_pos:
        # (the whole is about 1/b here, so an absolute 1e-16/b is a relative 1e-16)
        pos += integrate.quad(scaled, lo_pos, cut, epsabs=1e-16 / b, epsrel=_EPSREL, limit=200)[0]
    inner = [t for t in (b - k / b for k in (10.0, 3.0, 1.0)) if cut < t < b]
    pos += integrate.quad(
        scaled, cut, b, epsabs=0.0, epsrel=_EPSREL, limit=200, points=inner or None
    )[0]
    # log(total_neg + e^{bb} pos)
    if total_neg == 0.0:
        return bb + math.log(pos)
    return bb + math.log(pos + total_neg * math.exp(-bb))


def _finite_exp(log_x: float) -> float:
    return math.inf if log_x > _LOG_MAX else math.exp(log_x)


@register
class OrnsteinUhlenbeck(Model):
    r"""Ornstein-Uhlenbeck process :math:`dX = -\theta(X - m)dt + \sigma dW` and a threshold.

    With :math:`u = \sqrt\theta(\mathrm{hi} - m)/\sigma`, :math:`u_0 = \sqrt\theta(x_0 - m)/\sigma`:

    .. math:: E[T_{\mathrm{hi}}] = \frac{\sqrt\pi}{\theta}\int_{u_0}^{u}
              e^{w^2}\,(1 + \operatorname{erf} w)\,dw, \qquad
              P_\infty(X > \mathrm{hi}) = \tfrac12 \operatorname{erfc}(u), \qquad
              T_{\mathrm{K}} = \frac{\sqrt\pi\,e^{u^2}}{\theta u}\ (u \to \infty),
              \qquad P_{x_0}(T_{\mathrm{hi}} < T_m) = \frac{\operatorname{erfi}(u_0)}
              {\operatorname{erfi}(u)}\ (m < x_0 < \mathrm{hi}).

    ``dt`` is the time step of the *simulation* only; no formula depends on it.

    The escape probability is 0 for :math:`x_0 \le m` (the path is at or must pass ``m``
    first).

    Sources: Siegert (1951); Gardiner, *Handbook of Stochastic Methods* (2004); Karlin &
    Taylor (1981).

    Examples
    --------
    >>> from driftkit.theory.ornstein_uhlenbeck import OrnsteinUhlenbeck
    >>> round(OrnsteinUhlenbeck().value("stationary_exceedance"), 6)   # erfc(1/sqrt 2)/2
    0.158655
    """

    name = "ornstein-uhlenbeck"
    title = "Ornstein-Uhlenbeck escape over a threshold"
    summary = (
        "dX = -theta (X - m) dt + sigma dW: mean first passage to hi (Siegert), "
        "stationary exceedance, Kramers time."
    )
    curve_parameter = "x0"
    plot_quantities = ("mean_first_passage_time", "stationary_exceedance")
    parameters = (
        Parameter(
            "theta",
            1.0,
            "restoring rate (1/theta is the relaxation time)",
            0.0,
            low_open=True,
            latex=r"\theta",
        ),
        Parameter("m", 0.0, "mean-reversion level (the well bottom)", latex="m"),
        Parameter("sigma", math.sqrt(2), "noise amplitude", 0.0, low_open=True, latex=r"\sigma"),
        Parameter("x0", 0.0, "starting point, x0 < hi", latex="x_0"),
        Parameter("hi", 1.0, "threshold (first passage upward)", latex=r"\mathrm{hi}"),
        time_step_parameter(),
    )
    quantities = (
        Quantity(
            "mean_first_passage_time",
            "expected time for X to first reach hi from x0 (Siegert's formula)",
            r"E[T_{\mathrm{hi}}]",
        ),
        Quantity(
            "stationary_exceedance",
            "P(X > hi) under the stationary law N(m, sigma^2/(2 theta))",
            r"P_\infty(X > \mathrm{hi})",
        ),
        Quantity(
            "kramers_time",
            "high-barrier (Kramers/Arrhenius) asymptotic of the mean passage time from m to "
            "hi; relative error about 1/(2u^2), u = sqrt(theta)(hi-m)/sigma; 0 when hi <= m "
            "(no barrier: the start m is at or above hi)",
            r"T_{\mathrm{K}}",
            kind="asymptotic",
        ),
        Quantity(
            "escape_probability",
            "P(X reaches hi before returning to the mean-reversion level m) from m < x0 < hi: "
            "the ratio of scale functions erfi(u0)/erfi(u); 0 for x0 <= m",
            r"P_{x_0}(T_{\mathrm{hi}} < T_m)",
        ),
    )
    references = (
        Reference(
            "siegert1951",
            "A. J. F. Siegert, On the first passage time probability problem, "
            "Physical Review 81, 617-623 (1951).",
            "@article{siegert1951,\n  author = {Siegert, Arnold J. F.},\n"
            "  title = {On the First Passage Time Probability Problem},\n"
            "  journal = {Physical Review}, volume = {81}, number = {4},\n"
            "  pages = {617--623}, year = {1951}, doi = {10.1103/PhysRev.81.617}\n}",
        ),
        Reference(
            "gardiner2004",
            "C. W. Gardiner, Handbook of Stochastic Methods, 3rd ed., Springer (2004), "
            "sections 5.2.7 (mean exit times) and 9 (Kramers' method, bistability).",
            "@book{gardiner2004,\n  author = {Gardiner, Crispin W.},\n"
            "  title = {Handbook of Stochastic Methods for Physics, Chemistry and the "
            "Natural Sciences},\n  edition = {3rd}, publisher = {Springer}, year = {2004},\n"
            "  note = {Sections 5.2.7 and 9}\n}",
        ),
        Reference(
            "karlin1981",
            "S. Karlin and H. M. Taylor, A Second Course in Stochastic Processes, "
            "Academic Press (1981), ch. 15, section 3 (scale functions and exit "
            "probabilities of diffusions).",
            "@book{karlin1981,\n  author = {Karlin, Samuel and Taylor, Howard M.},\n"
            "  title = {A Second Course in Stochastic Processes},\n"
            "  publisher = {Academic Press}, year = {1981},\n"
            "  note = {Chapter 15, section 3}\n}",
        ),
    )

    def _check(self, params: dict[str, Any]) -> None:
        if not params["x0"] < params["hi"]:
            raise ParameterError(
                "x0",
                f"parameter 'x0' must be a number < hi = {params['hi']!r} "
                f"(the passage is upward), got {params['x0']!r}",
            )

    # -- helpers ------------------------------------------------------------
    @property
    def stationary_sd(self) -> float:
        """Standard deviation of the stationary law, :math:`\\sigma/\\sqrt{2\\theta}`."""
        return self["sigma"] / math.sqrt(2.0 * self["theta"])

    def scaled(self) -> tuple[float, float]:
        """``(u0, u)``: start and threshold in units of :math:`\\sigma/\\sqrt\\theta` from m."""
        root, sv = math.sqrt(self["theta"]), self["sigma"]
        k = root / sv

        def scale(dist: float) -> float:
            if dist == 0.0:
                return 0.0
            # k may overflow (tiny sigma) or underflow: then divide first
            return dist * k if 0.0 < k < math.inf else dist / sv * root

        return scale(self["x0"] - self["m"]), scale(self["hi"] - self["m"])

    def curve_range(self, param: str) -> tuple[float, float]:
        """``x0`` from three stationary standard deviations below ``m`` up to ``hi``."""
        if param == "x0":
            return min(self["m"] - 3.0 * self.stationary_sd, self["hi"] - 1.0), self["hi"]
        return super().curve_range(param)

    # -- formulas ---------------------------------------------------------
    def _expression(self, name: str, case: bool) -> sp.Expr:
        if name == "escape_probability":
            ratio = _derive_escape().escape
            if case:
                return ratio if self["x0"] > self["m"] else sp.Integer(0)
            return sp.Piecewise((ratio, x0 > m), (0, True))
        d = _derive()
        return {
            "mean_first_passage_time": d.mfpt,
            "stationary_exceedance": d.exceedance,
            "kramers_time": d.kramers,
        }[name]

    def _log_siegert_integral(self) -> float:
        r"""``log`` of :math:`\int_{u_0}^{u} \operatorname{erfcx}(-w)\,dw`, also far below m.

        Where :math:`u_0 < -10^4` (a start many noise widths below m, up to
        :math:`u_0 = -\infty` when :math:`\sigma` is tiny) the part of the integral below
        :math:`c = \max(u, -10^4)` is taken from the asymptotic series (A&S 7.1.23)
        :math:`\operatorname{erfcx}(x) = (1 - 1/(2x^2) + R)/(x\sqrt\pi)`,
        :math:`0 \le R \le 3/(4x^4)`: :math:`[\ln x + 1/(4x^2)]/\sqrt\pi` between
        :math:`|c|` and :math:`|u_0|`, with an absolute error below
        :math:`3/(16 \cdot 10^{16}\sqrt\pi)` and :math:`\ln|u_0|` computed from
        :math:`\ln|x_0 - m| + \tfrac12\ln\theta - \ln\sigma` (no overflow). The
        deterministic limit :math:`\ln((m - x_0)/(m - \mathrm{hi}))/\theta` follows.
        """
        u0v, uv = self.scaled()
        if uv > 1e150:  # log of the integral above u^2 > 1e300: the value overflows
            return math.inf
        big = 1e4
        if uv > big:
            # high barrier: int_a^b e^{w^2}(2 - erfc w) dw with erfc w < e^{-1e8} (2 to double
            # precision) and int_a^b e^{w^2} = e^{b^2} D(b) - e^{a^2} D(a), a >= 1e4, where
            # D(w) = (1 + 1/(2w^2) + 3/(4w^4))/(2w) up to a relative 2/w^6 (Dawson's
            # integral, A&S 7.1.17 via erfi)
            a = max(u0v, big)

            def dawson(w: float) -> float:
                return (1.0 + 0.5 / (w * w) + 0.75 / w**4) / (2.0 * w)

            high = (
                math.log(2.0)
                + uv * uv
                + math.log(dawson(uv) - dawson(a) * math.exp((a - uv) * (a + uv)))
            )
            if u0v >= big:
                return high
            return float(np.logaddexp(high, self._log_low_integral(u0v, big)))
        return self._log_low_integral(u0v, uv)

    def _log_low_integral(self, u0v: float, uv: float) -> float:
        """:meth:`_log_siegert_integral` for ``u <= 1e4``."""
        big = 1e4
        if u0v >= -big:
            return _log_integral(u0v, uv)
        half_log_theta, log_sigma = 0.5 * math.log(self["theta"]), math.log(self["sigma"])
        log_u0 = math.log(self["m"] - self["x0"]) + half_log_theta - log_sigma
        if uv < -big:
            log_c = math.log(self["m"] - self["hi"]) + half_log_theta - log_sigma
            c = uv
        else:
            log_c, c = math.log(big), -big
        inv_u0 = 0.0 if math.isinf(u0v) else 0.25 / (u0v * u0v)
        far = (log_u0 - log_c + inv_u0 - 0.25 / (c * c)) / math.sqrt(math.pi)
        if uv < -big:
            return math.log(far)
        return float(np.logaddexp(math.log(far), _log_integral(-big, uv)))

    def log_value(self, name: str) -> float:
        """Natural log of a quantity, finite for any barrier (the value may overflow)."""
        self.quantity(name)
        th = self["theta"]
        u0v, uv = self.scaled()
        if name == "escape_probability":
            # x0 <= m: the path is at m, or must pass it before hi: probability 0
            if uv == math.inf:  # tiny sigma: erfi(u0)/erfi(u) ~ e^{-(u^2 - u0^2)} -> 0
                return -math.inf
            return _log_escape(u0v, uv) if u0v > 0.0 else -math.inf
        if name == "mean_first_passage_time":
            return 0.5 * math.log(math.pi) - math.log(th) + self._log_siegert_integral()
        if name == "kramers_time":
            if uv <= 0.0:
                return -math.inf  # no barrier: the start m is at or above hi, T = 0
            if uv > 1e150:  # e^{u^2} overflows
                return math.inf
            return 0.5 * math.log(math.pi) - math.log(th) - math.log(uv) + uv * uv
        # stationary_exceedance: log(erfc(u)/2), via erfcx in the upper tail (no underflow)
        if uv > 0.0:
            return math.log(0.5 * float(special.erfcx(uv))) - uv * uv
        return math.log(0.5 * float(special.erfc(uv)))

    def _value(self, name: str) -> float:
        if name == "stationary_exceedance":
            # P(X > hi) = erfc(u)/2: erfc keeps full relative accuracy in the upper tail.
            return 0.5 * float(special.erfc(self.scaled()[1]))
        if name == "escape_probability":
            return math.exp(self.log_value(name))  # exp(-inf) = 0; below 1e-308 it underflows
        return _finite_exp(self.log_value(name))

    # -- derivation -------------------------------------------------------
    def derivation(self) -> str:
        d = _derive()
        e = _derive_escape()
        L = sp.latex
        ((c1, c_value),) = d.constant.items()
        lines = [
            f"## {self.title}: derivation",
            "",
            "**Model.** $dX_t = -\\theta (X_t - m)\\,dt + \\sigma\\,dW_t$, $\\theta > 0$, "
            "$\\sigma > 0$, $X_0 = x_0 < \\mathrm{hi}$; $T_{\\mathrm{hi}} = \\inf\\{t : X_t "
            "\\ge \\mathrm{hi}\\}$. The model is shift-invariant, so we work in the centred "
            "variable $\\xi = x - m$, with the potential "
            f"$U(\\xi) = {L(d.U)}$ (drift $-\\tfrac{{\\sigma^2}}{{2}} U'(\\xi)$).",
            "",
            "**Assumptions.** Itô diffusion with constant coefficients; the threshold is "
            "absorbing; there is no lower barrier ($-\\infty$ is natural). The simulation's "
            "time step $\\Delta t$ plays no part in the theory.",
            "",
            "### Mean first passage time (Siegert 1951)",
            "",
            "The mean passage time $T(\\xi)$ solves the backward equation "
            "(generator applied to $T$ equals $-1$)",
            "",
            f"$$ {L(d.backward)}, \\qquad T(\\mathrm{{hi}} - m) = 0, "
            "\\quad T \\text{ bounded as } \\xi \\to -\\infty. $$",
            "",
            "With $v = T'$ it is first order,",
            "",
            f"$$ {L(d.first_order)}, $$",
            "",
            f"with integrating factor $\\mu(\\xi) = {L(d.integrating_factor)} = e^{{-U(\\xi)}}$:",
            "",
            f"$$ \\frac{{d}}{{d\\xi}}\\left[{L(d.exact_derivative.lhs.expr)}\\right] = "
            f"{L(d.exact_derivative.rhs)}. $$",
            "",
            "`sympy.dsolve` (hint `1st_linear`) gives the general solution",
            "",
            f"$$ {L(d.general)}. $$",
            "",
            "Boundedness at $-\\infty$ means the flux-like term $\\mu v = T' e^{-U}$ vanishes "
            f"there: $\\lim_{{\\xi\\to-\\infty}} \\mu v = {L(d.limit_at_minus_inf)} = 0$, so "
            f"${L(c1)} = {L(c_value)}$ and",
            "",
            f"$$ T'(\\xi) = {L(d.derivative)} < 0. $$",
            "",
            "Integrating from $\\xi_0 = x_0 - m$ to $\\mathrm{hi} - m$ with "
            "$T(\\mathrm{hi} - m) = 0$ gives Siegert's double integral",
            "",
            f"$$ E[T_{{\\mathrm{{hi}}}}] = {L(d.siegert)}, $$",
            "",
            f"whose inner integral is ${L(d.inner)}$. Substituting "
            "$y = \\sigma w/\\sqrt{\\theta}$:",
            "",
            f"$$ E[T_{{\\mathrm{{hi}}}}] = {L(d.mfpt)}. $$",
            "",
            "### Stationary law and exceedance",
            "",
            "The stationary Fokker-Planck equation on the line has zero probability flux:",
            "",
            f"$$ {L(d.fokker_planck)}, $$",
            "",
            f"so $p(\\xi) = {L(d.stationary_general)}$; normalising (${L(d.normaliser)} = 1$):",
            "",
            f"$$ p(\\xi) = {L(d.density)}, \\qquad E_\\infty[\\xi] = {L(d.stationary_mean)}, "
            f"\\quad \\operatorname{{Var}}_\\infty = {L(d.stationary_variance)}, $$",
            "",
            "i.e. $N(m, \\sigma^2/(2\\theta))$, and",
            "",
            f"$$ P_\\infty(X > \\mathrm{{hi}}) = {L(d.exceedance)}. $$",
            "",
            "### Kramers (Arrhenius) asymptotic",
            "",
            "From the well bottom ($u_0 = 0$) with $u = \\sqrt{\\theta}(\\mathrm{hi} - m)/\\sigma"
            " \\to \\infty$, the integrand $e^{w^2}(1 + \\operatorname{erf} w)$ lives near "
            "$w = u$, where $1 + \\operatorname{erf} w \\to 2$ (the rest contributes "
            "$O(\\log u)$). Laplace's method at the endpoint, $w = u - s$, "
            "$e^{w^2} \\approx e^{u^2 - 2us}$:",
            "",
            f"$$ T_{{\\mathrm{{K}}}} = \\frac{{2\\sqrt{{\\pi}}}}{{\\theta}}\\int_0^\\infty "
            f"e^{{u^2 - 2us}}\\,ds = {L(d.laplace)}, $$",
            "",
            "and sympy confirms $\\lim_{u\\to\\infty} \\frac{2\\sqrt\\pi}{\\theta}\\int_0^u "
            f"e^{{w^2}}dw \\,/\\, T_{{\\mathrm{{K}}}} = {L(d.kramers_limit)}$. The relative "
            "error is about $1/(2u^2)$ (Dawson's function); it is an asymptotic, not a bound.",
            "",
            "### Escape before returning to the mean (scale function)",
            "",
            "$f(\\xi) = P(T_{\\mathrm{hi}} < T_m \\mid \\xi_0 = \\xi)$, for "
            "$0 \\le \\xi \\le c = \\mathrm{hi} - m$, is harmonic for the generator:",
            "",
            f"$$ {L(e.generator_eq)}, \\qquad f(0) = 0, \\quad f(c) = 1. $$",
            "",
            f"`sympy.dsolve` gives ${L(e.general)}$; the boundary conditions give "
            + ", ".join(f"${L(k)} = {L(v)}$" for k, v in e.constants.items())
            + ", so",
            "",
            f"$$ f(\\xi) = {L(e.in_xi)}, \\qquad P_{{x_0}}(T_{{\\mathrm{{hi}}}} < T_m) = "
            f"{L(e.escape)} \\quad (m < x_0 < \\mathrm{{hi}}). $$",
            "",
            "The same is the classical ratio of scale functions $S(x_0 - m)/S(\\mathrm{hi} - m)$ "
            "(Karlin & Taylor 1981, 15.3): the scale density of the drift $-\\theta\\xi$ is "
            f"$s(\\xi) = {L(e.scale_density)}$ and `sympy.integrate` gives "
            f"$S(\\xi) = \\int_0^\\xi s = {L(e.scale_function)}$; the difference of the two "
            f"simplifies to ${L(e.ratio_check)}$. For $x_0 \\le m$ the path is at $m$, or must "
            "pass it before $\\mathrm{hi}$: the probability is $0$.",
            "",
            "### Evaluation",
            "",
            "$e^{w^2}(1 + \\operatorname{erf} w) = \\operatorname{erfcx}(-w)$ is bounded for "
            "$w \\le 0$ and integrated directly; for $w > 0$ it is integrated scaled by "
            "$e^{-u^2}$ (`scipy.integrate.quad`, relative tolerance $10^{-13}$) and "
            "$e^{u^2}$ restored in log space, so $\\log E[T]$ is finite for any barrier. "
            "The exceedance is $\\tfrac12\\operatorname{erfc}(u)$ (`scipy.special.erfc`, "
            "accurate in the tail). The escape probability is "
            "$e^{(u_0 - u)(u_0 + u)} D(u_0)/D(u)$ with Dawson's function "
            "$D(v) = \\tfrac{\\sqrt\\pi}{2}e^{-v^2}\\operatorname{erfi}(v)$ "
            "(`scipy.special.dawsn`): no $e^{u^2}$ is formed, and its logarithm is finite for "
            "any barrier (probabilities down to the smallest double, about $10^{-308}$).",
            "",
            "**Sources.** A. J. F. Siegert, *Phys. Rev.* 81, 617 (1951); C. W. Gardiner, "
            "*Handbook of Stochastic Methods*, 3rd ed. (2004), §5.2.7 and ch. 9; S. Karlin "
            "and H. M. Taylor, *A Second Course in Stochastic Processes* (1981), §15.3.",
            "",
        ]
        return "\n".join(lines)
