r"""The chain family: a finite Markov chain given as transitions between named states.

``[model.transitions]`` maps each state to ``{ next_state = "probability", ... }``
(expressions in the parameters); what is left of a row is the probability of staying.
A state with no way out (no row, an empty row, or all its probability on itself) is
absorbing. Quantities, from ``start``: ``absorption_probability_<state>`` for each
absorbing state and ``mean_absorption_time`` (steps until absorption).

Values solve the absorbing chain's linear system :math:`(I - Q)\,h = r` exactly:
in rational arithmetic (fractions stay fractions: ``23/26``) up to
:data:`MAX_EXACT_STATES` transient states when the probabilities are rational, else by
scipy's sparse LU in double precision (up to 10^6 states).
"""

from __future__ import annotations

import re
from fractions import Fraction
from typing import Any

import numpy as np
import sympy as sp
from driftkit.theory._base import ParameterError, Quantity
from driftkit.theory.families import FamilyMeta
from driftkit.theory.families._spec import Spec, SpecModel

__all__ = ["MAX_EXACT_STATES", "Chain", "build"]

KEYS = ("start", "transitions")
MAX_EXACT_STATES = 200
MAX_STATES = 10**6
_STATE = re.compile(r"^[A-Za-z0-9_]+$")


class Chain(SpecModel, metaclass=FamilyMeta):
    """A finite absorbing Markov chain between named states (a family).

    ``Chain(name=..., parameters=..., start="s", transitions={"s": {"t": "p"}, ...})``
    builds the model of that spec and returns an instance at its defaults.
    """

    family = "chain"
    _family_base = True
    states: tuple[str, ...]  # every state, transient ones first
    transient: tuple[str, ...]
    absorbing: tuple[str, ...]
    start: str
    #: (from, to, expression) for every transition between different states
    edges: tuple[tuple[int, int, sp.Expr], ...]
    symbols: dict[str, sp.Symbol]

    @classmethod
    def _numeric_edges(cls, params: dict[str, Any]) -> np.ndarray:
        vals = [params[k] for k in cls.symbols]
        out = np.empty(len(cls.edges))
        for i, f in enumerate(cls._lambdas()):
            out[i] = float(f(*vals))
        return out

    @classmethod
    def _lambdas(cls) -> list:
        if "_lambdas_cache" not in cls.__dict__:
            cls._lambdas_cache = [
                sp.lambdify(list(cls.symbols.values()), e, modules="math") for _, _, e in cls.edges
            ]
        return cls._lambdas_cache

    def chain_table(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
        """``(row_start, cumulative, target, start)``: for transient state ``i`` its
        moves are ``row_start[i] .. row_start[i+1]``, ``cumulative`` the running sum of
        their probabilities and ``target`` the state they lead to (absorbing states
        are numbered after the transient ones; staying put is the rest of the row)."""
        probs = self._numeric_edges(self._params)
        n = len(self.transient)
        order = sorted(range(len(self.edges)), key=lambda k: self.edges[k][0])
        row_start = np.zeros(n + 1, dtype=np.int64)
        cumulative = np.empty(len(order))
        target = np.empty(len(order), dtype=np.int64)
        for pos, k in enumerate(order):
            i, j, _ = self.edges[k]
            row_start[i + 1] += 1
            target[pos] = j
            cumulative[pos] = probs[k]
        row_start = np.cumsum(row_start)
        for i in range(n):
            a, b = row_start[i], row_start[i + 1]
            cumulative[a:b] = np.cumsum(cumulative[a:b])
        return row_start, cumulative, target, self.states.index(self.start)

    @classmethod
    def _law_problem(cls, params: dict[str, Any]) -> tuple[str, str] | None:
        probs = cls._numeric_edges(params)
        totals = np.zeros(len(cls.transient))
        for (i, j, _), v in zip(cls.edges, probs, strict=True):
            s, t = cls.states[i], cls.states[j]
            if not (np.isfinite(v) and 0 <= v <= 1):
                return f"transitions.{s}.{t}", f"probability {v:.6g} is not in [0, 1]"
            totals[i] += v
        for i, tot in enumerate(totals):
            if tot > 1 + 1e-12:
                s = cls.states[i]
                return (
                    f"transitions.{s}",
                    f"the probabilities out of state {s!r} sum to {tot:.6g} > 1",
                )
        return None

    def _check(self, params: dict[str, Any]) -> None:
        problem = self._law_problem(params)
        if problem is not None:
            first = next(iter(self.symbols), "start")
            raise ParameterError(first, f"{self.name}: at {params}: {problem[1]}")

    # -- values -------------------------------------------------------------------------
    def _solution(self) -> dict[str, Any]:
        cached = getattr(self, "_solved", None)
        if cached is None:
            cached = self._solve()
            self._solved = cached
        return cached

    def _solve(self) -> dict[str, Any]:
        n = len(self.transient)
        if n <= MAX_EXACT_STATES:
            subs = {
                self.symbols[k]: sp.Rational(repr(float(v)))
                for k, v in self._params.items()
                if k in self.symbols
            }
            vals = [e.xreplace(subs) for _, _, e in self.edges]
            if all(isinstance(v, sp.Rational) for v in vals):
                return self._exact([Fraction(int(v.p), int(v.q)) for v in vals])
        return self._sparse()

    def _exact(self, probs: list[Fraction]) -> dict[str, Any]:
        n, m = len(self.transient), len(self.absorbing)
        rows = [dict() for _ in range(n)]  # (I - Q | R, 1) augmented, sparse rows
        for i in range(n):
            rows[i][i] = Fraction(0)
        rhs = [[Fraction(0)] * (m + 1) for _ in range(n)]
        for (i, j, _), p in zip(self.edges, probs, strict=True):
            rows[i][i] += p
            if j < n:
                rows[i][j] = rows[i].get(j, Fraction(0)) - p
            else:
                rhs[i][j - n] += p
        for i in range(n):
            rhs[i][m] = Fraction(1)
        # Gaussian elimination (the matrix is an M-matrix: no pivoting is needed unless a
        # set of states can never be left, which makes it singular)
        for c in range(n):
            piv = rows[c].get(c, Fraction(0))
            if piv == 0:
                raise ParameterError(
                    next(iter(self.symbols), "start"),
                    f"{self.name}: state {self.transient[c]!r} can never reach an absorbing "
                    "state (the chain can be trapped forever)",
                )
            for r in range(c + 1, n):
                f = rows[r].get(c)
                if not f:
                    continue
                f = f / piv
                for k, v in rows[c].items():
                    rows[r][k] = rows[r].get(k, Fraction(0)) - f * v
                rhs[r] = [a - f * b for a, b in zip(rhs[r], rhs[c], strict=True)]
        sol = [None] * n
        for c in range(n - 1, -1, -1):
            acc = list(rhs[c])
            for k, v in rows[c].items():
                if k > c and v:
                    acc = [a - v * b for a, b in zip(acc, sol[k], strict=True)]
            sol[c] = [a / rows[c][c] for a in acc]
        s = self.transient.index(self.start)
        out = {f"absorption_probability_{a}": sol[s][k] for k, a in enumerate(self.absorbing)}
        out["mean_absorption_time"] = sol[s][m]
        return out

    def _sparse(self) -> dict[str, Any]:
        import scipy.sparse as sps
        import scipy.sparse.linalg as spla

        n, m = len(self.transient), len(self.absorbing)
        probs = self._numeric_edges(self._params)
        rows, cols, vals = list(range(n)), list(range(n)), [0.0] * n
        rhs = np.zeros((n, m + 1))
        rhs[:, m] = 1.0
        for (i, j, _), p in zip(self.edges, probs, strict=True):
            vals[i] += p
            if j < n:
                rows.append(i)
                cols.append(j)
                vals.append(-p)
            else:
                rhs[i, j - n] += p
        a = sps.csc_matrix((vals, (rows, cols)), shape=(n, n))
        sol = spla.splu(a).solve(rhs)
        s = self.transient.index(self.start)
        out = {f"absorption_probability_{b}": sol[s, k] for k, b in enumerate(self.absorbing)}
        out["mean_absorption_time"] = sol[s, m]
        return out

    def _value(self, name: str) -> float:
        return float(self._solution()[name])

    def _expression(self, name: str, case: bool) -> sp.Expr:
        v = self._solution()[name]
        if isinstance(v, Fraction):
            return sp.Rational(v.numerator, v.denominator)
        return sp.Float(v, 17)

    def latex(self, name: str) -> str:
        v, expr = self.value(name), self.expression(name)
        exact = isinstance(expr, sp.Rational) and len(str(expr)) <= 40
        shown = f"{sp.latex(expr)} \\approx {v:.12g}" if exact else f"{v:.15g}"
        return f"{self.quantity(name).symbol} = {shown}"

    def derivation(self) -> str:
        L = sp.latex
        rows = []
        for i, j, e in self.edges:
            rows.append(f"| `{self.states[i]}` | `{self.states[j]}` | ${L(e)}$ |")
        n = len(self.transient)
        how = (
            "in exact rational arithmetic (fractions stay fractions)"
            if n <= MAX_EXACT_STATES
            else "by scipy's sparse LU factorisation in double precision"
        )
        return "\n".join(
            [
                f"## {self.title}: derivation",
                "",
                f"**Model** (chain family, spec `{self.spec_source}`). A Markov chain on the "
                f"states {', '.join(f'`{s}`' for s in self.states)}, started in `{self.start}`. "
                "The transitions (the rest of each row is the probability of staying):",
                "",
                "| from | to | probability |",
                "|---|---|---|",
                *rows,
                "",
                "States with no way out are absorbing: "
                + ", ".join(f"`{a}`" for a in self.absorbing)
                + ".",
                "",
                "**First-step analysis.** With $Q$ the transitions among the transient states and "
                "$R$ those into the absorbing ones, the absorption probabilities $H$ and the mean "
                "absorption time $t$ solve",
                "",
                "$$ (I - Q)\\,H = R, \\qquad (I - Q)\\,t = \\mathbf{1}, $$",
                "",
                f"a linear system of {n} equations, solved {how} at the parameters given "
                "(decimal values are taken as the exact decimals written). Each quantity is the "
                f"row of `{self.start}`.",
                "",
            ]
        )


def build(spec: Spec) -> type[Chain]:
    """The :class:`Chain` subclass of a chain spec."""
    spec.check_keys(KEYS, KEYS)
    symbols = spec.symbols()
    start = spec.model["start"]
    table = spec.model["transitions"]
    if not isinstance(table, dict) or not table:
        raise spec.error("transitions", 'must be a table: state = { next_state = "p", ... }')
    names: list[str] = []

    def state(name: Any, key: str) -> str:
        name = str(name)
        if not _STATE.match(name):
            raise spec.error(key, f"state name {name!r} must be letters, digits and _")
        if name not in names:
            names.append(name)
        return name

    raw_edges = []
    for s, row in table.items():
        state(s, f"transitions.{s}")
        if not isinstance(row, dict):
            raise spec.error(f"transitions.{s}", 'must be a table { next_state = "p", ... }')
        for t, p in row.items():
            state(t, f"transitions.{s}.{t}")
            if t == s:
                continue  # staying is the rest of the row
            e = spec.expression(f"transitions.{s}.{t}", p, symbols)
            if e != 0:
                raw_edges.append((s, t, e))
    if not isinstance(start, str) or start not in names:
        raise spec.error("start", f"must be one of the states ({', '.join(names)}), got {start!r}")
    leaving = {s for s, _, _ in raw_edges}
    transient = [s for s in names if s in leaving]
    absorbing = [s for s in names if s not in leaving]
    if start not in transient:
        raise spec.error("start", f"state {start!r} is absorbing: nothing to compute")
    if not absorbing:
        raise spec.error("transitions", "no state is absorbing (every state has a way out)")
    if len(transient) > MAX_STATES:
        raise spec.error(
            "transitions", f"{len(transient):,} transient states (limit {MAX_STATES:,})"
        )
    order = transient + absorbing
    index = {s: i for i, s in enumerate(order)}
    edges = tuple((index[s], index[t], e) for s, t, e in raw_edges)
    quantities = (
        *tuple(
            Quantity(
                f"absorption_probability_{a}",
                f"P(absorbed in state {a}) from {start}",
                f"P_{{\\mathrm{{{a.replace('_', '-')}}}}}",
            )
            for a in absorbing
        ),
        Quantity("mean_absorption_time", f"expected steps until absorption from {start}", r"E[T]"),
    )
    cls = type(
        "".join(part.title() for part in spec.name.split("-")) or "SpecChain",
        (Chain,),
        {
            "name": spec.name,
            "title": spec.title,
            "summary": spec.summary,
            "parameters": spec.parameters,
            "quantities": quantities,
            "states": tuple(order),
            "transient": tuple(transient),
            "absorbing": tuple(absorbing),
            "start": start,
            "edges": edges,
            "symbols": symbols,
            "_family_base": False,
            "__module__": __name__,
        },
    )
    problem = cls._law_problem(cls.defaults())
    if problem is not None:
        raise spec.error(problem[0], problem[1] + " (parameters at their defaults)")
    return cls
