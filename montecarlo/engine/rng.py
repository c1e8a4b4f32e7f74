"""Seeding: one root ``SeedSequence``, one spawned stream per chunk.

Every public function takes ``rng=`` (the scipy / SPEC 7 convention): ``None``
(fresh entropy, reported so the run can be repeated), an ``int`` seed, a
:class:`numpy.random.SeedSequence`, or a :class:`numpy.random.Generator`.
"""

from __future__ import annotations

import numbers

import numpy as np

__all__ = ["RNGLike", "chunk_generators", "root_sequence"]

RNGLike = int | np.random.SeedSequence | np.random.Generator | None


def root_sequence(rng: RNGLike) -> tuple[np.random.SeedSequence, int | None]:
    """The root ``SeedSequence`` for ``rng`` and the seed to report (or ``None``).

    A ``Generator`` is not reproducible from a number, so its seed is reported
    as ``None``; its own seed sequence spawns the root (so successive calls
    with the same generator draw fresh streams, as ``Generator.spawn`` does).
    """
    if rng is None:
        ss = np.random.SeedSequence()
        return ss, int(ss.entropy)
    if isinstance(rng, np.random.Generator):
        (ss,) = rng.bit_generator.seed_seq.spawn(1)
        return ss, None
    if isinstance(rng, np.random.SeedSequence):
        entropy = rng.entropy if not rng.spawn_key and isinstance(rng.entropy, int) else None
        return rng, entropy
    if isinstance(rng, bool) or not isinstance(rng, numbers.Integral) or rng < 0:
        raise ValueError(
            "parameter 'seed' (rng) must be a non-negative integer, a SeedSequence or a "
            f"Generator, got {rng!r}"
        )
    return np.random.SeedSequence(int(rng)), int(rng)


def chunk_generators(root: np.random.SeedSequence, n_chunks: int) -> list[np.random.Generator]:
    """Independent PCG64 generators, one per chunk, spawned from ``root``.

    ``root`` is copied first, so the same root always yields the same streams.
    """
    fresh = np.random.SeedSequence(
        entropy=root.entropy, spawn_key=root.spawn_key, pool_size=root.pool_size
    )
    return [np.random.Generator(np.random.PCG64(s)) for s in fresh.spawn(n_chunks)]
