"""Red flags: incidence proportions, incidence rates and rate ratios per treatment type.

Flags are the five reported ones (``flag_*`` columns), the derived
``flag_persistent_worsening`` (any log on day ≥ 3 with soreness s, baseline b: s − b ≥ 2 and
10·s > 13·b, i.e. more than 30 % worse, after Rubinstein 2007) and ``any`` (any of those six).
An episode has a flag when it is true on any log in the window; a missing answer counts as not
reported.

* proportion: episodes with the flag / episodes, with the Wilson 95 % interval;
* rate: first occurrences per 100 episode-days at risk, with the exact Poisson interval. An
  episode is at risk from day 0 through the day of its first flag, or through its last logged
  day in the window when it has none (both days included);
* rate ratio of each type against a reference type, with the exact conditional interval.

Examples
--------
>>> import recovery_toolkit as rt
>>> from recovery_toolkit.analysis.episodes import episode_table
>>> episodes = episode_table(rt.load_logs(rt.sample_path()).logs)
>>> table = red_flag_incidence(episodes)
>>> sorted(table["flag"].unique())[:2]
['any', 'bladder_bowel']
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd

from ..errors import RecoveryToolkitWarning
from ..schemas import EpisodeTable
from .clustering import PatientBlocks, km_band, patient_codes, pattern_km_band, pattern_wilson
from .episodes import ALL_FLAGS, groups
from .intervals import poisson_interval, rate_ratio_interval
from .partials import add_counts
from .settings import Settings, resolve

__all__ = [
    "FLAG_NAMES",
    "red_flag_incidence",
    "red_flag_counts",
    "red_flag_from_counts",
    "rate_ratios",
    "flag_days_at_risk",
    "cumulative_incidence",
]

#: Flag names used in output tables: the column names without ``flag_``, plus ``any``.
FLAG_NAMES: tuple[str, ...] = (*(f.removeprefix("flag_") for f in ALL_FLAGS), "any")
_FIRST = {name: EpisodeTable.first("any_flag" if name == "any" else name) for name in FLAG_NAMES}


def flag_days_at_risk(episodes: pd.DataFrame, flag: str) -> tuple[np.ndarray, np.ndarray]:
    """Per episode: whether ``flag`` occurred, and its days at risk (day 0 to first flag or
    last logged day, inclusive).

    Examples
    --------
    >>> eps = pd.DataFrame({"first_any_flag": [2.0, np.nan], "last_day": [14, 9]})
    >>> happened, days = flag_days_at_risk(eps, "any")
    >>> happened.tolist(), days.tolist()
    ([True, False], [3.0, 10.0])
    """
    first = episodes[_FIRST[flag]].to_numpy(dtype=float)
    happened = ~np.isnan(first)
    days = np.where(happened, first, episodes["last_day"].to_numpy(dtype=float)) + 1
    return happened, days


#: A column of patient codes, added to a narrow copy of the episode table.
_PATIENT = "__patient"

_COLUMNS = [
    "flag",
    "episodes",
    "episodes_with_flag",
    "proportion",
    "ci_low",
    "ci_high",
    "cumulative_incidence",
    "cumulative_ci_low",
    "cumulative_ci_high",
    "rate_per_100_days",
    "rate_ci_low",
    "rate_ci_high",
]


def red_flag_incidence(
    episodes: pd.DataFrame,
    settings: Settings | None = None,
    *,
    by: str = "treatment_type",
    flags: tuple[str, ...] = FLAG_NAMES,
) -> pd.DataFrame:
    """Incidence proportion (Wilson CI), cumulative incidence of the first flag by the window's
    end (1 − Kaplan–Meier, censored at the last log, log-log CI) and rate per 100 episode-days
    (exact Poisson CI; it assumes a constant hazard over the window).

    It is :func:`red_flag_from_counts` of :func:`red_flag_counts` (the same in every engine).

    Parameters
    ----------
    episodes : DataFrame
        The episode table. Not modified.
    settings : Settings, optional
        The window (cumulative incidence by its last day).
    by : str, default "treatment_type"
        Grouping column.
    flags : tuple of str
        Flag names (:data:`FLAG_NAMES`).

    Returns
    -------
    DataFrame
        ``by, flag, episodes, episodes_with_flag, proportion, ci_low, ci_high,
        cumulative_incidence, cumulative_ci_low, cumulative_ci_high, rate_per_100_days,
        rate_ci_low, rate_ci_high`` in group then flag order. The cumulative interval is
        empty when no episode had the flag. Where a patient has several episodes in a group,
        the proportion's and the cumulative incidence's intervals are cluster-robust by
        patient (:mod:`.clustering`).

    Examples
    --------
    >>> eps = pd.DataFrame({"treatment_type": ["pt"] * 4,
    ...                     "first_any_flag": [1.0, np.nan, np.nan, np.nan],
    ...                     "last_day": [14, 14, 14, 4]})
    >>> row = red_flag_incidence(eps, flags=("any",)).iloc[0]
    >>> float(row["proportion"]), round(float(row["rate_per_100_days"]), 3)  # 1 / (2+15+15+5)
    (0.25, 2.703)
    """
    counts = red_flag_counts(episodes, settings, by=by, flags=flags)
    return red_flag_from_counts([counts], settings, by=by)


def red_flag_counts(
    episodes: pd.DataFrame,
    settings: Settings | None = None,
    *,
    by: str = "treatment_type",
    flags: tuple[str, ...] = FLAG_NAMES,
) -> pd.DataFrame:
    """The mergeable part of :func:`red_flag_incidence`: per group, flag and *pattern*, the
    number of patients with that pattern.

    A patient's pattern lists their episodes in the group as codes ``2·day + flag`` (``day``:
    of the first flag, else the last logged day; ``flag``: 1 if it happened), sorted and joined
    by commas. Everything the table needs follows from the patterns and their counts: episodes,
    events, days at risk, the Kaplan–Meier inputs and the patient-robust variances. Patterns
    repeat (a few dozen cover every patient with one episode), so the counts stay small, and
    they add up over any split of the patients.

    Examples
    --------
    >>> eps = pd.DataFrame({"treatment_type": ["pt"] * 3, "patient_id": ["a", "a", "b"],
    ...                     "first_any_flag": [1.0, np.nan, np.nan], "last_day": [14, 9, 9]})
    >>> red_flag_counts(eps, flags=("any",))[["pattern", "patients"]].values.tolist()
    [['18', 1], ['3,18', 1]]
    """
    del settings  # the window enters when the counts are combined
    keys: dict[str, list[object]] = {by: [], "flag": [], "pattern": [], "patients": []}
    needed = [_PATIENT, "last_day", *(_FIRST[flag] for flag in flags)]
    numbered = episodes.assign(**{_PATIENT: patient_codes(episodes)})  # once, not per group
    for group, part in groups(numbered, by, needed):
        blocks = PatientBlocks(part[_PATIENT].to_numpy())
        for flag in flags:
            happened, days = flag_days_at_risk(part, flag)
            found, counts = blocks.patterns(2 * (days.astype(np.int64) - 1) + happened)
            keys[by] += [group] * len(found)
            keys["flag"] += [flag] * len(found)
            keys["pattern"] += found
            keys["patients"] += counts
    table = pd.DataFrame(keys)
    table["patients"] = table["patients"].astype("int64")
    table["flag"] = pd.Categorical(table["flag"], categories=FLAG_NAMES)  # in flag order
    dtype = episodes[by].dtype
    if isinstance(dtype, pd.CategoricalDtype):  # groups in category order, as in memory
        table[by] = table[by].astype(dtype)
    return table


def red_flag_from_counts(
    counts: list[pd.DataFrame],
    settings: Settings | None = None,
    *,
    by: str = "treatment_type",
) -> pd.DataFrame:
    """:func:`red_flag_incidence` from the :func:`red_flag_counts` of any split of the
    patients (each patient's episodes in one part).

    Examples
    --------
    >>> part = pd.DataFrame({"treatment_type": ["pt", "pt"], "flag": ["any", "any"],
    ...                      "pattern": ["3", "28"], "patients": [1, 3]})
    >>> table = red_flag_from_counts([part, part])
    >>> table[["episodes", "episodes_with_flag"]].values.tolist()
    [[8, 2]]
    """
    window = resolve(settings).window_days
    table = add_counts(counts, [by, "flag", "pattern"]) if counts else pd.DataFrame()
    rows = []
    if not table.empty:
        for (group, flag), part in table.groupby([by, "flag"], observed=True, sort=True):
            patterns = [np.array(p.split(","), dtype=np.int64) for p in part["pattern"]]
            weights = part["patients"].to_numpy(dtype=np.int64)
            rows.append({by: group, "flag": flag, **_incidence(patterns, weights, window)})
    if not rows:
        warnings.warn(
            "no episodes: red-flag incidence is empty", RecoveryToolkitWarning, stacklevel=2
        )
    cumulative = ["cumulative_incidence", "cumulative_ci_low", "cumulative_ci_high"]
    table = pd.DataFrame(
        rows,
        columns=[
            by,
            "flag",
            "episodes",
            "episodes_with_flag",
            "days_at_risk",
            "ci_low",
            "ci_high",
            *cumulative,
        ],
    )
    table["flag"] = table["flag"].astype("str")
    k = table["episodes_with_flag"].to_numpy()
    n = table["episodes"].to_numpy()
    time = table["days_at_risk"].to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        table["proportion"] = k / n
        rate_low, rate_high = poisson_interval(k)
        table["rate_per_100_days"] = 100 * k / time
        table["rate_ci_low"] = 100 * rate_low / time
        table["rate_ci_high"] = 100 * rate_high / time
    return table[[by, *_COLUMNS]]


def _incidence(patterns: list[np.ndarray], weights: np.ndarray, window: int) -> dict[str, Any]:
    """One group's and flag's numbers from its patient patterns and their counts."""
    sizes = np.array([len(p) for p in patterns], dtype=np.int64)
    codes = np.concatenate(patterns) if patterns else np.zeros(0, dtype=np.int64)
    owner = np.repeat(np.arange(len(patterns)), sizes)
    events = np.bincount(owner, weights=codes & 1, minlength=len(patterns)).astype(np.int64)
    days = np.bincount(owner, weights=codes >> 1, minlength=len(patterns)).astype(np.int64)
    at_risk = days + sizes
    n, k = int(weights @ sizes), int(weights @ events)
    # patient-robust where a patient has several episodes, plain Wilson otherwise
    _, low, high = pattern_wilson(events, sizes, weights, clustered=bool((sizes > 1).any()))
    return {
        "episodes": n,
        "episodes_with_flag": k,
        "days_at_risk": float(weights @ at_risk),
        "ci_low": float(low),
        "ci_high": float(high),
        **_pattern_cumulative(patterns, weights, window),
    }


def _pattern_cumulative(
    patterns: list[np.ndarray], weights: np.ndarray, window: int
) -> dict[str, float]:
    """:func:`cumulative_incidence` from patient patterns (:func:`.pattern_km_band`)."""
    nan = {"cumulative_ci_low": np.nan, "cumulative_ci_high": np.nan}
    if not any((p & 1).any() for p in patterns):
        return nan | {"cumulative_incidence": 0.0}
    survival, low, high = pattern_km_band(patterns, weights, window)
    return {
        "cumulative_incidence": 1 - float(survival[window]),
        "cumulative_ci_low": 1 - float(high[window]),
        "cumulative_ci_high": 1 - float(low[window]),
    }


def cumulative_incidence(
    happened: np.ndarray,
    day: np.ndarray,
    window_days: int,
    clusters: np.ndarray | None = None,
) -> dict[str, float]:
    """1 − Kaplan–Meier of time to the first flag by ``window_days`` (``day``: the flag's day,
    or the last logged day when it did not happen), with its pointwise log-log 95 % interval
    (cluster-robust by patient when ``clusters`` gives each episode's patient).

    Episodes that stop logging early count only while they log, so a flag they would have had
    later is not assumed away (as the proportion does).

    Examples
    --------
    >>> happened = np.array([True, False, True, False])
    >>> out = cumulative_incidence(happened, np.array([1, 2, 5, 14]), 14)
    >>> round(out["cumulative_incidence"], 4)  # 1 - (3/4)(1/2): the day-2 dropout left
    0.625
    """
    if not happened.any():
        return dict.fromkeys(("cumulative_ci_low", "cumulative_ci_high"), np.nan) | {
            "cumulative_incidence": 0.0
        }
    last = int(max(window_days, np.max(day)))
    curve, low_band, high_band = km_band(day, happened, clusters, last)
    return {
        "cumulative_incidence": 1 - float(curve[window_days]),
        "cumulative_ci_low": 1 - float(high_band[window_days]),
        "cumulative_ci_high": 1 - float(low_band[window_days]),
    }


def rate_ratios(
    episodes: pd.DataFrame,
    settings: Settings | None = None,
    *,
    reference: str = "chiropractic",
    flag: str = "any",
    by: str = "treatment_type",
) -> pd.DataFrame:
    """Rate ratio of the first ``flag`` for each group against ``reference``, exact CI.

    ``settings`` is accepted like every analysis function's; nothing here depends on it.

    Returns ``by, flag, events, days_at_risk, rate_ratio, ci_low, ci_high``; the reference row
    has ratio 1 and no interval.

    Examples
    --------
    >>> eps = pd.DataFrame({"treatment_type": ["a"] * 2 + ["b"] * 2,
    ...                     "first_any_flag": [1.0, np.nan, 1.0, 3.0],
    ...                     "last_day": [9, 9, 9, 9]})
    >>> rate_ratios(eps, reference="a")["rate_ratio"].tolist()  # (2 / 6) / (1 / 12)
    [1.0, 4.0]
    """
    del settings  # nothing here depends on it
    totals = {}
    for group, part in groups(episodes, by, [_FIRST[flag], "last_day"]):
        happened, days = flag_days_at_risk(part, flag)
        totals[group] = (int(happened.sum()), float(days.sum()))
    if reference not in totals:
        raise ValueError(f"reference {reference!r} has no episodes; choose one of {list(totals)}")
    ref_events, ref_time = totals[reference]
    rows = []
    for group, (events, time) in totals.items():
        ratio, low, high = rate_ratio_interval(
            np.array([events]), np.array([time]), np.array([ref_events]), np.array([ref_time])
        )
        is_ref = group == reference
        rows.append(
            {
                by: group,
                "flag": flag,
                "events": events,
                "days_at_risk": time,
                "rate_ratio": 1.0 if is_ref else float(ratio[0]),
                "ci_low": np.nan if is_ref else float(low[0]),
                "ci_high": np.nan if is_ref else float(high[0]),
            }
        )
    return pd.DataFrame(rows)
