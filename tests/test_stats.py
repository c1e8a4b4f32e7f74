"""Interval estimates against published values and their own definitions."""

import math

import pytest
from driftkit.montecarlo import bonferroni, censored_proportion, mean_interval, proportion_interval

# Newcombe, R. G. (1998). Two-sided confidence intervals for the single proportion:
# comparison of seven methods. Statistics in Medicine 17, 857-872, Table II:
# method 1 (Clopper-Pearson "exact") and method 3 (Wilson score), 95%.
NEWCOMBE = [
    (81, 263, (0.2553, 0.3662), (0.2527, 0.3676)),
    (15, 148, (0.0624, 0.1605), (0.0578, 0.1617)),
    (0, 20, (0.0000, 0.1611), (0.0000, 0.1684)),
    (1, 29, (0.0061, 0.1718), (0.0009, 0.1776)),
]


@pytest.mark.parametrize("k,n,wilson,exact", NEWCOMBE)
def test_proportion_intervals_match_newcombe(k, n, wilson, exact):
    assert proportion_interval(k, n, 0.95, "wilson") == pytest.approx(wilson, abs=5e-5)
    assert proportion_interval(k, n, 0.95, "clopper-pearson") == pytest.approx(exact, abs=5e-5)


def test_censored_paths_widen_the_interval():
    plain = censored_proportion(30, 0, 100, 0.95)
    open_ = censored_proportion(30, 10, 100, 0.95)
    assert open_.ci_low == pytest.approx(plain.ci_low)
    assert open_.ci_high == pytest.approx(proportion_interval(40, 100, 0.95)[1])
    assert open_.estimate == pytest.approx(30 / 90)
    assert open_.ci_low <= open_.estimate <= open_.ci_high
    assert math.isnan(censored_proportion(0, 5, 5).estimate)


def test_mean_interval_is_the_clt_interval():
    values = [1.0, 2.0, 4.0, 7.0]
    n = len(values)
    mean, low, high = mean_interval(sum(values), sum(v * v for v in values), n, 0.95)
    sd = math.sqrt(sum((v - 3.5) ** 2 for v in values) / (n - 1))  # sample s.d. 2.6458
    assert mean == 3.5
    assert high - mean == pytest.approx(1.959963984540054 * sd / 2)  # z_0.975 = 1.95996...
    assert mean - low == pytest.approx(high - mean)


def test_bonferroni():
    assert bonferroni(0.999, 5) == pytest.approx(0.9998)
    with pytest.raises(ValueError, match="level"):
        bonferroni(1.5, 2)


def test_interval_input_errors():
    with pytest.raises(ValueError, match="interval"):
        proportion_interval(1, 10, 0.95, "wald")
    with pytest.raises(ValueError):
        proportion_interval(11, 10)
