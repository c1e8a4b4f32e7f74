r"""Rigorous exponential bounds for random walks: the machinery shared by the models.

A walk :math:`S_t = x_0 + X_1 + \dots + X_t` with i.i.d. steps whose moment
generating function :math:`M(\theta) = E[e^{\theta X}]` is finite for
:math:`\theta \ge 0` carries, for each :math:`\theta`, the exponential martingale

.. math:: Z_t(\theta) = \exp\bigl(\theta (S_t - x_0) - t K(\theta)\bigr), \qquad
          K = \log M,

(``E[Z_t] = 1``, ``Z >= 0``). Every bound here is Markov's inequality for
:math:`Z_t` (Chernoff) or Ville's maximal inequality for a nonnegative
supermartingale, :math:`P(\sup_t Z_t \ge 1/\delta) \le \delta`, applied to it:

* **Lundberg / Cramér**: the adjustment coefficient :math:`\theta^* > 0` solves
  :math:`M(\theta) = 1` (exists when :math:`E X < 0`); then :math:`e^{\theta^*(S_t - x_0)}`
  is itself a martingale and :math:`P(\sup_t S_t - x_0 \ge a) \le e^{-\theta^* a}`.
* **Chernoff**: :math:`P(S_t - x_0 \ge a) \le \inf_{\theta \ge 0} e^{-\theta a + t K(\theta)}`;
  the optimiser solves :math:`a = t K'(\theta)`.
* **Azuma–Hoeffding**: for steps in an interval of width :math:`w`, Hoeffding's lemma
  :math:`K(\theta) \le \theta\mu + \theta^2 w^2/8` in the Chernoff bound gives
  :math:`\exp(-2 (a - t\mu)^2/(t w^2))`.
* **Doob / Ville maximal** (horizon :math:`t`): on :math:`\{\max_{k \le t} S_k - x_0 \ge a\}`
  the martingale :math:`Z(\theta)` stopped at the passage is at least
  :math:`e^{\theta a - t K(\theta)^+}`, so
  :math:`P(\max_{k\le t} S_k - x_0 \ge a) \le \inf_{\theta\ge0} e^{-\theta a + t K(\theta)^+}`.
* **Time-uniform line crossing** (Howard, Ramdas, McAuliffe & Sekhon): where
  :math:`K(\theta) \le c\,\theta`, :math:`e^{\theta(S_t - x_0 - c t)}` is a nonnegative
  supermartingale, and Ville gives
  :math:`P(\exists t \ge 1: S_t - x_0 \ge a + c t) \le e^{-\theta_c a}` with
  :math:`\theta_c = \sup\{\theta \ge 0 : K(\theta) \le c\theta\}`.

Each equation is set up and solved by sympy (:func:`derive_exponential`,
:func:`derive_hoeffding`); where an equation has no closed-form root (the
lattice walk's line equation for a general slope) the sympy-derived function is
solved numerically (:func:`positive_root`). The numeric helpers work in log
space, so a bound of ``1e-300`` or below underflows gracefully to ``0``.

Sources: F. Lundberg (1903) and H. Cramér (1930), as in S. Asmussen and
H. Albrecher, *Ruin Probabilities*, 2nd ed. (2010), ch. IV and XIII; H. Chernoff,
Ann. Math. Statist. 23 (1952) 493-507; W. Hoeffding, JASA 58 (1963) 13-30;
K. Azuma, Tohoku Math. J. 19 (1967) 357-367; J. Ville, *Étude critique de la
notion de collectif* (1939); S. R. Howard, A. Ramdas, J. McAuliffe and J. Sekhon,
"Time-uniform Chernoff bounds via nonnegative supermartingales", Probab. Surveys
17 (2020) 257-317, and "Time-uniform, nonparametric, nonasymptotic confidence
sequences", Ann. Statist. 49 (2021) 1055-1080.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import sympy as sp
from driftkit.theory._base import Reference
from sympy.stats import E

__all__ = [
    "HORIZON",
    "LEVEL",
    "REFERENCES",
    "SLOPE",
    "THETA",
    "ExponentialBounds",
    "HoeffdingBound",
    "chernoff_log_bound",
    "derivation_lines",
    "derive_exponential",
    "derive_hoeffding",
    "maximal_log_bound",
    "positive_root",
]

THETA = sp.Symbol(r"\theta", real=True)
LEVEL = sp.Symbol("d", positive=True)  # the level a, written d = hi - x0 by the models
HORIZON = sp.Symbol("t", positive=True)  # the number of steps (or the time)
SLOPE = sp.Symbol("c", real=True)  # the slope of the line
_WIDTH = sp.Symbol("w", positive=True)  # width of the interval holding a step
_EXCESS = sp.Symbol("u", positive=True)  # a - t mu, the excess over the mean


@dataclass(frozen=True)
class ExponentialBounds:
    """The Cramér–Chernoff objects of one step law, each obtained by sympy.

    ``mgf`` is :math:`E[e^{\\theta X}]` (an expectation in ``sympy.stats``),
    ``cgf`` its logarithm; the three equations are the ones solved, and the
    roots are the solutions kept (``line_theta`` is ``None`` where sympy finds
    no closed form: then the line equation is solved numerically).
    """

    mgf: sp.Expr
    cgf: sp.Expr
    adjustment_equation: sp.Eq
    adjustment_roots: tuple[sp.Expr, ...]  # every root sympy found, 0 included
    adjustment: sp.Expr  # the nonzero root theta* of M(theta) = 1
    chernoff_equation: sp.Eq  # d/dtheta (-theta d + t K(theta)) = 0
    chernoff_theta: sp.Expr  # its root theta_c (real and positive where d > t mu)
    chernoff_exponent: sp.Expr  # -theta_c d + t K(theta_c)
    line_equation: sp.Eq  # K(theta) = c theta
    line_theta: sp.Expr | None  # its nonzero root, where sympy has a closed form


def _solve(equation: sp.Eq) -> list[sp.Expr]:
    """``sympy.solve`` for ``THETA`` without its (slow) symbolic check of each root;
    the root kept is checked numerically by :func:`_pick_real_positive`."""
    return sp.solve(equation, THETA, check=False)


def _pick_real_positive(
    roots: list[sp.Expr], sample: Mapping[sp.Symbol, Any], equation: sp.Eq
) -> sp.Expr:
    """The root that is real and positive at ``sample`` (e.g. a point with ``E X < 0``),
    and solves ``equation`` there to 25 digits."""
    good = []
    for root in roots:
        exact = sp.N(root.subs(sample), 40)
        value = complex(exact)
        if abs(value.imag) <= 1e-20 * max(1.0, abs(value.real)) and value.real > 0:
            residual = (equation.lhs - equation.rhs).subs(sample).subs(THETA, sp.re(exact))
            if abs(complex(sp.N(residual, 40))) <= 1e-25:
                good.append(root)
    if len(good) != 1:  # pragma: no cover - a derivation that changed under a new sympy
        raise ArithmeticError(f"expected one real positive root at {sample}, got {good}")
    return good[0]


def _tidy_log(root: sp.Expr) -> sp.Expr:
    """``log(N/D) - log 2`` with both ``N`` and ``D`` negative, written as ``log(-N/(-2 D))``."""
    arg = sp.together(sp.expand_log(sp.exp(root), force=True))
    num, den = sp.fraction(sp.simplify(arg))
    return sp.log(sp.expand(-num) / sp.expand(-den))


def derive_exponential(
    step: Any,
    sample: Mapping[sp.Symbol, Any],
    *,
    solve_line: bool = True,
) -> ExponentialBounds:
    """Derive the exponential bounds of a walk whose step is the sympy.stats variable ``step``.

    ``sample`` gives numeric values of the law's parameters at which the step
    has negative mean, plus a level ``LEVEL`` with ``LEVEL > HORIZON * E X`` and a
    ``HORIZON``: there the adjustment coefficient and the Chernoff optimiser
    are real and positive, which picks the wanted root among sympy's solutions.
    ``solve_line=False`` skips sympy's attempt at the line equation (it has no
    closed form for a lattice law with a general slope).
    """
    theta, a, t, c = THETA, LEVEL, HORIZON, SLOPE
    mgf = sp.simplify(E(sp.exp(theta * step)))
    cgf = sp.expand_log(sp.log(mgf), force=True)
    adjustment_equation = sp.Eq(mgf, 1)
    roots = _solve(adjustment_equation)
    nonzero = [r for r in roots if sp.simplify(r) != 0]
    adjustment = _pick_real_positive(nonzero, sample, adjustment_equation)
    chernoff_equation = sp.Eq(sp.diff(-theta * a + t * cgf, theta), 0)
    chernoff_theta = _pick_real_positive(_solve(chernoff_equation), sample, chernoff_equation)
    if chernoff_theta.has(sp.log):
        chernoff_theta = _tidy_log(chernoff_theta)
    exponent = -chernoff_theta * a + t * cgf.subs(theta, chernoff_theta)
    if not exponent.has(sp.log):  # a polynomial exponent (Gaussian steps): factor it
        exponent = sp.factor(sp.expand(exponent))
    line_equation = sp.Eq(cgf, c * theta)
    line_theta = None
    if solve_line:
        line_roots = [r for r in _solve(line_equation) if sp.simplify(r) != 0]
        if len(line_roots) == 1:
            line_theta = sp.simplify(line_roots[0])
    return ExponentialBounds(
        mgf=mgf,
        cgf=cgf,
        adjustment_equation=adjustment_equation,
        adjustment_roots=tuple(roots),
        adjustment=adjustment,
        chernoff_equation=chernoff_equation,
        chernoff_theta=chernoff_theta,
        chernoff_exponent=exponent,
        line_equation=line_equation,
        line_theta=line_theta,
    )


@dataclass(frozen=True)
class HoeffdingBound:
    r"""Azuma–Hoeffding: the Chernoff bound of Hoeffding's sub-Gaussian MGF bound.

    For a step in an interval of width :math:`w`, Hoeffding's lemma gives
    :math:`E[e^{\theta(X - \mu)}] \le e^{\theta^2 w^2/8}` (``lemma``); the
    exponent :math:`-\theta u + t\theta^2 w^2/8` with :math:`u = a - t\mu` is
    minimised at ``theta`` (sympy ``solve``), where it equals ``exponent``.
    """

    lemma: sp.Expr
    objective: sp.Expr
    theta: sp.Expr
    exponent: sp.Expr
    width: sp.Symbol = _WIDTH
    excess: sp.Symbol = _EXCESS


def derive_hoeffding() -> HoeffdingBound:
    """Minimise the Azuma–Hoeffding exponent with sympy (width ``w``, excess ``u``)."""
    theta, t, w, u = THETA, HORIZON, _WIDTH, _EXCESS
    lemma = sp.exp(theta**2 * w**2 / 8)
    objective = -theta * u + t * sp.log(lemma)
    objective = sp.expand_log(objective, force=True)
    (root,) = sp.solve(sp.diff(objective, theta), theta)
    exponent = sp.simplify(objective.subs(theta, root))
    return HoeffdingBound(lemma, objective, root, exponent)


# -- numerics -----------------------------------------------------------------
def positive_root(f: Callable[[float], float], slope0: float) -> float:
    """The positive root of a convex ``f`` with ``f(0) = 0`` and ``f'(0) = slope0 < 0``.

    Returns ``inf`` where ``f`` stays negative (no positive root: then the
    supermartingale condition holds for every ``theta > 0``). The root is
    bracketed by doubling and refined by Brent's method to machine precision.
    """
    if not slope0 < 0:
        raise ValueError(f"need f'(0) < 0 for a positive root, got {slope0!r}")
    hi = 1.0
    while f(hi) < 0:
        hi *= 2.0
        if hi > 1e300:
            return math.inf
    lo = hi / 2.0
    while lo > 1e-300 and f(lo) >= 0:  # find a point inside (0, root)
        lo /= 2.0
    if lo <= 1e-300:  # pragma: no cover - the root is below the double range
        return 0.0
    from scipy import optimize  # here, not on import: `theory MODEL --latex` needs no scipy

    return optimize.brentq(f, lo, hi, xtol=1e-300, rtol=4 * 2.0**-52, maxiter=500)


def chernoff_log_bound(theta_c: float, log_value: float) -> float:
    """Log of :math:`\\inf_{\\theta \\ge 0} e^{-\\theta a + tK(\\theta)}`.

    ``theta_c`` is the unconstrained optimiser and ``log_value`` the exponent
    there; where ``theta_c <= 0`` (the level is below the mean ``t E X``) the
    infimum over ``theta >= 0`` is at ``theta = 0``: the trivial bound 1.
    """
    if not theta_c > 0:
        return 0.0
    return min(0.0, log_value)


def maximal_log_bound(theta_c: float, log_chernoff: float, theta_star: float, a: float) -> float:
    r"""Log of :math:`\inf_{\theta \ge 0} e^{-\theta a + t K(\theta)^+}` (Doob/Ville, horizon t).

    :math:`K` is convex with :math:`K(0) = 0`, negative on :math:`(0, \theta^*)` and
    positive beyond (``theta_star`` is the adjustment coefficient clipped at 0).
    On :math:`[0, \theta^*]` the exponent is :math:`-\theta a`, least at
    :math:`\theta^*`; beyond it is the Chernoff exponent, convex with its minimum at
    ``theta_c``. So the infimum is the Chernoff value if ``theta_c >= theta_star``
    and :math:`-\theta^* a` otherwise.
    """
    if theta_c >= theta_star:
        return chernoff_log_bound(theta_c, log_chernoff)
    return -theta_star * a


# -- documentation ------------------------------------------------------------
def derivation_lines(
    eb: ExponentialBounds,
    *,
    step_text: str,
    adjustment_text: str,
    chernoff_text: str,
    line_text: str,
    hoeffding: HoeffdingBound | None = None,
    hoeffding_text: str = "",
    continuous: bool = False,
) -> list[str]:
    """The Markdown steps of the bounds (shared wording; the models add their own remarks)."""
    L = sp.latex
    k = "K(\\theta)"
    sup_t = "\\sup_{s \\ge 0}" if continuous else "\\sup_{k \\ge 0}"
    max_t = "\\max_{s \\le t}" if continuous else "\\max_{k \\le t}"
    S = "X_s" if continuous else "S_k"
    lines = [
        "### Bounds (rigorous inequalities)",
        "",
        f"All bounds use the exponential martingale of {step_text}. `sympy.stats` gives",
        "",
        f"$$ M(\\theta) = E[e^{{\\theta X}}] = {L(eb.mgf)}, \\qquad {k} = \\log M(\\theta) = "
        f"{L(eb.cgf)}, $$",
        "",
        f"and $Z_t(\\theta) = e^{{\\theta (S_t - x_0) - t {k}}}$ is a nonnegative martingale "
        "with $Z_0 = 1$. Write $d = \\mathrm{hi} - x_0$ for the level.",
        "",
        "**Lundberg / Cramér.** The adjustment coefficient solves",
        "",
        f"$$ {L(eb.adjustment_equation)}; $$",
        "",
        "`sympy.solve` gives the roots "
        + ", ".join(f"${L(r)}$" for r in eb.adjustment_roots)
        + f"; for a negative drift the positive one is $\\theta^* = {L(eb.adjustment)}$. "
        "Then $e^{\\theta^* (S_t - x_0)}$ is a nonnegative martingale, and Ville's "
        "inequality ($P(\\sup_t Z_t \\ge 1/\\delta) \\le \\delta$) gives",
        "",
        f"$$ P\\Bigl({sup_t} {S} - x_0 \\ge d\\Bigr) \\le e^{{-\\theta^* d}}. $$",
        "",
        adjustment_text,
        "",
        "**Chernoff.** Markov's inequality for $Z_t(\\theta)$ gives "
        f"$P(S_t - x_0 \\ge d) \\le e^{{-\\theta d + t {k}}}$ for every $\\theta \\ge 0$; "
        "the exponent is convex in $\\theta$ and stationary where",
        "",
        f"$$ {L(eb.chernoff_equation)}, \\qquad \\theta_c = {L(eb.chernoff_theta)}, $$",
        "",
        f"with the value $-\\theta_c d + t K(\\theta_c) = {L(eb.chernoff_exponent)}$ when "
        "$\\theta_c > 0$, i.e. when the level lies above the mean, $d > t\\,E[X]$; "
        "otherwise the infimum over $\\theta \\ge 0$ is the trivial bound $1$. " + chernoff_text,
        "",
    ]
    if hoeffding is not None:
        w, u = L(hoeffding.width), L(hoeffding.excess)
        lines += [
            "**Azuma–Hoeffding.** For a step in an interval of width $w$, Hoeffding's "
            f"lemma bounds $E[e^{{\\theta (X - \\mu)}}] \\le {L(hoeffding.lemma)}$. With "
            f"$u = d - t\\mu > 0$ the Chernoff exponent of that bound, ${L(hoeffding.objective)}$, "
            f"is least at $\\theta = {L(hoeffding.theta)}$ (`sympy.solve`), so",
            "",
            f"$$ P(S_t - x_0 \\ge d) \\le \\exp\\Bigl({L(hoeffding.exponent)}\\Bigr), "
            f"\\qquad u = d - t\\mu,\\ {w} \\text{{ the width}}, $$",
            "",
            f"and $1$ when ${u} \\le 0$. " + hoeffding_text,
            "",
        ]
    lines += [
        "**Doob / Ville maximal bound.** On the event "
        f"$\\{{{max_t} {S} - x_0 \\ge d\\}}$ the martingale $Z(\\theta)$ stopped at the "
        "passage time $\\tau \\le t$ is at least $e^{\\theta d - \\tau K(\\theta)} \\ge "
        "e^{\\theta d - t K(\\theta)^+}$, and Ville's inequality for the stopped martingale gives",
        "",
        f"$$ P\\Bigl({max_t} {S} - x_0 \\ge d\\Bigr) \\le \\inf_{{\\theta \\ge 0}} "
        "e^{-\\theta d + t K(\\theta)^+}. $$",
        "",
        "$K$ is convex with $K(0) = 0$: negative on $(0, \\theta^*)$, where the exponent "
        "$-\\theta d$ is least at $\\theta^*$, and beyond it the Chernoff exponent. So "
        "the bound is the Chernoff value when $\\theta_c \\ge \\theta^*$ and $e^{-\\theta^* d}$ "
        "(Lundberg's bound) otherwise: the maximum up to $t$ costs nothing over the "
        "endpoint in the first case.",
        "",
        "**Time-uniform line crossing** (Howard, Ramdas, McAuliffe & Sekhon 2020/2021). "
        "For a slope $c$, $e^{\\theta (S_t - x_0 - c t)}$ is a nonnegative supermartingale "
        "wherever",
        "",
        f"$$ {L(eb.line_equation.lhs)} \\le {L(eb.line_equation.rhs)}, $$",
        "",
        "and Ville's inequality gives, for all horizons at once,",
        "",
        "$$ P\\bigl(\\exists\\, t \\ge 1:\\ S_t - x_0 \\ge d + c\\,t\\bigr) \\le "
        "e^{-\\theta_\\ell d}, \\qquad \\theta_\\ell = \\sup\\{\\theta \\ge 0: K(\\theta) "
        "\\le c\\theta\\}, $$",
        "",
        "the positive root of "
        f"${L(eb.line_equation)}$ (the adjustment coefficient of the steps $X - c$; "
        "$\\theta_\\ell = \\infty$, a zero bound, where the steps can never climb the line, "
        "and the bound is $1$ when $c \\le E[X]$). " + line_text,
        "",
    ]
    return lines


REFERENCES = (
    Reference(
        "asmussen2010",
        "S. Asmussen and H. Albrecher, Ruin Probabilities, 2nd ed., World Scientific "
        "(2010), ch. IV (Lundberg's inequality and Cramér-Lundberg approximation) and "
        "ch. XIII (random walks).",
        '@book{asmussen2010,\n  author = {Asmussen, S{\\o}ren and Albrecher, Hansj{\\"o}rg},\n'
        "  title = {Ruin Probabilities}, edition = {2nd},\n"
        "  publisher = {World Scientific}, year = {2010}\n}",
    ),
    Reference(
        "hoeffding1963",
        "W. Hoeffding, Probability inequalities for sums of bounded random variables, "
        "J. Amer. Statist. Assoc. 58 (1963) 13-30; K. Azuma, Weighted sums of certain "
        "dependent random variables, Tohoku Math. J. 19 (1967) 357-367.",
        "@article{hoeffding1963,\n  author = {Hoeffding, Wassily},\n"
        "  title = {Probability inequalities for sums of bounded random variables},\n"
        "  journal = {J. Amer. Statist. Assoc.}, volume = {58}, pages = {13--30},\n"
        "  year = {1963}\n}",
    ),
    Reference(
        "howard2021",
        "S. R. Howard, A. Ramdas, J. McAuliffe and J. Sekhon, Time-uniform Chernoff bounds "
        "via nonnegative supermartingales, Probab. Surveys 17 (2020) 257-317; and "
        "Time-uniform, nonparametric, nonasymptotic confidence sequences, Ann. Statist. "
        "49 (2021) 1055-1080.",
        "@article{howard2021,\n  author = {Howard, Steven R. and Ramdas, Aaditya and "
        "McAuliffe, Jon and Sekhon, Jasjeet},\n"
        "  title = {Time-uniform, nonparametric, nonasymptotic confidence sequences},\n"
        "  journal = {Ann. Statist.}, volume = {49}, number = {2}, pages = {1055--1080},\n"
        "  year = {2021}\n}",
    ),
)
