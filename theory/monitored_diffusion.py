r"""Monitored diffusion: Brownian motion with drift, killed ("caught") at a constant rate.

The state :math:`dX_t = \mu\,dt + \sigma\,dW_t` starts at ``x0`` in
``(lo, hi)``. A monitor catches the system at the first event of an independent
Poisson clock of rate :math:`\kappa` (an exponential catch time
:math:`C \sim \mathrm{Exp}(\kappa)`). The path ends at the first of: reaching
``hi`` (escape into the bad region), reaching ``lo`` (repaired/back to safe, the
lower barrier), or being caught. In the alignment-drift picture :math:`\kappa`
is the intensity of monitoring, :math:`\mu` the drift towards misalignment.

By Feynman-Kac (killing at rate :math:`\kappa`), each quantity solves a
second-order linear boundary-value problem for the backward generator
:math:`\mathcal{L}f = \tfrac{\sigma^2}{2} f'' + \mu f' - \kappa f`; sympy's
:func:`~sympy.solvers.ode.dsolve` gives the general solution, the two boundary
conditions fix the constants. The problem is translation invariant, so it is
solved in :math:`y = x - lo \in (0, L)`, :math:`L = hi - lo`. Three cases:
:math:`\kappa > 0` (distinct characteristic roots
:math:`\lambda_\pm = (-\mu \pm \gamma)/\sigma^2`,
:math:`\gamma = \sqrt{\mu^2 + 2\kappa\sigma^2}`), :math:`\kappa = 0, \mu \ne 0`
and :math:`\kappa = \mu = 0` (where the general form degenerates).

Values are evaluated with mpmath (unbounded exponent range, so
:math:`e^{\lambda_\pm L}` cannot overflow) at a precision that is doubled
until two successive evaluations agree to 1e-17 relative, which also absorbs
the cancellation of the general formula near :math:`\kappa \to 0` or
:math:`\gamma L/\sigma^2 \to 0`.

Sources: S. Karlin and H. M. Taylor, *A Second Course in Stochastic
Processes* (1981), ch. 15 (functionals of diffusions, killing);
A. N. Borodin and P. Salminen, *Handbook of Brownian Motion - Facts and
Formulae*, 2nd ed. (2002), part II, ch. 2 (Brownian motion with drift,
exponential stopping).

The simulation time step ``dt`` is a parameter of the Monte Carlo only: no
formula here depends on it.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Any

import mpmath
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

__all__ = ["MonitoredDiffusion"]

# Model symbols.
mu = sp.Symbol(r"\mu", real=True)
sigma = sp.Symbol(r"\sigma", positive=True)
kappa = sp.Symbol(r"\kappa", nonnegative=True)
lo, hi, x0 = sp.symbols(r"\mathrm{lo} \mathrm{hi} x_0", real=True)
# Derivation symbols: y = x - lo, L = hi - lo, gamma = sqrt(mu^2 + 2 kappa sigma^2) (display).
y = sp.Symbol("y", real=True)
L = sp.Symbol("L", positive=True)
gamma = sp.Symbol(r"\gamma", positive=True)
GAMMA = sp.sqrt(mu**2 + 2 * kappa * sigma**2)
CASES = ("general", "no_killing", "no_killing_no_drift")
_CASE_SUBS = {"general": {}, "no_killing": {kappa: 0}, "no_killing_no_drift": {kappa: 0, mu: 0}}
_WHERE = (
    r"\qquad y = x_0 - \mathrm{lo},\ L = \mathrm{hi} - \mathrm{lo},\ "
    r"\gamma = \sqrt{\mu^2 + 2\kappa\sigma^2}"
)
_WHERE0 = r"\qquad y = x_0 - \mathrm{lo},\ L = \mathrm{hi} - \mathrm{lo}"
_DPS = 30  # starting precision of the mpmath evaluator
_MAX_DPS = 4000
_AGREE = mpmath.mpf(10) ** -17


@dataclass(frozen=True)
class _Solved:
    """One boundary-value problem, solved by dsolve in each of the three cases."""

    ode: sp.Eq  # the backward equation (general case)
    boundary: tuple[sp.Eq, sp.Eq]
    general: dict  # case -> dsolve's general solution
    constants: dict  # case -> {C1: ..., C2: ...}
    result: dict  # case -> solution in y, L
    display: dict  # case -> an equivalent, shorter form (checked equal in _derive)


def _solve_bvp(f: sp.Function, rhs: sp.Expr, f0: sp.Expr, fL: sp.Expr, display: dict) -> _Solved:
    """Solve ``(sigma^2/2) f'' + mu f' - kappa f = rhs`` on (0, L), ``f(0)=f0``, ``f(L)=fL``."""
    lhs = sigma**2 / 2 * f(y).diff(y, 2) + mu * f(y).diff(y) - kappa * f(y)
    ode = sp.Eq(lhs, rhs)
    boundary = (sp.Eq(f(0), f0), sp.Eq(f(L), fL))
    general, constants, result = {}, {}, {}
    for case in CASES:
        eq = ode.subs(_CASE_SUBS[case])
        sol = sp.dsolve(eq, f(y)).rhs
        consts = sorted(sol.free_symbols - {y, L, mu, sigma, kappa}, key=str)
        (c,) = sp.solve([sol.subs(y, 0) - f0, sol.subs(y, L) - fL], consts, dict=True)
        general[case] = sol
        constants[case] = c
        result[case] = sol.subs(c)
        # the shorter display form must be the same function (uniqueness of the BVP
        # solution is not relied on: the difference is simplified to zero here)
        diff = (display[case] - result[case]).subs(gamma, GAMMA.subs(_CASE_SUBS[case]))
        diff = sp.simplify(sp.expand(diff.rewrite(sp.exp)))
        if diff != 0:  # pragma: no cover - a sympy regression
            raise AssertionError(f"display form of {f} ({case}) differs: {diff}")
    return _Solved(ode, boundary, general, constants, result, display)


@dataclass(frozen=True)
class _Derived:
    escape: _Solved
    lower: _Solved  # P(hit lo first): not a quantity, used for the total-probability check
    detection: _Solved
    mean_time: _Solved
    characteristic: sp.Expr
    roots: list


@disk_cache
def _derive() -> _Derived:
    """Derive every formula (a few seconds, done once)."""
    u, w, v, T = (sp.Function(c) for c in ("u", "w", "v", "T"))
    s2 = sigma**2
    sh = functools.partial(sp.sinh, evaluate=False)
    esc_g = sp.exp(mu * (L - y) / s2) * sh(gamma * y / s2) / sh(gamma * L / s2)
    low_g = sp.exp(-mu * y / s2) * sh(gamma * (L - y) / s2) / sh(gamma * L / s2)
    esc_1 = (1 - sp.exp(-2 * mu * y / s2)) / (1 - sp.exp(-2 * mu * L / s2))
    low_1 = 1 - esc_1
    escape = _solve_bvp(
        u,
        sp.Integer(0),
        sp.Integer(0),
        sp.Integer(1),
        {"general": esc_g, "no_killing": esc_1, "no_killing_no_drift": y / L},
    )
    lower = _solve_bvp(
        w,
        sp.Integer(0),
        sp.Integer(1),
        sp.Integer(0),
        {"general": low_g, "no_killing": low_1, "no_killing_no_drift": 1 - y / L},
    )
    detection = _solve_bvp(
        v,
        -kappa,
        sp.Integer(0),
        sp.Integer(0),
        {
            "general": 1 - esc_g - low_g,
            "no_killing": sp.Integer(0),
            "no_killing_no_drift": sp.Integer(0),
        },
    )
    mean_time = _solve_bvp(
        T,
        sp.Integer(-1),
        sp.Integer(0),
        sp.Integer(0),
        {
            "general": (1 - esc_g - low_g) / kappa,
            "no_killing": (L * esc_1 - y) / mu,
            "no_killing_no_drift": y * (L - y) / s2,
        },
    )
    lam = sp.Symbol(r"\lambda")
    characteristic = s2 / 2 * lam**2 + mu * lam - kappa
    roots = sp.solve(characteristic, lam)
    return _Derived(escape, lower, detection, mean_time, characteristic, roots)


_SOLVED = {
    "escape_probability": "escape",
    "detection_probability": "detection",
    "mean_time": "mean_time",
    "lower_exit_probability": "lower",
}


def _solved(name: str) -> _Solved:
    return getattr(_derive(), _SOLVED[name])


def _in_model_symbols(expr: sp.Expr) -> sp.Expr:
    return expr.subs({L: hi - lo}).subs({y: x0 - lo})


def _case(kappa_value: float, mu_value: float) -> str:
    if kappa_value > 0:
        return "general"
    return "no_killing" if mu_value != 0 else "no_killing_no_drift"


@functools.cache
def _mp_function(name: str, case: str):
    """mpmath evaluator of the derived (dsolve) solution, arguments (mu, sigma, kappa, L, y)."""
    expr = _solved(name).result[case]
    return sp.lambdify((mu, sigma, kappa, L, y), expr, modules="mpmath")


#: the quantities evaluated by :func:`_mp_stable` (others: the derived expressions)
_STABLE = ("escape_probability", "detection_probability", "mean_time")


def _mp_stable(name: str, mu_v, sigma_v, kappa_v, L_v, y_v):
    r"""The solutions rewritten with every exponent :math:`\le 0` (mpmath, current precision).

    With the roots :math:`\lambda_+ \ge 0 > \lambda_-` of
    :math:`\tfrac{\sigma^2}{2}\lambda^2 + \mu\lambda - \kappa = 0` (each taken in the
    form without cancellation) and :math:`w = \lambda_+ - \lambda_- = 2\gamma/\sigma^2`:

    .. math:: P_{\mathrm{esc}} = e^{\lambda_+(y - L)}\frac{1 - e^{-wy}}{1 - e^{-wL}},\quad
              P_{\mathrm{lo}} = e^{\lambda_- y}\frac{1 - e^{-w(L - y)}}{1 - e^{-wL}},\quad
              P_{\mathrm{det}} = 1 - P_{\mathrm{esc}} - P_{\mathrm{lo}},\quad
              E[\tau] = P_{\mathrm{det}}/\kappa

    (the same functions as the derived ones: multiply numerator and denominator by
    :math:`e^{-\lambda_+ L}`); with :math:`\kappa = 0`,
    :math:`E[\tau] = (L P_{\mathrm{esc}} - y)/\mu`.
    The derived form multiplies exponentials of size :math:`e^{\pm\gamma L/\sigma^2}`, which
    for tiny :math:`\sigma` no working precision resolves; here only the subtraction
    :math:`1 - P_{\mathrm{esc}} - P_{\mathrm{lo}}` cancels, by as many digits as
    :math:`P_{\mathrm{det}}` is small.
    """
    m, sg, k = mpmath.mpf(mu_v), mpmath.mpf(sigma_v), mpmath.mpf(kappa_v)
    Lm, ym = mpmath.mpf(L_v), mpmath.mpf(y_v)
    s2 = sg * sg
    g = mpmath.sqrt(m * m + 2 * k * s2)
    if m >= 0:
        lp, lm = 2 * k / (g + m), -(g + m) / s2
    else:
        lp, lm = (g - m) / s2, -2 * k / (g - m)
    w = lp - lm
    den = -mpmath.expm1(-w * Lm)
    esc = mpmath.exp(lp * (ym - Lm)) * -mpmath.expm1(-w * ym) / den
    if name == "escape_probability":
        return esc
    if k == 0:
        return mpmath.mpf(0) if name == "detection_probability" else (Lm * esc - ym) / m
    ruin = mpmath.exp(lm * ym) * -mpmath.expm1(-w * (Lm - ym)) / den
    det = 1 - esc - ruin
    return det if name == "detection_probability" else det / k


def evaluate(name: str, mu_v: float, sigma_v: float, kappa_v: float, L_v: float, y_v: float):
    """Value of a derived solution as an ``mpmath.mpf``, to about 17 significant digits.

    The precision starts at 30 digits and doubles until two successive
    evaluations are nonzero and agree to 1e-17 relative (every solution is
    positive inside the interval unless it is identically zero).
    """
    case = _case(kappa_v, mu_v)
    if _solved(name).result[case] == 0:  # detection without a monitor
        return mpmath.mpf(0)
    args = (mu_v, sigma_v, kappa_v, L_v, y_v)
    if case == "no_killing_no_drift" or name not in _STABLE:
        f = _mp_function(name, case)
    else:  # the stable rewriting (exponents <= 0), also for tiny sigma

        def f(*mp_args):
            return _mp_stable(name, *mp_args)

    # the precision needed is ~ 17 digits plus those that 1 - P_esc - P_lo (or L P - y)
    # cancels; beyond the double range both values round to the same 0: accepted
    dps, prev = _DPS, None
    while dps <= _MAX_DPS:
        with mpmath.workdps(dps):
            try:
                cur = f(*(mpmath.mpf(a) for a in args))
            except ZeroDivisionError:  # complete cancellation at this precision
                cur = None
            # an exact 0 from a nonzero solution is total cancellation: go on
            if cur and prev and abs(cur - prev) <= _AGREE * abs(cur):
                return +cur
            # two nonzero values below the double range (an exact 0 is total cancellation)
            if cur and prev and float(cur) == float(prev) == 0.0:
                return mpmath.mpf(0)
        prev = cur
        dps *= 2
    raise ArithmeticError(  # pragma: no cover - needs absurd parameters
        f"{name}: no convergence at {_MAX_DPS} digits for {args}"
    )


def _real(low: float = -math.inf, low_open: bool = True) -> dict:
    """Keyword arguments of a real parameter bounded below by ``low`` (never infinite)."""
    return {"low": low, "high": math.inf, "low_open": low_open, "high_open": True}


@register
class MonitoredDiffusion(Model):
    r"""Brownian motion with drift in ``(lo, hi)``, caught by a monitor at rate ``kappa``.

    :math:`dX = \mu\,dt + \sigma\,dW`, :math:`X_0 = x_0`; an independent
    exponential clock of rate :math:`\kappa` catches it. With
    :math:`y = x_0 - lo`, :math:`L = hi - lo`, :math:`\gamma = \sqrt{\mu^2 +
    2\kappa\sigma^2}`:

    .. math:: P_{\mathrm{esc}} = e^{\mu (L - y)/\sigma^2}
              \frac{\sinh(\gamma y/\sigma^2)}{\sinh(\gamma L/\sigma^2)},\qquad
              P_{\mathrm{det}} = \kappa\,E[\tau],

    with :math:`P_{\mathrm{det}} = 1 - P_{\mathrm{esc}} - P_{\mathrm{lo}}`.
    ``dt`` is the time step of the simulation only.

    Sources: Karlin & Taylor (1981), ch. 15; Borodin & Salminen (2002).

    Examples
    --------
    >>> from driftkit.theory.monitored_diffusion import MonitoredDiffusion
    >>> m = MonitoredDiffusion(kappa=0.0, mu=0.0, hi=4.0, x0=1.0)
    >>> m.value("escape_probability"), m.value("mean_time")   # y/L and y(L-y)/sigma^2
    (0.25, 3.0)
    """

    name = "monitored-diffusion"
    title = "Monitored diffusion (monitoring as killing)"
    summary = (
        "Brownian motion with drift mu in (lo, hi), caught by a monitor at rate kappa; "
        "escape at hi."
    )
    curve_parameter = "x0"
    plot_quantities = ("escape_probability", "detection_probability", "mean_time")
    parameters = (
        Parameter("mu", 0.1, "drift towards hi (escape)", **_real(), latex=r"\mu"),
        Parameter("sigma", 1.0, "diffusion coefficient, > 0", **_real(0.0), latex=r"\sigma"),
        Parameter(
            "kappa",
            0.05,
            "rate at which the monitor catches the system, >= 0",
            **_real(0.0, low_open=False),
            latex=r"\kappa",
        ),
        Parameter("lo", 0.0, "lower absorbing barrier", **_real(), latex=r"\mathrm{lo}"),
        Parameter("hi", 3.0, "upper absorbing barrier (escape)", **_real(), latex=r"\mathrm{hi}"),
        Parameter("x0", 1.0, "starting point, lo < x0 < hi", **_real(), latex="x_0"),
        time_step_parameter(),
    )
    quantities = (
        Quantity(
            "escape_probability",
            "P(reach hi before being caught and before reaching lo) from x0",
            r"P_{\mathrm{esc}}",
        ),
        Quantity(
            "detection_probability",
            "P(caught by the monitor before reaching lo or hi) from x0",
            r"P_{\mathrm{det}}",
        ),
        Quantity(
            "mean_time",
            "expected time until the first of: reach lo, reach hi, caught",
            r"E[\tau]",
        ),
    )
    references = (
        Reference(
            "karlin1981",
            "S. Karlin and H. M. Taylor, A Second Course in Stochastic Processes, "
            "Academic Press (1981), ch. 15 (diffusion processes; killing, functionals).",
            "@book{karlin1981,\n  author = {Karlin, Samuel and Taylor, Howard M.},\n"
            "  title = {A Second Course in Stochastic Processes},\n"
            "  publisher = {Academic Press}, year = {1981},\n"
            "  note = {Chapter 15: Diffusion processes}\n}",
        ),
        Reference(
            "borodin2002",
            "A. N. Borodin and P. Salminen, Handbook of Brownian Motion - Facts and "
            "Formulae, 2nd ed., Birkhauser (2002), part II, ch. 2 (Brownian motion with drift).",
            "@book{borodin2002,\n  author = {Borodin, Andrei N. and Salminen, Paavo},\n"
            "  title = {Handbook of {B}rownian Motion -- Facts and Formulae},\n"
            '  edition = {2nd}, publisher = {Birkh{\\"a}user}, year = {2002}\n}',
        ),
    )

    def _check(self, params: dict[str, Any]) -> None:
        if params["hi"] <= params["lo"]:
            raise ParameterError(
                "hi", f"parameter 'hi' must be a number > lo = {params['lo']}, got {params['hi']}"
            )
        if not params["lo"] < params["x0"] < params["hi"]:
            raise ParameterError(
                "x0",
                f"parameter 'x0' must be a number in ({params['lo']}, {params['hi']}) "
                f"(strictly between lo and hi), got {params['x0']}",
            )

    def _case(self) -> str:
        return _case(self["kappa"], self["mu"])

    # -- formulas ---------------------------------------------------------
    def _expression(self, name: str, case: bool) -> sp.Expr:
        solved = _solved(name)
        if case:
            return _in_model_symbols(solved.result[self._case()])
        r = {c: _in_model_symbols(solved.result[c]) for c in CASES}
        return sp.Piecewise(
            (r["no_killing_no_drift"], sp.Eq(kappa, 0) & sp.Eq(mu, 0)),
            (r["no_killing"], sp.Eq(kappa, 0)),
            (r["general"], True),
        )

    def latex(self, name: str) -> str:
        """LaTeX of the formula for this model's case, in ``y``, ``L`` and ``gamma``."""
        symbol = self.quantity(name).symbol
        case = self._case()
        where = _WHERE if case == "general" else _WHERE0
        return f"{symbol} = {sp.latex(_solved(name).display[case])}{where}"

    def _value(self, name: str) -> float:
        m, s, k, a, b, x = (self[n] for n in ("mu", "sigma", "kappa", "lo", "hi", "x0"))
        with mpmath.workdps(40):
            L_v, y_v = mpmath.mpf(b) - mpmath.mpf(a), mpmath.mpf(x) - mpmath.mpf(a)
        return float(evaluate(name, m, s, k, L_v, y_v))

    # -- derivation -------------------------------------------------------
    def derivation(self) -> str:
        d = _derive()
        X = sp.latex
        names = {
            "general": r"**Case $\kappa > 0$** (distinct roots $\lambda_\pm$)",
            "no_killing": r"**Case $\kappa = 0$, $\mu \neq 0$** (no monitor)",
            "no_killing_no_drift": r"**Case $\kappa = \mu = 0$** (double root $0$)",
        }

        def bvp(title: str, solved: _Solved, what: str) -> list[str]:
            b0, bL = solved.boundary
            lhs = X(b0.lhs.func(y))
            out = [
                f"### {title}",
                "",
                f"Let {what}. It solves the backward (Feynman-Kac) equation",
                "",
                f"$$ {X(solved.ode)}, \\qquad {X(b0)}, \\quad {X(bL)}. $$",
                "",
            ]
            for case in CASES:
                consts = ", ".join(f"${X(c)} = {X(v)}$" for c, v in solved.constants[case].items())
                out += [
                    f"{names[case]}. `sympy.dsolve` gives ${X(solved.general[case])}$; "
                    f"the boundary conditions give {consts}; equivalently",
                    "",
                    f"$$ {lhs} = {X(solved.display[case])}. $$",
                    "",
                ]
            return out

        roots = ", ".join(f"\\lambda = {X(r)}" for r in d.roots)
        lines = [
            f"## {self.title}: derivation",
            "",
            "**Model.** $dX_t = \\mu\\,dt + \\sigma\\,dW_t$, $X_0 = x_0 \\in "
            "(\\mathrm{lo}, \\mathrm{hi})$, $\\sigma > 0$. A monitor catches the system at "
            "the first event of an independent Poisson clock of rate $\\kappa \\ge 0$ (catch "
            "time $C \\sim \\mathrm{Exp}(\\kappa)$). The path stops at "
            "$\\tau = \\min(T_{\\mathrm{hi}}, T_{\\mathrm{lo}}, C)$. Write "
            "$y = x - \\mathrm{lo}$, $L = \\mathrm{hi} - \\mathrm{lo}$ (the problem is "
            "translation invariant) and $\\gamma = \\sqrt{\\mu^2 + 2\\kappa\\sigma^2}$.",
            "",
            "**Assumptions.** $W$ and $C$ independent; barriers absorbing. The simulation "
            "time step $\\Delta t$ is not part of the model: nothing below depends on it.",
            "",
            "**Method.** Killing at rate $\\kappa$ adds $-\\kappa f$ to the generator "
            "(Feynman-Kac): for $f(x) = E_x[g(X_\\tau)\\mathbf{1}\\{\\tau < C\\}]$ and "
            "similar functionals, $\\tfrac{\\sigma^2}{2} f'' + \\mu f' - \\kappa f = "
            "-(\\text{running reward})$ with the barrier values as boundary conditions. "
            f"The characteristic polynomial ${X(d.characteristic)}$ has roots ${roots}$; "
            "they coincide only when $\\kappa = \\mu = 0$, and one of them is $0$ when "
            "$\\kappa = 0$, so each problem is solved in three cases.",
            "",
            *bvp(
                "Escape probability",
                d.escape,
                "$u(y) = P_x(T_{\\mathrm{hi}} < \\min(T_{\\mathrm{lo}}, C))$",
            ),
            *bvp(
                "Lower-exit probability (for the check)",
                d.lower,
                "$w(y) = P_x(T_{\\mathrm{lo}} < \\min(T_{\\mathrm{hi}}, C))$",
            ),
            *bvp(
                "Detection probability",
                d.detection,
                "$v(y) = P_x(C < \\min(T_{\\mathrm{lo}}, T_{\\mathrm{hi}}))$ (running reward "
                "$\\kappa$: the catch rate)",
            ),
            "The three outcomes are exhaustive: $u + w + v = 1$.",
            "",
            *bvp(
                "Mean time",
                d.mean_time,
                "$T(y) = E_x[\\tau]$ (running reward $1$)",
            ),
            "Since $v$ and $\\kappa T$ solve the same problem, "
            "$P_{\\mathrm{det}} = \\kappa\\,E[\\tau]$: the monitor's catch probability is its "
            "rate times the expected exposure.",
            "",
            "### Evaluation",
            "",
            "The dsolve solutions are evaluated in mpmath (unbounded exponent range: "
            "$e^{\\lambda_\\pm L}$ never overflows) at 30 digits, doubled until two "
            "successive values agree to $10^{-17}$ relative; this absorbs the cancellation "
            "of the $\\kappa > 0$ form near $\\kappa \\to 0$ and $\\gamma L/\\sigma^2 \\to 0$.",
            "",
            "**Sources.** S. Karlin and H. M. Taylor, *A Second Course in Stochastic "
            "Processes* (1981), ch. 15; A. N. Borodin and P. Salminen, *Handbook of Brownian "
            "Motion - Facts and Formulae*, 2nd ed. (2002).",
            "",
        ]
        return "\n".join(lines)
