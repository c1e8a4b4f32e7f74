"""One module per model: a ``@njit(cache=True, nogil=True)`` kernel and the
:class:`~driftkit.montecarlo.engine.core.Simulator` that prepares its inputs and reads
its accumulators. A module is imported (and its simulator registered) the first time
:func:`~driftkit.montecarlo.engine.core.get_simulator` is asked for its model.
"""
