"""How to cite driftkit, and the sources of a model's formulas.

``driftkit cite [MODEL ...]`` prints this; ``write_report`` writes the same
entries to ``references.bib``.
"""

from __future__ import annotations

from collections.abc import Iterable

from driftkit.montecarlo.app.catalog import model_info, model_references
from driftkit.theory import Model, Reference, __version__, model_names

__all__ = ["DRIFTKIT_REFERENCE", "bibtex", "citation_text", "references_for"]

DRIFTKIT_REFERENCE = Reference(
    "driftkit",
    f"The driftkit developers, driftkit: the mathematics of drift under selection, "
    f"version {__version__} (2026), software, MIT license.",
    "@software{driftkit,\n  author = {{The driftkit developers}},\n"
    "  title = {driftkit: the mathematics of drift under selection},\n"
    f"  version = {{{__version__}}},\n  year = {{2026}},\n"
    "  url = {https://github.com/driftkit/driftkit},\n  license = {MIT}\n}",
)

#: the question the models are for (cited by the report and `driftkit cite`)
ALIGNMENT_DRIFT_REFERENCE = Reference(
    "clymer2025drift",
    "J. Clymer, A. Westover and A. Khandelwal, Will AI systems drift into misalignment?, "
    "Redwood Research blog / Alignment Forum (2025).",
    "@misc{clymer2025drift,\n  author = {Clymer, Joshua and Westover, Alek and "
    "Khandelwal, Anshul},\n  title = {Will {AI} systems drift into misalignment?},\n"
    "  howpublished = {Redwood Research blog and Alignment Forum},\n  year = {2025},\n"
    "  url = {https://www.alignmentforum.org/posts/u8TYRhGPD878i3qkc/"
    "will-ai-systems-drift-into-misalignment}\n}",
)


def references_for(models: Iterable[Model | type[Model] | str]) -> list[Reference]:
    """driftkit, the motivating post, then each model's sources, each key once, in order.

    A model given by name is looked up in the catalog (no model module is imported).
    """
    seen: dict[str, Reference] = {}
    for ref in (DRIFTKIT_REFERENCE, ALIGNMENT_DRIFT_REFERENCE):
        seen[ref.key] = ref
    for m in models:
        if isinstance(m, str):
            refs = model_references(m)
        else:
            refs = (m if isinstance(m, type) else type(m)).references
        for ref in refs:
            seen.setdefault(ref.key, ref)
    return list(seen.values())


def bibtex(refs: Iterable[Reference]) -> str:
    """The entries as one ``.bib`` file."""
    return "\n\n".join(r.bibtex.strip() for r in refs) + "\n"


def citation_text(names: list[str] | None = None) -> str:
    """What ``driftkit cite`` prints: how to cite driftkit, then the models' sources."""
    names = list(names or [])
    lines = [
        "If you use driftkit in published work, please cite it and the sources of the",
        "formulas you use (CITATION.cff has the same information):",
        "",
        f"  {DRIFTKIT_REFERENCE.text}",
        "",
        DRIFTKIT_REFERENCE.bibtex,
    ]
    for name in names or model_names():
        info = model_info(name)
        lines += ["", f"{name} ({info['title']}):"]
        lines += [f"  - {r.text}" for r in model_references(name)] or ["  (no external source)"]
    if names:
        lines += ["", "BibTeX:", "", bibtex(references_for(names)).rstrip()]
    return "\n".join(lines)
