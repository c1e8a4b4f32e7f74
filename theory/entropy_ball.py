r"""Entropy ball: Brownian motion in :math:`\mathbb{R}^d` between an aligned ball and a far sphere.

"Misalignment is like entropy": the state :math:`X_t \in \mathbb{R}^d` moves by
free diffusion :math:`dX = \sigma\,dW` (:math:`W` a standard :math:`d`-dimensional
Brownian motion), with no force at all. The aligned region is the ball
:math:`|x| \le a` (``a = 0``: no aligned ball, only the origin), the misaligned
boundary is the sphere :math:`|x| = R`, and the start is at radius
:math:`r_0 \in (a, R)`.

By rotation invariance only the radius :math:`r = |X|` matters. Ito's formula on
:math:`|X|` (done in sympy) gives the Bessel process
:math:`dr = \tfrac{(d-1)\sigma^2}{2r}\,dt + \sigma\,dB`: an outward drift that
comes from volume alone (the entropic push). The backward operator is
:math:`\mathcal{L} = \tfrac{\sigma^2}{2}(\partial_r^2 + \tfrac{d-1}{r}\partial_r)`;
sympy's :func:`~sympy.solvers.ode.dsolve` solves :math:`\mathcal{L}u = 0`
(return probability) and :math:`\mathcal{L}T = -1` (mean exit time) in the three
cases :math:`d = 1`, :math:`d = 2` (logarithms) and :math:`d \ge 3`, and the
boundary conditions at :math:`a` and :math:`R` fix the constants. With
:math:`a = 0` the values are the limits :math:`a \to 0^+` (computed with
:func:`sympy.limit`): for :math:`d \ge 2` the origin is never hit (return
probability 0, mean exit time :math:`(R^2 - r_0^2)/(d\sigma^2)`); for
:math:`d = 1` the walk hits the origin (return probability :math:`(R - r_0)/R`).

Numerics: every formula is written in the bounded ratios
:math:`(a/r_0)^{d-2}`, :math:`(a/R)^{d-2}` (each in :math:`[0, 1]`) or in
logarithms, and evaluated with mpmath at 40 digits, so no power overflows for
any :math:`d`.

Sources: R. Durrett, *Probability: Theory and Examples*, 5th ed. (2019), sec. 7.5
(exit probabilities and times of d-dimensional Brownian motion from annuli);
I. Karatzas and S. E. Shreve, *Brownian Motion and Stochastic Calculus*, 2nd ed.
(1991), sec. 3.3.C (Bessel processes); M. E. Muller, "Some continuous Monte Carlo
methods for the Dirichlet problem", Ann. Math. Statist. 27 (1956) (walk on spheres).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Any

import mpmath
import sympy as sp
from driftkit.theory._base import Model, Parameter, ParameterError, Quantity, Reference
from driftkit.theory._cache import disk_cache
from driftkit.theory._registry import register

__all__ = ["EntropyBall"]

# Model symbols.
d = sp.Symbol("d", positive=True, integer=True)
sigma = sp.Symbol(r"\sigma", positive=True)
a = sp.Symbol("a", positive=True)
R = sp.Symbol("R", positive=True)
r0 = sp.Symbol("r_0", positive=True)
r = sp.Symbol("r", positive=True)
#: d >= 3 written as d = 3 + k with k >= 0 (so that limits a -> 0 know d > 2)
_k = sp.Symbol("k", nonnegative=True, integer=True)

CASES = ("d1", "d2", "d3")  # d = 1, d = 2, d >= 3
_DSUB = {"d1": 1, "d2": 2, "d3": d}
_CASE_TEXT = {"d1": "$d = 1$", "d2": "$d = 2$ (logarithms)", "d3": "$d \\ge 3$"}
_DPS = 40


def _case(d_value: int) -> str:
    return "d1" if d_value == 1 else ("d2" if d_value == 2 else "d3")


@dataclass(frozen=True)
class _Solved:
    """One radial boundary-value problem, solved by dsolve in each case."""

    ode: sp.Eq  # general d
    boundary: tuple[sp.Eq, sp.Eq]
    general: dict  # case -> dsolve's general solution
    constants: dict  # case -> {C1: ..., C2: ...}
    result: dict  # case -> solution in r (a > 0)
    display: dict  # case -> overflow-safe equivalent form (checked equal)
    origin: dict  # case -> the limit a -> 0+ (the a = 0 model)


@dataclass(frozen=True)
class _Derived:
    ito_drift: sp.Expr  # drift of d|X| (in r)
    ito_volatility_sq: sp.Expr  # d<|X|>/dt
    hessian_trace: sp.Expr
    ret: _Solved
    time: _Solved


def _limit_a0(expr: sp.Expr, case: str) -> sp.Expr:
    """``lim_{a -> 0+}`` of a solution (for d >= 3 with d = 3 + k, k >= 0)."""
    if case == "d3":
        expr = expr.subs(d, 3 + _k)
    out = sp.limit(expr, a, 0, "+")
    out = sp.simplify(out)
    return out.subs(_k, d - 3) if case == "d3" else out


def _solve(f: sp.Function, rhs: sp.Expr, fa: sp.Expr, fR: sp.Expr, display: dict) -> _Solved:
    lhs = sigma**2 / 2 * (f(r).diff(r, 2) + (d - 1) / r * f(r).diff(r))
    ode = sp.Eq(lhs, rhs)
    boundary = (sp.Eq(f(a), fa), sp.Eq(f(R), fR))
    general, constants, result, origin = {}, {}, {}, {}
    for case in CASES:
        eq = ode.subs(d, _DSUB[case])
        sol = sp.dsolve(eq, f(r)).rhs
        consts = sorted(sol.free_symbols - {r, d, sigma, a, R}, key=str)
        (c,) = sp.solve([sol.subs(r, a) - fa, sol.subs(r, R) - fR], consts, dict=True)
        general[case] = sol
        constants[case] = c
        result[case] = sp.simplify(sol.subs(c))
        diff = sp.simplify(display[case] - result[case])
        if diff != 0:  # pragma: no cover - a sympy regression
            raise AssertionError(f"display form of {f} ({case}) differs: {diff}")
        origin[case] = _limit_a0(display[case], case)  # the ratio form has a clean limit
    return _Solved(ode, boundary, general, constants, result, display, origin)


@disk_cache
def _derive() -> _Derived:
    """Derive every formula (a few seconds, done once)."""
    # Ito's formula on |X|: write |X| = sqrt(x^2 + s) in one coordinate x, with s the
    # sum of the other squares. d(|X|) = grad . dX + (sigma^2/2) trace(Hessian) dt.
    x, s = sp.symbols("x s", positive=True)
    norm = sp.sqrt(x**2 + s)
    dii = sp.diff(norm, x, 2).subs(s, r**2 - x**2)  # (r^2 - x_i^2)/r^3: linear in x_i^2
    gi2 = (sp.diff(norm, x) ** 2).subs(s, r**2 - x**2)  # x_i^2/r^2: linear in x_i^2
    # a function linear in x_i^2 summed over i = d times its value at x_i^2 = r^2/d
    xi2 = sp.Symbol("q", positive=True)
    trace = sp.simplify(d * dii.subs(x, sp.sqrt(xi2)).subs(xi2, r**2 / d))
    grad_sq = sp.simplify(d * gi2.subs(x, sp.sqrt(xi2)).subs(xi2, r**2 / d))
    drift = sp.simplify(sigma**2 / 2 * trace)
    vol_sq = sp.simplify(sigma**2 * grad_sq)

    u, T = sp.Function("u"), sp.Function("T")
    ratio = {
        "d1": (R - r) / (R - a),
        "d2": sp.log(R / r) / sp.log(R / a),
        "d3": ((a / r) ** (d - 2) - (a / R) ** (d - 2)) / (1 - (a / R) ** (d - 2)),
    }
    ret = _solve(u, sp.Integer(0), sp.Integer(1), sp.Integer(0), ratio)
    time_display = {
        c: ((R**2 - r**2) - (R**2 - a**2) * ratio[c]) / (_DSUB[c] * sigma**2) for c in CASES
    }
    time = _solve(T, sp.Integer(-1), sp.Integer(0), sp.Integer(0), time_display)
    return _Derived(drift, vol_sq, trace, ret, time)


def _in_model_symbols(expr: sp.Expr) -> sp.Expr:
    return expr.subs(r, r0)


@functools.cache
def _mp_function(name: str, case: str, origin: bool):
    der = _derive()
    solved = der.ret if name == "return_probability" else der.time
    expr = solved.origin[case] if origin else solved.display[case]
    return sp.lambdify((d, sigma, a, R, r), expr, modules="mpmath")


def evaluate(name: str, d_v: int, sigma_v: float, a_v: float, R_v: float, r_v: float):
    """Value of a derived quantity as an ``mpmath.mpf`` (40 digits; no overflow for any d)."""
    with mpmath.workdps(_DPS):
        s, aa, RR, rr = (mpmath.mpf(v) for v in (sigma_v, a_v, R_v, r_v))
        if name == "radial_drift_rate":
            f = sp.lambdify((d, sigma, r), _derive().ito_drift, modules="mpmath")
            return +f(mpmath.mpf(d_v), s, rr)
        f = _mp_function(name, _case(d_v), a_v == 0)
        return +f(mpmath.mpf(d_v), s, aa, RR, rr)


def _real(low: float = 0.0, low_open: bool = True) -> dict:
    return {"low": low, "high": math.inf, "low_open": low_open, "high_open": True}


@register
class EntropyBall(Model):
    r"""Free Brownian motion in :math:`\mathbb{R}^d` between the aligned ball
    :math:`|x| \le a` and the misaligned sphere :math:`|x| = R`, started at radius ``r0``.

    .. math:: \frac{d\,E[r]}{dt}\Big|_{r_0} = \frac{(d-1)\sigma^2}{2 r_0},\qquad
              P_{\mathrm{ret}} = \frac{(a/r_0)^{d-2} - (a/R)^{d-2}}{1 - (a/R)^{d-2}}
              \ (d \ge 3),\qquad
              E[\tau] = \frac{R^2 - r_0^2 - (R^2 - a^2) P_{\mathrm{ret}}}{d\sigma^2}.

    Sources: Durrett (2019) sec. 7.5; Karatzas & Shreve (1991) sec. 3.3.C.

    Examples
    --------
    >>> from driftkit.theory.entropy_ball import EntropyBall
    >>> EntropyBall(a=0.0).value("mean_exit_time")   # (R^2 - r0^2)/(d sigma^2) = 8/10
    0.8
    """

    name = "entropy-ball"
    title = "Entropy ball (misalignment is like entropy)"
    summary = (
        "Free Brownian motion in d dimensions between an aligned ball of radius a and a "
        "misaligned sphere of radius R; volume alone pushes it outward."
    )
    curve_parameter = "r0"
    plot_quantities = ("return_probability", "mean_exit_time")
    parameters = (
        Parameter(
            "d", 10, "dimension, an integer >= 1", low=1, high=math.inf, integer=True, latex="d"
        ),
        Parameter("sigma", 1.0, "diffusion coefficient, > 0", **_real(), latex=r"\sigma"),
        Parameter(
            "a",
            0.5,
            "radius of the aligned ball, >= 0 (0: no aligned ball, only the origin)",
            **_real(low_open=False),
            latex="a",
        ),
        Parameter("R", 3.0, "radius of the misaligned boundary, > a", **_real(), latex="R"),
        Parameter("r0", 1.0, "starting radius, a < r0 < R", **_real(), latex="r_0"),
    )
    quantities = (
        Quantity(
            "radial_drift_rate",
            "drift of the radius |X| at r0 (Bessel process; Ito's formula), no force in the model",
            r"\mu_r(r_0)",
        ),
        Quantity(
            "return_probability",
            "P(reach the aligned ball |x| = a before the sphere |x| = R) from radius r0",
            r"P_{\mathrm{ret}}",
        ),
        Quantity(
            "mean_exit_time",
            "expected time to reach |x| = a or |x| = R from radius r0",
            r"E[\tau]",
        ),
    )
    references = (
        Reference(
            "durrett2019",
            "R. Durrett, Probability: Theory and Examples, 5th ed., Cambridge University "
            "Press (2019), sec. 7.5 (exit distributions and times of Brownian motion).",
            "@book{durrett2019,\n  author = {Durrett, Rick},\n"
            "  title = {Probability: Theory and Examples},\n  edition = {5th},\n"
            "  publisher = {Cambridge University Press}, year = {2019}\n}",
        ),
        Reference(
            "karatzas1991",
            "I. Karatzas and S. E. Shreve, Brownian Motion and Stochastic Calculus, 2nd ed., "
            "Springer (1991), sec. 3.3.C (Bessel processes).",
            "@book{karatzas1991,\n  author = {Karatzas, Ioannis and Shreve, Steven E.},\n"
            "  title = {Brownian Motion and Stochastic Calculus},\n  edition = {2nd},\n"
            "  publisher = {Springer}, year = {1991}\n}",
        ),
        Reference(
            "muller1956",
            "M. E. Muller, Some continuous Monte Carlo methods for the Dirichlet problem, "
            "Ann. Math. Statist. 27 (1956) 569-589 (walk on spheres).",
            "@article{muller1956,\n  author = {Muller, Mervin E.},\n"
            "  title = {Some Continuous {M}onte {C}arlo Methods for the {D}irichlet Problem},\n"
            "  journal = {Ann. Math. Statist.}, volume = {27}, number = {3},\n"
            "  pages = {569--589}, year = {1956}\n}",
        ),
    )

    def _check(self, params: dict[str, Any]) -> None:
        if params["R"] <= params["a"]:
            raise ParameterError(
                "R", f"parameter 'R' must be a number > a = {params['a']}, got {params['R']}"
            )
        if not params["a"] < params["r0"] < params["R"]:
            raise ParameterError(
                "r0",
                f"parameter 'r0' must be a number in ({params['a']}, {params['R']}) "
                f"(strictly between a and R), got {params['r0']}",
            )

    def curve_range(self, param: str) -> tuple[float, float]:
        """``r0`` is swept over ``(a, R)``."""
        if param == "r0":
            return self["a"], self["R"]
        return super().curve_range(param)

    def _case(self) -> str:
        return _case(self["d"])

    # -- formulas ---------------------------------------------------------
    def _solved(self, name: str) -> _Solved:
        der = _derive()
        return der.ret if name == "return_probability" else der.time

    def _expression(self, name: str, case: bool) -> sp.Expr:
        if name == "radial_drift_rate":
            return _derive().ito_drift.subs(r, r0)
        solved = self._solved(name)
        if case:
            table = solved.origin if self["a"] == 0 else solved.display
            return _in_model_symbols(table[self._case()])
        pieces = []
        for c, cond in (("d1", sp.Eq(d, 1)), ("d2", sp.Eq(d, 2)), ("d3", True)):
            pieces.append((_in_model_symbols(solved.display[c]), cond))
        return sp.Piecewise(*pieces)

    def _value(self, name: str) -> float:
        return float(evaluate(name, self["d"], self["sigma"], self["a"], self["R"], self["r0"]))

    # -- derivation -------------------------------------------------------
    def derivation(self) -> str:
        der = _derive()
        X = sp.latex

        def bvp(title: str, solved: _Solved, what: str) -> list[str]:
            ba, bR = solved.boundary
            lhs = X(ba.lhs.func(r))
            out = [
                f"### {title}",
                "",
                f"Let {what}. It solves",
                "",
                f"$$ {X(solved.ode)}, \\qquad {X(ba)}, \\quad {X(bR)}. $$",
                "",
            ]
            for c in CASES:
                consts = ", ".join(f"${X(k)} = {X(v)}$" for k, v in solved.constants[c].items())
                out += [
                    f"**Case {_CASE_TEXT[c]}.** `sympy.dsolve` gives "
                    f"${X(solved.general[c])}$; the boundary conditions give {consts}; "
                    "equivalently (overflow-safe form)",
                    "",
                    f"$$ {lhs} = {X(solved.display[c])}. $$",
                    "",
                    f"Limit $a \\to 0^+$ (the model with $a = 0$): "
                    f"${lhs} = {X(solved.origin[c])}$.",
                    "",
                ]
            return out

        lines = [
            f"## {self.title}: derivation",
            "",
            "**Model.** $dX_t = \\sigma\\,dW_t$ in $\\mathbb{R}^d$ ($W$ a standard "
            "$d$-dimensional Brownian motion, $\\sigma > 0$), $|X_0| = r_0$, "
            "$a < r_0 < R$. The path stops at $\\tau$, the first time $|X_t| \\in \\{a, R\\}$: "
            "$|X| = a$ is the return to the aligned ball, $|X| = R$ the escape. "
            "With $a = 0$ there is no aligned ball, only the origin.",
            "",
            "**Radial drift (Ito).** Write $|x| = \\sqrt{x_i^2 + s}$ with $s$ the sum of the "
            "other squares. Then $\\partial_{ii}|x| = "
            f"{X(sp.Symbol('r') ** -3 * (r**2 - sp.Symbol('x_i') ** 2))}$ and "
            "$(\\partial_i |x|)^2 = x_i^2/r^2$; summing over $i$ (both are linear in "
            f"$x_i^2$, $\\sum_i x_i^2 = r^2$) gives $\\Delta |x| = {X(der.hessian_trace)}$ and "
            f"$|\\nabla |x||^2 = 1$. Ito's formula: $d|X| = {X(der.ito_drift)}\\,dt + "
            "\\sigma\\,dB_t$ with $B$ a one-dimensional Brownian motion (quadratic variation "
            f"${X(der.ito_volatility_sq)}\\,dt$): a Bessel process. Its drift at $r_0$, "
            f"$\\mu_r(r_0) = {X(der.ito_drift.subs(r, r0))}$, is the entropic push outward: "
            "there is no force in the model, only more volume at larger radius.",
            "",
            "**Method.** The radius is a diffusion with generator "
            "$\\tfrac{\\sigma^2}{2}(\\partial_r^2 + \\tfrac{d-1}{r}\\partial_r)$; "
            "hitting probabilities and mean exit times solve the backward equations with "
            "the barrier values as boundary conditions. The general solution of the "
            "homogeneous equation is $C_1 + C_2 r^{2-d}$, degenerate at $d = 2$ "
            "($C_1 + C_2 \\log r$), so each problem is solved in three cases.",
            "",
            *bvp(
                "Return probability",
                der.ret,
                "$u(r) = P(\\text{reach } |X| = a \\text{ before } |X| = R \\mid |X_0| = r)$",
            ),
            "For $d \\ge 2$ the return probability tends to $0$ as $a \\to 0$ (points are "
            "polar); for $d = 1$ the origin is hit and $u = (R - r)/R$. For fixed $a/r_0 < 1$ "
            "it decays like $(a/r_0)^{d-2}$: returning to a small aligned region becomes "
            "hopeless as $d$ grows.",
            "",
            *bvp("Mean exit time", der.time, "$T(r) = E[\\tau \\mid |X_0| = r]$"),
            "In every case $T = ((R^2 - r^2) - (R^2 - a^2)\\,u)/(d\\sigma^2)$, and with "
            "$a = 0$, $d \\ge 2$ it is the exit time of the ball, $(R^2 - r_0^2)/(d\\sigma^2)$.",
            "",
            "### Evaluation",
            "",
            "The forms above use only the ratios $(a/r)^{d-2}, (a/R)^{d-2} \\in [0, 1]$ or "
            "logarithms; they are evaluated in mpmath at 40 digits, so nothing overflows "
            "for any $d$.",
            "",
            "**Sources.** R. Durrett, *Probability: Theory and Examples*, 5th ed. (2019), "
            "sec. 7.5; I. Karatzas and S. E. Shreve, *Brownian Motion and Stochastic "
            "Calculus*, 2nd ed. (1991), sec. 3.3.C; M. E. Muller, Ann. Math. Statist. 27 (1956).",
            "",
        ]
        return "\n".join(lines)
