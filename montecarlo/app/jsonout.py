"""JSON output: one object; non-finite numbers as the strings ``"inf"``, ``"-inf"``, ``"nan"``.

JSON has no infinity or NaN. Writing both as ``null`` (as earlier releases did) loses
the difference between an open interval end (``+inf``), an overflow and an undefined
value, so each is written as the string that Python's ``float()`` reads back:
``float("inf")``, ``float("-inf")``, ``float("nan")``. A finite number stays a number.
"""

from __future__ import annotations

import math
from typing import Any

__all__ = ["NONFINITE", "json_safe"]

#: how a non-finite float is written in driftkit's JSON (``float(text)`` reads it back)
NONFINITE = {math.inf: "inf", -math.inf: "-inf"}


def json_safe(obj: Any) -> Any:
    """Replace non-finite floats by ``"inf"``, ``"-inf"`` or ``"nan"`` (JSON has neither)."""
    if isinstance(obj, float):
        if math.isfinite(obj):
            return obj
        return "nan" if math.isnan(obj) else NONFINITE[obj]
    if isinstance(obj, dict):
        return {k: json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [json_safe(v) for v in obj]
    if hasattr(obj, "item"):  # numpy scalars
        return json_safe(obj.item())
    return obj
