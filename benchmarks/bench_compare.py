"""driftkit side by side with the alternatives a researcher would reach for: one table.

Run: ``python benchmarks/bench_compare.py [--scale 1.0] [--threads 1] [--no-pyfpt]
[--no-sdeint] [--only MODEL,...]``. Prints one Markdown table (the one in
``docs/performance.md``), in four parts (``--only`` runs part (a) for those models and
nothing else):

(a) **numpy**. For one model of each family (gamblers-ruin, brownian-drift,
    goodhart-selection, moran) and for proxy-selection the same parameters and the
    same number of paths are simulated by driftkit and by a numpy-vectorised
    simulation written here the straightforward way: an array of live paths, every
    live path stepped at once, finished paths masked out. Each numpy simulation draws
    the same law as driftkit's kernel (brownian-drift with the same exact increments
    and Brownian-bridge crossing test, moran event by event with its holding events,
    where driftkit skips them with one geometric draw; goodhart-selection two normals
    per candidate; proxy-selection the d-dimensional walk, the unobserved coordinates
    drawn only for the accepted paths of a step), so the two estimates must agree;
    "agreement" says whether the exact (or, for proxy-selection's end state, the
    numerical) value lies in both 99.9% intervals.
(b) **sdeint** (``itoEuler``, fixed time grid). ``escape_by_time`` of brownian-drift:
    sdeint integrates the whole grid to the horizon for a *batch* of paths at once (a
    ``d``-dimensional SDE with diagonal noise, ``d`` = ``--sdeint-batch``, since its
    ``G`` is a full ``d x m`` matrix the cost of a step grows like ``d**2``), and the
    barriers are checked on the grid afterwards. The grid check misses crossings
    between grid points; driftkit's bridge test does not. One more row times sdeint
    one path per call (``d = 1``), its documented use, on a few paths.
(c) **pyfpt** (PyPI ``PyFPT``): importance-sampled first passage of drifted Brownian
    motion to ``hi`` (no lower barrier), the rare probability
    :math:`e^{2\\mu(\\mathrm{hi}-x_0)/\\sigma^2}`. pyfpt's bias "amplitude" ``2|mu|/sigma``
    is Siegmund's tilt, the same proposal driftkit uses. pyfpt's Cython routine
    ``importance_sampling_simulations`` is called directly in this process (its
    ``is_simulation`` forks one process per core and returns a first-passage-time
    histogram, not a probability); the estimate is the mean of ``w 1{T < t_f}``. pyfpt
    draws from an unseeded ``default_rng()``, so its row varies from run to run.
(d) **rare events**: paths and time for a 10% relative error (standard error /
    estimate), importance sampling or multilevel splitting against naive Monte
    Carlo. The rare-event run's relative error ``re`` at ``n`` paths scales as
    :math:`1/\\sqrt n`, so it needs :math:`n (re/0.1)^2` paths; naive needs
    :math:`(1-P)/(0.01 P)` with the exact ``P``, at its measured cost per path (the
    naive kernel of the same model timed on many paths, or, for ornstein-uhlenbeck,
    whose naive simulator has no such quantity, the splitting kernel with no
    intermediate level, which *is* naive Monte Carlo).

Times are wall-clock seconds of one run after the JIT is warm; driftkit runs on
``--threads`` threads (default 1, like numpy, sdeint and the in-process pyfpt).
"speedup" is competitor time / driftkit time. ``--scale`` multiplies every number
of paths (0.2 for a quick look). The whole script takes 1-2 minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import datetime
import math
import os
import platform
import time
from dataclasses import dataclass
from importlib import metadata

import numba
import numpy as np
from driftkit.montecarlo import get_simulator, simulate
from driftkit.montecarlo.engine.rare import SPLIT_ACC, UnreliableEstimateError
from driftkit.montecarlo.engine.stats import proportion_interval
from driftkit.theory import get_model
from scipy import special, stats

import driftkit

LEVEL = 0.999
Z = stats.norm.ppf(0.5 + LEVEL / 2)


@dataclass
class Row:
    family: str
    task: str
    driftkit_s: float | None
    competitor: str
    competitor_s: float | None
    agreement: str
    driftkit_note: str = ""
    competitor_note: str = ""


def fmt_time(s: float | None, note: str = "") -> str:
    if s is None:
        return "—"
    if s < 1.0:
        out = f"{s * 1e3:.3g} ms"
    elif s < 120:
        out = f"{s:.3g} s"
    elif s < 7200:
        out = f"{s / 60:.3g} min"
    elif s < 2 * 86400:
        out = f"{s / 3600:.3g} h"
    elif s < 2 * 365.25 * 86400:
        out = f"{s / 86400:.3g} days"
    else:
        out = f"{s / (365.25 * 86400):.3g} years"
    return f"{out} {note}".strip()


def fmt_speedup(row: Row) -> str:
    if row.driftkit_s is None or row.competitor_s is None:
        return "—"
    r = row.competitor_s / row.driftkit_s
    if r >= 1e6:
        return f"{r:.2g}x"
    return f"{r:,.0f}x" if r >= 100 else f"{r:.3g}x"


def timed(fn, repeats=1):
    """``(seconds, result)`` of the fastest of ``repeats`` calls (the least disturbed
    by other load on the machine)."""
    best = None
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn()
        dt = time.perf_counter() - start
        if best is None or dt < best[0]:
            best = (dt, out)
    return best


def wilson(k: int, n: int) -> tuple[float, float, float]:
    lo, hi = proportion_interval(int(k), int(n), LEVEL)
    return k / n, lo, hi


def agreement(exact: float, ests: dict[str, tuple[float, float, float]]) -> str:
    """Whether ``exact`` lies in every 99.9% interval, with the estimates."""
    ok = all(lo <= exact <= hi for _, lo, hi in ests.values())
    parts = [f"{name} {e:.4g} [{lo:.4g}, {hi:.4g}]" for name, (e, lo, hi) in ests.items()]
    return f"{'yes' if ok else 'NO'}: exact {exact:.4g}; " + "; ".join(parts)


def run_driftkit(model, paths, seed, threads, quantity, repeats=1, **kw):
    simulate(model, min(paths, 1000), rng=0, threads=threads, **kw)  # JIT / plans warm
    dt, res = timed(
        lambda: simulate(model, paths, rng=seed, threads=threads, level=LEVEL, **kw), repeats
    )
    e = res[quantity]
    return dt, res, (e.estimate, e.ci_low, e.ci_high)


# -- (a) numpy-vectorised simulations -----------------------------------------


def numpy_gamblers_ruin(m, paths, rng):
    """+-1 walk with holding; returns the number of paths that reach hi."""
    p, q, lo, hi = m["p"], m["q"], m["lo"], m["hi"]
    x = np.full(paths, m["x0"], dtype=np.int64)
    escaped = 0
    while x.size:
        u = rng.random(x.size)
        x += (u < p).astype(np.int64) - ((u >= p) & (u < p + q))
        done = (x <= lo) | (x >= hi)
        if done.any():
            escaped += int(np.count_nonzero(x[done] >= hi))
            x = x[~done]
    return escaped


def numpy_brownian_drift(m, paths, rng):
    """Exact Gaussian increments on the grid dt and the Brownian-bridge crossing test
    (hi first, then lo), as driftkit's kernel; returns the number escaped at hi."""
    mu, sigma, lo, hi, dt = m["mu"], m["sigma"], m["lo"], m["hi"], m["dt"]
    x = np.full(paths, float(m["x0"]))
    c = -2.0 / (sigma * sigma * dt)
    escaped = 0
    while x.size:
        y = x + mu * dt + sigma * math.sqrt(dt) * rng.standard_normal(x.size)
        u1, u2 = rng.random(x.size), rng.random(x.size)
        inside = (y > lo) & (y < hi)
        up = (y >= hi) | (inside & (u1 < np.exp(c * (hi - x) * (hi - y))))
        down = ~up & ((y <= lo) | (inside & (u2 < np.exp(c * (x - lo) * (y - lo)))))
        escaped += int(np.count_nonzero(up))
        x = y[~(up | down)]
    return escaped


def numpy_goodhart(m, paths, rng, block=1_000_000):
    """Candidates A = Z1, V = rho Z1 + sqrt(1 - rho^2) Z2; counts A > c and V < 0."""
    rho, c = m["rho"], m["c"]
    s = math.sqrt(max(0.0, (1 - rho) * (1 + rho)))
    k = 0
    for start in range(0, paths, block):
        n = min(block, paths - start)
        a = rng.standard_normal(n)
        v = rho * a + s * rng.standard_normal(n)
        k += int(np.count_nonzero((a > c) & (v < 0)))
    return k


def numpy_proxy(m, paths, rng):
    """The d-dimensional walk, all paths stepped at once: k normals per path and step
    (and two reading noises when tau > 0), the d - k unobserved normals drawn only for
    the accepted paths (they do not enter the decision). Returns the end state's
    ``||x||^2``: its mean and the CLT 99.9% interval."""
    d, k, sigma, tol, tau, steps = (m[n] for n in ("d", "k", "sigma", "tol", "tau", "steps"))
    xo = np.zeros((paths, k))
    xu = np.zeros((paths, d - k))
    s = np.zeros(paths)
    for _ in range(steps):
        y = xo + sigma * rng.standard_normal((paths, k))
        sn = np.einsum("ij,ij->i", y, y)
        diff = sn - s
        if tau > 0:
            diff += tau * (rng.standard_normal(paths) - rng.standard_normal(paths))
        ok = diff <= tol
        xo[ok] = y[ok]
        s[ok] = sn[ok]
        xu[ok] += sigma * rng.standard_normal((int(np.count_nonzero(ok)), d - k))
    total = s + np.einsum("ij,ij->i", xu, xu)
    mean, half = total.mean(), Z * total.std(ddof=1) / math.sqrt(paths)
    return mean, mean - half, mean + half


def numpy_moran(m, paths, rng):
    """The Moran chain event by event (holding events drawn); returns paths fixed."""
    n, r = m["N"], m["r"]
    i = np.full(paths, m["i0"], dtype=np.int64)
    fixed = 0
    while i.size:
        fi = i.astype(np.float64)
        denom = n * (r * fi + n - fi)
        t_up = r * fi * (n - fi) / denom
        t_down = fi * (n - fi) / denom
        u = rng.random(i.size)
        i += (u < t_up).astype(np.int64) - ((u >= t_up) & (u < t_up + t_down))
        done = (i == 0) | (i == n)
        if done.any():
            fixed += int(np.count_nonzero(i[done] == n))
            i = i[~done]
    return fixed


def part_a(args, scale):
    rows = []
    cases = [
        (
            "gamblers-ruin",
            dict(p=0.45, q=0.55, lo=0, hi=20, x0=10),
            "escape_probability",
            200_000,
            numpy_gamblers_ruin,
        ),
        (  # long paths: E[T] = 50 * 50 / 0.6 = 4,167 steps, few paths left at the end
            "gamblers-ruin",
            dict(p=0.3, q=0.3, lo=0, hi=100, x0=50),
            "escape_probability",
            10_000,
            numpy_gamblers_ruin,
        ),
        (
            "brownian-drift",
            dict(mu=0.1, sigma=1.0, lo=0.0, hi=3.0, x0=1.0, dt=0.01),
            "escape_probability",
            100_000,
            numpy_brownian_drift,
        ),
        (
            "goodhart-selection",
            dict(rho=0.8, c=0.0),
            "deceptive_probability",
            4_000_000,
            numpy_goodhart,
        ),
        ("moran", dict(N=100, r=1.05, i0=1), "fixation_probability", 20_000, numpy_moran),
        (  # the defaults: d=20, k=5, sigma=0.1, tol=0.01, tau=0, 1,000 steps
            "proxy-selection",
            dict(d=20, k=5, steps=1000),
            "expected_misalignment",
            10_000,
            numpy_proxy,
        ),
        (  # small d, noisy detector, short walks
            "proxy-selection",
            dict(d=2, k=1, sigma=0.5, tol=0.3, tau=0.1, steps=50),
            "expected_misalignment",
            100_000,
            numpy_proxy,
        ),
    ]
    if args.only:
        cases = [c for c in cases if c[0] in args.only]
    for name, params, quantity, paths, numpy_sim in cases:
        paths = max(1000, int(paths * scale))
        m = get_model(name)(**params)
        task = f"{quantity}, {fmt_params(params)}, {paths:,} paths"
        try:
            get_simulator(m)
        except ValueError as err:
            rows.append(Row(name, task, None, "numpy vectorised", None, f"not run: {err}"))
            continue
        dk_s, _, dk = run_driftkit(m, paths, 1, args.threads, quantity, args.repeats)
        np_s, k = timed(
            lambda f=numpy_sim, m=m, n=paths: f(m, n, np.random.default_rng(2)), args.repeats
        )
        np_est = k if isinstance(k, tuple) else wilson(k, paths)  # a mean's or a count's
        rows.append(
            Row(
                name,
                task,
                dk_s,
                "numpy vectorised",
                np_s,
                agreement(m.value(quantity), {"driftkit": dk, "numpy": np_est}),
            )
        )
        print(f"  (a) {name}: driftkit {dk_s:.3g} s, numpy {np_s:.3g} s", flush=True)
    return rows


def fmt_params(params):
    return ", ".join(f"{k}={v:g}" for k, v in params.items())


# -- (b) sdeint ---------------------------------------------------------------


def sdeint_escape_by_time(m, paths, batch, rng):
    """``escape_by_time`` from sdeint.itoEuler on the grid 0, dt, ..., t, batches of
    ``batch`` independent paths as one diagonal-noise SDE; barriers checked on the grid.
    Returns the number escaped."""
    import sdeint

    mu, sigma, lo, hi, dt, t = m["mu"], m["sigma"], m["lo"], m["hi"], m["dt"], m["t"]
    n_steps = round(t / dt)
    tspan = np.linspace(0.0, t, n_steps + 1)
    escaped = 0
    for start in range(0, paths, batch):
        d = min(batch, paths - start)
        drift = np.full(d, mu)
        noise = sigma * np.eye(d)
        y = sdeint.itoEuler(
            lambda y, s, drift=drift: drift,
            lambda y, s, noise=noise: noise,
            np.full(d, float(m["x0"])),
            tspan,
            generator=rng,
        )
        # first grid index at or beyond each barrier (n_steps + 1 if never)
        big = n_steps + 1
        first_hi = np.where((y >= hi).any(axis=0), (y >= hi).argmax(axis=0), big)
        first_lo = np.where((y <= lo).any(axis=0), (y <= lo).argmax(axis=0), big)
        escaped += int(np.count_nonzero((first_hi < big) & (first_hi < first_lo)))
    return escaped


def part_b(args, scale):
    params = dict(mu=0.1, sigma=1.0, lo=0.0, hi=3.0, x0=1.0, t=10.0, dt=0.01)
    m = get_model("brownian-drift")(**params)
    paths = max(1000, int(50_000 * scale))
    task = f"escape_by_time, {fmt_params(params)}, {paths:,} paths"
    try:
        import sdeint  # noqa: F401
    except ImportError as err:
        return [Row("brownian-drift", task, None, "sdeint", None, f"not installed: {err}")]
    exact = m.value("escape_by_time")
    dk_s, _, dk = run_driftkit(m, paths, 3, args.threads, "escape_by_time")
    sd_s, k = timed(
        lambda: sdeint_escape_by_time(m, paths, args.sdeint_batch, np.random.default_rng(4))
    )
    sd = wilson(k, paths)
    # the grid check acts like barriers moved out by beta sigma sqrt(dt), beta =
    # -zeta(1/2)/sqrt(2 pi) = 0.5826 (Broadie, Glasserman & Kou 1997): the bias to expect
    shift = -special.zeta(0.5) / math.sqrt(2 * math.pi) * m["sigma"] * math.sqrt(m["dt"])
    shifted = m.replace(lo=m["lo"] - shift, hi=m["hi"] + shift).value("escape_by_time")
    rows = [
        Row(
            "brownian-drift",
            task,
            dk_s,
            f"sdeint itoEuler, batches of {args.sdeint_batch} paths, grid check",
            sd_s,
            agreement(exact, {"driftkit": dk, "sdeint": sd})
            + f"; sdeint - exact = {sd[0] - exact:+.3g}; bias expected from crossings "
            f"missed between grid points (barriers moved out by 0.5826 sigma sqrt(dt)): "
            f"{shifted - exact:+.3g}",
        )
    ]
    few = max(20, int(200 * scale))
    one_s, _ = timed(lambda: sdeint_escape_by_time(m, few, 1, np.random.default_rng(5)))
    rows.append(
        Row(
            "brownian-drift",
            task,
            dk_s,
            "sdeint itoEuler, one path per call (d = 1)",
            one_s * paths / few,
            f"timing only: {few} paths timed, scaled to {paths:,}",
            competitor_note="(scaled)",
        )
    )
    print(f"  (b) sdeint: driftkit {dk_s:.3g} s, sdeint {sd_s:.3g} s", flush=True)
    return rows


# -- (c) pyfpt ----------------------------------------------------------------


def part_c(args, scale):
    params = dict(mu=-1.0, sigma=1.0, lo=-math.inf, hi=6.0, x0=0.0, dt=0.01)
    m = get_model("brownian-drift")(**params)
    exact = m.value("escape_probability")
    paths = max(1000, int(10_000 * scale))
    task = f"escape_probability (rare, P={exact:.3g}) by importance sampling, " + fmt_params(params)
    try:
        from pyfpt.numerics.importance_sampling_cython import importance_sampling_simulations
    except ImportError as err:
        return [
            Row("brownian-drift", task, None, "pyfpt", None, f"not installed: {err}"),
        ]
    dk_s, res, dk = run_driftkit(
        m, paths, 6, args.threads, "escape_probability", method="importance"
    )
    n_fpt = max(20, int(args.pyfpt_paths * scale))
    t_f = 100.0
    bias = 2.0 * abs(params["mu"]) / params["sigma"]  # Siegmund's tilt: drift mu -> -mu

    def run_pyfpt():
        ts, ws = importance_sampling_simulations(
            params["x0"],
            10_000.0 * (params["x0"] - params["hi"]),  # pyfpt's "no reflecting wall"
            params["hi"],
            0.0,
            t_f,
            params["dt"],
            bias,
            n_fpt,
            lambda x, t: params["mu"],
            lambda x, t: params["sigma"],
            bias_type="diffusion",
            count_refs=False,
        )
        return np.asarray(ts), np.asarray(ws)

    fpt_s, (ts, ws) = timed(run_pyfpt)
    y = np.where(ts < t_f, ws, 0.0)
    est, se = y.mean(), y.std(ddof=1) / math.sqrt(n_fpt)
    rel = se / est if est > 0 else math.inf
    dk_rel = res["escape_probability"].relative_error
    ests = {"driftkit": dk, "pyfpt": (est, est - Z * se, est + Z * se)}
    print(f"  (c) pyfpt: driftkit {dk_s:.3g} s at {paths:,}; pyfpt {fpt_s:.3g} s at {n_fpt:,}")
    # time for a 1% relative error: rel. error ~ 1/sqrt(paths), at least one path
    dk_1 = dk_s / paths * max(1.0, paths * (dk_rel / 0.01) ** 2)
    fpt_1 = fpt_s / n_fpt * max(1.0, n_fpt * (rel / 0.01) ** 2)
    return [
        Row(
            "brownian-drift",
            task + f", {paths:,} paths",
            dk_s,
            f"pyfpt {metadata.version('pyfpt')} importance_sampling_simulations (same tilt)",
            fpt_s * paths / n_fpt,
            agreement(exact, ests)
            + f"; pyfpt / exact - 1 = {est / exact - 1:+.2%} (barrier checked on its grid: "
            "overshoot)"
            f"; rel. error driftkit {dk_rel:.2g}, pyfpt {rel:.2g} ({n_fpt:,} paths, timed "
            f"and scaled); time to 1% rel. error: driftkit {fmt_time(dk_1)}, pyfpt "
            f"{fmt_time(fpt_1)}",
            competitor_note="(scaled)",
        )
    ]


# -- (d) rare events ----------------------------------------------------------


def rare_run(m, method, paths, seed, threads):
    try:  # JIT warm-up (the small run may be refused; only the compile matters)
        simulate(m, min(paths, 500), rng=0, threads=threads, method=method)
    except UnreliableEstimateError:
        pass
    for _ in range(4):
        try:
            dt, res = timed(
                lambda p=paths: simulate(
                    m, p, rng=seed, threads=threads, method=method, level=LEVEL
                )
            )
            return dt, res
        except UnreliableEstimateError:
            paths *= 4
    raise RuntimeError(f"{m.name}: {method} refused even at {paths:,} paths")


def naive_seconds_per_path(m, quantity, paths, threads):
    """Measured cost of one naive path (driftkit's naive kernel)."""
    if m.name == "ornstein-uhlenbeck":
        # the splitting kernel with the target as its only level is naive Monte Carlo
        from driftkit.montecarlo.kernels.ornstein_uhlenbeck import _split_trees

        method = get_simulator(m).runner("splitting")
        x0, lower, _, factor, mm, decay, sd, bridge = method.prepare(m)
        levels = np.array([float(m["hi"])])
        kernel_args = (x0, lower, levels, factor, mm, decay, sd, bridge, 10**6)
        _split_trees(np.random.default_rng(0), 10, *kernel_args)
        dt, acc = timed(lambda: _split_trees(np.random.default_rng(1), paths, *kernel_args), 2)
        hits = acc[SPLIT_ACC.index("hits")]
        return dt / paths, f"{int(hits)} hits"
    simulate(m, 1000, rng=0, threads=threads)
    dt, res = timed(lambda: simulate(m, paths, rng=1, threads=threads, level=LEVEL), 2)
    e = res[quantity]
    return dt / paths, f"{e.estimate * paths:.0f} hits"


def part_d(args, scale):
    cases = [
        (
            "gamblers-ruin",
            dict(p=0.3, q=0.7, lo=0, hi=30, x0=1),
            "escape_probability",
            "importance",
            20_000,
            4_000_000,
        ),
        (
            "brownian-drift",
            dict(mu=-1.0, sigma=1.0, lo=0.0, hi=10.0, x0=1.0, dt=0.01),
            "escape_probability",
            "importance",
            10_000,
            50_000,
        ),
        (
            "ornstein-uhlenbeck",
            dict(theta=1.0, m=0.0, sigma=math.sqrt(2), x0=0.5, hi=6.25, dt=0.01),
            "escape_probability",
            "splitting",
            2_000,
            400_000,
        ),
        (
            "entropy-ball",
            dict(d=10, sigma=1.0, a=0.1, R=3.0, r0=1.0),
            "return_probability",
            "splitting",
            2_000,
            20_000,
        ),
    ]
    rows = []
    for name, params, quantity, method, paths, naive_paths in cases:
        m = get_model(name)(**params)
        task = f"{quantity}, {fmt_params(params)}"
        if method not in get_simulator(m).methods:
            rows.append(Row(name, task, None, "naive MC", None, f"no {method} method yet"))
            continue
        paths = max(200, int(paths * scale))
        dt, res = rare_run(m, method, paths, 7, args.threads)
        e = res[quantity]
        exact = m.value(quantity)
        k = (e.relative_error / 0.1) ** 2
        need = res.paths * k
        per_path, hits = naive_seconds_per_path(m, quantity, int(naive_paths * scale), args.threads)
        n_naive = (1 - exact) / (exact * 0.01)
        ok = e.ci_low <= exact <= e.ci_high
        unit = "trees" if method == "splitting" else "paths"
        rows.append(
            Row(
                name,
                f"P = {exact:.3g} to 10% rel. error: {task}",
                dt * k,
                "naive MC (same kernel)",
                n_naive * per_path,
                f"{'yes' if ok else 'NO'}: {method} {e.estimate:.4g} [{e.ci_low:.4g}, "
                f"{e.ci_high:.4g}] at {res.paths:,} {unit} in {fmt_time(dt)} "
                f"(rel. error {e.relative_error:.2g}, ESS {e.ess:,.0f}); needs {need:,.0f} vs "
                f"naive {n_naive:.3g} paths",
                driftkit_note=f"({method})",
                competitor_note="(projected)",
            )
        )
        print(f"  (d) {name}: {method} {dt:.3g} s at {res.paths:,}; naive {hits}", flush=True)
    return rows


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (
        f"{cpu}, {os.cpu_count()} cores (load average {load:.2f} at the end); Python "
        f"{platform.python_version()}, numpy {np.__version__}, numba {numba.__version__}, "
        f"driftkit {driftkit.montecarlo.__version__}; {datetime.date.today().isoformat()}"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=float, default=1.0, help="multiply every number of paths")
    ap.add_argument("--threads", type=int, default=1, help="driftkit threads (default 1)")
    ap.add_argument(
        "--repeats", type=int, default=2, help="(a): best of this many runs, both sides"
    )
    ap.add_argument("--sdeint-batch", type=int, default=500, help="paths per sdeint call")
    ap.add_argument("--pyfpt-paths", type=int, default=300, help="paths pyfpt is timed on")
    ap.add_argument("--no-sdeint", action="store_true")
    ap.add_argument("--no-pyfpt", action="store_true")
    ap.add_argument(
        "--only",
        type=lambda v: set(v.split(",")),
        default=None,
        help="comma-separated models: part (a) for these only, parts (b)-(d) skipped",
    )
    args = ap.parse_args()
    try:  # moran's simulator may not be imported by montecarlo yet
        import driftkit.montecarlo.kernels.moran  # noqa: F401
    except ImportError:
        pass

    start = time.perf_counter()
    rows = part_a(args, args.scale)
    if not args.only:
        if not args.no_sdeint:
            rows += part_b(args, args.scale)
        if not args.no_pyfpt:
            rows += part_c(args, args.scale)
        rows += part_d(args, args.scale)
    total = time.perf_counter() - start

    print()
    print(f"machine: {machine()}; driftkit threads: {args.threads}; total {total:.0f} s")
    print()
    print(
        "| family | task | driftkit time | competitor | competitor time | speedup | "
        "agreement (99.9% intervals) |"
    )
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r.family} | {r.task} | {fmt_time(r.driftkit_s, r.driftkit_note)} | "
            f"{r.competitor} | {fmt_time(r.competitor_s, r.competitor_note)} | "
            f"{fmt_speedup(r)} | {r.agreement} |"
        )


if __name__ == "__main__":
    main()
