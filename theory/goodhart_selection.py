r"""Goodhart selection: passing candidates on a proxy correlated with the true value.

A candidate has a true value :math:`V` and a proxy score :math:`A` (what a
metric, an evaluation or a detector sees), standard bivariate normal with
correlation :math:`\rho`. Selection passes a candidate when :math:`A > c`. A
*deceptive* pass is one that passes while its true value is negative
(:math:`V < 0`). Selecting the top fraction :math:`q` by the proxy is the same
rule at the threshold :math:`z_q = \Phi^{-1}(1 - q)`.

Everything is derived by sympy from the conditional law
:math:`V \mid A = a \sim N(\rho a, 1 - \rho^2)`: the inner integrals over
:math:`v` give :math:`P(V < 0 \mid A = a)` and :math:`E[V \mid A = a] = \rho a`;
the outer integral over :math:`a > c` gives the selected mean
:math:`\rho\varphi(c)/(1 - \Phi(c))` (regressional Goodhart) and, for the
deceptive probability, an integral that sympy identifies with Owen's
:math:`T` function by checking that both sides have the same derivative in
:math:`c` and the same limit :math:`0` as :math:`c \to \infty`:

.. math:: P(A > c, V < 0) = \tfrac12 (1 - \Phi(c)) - T\!\left(c,
          \rho/\sqrt{1-\rho^2}\right),

which at :math:`c = 0` is the orthant probability
:math:`1/4 - \arcsin(\rho)/(2\pi)` (Sheppard 1899). :math:`\rho = \pm 1`
(:math:`V = \pm A`) is a degenerate case with its own (derived) formula.

Evaluation: scipy's ``owens_t``/``ndtr`` where the formula does not cancel;
when :math:`\rho > 0`, :math:`c > 0` the two terms nearly cancel (the result
can be many orders of magnitude below either), so there the derived integral
:math:`\int_c^\infty \varphi(a)\Phi(-\rho a/\sqrt{1-\rho^2})\,da` is integrated
by QUADPACK in log-scaled form (relative accuracy about 1e-13, no underflow).
Conditional rates are computed as ratios in log space, so they stay finite for
any threshold.

Sources: D. B. Owen, Tables for computing bivariate normal probabilities,
Ann. Math. Statist. 27 (1956); W. F. Sheppard (1899); D. Manheim and
S. Garrabrant, Categorizing variants of Goodhart's law (2018).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import sympy as sp
from driftkit.theory._base import Model, Parameter, Quantity, Reference
from driftkit.theory._cache import disk_cache
from driftkit.theory._registry import register
from scipy import integrate, special

__all__ = ["GoodhartSelection", "OwenT", "deceptive", "log_deceptive"]

# Model symbols
rho = sp.Symbol(r"\rho", real=True)
c = sp.Symbol("c", real=True)
q = sp.Symbol("q", positive=True)  # the top fraction
z_q = sp.Symbol("z_q", real=True)  # Phi^{-1}(1 - q), for display
# Integration symbols
a, v, x, h, lam = sp.symbols("a v x h lambda", real=True)
s = sp.Symbol("s", positive=True)  # sqrt(1 - rho^2), positive when |rho| < 1

_Phi = sp.Function(r"\Phi")  # display only: the standard normal CDF
_phi = sp.Function(r"\varphi")  # display only: the standard normal density


class OwenT(sp.Function):
    r"""Owen's :math:`T(h, \lambda) = \frac{1}{2\pi}\int_0^\lambda
    \frac{e^{-h^2(1+x^2)/2}}{1+x^2}\,dx` (numerically: ``scipy.special.owens_t``)."""

    nargs = 2

    def _latex(self, printer):
        hh, ll = self.args
        return rf"T\left({printer._print(hh)}, {printer._print(ll)}\right)"

    def rewrite_as_integral(self) -> sp.Expr:
        hh, ll = self.args
        xx = sp.Dummy("x", real=True)
        return sp.Integral(sp.exp(-(hh**2) * (1 + xx**2) / 2) / (1 + xx**2), (xx, 0, ll)) / (
            2 * sp.pi
        )


def _std_phi(t: sp.Expr) -> sp.Expr:
    return sp.exp(-(t**2) / 2) / sp.sqrt(2 * sp.pi)


def _std_Phi(t: sp.Expr) -> sp.Expr:
    return sp.erfc(-t / sp.sqrt(2)) / 2


def _undisplay(expr: sp.Expr) -> sp.Expr:
    """Replace the display functions Phi, phi by their erfc/exp definitions."""
    return expr.replace(_Phi, _std_Phi).replace(_phi, _std_phi)


CASES = ("general", "orthant", "rho_one", "rho_minus_one")
_CASE_TEXT = {
    "general": r"$|\rho| < 1$",
    "orthant": r"$c = 0$ (orthant probability)",
    "rho_one": r"$\rho = 1$ ($V = A$)",
    "rho_minus_one": r"$\rho = -1$ ($V = -A$)",
}


@dataclass(frozen=True)
class _Derived:
    cond_pdf: sp.Expr  # density of V given A = a, in s = sqrt(1 - rho^2)
    p_neg: sp.Expr  # P(V < 0 | A = a)
    cond_mean: sp.Expr  # E[V | A = a]
    survival: sp.Expr  # P(A > c)
    mean_numerator: sp.Expr  # E[V 1{A > c}]
    deceptive_integral: sp.Integral  # P(A > c, V < 0) as the outer integral
    owen_dh: sp.Expr  # d/dh T(h, lambda), from the integral definition
    derivative_residual: sp.Expr  # d/dc (claim) + integrand: simplifies to 0
    owen_at_zero: sp.Expr  # T(0, lambda)
    deceptive: dict  # case -> P(A > c, V < 0)
    deceptive_display: dict  # case -> the same with Phi, phi
    selected_mean: sp.Expr


@disk_cache
def _derive() -> _Derived:
    """Derive every formula (a few seconds, done once)."""
    cond_pdf = sp.exp(-((v - rho * a) ** 2) / (2 * s**2)) / sp.sqrt(2 * sp.pi * s**2)
    p_neg = sp.simplify(sp.integrate(cond_pdf, (v, -sp.oo, 0)))
    cond_mean = sp.simplify(sp.integrate(v * cond_pdf, (v, -sp.oo, sp.oo)))
    survival = sp.integrate(_std_phi(a), (a, c, sp.oo))
    mean_numerator = sp.simplify(sp.integrate(_std_phi(a) * cond_mean, (a, c, sp.oo)))
    selected_mean = sp.simplify(mean_numerator / survival)
    deceptive_integral = sp.Integral(_std_phi(a) * p_neg, (a, c, sp.oo))
    # Owen's T: differentiate the defining integral in h under the integral sign
    t_int = sp.Integral(sp.exp(-(h**2) * (1 + x**2) / 2) / (1 + x**2), (x, 0, lam)) / (2 * sp.pi)
    owen_dh = sp.simplify(sp.diff(t_int, h).doit())
    owen_at_zero = sp.simplify(t_int.subs(h, 0).doit())
    # claim D(c) = survival/2 - T(c, rho/s): dD/dc must equal -(integrand at c)
    claim_dc = sp.diff(survival / 2, c) - owen_dh.subs({h: c, lam: rho / s})
    residual = claim_dc + (_std_phi(a) * p_neg).subs(a, c)
    # sympy's derivative carries |h|: check c > 0, c < 0 and c = 0 separately
    cp = sp.Symbol("c", positive=True)
    parts = [sp.simplify(residual.subs(c, sgn * cp).rewrite(sp.erf)) for sgn in (1, -1)]
    parts.append(sp.simplify(residual.subs(c, 0)))
    if any(r != 0 for r in parts):  # pragma: no cover - a sympy regression
        raise AssertionError(f"Owen's T identity failed: residuals {parts}")
    residual = sp.Integer(0)
    sq = sp.sqrt(1 - rho**2)
    general = survival / 2 - OwenT(c, rho / sq)
    # c = 0: T(0, lambda) = atan(lambda)/(2 pi) and atan(rho/sqrt(1-rho^2)) = asin(rho)
    orthant_atan = (survival / 2).subs(c, 0) - owen_at_zero.subs(lam, rho / sq)
    orthant = sp.Rational(1, 4) - sp.asin(rho) / (2 * sp.pi)
    # same derivative in rho on (-1, 1) and same value at rho = 0
    same = sp.simplify(sp.diff(orthant_atan - orthant, rho)) == 0 and (
        sp.simplify((orthant_atan - orthant).subs(rho, 0)) == 0
    )
    if not same:  # pragma: no cover - a sympy regression
        raise AssertionError("orthant identity atan(rho/sqrt(1-rho^2)) = asin(rho) failed")
    # rho = +-1: V = rho A, so {V < 0} = {rho A < 0}
    b = sp.Symbol("b", real=True)
    rho_one = sp.integrate(_std_phi(a), (a, b, 0)).subs(b, sp.Min(c, 0))  # A in (c, 0)
    rho_minus_one = survival.subs(c, sp.Max(c, 0))  # A > max(c, 0)
    deceptive = {
        "general": general,
        "orthant": orthant,
        "rho_one": rho_one,
        "rho_minus_one": rho_minus_one,
    }
    display = {
        "general": (1 - _Phi(c)) / 2 - OwenT(c, rho / sq),
        "orthant": orthant,
        "rho_one": sp.Max(0, sp.Rational(1, 2) - _Phi(c)),
        "rho_minus_one": 1 - _Phi(sp.Max(c, 0)),
    }
    for case in ("general", "rho_minus_one"):
        diff = sp.simplify((_undisplay(display[case]) - deceptive[case]).rewrite(sp.erf))
        if diff != 0:  # pragma: no cover - a sympy regression
            raise AssertionError(f"display form of the deceptive probability ({case}): {diff}")
    for cv in (-1, 1):  # rho = 1 uses Max/Min: compare on both sides of 0
        diff = sp.simplify((_undisplay(display["rho_one"]) - rho_one).subs(c, cv).rewrite(sp.erf))
        if diff != 0:  # pragma: no cover
            raise AssertionError(f"display form (rho = 1) differs at c = {cv}: {diff}")
    return _Derived(
        cond_pdf,
        p_neg,
        cond_mean,
        survival,
        mean_numerator,
        deceptive_integral,
        owen_dh,
        residual,
        owen_at_zero,
        deceptive,
        display,
        selected_mean,
    )


# -- numerics ---------------------------------------------------------------------------


def _case(rho_v: float, c_v: float) -> str:
    if c_v == 0.0:
        return "orthant"  # valid for every rho in [-1, 1]
    if rho_v == 1.0:
        return "rho_one"
    if rho_v == -1.0:
        return "rho_minus_one"
    return "general"


def _log_tail_integral(c_v: float, lam_v: float) -> float:
    r"""log of :math:`\int_c^\infty \varphi(a)\Phi(-\lambda a)\,da` for ``c > 0``, in log space.

    Written as :math:`\varphi(c)\Phi(-\lambda c)\int_0^\infty e^{g(t)}dt` with
    :math:`g(t) = -ct - t^2/2 + \log\Phi(-\lambda(c+t)) - \log\Phi(-\lambda c)`,
    :math:`g(0) = 0` and :math:`g` decreasing, so nothing under- or overflows.
    """
    base = special.log_ndtr(-lam_v * c_v)
    if lam_v > 0:
        # log Phi(-y) = -y^2/2 + log erfcx(y/sqrt 2) + const: the difference of the two
        # logs is formed without cancelling two numbers of size (lambda c)^2/2
        lam2, ex0 = lam_v * lam_v, math.log(special.erfcx(lam_v * c_v / math.sqrt(2.0)))

        def f(t: float) -> float:
            ex = math.log(special.erfcx(lam_v * (c_v + t) / math.sqrt(2.0)))
            return math.exp(-c_v * t - 0.5 * t * t - 0.5 * lam2 * t * (2 * c_v + t) + ex - ex0)

    else:

        def f(t: float) -> float:
            return math.exp(-c_v * t - 0.5 * t * t + special.log_ndtr(-lam_v * (c_v + t)) - base)

    # the integrand decays at least like exp(-c t): integrate to where it is < 1e-300,
    # in units of its decay scale (it falls like exp(-(c + lambda^2 c) t) near 0)
    end = min(700.0 / c_v, math.sqrt(1400.0))
    scale = 1.0 / (c_v * (1.0 + lam_v * lam_v) + 1.0)
    pts = [p for p in (1.0, 4.0, 16.0, 64.0, 256.0) if p < end / scale]
    val, _ = integrate.quad(
        lambda u: f(u * scale), 0.0, end / scale, points=pts, epsabs=0.0, epsrel=1e-13, limit=400
    )
    val *= scale
    log_phi_c = -0.5 * c_v * c_v - 0.5 * math.log(2 * math.pi)
    return log_phi_c + base + math.log(val)


def _orthant(rho_v: float) -> float:
    """Sheppard's 1/4 - asin(rho)/(2 pi); as acos(rho)/(2 pi) for rho > 0.9 (no cancellation)."""
    if rho_v > 0.9:
        return math.acos(rho_v) / (2 * math.pi)
    return 0.25 - math.asin(rho_v) / (2 * math.pi)


def log_deceptive(rho_v: float, c_v: float) -> float:
    """``log P(A > c, V < 0)`` (``-inf`` where it is exactly 0)."""
    log_sf = float(special.log_ndtr(-c_v))
    case = _case(rho_v, c_v)
    if case == "orthant":
        val = _orthant(rho_v)
        return math.log(val) if val > 0 else -math.inf
    if case == "rho_one":  # A in (c, 0)
        return math.log(0.5 - special.ndtr(c_v)) if c_v < 0 else -math.inf
    if case == "rho_minus_one":  # A > max(c, 0)
        return log_sf if c_v > 0 else math.log(0.5)
    lam_v = rho_v / math.sqrt((1.0 - rho_v) * (1.0 + rho_v))
    if c_v > 0:
        half_sf = 0.5 * special.ndtr(-c_v)
        if rho_v <= 0 and half_sf > 1e-290:  # a sum of two nonnegative terms: no cancellation
            return math.log(half_sf - special.owens_t(c_v, lam_v))
        return _log_tail_integral(c_v, lam_v)
    # c < 0: 1/2 P(A > c) >= 1/4 and the result is >= the orthant value; no underflow
    val = 0.5 * special.ndtr(-c_v) - special.owens_t(c_v, lam_v)
    if rho_v > 0 and val < 1e-3 * 0.5 * special.ndtr(-c_v):  # rho -> 1: cancellation
        return _log_tail_integral_neg(c_v, lam_v)
    return math.log(val)


def _log_tail_integral_neg(c_v: float, lam_v: float) -> float:
    """``c < 0``, ``rho`` near 1: P(A > c, V < 0) = P(A > 0, V < 0) + P(c < A < 0, V < 0)."""
    orth = math.atan2(1.0, lam_v) / (2 * math.pi)  # 1/4 - atan(lam)/(2 pi), no cancellation

    def f(t: float) -> float:
        return math.exp(-0.5 * t * t + special.log_ndtr(-lam_v * t)) / math.sqrt(2 * math.pi)

    part, _ = integrate.quad(f, c_v, 0.0, epsabs=0.0, epsrel=1e-13, limit=400)
    return math.log(orth + part)


def deceptive(rho_v: float, c_v: float) -> float:
    """``P(A > c, V < 0)`` for standard bivariate normal ``(A, V)`` with correlation ``rho``."""
    if c_v == 0.0:
        return _orthant(rho_v)
    return math.exp(log_deceptive(rho_v, c_v))


def _selected_mean(rho_v: float, c_v: float) -> float:
    # rho phi(c) / (1 - Phi(c)) in log space (the inverse Mills ratio never overflows)
    if c_v == -math.inf:
        return 0.0
    log_ratio = -0.5 * c_v * c_v - 0.5 * math.log(2 * math.pi) - special.log_ndtr(-c_v)
    return rho_v * math.exp(log_ratio)


def _false_pass(rho_v: float, c_v: float) -> float:
    if c_v == -math.inf:
        return 0.5  # everything passes: P(V < 0) = 1/2
    # a conditional probability: clip the last-ulp roundoff of the log difference
    # (1 + 1e-13 was returned at rho = -0.9999997, c = 38.5) back into [0, 1]
    return min(1.0, math.exp(log_deceptive(rho_v, c_v) - special.log_ndtr(-c_v)))


def _z(fraction: float) -> float:
    """``Phi^{-1}(1 - q)``, accurate for small ``q`` (``-inf`` at ``q = 1``)."""
    return -float(special.ndtri(fraction))


def _real(low: float, high: float, low_open: bool = False, high_open: bool = False) -> dict:
    return {"low": low, "high": high, "low_open": low_open, "high_open": high_open}


@register
class GoodhartSelection(Model):
    r"""Selection on a proxy :math:`A` correlated (:math:`\rho`) with the true value :math:`V`.

    :math:`(A, V)` standard bivariate normal; a candidate passes when
    :math:`A > c`, or (the ``top_fraction_*`` quantities) when it is in the top
    fraction :math:`q` by :math:`A`, i.e. :math:`A > z_q = \Phi^{-1}(1 - q)`.

    .. math:: P(A > c, V < 0) = \tfrac12(1 - \Phi(c)) - T(c, \rho/\sqrt{1-\rho^2}),\qquad
              E[V \mid A > c] = \frac{\rho\,\varphi(c)}{1 - \Phi(c)}.

    Sources: Owen (1956); Sheppard (1899); Manheim & Garrabrant (2018).

    Examples
    --------
    >>> import math
    >>> from driftkit.theory.goodhart_selection import GoodhartSelection
    >>> m = GoodhartSelection(rho=0.8, c=0.0)
    >>> m.value("deceptive_probability") == 0.25 - math.asin(0.8) / (2 * math.pi)
    True
    """

    name = "goodhart-selection"
    title = "Goodhart selection (passing on a correlated proxy)"
    summary = (
        "True value V and proxy A bivariate normal with correlation rho; pass when A > c: "
        "deceptive passes and regressional Goodhart."
    )
    curve_parameter = "rho"
    plot_quantities = ("deceptive_probability", "false_pass_rate", "selected_true_mean")
    parameters = (
        Parameter(
            "rho",
            0.8,
            "correlation of the proxy A with the true value V, in [-1, 1]",
            **_real(-1.0, 1.0),
            latex=r"\rho",
        ),
        Parameter(
            "c",
            0.0,
            "pass threshold on the proxy (pass when A > c)",
            **_real(-math.inf, math.inf, True, True),
            latex="c",
        ),
        Parameter(
            "fraction",
            0.1,
            "top fraction q selected by the proxy (top_fraction_* quantities), in (0, 1]",
            **_real(0.0, 1.0, low_open=True),
            latex="q",
        ),
    )
    quantities = (
        Quantity(
            "deceptive_probability",
            "P(A > c, V < 0): a candidate passes while its true value is negative",
            r"P(A > c, V < 0)",
        ),
        Quantity(
            "false_pass_rate",
            "P(V < 0 | A > c): the fraction of passed candidates whose true value is negative",
            r"P(V < 0 \mid A > c)",
        ),
        Quantity(
            "selected_true_mean",
            "E[V | A > c]: mean true value of the passed candidates (regressional Goodhart)",
            r"E[V \mid A > c]",
        ),
        Quantity(
            "top_fraction_true_mean",
            "E[V | A > z_q]: mean true value of the top fraction q by the proxy",
            r"E[V \mid A > z_q]",
        ),
        Quantity(
            "top_fraction_deceptive_rate",
            "P(V < 0 | A > z_q): fraction of the top fraction q whose true value is negative",
            r"P(V < 0 \mid A > z_q)",
        ),
    )
    references = (
        Reference(
            "owen1956",
            "D. B. Owen, Tables for computing bivariate normal probabilities, "
            "Annals of Mathematical Statistics 27(4), 1075-1090 (1956).",
            "@article{owen1956,\n  author = {Owen, Donald B.},\n"
            "  title = {Tables for Computing Bivariate Normal Probabilities},\n"
            "  journal = {Annals of Mathematical Statistics}, volume = {27},\n"
            "  number = {4}, pages = {1075--1090}, year = {1956}\n}",
        ),
        Reference(
            "sheppard1899",
            "W. F. Sheppard, On the application of the theory of error to cases of normal "
            "distribution and normal correlation, Phil. Trans. R. Soc. A 192, 101-167 (1899).",
            "@article{sheppard1899,\n  author = {Sheppard, W. F.},\n"
            "  title = {On the Application of the Theory of Error to Cases of Normal "
            "Distribution and Normal Correlation},\n"
            "  journal = {Philosophical Transactions of the Royal Society A},\n"
            "  volume = {192}, pages = {101--167}, year = {1899}\n}",
        ),
        Reference(
            "manheim2018",
            "D. Manheim and S. Garrabrant, Categorizing variants of Goodhart's law, "
            "arXiv:1803.04585 (2018).",
            "@misc{manheim2018,\n  author = {Manheim, David and Garrabrant, Scott},\n"
            "  title = {Categorizing Variants of {G}oodhart's Law},\n"
            "  year = {2018}, eprint = {1803.04585}, archivePrefix = {arXiv}\n}",
        ),
    )

    def curve_range(self, param: str) -> tuple[float, float]:
        """``rho`` in ``(-0.99, 0.99)``; ``c`` in ``(-3, 3)``; ``fraction`` in ``(0.01, 1)``."""
        ranges = {"rho": (-0.99, 0.99), "c": (-3.0, 3.0), "fraction": (0.01, 1.0)}
        if param in ranges:
            return ranges[param]
        return super().curve_range(param)

    @property
    def z_q(self) -> float:
        """The top-fraction threshold ``Phi^{-1}(1 - fraction)``."""
        return _z(self["fraction"])

    # -- formulas ---------------------------------------------------------
    def _deceptive_at(self, threshold: sp.Expr, case: bool, display: bool, at: float) -> sp.Expr:
        d = _derive()
        forms = d.deceptive_display if display else d.deceptive
        if case:
            return forms[_case(self["rho"], at)].subs(c, threshold)
        return sp.Piecewise(
            (forms["orthant"], sp.Eq(c, 0)),
            (forms["rho_one"], sp.Eq(rho, 1)),
            (forms["rho_minus_one"], sp.Eq(rho, -1)),
            (forms["general"], True),
        ).subs(c, threshold)

    def _formula(self, name: str, case: bool, display: bool) -> sp.Expr:
        d = _derive()
        if display:
            zq, sf, sfq = z_q, 1 - _Phi(c), q
            mean = rho * _phi(c) / (1 - _Phi(c))
        else:
            zq = sp.sqrt(2) * sp.erfinv(1 - 2 * q)
            sf, sfq, mean = d.survival, q, d.selected_mean
        c_v, z_v = self["c"], self.z_q
        if name == "deceptive_probability":
            return self._deceptive_at(c, case, display, c_v)
        if name == "false_pass_rate":
            return self._deceptive_at(c, case, display, c_v) / sf
        if name == "selected_true_mean":
            return mean
        if name == "top_fraction_true_mean":
            return rho * _phi(zq) / q if display else d.mean_numerator.subs(c, zq) / q
        return self._deceptive_at(zq, case, display, z_v) / sfq

    def _expression(self, name: str, case: bool) -> sp.Expr:
        return self._formula(name, case, display=False)

    def latex(self, name: str) -> str:
        """LaTeX in Phi, phi and Owen's T (and z_q = Phi^{-1}(1 - q)) for this model's case."""
        expr = self._formula(name, True, display=True)
        where = r"\qquad z_q = \Phi^{-1}(1 - q)" if name.startswith("top_") else ""
        return f"{self.quantity(name).symbol} = {sp.latex(expr)}{where}"

    def _value(self, name: str) -> float:
        r, cv = self["rho"], self["c"]
        if name == "deceptive_probability":
            return deceptive(r, cv)
        if name == "false_pass_rate":
            return _false_pass(r, cv)
        if name == "selected_true_mean":
            return _selected_mean(r, cv)
        if name == "top_fraction_true_mean":
            return _selected_mean(r, self.z_q)
        return _false_pass(r, self.z_q)

    # -- derivation -------------------------------------------------------
    def derivation(self) -> str:
        d = _derive()
        X = sp.latex
        dec_lines = []
        for case in CASES:
            dec_lines += [
                f"- {_CASE_TEXT[case]}: $P(A > c, V < 0) = {X(d.deceptive_display[case])}$",
            ]
        lines = [
            f"## {self.title}: derivation",
            "",
            "**Model.** $(A, V)$ standard bivariate normal with correlation "
            "$\\rho \\in [-1, 1]$: $A$ the proxy (what selection sees), $V$ the true value. "
            "A candidate passes when $A > c$; the top fraction $q$ by $A$ passes when "
            "$A > z_q = \\Phi^{-1}(1 - q)$. A *deceptive* pass has $V < 0$.",
            "",
            "**Assumptions.** Joint normality; the threshold is fixed in advance (selection at "
            "the population quantile, not the empirical top $q n$ of a finite batch).",
            "",
            "### Conditional law",
            "",
            "Write $V = \\rho A + s Z$ with $Z$ independent of $A$ and "
            "$s = \\sqrt{1-\\rho^2}$. Given $A = a$, $V$ has density",
            "",
            f"$$ f(v \\mid a) = {X(d.cond_pdf)}, $$",
            "",
            "and sympy's integrals over $v$ give",
            "",
            f"$$ P(V < 0 \\mid A = a) = {X(d.p_neg)}, \\qquad E[V \\mid A = a] = "
            f"{X(d.cond_mean)}. $$",
            "",
            "### Selected mean (regressional Goodhart)",
            "",
            f"$$ E[V\\,\\mathbf{{1}}\\{{A > c\\}}] = \\int_c^\\infty \\varphi(a)\\,\\rho a\\,da = "
            f"{X(d.mean_numerator)}, \\qquad P(A > c) = {X(d.survival)}, $$",
            "",
            f"$$ E[V \\mid A > c] = {X(d.selected_mean)} = "
            f"\\frac{{\\rho\\,\\varphi(c)}}{{1 - \\Phi(c)}}. $$",
            "",
            "For the top fraction, $1 - \\Phi(z_q) = q$: "
            "$E[V \\mid A > z_q] = \\rho\\,\\varphi(z_q)/q$. The proxy's selection "
            "differential is shrunk by $\\rho$: the selected candidates are better than "
            "average, but by less than the proxy says.",
            "",
            "### Deceptive passes",
            "",
            f"$$ D(c) = P(A > c, V < 0) = {X(d.deceptive_integral)}. $$",
            "",
            "Owen's function $T(h, \\lambda) = \\frac{1}{2\\pi}\\int_0^\\lambda "
            "\\frac{e^{-h^2(1+x^2)/2}}{1+x^2}dx$ differentiated under the integral sign "
            f"gives $\\partial_h T = {X(d.owen_dh)}$. With $\\lambda = \\rho/s$, the claim "
            "$D(c) = \\tfrac12 P(A > c) - T(c, \\rho/s)$ has the derivative "
            "$-\\varphi(c) P(V < 0 \\mid A = c) = D'(c)$ (sympy simplifies the difference "
            f"to ${X(d.derivative_residual)}$), and both sides tend to $0$ as "
            "$c \\to \\infty$ (the integrand of $T$ is at most $e^{-c^2/2}/(1+x^2)$, so "
            "$|T(c, \\lambda)| \\le e^{-c^2/2}|\\arctan\\lambda|/(2\\pi)$). Hence, by cases:",
            "",
            *dec_lines,
            "",
            f"At $c = 0$, $T(0, \\lambda) = {X(d.owen_at_zero)}$ and "
            "$\\arctan(\\rho/\\sqrt{1-\\rho^2}) = \\arcsin\\rho$ (same derivative in $\\rho$, "
            "equal at $0$): Sheppard's orthant probability. For $\\rho = \\pm 1$, "
            "$V = \\pm A$ and the event is $\\{c < A < 0\\}$ or $\\{A > \\max(c, 0)\\}$.",
            "",
            "The false-pass rate is $D(c)/P(A > c)$, and the top-fraction deceptive rate is "
            "$D(z_q)/q$.",
            "",
            "### Evaluation",
            "",
            "scipy's `owens_t` and `ndtr` where the two terms do not cancel. For "
            "$\\rho > 0$, $c > 0$ they do (the result can be far below either term), so "
            "there $D(c)$ is computed from the integral above in log-scaled form "
            "($\\varphi(c)\\Phi(-\\lambda c)\\int_0^\\infty e^{g(t)}dt$, $g(0) = 0$, "
            "QUADPACK to $10^{-13}$ relative); ratios are formed in log space, so the "
            "conditional quantities are finite for any threshold.",
            "",
            "**Sources.** D. B. Owen, *Ann. Math. Statist.* 27 (1956); W. F. Sheppard, "
            "*Phil. Trans. R. Soc. A* 192 (1899); D. Manheim and S. Garrabrant, "
            "*Categorizing variants of Goodhart's law* (2018).",
            "",
        ]
        return "\n".join(lines)
