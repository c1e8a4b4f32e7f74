"""Evans & Majumdar (2011): the optimal resetting rate and the minimal mean first-passage time.

Source: M. R. Evans and S. N. Majumdar, "Diffusion with stochastic resetting",
Phys. Rev. Lett. 106, 160601 (2011). A particle diffuses (coefficient ``D``) from
``x0``, is reset to ``x0`` at Poisson rate ``r``, and is absorbed at a target a
distance ``L`` away. Their mean first-passage time is ``T(r) = (e^{sqrt(r/D) L} - 1)/r``;
it is minimal at ``r* = z*^2 D / L^2`` where ``z*`` solves ``z/2 = 1 - e^{-z}``,
published as ``z* = 1.59362...``. The minimum is ``T* = (L^2/D) (e^{z*} - 1)/z*^2``.

driftkit: ``resetting-diffusion`` (``sigma^2 = 2 D``, ``mu = 0``, target ``hi = L``):
``mean_first_passage_time`` is derived from the renewal equation and
``optimal_reset_rate`` is the root of its derived ``dT/dr``; ``z* = L sqrt(r*/D)``.
The simulated column is the kernel's interval (99.9% for the six together,
Bonferroni) at ``r*`` and on either side
(its time step ``dt`` adds an O(sqrt(dt)) overshoot bias, see THEORY.md; the table
states dt).

Run: ``python docs/gallery/evans_majumdar.py [--full]``.
"""

from __future__ import annotations

import math

import mpmath
from _gallery import Entry, bonferroni, interval, main, table
from driftkit.montecarlo import simulate
from driftkit.theory import get_model

#: Evans & Majumdar (2011), below their eq. (9): z* = 1.59362...
Z_STAR_PUBLISHED = "1.59362"


def run(full: bool = False, seed: int = 1) -> Entry:
    """z*, T* and T(r) near r*, published / driftkit / simulated, for D = 1 and L = 1, 2."""
    D = 1.0
    z_ref = float(mpmath.findroot(lambda z: z / 2 - 1 + mpmath.exp(-z), 1.6))
    rows, out = [], []
    for L in (1.0, 2.0):
        model = get_model("resetting-diffusion")(mu=0.0, sigma=math.sqrt(2 * D), x0=0.0, hi=L)
        r_star = model.value("optimal_reset_rate")
        z_star = L * math.sqrt(r_star / D)
        t_star = (L * L / D) * math.expm1(z_ref) / z_ref**2
        row = dict(L=L, r_star=r_star, z_star=z_star, z_ref=z_ref, t_star_formula=t_star)
        dt = 1e-4 if full else 1e-3
        paths = 20_000 if full else 2_000
        sims = []
        for k, factor in enumerate((0.5, 1.0, 2.0)):
            r = factor * r_star
            m = get_model("resetting-diffusion")(
                mu=0.0, sigma=math.sqrt(2 * D), x0=0.0, hi=L, r=r, dt=dt
            )
            t_theory = m.value("mean_first_passage_time")
            t_paper = math.expm1(math.sqrt(r / D) * L) / r
            est = simulate(m, paths, rng=seed + 10 * k + int(L), level=bonferroni(6), threads=None)
            sims.append((r, t_paper, t_theory, est.estimates["mean_first_passage_time"]))
            out.append(
                (
                    L,
                    f"{factor:g} r*",
                    f"{r:.6f}",
                    f"{t_paper:.6f}",
                    f"{t_theory:.6f}",
                    interval(est.estimates["mean_first_passage_time"]),
                    dt,
                )
            )
        row["sims"] = sims
        rows.append(row)
    head = (
        f"z* published {Z_STAR_PUBLISHED}...; driftkit (L = 1) {rows[0]['z_star']:.10f}, "
        f"(L = 2) {rows[1]['z_star']:.10f}; root of z/2 = 1 - e^-z (mpmath) {z_ref:.10f}.\n"
        f"T* = (L^2/D)(e^z* - 1)/z*^2 = {rows[0]['t_star_formula']:.6f} L^2/D.\n\n"
    )
    header = (
        "L",
        "rate",
        "r",
        "T(r) (Evans & Majumdar)",
        "T(r) (driftkit)",
        "T(r) simulated",
        "dt",
    )
    return Entry(head + table(header, out), rows)


if __name__ == "__main__":
    main(run, __doc__)
