"""Reading, checking and registering a model spec (the framework shared by every family).

A spec is a TOML file (or the same keys given to :class:`Walk`, :class:`Chain`, ...)::

    name = "tiring-detector"
    family = "walk"
    [parameters]
    a = { default = 0.46, low = 0, high = 0.5, description = "..." }
    [model]
    up = "a + 0.002*x"
    ...

This module turns it into a :class:`Spec` (checked: every key known, every expression
parsed by sympy from a restricted vocabulary, every symbol defined), and registers the
model class a family builds from it. Every mistake raises :class:`SpecError`, a
``ValueError`` whose one-line message names the file, the line and the key.
"""

from __future__ import annotations

import ast
import hashlib
import json
import math
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from driftkit.theory._base import Model, Parameter, ParameterError

if TYPE_CHECKING:
    import sympy as sp

__all__ = [
    "FUNCTIONS",
    "Spec",
    "SpecError",
    "SpecModel",
    "parse_expression",
    "read_spec",
]

#: keys allowed at the top of every spec (a family's own keys live under [model])
TOP_KEYS = ("name", "family", "title", "summary", "parameters", "model")
#: keys allowed in one [parameters] entry
PARAMETER_KEYS = ("default", "low", "high", "low_open", "high_open", "integer", "description")
#: the functions an expression may call (sympy's), by the name written in the spec
FUNCTIONS = (
    "exp", "log", "sqrt", "sin", "cos", "tan", "sinh", "cosh", "tanh", "atan",
    "Abs", "Min", "Max", "floor", "ceiling",
)  # fmt: skip
#: constants an expression may use
CONSTANTS = ("pi", "E")
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_MODEL_NAME = re.compile(r"^[a-z0-9][a-z0-9-]*$")


class SpecError(ValueError):
    """A bad spec: the message names the source, the line (when known) and the key."""

    def __init__(
        self, message: str, key: str | None = None, line: int | None = None, source: str = ""
    ) -> None:
        where = source or "spec"
        if line is not None:
            where += f", line {line}"
        text = f"{where}: " + (f"key '{key}': " if key else "") + message
        super().__init__(" ".join(text.split()))
        self.key, self.line, self.source = key, line, source


# -- the source text and its line numbers --------------------------------------------
_HEADER = re.compile(r"^\s*\[\s*([^\[\]]+?)\s*\]\s*(#.*)?$")
_ASSIGN = re.compile(r"""^\s*("[^"]*"|'[^']*'|[A-Za-z0-9_.\- ]+?)\s*=""")
_INLINE_KEY = re.compile(r"""("[^"]*"|'[^']*'|[A-Za-z0-9_\-]+)\s*=""")


def _unquote(key: str) -> str:
    key = key.strip()
    return key[1:-1] if key[:1] in "\"'" and key[-1:] == key[:1] else key


@dataclass
class Source:
    """Where a spec came from, and the line of each key (for error messages)."""

    name: str = "spec"
    text: str | None = None
    _lines: dict[tuple[str, ...], int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.text is None:
            return
        table: tuple[str, ...] = ()
        for lineno, raw in enumerate(self.text.splitlines(), 1):
            m = _HEADER.match(raw)
            if m:
                table = tuple(_unquote(k) for k in m.group(1).split("."))
                self._lines.setdefault(table, lineno)
                continue
            m = _ASSIGN.match(raw)
            if not m:
                continue
            key = (*table, *(_unquote(k) for k in m.group(1).split(".")))
            self._lines.setdefault(key, lineno)
            rest = raw[m.end() :]
            if "{" in rest:  # an inline table: its keys are on this line
                for k in _INLINE_KEY.findall(rest.split("{", 1)[1]):
                    self._lines.setdefault((*key, _unquote(k)), lineno)

    def line(self, path: tuple[str, ...]) -> int | None:
        """The line of the key ``path`` (or of its nearest enclosing key that has one)."""
        for n in range(len(path), 0, -1):
            if path[:n] in self._lines:
                return self._lines[path[:n]]
        return None

    def error(self, path: tuple[str, ...] | str, message: str) -> SpecError:
        """A :class:`SpecError` for the key ``path`` (a tuple, or dotted text)."""
        if isinstance(path, str):
            path = tuple(path.split("."))
        return SpecError(message, ".".join(path) or None, self.line(path), self.name)


def _toml_loads(text: str, source: str) -> dict[str, Any]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        msg = str(exc)
        m = re.search(r"\(at line (\d+), column \d+\)", msg)
        line = int(m.group(1)) if m else None
        msg = re.sub(r"\s*\(at (line \d+, column \d+|end of document)\)", "", msg)
        key = None
        if line is not None and line <= len(text.splitlines()):
            m = _ASSIGN.match(text.splitlines()[line - 1])
            key = _unquote(m.group(1)) if m else None
        raise SpecError(f"invalid TOML: {msg}", key, line, source) from None


def read_spec(spec: str | Path | dict[str, Any], source: str | None = None) -> tuple[dict, Source]:
    """The spec's data and its :class:`Source`, from a ``.toml`` path, TOML text or a dict."""
    if isinstance(spec, dict):
        return spec, Source(source or "spec")
    if isinstance(spec, Path) or (isinstance(spec, str) and "\n" not in spec and "=" not in spec):
        path = Path(spec)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise SpecError(f"no such spec file: {path}", source=str(path)) from None
        except OSError as exc:
            raise SpecError(
                f"cannot read the spec ({exc.strerror or exc})", source=str(path)
            ) from None
        return _toml_loads(text, str(path)), Source(str(path), text)
    name = source or "spec"
    return _toml_loads(spec, name), Source(name, spec)


# -- expressions ------------------------------------------------------------------------
_ALLOWED_NODES = (
    ast.Expression, ast.BinOp, ast.UnaryOp, ast.Call, ast.Name, ast.Load, ast.Constant,
    ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow, ast.USub, ast.UAdd,
)  # fmt: skip


def parse_expression(
    text: Any, symbols: dict[str, sp.Symbol], source: Source, path: tuple[str, ...]
) -> sp.Expr:
    """``text`` (a string, a number or a sympy expression) as a sympy expression.

    Only arithmetic (``+ - * / **``, ``^`` for a power), numbers, the names in
    ``symbols``, :data:`FUNCTIONS` and :data:`CONSTANTS` are accepted: the text is
    checked on its Python syntax tree before sympy sees it, so nothing else is ever
    evaluated. Decimal numbers become exact rationals (``0.002`` is ``1/500``).
    """
    import sympy as sp

    allowed = {**{f: getattr(sp, f) for f in FUNCTIONS}, "pi": sp.pi, "E": sp.E, **symbols}
    if isinstance(text, bool):
        raise source.error(path, f"must be an expression (a string or a number), got {text!r}")
    if isinstance(text, (int, float)):
        if not math.isfinite(text):
            raise source.error(path, f"must be finite, got {text!r}")
        return sp.Rational(repr(text)) if isinstance(text, float) else sp.Integer(text)
    if isinstance(text, sp.Basic):
        unknown = sorted(str(s) for s in text.free_symbols if str(s) not in symbols)
        if unknown:
            raise _undefined(source, path, unknown[0], symbols)
        return text.subs({s: symbols[str(s)] for s in text.free_symbols})
    if not isinstance(text, str):
        raise source.error(path, f"must be an expression (a string), got {text!r}")
    code = text.replace("^", "**")
    try:
        tree = ast.parse(code.strip(), mode="eval")
    except SyntaxError as exc:
        raise source.error(
            path, f"expression {text!r} does not parse ({exc.msg}, column {exc.offset})"
        ) from None
    for node in ast.walk(tree):
        if not isinstance(node, _ALLOWED_NODES):
            raise source.error(
                path,
                f"expression {text!r}: {type(node).__name__} is not allowed (only "
                "arithmetic, numbers, the parameters, the state and functions like exp, log)",
            )
        if isinstance(node, ast.Constant) and not isinstance(node.value, (int, float)):
            raise source.error(
                path, f"expression {text!r}: only numbers may appear, got {node.value!r}"
            )
        if isinstance(node, ast.Call):
            if not (isinstance(node.func, ast.Name) and node.func.id in FUNCTIONS) or node.keywords:
                raise source.error(
                    path,
                    f"expression {text!r}: only the functions {', '.join(FUNCTIONS)} may be called",
                )
        if isinstance(node, ast.Name) and node.id not in allowed:
            raise _undefined(source, path, node.id, symbols, text)
    from sympy.parsing.sympy_parser import (
        auto_number,
        auto_symbol,
        parse_expr,
        rationalize,
    )

    global_dict = {
        "__builtins__": {},
        "Integer": sp.Integer,
        "Float": sp.Float,
        "Rational": sp.Rational,
        "Symbol": sp.Symbol,
    }
    try:
        expr = parse_expr(
            code,
            local_dict=dict(allowed),
            global_dict=global_dict,
            transformations=(auto_symbol, auto_number, rationalize),
            evaluate=True,
        )
    except Exception as exc:  # sympy's own refusal (e.g. a wrong number of arguments)
        raise source.error(path, f"expression {text!r} does not parse ({exc})") from None
    if not isinstance(expr, sp.Expr):
        raise source.error(path, f"expression {text!r} is not a number-valued expression")
    return expr


def _undefined(source, path, name, symbols, text=None) -> SpecError:
    known = ", ".join(sorted(symbols)) or "none"
    what = f"expression {text!r}: " if text is not None else ""
    return source.error(
        path,
        f"{what}undefined symbol '{name}' (defined: {known}; functions: {', '.join(FUNCTIONS)})",
    )


# -- the spec -----------------------------------------------------------------------------
@dataclass
class Spec:
    """A read spec: its name, family, parameters and its family's ``model`` table (raw)."""

    name: str
    family: str
    title: str
    summary: str
    parameters: tuple[Parameter, ...]
    model: dict[str, Any]
    data: dict[str, Any]
    source: Source

    def symbols(self) -> dict[str, sp.Symbol]:
        """The parameters as sympy symbols (real)."""
        import sympy as sp

        return {p.name: sp.Symbol(p.name, real=True) for p in self.parameters}

    def expression(self, key: str, value: Any, symbols: dict[str, sp.Symbol]) -> sp.Expr:
        """Parse the [model] entry ``key`` (dotted for nested tables)."""
        return parse_expression(value, symbols, self.source, ("model", *key.split(".")))

    def error(self, key: str, message: str) -> SpecError:
        """A :class:`SpecError` for the [model] entry ``key``."""
        return self.source.error(("model", *key.split(".")), message)

    def check_keys(self, allowed: tuple[str, ...], required: tuple[str, ...]) -> None:
        """Refuse a [model] key outside ``allowed`` and a missing ``required`` one."""
        for key in self.model:
            if key not in allowed:
                raise self.error(
                    key,
                    f"unknown key for family {self.family}; its keys are: " + ", ".join(allowed),
                )
        for key in required:
            if key not in self.model:
                raise self.source.error(
                    ("model",),
                    f"missing key 'model.{key}' (family {self.family} needs {', '.join(required)})",
                )

    def number(self, key: str, integer: bool = False, infinite_ok: bool = False) -> float | int:
        """The [model] entry ``key`` as a number (an integer if ``integer``)."""
        v = self.model[key]
        if isinstance(v, str) and v.strip() in ("-inf", "inf", "+inf") and infinite_ok:
            v = float(v)
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise self.error(key, f"must be a number, got {v!r}")
        if isinstance(v, float) and math.isinf(v):
            if not infinite_ok:
                raise self.error(key, f"must be finite, got {v!r}")
            return v
        if isinstance(v, float) and math.isnan(v):
            raise self.error(key, "must be a number, got nan")
        if integer:
            if not float(v).is_integer():
                raise self.error(key, f"must be an integer, got {v!r}")
            return int(v)
        return v


def _parameter(name: str, entry: Any, source: Source) -> Parameter:
    path = ("parameters", name)
    if not _NAME.match(name) or name in FUNCTIONS or name in CONSTANTS:
        raise source.error(
            path,
            f"parameter name {name!r} must be an identifier (a letter, then "
            "letters, digits, _) that is not a function or constant name",
        )
    if isinstance(entry, (int, float)) and not isinstance(entry, bool):
        entry = {"default": entry}
    if not isinstance(entry, dict):
        raise source.error(
            path,
            f"must be a number or a table {{ default = ..., low = ..., "
            f"high = ... }}, got {entry!r}",
        )
    for key in entry:
        if key not in PARAMETER_KEYS:
            raise source.error(
                (*path, key), f"unknown key; a parameter takes: {', '.join(PARAMETER_KEYS)}"
            )
    if "default" not in entry:
        raise source.error(path, "missing key 'default'")
    kw: dict[str, Any] = {}
    for key in ("default", "low", "high"):
        if key in entry:
            v = entry[key]
            if isinstance(v, bool) or not isinstance(v, (int, float)) or v != v:
                raise source.error((*path, key), f"must be a number, got {v!r}")
            kw[key] = v
    for key in ("low_open", "high_open", "integer"):
        if key in entry:
            if not isinstance(entry[key], bool):
                raise source.error((*path, key), f"must be true or false, got {entry[key]!r}")
            kw[key] = entry[key]
    description = entry.get("description", f"parameter {name}")
    if not isinstance(description, str):
        raise source.error((*path, "description"), "must be a string")
    low, high = kw.get("low", -math.inf), kw.get("high", math.inf)
    if not low <= high:
        raise source.error((*path, "high"), f"high = {high} is below low = {low}")
    default = kw.pop("default")
    p = Parameter(
        name,
        default,
        description,
        low=low,
        high=high,
        **{k: v for k, v in kw.items() if k not in ("low", "high")},
    )
    try:
        p.validate(default)
    except ParameterError as exc:
        raise source.error((*path, "default"), str(exc)) from None
    return p


def make_spec(data: dict[str, Any], source: Source) -> Spec:
    """Check the keys common to every family and gather them in a :class:`Spec`."""
    if not isinstance(data, dict):
        raise SpecError("a spec is a table of keys", source=source.name)
    for key in data:
        if key not in TOP_KEYS:
            raise source.error((key,), "unknown key; a spec takes: " + ", ".join(TOP_KEYS))
    for key in ("name", "family", "model"):
        if key not in data:
            raise SpecError(f"missing key '{key}'", key, None, source.name)
    name = data["name"]
    if not isinstance(name, str) or not _MODEL_NAME.match(name):
        raise source.error(("name",), f"must be lower-case letters, digits and '-', got {name!r}")
    family = data["family"]
    from driftkit.theory.families import FAMILIES

    if family not in FAMILIES:
        raise source.error(
            ("family",), f"unknown family {family!r}; the families are: " + ", ".join(FAMILIES)
        )
    params = data.get("parameters", {})
    if not isinstance(params, dict):
        raise source.error(("parameters",), "must be a table of parameters")
    model = data["model"]
    if not isinstance(model, dict):
        raise source.error(("model",), "must be a table")
    parameters = tuple(_parameter(k, v, source) for k, v in params.items())
    for key in ("title", "summary"):
        if key in data and not isinstance(data[key], str):
            raise source.error((key,), "must be a string")
    title = data.get("title", name)
    summary = data.get("summary", f"A {family} model defined by the spec {source.name}.")
    return Spec(name, family, title, summary, parameters, model, data, source)


def spec_key(data: dict[str, Any]) -> str:
    """A hash of a spec's data (two equal specs give the same model class)."""
    text = json.dumps(data, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


# -- the model class every family's classes derive from -----------------------------------
class SpecModel(Model):
    """A model built from a spec. Its class carries the spec (``spec``, ``spec_data``).

    Instances pickle as (spec data, parameters), so they reach a Dask worker that has
    never seen the spec: unpickling builds (or finds) the class there.
    """

    family: ClassVar[str]
    spec: ClassVar[Spec]
    spec_data: ClassVar[dict[str, Any]]
    spec_source: ClassVar[str] = "spec"

    def __reduce__(self):
        return (_rebuild, (self.spec_data, self.spec_source, self.params))


def _rebuild(data: dict[str, Any], source: str, params: dict[str, Any]) -> Model:
    from driftkit.theory.families import load_data

    return load_data(data, source)(**params)
