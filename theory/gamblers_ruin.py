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
import math
from dataclasses import dataclass
from typing import Any

import mpmath
import sympy as sp
from driftkit.theory import bounds
from driftkit.theory._base import Model, Parameter, ParameterError, Quantity, Reference
from driftkit.theory._cache import disk_cache
from driftkit.theory._registry import register
from sympy.stats import E, FiniteRV, variance

__all__ = ["GamblersRuin"]

# Model symbols (what the formulas are written in).
p, q = sp.symbols("p q", nonnegative=True)
lo, hi, x0 = sp.symbols(r"\mathrm{lo} \mathrm{hi} x_0", integer=True)
# Recurrence symbols: n = x - lo (distance from the lower barrier), N = hi - lo.
n, N = sp.symbols("n N", integer=True, nonnegative=True)
r = sp.Symbol("r", positive=True)  # q / p, for display
# The bounds' symbols: horizon t (steps), slope c of the time-uniform line, and the
# root theta_l of K(theta) = c theta (no closed form for this step law).
t = bounds.HORIZON
c = bounds.SLOPE
theta_line = sp.Symbol(r"\theta_\ell", positive=True)
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


@disk_cache
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


@disk_cache
def _in_ratio(name: str) -> sp.Expr:
    """The p != q result written with r = q/p (for display)."""
    in_r = sp.expand_power_base(_solved(name).result.subs(q, r * p), force=True)
    return sp.factor(sp.simplify(sp.powsimp(in_r, force=True)))


@functools.cache
def _mp_function(name: str):
    """mpmath evaluator of the p != q case, arguments (p, q, lo, hi, x0)."""
    expr = _in_model_symbols(_solved(name).result)
    return sp.lambdify((p, q, lo, hi, x0), expr, modules="mpmath")


_BOUNDS = (
    "lundberg_bound",
    "chernoff_bound",
    "hoeffding_bound",
    "maximal_bound",
    "time_uniform_bound",
)
_STEP_WIDTH = 2  # every step lies in [-1, 1]


@dataclass(frozen=True)
class _DerivedBounds:
    exponential: bounds.ExponentialBounds
    hoeffding: bounds.HoeffdingBound
    drift: sp.Expr
    level: sp.Expr  # d = hi - x0
    expressions: dict  # name -> (general Piecewise, {branch: expression})


@disk_cache
def _derive_bounds() -> _DerivedBounds:
    """Derive the bounds from the step law (about two seconds, done once, on first use)."""
    d_ = _derive()
    a = bounds.LEVEL
    eb = bounds.derive_exponential(
        d_.step,
        {p: sp.Rational(3, 10), q: sp.Rational(1, 2), a: 5, t: 10},
        solve_line=False,  # K(theta) = c theta has no closed form for a lattice step
    )
    hb = bounds.derive_hoeffding()
    level = hi - x0
    mu = d_.drift
    trivial = a <= t * mu  # the level is not above the mean: the bound is 1
    lundberg = sp.exp(-eb.adjustment * a)
    chernoff = sp.exp(eb.chernoff_exponent)
    hoeffding = sp.exp(hb.exponent.subs({hb.width: _STEP_WIDTH, hb.excess: a - t * mu}))
    line = sp.exp(-theta_line * a)
    branches = {
        "lundberg_bound": {"lundberg": lundberg, "one": sp.Integer(1), "zero": sp.Integer(0)},
        "chernoff_bound": {"chernoff": chernoff, "one": sp.Integer(1), "zero": sp.Integer(0)},
        "hoeffding_bound": {"hoeffding": hoeffding, "one": sp.Integer(1)},
        "maximal_bound": {
            "chernoff": chernoff,
            "lundberg": lundberg,
            "one": sp.Integer(1),
            "zero": sp.Integer(0),
        },
        "time_uniform_bound": {"line": line, "one": sp.Integer(1), "zero": sp.Integer(0)},
    }
    general = {
        "lundberg_bound": sp.Piecewise((lundberg, p < q), (1, True)),
        "chernoff_bound": sp.Piecewise((1, trivial), (0, a > t), (chernoff, True)),
        "hoeffding_bound": sp.Piecewise((1, trivial), (hoeffding, True)),
        "maximal_bound": sp.Piecewise(
            (1, trivial),
            (0, a > t),
            (lundberg, eb.chernoff_theta < eb.adjustment),
            (chernoff, True),
        ),
        "time_uniform_bound": sp.Piecewise((1, c <= mu), (0, c >= 1), (line, True)),
    }
    expressions = {
        name: (
            general[name].subs(a, level),
            {k: v.subs(a, level) for k, v in branches[name].items()},
        )
        for name in _BOUNDS
    }
    return _DerivedBounds(eb, hb, mu, level, expressions)


@functools.cache
def _mp_bound_functions():
    """mpmath evaluators of the derived Chernoff optimiser, its exponent and K(theta)."""
    eb = _derive_bounds().exponential
    a, theta = bounds.LEVEL, bounds.THETA
    args = (p, q, a, t)
    return (
        sp.lambdify(args, eb.chernoff_theta, modules="mpmath"),
        sp.lambdify(args, eb.chernoff_exponent, modules="mpmath"),
        sp.lambdify((p, q, theta), eb.cgf, modules="mpmath"),
    )


def _bound_branch(name: str, pv: float, qv: float, dv: int, tv: int, cv: float) -> tuple:
    """The branch of bound ``name`` that applies, and the log of its value.

    Edge cases are decided before any formula is evaluated: ``p = 0`` (the walk
    never climbs, every bound 0), a level beyond reach in ``t`` steps, a level
    not above the mean ``t (p - q)`` (the bound is 1).
    """
    mu = pv - qv
    if name == "lundberg_bound":
        if pv == 0.0:
            return "zero", -math.inf
        if pv >= qv:
            return "one", 0.0
        return "lundberg", -dv * (math.log(qv) - math.log(pv))
    if name == "hoeffding_bound":
        u = dv - tv * mu
        if u <= 0:
            return "one", 0.0
        hb = _derive_bounds().hoeffding
        exponent = hb.exponent.subs({hb.width: _STEP_WIDTH, hb.excess: u, t: tv})
        return "hoeffding", float(exponent)
    if name == "time_uniform_bound":
        top = 1.0 if pv > 0 else (0.0 if pv + qv < 1.0 else -1.0)  # the largest step
        if cv <= mu:
            return "one", 0.0
        if cv >= top:  # the walk can never climb the line
            return "zero", -math.inf
        cgf = _mp_bound_functions()[2]
        with mpmath.workdps(_DPS):
            args = (mpmath.mpf(pv), mpmath.mpf(qv))
            theta_l = bounds.positive_root(lambda th: float(cgf(*args, th) - cv * th), mu - cv)
        return "line", -theta_l * dv
    # chernoff_bound and maximal_bound
    if dv <= tv * mu:
        return "one", 0.0
    if pv == 0.0 or dv > tv:
        return "zero", -math.inf
    if dv == tv:  # only t up-steps reach: the optimiser runs off to infinity
        theta_c, log_chernoff = math.inf, tv * math.log(pv)
    else:
        f_theta, f_exponent, _ = _mp_bound_functions()
        with mpmath.workdps(_DPS):
            args = (mpmath.mpf(pv), mpmath.mpf(qv), dv, tv)
            theta_c, log_chernoff = float(f_theta(*args)), float(f_exponent(*args))
    log_chernoff = bounds.chernoff_log_bound(theta_c, log_chernoff)
    if name == "chernoff_bound":
        return "chernoff", log_chernoff
    theta_star = math.log(qv / pv) if qv > pv else 0.0
    log_max = bounds.maximal_log_bound(theta_c, log_chernoff, theta_star, dv)
    return ("chernoff" if theta_c >= theta_star else "lundberg"), log_max


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
    >>> from driftkit.theory import GamblersRuin
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
        Parameter(
            "t",
            100,
            "horizon in steps of the finite-horizon bounds (chernoff, hoeffding, maximal)",
            1,
            10**9,
            integer=True,
            latex="t",
        ),
        Parameter(
            "slope",
            0.05,
            "slope c of the line hi + c k in time_uniform_bound",
            latex="c",
        ),
    )
    quantities = (
        Quantity("drift_rate", "expected change of the walk per step, E[xi]", r"\mu"),
        Quantity("step_variance", "variance of one step, Var[xi]", r"\sigma^2"),
        Quantity("escape_probability", "P(reach hi before lo) from x0", r"P_{\mathrm{esc}}"),
        Quantity("ruin_probability", "P(reach lo before hi) from x0", r"P_{\mathrm{ruin}}"),
        Quantity("mean_exit_time", "expected number of steps until lo or hi is hit", r"E[T]"),
        Quantity(
            "lundberg_bound",
            "Lundberg's bound on P(the free walk ever reaches hi) >= escape_probability",
            r"P_{\mathrm{esc}} \le B_{\mathrm{L}}",
            kind="bound",
        ),
        Quantity(
            "chernoff_bound",
            "Chernoff bound on P(X_t >= hi) for the free walk (no barriers) after t steps",
            r"P(X_t \ge \mathrm{hi}) \le B_{\mathrm{C}}",
            kind="bound",
        ),
        Quantity(
            "hoeffding_bound",
            "Azuma-Hoeffding bound on P(X_t >= hi) for the free walk after t steps",
            r"P(X_t \ge \mathrm{hi}) \le B_{\mathrm{H}}",
            kind="bound",
        ),
        Quantity(
            "maximal_bound",
            "Doob/Ville bound on P(max_{k<=t} X_k >= hi) for the free walk (bounds the "
            "escape by step t)",
            r"P(\max_{k \le t} X_k \ge \mathrm{hi}) \le B_{\mathrm{M}}",
            kind="bound",
        ),
        Quantity(
            "time_uniform_bound",
            "Ville (Howard et al.) bound on P(X_k >= hi + slope k for some k >= 1), free walk",
            r"P(\exists k \ge 1: X_k \ge \mathrm{hi} + c k) \le B_{\mathrm{U}}",
            kind="bound",
        ),
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
        *bounds.REFERENCES,
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
    def _bound(self, name: str) -> tuple[str, float]:
        d_ = self["hi"] - self["x0"]
        return _bound_branch(name, self["p"], self["q"], d_, self["t"], self["slope"])

    def _expression(self, name: str, case: bool) -> sp.Expr:
        if name in _BOUNDS:
            general, branches = _derive_bounds().expressions[name]
            return branches[self._bound(name)[0]] if case else general
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
        if name == "time_uniform_bound" and self._bound(name)[0] == "line":
            return (
                f"{super().latex(name)}\\qquad K(\\theta_\\ell) = c\\,\\theta_\\ell,\\ "
                f"K(\\theta) = {sp.latex(_derive_bounds().exponential.cgf)}"
            )
        if name not in _SOLVED:
            return super().latex(name)
        symbol = self.quantity(name).symbol
        if self["p"] == self["q"]:
            where = r"\qquad n = x_0 - \mathrm{lo},\ N = \mathrm{hi} - \mathrm{lo}"
            return f"{symbol} = {sp.latex(_solved(name).result_eq)}{where}"
        return f"{symbol} = {sp.latex(_in_ratio(name))}{_WHERE}"

    def _value(self, name: str) -> float:
        if name in _BOUNDS:
            return math.exp(self._bound(name)[1])  # a log below -745 underflows to 0
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
            *self._bound_derivation(),
            "### Evaluation",
            "",
            "The formulas are evaluated in mpmath at 50 significant digits "
            "(arbitrary exponent range, so $r^N$ cannot overflow, and no cancellation "
            "near $p = q$); for $p < q$ the mirror $x \\mapsto \\mathrm{lo} + "
            "\\mathrm{hi} - x$ (which swaps $p$ with $q$ and escape with ruin) keeps "
            "$r = q/p \\le 1$, so $p = 0$ is allowed. The bounds are computed in log space "
            "(the derived Chernoff optimiser and exponent in mpmath at 50 digits), so a "
            "bound below $10^{-308}$ underflows to $0$ instead of failing.",
            "",
            "**Source.** W. Feller, *An Introduction to Probability Theory and Its "
            "Applications*, Vol. I, 3rd ed. (1968), ch. XIV, §§2-3.",
            "",
        ]
        return "\n".join(lines)

    @staticmethod
    def _bound_derivation() -> list[str]:
        db = _derive_bounds()
        return [
            *bounds.derivation_lines(
                db.exponential,
                step_text="the step $X = \\xi$ (the free walk $S_k = x_0 + \\xi_1 + \\dots + "
                "\\xi_k$, barriers removed: the absorbed walk escapes only if the free walk "
                "reaches $\\mathrm{hi}$, so every bound below bounds the absorbed event too)",
                adjustment_text="For $\\pm 1$ steps $e^{-\\theta^* d} = (p/q)^d$, and the walk "
                "moves up one unit at a time, so it meets $\\mathrm{hi}$ exactly (no "
                "overshoot): with $\\mathrm{lo} = -\\infty$ the bound is the exact passage "
                "probability, and with the lower barrier $P_{\\mathrm{esc}} = (r^n - 1)/(r^N - 1) "
                "\\le r^{n - N} = (p/q)^d$. For $p \\ge q$ there is no positive root and the "
                "bound is $1$; for $p = 0$ it is $0$.",
                chernoff_text="The level is out of reach when $d > t$ (bound $0$); when $d = t$ "
                "the optimiser runs off to infinity and the infimum is $p^t$, the exact value.",
                line_text="For this step law `sympy.solve` finds no closed form for "
                "$\\theta_\\ell$ at a general slope, so the derived equation is solved "
                "numerically (Brent's method on a bracket, to machine precision). With $c = 0$ "
                "it is Lundberg's bound; with $c$ at or above the largest step the walk "
                "cannot climb the line and the bound is $0$.",
                hoeffding=db.hoeffding,
                hoeffding_text="Every step lies in $[-1, 1]$, so $w = 2$ and $\\mu = p - q$: "
                "the bound is $e^{-(d - t(p - q))^2/(2t)}$. It uses only the range of the "
                "steps, not their variance, so it is never below the Chernoff bound.",
            ),
        ]
