r"""The diffusion family: :math:`dX = b(x)\,dt + g(x)\,dW` on ``(lo, hi)``.

Keys (under ``[model]``): ``drift`` :math:`b(x)`, ``noise`` :math:`g(x) > 0`, optional
``kill`` :math:`k(x) \ge 0` (a monitor that catches the process at rate :math:`k(x)`),
optional ``reset_rate`` :math:`r \ge 0` and ``reset_to`` :math:`z` (Poisson resetting,
e.g. retraining, to :math:`z`), ``lo`` (a number or ``-inf``), ``hi``, ``x0`` and ``dt``
(the simulation step; ``x0`` and ``dt`` become parameters). Quantities:
``escape_probability`` (hi first), ``ruin_probability`` (lo first; with ``lo = -inf``:
drifting to :math:`-\infty` for ever), ``detection_probability`` (killed first) and
``mean_exit_time`` (to any of these).

How each value is derived (stated in its ``kind`` and in :meth:`Diffusion.derivation`):

* **constant coefficients** (``drift``, ``noise``, ``kill`` free of ``x``): the backward
  equation :math:`\tfrac{g^2}{2} f'' + b f' - \kappa f = -c` is solved by
  :func:`sympy.dsolve` and its constants fitted to the boundary values (``kind``
  ``exact``); with ``lo = -inf`` the solution bounded below is kept.
* **no killing, no resetting**: the scale density
  :math:`s(x) = \exp(-\int 2b/g^2)` and the speed density :math:`m = 2/(g^2 s)`;
  :math:`\int 2b/g^2` and :math:`S = \int s` by :func:`sympy.integrate` where it finds
  a closed form, else by mpmath quadrature; the exit time is the Green's-function
  integral :math:`\int G(x_0, y)\, m(y)\,dy`, by mpmath quadrature (``kind``
  ``quadrature``).
* **killing or resetting with state-dependent coefficients**: the boundary-value
  problem is solved by shooting with mpmath's Taylor-series ODE solver
  (:func:`mpmath.odefun`) at 30 digits (``kind`` ``numerical``).
* **resetting** at rate :math:`r` to :math:`z` by the renewal formula: for the process
  killed additionally at rate :math:`r` (the Laplace transform of the free problem at
  :math:`r`), with :math:`Q = P^r_{esc} + P^r_{ruin} + P^r_{det}` the probability of
  ending before the first reset, :math:`P_A(x_0) = P^r_A(x_0) + (1 - Q(x_0))
  P^r_A(z)/Q(z)` and :math:`T(x_0) = T^r(x_0) + (1 - Q(x_0)) T^r(z)/Q(z)`.
"""

from __future__ import annotations

import functools
import math
from typing import Any

import mpmath
import numpy as np
import sympy as sp
from driftkit.theory._base import Parameter, ParameterError, Quantity, time_step_parameter
from driftkit.theory.families import FamilyMeta
from driftkit.theory.families._spec import Spec, SpecModel

__all__ = ["Diffusion", "build"]

KEYS = ("drift", "noise", "kill", "reset_rate", "reset_to", "lo", "hi", "x0", "dt")
REQUIRED = ("drift", "noise", "lo", "hi", "x0")
#: working precision (decimal digits) of every evaluation
_DPS = 30
#: points of the grid on which noise > 0 and kill >= 0 are checked
GRID = 2001
X = sp.Symbol("x", real=True)
_Y = sp.Symbol("y", real=True)
_MU, _C, _A, _B = sp.symbols("mu c a b", real=True)
_SIG, _KAP, _L = sp.symbols("sigma kappa L", positive=True)

QUANTITIES = {
    "escape_probability": ("P(reach hi first: before lo and before being killed) from x0",
                           r"P_{\mathrm{esc}}"),
    "ruin_probability": ("P(reach lo first) from x0; with lo = -inf: P(drift to -inf for "
                         "ever, never absorbed)", r"P_{\mathrm{ruin}}"),
    "detection_probability": ("P(killed by the monitor, rate kill(x), before reaching lo "
                              "or hi)", r"P_{\mathrm{det}}"),
    "mean_exit_time": ("expected time until lo, hi or killing (resets included)", r"E[T]"),
}  # fmt: skip
#: the boundary problem of each quantity: (c, f(lo), f(hi)); "kill" is c = k(x)
_PROBLEMS = {
    "escape_probability": (0, 0, 1),
    "ruin_probability": (0, 1, 0),
    "detection_probability": ("kill", 0, 0),
    "mean_exit_time": (1, 0, 0),
}


@functools.cache
def _const_general(killed: bool, zero_drift: bool = False) -> sp.Expr:
    """dsolve's general solution of ``(sigma^2/2) f'' + mu f' - kappa f = -c`` in ``y``."""
    f = sp.Function("f")
    mu = sp.Integer(0) if zero_drift else _MU
    kap = _KAP if killed else sp.Integer(0)
    ode = sp.Eq(_SIG**2 / 2 * f(_Y).diff(_Y, 2) + mu * f(_Y).diff(_Y) - kap * f(_Y), -_C)
    return sp.dsolve(ode, f(_Y)).rhs


@functools.cache
def _const_fitted(killed: bool, zero_drift: bool = False) -> sp.Expr:
    """The solution on ``(0, L)`` (``y = x - lo``) with ``f(0) = a``, ``f(L) = b``."""
    general = _const_general(killed, zero_drift)
    consts = sorted(general.free_symbols - {_Y, _MU, _SIG, _KAP, _C}, key=str)
    (sol,) = sp.solve([general.subs(_Y, 0) - _A, general.subs(_Y, _L) - _B], consts, dict=True)
    return sp.simplify(general.subs(sol))


@functools.cache
def _const_bounded() -> sp.Expr:
    """The killed solution bounded as ``y = x - hi -> -oo`` with ``f(hi) = b`` (in ``y``)."""
    general = sp.expand(_const_general(True))
    kept, consts = [], sorted(general.free_symbols - {_Y, _MU, _SIG, _KAP, _C}, key=str)
    for term in sp.Add.make_args(general):
        if not term.has(*consts):
            kept.append(term)
            continue
        rate = sp.diff(sp.log(term.subs({c: 1 for c in consts})), _Y)
        if float(rate.subs({_MU: sp.Rational(1, 3), _SIG: 1, _KAP: 1, _Y: 1})) > 0:
            kept.append(term)  # decays as y -> -oo
    bounded = sp.Add(*kept)
    (const,) = bounded.free_symbols & set(consts)
    value = sp.solve(bounded.subs(_Y, 0) - _B, const)[0]
    return sp.simplify(bounded.subs(const, value))


@functools.cache
def _mp(expr: sp.Expr, args: tuple) -> Any:
    f = sp.lambdify(args, expr, modules="mpmath")

    def real(*a):
        v = f(*a)
        if isinstance(v, mpmath.mpc):  # e.g. erfi of an imaginary argument: real in fact
            if abs(v.imag) > mpmath.mpf(10) ** (8 - _DPS) * max(abs(v.real), 1):
                raise ArithmeticError(f"complex value {v} of {expr}")
            v = v.real
        return v

    return real


class Diffusion(SpecModel, metaclass=FamilyMeta):
    """A diffusion between ``lo`` and ``hi`` with killing and resetting (a family).

    ``Diffusion(name=..., parameters=..., drift=..., noise=..., kill=..., lo=..., hi=...,
    x0=...)`` builds the model of that spec and returns an instance at its defaults.
    """

    family = "diffusion"
    _family_base = True
    curve_parameter = "x0"
    plot_quantities = ("escape_probability", "mean_exit_time")
    #: set by :func:`build`
    lo: float
    hi: float
    drift_expr: sp.Expr
    noise_expr: sp.Expr
    kill_expr: sp.Expr
    rate_expr: sp.Expr
    reset_expr: sp.Expr | None
    symbols: dict[str, sp.Symbol]
    case: str  # "constant", "quadrature" or "numerical"
    phi_expr: sp.Expr | None  # int 2 b / g^2 (quadrature case), closed form
    scale_int: sp.Expr | None  # int s (closed form) or None
    speed_int: sp.Expr | None  # int m (closed form) or None

    # -- parameters -------------------------------------------------------------------
    def curve_range(self, param: str) -> tuple[float, float]:
        if param == "x0":
            lo = self.lo if math.isfinite(self.lo) else self.hi - 10.0
            return lo, self.hi
        return super().curve_range(param)

    @classmethod
    def _spec_params(cls, params: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in params.items() if k in cls.symbols}

    @classmethod
    @functools.cache
    def _numpy(cls) -> tuple:
        args = (X, *cls.symbols.values())
        return tuple(
            sp.lambdify(args, e, modules="numpy")
            for e in (cls.drift_expr, cls.noise_expr, cls.kill_expr)
        )

    @classmethod
    def grid(cls) -> np.ndarray:
        """The points of (lo, hi) where the coefficients are checked (and tabulated)."""
        lo = cls.lo if math.isfinite(cls.lo) else cls.hi - 50.0
        return np.linspace(lo, cls.hi, GRID)[1:-1]

    def coefficient_tables(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """``(x, drift, noise, kill)`` on :meth:`grid` at these parameters."""
        return self._tables(self._params)

    @classmethod
    def _tables(cls, params: dict[str, Any]) -> tuple:
        xs = cls.grid()
        vals = [params[k] for k in cls.symbols]
        out = []
        for f in cls._numpy():
            with np.errstate(all="ignore"):
                v = np.asarray(f(xs, *vals), dtype=np.float64)
            out.append(np.broadcast_to(v, xs.shape).copy())
        return xs, out[0], out[1], out[2]

    @classmethod
    def _scalar(cls, expr: sp.Expr, params: dict[str, Any]) -> float:
        vals = {cls.symbols[k]: v for k, v in cls._spec_params(params).items()}
        return float(expr.subs(vals))

    @classmethod
    def reset(cls, params: dict[str, Any]) -> tuple[float, float]:
        """``(rate, reset_to)`` at ``params`` (rate 0 without resetting)."""
        rate = cls._scalar(cls.rate_expr, params)
        z = cls._scalar(cls.reset_expr, params) if cls.reset_expr is not None else params["x0"]
        return rate, z

    @classmethod
    def _problem(cls, params: dict[str, Any]) -> tuple[str, str] | None:
        """``(key, message)`` for the first grid point where a coefficient is invalid."""
        xs, b, g, k = cls._tables(params)
        for key, arr, bad in (
            ("drift", b, ~np.isfinite(b)),
            ("noise", g, ~np.isfinite(g) | (g <= 0)),
            ("kill", k, ~np.isfinite(k) | (k < 0)),
        ):
            if bad.any():
                i = int(np.argmax(bad))
                need = {"drift": "finite", "noise": "> 0", "kill": ">= 0"}[key]
                return (
                    key,
                    f"{key}(x) must be {need} on (lo, hi); at x = {xs[i]:.6g} it is {arr[i]:.6g}",
                )
        rate, z = cls.reset(params)
        if not (math.isfinite(rate) and rate >= 0):
            return "reset_rate", f"must be >= 0, got {rate:.6g}"
        if cls.reset_expr is not None and not cls.lo < z < cls.hi:
            return "reset_to", f"must be in (lo, hi) = ({cls.lo:g}, {cls.hi:g}), got {z:.6g}"
        return None

    def _check(self, params: dict[str, Any]) -> None:
        if not self.lo < params["x0"] < self.hi:
            raise ParameterError(
                "x0",
                f"parameter 'x0' must be in (lo, hi) = ({self.lo:g}, {self.hi:g}), "
                f"got {params['x0']!r}",
            )
        problem = self._problem(params)
        if problem is not None:
            values = ", ".join(f"{k}={v}" for k, v in self._spec_params(params).items())
            raise ParameterError(
                problem[0] if problem[0] in params else "x0",
                f"{self.name}: at {values or 'these parameters'}: {problem[1]}",
            )

    # -- values ---------------------------------------------------------------------------
    def _solution(self) -> dict[str, Any]:
        cached = getattr(self, "_solved", None)
        if cached is None:
            with mpmath.workdps(_DPS):
                cached = self._solve()
            self._solved = cached
        return cached

    def _mp_params(self) -> list:
        return [mpmath.mpf(repr(float(v))) for v in self._spec_params(self._params).values()]

    def _solve(self) -> dict[str, Any]:
        rate, z = self.reset(self._params)
        x0 = mpmath.mpf(repr(float(self["x0"])))
        rate = mpmath.mpf(repr(rate))
        z = mpmath.mpf(repr(float(z)))
        if self.case == "constant":
            free = self._const_free
        elif self.case == "quadrature":
            free = self._quadrature_free
        else:
            free = self._shooting_free
        if rate == 0:
            return free([x0], rate)[0]
        a, b = free([x0, z], rate)
        ends_b = b["escape_probability"] + b["ruin_probability"] + b["detection_probability"]
        ends_a = a["escape_probability"] + a["ruin_probability"] + a["detection_probability"]
        return {name: a[name] + (1 - ends_a) * b[name] / ends_b for name in _PROBLEMS}

    def _coefficients(self) -> tuple:
        args = self._mp_params()
        syms = (X, *self.symbols.values())
        return tuple(_mp(e, syms) for e in (self.drift_expr, self.noise_expr, self.kill_expr)), args

    # constant coefficients: dsolve ---------------------------------------------------
    def _const_free(self, points: list, rate) -> list[dict[str, Any]]:
        (fb, fg, fk), args = self._coefficients()
        mu, sig, k = fb(0, *args), fg(0, *args), fk(0, *args)
        kap = k + rate
        out = []
        for x in points:
            vals = {}
            for name, (c, fa, fh) in _PROBLEMS.items():
                c = k if c == "kill" else c
                vals[name] = self._const_value(mu, sig, kap, c, fa, fh, x)
            out.append(vals)
        return out

    def _const_value(self, mu, sig, kap, c, fa, fh, x):
        lo, hi = self.lo, self.hi
        if math.isfinite(lo):
            L, y = hi - lo, x - lo
            if kap > 0:
                e = _mp(_const_fitted(True), (_MU, _SIG, _KAP, _C, _A, _B, _L, _Y))
                return e(mu, sig, kap, c, fa, fh, L, y)
            e = _mp(_const_fitted(False, mu == 0), (_MU, _SIG, _KAP, _C, _A, _B, _L, _Y))
            return e(mu, sig, kap, c, fa, fh, L, y)
        if kap > 0:
            e = _mp(_const_bounded(), (_MU, _SIG, _KAP, _C, _B, _Y))
            return e(mu, sig, kap, c, fh, x - hi)
        # lo = -inf without killing: the limits lo -> -oo of the finite-lo solutions
        d = hi - x
        if c == 0 and fh == 1:  # escape
            return mpmath.mpf(1) if mu >= 0 else mpmath.exp(2 * mu * d / sig**2)
        if c == 0:  # ruin: drifting to -inf for ever
            return mpmath.mpf(0) if mu >= 0 else 1 - mpmath.exp(2 * mu * d / sig**2)
        if c == 1:
            return d / mu if mu > 0 else mpmath.inf
        return mpmath.mpf(0)  # detection without killing

    # no killing: scale and speed ------------------------------------------------------
    def _quadrature_free(self, points: list, rate) -> list[dict[str, Any]]:
        args = self._mp_params()
        syms = (X, *self.symbols.values())
        phi = _mp(self.phi_expr, syms)
        x_ref = mpmath.mpf(repr(float(self["x0"])))
        phi0 = phi(x_ref, *args)

        def s(y):
            return mpmath.exp(-(phi(y, *args) - phi0))

        (_, fg, _), _ = self._coefficients()

        def m(y):
            return 2 / (fg(y, *args) ** 2 * s(y))

        lo, hi = mpmath.mpf(self.lo), mpmath.mpf(repr(float(self.hi)))
        if self.scale_int is not None:
            F = _mp(self.scale_int, syms)
            F0 = F(lo, *args) if mpmath.isfinite(lo) else self._limit(self.scale_int)

            def S(y):  # int_lo^y s, s normalised at x0
                return (F(y, *args) - F0) * mpmath.exp(phi0)

        else:

            def S(y):
                return mpmath.quad(s, [lo, y])

        out = []
        for x in points:
            if mpmath.isinf(lo):
                if self.speed_int is None:
                    raise ParameterError("x0", "lo = -inf needs a closed-form speed integral")
                if mpmath.isinf(S(x)) or mpmath.isinf(F0):
                    esc = mpmath.mpf(1)
                else:
                    esc = S(x) / S(hi)
                Mf = _mp(self.speed_int, syms)
                M0 = self._limit(self.speed_int)
                if esc < 1 or mpmath.isinf(M0):
                    time = mpmath.inf
                else:

                    def M(y, Mf=Mf, M0=M0):
                        return (Mf(y, *args) - M0) * mpmath.exp(-phi0)

                    time = mpmath.quad(lambda z: s(z) * M(z), [x, hi])
                out.append(
                    {
                        "escape_probability": esc,
                        "ruin_probability": 1 - esc,
                        "detection_probability": mpmath.mpf(0),
                        "mean_exit_time": time,
                    }
                )
                continue
            Sx, Sh = S(x), S(hi)
            u = Sx / Sh
            left = mpmath.quad(lambda y: S(y) * m(y), [lo, x])
            right = mpmath.quad(lambda y, Sh=Sh: (Sh - S(y)) * m(y), [x, hi])
            out.append(
                {
                    "escape_probability": u,
                    "ruin_probability": (Sh - Sx) / Sh,
                    "detection_probability": mpmath.mpf(0),
                    "mean_exit_time": (1 - u) * left + u * right,
                }
            )
        return out

    def _limit(self, antiderivative: sp.Expr):
        """``antiderivative`` at ``x -> -oo`` at these parameters (sympy's limit)."""
        vals = {
            self.symbols[k]: sp.Rational(repr(float(v)))
            for k, v in self._spec_params(self._params).items()
        }
        lim = sp.limit(antiderivative.subs(vals), X, -sp.oo)
        if lim in (sp.oo, -sp.oo, sp.zoo) or not lim.is_finite:
            return mpmath.inf
        return mpmath.mpf(sp.N(lim, _DPS))

    # state-dependent with killing: shooting --------------------------------------------
    def _shooting_free(self, points: list, rate) -> list[dict[str, Any]]:
        (fb, fg, fk), args = self._coefficients()
        lo, hi = mpmath.mpf(repr(float(self.lo))), mpmath.mpf(repr(float(self.hi)))

        def F(x, v):
            b, g, k = fb(x, *args), fg(x, *args), fk(x, *args)
            kap, w = k + rate, 2 / (g * g)
            # u1 (f=1), u2 (f'=1), the exit time (c=1), detection (c=k): all from lo
            return [
                v[1], w * (kap * v[0] - b * v[1]),
                v[3], w * (kap * v[2] - b * v[3]),
                v[5], w * (kap * v[4] - b * v[5] - 1),
                v[7], w * (kap * v[6] - b * v[7] - k),
            ]  # fmt: skip

        sol = mpmath.odefun(F, lo, [1, 0, 0, 1, 0, 0, 0, 0])
        end = sol(hi)
        out = []
        for x in points:
            v = sol(x)
            u1, u2, tp, dp = v[0], v[2], v[4], v[6]

            def fit(part, part_hi, fa, fh, u1=u1, u2=u2):
                # f = part + fa u1 + B u2 with f(hi) = fh
                coef = (fh - part_hi - fa * end[0]) / end[2]
                return part + fa * u1 + coef * u2

            zero = mpmath.mpf(0)
            out.append(
                {
                    "escape_probability": fit(zero, zero, 0, 1),
                    "ruin_probability": fit(zero, zero, 1, 0),
                    "detection_probability": fit(dp, end[6], 0, 0),
                    "mean_exit_time": fit(tp, end[4], 0, 0),
                }
            )
        return out

    def _value(self, name: str) -> float:
        return float(self._solution()[name])

    # -- expressions ----------------------------------------------------------------------
    def _x0(self) -> sp.Symbol:
        return sp.Symbol("x_0", real=True)

    def _expression(self, name: str, case: bool) -> sp.Expr:
        rate, _ = self.reset(self._params)
        if self.case == "constant" and rate == 0 and math.isfinite(self.lo):
            c, fa, fh = _PROBLEMS[name]
            c = self.kill_expr if c == "kill" else c
            killed = self.kill_expr != 0
            zero = not killed and self.drift_expr == 0
            e = _const_fitted(killed, zero)
            return e.subs(
                {_MU: self.drift_expr, _SIG: self.noise_expr, _KAP: self.kill_expr, _C: c,
                 _A: fa, _B: fh, _L: self.hi - self.lo, _Y: self._x0() - self.lo}
            )  # fmt: skip
        if self.case == "quadrature" and rate == 0 and math.isfinite(self.lo):
            y = _Y
            s = sp.exp(-self.phi_expr.subs(X, y))
            S = sp.Integral(s, (y, self.lo, X))
            x0 = self._x0()
            if name == "escape_probability":
                return S.subs(X, x0) / S.subs(X, self.hi)
            if name == "ruin_probability":
                return 1 - S.subs(X, x0) / S.subs(X, self.hi)
            if name == "detection_probability":
                return sp.Integer(0)
        return sp.Float(self.value(name), 15)

    # -- derivation -----------------------------------------------------------------------
    def derivation(self) -> str:
        L = sp.latex
        lo = r"-\infty" if not math.isfinite(self.lo) else sp.latex(sp.nsimplify(self.lo))
        to = self.reset_expr if self.reset_expr is not None else self._x0()
        reset = (
            f"At the events of a Poisson clock of rate $r = {L(self.rate_expr)}$ the process "
            f"is reset to $z = {L(to)}$."
            if self.rate_expr != 0
            else "There is no resetting."
        )
        lines = [
            f"## {self.title}: derivation",
            "",
            f"**Model** (diffusion family, spec `{self.spec_source}`). "
            f"$dX_t = b(X_t)\\,dt + g(X_t)\\,dW_t$ with $b(x) = {L(self.drift_expr)}$, "
            f"$g(x) = {L(self.noise_expr)}$, on $(\\mathrm{{lo}}, \\mathrm{{hi}}) = ({lo}, "
            f"{L(sp.nsimplify(self.hi))})$, from $x_0$, killed (caught by the monitor) at rate "
            f"$k(x) = {L(self.kill_expr)}$. {reset} $g > 0$ and $k \\ge 0$ are checked on a "
            f"grid of {GRID} points.",
            "",
            "**Backward equation.** Each quantity $f$ solves, with total killing "
            "$\\kappa = k + r$,",
            "",
            "$$ \\tfrac{1}{2} g(x)^2 f''(x) + b(x) f'(x) - \\kappa(x) f(x) = -c(x), $$",
            "",
            "with $c = 0$, $f(\\mathrm{lo}) = 0$, $f(\\mathrm{hi}) = 1$ (escape); $c = 0$, "
            "$f(\\mathrm{lo}) = 1$, $f(\\mathrm{hi}) = 0$ (ruin); $c = k$ and $c = 1$ with "
            "$f = 0$ at both ends (detection, exit time).",
            "",
        ]
        if self.case == "constant":
            lines += [
                "### Constant coefficients: `sympy.dsolve`",
                "",
                f"`dsolve` gives $f(y) = {L(_const_general(True))}$ ($y = x - \\mathrm{{lo}}$, "
                "$\\kappa > 0$), and the boundary values fix",
                "",
                f"$$ f(y) = {L(_const_fitted(True))} $$",
                "",
                f"(for $\\kappa = 0$: $f(y) = {L(_const_fitted(False))}$, and "
                f"$f(y) = {L(_const_fitted(False, True))}$ when also $b = 0$). With "
                "$\\mathrm{lo} = -\\infty$ the solution bounded as $x \\to -\\infty$ is kept, "
                f"$f = {L(_const_bounded())}$ with $y = x - \\mathrm{{hi}}$. Evaluated in "
                f"mpmath at {_DPS} digits.",
                "",
            ]
        elif self.case == "quadrature":
            how = (
                "`sympy.integrate` (closed form)"
                if self.scale_int is not None
                else ("mpmath quadrature (sympy finds no closed form)")
            )
            lines += [
                "### No killing: scale and speed",
                "",
                f"$\\int 2b/g^2\\,dx = {L(self.phi_expr)}$ (`sympy.integrate`), so the scale "
                f"density is $s(x) = {L(sp.exp(-self.phi_expr))}$ and the speed density "
                "$m(x) = 2/(g(x)^2 s(x))$. With $S(x) = \\int_{\\mathrm{lo}}^x s$ (by "
                f"{how}), $P_{{\\mathrm{{esc}}}} = S(x_0)/S(\\mathrm{{hi}})$ and the exit time "
                "is the Green's-function integral",
                "",
                "$$ E[T] = \\int G(x_0, y)\\, m(y)\\,dy, \\quad G(x, y) = "
                "\\frac{S(x \\wedge y)\\,(S(\\mathrm{hi}) - S(x \\vee y))}{S(\\mathrm{hi})}, $$",
                "",
                f"by mpmath quadrature at {_DPS} digits (kind `quadrature`). With "
                "$\\mathrm{lo} = -\\infty$: $P_{\\mathrm{esc}} = 1$ where $S(-\\infty) = "
                "-\\infty$ (sympy's limit), and $E[T] = \\int_{x_0}^{\\mathrm{hi}} s(z) "
                "\\int_{-\\infty}^z m(y)\\,dy\\,dz$ (Siegert).",
                "",
            ]
        else:
            lines += [
                "### State-dependent coefficients with killing: the numerical BVP",
                "",
                "No closed form: the equation is integrated from $\\mathrm{lo}$ for the two "
                "homogeneous solutions ($f = 1, f' = 0$ and $f = 0, f' = 1$) and the "
                "particular solutions for $c = 1$ and $c = k$, by mpmath's Taylor-series "
                f"ODE solver (`mpmath.odefun`) at {_DPS} digits (local error below "
                f"$10^{{-{_DPS}}}$); the boundary values at $\\mathrm{{hi}}$ fix the "
                "combination (shooting). Kind `numerical`.",
                "",
            ]
        if self.rate_expr != 0:
            lines += [
                "### Resetting: the renewal formula",
                "",
                "Between resets the process is the free one killed additionally at rate $r$ "
                "(the Laplace transform of the free problem at $r$): $P^r_A$, $T^r$ solve the "
                "equations above with $\\kappa = k + r$. With $Q = P^r_{\\mathrm{esc}} + "
                "P^r_{\\mathrm{ruin}} + P^r_{\\mathrm{det}}$ (ending before the first reset),",
                "",
                "$$ P_A(x_0) = P^r_A(x_0) + (1 - Q(x_0))\\,\\frac{P^r_A(z)}{Q(z)}, \\qquad "
                "T(x_0) = T^r(x_0) + (1 - Q(x_0))\\,\\frac{T^r(z)}{Q(z)}. $$",
                "",
            ]
        return "\n".join(lines)


def _closed_integral(expr: sp.Expr) -> sp.Expr | None:
    """``sympy.integrate(expr, x)`` if it finds a closed form (no ``Integral`` left)."""
    try:
        out = sp.integrate(expr, X)
    except Exception:  # sympy gives up with an error on some integrands
        return None
    return None if out.has(sp.Integral) else out


def build(spec: Spec) -> type[Diffusion]:
    """The :class:`Diffusion` subclass of a diffusion spec (checked; see the module)."""
    spec.check_keys(KEYS, REQUIRED)
    symbols = {}
    for p in spec.parameters:  # sign assumptions from the ranges help sympy integrate
        if p.low > 0 or (p.low == 0 and p.low_open):
            symbols[p.name] = sp.Symbol(p.name, positive=True)
        elif p.low == 0:
            symbols[p.name] = sp.Symbol(p.name, nonnegative=True)
        else:
            symbols[p.name] = sp.Symbol(p.name, real=True)
    for name in ("x", "x0", "dt"):
        if name in symbols:
            raise spec.source.error(
                ("parameters", name),
                f"'{name}' is reserved by the diffusion family (the state, start, time step)",
            )
    exprs = {}
    for key in ("drift", "noise", "kill"):
        exprs[key] = spec.expression(key, spec.model.get(key, 0), {**symbols, "x": X})
    rate = spec.expression("reset_rate", spec.model.get("reset_rate", 0), symbols)
    reset_to = None
    if "reset_to" in spec.model:
        reset_to = spec.expression("reset_to", spec.model["reset_to"], symbols)
    elif rate != 0:
        raise spec.error("reset_rate", "needs 'reset_to', the point the process is reset to")
    lo = spec.number("lo", infinite_ok=True)
    hi = spec.number("hi")
    if isinstance(lo, float) and lo > 0:
        raise spec.error("lo", "must be a number or -inf, got inf")
    x0 = spec.number("x0")
    if not lo < hi:
        raise spec.error("hi", f"must be above lo: lo = {lo} >= hi = {hi}")
    if not lo < x0 < hi:
        raise spec.error("x0", f"must be strictly between lo = {lo} and hi = {hi}, got {x0}")
    dt = spec.number("dt") if "dt" in spec.model else 0.01
    if not dt > 0:
        raise spec.error("dt", f"must be > 0, got {dt}")
    const = all(X not in e.free_symbols for e in exprs.values())
    phi = scale = speed = None
    if const:
        case = "constant"
    elif exprs["kill"] == 0 and rate == 0:
        phi = _closed_integral(sp.simplify(2 * exprs["drift"] / exprs["noise"] ** 2))
        case = "quadrature" if phi is not None else "numerical"
        if phi is not None:
            s = sp.exp(-phi)
            scale = _closed_integral(s)
            if not math.isfinite(lo):
                speed = _closed_integral(2 / (exprs["noise"] ** 2 * s))
    else:
        case = "numerical"
    if not math.isfinite(lo) and not (case == "constant" or (scale and speed)):
        raise spec.error(
            "lo",
            "lo = -inf needs constant drift, noise and kill, or (without kill and "
            "resetting) scale and speed integrals that sympy finds in closed form; "
            "give a finite lo",
        )
    kind = {"constant": "exact", "quadrature": "quadrature", "numerical": "numerical"}[case]
    x0_param = Parameter(
        "x0", x0, "starting point, lo < x0 < hi", lo, hi, low_open=True, high_open=True,
        latex="x_0",
    )  # fmt: skip
    quantities = tuple(Quantity(q, desc, sym, kind=kind) for q, (desc, sym) in QUANTITIES.items())
    cls = type(
        "".join(part.title() for part in spec.name.split("-")) or "SpecDiffusion",
        (Diffusion,),
        {
            "name": spec.name,
            "title": spec.title,
            "summary": spec.summary,
            "parameters": (*spec.parameters, x0_param, time_step_parameter(dt)),
            "quantities": quantities,
            "lo": lo,
            "hi": hi,
            "drift_expr": exprs["drift"],
            "noise_expr": exprs["noise"],
            "kill_expr": exprs["kill"],
            "rate_expr": rate,
            "reset_expr": reset_to,
            "symbols": symbols,
            "case": case,
            "phi_expr": phi,
            "scale_int": scale,
            "speed_int": speed,
            "_family_base": False,
            "__module__": __name__,
        },
    )
    problem = cls._problem(cls.defaults())
    if problem is not None:
        raise spec.error(problem[0], problem[1] + " (parameters at their defaults)")
    return cls
