"""`driftkit theory MODEL --latex`: every model's block compiles and fits the page.

The structure is checked everywhere; with ``pdflatex`` on PATH each block is also
compiled in a plain ``article`` with ``amsmath`` and the log must show no
``Overfull \\hbox`` (a line wider than the text block).
"""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
from driftkit.theory import get_model, model_names
from driftkit.theory._latex import latex_width

#: parameter sets besides the defaults: the cases whose formula differs
#: (x0 > m for the OU escape probability, p = q, mu = 0, a one-sided barrier, r = 1)
EXTRA = {
    "ornstein-uhlenbeck": {"x0": 1.5, "hi": 2.0},
    "gamblers-ruin": {"p": 0.5, "q": 0.5},
    "brownian-drift": {"lo": float("-inf")},
    "moran": {"r": 1.0},
}
CASES = [(n, {}) for n in model_names()] + list(EXTRA.items())
PREAMBLE = "\\documentclass{article}\n\\usepackage{amsmath}\n\\begin{document}\n"


def _check_structure(block: str) -> None:
    assert block.startswith("\\begin{align}") and block.endswith("\\end{align}")
    assert block.count("{") == block.count("}"), "unbalanced braces"
    for env in ("align", "cases"):
        assert block.count(f"\\begin{{{env}}}") == block.count(f"\\end{{{env}}}"), env
    assert len(re.findall(r"\\left(?![a-zA-Z])", block)) == len(
        re.findall(r"\\right(?![a-zA-Z])", block)
    )
    # no alignment tab inside a brace group (the belief-evolution bug: |_{\beta &= 0})
    depth = 0
    for i, c in enumerate(block):
        if c == "{" and block[i - 1] != "\\":
            depth += 1
        elif c == "}" and block[i - 1] != "\\":
            depth -= 1
        elif c == "&" and block[i - 1] != "\\":
            assert depth == 0 or block.rfind("\\begin{cases}", 0, i) > block.rfind(
                "\\end{cases}", 0, i
            ), f"& inside a group at {block[max(0, i - 40) : i + 10]!r}"


@pytest.mark.parametrize(("name", "params"), CASES, ids=[f"{n}{p}" for n, p in CASES])
def test_latex_block(name, params, tmp_path):
    model = get_model(name)(**params)
    block = model.latex_block()
    _check_structure(block)
    # the general formula whatever the parameters: one numbered row per quantity, and
    # every case of a Piecewise shown (OU at its defaults used to print "P(...) = 0")
    assert block.count("&=") + block.count("&\\approx") == len(model.quantities)
    import sympy as sp

    for q in model.quantities:
        g = model.general_expression(q.name)
        if isinstance(g, sp.Piecewise):
            assert block.count("\\text{otherwise}") >= 1
    # the printing does not touch the mathematics
    assert model.expression(model.quantities[0].name) == get_model(name)(**params).expression(
        model.quantities[0].name
    )
    # every line of math is of bounded estimated width (a generous multiple of the page)
    for line in block.splitlines()[1:-1]:
        if "\\begin{" in line or "\\end{" in line:
            continue
        assert latex_width(line.replace("&", "").replace("\\\\", "")) < 120, line[:80]
    if shutil.which("pdflatex") is None:
        pytest.skip("pdflatex not on PATH: structure checked, compilation skipped")
    (tmp_path / "doc.tex").write_text(PREAMBLE + block + "\n\\end{document}\n")
    run = subprocess.run(
        ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "doc.tex"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    log = (tmp_path / "doc.log").read_text(errors="replace")
    assert run.returncode == 0, log[-2000:]
    overfull = re.findall(r"Overfull \\hbox \(([0-9.]+)pt too wide\)", log)
    assert not overfull, f"lines wider than the page by {overfull} pt"


def test_repr_latex_uses_the_block():
    model = get_model("ornstein-uhlenbeck")()
    html = model._repr_latex_()
    assert html.startswith("$$\\begin{aligned}") and html.endswith("\\end{aligned}$$")
    assert "\\notag" not in html and "\\begin{cases}" in html
