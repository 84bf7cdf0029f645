"""Confidence intervals used across the analyses, each in its textbook closed form.

* :func:`t_interval` — mean ± t(0.975, n−1)·s/√n;
* :func:`wilson_interval` — Wilson score interval of a proportion (Wilson 1927);
* :func:`poisson_interval` — exact (Garwood) interval of a Poisson count;
* :func:`rate_ratio_interval` — exact conditional interval of a ratio of two Poisson rates
  (a Clopper–Pearson interval on the share of events in the first group).

All functions are vectorised over array-likes (numpy arrays, Series, numbers) and return NaN
where the interval is undefined.

Examples
--------
>>> low, high = wilson_interval(3, 10)
>>> round(float(low), 4), round(float(high), 4)
(0.1078, 0.6032)
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy import stats

__all__ = ["t_interval", "wilson_interval", "poisson_interval", "rate_ratio_interval", "Z95"]

Z95 = float(stats.norm.ppf(0.975))


def t_interval(
    mean: npt.ArrayLike, sd: npt.ArrayLike, n: npt.ArrayLike, *, level: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """Student-t interval of a mean; NaN where ``n < 2``.

    Examples
    --------
    >>> low, high = t_interval(np.array([5.0]), np.array([2.0]), np.array([4]))
    >>> round(float(low[0]), 3), round(float(high[0]), 3)
    (1.818, 8.182)
    """
    mean, sd, n = (np.asarray(x, dtype=float) for x in (mean, sd, n))
    with np.errstate(invalid="ignore", divide="ignore"):
        half = stats.t.ppf(0.5 + level / 2, n - 1) * sd / np.sqrt(n)
    half = np.where(n >= 2, half, np.nan)
    return mean - half, mean + half


def wilson_interval(
    events: npt.ArrayLike, n: npt.ArrayLike, *, z: float = Z95
) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for ``events`` out of ``n``; NaN where ``n == 0``.

    ``(p + z²/2n ± z·√(p(1−p)/n + z²/4n²)) / (1 + z²/n)``

    Examples
    --------
    >>> low, high = wilson_interval(0, 20)
    >>> float(low), round(float(high), 4)
    (0.0, 0.1611)
    """
    k = np.asarray(events, dtype=float)
    n = np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = k / n
        centre = p + z * z / (2 * n)
        half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
        denominator = 1 + z * z / n
        low = np.clip((centre - half) / denominator, 0.0, 1.0)
        high = np.clip((centre + half) / denominator, 0.0, 1.0)
    return np.where(n > 0, low, np.nan), np.where(n > 0, high, np.nan)


def poisson_interval(
    events: npt.ArrayLike, *, level: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """Exact (Garwood) interval of a Poisson count: χ² quantiles, lower bound 0 at 0 events.

    Examples
    --------
    >>> low, high = poisson_interval(0)
    >>> float(low), round(float(high), 4)
    (0.0, 3.6889)
    """
    k = np.asarray(events, dtype=float)
    alpha = 1 - level
    low = np.where(k > 0, stats.chi2.ppf(alpha / 2, 2 * k) / 2, 0.0)
    high = stats.chi2.ppf(1 - alpha / 2, 2 * k + 2) / 2
    return low, high


def rate_ratio_interval(
    events: npt.ArrayLike,
    time: npt.ArrayLike,
    ref_events: npt.ArrayLike,
    ref_time: npt.ArrayLike,
    *,
    level: float = 0.95,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rate ratio (events/time over ref_events/ref_time) with its exact conditional interval.

    Given the total count, the first group's events are binomial with
    ``π = RR·t / (RR·t + t_ref)``; a Clopper–Pearson interval for π maps back to RR.

    Examples
    --------
    >>> rr, low, high = rate_ratio_interval(np.array([10]), np.array([100.0]),
    ...                                     np.array([5]), np.array([100.0]))
    >>> float(rr[0]), round(float(low[0]), 3), round(float(high[0]), 3)
    (2.0, 0.623, 7.457)
    """
    k1, t1, k0, t0 = (np.asarray(x, dtype=float) for x in (events, time, ref_events, ref_time))
    total = k1 + k0
    alpha = 1 - level
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = (k1 / t1) / (k0 / t0)
        p_low = np.where(k1 > 0, stats.beta.ppf(alpha / 2, k1, total - k1 + 1), 0.0)
        p_high = np.where(k0 > 0, stats.beta.ppf(1 - alpha / 2, k1 + 1, total - k1), 1.0)
        low = p_low / (1 - p_low) * t0 / t1
        high = np.where(p_high < 1, p_high / (1 - p_high) * t0 / t1, np.inf)
    undefined = (total == 0) | (t1 <= 0) | (t0 <= 0)
    return (
        np.where(undefined | (k0 == 0), np.nan, ratio),
        np.where(undefined, np.nan, low),
        np.where(undefined, np.nan, high),
    )
