"""The catalog of the built-in models: what ``driftkit models`` and ``cite`` print.

Importing a model's module imports sympy (and its simulator numba), about a second
before anything is printed. The metadata those two commands need (title, summary,
parameters, quantities, default paths, references) is therefore stored in
``catalog.json`` beside this module, generated from the classes::

    python -m driftkit.montecarlo.app.catalog --write

(``tests/test_startup.py`` fails, naming this command, when the file is stale.) A
model registered at run time, or a built-in name a user re-registered, is read from
its class instead.
"""

from __future__ import annotations

import argparse
import functools
import json
import sys
from pathlib import Path
from typing import Any

from driftkit.theory import _registry
from driftkit.theory._base import Reference

__all__ = [
    "CATALOG_PATH",
    "REGENERATE",
    "build_catalog",
    "catalog_text",
    "load_catalog",
    "main",
    "model_info",
    "model_references",
]

#: the generated file (package data of ``driftkit.montecarlo.app``)
CATALOG_PATH = Path(__file__).with_name("catalog.json")
#: the command that regenerates it
REGENERATE = "python -m driftkit.montecarlo.app.catalog --write"


def _class_info(name: str) -> dict[str, Any]:
    """The catalog entry of ``name`` from its model class (and its simulator, if any)."""
    cls = _registry.get_model(name)
    try:
        from driftkit.montecarlo.engine.core import get_simulator

        default_paths: int | None = get_simulator(name).default_paths
    except ValueError:  # a model without a simulator: theory only
        default_paths = None
    return {
        "title": cls.title,
        "summary": cls.summary,
        "params": {
            p.name: {"default": p.default, "range": p.range_text(), "description": p.description}
            for p in cls.parameters
        },
        "quantities": {
            q.name: {"kind": q.kind, "description": q.description} for q in cls.quantities
        },
        "default_paths": default_paths,
        "references": [{"key": r.key, "text": r.text, "bibtex": r.bibtex} for r in cls.references],
    }


def build_catalog() -> dict[str, Any]:
    """The catalog of every built-in model, from the classes (imports all of them)."""
    return {
        "generated_by": REGENERATE,
        "models": {name: _class_info(name) for name in sorted(_registry.BUILTIN_MODELS)},
    }


def catalog_text(catalog: dict[str, Any]) -> str:
    """``catalog.json``'s exact text (models by name, fields in class order, two-space indent)."""
    return json.dumps(catalog, indent=2, ensure_ascii=False) + "\n"


@functools.cache
def load_catalog() -> dict[str, dict[str, Any]]:
    """The stored entries, model name -> entry ({} when the file is missing or unreadable)."""
    try:
        return json.loads(CATALOG_PATH.read_text(encoding="utf-8"))["models"]
    except (OSError, ValueError, KeyError, TypeError):
        return {}


def _from_catalog(name: str) -> bool:
    """Whether ``name``'s entry may be read from the catalog: a built-in model whose class,
    if already loaded, is the built-in one (not a user's model registered under its name)."""
    if name not in _registry.BUILTIN_MODELS or name not in load_catalog():
        return False
    cls = _registry._MODELS.get(name)
    return cls is None or cls.__module__ == f"driftkit.theory.{_registry.BUILTIN_MODELS[name]}"


def model_info(name: str) -> dict[str, Any]:
    """``driftkit models``'s entry of ``name``: title, summary, params, quantities,
    default_paths (``None`` for a model without a simulator) and references.

    Raises :class:`ValueError` naming the known models for an unknown ``name``.
    """
    if _from_catalog(name):
        return load_catalog()[name]
    return _class_info(name)  # get_model raises the one-line error for unknown names


def model_references(name: str) -> tuple[Reference, ...]:
    """The sources of ``name``'s formulas (from the catalog where possible)."""
    return tuple(Reference(**r) for r in model_info(name)["references"])


def main(argv: list[str] | None = None) -> int:
    """``--write`` regenerates ``catalog.json``; ``--check`` exits 1 when it is stale."""
    parser = argparse.ArgumentParser(prog="python -m driftkit.montecarlo.app.catalog")
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--write", action="store_true", help="regenerate catalog.json")
    group.add_argument("--check", action="store_true", help="exit 1 if catalog.json is stale")
    args = parser.parse_args(argv)
    text = catalog_text(build_catalog())
    if args.write:
        CATALOG_PATH.write_text(text, encoding="utf-8")
        print(f"wrote {CATALOG_PATH}")
        return 0
    try:
        current = CATALOG_PATH.read_text(encoding="utf-8")
    except OSError:
        current = ""
    if current != text:
        print(f"{CATALOG_PATH} is stale; run: {REGENERATE}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
