"""Fixation of a single beneficial mutant: Moran (1958), Kimura (1962), Haldane (1927).

Sources: P. A. P. Moran, "Random processes in genetics", Proc. Camb. Phil. Soc. 54,
60-71 (1958): in the Moran process a single mutant of relative fitness ``r = 1 + s`` in
a population of ``N`` fixes with probability ``(1 - 1/r)/(1 - 1/r^N)``. M. Kimura, "On
the probability of fixation of mutant genes in a population", Genetics 47, 713-719
(1962): in the diffusion limit of the (haploid) Wright-Fisher model, from frequency
``p``, ``u(p) = (1 - e^{-2 N s p})/(1 - e^{-2 N s})``. J. B. S. Haldane (1927): for
large ``N`` and small ``s`` a single Wright-Fisher mutant fixes with probability about
``2s`` (Moran: about ``s``, since its generation holds ``N`` births).

driftkit: ``moran`` (``fixation_probability`` derived by rsolve; exact) and
``wright-fisher`` (``fixation_probability`` is Kimura's formula derived by dsolve, an
approximation with a stated allowance; ``exact_fixation_probability`` solves the
chain numerically). The published formulas are evaluated here independently, in
mpmath at 30 digits. Simulated: the kernels' intervals, 99.9% for the whole table
(Bonferroni; reduced: N <= 100).

Run: ``python docs/gallery/fixation.py [--full]``.
"""

from __future__ import annotations

import mpmath
from _gallery import Entry, bonferroni, interval, main, table
from driftkit.montecarlo import simulate
from driftkit.theory import get_model

mpmath.mp.dps = 30


def moran_1958(n: int, s: float) -> float:
    """Moran's fixation probability of one mutant, in mpmath."""
    r = mpmath.mpf(1) + mpmath.mpf(s)
    return float((1 - 1 / r) / (1 - r ** (-n)))


def kimura_1962(n: int, s: float) -> float:
    """Kimura's haploid diffusion fixation probability from p = 1/N, in mpmath."""
    s = mpmath.mpf(s)
    return float(mpmath.expm1(-2 * s) / mpmath.expm1(-2 * n * s))


def run(full: bool = False, seed: int = 1) -> Entry:
    """A table over N and s of the published formulas, driftkit and simulation."""
    rows, out = [], []
    sizes = (10, 100, 1000)
    for k, (n, s) in enumerate((n, s) for n in sizes for s in (0.001, 0.01, 0.1)):
        moran = get_model("moran")(N=n, r=1.0 + s, i0=1)
        wf = get_model("wright-fisher")(N=n, s=s, p0=1.0 / n)
        row = dict(
            N=n,
            s=s,
            moran=moran.value("fixation_probability"),
            moran_ref=moran_1958(n, s),
            kimura=wf.value("fixation_probability"),
            kimura_ref=kimura_1962(n, s),
            wf_exact=wf.value("exact_fixation_probability"),
        )
        sim_m = sim_w = "not run (`--full`)"
        if full or n <= 100:
            paths = 200_000 if full else 20_000
            est_m = simulate(moran, paths, rng=seed + k, level=bonferroni(18), max_steps=10**9)
            est_w = simulate(wf, paths, rng=seed + 100 + k, level=bonferroni(18), max_steps=10**9)
            row["moran_sim"] = est_m.estimates["fixation_probability"]
            row["wf_sim"] = est_w.estimates["exact_fixation_probability"]
            sim_m, sim_w = interval(row["moran_sim"]), interval(row["wf_sim"])
        rows.append(row)
        out.append(
            (
                n,
                s,
                f"{row['moran_ref']:.8g}",
                f"{row['moran']:.8g}",
                sim_m,
                f"{row['kimura_ref']:.8g}",
                f"{row['kimura']:.8g}",
                f"{row['wf_exact']:.8g}",
                sim_w,
                f"{2 * s:g}",
            )
        )
    header = (
        "N",
        "s",
        "Moran (1958)",
        "moran (driftkit)",
        "moran simulated",
        "Kimura (1962)",
        "wright-fisher Kimura (driftkit)",
        "wright-fisher exact chain",
        "wright-fisher simulated",
        "Haldane 2s",
    )
    return Entry(table(header, out), rows)


if __name__ == "__main__":
    main(run, __doc__)
