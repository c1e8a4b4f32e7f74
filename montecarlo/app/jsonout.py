"""JSON output: one object, non-finite numbers as ``null`` (JSON has no ``inf``)."""

from __future__ import annotations

import math
from typing import Any

__all__ = ["json_safe"]


def json_safe(obj: Any) -> Any:
    """Replace non-finite floats by ``None`` (JSON has no ``inf``/``nan``)."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [json_safe(v) for v in obj]
    if hasattr(obj, "item"):  # numpy scalars
        return json_safe(obj.item())
    return obj
