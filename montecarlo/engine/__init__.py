"""The engine: seeding (:mod:`.rng`), chunks, threads and progress (:mod:`.core`),
estimators and intervals (:mod:`.stats`), rare-event methods (:mod:`.rare`),
validation (:mod:`.validation`) and provenance (:mod:`.provenance`).

Nothing here knows a particular model; the kernels plug in through
:class:`~driftkit.montecarlo.engine.core.Simulator`.
"""
