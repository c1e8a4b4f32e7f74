r"""Wright-Fisher population under selection: fixation of a variant, exact and by diffusion.

A haploid population of :math:`N` individuals (gene copies) carries a focal
variant at frequency :math:`p`. One generation is: **selection** (the variant
has relative fitness :math:`1 + s`, the resident type :math:`1`), then
**mutation** (each focal copy turns into the resident type with probability
:math:`u`, one way), then **random sampling**: the next generation's count is
:math:`X' \sim \mathrm{Binomial}(N, p')` with

.. math:: p' = (1 - u)\,\frac{p(1+s)}{1 + ps}.

The start is :math:`X_0 = N p_0` copies (a whole number in :math:`1..N-1`).

Quantities:

- ``exact_fixation_probability``: :math:`P(X \text{ reaches } N \text{ before } 0)`,
  the absorption probability of this Markov chain, from the first-step equations
  :math:`h_i = \sum_j P_{ij} h_j`, :math:`h_0 = 0`, :math:`h_N = 1`, solved
  numerically (SuperLU sparse LU). With :math:`u = 0` it is the
  fixation probability; with :math:`u > 0` fixation is not absorbing (mutation
  re-creates the resident type) and this is the probability that the variant
  reaches fixation at least once before it is lost (loss stays absorbing).
- ``mean_absorption_time``: expected generations until loss or (first) fixation,
  the same chain with :math:`(I - Q)t = \mathbf 1`.
- ``fixation_probability``: Kimura's diffusion approximation (labelled), derived
  with ``sympy.dsolve`` from the backward equation with drift
  :math:`s p(1-p)` (first order in :math:`s` of :math:`p(1+s)/(1+ps) - p`) and
  variance :math:`p(1-p)/N`, for :math:`u = 0`:

  .. math:: P_{\mathrm{fix}} \approx \frac{1 - e^{-2Nsp_0}}{1 - e^{-2Ns}}
            \quad(p_0 \text{ when } s = 0).

  It ignores :math:`u`. Its error against the exact chain is :math:`O(s)`; the
  stated envelope :meth:`WrightFisher.kimura_error_envelope` is used as the
  validation tolerance.
- ``mutation_selection_balance``: the long-run frequency :math:`\hat q` of the
  non-focal type in the deterministic (:math:`N = \infty`) recursion
  :math:`p_{t+1} = (1-u)p_t(1+s)/(1+p_t s)` from :math:`p_0`; its interior fixed
  point gives :math:`\hat q = u(1+s)/s \approx u/s` (Haldane 1927) when
  :math:`(1-u)(1+s) > 1`, and :math:`1` (the focal type is lost) otherwise; with
  :math:`u = 0` it is :math:`0` for :math:`s > 0`, :math:`1` for :math:`s < 0` and
  :math:`1 - p_0` for :math:`s = 0`.

Conventions (simulators differ by a factor 2 in what ":math:`s`" means): a
*diploid* population of :math:`N` individuals has :math:`2N` copies, and with
additive fitnesses :math:`1, 1+s, 1+2s` behaves as this model with :math:`2N`
copies, so :math:`2Ns` becomes :math:`4Ns`; with fitnesses :math:`1, 1+s/2, 1+s`
(``h = 1/2``) it is :math:`2Ns` again. Simulators that use fitness
:math:`e^{\sigma}` have :math:`s = e^{\sigma} - 1 \approx \sigma`.

Numerics: the binomial rows are evaluated (``scipy.stats.binom``'s kernel) only inside
their Chernoff window :math:`N\,\mathrm{KL}(j/N \,\|\, p') \le K`; each dropped
tail has mass :math:`\le e^{-K}`. With :math:`G = (I - \tilde Q)^{-1} \ge 0` and
:math:`m_i` the Chernoff bounds of row :math:`i`'s dropped mass, the truncated solution
is below the exact one by at most :math:`(Gm)_i` (and :math:`t` by
:math:`(Gm)_i \max t`); where the drift is downward everywhere
(:math:`Np'_i < i`), the supermartingale :math:`\bar h_i = e^{-\lambda(N-i)}`
(:math:`\lambda` the largest with :math:`E_i e^{\lambda X'} \le e^{\lambda i}`)
bounds :math:`h` and its tilted Chernoff tails give a bound :math:`(Ge)_i` relative to
:math:`h` itself, so tiny :math:`h` is certified without huge windows. These bounds are
solved with the chain (extra right-hand sides of one LU). :math:`K` starts at
:math:`40 + \ln 8N` and is raised until the start entry's bound is :math:`10^{-15}`
relative (below :math:`10^{-300}`: absolute), as far as the cost caps allow
(:math:`8.5\times 10^6` entries, :math:`3.6\times 10^9` flops); otherwise the
model's warnings state the bound reached (e.g. :math:`h < 10^{-250}` with
:math:`u > 0`). The LU is SuperLU's without pivoting in the natural order
(:math:`I - \tilde Q` is a weakly diagonally dominant M-matrix), so the factors stay
inside the windows' envelope. Rounding is a separate matter: the double-precision
transition probabilities perturb the exit rates, so solutions agree with 30-digit
mpmath solves to about :math:`10^{-16} \max_i t_i` relative (:math:`10^{-14}` at the
defaults, about :math:`10^{-9}` when :math:`u > 0` makes absorption take
:math:`\sim 10^7` generations). Cost: under 0.1 s at :math:`N = 1000`, at most about
3 s at :math:`N = 10^4` for any :math:`s, u`; results are cached per :math:`(N, s, u)`.

Sources: R. A. Fisher (1930); S. Wright (1931); J. B. S. Haldane (1927);
M. Kimura (1962); W. J. Ewens, *Mathematical Population Genetics* (2004),
ch. 1.4-1.5, 4.3, 5.3.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy as sp
from driftkit.theory._base import Allowance, Model, Parameter, ParameterError, Quantity, Reference
from driftkit.theory._cache import disk_cache
from driftkit.theory._registry import register
from scipy import sparse, special, stats
from scipy.sparse import linalg as sparse_linalg
from scipy.special import _ufuncs as _scipy_ufuncs

__all__ = [
    "WrightFisher",
    "absorption",
    "branching_survival",
    "kimura_fixation",
    "transition_frequency",
]

# Model symbols
N = sp.Symbol("N", positive=True)
s = sp.Symbol("s", real=True)
u = sp.Symbol("u", nonnegative=True)
p0 = sp.Symbol("p_0", positive=True)
# Working symbols
p = sp.Symbol("p", positive=True)  # frequency of the focal variant
t = sp.Symbol("t", real=True)  # argument of the moment generating function
i, j = sp.symbols("i j", integer=True, nonnegative=True)

#: largest population the exact chain is solved for (cost: see the module docstring)
MAX_N = 10_000
#: relative accuracy asked of every entry of the truncated solve (a posteriori bound)
_REL_TARGET = 1e-15
#: entries below this are only asked for absolute accuracy _REL_TARGET * _FLOOR
_FLOOR = 1e-300
#: e^-745 is below the smallest subnormal double: a window of K = 745 drops nothing
_K_MAX = 745.0
#: smallest window exponent tried when the cost caps bind
_K_MIN = 20.0
#: cost caps of one solve: binomial entries evaluated, flops of the envelope LU
_MAX_ENTRIES = 8.5e6
_MAX_FLOPS = 3.6e9


class ChainFixation(sp.Function):
    r"""Entry :math:`N p_0` of the solution :math:`h = (I - Q)^{-1}\mathbf r` of the
    chain's absorption equations (evaluated numerically)."""

    nargs = 4

    def _latex(self, printer):
        return r"\left[(I - Q)^{-1}\,\mathbf{r}\right]_{N p_{0}}"


class ChainTime(sp.Function):
    r"""Entry :math:`N p_0` of :math:`t = (I - Q)^{-1}\mathbf 1` (evaluated numerically)."""

    nargs = 4

    def _latex(self, printer):
        return r"\left[(I - Q)^{-1}\,\mathbf{1}\right]_{N p_{0}}"


@dataclass(frozen=True)
class _Derived:
    mean_fitness: sp.Expr
    p_selected: sp.Expr  # p(1+s)/(1+ps)
    p_next: sp.Expr  # after mutation
    delta_selection: sp.Expr  # exact change by selection
    drift: sp.Expr  # first order in s
    drift_remainder: sp.Expr  # the s^2 term neglected
    mgf: sp.Expr  # of X ~ Binomial(N, p')
    sampling_mean: sp.Expr  # E[X'/N]
    sampling_variance: sp.Expr  # Var[X'/N]
    diffusion_variance: sp.Expr  # p(1-p)/N
    first_step: sp.Eq  # h_i = sum_j P_ij h_j
    backward: sp.Eq  # M u' + V/2 u'' = 0
    backward_reduced: sp.Eq  # u'' + 2 N s u' = 0
    general: sp.Eq  # dsolve general solution
    kimura_dsolve: sp.Expr  # with the boundary conditions, as dsolve gives it
    kimura: sp.Expr  # (1 - e^{-2Nsp0})/(1 - e^{-2Ns}) (checked equal)
    kimura_neutral: sp.Expr
    haldane_limit: sp.Expr  # N -> oo at p0 = 1/N
    haldane_series: sp.Expr  # 2s - ...
    fixed_points: list
    p_star: sp.Expr
    q_star: sp.Expr  # u(1+s)/s
    q_star_series: sp.Expr  # series in s
    slope_at_zero: sp.Expr  # f'(0)
    slope_at_star: sp.Expr  # f'(p*)
    balance: sp.Expr  # Piecewise over the cases


@disk_cache
def _derive() -> _Derived:
    """Derive every formula (about half a second, done once per process)."""
    f = sp.Function("u")
    mean_fitness = sp.expand(p * (1 + s) + (1 - p))
    p_selected = sp.factor(p * (1 + s) / mean_fitness)
    p_next = (1 - u) * p_selected
    delta = sp.factor(p_selected - p)
    drift = sp.factor(sp.series(delta, s, 0, 2).removeO())
    remainder = sp.factor(sp.series(delta, s, 0, 3).removeO() - drift)
    # sampling X' ~ Binomial(N, q): moments from the MGF (1 - q + q e^t)^N
    q = sp.Symbol("q", positive=True)
    mgf = (1 - q + q * sp.exp(t)) ** N
    m1 = sp.diff(mgf, t).subs(t, 0)
    m2 = sp.diff(mgf, t, 2).subs(t, 0)
    sampling_mean = sp.cancel(m1 / N)
    sampling_variance = sp.factor(sp.expand((m2 - m1**2) / N**2))
    # diffusion: the per-generation variance of the frequency at q = p (leading order)
    diffusion_variance = sampling_variance.subs(q, p)
    h = sp.Function("h")
    first_step = sp.Eq(
        h(i),
        sp.Sum(
            sp.binomial(N, j) * sp.Symbol("p'_i") ** j * (1 - sp.Symbol("p'_i")) ** (N - j) * h(j),
            (j, 0, N),
        ),
    )
    backward = sp.Eq(drift * f(p).diff(p) + diffusion_variance / 2 * f(p).diff(p, 2), 0)
    backward_reduced = sp.Eq(sp.expand(sp.cancel(backward.lhs / (diffusion_variance / 2))), 0)
    # a linear ODE with constant coefficients: name the hint (skips dsolve's classification)
    hint = "nth_linear_constant_coeff_homogeneous"
    general = sp.dsolve(backward_reduced, f(p), hint=hint)
    solved = sp.dsolve(backward_reduced, f(p), ics={f(0): 0, f(1): 1}, hint=hint).rhs
    kimura = (1 - sp.exp(-2 * N * s * p0)) / (1 - sp.exp(-2 * N * s))
    if sp.cancel(sp.powsimp(sp.expand(solved.subs(p, p0) - kimura))) != 0:  # pragma: no cover
        raise AssertionError("Kimura's formula does not match dsolve's solution")
    neutral = sp.dsolve(
        backward_reduced.subs(s, 0), f(p), ics={f(0): 0, f(1): 1}, hint=hint
    ).rhs.subs(p, p0)
    if sp.limit(kimura, s, 0) - neutral != 0:  # pragma: no cover
        raise AssertionError("the neutral case is not the s -> 0 limit")
    sp_pos = sp.Symbol("s", positive=True)
    haldane_limit = sp.expand(
        sp.limit(kimura.subs(s, sp_pos).subs(p0, 1 / N), N, sp.oo).subs(sp_pos, s)
    )
    haldane_series = sp.series(haldane_limit, s, 0, 3).removeO()
    # mutation-selection balance: fixed points of the deterministic recursion
    x = sp.Symbol("x")  # no sign assumption, so that solve keeps the root 0
    fixed_points = sp.solve(sp.Eq(p_next.subs(p, x), x), x)
    (p_star,) = [r for r in fixed_points if r != 0]
    p_star = sp.factor(p_star)
    q_star = sp.factor(1 - p_star)
    q_star_series = sp.series(q_star, s, 0, 0).removeO()  # leading term for small s
    fprime = sp.diff(p_next, p)
    slope_at_zero = sp.factor(fprime.subs(p, 0))
    slope_at_star = sp.factor(fprime.subs(p, p_star))
    # f'(0) = (1 - u)(1 + s): the focal type's growth factor when rare (kept in that form)
    growth = sp.Mul(1 - u, 1 + s, evaluate=False)
    if sp.expand(growth - slope_at_zero) != 0:  # pragma: no cover - sympy regression
        raise AssertionError("f'(0) is not (1 - u)(1 + s)")
    balance = sp.Piecewise(
        (q_star, sp.Gt(growth, 1, evaluate=False)),
        (1 - p0, sp.Eq(s, 0) & sp.Eq(u, 0)),
        (sp.Integer(1), True),
    )
    return _Derived(
        mean_fitness,
        p_selected,
        p_next,
        delta,
        drift,
        remainder,
        mgf,
        sampling_mean,
        sampling_variance,
        diffusion_variance,
        first_step,
        backward,
        backward_reduced,
        general,
        solved,
        kimura,
        neutral,
        haldane_limit,
        haldane_series,
        fixed_points,
        p_star,
        q_star,
        q_star_series,
        slope_at_zero,
        slope_at_star,
        balance,
    )


@dataclass(frozen=True)
class _Branching:
    pgf: sp.Expr  # offspring pgf of one mutant copy as N -> oo: exp((1+s)(z-1))
    survival_series: sp.Expr  # pi = 2s - 8s^2/3 + ... (to s^3)
    kimura_series: sp.Expr  # 1 - e^{-2s} to s^3
    relative_error: sp.Expr  # leading term of (Kimura - pi)/pi


@disk_cache
def branching_survival() -> _Branching:
    r"""The known error of Kimura's formula for a single new mutant, derived.

    At :math:`p = 1/N` the mutant's copies in the next generation are
    :math:`\mathrm{Bin}(N, p'_1)`; ``sympy.limit`` of its generating function as
    :math:`N \to \infty` is :math:`e^{(1+s)(z-1)}` (Poisson offspring, mean :math:`1+s`),
    a Galton-Watson process whose survival probability :math:`\pi` solves
    :math:`1 - \pi = e^{-(1+s)\pi}` (Fisher 1930; Haldane 1927). Solving it by a power
    series in :math:`s` gives :math:`\pi = 2s - 8s^2/3 + 28s^3/9 + O(s^4)`; Kimura's
    large-:math:`N` limit is :math:`1 - e^{-2s} = 2s - 2s^2 + 4s^3/3 + \dots`, so
    Kimura overestimates by the relative error :math:`s/3 + O(s^2)`.
    """
    z = sp.Symbol("z", positive=True)
    s_pos = sp.Symbol("s", positive=True)
    p1 = (1 + s_pos) / (N + s_pos)  # p'_1 = (1/N)(1+s)/(1+s/N), u = 0
    pgf = sp.limit((1 - p1 + p1 * z) ** N, N, sp.oo).subs(s_pos, s)
    a = sp.symbols("a1:4")
    ansatz = sum(a[k] * s ** (k + 1) for k in range(3))
    residual = sp.expand(sp.series(1 - ansatz - pgf.subs(z, 1 - ansatz), s, 0, 5).removeO())
    roots = sp.solve([residual.coeff(s, k) for k in range(1, 5)], a, dict=True)
    (root,) = [r for r in roots if r.get(a[0], 0) != 0]
    survival = ansatz.subs(root)
    kimura = sp.series(1 - sp.exp(-2 * s), s, 0, 4).removeO()
    rel = sp.series((kimura - survival) / survival, s, 0, 2).removeO()
    return _Branching(pgf, survival, kimura, sp.expand(rel))


# -- numerics ---------------------------------------------------------------------------


def kimura_fixation(n: int, sel: float, start: float) -> float:
    r"""Kimura's :math:`(1 - e^{-2Nsp_0})/(1 - e^{-2Ns})` without overflow, for any ``N s``.

    For :math:`s > 0` both ``expm1`` terms lie in :math:`(-1, 0)`; for :math:`s < 0`
    the ratio is rewritten as :math:`e^{-b(1-p_0)}(1-e^{-bp_0})/(1-e^{-b})`,
    :math:`b = -2Ns > 0`, which underflows gracefully to ``0``.
    """
    a = 2.0 * n * sel
    if a == 0.0:
        return float(start)
    if a > 0.0:
        return math.expm1(-a * start) / math.expm1(-a)
    b = -a
    return math.exp(-b * (1.0 - start)) * (math.expm1(-b * start) / math.expm1(-b))


def transition_frequency(n: int, sel: float, mut: float) -> np.ndarray:
    """``p'_i = (1-u) x (1+s)/(1+s x)`` at ``x = i/N``, ``i = 0..N``: the binomial parameter."""
    x = np.arange(n + 1, dtype=np.float64) / n
    return (1.0 - mut) * x * (1.0 + sel) / (1.0 + sel * x)


def _scaled_kl(y: np.ndarray, q: np.ndarray, n: int) -> np.ndarray:
    """``N KL(y || q)`` for Bernoulli laws (``inf`` where ``y > 0 = q``)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        kl = (
            special.xlogy(y, y)
            - special.xlogy(y, q)
            + special.xlogy(1.0 - y, 1.0 - y)
            - special.xlogy(1.0 - y, 1.0 - q)
        )
    return n * kl


def _window(n: int, q: np.ndarray, k: float) -> tuple[np.ndarray, np.ndarray]:
    """Integer windows ``[a, b]`` with ``P(X < a), P(X > b) <= e^{-K}`` for X ~ Bin(N, q).

    Chernoff: ``P(X >= c) <= exp(-N KL(c/N || q))`` for ``c >= Nq`` (and likewise
    below), so the edges are where ``N KL = K``, found by bisection (60 halvings).
    """
    mean = q
    lo, hi = np.zeros_like(q), mean.copy()
    for _ in range(60):  # lower edge: KL decreasing on [0, q]
        mid = 0.5 * (lo + hi)
        big = _scaled_kl(mid, q, n) > k
        lo, hi = np.where(big, mid, lo), np.where(big, hi, mid)
    a = np.floor(lo * n).astype(np.int64)
    lo, hi = mean.copy(), np.ones_like(q)
    for _ in range(60):  # upper edge: KL increasing on [q, 1]
        mid = 0.5 * (lo + hi)
        big = _scaled_kl(mid, q, n) > k
        hi, lo = np.where(big, mid, hi), np.where(big, lo, mid)
    b = np.ceil(hi * n).astype(np.int64)
    return np.clip(a, 0, n), np.clip(b, 0, n)


def _pmf(cols: np.ndarray, n: int, qrows: np.ndarray) -> np.ndarray:
    """Binomial probabilities ``P(Bin(n, q) = j)`` (boost's ``ibeta_derivative``, ~1e-15 rel.)."""
    ufunc = getattr(_scipy_ufuncs, "_binom_pmf", None)  # the kernel of stats.binom.pmf
    if ufunc is None:  # pragma: no cover - older/newer scipy layout
        return stats.binom.pmf(cols, n, qrows)
    return ufunc(cols.astype(np.float64), float(n), qrows)


def _tail_bound(edge: np.ndarray, q: np.ndarray, n: int, upper: bool) -> np.ndarray:
    """Chernoff bound on ``P(X > edge)`` (``upper``) or ``P(X < edge)``, X ~ Bin(N, q)."""
    c = edge + 1 if upper else edge - 1  # the first dropped state
    outside = (c > n) if upper else (c < 0)
    with np.errstate(over="ignore", invalid="ignore"):
        bound = np.exp(-_scaled_kl(np.clip(c, 0, n) / n, q, n))
    beyond = (c >= n * q) if upper else (c <= n * q)  # Chernoff holds past the mean
    return np.where(outside, 0.0, np.where(beyond, np.nan_to_num(bound, nan=0.0), 1.0))


def _tilt(n: int, q: np.ndarray) -> float:
    r"""Largest :math:`\lambda \ge 0` with :math:`E_i[e^{\lambda X'}] \le e^{\lambda i}` for all i.

    Then :math:`\bar h_i = e^{-\lambda(N-i)}` is a supermartingale with :math:`\bar h_N = 1`,
    so :math:`h_i \le \bar h_i` (optional stopping). ``0`` when the drift is upward somewhere.
    """
    i = np.arange(1, n, dtype=np.float64)
    qi = q[1:n]
    if np.any(n * qi >= i):
        return 0.0

    def worst(lam: float) -> float:
        with np.errstate(over="ignore", invalid="ignore"):
            g = n * np.log1p(qi * np.expm1(lam)) - lam * i
        return float(np.max(np.nan_to_num(g, nan=-np.inf)))  # nan: q_i = 0, g = -lam i

    hi = 1.0
    while worst(hi) <= 0.0 and hi < 512.0:  # e^512 is still a double
        hi *= 2.0
    lo = 0.0
    for _ in range(80):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if worst(mid) <= 0.0 else (lo, mid)
    return lo * (1.0 - 1e-9)  # strictly inside: margin for the rounding of ``worst``


def _cost(n: int, a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """(entries evaluated, flops of the no-pivot envelope LU) for windows ``[a_i, b_i]``."""
    k = np.arange(1, n, dtype=np.int64)
    # column k of L reaches down to the last row whose window starts at or before k;
    # row k of U reaches right to b_k (windows are nondecreasing in i)
    last = np.searchsorted(np.maximum(a, 1), k, side="right")  # rows 1..last (1-based)
    lower = np.maximum(0, last - k)
    upper = np.maximum(0, np.minimum(b, n - 1) - k)
    return float(np.sum(b - a + 1)), float(2.0 * np.sum(lower * upper))


def _solve(n: int, q: np.ndarray, a: np.ndarray, b: np.ndarray, lam: float) -> np.ndarray:
    """Solve ``(I - Q~)[h, t, d, d~] = [r, 1, m, e]`` over the windows ``[a_i, b_i]``.

    ``m`` bounds each row's dropped probability and ``e`` its dropped share of
    :math:`\\sum_j P_{ij}\\bar h_j`; ``I - Q~`` is a nonsingular M-matrix, weakly
    diagonally dominant, so its LU needs no pivoting (SuperLU, natural order: the
    factors stay inside the windows' envelope, no fill outside it).
    """
    m = n - 1
    qi = q[1:n]
    count = b - a + 1
    rows = np.repeat(np.arange(m), count)
    first = np.concatenate(([0], np.cumsum(count)[:-1]))
    cols = np.arange(rows.size) - np.repeat(first, count) + np.repeat(a, count)
    vals = _pmf(cols, n, qi[rows])
    rhs = np.zeros((m, 4))
    rhs[:, 1] = 1.0
    at_top = cols == n
    rhs[rows[at_top], 0] = vals[at_top]
    rhs[:, 2] = _tail_bound(a, qi, n, False) + _tail_bound(b, qi, n, True)
    if lam > 0.0:
        # sum_j P_ij e^{lam j} = M_i (1 - q + q e^lam)^N with the tilted q~; its dropped
        # part is at most M_i times the tilted Chernoff tails; times e^{-lam N}
        with np.errstate(over="ignore", under="ignore"):
            em = np.expm1(lam)
            tilted = qi * (em + 1.0) / (1.0 + qi * em)
            log_m = n * np.log1p(qi * em) - lam * n
            tails = _tail_bound(a, tilted, n, False) + _tail_bound(b, tilted, n, True)
            rhs[:, 3] = np.exp(log_m) * tails
    else:
        rhs[:, 3] = rhs[:, 2]
    inner = (cols >= 1) & (cols <= n - 1)
    r_in, c_in = rows[inner], cols[inner] - 1
    indptr = np.concatenate(([0], np.cumsum(np.bincount(r_in, minlength=m))))
    q_csr = sparse.csr_matrix((vals[inner], c_in, indptr), shape=(m, m))
    system = (sparse.identity(m, format="csr") - q_csr).tocsr()
    system.sort_indices()
    # the CSR arrays of I - Q~ are the CSC arrays of its transpose: factor that, solve "T"
    lu = sparse_linalg.splu(
        system.T.tocsc(copy=False),
        permc_spec="NATURAL",
        diag_pivot_thresh=0.0,
        options={"SymmetricMode": True},
    )
    return lu.solve(rhs, trans="T")


@dataclass(frozen=True)
class Absorption:
    """Absorption probabilities and times of the chain, for every start ``i = 1..N-1``.

    ``fixation[i-1]`` = P(reach N before 0 | X_0 = i); ``time[i-1]`` = E[generations
    until 0 or N]; ``window`` the Chernoff exponent K used; ``fixation_error`` and
    ``time_error`` rigorous a posteriori bounds on the truncation error of each entry
    (the solution is below the untruncated one by at most this); ``bound`` the largest
    relative one, ``max(error_i / max(value_i, 1e-300))`` over both vectors.
    """

    fixation: np.ndarray
    time: np.ndarray
    window: float
    bound: float
    fixation_error: np.ndarray
    time_error: np.ndarray

    def relative_error(self, copies: int) -> tuple[float, float]:
        """Bounds on the relative truncation error of ``(h, t)`` from ``copies`` copies."""
        h, t = self.fixation[copies - 1], self.time[copies - 1]
        eh = self.fixation_error[copies - 1]
        rel_h = 0.0 if eh == 0.0 else (math.inf if h == 0.0 else eh / h)
        return float(rel_h), float(self.time_error[copies - 1] / t)


def _windows_within(n: int, q: np.ndarray, k: float) -> float:
    """The largest ``K' <= K`` whose windows fit the cost caps (bisection on ``K``)."""
    entries, flops = _cost(n, *_window(n, q[1:n], k))
    if entries <= _MAX_ENTRIES and flops <= _MAX_FLOPS:
        return k
    lo, hi = _K_MIN, k
    for _ in range(12):
        mid = 0.5 * (lo + hi)
        entries, flops = _cost(n, *_window(n, q[1:n], mid))
        lo, hi = (mid, hi) if entries <= _MAX_ENTRIES and flops <= _MAX_FLOPS else (lo, mid)
    return lo


@functools.lru_cache(maxsize=256)
def absorption(n: int, sel: float, mut: float, copies: int | None = None) -> Absorption:
    """Solve the Wright-Fisher chain ``(N, s, u)`` (cached per parameter set).

    Truncation (rigorous, a posteriori): with ``G = (I - Q~)^{-1} >= 0`` and the dropped
    rows' Chernoff bounds ``m``, ``0 <= h - h~ <= G m`` and ``0 <= t - t~ <= (G m) max t``;
    where the drift is downward everywhere the tighter ``G e`` (dropped part of the
    supermartingale ``e^{-lam(N-j)}``, see :func:`_tilt`) also bounds ``h - h~``. ``K``
    starts at ``40 + ln 8N`` and is raised until the relative bound (entries below
    1e-300: absolute) of the entry ``copies`` (every entry when ``None``) is at most
    1e-15, unless the cost caps (8.5e6 entries, 3.6e9 flops: about 1.5 s each here)
    would stop it (then no wider solve is tried; ``bound`` says what was reached).
    """
    target = slice(None) if copies is None else slice(copies - 1, copies)
    q = transition_frequency(n, sel, mut)
    lam = _tilt(n, q)
    k = _windows_within(n, q, 40.0 + math.log(8.0 * n))
    while True:
        sol = _solve(n, q, *_window(n, q[1:n], k), lam)
        h = np.clip(sol[:, 0], 0.0, 1.0)
        tm = np.maximum(sol[:, 1], 1.0)  # at least one generation from any interior state
        crude = np.maximum(sol[:, 2], 0.0)
        tilted = np.maximum(sol[:, 3], 0.0)
        spread = float(crude.max())
        t_max = float(tm.max()) / (1.0 - spread) if spread < 1.0 else math.inf
        err_h = np.minimum(np.minimum(crude, tilted), 1.0)
        err_t = crude * t_max
        bound = max(
            float(np.max(err_h[target] / np.maximum(h[target], _FLOOR))),
            float(np.max(err_t[target] / tm[target])),
        )
        if bound <= _REL_TARGET or k >= _K_MAX:
            return Absorption(h, tm, k, bound, err_h, err_t)
        # the bounds fall like e^{-K}: ask for what is missing, within the cost caps
        wanted = min(_K_MAX, k + math.log(bound / _REL_TARGET) + 1.0)
        nxt = _windows_within(n, q, wanted)
        if nxt < wanted - 1e-9:  # the caps bind: a wider solve would not reach the target
            return Absorption(h, tm, k, bound, err_h, err_t)
        k = nxt


def _real(low: float, high: float, low_open: bool = False, high_open: bool = False) -> dict:
    return {"low": low, "high": high, "low_open": low_open, "high_open": high_open}


@register
class WrightFisher(Model):
    r"""Haploid Wright-Fisher population of :math:`N` under selection (and mutation).

    Selection with variant fitness :math:`1+s`, one-way mutation focal
    :math:`\to` resident at rate :math:`u`, binomial sampling:
    :math:`X' \sim \mathrm{Bin}(N, (1-u)\,p(1+s)/(1+ps))`, :math:`X_0 = Np_0`.

    .. math:: P_{\mathrm{fix}} \approx \frac{1 - e^{-2Nsp_0}}{1 - e^{-2Ns}}\ \text{(Kimura)},
              \qquad \hat q = \frac{u(1+s)}{s} \approx \frac{u}{s}\ \text{(Haldane)};

    the exact fixation probability and mean absorption time solve the chain's
    first-step equations numerically (for :math:`N \le 10^4`).

    Sources: Fisher (1930); Wright (1931); Haldane (1927); Kimura (1962); Ewens (2004).

    Examples
    --------
    >>> from driftkit.theory.wright_fisher import WrightFisher
    >>> m = WrightFisher(N=100, s=0.0, p0=0.25)
    >>> m.value("fixation_probability"), round(m.value("exact_fixation_probability"), 12)
    (0.25, 0.25)
    """

    name = "wright-fisher"
    title = "Wright-Fisher fixation under selection"
    summary = (
        "Haploid Wright-Fisher population of N: variant fitness 1+s, binomial sampling, "
        "optional one-way mutation u; exact chain vs Kimura's diffusion, Haldane's u/s."
    )
    curve_parameter = "s"
    plot_quantities = ("fixation_probability", "exact_fixation_probability")
    plot_variants = ({"N": 10, "p0": 0.1},)
    parameters = (
        Parameter(
            "N",
            100,
            "population size (haploid copies); the exact chain is solved up to 10,000",
            2,
            MAX_N,
            integer=True,
            latex="N",
        ),
        Parameter(
            "s",
            0.01,
            "selection coefficient: the variant's relative fitness is 1 + s",
            **_real(-1.0, math.inf, low_open=True, high_open=True),
            latex="s",
        ),
        Parameter(
            "p0",
            0.01,
            "start frequency of the variant; N*p0 must be a whole number of copies in 1..N-1",
            **_real(0.0, 1.0, low_open=True, high_open=True),
            latex="p_0",
        ),
        Parameter(
            "u",
            0.0,
            "mutation rate per generation, variant -> resident (one way)",
            **_real(0.0, 1.0),
            latex="u",
        ),
    )
    quantities = (
        Quantity(
            "fixation_probability",
            "Kimura's diffusion approximation of P(fixation) for u = 0 (ignores u): "
            "(1 - exp(-2 N s p0)) / (1 - exp(-2 N s)); an approximation, error O(s)",
            r"P_{\mathrm{fix}}",
            kind="approximation",
        ),
        Quantity(
            "exact_fixation_probability",
            "P(the variant reaches N copies before 0) in the Wright-Fisher chain, solved "
            "numerically (the fixation probability when u = 0; first fixation when u > 0); "
            "binomial rows truncated to Chernoff windows, truncation error bounded a "
            "posteriori (<= 1e-15 relative, else a warning states the bound reached)",
            r"h_{N p_0}",
            kind="numerical",
        ),
        Quantity(
            "mean_absorption_time",
            "expected generations until the variant is lost or (first) fixed, same chain, "
            "solved numerically (its first-step linear equations; same truncation bound)",
            r"E[T]",
            kind="numerical",
        ),
        Quantity(
            "mutation_selection_balance",
            "long-run frequency of the resident (non-focal) type in the deterministic "
            "N = infinity recursion with mutation u: u(1+s)/s (about u/s) when "
            "(1-u)(1+s) > 1, else 1; for u = 0: 0 (s > 0), 1 (s < 0), 1 - p0 (s = 0)",
            r"\hat q",
        ),
    )
    references = (
        Reference(
            "fisher1930",
            "R. A. Fisher, The Genetical Theory of Natural Selection, Clarendon Press, "
            "Oxford (1930).",
            "@book{fisher1930,\n  author = {Fisher, Ronald A.},\n"
            "  title = {The Genetical Theory of Natural Selection},\n"
            "  publisher = {Clarendon Press}, address = {Oxford}, year = {1930}\n}",
        ),
        Reference(
            "wright1931",
            "S. Wright, Evolution in Mendelian populations, Genetics 16, 97-159 (1931).",
            "@article{wright1931,\n  author = {Wright, Sewall},\n"
            "  title = {Evolution in {Mendelian} Populations},\n  journal = {Genetics},\n"
            "  volume = {16}, number = {2}, pages = {97--159}, year = {1931}\n}",
        ),
        Reference(
            "haldane1927",
            "J. B. S. Haldane, A mathematical theory of natural and artificial selection, "
            "Part V: selection and mutation, Proc. Camb. Phil. Soc. 23, 838-844 (1927).",
            "@article{haldane1927,\n  author = {Haldane, J. B. S.},\n"
            "  title = {A Mathematical Theory of Natural and Artificial Selection, "
            "Part {V}: Selection and Mutation},\n"
            "  journal = {Mathematical Proceedings of the Cambridge Philosophical Society},\n"
            "  volume = {23}, number = {7}, pages = {838--844}, year = {1927}\n}",
        ),
        Reference(
            "kimura1962",
            "M. Kimura, On the probability of fixation of mutant genes in a population, "
            "Genetics 47, 713-719 (1962).",
            "@article{kimura1962,\n  author = {Kimura, Motoo},\n"
            "  title = {On the Probability of Fixation of Mutant Genes in a Population},\n"
            "  journal = {Genetics}, volume = {47}, number = {6}, pages = {713--719},\n"
            "  year = {1962}\n}",
        ),
        Reference(
            "ewens2004",
            "W. J. Ewens, Mathematical Population Genetics I: Theoretical Introduction, "
            "2nd ed., Springer (2004), sections 1.4-1.5 (selection, mutation), 4.3 "
            "(diffusion approximation), 5.3 (fixation probabilities).",
            "@book{ewens2004,\n  author = {Ewens, Warren J.},\n"
            "  title = {Mathematical Population Genetics {I}: Theoretical Introduction},\n"
            "  edition = {2nd}, publisher = {Springer}, year = {2004}\n}",
        ),
    )

    def _check(self, params: dict[str, Any]) -> None:
        n, start = params["N"], params["p0"]
        copies = n * start
        k = round(copies)
        if abs(copies - k) > 1e-9 * max(1.0, copies) or not 1 <= k <= n - 1:
            raise ParameterError(
                "p0",
                f"parameter 'p0' must be a multiple of 1/N = 1/{n} in (0, 1) (a whole number "
                f"of copies N*p0 in 1..{n - 1}), got p0 = {start!r} (N*p0 = {copies:.6g})",
            )

    # -- helpers ------------------------------------------------------------
    @property
    def copies(self) -> int:
        """Starting number of copies :math:`N p_0` (an integer in ``1..N-1``)."""
        return round(self["N"] * self["p0"])

    @property
    def start_frequency(self) -> float:
        """:math:`p_0` as ``copies / N`` (the value every formula uses)."""
        return self.copies / self["N"]

    def chain(self) -> Absorption:
        """The solved chain for this model's ``(N, s, u)`` (cached)."""
        return absorption(int(self["N"]), float(self["s"]), float(self["u"]), self.copies)

    def warnings(self) -> list[str]:
        """A line for each chain value whose truncation bound is above 1e-12 relative."""
        chain, k = self.chain(), self.copies - 1
        out = []
        for name, values, errors in (
            ("exact_fixation_probability", chain.fixation, chain.fixation_error),
            ("mean_absorption_time", chain.time, chain.time_error),
        ):
            if errors[k] > 1e-12 * values[k]:
                out.append(
                    f"{name} = {values[k]:.6g} is certified only to an absolute error of "
                    f"{errors[k]:.3g} (truncation bound reached within the cost cap)"
                )
        return out

    def kimura_error_envelope(self) -> float:
        r"""Stated error envelope of Kimura's formula against the exact chain (``u = 0``):

        .. math:: |P_{\mathrm{Kimura}} - P_{\mathrm{exact}}| \le
                  \min\!\bigl(|s|/2,\ (|s| + 1.5\,N s^2)\,P_{\mathrm{Kimura}}\bigr).

        Not a theorem: the diffusion matches the chain's drift and variance to first
        order in :math:`s`, so the error is :math:`O(s)` (relative, and
        :math:`O(Ns^2)` in the exponent when :math:`s < 0`); the constants are the
        envelope of the exact chain's deviation over a grid of :math:`N \le 3000`,
        :math:`-0.99 \le s \le 20` (:math:`|s| \le 0.5` for :math:`N \ge 1000`) and every
        start (largest ratio of deviation to envelope found: 0.66), re-checked by the tests
        on hypothesis-drawn parameters. Its :math:`|s|\,P` term covers the one error known
        in closed form: for a single mutant in a large population the exact chain tends to
        the Poisson branching survival :math:`2s - 8s^2/3 + \dots`, Kimura to
        :math:`2s - 2s^2 + \dots`, a relative error :math:`s/3` (:func:`branching_survival`).
        """
        sel, n = abs(self["s"]), self["N"]
        pk = self.value("fixation_probability")
        return min(0.5 * sel, (sel + 1.5 * n * sel * sel) * pk)

    def curve_range(self, param: str) -> tuple[float, float]:
        """``s`` from ``-2/N`` to ``5/N`` (``-0.02..0.05`` at ``N = 100``); ``p0`` in (0, 1)."""
        if param == "s":
            return max(-2.0 / self["N"], -0.5), 5.0 / self["N"]
        if param == "p0":
            return 0.0, 1.0
        return super().curve_range(param)

    # -- formulas -----------------------------------------------------------
    def _expression(self, name: str, case: bool) -> sp.Expr:
        d = _derive()
        if name == "fixation_probability":
            if case and self["s"] == 0:
                return d.kimura_neutral
            if case:
                return d.kimura
            return sp.Piecewise((d.kimura_neutral, sp.Eq(s, 0)), (d.kimura, True))
        if name == "exact_fixation_probability":
            return ChainFixation(N, s, u, p0)
        if name == "mean_absorption_time":
            return ChainTime(N, s, u, p0)
        # mutation_selection_balance
        if not case:
            return d.balance
        growth = (1 - self["u"]) * (1 + self["s"])
        if growth > 1:
            return d.q_star
        if self["s"] == 0 and self["u"] == 0:
            return 1 - p0
        return sp.Integer(1)

    def allowance(self, name: str) -> Allowance:
        """Kimura's formula against the exact chain: calibrated, :meth:`kimura_error_envelope`."""
        self.quantity(name)
        if name != "fixation_probability":
            return Allowance(0.0)
        value = self.kimura_error_envelope()
        if value == 0.0:
            return Allowance(0.0)
        return Allowance(
            value,
            "calibrated",
            "envelope min(|s|/2, (|s| + 1.5 N s^2) P_Kimura) of the exact chain's deviation "
            "over N <= 3000, -0.99 <= s <= 20 and every start (largest deviation/envelope "
            "found: 0.66; see the derivation)",
        )

    def _value(self, name: str) -> float:
        n, sel, mut = self["N"], self["s"], self["u"]
        start = self.start_frequency
        if name == "fixation_probability":
            return kimura_fixation(n, sel, start)
        if name == "exact_fixation_probability":
            return float(self.chain().fixation[self.copies - 1])
        if name == "mean_absorption_time":
            return float(self.chain().time[self.copies - 1])
        # mutation_selection_balance
        if (1.0 - mut) * (1.0 + sel) > 1.0:
            return mut * (1.0 + sel) / sel
        if sel == 0.0 and mut == 0.0:
            return 1.0 - start
        return 1.0

    # -- derivation ---------------------------------------------------------
    def derivation(self) -> str:
        d = _derive()
        br = branching_survival()
        L = sp.latex
        lines = [
            f"## {self.title}: derivation",
            "",
            "**Model.** A haploid population of $N$ gene copies; $X_t$ copies carry the focal "
            "variant, $p = X_t/N$. Each generation: (1) *selection*: the variant has relative "
            "fitness $1 + s$ ($s > -1$), the resident type $1$, so the mean fitness is "
            f"$\\bar w = {L(d.mean_fitness)}$ and the variant's frequency among the "
            f"offspring pool is $p_s = {L(d.p_selected)}$; (2) *mutation*: each variant copy "
            "turns into the resident type with probability $u$ (one way), "
            f"$p' = {L(d.p_next)}$; (3) *sampling*: $X_{{t+1}} \\sim \\mathrm{{Binomial}}"
            "(N, p')$. The start is $X_0 = N p_0$ copies, a whole number in $1..N-1$.",
            "",
            "**Assumptions.** Non-overlapping generations, constant $N$, genic (haploid) "
            "selection, no migration. Only state $0$ is absorbing when $u > 0$ (mutation "
            "re-creates the resident type after fixation); with $u = 0$ both $0$ and $N$ are.",
            "",
            "**Conventions (a factor 2 between simulators).** Here $s$ is the haploid "
            "selection coefficient with fitness $1+s$. A diploid population of $N$ "
            "individuals has $2N$ copies; with additive fitnesses $1, 1+s, 1+2s$ it behaves "
            "like this model with $2N$ copies, so every $2Ns$ below reads $4Ns$; with "
            "fitnesses $1, 1 + s/2, 1 + s$ ($h = 1/2$) it is $2Ns$ again. Simulators with "
            "fitness $e^{\\sigma}$ have $s = e^{\\sigma} - 1 \\approx \\sigma$.",
            "",
            "### Exact chain",
            "",
            "Let $h_i$ be the probability that the variant reaches $N$ copies before $0$ from "
            "$i$ copies, and $p'_i$ the binomial parameter at $p = i/N$. Conditioning on one "
            "generation (first-step analysis):",
            "",
            f"$$ {L(d.first_step)}, \\qquad h_0 = 0,\\quad h_N = 1. $$",
            "",
            "With $Q = (P_{ij})_{1 \\le i, j \\le N-1}$ the transitions among the interior "
            "states and $r_i = P_{iN} = p_i'^N$, this is the linear system "
            "$(I - Q)\\,h = \\mathbf r$, and the mean number of generations $t_i$ until "
            "$0$ or $N$ solves $(I - Q)\\,t = \\mathbf 1$:",
            "",
            f"$$ {self.latex('exact_fixation_probability')}, \\qquad "
            f"{self.latex('mean_absorption_time')}. $$",
            "",
            "Both are solved numerically (sparse LU, no pivoting). Rows are evaluated "
            "only inside their Chernoff window $N\\,\\mathrm{KL}(j/N \\,\\|\\, p'_i) \\le K$: "
            "each dropped tail has probability at most $e^{-K}$, so the truncated solution "
            "$\\tilde h$ satisfies $0 \\le h - \\tilde h \\le 2e^{-K}\\,\\tilde t$ entrywise "
            "(because $(I - \\tilde Q)^{-1} \\ge 0$ and $(I - \\tilde Q)^{-1}\\mathbf 1 = "
            "\\tilde t$). Where the drift is downward everywhere, "
            "$\\bar h_i = e^{-\\lambda(N-i)}$ with $E_i e^{\\lambda X'} \\le e^{\\lambda i}$ "
            "is a supermartingale above $h$, and the tilted Chernoff tails bound the "
            "error relative to $h$ itself. $K$ is raised until the start entry's bound is "
            "below $10^{-15}$ of it (below $10^{-300}$: absolutely), within cost caps "
            "(else a warning states the bound reached). Rounding "
            "aside: the double-precision transition probabilities perturb the exit rates, "
            "so against 30-digit mpmath solves the results agree to about "
            "$10^{-16}\\max_i t_i$ (relative): $10^{-14}$ at the defaults, $10^{-9}$ when "
            "$u > 0$ makes absorption take $\\sim 10^7$ generations. "
            "With $u = 0$ and $s = 0$ the chain is a martingale and $h_i = i/N$ exactly.",
            "",
            "### Diffusion approximation (Kimura 1962)",
            "",
            f"Selection changes the frequency by $\\Delta_s p = p_s - p = {L(d.delta_selection)}"
            f" = {L(d.drift)} + {L(d.drift_remainder)} + O(s^3)$; "
            f"the diffusion keeps the first-order drift $M(p) = {L(d.drift)}$ "
            "(this replaces $(1+s)/(1+ps)$ by $1 + s(1-p)$). From the moment generating "
            f"function ${L(d.mgf)}$ of $X' \\sim \\mathrm{{Bin}}(N, q)$, "
            f"$E[X'/N] = {L(d.sampling_mean)}$ and $\\operatorname{{Var}}[X'/N] = "
            f"{L(d.sampling_variance)}$, so to leading order $V(p) = "
            f"{L(d.diffusion_variance)}$. The fixation probability $u(p)$ solves the "
            "backward equation",
            "",
            f"$$ {L(d.backward)}, \\qquad u(0) = 0,\\quad u(1) = 1, $$",
            "",
            f"i.e. ${L(d.backward_reduced)}$, whose general solution (`sympy.dsolve`) is "
            f"$u(p) = {L(d.general.rhs)}$. The boundary conditions give",
            "",
            f"$$ P_{{\\mathrm{{fix}}}} \\approx {L(d.kimura)}, $$",
            "",
            f"and ${L(d.kimura_neutral)}$ for $s = 0$ (its limit). For a single new mutant "
            f"($p_0 = 1/N$) in a large population ($N \\to \\infty$, $s > 0$) this is "
            f"${L(d.haldane_limit)} = {L(d.haldane_series)} + O(s^3)$, Haldane's $2s$. "
            "The formula ignores $u$. It is evaluated with `expm1` (and, for $s < 0$, as "
            "$e^{-b(1-p_0)}(1-e^{-bp_0})/(1-e^{-b})$ with $b = -2Ns$), so it neither "
            "overflows nor loses accuracy near $s = 0$ for any $N s$.",
            "",
            "**Error of the diffusion (validation tolerance).** Drift and variance are "
            "matched to first order in $s$, so the error against the exact chain is $O(s)$ "
            "(for $s < 0$ it enters the exponent as $O(Ns^2)$). The stated envelope is",
            "",
            "$$ |P_{\\mathrm{Kimura}} - h_{Np_0}| \\le \\min\\!\\left(\\tfrac{|s|}{2},\\ "
            "(|s| + 1.5\\,N s^2)\\,P_{\\mathrm{Kimura}}\\right), $$",
            "",
            "measured, not proved: it is the envelope of the exact chain's deviation over "
            "$2 \\le N \\le 3000$, $-0.99 \\le s \\le 20$ ($|s| \\le 0.5$ for $N \\ge 1000$) "
            "and every start (largest ratio of deviation to envelope found: 0.66), and the "
            "tests re-check it on hypothesis-drawn parameters. "
            "Validation uses it as the allowance beside the interval, and compares "
            "$P_{\\mathrm{fix}}$ with simulation only when $u = 0$.",
            "",
            "**The error known in closed form (single mutant, large $N$).** At $p = 1/N$ the "
            "number of copies in the next generation is $\\mathrm{Bin}(N, p'_1)$, whose "
            "generating function tends (`sympy.limit`, $N \\to \\infty$) to "
            f"$G(z) = {L(br.pgf)}$: a Galton-Watson process with Poisson($1+s$) offspring. "
            "Its survival probability $\\pi$ solves $1 - \\pi = G(1 - \\pi)$; a power series "
            f"in $s$ (coefficients by `sympy.solve`) gives $\\pi = {L(br.survival_series)} + "
            f"O(s^4)$, while Kimura's limit is $1 - e^{{-2s}} = {L(br.kimura_series)} + "
            f"O(s^4)$. The diffusion therefore overestimates by the relative error "
            f"${L(br.relative_error)} + O(s^2)$ (Fisher 1930; Haldane 1927), which the "
            "$|s|\\,P_{\\mathrm{Kimura}}$ term of the envelope covers; the exact chain "
            "approaches $\\pi$ at rate $O(1/N)$.",
            "",
            "### Mutation-selection balance (Haldane 1927)",
            "",
            "In an infinite population the frequency follows the deterministic recursion "
            f"$p_{{t+1}} = f(p_t) = {L(d.p_next.subs(p, sp.Symbol('p_t')))}$. "
            f"`sympy.solve` of $f(p) = p$ gives the fixed points "
            f"${', '.join(L(r) for r in d.fixed_points)}$, so the resident (non-focal) type, "
            f"kept in the population by mutation against selection, has frequency",
            "",
            f"$$ \\hat q = 1 - p^* = {L(d.q_star)} = {L(sp.expand(d.q_star))}, $$",
            "",
            f"exact for this recursion, and ${L(d.q_star_series)}$ to leading order for small "
            "$s$ (Haldane's $u/s$). The slopes "
            f"$f'(0) = {L(d.slope_at_zero)}$ and $f'(p^*) = {L(d.slope_at_star)}$ show that "
            "$p^*$ is stable and $0$ unstable exactly when $(1-u)(1+s) > 1$ (and $f$ is "
            "increasing and concave, so $p_t \\to p^*$ from every $p_0 > 0$); otherwise "
            "$p_t \\to 0$ and $\\hat q = 1$. The quantity is the long-run frequency of the "
            "resident type from $p_0$:",
            "",
            f"$$ \\hat q = {L(d.balance)}. $$",
            "",
            "With $u = 0$ there is no balance: the favoured type takes over ($\\hat q = 0$ "
            "for $s > 0$, $1$ for $s < 0$), and with $s = 0$ nothing changes "
            "($1 - p_0$). This is the deterministic value; a finite population fluctuates "
            "around it (and eventually loses the variant), so it is not simulated.",
            "",
            "**Sources.** R. A. Fisher (1930); S. Wright (1931); J. B. S. Haldane (1927), "
            "Part V; M. Kimura (1962); W. J. Ewens, *Mathematical Population Genetics I* "
            "(2004), §§1.4-1.5, 4.3, 5.3.",
            "",
        ]
        return "\n".join(lines)
