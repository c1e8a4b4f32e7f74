"""The model registry: CLI name -> model class."""

from __future__ import annotations

from theory._base import Model

__all__ = ["get_model", "model_names", "register"]

_MODELS: dict[str, type[Model]] = {}


def register(cls: type[Model]) -> type[Model]:
    """Class decorator: make a model available under its ``name``."""
    if cls.name in _MODELS and _MODELS[cls.name] is not cls:
        raise ValueError(f"a model named {cls.name!r} is already registered")
    _MODELS[cls.name] = cls
    return cls


def model_names() -> list[str]:
    """The registered model names, in alphabetical order (independent of import order)."""
    return sorted(_MODELS)


def get_model(name: str) -> type[Model]:
    """The model class registered under ``name``."""
    try:
        return _MODELS[name]
    except KeyError:
        raise ValueError(f"unknown model {name!r}; the models are: {', '.join(_MODELS)}") from None
