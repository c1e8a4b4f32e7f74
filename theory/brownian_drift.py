r"""Brownian motion with drift between two absorbing barriers (the lower one optional).

The diffusion :math:`dX_t = \mu\,dt + \sigma\,dW_t` starts at ``x0`` and is absorbed at
``lo`` (caught: the misalignment is detected) and ``hi`` (escape: the point of no
return); ``lo`` may be :math:`-\infty` (nothing ever catches it). It is the
continuum limit of :mod:`driftkit.theory.gamblers_ruin` and the reference model of drift
under selection: :math:`\mu` is the net push per unit time, :math:`\sigma^2` the
free diffusion.

Every formula here is *derived* by sympy: the drift as an expectation over the
Gaussian increment (``sympy.stats``), the escape probability and the mean exit time
by solving the backward (Kolmogorov) equations with :func:`sympy.dsolve`, the
lower barrier at :math:`-\infty` as a :func:`sympy.limit`, and the law of the exit
time through its Laplace transform (again ``dsolve``), identified with the inverse
Gaussian law of ``sympy.stats`` (one barrier) and inverted by the method of images /
the eigenfunction series (two barriers). Values are evaluated with mpmath, whose
exponent range is unbounded, at a working precision that is raised until two
precisions agree (so :math:`e^{2\mu(\mathrm{hi}-\mathrm{lo})/\sigma^2}` and the
cancellation near :math:`\mu = 0` are harmless).

The parameter ``dt`` is the time step of the *simulation* only; no theory value
depends on it.

Sources: S. Karlin and H. M. Taylor, *A Second Course in Stochastic Processes*
(1981), ch. 15, sections 3-4 (exit probabilities and mean exit times of diffusions);
A. N. Borodin and P. Salminen, *Handbook of Brownian Motion - Facts and Formulae*,
2nd ed. (2002), Part II, ch. 2 (first passage and exit-time laws of Brownian motion
with drift, formulas 2.0.2 and 3.0.6).
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import mpmath
import sympy as sp
from driftkit.theory import bounds
from driftkit.theory._base import (
    Model,
    Parameter,
    ParameterError,
    Quantity,
    Reference,
    time_step_parameter,
)
from driftkit.theory._cache import disk_cache
from driftkit.theory._registry import register
from sympy.stats import E, GaussianInverse, Normal, cdf, moment_generating_function

__all__ = ["BrownianDrift"]

# Model symbols (what the formulas are written in).
mu = sp.Symbol(r"\mu", real=True)
sigma = sp.Symbol(r"\sigma", positive=True)
lo, hi, x0 = sp.symbols(r"\mathrm{lo} \mathrm{hi} x_0", real=True)
t = sp.Symbol("t", positive=True)
dt = sp.Symbol(r"\Delta t", positive=True)
lam = sp.Symbol(r"\lambda", positive=True)  # Laplace variable
k = sp.Symbol("k", integer=True)
# Solution variables: n = x - lo (distance from the lower barrier), N = hi - lo,
# d = hi - x (distance to the upper barrier).
x = sp.Symbol("x", real=True)
n, N, d = sp.symbols("n N d", positive=True)
c = bounds.SLOPE  # slope of the time-uniform line
_MU_POS = sp.Symbol(r"\mu", positive=True)
_MU_NEG = sp.Symbol(r"\mu", negative=True)

_DPS = 30  # first working precision of the mpmath evaluators (see _accurate)
_MAX_DPS = 4000


def _Phi(z: sp.Expr) -> sp.Expr:
    """The standard normal CDF as a sympy expression."""
    return sp.erfc(-z / sp.sqrt(2)) / 2


@dataclass(frozen=True)
class _Solved:
    """One boundary-value problem of the backward equation, solved in both cases."""

    ode: sp.Eq  # in x, on (lo, hi)
    boundary: tuple[sp.Eq, sp.Eq]
    general: sp.Expr  # dsolve's general solution, mu != 0
    result: sp.Expr  # mu != 0, in n and N (lo = 0 by translation)
    general_eq: sp.Expr  # mu = 0
    result_eq: sp.Expr
    one_sided: sp.Expr  # the limit lo -> -oo for mu > 0, in d = hi - x0
    one_sided_neg: sp.Expr  # the limit lo -> -oo for mu < 0 (oo where infinite)


@dataclass(frozen=True)
class _Derived:
    increment: Any  # the Gaussian increment over dt (a sympy.stats random variable)
    drift: sp.Expr
    escape: _Solved
    exit_time: _Solved
    laplace_ode: sp.Eq
    laplace_two: sp.Expr  # E[exp(-lam T); hit hi first], in n and N
    laplace_one: sp.Expr  # E[exp(-lam T)] with lo = -oo, in d
    ig_mean: sp.Expr
    ig_shape: sp.Expr
    passage_cdf: sp.Expr  # P(T_hi <= t), lo = -oo, valid for all real mu, in d
    image_sum: sp.Expr  # the two-barrier method-of-images series, in n and N


def _solve_bvp(f: sp.Function, rhs: sp.Expr, f_lo: sp.Expr, f_hi: sp.Expr) -> _Solved:
    r"""Solve ``(sigma^2/2) f'' + mu f' = rhs`` on (lo, hi) with ``f(lo), f(hi)`` given."""
    ode = sp.Eq(sigma**2 / 2 * f(x).diff(x, 2) + mu * f(x).diff(x), rhs)
    boundary = (sp.Eq(f(lo), f_lo), sp.Eq(f(hi), f_hi))

    # The equation is invariant under translation, so the constants are fixed on
    # (0, N) in the variable n = x - lo.
    def fit(general: sp.Expr, simplify: Callable) -> sp.Expr:
        consts = sorted(general.free_symbols - {x, mu, sigma}, key=str)
        in_n = general.subs(x, n)
        (sol,) = sp.solve([in_n.subs(n, 0) - f_lo, in_n.subs(n, N) - f_hi], consts, dict=True)
        return simplify(in_n.subs(sol))

    general = sp.dsolve(ode, f(x)).rhs
    result = fit(general, sp.simplify)
    general_eq = sp.dsolve(ode.subs(mu, 0), f(x)).rhs
    result_eq = fit(general_eq, sp.factor)
    # lo -> -oo at fixed d = hi - x0: n = N - d with N -> oo.
    in_d = result.subs(n, N - d)
    one_sided = sp.simplify(sp.limit(in_d.subs(mu, _MU_POS), N, sp.oo).subs(_MU_POS, mu))
    one_sided_neg = sp.simplify(sp.limit(in_d.subs(mu, _MU_NEG), N, sp.oo).subs(_MU_NEG, mu))
    if one_sided_neg.has(sp.nan):
        # sympy's limit gives up on the mean exit time for mu < 0; there the term
        # -n/mu of the solution grows without bound while the rest stays bounded.
        one_sided_neg = sp.oo
    return _Solved(ode, boundary, general, result, general_eq, result_eq, one_sided, one_sided_neg)


@disk_cache
def _derive() -> _Derived:
    """Derive every formula of the model (a few seconds, done once)."""
    Z = Normal("Z", 0, 1)
    increment = mu * dt + sigma * sp.sqrt(dt) * Z
    drift = sp.simplify(E(increment) / dt)  # linearity: E[Z] from the law of Z
    u, T, v = sp.Function("u"), sp.Function("T"), sp.Function("v")
    escape = _solve_bvp(u, sp.Integer(0), sp.Integer(0), sp.Integer(1))
    exit_time = _solve_bvp(T, sp.Integer(-1), sp.Integer(0), sp.Integer(0))

    # Laplace transform of the exit time on the event {hi first}: the backward
    # equation with killing at rate lambda, v(lo) = 0, v(hi) = 1.
    laplace_ode = sp.Eq(sigma**2 / 2 * v(x).diff(x, 2) + mu * v(x).diff(x) - lam * v(x), 0)
    two = sp.dsolve(laplace_ode.subs(x, n), v(n), ics={v(0): 0, v(N): 1}).rhs
    # One barrier: the solution bounded as x -> -oo is the exponential with the
    # positive root; fix its constant by v(hi) = 1 and write it in d = hi - x.
    general = sp.dsolve(laplace_ode, v(x)).rhs
    bounded = []
    for term in sp.Add.make_args(sp.expand(general)):
        rate = sp.diff(sp.log(term.subs({sp.Symbol("C1"): 1, sp.Symbol("C2"): 1})), x)
        if sp.simplify(rate.subs(mu, 0)).is_positive:
            bounded.append(term)
    (term,) = bounded
    (const,) = term.free_symbols - {x, mu, sigma, lam}
    c_value = sp.solve(term.subs(x, hi) - 1, const)[0]
    one = sp.simplify(sp.powsimp(term.subs(const, c_value).subs(x, hi - d), force=True))
    # The inverse Gaussian law (sympy.stats) with this mean and shape has the same
    # Laplace transform for mu > 0; check it, then take its CDF.
    ig_mean, ig_shape = d / _MU_POS, d**2 / sigma**2
    Tig = GaussianInverse("T", ig_mean, ig_shape)
    ig_laplace = sp.simplify(moment_generating_function(Tig)(-lam))
    gap = sp.simplify(sp.powsimp(ig_laplace - one.subs(mu, _MU_POS), force=True))
    if gap != 0 and not all(
        abs(complex(gap.subs({_MU_POS: m_, sigma: s_, lam: l_, d: d_}).evalf())) < 1e-12
        for m_, s_, l_, d_ in ((0.3, 1.2, 0.7, 2.0), (2.0, 0.5, 3.0, 0.4))
    ):
        raise AssertionError("inverse Gaussian Laplace transform mismatch")  # pragma: no cover
    passage_cdf = sp.simplify(cdf(Tig)(t)).subs(_MU_POS, mu)
    # Method of images: the driftless two-barrier exit density at hi is the
    # alternating sum of one-barrier densities at distances (2k+1)N - n; the drift
    # enters by Girsanov's factor exp(mu (N - n)/sigma^2 - mu^2 t/(2 sigma^2)).
    dk = (2 * k + 1) * N - n
    G = sp.exp(-mu * sp.Abs(dk) / sigma**2) * passage_cdf.subs(d, sp.Abs(dk))
    image_sum = sp.exp(mu * (N - n) / sigma**2) * sp.Sum(sp.sign(dk) * G, (k, -sp.oo, sp.oo))
    return _Derived(
        increment,
        drift,
        escape,
        exit_time,
        laplace_ode,
        two,
        one,
        ig_mean.subs(_MU_POS, mu),
        ig_shape,
        passage_cdf,
        image_sum,
    )


def _in_model_symbols(expr: sp.Expr) -> sp.Expr:
    return expr.subs({N: hi - lo, d: hi - x0}).subs({n: x0 - lo})


_SOLVED = {"escape_probability": "escape", "mean_exit_time": "exit_time"}


def _solved(name: str) -> _Solved:
    return getattr(_derive(), _SOLVED[name])


@functools.cache
def _mp_function(name: str) -> Callable:
    """mpmath evaluator of the mu != 0 two-barrier case, arguments (mu, sigma, n, N)."""
    return sp.lambdify((mu, sigma, n, N), _solved(name).result, modules="mpmath")


def _accurate(f: Callable[[], Any], scale: float = 1.0) -> float:
    """``f()`` evaluated in mpmath at rising precision until two precisions agree.

    The formulas lose digits to cancellation when ``scale = |mu| * length /
    sigma^2`` is small (near ``mu = 0``), about ``2 log10(1/scale)`` of them, and the
    series to alternating sums; the first precision allows for that, and mpmath
    has no overflow, so raising the precision until two agree is enough.
    """
    lost = 2 * max(0.0, -math.log10(scale)) if scale > 0 else 0.0
    dps = _DPS + math.ceil(lost)
    max_dps = max(_MAX_DPS, 4 * dps)  # two doublings beyond what the cancellation needs
    prev = None
    while dps <= max_dps:
        with mpmath.workdps(dps):
            try:
                cur = f()
            except ZeroDivisionError:  # 1 - exp(tiny) rounded to 0: not enough digits
                cur = None
        if cur is not None and prev is not None:
            if prev == cur or abs(cur - prev) <= mpmath.mpf(2) ** -60 * abs(cur):
                return float(cur)
            if float(prev) == float(cur) and float(cur) in (0.0, math.inf, -math.inf):
                return float(cur)  # both beyond the float range: an honest 0 (or inf)
        prev = cur
        dps *= 2
    raise ArithmeticError("mpmath evaluation did not converge")  # pragma: no cover


def _ncdf(z):
    r"""The standard normal CDF in mpmath, also beyond ``|z| = 1e100``.

    ``mpmath.ncdf`` fails once ``z**2`` overflows a float; there the asymptotic series
    :math:`\Phi(z) = \varphi(z)/|z| \sum_k (-1)^k (2k-1)!!/z^{2k}` (z < 0) is summed until
    a term is below the working precision: its terms fall by at least ``1e-200`` each,
    and the error of a truncated alternating asymptotic series is below its first
    omitted term (Abramowitz & Stegun 7.1.24).
    """
    if abs(z) < 1e100:
        return mpmath.ncdf(z)
    if z > 0:
        return 1 - _ncdf(-z)
    eps = mpmath.mpf(2) ** (-mpmath.mp.prec - 10)
    w = 1 / (z * z)
    total, term, kk = mpmath.mpf(1), mpmath.mpf(1), 1
    while abs(term) > eps:
        term *= -(2 * kk - 1) * w
        total += term
        kk += 1
    return mpmath.npdf(z) / -z * total


def _mp_passage(tv, dv, m, s):
    """P(first passage of a distance dv > 0 by time tv), drift m (any sign), mpmath."""
    rt = s * mpmath.sqrt(tv)
    return _ncdf((m * tv - dv) / rt) + mpmath.exp(2 * m * dv / s**2) * _ncdf((-dv - m * tv) / rt)


def _mp_images(tv, yv, L, m, s):
    r"""Two-barrier P(exit at hi by tv): the method-of-images series (fast for small t).

    Image ``k >= 0`` contributes, with the one-barrier passage CDF ``F`` (:func:`_mp_passage`),

    .. math:: e^{-2 m k L/s^2} F(t; (2k+1)L - y) - e^{-2 m (kL + y)/s^2} F(t; (2k+1)L + y)

    (Girsanov's factor :math:`e^{m(L-y)/s^2}` moved into each image, so no partial sum is
    exponentially large). The series stops when a bound on all the remaining terms is
    below ``eps * |total|``: for ``j >= J`` each image term is at most
    :math:`\min(e^{-2|m| jL/s^2},\ e^{m(L-y)/s^2}\, 2\bar\Phi(2jL/(s\sqrt t)))` (the first
    from :math:`F(t; d) \le \min(1, e^{2md/s^2})`, the second from Girsanov,
    :math:`F_m(t; d) \le e^{md/s^2} P_0(T_d \le t)`), and the sum of the first over ``j >= J``
    is geometric, of the second at most :math:`\bar\Phi(z_J)/(1 - e^{-z_J \delta})` with
    :math:`z_J = 2JL/(s\sqrt t)`, :math:`\delta = 2L/(s\sqrt t)`
    (:math:`\bar\Phi(z + \delta) \le e^{-z\delta}\bar\Phi(z)` for :math:`z \ge 0`).
    A strong drift thus needs one or two images, a short horizon a few.
    """
    eps = mpmath.mpf(2) ** (-mpmath.mp.prec - 10)
    s2 = s**2
    rt = s * mpmath.sqrt(tv)
    rate = 2 * abs(m) * L / s2  # geometric decay rate of the image weights
    delta = 2 * L / rt
    log_girsanov = m * (L - yv) / s2
    total = mpmath.mpf(0)
    kk = 0
    while True:
        pos = mpmath.exp(-2 * m * kk * L / s2) * _mp_passage(tv, (2 * kk + 1) * L - yv, m, s)
        neg = mpmath.exp(-2 * m * (kk * L + yv) / s2) * _mp_passage(tv, (2 * kk + 1) * L + yv, m, s)
        total += pos - neg
        kk += 1
        # bound on the sum of every image j >= kk (two images per j)
        z = kk * delta
        tail = 4 * mpmath.exp(log_girsanov) * _ncdf(-z) / -mpmath.expm1(-z * delta)
        if rate > 0:
            tail = min(tail, 2 * mpmath.exp(-rate * kk) / -mpmath.expm1(-rate))
        if tail <= eps * abs(total):
            break
        if kk > 10**6:  # pragma: no cover
            raise ArithmeticError("image series did not converge")
    return total


def _mp_eigen(tv, yv, L, m, s, pesc):
    """Two-barrier P(exit at hi by tv) = P_esc - (eigenfunction series of the tail).

    ``pesc`` is the escape probability, evaluated accurately beforehand.
    """
    eps = mpmath.mpf(2) ** (-mpmath.mp.prec - 10)
    nu = m**2 / (2 * s**2)
    pi = mpmath.pi
    tail = mpmath.mpf(0)
    kk = 1
    while True:
        rate = kk**2 * pi**2 * s**2 / (2 * L**2) + nu
        term = (-1) ** (kk + 1) * kk * mpmath.sin(kk * pi * yv / L) * mpmath.exp(-rate * tv) / rate
        tail += term
        if kk > 2 and abs(term) <= eps * abs(tail):
            break
        kk += 1
        if kk > 10**6:  # pragma: no cover
            raise ArithmeticError("eigenfunction series did not converge")
    tail *= pi * s**2 / L**2 * mpmath.exp(m * (L - yv) / s**2)
    return pesc - tail


_BOUNDS = ("lundberg_bound", "chernoff_bound", "maximal_bound", "time_uniform_bound")


@dataclass(frozen=True)
class _DerivedBounds:
    exponential: bounds.ExponentialBounds
    general: dict  # name -> Piecewise in the model's symbols
    branches: dict  # name -> {branch: expression}
    numeric: dict  # name -> float function of (mu, sigma, d, t, c) (on disk: its expression)


@functools.cache
def _derive_bounds() -> _DerivedBounds:
    """The derived bounds with their numeric parts lambdified (callables do not pickle,
    so the disk cache holds :func:`_derive_bound_expressions` and this lambdifies)."""
    derived = _derive_bound_expressions()
    args = (mu, sigma, d, t, c)
    numeric = {
        name: sp.lambdify(args, expr, modules="math") for name, expr in derived.numeric.items()
    }
    return dataclasses.replace(derived, numeric=numeric)


@disk_cache
def _derive_bound_expressions() -> _DerivedBounds:
    r"""Derive the bounds from the law of the unit-time increment (done once, on first use).

    :math:`X_t - x_0` is a sum of independent increments, so its cumulant generating
    function is :math:`t K(\theta)` with :math:`K` that of :math:`N(\mu, \sigma^2)`, for
    every real :math:`t > 0`: the walk formulas of :mod:`driftkit.theory.bounds` hold with time
    in place of the number of steps.
    """
    a = bounds.LEVEL
    assert a == d and bounds.HORIZON == t  # the bounds are written in this model's d and t
    eb = bounds.derive_exponential(Normal("X", mu, sigma), {mu: -1, sigma: 1, a: 5, t: 10})
    assert eb.line_theta is not None  # a closed form for Gaussian steps
    lundberg = sp.exp(-eb.adjustment * d)
    chernoff = sp.exp(eb.chernoff_exponent)
    line = sp.exp(-eb.line_theta * d)
    trivial = d <= mu * t
    one = sp.Integer(1)
    general = {
        "lundberg_bound": sp.Piecewise((lundberg, mu < 0), (1, True)),
        "chernoff_bound": sp.Piecewise((1, trivial), (chernoff, True)),
        "maximal_bound": sp.Piecewise(
            (1, trivial), (lundberg, eb.chernoff_theta < eb.adjustment), (chernoff, True)
        ),
        "time_uniform_bound": sp.Piecewise((1, c <= mu), (line, True)),
    }
    branches = {
        "lundberg_bound": {"lundberg": lundberg, "one": one},
        "chernoff_bound": {"chernoff": chernoff, "one": one},
        "maximal_bound": {"chernoff": chernoff, "lundberg": lundberg, "one": one},
        "time_uniform_bound": {"line": line, "one": one},
    }
    numeric = {  # expressions here; lambdified by _derive_bounds
        "theta_star": eb.adjustment,
        "theta_c": eb.chernoff_theta,
        "log_chernoff": eb.chernoff_exponent,
        "theta_line": eb.line_theta,
    }
    return _DerivedBounds(eb, general, branches, numeric)


def _bound_branch(name: str, mv: float, sv: float, dv: float, tv: float, cv: float) -> tuple:
    """The branch of bound ``name`` that applies and the log of its value (evaluated in
    mpmath, returned as a float: a log below -745 underflows to a 0 bound, honestly)."""
    f = _derive_bounds().numeric
    # mpmath arguments: the exponents are plain products and quotients (no math.*), and
    # in mpmath sigma**2 never underflows nor a quotient overflows; the log is a float
    args = tuple(mpmath.mpf(v) for v in (mv, sv, dv, tv, cv))
    with mpmath.workdps(30):
        branch, log_value = _bound_branch_mp(name, f, args)
    return branch, float(log_value)


def _bound_branch_mp(name: str, f: dict, args: tuple) -> tuple:
    """:func:`_bound_branch` on mpmath arguments ``(mu, sigma, d, t, c)``."""
    mv, _, dv, tv, cv = args
    if name == "lundberg_bound":
        return ("lundberg", -f["theta_star"](*args) * dv) if mv < 0 else ("one", 0.0)
    if name == "time_uniform_bound":
        return ("line", -f["theta_line"](*args) * dv) if cv > mv else ("one", 0.0)
    if dv <= mv * tv:
        return "one", 0.0
    theta_c = f["theta_c"](*args)
    log_chernoff = bounds.chernoff_log_bound(theta_c, f["log_chernoff"](*args))
    if name == "chernoff_bound":
        return "chernoff", log_chernoff
    theta_star = max(0.0, f["theta_star"](*args))
    log_max = bounds.maximal_log_bound(theta_c, log_chernoff, theta_star, dv)
    return ("chernoff" if theta_c >= theta_star else "lundberg"), log_max


@register
class BrownianDrift(Model):
    r"""Brownian motion with drift, :math:`dX = \mu\,dt + \sigma\,dW`, absorbed at lo and hi.

    With :math:`n = x_0 - \mathrm{lo}`, :math:`N = \mathrm{hi} - \mathrm{lo}` and
    :math:`\mu \neq 0`:

    .. math:: P(\text{hit hi first}) = \frac{1 - e^{-2\mu n/\sigma^2}}
              {1 - e^{-2\mu N/\sigma^2}}, \qquad
              E[T] = \frac{N\,P(\text{hit hi first}) - n}{\mu};

    for :math:`\mu = 0`: :math:`n/N` and :math:`n(N-n)/\sigma^2`. With
    ``lo = -inf`` the passage time to ``hi`` is inverse Gaussian (defective when
    :math:`\mu < 0`). ``dt`` is the simulation's time step only.

    Sources: Karlin & Taylor (1981), ch. 15; Borodin & Salminen (2002).

    Examples
    --------
    >>> from driftkit.theory.brownian_drift import BrownianDrift
    >>> m = BrownianDrift(mu=0.0, lo=0, hi=3, x0=1)
    >>> m.value("escape_probability"), m.value("mean_exit_time")
    (0.3333333333333333, 2.0)
    """

    name = "brownian-drift"
    title = "Brownian motion with drift"
    summary = "dX = mu dt + sigma dW from x0, absorbed at lo (may be -inf) and hi."
    curve_parameter = "x0"
    plot_quantities = ("escape_probability", "mean_exit_time", "escape_by_time")
    parameters = (
        Parameter(
            "mu",
            0.1,
            "drift per unit time",
            low_open=True,
            high_open=True,
            latex=r"\mu",
        ),
        Parameter(
            "sigma",
            1.0,
            "diffusion coefficient (> 0)",
            0.0,
            low_open=True,
            high_open=True,
            latex=r"\sigma",
        ),
        Parameter(
            "lo",
            0.0,
            "lower absorbing barrier (caught); may be -inf",
            high_open=True,
            infinite=True,
            latex=r"\mathrm{lo}",
        ),
        Parameter(
            "hi",
            3.0,
            "upper absorbing barrier (escape)",
            low_open=True,
            high_open=True,
            latex=r"\mathrm{hi}",
        ),
        Parameter(
            "x0", 1.0, "starting point, lo < x0 < hi", low_open=True, high_open=True, latex="x_0"
        ),
        Parameter(
            "t",
            10.0,
            "time horizon of escape_by_time (> 0)",
            0.0,
            low_open=True,
            high_open=True,
            latex="t",
        ),
        Parameter(
            "slope",
            0.5,
            "slope c of the line hi + c s in time_uniform_bound",
            latex="c",
        ),
        time_step_parameter(),
    )
    quantities = (
        Quantity("drift_rate", "expected displacement per unit time, E[dX]/dt", r"v"),
        Quantity("escape_probability", "P(reach hi before lo) from x0", r"P_{\mathrm{esc}}"),
        Quantity(
            "mean_exit_time",
            "expected time until lo or hi is hit (inf when lo = -inf and mu <= 0)",
            r"E[T]",
        ),
        Quantity(
            "escape_by_time",
            "P(reach hi before lo and by time t) from x0",
            r"P_{\mathrm{esc}}(t)",
        ),
        Quantity(
            "lundberg_bound",
            "Lundberg's bound on P(ever reach hi) without lower barrier >= escape_probability "
            "(equal when lo = -inf)",
            r"P_{\mathrm{esc}} \le B_{\mathrm{L}}",
            kind="bound",
        ),
        Quantity(
            "chernoff_bound",
            "Chernoff bound on P(X_t >= hi) for the free motion (no barriers) at time t",
            r"P(X_t \ge \mathrm{hi}) \le B_{\mathrm{C}}",
            kind="bound",
        ),
        Quantity(
            "maximal_bound",
            "Doob/Ville bound on P(max_{s<=t} X_s >= hi) for the free motion (>= escape_by_time)",
            r"P(\max_{s \le t} X_s \ge \mathrm{hi}) \le B_{\mathrm{M}}",
            kind="bound",
        ),
        Quantity(
            "time_uniform_bound",
            "Ville (Howard et al.) bound on P(X_s >= hi + slope s for some s >= 0), free motion",
            r"P(\exists s \ge 0: X_s \ge \mathrm{hi} + c s) \le B_{\mathrm{U}}",
            kind="bound",
        ),
    )
    references = (
        Reference(
            "karlin1981",
            "S. Karlin and H. M. Taylor, A Second Course in Stochastic Processes, "
            "Academic Press (1981), ch. 15, sections 3-4 (exit probabilities and "
            "mean exit times of diffusions).",
            "@book{karlin1981,\n  author = {Karlin, Samuel and Taylor, Howard M.},\n"
            "  title = {A Second Course in Stochastic Processes},\n"
            "  publisher = {Academic Press}, year = {1981},\n"
            "  note = {Chapter 15, sections 3--4}\n}",
        ),
        Reference(
            "borodin2002",
            "A. N. Borodin and P. Salminen, Handbook of Brownian Motion - Facts and "
            "Formulae, 2nd ed., Birkhauser (2002), Part II, ch. 2 (Brownian motion "
            "with drift: first passage and exit times).",
            "@book{borodin2002,\n  author = {Borodin, Andrei N. and Salminen, Paavo},\n"
            "  title = {Handbook of {B}rownian Motion -- Facts and Formulae},\n"
            '  edition = {2nd}, publisher = {Birkh{\\"a}user}, year = {2002},\n'
            "  note = {Part II, Chapter 2: Brownian motion with drift}\n}",
        ),
        *bounds.REFERENCES,
    )

    def _check(self, params: dict[str, Any]) -> None:
        lov, hiv, xv = params["lo"], params["hi"], params["x0"]
        if hiv <= lov:
            raise ParameterError(
                "hi", f"parameter 'hi' must be a number > lo = {lov!r}, got {hiv!r}"
            )
        if not lov < xv < hiv:
            raise ParameterError(
                "x0",
                f"parameter 'x0' must be a number in ({lov!r}, {hiv!r}) "
                f"(strictly between lo and hi), got {xv!r}",
            )

    @property
    def one_sided(self) -> bool:
        """True when there is no lower barrier (``lo = -inf``)."""
        return math.isinf(self["lo"])

    def curve_range(self, param: str) -> tuple[float, float]:
        """``x0`` in ``(lo, hi)``; with ``lo = -inf``, in ``(hi - 4 (hi - x0), hi)``."""
        if param == "x0" and self.one_sided:
            return self["hi"] - 4.0 * (self["hi"] - self["x0"]), self["hi"]
        return super().curve_range(param)

    # -- formulas ---------------------------------------------------------
    def _bound(self, name: str) -> tuple[str, float]:
        args = (self["mu"], self["sigma"], self["hi"] - self["x0"], self["t"], self["slope"])
        return _bound_branch(name, *args)

    def _expression(self, name: str, case: bool) -> sp.Expr:
        if name in _BOUNDS:
            db = _derive_bounds()
            expr = db.branches[name][self._bound(name)[0]] if case else db.general[name]
            return _in_model_symbols(expr)
        der = _derive()
        if name == "drift_rate":
            return der.drift
        if name == "escape_by_time":
            one = der.passage_cdf.subs(d, hi - x0)
            two = _in_model_symbols(der.image_sum)
            if case:
                return one if self.one_sided else two
            return sp.Piecewise((one, sp.Eq(lo, -sp.oo)), (two, True))
        solved = _solved(name)
        neq = _in_model_symbols(solved.result)
        eq = _in_model_symbols(solved.result_eq)
        pos = _in_model_symbols(solved.one_sided)
        neg = _in_model_symbols(solved.one_sided_neg)
        zero = pos.subs(mu, 0) if name == "escape_probability" else sp.oo
        if case:
            if self.one_sided:
                return pos if self["mu"] > 0 else (neg if self["mu"] < 0 else zero)
            return eq if self["mu"] == 0 else neq
        return sp.Piecewise(
            (pos, sp.Eq(lo, -sp.oo) & (mu > 0)),
            (zero, sp.Eq(lo, -sp.oo) & sp.Eq(mu, 0)),
            (neg, sp.Eq(lo, -sp.oo)),
            (eq, sp.Eq(mu, 0)),
            (neq, True),
        )

    def latex(self, name: str) -> str:
        """LaTeX of the formula for this model's case, with ``n``, ``N`` (or ``d``) named."""
        symbol = self.quantity(name).symbol
        if name == "drift_rate" or name in _BOUNDS:
            return super().latex(name)
        if self.one_sided:
            where = r"\qquad d = \mathrm{hi} - x_0"
            der = _derive()
            if name == "escape_by_time":
                return f"{symbol} = {sp.latex(der.passage_cdf)}{where}"
            solved = _solved(name)
            if self["mu"] > 0:
                expr = solved.one_sided
            elif self["mu"] < 0:
                expr = solved.one_sided_neg
            else:
                expr = solved.one_sided.subs(mu, 0) if name == "escape_probability" else sp.oo
            return f"{symbol} = {sp.latex(expr)}{where}"
        where = r"\qquad n = x_0 - \mathrm{lo},\ N = \mathrm{hi} - \mathrm{lo}"
        if name == "escape_by_time":
            return f"{symbol} = {sp.latex(_derive().image_sum)}{where}"
        solved = _solved(name)
        expr = solved.result_eq if self["mu"] == 0 else solved.result
        return f"{symbol} = {sp.latex(expr)}{where}"

    def _value(self, name: str) -> float:
        if name in _BOUNDS:
            return math.exp(self._bound(name)[1])
        muv, sv, lov, hiv, xv, tv = (self[k] for k in ("mu", "sigma", "lo", "hi", "x0", "t"))
        if name == "drift_rate":
            return float(self._expression(name, case=True).subs(mu, muv))
        if self.one_sided:
            dv = hiv - xv
            if name == "escape_probability":
                # the lo -> -oo limits: 1 for mu >= 0, exp(2 mu d / sigma^2) for mu < 0
                if muv >= 0:
                    return 1.0
                # in mpmath: sigma**2 may underflow a float (the value then underflows to 0)
                return float(mpmath.exp(2 * mpmath.mpf(muv) * dv / mpmath.mpf(sv) ** 2))
            if name == "mean_exit_time":
                return dv / muv if muv > 0 else math.inf
            return _accurate(
                lambda: _mp_passage(mpmath.mpf(tv), mpmath.mpf(dv), mpmath.mpf(muv), mpmath.mpf(sv))
            )
        yv, L = xv - lov, hiv - lov
        # |mu| min(n, N - n) / sigma^2, in mpmath (sigma**2 may underflow a float)
        scale = float(abs(mpmath.mpf(muv)) * min(yv, L - yv) / mpmath.mpf(sv) ** 2)
        if scale == 0.0 and muv != 0:  # below the float range: digits lost ~ its log
            scale = 10.0 ** (
                max(-1e4, float(mpmath.log10(abs(muv) * min(yv, L - yv) / mpmath.mpf(sv) ** 2)))
            )

        def mp_args():
            return mpmath.mpf(muv), mpmath.mpf(sv), mpmath.mpf(yv), mpmath.mpf(L)

        if name == "escape_probability":
            if muv == 0:
                return yv / L
            return _accurate(lambda: _mp_function(name)(*mp_args()), scale)
        if name == "mean_exit_time":
            if muv == 0:  # overflows to inf, honestly, when sigma**2 underflows
                return yv * (L - yv) / sv / sv
            return _accurate(lambda: _mp_function(name)(*mp_args()), scale)
        return self.escape_by_time_value(method="auto")

    def escape_by_time_value(self, method: str = "auto") -> float:
        """``escape_by_time`` by a chosen series (two barriers only).

        ``"images"`` (the method of images, fast for small ``t``), ``"eigen"``
        (the eigenfunction expansion, fast for large ``t``) or ``"auto"``: images
        while :math:`\\sigma^2 t / N^2 \\le 1`, otherwise eigen. The two are
        different expansions of the same function; tests compare them.
        """
        if self.one_sided:
            return self.value("escape_by_time")
        muv, sv, lov, hiv, xv, tv = (self[k] for k in ("mu", "sigma", "lo", "hi", "x0", "t"))
        yv, L = xv - lov, hiv - lov
        if method == "auto":
            method = "images" if sv**2 * tv / L**2 <= 1.0 else "eigen"
        # The series themselves lose no digits near mu = 0 (only P_esc's closed form
        # does, and the eigen route takes P_esc already evaluated to full precision).
        args = (tv, yv, L, muv, sv)
        if method == "images":
            return _accurate(lambda: _mp_images(*(mpmath.mpf(v) for v in args)))
        if method == "eigen":
            pesc = self.value("escape_probability")
            return _accurate(lambda: _mp_eigen(*(mpmath.mpf(v) for v in args), mpmath.mpf(pesc)))
        raise ValueError(f"method must be 'auto', 'images' or 'eigen', got {method!r}")

    # -- derivation -------------------------------------------------------
    def derivation(self) -> str:
        der = _derive()
        L = sp.latex

        def bvp(title: str, solved: _Solved, what: str, after: str) -> list[str]:
            b_lo, b_hi = solved.boundary
            return [
                f"### {title}",
                "",
                f"Let {what}. By Itô's formula (Dynkin), it solves the backward equation",
                "",
                f"$$ {L(solved.ode)}, \\qquad {L(b_lo)}, \\quad {L(b_hi)}. $$",
                "",
                "**Case $\\mu \\neq 0$.** `sympy.dsolve` gives the general solution "
                f"$${L(solved.general)},$$ and with the boundary conditions (the equation "
                "is invariant under translation; write $n = x - \\mathrm{lo}$, "
                "$N = \\mathrm{hi} - \\mathrm{lo}$)",
                "",
                f"$$ {L(solved.result)}. $$",
                "",
                f"**Case $\\mu = 0$.** The general solution is ${L(solved.general_eq)}$ and",
                "",
                f"$$ {L(solved.result_eq)}. $$",
                "",
                "**No lower barrier** ($\\mathrm{lo} \\to -\\infty$ at fixed "
                "$d = \\mathrm{hi} - x$, `sympy.limit`): for $\\mu > 0$ "
                f"${L(solved.one_sided)}$, for $\\mu < 0$ ${L(solved.one_sided_neg)}$. " + after,
                "",
            ]

        lines = [
            f"## {self.title}: derivation",
            "",
            "**Model.** $dX_t = \\mu\\,dt + \\sigma\\,dW_t$, $\\sigma > 0$, $X_0 = x_0 \\in "
            "(\\mathrm{lo}, \\mathrm{hi})$, absorbed at $\\mathrm{lo}$ (caught; "
            "$\\mathrm{lo} = -\\infty$ allowed) and $\\mathrm{hi}$ (escape). $T$ is the "
            "exit time.",
            "",
            "**Assumptions.** $W$ a standard Wiener process; constant coefficients; "
            "barriers absorbing. The simulation step $\\Delta t$ enters no formula.",
            "",
            "### Drift rate",
            "",
            "Over a time $\\Delta t$ the increment is exactly Gaussian, "
            f"$\\Delta X = {L(der.increment)}$ with $Z \\sim N(0, 1)$, and (`sympy.stats`)",
            "",
            f"$$ v = E[\\Delta X]/\\Delta t = {L(der.drift)}. $$",
            "",
            *bvp(
                "Escape probability",
                der.escape,
                "$u(x) = P_x(\\text{hit hi before lo})$",
                "For $\\mu = 0$ the limit is $1$: the walk is recurrent.",
            ),
            *bvp(
                "Mean exit time",
                der.exit_time,
                "$T(x) = E_x[T]$",
                "For $\\mu \\le 0$ the mean is infinite (for $\\mu < 0$ the passage "
                "is not even certain); driftkit returns $\\infty$.",
            ),
            "### Escape by time $t$",
            "",
            "$v_\\lambda(x) = E_x[e^{-\\lambda T}; \\text{hi first}]$ solves the "
            "backward equation with killing,",
            "",
            f"$$ {L(der.laplace_ode)}, \\qquad v(\\mathrm{{lo}}) = 0,\\ v(\\mathrm{{hi}}) = 1, $$",
            "",
            f"and `sympy.dsolve` gives $v_\\lambda = {L(der.laplace_two)}$.",
            "",
            "**No lower barrier.** The solution bounded as $x \\to -\\infty$ is",
            "",
            f"$$ E[e^{{-\\lambda T}}] = {L(der.laplace_one)}, $$",
            "",
            "the Laplace transform (checked by sympy) of the inverse Gaussian law with "
            f"mean ${L(der.ig_mean)}$ and shape ${L(der.ig_shape)}$ (`sympy.stats."
            "GaussianInverse`), whose CDF is",
            "",
            f"$$ P(T \\le t) = {L(der.passage_cdf)}. $$",
            "",
            "By Girsanov the law for drift $-\\mu$ is the law for $\\mu$ times "
            "$e^{-2\\mu d/\\sigma^2}$, which maps this formula to itself: it holds for "
            "every real $\\mu$ (defective for $\\mu < 0$, with total mass "
            "$e^{2\\mu d/\\sigma^2}$; $\\mu = 0$ by continuity).",
            "",
            "**Two barriers.** Reflecting the driftless exit density at $\\mathrm{hi}$ "
            "in both barriers (method of images) and weighting by Girsanov's factor "
            "$e^{\\mu (N - n)/\\sigma^2 - \\mu^2 t/(2\\sigma^2)}$ gives",
            "",
            f"$$ P_{{\\mathrm{{esc}}}}(t) = {L(der.image_sum)}, $$",
            "",
            "which converges fast for small $\\sigma^2 t/N^2$. For larger $t$ the "
            "eigenfunction expansion of the same function is used,",
            "",
            "$$ P_{\\mathrm{esc}}(t) = P_{\\mathrm{esc}} - \\frac{\\pi\\sigma^2}{N^2} "
            "e^{\\mu (N - n)/\\sigma^2} \\sum_{k \\ge 1} (-1)^{k+1} k "
            "\\sin\\frac{k\\pi n}{N}\\, \\frac{e^{-\\lambda_k t}}{\\lambda_k}, \\qquad "
            "\\lambda_k = \\frac{k^2\\pi^2\\sigma^2}{2N^2} + \\frac{\\mu^2}{2\\sigma^2}. $$",
            "",
            *bounds.derivation_lines(
                _derive_bounds().exponential,
                step_text="the increment $X = X_{s+1} - X_s \\sim N(\\mu, \\sigma^2)$ "
                "(independent increments: $X_t - x_0$ has cumulant generating function "
                "$t K(\\theta)$ for every real $t > 0$, so $t$ is time here; the free "
                "motion, barriers removed, which bounds the absorbed events too)",
                adjustment_text="Here $e^{-\\theta^* d} = e^{2\\mu d/\\sigma^2}$ for "
                "$\\mu < 0$: Brownian paths are continuous and meet $\\mathrm{hi}$ without "
                "overshoot, so with $\\mathrm{lo} = -\\infty$ the bound is the exact "
                "passage probability; the lower barrier only lowers it. For $\\mu \\ge 0$ "
                "the bound is $1$.",
                chernoff_text="For Gaussian increments the bound is the Gaussian tail "
                "$\\bar\\Phi(z)$, $z = (d - \\mu t)/(\\sigma\\sqrt t)$, with the polynomial "
                "prefactor dropped: $e^{-z^2/2}$. Azuma-Hoeffding needs bounded steps and is "
                "not offered for this model.",
                line_text="For Gaussian increments the line equation has the closed form root "
                "above (`sympy.solve`), and the bound is again exact: it is the passage "
                "probability of the motion with drift $\\mu - c$.",
                continuous=True,
            ),
            "### Evaluation",
            "",
            "All values are computed in mpmath (no overflow of "
            "$e^{2\\mu N/\\sigma^2}$) at a precision doubled from 30 digits until two "
            "precisions agree to $2^{-60}$, which absorbs the cancellation of the "
            "formulas near $\\mu = 0$ and of the alternating series; series are summed "
            "until a term is below the working precision.",
            "",
            "**Sources.** S. Karlin and H. M. Taylor, *A Second Course in Stochastic "
            "Processes* (1981), ch. 15; A. N. Borodin and P. Salminen, *Handbook of "
            "Brownian Motion* (2002), Part II, ch. 2.",
            "",
        ]
        return "\n".join(lines)
