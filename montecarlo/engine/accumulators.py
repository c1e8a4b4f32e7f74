"""Named accumulator layouts: what each slot of a kernel's output vector holds.

A kernel returns a 1-D ``float64`` vector of sums (counts, sums, sums of squares) so
that chunks combine by elementwise addition. :func:`layout` names its slots::

    ACC = layout("GamblersRuinAcc", "escaped", "ruined", "censored", "steps")

``ACC`` is a named tuple of the slot indices (``ACC.escaped == 0``, ...). Held in a
module-level global, numba freezes it into a kernel at compile time, so inside an
``@njit`` kernel ``acc[ACC.escaped] += 1`` compiles to a constant index, and
``np.zeros(len(ACC))`` allocates the vector; on the Python side
:meth:`Layout.read` turns the summed vector back into a ``{name: value}`` dict for
the summariser (:class:`driftkit.montecarlo.engine.stats.Summary`).
"""

from __future__ import annotations

import keyword
from collections import namedtuple
from typing import Any

import numpy as np

__all__ = ["Layout", "layout"]

#: names a slot may not take (the methods of every layout)
_RESERVED = frozenset({"read", "zeros", "names", "index", "count"})


class Layout(tuple):
    """Base of every layout: a named tuple whose fields are the slot indices 0, 1, ...

    Made by :func:`layout`; adds :meth:`zeros` and :meth:`read`.
    """

    __slots__ = ()

    @property
    def names(self) -> tuple[str, ...]:
        """The slot names, in slot order."""
        return self._fields  # type: ignore[attr-defined]

    def index(self, name: str) -> int:  # type: ignore[override]
        """The slot of ``name`` (``layout.index("hits") == layout.hits``)."""
        if name not in self.names:
            raise ValueError(
                f"no accumulator slot {name!r} in layout {type(self).__name__}; slots: "
                + ", ".join(self.names)
            )
        return getattr(self, name)

    def zeros(self) -> np.ndarray:
        """A zero accumulator vector of this layout."""
        return np.zeros(len(self), dtype=np.float64)

    def read(self, totals: Any) -> dict[str, float]:
        """``{name: value}`` of a (summed) accumulator vector, as Python floats."""
        values = np.asarray(totals, dtype=np.float64)
        if values.shape != (len(self),):
            raise ValueError(
                f"an accumulator vector of layout {type(self).__name__} has {len(self)} "
                f"slots, got shape {values.shape}"
            )
        return dict(zip(self.names, values.tolist(), strict=True))


def layout(typename: str, *names: str) -> Layout:
    """A :class:`Layout` with slots ``names`` at indices ``0 .. len(names) - 1``."""
    if not names:
        raise ValueError("a layout needs at least one slot name")
    for n in names:
        if not n.isidentifier() or keyword.iskeyword(n) or n.startswith("_") or n in _RESERVED:
            raise ValueError(f"invalid accumulator slot name {n!r}")
    if len(set(names)) != len(names):
        raise ValueError(f"duplicate accumulator slot names in {names!r}")
    base = namedtuple(typename, names)
    cls = type(typename, (base, Layout), {"__slots__": ()})
    return cls(*range(len(names)))
