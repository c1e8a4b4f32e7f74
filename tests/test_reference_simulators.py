"""Kernels against independent reference simulators (issue 13, item 4).

Every model's numba kernel is run through :func:`driftkit.montecarlo.simulate` and
compared with a plain numpy simulator written from the model's definition in its
docs page (``tests/reference/<model>.py``; no code shared with the kernels), on a few
parameter sets per model, one of them away from the defaults. A convention error the
kernel shares with the theory (a variance read as a standard deviation, a step
counted twice) agrees with the theory but not with the reference.

Each simulated quantity is compared by a two-sample test on fixed seeds:
proportions (kernel interval ``wilson``) by the pooled two-proportion z-test on the
kernel's count and the reference's; means by the difference of means over
sqrt(se_kernel^2 + se_reference^2), the kernel's standard error read off its interval
half-width (divided by the normal or Student quantile of its level), the reference's
the sample standard deviation over sqrt(n). The kernel exposes no per-path samples,
so no whole-distribution (KS) test is possible. The family-wise level is 99.9%,
Bonferroni over every comparison in this file.
"""

from __future__ import annotations

import importlib.util
import math
import sys
from pathlib import Path

import numpy as np
import pytest
from driftkit.montecarlo import simulate
from driftkit.theory import get_model, model_names
from scipy import stats

REFERENCE_DIR = Path(__file__).parent / "reference"

#: family-wise error rate of the whole file (99.9% confidence)
FAMILY_ALPHA = 1e-3

# (model, label, parameters (over the defaults), kernel paths, reference paths, quantities)
CASES: list[tuple[str, str, dict, int, int, tuple[str, ...]]] = [
    (
        "gamblers-ruin",
        "defaults",
        {},
        20_000,
        20_000,
        ("drift_rate", "step_variance", "escape_probability", "ruin_probability", "mean_exit_time"),
    ),
    (
        "gamblers-ruin",
        "holding",
        dict(p=0.3, q=0.5, lo=-3, hi=4, x0=0),
        20_000,
        20_000,
        ("drift_rate", "step_variance", "escape_probability", "ruin_probability", "mean_exit_time"),
    ),
    (
        "brownian-drift",
        "defaults",
        {},
        20_000,
        10_000,
        ("drift_rate", "escape_probability", "mean_exit_time", "escape_by_time"),
    ),
    (
        "brownian-drift",
        "away",
        dict(mu=-0.3, sigma=0.7, lo=-1.0, hi=1.5, x0=0.2, t=1.0),
        20_000,
        10_000,
        ("drift_rate", "escape_probability", "mean_exit_time", "escape_by_time"),
    ),
    (
        "monitored-diffusion",
        "defaults",
        {},
        20_000,
        10_000,
        ("escape_probability", "detection_probability", "mean_time"),
    ),
    (
        "monitored-diffusion",
        "away",
        dict(mu=-0.2, sigma=1.5, kappa=0.3, lo=-1.0, hi=2.0, x0=0.5),
        20_000,
        10_000,
        ("escape_probability", "detection_probability", "mean_time"),
    ),
    (
        "ornstein-uhlenbeck",
        "defaults",
        {},
        20_000,
        5_000,
        ("mean_first_passage_time", "stationary_exceedance"),
    ),
    (
        "ornstein-uhlenbeck",
        "away",
        dict(theta=2.0, m=0.5, sigma=0.8, x0=0.7, hi=1.2),
        20_000,
        5_000,
        ("mean_first_passage_time", "stationary_exceedance"),
    ),
    ("resetting-diffusion", "defaults", {}, 20_000, 5_000, ("mean_first_passage_time",)),
    (
        "resetting-diffusion",
        "away",
        dict(mu=0.3, sigma=1.0, r=1.0, x0=0.5, hi=2.0),
        20_000,
        5_000,
        ("mean_first_passage_time",),
    ),
    (
        "resetting-diffusion",
        "clock",
        dict(mu=0.2, sigma=1.2, x0=0.0, hi=1.5, period=0.7),
        20_000,
        5_000,
        ("mean_first_passage_time",),
    ),
    ("entropy-ball", "defaults", {}, 20_000, 5_000, ("return_probability", "mean_exit_time")),
    (
        "entropy-ball",
        "away",
        dict(d=3, sigma=0.5, a=0.3, R=1.5, r0=0.6),
        20_000,
        5_000,
        ("return_probability", "mean_exit_time"),
    ),
    (
        "fisher-geometric",
        "defaults",
        {},
        50_000,
        50_000,
        ("beneficial_probability", "expected_progress"),
    ),
    (
        "fisher-geometric",
        "away",
        dict(d=3, z=0.5, sigma=0.4),
        50_000,
        50_000,
        ("beneficial_probability", "expected_progress"),
    ),
    (
        "goodhart-selection",
        "defaults",
        {},
        50_000,
        50_000,
        (
            "deceptive_probability",
            "false_pass_rate",
            "selected_true_mean",
            "top_fraction_true_mean",
            "top_fraction_deceptive_rate",
        ),
    ),
    (
        "goodhart-selection",
        "away",
        dict(rho=-0.3, c=0.5, fraction=0.3),
        50_000,
        50_000,
        (
            "deceptive_probability",
            "false_pass_rate",
            "selected_true_mean",
            "top_fraction_true_mean",
            "top_fraction_deceptive_rate",
        ),
    ),
    (
        "best-of-n",
        "defaults",
        {},
        20_000,
        20_000,
        ("expected_gold", "expected_proxy"),
    ),
    (
        "best-of-n",
        "heavy-tailed",
        dict(n=40, sigma=0.7, nu=2.5),
        20_000,
        20_000,
        ("expected_gold", "expected_proxy"),
    ),
    (
        "moran",
        "defaults",
        {},
        10_000,
        5_000,
        ("fixation_probability", "mean_absorption_time", "mean_fixation_time"),
    ),
    (
        "moran",
        "away",
        dict(N=20, r=0.8, i0=5),
        10_000,
        5_000,
        ("fixation_probability", "mean_absorption_time", "mean_fixation_time"),
    ),
    (
        "wright-fisher",
        "defaults",
        {},
        20_000,
        20_000,
        ("exact_fixation_probability", "mean_absorption_time"),
    ),
    (
        "wright-fisher",
        "away",
        dict(N=50, s=-0.05, p0=0.2, u=0.01),
        20_000,
        20_000,
        ("exact_fixation_probability", "mean_absorption_time"),
    ),
    (
        "clymer-evolution",
        "small",
        dict(agents=200, steps=50),
        400,
        400,
        (
            "aligned_fraction",
            "undetectable_fraction",
            "mean_drift_probability",
            "undetectable_type_fraction",
        ),
    ),
    (
        "clymer-evolution",
        "away",
        dict(agents=100, alpha=1.0, beta=2.0, detect_prob=0.5, steps=30),
        400,
        400,
        (
            "aligned_fraction",
            "undetectable_fraction",
            "mean_drift_probability",
            "undetectable_type_fraction",
        ),
    ),
    (
        "clymer-gradient",
        "short",
        dict(lr=0.05, steps=200),
        2_000,
        2_000,
        (
            "drift_capability",
            "drift_alignment",
            "drift_bias",
            "drift_variance",
            "mean_capability",
            "mean_alignment",
            "mean_bias",
            "mean_variance",
        ),
    ),
    (
        "clymer-gradient",
        "wide-noise",
        dict(
            lr=0.02,
            steps=300,
            eps=0.3,
            variance0=2.0,
            penalty_prob=0.3,
            penalty_weight=0.2,
            bias_cost=0.05,
        ),
        2_000,
        2_000,
        (
            "drift_capability",
            "drift_alignment",
            "drift_bias",
            "drift_variance",
            "mean_capability",
            "mean_alignment",
            "mean_bias",
            "mean_variance",
        ),
    ),
    (
        "clymer-gradient",
        "noiseless",
        dict(lr=0.02, steps=300, noise=0, alignment0=0.8, bias_cost=0.1),
        2_000,
        2_000,
        ("drift_alignment", "drift_bias", "mean_alignment", "mean_bias", "mean_variance"),
    ),
    (
        "belief-evolution",
        "small",
        dict(population=50, beliefs=5, generations=5),
        1_000,
        1_000,
        ("deceptive_fraction", "deceptive_fraction_neutral", "mean_signal", "mean_true_value"),
    ),
    (
        "belief-evolution",
        "away",
        dict(population=30, beliefs=8, generations=8, rho=0.3, beta=0.5, mu=0.1),
        1_000,
        1_000,
        ("deceptive_fraction", "deceptive_fraction_neutral", "mean_signal", "mean_true_value"),
    ),
    (
        "belief-pool",
        "small",
        dict(
            pool_size=200,
            n_models=30,
            beliefs_per_model=8,
            n_questions=20,
            activation_density=0.2,
            generations=10,
        ),
        1_000,
        1_000,
        ("deceptive_ratio", "deceptive_ratio_initial"),
    ),
    (
        "belief-pool",
        "away",
        dict(
            rho=-0.4,
            beta=20.0,
            pool_size=100,
            n_models=20,
            beliefs_per_model=10,
            n_questions=15,
            activation_density=0.3,
            generations=15,
        ),
        1_000,
        1_000,
        ("deceptive_ratio", "deceptive_ratio_initial"),
    ),
    (
        "proxy-selection",
        "short",
        dict(steps=100),
        4_000,
        4_000,
        (
            "acceptance_probability",
            "unobserved_drift_rate",
            "observed_drift_rate",
            "expected_misalignment",
            "expected_observed_misalignment",
            "expected_unobserved_misalignment",
        ),
    ),
    (
        "proxy-selection",
        "noisy",
        dict(d=6, k=2, sigma=0.2, tol=0.02, tau=0.05, steps=60),
        10_000,
        10_000,
        (
            "acceptance_probability",
            "unobserved_drift_rate",
            "observed_drift_rate",
            "expected_misalignment",
            "expected_observed_misalignment",
            "expected_unobserved_misalignment",
        ),
    ),
]

_OU_AWAY = dict(theta=2.0, m=0.5, sigma=0.8, x0=0.7, hi=1.2)
_BROWNIAN_AWAY = dict(mu=-0.3, sigma=0.7, lo=-1.0, hi=1.5, x0=0.2, t=1.0)

# The rare-event estimators against the same references (naive reference samples):
# (model, label, parameters, method, kernel paths (trees for splitting), reference paths, quantity)
RARE_CASES: list[tuple[str, str, dict, str, int, int, str]] = [
    ("gamblers-ruin", "defaults", {}, "importance", 5_000, 20_000, "escape_probability"),
    ("brownian-drift", "away", _BROWNIAN_AWAY, "importance", 5_000, 10_000, "escape_probability"),
    ("ornstein-uhlenbeck", "away", _OU_AWAY, "splitting", 5_000, 5_000, "escape_probability"),
    ("entropy-ball", "defaults", {}, "splitting", 5_000, 8_000, "return_probability"),
]

#: Bonferroni: every comparison in the file at FAMILY_ALPHA / this count
N_COMPARISONS = sum(len(case[5]) for case in CASES) + len(RARE_CASES)
ALPHA = FAMILY_ALPHA / N_COMPARISONS


def _reference(model: str):
    """Load ``tests/reference/<model>.py`` as ``reference.<module>`` (for its relative imports)."""
    if "reference" not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            "reference",
            REFERENCE_DIR / "__init__.py",
            submodule_search_locations=[str(REFERENCE_DIR)],
        )
        package = importlib.util.module_from_spec(spec)
        sys.modules["reference"] = package
        spec.loader.exec_module(package)
    return importlib.import_module(f"reference.{model.replace('-', '_')}")


def _z_score(estimate, ref: np.ndarray) -> float:
    """Two-sample z of the kernel's estimate against the reference's samples."""
    n_r = ref.size
    if estimate.method in ("wilson", "clopper-pearson"):
        n_k = estimate.n
        k_k = round(estimate.estimate * n_k)
        k_r = float(ref.sum())
        pooled = (k_k + k_r) / (n_k + n_r)
        if pooled in (0.0, 1.0):
            return 0.0  # both samples all-0 or all-1: identical
        se = math.sqrt(pooled * (1 - pooled) * (1 / n_k + 1 / n_r))
        return (k_k / n_k - k_r / n_r) / se
    half = (estimate.ci_high - estimate.ci_low) / 2
    tail = (1 + estimate.level) / 2
    if estimate.method in ("t", "delta-t"):
        crit = stats.t.ppf(tail, max(estimate.n - 1, 1))
    else:
        crit = stats.norm.ppf(tail)
    se_k = half / crit
    se_r = float(ref.std(ddof=1)) / math.sqrt(n_r)
    diff = estimate.estimate - float(ref.mean())
    if se_k == 0 and se_r == 0:
        # a deterministic quantity (mean_capability, drift_capability): must match exactly
        return 0.0 if math.isclose(estimate.estimate, float(ref.mean()), rel_tol=1e-9) else math.inf
    return diff / math.hypot(se_k, se_r)


def test_every_model_has_a_reference_and_a_case_away_from_defaults():
    """Every built-in model is covered, each with at least one non-default parameter set."""
    covered = {case[0] for case in CASES}
    assert covered == set(model_names())
    for name in covered:
        assert (REFERENCE_DIR / f"{name.replace('-', '_')}.py").is_file()
        assert any(case[0] == name and case[2] for case in CASES), name


@pytest.mark.parametrize(
    "model, label, params, kernel_paths, ref_paths, quantities",
    CASES,
    ids=[f"{c[0]}-{c[1]}" for c in CASES],
)
def test_kernel_agrees_with_reference(model, label, params, kernel_paths, ref_paths, quantities):
    """Each quantity: two-sided p-value of kernel vs reference >= 0.001 / N_COMPARISONS."""
    instance = get_model(model)(**params)
    result = simulate(instance, kernel_paths, rng=20261202, threads=1)
    assert result.censored == 0
    samples = _reference(model).simulate(dict(instance.params), ref_paths, np.random.default_rng(7))
    failures = []
    for quantity in quantities:
        estimate = result.estimates[quantity]
        ref = np.asarray(samples[quantity], dtype=float)
        assert ref.size > 1 and np.isfinite(ref).all(), quantity
        z = _z_score(estimate, ref)
        p = 2 * stats.norm.sf(abs(z))
        if p < ALPHA:
            failures.append(
                f"{quantity}: kernel {estimate.estimate:.6g} (n={estimate.n}) vs reference "
                f"{ref.mean():.6g} (n={ref.size}), z={z:.2f}, p={p:.2e} < {ALPHA:.1e}"
            )
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize(
    "model, label, params, method, kernel_paths, ref_paths, quantity",
    RARE_CASES,
    ids=[f"{c[0]}-{c[1]}-{c[3]}" for c in RARE_CASES],
)
def test_rare_event_method_agrees_with_reference(
    model, label, params, method, kernel_paths, ref_paths, quantity
):
    """The importance/splitting estimate against the reference's plain indicators.

    The estimate's interval is a normal interval (estimate +- z se), so its standard
    error is read off the half-width as for a mean.
    """
    instance = get_model(model)(**params)
    result = simulate(instance, kernel_paths, rng=20261202, threads=1, method=method)
    samples = _reference(model).simulate(
        dict(instance.params), ref_paths, np.random.default_rng(11)
    )
    estimate = result.estimates[quantity]
    assert estimate.method == method
    ref = np.asarray(samples[quantity], dtype=float)
    z = _z_score(estimate, ref)
    p = 2 * stats.norm.sf(abs(z))
    assert p >= ALPHA, (
        f"{quantity}: {method} {estimate.estimate:.6g} vs reference {ref.mean():.6g} "
        f"(n={ref.size}), z={z:.2f}, p={p:.2e} < {ALPHA:.1e}"
    )
