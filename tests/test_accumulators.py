"""Named accumulator layouts and the shared summariser (engine/accumulators.py, stats.py)."""

import math

import numpy as np
import pytest
from driftkit.montecarlo.engine.accumulators import layout
from driftkit.montecarlo.engine.stats import (
    CensoredMean,
    Mean,
    Proportion,
    Summary,
    censored_proportion,
    censored_time_mean,
)
from numba import njit

ACC = layout("TestAcc", "hits", "censored", "steps", "sum_t", "sum_t2")


@njit(cache=False)
def _fill(n):
    acc = np.zeros(len(ACC))
    for i in range(n):
        acc[ACC.hits] += 1.0
        acc[ACC.sum_t] += i
    acc[ACC.steps] = n
    return acc


def test_layout_slots_are_indices_numba_can_use():
    assert (ACC.hits, ACC.censored, ACC.sum_t2) == (0, 1, 4)
    assert ACC.names == ("hits", "censored", "steps", "sum_t", "sum_t2")
    assert ACC.index("steps") == 2
    assert ACC.zeros().shape == (5,)
    # 4 paths: hits 4, sum of 0 + 1 + 2 + 3 = 6 (by hand)
    assert ACC.read(_fill(4)) == {
        "hits": 4.0,
        "censored": 0.0,
        "steps": 4.0,
        "sum_t": 6.0,
        "sum_t2": 0.0,
    }


def test_layout_rejects_bad_names_and_shapes():
    with pytest.raises(ValueError, match="duplicate"):
        layout("Bad", "a", "a")
    with pytest.raises(ValueError, match="invalid"):
        layout("Bad", "read")
    with pytest.raises(ValueError, match="slot 'nope'"):
        ACC.index("nope")
    with pytest.raises(ValueError, match="5 slots"):
        ACC.read(np.zeros(4))


def test_summary_matches_the_estimators_it_names():
    summary = Summary(
        ACC,
        {
            "p": Proportion("hits", "censored"),
            "t": CensoredMean("sum_t", "sum_t2", "censored"),
            "m": Mean("sum_t", "sum_t2", "censored", low=0.0, high=10.0),
        },
    )
    totals = np.array([30.0, 2.0, 500.0, 120.0, 900.0])  # 100 paths, made up
    est, censored, steps = summary(totals, 100, 0.95, "wilson")
    assert (censored, steps) == (2, 500)
    assert est["p"] == censored_proportion(30, 2, 100, 0.95, "wilson")
    assert est["t"] == censored_time_mean(120.0, 900.0, 100, 2, 0.95)
    # a censored run's value is unknown: the whole range, no estimate, n counts it
    assert math.isnan(est["m"].estimate) and (est["m"].ci_low, est["m"].ci_high) == (0.0, 10.0)
    assert est["m"].n == 100
    assert list(summary(totals, 100, 0.95, "wilson", ["t"])[0]) == ["t"]


def test_summary_empty_denominators_carry_no_information():
    summary = Summary(
        ACC,
        {
            "rate": Proportion("censored", of="hits"),
            "mean": CensoredMean("sum_t", "sum_t2", of="hits"),
        },
        censored=None,
        steps=None,
    )
    est, censored, steps = summary(np.zeros(5), 7, 0.95, "wilson")
    assert (censored, steps) == (0, 7)  # no censoring slot; steps default to the paths
    assert math.isnan(est["rate"].estimate) and (est["rate"].ci_low, est["rate"].ci_high) == (0, 1)
    assert est["mean"].n == 0 and est["mean"].ci_high == math.inf


def test_summary_rejects_unknown_slots():
    with pytest.raises(ValueError, match="unknown accumulator slots"):
        Summary(ACC, {"p": Proportion("nope")})
