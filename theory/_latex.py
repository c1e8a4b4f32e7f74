"""A model's formulas as a LaTeX ``align`` block that fits a printed page.

:func:`latex_block` is what ``driftkit theory MODEL --latex`` prints and what a
notebook shows (:meth:`Model._repr_latex_`). It shows each quantity's *general*
formula: where the formula has cases (a ``Piecewise``) every case is printed in
a ``cases`` environment, whatever the model's parameter values, with the model's
own display form for the case that applies to them.

Only the printing is arranged here, never the mathematics: a right-hand side
wider than the text block is broken into lines at its top-level ``+``/``-``
terms, and where there is no such sum, inside its widest factor (a parenthesis,
the numerator of a fraction, an exponent), recursively. Parentheses that span
lines use fixed-size delimiters (``\\biggl(``/``\\biggr)``), which may be split
across the rows of an ``align``; ``\\left``/``\\right`` may not. The block compiles
with pdflatex in a plain ``article`` with ``amsmath``.

The width of a piece of LaTeX is estimated in "em-like" units (about 5.5 pt at
10 pt type): letters count 1, operators with their spacing about 2, scripts 0.7
of their base size, a fraction the wider of its numerator and denominator.
"""

from __future__ import annotations

import itertools
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from driftkit.theory._base import Model, Quantity

__all__ = ["break_lines", "latex_block", "latex_rows", "latex_width"]

#: width budget of one line, in pt: the text block of a plain ``article`` at 10 pt
#: is 345 pt, less room for an equation number "(99)" and its separation; the
#: widest left-hand side of a block is taken off it.
LINE_WIDTH = 315.0
#: indentation of a continuation line (``\\quad``), in pt
_INDENT = 10.0
#: the brace of a ``cases`` environment and the space after it, in pt
_CASES_BRACE = 10.2
#: a left-hand side wider than this (pt) gets a line of its own
_WIDE_LHS = 70.0


# -- a small LaTeX scanner ----------------------------------------------------
def _group_end(s: str, i: int) -> int:
    """Index just past the brace group that opens at ``s[i] == '{'``."""
    depth = 0
    j = i
    while j < len(s):
        c = s[j]
        if c == "\\":
            j += 2
            continue
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                return j + 1
        j += 1
    raise ValueError(f"unbalanced braces in LaTeX: {s!r}")


def _command_end(s: str, i: int) -> int:
    """Index just past the control sequence that starts at ``s[i] == '\\'``."""
    j = i + 1
    if j < len(s) and s[j].isalpha():
        while j < len(s) and s[j].isalpha():
            j += 1
        return j
    return min(j + 1, len(s))


def _delimiter_end(s: str, i: int) -> int:
    """Index past a delimiter after ``\\left``/``\\right`` (``(``, ``\\{``, ``.``, ``\\|``)."""
    while i < len(s) and s[i] == " ":
        i += 1
    if s[i] == "\\":
        return _command_end(s, i)
    return i + 1


def _base_end(s: str, i: int) -> int:
    """Index past the base of the top-level atom at ``i`` (without its scripts): a
    command with its arguments, a group, a ``\\left..\\right`` pair or an environment."""
    c = s[i]
    if c == "{":
        return _group_end(s, i)
    if c != "\\":
        return i + 1
    j = _command_end(s, i)
    name = s[i:j]
    if name == r"\left":
        depth, k = 1, _delimiter_end(s, j)
        pattern = re.compile(r"\\(left|right)(?![a-zA-Z])")
        while depth:
            m = pattern.search(s, k)
            if m is None:
                raise ValueError(f"unbalanced \\left/\\right in LaTeX: {s!r}")
            depth += 1 if m.group(1) == "left" else -1
            k = m.end()
        return _delimiter_end(s, k)
    if name == r"\begin":
        env = s[j : _group_end(s, j)]
        depth, k = 1, _group_end(s, j)
        pattern = re.compile(r"\\(begin|end)" + re.escape(env))
        while depth:
            m = pattern.search(s, k)
            if m is None:
                raise ValueError(f"unbalanced environment {env} in LaTeX: {s!r}")
            depth += 1 if m.group(1) == "begin" else -1
            k = m.end()
        return k
    nargs = 2 if name == r"\frac" else 1 if name in _TEXTLIKE or name == r"\sqrt" else 0
    for _ in range(nargs):
        while j < len(s) and s[j] == " ":
            j += 1
        if j < len(s) and s[j] == "[":
            j = s.index("]", j) + 1
        if j < len(s) and s[j] == "{":
            j = _group_end(s, j)
    # a command applied to a brace group, e.g. \Phi{\left(x\right)}
    if nargs == 0 and j < len(s) and s[j] == "{" and name not in _BINARY:
        j = _group_end(s, j)
    return j


def _atom_end(s: str, i: int) -> int:
    """Index past the top-level atom at ``i``: its base and any following scripts."""
    j = _base_end(s, i)
    while j < len(s) and s[j] in "^_":
        j += 1
        while j < len(s) and s[j] == " ":
            j += 1
        j = _base_end(s, j) if j < len(s) else j
    return j


def _atoms(s: str) -> list[str]:
    """The top-level atoms of ``s`` (spaces dropped)."""
    out, i = [], 0
    while i < len(s):
        if s[i] == " ":
            i += 1
            continue
        j = _atom_end(s, i)
        out.append(s[i:j])
        i = j
    return out


def _is_binary_position(atoms: list[str], k: int) -> bool:
    """``atoms[k]`` is ``+``/``-`` used as a binary operator (a term precedes it)."""
    if k == 0 or atoms[k] not in ("+", "-") or atoms[k - 1] in _BIG_DELIMS:
        return False
    return _atom_class(atoms[k - 1]) not in (_BIN, _REL, _OPEN, _PUNCT, _OP)


# -- width ----------------------------------------------------------------------
# TeX's math styles: 0 display, 1 text, 2 script, 3 scriptscript; the font size of
# each relative to 10 pt (cmmi7/cmmi5 are drawn wider than a scaled cmmi10).
_SIZE = (1.0, 1.0, 0.84, 0.74)
_SCRIPT = (2, 2, 3, 3)  # the style of a super/subscript
_FRAC = (1, 2, 3, 3)  # the style of a fraction's numerator and denominator
# glyph widths in pt at 10 pt (Computer Modern; averages where a class is given)
_CHAR = {
    "lower": 5.3,
    "upper": 7.9,
    "digit": 5.0,
    "(": 3.9,
    ")": 3.9,
    "[": 2.8,
    "]": 2.8,
    "|": 2.8,
    "/": 5.0,
    ".": 2.8,
    ",": 2.8,
    ";": 2.8,
    ":": 2.8,
    "!": 2.8,
    "'": 2.8,
    "+": 7.8,
    "-": 7.8,
    "=": 7.8,
    "<": 7.8,
    ">": 7.8,
    "*": 5.0,
}
_ROMAN = 4.8  # average upright letter in \mathrm, \operatorname, \text
_COMMANDS = {
    r"\infty": 10.0,
    r"\cdot": 2.8,
    r"\le": 7.8,
    r"\ge": 7.8,
    r"\leq": 7.8,
    r"\geq": 7.8,
    r"\ne": 7.8,
    r"\neq": 7.8,
    r"\approx": 7.8,
    r"\sim": 7.8,
    r"\in": 6.7,
    r"\to": 10.0,
    r"\exists": 5.6,
    r"\forall": 5.6,
    r"\partial": 5.7,
    r"\ell": 4.2,
    r"\log": 12.8,
    r"\exp": 15.3,
    r"\max": 16.7,
    r"\min": 13.9,
    r"\sin": 11.9,
    r"\cos": 12.8,
    r"\sinh": 17.5,
    r"\cosh": 18.3,
    r"\tanh": 18.3,
    r"\lim": 11.1,
    r"\det": 14.7,
    r"\{": 5.0,
    r"\}": 5.0,
    r"\|": 5.0,
    r"\lbrace": 5.0,
    r"\rbrace": 5.0,
    r"\Delta": 8.3,
    r"\Phi": 7.2,
    r"\Gamma": 6.3,
    r"\Lambda": 6.9,
    r"\Omega": 7.2,
    r"\Sigma": 7.2,
    r"\Theta": 7.8,
    r"\Pi": 7.5,
    r"\Psi": 7.8,
}
_GREEK = 5.8  # a lower-case Greek letter
_SPACES = {
    r"\qquad": 20.0,
    r"\quad": 10.0,
    r"\ ": 3.3,
    r"\,": 1.7,
    r"\:": 2.2,
    r"\;": 2.8,
    r"\!": -1.7,
    "~": 3.3,
}
_ZERO = {
    r"\limits",
    r"\displaystyle",
    r"\textstyle",
    r"\notag",
    r"\nonumber",
    r"\mathclose",
    r"\mathopen",
}
_TEXTLIKE = {
    r"\operatorname",
    r"\mathrm",
    r"\text",
    r"\mathbf",
    r"\mathit",
    r"\mathcal",
    r"\mathsf",
    r"\mathtt",
}
_RELATIONS = {
    "=",
    "<",
    ">",
    ":",
    r"\le",
    r"\ge",
    r"\leq",
    r"\geq",
    r"\ne",
    r"\neq",
    r"\approx",
    r"\sim",
    r"\in",
    r"\to",
}
_BINARY = {"+", "-", r"\cdot", r"\pm", r"\times"}
_OPERATORS = {
    r"\log",
    r"\exp",
    r"\max",
    r"\min",
    r"\sin",
    r"\cos",
    r"\sinh",
    r"\cosh",
    r"\tanh",
    r"\lim",
    r"\det",
    r"\operatorname",
    r"\sum",
    r"\prod",
    r"\int",
}
_BIG = {r"\sum", r"\int", r"\prod"}
_BIG_DELIMS = {
    r"\bigl": 4.6,
    r"\bigr": 4.6,
    r"\Bigl": 5.9,
    r"\Bigr": 5.9,
    r"\biggl": 7.4,
    r"\biggr": 7.4,
    r"\Biggl": 8.1,
    r"\Biggr": 8.1,
}
# TeX's inter-atom spacing (The TeXbook, ch. 18): 1 thin, 2 medium, 3 thick; negative:
# only in display and text style
_ORD, _OP, _BIN, _REL, _OPEN, _CLOSE, _PUNCT, _INNER = range(8)
_SPACING = (
    (0, 1, -2, -3, 0, 0, 0, -1),
    (1, 1, 0, -3, 0, 0, 0, -1),
    (-2, -2, 0, 0, -2, 0, 0, -2),
    (-3, -3, 0, 0, -3, 0, 0, -3),
    (0, 0, 0, 0, 0, 0, 0, 0),
    (0, 1, -2, -3, 0, 0, 0, -1),
    (-1, -1, 0, -1, -1, -1, -1, -1),
    (-1, 1, -2, -3, -1, 0, -1, -1),
)
_SPACE_PT = (0.0, 1.67, 2.22, 2.78)


def latex_width(s: str, style: int = 0) -> float:
    """Estimated rendered width, in pt at 10 pt type, of a LaTeX math string.

    A small model of TeX's math layout: glyph widths of Computer Modern, the sizes
    of the four math styles (``style`` 0 display, 1 text, 2 script, 3 scriptscript),
    fractions (numerator and denominator one style smaller), scripts, ``\\left``/
    ``\\right`` delimiters and the inter-atom spacing of binary operators, relations
    and operators. Calibrated against pdflatex (``tests/test_latex.py`` measures it).
    """
    total, prev = 0.0, None
    atoms = _atoms(s)
    k = 0
    while k < len(atoms):
        atom = atoms[k]
        if atom in _SPACES:
            total += _SPACES[atom] * (_SIZE[style] if style > 1 else 1.0)
            k += 1
            continue
        if atom in _ZERO or atom in ("&", r"\\"):
            k += 1
            continue
        if atom in _BIG_DELIMS and k + 1 < len(atoms):  # \biggl( : a big delimiter
            cls = _OPEN if atom.endswith("l") else _CLOSE
            _, scripts = _split_scripts(atoms[k + 1])
            width = _BIG_DELIMS[atom] + _scripts_width(scripts, style)
            k += 2
        else:
            cls, width = _atom_class(atom), _atom_width(atom, style)
            k += 1
        if cls == _BIN and (prev in (None, _BIN, _OP, _REL, _OPEN, _PUNCT)):
            cls = _ORD  # a unary sign
        if prev is not None:
            sp_ = _SPACING[prev][cls]
            if sp_ > 0 or (sp_ < 0 and style < 2):
                total += _SPACE_PT[abs(sp_)]
        total += width
        prev = cls
    if prev == _BIN:
        total -= 0.0
    return total


def _atom_class(atom: str) -> int:
    base = atom[: _base_end(atom, 0)]
    if base in _BINARY:
        return _BIN
    if base in _RELATIONS:
        return _REL
    if base in ("(", "["):
        return _OPEN
    if base in (")", "]"):
        return _CLOSE
    if base in (",", ";"):
        return _PUNCT
    if base.startswith((r"\left", r"\frac", r"\begin")):
        return _INNER
    name = base[: _command_end(base, 0)] if base.startswith("\\") else base
    if name in _OPERATORS:
        return _OP
    return _ORD


def _split_scripts(atom: str) -> tuple[str, list[str]]:
    """``base^{a}_{b}`` -> (``base``, [``a``, ``b``])."""
    i = _base_end(atom, 0)
    base, scripts = atom[:i], []
    while i < len(atom):
        if atom[i] in "^_":
            i += 1
            while atom[i] == " ":
                i += 1
            j = _base_end(atom, i)
            scripts.append(atom[i:j])
            i = j
        else:
            i += 1
    return base, scripts


def _unbrace(s: str) -> str:
    s = s.strip()
    if s.startswith("{") and _group_end(s, 0) == len(s):
        return s[1:-1]
    return s


def _scripts_width(scripts: list[str], style: int) -> float:
    if not scripts:
        return 0.0
    return max(latex_width(_unbrace(x), _SCRIPT[style]) for x in scripts) + 0.5


def _atom_width(atom: str, style: int) -> float:
    base, scripts = _split_scripts(atom)
    name = base[: _command_end(base, 0)] if base.startswith("\\") else base
    if name in _BIG and style == 0 and any(True for _ in scripts):  # limits above/below
        lim = max(latex_width(_unbrace(x), 2) for x in scripts)
        return max(14.4, lim)
    return _base_width(base, style) + _scripts_width(scripts, style)


def _char_width(c: str) -> float:
    if c.islower():
        return _CHAR["lower"]
    if c.isupper():
        return _CHAR["upper"]
    if c.isdigit():
        return _CHAR["digit"]
    return _CHAR.get(c, 5.0)


def _base_width(base: str, style: int) -> float:
    size = _SIZE[style]
    if base.startswith("{"):
        return latex_width(base[1:-1], style)
    if not base.startswith("\\"):
        return _char_width(base) * size
    j = _command_end(base, 0)
    name, rest = base[:j], base[j:].strip()
    if name == r"\frac":
        k = _group_end(rest, 0)
        num, den = rest[1 : k - 1], rest[k:].strip()[1:-1]
        inner = _FRAC[style]
        return max(latex_width(num, inner), latex_width(den, inner)) + 2.4
    if name in _TEXTLIKE:
        text = re.sub(r"\\[a-zA-Z]+|[{}\\]", "", rest[1:-1])
        return _ROMAN * len(text) * size
    if name == r"\sqrt":
        return latex_width(rest[1:-1], style) + 8.3 * size
    if name == r"\left":
        inner = re.sub(r"^\\left\s*(\\[a-zA-Z]+|\\.|.)", "", base)
        inner = re.sub(r"\\right\s*(\\[a-zA-Z]+|\\.|.)$", "", inner)
        tall = r"\frac" in inner or r"\sum" in inner or r"\begin" in inner
        delim = (7.4 if tall and style == 0 else 5.9 if tall else 3.9) * size
        return latex_width(inner, style) + 2 * delim
    if name == r"\begin":
        env = rest[1 : rest.index("}")]
        body = re.sub(r"^\\begin\{[a-z*]+\}|\\end\{[a-z*]+\}$", "", base)
        rows = [
            [latex_width(c, 1) for c in _top_level_split(r, "&")]
            for r in _top_level_split(body, r"\\")
        ]
        cols = [max(r[i] for r in rows if len(r) > i) for i in range(max(map(len, rows)))]
        gap = 10.0 if env == "cases" else 12.0
        return sum(cols) + gap * (len(cols) - 1) + (10.2 if env == "cases" else 0.0)
    if name in _BIG:
        return (10.6 if name == r"\sum" else 8.3) * size
    if name in _BIG_DELIMS:
        return _BIG_DELIMS[name]
    if name in _COMMANDS:
        w = _COMMANDS[name] * size
    elif name in _SPACES:
        w = _SPACES[name]
    elif name in _ZERO:
        w = 0.0
    elif name[1:2].isupper():
        w = 7.5 * size
    else:
        w = _GREEK * size
    if rest.startswith("{"):  # a function applied to a group, e.g. \Phi{\left(x\right)}
        w += latex_width(rest[1:-1], style)
    return w


# -- breaking -------------------------------------------------------------------
#: a line is broken inside a factor only where at least this share of a
#: continuation line is left on it; otherwise the factor starts a new line
_MIN_ROOM = 0.35


def break_lines(
    s: str, width: float = LINE_WIDTH, first: float | None = None, style: int = 0
) -> list[str]:
    """Break a right-hand side into lines no wider than ``width`` pt where possible.

    ``first`` is the room on the first line (default ``width``); continuation lines
    get ``width`` less the indentation they are printed with. Joined with spaces, the
    lines are the same formula: breaks are made between top-level ``+``/``-`` terms,
    else inside the widest factor (its parenthesis, numerator or exponent, with
    ``\\biggl(``/``\\biggr)`` around the broken part), else between factors (marked
    with ``\\cdot``).
    """
    rest = width - _INDENT
    return _layout(s.strip(), width if first is None else first, rest, style)


def _layout(s: str, first: float, rest: float, style: int) -> list[str]:
    if latex_width(s, style) <= first:
        return [s]
    atoms = _atoms(s)
    cuts = [k for k in range(len(atoms)) if _is_binary_position(atoms, k)]
    if cuts:
        bounds = [0, *cuts, len(atoms)]
        terms = [" ".join(atoms[a:b]) for a, b in itertools.pairwise(bounds)]
        return _fill(terms, first, rest, "", style)
    factors = _factors(atoms)
    if len(factors) > 1:
        return _fill(factors, first, rest, r"\cdot ", style)
    return _open_factor(atoms, first, rest, style)


def _fill(pieces: list[str], first: float, rest: float, mark: str, style: int) -> list[str]:
    """Pack ``pieces`` greedily into lines; a piece too wide for a line is broken.

    ``mark`` starts a continuation line that breaks between two pieces (``\\cdot``
    between factors of a product; nothing before a ``+``/``-`` term)."""
    lines: list[str] = []
    cur = ""
    for piece in pieces:
        room = first if not lines else rest
        candidate = f"{cur} {piece}".strip()
        if latex_width(candidate, style) <= room:
            cur = candidate
            continue
        # a new line where the piece fits on one (right away, if the first line is
        # short: the caller has put an opening parenthesis there)
        fresh = f"{mark}{piece}" if cur else piece
        if (cur or room < rest) and latex_width(fresh, style) <= rest:
            lines.append(cur)
            cur = fresh
            continue
        # the piece does not fit on a line of its own: break it, starting here
        # if enough of this line is left, else on a new line
        left = room - latex_width(cur, style) - 3.0
        if (cur or room < rest) and left < _MIN_ROOM * rest:
            lines.append(cur)
            cur, left, piece = "", rest, fresh
        sub = _layout(piece, left, rest, style)
        if cur:
            sub[0] = f"{cur} {sub[0]}".strip()
        lines.extend(sub[:-1])
        cur = sub[-1]
    lines.append(cur)
    return lines


def _open_factor(atoms: list[str], first: float, rest: float, style: int) -> list[str]:
    """Break one factor (an atom, or a big operator with its operand) inside its
    widest atom: ``prefix head`` then the broken inner part, then ``tail suffix``."""
    k = max(range(len(atoms)), key=lambda i: _atom_width(atoms[i], style))
    opened = _open_up(atoms[k])
    if opened is None:
        return [" ".join(atoms)]
    head, inner, tail = opened
    lead = " ".join([*atoms[:k], head]).strip()
    end = " ".join([tail, *atoms[k + 1 :]]).strip()
    left = first - latex_width(lead, style) - 3.0
    inner_lines = _layout(inner, left, rest, style)
    if len(inner_lines) == 1:  # it fits, but not with what follows it: break earlier
        inner_lines = _layout(inner, left - latex_width(end, style) - 3.0, rest, style)
    if len(inner_lines) == 1:
        return [" ".join(atoms)]
    lines = [f"{lead} {inner_lines[0]}".strip(), *inner_lines[1:]]
    if latex_width(f"{lines[-1]} {end}", style) <= rest:
        lines[-1] = f"{lines[-1]} {end}"
    else:
        lines.append(end)
    return lines


def _factors(atoms: list[str]) -> list[str]:
    """Group atoms into factors a line may break between: a big operator or a
    function name stays with its operand, a differential (``\\, d w``) with what
    precedes it, a sign with what follows it."""
    out: list[str] = []
    glue_next = False
    for k, a in enumerate(atoms):
        differential = a == r"\," or (a == "d" and k > 0 and atoms[k - 1] == r"\,")
        differential = differential or (k > 1 and atoms[k - 1] == "d" and atoms[k - 2] == r"\,")
        glue = glue_next or differential or a in _SPACES or a in _ZERO
        glue = glue or _atom_class(a) in (_CLOSE, _PUNCT, _BIN, _REL)
        if out and glue:
            out[-1] += " " + a
        else:
            out.append(a)
        cls = _atom_class(a)
        glue_next = cls in (_OP, _OPEN, _BIN, _REL) or a in _BIG_DELIMS or a in ("-", "+")
    return out


def _open_up(atom: str) -> tuple[str, str, str] | None:
    """Rewrite a wide atom as (head, inner, tail) with ``head inner tail`` equal to it
    and ``inner`` breakable: a parenthesis, a fraction's numerator, an exponent."""
    base, scripts = _split_scripts(atom)
    script_text = atom[len(base) :]
    if base.startswith(r"\left(") or base.startswith(r"\left["):
        opener = base[5]
        closer = ")" if opener == "(" else "]"
        inner = re.sub(r"^\\left\s*.", "", base)
        inner = re.sub(r"\\right\s*.$", "", inner)
        return rf"\biggl{opener}", inner, rf"\biggr{closer}{script_text}"
    if base.startswith(r"\frac") and not scripts:
        rest = base[5:].strip()
        k = _group_end(rest, 0)
        num, den = rest[1 : k - 1], rest[k:].strip()[1:-1]
        if latex_width(num) >= latex_width(den):
            return rf"\frac{{1}}{{{den}}}\biggl(", num, r"\biggr)"
        return rf"\biggl({num}\biggr)\biggl/\biggl(", den, r"\biggr)"
    if base == "e" and len(scripts) == 1 and atom.startswith("e^"):
        return r"\exp\biggl(", _unbrace(scripts[0]), r"\biggr)"
    if base.startswith("{") and not scripts:
        return "", base[1:-1], ""
    if base.startswith(r"\sqrt{") and not scripts:
        return r"\biggl(", base[6:-1], r"\biggr)^{1/2}"
    if base.startswith("\\") and base.endswith("}") and not scripts:
        j = _command_end(base, 0)
        inner = base[j + 1 : -1].strip()
        if base[:j] not in _TEXTLIKE and base[j] == "{" and inner.startswith(r"\left("):
            return base[:j], inner, ""
    return None


# -- the block -------------------------------------------------------------------
def _top_level_split(s: str, sep: str) -> list[str]:
    """Split ``s`` at occurrences of ``sep`` outside braces and environments."""
    parts, depth, start, i = [], 0, 0, 0
    while i < len(s):
        if s.startswith(r"\begin", i) or s.startswith(r"\left", i):
            depth += 1
        elif s.startswith(r"\end", i) or s.startswith(r"\right", i):
            depth -= 1
        c = s[i]
        if c == "\\" and not s.startswith(sep, i):
            i = _command_end(s, i)
            continue
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
        elif depth == 0 and s.startswith(sep, i):
            parts.append(s[start:i])
            i += len(sep)
            start = i
            continue
        i += 1
    parts.append(s[start:])
    return parts


def _relation_and_rhs(display: str, symbol: str) -> tuple[str, str]:
    """Split the model's ``symbol REL rhs`` into (``REL``, ``rhs``)."""
    if not display.startswith(symbol):
        raise ValueError(f"LaTeX {display!r} does not start with its symbol {symbol!r}")
    rest = display[len(symbol) :].lstrip()
    m = re.match(r"(=|\\approx|\\le|\\ge|\\sim)(?![a-zA-Z])\s*", rest)
    if m is None:
        raise ValueError(f"no relation after the symbol {symbol!r} in {display!r}")
    return m.group(1), rest[m.end() :]


def _condition(cond: object) -> str:
    import sympy as sp

    if cond is sp.true or cond is True:
        return r"\text{otherwise}"
    return r"\text{if } " + sp.latex(cond)


def _flat_cases(general: object) -> list:
    """The ``(expr, cond)`` pairs of a Piecewise, nested Piecewise flattened into
    one level (``Piecewise((Piecewise((a, c1), (b, True)), c0), (d, True))`` gives
    ``(a, c0 & c1), (b, c0), (d, True)``; the conditions of earlier cases are implied
    by the order, as in ``cases``)."""
    import sympy as sp

    out = []
    for expr, cond in general.args:
        if isinstance(expr, sp.Piecewise):
            for e, c in _flat_cases(expr):
                out.append((e, sp.And(cond, c) if c is not sp.true else cond))
        else:
            out.append((expr, cond))
    return out


def _common_subexpressions(pairs: list) -> tuple[list, list[str]]:
    """``(expr, cond)`` pairs with common sub-expressions named ``\\xi_k``, and their
    definitions ``\\xi_k = ...`` (sympy's ``cse``; the same expressions, substituted)."""
    import sympy as sp

    items = [e for e, _ in pairs] + [c for _, c in pairs if c is not sp.true]
    repl, reduced = sp.cse(items, symbols=sp.numbered_symbols("xi_", start=1))
    small: dict = {}
    kept: list = []
    for sym, val in repl:  # a short sub-expression is clearer written out
        val = val.subs(small)
        if latex_width(sp.latex(val)) < 55.0:
            small[sym] = val
        else:
            kept.append((sym, val))
    repl = kept
    reduced = [r.subs(small) for r in reduced]
    names = {a: sp.Symbol(f"xi_{k + 1}") for k, (a, _) in enumerate(repl)}
    repl = [(names[a], b.subs(names)) for a, b in repl]
    reduced = [r.subs(names) for r in reduced]
    exprs, conds = reduced[: len(pairs)], iter(reduced[len(pairs) :])
    out = [(e, c if c is sp.true else next(conds)) for e, (_, c) in zip(exprs, pairs, strict=True)]
    return out, [f"{sp.latex(sym)} = {sp.latex(val)}" for sym, val in repl]


def latex_rows(
    model: Model, q: Quantity, notag: bool = True, width: float = LINE_WIDTH
) -> list[str]:
    """The ``align`` rows of one quantity: ``symbol &= ...`` and its continuation lines.

    ``width`` is the budget of a right-hand side (the page less the widest left side).
    """
    import sympy as sp

    rel, rhs = _relation_and_rhs(model.latex(q.name), q.symbol)
    main, *notes = _top_level_split(rhs, r"\qquad")
    main = main.strip().rstrip(",").strip()
    general = model.general_expression(q.name)
    if not isinstance(general, sp.Piecewise) and general.has(sp.Piecewise):
        general = sp.piecewise_fold(general)  # cases inside a formula: the formula by case
    branches: list[tuple[str, str]] = []
    if isinstance(general, sp.Piecewise):
        # every case, the applicable one in the model's own display form
        case = model.expression(q.name)
        branches = [
            (main if e == case else sp.latex(e), _condition(c)) for e, c in _flat_cases(general)
        ]
    tag = r" \notag" if notag else ""
    if isinstance(general, sp.Piecewise) and branches:
        pairs = _flat_cases(general)
        if sum(latex_width(e, 1) + latex_width(c, 1) for e, c in branches) > 3 * width:
            # repeated sub-expressions (e.g. an optimal exponent) get a name, once
            pairs, defs = _common_subexpressions(pairs)
            branches = [(sp.latex(e), _condition(c)) for e, c in pairs]
            notes = [r",\ ".join(defs), *notes]
    if branches:
        # a cases environment is in text style: a brace, the widest expression,
        # \quad, the widest condition
        cond_w = max(latex_width(c, 1) for _, c in branches)
        budget = width - _CASES_BRACE - 10.0 - cond_w
        body = []
        for expr, cond in branches:
            lines = break_lines(expr, budget, style=1)
            body += [lines[0], *(rf"\quad {line}" for line in lines[1:])]
            body[-1] += " & " + cond
        inner = " \\\\\n    ".join(body)
        rows = [f"  {q.symbol} &{rel} \\begin{{cases}}\n    {inner}\n  \\end{{cases}}"]
    else:
        lines = break_lines(main, width)
        rows = [f"  {q.symbol} &{rel} {lines[0]}"]
        rows += [f"  &\\quad {line}{tag}" for line in lines[1:]]
    note_w = width - 20.0  # a side note is indented by \qquad
    for note in notes:
        note = note.strip().lstrip(",").strip()
        if not note:
            continue
        items = [x.strip() for x in re.split(r",\s*\\ ", note) if x.strip()]
        current = ""
        for item in items:
            if current and latex_width(current + r",\ " + item) <= note_w:
                current += r",\ " + item
                continue
            if current:
                rows.append(f"  &\\qquad {current}{tag}")
            current = item
        if current:
            if latex_width(current) > note_w and "=" in current:
                lhs, _, rest = current.partition("=")
                first = note_w - latex_width(lhs + "=") - 3.0
                pieces = break_lines(rest, note_w, first=first)
                rows.append(f"  &\\qquad {lhs}= {pieces[0]}{tag}")
                rows += [f"  &\\qquad\\quad {p}{tag}" for p in pieces[1:]]
            else:
                rows.append(f"  &\\qquad {current}{tag}")
    return rows


def latex_block(model: Model, env: str = "align") -> str:
    """All the model's formulas as one ``align`` (or ``aligned``) block.

    Each quantity gets one numbered row ``symbol &= formula``; its continuation
    lines, cases and side definitions (``n = x_0 - lo``...) follow unnumbered.
    """

    def lhs_width(q: Quantity) -> float:
        return latex_width(q.symbol + " = x") - latex_width("x")

    # a wide left-hand side (a bound's probability statement) does not set the
    # column: its formula starts on a line of its own instead
    narrow = [lhs_width(q) for q in model.quantities if lhs_width(q) <= _WIDE_LHS]
    width = LINE_WIDTH - max(narrow, default=0.0)
    rows: list[str] = []
    tag = r" \notag" if env == "align" else ""
    for q in model.quantities:
        if lhs_width(q) <= _WIDE_LHS:
            rows.extend(latex_rows(model, q, notag=env == "align", width=width))
            continue
        own = latex_rows(model, q, notag=env == "align", width=width)
        rest = own[0].partition(" &")[2].strip()
        rows.append(f"  & {q.symbol}")
        rows.append(f"  &{rest}{tag}")
        rows.extend(own[1:])
    return f"\\begin{{{env}}}\n" + " \\\\\n".join(rows) + f"\n\\end{{{env}}}"
