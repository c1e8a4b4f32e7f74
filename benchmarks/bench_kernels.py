"""Throughput of the continuous-diffusion kernels, one thread: driftkit against a
numpy-vectorised Euler scheme at the same ``dt`` and against the bare generator.

Run: ``python benchmarks/bench_kernels.py [--scale 1.0]``. For each diffusion kernel
(brownian-drift, ornstein-uhlenbeck, resetting-diffusion, monitored-diffusion, and the
diffusion family with constant and with state-dependent coefficients) it prints
driftkit's paths/s and steps/s on one thread, the paths/s of a numpy-vectorised Euler
scheme of the same model at the same ``dt`` (an array of live paths, all stepped at
once, barriers checked on the grid only -- the plain scheme a researcher would write;
it is *biased*, driftkit is not, so this compares cost, not accuracy), and driftkit's
steps/s as a fraction of the bare generator's normals/s (``Generator.standard_normal``
and the kernels' own ziggurat, each summed in a numba loop). The load average
(``os.getloadavg``) is printed with every measurement: the machine may be shared.
"""

from __future__ import annotations

import argparse
import math
import os
import time

import numpy as np
from driftkit.montecarlo import simulate
from driftkit.theory import get_model
from numba import njit


def load() -> str:
    return f"load {os.getloadavg()[0]:.2f}"


@njit(cache=True, nogil=True)
def _sum_normals(gen, n):  # pragma: no cover
    s = 0.0
    for _ in range(n):
        s += gen.standard_normal()
    return s


@njit(cache=True, nogil=True)
def _sum_uniforms(gen, n):  # pragma: no cover
    s = 0.0
    for _ in range(n):
        s += gen.random()
    return s


def _ziggurat_sum():
    try:
        from driftkit.montecarlo.engine.normals import normal_sum
    except ImportError:
        return None
    return normal_sum


def bare_rates(n: int = 20_000_000) -> dict[str, float]:
    """Draws per second of the bare generator in a numba loop (best of 3)."""
    out = {}
    fns = {"uniforms": _sum_uniforms, "normals": _sum_normals}
    zig = _ziggurat_sum()
    if zig is not None:
        fns["ziggurat normals"] = zig
    for name, fn in fns.items():
        fn(np.random.default_rng(0), 10)
        best = math.inf
        for rep in range(3):
            gen = np.random.default_rng(rep)
            start = time.perf_counter()
            fn(gen, n)
            best = min(best, time.perf_counter() - start)
        out[name] = n / best
    return out


# -- numpy-vectorised Euler schemes (grid checks only) ----------------------------------


def np_brownian(m, paths, rng):
    mu, sigma, lo, hi, dt = m["mu"], m["sigma"], m["lo"], m["hi"], m["dt"]
    x = np.full(paths, float(m["x0"]))
    sd = sigma * math.sqrt(dt)
    while x.size:
        x = x + mu * dt + sd * rng.standard_normal(x.size)
        x = x[(x > lo) & (x < hi)]


def np_ou(m, paths, rng):
    th, mm, sigma, hi, dt = m["theta"], m["m"], m["sigma"], m["hi"], m["dt"]
    x = np.full(paths, float(m["x0"]))
    sd = sigma * math.sqrt(dt)
    while x.size:
        x = x - th * (x - mm) * dt + sd * rng.standard_normal(x.size)
        x = x[x < hi]


def np_resetting(m, paths, rng):
    mu, sigma, r, hi, dt, x0 = m["mu"], m["sigma"], m["r"], m["hi"], m["dt"], m["x0"]
    x = np.full(paths, float(x0))
    sd = sigma * math.sqrt(dt)
    while x.size:
        x = x + mu * dt + sd * rng.standard_normal(x.size)
        x = x[x < hi]
        x[rng.random(x.size) < r * dt] = x0


def np_monitored(m, paths, rng):
    mu, sigma, kappa, lo, hi, dt = (m[k] for k in ("mu", "sigma", "kappa", "lo", "hi", "dt"))
    x = np.full(paths, float(m["x0"]))
    sd = sigma * math.sqrt(dt)
    while x.size:
        x = x + mu * dt + sd * rng.standard_normal(x.size)
        x = x[(x > lo) & (x < hi) & (rng.random(x.size) >= kappa * dt)]


def np_family_ou(m, paths, rng):
    th, mm, sigma, lo, hi, dt = (m[k] for k in ("theta", "m", "sigma", "lo", "hi", "dt"))
    x = np.full(paths, float(m["x0"]))
    sd = sigma * math.sqrt(dt)
    while x.size:
        x = x - th * (x - mm) * dt + sd * rng.standard_normal(x.size)
        x = x[(x > lo) & (x < hi)]


def family_models():
    from driftkit.theory.families import Diffusion

    real = {"low": -10, "high": 10}
    const = Diffusion(
        name="bench-bd-diffusion",
        parameters={"mu": {"default": 0.1, **real}, "sigma": {"default": 1.0, "low": 0.1}},
        drift="mu", noise="sigma", lo=0, hi=3, x0=1,
    )  # fmt: skip
    ou = Diffusion(
        name="bench-ou-diffusion",
        parameters={"theta": {"default": 1.0, "low": 0, "low_open": True},
                    "m": {"default": 0.0, **real}, "sigma": {"default": 1.0, "low": 0.1}},
        drift="-theta*(x - m)", noise="sigma", lo=-1.5, hi=1.5, x0=0.5,
    )  # fmt: skip
    return const, ou


def cases():
    const, ou = family_models()
    bd = get_model("brownian-drift")()
    fam_bd = {k: bd[k] for k in ("mu", "sigma", "lo", "hi", "dt")}
    return [
        ("brownian-drift", bd, 100_000, np_brownian, None),
        ("ornstein-uhlenbeck", get_model("ornstein-uhlenbeck")(), 100_000, np_ou, None),
        ("resetting-diffusion", get_model("resetting-diffusion")(), 50_000, np_resetting, None),
        ("monitored-diffusion", get_model("monitored-diffusion")(), 100_000, np_monitored, None),
        ("diffusion (constant)", const, 100_000, np_brownian, fam_bd),
        ("diffusion (OU drift)", ou, 100_000, np_family_ou, None),
    ]


class _Params(dict):
    pass


def measure(scale: float = 1.0, repeats: int = 2):
    """Rows ``(name, dt, driftkit paths/s, steps/s, numpy paths/s, load)``."""
    rows = []
    for name, model, paths, np_sim, np_params in cases():
        paths = max(1000, int(paths * scale))
        simulate(model, 2000, rng=0, threads=1)  # JIT warm
        best = None
        for rep in range(repeats):
            res = simulate(model, paths, rng=1 + rep, threads=1)
            if best is None or res.elapsed_s < best.elapsed_s:
                best = res
        params = np_params if np_params is not None else model.params
        params = dict(params)
        params.setdefault("dt", model["dt"])
        if "x0" not in params:
            params["x0"] = model["x0"]
        if name.startswith("diffusion (OU"):
            params.update(lo=model.lo, hi=model.hi)
        np_best = math.inf
        np_paths = max(1000, paths // 4)
        for rep in range(repeats):
            start = time.perf_counter()
            np_sim(params, np_paths, np.random.default_rng(10 + rep))
            np_best = min(np_best, time.perf_counter() - start)
        rows.append(
            (
                name,
                float(model["dt"]),
                best.paths / best.elapsed_s,
                best.steps / best.elapsed_s,
                np_paths / np_best,
                load(),
            )
        )
        print(f"  {name}: done ({load()})", flush=True)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--repeats", type=int, default=2)
    args = ap.parse_args()
    print(f"start: {load()}; {os.cpu_count()} cores")
    bare = bare_rates()
    for k, v in bare.items():
        print(f"bare generator, {k}: {v / 1e6:.1f} M/s ({load()})")
    rows = measure(args.scale, args.repeats)
    normals = bare["normals"]
    print()
    print(
        "| kernel | dt | driftkit paths/s | driftkit steps/s | numpy Euler paths/s | "
        "vs numpy | steps/s vs bare normals/s | load |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---|")
    for name, dt, pps, sps, npps, ld in rows:
        print(
            f"| {name} | {dt:g} | {pps:,.0f} | {sps / 1e6:.1f} M | {npps:,.0f} | "
            f"{pps / npps:.1f}x | {sps / normals:.0%} | {ld} |"
        )


if __name__ == "__main__":
    main()
