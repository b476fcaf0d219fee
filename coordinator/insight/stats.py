"""Plain statistics the reports and calibration use: interpolated percentiles from the ranks a query returns, a
mean with its t interval from (n, sum, sum of squares), and what an interval says. No Flask, no SQLAlchemy."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

#: two-sided 95% critical values of Student's t by degrees of freedom (1..30, then 40, 60, 120); beyond, 1.96
_T975 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306, 9: 2.262, 10: 2.228,
         11: 2.201, 12: 2.179, 13: 2.160, 14: 2.145, 15: 2.131, 16: 2.120, 17: 2.110, 18: 2.101, 19: 2.093,
         20: 2.086, 21: 2.080, 22: 2.074, 23: 2.069, 24: 2.064, 25: 2.060, 26: 2.056, 27: 2.052, 28: 2.048,
         29: 2.045, 30: 2.042, 40: 2.021, 60: 2.000, 120: 1.980}


def t975(df: int) -> float:
    """The 97.5% quantile of t with `df` degrees of freedom (table; between listed values the next smaller df,
    which errs on the wide side)."""
    if df < 1:
        raise ValueError("need at least one degree of freedom")
    if df in _T975:
        return _T975[df]
    if df > 120:
        return 1.96
    return _T975[max(k for k in _T975 if k < df)]


def rank_positions(n: int, p: float) -> tuple[int, int, float]:
    """For n sorted values and a fraction p: the two 0-based ranks to read and the weight of the upper one
    (linear interpolation between closest ranks, numpy's default)."""
    h = (n - 1) * p
    low = int(h)
    return low, min(low + 1, n - 1), h - low


def percentile_from_ranks(n: int, p: float, by_rank: Mapping[int, float]) -> float | None:
    """The p-th percentile of n sorted values given the values at (at least) the ranks `rank_positions` names."""
    if n <= 0:
        return None
    low, high, weight = rank_positions(n, p)
    return by_rank[low] + (by_rank[high] - by_rank[low]) * weight


def percentile(values: Sequence[float], p: float) -> float | None:
    """The same percentile over a plain list (for tests and small inputs)."""
    ordered = sorted(values)
    return percentile_from_ranks(len(ordered), p, dict(enumerate(ordered)))


@dataclass(frozen=True)
class MeanInterval:
    n: int
    mean: float
    low: float
    high: float

    @property
    def verdict(self) -> str:
        """What the interval says, in words: higher or lower than the panel only when it excludes zero."""
        if self.low > 0:
            return "rates higher than the panel"
        if self.high < 0:
            return "rates lower than the panel"
        return "in line with the panel"


def mean_interval(n: int, total: float, total_sq: float) -> MeanInterval | None:
    """Mean and two-sided 95% t interval of n values given their sum and sum of squares; None below 2 values."""
    if n < 2:
        return None
    mean = total / n
    variance = max(0.0, (total_sq - n * mean * mean) / (n - 1))
    half = t975(n - 1) * math.sqrt(variance / n)
    return MeanInterval(n, mean, mean - half, mean + half)
