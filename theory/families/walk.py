r"""The walk family: a walk on the integers between absorbing ``lo`` and ``hi``.

In state :math:`x` one step is: caught (absorbed by the detector) with probability
:math:`d(x)` (``detect``, default 0), :math:`+1` with :math:`u(x)` (``up``), :math:`-1`
with :math:`w(x)` (``down``), otherwise stay. The walk starts at ``x0`` (a parameter,
so it can be set and swept) and is absorbed at ``lo`` (ruin), ``hi`` (escape) or by
detection. ``lo`` may be ``-inf`` when the step law does not depend on ``x``.

How each quantity is derived (stated in its ``kind`` and in :meth:`derivation`):

* constant coefficients: :func:`sympy.rsolve` solves the first-step recurrence and
  the boundary conditions fix its constants (with ``lo = -inf``: the bounded solution);
* a state-dependent birth-death walk without detection: the product/sum formulas of
  the scale function (a closed form with a ``Sum`` and a ``Product``);
* otherwise: the exact linear system of first-step analysis (tridiagonal), solved by
  elimination in rational arithmetic (up to 2,000 states, when the expressions are
  rational) or in mpmath at 50 digits (up to 10^6 states). ``kind`` is then
  ``"linear-system"``.

Values are always exact: the linear system in rationals (or 50 digits), or the closed
form in mpmath at 50 digits for a constant-coefficient walk on a long or infinite range.
"""

from __future__ import annotations

import functools
import math
from fractions import Fraction
from typing import Any

import mpmath
import numpy as np
import sympy as sp
from driftkit.theory._base import Parameter, ParameterError, Quantity
from driftkit.theory.families import FamilyMeta
from driftkit.theory.families._spec import Spec, SpecModel

__all__ = ["MAX_EXACT_STATES", "MAX_STATES", "Walk", "build"]

KEYS = ("up", "down", "detect", "lo", "hi", "x0")
REQUIRED = ("up", "down", "lo", "hi", "x0")
#: largest number of interior states solved in rational arithmetic
MAX_EXACT_STATES = 2000
#: largest number of interior states of a state-dependent walk (mpmath elimination)
MAX_STATES = 10**6
_DPS = 50
X = sp.Symbol("x", integer=True)
_U, _W, _D = sp.symbols("u w d", nonnegative=True)
_n, _N = sp.symbols("n N", integer=True, nonnegative=True)
#: the int64 position standing for lo = -inf in the kernel (never reached)
NEG_INF_POSITION = -(2**60)

QUANTITIES = {
    "drift_rate": ("expected change per step at x0, up(x0) - down(x0)", r"\mu(x_0)"),
    "escape_probability": ("P(reach hi before lo and before detection) from x0",
                           r"P_{\mathrm{esc}}"),
    "ruin_probability": ("P(reach lo before hi and before detection) from x0; with "
                         "lo = -inf: P(never absorbed, drifting to -inf)", r"P_{\mathrm{ruin}}"),
    "detection_probability": ("P(caught by the detector before reaching lo or hi)",
                              r"P_{\mathrm{det}}"),
    "mean_exit_time": ("expected number of steps until any absorption (lo, hi or detection)",
                       r"E[T]"),
}  # fmt: skip


@functools.cache
def _const_solutions(detect: bool) -> dict[str, Any]:
    """rsolve's solutions of the constant-coefficient boundary-value problems in
    ``n = x - lo``, ``N = hi - lo``: {quantity: (general, result)} for ``u != w`` (or with
    detection), and the ``u = w`` results (no detection) under key ``"equal"``."""
    f = sp.Function("f")
    d = _D if detect else sp.Integer(0)

    def solve(rec, f0, fN, w):
        general = sp.rsolve(rec.subs(_W, w), f(_n))
        consts = sorted(general.free_symbols - {_n, _U, _W, _D}, key=str)
        (sol,) = sp.solve([general.subs(_n, 0) - f0, general.subs(_n, _N) - fN], consts, dict=True)
        return general, sp.simplify(general.subs(sol))

    out: dict[str, Any] = {"equal": {}}
    for name, c, f0, fN in (
        ("escape_probability", 0, 0, 1),
        ("ruin_probability", 0, 1, 0),
        ("mean_exit_time", 1, 0, 0),
    ):
        rec = _U * f(_n + 2) - (_U + _W + d) * f(_n + 1) + _W * f(_n) + c
        out[name] = solve(rec, f0, fN, _W)
        if not detect:
            out["equal"][name] = solve(rec, f0, fN, _U)
    return out


def _lam_plus() -> sp.Expr:
    """The larger root of ``u l^2 - (u + w + d) l + w = 0`` (the characteristic equation)."""
    lam = sp.Symbol("lambda")
    roots = sp.solve(_U * lam**2 - (_U + _W + _D) * lam + _W, lam)
    return max(roots, key=lambda r: r.subs({_U: 1, _W: 1, _D: 1}))


class Walk(SpecModel, metaclass=FamilyMeta):
    """A walk between absorbing ``lo`` and ``hi`` with state-dependent steps (a family).

    ``Walk(name=..., parameters=..., up=..., down=..., detect=..., lo=..., hi=..., x0=...)``
    builds the model of that spec and returns an instance at its defaults.
    """

    family = "walk"
    _family_base = True
    curve_parameter = "x0"
    plot_quantities = ("escape_probability", "mean_exit_time")
    #: set by :func:`build`
    lo: Any
    hi: int
    up_expr: sp.Expr
    down_expr: sp.Expr
    detect_expr: sp.Expr
    symbols: dict[str, sp.Symbol]
    case: str  # "constant", "birth-death" or "general"

    # -- parameters and the step law ------------------------------------------------
    def curve_range(self, param: str) -> tuple[float, float]:
        if param == "x0" and math.isfinite(self.lo):
            return self.lo, self.hi
        if param == "x0":
            return self.hi - 20, self.hi
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
            for e in (cls.up_expr, cls.down_expr, cls.detect_expr)
        )

    def walk_tables(self) -> tuple[int, np.ndarray, np.ndarray, np.ndarray]:
        """``(first, up, down, detect)``: float arrays of the step law in the states
        ``first .. hi - 1`` (with ``lo = -inf`` the law is the same in every state and
        the arrays have one entry, which also holds below ``first``)."""
        return self._tables(self._params)

    @classmethod
    def _tables(cls, params: dict[str, Any]) -> tuple[int, np.ndarray, np.ndarray, np.ndarray]:
        first = cls.lo + 1 if math.isfinite(cls.lo) else cls.hi - 1
        states = np.arange(first, cls.hi, dtype=np.int64)
        vals = [params[k] for k in cls.symbols]
        out = []
        for f in cls._numpy():
            with np.errstate(all="ignore"):
                v = np.asarray(f(states, *vals), dtype=np.float64)
            out.append(np.ascontiguousarray(np.broadcast_to(v, states.shape), dtype=np.float64))
        return int(first), out[0], out[1], out[2]

    @classmethod
    def _law_problem(cls, params: dict[str, Any]) -> tuple[str, str] | None:
        """``(key, message)`` for the first state where the step law is invalid, or None."""
        first, up, down, det = cls._tables(params)
        total = up + down + det
        bad = (
            ~np.isfinite(total)
            | (up < 0)
            | (down < 0)
            | (det < 0)
            | (total > 1 + 1e-12)
            | (total <= 0)
        )
        if not bad.any():
            return None
        i = int(np.argmax(bad))
        x, u, w, d = first + i, up[i], down[i], det[i]
        law = f"up = {u:.6g}, down = {w:.6g}, detect = {d:.6g}"
        where = f"in state x = {x}" if math.isfinite(cls.lo) else "(in every state)"
        for key, v in (("up", u), ("down", w), ("detect", d)):
            if not np.isfinite(v) or v < 0:
                return key, f"{where} {key} = {v:.6g} is not a probability in [0, 1] ({law})"
        if total[i] > 1:
            return "up", f"{where} up + down + detect = {total[i]:.6g} > 1 ({law})"
        return "up", f"{where} the walk never moves ({law}): it would never be absorbed"

    def _check(self, params: dict[str, Any]) -> None:
        problem = self._law_problem(params)
        if problem is not None:
            values = ", ".join(f"{k}={v}" for k, v in self._spec_params(params).items())
            raise ParameterError(
                problem[0] if problem[0] in params else "x0",
                f"{self.name}: the step law is invalid at {values}: {problem[1]}",
            )

    # -- exact values ---------------------------------------------------------------------
    def _solution(self) -> dict[str, Any]:
        cached = getattr(self, "_solved", None)
        if cached is None:
            cached = self._solve()
            self._solved = cached
        return cached

    def _solve(self) -> dict[str, Any]:
        n_states = (self.hi - self.lo - 1) if math.isfinite(self.lo) else math.inf
        if self.case == "constant" and n_states > MAX_EXACT_STATES:
            return self._closed_form_values()
        vals = self._spec_params(self._params)
        subs = {self.symbols[k]: sp.Rational(repr(float(v))) for k, v in vals.items()}
        states = range(self.lo + 1, self.hi)
        laws = None
        if n_states <= MAX_EXACT_STATES:
            laws = _fraction_laws(
                [e.subs(subs) for e in (self.up_expr, self.down_expr, self.detect_expr)], states
            )
        if laws is None:
            with mpmath.workdps(_DPS):
                fs = [
                    sp.lambdify((X, *self.symbols.values()), e, modules="mpmath")
                    for e in (self.up_expr, self.down_expr, self.detect_expr)
                ]
                args = [mpmath.mpf(repr(float(v))) for v in vals.values()]
                laws = [[mpmath.mpf(f(x, *args)) for x in states] for f in fs]
                return self._system(*laws, one=mpmath.mpf(1))
        return self._system(*laws, one=Fraction(1))

    def _system(self, up, down, det, one) -> dict[str, Any]:
        i = self["x0"] - self.lo - 1
        zero = one - one
        esc = _tridiagonal(up, down, det, [zero] * len(up), zero, one)[i]
        ruin = _tridiagonal(up, down, det, [zero] * len(up), one, zero)[i]
        time = _tridiagonal(up, down, det, [one] * len(up), zero, zero)[i]
        return {
            "escape_probability": esc,
            "ruin_probability": ruin,
            "detection_probability": one - esc - ruin,
            "mean_exit_time": time,
        }

    def _closed_form_values(self) -> dict[str, Any]:
        vals = self._spec_params(self._params)
        with mpmath.workdps(_DPS):
            args = {self.symbols[k]: mpmath.mpf(repr(float(v))) for k, v in vals.items()}

            def num(e):
                return mpmath.mpf(sp.lambdify(list(args), e, modules="mpmath")(*args.values()))

            u, w, d = (num(e) for e in (self.up_expr, self.down_expr, self.detect_expr))
            hv, xv = self.hi, self["x0"]
            if not math.isfinite(self.lo):
                return _infinite_lo(u, w, d, hv - xv)
            n, N = xv - self.lo, hv - self.lo
            out: dict[str, Any] = {}
            for name in ("escape_probability", "ruin_probability", "mean_exit_time"):
                if d == 0 and u == w:
                    expr = _const_solutions(False)["equal"][name][1]
                else:
                    expr = _const_solutions(d != 0)[name][1]
                f = sp.lambdify((_U, _W, _D, _n, _N), expr, modules="mpmath")
                out[name] = f(u, w, d, n, N)
            out["detection_probability"] = 1 - out["escape_probability"] - out["ruin_probability"]
            return out

    def _value(self, name: str) -> float:
        if name == "drift_rate":
            return float(self._numeric(self.up_expr - self.down_expr, self["x0"]))
        return float(self._solution()[name])

    def _numeric(self, expr: sp.Expr, x: int) -> float:
        subs = {
            self.symbols[k]: sp.Rational(repr(float(v)))
            for k, v in self._spec_params(self._params).items()
        }
        return float(expr.subs(subs).subs(X, x).evalf(30))

    # -- expressions ----------------------------------------------------------------------
    def _x0(self) -> sp.Symbol:
        return sp.Symbol("x_0", integer=True)

    def _law(self) -> dict[sp.Symbol, sp.Expr]:
        return {_U: self.up_expr, _W: self.down_expr, _D: self.detect_expr}

    def _expression(self, name: str, case: bool) -> sp.Expr:
        x0 = self._x0()
        if name == "drift_rate":
            return (self.up_expr - self.down_expr).subs(X, x0)
        if self.case == "constant":
            return self._const_expression(name, case)
        if self.case == "birth-death":
            return self._bd_expression(name)
        v = self._solution()[name]
        return (
            sp.Rational(v.numerator, v.denominator) if isinstance(v, Fraction) else sp.Float(v, 30)
        )

    def _const_expression(self, name: str, case: bool) -> sp.Expr:
        x0 = self._x0()
        law = self._law()
        if not math.isfinite(self.lo):
            lam = _lam_plus().subs(law)
            k = self.hi - x0
            esc = lam**-k
            has_d = self.detect_expr != 0
            if name == "escape_probability":
                return esc
            if name == "detection_probability":
                return 1 - esc if has_d else sp.Integer(0)
            if name == "ruin_probability":
                return sp.Integer(0) if has_d else 1 - esc
            if has_d:
                return (1 - esc) / self.detect_expr
            return sp.Piecewise(
                (k / (self.up_expr - self.down_expr), self.up_expr > self.down_expr), (sp.oo, True)
            )
        at = {_n: x0 - self.lo, _N: self.hi - self.lo}
        if name == "detection_probability":
            esc = self._const_expression("escape_probability", case)
            ruin = self._const_expression("ruin_probability", case)
            return sp.simplify(1 - esc - ruin) if self.detect_expr != 0 else sp.Integer(0)
        if self.detect_expr != 0:
            return _const_solutions(True)[name][1].subs(at).subs(law)
        neq = _const_solutions(False)[name][1].subs(at).subs(law)
        eq = _const_solutions(False)["equal"][name][1].subs(at).subs(law)
        if case:
            equal = self._numeric(self.up_expr - self.down_expr, self["x0"]) == 0
            return eq if equal else neq
        return sp.Piecewise((eq, sp.Eq(self.up_expr, self.down_expr)), (neq, True))

    def _bd_expression(self, name: str) -> sp.Expr:
        x0 = self._x0()
        j, k, y = sp.symbols("j k y", integer=True)
        lo, hi = self.lo, self.hi
        ratio = (self.down_expr / self.up_expr).subs(X, j)

        def rho(m):
            return sp.Product(ratio, (j, lo + 1, m))

        def s(z):  # the scale function, s(lo) = 0
            return sp.Sum(rho(k), (k, lo, z - 1))

        if name == "detection_probability":
            return sp.Integer(0)
        if name == "escape_probability":
            return s(x0) / s(hi)
        if name == "ruin_probability":
            return (s(hi) - s(x0)) / s(hi)
        speed = 1 / (self.up_expr.subs(X, y) * rho(y))
        left = sp.Sum(s(y) * speed, (y, lo + 1, x0))
        right = sp.Sum((s(hi) - s(y)) * speed, (y, x0 + 1, hi - 1))
        return ((s(hi) - s(x0)) * left + s(x0) * right) / s(hi)

    def latex(self, name: str) -> str:
        if self.case == "general" and name != "drift_rate":
            v, expr = self.value(name), self.expression(name)
            shown = sp.latex(expr) if len(str(expr)) <= 40 else f"{v:.15g}"
            return (
                f"{self.quantity(name).symbol} = {shown}\\quad \\text{{(the exact "
                "solution of the linear system)}"
            )
        return super().latex(name)

    # -- derivation -----------------------------------------------------------------------
    def derivation(self) -> str:
        L = sp.latex
        lo = r"-\infty" if not math.isfinite(self.lo) else str(self.lo)
        lines = [
            f"## {self.title}: derivation",
            "",
            f"**Model** (walk family, spec `{self.spec_source}`). A walk on the integers, "
            f"absorbed at $\\mathrm{{lo}} = {lo}$ (ruin) and $\\mathrm{{hi}} = {self.hi}$ "
            "(escape), started at $x_0$. In state $x$ one step is: caught with probability "
            f"$d(x) = {L(self.detect_expr)}$, $+1$ with $u(x) = {L(self.up_expr)}$, $-1$ with "
            f"$w(x) = {L(self.down_expr)}$, otherwise stay. The step law is checked in every "
            "state: each probability in $[0, 1]$ and $u + w + d \\le 1$.",
            "",
            "**First-step analysis.** For a function $f$ of the state (the escape probability "
            "$h$, the ruin probability $v$, the mean exit time $D$),",
            "",
            "$$ (u(x) + w(x) + d(x))\\,f(x) - u(x)\\,f(x+1) - w(x)\\,f(x-1) = c, $$",
            "",
            "with $c = 0$, $h(\\mathrm{lo}) = 0$, $h(\\mathrm{hi}) = 1$ for escape; $c = 0$, "
            "$v(\\mathrm{lo}) = 1$, $v(\\mathrm{hi}) = 0$ for ruin; $c = 1$, $D = 0$ at both "
            "ends for the exit time (detection ends the walk: it contributes $0$ to $h$, $v$ "
            "and the remaining time). The detection probability is $1 - h - v$.",
            "",
        ]
        if self.case == "constant":
            lines += self._const_derivation()
        elif self.case == "birth-death":
            lines += [
                "### Birth-death walk without detection: product/sum formulas",
                "",
                "With $d = 0$ the equation for $h$ is "
                "$u(x)(h(x+1) - h(x)) = w(x)(h(x) - h(x-1))$, so the increments are "
                "$h(k+1) - h(k) = \\rho_k\\,(h(\\mathrm{lo}+1) - h(\\mathrm{lo}))$ with "
                "$\\rho_k = \\prod_{j=\\mathrm{lo}+1}^{k} w(j)/u(j)$; summing gives the scale "
                "function $s(z) = \\sum_{k=\\mathrm{lo}}^{z-1} \\rho_k$ and",
                "",
                f"$$ P_{{\\mathrm{{esc}}}} = {L(self._bd_expression('escape_probability'))}. $$",
                "",
                "The mean exit time is the sum of the Green's function "
                "$G(x, y) = s(\\min(x,y))\\,(s(\\mathrm{hi}) - s(\\max(x,y))) / "
                "(s(\\mathrm{hi})\\,u(y)\\,\\rho_y)$ over the interior states $y$:",
                "",
                f"$$ E[T] = {L(self._bd_expression('mean_exit_time'))}. $$",
                "",
                "The values are computed from the same equations as an exact linear system "
                "(below), which the formulas solve.",
                "",
            ]
        else:
            lines += [
                "### No closed form: the exact linear system",
                "",
                "The coefficients depend on the state and the detector is on, so the "
                "recurrence has no closed form that sympy finds. The equations above for the "
                "interior states form a tridiagonal linear system $(I - Q)f = b$ ($Q$ the "
                "transitions among interior states); every quantity of `kind` "
                "`linear-system` is its exact solution.",
                "",
            ]
        lines += [
            "### Evaluation",
            "",
            f"The tridiagonal system is solved by elimination in exact rational arithmetic "
            f"when there are at most {MAX_EXACT_STATES:,} interior states and the expressions "
            "are rational (decimal parameter values are taken as the exact decimals written), "
            f"otherwise in mpmath at {_DPS} digits (up to {MAX_STATES:,} states); a "
            "constant-coefficient walk on a longer or infinite range is evaluated from its "
            f"closed form in mpmath at {_DPS} digits.",
            "",
        ]
        return "\n".join(lines)

    def _const_derivation(self) -> list[str]:
        L = sp.latex
        sols = _const_solutions(self.detect_expr != 0)
        lines = [
            "### Constant coefficients: `sympy.rsolve`",
            "",
            "$u$, $w$, $d$ do not depend on $x$; with $n = x - \\mathrm{lo}$, "
            "$N = \\mathrm{hi} - \\mathrm{lo}$ the equation is a linear recurrence with "
            "constant coefficients, which `sympy.rsolve` solves:",
            "",
        ]
        symbol = {"escape_probability": "h", "ruin_probability": "v", "mean_exit_time": "D"}
        if not math.isfinite(self.lo):
            lam = _lam_plus()
            return [
                *lines,
                f"$$ h(n) = {L(sols['escape_probability'][0])} $$",
                "",
                "With $\\mathrm{lo} = -\\infty$ only bounded solutions count: $h \\to 0$ as "
                "$x \\to -\\infty$ keeps the root $\\lambda_+ \\ge 1$ of "
                f"$u\\lambda^2 - (u + w + d)\\lambda + w = 0$, $\\lambda_+ = {L(lam)}$, so "
                "$h(x) = \\lambda_+^{-(\\mathrm{hi} - x)}$. With detection ($d > 0$) the walk is "
                "caught with the remaining probability and $D(x) = (1 - h(x))/d$; without it "
                "$D(x) = (\\mathrm{hi} - x)/(u - w)$ for $u > w$ (infinite otherwise), and the "
                "walk drifts to $-\\infty$ (counted as ruin) with probability $1 - h$.",
                "",
            ]
        for name, sym in symbol.items():
            general, result = sols[name]
            lines += [
                f"$$ {sym}(n) = {L(general)} \\;\\Rightarrow\\; {sym}(n) = {L(result)} $$",
                "",
            ]
            if self.detect_expr == 0:
                lines += [f"and for $u = w$: $${sym}(n) = {L(sols['equal'][name][1])}$$", ""]
        return lines


def _fraction_laws(exprs: list[sp.Expr], states: range) -> list[list[Fraction]] | None:
    """The step law as Fractions in every state, or None if some value is not rational."""
    out = []
    for e in exprs:
        row = []
        for x in states:
            v = e.xreplace({X: sp.Integer(x)})
            if not isinstance(v, sp.Rational):
                return None
            row.append(Fraction(int(v.p), int(v.q)))
        out.append(row)
    return out


def _tridiagonal(up, down, det, rhs, f_lo, f_hi):
    """Solve ``(u+w+d) f_i - u f_{i+1} - w f_{i-1} = rhs_i`` on the interior states,
    ``f`` = ``f_lo`` below and ``f_hi`` above (Thomas' elimination, exact in Fractions)."""
    n = len(up)
    cp = [None] * n
    dp = [None] * n
    prev_c, prev_d = None, None
    for i in range(n):
        r = rhs[i]
        diag = up[i] + down[i] + det[i]
        if i == 0:
            r = r + down[i] * f_lo
            m = diag
        else:
            m = diag - down[i] * prev_c
            r = r + down[i] * prev_d
        if i == n - 1:
            r = r + up[i] * f_hi
        if m == 0:
            raise ParameterError(
                "x0",
                "the walk can be trapped forever in a set of states (the first-step "
                "system is singular); change up/down so every state can reach an absorption",
            )
        cp[i] = (-up[i] / m) if i < n - 1 else up[i] * 0
        dp[i] = r / m
        prev_c, prev_d = -cp[i], dp[i]
        cp[i] = prev_c
    f = [None] * n
    f[n - 1] = dp[n - 1]
    for i in range(n - 2, -1, -1):
        f[i] = dp[i] + cp[i] * f[i + 1]
    return f


def _infinite_lo(u, w, d, k: int) -> dict[str, Any]:
    """The bounded solutions with lo = -inf (constant coefficients), ``k = hi - x0``."""
    if u == 0:
        esc = mpmath.mpf(0)
    else:
        lam = ((u + w + d) + mpmath.sqrt((u + w + d) ** 2 - 4 * u * w)) / (2 * u)
        esc = lam ** (-k)
    if d > 0:
        return {
            "escape_probability": esc,
            "ruin_probability": mpmath.mpf(0),
            "detection_probability": 1 - esc,
            "mean_exit_time": (1 - esc) / d,
        }
    time = k / (u - w) if u > w else mpmath.inf
    return {
        "escape_probability": esc,
        "ruin_probability": 1 - esc,
        "detection_probability": mpmath.mpf(0),
        "mean_exit_time": time,
    }


def build(spec: Spec) -> type[Walk]:
    """The :class:`Walk` subclass of a walk spec (checked; see the module for the keys)."""
    spec.check_keys(KEYS, REQUIRED)
    symbols = spec.symbols()
    for name in ("x", "x0"):
        if name in symbols:
            raise spec.source.error(
                ("parameters", name),
                f"'{name}' is reserved by the walk family (the state and the starting point)",
            )
    exprs = {}
    for key in ("up", "down", "detect"):
        raw = spec.model.get(key, 0)
        exprs[key] = spec.expression(key, raw, {**symbols, "x": X})
    lo = spec.number("lo", integer=True, infinite_ok=True)
    hi = spec.number("hi", integer=True)
    if isinstance(lo, float) and lo > 0:
        raise spec.error("lo", "must be an integer or -inf, got inf")
    x0 = spec.number("x0", integer=True)
    if not lo < hi:
        raise spec.error("hi", f"must be above lo: lo = {lo} >= hi = {hi}")
    if not lo < x0 < hi:
        raise spec.error("x0", f"must be strictly between lo = {lo} and hi = {hi}, got {x0}")
    const = all(X not in e.free_symbols for e in exprs.values())
    if not math.isfinite(lo) and not const:
        raise spec.error(
            "lo",
            "lo = -inf needs up, down and detect independent of the state x (a table "
            "over infinitely many states is impossible); give a finite lo",
        )
    if math.isfinite(lo) and hi - lo - 1 > MAX_STATES and not const:
        raise spec.error(
            "hi",
            f"{hi - lo - 1:,} interior states: a state-dependent walk is "
            f"solved on at most {MAX_STATES:,}",
        )
    case = "constant" if const else ("birth-death" if exprs["detect"] == 0 else "general")
    kind = "linear-system" if case == "general" else "exact"
    x0_param = Parameter(
        "x0",
        x0,
        "starting point, lo < x0 < hi",
        lo + 1 if math.isfinite(lo) else -math.inf,
        hi - 1,
        integer=True,
        latex="x_0",
    )
    quantities = tuple(
        Quantity(q, desc, sym, kind="exact" if q == "drift_rate" else kind)
        for q, (desc, sym) in QUANTITIES.items()
    )
    cls = type(
        "".join(part.title() for part in spec.name.split("-")) or "SpecWalk",
        (Walk,),
        {
            "name": spec.name,
            "title": spec.title,
            "summary": spec.summary,
            "parameters": (*spec.parameters, x0_param),
            "quantities": quantities,
            "lo": lo,
            "hi": hi,
            "up_expr": exprs["up"],
            "down_expr": exprs["down"],
            "detect_expr": exprs["detect"],
            "symbols": symbols,
            "case": case,
            "_family_base": False,
            "__module__": __name__,
        },
    )
    problem = cls._law_problem(cls.defaults())
    if problem is not None:
        raise spec.error(problem[0], problem[1] + " (parameters at their defaults)")
    return cls
