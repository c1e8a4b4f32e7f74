r"""Fisher's geometric model: one isotropic Gaussian mutation, kept only if it improves.

A phenotype :math:`x \in \mathbb{R}^d` lies at distance :math:`z = |x|` from the
optimum (the origin). A mutation :math:`\sigma Z`, :math:`Z \sim N(0, I_d)`, is
proposed; selection keeps it only if the new distance :math:`|x + \sigma Z|` is
smaller than :math:`z` (the (1+1)-evolution strategy on the sphere). In the
alignment-drift picture the optimum is the aligned configuration and the
question is how much a blind random modification can improve it: in high
dimension almost every step of fixed size makes things worse.

Derived here (sympy):

* :math:`W = |x + \sigma Z|^2/\sigma^2` is noncentral chi-square with :math:`d`
  degrees of freedom and noncentrality :math:`\lambda = z^2/\sigma^2`: the
  moment generating function of one coordinate :math:`(m + Z_1)^2` is obtained by
  ``sympy.integrate``, the product over coordinates depends on the means only
  through :math:`\sum m_i^2 = \lambda` (rotation invariance), and it is expanded
  as a Poisson(:math:`\lambda/2`) mixture of central chi-square MGFs. So
  :math:`P_{\mathrm{ben}} = P(\chi'^2_d(\lambda) < \lambda)` (exact), evaluated
  as the radial integral :math:`\int \varphi(t) P(\chi^2_{d-1} \le t(2\rho - t))\,dt`,
  :math:`\rho = z/\sigma` (accurate at any noncentrality; ``scipy.stats.ncx2.cdf`` is NaN
  beyond about 1e11).
* The expected progress :math:`E[(z - |x + \sigma Z|)^+] = \int_0^z
  P(|x + \sigma Z| < r)\,dr` (integration by parts of the layer-cake formula) is
  an integral of the same CDF over the gap :math:`z - r`, evaluated by nested
  quadrature (``scipy.integrate.quad`` over a vectorised Gauss-Kronrod; relative
  error ~1e-12).
* In the limit :math:`d \to \infty` with the normalised step
  :math:`s = \sigma d / z` fixed, ``sympy.limit`` linearises the new distance,
  :math:`\tfrac{d}{z}(z - |x + \sigma Z|) \to s N - s^2/2` with :math:`N \sim
  N(0, 1)`, and ``sympy.integrate`` gives the normalised progress rate
  :math:`\varphi(s) = \tfrac{s}{\sqrt{2\pi}} e^{-s^2/8} - \tfrac{s^2}{2}(1 -
  \Phi(s/2))` and success rate :math:`1 - \Phi(s/2)` (Rechenberg 1973; Beyer
  2001). Its maximiser :math:`s^* \approx 1.224` (root of ``sympy.diff`` by
  :func:`scipy.optimize.brentq`), :math:`\varphi(s^*) \approx 0.2025` and the
  success rate :math:`\approx 0.270` are asymptotic quantities: they do not
  depend on the parameters and are not simulated.
"""

from __future__ import annotations

import functools
import math
import sys
from dataclasses import dataclass

import numpy as np
import sympy as sp
from driftkit.theory._base import Model, Parameter, Quantity, Reference
from driftkit.theory._cache import disk_cache
from driftkit.theory._registry import register
from scipy import integrate, optimize, special

__all__ = ["FisherGeometric", "asymptotic_progress", "asymptotic_success"]

# Model symbols.
d = sp.Symbol("d", positive=True, integer=True)
z = sp.Symbol("z", positive=True)
sigma = sp.Symbol(r"\sigma", positive=True)
# Derivation symbols.
lam = sp.Symbol(r"\lambda", positive=True)  # noncentrality z^2 / sigma^2
m = sp.Symbol("m", real=True)  # mean of one coordinate of (x + sigma Z)/sigma
t = sp.Symbol("t", real=True)  # MGF argument, t < 1/2
a = sp.Symbol("a", positive=True)  # a = 1 - 2 t
u = sp.Symbol("u", real=True)  # integration variable (one standard normal)
j = sp.Symbol("j", integer=True, nonnegative=True)  # Poisson mixing index
w = sp.Symbol("w", positive=True)  # value of W
r = sp.Symbol("r", positive=True)  # a distance
s = sp.Symbol("s", positive=True)  # normalised step sigma d / z
N = sp.Symbol("N", real=True)  # standard normal (minus the radial coordinate)
Z1 = sp.Symbol("Z_1", real=True)
C = sp.Symbol("C", positive=True)  # sigma^{-2} |tangential part|^2 ~ chi^2_{d-1}, about d
_PHI = sp.exp(-(u**2) / 2) / sp.sqrt(2 * sp.pi)


@dataclass(frozen=True)
class _Derived:
    mgf_one: sp.Expr  # E exp(t (m + Z)^2)
    mgf_w: sp.Expr  # E exp(t W), W = |x + sigma Z|^2 / sigma^2
    mixture_term: sp.Expr  # Poisson(lambda/2) weight times the chi^2_{d+2j} MGF
    cdf: sp.Expr  # P(W < w) as a Poisson mixture of regularised lower gammas
    beneficial: sp.Expr  # P(W < lambda) in the model symbols
    progress: sp.Expr  # int_0^z P(sigma^2 W < r^2) dr in the model symbols
    linear: sp.Expr  # lim_{d->oo} (d/z)(z - |x + sigma Z|) at sigma = s z / d
    phi: sp.Expr  # asymptotic normalised progress rate phi(s)
    success: sp.Expr  # asymptotic success probability
    dphi: sp.Expr  # phi'(s)


def _erfc_form(expr: sp.Expr) -> sp.Expr:
    """One canonical form (simplify may return erf or erfc depending on hashing): all in erfc."""
    return sp.expand(sp.simplify(expr).rewrite(sp.erfc))


@disk_cache
def _derive() -> _Derived:
    """Derive every formula (a few seconds, done once)."""
    # 1. MGF of (m + Z)^2, Z ~ N(0, 1), for t = (1 - a)/2 < 1/2.
    one = sp.integrate(sp.exp((1 - a) / 2 * (m + u) ** 2) * _PHI, (u, -sp.oo, sp.oo))
    mgf_one = sp.simplify(one.subs(a, 1 - 2 * t))
    # 2. d independent coordinates with means m_i, sum m_i^2 = lambda: the product of the
    # one-coordinate MGFs depends on the means only through sum m_i^2 (each factor is
    # exp(m_i^2 g(t)) h(t)): substitute m^2 -> lambda and h -> h^d.
    expo = sp.simplify(sp.log(mgf_one.subs(m, 0)))  # log h(t)
    g = sp.simplify((sp.log(mgf_one) - expo).expand(force=True) / m**2)
    mgf_w = sp.exp(lam * g + d * expo)
    # 3. Poisson mixture: exp(lambda t/(1-2t)) = e^{-lambda/2} sum_j (lambda/2)^j/j! (1-2t)^{-j}
    mixture_term = (
        sp.exp(-lam / 2) * (lam / 2) ** j / sp.factorial(j) * (1 - 2 * t) ** (-(d / 2 + j))
    )
    check = sp.summation(mixture_term, (j, 0, sp.oo))
    log_ratio = sp.expand_log(sp.log(check), force=True) - sp.expand_log(sp.log(mgf_w), force=True)
    if sp.simplify(log_ratio) != 0:
        raise AssertionError("Poisson mixture does not reproduce the ncx2 MGF")  # pragma: no cover
    # each term is the MGF of chi^2_{d+2j}; its CDF is the regularised lower gamma
    cdf = sp.Sum(
        sp.exp(-lam / 2)
        * (lam / 2) ** j
        / sp.factorial(j)
        * sp.lowergamma(d / 2 + j, w / 2)
        / sp.gamma(d / 2 + j),
        (j, 0, sp.oo),
    )
    lam_model = z**2 / sigma**2
    beneficial = cdf.subs(w, lam).subs(lam, lam_model)
    progress = sp.Integral(cdf.subs(w, r**2 / sigma**2).subs(lam, lam_model), (r, 0, z))
    # 4. Large d at sigma = s z / d: |x + sigma Z|^2 = z^2 + 2 z sigma Z_1 + sigma^2 C,
    # C ~ chi^2_d (concentrates at d); take C = d and let d -> oo.
    sig = s * z / d
    new = sp.sqrt(z**2 + 2 * z * sig * Z1 + sig**2 * d)
    linear = sp.simplify(sp.limit(d / z * (z - new), d, sp.oo))
    # with N = -Z_1: the gain is s N - s^2/2, positive for N > s/2
    gain = sp.expand(linear.subs(Z1, -N))
    root = sp.solve(gain, N)[0]
    phi_n = _PHI.subs(u, N)
    phi = _erfc_form(sp.integrate(gain * phi_n, (N, root, sp.oo)))
    success = _erfc_form(sp.integrate(phi_n, (N, root, sp.oo)))
    dphi = _erfc_form(sp.diff(phi, s))
    return _Derived(
        mgf_one, mgf_w, mixture_term, cdf, beneficial, progress, linear, phi, success, dphi
    )


@functools.cache
def _asymptotic_functions():
    der = _derive()
    return (
        sp.lambdify(s, der.phi, modules="scipy"),
        sp.lambdify(s, der.success, modules="scipy"),
        sp.lambdify(s, der.dphi, modules="scipy"),
    )


def asymptotic_progress(s_value: float) -> float:
    """The large-d normalised progress rate phi(s) (derived; Beyer 2001)."""
    return float(_asymptotic_functions()[0](float(s_value)))


def asymptotic_success(s_value: float) -> float:
    """The large-d success probability 1 - Phi(s/2) (derived)."""
    return float(_asymptotic_functions()[1](float(s_value)))


@functools.cache
def _optimum() -> tuple[float, float, float]:
    """(s*, phi(s*), success(s*)): the root of phi'(s) on (0.5, 3) by brentq at 1e-15."""
    phi, succ, dphi = _asymptotic_functions()
    star = optimize.brentq(lambda v: float(dphi(v)), 0.5, 3.0, xtol=1e-15, rtol=1e-15)
    return star, float(phi(star)), float(succ(star))


_SQRT2 = math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


def _normal_mass(lo: float, hi: float) -> float:
    """P(lo < N < hi) for a standard normal N, 0 <= lo <= hi, without cancellation."""
    if lo <= 1.0:  # erf is accurate near 0: the difference keeps its digits
        return 0.5 * float(special.erf(hi / _SQRT2) - special.erf(lo / _SQRT2))
    return 0.5 * float(special.erfc(lo / _SQRT2) - special.erfc(hi / _SQRT2))


# Gauss-Kronrod 15-point rule on [-1, 1] (QUADPACK qk15): Kronrod nodes, their weights, and
# the weights of the embedded 7-point Gauss rule (nodes xgk[1::2] and 0).
_XGK = np.array([
    0.991455371120812639206854697526329, 0.949107912342758524526189684047851,
    0.864864423359769072789712788640926, 0.741531185599394439863864773280788,
    0.586087235467691130294144845693013, 0.405845151377397166906606412076961,
    0.207784955007898467600689403773245, 0.0,
])  # fmt: skip
_WGK = np.array([
    0.022935322010529224963732008058970, 0.063092092629978553290700663189204,
    0.104790010322250183839876322541518, 0.140653259715525918745189590510238,
    0.169004726639267902826583426598550, 0.190350578064785409913256402421014,
    0.204432940075298892414161999234649, 0.209482141084727828012999174891714,
])  # fmt: skip
_WG = np.array([
    0.129484966168869693270611432679082, 0.279705391489276667901467771423780,
    0.381830050505118944950369775488975, 0.417959183673469387755102040816327,
])  # fmt: skip
_NODES = np.concatenate([-_XGK[:-1], _XGK[::-1]])  # 15 nodes, ascending
_W15 = np.concatenate([_WGK[:-1], _WGK[::-1]])
_W7 = np.zeros(15)
_W7[[1, 3, 5, 7, 9, 11, 13]] = np.concatenate([_WG[:-1], _WG[::-1]])
_T_MAX = 38.6  # exp(-t^2/2) is below the smallest subnormal double beyond it


def _adaptive_gk(f, edges: np.ndarray, rtol: float = 1e-13, max_rounds: int = 60) -> float:
    """Integral of a vectorised ``f`` over ``[edges[0], edges[-1]]`` by adaptive GK15.

    All panels are evaluated in one vectorised call per round; while the summed error
    estimates ``|K15 - G7|`` exceed ``rtol`` times the total, the panels whose estimate
    exceeds their share are halved.
    """
    a, b = edges[:-1], edges[1:]
    keep_k = np.empty(0)
    keep_e = np.empty(0)
    for _ in range(max_rounds):
        half = 0.5 * (b - a)
        x = (0.5 * (a + b))[:, None] + half[:, None] * _NODES[None, :]
        fx = f(x)
        k15 = half * (fx @ _W15)
        err = np.abs(k15 - half * (fx @ _W7))
        total = keep_k.sum() + k15.sum()
        budget = rtol * abs(total)
        if keep_e.sum() + err.sum() <= budget or a.size > 20000:
            return float(total)
        share = budget / (a.size + keep_k.size)
        split = err > share
        keep_k = np.concatenate([keep_k, k15[~split]])
        keep_e = np.concatenate([keep_e, err[~split]])
        mid = 0.5 * (a[split] + b[split])
        a, b = np.concatenate([a[split], mid]), np.concatenate([mid, b[split]])
    return float(keep_k.sum() + k15.sum())  # pragma: no cover  (not reached in practice)


def _inner_edges(k: float, delta: float, top: float) -> np.ndarray:
    """Initial panels on ``s in (0, top)`` for ``int phi(e + s) G(s (2 delta - s)) ds``.

    ``G(y) = P(chi^2_{2k} <= y)`` rises where ``y/2 = k + j sqrt(k)``: those ``s`` (the
    two roots of ``s (2 delta - s) = y``, written without cancellation); the apex
    ``s = delta``; a geometric grid of ratio 2 from far below the scale ``1/(2 delta)``
    where ``y`` reaches 1 (the power-law start ``G ~ y^k``, at both ends ``s = 0`` and
    ``s = 2 delta`` when that is in range), and unit steps beyond ``s = 1`` (the normal
    factor).
    """
    points = [0.0, top, delta]
    sk = math.sqrt(k)
    for jj in range(-8, 9):
        y = 2.0 * (k + jj * sk)
        if 0.0 < y < delta * delta:
            root = math.sqrt((delta - y / delta) * delta)  # sqrt(delta^2 - y)
            points += [y / (delta + root), delta + root]
    s_lo = max(1e-7 * min(1.0, 0.5 / delta), 1e-300)
    n_geo = max(0, math.ceil(math.log2(min(top, 1.0) / s_lo)))
    for s_pt in s_lo * 2.0 ** np.arange(n_geo):
        points += [float(s_pt), 2.0 * delta - s_pt]  # mirrored: y -> 0 again at s = 2 delta
    points += [float(v) for v in np.arange(1.0, min(top, _T_MAX + 1.0))]
    return np.array(sorted({p for p in points if 0.0 <= p <= top}))


def _radial_cdf(d_v: int, rho: float, e: float) -> float:
    r"""P(|x + sigma Z| < sigma (rho - e)), rho = z/sigma, 0 <= e < rho.

    With :math:`t = -Z_1` (the radial coordinate toward the optimum) and
    :math:`C = |Z_\perp|^2 \sim \chi^2_{d-1}`, :math:`|x + \sigma Z|^2/\sigma^2 =
    (\rho - t)^2 + C`, so the event is :math:`C < (t - e)(2\rho - t - e)` and

    .. math:: P = \int_e^{2\rho - e} \varphi(t)\,
              P\bigl(\chi^2_{d-1} \le (t - e)(2\rho - t - e)\bigr)\,dt,

    an integral of positive terms whose argument is a product (no ``rho^2 - ...``
    cancellation at huge ``rho``), cut at ``t = 38.6`` where ``phi`` underflows;
    ``d = 1`` is the normal mass of ``(e, 2 rho - e)``.
    """
    delta = rho - e
    if not delta > 0.0:
        return 0.0
    if d_v == 1:
        return _normal_mass(e, e + 2.0 * delta)
    top = min(2.0 * delta, _T_MAX - e)
    if not top > 0.0:
        return 0.0  # below phi(38.6): under the smallest double
    k = 0.5 * (d_v - 1)

    def integrand(sv: np.ndarray) -> np.ndarray:
        tv = e + sv
        return (
            _INV_SQRT_2PI
            * np.exp(-0.5 * tv * tv)
            * special.gammainc(k, 0.5 * sv * (2.0 * delta - sv))
        )

    return _adaptive_gk(integrand, _inner_edges(k, delta, top))


def _rho(z_v: float, sigma_v: float) -> float:
    """rho = z/sigma, held at the largest double when the quotient overflows (then only the
    shift (d - 1)/(2 rho) of the success threshold, below (d - 1)/3.6e308, is lost)."""
    return min(z_v / sigma_v, sys.float_info.max)


def beneficial_probability(d_v: int, z_v: float, sigma_v: float) -> float:
    r"""P(chi'^2_d(lambda) < lambda), lambda = z^2/sigma^2, by the radial integral.

    :math:`P_{\mathrm{ben}} = \int_0^{2\rho}\varphi(t)\,P(\chi^2_{d-1} \le t(2\rho - t))\,dt`,
    :math:`\rho = z/\sigma` (:func:`_radial_cdf` at ``e = 0``): accurate at any
    noncentrality, where :func:`scipy.stats.ncx2.cdf` returns NaN beyond about 1e11.
    """
    # P_ben <= 1/2: the ball |y| < z lies in the half-space facing the optimum, which the
    # mutation enters with probability 1/2; the clip only removes quadrature rounding
    return min(_radial_cdf(int(d_v), _rho(z_v, sigma_v), 0.0), 0.5)


def expected_progress(d_v: int, z_v: float, sigma_v: float) -> float:
    r"""E[(z - R)^+] = sigma \int_0^\rho P(R < sigma(\rho - e))\,de by nested quadrature.

    The layer-cake formula in the gap ``e`` (in units of sigma) below the current
    distance; the CDF is the radial integral of :func:`_radial_cdf`. ``P(R < sigma(rho -
    e)) <= P(N > e)``, so the integrand lives on ``e`` of order one (shifted by about
    ``(d - 1)/(2 rho)``): break points on a grid there.
    """
    rho = _rho(z_v, sigma_v)
    d_i = int(d_v)
    shift = 0.5 * (d_i - 1) / rho if rho > 0 else 0.0
    points = [shift + c for c in (-2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0)]
    points += [rho * f for f in (0.5, 0.9, 0.99)]
    upper = min(rho, _T_MAX)  # P(R < sigma(rho - e)) <= P(N > e) = 0 in doubles beyond
    points = sorted({p for p in points if 0.0 < p < upper})
    val, _ = integrate.quad(
        lambda e: _radial_cdf(d_i, rho, e),
        0.0,
        upper,
        points=points or None,
        epsabs=0.0,
        epsrel=1e-11,
        limit=200,
    )
    return sigma_v * float(val)


@register
class FisherGeometric(Model):
    r"""Fisher's geometric model: one isotropic Gaussian mutation, accepted only if it improves.

    With :math:`\lambda = z^2/\sigma^2`,

    .. math:: P_{\mathrm{ben}} = P(\chi'^2_d(\lambda) < \lambda),\qquad
              E[\Delta] = \int_0^z P(\chi'^2_d(\lambda) < r^2/\sigma^2)\,dr,

    and, for :math:`d \to \infty` at fixed :math:`s = \sigma d/z`,
    :math:`\varphi(s) = \tfrac{s}{\sqrt{2\pi}}e^{-s^2/8} - \tfrac{s^2}{2}(1 - \Phi(s/2))`,
    maximal at :math:`s^* \approx 1.224` with :math:`\varphi^* \approx 0.2025`.

    Sources: Fisher (1930); Rechenberg (1973); Beyer (2001), ch. 3.

    Examples
    --------
    >>> from driftkit.theory.fisher_geometric import FisherGeometric
    >>> m = FisherGeometric()
    >>> round(m.value("optimal_normalized_step"), 3), round(m.value("optimal_progress_rate"), 4)
    (1.224, 0.2025)
    """

    name = "fisher-geometric"
    title = "Fisher's geometric model ((1+1) selection of a Gaussian mutation)"
    summary = (
        "distance z to the optimum in d dimensions; an isotropic Gaussian mutation of scale "
        "sigma is kept only if it brings the phenotype closer"
    )
    curve_parameter = "sigma"
    plot_quantities = ("beneficial_probability", "expected_progress")
    parameters = (
        Parameter(
            "d",
            10,
            "dimension of the phenotype space",
            low=1,
            high=math.inf,
            integer=True,
            latex="d",
        ),
        Parameter(
            "z",
            1.0,
            "distance from the optimum, > 0",
            low=0.0,
            low_open=True,
            high_open=True,
            latex="z",
        ),
        Parameter(
            "sigma",
            0.1,
            "mutation scale (per coordinate standard deviation), > 0",
            low=0.0,
            low_open=True,
            high_open=True,
            latex=r"\sigma",
        ),
    )
    quantities = (
        Quantity(
            "beneficial_probability",
            "P(|x + sigma Z| < z) with |x| = z: the probability that the mutation is kept",
            r"P_{\mathrm{ben}}",
        ),
        Quantity(
            "expected_progress",
            "E[(z - |x + sigma Z|)^+]: expected decrease of the distance in one step "
            "when only improvements are kept",
            r"E[\Delta]",
        ),
        Quantity(
            "optimal_normalized_step",
            "asymptotic (d -> oo): the normalised step s* = sigma d / z maximising the "
            "normalised progress rate phi(s); parameter-free, not simulated",
            r"s^*",
            kind="asymptotic",
        ),
        Quantity(
            "optimal_progress_rate",
            "asymptotic (d -> oo): the maximal normalised progress phi(s*) = "
            "lim d E[Delta]/z at sigma = s* z/d; parameter-free, not simulated",
            r"\varphi(s^*)",
            kind="asymptotic",
        ),
        Quantity(
            "optimal_success_rate",
            "asymptotic (d -> oo): success probability 1 - Phi(s*/2) at the optimal step; "
            "parameter-free, not simulated",
            r"P_{\mathrm{ben}}(s^*)",
            kind="asymptotic",
        ),
    )
    references = (
        Reference(
            "fisher1930",
            "R. A. Fisher, The Genetical Theory of Natural Selection, Clarendon Press (1930), "
            "ch. 2 (the geometric model of adaptation).",
            "@book{fisher1930,\n  author = {Fisher, Ronald A.},\n"
            "  title = {The Genetical Theory of Natural Selection},\n"
            "  publisher = {Clarendon Press}, address = {Oxford}, year = {1930}\n}",
        ),
        Reference(
            "rechenberg1973",
            "I. Rechenberg, Evolutionsstrategie: Optimierung technischer Systeme nach "
            "Prinzipien der biologischen Evolution, Frommann-Holzboog (1973).",
            "@book{rechenberg1973,\n  author = {Rechenberg, Ingo},\n"
            "  title = {Evolutionsstrategie: Optimierung technischer Systeme nach Prinzipien "
            "der biologischen Evolution},\n"
            "  publisher = {Frommann-Holzboog}, address = {Stuttgart}, year = {1973}\n}",
        ),
        Reference(
            "beyer2001",
            "H.-G. Beyer, The Theory of Evolution Strategies, Springer (2001), ch. 3 "
            "(progress rate of the (1+1)-ES on the sphere).",
            "@book{beyer2001,\n  author = {Beyer, Hans-Georg},\n"
            "  title = {The Theory of Evolution Strategies},\n"
            "  series = {Natural Computing Series},\n"
            "  publisher = {Springer}, address = {Berlin}, year = {2001}\n}",
        ),
    )

    def curve_range(self, param: str) -> tuple[float, float]:
        """``sigma`` in ``(0, 4 z / d)``: the normalised step s = sigma d / z in (0, 4),
        which contains the optimum s* ~ 1.22 and the default sigma = 0.1 (d = 10, z = 1)."""
        if param == "sigma":
            return 0.0, 4.0 * self["z"] / self["d"]
        return super().curve_range(param)

    # -- formulas ---------------------------------------------------------
    def _expression(self, name: str, case: bool) -> sp.Expr:
        der = _derive()
        if name == "beneficial_probability":
            return der.beneficial
        if name == "expected_progress":
            return der.progress
        star = sp.Float(_optimum()[0], 16)
        if name == "optimal_normalized_step":
            return star
        if name == "optimal_progress_rate":
            return der.phi.subs(s, star)
        return der.success.subs(s, star)

    def latex(self, name: str) -> str:
        """LaTeX of the formula; the asymptotic optimum is written as the root of phi'."""
        der = _derive()
        symbol = self.quantity(name).symbol
        if name == "optimal_normalized_step":
            return (
                f"{symbol} = \\arg\\max_s \\varphi(s) = {_optimum()[0]:.10f},\\qquad "
                f"\\varphi(s) = {sp.latex(der.phi)}"
            )
        if name == "optimal_progress_rate":
            return f"{symbol} = {sp.latex(der.phi.subs(s, sp.Symbol('s^*')))}"
        if name == "optimal_success_rate":
            return f"{symbol} = {sp.latex(der.success.subs(s, sp.Symbol('s^*')))}"
        return f"{symbol} = {sp.latex(self.expression(name))}"

    def _value(self, name: str) -> float:
        dv, zv, sv = self["d"], self["z"], self["sigma"]
        if name == "beneficial_probability":
            return beneficial_probability(dv, zv, sv)
        if name == "expected_progress":
            return expected_progress(dv, zv, sv)
        star, phi_star, succ_star = _optimum()
        return {
            "optimal_normalized_step": star,
            "optimal_progress_rate": phi_star,
            "optimal_success_rate": succ_star,
        }[name]

    def normalized_progress(self) -> float:
        """d E[Delta] / z at this model's parameters (finite-d counterpart of phi(s))."""
        return self.value("expected_progress") * self["d"] / self["z"]

    # -- derivation -------------------------------------------------------
    def derivation(self) -> str:
        der = _derive()
        X = sp.latex
        star, phi_star, succ_star = _optimum()
        lines = [
            f"## {self.title}: derivation",
            "",
            "**Model.** A phenotype $x \\in \\mathbb{R}^d$ at distance $z = |x| > 0$ from the "
            "optimum $0$ receives the mutation $\\sigma Z$, $Z \\sim N(0, I_d)$, $\\sigma > 0$; "
            "selection keeps it only if $|x + \\sigma Z| < z$. The gain of one step is "
            "$\\Delta = (z - |x + \\sigma Z|)^+$.",
            "",
            "**Assumptions.** Isotropic Gaussian mutations; the fitness is a decreasing "
            "function of the distance only; one step.",
            "",
            "### The new distance is noncentral chi-square",
            "",
            "Write $W = |x + \\sigma Z|^2/\\sigma^2 = \\sum_i (m_i + Z_i)^2$ with "
            "$m_i = x_i/\\sigma$. For one coordinate `sympy.integrate` gives",
            "",
            f"$$ E\\,e^{{t (m + Z)^2}} = {X(der.mgf_one)}, \\qquad t < \\tfrac12. $$",
            "",
            "Each factor is $e^{m_i^2 g(t)} h(t)$, so the product over the $d$ independent "
            "coordinates depends on the means only through "
            "$\\sum_i m_i^2 = z^2/\\sigma^2 = \\lambda$ (rotation invariance):",
            "",
            f"$$ E\\,e^{{t W}} = {X(der.mgf_w)}, $$",
            "",
            "the MGF of the noncentral chi-square law $\\chi'^2_d(\\lambda)$. Expanding "
            "$e^{\\lambda t/(1 - 2t)}$ in powers of $(1 - 2t)^{-1}$, `sympy.summation` "
            f"checks that $\\sum_{{j \\ge 0}} {X(der.mixture_term)}$ equals it: $W$ is a "
            "Poisson$(\\lambda/2)$ mixture of central $\\chi^2_{d+2j}$, whose CDFs are "
            "regularised lower gamma functions:",
            "",
            f"$$ P(W < w) = {X(der.cdf)}. $$",
            "",
            "### Beneficial probability",
            "",
            "$|x + \\sigma Z| < z \\iff W < \\lambda$, so",
            "",
            "$$ P_{\\mathrm{ben}} = P(\\chi'^2_d(\\lambda) < \\lambda) = "
            f"{X(der.beneficial)}, $$",
            "",
            "evaluated (because `scipy.stats.ncx2.cdf` is NaN beyond a noncentrality of "
            "about $10^{11}$) as an integral over the radial coordinate $t$ toward the "
            "optimum: $P = \\int_e^{2\\rho - e} \\varphi(t)\\, P(\\chi^2_{d-1} \\le "
            "(t - e)(2\\rho - t - e))\\,dt$ with $\\rho = z/\\sigma$, a positive integrand "
            "with no cancellation at any $\\rho$, by adaptive Gauss-Kronrod quadrature "
            "(relative tolerance $10^{-13}$). Conditioning on the mutation "
            "length $\\rho = \\sigma\\chi_d$ instead gives the classical form "
            "$E[\\tfrac12 I_{1 - \\rho^2/(4z^2)}(\\tfrac{d-1}{2}, \\tfrac12); \\rho < 2z]$ "
            "(a regularised incomplete beta function of the cap of beneficial directions), "
            "and for large $d$, $\\rho \\approx \\sigma\\sqrt d$.",
            "",
            "### Expected progress",
            "",
            "With $R = |x + \\sigma Z|$, $E[(z - R)^+] = \\int_0^z P(R < r)\\,dr$ "
            "(layer-cake formula), and $P(R < r) = P(W < r^2/\\sigma^2)$:",
            "",
            f"$$ E[\\Delta] = {X(der.progress)}, $$",
            "",
            "evaluated by `scipy.integrate.quad` over the gap $e$ of the radial form above "
            "(relative tolerance $10^{-12}$).",
            "",
            "### Large-$d$ limit: the (1+1)-ES progress rate",
            "",
            "Write $|x + \\sigma Z|^2 = z^2 + 2 z\\sigma Z_1 + \\sigma^2 C$ with $Z_1$ the "
            "radial coordinate and $C \\approx d$ (law of large numbers). At "
            "$\\sigma = s z/d$, `sympy.limit` gives",
            "",
            "$$ \\lim_{d\\to\\infty} \\frac{d}{z}\\,(z - |x + \\sigma Z|) = "
            f"{X(der.linear)}, $$",
            "",
            "so with $N = -Z_1 \\sim N(0, 1)$ the step succeeds iff $N > s/2$ and "
            "(`sympy.integrate`) the normalised progress rate and success rate are",
            "",
            f"$$ \\varphi(s) = \\lim_{{d\\to\\infty}} \\frac{{d}}{{z}} E[\\Delta] = {X(der.phi)}, "
            f"\\qquad P_{{\\mathrm{{ben}}}}(s) = {X(der.success)}. $$",
            "",
            f"`sympy.diff`: $\\varphi'(s) = {X(der.dphi)}$; its root by `scipy.optimize.brentq` "
            f"is $s^* = {star:.10f}$, with $\\varphi(s^*) = {phi_star:.10f}$ and success rate "
            f"${succ_star:.10f}$ (Rechenberg's 1/5 rule is a rounded form of the last). These "
            "are asymptotic: at finite $d$, $d\\,E[\\Delta]/z$ at $\\sigma = s z/d$ approaches "
            "$\\varphi(s)$ as $d$ grows.",
            "",
            "**Sources.** R. A. Fisher, *The Genetical Theory of Natural Selection* (1930); "
            "I. Rechenberg, *Evolutionsstrategie* (1973); H.-G. Beyer, *The Theory of "
            "Evolution Strategies* (2001), ch. 3.",
            "",
        ]
        return "\n".join(lines)
