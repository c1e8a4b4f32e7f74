r"""Belief evolution: selection of models on the summed alignment signal of their beliefs.

Reproduces the bivariate-normal setting of Eicher, *Simulating the Evolution of
Alignment and Values in Machine Intelligence* (arXiv:2604.05274, 2026). A
population of :math:`N` models each holds :math:`K` beliefs; a belief has a true
value :math:`V` and an alignment signal :math:`A`, standard bivariate normal with
correlation :math:`\rho`. A belief is *deceptive* when :math:`A > 0` and
:math:`V < 0`. One generation (driftkit's reading of the paper, see
:meth:`BeliefEvolution.derivation`):

1. *selection*: :math:`N` parents are drawn with replacement with probabilities
   :math:`\operatorname{softmax}(\beta F_j)`, :math:`F_j = \sum_i A_{ji}` the
   summed signal of model :math:`j`;
2. *inheritance*: each child copies its parent's :math:`K` beliefs;
3. *mutation*: each belief of each child is, independently with probability
   :math:`\mu`, replaced by a fresh draw from the prior.

Generation 0 draws every belief from the prior. The quantity is the fraction of
deceptive beliefs after ``generations`` generations.

Theory. At :math:`\beta = 0` (or after 0 generations, or with :math:`\mu = 1`)
every belief keeps the prior law, so the expected fraction is Sheppard's orthant
probability :math:`1/4 - \arcsin(\rho)/(2\pi)` for *any* population size (exact;
:mod:`driftkit.theory.goodhart_selection`). Under selection, the infinite-population
(mean-field) limit keeps the beliefs independent (the softmax weight
:math:`e^{\beta\sum_i a_i}` is a product), tilting by :math:`e^{\beta a}` shifts a
bivariate normal by :math:`\beta(1, \rho)` (sympy), and mutation mixes the prior
back in. The belief law after :math:`g` generations is therefore a mixture over
ages :math:`k` of normals shifted by :math:`k\beta(1, \rho)` with weights from an
exactly solved recursion; the fraction is the weighted sum of the shifted orthant
probabilities

.. math:: D(\delta) = P(A > -\delta, V < -\rho\delta)
          = \tfrac12\Phi(-\rho\delta) - \tfrac12\Phi(-\delta)
            + T(\rho\delta, \sqrt{1-\rho^2}/\rho) + \tfrac12\mathbf 1\{\rho < 0\}

(Owen's :math:`T`). These mean-field quantities are *approximations* for a finite
population: they are exact only as :math:`N \to \infty`, and a population of
:math:`N` models resolves them only while :math:`e^{\Lambda} \ll N`,
:math:`\Lambda = \beta^2 K\,E_w[k^2]` the variance of a model's accumulated
log-weight. Outside that regime (for instance the paper's run, where the
population fixes on one lineage) the mean-field says little; see
``resolution`` and the simulator's allowance.

Sources: J. E. Eicher (2026); W. F. Sheppard (1899); D. B. Owen (1956).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
import sympy as sp
from driftkit.theory._base import Allowance, Model, Parameter, ParameterError, Quantity, Reference
from driftkit.theory._cache import disk_cache
from driftkit.theory._registry import register
from driftkit.theory.goodhart_selection import GoodhartSelection, OwenT
from driftkit.theory.goodhart_selection import _derive as _goodhart_derive
from driftkit.theory.goodhart_selection import deceptive as _goodhart_deceptive
from scipy import special

__all__ = ["BeliefEvolution", "mean_field_weights", "shifted_deceptive"]

# Model symbols
rho = sp.Symbol(r"\rho", real=True)
beta = sp.Symbol(r"\beta", nonnegative=True)
mu = sp.Symbol(r"\mu", nonnegative=True)
g = sp.Symbol("g", integer=True, nonnegative=True)
k = sp.Symbol("k", integer=True, nonnegative=True)
j = sp.Symbol("j", integer=True, nonnegative=True)
delta = sp.Symbol(r"\delta", nonnegative=True)
# Integration symbols
a, v, x, y, lam = sp.symbols("a v x y lambda", real=True)
m_a, m_v = sp.symbols("m_a m_v", real=True)
h = sp.Symbol("h", positive=True)
s = sp.Symbol("s", positive=True)  # sqrt(1 - rho^2), |rho| < 1

_Phi = sp.Function(r"\Phi")  # display only
_w = sp.Function("w")  # display only: the mean-field age weights w_{g,k}

#: the allowance constant: measured mean-field errors are <= 0.3 r (module docstring of
#: driftkit.montecarlo.kernels.belief_evolution); 1.0 is the conservative constant used
RESOLUTION_CONSTANT = 1.0
#: mean-field quantities are validated only where the resolution factor r is at most this
RESOLVED = 0.5
#: largest population * beliefs (memory of the simulation: four arrays of that size)
MAX_CELLS = 10_000_000
MAX_GENERATIONS = 10_000


def _std_phi(t: sp.Expr) -> sp.Expr:
    return sp.exp(-(t**2) / 2) / sp.sqrt(2 * sp.pi)


def _std_Phi(t: sp.Expr) -> sp.Expr:
    return sp.erfc(-t / sp.sqrt(2)) / 2


@dataclass(frozen=True)
class _Derived:
    tilt_normaliser: sp.Expr  # E[e^{beta A}] for A ~ N(m_a, 1)
    tilt_ratio: sp.Expr  # e^{beta a} f_{m}(a, v) / f_{m + beta(1, rho)}(a, v): a constant
    log_prod_m: sp.Expr  # sum_{j<k} log M_j = beta^2 k^2 / 2
    p_neg: sp.Expr  # P(V < 0 | A = a) (goodhart_selection)
    owen_dh: sp.Expr  # d/dh T(h, lambda)
    shift_integral: sp.Expr  # J(delta) in D'(delta)
    residuals: tuple  # D'(delta) - C'(delta) for rho > 0, rho < 0: both 0
    shifted: sp.Expr  # D(delta) in Owen's T (rho != 0, +-1), sympy functions
    shifted_display: sp.Expr
    limit_shift: dict  # lim_{delta -> oo} D(delta) by sign of rho


def _density(ma: sp.Expr, mv: sp.Expr) -> sp.Expr:
    q = (a - ma) ** 2 - 2 * rho * (a - ma) * (v - mv) + (v - mv) ** 2
    return sp.exp(-q / (2 * (1 - rho**2))) / (2 * sp.pi * sp.sqrt(1 - rho**2))


@disk_cache
def _derive() -> _Derived:
    """Derive every formula (a few seconds, done once)."""
    # 1. exponential tilting of a bivariate normal by e^{beta a}
    normaliser = sp.simplify(sp.integrate(sp.exp(beta * a) * _std_phi(a - m_a), (a, -sp.oo, sp.oo)))
    ratio = sp.exp(beta * a) * _density(m_a, m_v) / _density(m_a + beta, m_v + rho * beta)
    ratio = sp.exp(sp.factor(sp.cancel(sp.expand_log(sp.log(sp.simplify(ratio)), force=True))))
    if sp.simplify(sp.log(ratio) - sp.log(normaliser)) != 0:  # pragma: no cover
        raise AssertionError(f"tilting: ratio {ratio} is not the normaliser {normaliser}")
    # 2. product of the normalisers of the shifted components, M_j = e^{beta^2 (j + 1/2)}
    log_m_j = sp.log(normaliser.subs(m_a, j * beta)).expand(force=True)
    log_prod = sp.simplify(sp.summation(log_m_j, (j, 0, k - 1)))
    # 3. shifted orthant probability D(delta) = P(A > -delta, V < -rho delta)
    gd = _goodhart_derive()
    t_int = sp.exp(-(h**2) * (1 + x**2) / 2) / (1 + x**2)
    owen_dh = sp.simplify(sp.integrate(sp.diff(t_int, h), (x, 0, lam)) / (2 * sp.pi))
    # D(delta) = int_{-delta}^oo phi(x) P(V < -rho delta | A = x) dx; differentiating in delta
    # gives phi(delta)/2 - (rho/s) J with J = int_0^oo phi(y - delta) phi(rho y / s) dy and
    # rho^2 = 1 - s^2
    integrand = _std_phi(y - delta) * _std_phi(y / s) * sp.exp(y**2 / (2 * s**2))
    integrand = integrand * sp.exp(-(1 - s**2) * y**2 / (2 * s**2))
    shift_j = sp.simplify(sp.integrate(sp.expand(integrand), (y, 0, sp.oo)))
    d_prime = _std_phi(delta) / 2 - rho / s * shift_j
    claim = _std_Phi(-rho * delta) / 2 - _std_Phi(-delta) / 2 + OwenT(rho * delta, s / rho)
    # d/d delta of T(rho delta, s/rho) = rho dT/dh; dT/dh is odd in h, so the h > 0 form
    # holds for both signs of rho
    c_prime = sp.diff(claim.subs(OwenT(rho * delta, s / rho), 0), delta) + rho * owen_dh.subs(
        {lam: s / rho}
    ).subs(h, rho * delta)
    residuals = tuple(
        sp.simplify((c_prime - d_prime).subs(rho, sgn * sp.sqrt(1 - s**2))) for sgn in (1, -1)
    )
    if any(r != 0 for r in residuals):  # pragma: no cover
        raise AssertionError(f"shifted orthant: derivative residuals {residuals}")
    # value at delta = 0: T(0, s/rho) = atan(s/rho)/(2 pi), equal to Sheppard's orthant
    # (plus 1/2 for rho < 0): same derivative in rho, equal at rho = +-1/2
    for sgn, const in ((1, 0), (-1, sp.Rational(1, 2))):
        rr = sp.Symbol("r", positive=True)
        at0 = sp.atan(sp.sqrt(1 - rr**2) / (sgn * rr)) / (2 * sp.pi) + const
        orth = gd.deceptive["orthant"].subs(rho, sgn * rr)
        ok = (
            sp.simplify(sp.diff(at0 - orth, rr)) == 0
            and sp.simplify((at0 - orth).subs(rr, sp.Rational(1, 2))) == 0
        )
        if not ok:  # pragma: no cover
            raise AssertionError("shifted orthant at delta = 0 differs from Sheppard's")
    const = sp.Piecewise((sp.Rational(1, 2), rho < 0), (0, True))
    shifted = (claim + const).subs(s, sp.sqrt(1 - rho**2))
    display = (
        _Phi(-rho * delta) / 2
        - _Phi(-delta) / 2
        + OwenT(rho * delta, sp.sqrt(1 - rho**2) / rho)
        + sp.Piecewise((sp.Rational(1, 2), rho < 0), (0, True))
    )
    # delta -> oo: Phi terms -> 1/2 [rho < 0] and 0; T(rho delta, .) -> 0 (|T| <= e^{-h^2/2}/4)
    limit = {
        "positive": sp.Integer(0),
        "zero": sp.Rational(1, 2),  # rho = 0: D = Phi(delta)/2
        "negative": sp.limit(
            _std_Phi(-rho * delta).subs(rho, -h) / 2 + sp.Rational(1, 2), delta, sp.oo
        ),
    }
    return _Derived(
        normaliser,
        ratio,
        log_prod,
        gd.p_neg,
        owen_dh,
        shift_j,
        residuals,
        shifted,
        display,
        limit,
    )


# -- numerics ---------------------------------------------------------------------------


def shifted_deceptive(rho_v: float, shift) -> np.ndarray:
    r"""``P(A > -d, V < -rho d)``, ``(A, V)`` standard bivariate normal; elementwise in ``d >= 0``.

    The deceptive probability of a belief whose law is the prior shifted by
    :math:`d(1, \rho)`. Owen's T form (absolute accuracy about 1e-16); the exact
    cases :math:`d = 0` (Sheppard, via :mod:`driftkit.theory.goodhart_selection`),
    :math:`\rho = 0` (:math:`\Phi(d)/2`) and :math:`\rho = \pm 1` separately.
    """
    d = np.asarray(shift, dtype=np.float64)
    if rho_v == 1.0:
        out = np.zeros_like(d)
    elif rho_v == -1.0:
        out = special.ndtr(d)
    elif rho_v == 0.0:
        out = 0.5 * special.ndtr(d)
    else:
        lam_v = math.sqrt((1.0 - rho_v) * (1.0 + rho_v)) / rho_v
        out = (
            0.5 * special.ndtr(-rho_v * d)
            - 0.5 * special.ndtr(-d)
            + special.owens_t(rho_v * d, lam_v)
            + (0.5 if rho_v < 0 else 0.0)
        )
    out = np.where(d == 0.0, _goodhart_deceptive(rho_v, 0.0), out)
    return np.clip(out, 0.0, 1.0)


def mean_field_weights(beta_v: float, mu_v: float, generations: int) -> np.ndarray:
    r"""Mean-field age weights :math:`w_{g,k}`, :math:`k = 0..g` (they sum to 1).

    :math:`w_{0,0} = 1`; :math:`w_{t+1,0} = \mu`,
    :math:`w_{t+1,k+1} = (1-\mu) w_{t,k} M_k / Z_t`, :math:`M_k = e^{\beta^2(k+1/2)}`,
    :math:`Z_t = \sum_k w_{t,k} M_k`; done in log space (no overflow for any ``beta``).
    """
    logw = np.array([0.0])
    log_keep = math.log1p(-mu_v) if mu_v < 1.0 else -math.inf
    log_mu = math.log(mu_v) if mu_v > 0.0 else -math.inf
    for _ in range(generations):
        ages = np.arange(logw.size, dtype=np.float64)
        tilted = logw + beta_v * beta_v * (ages + 0.5)
        finite = tilted[np.isfinite(tilted)]
        log_z = float(np.logaddexp.reduce(finite)) if finite.size else 0.0
        # (tilted - log_z) first: at large beta both are ~beta^2 and log_keep would be
        # absorbed by rounding if added to tilted before the subtraction
        logw = np.concatenate(([log_mu], log_keep + (tilted - log_z)))
    return np.exp(logw)


def _real(low: float, high: float, low_open: bool = False, high_open: bool = False) -> dict:
    return {"low": low, "high": high, "low_open": low_open, "high_open": high_open}


@register
class BeliefEvolution(Model):
    r"""Populations of models selected on the summed alignment signal of their beliefs.

    :math:`N` models of :math:`K` beliefs :math:`(A, V)`, standard bivariate normal
    with correlation :math:`\rho`; each generation: softmax(:math:`\beta F`)
    selection of parents with replacement (:math:`F` the summed signal), copying,
    and per-belief mutation to a fresh prior draw with probability :math:`\mu`.

    .. math:: E[\text{deceptive fraction}] \approx \sum_{k=0}^{g} w_{g,k}\,D(k\beta),
              \qquad D(0) = \tfrac14 - \tfrac{\arcsin\rho}{2\pi}\ (\text{exact at }\beta = 0).

    Sources: Eicher (2026); Sheppard (1899); Owen (1956).

    Examples
    --------
    >>> import math
    >>> from driftkit.theory.belief_evolution import BeliefEvolution
    >>> m = BeliefEvolution(beta=0.0)
    >>> m.value("deceptive_fraction") == 0.25 - math.asin(0.8) / (2 * math.pi)
    True
    """

    name = "belief-evolution"
    title = "Belief evolution (selection on the summed alignment signal)"
    summary = (
        "Models of K beliefs (true value, alignment signal) bivariate normal with correlation "
        "rho; softmax selection on the summed signal, mutation mu: deceptive-belief fraction."
    )
    curve_parameter = "rho"
    plot_quantities = ("deceptive_fraction", "deceptive_fraction_neutral")
    parameters = (
        Parameter(
            "population",
            400,
            "number of models N in the population",
            **_real(1, math.inf),
            integer=True,
            latex="N",
        ),
        Parameter(
            "beliefs", 10, "beliefs per model K", **_real(1, math.inf), integer=True, latex="K"
        ),
        Parameter(
            "rho",
            0.8,
            "correlation of the alignment signal A with the true value V, in [-1, 1]",
            **_real(-1.0, 1.0),
            latex=r"\rho",
        ),
        Parameter(
            "beta",
            0.1,
            "selection pressure: softmax weight exp(beta * summed signal)",
            **_real(0.0, math.inf, high_open=True),
            latex=r"\beta",
        ),
        Parameter(
            "mu",
            0.3,
            "per-belief mutation probability per generation (fresh draw from the prior)",
            **_real(0.0, 1.0),
            latex=r"\mu",
        ),
        Parameter(
            "generations",
            20,
            f"number of generations g, an integer in [0, {MAX_GENERATIONS}]",
            **_real(0, MAX_GENERATIONS),
            integer=True,
            latex="g",
        ),
    )
    quantities = (
        Quantity(
            "deceptive_fraction",
            "expected fraction of deceptive beliefs (A > 0, V < 0) after g generations: "
            "mean-field (infinite-population) approximation, exact at beta = 0",
            r"E[R_g]",
            kind="approximation",
        ),
        Quantity(
            "deceptive_fraction_neutral",
            "fraction of deceptive beliefs without selection (beta = 0, or g = 0, or mu = 1): "
            "Sheppard's orthant probability, exact for any population size",
            r"E[R_g]|_{\beta = 0}",
        ),
        Quantity(
            "mean_signal",
            "expected mean alignment signal A of the beliefs after g generations "
            "(mean-field approximation)",
            r"E[\bar A_g]",
            kind="approximation",
        ),
        Quantity(
            "mean_true_value",
            "expected mean true value V of the beliefs after g generations "
            "(mean-field approximation; rho times the mean signal)",
            r"E[\bar V_g]",
            kind="approximation",
        ),
        Quantity(
            "deceptive_fraction_limit",
            "limit g -> infinity of the mean-field deceptive fraction (the selected part "
            "runs away to infinite signal; a finite population does not)",
            r"\lim_{g\to\infty} E[R_g]",
            kind="asymptotic",
        ),
    )
    references = (
        Reference(
            "eicher2026",
            "J. E. Eicher, Simulating the evolution of alignment and values in machine "
            "intelligence, arXiv:2604.05274 (2026).",
            "@misc{eicher2026,\n  author = {Eicher, Jonathan Elsworth},\n"
            "  title = {Simulating the Evolution of Alignment and Values in Machine "
            "Intelligence},\n  year = {2026}, eprint = {2604.05274},\n"
            "  archivePrefix = {arXiv}\n}",
        ),
        *GoodhartSelection.references[:2],  # Owen (1956), Sheppard (1899)
    )

    def _check(self, params: dict) -> None:
        cells = params["population"] * params["beliefs"]
        if cells > MAX_CELLS:
            raise ParameterError(
                "population",
                f"parameter 'population' times 'beliefs' must be at most {MAX_CELLS:,} "
                f"(simulation memory), got {params['population']} * {params['beliefs']}",
            )

    def curve_range(self, param: str) -> tuple[float, float]:
        """``rho`` in ``(-0.95, 0.95)``; ``beta`` in ``(0, 0.3)``; ``mu`` in ``(0, 1)``."""
        ranges = {"rho": (-0.95, 0.95), "beta": (0.0, 0.3), "mu": (0.0, 1.0)}
        if param in ranges:
            return ranges[param]
        return super().curve_range(param)

    # -- mean-field pieces ------------------------------------------------
    @functools.cached_property
    def weights(self) -> np.ndarray:
        """The mean-field age weights ``w_{g,k}``, ``k = 0..g``."""
        return mean_field_weights(self["beta"], self["mu"], self["generations"])

    @property
    def log_weight_variance(self) -> float:
        r""":math:`\Lambda = \beta^2 K E_w[k^2]`: variance of a model's accumulated log-weight."""
        ages = np.arange(self.weights.size, dtype=np.float64)
        return self["beta"] ** 2 * self["beliefs"] * float(np.sum(self.weights * ages * ages))

    @property
    def resolution(self) -> float:
        r"""``r = sqrt(expm1(Lambda) / N)``: relative error scale of the mean-field.

        The self-normalised importance-sampling error of a softmax over :math:`N`
        draws whose log-weights have variance :math:`\Lambda`. The mean-field is
        resolved by the population when ``r`` is small (validated for ``r <= 0.5``).
        """
        lam_v = self.log_weight_variance
        if lam_v > 700.0:
            return math.inf
        return math.sqrt(math.expm1(lam_v) / self["population"])

    def warnings(self) -> list[str]:
        """One line when selection acts and the population does not resolve the mean field.

        The mean-field quantities are validated (allowance ``RESOLUTION_CONSTANT * r``
        times the selection effect) only for ``r <= RESOLVED``; beyond it a population of
        ``N`` models differs from them by far more (e.g. rho = 0.6, beta = 0.3, mu = 0.2,
        g = 50: mean signal 11.96 in the mean field, 1.4 to 1.9 simulated at N = 400 to
        20,000).
        """
        if self["beta"] == 0.0 or self["generations"] == 0 or self["mu"] == 1.0:
            return []  # no selection: every quantity is exact for any population
        r = self.resolution
        if r <= RESOLVED:
            return []
        return [
            f"{self.name}: the mean-field values of deceptive_fraction, mean_signal and "
            f"mean_true_value are not resolved by population={self['population']} "
            f"(r = sqrt(expm1(Lambda)/N) = {r:.3g} > {RESOLVED:g}, Lambda = beta^2 K E[k^2] "
            f"= {self.log_weight_variance:.4g}); a finite population can differ from them "
            "by any amount (their allowance is established only for r <= "
            f"{RESOLVED:g})"
        ]

    def selection_effect(self, name: str) -> float:
        """Size of the mean-field's departure from no selection, for the allowance."""
        ages = np.arange(self.weights.size, dtype=np.float64)
        shifts = ages * self["beta"]
        if name == "deceptive_fraction":
            dec = shifted_deceptive(self["rho"], shifts)
            return float(np.sum(self.weights * np.abs(dec - dec[0])))
        signal = float(np.sum(self.weights * shifts))
        return abs(self["rho"]) * signal if name == "mean_true_value" else signal

    # -- formulas ---------------------------------------------------------
    def _formula(self, name: str, display: bool) -> sp.Expr:
        d = _derive()
        orthant = sp.Rational(1, 4) - sp.asin(rho) / (2 * sp.pi)
        shifted = d.shifted_display if display else d.shifted
        if name == "deceptive_fraction_neutral":
            return orthant
        if name == "deceptive_fraction":
            return sp.Sum(_w(g, k) * shifted.subs(delta, k * beta), (k, 0, g))
        if name == "mean_signal":
            return sp.Sum(_w(g, k) * k * beta, (k, 0, g))
        if name == "mean_true_value":
            return rho * sp.Sum(_w(g, k) * k * beta, (k, 0, g))
        lim = sp.Piecewise(
            (orthant, sp.Eq(beta, 0)),
            (mu * orthant, rho > 0),
            (mu * orthant + (1 - mu) / 2, sp.Eq(rho, 0)),
            (mu * orthant + 1 - mu, True),
        )
        return lim

    def _expression(self, name: str, case: bool) -> sp.Expr:
        return self._formula(name, display=False)

    def latex(self, name: str) -> str:
        """LaTeX with Phi and Owen's T; ``w_{g,k}`` are the mean-field age weights."""
        expr = self._formula(name, display=True)
        mean_field = ("deceptive_fraction", "mean_signal", "mean_true_value")
        where = r"\qquad w_{g,k}\ \text{the mean-field age weights}" if name in mean_field else ""
        return f"{self.quantity(name).symbol} = {sp.latex(expr)}{where}"

    def allowance(self, name: str) -> Allowance:
        """The mean field's finite-population allowance, calibrated:
        ``RESOLUTION_CONSTANT * r`` times :meth:`selection_effect`; none without selection
        (every quantity is then exact) and for the neutral and limit fractions."""
        self.quantity(name)
        neutral = self["beta"] == 0.0 or self["generations"] == 0 or self["mu"] == 1.0
        if neutral or name not in ("deceptive_fraction", "mean_signal", "mean_true_value"):
            return Allowance(0.0)
        value = RESOLUTION_CONSTANT * self.resolution * self.selection_effect(name)
        if value == 0.0:
            return Allowance(0.0)
        if not math.isfinite(value):
            value = math.inf
        return Allowance(
            value,
            "calibrated",
            "measured mean-field error 0.25 r to 0.30 r times the selection effect at N = "
            "100, 400, 1600 on five parameter sets (400 runs each, r < 1); allowed: "
            f"{RESOLUTION_CONSTANT:g} r times it, r = sqrt(expm1(Lambda)/N), validated "
            f"where r <= {RESOLVED:g}",
        )

    def _value(self, name: str) -> float:
        r_v, b_v = self["rho"], self["beta"]
        orthant = _goodhart_deceptive(r_v, 0.0)
        if name == "deceptive_fraction_neutral":
            return orthant
        if name == "deceptive_fraction_limit":
            if b_v == 0.0:
                return orthant
            far = 0.0 if r_v > 0 else (0.5 if r_v == 0 else 1.0)
            return self["mu"] * orthant + (1.0 - self["mu"]) * far
        if b_v == 0.0 or self["generations"] == 0 or self["mu"] == 1.0:  # no selection: exact
            return orthant if name == "deceptive_fraction" else 0.0
        ages = np.arange(self.weights.size, dtype=np.float64)
        if name == "deceptive_fraction":
            return float(np.sum(self.weights * shifted_deceptive(r_v, ages * b_v)))
        signal = float(np.sum(self.weights * ages * b_v))
        return signal if name == "mean_signal" else r_v * signal

    # -- derivation -------------------------------------------------------
    def derivation(self) -> str:
        d = _derive()
        X = sp.latex
        lines = [
            f"## {self.title}: derivation",
            "",
            "**Model** (driftkit's reading of Eicher 2026, bivariate-normal levels). $N$ models, "
            "each $K$ beliefs $(A, V)$ standard bivariate normal with correlation $\\rho$ "
            "($A$ the alignment signal a test sees, $V$ the true value). Generation 0 draws all "
            "beliefs from this prior. A generation: draw $N$ parents with replacement with "
            "probabilities $e^{\\beta F_j}/\\sum_l e^{\\beta F_l}$, $F_j = \\sum_i A_{ji}$; each "
            "child copies its parent's beliefs; each belief of each child is replaced, "
            "independently with probability $\\mu$, by a fresh prior draw. A belief is "
            "deceptive when $A > 0$ and $V < 0$; $R_g$ is the deceptive fraction of all $NK$ "
            "beliefs after $g$ generations.",
            "",
            "**Assumptions.** Beliefs are drawn from the continuous prior (no finite belief "
            "pool shared between models); the fitness is the plain sum of the signals (the paper "
            "averages activation-weighted signals over test questions: a mean, so its $\\beta$ "
            "is $K$ times ours); mutation is a fresh prior draw (house of cards).",
            "",
            "### No selection: exact",
            "",
            "At $\\beta = 0$ parents are chosen uniformly, whatever the beliefs, and mutation "
            "draws from the prior, so every belief of generation $g$ is a copy of a prior draw "
            "chosen independently of its value: its law is the prior and, for every $N$, "
            "$E[R_g] = P(A > 0, V < 0) = \\tfrac14 - \\arcsin(\\rho)/(2\\pi)$, Sheppard's orthant "
            "probability as derived in `goodhart-selection` (the same holds for $g = 0$ and "
            "for $\\mu = 1$ after one generation).",
            "",
            "### Mean-field (infinite population)",
            "",
            "With infinitely many models the population is a law $P_t$ on $(\\mathbb R^2)^K$; "
            "selection maps it to $e^{\\beta\\sum_i a_i}P_t/Z$. Since "
            "$e^{\\beta\\sum_i a_i} = \\prod_i e^{\\beta a_i}$, a product law stays a product "
            "law, and per-belief mutation acts coordinate by coordinate: the beliefs stay "
            "independent with one law $f_t$, and",
            "",
            "$$ f_{t+1} = (1-\\mu)\\,\\frac{e^{\\beta a} f_t}{\\int e^{\\beta a} f_t} "
            "+ \\mu f_0. $$",
            "",
            "**Tilting.** Let $f_m$ be the bivariate normal with unit variances, correlation "
            "$\\rho$ and mean $m = (m_a, m_v)$. sympy gives "
            f"$\\int e^{{\\beta a}}\\varphi(a - m_a)\\,da = {X(d.tilt_normaliser)}$ and "
            f"$e^{{\\beta a}} f_m / f_{{m + \\beta(1, \\rho)}} = {X(d.tilt_ratio)}$, the same "
            "constant: tilting shifts the mean by $\\beta(1, \\rho)$, along the regression line "
            "of $V$ on $A$, and leaves the conditional law of $V$ given $A$ "
            f"($P(V < 0 \\mid A = a) = {X(d.p_neg)}$, $s = \\sqrt{{1-\\rho^2}}$) unchanged.",
            "",
            "**Ages.** So $f_t = \\sum_k w_{t,k} f_{k\\beta(1,\\rho)}$ (a belief of age $k$ "
            "has been selected $k$ times since its last mutation), with $w_{0,0} = 1$ and",
            "",
            "$$ w_{t+1,0} = \\mu, \\qquad w_{t+1,k+1} = (1-\\mu)\\frac{w_{t,k} M_k}{Z_t}, \\qquad "
            "M_k = e^{\\beta^2(k + 1/2)}, \\quad Z_t = \\sum_k w_{t,k}M_k, $$",
            "",
            "the normalisation of the tilted mixture being $Z_t$, not a sum of separate "
            "normalisations. Unrolled, a belief of age $k$ born at $t - k$ carries "
            f"$\\prod_{{j<k}} M_j = \\exp({X(d.log_prod_m)})$ (sympy's sum of $\\log M_j$), so "
            "$w_{t,k} = w_{t-k,0}(1-\\mu)^k e^{\\beta^2k^2/2}\\prod_{u=t-k}^{t-1}Z_u^{-1}$: "
            "a renewal equation without a closed form, evaluated exactly by the recursion "
            "(log space).",
            "",
            "**Shifted orthant.** A belief of age $k$ is deceptive with probability "
            "$D(k\\beta)$, $D(\\delta) = P(A > -\\delta, V < -\\rho\\delta) = "
            "\\int_{-\\delta}^\\infty \\varphi(x)P(V < -\\rho\\delta \\mid A = x)dx$. "
            "Differentiating, $D'(\\delta) = \\varphi(\\delta)/2 - (\\rho/s)J$ with "
            "$J = \\int_0^\\infty\\varphi(y-\\delta)\\varphi(\\rho y/s)dy = "
            f"{X(d.shift_integral)}$; "
            f"Owen's $T$ has $\\partial_h T(h, \\lambda) = {X(d.owen_dh)}$, and the claim",
            "",
            f"$$ D(\\delta) = {X(d.shifted_display)} $$",
            "",
            "has the same derivative (sympy: residuals "
            f"${X(d.residuals[0])}$ for $\\rho > 0$, ${X(d.residuals[1])}$ for $\\rho < 0$) "
            "and the same value at $\\delta = 0$, where "
            "$T(0, s/\\rho) = \\arctan(s/\\rho)/(2\\pi)$ "
            "reproduces Sheppard's orthant. $\\rho = 0$: $D = \\Phi(\\delta)/2$; $\\rho = 1$: "
            "$D = 0$; $\\rho = -1$: $D = \\Phi(\\delta)$.",
            "",
            "**Result.**",
            "",
            "$$ E[R_g] \\approx \\sum_{k=0}^{g} w_{g,k}\\,D(k\\beta), \\qquad "
            "E[\\bar A_g] \\approx \\beta\\sum_k k\\,w_{g,k}, \\qquad "
            "E[\\bar V_g] \\approx \\rho\\,E[\\bar A_g]. $$",
            "",
            "($E[\\bar V_g] = \\rho E[\\bar A_g]$ holds for every $N$: $V = \\rho A + sZ$ with "
            "$Z$ never seen by selection.)",
            "",
            "**Limit $g \\to \\infty$.** A stationary age law would need "
            "$w_k = \\mu((1-\\mu)/Z)^k e^{\\beta^2k^2/2}$, not summable for any $Z$: there is "
            "none. For $\\beta > 0$ every fixed age loses its weight, the mass $1 - \\mu$ runs "
            "off to infinite shift, where $D \\to 0$ ($\\rho > 0$), $1/2$ ($\\rho = 0$), "
            "$1$ ($\\rho < 0$); so $E[R_g] \\to \\mu(\\tfrac14 - \\arcsin\\rho/(2\\pi)) + "
            "(1-\\mu)D(\\infty)$, while the mean signal grows without bound. This is a property "
            "of the infinite population with an unbounded (Gaussian) signal.",
            "",
            "### Finite populations",
            "",
            "A population of $N$ models approximates the tilted law by a softmax over $N$ "
            "draws (self-normalised importance sampling). A model whose beliefs have ages "
            "$k_i$ carries log-weight variance about $\\beta^2\\sum_i k_i^2$, on average "
            "$\\Lambda = \\beta^2 K E_w[k^2]$, and the relative error of such a softmax average "
            "is of order $r = \\sqrt{(e^{\\Lambda}-1)/N}$. Measured over a grid of parameters "
            "(driftkit.montecarlo.kernels.belief_evolution) the mean-field error of the mean "
            "signal was at most "
            "$0.3\\,r$ times the mean-field effect; validation allows $1.0\\,r$ times the "
            "effect (the deceptive fraction's effect taken as "
            "$\\sum_k w_k|D(k\\beta) - D(0)|$), and refuses to validate the mean-field where "
            "$r > 0.5$ (the population cannot resolve it: e.g. the paper's run, $N = 300$, "
            "$K = 50$, $g = 100$, $\\mu = 0$, fixes on one lineage). At $\\beta = 0$ the "
            "allowance is 0.",
            "",
            "### Evaluation",
            "",
            "The recursion in log space ($O(g^2)$); $D$ by scipy's `owens_t` and `ndtr` "
            "(absolute error about $10^{-16}$), exact forms at $\\delta = 0$ and "
            "$\\rho \\in \\{0, \\pm1\\}$.",
            "",
            "**Sources.** J. E. Eicher, *Simulating the Evolution of Alignment and Values in "
            "Machine Intelligence*, arXiv:2604.05274 (2026); W. F. Sheppard, *Phil. Trans. R. "
            "Soc. A* 192 (1899); D. B. Owen, *Ann. Math. Statist.* 27 (1956).",
            "",
        ]
        return "\n".join(lines)
