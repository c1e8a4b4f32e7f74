"""The toy models of Clymer, Westover & Khandelwal (2025), sections 6.1 and 6.2.

Source: J. Clymer, A. Westover, A. Khandelwal, "Will AI systems drift into
misalignment?" (Redwood Research blog, 15 November 2025), section 6: "Understanding
alignment drift dynamics with toy models". The post's figures are single simulation
runs and carry no numbers to transcribe; its statements are qualitative, so each is
set beside what driftkit derives and simulates.

6.1 (evolution toy model; driftkit ``clymer-evolution``, mean field exact): the post
states that the aligned share falls in proportion to the logarithm of the number of
steps, and that the expected time for an aligned agent to drift grows linearly with
the steps; it shows two drift distributions (driftkit: Beta(alpha, 1) with the
default alpha = 0.2 and the variant alpha = 0.5 -- the post gives no numbers, these
are this package's readings). The table gives the aligned share ``A_t``, its drop per
decade of ``t`` (constant = "proportional to log t"), the expected drift time
``1/p_t`` of a surviving aligned agent, ``(1/p_t)/t`` (constant = linear growth) and
its derived large-t limit ``1/(alpha (1 + q))``.

6.2 (gradient-descent toy model; driftkit ``clymer-gradient``): the post's base run,
the penalty removed, a noiseless detector, and the detector-bias tax 0.1 and 0.005.
driftkit's exact result ``E[a_n - b_n] = a_0 - b_0 + lr n (bias_cost - w p)``: with
the penalty and no tax the alignment falls behind the detector's bias for ever (the
post's point: selection on a fooled detector lets misalignment through); without the
penalty nothing drifts apart; a tax above ``w p = 0.01`` (0.1) reverses the gap, one
below it (0.005) halves its growth. Simulated: intervals (``validate``, 99.9% for all
runs together) with
the verdict; the mean-field values of a, b, v are approximations with a calibrated
allowance, so their verdict may be ``inconclusive``.

Run: ``python docs/gallery/clymer_post.py [--full]``.
"""

from __future__ import annotations

import math

from _gallery import Entry, bonferroni, interval, main, table
from driftkit.montecarlo import validate
from driftkit.theory import get_model

VARIANTS = (
    ("base (penalty 0.1 w.p. 0.1)", {}),
    ("penalty removed", {"penalty_prob": 0.0}),
    ("noiseless detector", {"noise": 0}),
    ("bias tax 0.1", {"bias_cost": 0.1}),
    ("bias tax 0.005", {"bias_cost": 0.005}),
)

#: 10 evolution runs and 5 gradient runs, each a validate at this level: 99.9% together
LEVEL = bonferroni(15)


def evolution(full: bool, seed: int) -> tuple[str, list[dict]]:
    """Section 6.1: A_t and 1/p_t over t for the two drift distributions."""
    rows, out = [], []
    for alpha in (0.2, 0.5):
        previous = None
        for k, t in enumerate((1, 10, 100, 1000, 10_000)):
            model = get_model("clymer-evolution")(alpha=alpha, steps=t, agents=2_000)
            a_t = model.value("aligned_fraction")
            drift_time = 1.0 / model.value("mean_drift_probability")
            limit = 1.0 / (alpha * (1.0 + model["detect_prob"]))
            row = dict(alpha=alpha, t=t, aligned=a_t, drift_time=drift_time, limit=limit)
            sim = "not run (`--full`)"
            if full or t <= 1000:
                v = validate(model, 200 if full else None, rng=seed + k, level=LEVEL)
                c = v.comparisons["aligned_fraction"]
                row["verdict"] = c.verdict
                sim = f"{interval(c.estimate)} {c.verdict}"
            drop = "" if previous is None else f"{previous - a_t:.4f}"
            previous = a_t
            rows.append(row)
            out.append(
                (
                    alpha,
                    t,
                    f"{a_t:.5f}",
                    drop,
                    sim,
                    f"{drift_time:.5g}",
                    f"{drift_time / t:.4f}",
                    f"{limit:.4f}",
                )
            )
    header = (
        "alpha",
        "steps t",
        "aligned share A_t",
        "drop per decade",
        "simulated (N = 2000)",
        "drift time 1/p_t",
        "(1/p_t)/t",
        "limit 1/(alpha(1+q))",
    )
    return table(header, out), rows


def gradient(full: bool, seed: int) -> tuple[str, list[dict]]:
    """Section 6.2: the post's five training runs at lr = 0.01, 20,000 steps."""
    rows, out = [], []
    for k, (label, params) in enumerate(VARIANTS):
        model = get_model("clymer-gradient")(**params)
        v = validate(model, 4_000 if full else None, rng=seed + k, level=LEVEL)
        a, b = model.value("mean_alignment"), model.value("mean_bias")
        n, lr = model["steps"], model["lr"]
        gap = 1.0 + n * lr * (model["bias_cost"] - model["penalty_weight"] * model["penalty_prob"])
        row = dict(label=label, params=params, gap=gap, a=a, b=b)
        row["verdicts"] = {name: c.verdict for name, c in v.comparisons.items()}
        rows.append(row)
        sa, sb = v.comparisons["mean_alignment"], v.comparisons["mean_bias"]
        out.append(
            (
                label,
                f"{a:.4f}",
                f"{interval(sa.estimate)} {sa.verdict}",
                f"{b:.4f}",
                f"{interval(sb.estimate)} {sb.verdict}",
                f"{gap:.4f}",
                f"{model.value('mean_variance'):.4f}",
            )
        )
    header = (
        "run",
        "alignment a (mean field)",
        "a simulated",
        "bias b (mean field)",
        "b simulated",
        "E[a - b] (exact)",
        "variance v (mean field)",
    )
    return table(header, out), rows


def run(full: bool = False, seed: int = 1) -> Entry:
    """Both sections, as two tables."""
    md1, rows1 = evolution(full, seed)
    md2, rows2 = gradient(full, seed)
    assert all(math.isfinite(r["aligned"]) for r in rows1)
    markdown = (
        f"**6.1 Evolution toy model**\n\n{md1}\n\n**6.2 Gradient-descent toy model**\n\n{md2}"
    )
    return Entry(markdown, rows1 + rows2)


if __name__ == "__main__":
    main(run, __doc__)
