"""Best-of-n overoptimization: Gao, Schulman & Hilton (2022); Kwa, Thomas & Garriga-Alonso (2024).

Sources: L. Gao, J. Schulman, J. Hilton, "Scaling laws for reward model
overoptimization" (arXiv:2210.10760, ICML 2023): under best-of-n against a proxy
reward model, the gold reward as a function of d = sqrt(KL), KL = log n - (n-1)/n, has
the form R(d) = d (alpha - beta d): it rises, peaks at d = alpha / (2 beta) and falls.
T. Kwa, D. Thomas, A. Garriga-Alonso, "Catastrophic Goodhart" (arXiv:2407.14503):
when the proxy's error is heavy-tailed, the true value of the best of n tends to 0 as
n grows while the proxy grows without bound; with light-tailed error it keeps growing.

driftkit: ``best-of-n`` (V ~ N(0, 1), U = V + X, X normal or Student-t; the gold
``expected_gold`` by quadrature, ``gao_alpha``/``gao_beta`` the least-squares fit of
Gao et al.'s form at n = 1, 2, 4, ..., 64). Simulated: the kernel's intervals, 99.9% for
the whole table (Bonferroni; reduced: n <= 64 and 20,000 paths; ``--full``: n <= 1024
and 100,000 paths). Theory alone beyond, to n = 10^9.

Run: ``python docs/gallery/best_of_n.py [--full]``.
"""

from __future__ import annotations

import mpmath
from _gallery import Entry, bonferroni, interval, main, table
from driftkit.montecarlo import simulate
from driftkit.theory import get_model

#: the error laws compared: normal, and Student-t with 5, 3 and 2.5 degrees of freedom
LAWS = (("normal", float("inf")), ("t, nu = 5", 5.0), ("t, nu = 3", 3.0), ("t, nu = 2.5", 2.5))
#: the n of the table (the theory at every one; simulated up to SIM_MAX)
NS = (1, 2, 4, 16, 64, 256, 1024, 10**4, 10**6, 10**9)


def origin_slope() -> float:
    """sqrt(2) int phi^2 / Phi dz: Gao's alpha at the origin for normal error, sigma = 0."""
    with mpmath.workdps(20):
        c = mpmath.quad(
            lambda z: mpmath.npdf(z) ** 2 / mpmath.ncdf(z), [-mpmath.inf, 0, mpmath.inf]
        )
        return float(mpmath.sqrt(2) * c)


def run(full: bool = False, seed: int = 1) -> Entry:
    """Gold against sqrt(KL) for each error law; Gao et al.'s fit; the large-n collapse."""
    model = get_model("best-of-n")
    sim_max, paths = (1024, 100_000) if full else (64, 20_000)
    n_sim = sum(1 for n in NS if n <= sim_max) * len(LAWS)
    rows, out = [], []
    k = 0
    for label, nu in LAWS:
        fit = model(sigma=1.0, nu=nu)
        alpha, beta = fit.value("gao_alpha"), fit.value("gao_beta")
        for n in NS:
            m = model(n=n, sigma=1.0, nu=nu)
            d = m.value("kl_distance")
            row = dict(
                law=label,
                nu=nu,
                n=n,
                d=d,
                gold=m.value("expected_gold"),
                proxy=m.value("expected_proxy"),
                fit=d * (alpha - beta * d),
            )
            sim = "not run" if n > sim_max else ""
            if n <= sim_max:
                res = simulate(m, paths, rng=seed + k, level=bonferroni(n_sim))
                k += 1
                row["simulated"] = res.estimates["expected_gold"]
                sim = interval(row["simulated"])
            rows.append(row)
            out.append(
                (
                    label,
                    n,
                    f"{d:.4f}",
                    f"{row['gold']:.6g}",
                    sim,
                    f"{row['fit']:.4g}",
                    f"{row['proxy']:.6g}",
                )
            )
    fits = []
    for label, nu in LAWS:
        fit = model(sigma=1.0, nu=nu)
        alpha, beta = fit.value("gao_alpha"), fit.value("gao_beta")
        peak = alpha / (2 * beta) if beta > 0 else float("inf")
        fits.append(
            (label, f"{alpha:.4f}", f"{beta:.4f}", "none (β < 0)" if beta <= 0 else f"{peak:.3f}")
        )
    markdown = "\n\n".join(
        [
            table(
                (
                    "error",
                    "n",
                    "d = sqrt(KL)",
                    "gold E[V_kept] (driftkit)",
                    "gold simulated",
                    "Gao fit d(α − βd)",
                    "proxy E[U_kept]",
                ),
                out,
            ),
            table(("error", "α (fit)", "β (fit)", "peak d = α/(2β)"), fits),
            f"Slope at the origin for normal error (derivation; mpmath): α₀ = "
            f"√2 ∫φ²/Φ dz / √(1+σ²) = {origin_slope() / 2**0.5:.6f} at σ = 1.",
        ]
    )
    return Entry(markdown, rows)


if __name__ == "__main__":
    main(run, __doc__)
