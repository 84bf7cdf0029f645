"""Time to resolution: Kaplan–Meier estimates per group and the log-rank test.

Input is the episode table (:func:`~recovery_toolkit.analysis.episodes.episode_table`). Only
*sore* episodes (a baseline above ``resolved_at``) enter: their ``time`` is the confirmed
resolution day (``resolved`` true) or the censoring day; episodes with no reaction and those
without a baseline are counted beside the estimates. Estimates come from statsmodels'
``SurvfuncRight``:

* median: the smallest day t with S(t) ≤ 0.5 (empty when never reached); its 95 % interval
  runs from the first day the lower to the first day the upper pointwise 95 % log-log band of
  S(t) reaches 0.5 (Greenwood variance; the method of R's ``survival`` package);
* resolved by day t: 1 − S(t);
* the log-rank test across groups: the textbook statistic from counts per day, checked
  against ``statsmodels.duration.survfunc.survdiff`` in the tests.

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

import html
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.duration.survfunc import SurvfuncRight

from .. import vocab
from ..errors import RecoveryToolkitWarning
from ..schemas import TimeToResolutionTable, empty_table
from .intervals import Z95
from .settings import Settings, resolve

__all__ = [
    "in_population",
    "sore_episodes",
    "LogRankResult",
    "kaplan_meier",
    "km_curve",
    "time_to_resolution",
    "logrank",
    "survival_at",
    "survival_band",
]


@dataclass(frozen=True)
class LogRankResult:
    """Log-rank test of equal time-to-resolution distributions across groups."""

    statistic: float
    dof: int
    p_value: float
    groups: tuple[str, ...]
    caution: str = ""

    def _repr_html_(self) -> str:
        caution = f"<br><em>{html.escape(self.caution)}</em>" if self.caution else ""
        return (
            f"<p>Log-rank test across {len(self.groups)} groups: χ² = {self.statistic:.2f} "
            f"on {self.dof} df, p = {self.p_value:.3g}{caution}</p>"
        )


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
    return episodes["population"].astype("str") == name


def sore_episodes(episodes: pd.DataFrame) -> pd.DataFrame:
    """The episodes that enter time to resolution (``population == "sore"``); a table without
    a ``population`` column is taken as it is.

    Examples
    --------
    >>> eps = pd.DataFrame({"population": ["sore", "no_reaction"], "time": [2.0, None]})
    >>> len(sore_episodes(eps))
    1
    """
    if "population" not in episodes.columns:
        return episodes
    return episodes.loc[in_population(episodes, "sore").to_numpy(dtype=bool)]


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
    for group, rows in sore_episodes(episodes).groupby(by, observed=True, sort=True):
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
    for group, part in episodes.groupby(by, observed=True, sort=True):
        counts = _populations(part)
        sore = sore_episodes(part)
        time = sore["time"].to_numpy(dtype=float)
        event = sore["resolved"].to_numpy(dtype=bool)
        fit = kaplan_meier(time, event) if len(sore) else None
        low, high = _median_ci(fit, group, len(sore)) if fit is not None else (np.nan, np.nan)
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


def _median_ci(fit: SurvfuncRight, group: object, n: int) -> tuple[float, float]:
    """Days where the 95 % band of S(t) crosses 0.5 (R survival's method, log-log band)."""
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
    low_band, high_band = survival_band(fit)
    crossings = []
    for band in (low_band, high_band):  # the lower band reaches 0.5 first
        below = np.flatnonzero(band <= 0.5 + 1e-12)
        crossings.append(float(fit.surv_times[below[0]]) if len(below) else np.nan)
    return crossings[0], crossings[1]


def _logrank_statistic(
    time: np.ndarray, event: np.ndarray, group: np.ndarray, groups: int
) -> float:
    """The log-rank chi-square from event and at-risk counts per distinct time and group
    (the textbook statistic, as ``statsmodels.duration.survfunc.survdiff`` computes it)."""
    times, at = np.unique(time, return_inverse=True)
    cells = at * groups + group
    events = np.bincount(cells[event], minlength=len(times) * groups).reshape(-1, groups)
    leaving = np.bincount(cells, minlength=len(times) * groups).reshape(-1, groups)
    at_risk = leaving[::-1].cumsum(axis=0)[::-1].astype(float)  # still in the study at t
    n, d = at_risk.sum(axis=1), events.sum(axis=1).astype(float)
    share = at_risk / n[:, None]
    observed_minus_expected = (events - d[:, None] * share).sum(axis=0)
    weight = np.where(n > 1, d * (n - d) / np.maximum(n - 1, 1), 0.0)
    covariance = np.einsum("t,tg,th->gh", weight, share, -share)
    covariance[np.diag_indices(groups)] += (weight[:, None] * share).sum(axis=0)
    u, v = observed_minus_expected[:-1], covariance[:-1, :-1]
    try:
        return float(u @ np.linalg.solve(v, u))
    except np.linalg.LinAlgError:  # no variance to compare (e.g. every event on one day)
        return float(u @ np.linalg.pinv(v) @ u)


def logrank(
    episodes: pd.DataFrame,
    settings: Settings | None = None,
    *,
    by: str = "treatment_type",
    caution: str = "",
) -> LogRankResult:
    """Log-rank test that time to resolution is the same in every group.

    ``settings`` is accepted like every analysis function's; nothing here depends on it. Only
    sore episodes enter.

    Returns NaN statistics and warns when fewer than two groups have episodes.

    Examples
    --------
    >>> eps = pd.DataFrame({"g": ["a", "a", "b", "b"], "time": [1, 2, 8, 9],
    ...                     "resolved": [True] * 4})
    >>> result = logrank(eps, by="g")
    >>> result.dof, round(result.statistic, 3), round(result.p_value, 3)
    (1, 2.882, 0.09)
    """
    del settings  # nothing here depends on it
    episodes = sore_episodes(episodes)
    groups = episodes[by].astype("str")
    present = tuple(sorted(groups.unique()))
    if len(present) < 2:
        warnings.warn(
            "the log-rank test needs two groups or more", RecoveryToolkitWarning, stacklevel=2
        )
        return LogRankResult(np.nan, 0, np.nan, present, caution)
    statistic = _logrank_statistic(
        episodes["time"].to_numpy(dtype=float),
        episodes["resolved"].to_numpy(dtype=bool),
        pd.Categorical(groups, categories=present).codes,
        len(present),
    )
    dof = len(present) - 1
    p_value = float(stats.chi2.sf(statistic, dof))  # survdiff's own p underflows to 0
    return LogRankResult(float(statistic), dof, p_value, present, caution)
