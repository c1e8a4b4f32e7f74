"""Feller's table of the classical ruin problem, every row, beside driftkit.

Source: W. Feller, *An Introduction to Probability Theory and Its Applications*,
vol. I, 3rd ed. (Wiley, 1968), chapter XIV, Table 1 ("Illustrating the classical ruin
problem"): a gambler with capital ``z`` plays for unit stakes, winning with
probability ``p``, until ruin (0) or until the capital reaches ``a``. The published
columns are the probability of ruin, the expected gain ``a (1 - ruin) - z`` and the
expected duration, rounded as printed (three decimals, one decimal, whole numbers).

driftkit: ``gamblers-ruin`` with ``lo=0, hi=a, x0=z`` -- the ruin probability and the
mean exit time are derived by solving the recurrences (``driftkit theory
gamblers-ruin --derivation``); the gain follows from the ruin probability. The
simulated columns are the kernel's intervals, 99.9% for the whole table (Bonferroni)
(reduced: rows with a duration
up to 1,000; ``--full``: every row).

Run: ``python docs/gallery/feller_ruin.py [--full]``.
"""

from __future__ import annotations

from _gallery import Entry, bonferroni, interval, main, table
from driftkit.montecarlo import simulate
from driftkit.theory import get_model

#: Feller (1968), vol. I, ch. XIV, Table 1: (p, q, z, a, ruin, gain, duration) as printed
FELLER = [
    (0.5, 0.5, 9, 10, 0.1, 0.0, 9.0),
    (0.5, 0.5, 90, 100, 0.1, 0.0, 900.0),
    (0.5, 0.5, 900, 1000, 0.1, 0.0, 90_000.0),
    (0.5, 0.5, 950, 1000, 0.05, 0.0, 47_500.0),
    (0.5, 0.5, 8000, 10_000, 0.2, 0.0, 16_000_000.0),
    (0.45, 0.55, 9, 10, 0.210, -1.1, 11.0),
    (0.45, 0.55, 90, 100, 0.866, -76.6, 765.6),
    (0.45, 0.55, 99, 100, 0.182, -17.2, 171.8),
    (0.4, 0.6, 90, 100, 0.983, -88.3, 441.3),
    (0.4, 0.6, 99, 100, 0.333, -32.3, 161.7),
]

#: every simulated interval of the table (10 rows x 2) holds at 99.9% together
LEVEL = bonferroni(2 * len(FELLER))


def run(full: bool = False, seed: int = 1) -> Entry:
    """Every row of Feller's table: published, derived, and (where sized) simulated."""
    rows, out = [], []
    for i, (p, q, z, a, ruin, gain, duration) in enumerate(FELLER):
        model = get_model("gamblers-ruin")(p=p, q=q, lo=0, hi=a, x0=z)
        t_ruin = model.value("ruin_probability")
        t_gain = a * (1.0 - t_ruin) - z
        t_duration = model.value("mean_exit_time")
        row = dict(p=p, z=z, a=a, published=(ruin, gain, duration))
        row["theory"] = (t_ruin, t_gain, t_duration)
        sim_ruin = sim_duration = "not run (`--full`)"
        if full or duration <= 1000:
            paths = (20_000 if duration <= 1000 else 200) if full else 2_000
            result = simulate(
                model, paths, rng=seed + i, level=LEVEL, max_steps=10**9, threads=None
            )
            row["simulated"] = result.estimates
            row["censored"] = result.censored
            sim_ruin = interval(result.estimates["ruin_probability"])
            sim_duration = interval(result.estimates["mean_exit_time"])
        rows.append(row)
        out.append(
            (
                p,
                z,
                a,
                ruin,
                f"{t_ruin:.6f}",
                sim_ruin,
                gain,
                f"{t_gain:.4f}",
                duration,
                f"{t_duration:.2f}",
                sim_duration,
            )
        )
    header = (
        "p",
        "z",
        "a",
        "ruin (Feller)",
        "ruin (driftkit)",
        "ruin (simulated)",
        "gain (Feller)",
        "gain (driftkit)",
        "duration (Feller)",
        "duration (driftkit)",
        "duration (simulated)",
    )
    return Entry(table(header, out), rows)


if __name__ == "__main__":
    main(run, __doc__)
