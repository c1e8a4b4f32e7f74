r"""The evolution toy model of alignment drift (Clymer, Westover, Khandelwal 2025, sec. 6.1).

A population of agents, all aligned at the start. Agent :math:`i` has a drift
probability :math:`p_i \sim \mathrm{Beta}(\alpha, \beta)` and, independently, is
detectable (:math:`d_i = 1`) with probability :math:`q`. Each step: (1) every aligned
agent becomes misaligned with probability :math:`p_i`; (2) misaligned detectable agents
are removed; (3) each removed agent is replaced by an aligned agent whose
:math:`(p, d)` is copied from an agent drawn uniformly from the survivors of (2).
Undetectable misaligned agents stay forever (and their traits can be copied).

**Assumptions** (readings of the post, which gives no code): :math:`p` and :math:`d` are
independent; copies are drawn with replacement from the survivors of the removal
(aligned and undetectable misaligned agents; from everybody before the removal if nobody
survives); a new agent first drifts in the next step; the shares are read at the end of a
step, so every misaligned agent is then undetectable (:math:`U_t = 1 - A_t`). The theory
is the infinite-population limit; :math:`N` agents differ from it by :math:`O(1/N)`.

**Mean field** (infinitely many agents). Write :math:`\nu_k = E[(1-p)^k]` and
:math:`\mu_k = E[p(1-p)^k]` for the Beta moments,

.. math:: \nu_k = \frac{\Gamma(\alpha+\beta)\,\Gamma(\beta+k)}{\Gamma(\beta)\,
          \Gamma(\alpha+\beta+k)},\qquad \mu_k = \frac{\alpha}{\alpha+\beta+k}\,\nu_k,

derived by sympy (integration by parts gives a first-order recurrence in :math:`k`,
solved by ``rsolve``). The undetectable types never leave, and every removal
multiplies them by :math:`1/(1-R_t)`; sympy turns this into
:math:`1/P_{t+1} = 1/P_t - q\mu_t`, summed in closed form:

.. math:: P_t = \frac{1}{1 - q + q\,\nu_t}\quad\text{(undetectable-type share }(1-q)P_t).

The aligned share of undetectable type :math:`p` solves a linear recurrence (generating
function), and averaging over :math:`p`,

.. math:: A_t = q P_t \nu_t + (1-q)\Bigl[\nu_t + \sum_{s=0}^{t-1}(P_{s+1}-P_s)\,
          \nu_{t-1-s}\Bigr],

with the same sum with :math:`\mu` in place of :math:`\nu` for the aligned agents' total
drift probability. These are exact for the infinite population (no quadrature, no
truncation); they cost :math:`O(t)`.

**Large t** (derived, ``kind="asymptotic"``): :math:`\nu_t \sim
\frac{\Gamma(\alpha+\beta)}{\Gamma(\beta)}t^{-\alpha}` (Stirling), so for :math:`q < 1`

.. math:: A_t \sim \frac{\Gamma(\alpha+\beta)}{\Gamma(\beta)\,(1-q)}\,t^{-\alpha},
          \qquad \bar p_t \sim \frac{\alpha(1+q)}{t},

(:math:`\bar p_t \sim \alpha/t` when :math:`q = 1`, where :math:`\bar p_t =
\alpha/(\alpha+\beta+t)` exactly), with relative corrections of order
:math:`t^{-\min(\alpha, 1)}` (:math:`P_t \to P_\infty` at the rate :math:`t^{-\alpha}`,
Stirling's and the convolution's first-moment corrections at the rate :math:`1/t`;
measured at :math:`(\alpha, \beta, q) = (2, 5, 0.7)`: :math:`8.6/t` for the drift
probability): the aligned share falls as a
power law set by the Beta mass near :math:`p = 0`, and the drift time
:math:`1/\bar p_t` grows linearly. A rigorous bound, tight to a fraction of a percent at
the defaults, is :math:`A_t \ge \nu_t/(1 - q + q\nu_t)`; since :math:`\nu_t \approx
e^{-\alpha\ln t}`, it obeys :math:`dA/d\ln t \approx -\alpha A(1 - qA)` -- the post's
"alignment falls linearly in log(steps)" for small :math:`\alpha`, a logistic in
:math:`\ln t` in general.

Source: J. Clymer, A. Westover, A. Khandelwal, *Will AI systems drift into
misalignment?* (Redwood Research / Alignment Forum, 2025), section 6.1.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import sympy as sp
from driftkit.theory._base import Allowance, Model, Parameter, Quantity, Reference
from driftkit.theory._cache import disk_cache
from driftkit.theory._registry import register
from scipy import special

__all__ = [
    "ClymerEvolution",
    "finite_n_allowance",
    "log_gamma_ratio",
    "mean_field",
    "variance_factors",
]

# Model symbols
alpha = sp.Symbol(r"\alpha", positive=True)
beta = sp.Symbol(r"\beta", positive=True)
q = sp.Symbol("q", nonnegative=True)  # detect_prob
t = sp.Symbol("t", integer=True, positive=True)  # steps
# Derivation symbols
p = sp.Symbol("p", positive=True)  # an agent's drift probability, 0 < p < 1
y = sp.Symbol("y", positive=True)  # 1 - p
k = sp.Symbol("k", integer=True, nonnegative=True)
s = sp.Symbol("s", integer=True, nonnegative=True)
u = sp.Symbol("u", positive=True)  # argument of the Stirling series
P, Pn, mu_t, x, z, Y, G, y0 = sp.symbols("P_t P_{t+1} mu_t x_t z Y G y_0")
# display only: the Beta moments and the undetectable-type factor as indexed symbols
_NU = sp.IndexedBase(r"\nu")
_MU = sp.IndexedBase(r"\mu")
_PP = sp.IndexedBase("P")

MAX_STEPS = 10**6


@dataclass(frozen=True)
class _Derived:
    parts_ratio: sp.Expr  # d/dp[p^a (1-p)^(b+k)] / (p^(a-1)(1-p)^(b+k-1)), in y = 1 - p
    boundary: tuple  # p^a (1-p)^(b+k) at p -> 0+ and p -> 1-
    moment_recurrence: sp.Expr  # = 0, in nu(k), nu(k+1)
    nu: sp.Expr  # E[(1-p)^k]
    mu: sp.Expr  # E[p (1-p)^k]
    mu_over_nu: sp.Expr
    geometric: sp.Expr  # sum_{s<t} p (1-p)^s
    geometric_infinite: sp.Expr  # sum_{s>=0} p (1-p)^s, 0 < p < 1
    inverse_step: sp.Expr  # 1/P_{t+1} - 1/P_t
    P_t: sp.Expr  # 1/(1 - q + q nu_t), in nu_t
    y_step_residual: sp.Expr  # P_{t+1} x_{t+1} - (1-p) P_t x_t - (P_{t+1} - P_t)
    generating: sp.Expr  # Y(z)
    stirling: sp.Expr  # log Gamma(u), three terms at u -> oo
    log_ratio_series: sp.Expr  # log(nu_t t^a Gamma(b)/Gamma(a+b)) in 1/t
    P_inf: sp.Expr
    drift_asymptotic: sp.Expr  # alpha (1 + q)/t
    drift_exact_all_detectable: sp.Expr  # q = 1: A_t = 1, bar p_t = mu_t/nu_t exactly
    drift_asymptotic_all_detectable: sp.Expr  # q = 1: alpha/t
    P_correction: sp.Expr  # (P_t - P_inf)/P_inf to first order in nu_t
    drift_ratio_correction: sp.Expr  # (mu_t/nu_t)/(alpha/t) - 1 to first order in 1/t


@disk_cache
def _derive() -> _Derived:
    """Derive the Beta moments, the mean-field solution and its asymptotics (~2 s, once)."""
    # 1. Beta moments nu_k = E[(1-p)^k] by parts: d/dp [p^a (1-p)^(b+k)] divided by the
    #    integrand of nu_k's unnormalised integral is linear in y = 1 - p
    F = p**alpha * (1 - p) ** (beta + k)
    ratio = sp.diff(F, p) / (p ** (alpha - 1) * (1 - p) ** (beta + k - 1))
    ratio = sp.powsimp(sp.expand(sp.expand_power_base(ratio, force=True)), force=True)
    ratio_y = sp.expand(ratio.subs(p, 1 - y))
    boundary = (sp.limit(F, p, 0, "+"), sp.limit(F, p, 1, "-"))
    if boundary != (0, 0) or ratio_y.has(p):  # pragma: no cover - a sympy regression
        raise AssertionError("integration by parts did not give a linear recurrence")
    nu_f = sp.Function("nu")
    rec = ratio_y.coeff(y, 1) * nu_f(k + 1) + ratio_y.coeff(y, 0) * nu_f(k)
    nu_sol = sp.rsolve(rec, nu_f(k), {nu_f(0): 1})
    nu_k = sp.gammasimp(nu_sol.rewrite(sp.gamma))
    mu_k = sp.gammasimp(nu_k - nu_k.subs(k, k + 1))  # p (1-p)^k = (1-p)^k - (1-p)^(k+1)
    mu_over_nu = sp.factor(sp.gammasimp(mu_k / nu_k))
    # 2. geometric sums over the steps (the infinite one converges for |1 - p| < 1, which
    #    holds for 0 < p < 1: its first case is taken)
    geo = sp.factor(sp.summation(p * (1 - p) ** s, (s, 0, t - 1)))
    geo_inf = sp.summation(p * (1 - p) ** s, (s, 0, sp.oo))
    geo_inf = sp.cancel(
        geo_inf.replace(lambda e: isinstance(e, sp.Piecewise), lambda e: e.args[0][0])
    )
    # 3. undetectable-type mass: P_{t+1} = P_t / (1 - R_t), R_t = q P_t mu_t
    step = P / (1 - q * P * mu_t)
    inverse_step = sp.cancel(1 / step - 1 / P)
    nu_t = sp.Symbol(r"\nu_t", positive=True)
    # 1/P_t = 1 + sum_{s<t} (1/P_{s+1} - 1/P_s) = 1 - q E[sum_{s<t} p (1-p)^s]
    per_mu = sp.cancel(inverse_step / mu_t)  # the coefficient -q
    geo_expect = sp.expand(geo).subs((1 - p) ** t, nu_t)  # E[1 - (1-p)^t]
    P_t = sp.cancel(1 / (1 + per_mu * geo_expect))
    # 4. aligned share x_t of an undetectable type p: x_{t+1} = (1 - R)(1-p) x_t + R;
    #    y_t = P_t x_t then satisfies y_{t+1} = (1-p) y_t + (P_{t+1} - P_t)
    R = q * P * mu_t
    x_next = (1 - R) * (1 - p) * x + R
    residual = sp.cancel(sp.expand(step * x_next - (1 - p) * P * x - (step - P)))
    (gen_fn,) = sp.solve(sp.Eq((Y - y0) / z, (1 - p) * Y + G), Y)
    # 5. large t: Stirling's series for log Gamma at u = (1 + c w)/w, w = 1/t
    stirling = sp.loggamma(u).series(u, sp.oo, 3).removeO()
    w = sp.Symbol("w", positive=True)

    def log_gamma_at(c: sp.Expr) -> sp.Expr:
        return sp.expand(sp.expand_log(stirling.subs(u, (1 + c * w) / w), force=True))

    log_ratio = log_gamma_at(beta) - log_gamma_at(alpha + beta) - alpha * sp.log(w)
    log_ratio = sp.series(sp.expand(log_ratio), w, 0, 2).removeO()
    log_ratio = sp.factor(log_ratio).subs(w, 1 / t)
    nu_sym = sp.Symbol("nu", positive=True)
    P_inf = sp.limit(P_t.subs(nu_t, nu_sym), nu_sym, 0)
    # mean drift: numerator ~ mu_t [q P_inf + (1-q) P_inf] + (1-q) q P_inf^2 mu_t sum_k mu_k
    # (the replacements of recent steps), denominator ~ P_inf nu_t, mu_t/nu_t from step 1
    num = mu_t * (q * P_inf + (1 - q) * P_inf) + (1 - q) * q * P_inf**2 * mu_t * geo_inf
    ratio_asym = sp.cancel((num / (P_inf * nu_t)).subs(mu_t, nu_t * mu_over_nu.subs(k, t)))
    drift_asym = sp.factor(sp.limit(ratio_asym * t, t, sp.oo)) / t
    # q = 1: P_t = 1/nu_t, every aligned agent is of detectable type, A_t = P_t nu_t = 1 and
    # bar p_t = P_t mu_t / A_t = mu_t/nu_t exactly; P_inf above is infinite there, so the
    # general law (which needs q < 1) does not apply: the limit is alpha/t, not 2 alpha/t
    P_all = P_t.subs(q, 1)
    aligned_all = sp.simplify(P_all * nu_t)
    if aligned_all != 1:  # pragma: no cover - a sympy regression
        raise AssertionError(f"q = 1: A_t = {aligned_all}, expected 1")
    drift_all = sp.factor(sp.cancel(P_all * nu_t * mu_over_nu.subs(k, t) / aligned_all))
    drift_asym_all = sp.limit(drift_all * t, t, sp.oo) / t
    # order of the relative error of the asymptotic laws (q < 1): P_t -> P_inf at the rate
    # nu_t ~ t^-alpha, while nu_t t^alpha (Stirling, log_ratio) and mu_t/nu_t (exactly
    # alpha/(alpha + beta + t)) approach their limits at the rate 1/t
    P_corr = sp.factor(sp.series(P_t.subs(nu_t, nu_sym) / P_inf, nu_sym, 0, 2).removeO() - 1)
    drift_corr = sp.factor(
        sp.series((mu_over_nu.subs(k, 1 / w) * (1 / w) / alpha), w, 0, 2).removeO() - 1
    ).subs(w, 1 / t)
    return _Derived(
        ratio_y,
        boundary,
        rec,
        nu_k,
        mu_k,
        mu_over_nu,
        geo,
        geo_inf,
        inverse_step,
        P_t,
        residual,
        gen_fn,
        stirling,
        log_ratio,
        P_inf,
        drift_asym,
        drift_all,
        drift_asym_all,
        P_corr,
        drift_corr,
    )


# -- numerics ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Tables:
    """Logs of the Beta moments and of the undetectable-type factor, k = 0 .. size - 1."""

    log_nu: np.ndarray
    one_minus_nu: np.ndarray  # 1 - nu_k without cancellation (expm1)
    log_mu: np.ndarray
    log_P: np.ndarray
    log_dP: np.ndarray  # log(P_{k+1} - P_k) = log(q mu_k P_k P_{k+1})

    @property
    def size(self) -> int:
        return self.log_nu.shape[0]


_TABLES: dict[tuple[float, float, float], _Tables] = {}
_MAX_TABLES = 8


#: Stirling's series coefficients B_{2n} / (2n (2n - 1)), n = 1 .. 7
_STIRLING = tuple(float(sp.bernoulli(2 * j) / (2 * j * (2 * j - 1))) for j in range(1, 8))


def log_gamma_ratio(x: np.ndarray | float, a: float) -> np.ndarray:
    r"""``log Gamma(x + a) - log Gamma(x)`` for ``x > 0``, ``a > 0``, accurate for large ``x``.

    ``gammaln(x + a) - gammaln(x)`` (and ``betaln``) lose digits to cancellation as
    :math:`x` grows (about 1e-9 relative at :math:`x = 10^6`). For :math:`x \ge 10`
    Stirling's series is used instead in a cancellation-free form,
    :math:`(x - \tfrac12)\,\mathrm{log1p}(a/x) + a\ln(x + a) - a +
    \sum_{n=1}^{7}\frac{B_{2n}}{2n(2n-1)}\bigl((x+a)^{1-2n} - x^{1-2n}\bigr)`
    (truncation error below :math:`10^{-16}` there).
    """
    x = np.asarray(x, dtype=np.float64)
    out = np.empty_like(x)
    small = x < 10.0
    xs = x[small]
    out[small] = special.gammaln(xs + a) - special.gammaln(xs)
    xl = x[~small]
    val = (xl - 0.5) * np.log1p(a / xl) + a * np.log(xl + a) - a
    for j, c in enumerate(_STIRLING, start=1):
        val += c * ((xl + a) ** (1 - 2 * j) - xl ** (1 - 2 * j))
    out[~small] = val
    return out


def _log_nu_array(a: float, b: float, kk: np.ndarray) -> np.ndarray:
    """log nu_k = [log Gamma(a+b) - log Gamma(b)] - [log Gamma(a+b+k) - log Gamma(b+k)]."""
    return log_gamma_ratio(np.float64(b), a) - log_gamma_ratio(b + kk, a)


def _build(a: float, b: float, q_v: float, size: int) -> _Tables:
    kk = np.arange(size, dtype=np.float64)
    log_nu = _log_nu_array(a, b, kk)
    log_mu = log_nu + np.log(a / (a + b + kk))
    with np.errstate(divide="ignore"):  # log 0 = -inf where q is 0 or 1
        log_q, log_1q = np.log(q_v), np.log1p(-q_v)
    log_P = -np.logaddexp(log_1q, log_q + log_nu)  # 1/P_k = (1 - q) + q nu_k, no cancellation
    log_dP = log_q + log_mu[:-1] + log_P[:-1] + log_P[1:]
    return _Tables(log_nu, -np.expm1(log_nu), log_mu, log_P, log_dP)


def _tables(a: float, b: float, q_v: float, steps: int) -> _Tables:
    """Tables covering ``steps`` (cached per parameter set, grown by doubling)."""
    key = (a, b, q_v)
    tab = _TABLES.get(key)
    if tab is None or tab.size < steps + 2:
        size = max(1024, 1 << int(steps + 2).bit_length())
        tab = _build(a, b, q_v, size)
        _TABLES.pop(key, None)
        if len(_TABLES) >= _MAX_TABLES:
            _TABLES.pop(next(iter(_TABLES)))
        _TABLES[key] = tab
    return tab


def _log_conv(log_dP: np.ndarray, log_f: np.ndarray, n: int) -> float:
    """log sum_{s<n} exp(log_dP[s] + log_f[n-1-s]) (-inf for an empty or zero sum)."""
    if n == 0:
        return -math.inf
    return float(special.logsumexp(log_dP[:n] + log_f[n - 1 :: -1][:n]))


def mean_field(a: float, b: float, q_v: float, steps: int) -> dict[str, float]:
    """The infinite-population state after ``steps`` steps (exact, O(steps)).

    Returns the aligned share, the undetectable misaligned share, the mean drift
    probability among aligned agents and the undetectable-type share. Every sum has
    nonnegative terms (no cancellation) and is formed in log space (``logsumexp``), so
    nothing underflows to a 0/0 even where the aligned share is below 1e-308; ``1 - nu_k``
    comes from ``expm1``.
    """
    a, b, q_v, n = float(a), float(b), float(q_v), int(steps)
    tab = _tables(a, b, q_v, n)
    with np.errstate(divide="ignore"):
        log_q, log_1q = math.log(q_v) if q_v > 0 else -math.inf, float(np.log1p(-q_v))
    l_nu, l_mu, l_P = tab.log_nu[n], tab.log_mu[n], tab.log_P[n]
    log_aligned = np.logaddexp(
        log_q + l_P + l_nu, log_1q + np.logaddexp(l_nu, _log_conv(tab.log_dP, tab.log_nu, n))
    )
    log_drift = np.logaddexp(
        log_q + l_P + l_mu, log_1q + np.logaddexp(l_mu, _log_conv(tab.log_dP, tab.log_mu, n))
    )
    conv_mis = 0.0
    if n > 0 and q_v < 1.0:  # q = 1: no undetectable agent, U = 0 (and P_k may overflow)
        conv_mis = float(np.dot(np.exp(tab.log_dP[:n]), tab.one_minus_nu[n - 1 :: -1][:n]))
    misaligned = (1.0 - q_v) * (tab.one_minus_nu[n] + conv_mis)
    return {
        "aligned_fraction": float(math.exp(log_aligned)),
        # a probability: rounding of the sum can exceed 1 by an ulp (e.g. alpha = 100)
        "undetectable_fraction": min(float(misaligned), 1.0),
        "mean_drift_probability": float(math.exp(log_drift - log_aligned)),
        "undetectable_type_fraction": float(math.exp(log_1q + l_P)),
    }


def _log_nu(a: float, b: float, steps: int) -> float:
    return float(_log_nu_array(a, b, np.array([float(steps)]))[0])


#: the constant C of the finite-population allowance (see :func:`finite_n_allowance`)
ALLOWANCE_CONSTANT = 2.0


def variance_factors(a: float, b: float, steps: int) -> tuple[float, float]:
    r"""The factors :math:`\kappa_\nu = E[(1-p)^{2t}]/\nu_t^2` and
    :math:`\kappa_\mu = E[p^2(1-p)^{2t}]/\mu_t^2` (both :math:`\ge 1`): the relative
    variance, times :math:`N`, of the empirical :math:`\nu_t` and :math:`\mu_t` of
    :math:`N` agents, i.e. how many agents one effective agent is worth at step ``t``."""
    log_b = special.betaln(a, b)
    log_nu = special.betaln(a, b + steps) - log_b
    log_nu2 = special.betaln(a, b + 2 * steps) - log_b
    log_mu = special.betaln(a + 1, b + steps) - log_b
    log_mu2 = special.betaln(a + 2, b + 2 * steps) - log_b
    cap = 700.0  # exp(700) ~ 1e304: the factors saturate instead of overflowing
    return math.exp(min(log_nu2 - 2 * log_nu, cap)), math.exp(min(log_mu2 - 2 * log_mu, cap))


def finite_n_allowance(model: Model, name: str) -> float:
    r"""The stated allowance for a finite population of :math:`N` agents:
    :math:`C\kappa/N` times the quantity's scale, :math:`C = 2`.

    The simulated dynamics is a smooth (rational) function of the empirical type
    distribution, whose fluctuations have mean zero, so the expected shares differ from the
    mean-field limit at second order: :math:`O(\kappa/N)` relative, where
    :math:`\kappa` (:func:`variance_factors`) is :math:`N` times the relative variance of
    the empirical moment that carries the quantity -- :math:`\nu_t` for the shares,
    :math:`\mu_t` for the mean drift probability. The scale is :math:`A_t` for
    ``aligned_fraction`` and ``undetectable_fraction`` (which is :math:`1 - A_t` in both
    the theory and every simulated population), :math:`\min(W_t, 1 - W_t)` for
    ``undetectable_type_fraction`` and :math:`\bar p_t` for ``mean_drift_probability``.
    Measured (see the derivation) the bias stayed below :math:`0.6\,\kappa/N` times the
    scale for the shares and :math:`1.6\,\kappa/N` for the drift probability; :math:`C = 2`
    covers both. Where :math:`N\nu_t \lesssim 1` (few agents left that drift slower than
    :math:`1/t`) the finite population is far from its mean field, and the allowance is
    then large: it says so rather than hide it.
    """
    n_agents = float(model["agents"])
    k_nu, k_mu = variance_factors(model["alpha"], model["beta"], model["steps"])
    if name == "mean_drift_probability":
        scale, kappa = model.value(name), k_mu
    elif name == "undetectable_type_fraction":
        w_v = model.value(name)
        scale, kappa = min(w_v, 1.0 - w_v), k_nu
    else:
        scale, kappa = model.value("aligned_fraction"), k_nu
    return min(1.0, ALLOWANCE_CONSTANT * kappa / n_agents * scale)


def _real(low: float, high: float, low_open: bool = False, high_open: bool = False) -> dict:
    return {"low": low, "high": high, "low_open": low_open, "high_open": high_open}


_ASSUMPTIONS = (
    "Drift probability and detectability are independent: $p \\sim "
    "\\mathrm{Beta}(\\alpha, \\beta)$ and $d \\sim \\mathrm{Bernoulli}(q)$ (the post draws "
    "both 'randomly' and does not say they are related).",
    "Replacements copy the traits of agents drawn uniformly, with replacement, from the "
    "*survivors* of the removal (aligned agents and undetectable misaligned ones): the post "
    "samples from 'values present in the current population' after the elimination. If "
    "nobody survives (a tiny population only) the copies come from the population before "
    "the removal.",
    "The three sub-steps happen in the post's order within a step, and a new agent does not "
    "drift in the step it is created. A misaligned agent is never realigned except by "
    "removal; an undetectable misaligned agent stays forever.",
    "The quantities are read at the end of a step (after the replacements), so every "
    "misaligned agent then is undetectable and `undetectable_fraction` $= 1 -$ "
    "`aligned_fraction` exactly.",
    "The theory is the infinite-population limit (mean field); the simulation of "
    "$N$ agents differs from it by $O(1/N)$ in expectation (see the validation allowance).",
)


@register
class ClymerEvolution(Model):
    r"""Evolution toy model of alignment drift: drift, removal of the detectable, copying.

    Agents draw :math:`p \sim \mathrm{Beta}(\alpha, \beta)` and detectability
    :math:`d \sim \mathrm{Bernoulli}(q)`; aligned agents turn misaligned with probability
    :math:`p` each step; misaligned detectable agents are replaced by aligned copies of
    survivors. Mean-field (infinite population) solution, with
    :math:`\nu_k = \Gamma(\alpha+\beta)\Gamma(\beta+k)/(\Gamma(\beta)\Gamma(\alpha+\beta+k))`
    and :math:`P_t = 1/(1 - q + q\nu_t)`:

    .. math:: A_t = qP_t\nu_t + (1-q)\Bigl[\nu_t + \sum_{s<t}(P_{s+1}-P_s)\nu_{t-1-s}\Bigr]
              \sim \frac{\Gamma(\alpha+\beta)}{\Gamma(\beta)(1-q)}t^{-\alpha}.

    Source: Clymer, Westover & Khandelwal (2025), sec. 6.1.

    Examples
    --------
    >>> from driftkit.theory.clymer_evolution import ClymerEvolution
    >>> m = ClymerEvolution(steps=1)
    >>> round(m.value("aligned_fraction"), 12)  # 1 - (1 - q) alpha/(alpha + beta) = 1 - 0.1/6
    0.983333333333
    """

    name = "clymer-evolution"
    title = "Evolution toy model of alignment drift (Clymer et al. 2025, sec. 6.1)"
    summary = (
        "Agents with Beta-distributed drift probabilities, some undetectable: aligned agents "
        "drift, detected misaligned ones are replaced by copies of survivors; the aligned "
        "share after t steps (mean field, exact) falls like a logistic in log t and then as "
        "t^-alpha."
    )
    curve_parameter = "steps"
    curve_log = True
    plot_quantities = ("aligned_fraction", "undetectable_type_fraction", "mean_drift_probability")
    #: the post's second experiment: less Beta mass near p = 0 (the post gives no numbers;
    #: alpha = 0.5 is this package's choice)
    plot_variants = ({"alpha": 0.5},)
    parameters = (
        Parameter(
            "agents",
            10_000,
            "number of agents N (Monte Carlo only; the theory is the N -> infinity limit)",
            **_real(1, 10**8),
            integer=True,
            latex="N",
        ),
        Parameter(
            "alpha",
            0.2,
            "first shape parameter of the Beta law of the drift probability",
            **_real(0.01, 100.0),
            latex=r"\alpha",
        ),
        Parameter(
            "beta",
            1.0,
            "second shape parameter of the Beta law of the drift probability",
            **_real(0.01, 100.0),
            latex=r"\beta",
        ),
        Parameter(
            "detect_prob",
            0.9,
            "probability q that an agent is detectable (independent of its drift probability)",
            **_real(0.0, 1.0),
            latex="q",
        ),
        Parameter(
            "steps",
            1000,
            "number of steps t",
            **_real(0, MAX_STEPS),
            integer=True,
            latex="t",
        ),
    )
    quantities = (
        Quantity(
            "aligned_fraction",
            "share of aligned agents after t steps (mean field, exact for infinitely many agents)",
            "A_t",
        ),
        Quantity(
            "undetectable_fraction",
            "share of misaligned (hence undetectable) agents after t steps; 1 - A_t (mean field)",
            "U_t",
        ),
        Quantity(
            "mean_drift_probability",
            "mean drift probability among the aligned agents after t steps (mean field)",
            r"\bar p_t",
        ),
        Quantity(
            "undetectable_type_fraction",
            "share of agents of undetectable type, aligned or not, after t steps (mean field)",
            "W_t",
        ),
        Quantity(
            "aligned_fraction_lower_bound",
            "rigorous lower bound nu_t/(1 - q + q nu_t) on the mean-field aligned share",
            r"A_t \ge \underline{A}_t",
            kind="bound",
        ),
        Quantity(
            "aligned_fraction_asymptotic",
            "leading large-t law of the aligned share, Gamma(a+b)/(Gamma(b)(1-q)) t^-alpha "
            "(asymptotic: relative error O(t^-min(alpha, 1)), O(log(t)/t) at alpha = 1; "
            "1 when q = 1, where A_t = 1)",
            r"A_t \sim A^{\infty}_t",
            kind="asymptotic",
        ),
        Quantity(
            "mean_drift_probability_asymptotic",
            "leading large-t law of the mean drift probability among aligned agents, "
            "alpha (1 + q)/t for q < 1 and alpha/t for q = 1 (asymptotic: relative error "
            "O(t^-min(alpha, 1)), O(log(t)/t) at alpha = 1; O(1/t) when q = 1, where the "
            "exact value is alpha/(alpha + beta + t))",
            r"\bar p_t \sim \bar p^{\infty}_t",
            kind="asymptotic",
        ),
    )
    references = (
        Reference(
            "clymer2025drift",
            "J. Clymer, A. Westover and A. Khandelwal, Will AI systems drift into "
            "misalignment?, Redwood Research / AI Alignment Forum (2025), section 6.1.",
            "@misc{clymer2025drift,\n  author = {Clymer, Joshua and Westover, Alek and "
            "Khandelwal, Anshul},\n  title = {Will {AI} systems drift into misalignment?},\n"
            "  howpublished = {AI Alignment Forum},\n  year = {2025},\n"
            "  url = {https://www.alignmentforum.org/posts/u8TYRhGPD878i3qkc/"
            "will-ai-systems-drift-into-misalignment}\n}",
        ),
        Reference(
            "olver1974",
            "F. W. J. Olver, Asymptotics and Special Functions, Academic Press (1974), "
            "ch. 3 and 8 (Stirling's series and ratios of gamma functions).",
            "@book{olver1974,\n  author = {Olver, F. W. J.},\n"
            "  title = {Asymptotics and Special Functions},\n"
            "  publisher = {Academic Press}, year = {1974}\n}",
        ),
    )

    def curve_range(self, param: str) -> tuple[float, float]:
        """``steps`` from 1 to 10,000 (a logarithmic axis, as in the post's figure)."""
        if param == "steps":
            return 1, 10_000
        return super().curve_range(param)

    # -- formulas -----------------------------------------------------------
    def _expression(self, name: str, case: bool) -> sp.Expr:
        d = _derive()

        def nu_at(e: sp.Expr) -> sp.Expr:
            return d.nu.subs(k, e)

        def mu_at(e: sp.Expr) -> sp.Expr:
            return d.mu.subs(k, e)

        def P_at(e: sp.Expr) -> sp.Expr:
            return d.P_t.subs(sp.Symbol(r"\nu_t", positive=True), nu_at(e))

        dP = P_at(s + 1) - P_at(s)
        if name == "undetectable_type_fraction":
            return (1 - q) * P_at(t)
        if name == "aligned_fraction_lower_bound":
            return nu_at(t) / (1 - q + q * nu_at(t))
        if name == "aligned_fraction_asymptotic":
            lead = sp.gamma(alpha + beta) / sp.gamma(beta) * t ** (-alpha) * d.P_inf
            if case and self["detect_prob"] == 1:
                return sp.Integer(1)
            if case:
                return lead
            return sp.Piecewise((sp.Integer(1), sp.Eq(q, 1)), (lead, True))
        if name == "mean_drift_probability_asymptotic":
            if case and self["detect_prob"] == 1:
                return d.drift_asymptotic_all_detectable
            if case:
                return d.drift_asymptotic
            return sp.Piecewise(
                (d.drift_asymptotic_all_detectable, sp.Eq(q, 1)), (d.drift_asymptotic, True)
            )
        aligned = q * P_at(t) * nu_at(t) + (1 - q) * (
            nu_at(t) + sp.Sum(dP * nu_at(t - 1 - s), (s, 0, t - 1))
        )
        if name == "aligned_fraction":
            return aligned
        if name == "undetectable_fraction":
            return (1 - q) * (1 - nu_at(t) + sp.Sum(dP * (1 - nu_at(t - 1 - s)), (s, 0, t - 1)))
        drift = q * P_at(t) * mu_at(t) + (1 - q) * (
            mu_at(t) + sp.Sum(dP * mu_at(t - 1 - s), (s, 0, t - 1))
        )
        return drift / aligned

    def _display(self, name: str, where: bool = True) -> str:
        """LaTeX of a mean-field quantity in the symbols nu_k, mu_k, P_k (defined after it
        when ``where``)."""
        X = sp.latex
        d = _derive()
        nu, mu_, P_ = _NU, _MU, _PP
        dP = P_[s + 1] - P_[s]
        where = (
            rf"\qquad \nu_k = {X(d.nu)},\ \mu_k = {X(d.mu_over_nu)}\,\nu_k,"
            r"\ P_k = \frac{1}{1 - q + q\nu_k}"
            if where
            else ""
        )
        if name == "aligned_fraction":
            A = q * P_[t] * nu[t] + (1 - q) * (nu[t] + sp.Sum(dP * nu[t - 1 - s], (s, 0, t - 1)))
            return X(A) + where
        if name == "undetectable_fraction":
            U = (1 - q) * (1 - nu[t] + sp.Sum(dP * (1 - nu[t - 1 - s]), (s, 0, t - 1)))
            return X(U) + where
        if name == "mean_drift_probability":
            num = q * P_[t] * mu_[t] + (1 - q) * (
                mu_[t] + sp.Sum(dP * mu_[t - 1 - s], (s, 0, t - 1))
            )
            return r"\frac{1}{A_t}\left(" + X(num) + r"\right)" + where
        if name == "undetectable_type_fraction":
            return X((1 - q) * P_[t]) + where
        if name == "aligned_fraction_lower_bound":
            return X(nu[t] / (1 - q + q * nu[t])) + where
        return X(self.expression(name))

    def latex(self, name: str) -> str:
        """LaTeX ``symbol = formula`` with the Beta moments and P_t written as symbols."""
        return f"{self.quantity(name).symbol} = {self._display(name)}"

    #: the mean-field quantities a finite population of agents differs from
    FINITE_N = (
        "aligned_fraction",
        "undetectable_fraction",
        "mean_drift_probability",
        "undetectable_type_fraction",
    )

    def allowance(self, name: str) -> Allowance:
        """The finite-population allowance, calibrated (:func:`finite_n_allowance`:
        ``2 kappa / N`` times the quantity's scale) for the mean-field shares; else none."""
        self.quantity(name)
        if name not in self.FINITE_N:
            return Allowance(0.0)
        value = finite_n_allowance(self, name)
        if value == 0.0:
            return Allowance(0.0)
        return Allowance(
            value,
            "calibrated",
            "second-order (kappa/N) finite-population bias; measured below 0.6 kappa/N "
            "times the scale for the shares and 1.6 kappa/N for the drift probability "
            "(see the derivation); allowed: 2 kappa/N times the scale",
        )

    def _value(self, name: str) -> float:
        a, b, q_v, n = self["alpha"], self["beta"], self["detect_prob"], self["steps"]
        if name == "aligned_fraction_lower_bound":
            if q_v == 1.0:
                return 1.0
            log_nu = _log_nu(a, b, n)
            log_q = math.log(q_v) if q_v > 0 else -math.inf
            return math.exp(log_nu - np.logaddexp(math.log1p(-q_v), log_q + log_nu))
        if name == "aligned_fraction_asymptotic":
            if q_v == 1.0:
                return 1.0
            if n == 0:
                return math.inf
            log_k = special.gammaln(a + b) - special.gammaln(b)
            return math.exp(log_k - a * math.log(n)) / (1.0 - q_v)
        if name == "mean_drift_probability_asymptotic":
            if n == 0:
                return math.inf
            # q = 1: bar p_t = alpha/(alpha + beta + t) ~ alpha/t (P_inf is infinite there)
            return a / n if q_v == 1.0 else a * (1.0 + q_v) / n
        return mean_field(a, b, q_v, n)[name]

    # -- derivation ---------------------------------------------------------
    def derivation(self) -> str:
        d = _derive()
        X = sp.latex
        nu_t = sp.Symbol(r"\nu_t", positive=True)
        lines = [
            f"## {self.title}: derivation",
            "",
            "**Model.** $N$ agents, all aligned at $t = 0$. Agent $i$ has a drift "
            "probability $p_i \\sim \\mathrm{Beta}(\\alpha, \\beta)$ and a detectability "
            "$d_i \\sim \\mathrm{Bernoulli}(q)$. Each step: (1) every aligned agent becomes "
            "misaligned with probability $p_i$; (2) misaligned agents with $d_i = 1$ are "
            "removed; (3) each removed agent is replaced by an aligned agent whose $(p, d)$ "
            "is copied from an agent drawn uniformly from the survivors.",
            "",
            "**Assumptions (readings of the post, which gives no code).**",
            "",
            *[f"{i}. {text}" for i, text in enumerate(_ASSUMPTIONS, 1)],
            "",
            "### Mean-field recursion",
            "",
            "Let $f(p)$ be the Beta density. For $N \\to \\infty$ the state is the mass "
            "$a_t(p, d)$ of aligned agents and $m_t(p)$ of undetectable misaligned ones "
            "(detectable misaligned agents do not outlive a step). With the removed mass "
            "$R_t = \\int a_t(p, 1)\\,p\\,dp$ and the survivors' mass $1 - R_t$, one step is",
            "",
            "$$ a_{t+1}(p, d) = a_t(p, d)(1-p) + \\frac{R_t}{1 - R_t}\\,\\sigma_t(p, d),"
            "\\qquad m_{t+1}(p) = m_t(p) + a_t(p, 0)\\,p, $$",
            "",
            "where $\\sigma_t(p, 1) = a_t(p, 1)(1-p)$ and $\\sigma_t(p, 0) = a_t(p, 0) + "
            "m_t(p)$ are the survivors. Hence the total mass $n_t(p, 0)$ of an undetectable "
            "type is only ever multiplied by $1/(1 - R_t)$: $n_t(p, 0) = (1-q)f(p)P_t$, and "
            "$a_t(p, 1) = q f(p)(1-p)^t P_t$ with the same factor "
            "$P_t = \\prod_{s<t}(1 - R_s)^{-1}$.",
            "",
            "### Beta moments",
            "",
            "Write $\\nu_k = E[(1-p)^k]$ and $\\mu_k = E[p(1-p)^k]$. Differentiating "
            "$p^{\\alpha}(1-p)^{\\beta+k}$ and dividing by $p^{\\alpha-1}(1-p)^{\\beta+k-1}$ "
            f"gives, in $y = 1 - p$, ${X(d.parts_ratio)}$; the boundary terms at $p = 0, 1$ "
            f"are ${X(d.boundary[0])}$ and ${X(d.boundary[1])}$, so integrating against the "
            "normalised density gives the recurrence",
            "",
            f"$$ {X(d.moment_recurrence)} = 0,\\qquad \\nu(0) = 1, $$",
            "",
            "which `rsolve` solves:",
            "",
            f"$$ \\nu_k = {X(d.nu)},\\qquad \\mu_k = \\nu_k - \\nu_{{k+1}} = {X(d.mu)} = "
            f"{X(d.mu_over_nu)}\\,\\nu_k. $$",
            "",
            "### The undetectable-type factor",
            "",
            "$R_t = q P_t \\mu_t$, so $P_{t+1} = P_t/(1 - qP_t\\mu_t)$ and sympy simplifies "
            f"$1/P_{{t+1}} - 1/P_t = {X(d.inverse_step)}$. Summing over the steps, with "
            f"$\\sum_{{s=0}}^{{t-1}} p(1-p)^s = {X(d.geometric)}$ inside the expectation,",
            "",
            f"$$ P_t = {X(d.P_t)},\\qquad \\nu_t = E[(1-p)^t]. $$",
            "",
            "The undetectable-type share is $W_t = (1-q)P_t$; it tends to 1 (every "
            "detectable type is eventually removed) when $q < 1$.",
            "",
            "### Aligned agents of undetectable type",
            "",
            "The aligned fraction $x_t(p) = a_t(p, 0)/n_t(p, 0)$ obeys "
            "$x_{t+1} = (1 - R_t)(1-p)x_t + R_t$, $x_0 = 1$. With $y_t = P_t x_t$ the "
            "recurrence becomes $y_{t+1} = (1-p)y_t + (P_{t+1} - P_t)$ (sympy: residual "
            f"${X(d.y_step_residual)}$). Its generating function $Y(z) = \\sum_t y_t z^t$, "
            f"with $G(z) = \\sum_t (P_{{t+1}} - P_t) z^t$, solves to $Y = {X(d.generating)}$, "
            "whose coefficients are the convolution",
            "",
            "$$ y_t = (1-p)^t + \\sum_{s=0}^{t-1}(P_{s+1} - P_s)(1-p)^{t-1-s}. $$",
            "",
            "Averaging over $p$ (the aligned mass is $q P_t \\nu_t$ for the detectable "
            "types and $(1-q)E[y_t]$ for the undetectable ones):",
            "",
            f"$$ A_t = {self._display('aligned_fraction', where=False)} $$",
            "",
            f"$$ U_t = {self._display('undetectable_fraction', where=False)} $$",
            "",
            f"$$ \\bar p_t = {self._display('mean_drift_probability', where=False)} $$",
            "",
            "with $A_t + U_t = 1$ (since $\\sum_{s<t}(P_{s+1} - P_s) = P_t - 1$).",
            "",
            "**Evaluation.** Exact for the infinite population, in $O(t)$ operations. "
            "$\\ln\\nu_k$ is a difference of $\\ln\\Gamma$ ratios, evaluated by "
            "Stirling's series (seven terms, written without cancellation) for arguments "
            "$\\ge 10$ -- `betaln` differences lose about $10^{-10}$ relative at "
            "$k = 10^6$, this keeps $10^{-15}$. Every sum has nonnegative terms and is formed "
            "in log space (`logsumexp`), so $\\bar p_t$ stays finite where $A_t$ is below "
            "$10^{-308}$; $1 - \\nu_k$ comes from `expm1`.",
            "",
            "### A rigorous bound",
            "",
            "Because $\\nu_k$ decreases in $k$, $1 - \\nu_{t-1-s} \\le 1 - \\nu_t$ in $U_t$, "
            "so $U_t \\le (1-q)P_t(1 - \\nu_t)$, i.e.",
            "",
            f"$$ A_t \\ge \\underline{{A}}_t = {X(nu_t / (1 - q + q * nu_t))}. $$",
            "",
            "At the defaults it is within 0.55% of $A_t$ for all $t \\le 10^6$ (largest gap near "
            "$t = 40$). With "
            "$\\nu_t \\approx e^{-\\alpha \\ln t}$ it obeys "
            "$d\\underline{A}_t/d\\ln t \\approx -\\alpha\\,\\underline{A}_t"
            "(1 - q\\underline{A}_t)$: a logistic in $\\ln t$, which is the post's "
            "'alignment falls in proportion to the log of the number of steps' while "
            "$\\underline{A}_t(1 - q\\underline{A}_t)$ changes slowly.",
            "",
            "### Large t (asymptotic)",
            "",
            f"Stirling's series $\\ln\\Gamma(u) \\approx {X(d.stirling)}$ at $u = t + \\beta$ "
            "and $u = t + \\alpha + \\beta$ gives",
            "",
            f"$$ \\ln\\frac{{\\nu_t\\,t^{{\\alpha}}\\,\\Gamma(\\beta)}}"
            f"{{\\Gamma(\\alpha+\\beta)}} = {X(d.log_ratio_series)} + O(t^{{-2}}), $$",
            "",
            "so $\\nu_t \\sim \\Gamma(\\alpha+\\beta)t^{-\\alpha}/\\Gamma(\\beta)$: the "
            "Beta mass near $p = 0$ sets the law. The factor tends to "
            f"$P_\\infty = {X(d.P_inf)}$ (for $q < 1$). In the convolution, the early terms "
            "($s \\ll t$) contribute $(P_\\infty - 1)\\nu_t$ and the late ones "
            "$O(t^{-2\\alpha})$, hence",
            "",
            f"$$ A_t \\sim {X(self.general_expression('aligned_fraction_asymptotic'))}, $$",
            "",
            "with a relative correction of order $t^{-\\min(\\alpha, 1)}$ "
            "($O(\\ln t/t)$ at $\\alpha = 1$). Its pieces, derived: $P_t/P_\\infty - 1 = "
            f"{X(d.P_correction.subs(sp.Symbol('nu', positive=True), nu_t))} + O(\\nu_t^2)$, "
            "of order $t^{-\\alpha}$; the Stirling term above, of order $1/t$ (nonzero unless "
            "$\\alpha + 2\\beta = 1$); in the convolution, the first moments "
            "$\\sum_s s\\,(P_{s+1} - P_s)$ and $\\sum_k \\nu_k$ of the early and late "
            "terms, finite for $\\alpha > 1$ and giving $1/t$, growing like "
            "$t^{1-\\alpha}$ for $\\alpha < 1$ and giving $t^{-\\alpha}$. "
            "So for $\\alpha > 1$ the error falls like $1/t$, not $t^{-\\alpha}$ "
            "(measured at $(\\alpha, \\beta, q) = (2, 5, 0.7)$: $2.6/t$ for $A_t$, $8.6/t$ for "
            "$\\bar p_t$, $t = 10^3$ to $10^6$). Slow for small $\\alpha$: "
            "at the defaults the asymptote is reached only well beyond "
            "$t^* = (q\\Gamma(\\alpha+\\beta)/(\\Gamma(\\beta)(1-q)))^{1/\\alpha}$, where "
            "the detectable types stop dominating). For the drift, the early terms give "
            "$(P_\\infty - 1)\\mu_t$ and the late ones (fresh copies of undetectable types, "
            "still drifting at Beta rates) $q P_\\infty^2 \\mu_t \\sum_k \\mu_k$ with "
            f"$\\sum_k p(1-p)^k = {X(d.geometric_infinite)}$; with "
            "$\\mu_t/\\nu_t \\sim \\alpha/t$,",
            "",
            f"$$ \\bar p_t \\sim {X(d.drift_asymptotic)}\\quad (q < 1), $$",
            "",
            "with the same order of relative error (here $\\mu_t/\\nu_t$ itself, "
            "$\\alpha/(\\alpha + \\beta + t)$, differs from $\\alpha/t$ by "
            f"${X(d.drift_ratio_correction)}$ relative). The law needs $q < 1$: "
            "$P_\\infty$ is infinite at $q = 1$. There $P_t = 1/\\nu_t$, every aligned agent "
            "is of detectable type, $A_t = P_t\\nu_t = 1$ and, exactly, "
            f"$\\bar p_t = \\mu_t/\\nu_t = {X(d.drift_exact_all_detectable)}$, so",
            "",
            f"$$ \\bar p_t \\sim {X(d.drift_asymptotic_all_detectable)}\\quad (q = 1), $$",
            "",
            "half the $q \\to 1$ limit of the general law (the survivors' copies that double "
            "the drift for $q < 1$ are copies of undetectable types, which do not exist at "
            "$q = 1$; for $q$ near 1 the general law holds only beyond a crossover time that "
            "grows without bound as $q \\to 1$), with relative error $O(1/t)$. "
            "In both cases the mean drift time $1/\\bar p_t$ grows linearly in $t$, "
            "as the post observes.",
            "",
            "### Finite populations (validation allowance)",
            "",
            "The simulation has $N$ agents. Its dynamics is a smooth (rational) function of "
            "the empirical type distribution, whose fluctuations have mean zero, so its "
            "expected shares differ from the mean field at second order: by "
            "$O(\\kappa/N)$ relative, where $\\kappa_\\nu = E[(1-p)^{2t}]/\\nu_t^2$ and "
            "$\\kappa_\\mu = E[p^2(1-p)^{2t}]/\\mu_t^2$ are $N$ times the relative "
            "variances of the empirical $\\nu_t$ and $\\mu_t$ (how many agents one "
            "*effective* agent is worth at step $t$; $\\kappa_\\nu \\approx 3.8$ at the "
            "defaults). Measured with $N$ = 30 to 1,000 ($10^4$ to $2\\cdot 10^5$ "
            "populations each; $t$ = 10, 100, 1000; $(\\alpha, \\beta, q)$ = (0.2, 1, 0.9), "
            "(0.2, 1, 0.5), (0.2, 1, 0.99), (1, 1, 0.9), (2, 5, 0.7)), the bias stayed below "
            "$0.6\\,\\kappa_\\nu/N$ times $A_t$ (aligned and misaligned shares) and "
            "times $\\min(W_t, 1 - W_t)$ (undetectable-type share), and below "
            "$1.6\\,\\kappa_\\mu/N$ times $\\bar p_t$. Validation allows $2\\kappa/N$ "
            "times the same scales beside each interval (capped at 1). Where $N\\nu_t "
            "\\lesssim 1$ -- few agents left that drift slower than $1/t$, e.g. "
            "$\\alpha = 1$, $t \\gtrsim N$ -- the finite population is far from its "
            "mean field and the allowance grows accordingly.",
            "",
            "**Sources.** J. Clymer, A. Westover, A. Khandelwal, *Will AI systems drift "
            "into misalignment?* (2025), sec. 6.1 (the model); F. W. J. Olver, *Asymptotics "
            "and Special Functions* (1974) (Stirling's series).",
            "",
        ]
        return "\n".join(lines)
