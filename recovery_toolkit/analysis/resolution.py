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
from .clustering import PatientBlocks, patient_codes, pattern_km_band
from .episodes import groups
from .intervals import Z95
from .partials import add_counts
from .settings import Settings, resolve

__all__ = [
    "end_of_follow_up",
    "in_population",
    "km_codes",
    "pattern_groups",
    "stopped_early",
    "sore_episodes",
    "kaplan_meier",
    "km_curve",
    "km_curve_from_counts",
    "resolution_counts",
    "time_to_resolution",
    "time_to_resolution_from_counts",
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
    """The Kaplan–Meier step curve per group, one row per day ``0..window_days``
    (:func:`km_curve_from_counts` of :func:`resolution_counts`: the same in every engine).

    Columns: ``by, day, at_risk, events, censored, survival, resolved_share`` (1 − S).

    Examples
    --------
    >>> eps = pd.DataFrame({"g": ["a"] * 3, "time": [1, 2, 3], "resolved": [True, True, False]})
    >>> km_curve(eps, by="g", window_days=3)["survival"].round(3).tolist()
    [1.0, 0.667, 0.333, 0.333]
    """
    s = resolve(settings, window_days=window_days)
    return km_curve_from_counts([resolution_counts(episodes, s, by=by)], s, by=by)


def resolution_counts(
    episodes: pd.DataFrame, settings: Settings | None = None, *, by: str = "treatment_type"
) -> pd.DataFrame:
    """The mergeable part of :func:`time_to_resolution`, :func:`km_curve` and the milestones'
    Kaplan–Meier and bounds: per group, the episodes of each population (``measure``:
    ``episodes``, ``baseline_missing``, ``no_reaction``, ``sore_episodes``) and the sore
    episodes' patient *patterns* (``measure`` ``pattern``: a patient's episodes as sorted
    codes ``4·time + 2·stopped + resolved``, ``stopped`` as :func:`stopped_early`), with
    counts that add up over any split of the patients.

    Examples
    --------
    >>> eps = pd.DataFrame({"g": ["a"] * 3, "patient_id": ["p", "p", "q"], "time": [1, 4, 2],
    ...                     "resolved": [True, False, True]})
    >>> resolution_counts(eps, by="g").query("measure == 'pattern'")["pattern"].tolist()
    ['9', '5,18']
    """
    s = resolve(settings)
    found: dict[str, list[object]] = {by: [], "measure": [], "pattern": [], "count": []}

    def add(group: object, measure: str, patterns: list[str], counts: list[int]) -> None:
        found[by] += [group] * len(patterns)
        found["measure"] += [measure] * len(patterns)
        found["pattern"] += patterns
        found["count"] += counts

    reads = ["population", "time", "resolved", "last_day", "patient_id"]
    for group, part in groups(episodes, by, reads):
        populations = _populations(part)
        for measure in _POPULATIONS:
            add(group, measure, [""], [int(populations[measure])])
        sore = sore_episodes(part)
        codes = (
            4 * sore["time"].to_numpy(dtype=np.int64)
            + 2 * stopped_early(sore, s)
            + sore["resolved"].to_numpy(dtype=bool)
        )
        patterns, counts = PatientBlocks(patient_codes(sore)).patterns(codes)
        add(group, "pattern", patterns, counts)
    table = pd.DataFrame(found).astype({"measure": "str", "pattern": "str", "count": "int64"})
    if isinstance(episodes[by].dtype, pd.CategoricalDtype):  # groups in category order
        table[by] = table[by].astype(episodes[by].dtype)
    return table


#: The populations :func:`resolution_counts` counts per group.
_POPULATIONS = ("episodes", "baseline_missing", "no_reaction", "sore_episodes")


def pattern_groups(
    counts: list[pd.DataFrame], by: str
) -> list[tuple[object, dict[str, int], list[np.ndarray], np.ndarray]]:
    """Per group of the parts' :func:`resolution_counts`: its population counts, its patient
    patterns (arrays of codes ``4·time + 2·stopped + resolved``) and how many patients have
    each.

    Examples
    --------
    >>> part = pd.DataFrame({"g": ["a"], "measure": ["pattern"], "pattern": ["9,12"],
    ...                      "count": [3]})
    >>> group, _, patterns, patients = pattern_groups([part, part], "g")[0]
    >>> group, patterns[0].tolist(), patients.tolist()
    ('a', [9, 12], [6])
    """
    table = add_counts(counts, [by, "measure", "pattern"]) if counts else pd.DataFrame()
    out: list[tuple[object, dict[str, int], list[np.ndarray], np.ndarray]] = []
    if table.empty:
        return out
    for group, part in table.groupby(by, observed=True, sort=True):
        measure = part["measure"].to_numpy()
        count = part["count"].to_numpy(dtype=np.int64)
        populations = {m: int(count[measure == m].sum()) for m in _POPULATIONS}
        shown = measure == "pattern"
        patterns = [np.array(p.split(","), dtype=np.int64) for p in part["pattern"][shown]]
        out.append((group, populations, patterns, count[shown]))
    return out


def km_curve_from_counts(
    counts: list[pd.DataFrame],
    settings: Settings | None = None,
    *,
    by: str = "treatment_type",
    window_days: int | None = None,
) -> pd.DataFrame:
    """:func:`km_curve` from the :func:`resolution_counts` of any split of the patients.

    Examples
    --------
    >>> part = pd.DataFrame({"g": ["a"] * 2, "measure": ["pattern"] * 2,
    ...                      "pattern": ["5", "13"], "count": [1, 1]})
    >>> km_curve_from_counts([part], window_days=3, by="g")["survival"].tolist()
    [1.0, 0.5, 0.5, 0.0]
    """
    days = resolve(settings, window_days=window_days).window_days
    columns = [by, "day", "at_risk", "events", "censored", "survival", "resolved_share"]
    parts = []
    for group, _, patterns, weights in pattern_groups(counts, by):
        if not patterns:
            continue
        code = np.concatenate(patterns)
        weight = np.repeat(weights, [len(p) for p in patterns])
        day, event = code >> 2, (code & 1).astype(bool)
        width = int(max(days, day.max())) + 1
        leaving = np.bincount(day, weights=weight, minlength=width).astype(np.int64)
        happened = np.bincount(day[event], weights=weight[event], minlength=width)
        survival = pattern_km_band(km_codes(patterns), weights, days)[0]
        parts.append(
            pd.DataFrame(
                {
                    by: group,
                    "day": np.arange(days + 1),
                    "at_risk": np.cumsum(leaving[::-1])[::-1][: days + 1],
                    "events": happened.astype(np.int64)[: days + 1],
                    "censored": (leaving - happened.astype(np.int64))[: days + 1],
                    "survival": survival,
                    "resolved_share": 1 - survival,
                }
            )
        )
    if not parts:
        return pd.DataFrame(columns=columns)
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
    return time_to_resolution_from_counts([resolution_counts(episodes, s, by=by)], s, by=by)


def time_to_resolution_from_counts(
    counts: list[pd.DataFrame],
    settings: Settings | None = None,
    *,
    by: str = "treatment_type",
    milestone_days: tuple[int, ...] | None = None,
) -> pd.DataFrame:
    """:func:`time_to_resolution` from the :func:`resolution_counts` of any split of the
    patients (Kaplan–Meier and its patient-robust band from the patterns,
    :func:`~recovery_toolkit.analysis.clustering.pattern_km_band`).

    Examples
    --------
    >>> part = pd.DataFrame({"g": ["a"] * 3, "measure": ["episodes", "sore_episodes", "pattern"],
    ...                      "pattern": ["", "", "5"], "count": [2, 2, 2]})
    >>> float(time_to_resolution_from_counts([part, part], by="g")["median_days"].iloc[0])
    1.0
    """
    s = resolve(settings, milestone_days=milestone_days)
    days = s.milestone_days
    seen = end_of_follow_up(s)
    if any(d > seen for d in days):
        warnings.warn(
            f"resolved by day {', '.join(str(d) for d in days if d > seen)} left empty: with "
            f"the PACE definition a 7-day run is seen only if it starts by day {seen}",
            RecoveryToolkitWarning,
            stacklevel=2,
        )
    rows = []
    for group, populations, patterns, weights in pattern_groups(counts, by):
        with_baseline = populations["episodes"] - populations["baseline_missing"]
        no_reaction = populations["no_reaction"]
        sizes = np.array([len(p) for p in patterns], dtype=np.int64)
        events = np.array([int((p & 1).sum()) for p in patterns], dtype=np.int64)
        n_sore, resolved = int(weights @ sizes), int(weights @ events)
        median = low = high = np.nan
        survival = np.ones(len(days))
        if n_sore:
            last = int(max(max(days), *(int(p.max() >> 2) for p in patterns)))
            curve, band_low, band_high = pattern_km_band(km_codes(patterns), weights, last)
            below = np.flatnonzero(curve <= 0.5 + 1e-12)
            median = float(below[0]) if len(below) else np.nan
            latest = int(max(int(p.max() >> 2) for p in patterns))  # the band's last day
            low, high = _median_ci(
                median, group, n_sore, (band_low[: latest + 1], band_high[: latest + 1])
            )
            survival = curve[list(days)]
        rows.append(
            {
                by: group,
                "episodes": populations["episodes"],
                "baseline_missing": populations["baseline_missing"],
                "no_reaction": no_reaction,
                "no_reaction_share": no_reaction / with_baseline if with_baseline else np.nan,
                "sore_episodes": n_sore,
                "resolved": resolved,
                "censored": n_sore - resolved,
                "median_days": median,
                "median_ci_low": low,
                "median_ci_high": high,
                **{
                    f"resolved_by_day_{d}": (1 - v if d <= seen and n_sore else np.nan)
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


def km_codes(patterns: list[np.ndarray]) -> list[np.ndarray]:
    """Patterns of :func:`resolution_counts` as the codes ``2·time + resolved`` of
    :func:`~recovery_toolkit.analysis.clustering.pattern_km_band`.

    Examples
    --------
    >>> km_codes([np.array([7, 16])])[0].tolist()
    [3, 8]
    """
    return [((p >> 2) << 1) | (p & 1) for p in patterns]


def end_of_follow_up(settings: Settings) -> int:
    """The day censoring is administrative, and the last day a resolution can be seen: the
    window's end, or its end less 6 (PACE: a 7-day run must start by then).

    Examples
    --------
    >>> end_of_follow_up(Settings()), end_of_follow_up(Settings(definition="pace"))
    (14, 8)
    """
    if settings.definition == "pace":
        return settings.window_days - (vocab.PACE_DAYS - 1)
    return settings.window_days


def stopped_early(sore: pd.DataFrame, settings: Settings) -> np.ndarray:
    """Per sore episode: unresolved, with logs that stop before the end of follow-up
    (drop-out; an unconfirmed low score on the last day is censored the day before it, but
    that is the window's end, not drop-out).

    Examples
    --------
    >>> sore = pd.DataFrame({"time": [3.0, 14.0, 2.0], "resolved": [False, False, True],
    ...                      "last_day": [3, 14, 5]})
    >>> stopped_early(sore, Settings()).tolist()
    [True, False, False]
    """
    end = end_of_follow_up(settings)
    last = sore["last_day"] if "last_day" in sore.columns else sore["time"]
    unresolved = ~sore["resolved"].to_numpy(dtype=bool)
    return unresolved & (last.to_numpy(dtype=float) < end)


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
    median: float, group: object, n: int, band: tuple[np.ndarray, np.ndarray]
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
    if np.isnan(median):
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
