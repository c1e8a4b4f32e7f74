"""Validation reports: Markdown, JSON and plots in one folder."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from driftkit.montecarlo.app.cite import bibtex, references_for
from driftkit.montecarlo.app.jsonout import json_safe
from driftkit.montecarlo.engine.provenance import provenance
from driftkit.montecarlo.engine.validation import ValidationResult, comparison_table
from driftkit.montecarlo.engine.validation import format_number as _num
from tqdm import tqdm

__all__ = ["json_safe", "write_report"]


def _overall(data: dict) -> str:
    """The report's one-line verdict: disagreement, or how many agree and are inconclusive."""
    if not data["ok"]:
        return "DISAGREEMENT FOUND"
    counts = data.get("verdicts", {})
    if counts.get("inconclusive"):
        return f"no disagreement; {counts['agree']} agree, {counts['inconclusive']} inconclusive"
    return "all quantities agree"


def _verdict_word(verdict: str) -> str:
    """A verdict for the summary table: disagree in bold, inconclusive spelled out."""
    return "**disagree**" if verdict == "disagree" else verdict


def theory_only_table(v: ValidationResult) -> list[str]:
    """The quantities the simulation does not check (bounds, asymptotics, ...), with their
    values; empty when every quantity was compared."""
    m = v.model
    rows = []
    for q in m.quantities:
        if q.name in v.comparisons:
            continue
        try:
            value = _num(m.value(q.name))
        except (ValueError, ArithmeticError) as exc:  # undefined at these parameters
            value = f"undefined ({' '.join(str(exc).split())[:80]})"
        meaning = q.description.replace("|", r"\|")
        rows.append(f"| `{q.name}` | {q.kind} | {value} | {meaning} |")
    if not rows:
        return []
    return [
        "Theory only (not simulated; a bound is a rigorous inequality, not an estimate):",
        "",
        "| quantity | kind | value | meaning |",
        "|---|---|---:|---|",
        *rows,
        "",
    ]


def results_object(results: list[ValidationResult], command: list[str] | None = None) -> dict:
    """The JSON object of a multi-model validation."""
    return {
        "ok": all(v.ok for v in results),
        "verdicts": {
            k: sum(v.verdicts[k] for v in results) for k in ("agree", "disagree", "inconclusive")
        },
        "models": {v.model.name: v.to_dict() for v in results},
        "provenance": provenance(command),
    }


def write_report(
    results: list[ValidationResult],
    out_dir: str | Path,
    *,
    plots: bool = True,
    plot_points: int = 0,
    plot_paths: int | None = None,
    threads: int | None = None,
    command: list[str] | None = None,
    progress: bool = False,
) -> Path:
    """Write a validation report into ``out_dir``.

    ``index.md`` (a summary table, then per model: its table of theory, estimate,
    interval and verdict, its plot and its derivation), ``results.json`` (every
    number, with provenance), ``references.bib`` (driftkit and the sources of the
    formulas) and per model a plot as PNG and PDF: the theory as a curve against the
    model's curve parameter, and the validation's own run as a point with its
    interval (the report is a pure consumer of the results: nothing is simulated
    again). ``plot_points`` > 0 adds that many independent simulations along the
    curve (``plot_paths`` paths each, default 20,000 or the model's default paths if
    fewer, on ``threads`` threads). Returns the path of ``index.md``. Without
    matplotlib the plots are skipped with a warning on stderr. ``progress`` shows a
    bar over the plots.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    data = results_object(results, command)
    (out / "results.json").write_text(json.dumps(json_safe(data), indent=2) + "\n")
    refs = references_for(v.model for v in results)
    (out / "references.bib").write_text(bibtex(refs))

    plotted: dict[str, str] = {}
    if plots:
        try:
            from driftkit.montecarlo.app.plots import plot_curve

            todo = [v for v in results if v.model.curve_parameter is not None]
            for v in tqdm(
                todo, desc="plots", unit="model", disable=not progress, file=sys.stderr, leave=False
            ):
                fig = plot_curve(
                    v.model,
                    simulations=[v.simulation],
                    points=plot_points,
                    paths=plot_paths,
                    rng=v.simulation.seed,
                    threads=threads,
                )
                name = f"{v.model.name}.png"
                fig.savefig(out / name, dpi=150)
                # the PNG's draw fixed the layout: the PDF reuses it instead of solving the
                # constrained layout again (about a third of the PDF's time)
                fig.set_layout_engine("none")
                fig.savefig(out / f"{v.model.name}.pdf")
                plotted[v.model.name] = name
                import matplotlib.pyplot as plt

                plt.close(fig)
        except ImportError as exc:
            print(f"driftkit: warning: {exc}; report written without plots", file=sys.stderr)

    prov = data["provenance"]
    lines = [
        "# driftkit validation report",
        "",
        f"Overall: **{_overall(data)}**. "
        "Each interval is at the Bonferroni-corrected level over the quantities of its "
        "model; `agree` means the closed form lies inside it (widened by a stated allowance "
        "for an approximation), `inconclusive` that it does but the allowance is over 3 "
        "half-widths of the interval, so agreement says nothing.",
        "",
        f"driftkit {prov['driftkit']} · numpy {prov['numpy']} · numba {prov['numba']} · "
        f"sympy {prov['sympy']} · {prov['time']} · `{prov['command']}`",
        "",
        "Cite driftkit and the sources of the formulas: [references.bib](references.bib).",
        "",
        "## All quantities",
        "",
        "| model | quantity | kind | theory | estimate | interval | verdict |",
        "|---|---|---|---:|---:|---|:---:|",
    ]
    inconclusive = []
    for v in results:
        for c in v.comparisons.values():
            e = c.estimate
            tol = f" ± {_num(c.tolerance)}" if c.tolerance else ""
            lines.append(
                f"| [{v.model.name}](#{v.model.name}) | `{c.name}` | {c.kind} | {_num(c.theory)} | "
                f"{_num(e.estimate)} | [{_num(e.ci_low)}, {_num(e.ci_high)}]{tol} | "
                f"{_verdict_word(c.verdict)} |"
            )
            if c.verdict == "inconclusive":
                inconclusive.append(f"- {v.model.name} `{c.name}`: {c.reason()}")
    if inconclusive:
        lines += [
            "",
            f"{len(inconclusive)} inconclusive (theory inside the interval widened by an "
            "allowance over 3 half-widths of the interval, so agreement says nothing):",
            "",
            *inconclusive,
        ]
    lines += [
        "",
        "## Runs",
        "",
        "| model | ok | paths | censored | steps | elapsed (s) | steps/s | seed |",
        "|---|:---:|---:|---:|---:|---:|---:|---:|",
    ]
    for v in results:
        s = v.simulation
        lines.append(
            f"| [{v.model.name}](#{v.model.name}) | {'yes' if v.ok else '**NO**'} | "
            f"{s.paths:,} | {s.censored:,} | {s.steps:,} | {s.elapsed_s:.3f} | "
            f"{s.steps_per_second:.3g} | {s.seed} |"
        )
    for v in results:
        m = v.model
        lines += [
            "",
            f'<a id="{m.name}"></a>',
            "",
            f"## {m.name}: {m.title}",
            "",
            m.summary,
            "",
            "Parameters: " + ", ".join(f"`{k}={val}`" for k, val in m.params.items()),
            "",
            f"Family level {v.level:.3%}, per quantity {v.comparison_level:.4%}.",
            "",
            *comparison_table(v),
            "",
            *theory_only_table(v),
        ]
        if m.name in plotted:
            lines += [
                f"![{m.name}: theory (line) and the validation run (point with its "
                f"interval)]({plotted[m.name]})",
                "",
                f"Plot also as [PDF]({m.name}.pdf) for print.",
                "",
            ]
        lines += [m.derivation(), ""]
        if m.references:
            keys = ", ".join(f"`{r.key}`" for r in m.references)
            lines += [f"Sources (BibTeX keys in [references.bib](references.bib)): {keys}.", ""]
    index = out / "index.md"
    index.write_text("\n".join(lines))
    return index


def model_page(
    v: ValidationResult,
    image: str | list[str] | None,
    captions: list[str] | None = None,
    plot_paths: int = 20_000,
) -> str:
    """A documentation page for one model: statement, parameters, derivation, validation.

    ``image`` is one plot or several (e.g. one per variant, with ``captions``).
    """
    m = v.model
    cls = type(m)
    formulas = [f"$$ {m.latex(q.name)} $$" for q in cls.quantities]
    params = ["| parameter | default | allowed | meaning |", "|---|---:|---|---|"]
    for p in cls.parameters:
        params.append(f"| `{p.name}` | {p.default} | {p.range_text()} | {p.description} |")
    quantities = ["| quantity | kind | meaning |", "|---|---|---|"]
    for q in cls.quantities:
        quantities.append(f"| `{q.name}` | {q.kind} | {q.description} |")
    s = v.simulation
    lines = [
        f"# {m.name}: {m.title}",
        "",
        m.summary,
        "",
        "## Formulas",
        "",
        "At the default parameters (the other cases are in the derivation below):",
        "",
        *formulas,
        "",
        "## Parameters",
        "",
        *params,
        "",
        "Cross-parameter constraints are checked too; a violation names the parameter "
        "and the allowed range (CLI exit code 2).",
        "",
        "## Quantities",
        "",
        *quantities,
        "",
        m.derivation(),
        "",
        "## Validation",
        "",
        f"`driftkit validate {m.name} --paths {s.paths} --seed {s.seed}` at the defaults: "
        f"{s.steps:,} steps, {s.censored} censored paths; intervals at "
        f"{v.comparison_level:.4%} each ({v.level:.1%} family-wise, Bonferroni).",
        "",
        *comparison_table(v),
        "",
    ]
    images = [image] if isinstance(image, str) else list(image or [])
    for img, caption in zip(images, captions or [None] * len(images), strict=True):
        lines += [
            f"![{m.name}: theory (line) and simulation (points with 99.9% intervals)]({img})",
            "",
            caption
            or "Theory as a line, simulation as points with 99.9% interval bars "
            f"({plot_paths:,} paths per point).",
            "",
        ]
    refs = [f"- {r.text}" for r in cls.references]
    if refs:
        lines += ["## Sources", "", *refs, ""]
    lines += [
        "*This page is generated by `python docs/generate.py` from the model itself; "
        "edit the model, not the page.*",
        "",
    ]
    return "\n".join(lines)
