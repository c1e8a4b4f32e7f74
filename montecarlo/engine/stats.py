"""Interval estimates: Wilson and Clopper-Pearson for proportions, CLT for means.

Proportions never use the Wald interval (it fails at small p). Intervals come
from :func:`scipy.stats.binomtest`; means from the normal quantile with the
sample variance.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

from driftkit.montecarlo.engine.settings import INTERVAL_METHODS
from scipy import stats

__all__ = [
    "Estimate",
    "bonferroni",
    "effective_sample_size",
    "mean_interval",
    "proportion_interval",
    "weighted_mean_estimate",
]


@dataclass(frozen=True)
class Estimate:
    """A simulated estimate with its confidence interval.

    ``ci_high`` may be ``inf`` when censored paths leave the interval open.
    Rare-event estimators (:func:`weighted_mean_estimate`) also fill in
    ``relative_error`` (standard error / estimate) and ``ess``, the effective
    sample size; naive estimates leave both ``None``.
    """

    estimate: float
    ci_low: float
    ci_high: float
    n: int
    level: float
    method: str
    relative_error: float | None = None
    ess: float | None = None

    def contains(self, value: float) -> bool:
        return self.ci_low <= value <= self.ci_high

    def to_dict(self) -> dict:
        return asdict(self)


def _check_level(level: float) -> None:
    if not (isinstance(level, (int, float)) and 0.0 < level < 1.0):
        raise ValueError(f"parameter 'level' must be a number in (0, 1), got {level!r}")


def bonferroni(level: float, m: int) -> float:
    """Per-comparison confidence level giving family-wise ``level`` over ``m`` comparisons."""
    _check_level(level)
    if m < 1:
        raise ValueError(f"the number of comparisons must be >= 1, got {m}")
    return 1.0 - (1.0 - level) / m


def proportion_interval(
    k: int, n: int, level: float = 0.95, method: str = "wilson"
) -> tuple[float, float]:
    """Two-sided interval for a binomial proportion ``k / n``.

    ``method`` is ``"wilson"`` (score interval, the default) or
    ``"clopper-pearson"`` (exact, guaranteed coverage).
    """
    _check_level(level)
    if method not in INTERVAL_METHODS:
        raise ValueError(
            f"parameter 'interval' must be one of {', '.join(INTERVAL_METHODS)}, got {method!r}"
        )
    if n < 1 or not 0 <= k <= n:
        raise ValueError(f"need 0 <= k <= n and n >= 1, got k={k}, n={n}")
    ci = stats.binomtest(int(k), int(n)).proportion_ci(
        confidence_level=level, method="wilson" if method == "wilson" else "exact"
    )
    return float(ci.low), float(ci.high)


def censored_proportion(
    k: int, censored: int, n: int, level: float = 0.95, method: str = "wilson"
) -> Estimate:
    """Proportion of ``n`` paths with an event, ``censored`` of them undecided.

    The interval covers every way the censored paths could have ended: its low
    end treats them as failures, its high end as successes. The estimate is
    ``k / (n - censored)`` (``nan`` if every path was censored).
    """
    low, _ = proportion_interval(k, n, level, method)
    _, high = proportion_interval(k + censored, n, level, method)
    decided = n - censored
    est = k / decided if decided > 0 else math.nan
    return Estimate(est, low, high, n, level, method)


def mean_interval(
    total: float, total_sq: float, n: int, level: float = 0.95
) -> tuple[float, float, float]:
    """Mean and CLT interval from a sum and a sum of squares of ``n`` i.i.d. values."""
    _check_level(level)
    if n < 2:
        raise ValueError(f"a mean interval needs n >= 2 values, got {n}")
    mean = total / n
    var = max(total_sq - n * mean * mean, 0.0) / (n - 1)
    half = float(stats.norm.ppf(0.5 + level / 2)) * math.sqrt(var / n)
    return mean, mean - half, mean + half


def censored_time_mean(
    total: float, total_sq: float, n: int, censored: int, level: float = 0.95
) -> Estimate:
    """Mean of ``n`` non-negative times, ``censored`` of them cut at the step budget.

    Censored times enter with their clock at the cut, a lower bound, so the
    interval is open above (``ci_high = inf``) whenever any path was censored.
    """
    if n >= 2:
        mean, low, high = mean_interval(total, total_sq, n, level)
    else:
        mean, low, high = total / n, 0.0, math.inf
    if censored:
        high = math.inf
    return Estimate(mean, max(low, 0.0), high, n, level, "clt")


def normal_estimate(value: float, se: float, n: int, level: float) -> Estimate:
    """An asymptotically normal estimate with standard error ``se``."""
    _check_level(level)
    half = float(stats.norm.ppf(0.5 + level / 2)) * se
    return Estimate(float(value), value - half, value + half, n, level, "clt")


def effective_sample_size(total: float, total_sq: float) -> float:
    r"""Kish's effective sample size :math:`(\sum Y_i)^2 / \sum Y_i^2` of non-negative
    i.i.d. contributions :math:`Y_i` (``nan`` when every one is 0).

    For indicators it is the number of hits. In general, with :math:`n` contributions,
    the squared relative error of their mean is :math:`1/\mathrm{ESS} - 1/n`, so for a
    small probability the ESS is the number of naive hits that would give the same
    relative error.
    """
    return total * total / total_sq if total_sq > 0 else math.nan


def weighted_mean_estimate(
    total: float,
    total_sq: float,
    n: int,
    level: float = 0.95,
    *,
    upper_total: float | None = None,
    upper_total_sq: float | None = None,
    scale: float = 1.0,
    method: str = "clt",
) -> Estimate:
    r"""Mean of ``n`` i.i.d. non-negative contributions (importance weights on the event,
    per-tree splitting estimates), with a CLT interval, relative error and ESS.

    The contributions enter as sums ``total`` and ``total_sq`` in units of ``scale``
    (the estimate is ``scale * total / n``; a scale keeps squares from underflowing).
    Censored contributions, whose value is known only to lie in ``[0, c_i]``, count as 0
    in the estimate and the low end, and as ``c_i`` in the high end, which comes from
    ``upper_total`` and ``upper_total_sq`` (the sums of ``Y_i + c_i``); so the interval
    covers every way they could have ended. Low ends are clipped at 0.
    """
    _check_level(level)
    if n < 2:
        raise ValueError(f"a mean interval needs n >= 2 values, got {n}")
    mean, low, high = mean_interval(total, total_sq, n, level)
    if upper_total is not None:
        _, _, high = mean_interval(upper_total, upper_total_sq, n, level)
    var = max(total_sq - n * mean * mean, 0.0) / (n - 1)
    se = math.sqrt(var / n)
    rel = se / mean if mean > 0 else math.inf
    return Estimate(
        scale * mean,
        scale * max(low, 0.0),
        scale * high,
        n,
        level,
        method,
        relative_error=rel,
        ess=effective_sample_size(total, total_sq),
    )
