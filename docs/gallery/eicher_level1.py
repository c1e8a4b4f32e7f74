"""Eicher (2026), Level 1: the deceptive ratio over rho x beta, reproduced by belief-pool.

Source: J. E. Eicher, "Simulating the Evolution of Alignment and Values in Machine
Intelligence", arXiv:2604.05274 (2026); the author's repository
bluewin4/Evolution-of-Alignment: configuration ``configs/level1_final_sweeps.yaml`` (a pool
of 3000 bivariate-normal beliefs, 300 models of 50 beliefs, 100 questions of activation
density 0.1, inheritance without mutation, 100 generations; the 2-D sweep rho in
{0, 0.3, 0.6, 0.9} x beta in {1, 5, 10, 15}, 25 runs per cell) and its published results,
``npz_data_for_llm/simulation_data_analysis.txt`` ("Level 1", array ``mean_deceptive``:
the mean over the 25 runs of the final deceptive ratio). The file gives no run-to-run
spread; the spread here is driftkit's per-run standard deviation, and the paper's
standard error is taken as that over sqrt(25).

The paper's loop scores the population, then selects; its reported ratio is that of the
100th population scored, after 99 selection rounds, so the runs here use
``generations=99``.

driftkit: ``belief-pool`` (the simulation; ``deceptive_ratio`` the strong-selection
approximation, ``deceptive_ratio_lower``/``_upper`` the issue's bracket). Simulated
intervals are 99.9% for the whole table (Bonferroni over its 16 cells).

Run: ``python docs/gallery/eicher_level1.py [--full]`` (full: 2000 runs per cell).
"""

from __future__ import annotations

import math

from _gallery import Entry, bonferroni, interval, main, table
from driftkit.montecarlo import simulate
from driftkit.theory import get_model
from scipy import stats

RHOS = (0.0, 0.3, 0.6, 0.9)
BETAS = (1.0, 5.0, 10.0, 15.0)
#: npz_data_for_llm/simulation_data_analysis.txt, Level 1, mean_deceptive[rho][beta]
PUBLISHED = (
    (0.318136, 0.32166133333333335, 0.35186933333333337, 0.327216),
    (0.246816, 0.2543973333333333, 0.277088, 0.2616),
    (0.17586133333333337, 0.17950133333333335, 0.166968, 0.16879999999999998),
    (0.07812533333333334, 0.07732533333333334, 0.07926666666666668, 0.07190933333333334),
)
#: runs per cell in the paper's 2-D sweep (level1_final_sweeps.yaml, 2D_SWEEP.n_runs)
PAPER_RUNS = 25


def run(full: bool = False, seed: int = 1) -> Entry:
    """The 16 cells: the paper's mean, driftkit's simulation, the approximation, the bracket."""
    paths = 2000 if full else 100
    level = bonferroni(len(RHOS) * len(BETAS))
    rows, out = [], []
    for i, rho in enumerate(RHOS):
        for j, beta in enumerate(BETAS):
            model = get_model("belief-pool")(rho=rho, beta=beta, generations=99)
            sim = simulate(model, paths, rng=seed + 10 * i + j, level=level)
            est = sim.estimates["deceptive_ratio"]
            # per-run standard deviation, from the Student-t interval of the mean
            crit = stats.t.ppf(0.5 + level / 2, est.n - 1)
            sd = (est.ci_high - est.ci_low) / (2 * crit) * math.sqrt(est.n)
            paper = PUBLISHED[i][j]
            joint_se = math.hypot(sd / math.sqrt(PAPER_RUNS), sd / math.sqrt(est.n))
            row = dict(
                rho=rho,
                beta=beta,
                published=paper,
                simulated=est,
                sd=sd,
                z=(paper - est.estimate) / joint_se,
                approximation=model.value("deceptive_ratio"),
                lower=model.value("deceptive_ratio_lower"),
                upper=model.value("deceptive_ratio_upper"),
                censored=sim.censored,
            )
            rows.append(row)
            out.append(
                (
                    rho,
                    beta,
                    f"{paper:.4f}",
                    interval(est),
                    f"{sd:.3f}",
                    f"{sd / math.sqrt(PAPER_RUNS):.3f}",
                    f"{row['z']:+.2f}",
                    f"{row['approximation']:.4f}",
                    f"[{row['lower']:.4f}, {row['upper']:.4f}]",
                )
            )
    header = (
        "rho",
        "beta",
        "Eicher (25 runs)",
        f"driftkit simulated ({paths} runs)",
        "run-to-run sd",
        "paper's standard error",
        "z (paper - driftkit)",
        "strong-selection approximation",
        "bracket [lower, upper]",
    )
    return Entry(table(header, out), rows)


if __name__ == "__main__":
    main(run, __doc__)
