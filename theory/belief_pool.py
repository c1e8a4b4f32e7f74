r"""Belief pool: Eicher's Level-1 simulation, a finite pool of beliefs scored by test questions.

The configuration of Eicher, *Simulating the Evolution of Alignment and Values in
Machine Intelligence* (arXiv:2604.05274, 2026), Level 1, as set in the author's
``configs/level1_final_sweeps.yaml``: a pool of :math:`P` beliefs, each a true value
:math:`V` and an alignment :math:`A`, standard bivariate normal with correlation
:math:`\rho`; each belief activates :math:`m = \max(1, \lfloor n_q d\rfloor)` of the
:math:`n_q` test questions, chosen uniformly without replacement; :math:`N` models each
hold :math:`K` distinct pool beliefs chosen uniformly. A model's fitness is the mean, over
the questions its beliefs activate, of the mean alignment of its beliefs that activate
that question. Each generation draws :math:`N` parents with replacement with softmax
probabilities :math:`\propto e^{\beta F_j}`, and each child copies its parent's beliefs
(no mutation). A belief is deceptive when :math:`V < 0` and :math:`A > 0`; the deceptive
ratio counts every belief slot of every model (a belief held by several models counts
once per model).

Theory. Selection sees only alignments, so without selection (:math:`\beta = 0` or no
generation) every slot holds a prior draw and the expected ratio is Sheppard's orthant
probability :math:`1/4 - \arcsin(\rho)/(2\pi)` (exact, any sizes). Under selection there is
no closed form; ``deceptive_ratio`` is the strong-selection approximation "the population
fixes on the fittest initial model" (a calibrated allowance where it was measured), and
the proposed bracket :math:`[1/4 - \arcsin\rho/(2\pi),\ 1/2 - \arcsin\rho/\pi]` is given as
its two ends, exact pool quantities, with the conditions under which the bracket holds:
it is *not* a rigorous bound (see :meth:`BeliefPool.derivation`).

Sources: J. E. Eicher (2026) and its public repository; W. F. Sheppard (1899).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
import sympy as sp
from driftkit.theory._base import Allowance, Model, Parameter, ParameterError, Quantity
from driftkit.theory._cache import disk_cache
from driftkit.theory._registry import register
from driftkit.theory.belief_evolution import BeliefEvolution
from driftkit.theory.goodhart_selection import GoodhartSelection
from scipy import special

__all__ = ["BeliefPool", "active_questions", "fittest_model_ratio"]

# Model symbols
rho = sp.Symbol(r"\rho", real=True)
n_models = sp.Symbol("N", integer=True, positive=True)
k_beliefs = sp.Symbol("K", integer=True, positive=True)
# Integration symbols
r, theta, x, y, f, u = sp.symbols("r theta x y f u", real=True)
t = sp.Symbol("t", positive=True)  # rho in (0, 1) for the angle identity
s = sp.Symbol("s", positive=True)  # sqrt(1 - rho^2)

_Phi = sp.Function(r"\Phi")  # display only
_R = sp.Function("R")  # display only: the deceptive share of a model with mean signal f
_g = sp.Function("g")  # display only: density of the fittest initial model's signal

#: largest models * beliefs per model, and pool * active questions (simulation memory)
MAX_CELLS = 10_000_000
MAX_GENERATIONS = 100_000
#: where the strong-selection approximation of ``deceptive_ratio`` was calibrated: the
#: paper's sizes, beta * generations >= STRONG_SELECTION_MIN, rho >= CALIBRATED_RHO_MIN
CALIBRATED_SIZES = {
    "pool_size": 3000,
    "n_models": 300,
    "beliefs_per_model": 50,
    "n_questions": 100,
    "activation_density": 0.1,
}
STRONG_SELECTION_MIN = 100.0
CALIBRATED_RHO_MIN = -0.6
#: the allowance there: twice the largest |theory - simulation| measured (0.011)
STRONG_SELECTION_ALLOWANCE = 0.02


def _std_phi(z: sp.Expr) -> sp.Expr:
    return sp.exp(-(z**2) / 2) / sp.sqrt(2 * sp.pi)


@dataclass(frozen=True)
class _Derived:
    wedge_low: sp.Expr  # lower angle of the deceptive wedge in the (X, Y) plane
    orthant_polar: sp.Expr  # P(A > 0, V < 0) by the polar integral
    orthant: sp.Expr  # the same in Sheppard's form 1/4 - asin(rho)/(2 pi)
    angle_residual: sp.Expr  # d/drho [atan(rho/s) - asin(rho)]: 0
    positive: sp.Expr  # P(A > 0)
    conditional: sp.Expr  # P(V < 0 | A > 0)


@disk_cache
def _derive() -> _Derived:
    """Derive the orthant probability in polar coordinates and the conditional share."""
    # (A, V) = (X, rho X + s Y) with X, Y independent standard normal. {A > 0, V < 0} is
    # the wedge X > 0, Y < -(rho/s) X: polar angles from -pi/2 to -atan(rho/s).
    wedge_low = -sp.pi / 2
    wedge_high = -sp.atan(rho / s)
    radial = sp.integrate(r * sp.exp(-(r**2) / 2) / (2 * sp.pi), (r, 0, sp.oo))
    polar = sp.integrate(radial, (theta, wedge_low, wedge_high))
    polar = sp.simplify(polar)
    # atan(rho / sqrt(1 - rho^2)) = asin(rho): same derivative on (0, 1), equal at 0
    gap = (sp.atan(t / sp.sqrt(1 - t**2)) - sp.asin(t)).rewrite(sp.log)
    residual = sp.simplify(sp.diff(sp.atan(t / sp.sqrt(1 - t**2)) - sp.asin(t), t))
    if residual != 0 or gap.subs(t, 0) != 0:  # pragma: no cover - a sympy regression
        raise AssertionError(f"atan(rho/s) = asin(rho) failed: residual {residual}")
    orthant = sp.simplify(polar.subs(sp.atan(rho / s), sp.asin(rho)))
    check = sp.simplify(orthant - (sp.Rational(1, 4) - sp.asin(rho) / (2 * sp.pi)))
    if check != 0:  # pragma: no cover
        raise AssertionError(f"orthant in polar coordinates: {orthant}")
    positive = sp.integrate(_std_phi(x), (x, 0, sp.oo))
    conditional = sp.simplify(orthant / positive)
    return _Derived(wedge_low, polar, orthant, residual, positive, conditional)


# -- numerics ---------------------------------------------------------------------------


def active_questions(n_questions: int, density: float) -> int:
    """Questions a belief activates: ``max(1, int(n_questions * density))`` (the paper's
    rule, the product in floating point; at most ``n_questions``)."""
    return min(n_questions, max(1, int(n_questions * density)))


def _orthant(rho_v: float) -> float:
    """``P(A > 0, V < 0) = 1/4 - asin(rho)/(2 pi)``."""
    return 0.25 - math.asin(rho_v) / (2.0 * math.pi)


#: Gauss-Legendre nodes on [0, 1] for the inner (belief) integral
_GL_X, _GL_W = np.polynomial.legendre.leggauss(160)
_GL_X, _GL_W = 0.5 * (_GL_X + 1.0), 0.5 * _GL_W


def _model_share(rho_v: float, sigma: float, shift: np.ndarray) -> np.ndarray:
    r"""``R(f) = P(A > 0, V < 0)`` for one belief of a model whose signal is ``f``:
    :math:`A \sim N(f, \sigma^2)`, :math:`V \mid A \sim N(\rho A, 1 - \rho^2)`;
    elementwise in ``shift``."""
    s_v = math.sqrt(max(0.0, (1.0 - rho_v) * (1.0 + rho_v)))
    shift = np.asarray(shift, dtype=np.float64)

    def p_neg(a: np.ndarray) -> np.ndarray:  # P(V < 0 | A = a), a > 0
        if s_v == 0.0:
            return np.full_like(a, 0.0 if rho_v > 0 else 1.0)
        return special.ndtr(-rho_v * a / s_v)

    if sigma == 0.0:
        return np.where(shift > 0.0, p_neg(np.abs(shift)), 0.0)
    # a = sigma * w, w >= 0, weight phi(w - f/sigma): integrate w over [0, f/sigma + 12]
    centre = shift / sigma
    upper = np.maximum(centre, 0.0) + 12.0
    w = upper[:, None] * _GL_X[None, :]
    dens = np.exp(-0.5 * (w - centre[:, None]) ** 2) / math.sqrt(2.0 * math.pi)
    return np.sum(upper[:, None] * _GL_W[None, :] * dens * p_neg(sigma * w), axis=1)


def fittest_model_ratio(rho_v: float, n: int, k: int) -> float:
    r"""Expected deceptive share of the fittest of ``n`` models of ``k`` prior beliefs.

    The fitness is taken as the mean signal :math:`\bar a \sim N(0, 1/k)`; the fittest
    model's :math:`\bar a` has density :math:`n\,\varphi_k(f)\Phi_k(f)^{n-1}`, and given
    :math:`\bar a = f` each belief has :math:`A \sim N(f, 1 - 1/k)`. Quadrature over
    ``f`` (trapezoid on 4001 points, the density in log space) of :func:`_model_share`.
    """
    scale = 1.0 / math.sqrt(k)
    top = math.sqrt(2.0 * math.log(n)) if n > 1 else 0.0
    z = np.linspace(-9.0, top + 9.0, 4001)
    log_dens = (
        math.log(n) - 0.5 * z * z - 0.5 * math.log(2.0 * math.pi) + (n - 1) * special.log_ndtr(z)
    )
    dens = np.exp(log_dens - log_dens.max())
    share = _model_share(rho_v, math.sqrt(1.0 - 1.0 / k), scale * z)
    value = float(np.trapezoid(dens * share, z) / np.trapezoid(dens, z))
    return min(1.0, max(0.0, value))


def _int(low: float, high: float) -> dict:
    return {"low": low, "high": high, "integer": True}


@register
class BeliefPool(Model):
    r"""Eicher's Level 1: models built from a finite pool of beliefs, scored by test questions.

    A pool of :math:`P` beliefs :math:`(V, A)` standard bivariate normal with correlation
    :math:`\rho`; each activates :math:`\max(1, \lfloor n_q d\rfloor)` of :math:`n_q`
    questions; :math:`N` models of :math:`K` distinct pool beliefs; fitness the mean over
    activated questions of the activating beliefs' mean alignment; softmax(:math:`\beta F`)
    selection with replacement and inheritance for :math:`g` generations.

    .. math:: E[R_0] = \tfrac14 - \tfrac{\arcsin\rho}{2\pi}, \qquad
              E[R_g] \approx \int g_{N,K}(f)\,R(f)\,df \ (\text{strong selection}).

    Sources: Eicher (2026); Sheppard (1899).

    Examples
    --------
    >>> import math
    >>> from driftkit.theory.belief_pool import BeliefPool
    >>> m = BeliefPool(rho=0.5)
    >>> m.value("deceptive_ratio_initial") == 0.25 - math.asin(0.5) / (2 * math.pi)
    True
    """

    name = "belief-pool"
    title = "Belief pool (Eicher's Level 1: beliefs scored by test questions)"
    summary = (
        "A pool of beliefs (value, alignment) bivariate normal with correlation rho, scored "
        "by sparse test questions; models of K pool beliefs under softmax selection and "
        "inheritance: the deceptive ratio."
    )
    curve_parameter = "rho"
    plot_quantities = ("deceptive_ratio", "deceptive_ratio_initial")
    parameters = (
        Parameter(
            "rho",
            0.5,
            "correlation of a belief's alignment A with its true value V, in [-1, 1]",
            low=-1.0,
            high=1.0,
            latex=r"\rho",
        ),
        Parameter(
            "beta",
            5.0,
            "selection pressure: softmax weight exp(beta * fitness)",
            low=0.0,
            high=math.inf,
            high_open=True,
            latex=r"\beta",
        ),
        Parameter("pool_size", 3000, "beliefs in the pool P", **_int(1, MAX_CELLS), latex="P"),
        Parameter("n_models", 300, "models in the population N", **_int(1, 1_000_000), latex="N"),
        Parameter(
            "beliefs_per_model",
            50,
            "distinct pool beliefs per model K (at most pool_size)",
            **_int(1, MAX_CELLS),
            latex="K",
        ),
        Parameter("n_questions", 100, "test questions n_q", **_int(1, 100_000), latex="n_q"),
        Parameter(
            "activation_density",
            0.1,
            "share d of the questions each belief activates: max(1, floor(n_q d)) of them",
            low=0.0,
            high=1.0,
            low_open=True,
            latex="d",
        ),
        Parameter(
            "generations",
            100,
            f"selection rounds g, an integer in [0, {MAX_GENERATIONS}]",
            **_int(0, MAX_GENERATIONS),
            latex="g",
        ),
    )
    quantities = (
        Quantity(
            "deceptive_ratio",
            "expected share of deceptive belief slots (V < 0, A > 0) after g generations: "
            "exact at beta = 0 or g = 0; otherwise the strong-selection approximation (the "
            "population fixes on the fittest initial model, fitness taken as the mean "
            "alignment), with a calibrated allowance of 0.02 at the paper's sizes where "
            "beta * generations >= 100 and rho >= -0.6, and no stated error elsewhere",
            r"E[R_g]",
            kind="approximation",
        ),
        Quantity(
            "deceptive_ratio_initial",
            "expected share of deceptive belief slots in the initial population (and in the "
            "pool): Sheppard's orthant probability, exact for any sizes",
            r"E[R_0]",
        ),
        Quantity(
            "deceptive_ratio_lower",
            "lower end of the proposed bracket: P(V < 0, A > 0) of the pool (exact). The "
            "final ratio stays above it at the paper's sizes for rho <= 0.9 (simulated), NOT "
            "for every parameter: a strong alignment shift at rho > 0 goes below it, so it "
            "is not a bound (see the derivation)",
            r"\underline{R}",
        ),
        Quantity(
            "deceptive_ratio_upper",
            "upper end of the proposed bracket: P(V < 0 given A > 0) of the pool (exact; "
            "the share if every surviving belief looked aligned). The final ratio stayed "
            "below it on a scan for rho >= 0 (not proven) and exceeds it for rho < 0 under "
            "strong selection, so it is not a bound (see the derivation)",
            r"\overline{R}",
        ),
    )
    references = (
        BeliefEvolution.references[0],  # Eicher (2026)
        GoodhartSelection.references[1],  # Sheppard (1899)
    )

    def _check(self, params: dict) -> None:
        if params["beliefs_per_model"] > params["pool_size"]:
            raise ParameterError(
                "beliefs_per_model",
                "parameter 'beliefs_per_model' must be at most pool_size "
                f"({params['pool_size']}): a model holds distinct pool beliefs, got "
                f"{params['beliefs_per_model']}",
            )
        cells = params["n_models"] * params["beliefs_per_model"]
        if cells > MAX_CELLS:
            raise ParameterError(
                "n_models",
                f"parameter 'n_models' times 'beliefs_per_model' must be at most {MAX_CELLS:,} "
                f"(simulation memory), got {params['n_models']} * {params['beliefs_per_model']}",
            )
        m = active_questions(params["n_questions"], params["activation_density"])
        if params["pool_size"] * m > MAX_CELLS:
            raise ParameterError(
                "pool_size",
                f"parameter 'pool_size' times the active questions per belief ({m}) must be at "
                f"most {MAX_CELLS:,} (simulation memory), got {params['pool_size']}",
            )

    def curve_range(self, param: str) -> tuple[float, float]:
        """``rho`` in ``(0, 0.95)`` (the paper's sweep); ``beta`` in ``(0, 15)``."""
        ranges = {"rho": (0.0, 0.95), "beta": (0.0, 15.0)}
        if param in ranges:
            return ranges[param]
        return super().curve_range(param)

    @property
    def neutral(self) -> bool:
        """No selection acts: ``beta = 0`` or no generation (every slot a prior draw)."""
        return self["beta"] == 0.0 or self["generations"] == 0

    # -- formulas ---------------------------------------------------------
    def _formula(self, name: str, display: bool) -> sp.Expr:
        d = _derive()
        if name == "deceptive_ratio_initial" or name == "deceptive_ratio_lower":
            return d.orthant
        if name == "deceptive_ratio_upper":
            return d.conditional
        if self.neutral:
            return d.orthant
        # strong selection: the fittest initial model's signal f, then its beliefs' share
        return sp.Integral(_g(f) * _R(f), (f, -sp.oo, sp.oo))

    def _expression(self, name: str, case: bool) -> sp.Expr:
        return self._formula(name, display=False)

    def latex(self, name: str) -> str:
        expr = self._formula(name, display=True)
        where = ""
        if name == "deceptive_ratio" and not self.neutral:
            where = (
                r"\qquad g(f) = N\varphi_K(f)\Phi_K(f)^{N-1},\ "
                r"R(f) = P(A > 0, V < 0 \mid A \sim N(f, 1 - 1/K))"
            )
        return f"{self.quantity(name).symbol} = {sp.latex(expr)}{where}"

    @functools.cached_property
    def _strong_selection(self) -> float:
        return fittest_model_ratio(self["rho"], self["n_models"], self["beliefs_per_model"])

    @property
    def calibrated(self) -> bool:
        """Under selection, inside the range where the strong-selection approximation's
        allowance was measured (``CALIBRATED_SIZES``, ``beta * generations >= 100``,
        ``rho >= -0.6``)."""
        return (
            not self.neutral
            and all(self[k] == v for k, v in CALIBRATED_SIZES.items())
            and self["beta"] * self["generations"] >= STRONG_SELECTION_MIN
            and self["rho"] >= CALIBRATED_RHO_MIN
        )

    def allowance(self, name: str) -> Allowance:
        """``deceptive_ratio`` under selection, in its calibrated range: 0.02, calibrated;
        none elsewhere (exact without selection; not validated outside the range)."""
        self.quantity(name)
        if name != "deceptive_ratio" or not self.calibrated:
            return Allowance(0.0)
        return Allowance(
            STRONG_SELECTION_ALLOWANCE,
            "calibrated",
            "measured |strong-selection value - simulated mean| at the paper's sizes: at "
            "most 0.011 over rho in {-0.6, 0, 0.6, 0.95} x beta in {0.5, 1, 15, 50} x "
            "g in {10, 30, 100} with beta g >= 100 (400 runs each, seed 1), and within 0.01 "
            "on the 16 cells of Eicher's rho x beta sweep (2000 runs each); allowed: 0.02 "
            "where beta g >= 100 and rho >= -0.6 (beta g = 50 gave 0.029)",
        )

    def warnings(self) -> list[str]:
        """A line when ``deceptive_ratio`` is the strong-selection approximation outside
        the range where its allowance was measured."""
        if self.neutral or self.calibrated:
            return []
        return [
            "deceptive_ratio: the strong-selection approximation is outside its calibrated "
            "range (the paper's sizes, beta * generations >= 100, rho >= -0.6); it has no "
            "stated error here and validate does not compare it"
        ]

    def _value(self, name: str) -> float:
        r_v = self["rho"]
        if name in ("deceptive_ratio_initial", "deceptive_ratio_lower"):
            return _orthant(r_v)
        if name == "deceptive_ratio_upper":
            return min(1.0, 2.0 * _orthant(r_v))
        if self.neutral:
            return _orthant(r_v)
        return self._strong_selection

    # -- derivation -------------------------------------------------------
    def derivation(self) -> str:
        d = _derive()
        X = sp.latex
        lines = [
            f"## {self.title}: derivation",
            "",
            "**Model** (Eicher 2026, Level 1, as configured in the author's "
            "`configs/level1_final_sweeps.yaml`: $P = 3000$, $N = 300$, $K = 50$, "
            "$n_q = 100$, $d = 0.1$, inheritance without mutation, 100 generations). "
            "A pool of $P$ beliefs $(V_i, A_i)$, independent, standard bivariate normal "
            "with correlation $\\rho$ ($V$ the true value, $A$ the alignment a test sees). "
            "Each belief activates $m = \\max(1, \\lfloor n_q d \\rfloor)$ of the $n_q$ "
            "questions, a uniform subset. Each of the $N$ initial models holds $K$ distinct "
            "pool beliefs, a uniform subset. For model $j$ with beliefs $B_j$, let "
            "$n_{jq}$ be the number of its beliefs that activate question $q$ and "
            "$Q_j = \\{q : n_{jq} > 0\\}$; its fitness is",
            "",
            "$$ F_j = \\frac{1}{|Q_j|}\\sum_{q \\in Q_j} \\frac{1}{n_{jq}}"
            "\\sum_{i \\in B_j,\\ i \\to q} A_i , $$",
            "",
            "a weighted mean of its alignments (weights $\\ge 0$ summing to 1). A "
            "generation draws $N$ parents with replacement with probabilities "
            "$e^{\\beta F_j}/\\sum_l e^{\\beta F_l}$, and each child copies its parent's "
            "beliefs (so its fitness too). The deceptive ratio $R_g$ is the share of the "
            "$NK$ belief slots after $g$ generations holding a belief with $V < 0$, $A > 0$ "
            "(a belief held by several models counts once per model, as in the paper's "
            "`track_metrics`). The paper reports the ratio of the last population it "
            "scores, after 99 selection rounds of its 100-generation loop (the paper's "
            "figures correspond to $g = 99$; the default $g = 100$ differs from it by one "
            "round of an almost fixed population).",
            "",
            "### The key fact: selection never sees $V$",
            "",
            "The activations, the initial population and every selection draw depend on "
            "the beliefs only through the alignments $A$. Given all of them, the values "
            "are still independent with $V_i \\mid A_i \\sim N(\\rho A_i, 1 - \\rho^2)$, so",
            "",
            "$$ E[R_g \\mid A, \\text{population}] = \\frac{1}{NK}\\sum_{\\text{slots}} "
            "h(A_{\\text{slot}}), \\qquad h(a) = \\mathbf 1\\{a > 0\\}\\,"
            "\\Phi\\!\\left(-\\rho a/\\sqrt{1-\\rho^2}\\right). $$",
            "",
            "### Orthant probability (exact without selection)",
            "",
            "Write $(A, V) = (X, \\rho X + sY)$, $s = \\sqrt{1-\\rho^2}$, $X, Y$ independent "
            "standard normal. $\\{A > 0, V < 0\\}$ is the wedge $X > 0$, $Y < -(\\rho/s)X$: "
            f"polar angles from ${X(d.wedge_low)}$ to $-\\arctan(\\rho/s)$. The standard "
            "normal law is rotation invariant, and sympy's polar integral "
            "$\\int\\!\\int r e^{-r^2/2}/(2\\pi)\\,dr\\,d\\theta$ over the wedge gives "
            f"${X(d.orthant_polar)}$. With $\\arctan(\\rho/s) = \\arcsin\\rho$ (the "
            f"derivative of the difference is ${X(d.angle_residual)}$, and both vanish at 0):",
            "",
            f"$$ P(A > 0, V < 0) = {X(d.orthant)} $$",
            "",
            "(Sheppard 1899). At $g = 0$ each slot holds a uniformly chosen pool belief, a "
            "prior draw, and at $\\beta = 0$ parents are uniform whatever the beliefs, so "
            "$E[R_g] = \\tfrac14 - \\arcsin(\\rho)/(2\\pi)$ exactly, for every size.",
            "",
            "### The proposed bracket, and when it holds",
            "",
            f"Since $P(A > 0) = {X(d.positive)}$, the pool's deceptive share among the "
            f"aligned-looking beliefs is $P(V < 0 \\mid A > 0) = {X(d.conditional)}$. The "
            "proposed bracket is",
            "",
            "$$ \\tfrac14 - \\tfrac{\\arcsin\\rho}{2\\pi} \\;\\le\\; E[R_g] \\;\\le\\; "
            "\\tfrac12 - \\tfrac{\\arcsin\\rho}{\\pi}. $$",
            "",
            "*Argument.* Lower: selection on $A$ moves slots from $A < 0$ (where $h = 0$) "
            "towards $A > 0$; for $\\rho = 0$, $h = \\tfrac12\\mathbf 1\\{a > 0\\}$ and the "
            "ratio is half the share of positive alignments, which selection for higher "
            "mean alignment raises. Upper: at most every surviving slot looks aligned "
            "($A > 0$), and for $\\rho \\ge 0$ $h$ decreases on $a > 0$, so selection that "
            "moves alignments up keeps the deceptive share among them at most the pool's, "
            "$P(V < 0 \\mid A > 0)$.",
            "",
            "*Neither end is a rigorous inequality for every parameter*, so the two ends are "
            "reported as exact pool quantities (`deceptive_ratio_lower`, "
            "`deceptive_ratio_upper`), not as bounds: read them as the bracket of moderate "
            "alignment shifts. By the key fact, $E[R_g]$ is $E[h]$ over the selected "
            "alignments, and $h$ is not monotone: for $\\rho > 0$ it jumps to $\\tfrac12$ "
            "at $a = 0^+$ and then falls to 0, so a large enough upward shift of the "
            "alignments takes the ratio *below* the lower end. In the strong-selection "
            "approximation below (exact in its limit): $K = 1$, $N = 300$, $\\rho = 0.9$ "
            "gives $2\\cdot 10^{-7}$ against the lower end $0.0718$ (the simulation "
            "agrees: tests/test_belief_pool.py), and even the paper's sizes at "
            "$\\rho = 0.99$ give $0.0217 < 0.0225$ (simulated, 4000 runs: 0.0217, 99.9% "
            "interval $[0.0207, 0.0228]$). For $\\rho < 0$, $h$ rises on $a > 0$ and the "
            "upper end fails ($\\rho = -0.5$, $K = 1$, $N = 300$: $0.948 > 0.667$; "
            "simulated at $\\beta = 15$, 200 runs: 0.94, $[0.88, 0.996]$). "
            "For $\\rho \\ge 0$ the upper end held everywhere on a scan of the "
            "approximation ($\\rho$ from 0 to 0.99, $K$ from 1 to 500, $N$ from 2 to "
            "$10^4$), but is not proven; what is rigorous for $\\rho \\ge 0$ is "
            "$E[R_g] \\le \\tfrac12 E[\\text{share of slots with } A > 0] \\le \\tfrac12$. "
            "At the paper's sizes ($N = 300$, $K = 50$, selected signal about $0.39$) the "
            "bracket holds at $\\rho = 0, 0.3, 0.6, 0.9$, by simulation (docs/gallery.md) "
            "and by the approximation.",
            "",
            "### Strong selection: the population fixes on the fittest initial model",
            "",
            "Without mutation no new model ever appears: the population is a set of copies "
            "of initial models, and with $\\beta$ times the fitness spread large over 100 "
            "generations the fittest one takes over. Approximating the fitness by the mean "
            "alignment $\\bar a \\sim N(0, 1/K)$ (equal weights; models treated as "
            "independent although they share pool beliefs), the fittest of $N$ has density "
            "$g(f) = N\\varphi_K(f)\\Phi_K(f)^{N-1}$, and given $\\bar a = f$ each of its "
            "beliefs has $A \\sim N(f, 1 - 1/K)$, so",
            "",
            "$$ E[R_g] \\approx \\int g(f)\\,R(f)\\,df, \\qquad R(f) = "
            "\\int_0^\\infty \\frac{1}{\\sigma}\\varphi\\!\\left(\\frac{a - f}{\\sigma}\\right)"
            "\\Phi\\!\\left(-\\frac{\\rho a}{s}\\right)da, \\quad \\sigma^2 = 1 - 1/K, $$",
            "",
            "evaluated by quadrature (Gauss-Legendre in $a$, trapezoid in $f$). It ignores "
            "drift (the fittest model starts as one copy among $N$ and can be lost early, "
            "so the winner is one of the top few), unequal question weights and the pool "
            "shared between models; it is therefore not validated (an approximation "
            "without a stated allowance). At the paper's sizes it gives 0.330, 0.254, "
            "0.173, 0.075 at "
            "$\\rho = 0, 0.3, 0.6, 0.9$ against the paper's 0.318 to 0.352, 0.247 to 0.277, "
            "0.167 to 0.180, 0.072 to 0.079 over $\\beta \\in \\{1, 5, 10, 15\\}$.",
            "",
            "**Sources.** J. E. Eicher, *Simulating the Evolution of Alignment and Values in "
            "Machine Intelligence*, arXiv:2604.05274 (2026), and its repository "
            "bluewin4/Evolution-of-Alignment (configuration and published 2-D sweep); "
            "W. F. Sheppard, *Phil. Trans. R. Soc. A* 192 (1899).",
            "",
        ]
        return "\n".join(lines)
