"""Interval estimates: Wilson and Clopper-Pearson for proportions, CLT for means.

Proportions never use the Wald interval (it fails at small p). Intervals come
from :func:`scipy.stats.binomtest`; means from the normal quantile with the
sample variance.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Union

from driftkit.montecarlo.engine.accumulators import Layout
from driftkit.montecarlo.engine.settings import INTERVAL_METHODS
from scipy import stats

__all__ = [
    "CensoredMean",
    "Estimate",
    "Mean",
    "Proportion",
    "Summary",
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


# -- the shared summariser ------------------------------------------------------------
#
# A kernel's totals are sums over paths; what each quantity is, in terms of those sums,
# is declared once per model as a Summary of the specs below, and turned into estimates
# with intervals here, the same way for every model.


@dataclass(frozen=True)
class Proportion:
    """A proportion: ``events`` of ``of`` (a count slot; ``None``: all paths), ``censored``
    of them undecided (:func:`censored_proportion`); no information when ``of`` is 0."""

    events: str
    censored: str | None = None
    of: str | None = None

    def estimate(self, acc: Mapping[str, float], paths: int, level: float, interval: str):
        n = paths if self.of is None else int(acc[self.of])
        if n == 0:
            return Estimate(math.nan, 0.0, 1.0, 0, level, interval)
        c = 0 if self.censored is None else int(acc[self.censored])
        return censored_proportion(int(acc[self.events]), c, n, level, interval)


@dataclass(frozen=True)
class CensoredMean:
    """The mean of a non-negative value (a time) of ``of`` paths (``None``: all), from
    its sum and sum of squares; ``censored`` paths enter with a lower bound, which opens
    the interval above (:func:`censored_time_mean`); no information when ``of`` is 0."""

    total: str
    total_sq: str
    censored: str | None = None
    of: str | None = None

    def estimate(self, acc: Mapping[str, float], paths: int, level: float, interval: str):
        n = paths if self.of is None else int(acc[self.of])
        if n == 0:
            return Estimate(math.nan, 0.0, math.inf, 0, level, "clt")
        c = 0 if self.censored is None else int(acc[self.censored])
        return censored_time_mean(acc[self.total], acc[self.total_sq], n, c, level)


@dataclass(frozen=True)
class Mean:
    """The mean of a value in ``[low, high]`` over the runs that finished: ``of`` of them
    (a count slot; ``None``: all paths but the ``censored`` ones). CLT interval (Student-t
    quantile with ``student_t``, method ``"t"``) clipped to ``[low, high]``; when a run was
    censored (its value is unknown) or fewer than two finished, the whole range, with the
    estimate ``nan`` if any was censored; ``n`` counts the censored runs too."""

    total: str
    total_sq: str
    censored: str | None = None
    of: str | None = None
    low: float = -math.inf
    high: float = math.inf
    student_t: bool = False

    def estimate(self, acc: Mapping[str, float], paths: int, level: float, interval: str):
        c = 0 if self.censored is None else int(acc[self.censored])
        n = paths - c if self.of is None else int(acc[self.of])
        total, total_sq = acc[self.total], acc[self.total_sq]
        method = "t" if self.student_t else "clt"
        if c or n < 2:
            est = total / n if n and not c else math.nan
            return Estimate(est, self.low, self.high, n + c, level, method)
        if self.student_t:
            mean = total / n
            var = max(total_sq - n * mean * mean, 0.0) / (n - 1)
            half = float(stats.t.ppf(0.5 + level / 2, n - 1)) * math.sqrt(var / n)
            low, high = mean - half, mean + half
        else:
            mean, low, high = mean_interval(total, total_sq, n, level)
        return Estimate(mean, max(low, self.low), min(high, self.high), n, level, method)


#: what a quantity of a :class:`Summary` is
Spec = Union[Proportion, CensoredMean, Mean]  # noqa: UP007 (runtime alias on Python 3.10)


@dataclass(frozen=True)
class Summary:
    """How a model's accumulator totals become estimates: the :class:`Layout` of the
    kernel's vector, a spec per quantity, and the slots that count censored paths and
    steps (``None``: no censoring; the steps are then the paths)."""

    layout: Layout
    specs: Mapping[str, Spec]
    censored: str | None = "censored"
    steps: str | None = "steps"

    def __post_init__(self) -> None:
        slots = set(self.layout.names)
        for name, spec in self.specs.items():
            used = [v for v in vars(spec).values() if isinstance(v, str)]
            missing = [u for u in used if u not in slots]
            if missing:
                raise ValueError(f"quantity {name!r} reads unknown accumulator slots {missing}")
        for slot in (self.censored, self.steps):
            if slot is not None and slot not in slots:
                raise ValueError(f"unknown accumulator slot {slot!r}")

    def __call__(
        self,
        totals: Sequence[float],
        paths: int,
        level: float,
        interval: str,
        names: Sequence[str] | None = None,
    ) -> tuple[dict[str, Estimate], int, int]:
        """Estimates of ``names`` (default: every spec, in order), the number of censored
        paths and the steps: what :meth:`Simulator.summarize` returns."""
        acc = self.layout.read(totals)
        wanted = self.specs if names is None else names
        est = {k: self.specs[k].estimate(acc, paths, level, interval) for k in wanted}
        censored = 0 if self.censored is None else int(acc[self.censored])
        steps = paths if self.steps is None else int(acc[self.steps])
        return est, censored, steps

    def read(self, totals: Sequence[float]) -> dict[str, float]:
        """``{slot: total}`` (for a model's own estimators beside the specs)."""
        return self.layout.read(totals)
