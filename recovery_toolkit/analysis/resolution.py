"""Time to resolution: Kaplan–Meier estimates per group (comparisons: :mod:`.comparison`).

Input is the episode table (:func:`~recovery_toolkit.analysis.episodes.episode_table`). Only
*sore* episodes (a baseline above ``resolved_at``) enter: their ``time`` is the confirmed
resolution day (``resolved`` true) or the censoring day; episodes with no reaction and those
without a baseline are counted beside the estimates. Estimates come from statsmodels'
``SurvfuncRight``:

* median: the smallest day t with S(t) ≤ 0.5 (empty when never reached); its 95 % interval
  runs from the first day the lower to the first day the upper pointwise 95 % log-log band of
  S(t) reaches 0.5 (Greenwood variance; the method of R's ``survival`` package);
* resolved by day t: 1 − S(t).

Examples
--------
>>> import recovery_toolkit as rt
>>> from recovery_toolkit.analysis.episodes import episode_table
>>> episodes = episode_table(rt.load_logs(rt.sample_path()).logs)
>>> table = time_to_resolution(episodes)
>>> table["treatment_type"].tolist()
['chiropractic', 'physical_therapy', 'injection', 'minor_procedure']
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from statsmodels.duration.survfunc import SurvfuncRight

from .. import vocab
from ..errors import RecoveryToolkitWarning
from ..schemas import TimeToResolutionTable, empty_table
from .clustering import km_band, patient_clusters
from .episodes import groups
from .intervals import Z95
from .settings import Settings, resolve

__all__ = [
    "in_population",
    "sore_episodes",
    "kaplan_meier",
    "km_curve",
    "time_to_resolution",
    "survival_at",
    "survival_band",
]


def kaplan_meier(time: np.ndarray, event: np.ndarray) -> SurvfuncRight:
    """Fit the Kaplan–Meier estimate (statsmodels ``SurvfuncRight``) of time to resolution.

    Examples
    --------
    >>> kaplan_meier(np.array([1, 2, 3]), np.array([True, True, False])).surv_prob.round(3)
    array([0.667, 0.333])
    """
    return SurvfuncRight(np.asarray(time, dtype=float), np.asarray(event, dtype=float))


def survival_at(fit: SurvfuncRight, days: np.ndarray) -> np.ndarray:
    """S(t) of a fitted Kaplan–Meier estimate at each day (a right-continuous step).

    Examples
    --------
    >>> fit = SurvfuncRight(np.array([1.0, 2.0, 3.0]), np.array([1.0, 1.0, 0.0]))
    >>> survival_at(fit, np.array([0, 1, 2, 3])).round(3).tolist()
    [1.0, 0.667, 0.333, 0.333]
    """
    index = np.searchsorted(fit.surv_times, np.asarray(days, dtype=float), side="right") - 1
    prob = np.r_[1.0, fit.surv_prob]
    return prob[index + 1]


def _median(fit: SurvfuncRight) -> float:
    below = np.flatnonzero(fit.surv_prob <= 0.5 + 1e-12)
    return float(fit.surv_times[below[0]]) if len(below) else np.nan


def in_population(episodes: pd.DataFrame, name: str) -> pd.Series:
    """Per episode: is it of population ``name`` (``sore``, ``no_reaction``,
    ``baseline_missing``)? In a table without a ``population`` column every episode is sore.

    Examples
    --------
    >>> eps = pd.DataFrame({"population": ["sore", "no_reaction"]})
    >>> in_population(eps, "no_reaction").tolist()
    [False, True]
    """
    if "population" not in episodes.columns:
        return pd.Series(name == "sore", index=episodes.index)
    same = (episodes["population"] == name).to_numpy(dtype=bool, na_value=False)
    return pd.Series(same, index=episodes.index)  # compared as categories, not as text


def sore_episodes(episodes: pd.DataFrame) -> pd.DataFrame:
    """The episodes that enter time to resolution (``population == "sore"``); a table without
    a ``population`` column, or of sore episodes only, is returned as it is (not copied).

    Examples
    --------
    >>> eps = pd.DataFrame({"population": ["sore", "no_reaction"], "time": [2.0, None]})
    >>> len(sore_episodes(eps))
    1
    """
    if "population" not in episodes.columns:
        return episodes
    sore = in_population(episodes, "sore").to_numpy(dtype=bool)
    return episodes if sore.all() else episodes.loc[sore]


def km_curve(
    episodes: pd.DataFrame,
    settings: Settings | None = None,
    *,
    by: str = "treatment_type",
    window_days: int | None = None,
) -> pd.DataFrame:
    """The Kaplan–Meier step curve per group, one row per day ``0..window_days``.

    Columns: ``by, day, at_risk, events, censored, survival, resolved_share`` (1 − S).

    Examples
    --------
    >>> eps = pd.DataFrame({"g": ["a"] * 3, "time": [1, 2, 3], "resolved": [True, True, False]})
    >>> km_curve(eps, by="g", window_days=3)["survival"].round(3).tolist()
    [1.0, 0.667, 0.333, 0.333]
    """
    days = np.arange(resolve(settings, window_days=window_days).window_days + 1)
    parts = []
    for group, rows in groups(sore_episodes(episodes), by, ["time", "resolved"]):
        time = rows["time"].to_numpy(dtype=float)
        event = rows["resolved"].to_numpy(dtype=bool)
        survival = survival_at(kaplan_meier(time, event), days)
        parts.append(
            pd.DataFrame(
                {
                    by: group,
                    "day": days,
                    "at_risk": (time[None, :] >= days[:, None]).sum(axis=1),
                    "events": ((time[None, :] == days[:, None]) & event[None, :]).sum(axis=1),
                    "censored": ((time[None, :] == days[:, None]) & ~event[None, :]).sum(axis=1),
                    "survival": survival,
                    "resolved_share": 1 - survival,
                }
            )
        )
    if not parts:
        return pd.DataFrame(
            columns=[by, "day", "at_risk", "events", "censored", "survival", "resolved_share"]
        )
    return pd.concat(parts, ignore_index=True)


def time_to_resolution(
    episodes: pd.DataFrame,
    settings: Settings | None = None,
    *,
    by: str = "treatment_type",
    milestone_days: tuple[int, ...] | None = None,
) -> pd.DataFrame:
    """Kaplan–Meier summary per group: who enters, median days with 95 % CI, resolved by day t.

    ``episodes`` counts every episode with a log in the window; ``baseline_missing`` those
    without a day-0/1 log, ``no_reaction`` those whose baseline is at most ``resolved_at``
    (with ``no_reaction_share`` of the episodes with a baseline) and ``sore_episodes`` the
    rest, the population of the estimates (``resolved`` + ``censored``). Groups with fewer
    than two sore episodes, or whose median is never reached, get empty (NaN) medians or
    intervals and a :class:`~recovery_toolkit.errors.RecoveryToolkitWarning`. With the PACE
    definition a milestone after ``window_days - 6`` is empty (a 7-day run starting later
    cannot be seen), with a warning.

    Examples
    --------
    >>> eps = pd.DataFrame({"g": ["a"] * 4, "time": [1, 2, 2, 5],
    ...                     "resolved": [True, True, False, True]})
    >>> row = time_to_resolution(eps, by="g").iloc[0]
    >>> float(row["median_days"]), round(float(row["resolved_by_day_3"]), 3)
    (2.0, 0.5)
    """
    s = resolve(settings, milestone_days=milestone_days)
    days = s.milestone_days
    seen = _last_visible_day(s)
    if any(d > seen for d in days):
        warnings.warn(
            f"resolved by day {', '.join(str(d) for d in days if d > seen)} left empty: with "
            f"the PACE definition a 7-day run is seen only if it starts by day {seen}",
            RecoveryToolkitWarning,
            stacklevel=2,
        )
    rows = []
    for group, part in groups(episodes, by, ["population", "time", "resolved", "patient_id"]):
        counts = _populations(part)
        sore = sore_episodes(part)
        time = sore["time"].to_numpy(dtype=float)
        event = sore["resolved"].to_numpy(dtype=bool)
        fit = kaplan_meier(time, event) if len(sore) else None
        low, high = (np.nan, np.nan)
        if fit is not None:  # Greenwood's band, or cluster-robust where patients repeat
            _, band_low, band_high = km_band(time, event, patient_clusters(sore), int(time.max()))
            low, high = _median_ci(fit, group, len(sore), (band_low, band_high))
        survival = survival_at(fit, np.array(days)) if fit is not None else np.full(len(days), 1)
        rows.append(
            {
                by: group,
                **counts,
                "resolved": int(event.sum()),
                "censored": int((~event).sum()),
                "median_days": _median(fit) if fit is not None else np.nan,
                "median_ci_low": low,
                "median_ci_high": high,
                **{
                    f"resolved_by_day_{d}": (1 - v if d <= seen and fit is not None else np.nan)
                    for d, v in zip(days, survival, strict=True)
                },
            }
        )
    if not rows:
        warnings.warn(
            "no episodes: time to resolution is empty", RecoveryToolkitWarning, stacklevel=2
        )
        milestones = [f"resolved_by_day_{d}" for d in days]
        empty = empty_table(TimeToResolutionTable, milestones)
        return empty.rename(columns={"treatment_type": by})
    return pd.DataFrame(rows)


def _last_visible_day(s: Settings) -> int:
    """The last day a resolution can be seen: the window's end, or its end less 6 (PACE)."""
    if s.definition == "pace":
        return s.window_days - (vocab.PACE_DAYS - 1)
    return s.window_days


def _populations(part: pd.DataFrame) -> dict[str, int | float]:
    """Episodes, without a baseline, with no reaction (and their share of those with a
    baseline), and sore."""
    n = len(part)
    if "population" not in part.columns:
        share = 0.0 if n else np.nan
        return {
            "episodes": n,
            "baseline_missing": 0,
            "no_reaction": 0,
            "no_reaction_share": share,
            "sore_episodes": n,
        }
    population = part["population"].astype("str")
    missing = int((population == "baseline_missing").sum())
    no_reaction = int((population == "no_reaction").sum())
    with_baseline = n - missing
    return {
        "episodes": n,
        "baseline_missing": missing,
        "no_reaction": no_reaction,
        "no_reaction_share": no_reaction / with_baseline if with_baseline else np.nan,
        "sore_episodes": n - missing - no_reaction,
    }


def survival_band(fit: SurvfuncRight, *, z: float = Z95) -> tuple[np.ndarray, np.ndarray]:
    """Pointwise log-log confidence band of S(t) at each event time (Greenwood variance).

    ``S^exp(±z·se/(S·|log S|))``; the band is 0 where S is 0.

    Examples
    --------
    >>> fit = SurvfuncRight(np.array([1.0, 2.0, 3.0, 4.0]), np.ones(4))
    >>> low, high = survival_band(fit)
    >>> low.round(3).tolist(), high.round(3).tolist()
    ([0.128, 0.058, 0.009, 0.0], [0.961, 0.845, 0.665, 0.0])
    """
    surv = fit.surv_prob
    inner = (surv > 0) & (surv < 1)
    safe = np.where(inner, surv, 0.5)
    with np.errstate(all="ignore"):
        se_theta = fit.surv_prob_se / (safe * np.abs(np.log(safe)))
        theta = np.log(-np.log(safe))
        low = np.exp(-np.exp(theta + z * se_theta))
        high = np.exp(-np.exp(theta - z * se_theta))
    return np.where(inner, low, surv), np.where(inner, high, surv)


def _median_ci(
    fit: SurvfuncRight, group: object, n: int, band: tuple[np.ndarray, np.ndarray]
) -> tuple[float, float]:
    """Days where the 95 % band of S(t) (low and high on days 0, 1, ...) crosses 0.5 (R
    survival's method, log-log band)."""
    if n < 2:
        warnings.warn(
            f"{group}: only one episode, so the median has no confidence interval",
            RecoveryToolkitWarning,
            stacklevel=3,
        )
        return np.nan, np.nan
    if np.isnan(_median(fit)):
        warnings.warn(
            f"{group}: fewer than half of the episodes resolved, so the median is not reached",
            RecoveryToolkitWarning,
            stacklevel=3,
        )
    crossings = []
    for side in band:  # the lower band reaches 0.5 first
        below = np.flatnonzero(side <= 0.5 + 1e-12)
        crossings.append(float(below[0]) if len(below) else np.nan)
    return crossings[0], crossings[1]
