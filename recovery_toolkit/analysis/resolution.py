"""Time to resolution: Kaplan–Meier estimates per group (comparisons: :mod:`.comparison`).

Input is the episode table (:func:`~recovery_toolkit.analysis.episodes.episode_table`). Only
*sore* episodes (a baseline above ``resolved_at``) enter: their ``time`` is the confirmed
resolution day (``resolved`` true) or the censoring day; episodes with no reaction and those
without a baseline are counted beside the estimates. Estimates come from patient patterns
(:func:`resolution_counts`, the same in every engine; an episode that stopped logging on a
low run counts as resolved with its chance of no rebound, :mod:`.rebound`):

* median: the smallest day t with S(t) ≤ 0.5 (empty when never reached); its 95 % interval
  runs from the first day the lower to the first day the upper pointwise 95 % log-log band of
  S(t) reaches 0.5 (the patient-robust variance, Greenwood's with one episode per patient;
  the method of R's ``survival`` package);
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
from typing import NamedTuple

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
from .rebound import (
    RUN_CAP,
    FollowUp,
    cohort_count,
    cohort_day,
    follow_up,
    no_rebound,
    rebound_counts,
    record_days,
)
from .settings import Settings, resolve

__all__ = [
    "PatternGroup",
    "decode_patterns",
    "end_of_follow_up",
    "in_population",
    "km_records",
    "pattern_codes",
    "pattern_groups",
    "stopped_early",
    "sore_episodes",
    "sore_mask",
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
    sore = sore_mask(episodes)
    return episodes if sore.all() else episodes.loc[sore]


def sore_mask(episodes: pd.DataFrame) -> np.ndarray:
    """Which rows :func:`sore_episodes` keeps (every row without a ``population`` column).

    Examples
    --------
    >>> sore_mask(pd.DataFrame({"population": ["sore", "no_reaction"]})).tolist()
    [True, False]
    """
    if "population" not in episodes.columns:
        return np.ones(len(episodes), dtype=bool)
    return in_population(episodes, "sore").to_numpy(dtype=bool)


def km_curve(
    episodes: pd.DataFrame,
    settings: Settings | None = None,
    *,
    by: str = "treatment_type",
    window_days: int | None = None,
) -> pd.DataFrame:
    """The Kaplan–Meier step curve per group, one row per day ``0..window_days``
    (:func:`km_curve_from_counts` of :func:`resolution_counts`: the same in every engine).

    Columns: ``by, day, at_risk, events, censored, survival, resolved_share`` (1 − S); the
    counts are of episodes as observed, S counts an episode that stopped on a low run as
    resolved with its chance of no rebound (:func:`km_records`).

    Examples
    --------
    >>> eps = pd.DataFrame({"g": ["a"] * 3, "time": [1, 2, 3], "resolved": [True, True, False]})
    >>> km_curve(eps, by="g", window_days=3)["survival"].round(3).tolist()
    [1.0, 0.667, 0.333, 0.333]
    """
    s = resolve(settings, window_days=window_days)
    return km_curve_from_counts([resolution_counts(episodes, s, by=by)], s, by=by)


def resolution_counts(
    episodes: pd.DataFrame,
    settings: Settings | None = None,
    *,
    by: str = "treatment_type",
    daily: FollowUp | None = None,
) -> pd.DataFrame:
    """The mergeable part of :func:`time_to_resolution`, :func:`km_curve` and the milestones'
    Kaplan–Meier and bounds: per group, the episodes of each population (``measure``:
    ``episodes``, ``baseline_missing``, ``no_reaction``, ``sore_episodes``), the sore
    episodes' patient *patterns* (``measure`` ``pattern``: a patient's episodes as sorted
    :func:`pattern_codes`) and the counts of unseen rebounds (``measure``
    ``rebound_at_risk`` and ``rebounds``, ``pattern`` the number ``1024·cohort + day``:
    :func:`~recovery_toolkit.analysis.rebound.rebound_counts`), with counts that add up over
    any split of the patients. ``daily``: the table's
    :func:`~recovery_toolkit.analysis.rebound.follow_up`, when already read.

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

    path, last, cohort = follow_up(episodes, s) if daily is None else daily  # once, not per group
    numbered = episodes.assign(**{_ROW: np.arange(len(episodes))})
    patients = patient_codes(episodes)  # once: a group's patients are its rows' codes
    reads = ["population", "time", "resolved", "last_day", _ROW]
    for group, part in groups(numbered, by, reads):
        populations = _populations(part)
        for measure in _POPULATIONS:
            add(group, measure, [""], [int(populations[measure])])
        sore = sore_episodes(part)
        rows = sore[_ROW].to_numpy()
        codes = pattern_codes(sore, cohort[rows], s)
        patterns, counts = PatientBlocks(patients[rows]).patterns(codes)
        add(group, "pattern", patterns, counts)
        rebounds = rebound_counts(path[rows], s, last[rows])
        for kind, measure in enumerate(_REBOUNDS):
            cells, days = np.nonzero(rebounds[:, kind])
            keys = [str(k) for k in (cells * _DAYS_BASE + days).tolist()]
            add(group, measure, keys, rebounds[cells, kind, days].tolist())
    table = pd.DataFrame(found).astype({"measure": "str", "pattern": "str", "count": "int64"})
    if isinstance(episodes[by].dtype, pd.CategoricalDtype):  # groups in category order
        table[by] = table[by].astype(episodes[by].dtype)
    return table


#: The populations :func:`resolution_counts` counts per group.
_POPULATIONS = ("episodes", "baseline_missing", "no_reaction", "sore_episodes")
#: Its measures of unseen rebounds: at risk, and rebounds (the two kinds of rebound_counts).
_REBOUNDS = ("rebound_at_risk", "rebounds")
#: A column of row positions, added to a narrow copy of the episode table.
_ROW = "__row"
#: Rebound counts are keyed ``1024·cohort + day`` (days below 1024, as in the pattern codes).
_DAYS_BASE = 1024


#: Pattern codes hold ``4·time + 2·stopped + resolved`` below this, the cohort above it (so
#: times, whatever the window, stay below 1024 days).
_CODE_BASE = 4 * 1024


def pattern_codes(sore: pd.DataFrame, cohort: np.ndarray, settings: Settings) -> np.ndarray:
    """Per sore episode, the code of :func:`resolution_counts`' patterns:
    ``4·time + 2·stopped + resolved`` (``stopped`` as :func:`stopped_early`) plus
    ``4096·(cohort + 1)`` for an episode that stopped logging on a low run (``cohort`` ≥ 0,
    :func:`~recovery_toolkit.analysis.rebound.stopped_cohorts`).

    Examples
    --------
    >>> sore = pd.DataFrame({"time": [2.0, 3.0], "resolved": [True, False], "last_day": [9, 3]})
    >>> pattern_codes(sore, np.array([-1, -1]), Settings()).tolist()
    [9, 14]
    """
    time = sore["time"].to_numpy(dtype=np.int64)
    if len(time) and (time.min() < 0 or time.max() >= _CODE_BASE // 4):
        raise ValueError(f"times must be whole days 0..{_CODE_BASE // 4 - 1}")
    return (
        4 * time
        + 2 * stopped_early(sore, settings)
        + sore["resolved"].to_numpy(dtype=bool)
        + _CODE_BASE * (np.asarray(cohort, dtype=np.int64) + 1)
    )


def decode_patterns(code: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """A :func:`pattern_codes` array as (time, stopped, resolved, cohort), cohort −1 for none.

    Examples
    --------
    >>> [x.tolist() for x in decode_patterns(np.array([9, 10 + 4096 * 14]))]
    [[2, 2], [0, 1], [1, 0], [-1, 13]]
    """
    code = np.asarray(code, dtype=np.int64)
    low = code % _CODE_BASE
    return low >> 2, (low >> 1) & 1, low & 1, code // _CODE_BASE - 1


class PatternGroup(NamedTuple):
    """One group of added-up :func:`resolution_counts`: its population counts, its patient
    patterns (arrays of :func:`pattern_codes`), how many patients have each, and each
    rebound cohort's chance of no rebound
    (:func:`~recovery_toolkit.analysis.rebound.no_rebound`)."""

    group: object
    populations: dict[str, int]
    patterns: list[np.ndarray]
    patients: np.ndarray
    no_rebound: np.ndarray


def pattern_groups(
    counts: list[pd.DataFrame], by: str, settings: Settings | None = None
) -> list[PatternGroup]:
    """Per group of the parts' :func:`resolution_counts`, added up: a :class:`PatternGroup`.

    Examples
    --------
    >>> part = pd.DataFrame({"g": ["a"], "measure": ["pattern"], "pattern": ["9,12"],
    ...                      "count": [3]})
    >>> found = pattern_groups([part, part], "g")[0]
    >>> found.group, found.patterns[0].tolist(), found.patients.tolist()
    ('a', [9, 12], [6])
    """
    s = resolve(settings)
    table = add_counts(counts, [by, "measure", "pattern"]) if counts else pd.DataFrame()
    out: list[PatternGroup] = []
    if table.empty:
        return out
    for group, part in table.groupby(by, observed=True, sort=True):
        measure = part["measure"].to_numpy()
        count = part["count"].to_numpy(dtype=np.int64)
        populations = {m: int(count[measure == m].sum()) for m in _POPULATIONS}
        shown = measure == "pattern"
        patterns = [np.array(p.split(","), dtype=np.int64) for p in part["pattern"][shown]]
        out.append(PatternGroup(group, populations, patterns, count[shown], _no_rebound(part, s)))
    return out


def _no_rebound(part: pd.DataFrame, settings: Settings) -> np.ndarray:
    """:func:`~recovery_toolkit.analysis.rebound.no_rebound` of one group's added-up rebound
    measures (sized as they were counted, whatever ``settings`` says of the window)."""
    measure = part["measure"].to_numpy()
    rows = np.isin(measure, _REBOUNDS)
    key = part["pattern"][rows].astype(np.int64).to_numpy()
    cohort, day = key // _DAYS_BASE, key % _DAYS_BASE
    cohorts = max(cohort_count(settings), (int(cohort.max(initial=-1)) // RUN_CAP + 1) * RUN_CAP)
    width = max(settings.window_days, int(day.max(initial=0))) + 1
    counts = np.zeros((cohorts, 2, width), dtype=np.int64)
    kinds = (measure[rows] == _REBOUNDS[1]).astype(np.int64)
    counts[cohort, kinds, day] = part["count"].to_numpy(dtype=np.int64)[rows]
    return no_rebound(counts, settings)


def km_records(
    patterns: list[np.ndarray], no_rebound: np.ndarray
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """The Kaplan–Meier records of patient patterns: per pattern, codes ``2·T + δ`` and each
    record's share. An episode without a rebound cohort is one record (its time, resolved
    or censored; share 1). One that stopped logging on a low run of cohort ``c`` on day ``L``
    is two: resolved at the start of its run (its resolution day, or ``L`` when its last low
    score was unconfirmed) with share ``no_rebound[c]``, and censored on ``L`` (its last log)
    with the rest (:mod:`~recovery_toolkit.analysis.rebound`).

    Examples
    --------
    >>> q = np.full(56, 0.8)
    >>> # resolved on day 2; and unconfirmed on day 3 (censored on day 2), cohort 13 (day 3)
    >>> codes, shares = km_records([np.array([9, 10 + 4096 * 14])], q)
    >>> codes[0].tolist(), shares[0].round(2).tolist()
    ([5, 7, 6], [1.0, 0.8, 0.2])
    """
    if not patterns:
        return [], []
    sizes = [len(p) for p in patterns]
    code = np.concatenate(patterns)
    time, _, resolved, cohort = decode_patterns(code)
    split = cohort >= 0
    start, day = record_days(time, resolved, np.where(split, cohort, 0))
    share = np.where(split, no_rebound[np.where(split, cohort, 0)], 1.0)
    first = np.where(split, 2 * start + 1, 2 * time + resolved)
    owner = np.repeat(np.arange(len(patterns)), sizes)
    records = np.concatenate([first, 2 * day[split]])
    shares = np.concatenate([share, 1.0 - share[split]])
    owners = np.concatenate([owner, owner[split]])
    order = np.argsort(owners, kind="stable")
    bounds = np.cumsum(np.bincount(owners, minlength=len(patterns)))[:-1]
    return np.split(records[order], bounds), np.split(shares[order], bounds)


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
    s = resolve(settings, window_days=window_days)
    days = s.window_days
    columns = [by, "day", "at_risk", "events", "censored", "survival", "resolved_share"]
    parts = []
    for found in pattern_groups(counts, by, s):
        if not found.patterns:
            continue
        group, weights = found.group, found.patients
        time, _, resolved, _ = decode_patterns(np.concatenate(found.patterns))
        weight = np.repeat(weights, [len(p) for p in found.patterns])
        event = resolved.astype(bool)
        width = int(max(days, time.max())) + 1
        leaving = np.bincount(time, weights=weight, minlength=width).astype(np.int64)
        happened = np.bincount(time[event], weights=weight[event], minlength=width)
        survival = resolution_km(found, days)[0]
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
    for found in pattern_groups(counts, by, s):
        group, populations, patterns, weights = found[:4]
        with_baseline = populations["episodes"] - populations["baseline_missing"]
        no_reaction = populations["no_reaction"]
        sizes = np.array([len(p) for p in patterns], dtype=np.int64)
        n_sore, resolved, latest = int(weights @ sizes), 0, 0
        if n_sore:
            time, _, event, cohort = decode_patterns(np.concatenate(patterns))
            resolved = int(np.repeat(weights, sizes) @ event)
            stopped_on = cohort_day(cohort[cohort >= 0])  # their censored records' day
            latest = int(max(time.max(), stopped_on.max(initial=0)))  # the band's last day
        median = low = high = np.nan
        survival = np.ones(len(days))
        if n_sore:
            curve, band_low, band_high = resolution_km(found, max(max(days), latest))
            below = np.flatnonzero(curve <= 0.5 + 1e-12)
            median = float(below[0]) if len(below) else np.nan
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


def resolution_km(found: PatternGroup, days: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Kaplan–Meier S(d) of time to resolution on days ``0..days`` with its patient-robust
    log-log 95 % band, from one group's patterns (:func:`km_records`: an episode that
    stopped on a low run is resolved with its cohort's chance of no rebound).

    Examples
    --------
    >>> part = pd.DataFrame({"g": ["a"] * 2, "measure": ["pattern"] * 2,
    ...                      "pattern": ["5", "13"], "count": [1, 1]})
    >>> found = pattern_groups([part], "g", Settings())[0]
    >>> resolution_km(found, 3)[0].tolist()
    [1.0, 0.5, 0.5, 0.0]
    """
    records, shares = km_records(found.patterns, found.no_rebound)
    return pattern_km_band(records, found.patients, days, shares=shares)


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
    missing = int(in_population(part, "baseline_missing").sum())  # compared as categories
    no_reaction = int(in_population(part, "no_reaction").sum())
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
