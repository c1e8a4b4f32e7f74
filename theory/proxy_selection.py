r"""Selection on a proxy (whac-a-mole): a detector that sees only some coordinates.

The state :math:`x \in \mathbb{R}^d` starts at :math:`0` (perfectly aligned). Each
step proposes :math:`y = x + \sigma Z`, :math:`Z \sim N(0, I_d)`. A detector reads the
squared misalignment of the first :math:`k` coordinates with Gaussian reading noise,
:math:`\mathrm{reading}(v) = \| v_{1:k}\|^2 + \tau\varepsilon`, a fresh
:math:`\varepsilon \sim N(0,1)` for every reading. The proposal is accepted when
:math:`\mathrm{reading}(y) - \mathrm{reading}(x) \le \mathrm{tol}`, both readings
fresh, so the noise of the difference is :math:`\tau\sqrt 2\,\eta`,
:math:`\eta \sim N(0,1)` (**convention**: :math:`\tau` is the s.d. of one reading,
not of the difference).

Only :math:`s = \| x_{1:k}\|^2` matters for acceptance and, by the rotation
invariance of :math:`Z`, :math:`s` is itself a Markov chain: from :math:`s` the
proposed value is :math:`s' = \sigma^2 W`, :math:`W \sim \chi'^2_k(s/\sigma^2)`
(noncentral chi-square), accepted with probability
:math:`\Phi((\mathrm{tol} - (s' - s))/(\tau\sqrt 2))` (an indicator when
:math:`\tau = 0`). The unobserved coordinates move (by :math:`\sigma Z_{k+1:d}`,
independent of the decision) exactly when the step is accepted, so
:math:`E\| x_{k+1:d}\|^2` after :math:`T` steps is
:math:`(d-k)\sigma^2 \sum_{t<T} P(\text{accept at step } t)`.

Start-state quantities (:math:`s = 0`, :math:`W \sim \chi^2_k`) are closed forms:
:math:`P_{\mathrm{acc}} = E\,\Phi((\mathrm{tol} - \sigma^2 W)/(\tau\sqrt2))`, the
regularized lower incomplete gamma :math:`P(k/2, \mathrm{tol}/(2\sigma^2))` when
:math:`\tau = 0`; by :math:`w f_k(w) = k f_{k+2}(w)` (derived in sympy) the observed
drift is :math:`\sigma^2 k\,P_{\mathrm{acc}}^{(k+2)}`, the same acceptance with
:math:`k + 2` degrees of freedom. For :math:`\tau > 0` the expectation is one 1-D
quadrature (scipy ``quad``) of the chi-square density against the normal CDF.

After ``steps`` steps, :math:`E[s_T]` and :math:`\sum_{t<T} p(t)` come from the exact
1-D Markov chain, discretised by Nystrom product integration in :math:`u = \sqrt s`
(Gauss-Legendre panels; the one-step integrals against the noncentral chi-square
density split at the acceptance cut), stepped or, for long runs, raised to the power
``steps`` by repeated squaring. These three are labelled ``numerical``: the relative
error stated is :data:`CHAIN_RTOL` (compared with 40-digit mpmath quadrature for one
and two steps and with simulations; each call also compares with a coarser layout).

With :math:`\mathrm{tol} = 0`, :math:`\tau = 0` and :math:`k \ge 1` the walk never
moves: every proposal increases the observed misalignment almost surely, so the
acceptance probability is 0 and every drift and expected misalignment is 0.

Sources: THEORY.md (selection on a proxy); N. L. Johnson, S. Kotz and N. Balakrishnan,
*Continuous Univariate Distributions*, vol. 2, 2nd ed. (1995), ch. 29 (noncentral
chi-square, its Poisson-mixture form); D. Manheim and S. Garrabrant, *Categorizing
Variants of Goodhart's Law* (2018).
"""

from __future__ import annotations

import functools
import itertools
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy as sp
import sympy.stats as sps
from driftkit.theory._base import Model, Parameter, ParameterError, Quantity, Reference
from driftkit.theory._cache import disk_cache
from driftkit.theory._registry import register
from scipy import integrate, special, stats

__all__ = ["CHAIN_RTOL", "ProxySelection", "chain_values", "grid_propagate"]

# Model symbols.
d_, k_ = sp.symbols("d k", positive=True, integer=True)
sigma = sp.Symbol(r"\sigma", positive=True)
tol = sp.Symbol(r"\mathrm{tol}", nonnegative=True)
tau = sp.Symbol(r"\tau", positive=True)
T_ = sp.Symbol("T", positive=True, integer=True)
w = sp.Symbol("w", positive=True)
eta = sp.Symbol(r"\eta", real=True)


@dataclass(frozen=True)
class _Derived:
    chi_pdf: sp.Expr  # density of chi^2_k at w
    chi_cdf: sp.Expr  # CDF of chi^2_k at w (regularized lower gamma)
    identity: sp.Expr  # w f_k(w) / (k f_{k+2}(w)), simplified: 1
    conditional: sp.Expr  # P(sigma^2 w + tau sqrt2 eta <= tol | W = w)
    acceptance0: sp.Expr  # tau = 0 acceptance at s = 0
    drift_obs0: sp.Expr  # tau = 0 observed drift at s = 0
    acceptance: sp.Expr  # tau > 0: unevaluated integral
    drift_obs: sp.Expr  # tau > 0: unevaluated integral


@disk_cache
def _derive() -> _Derived:
    kk = sp.Symbol("k", positive=True)
    W = sps.ChiSquared("W", kk)
    pdf = sps.density(W)(w)
    W2 = sps.ChiSquared("W2", kk + 2)
    pdf2 = sps.density(W2)(w)
    identity = sp.simplify(sp.gammasimp(w * pdf / (kk * pdf2)))
    if identity != 1:  # pragma: no cover - a sympy regression
        raise AssertionError(f"w f_k(w) != k f_(k+2)(w): ratio {identity}")
    # conditional acceptance given W = w: P(tau sqrt2 eta <= tol - sigma^2 w), standardized
    N = sps.Normal("N", 0, 1)
    cond = sps.cdf(N)((tol - sigma**2 * w) / (sp.sqrt(2) * tau))
    # tau = 0: P(sigma^2 W <= tol), the chi-square CDF (regularized lower incomplete gamma)
    x = tol / sigma**2
    cdf = sp.simplify(sps.cdf(W)(x))
    # observed drift (tau = 0): E[sigma^2 W 1{sigma^2 W <= tol}] = sigma^2 k P(chi2_{k+2} <= x)
    drift0 = sigma**2 * kk * cdf.subs(kk, kk + 2)
    # check: d/dtol of the drift is sigma^2 w f_k(w) dw/dtol at w = tol/sigma^2, and 0 at tol = 0
    check = sp.diff(drift0, tol) - (sigma**2 * w * pdf).subs(w, x) / sigma**2
    check = sp.simplify(sp.gammasimp(sp.expand_func(check)))
    if check != 0 or drift0.subs(tol, 0) != 0:  # pragma: no cover
        raise AssertionError(f"observed drift identity failed: {check}")
    acc = sp.Integral(pdf * cond, (w, 0, sp.oo))
    drift = sp.Integral(sigma**2 * w * pdf * cond, (w, 0, sp.oo))
    sub = {kk: k_}
    return _Derived(
        pdf.subs(sub),
        cdf.subs(sub),
        identity,
        cond,
        cdf.subs(sub),
        drift0.subs(sub),
        acc.subs(sub),
        drift.subs(sub),
    )


# -- start-state evaluators --------------------------------------------------------------


def acceptance_at_zero(k: int, sigma_v: float, tol_v: float, tau_v: float) -> float:
    """P(accept) at s = 0 with ``k`` observed coordinates (scipy; see :func:`_derive`)."""
    if k == 0:
        if tau_v == 0.0:
            return 1.0  # the reading difference is exactly 0 <= tol
        return float(stats.norm.cdf(tol_v / (tau_v * math.sqrt(2.0))))
    if sigma_v**2 == 0.0:  # sigma^2 underflows: the rise sigma^2 W is 0 against tol, tau
        if tau_v == 0.0:
            return 1.0 if tol_v > 0.0 else 0.0
        return float(stats.norm.cdf(tol_v / (tau_v * math.sqrt(2.0))))
    if tau_v == 0.0:
        return float(special.gammainc(k / 2.0, tol_v / (2.0 * sigma_v**2)))
    c = tau_v * math.sqrt(2.0)

    def f(x):
        return stats.chi2.pdf(x, k) * stats.norm.cdf((tol_v - sigma_v**2 * x) / c)

    # split at the mode of the normal factor and at the chi-square's bulk
    # and across the normal factor's width c / sigma^2 around its cut (where all the mass
    # lies when the noise is narrow against the chi-square's scale)
    x0, cw = tol_v / sigma_v**2, c / sigma_v**2
    cuts = {x0 + j * cw for j in (-12.0, -6.0, -3.0, 0.0, 3.0, 6.0, 12.0, 40.0)}
    pts = sorted({*cuts, float(k), max(k - 2.0, 0.0)})
    hi = max(pts) + 40.0 * math.sqrt(2.0 * k) + 40.0 * c / sigma_v**2 + 100.0
    edges = [0.0] + [p for p in pts if 0.0 < p < hi] + [hi]
    total = 0.0
    for a, b in itertools.pairwise(edges):
        val, _ = integrate.quad(f, a, b, epsabs=1e-15, epsrel=1e-13, limit=400)
        total += val
    return float(min(max(total, 0.0), 1.0))


# -- the chain on s: Nystrom product integration in u = sqrt(s) ---------------------------
#
# All in units of sigma^2 (sigma = 1, tol / sigma^2, tau / sigma^2). From u = sqrt(s) the
# proposal r = |u e + Z| (Z ~ N(0, I_k)) has a smooth density of width ~1 in r; a
# function of the state is represented by its values at Gauss-Legendre nodes of panels
# in u (graded from the scale sqrt(tol + 2 tau) near 0), and the one-step operator
# (K f)(u) = int q(r|u) alpha(r^2 - u^2) f(r) dr + (1 - a(u)) f(u) is integrated exactly
# against each panel's interpolant (Gauss-Legendre pieces split at the acceptance cut
# r^2 = u^2 + tol and across the width of the noisy cut). E[s_T] and sum_t p(t) from
# s = 0 follow from T products (stepped up to _ITER_MAX, beyond by repeated squaring,
# stopped once the chain has reached its stationary law).

#: stated relative error of the multi-step quantities (checked by refinement at each call)
CHAIN_RTOL = 1e-8
_M = 12  # interpolation nodes per panel
_Q = 24  # quadrature points per piece
_Z = 12.0  # kernel support half-width in normal s.d. (tail < e^-72)
_ITER_MAX = 4096  # up to this many steps: stepped; beyond: repeated squaring
_PANELS = 30  # panels across the upper range (sets the widest panel)
_XQ, _WQ = np.polynomial.legendre.leggauss(_Q)
_XM, _ = np.polynomial.legendre.leggauss(_M)
_BWM = np.array([1.0 / np.prod(x - np.delete(_XM, j)) for j, x in enumerate(_XM)])


def _density(r: np.ndarray, k: int, u: float) -> np.ndarray:
    """Density of r = |u e + Z|, Z ~ N(0, I_k), at r >= 0."""
    if u < 1.0:  # scipy's chi-square densities (its noncentral one is slow for large u)
        x = r * r
        f = stats.chi2.pdf(x, k) if u == 0.0 else stats.ncx2.pdf(x, k, u * u)
        return 2.0 * r * f
    # 2 r ncx2(r^2; k, u^2) = r (r/u)^nu exp(-(r - u)^2 / 2) ive(nu, u r), nu = k/2 - 1,
    # with the exponentially scaled Bessel function (no overflow at any u)
    nu = 0.5 * k - 1.0
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        return r * (r / u) ** nu * np.exp(-0.5 * (r - u) ** 2) * special.ive(nu, u * r)


def _accept(r: np.ndarray, u: float, tol_v: float, tau_v: float) -> np.ndarray:
    rise = (r - u) * (r + u)
    if tau_v == 0.0:
        return (rise <= tol_v).astype(float)
    return special.ndtr((tol_v - rise) / (tau_v * math.sqrt(2.0)))


def _equilibrium_u(k: int, tol_v: float, tau_v: float) -> float:
    """Stationary scale of u from the Gaussian drift balance (a guide for the range only)."""

    def drift(u: float) -> float:
        v = 4.0 * u * u + 2.0 * k + 2.0 * tau_v * tau_v
        z = (tol_v - k) / math.sqrt(v)
        return k * special.ndtr(z) * math.sqrt(v) - (4 * u * u + 2 * k) * math.exp(
            -0.5 * z * z
        ) / math.sqrt(2.0 * math.pi)

    lo, hi = 1e-3, 1.0
    while drift(hi) > 0 and hi < 1e300:
        lo, hi = hi, 2.0 * hi
    while hi / lo > 1.001:
        mid = math.sqrt(lo * hi)
        lo, hi = (mid, hi) if drift(mid) > 0 else (lo, mid)
    return hi


def _operator(k: int, tol_v: float, tau_v: float, edges: np.ndarray):
    """Nodes u (n + 1; the last is the origin), K, acceptance a, mass accepted above."""
    P = len(edges) - 1
    a, b = edges[:-1], edges[1:]
    nodes = 0.5 * (a + b)[:, None] + 0.5 * (b - a)[:, None] * _XM[None, :]
    u_all = np.append(nodes.ravel(), 0.0)
    n1 = u_all.size
    U = edges[-1]
    K = np.zeros((n1, n1))
    acc, lost = np.zeros(n1), np.zeros(n1)
    c = tau_v * math.sqrt(2.0)
    cs = (-12.0, -6.0, -3.0, -1.5, 0.0, 1.5, 3.0, 6.0, 12.0, 20.0, 40.0) if c > 0 else (0.0,)
    sk = math.sqrt(max(k - 1, 0))
    for i, u in enumerate(u_all):
        r_lo = math.hypot(max(u - _Z, 0.0), max(sk - _Z, 0.0))
        r_hi = math.hypot(u + _Z, sk + _Z)
        cuts = [math.sqrt(max(u * u + tol_v + ci * c, 0.0)) for ci in cs]
        lo, hi = max(0.0, min(r_lo, cuts[-1] - _Z)), min(r_hi, cuts[-1])
        if hi <= lo:
            continue
        inner = [x for x in [*edges, *cuts] if lo < x < hi]
        br = np.unique(np.array([lo, hi, *inner]))
        lens = np.diff(br)
        parts = np.maximum(np.ceil(lens), 1).astype(int)  # pieces <= 1 (the kernel's scale)
        width = np.repeat(lens / parts, parts)
        first = np.repeat(np.cumsum(parts) - parts, parts)
        start = np.repeat(br[:-1], parts) + (np.arange(parts.sum()) - first) * width
        r = (start[:, None] + 0.5 * width[:, None] * (_XQ[None, :] + 1.0)).ravel()
        val = (0.5 * width[:, None] * _WQ[None, :]).ravel()
        val = val * _density(r, k, u) * _accept(r, u, tol_v, tau_v)
        val = np.where(np.isfinite(val), val, 0.0)
        out = r > U
        lost[i] = val[out].sum()
        r, val = r[~out], val[~out]
        p = np.clip(np.searchsorted(edges, r, side="right") - 1, 0, P - 1)
        t = (2.0 * r - (a[p] + b[p])) / (b[p] - a[p])
        diff = t[:, None] - _XM[None, :]
        hit = diff == 0.0
        L = _BWM[None, :] / np.where(hit, 1.0, diff)
        L /= L.sum(axis=1, keepdims=True)
        exact = hit.any(axis=1)
        L[exact] = hit[exact]
        idx = (p[:, None] * _M + np.arange(_M)[None, :]).ravel()
        np.add.at(K[i], idx, (L * val[:, None]).ravel())
        acc[i] = val.sum() + lost[i]
    K[np.arange(n1), np.arange(n1)] += 1.0 - acc
    return u_all, K, acc, lost


def _run(u_all, K, acc, lost, steps: int) -> tuple[float, float, float]:
    """E[s_T], sum_{t<T} p(t) and the mass accepted above the range by T, from s = 0."""
    n1 = u_all.size
    s = u_all * u_all
    if steps <= _ITER_MAX:
        pi = np.zeros(n1)
        pi[-1] = 1.0
        A = L = 0.0
        for _ in range(steps):
            A += pi @ acc
            L += pi @ lost
            pi = pi @ K
        return float(pi @ s), float(A), float(L)
    M = np.zeros((n1 + 2, n1 + 2))  # the chain with two accumulating states
    M[:n1, :n1] = K
    M[:n1, n1], M[:n1, n1 + 1] = acc, lost
    M[n1, n1] = M[n1 + 1, n1 + 1] = 1.0
    vec = np.zeros(n1 + 2)
    vec[n1 - 1] = 1.0
    e = int(steps)
    while e:
        if e & 1:
            vec = vec @ M
        e >>= 1
        if not e:
            break
        M = M @ M
        B = M[:n1, :n1]
        if np.max(np.abs(B - B[-1])) <= 1e-15 * max(np.max(np.abs(B)), 1e-300):
            # stationary: M^P = [[1 pi, c], [0, 1]], so (M^P)^e adds (e - 1) (pi . c) per row
            w = vec[:n1].copy()
            tot = float(w.sum())
            vec[:n1] = tot * B[-1]
            for col in (n1, n1 + 1):
                vec[col] += w @ M[:n1, col] + (e - 1) * float(B[-1] @ M[:n1, col]) * tot
            break
    return float(vec[:n1] @ s), float(vec[n1]), float(vec[n1 + 1])


def _chain_on(k: int, tol_v: float, tau_v: float, steps: int, U: float, fine: bool):
    wcap = max(2.0 if fine else 4.0, U / (_PANELS if fine else _PANELS / 2))
    grow = 0.6 if fine else 1.0
    h0 = min(0.5, 0.5 * math.sqrt(max(tol_v + 2.0 * tau_v, 1e-300)), U / 2.0)
    e = [0.0, h0]
    while e[-1] < U:
        e.append(e[-1] + min(e[-1] * grow, wcap))
    e[-1] = U
    u_all, K, acc, lost = _operator(k, tol_v, tau_v, np.array(e))
    return (*_run(u_all, K, acc, lost, steps), u_all.size)


def _shortcut(k: int, tol_v: float, tau_v: float, steps: int):
    """(E[s_T], sum p) when the acceptance cannot depend on the state, else None."""
    c = tau_v * math.sqrt(2.0)
    reach = min((steps + 1.0) * (tol_v + 40.0 * c), (steps * (math.sqrt(k) + _Z)) ** 2)
    rise = 2.0 * _Z * math.sqrt(reach) + k + _Z * math.sqrt(2.0 * k) + _Z * _Z  # |s' - s|
    if tol_v - rise - 40.0 * c >= 0.0:  # every reachable rise is accepted (but < e^-72)
        return steps * float(k), float(steps)
    if c > 0.0:
        x0 = tol_v / c
        if rise / c * max(1.0, abs(x0)) <= 1e-13:  # Phi((tol - rise)/c) = Phi(x0) (1 +- 1e-13)
            p = float(special.ndtr(x0))
            return steps * k * p, steps * p
    return None


@functools.lru_cache(maxsize=256)
def chain_values(k: int, tol_v: float, tau_v: float, steps: int) -> tuple[float, float, dict]:
    """E[s_T] and sum_{t<T} p(t) in units of sigma^2 (sigma = 1), with the error estimate.

    The range [0, U] in u covers where the chain can be by ``steps`` (s_t <= t tol when
    tau = 0) or, for long runs, its stationary law with a wide margin; U is doubled
    while the mass accepted above it matters. The estimate is the relative difference
    from a coarser panel layout (about 60% of the nodes).
    """
    short = _shortcut(k, tol_v, tau_v, steps)
    if short is not None:
        return short[0], short[1], {"n": 0, "U": 0.0, "lost": 0.0, "error": 0.0}
    reach = (steps + 1.0) * (tol_v + 40.0 * math.sqrt(2.0) * tau_v)
    U = min(
        1.5 * math.sqrt(reach) + 4.0,
        steps * (math.sqrt(k) + _Z),
        3.0 * _equilibrium_u(k, tol_v, tau_v) + 4.0 * math.sqrt(k) + 40.0,
    )
    for _ in range(8):
        m, p, lost, n = _chain_on(k, tol_v, tau_v, steps, U, True)
        # what left the range would add at most lost * steps to sum p and lost * (U^2 +
        # steps (k + tol + tau)) to E[s_T]
        if lost * steps <= 1e-13 * p and lost * (U * U + steps * (k + tol_v + tau_v)) <= (
            1e-13 * m
        ):
            break
        U *= 2.0
    m2, p2, _, _ = _chain_on(k, tol_v, tau_v, steps, U, False)
    err = max(abs(m - m2) / max(abs(m), 1e-300), abs(p - p2) / max(abs(p), 1e-300))
    return m, p, {"n": n, "U": U, "lost": lost, "error": err}


def grid_propagate(
    k: int, d: int, sigma_v: float, tol_v: float, tau_v: float, steps: int
) -> tuple[float, float, dict]:
    """E[s_T] and E||x_{k+1:d}||^2 after ``steps`` steps (see :func:`chain_values`).

    Returns (observed, unobserved, info); info: n (nodes), U (range in sqrt(s/sigma^2)),
    lost (mass accepted above it by T, a probability), error (relative difference from
    a coarser layout, an estimate of the error).
    """
    s2 = sigma_v**2
    if s2 == 0.0:  # sigma^2 underflows: both values are sigma^2 times finite numbers
        return 0.0, 0.0, {"n": 0, "U": 0.0, "lost": 0.0, "error": 0.0}
    m, p, info = chain_values(int(k), tol_v / s2, tau_v / s2, int(steps))
    return m * s2, (d - k) * s2 * p, info


# -- the model -----------------------------------------------------------------------------

_START = ("acceptance_probability", "unobserved_drift_rate", "observed_drift_rate")
_END = (
    "expected_misalignment",
    "expected_observed_misalignment",
    "expected_unobserved_misalignment",
)
t_ = sp.Symbol("t", integer=True, nonnegative=True)
_p = sp.Function("p")  # p(t): P(accept at step t)
_m = sp.Function("m")  # m(t) = E[s_t]


@register
class ProxySelection(Model):
    r"""Selection on a proxy: a detector sees ``k`` of ``d`` coordinates (whac-a-mole).

    From :math:`x = 0`, propose :math:`y = x + \sigma Z`; accept when
    :math:`\| y_{1:k}\|^2 - \| x_{1:k}\|^2 + \tau\sqrt2\,\eta \le
    \mathrm{tol}` (two fresh readings of noise s.d. :math:`\tau` each). At the start,
    :math:`P_{\mathrm{acc}} = P(k/2, \mathrm{tol}/(2\sigma^2))` when :math:`\tau = 0`;
    the unobserved coordinates drift at :math:`(d-k)\sigma^2 P_{\mathrm{acc}}` per step,
    the observed ones at :math:`\sigma^2 k P^{(k+2)}_{\mathrm{acc}}`. After ``steps``
    steps the observed part is held near a small level while the unobserved part grows
    linearly (the exact 1-D chain in :math:`s = \| x_{1:k}\|^2` by quadrature, relative
    error :data:`CHAIN_RTOL`).

    Examples
    --------
    >>> from driftkit.theory.proxy_selection import ProxySelection
    >>> m = ProxySelection(k=2, sigma=1.0, tol=2.0)
    >>> round(m.value("acceptance_probability"), 12)   # 1 - exp(-tol/(2 sigma^2))
    0.632120558829
    """

    name = "proxy-selection"
    title = "Selection on a proxy (whac-a-mole)"
    summary = (
        "d-dim random walk from 0; a noisy detector of the first k coordinates rejects "
        "steps that raise their misalignment by more than tol; the rest drifts freely."
    )
    curve_parameter = "steps"
    plot_quantities = ("expected_observed_misalignment", "expected_unobserved_misalignment")
    parameters = (
        Parameter("d", 20, "dimension of the state", low=1, integer=True, latex="d"),
        Parameter("k", 5, "observed coordinates, 0 <= k <= d", low=0, integer=True, latex="k"),
        Parameter(
            "sigma",
            0.1,
            "proposal step s.d. per coordinate, > 0",
            low=0.0,
            low_open=True,
            high_open=True,
            latex=r"\sigma",
        ),
        Parameter(
            "tol",
            0.01,
            "largest accepted rise of the reading, >= 0",
            low=0.0,
            high_open=True,
            latex=r"\mathrm{tol}",
        ),
        Parameter(
            "tau",
            0.0,
            "s.d. of the noise of one detector reading, >= 0",
            low=0.0,
            high_open=True,
            latex=r"\tau",
        ),
        Parameter("steps", 1000, "number of proposals", low=1, integer=True, latex="T"),
    )
    quantities = (
        Quantity(
            "acceptance_probability",
            "P(the first proposal is accepted), at the start state s = 0",
            r"P_{\mathrm{acc}}",
        ),
        Quantity(
            "unobserved_drift_rate",
            "expected change of ||x_{k+1:d}||^2 in the first step: (d-k) sigma^2 P_acc",
            r"\Delta_{\mathrm{unobs}}",
        ),
        Quantity(
            "observed_drift_rate",
            "expected change of ||x_{1:k}||^2 in the first step (>= 0 at s = 0)",
            r"\Delta_{\mathrm{obs}}",
        ),
        Quantity(
            "expected_misalignment",
            "E||x_T||^2 after T = steps steps (numerical: quadrature of the chain on s, "
            f"error < {CHAIN_RTOL:g} relative)",
            r"E\| x_T\|^2",
            kind="numerical",
        ),
        Quantity(
            "expected_observed_misalignment",
            "E||x_{T,1:k}||^2 after T steps (numerical: quadrature of the exact 1-D chain "
            f"in s, error < {CHAIN_RTOL:g} relative)",
            r"E\| x_{T,1:k}\|^2",
            kind="numerical",
        ),
        Quantity(
            "expected_unobserved_misalignment",
            "E||x_{T,k+1:d}||^2 = (d-k) sigma^2 sum_{t<T} P(accept at t) (numerical: "
            f"quadrature of the chain on s, error < {CHAIN_RTOL:g} relative; exact when k = 0)",
            r"E\| x_{T,k+1:d}\|^2",
            kind="numerical",
        ),
    )
    references = (
        Reference(
            "johnson1995",
            "N. L. Johnson, S. Kotz and N. Balakrishnan, Continuous Univariate "
            "Distributions, vol. 2, 2nd ed., Wiley (1995), ch. 29 (noncentral chi-square).",
            "@book{johnson1995,\n  author = {Johnson, Norman L. and Kotz, Samuel and "
            "Balakrishnan, N.},\n  title = {Continuous Univariate Distributions},\n"
            "  volume = {2}, edition = {2nd}, publisher = {Wiley}, year = {1995}\n}",
        ),
        Reference(
            "manheim2018",
            "D. Manheim and S. Garrabrant, Categorizing Variants of Goodhart's Law, "
            "arXiv:1803.04585 (2018).",
            "@misc{manheim2018,\n  author = {Manheim, David and Garrabrant, Scott},\n"
            "  title = {Categorizing Variants of {G}oodhart's Law},\n"
            "  year = {2018}, eprint = {1803.04585}, archivePrefix = {arXiv}\n}",
        ),
    )

    def _check(self, params: dict[str, Any]) -> None:
        if params["k"] > params["d"]:
            raise ParameterError(
                "k",
                f"parameter 'k' must be an integer in [0, d = {params['d']}], got {params['k']}",
            )

    def curve_range(self, param: str) -> tuple[float, float]:
        if param == "steps":
            return 0.0, float(self["steps"] + 1)
        if param == "tau":
            return 0.0, 2.0 * self["sigma"] ** 2 * max(self["k"], 1)
        return super().curve_range(param)

    def warnings(self) -> list[str]:
        """A line when the multi-step quadrature's check misses :data:`CHAIN_RTOL`."""
        if self["k"] == 0 or self.frozen():
            return []
        _, _, info = grid_propagate(
            self["k"], self["d"], self["sigma"], self["tol"], self["tau"], self["steps"]
        )
        err = info["error"]
        if err <= CHAIN_RTOL:
            return []
        return [
            "proxy-selection: the multi-step values at these parameters agree with a coarser "
            f"quadrature only to {err:.1e} relative (stated {CHAIN_RTOL:g}); trust "
            "fewer digits"
        ]

    def frozen(self) -> bool:
        """True when the walk can never move (tol = tau = 0 and k >= 1)."""
        return self["k"] >= 1 and self["tol"] == 0.0 and self["tau"] == 0.0

    # -- formulas ---------------------------------------------------------------------
    def _start_expr(self, name: str, noisy: bool, observed: bool) -> sp.Expr:
        D = _derive()
        if not observed:  # k = 0: W = 0
            acc = D.conditional.subs(w, 0) if noisy else sp.Integer(1)
            drift = sp.Integer(0)
        elif noisy:
            acc, drift = D.acceptance, D.drift_obs
        else:
            acc, drift = D.acceptance0, D.drift_obs0
        if name == "acceptance_probability":
            return acc
        if name == "unobserved_drift_rate":
            return (d_ - k_) * sigma**2 * acc
        return drift

    def _expression(self, name: str, case: bool) -> sp.Expr:
        if name in _START:
            if case:
                return self._start_expr(name, self["tau"] > 0, self["k"] > 0)
            kc, tc = sp.Symbol("k"), sp.Symbol(r"\tau")  # free of the derivation's assumptions
            return sp.Piecewise(
                (self._start_expr(name, False, False), sp.Eq(kc, 0) & sp.Eq(tc, 0)),
                (self._start_expr(name, True, False), sp.Eq(kc, 0)),
                (self._start_expr(name, False, True), sp.Eq(tc, 0)),
                (self._start_expr(name, True, True), True),
            )
        unobs = (d_ - k_) * sigma**2 * sp.Sum(_p(t_), (t_, 0, T_ - 1))
        obs = _m(T_)
        return {
            "expected_misalignment": obs + unobs,
            "expected_observed_misalignment": obs,
            "expected_unobserved_misalignment": unobs,
        }[name]

    def _value(self, name: str) -> float:
        d, k, s, tl, tu, steps = (self[n] for n in ("d", "k", "sigma", "tol", "tau", "steps"))
        if self.frozen():
            return 0.0
        if name in _START:
            acc = acceptance_at_zero(k, s, tl, tu)
            if name == "acceptance_probability":
                return acc
            if name == "unobserved_drift_rate":
                return (d - k) * s**2 * acc
            return s**2 * k * acceptance_at_zero(k + 2, s, tl, tu) if k > 0 else 0.0
        if k == 0:  # acceptance does not depend on the state: exact, no grid
            obs, unobs = 0.0, d * s**2 * steps * acceptance_at_zero(0, s, tl, tu)
        else:
            obs, unobs, _ = grid_propagate(k, d, s, tl, tu, steps)
        return {
            "expected_misalignment": obs + unobs,
            "expected_observed_misalignment": obs,
            "expected_unobserved_misalignment": unobs,
        }[name]

    # -- derivation -------------------------------------------------------------------
    def derivation(self) -> str:
        D = _derive()
        X = sp.latex
        lines = [
            f"## {self.title}: derivation",
            "",
            "**Model.** $x_0 = 0 \\in \\mathbb{R}^d$. Each step proposes $y = x + \\sigma Z$, "
            "$Z \\sim N(0, I_d)$. A detector reads $\\| v_{1:k}\\|^2 + \\tau\\varepsilon$ "
            "with a fresh $\\varepsilon \\sim N(0,1)$ per reading; the proposal is accepted when "
            "$\\mathrm{reading}(y) - \\mathrm{reading}(x) \\le \\mathrm{tol}$. Both readings are "
            "fresh, so the noise of the difference is $\\tau\\sqrt2\\,\\eta$, $\\eta \\sim N(0,1)$ "
            "(convention: $\\tau$ is the s.d. of one reading).",
            "",
            "**Reduction to one dimension.** Let $s = \\| x_{1:k}\\|^2$. By rotation "
            "invariance of $Z_{1:k}$, $\\| x_{1:k} + \\sigma Z_{1:k}\\|^2 = \\sigma^2 W$ "
            "with $W \\sim \\chi'^2_k(s/\\sigma^2)$ (noncentral chi-square), whatever the "
            "direction of $x_{1:k}$: $s$ is a Markov chain, and the decision depends on $s$ "
            "and $W$ only. The unobserved coordinates $Z_{k+1:d}$ are independent of the "
            "decision and move only when it accepts, so "
            "$E\\| x_{T,k+1:d}\\|^2 = (d-k)\\sigma^2 \\sum_{t<T} p(t)$, "
            "$p(t) = P(\\text{accept at step } t)$.",
            "",
            "**Conditional acceptance.** Given $W = w$ (`sympy.stats`, $s = 0$):",
            "",
            f"$$ P(\\sigma^2 w + \\sqrt2\\tau\\eta \\le \\mathrm{{tol}}) = {X(D.conditional)}. $$",
            "",
            "**Start state, $\\tau = 0$.** The $\\chi^2_k$ law (density "
            f"${X(D.chi_pdf)}$; `sympy.stats` CDF) at $\\mathrm{{tol}}/\\sigma^2$:",
            "",
            f"$$ P_{{\\mathrm{{acc}}}} = {X(D.acceptance0)}, $$",
            "",
            "and since $w f_k(w) = k f_{k+2}(w)$ (the ratio simplifies to "
            f"${X(D.identity)}$ in sympy),",
            "",
            f"$$ \\Delta_{{\\mathrm{{obs}}}} = E[\\sigma^2 W \\mathbf 1\\{{\\mathrm{{accept}}\\}}] "
            f"= {X(D.drift_obs0)}, \\qquad \\Delta_{{\\mathrm{{unobs}}}} = (d-k)\\sigma^2 "
            "P_{\\mathrm{acc}}. $$",
            "",
            "With $\\mathrm{tol} = 0$ (and $\\tau = 0$, $k \\ge 1$) $P_{\\mathrm{acc}} = 0$: every "
            "proposal raises the observed misalignment almost surely and the walk never moves.",
            "",
            "**Start state, $\\tau > 0$.** Averaging the conditional acceptance over $W$:",
            "",
            f"$$ P_{{\\mathrm{{acc}}}} = {X(D.acceptance)}, \\qquad "
            f"\\Delta_{{\\mathrm{{obs}}}} = {X(D.drift_obs)} = \\sigma^2 k\\,"
            "P_{\\mathrm{acc}}^{(k+2)}, $$",
            "",
            "one-dimensional integrals evaluated by `scipy.integrate.quad` (relative "
            "tolerance $10^{-13}$). With $k = 0$ the reading difference is pure noise: "
            "$P_{\\mathrm{acc}} = \\Phi(\\mathrm{tol}/(\\tau\\sqrt2))$ (1 when $\\tau = 0$). "
            "At $s = 0$ the observed drift is $\\ge 0$; the detector's noise lets through "
            "larger rises (it grows with $\\tau$), and from $s > 0$ the same noise admits "
            "rises that a perfect detector would reject.",
            "",
            "**After $T$ steps.** From $s$, the proposal is $s' = \\sigma^2 W$, "
            "$W \\sim \\chi'^2_k(s/\\sigma^2)$, accepted with probability "
            "$\\Phi((\\mathrm{tol} - (s' - s))/(\\tau\\sqrt2))$ (the indicator "
            "$s' \\le s + \\mathrm{tol}$ when $\\tau = 0$). In units of $\\sigma^2$ and "
            "$u = \\sqrt s$ (where the proposal $|u e + Z|$ has width about 1 at every $u$), "
            "functions of the state are held at Gauss-Legendre nodes of panels graded from "
            "the scale $\\sqrt{\\mathrm{tol} + 2\\tau}$, and the one-step operator "
            "$(Kf)(u) = \\int q(r\\mid u)\\,\\alpha(r^2 - u^2) f(r)\\,dr + (1 - a(u)) f(u)$ "
            "is integrated exactly against each panel's interpolant (Gauss-Legendre "
            "pieces split at the cut $r^2 = u^2 + \\mathrm{tol}$ and across the width of "
            "a noisy cut; density `scipy.stats.ncx2`). Then $m(T) = (K^T s)(0)$ and "
            "$\\sum_{t<T} p(t) = \\sum_{t<T} (K^t a)(0)$: $T$ products, or repeated "
            "squaring for long runs (stopped once $K^{2^j}$ has converged to the stationary "
            "law). The range covers where $s_t$ can be by $T$ ($s_t \\le t\\,\\mathrm{tol}$ "
            "when $\\tau = 0$) or its stationary law, widened while the mass leaving it "
            "matters. When no reachable rise can change the acceptance (tol or $\\tau$ far "
            "above every reachable $|s' - s|$) it is constant: $\\sum p = T P_{\\mathrm{acc}}$, "
            "$m(T) = T k \\sigma^2 P_{\\mathrm{acc}}$. Relative error "
            f"${CHAIN_RTOL:g}$ (checked against 40-digit mpmath quadrature for one and two "
            "steps, against a coarser layout at every call, and against simulations). With "
            "$k = 0$ no chain is "
            "needed: $E\\| x_T\\|^2 = d\\sigma^2 T P_{\\mathrm{acc}}$.",
            "",
            "$$ E\\| x_T\\|^2 = m(T) + (d-k)\\sigma^2 \\sum_{t=0}^{T-1} p(t). $$",
            "",
            "The unobserved part grows linearly in $T$ (at rate $(d-k)\\sigma^2$ times the "
            "long-run acceptance), while the observed part is held near a small level: "
            "whac-a-mole.",
            "",
            "**Sources.** Johnson, Kotz and Balakrishnan, *Continuous Univariate "
            "Distributions*, vol. 2 (1995), ch. 29; Manheim and Garrabrant (2018).",
            "",
        ]
        return "\n".join(lines)
