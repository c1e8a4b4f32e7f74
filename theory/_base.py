"""The model contract: validated parameters, named quantities, derivations.

A driftkit model is specified once, here in :mod:`theory`: its parameters with
their allowed ranges, and its quantities, each with a sympy expression obtained
by *solving* something (a recurrence, an ODE, an expectation), its LaTeX and a
fast, overflow-safe numeric evaluator. :mod:`montecarlo` simulates exactly this
specification.
"""

from __future__ import annotations

import abc
import math
import numbers
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:  # sympy is imported where a formula is needed, not on import
    import sympy as sp

__all__ = [
    "Allowance",
    "Model",
    "Parameter",
    "ParameterError",
    "Quantity",
    "Reference",
    "time_step_parameter",
]


class ParameterError(ValueError):
    """A model parameter (or a run setting) is outside its allowed range.

    The message names the parameter, the allowed range and the value given,
    so that it can be shown to a user as one line.
    """

    def __init__(self, parameter: str, message: str) -> None:
        super().__init__(message)
        self.parameter = parameter


def _fmt(x: float) -> str:
    if isinstance(x, float) and math.isinf(x):
        return "inf" if x > 0 else "-inf"
    if isinstance(x, float) and x.is_integer():
        return str(int(x))
    return repr(x) if isinstance(x, float) else str(x)


@dataclass(frozen=True)
class Parameter:
    """One model parameter with its default and its allowed range.

    ``low``/``high`` are the bounds; ``low_open``/``high_open`` make them
    exclusive. ``integer`` parameters accept only whole numbers.
    """

    name: str
    default: float
    description: str
    low: float = -math.inf
    high: float = math.inf
    low_open: bool = False
    high_open: bool = False
    integer: bool = False
    latex: str | None = None
    #: accept an infinite value where the range reaches it (e.g. a barrier at -inf);
    #: otherwise ``inf`` and ``-inf`` are refused like any value outside the range
    infinite: bool = False

    def range_text(self) -> str:
        """The allowed range in words, e.g. ``a number in [0, 1]``."""
        kind = "an integer" if self.integer else "a number"
        if math.isinf(self.low) and math.isinf(self.high):
            return kind
        left = "(" if (self.low_open or math.isinf(self.low)) else "["
        right = ")" if (self.high_open or math.isinf(self.high)) else "]"
        return f"{kind} in {left}{_fmt(self.low)}, {_fmt(self.high)}{right}"

    def validate(self, value: Any) -> float | int:
        """Return ``value`` as a float (or int) or raise :class:`ParameterError`."""
        if isinstance(value, str):
            try:
                value = float(value)
            except ValueError:
                raise ParameterError(
                    self.name,
                    f"parameter '{self.name}' must be {self.range_text()}, got {value!r}",
                ) from None
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise ParameterError(
                self.name, f"parameter '{self.name}' must be {self.range_text()}, got {value!r}"
            )
        x = float(value)
        if math.isnan(x):
            raise ParameterError(
                self.name, f"parameter '{self.name}' must be {self.range_text()}, got nan"
            )
        if math.isinf(x) and not self.infinite:
            raise ParameterError(
                self.name,
                f"parameter '{self.name}' must be {self.range_text()} and finite, got {_fmt(x)}",
            )
        if self.integer:
            if not x.is_integer():
                raise ParameterError(
                    self.name,
                    f"parameter '{self.name}' must be {self.range_text()}, got {_fmt(x)}",
                )
        below = x < self.low or (self.low_open and x == self.low)
        above = x > self.high or (self.high_open and x == self.high)
        if below or above:
            raise ParameterError(
                self.name, f"parameter '{self.name}' must be {self.range_text()}, got {_fmt(x)}"
            )
        return int(x) if self.integer else x


def time_step_parameter(default: float = 0.01) -> Parameter:
    """The ``dt`` parameter of a continuous-time model: the simulation's time step.

    No theory value depends on it; it only sets the Monte Carlo grid.
    """
    return Parameter(
        "dt",
        default,
        "simulation time step (Monte Carlo only; the theory does not depend on it)",
        0.0,
        low_open=True,
        latex=r"\Delta t",
    )


@dataclass(frozen=True)
class Quantity:
    """A named quantity of a model.

    ``kind`` says what the number is: ``"exact"`` (a derived closed form),
    ``"numerical"`` (no evaluable closed form: computed numerically, the method in the
    description), ``"approximation"``, ``"asymptotic"`` or ``"bound"`` (a rigorous
    inequality).
    ``symbol`` is the LaTeX for the left-hand side of its formula.
    """

    name: str
    description: str
    symbol: str
    kind: str = "exact"

    @property
    def bound(self) -> bool:
        return self.kind == "bound"


#: what an :class:`Allowance` rests on
ALLOWANCE_BASES = ("none", "proven", "calibrated")


@dataclass(frozen=True)
class Allowance:
    """The stated error of a quantity's theory value against what the simulation estimates.

    ``value`` is the largest difference allowed beside the interval when validating (0 for
    a quantity the simulation estimates exactly). ``basis`` says what it rests on:
    ``"none"`` (no allowance: the theory is exact for the simulated model),
    ``"proven"`` (a derived bound; ``source`` names the derivation) or ``"calibrated"``
    (measured; ``source`` states the measurement and the margin taken over it).
    """

    value: float
    basis: str = "none"
    source: str = ""

    def __post_init__(self) -> None:
        if self.basis not in ALLOWANCE_BASES:
            raise ValueError(
                f"Allowance basis must be one of {', '.join(ALLOWANCE_BASES)}, got {self.basis!r}"
            )
        if not self.value >= 0.0:  # also refuses nan
            raise ValueError(f"Allowance value must be >= 0, got {self.value!r}")
        if self.value > 0.0 and (self.basis == "none" or not self.source):
            raise ValueError(
                "a positive Allowance needs basis 'proven' or 'calibrated' and a source"
            )


@dataclass(frozen=True)
class Reference:
    """A source of a model's formulas, with a BibTeX key."""

    key: str
    text: str
    bibtex: str


class Model(abc.ABC):
    """Base class of every driftkit model.

    Subclasses set the class attributes and implement :meth:`_expression`,
    :meth:`_value` and :meth:`derivation`; cross-parameter constraints go in
    :meth:`_check`. Instances are immutable: :meth:`replace` makes a new one.
    """

    name: ClassVar[str]
    title: ClassVar[str]
    summary: ClassVar[str]
    parameters: ClassVar[tuple[Parameter, ...]]
    quantities: ClassVar[tuple[Quantity, ...]]
    references: ClassVar[tuple[Reference, ...]] = ()
    #: the parameter a plot puts on its horizontal axis, and the quantities it plots
    curve_parameter: ClassVar[str | None] = None
    plot_quantities: ClassVar[tuple[str, ...]] = ()
    #: sweep the curve parameter on a logarithmic axis (e.g. a number of steps)
    curve_log: ClassVar[bool] = False
    #: further parameter sets the documentation draws a figure for (e.g. a model's variants)
    plot_variants: ClassVar[tuple[dict[str, Any], ...]] = ()

    def __init__(self, **params: Any) -> None:
        names = [p.name for p in self.parameters]
        unknown = sorted(set(params) - set(names))
        if unknown:
            raise ParameterError(
                unknown[0],
                f"unknown parameter '{unknown[0]}' for model {self.name}; "
                f"its parameters are: {', '.join(names)}",
            )
        values = {p.name: p.validate(params.get(p.name, p.default)) for p in self.parameters}
        self._check(values)
        self._params = values

    # -- parameters -----------------------------------------------------
    def _check(self, params: dict[str, Any]) -> None:
        """Cross-parameter constraints; raise :class:`ParameterError`. None by default."""
        return None

    @property
    def params(self) -> dict[str, Any]:
        """All parameter values in use (a copy)."""
        return dict(self._params)

    def __getitem__(self, name: str) -> Any:
        return self._params[name]

    @classmethod
    def defaults(cls) -> dict[str, Any]:
        return {p.name: p.default for p in cls.parameters}

    @classmethod
    def parameter(cls, name: str) -> Parameter:
        for p in cls.parameters:
            if p.name == name:
                return p
        raise ParameterError(
            name,
            f"unknown parameter '{name}' for model {cls.name}; its parameters are: "
            + ", ".join(p.name for p in cls.parameters),
        )

    def replace(self, **changes: Any) -> Model:
        """A new model with some parameters changed."""
        return type(self)(**{**self._params, **changes})

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self._params.items())
        return f"{type(self).__name__}({args})"

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and self._params == other._params  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash((type(self), tuple(self._params.items())))

    def curve_range(self, param: str) -> tuple[float, float]:
        """The open interval a plot sweeps ``param`` over (default: ``x0`` in ``(lo, hi)``)."""
        if param == "x0" and "lo" in self._params and "hi" in self._params:
            return self["lo"], self["hi"]
        raise ValueError(f"no plotting range for parameter {param!r} of {self.name}")

    # -- quantities -----------------------------------------------------
    @classmethod
    def quantity(cls, name: str) -> Quantity:
        for q in cls.quantities:
            if q.name == name:
                return q
        raise ValueError(
            f"unknown quantity '{name}' for model {cls.name}; its quantities are: "
            + ", ".join(q.name for q in cls.quantities)
        )

    def expression(self, name: str) -> sp.Expr:
        """The derived sympy expression of a quantity, in the model's symbols.

        Where the formula has cases (e.g. ``p = q``) the expression that
        applies to this model's parameters is returned; see
        :meth:`general_expression` for the full ``Piecewise``.
        """
        self.quantity(name)
        return self._expression(name, case=True)

    def general_expression(self, name: str) -> sp.Expr:
        """The derived expression with all its cases (a ``Piecewise`` if any)."""
        self.quantity(name)
        return self._expression(name, case=False)

    def equation(self, name: str) -> sp.Eq:
        """``symbol = expression`` as a sympy equation (displays as math in a notebook)."""
        import sympy as sp

        return sp.Eq(sp.Symbol(self.quantity(name).symbol), self.expression(name))

    def latex(self, name: str) -> str:
        """LaTeX ``symbol = formula`` of a quantity for this model's case."""
        import sympy as sp

        return f"{self.quantity(name).symbol} = {sp.latex(self.expression(name))}"

    def value(self, name: str) -> float:
        """The numeric value of a quantity at this model's parameters."""
        self.quantity(name)
        return float(self._value(name))

    def allowance(self, name: str) -> Allowance:
        """The stated error allowance of ``name`` at these parameters (see :class:`Allowance`).

        The default is no allowance (``Allowance(0.0)``): the simulation estimates the
        quantity itself. A model whose quantity is an approximation (a mean-field or a
        diffusion limit) overrides this next to the formula, with the bound or the
        measurement it rests on.
        """
        self.quantity(name)
        return Allowance(0.0)

    def values(self) -> dict[str, float]:
        return {q.name: self.value(q.name) for q in self.quantities}

    def warnings(self) -> list[str]:
        """Plain-text warnings about this model's values at these parameters (default none).

        A model returns one line for each approximation evaluated outside the range where
        its error allowance was established (or where a finite system is known to differ
        from it); ``to_dict`` carries them and ``driftkit theory`` prints them on stderr.
        """
        return []

    @abc.abstractmethod
    def _expression(self, name: str, case: bool) -> sp.Expr:
        """Derived expression of ``name`` (``case``: only the applicable case)."""

    @abc.abstractmethod
    def _value(self, name: str) -> float:
        """Numeric value of ``name``, overflow-safe."""

    @abc.abstractmethod
    def derivation(self) -> str:
        """The derivation as Markdown with LaTeX (``$...$`` and ``$$...$$``)."""

    # -- summaries ------------------------------------------------------
    def latex_block(self, env: str = "align") -> str:
        """All formulas as a LaTeX ``align`` block that compiles and fits a page.

        Every case of a formula is shown (a ``cases`` environment), whatever the
        parameter values; long right-hand sides are broken into lines. This is
        what ``driftkit theory MODEL --latex`` prints. ``env="aligned"`` gives
        the same rows for use inside ``$$...$$``.
        """
        from driftkit.theory._latex import latex_block

        return latex_block(self, env)

    def _repr_latex_(self) -> str:
        """A notebook shows the model as its formulas (all cases), aligned."""
        return "$$" + self.latex_block(env="aligned") + "$$"

    def to_dict(self) -> dict[str, Any]:
        """The ``driftkit theory --json`` object (without provenance)."""
        quantities: dict[str, Any] = {}
        for q in self.quantities:
            entry: dict[str, Any] = {
                "value": self.value(q.name),
                "latex": self.latex(q.name),
                "kind": q.kind,
                "description": q.description,
            }
            if q.bound:
                entry["bound"] = True
            quantities[q.name] = entry
        out: dict[str, Any] = {"model": self.name, "params": self.params, "quantities": quantities}
        warnings = self.warnings()
        if warnings:
            out["warnings"] = list(warnings)
        return out
