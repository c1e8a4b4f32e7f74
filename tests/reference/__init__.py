"""Independent reference simulators, one module per model (issue 13, item 4).

Each module is written from the model's definition (its docs page and the theory
module's docstring), shares no code with the numba kernels, and exposes
``simulate(params, n, rng) -> dict[str, numpy.ndarray]``: per-path (or per-step)
samples of every quantity the kernel estimates, compared with the kernel by
``tests/test_reference_simulators.py``.
"""
