"""Your own model: a spec (TOML, or keywords) becomes a registered driftkit model.

>>> import driftkit
>>> Model = driftkit.load("examples/tiring-detector.toml")    # doctest: +SKIP
>>> Model(a=0.45).value("escape_probability")                 # doctest: +SKIP

``load(path)`` returns the model **class** (like :func:`driftkit.theory.get_model`: call
it with parameter values for an instance); the class is registered under the spec's
``name``, so every command and function that takes a model name takes it too. The
family classes :class:`Walk`, :class:`Chain` take the spec's keys as keywords and
return an **instance** at the parameters' defaults (``.replace(a=...)`` for others)::

    m = Walk(name="my-walk", parameters={"a": {"default": 0.4, "low": 0, "high": 0.5}},
             up="a", down="1/2", lo=0, hi=10, x0=3)

How a family plugs in
---------------------
A family ``F`` is one module ``driftkit.theory.families.F`` (theory: sympy, mpmath,
numpy, scipy; never montecarlo or numba) and one module ``driftkit.montecarlo.kernels.F``
(its simulator). Add ``"F"`` to :data:`FAMILIES`. The theory module defines

* a base class (``Walk``) deriving from :class:`SpecModel` with ``family = "F"``,
  ``_family_base = True`` and the metaclass :class:`FamilyMeta` (so that calling the
  base class with spec keywords builds a model), and
* ``build(spec: Spec) -> type[SpecModel]``: check ``spec.model`` (use
  ``spec.check_keys``, ``spec.expression``, ``spec.number``, and raise ``spec.error(key,
  message)`` so that the message names the key and the line), then return a subclass of
  the base class with ``name``, ``title``, ``summary``, ``parameters`` (the spec's,
  ``spec.parameters``, plus any the family adds), ``quantities`` and the three methods
  of :class:`~driftkit.theory.Model` (``_expression``, ``_value``, ``derivation``).
  Registration, caching of equal specs and pickling are done here.

The kernel module defines ``simulator_for(cls) -> Simulator`` (a simulator for one
spec class); :func:`driftkit.montecarlo.engine.core.get_simulator` calls it for any
model whose class has a ``family``.
"""

from __future__ import annotations

import abc
import importlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from driftkit.theory.families._spec import (
    Source,
    Spec,
    SpecError,
    SpecModel,
    make_spec,
    read_spec,
    spec_key,
)

if TYPE_CHECKING:
    from driftkit.theory.families.chain import Chain
    from driftkit.theory.families.diffusion import Diffusion
    from driftkit.theory.families.walk import Walk

__all__ = [
    "EXAMPLES",
    "FAMILIES",
    "Chain",
    "Diffusion",
    "FamilyMeta",
    "Spec",
    "SpecError",
    "SpecModel",
    "Walk",
    "load",
    "load_data",
    "load_text",
]

#: family name -> module of this package that defines it
FAMILIES: dict[str, str] = {"walk": "walk", "chain": "chain", "diffusion": "diffusion"}


def _examples() -> Path:
    """The folder of the worked example specs: the installed package data
    ``driftkit.examples``, or ``examples/`` of a source checkout."""
    try:
        from importlib.resources import files

        path = Path(str(files("driftkit.examples")))
        if path.is_dir():
            return path
    except (ImportError, TypeError, ValueError):
        pass
    return Path(__file__).resolve().parents[2] / "examples"


#: the worked example specs (docs/your-own-model.md), installed as ``driftkit.examples``
EXAMPLES = _examples()

_BY_KEY: dict[str, type[SpecModel]] = {}


def _family_module(family: str):
    return importlib.import_module(f"driftkit.theory.families.{FAMILIES[family]}")


def _build(data: dict[str, Any], source: Source) -> type[SpecModel]:
    key = spec_key(data)
    if key in _BY_KEY:
        cls = _BY_KEY[key]
        _register(cls, source)  # again: another spec of that name may have replaced it
        return cls
    spec = make_spec(data, source)
    cls = _family_module(spec.family).build(spec)
    cls.spec = spec
    cls.spec_data = data
    cls.spec_source = source.name
    _register(cls, source)
    _BY_KEY[key] = cls
    return cls


def _register(cls: type[SpecModel], source: Source) -> None:
    from driftkit.theory import _registry

    if cls.name in _registry.BUILTIN_MODELS:
        raise source.error(("name",), f"{cls.name!r} is a built-in model; choose another name")
    existing = _registry._MODELS.get(cls.name)
    if existing is not None and not issubclass(existing, SpecModel):
        raise source.error(("name",), f"a model named {cls.name!r} is already registered")
    # a changed spec of the same name replaces the earlier one (editing in a notebook)
    _registry._MODELS[cls.name] = cls


def load(spec: str | Path) -> type[SpecModel]:
    """The model class of the spec file ``spec`` (a ``.toml`` path), registered by name.

    Raises :class:`SpecError` (a ``ValueError``) naming the key and line of a mistake.
    Loading the same spec again returns the same class.
    """
    data, source = read_spec(Path(spec))
    return _build(data, source)


def load_text(text: str, source: str = "spec") -> type[SpecModel]:
    """The model class of a spec given as TOML text (``source`` names it in errors)."""
    data, src = read_spec(text, source)
    return _build(data, src)


def load_data(data: dict[str, Any], source: str = "spec") -> type[SpecModel]:
    """The model class of a spec given as its data (what TOML reading gives)."""
    return _build(data, Source(source))


def is_spec_path(name: str) -> bool:
    """Whether a model argument names a spec file (it ends in ``.toml``)."""
    return isinstance(name, (str, Path)) and str(name).lower().endswith(".toml")


class FamilyMeta(abc.ABCMeta):
    """Calling a family's base class with spec keywords builds (and registers) a model.

    ``Walk(name=..., parameters=..., up=..., ...)`` returns an instance of the built
    class at the parameters' defaults; a built class is called as any model class.
    """

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        if not cls.__dict__.get("_family_base"):
            return super().__call__(*args, **kwargs)
        if args:
            raise TypeError(f"{cls.__name__}() takes the spec's keys as keywords only")
        top = {k: kwargs.pop(k) for k in ("name", "title", "summary", "parameters") if k in kwargs}
        data = {**top, "family": cls.family, "model": kwargs}
        return _build(data, Source(f"{cls.__name__}(...)"))()


def __getattr__(name: str) -> Any:
    if name == "Walk":
        return _family_module("walk").Walk
    if name == "Chain":
        return _family_module("chain").Chain
    if name == "Diffusion":
        return _family_module("diffusion").Diffusion
    raise AttributeError(f"module 'driftkit.theory.families' has no attribute {name!r}")
