r"""Gambler's ruin with holding: a lattice walk between two absorbing barriers.

The walk :math:`X_{t+1} = X_t + \xi_t` on the integers steps :math:`+1` with
probability :math:`p`, :math:`-1` with probability :math:`q` and stays put with
probability :math:`1-p-q`; it is absorbed at ``lo`` and ``hi`` and starts at
``x0``. In the alignment-drift picture ``x0 - lo`` is the margin of safety left
before misalignment is caught (ruin, at ``lo``) and ``hi`` the point of no
return (escape); ``p - q`` is the net drift per modification.

Every formula here is *derived* by sympy: first-step analysis gives a
second-order linear recurrence, :func:`sympy.rsolve` solves it, and the two
boundary conditions fix the constants. Values are evaluated with mpmath at 50
significant digits, whose unbounded exponent range makes ``(q/p)**hi``
harmless for any ``hi`` (``10**6`` included).

Source: W. Feller, *An Introduction to Probability Theory and Its
Applications*, Vol. I, 3rd ed. (1968), ch. XIV, sections 2-3.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import mpmath
import sympy as sp
from sympy.stats import E, FiniteRV, variance

from theory._base import Model, Parameter, ParameterError, Quantity, Reference
from theory._registry import register

__all__ = ["GamblersRuin"]

# Model symbols (what the formulas are written in).
p, q = sp.symbols("p q", nonnegative=True)
lo, hi, x0 = sp.symbols(r"\mathrm{lo} \mathrm{hi} x_0", integer=True)
# Recurrence symbols: n = x - lo (distance from the lower barrier), N = hi - lo.
n, N = sp.symbols("n N", integer=True, nonnegative=True)
r = sp.Symbol("r", positive=True)  # q / p, for display
_WHERE = r"\qquad r = q/p,\ n = x_0 - \mathrm{lo},\ N = \mathrm{hi} - \mathrm{lo}"
_DPS = 50  # working precision of the mpmath evaluators (see _value)


@dataclass(frozen=True)
class _Solved:
    """One boundary-value problem for the recurrence, solved in both cases."""

    first_step: sp.Eq  # the first-step equation
    recurrence: sp.Expr  # = 0, shifted to n, n+1, n+2
    boundary: tuple[sp.Eq, sp.Eq]
    general: sp.Expr  # rsolve's general solution, p != q
    constants: dict  # constants fixed by the boundary conditions, p != q
    result: sp.Expr  # p != q, in n and N
    general_eq: sp.Expr  # p = q
    constants_eq: dict
    result_eq: sp.Expr


def _solve_bvp(f: sp.Function, inhomogeneous: sp.Expr, f0: sp.Expr, fN: sp.Expr) -> _Solved:
    r"""Solve ``f(n) = c + p f(n+1) + q f(n-1) + (1-p-q) f(n)``, ``f(0)=f0``, ``f(N)=fN``."""
    first_step = sp.Eq(f(n), inhomogeneous + p * f(n + 1) + q * f(n - 1) + (1 - p - q) * f(n))
    recurrence = sp.expand((first_step.rhs - first_step.lhs).subs(n, n + 1))
    boundary = (sp.Eq(f(0), f0), sp.Eq(f(N), fN))

    def solve(rec: sp.Expr) -> tuple[sp.Expr, dict, sp.Expr]:
        general = sp.rsolve(rec, f(n))
        consts = sorted(general.free_symbols - {n, p, q}, key=str)
        equations = [general.subs(n, 0) - f0, general.subs(n, N) - fN]
        (sol,) = sp.solve(equations, consts, dict=True)
        return general, sol, sp.simplify(sp.factor(general.subs(sol)))

    general, constants, result = solve(recurrence)
    general_eq, constants_eq, result_eq = solve(recurrence.subs(q, p))
    return _Solved(
        first_step,
        recurrence,
        boundary,
        general,
        constants,
        result,
        general_eq,
        constants_eq,
        result_eq,
    )


@dataclass(frozen=True)
class _Derived:
    step: Any  # the sympy.stats random variable of one step
    drift: sp.Expr
    variance: sp.Expr
    escape: _Solved
    ruin: _Solved
    exit_time: _Solved
    characteristic: sp.Expr
    roots: dict


@functools.cache
def _derive() -> _Derived:
    """Derive every formula of the model (about half a second, done once)."""
    step = FiniteRV("xi", {1: p, -1: q, 0: 1 - p - q})
    drift = sp.simplify(E(step))
    var = sp.factor(sp.simplify(variance(step)))
    w, v, D = sp.Function("w"), sp.Function("v"), sp.Function("D")
    escape = _solve_bvp(w, sp.Integer(0), sp.Integer(0), sp.Integer(1))
    ruin = _solve_bvp(v, sp.Integer(0), sp.Integer(1), sp.Integer(0))
    exit_time = _solve_bvp(D, sp.Integer(1), sp.Integer(0), sp.Integer(0))
    lam = sp.Symbol("lambda")
    characteristic = sp.expand(escape.recurrence.subs({w(n + 2): lam**2, w(n + 1): lam, w(n): 1}))
    roots = sp.roots(characteristic, lam)
    return _Derived(step, drift, var, escape, ruin, exit_time, characteristic, roots)


def _in_model_symbols(expr: sp.Expr) -> sp.Expr:
    return expr.subs({N: hi - lo}).subs({n: x0 - lo})


_SOLVED = {
    "escape_probability": "escape",
    "ruin_probability": "ruin",
    "mean_exit_time": "exit_time",
}


def _solved(name: str) -> _Solved:
    return getattr(_derive(), _SOLVED[name])


@functools.cache
def _in_ratio(name: str) -> sp.Expr:
    """The p != q result written with r = q/p (for display)."""
    in_r = sp.expand_power_base(_solved(name).result.subs(q, r * p), force=True)
    return sp.factor(sp.simplify(sp.powsimp(in_r, force=True)))


@functools.cache
def _mp_function(name: str):
    """mpmath evaluator of the p != q case, arguments (p, q, lo, hi, x0)."""
    expr = _in_model_symbols(_solved(name).result)
    return sp.lambdify((p, q, lo, hi, x0), expr, modules="mpmath")


@register
class GamblersRuin(Model):
    r"""Gambler's ruin with holding between absorbing barriers ``lo < x0 < hi``.

    Steps are i.i.d.: :math:`+1` w.p. :math:`p`, :math:`-1` w.p. :math:`q`,
    :math:`0` w.p. :math:`1-p-q` (requires :math:`p + q \in (0, 1]`). With
    :math:`r = q/p \ne 1`, :math:`n = x_0 - lo`, :math:`N = hi - lo`:

    .. math:: P(\text{hit hi first}) = \frac{1 - r^n}{1 - r^N}, \qquad
              E[T] = \frac{n - N\,P(\text{hit hi first})}{q - p};

    for :math:`p = q`: :math:`n/N` and :math:`n(N-n)/(2p)`. Holding stretches
    time by :math:`1/(p+q)` and leaves the probabilities unchanged.

    Source: Feller (1968), vol. I, ch. XIV.

    Examples
    --------
    >>> from theory import GamblersRuin
    >>> m = GamblersRuin(p=0.45, q=0.55, hi=100, x0=90)
    >>> round(m.value("ruin_probability"), 3)   # Feller's table XIV.3: 0.866
    0.866
    """

    name = "gamblers-ruin"
    title = "Gambler's ruin with holding"
    summary = "Lattice walk +1 w.p. p, -1 w.p. q, stay otherwise; absorbed at lo and hi."
    curve_parameter = "x0"
    plot_quantities = ("escape_probability", "mean_exit_time")
    parameters = (
        Parameter("p", 0.45, "probability of a +1 step", 0.0, 1.0, latex="p"),
        Parameter("q", 0.55, "probability of a -1 step", 0.0, 1.0, latex="q"),
        Parameter(
            "lo",
            0,
            "lower absorbing barrier (ruin)",
            -(10**9),
            10**9,
            integer=True,
            latex=r"\mathrm{lo}",
        ),
        Parameter(
            "hi",
            10,
            "upper absorbing barrier (escape)",
            -(10**9),
            10**9,
            integer=True,
            latex=r"\mathrm{hi}",
        ),
        Parameter(
            "x0", 5, "starting point, lo < x0 < hi", -(10**9), 10**9, integer=True, latex="x_0"
        ),
    )
    quantities = (
        Quantity("drift_rate", "expected change of the walk per step, E[xi]", r"\mu"),
        Quantity("step_variance", "variance of one step, Var[xi]", r"\sigma^2"),
        Quantity("escape_probability", "P(reach hi before lo) from x0", r"P_{\mathrm{esc}}"),
        Quantity("ruin_probability", "P(reach lo before hi) from x0", r"P_{\mathrm{ruin}}"),
        Quantity("mean_exit_time", "expected number of steps until lo or hi is hit", r"E[T]"),
    )
    references = (
        Reference(
            "feller1968",
            "W. Feller, An Introduction to Probability Theory and Its Applications, "
            "Vol. I, 3rd ed., Wiley (1968), ch. XIV (random walk and ruin problems).",
            "@book{feller1968,\n  author = {Feller, William},\n"
            "  title = {An Introduction to Probability Theory and Its Applications},\n"
            "  volume = {I}, edition = {3rd}, publisher = {Wiley}, year = {1968},\n"
            "  note = {Chapter XIV: Random walk and ruin problems}\n}",
        ),
    )

    def _check(self, params: dict[str, Any]) -> None:
        s = params["p"] + params["q"]
        if s > 1.0 + 1e-12:  # tolerate rounding, e.g. of 0.7 + 0.3
            raise ParameterError("q", f"parameters 'p' + 'q' must be in (0, 1], got p + q = {s!r}")
        if s == 0.0:
            raise ParameterError(
                "p", "parameters 'p' + 'q' must be in (0, 1] (the walk must move), got 0"
            )
        if params["hi"] <= params["lo"]:
            raise ParameterError(
                "hi", f"parameter 'hi' must be an integer > lo = {params['lo']}, got {params['hi']}"
            )
        if not params["lo"] < params["x0"] < params["hi"]:
            raise ParameterError(
                "x0",
                f"parameter 'x0' must be an integer in ({params['lo']}, {params['hi']}) "
                f"(strictly between lo and hi), got {params['x0']}",
            )

    # -- formulas ---------------------------------------------------------
    def _expression(self, name: str, case: bool) -> sp.Expr:
        d = _derive()
        if name == "drift_rate":
            return d.drift
        if name == "step_variance":
            return d.variance
        solved = _solved(name)
        neq = _in_model_symbols(solved.result)
        eq = _in_model_symbols(solved.result_eq)
        if case:
            return eq if self["p"] == self["q"] else neq
        return sp.Piecewise((eq, sp.Eq(p, q)), (neq, True))

    def latex(self, name: str) -> str:
        """LaTeX of the formula for this model's case, written with ``r = q/p``, ``n``, ``N``."""
        if name not in _SOLVED:
            return super().latex(name)
        symbol = self.quantity(name).symbol
        if self["p"] == self["q"]:
            where = r"\qquad n = x_0 - \mathrm{lo},\ N = \mathrm{hi} - \mathrm{lo}"
            return f"{symbol} = {sp.latex(_solved(name).result_eq)}{where}"
        return f"{symbol} = {sp.latex(_in_ratio(name))}{_WHERE}"

    def _value(self, name: str) -> float:
        pv, qv, lov, hiv, xv = (self[k] for k in ("p", "q", "lo", "hi", "x0"))
        if name in ("drift_rate", "step_variance"):
            expr = self._expression(name, case=True)
            return float(expr.subs({p: sp.Float(pv, 30), q: sp.Float(qv, 30)}))
        if pv == qv:
            expr = self._expression(name, case=True)
            subs = {p: sp.Rational(pv), lo: lov, hi: hiv, x0: xv}
            return float(expr.subs(subs))
        if pv < qv:
            # Mirror x -> lo + hi - x swaps p and q and escape with ruin, so the
            # ratio r = q/p passed to the formula is < 1 and p > 0 (p = 0 is allowed).
            mirrored = {
                "escape_probability": "ruin_probability",
                "ruin_probability": "escape_probability",
            }.get(name, name)
            return self.replace(p=qv, q=pv, x0=lov + hiv - xv)._value(mirrored)
        f = _mp_function(name)
        with mpmath.workdps(_DPS):
            return float(f(mpmath.mpf(pv), mpmath.mpf(qv), lov, hiv, xv))

    # -- derivation -------------------------------------------------------
    def derivation(self) -> str:
        d = _derive()
        L = sp.latex

        def bvp(title: str, solved: _Solved, what: str) -> list[str]:
            b0, bN = solved.boundary
            return [
                f"### {title}",
                "",
                f"Let {what}. Conditioning on the first step (first-step analysis):",
                "",
                f"$$ {L(solved.first_step)} $$",
                "",
                "which, shifted to $n, n+1, n+2$, is the linear recurrence",
                "",
                f"$$ {L(solved.recurrence)} = 0, \\qquad {L(b0)}, \\quad {L(bN)}. $$",
                "",
                "**Case $p \\neq q$.** `sympy.rsolve` gives the general solution",
                "",
                f"$$ {L(solved.general)}, $$",
                "",
                "and the boundary conditions fix the constants: "
                + ", ".join(f"${L(k)} = {L(v)}$" for k, v in solved.constants.items())
                + ". Hence",
                "",
                f"$$ {L(solved.result)}. $$",
                "",
                "**Case $p = q$** (the roots coincide). The general solution is "
                f"${L(solved.general_eq)}$, with "
                + ", ".join(f"${L(k)} = {L(v)}$" for k, v in solved.constants_eq.items())
                + ":",
                "",
                f"$$ {L(solved.result_eq)}. $$",
                "",
            ]

        lam_roots = ", ".join(f"\\lambda = {L(r)}" for r in d.roots)
        lines = [
            f"## {self.title}: derivation",
            "",
            "**Model.** $X_{t+1} = X_t + \\xi_t$ on the integers, with i.i.d. steps "
            "$P(\\xi = 1) = p$, $P(\\xi = -1) = q$, $P(\\xi = 0) = 1 - p - q$, "
            "$p + q \\in (0, 1]$; absorbed at $\\mathrm{lo}$ and $\\mathrm{hi}$; "
            "$X_0 = x_0 \\in (\\mathrm{lo}, \\mathrm{hi})$. "
            "Write $n = x - \\mathrm{lo}$ and $N = \\mathrm{hi} - \\mathrm{lo}$.",
            "",
            "**Assumptions.** Steps independent and identically distributed; barriers "
            "absorbing; the walk moves ($p + q > 0$), so it leaves $(\\mathrm{lo}, "
            "\\mathrm{hi})$ with probability one.",
            "",
            "### Drift and variance of one step",
            "",
            "As expectations over the step law (`sympy.stats`):",
            "",
            f"$$ \\mu = E[\\xi] = {L(d.drift)}, \\qquad "
            f"\\sigma^2 = \\operatorname{{Var}}[\\xi] = {L(d.variance)}. $$",
            "",
            "Wald's identities tie them to the exit time $T$: "
            "$E[X_T - x_0] = \\mu\\,E[T]$ and $E[(X_T - x_0 - \\mu T)^2] = \\sigma^2 E[T]$.",
            "",
            *bvp(
                "Escape probability",
                d.escape,
                "$w(n)$ be the probability of reaching $\\mathrm{hi}$ before "
                "$\\mathrm{lo}$ from $x = \\mathrm{lo} + n$",
            ),
            f"The characteristic polynomial is ${L(d.characteristic)}$ with roots "
            f"${lam_roots}$, which coincide exactly when $p = q$.",
            "",
            *bvp(
                "Ruin probability",
                d.ruin,
                "$v(n)$ be the probability of reaching $\\mathrm{lo}$ before $\\mathrm{hi}$",
            ),
            "It equals $1 - w(n)$, as it must (the walk exits almost surely).",
            "",
            *bvp(
                "Mean exit time",
                d.exit_time,
                "$D(n)$ be the expected number of steps until absorption from "
                "$x = \\mathrm{lo} + n$ (each step adds one)",
            ),
            "Holding only stretches time: every $D$ scales with $1/(p+q)$ at fixed "
            "$q/p$, while $w$ and $v$ depend on $q/p$ alone.",
            "",
            "### Evaluation",
            "",
            "The formulas are evaluated in mpmath at 50 significant digits "
            "(arbitrary exponent range, so $r^N$ cannot overflow, and no cancellation "
            "near $p = q$); for $p < q$ the mirror $x \\mapsto \\mathrm{lo} + "
            "\\mathrm{hi} - x$ (which swaps $p$ with $q$ and escape with ruin) keeps "
            "$r = q/p \\le 1$, so $p = 0$ is allowed.",
            "",
            "**Source.** W. Feller, *An Introduction to Probability Theory and Its "
            "Applications*, Vol. I, 3rd ed. (1968), ch. XIV, §§2-3.",
            "",
        ]
        return "\n".join(lines)
