"""The narrow waist: one row per episode, computed once from the long log table.

Every cohort table except the recovery curve is a group-by over :func:`episode_table`. It holds
per episode: treatment type, site, month, baseline soreness, resolution (day and event), first
day of each red flag, follow-up (days logged, last day, completeness), escalation, and the
answered / adherent day counts of every home-care item.

Definitions (see ``docs/methods.md``):

* window: days ``0..window_days``; later logs stay in the data but not in metrics. An episode
  counts when it has at least one log in the window.
* baseline: soreness at the earliest log on day 0 or 1; an episode whose first log is later
  has no baseline (``population == "baseline_missing"``).
* population: ``no_reaction`` when the baseline is ``<= resolved_at`` (the figure comparable
  with published post-treatment reaction rates), ``sore`` otherwise; only sore episodes enter
  time to resolution (``resolved``, ``time``).
* resolution (``definition="default"``): the first logged day d with soreness
  ``<= resolved_at`` that is *confirmed*: the next logged day in the window is also
  ``<= resolved_at`` and no later logged day in the window is above it. An unconfirmed last
  low score is censored the day before it (whether it resolves waits on a log that never
  came); otherwise censored at the last logged day in the window.
* resolution (``definition="pace"``): the first of 7 consecutive calendar days with soreness
  0-1 (Williams et al. 2014); censored at the last log, and at ``window_days - 6`` at the
  latest (a run starting later cannot be seen).
* ``recovered``: the definition's recovery was observed, whatever the population;
  ``lost_to_follow_up``: the last log is before ``lost_before_day`` and not recovered.
* persistent worsening: on two consecutive logged days from ``worsening_from_day``, soreness s
  with s - b >= 2 and s > 1.3 b (b = baseline; Rubinstein 2007); flagged on the second day.

Examples
--------
>>> import recovery_toolkit as rt
>>> logs = rt.load_logs(rt.sample_path()).logs
>>> episodes = episode_table(logs)
>>> len(episodes)
400
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import pandas as pd
import pyarrow as pa

from .. import vocab
from ..errors import RecoveryToolkitWarning
from ..schemas import EpisodeTable, SorenessLog
from ..schemas.episodes import POPULATIONS
from .care_days import ADHERENCE_ITEMS, adherence_columns, cold_then_heat
from .codes import sorted_text
from .masked import yes
from .settings import Settings, resolve

__all__ = [
    "WINDOW_DAYS",
    "RESOLVED_AT",
    "DEFINITIONS",
    "REPORTED_FLAGS",
    "ALL_FLAGS",
    "ADHERENCE_ITEMS",
    "HIGH_ADHERENCE",
    "LOW_ADHERENCE",
    "in_window",
    "episode_table",
    "groups",
    "cold_then_heat",
]

WINDOW_DAYS = vocab.WINDOW_DAYS
RESOLVED_AT = vocab.RESOLVED_AT
DEFINITIONS = vocab.DEFINITIONS
REPORTED_FLAGS: tuple[str, ...] = tuple(vocab.RED_FLAGS)
ALL_FLAGS: tuple[str, ...] = (*REPORTED_FLAGS, *vocab.DERIVED_FLAGS)
HIGH_ADHERENCE = vocab.HIGH_ADHERENCE
LOW_ADHERENCE = vocab.LOW_ADHERENCE
_NONE = np.iinfo(np.int64).max  # "no such day" while reducing


def groups(
    episodes: pd.DataFrame, by: str, columns: list[str]
) -> Iterator[tuple[object, pd.DataFrame]]:
    """``(group, part)`` of the episode table by ``by`` in sorted order, each part holding
    only ``columns`` (those present) and ``by``: splitting the whole table, ~60 columns, by
    group costs more than most analyses of its parts.

    Examples
    --------
    >>> eps = pd.DataFrame({"g": ["b", "a"], "x": [1, 2], "y": [3, 4]})
    >>> [(g, part.columns.tolist()) for g, part in groups(eps, "g", ["x", "z"])]
    [('a', ['g', 'x']), ('b', ['g', 'x'])]
    """
    keep = [by, *(c for c in dict.fromkeys(columns) if c in episodes.columns and c != by)]
    yield from episodes[keep].groupby(by, observed=True, sort=True)


def in_window(
    logs: pd.DataFrame, settings: Settings | None = None, *, window_days: int | None = None
) -> pd.DataFrame:
    """Rows with ``0 <= day <= window_days`` (the metrics window).

    Examples
    --------
    >>> import recovery_toolkit as rt
    >>> logs = rt.load_logs(rt.sample_path()).logs
    >>> int(in_window(logs)["day"].max())
    14
    """
    window = resolve(settings, window_days=window_days).window_days
    day = logs[SorenessLog.day]
    return logs.loc[(day >= 0) & (day <= window)]


def _warn(message: str) -> None:
    warnings.warn(message, RecoveryToolkitWarning, stacklevel=3)


def episode_table(
    logs: pd.DataFrame,
    settings: Settings | None = None,
    *,
    window_days: int | None = None,
    resolved_at: int | None = None,
    definition: str | None = None,
) -> pd.DataFrame:
    """One row per episode with at least one log in the window, sorted by ``episode_id``.

    Parameters
    ----------
    logs : DataFrame
        Canonical logs (:class:`~recovery_toolkit.schemas.SorenessLog`). Not modified.
    settings : Settings, optional
        Window, resolution, lost-to-follow-up, worsening and adherence thresholds.
    window_days, resolved_at, definition
        One-off overrides of ``settings``.

    Returns
    -------
    DataFrame
        Columns: identity (``episode_id``, ``patient_id``, ``treatment_type``,
        ``treatment_date``, ``treatment_month``, ``site``, ``clinician``), follow-up
        (``first_day``, ``last_day``, ``days_logged``, ``completeness``,
        ``lost_to_follow_up``), ``baseline_soreness`` (missing without a day-0/1 log),
        ``population``, resolution (``recovered``; ``resolved`` and ``time``, the day of
        resolution or censoring, for sore episodes only),
        ``first_<flag>`` for each flag plus ``first_any_flag`` and ``first_reported_flag``,
        ``escalated``, ``answered_<item>`` / ``adherent_<item>`` per adherence item,
        ``adherence_score``, ``adherence_group`` and ``soreness_day_<d>`` for each day of the
        window (missing where not logged).

    Examples
    --------
    >>> logs = pd.DataFrame({
    ...     "episode_id": ["e"] * 4, "patient_id": ["p"] * 4,
    ...     "treatment_type": pd.Categorical(["injection"] * 4),
    ...     "treatment_date": pd.to_datetime(["2025-01-01"] * 4),
    ...     "day": [0, 1, 2, 3], "soreness": [5, 2, 4, 1]})
    >>> row = episode_table(logs).iloc[0]
    >>> row["population"], bool(row["resolved"]), float(row["time"])  # day 3 unconfirmed
    ('sore', False, 2.0)
    >>> row = episode_table(logs.assign(soreness=[5, 2, 1, 1])).iloc[0]
    >>> bool(row["resolved"]), float(row["time"])
    (True, 1.0)
    """
    s = resolve(settings, window_days=window_days, resolved_at=resolved_at, definition=definition)
    r = _sorted_rows(logs, s.window_days)
    if r is None:
        _warn(f"no logs between day 0 and day {s.window_days}: every table will be empty")
        if not len(logs):
            raise ValueError("the log table has no rows at all")
        return episode_table(logs.head(1).assign(day=0), s).iloc[0:0]
    follow_up = _follow_up_columns(r, s.window_days)
    flag_days = _flag_days(logs, r, follow_up["baseline_soreness"], s.worsening_from_day)
    columns: dict[str, Any] = {
        **_identity_columns(logs, r),
        **follow_up,
        **_resolution_columns(r, follow_up, s),
        **_flag_columns(flag_days),
        "escalated": _escalated(logs, r, flag_days["reported_flag"]),
        **adherence_columns(
            logs,
            r.rows,
            r.day,
            r.sore,
            r.starts,
            s.high_adherence,
            s.low_adherence,
            s.landmark_day,
        ),
    }
    for day, values in enumerate(_soreness_by_day(r, s.window_days)):
        columns[EpisodeTable.soreness_on(day)] = values
    return pd.DataFrame(columns)  # built once: no column-by-column inserts


def _soreness_by_day(r: _Rows, window_days: int) -> list[pd.arrays.IntegerArray]:
    """Each day's soreness of every episode (missing where not logged): the daily path that
    the drop-out model and the landmark analyses read, whatever engine built the table."""
    if len(r.sore) and not 0 <= int(r.sore.min()) <= int(r.sore.max()) <= 127:
        raise ValueError(
            f"episode_table: soreness must be a score from 0 to 10 (found {int(r.sore.min())}"
            f" to {int(r.sore.max())}); read the file with load_logs, which checks it"
        )
    grid = np.full((len(r.starts), window_days + 1), -1, dtype=np.int64)
    grid[r.e, r.day] = r.sore
    days_first = np.ascontiguousarray(grid.T)
    return [pd.arrays.IntegerArray(day.astype(np.int8), day < 0) for day in days_first]


_IDENTITY = ("patient_id", "treatment_type", "treatment_date", "site", "clinician")


@dataclass(frozen=True)
class _Rows:
    """The log rows in the window, ordered by episode then day.

    ``rows`` reads a column of ``logs`` in that order (a slice when the logs already are);
    ``e`` is the episode number of each row, ``starts`` the first row of each episode, ``ids``
    the sorted episode ids and ``positions`` the positions of the rows in ``logs``.
    """

    ids: pd.Index
    positions: np.ndarray
    rows: np.ndarray | slice
    e: np.ndarray
    day: np.ndarray
    sore: np.ndarray
    starts: np.ndarray


def _sorted_rows(logs: pd.DataFrame, window_days: int) -> _Rows | None:
    """The rows with ``0 <= day <= window_days`` sorted by episode and day; None if none."""
    day_all = logs[SorenessLog.day].to_numpy(dtype=np.int64)
    selected = np.flatnonzero((day_all >= 0) & (day_all <= window_days))
    if len(selected) == 0:
        return None
    codes, ids = _episode_codes(logs[SorenessLog.episode_id], selected)
    # one integer key per row (days are 0..window_days here): already sorted in the usual
    # export order, when no sort is needed
    key = codes * (window_days + 1) + day_all[selected]
    in_key_order = bool((key[1:] >= key[:-1]).all())
    order = np.arange(len(key)) if in_key_order else np.argsort(key, kind="stable")
    positions = selected[order]  # positions in logs, sorted by episode then day
    in_order = len(positions) == len(logs) and bool((np.diff(positions) == 1).all())
    rows = slice(None) if in_order else positions  # columns then read without a copy
    e = codes[order]
    return _Rows(
        ids=ids,
        positions=positions,
        rows=rows,
        e=e,
        day=day_all[rows],
        sore=logs[SorenessLog.soreness].to_numpy(dtype=np.int64)[rows],
        starts=np.flatnonzero(np.r_[True, e[1:] != e[:-1]]),
    )


def _episode_codes(episode_ids: pd.Series, selected: np.ndarray) -> tuple[np.ndarray, pd.Index]:
    """The episode number of each ``selected`` row (increasing positions) in sorted order of
    the ids, and the sorted ids. Ids already sorted (the loader's and the usual export
    order) are numbered by where they change, without hashing a million strings."""
    runs = sorted_text(episode_ids)
    if runs is None:
        ids = episode_ids if len(selected) == len(episode_ids) else episode_ids.iloc[selected]
        return pd.factorize(ids, sort=True)
    text, starts = runs
    run = np.repeat(np.arange(len(starts)), np.diff(np.r_[starts, len(text)]))[selected]
    first = np.r_[True, run[1:] != run[:-1]]  # never decreasing: the positions increase
    codes = run if first.sum() == len(starts) else np.cumsum(first) - 1
    found = text.take(pa.array(selected[first]))
    return codes, pd.Index(pd.array(found, dtype=episode_ids.dtype))


def _identity_columns(logs: pd.DataFrame, r: _Rows) -> dict[str, Any]:
    """``episode_id``, the identity columns present in ``logs`` and ``treatment_month``."""
    identity = [c for c in _IDENTITY if c in logs.columns]
    first_rows = r.positions[r.starts]
    out: dict[str, Any] = {SorenessLog.episode_id: pd.Series(r.ids, dtype="str").array}
    for column in identity:  # column by column (a frame of them costs more), as typed
        out[column] = logs[column].iloc[first_rows].array
    # pandas-stubs type Series.dtype as a numpy dtype | ExtensionDtype; the log schema makes
    # treatment_type categorical
    out["treatment_type"] = pd.Categorical(
        out["treatment_type"], dtype=cast(pd.CategoricalDtype, logs["treatment_type"].dtype)
    )
    dates, distinct = pd.factorize(pd.Series(out["treatment_date"]))  # few distinct dates
    months = np.asarray(pd.Series(distinct).dt.strftime("%Y-%m"), dtype=object)
    out["treatment_month"] = pd.array(months[dates], dtype="str")
    return out


def _follow_up_columns(r: _Rows, window_days: int) -> dict[str, Any]:
    """First and last logged day, days logged, completeness and baseline soreness (missing
    when the first log is after day 1)."""
    days_logged = np.diff(np.r_[r.starts, len(r.day)])
    first_day = r.day[r.starts]
    baseline = pd.array(r.sore[r.starts], dtype="Int64")
    baseline[first_day > vocab.BASELINE_LAST_DAY] = pd.NA
    return {
        "first_day": first_day,
        "last_day": np.maximum.reduceat(r.day, r.starts),
        "days_logged": days_logged,
        "completeness": days_logged / (window_days + 1),
        "baseline_soreness": baseline,
    }


def _resolution_columns(r: _Rows, follow_up: dict[str, Any], s: Settings) -> dict[str, Any]:
    """``population``, ``recovered``, ``resolved``, ``time`` and ``lost_to_follow_up``."""
    last_day = follow_up["last_day"]
    baseline = follow_up["baseline_soreness"]
    missing = np.asarray(baseline.isna(), dtype=bool)
    low_start = baseline.fillna(0).to_numpy(dtype=np.int64) <= s.resolved_at
    code = list(POPULATIONS).index
    population = np.where(
        missing, code("baseline_missing"), np.where(low_start, code("no_reaction"), code("sore"))
    )
    if s.definition == "default":
        event_day = _resolution_default(r.e, r.day, r.sore, r.starts, s.resolved_at)
        # a last low score waits for the next log to be a resolution: whether it was one is
        # unknown, so follow-up ends the day before (counting it unresolved on that day biased
        # Kaplan-Meier down when patients stop logging; docs/validation.md)
        last_sore = r.sore[np.r_[r.starts[1:], len(r.sore)] - 1]
        censor_day = np.where(last_sore <= s.resolved_at, last_day - 1, last_day)
    else:
        event_day = _resolution_pace(r.e, r.day, r.sore, r.starts)
        censor_day = np.minimum(last_day, s.window_days - (vocab.PACE_DAYS - 1))
    recovered = event_day != _NONE
    sore = population == code("sore")
    resolved = recovered & sore
    time = np.where(resolved, event_day, censor_day).astype(float)
    return {
        "population": pd.Categorical.from_codes(
            population, dtype=pd.CategoricalDtype(list(POPULATIONS))
        ),
        "recovered": recovered,
        "resolved": resolved,
        "time": np.where(sore, time, np.nan),
        "lost_to_follow_up": (last_day < s.lost_before_day) & ~recovered,
    }


def _flag_days(
    logs: pd.DataFrame, r: _Rows, baseline: pd.arrays.IntegerArray, worsening_from_day: int
) -> dict[str, np.ndarray]:
    """First day (``_NONE`` if never) of each flag, of any flag and of any reported flag."""
    flag_days = {}
    for flag in REPORTED_FLAGS:
        flag_days[flag] = _first_day(r, _bool_column(logs, flag, r.rows))
    flag_days["flag_persistent_worsening"] = _persistent_worsening(r, baseline, worsening_from_day)
    reported = np.minimum.reduce([flag_days[f] for f in REPORTED_FLAGS])
    any_flag = np.minimum(reported, flag_days["flag_persistent_worsening"])
    return {**flag_days, "any_flag": any_flag, "reported_flag": reported}


def _persistent_worsening(r: _Rows, baseline: pd.arrays.IntegerArray, from_day: int) -> np.ndarray:
    """The second of two consecutive logged days (from ``from_day``) with soreness at least
    ``WORSENING_POINTS`` above baseline and above baseline x ``WORSENING_RATIO``; ``_NONE`` if
    never or without a baseline."""
    known = ~np.asarray(baseline.isna(), dtype=bool)
    b = baseline.fillna(0).to_numpy(dtype=np.int64)[r.e]
    times, over = vocab.WORSENING_RATIO  # s > b x times / over, in whole numbers
    worse = (
        known[r.e]
        & (r.day >= from_day)
        & (r.sore - b >= vocab.WORSENING_POINTS)
        & (over * r.sore > times * b)
    )
    same_episode = np.r_[False, r.e[1:] == r.e[:-1]]
    second = worse & np.r_[False, worse[:-1]] & same_episode  # this log and the one before
    return _first_day(r, second)


def _first_day(r: _Rows, happened: np.ndarray) -> np.ndarray:
    """Per episode, the first day of the rows where ``happened`` (``_NONE`` if none): the
    first such row of each episode, the rows being in episode and day order (flags are rare,
    so only their rows are read)."""
    first = np.full(len(r.starts), _NONE, dtype=np.int64)
    rows = np.flatnonzero(happened)
    owner = r.e[rows]
    lead = np.r_[True, owner[1:] != owner[:-1]] if len(rows) else np.zeros(0, dtype=bool)
    first[owner[lead]] = r.day[rows[lead]]
    return first


def _flag_columns(flag_days: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """``first_<flag>`` columns: the first day as a float, NaN if never."""
    return {EpisodeTable.first(flag): _days_or_nan(first) for flag, first in flag_days.items()}


def _escalated(logs: pd.DataFrame, r: _Rows, reported: np.ndarray) -> pd.arrays.BooleanArray:
    """Clinic contact on the day of the first reported flag or the next; NA without a flag."""
    contact = _bool_column(logs, "clinic_contact", r.rows)
    since_flag = r.day - reported[r.e]
    on_time = contact & (since_flag >= 0) & (since_flag <= vocab.CONTACT_WITHIN_DAYS)
    escalated = np.maximum.reduceat(on_time.astype(np.int8), r.starts).astype(bool)
    out = pd.array(escalated, dtype="boolean")
    out[reported == _NONE] = pd.NA
    return out


def _bool_column(logs: pd.DataFrame, column: str, rows: np.ndarray | slice) -> np.ndarray:
    """A yes/no column at ``rows``; missing counts as no."""
    if column not in logs.columns:
        return np.zeros(len(logs), dtype=bool)[rows]
    return yes(logs[column])[rows]


def _days_or_nan(first: np.ndarray) -> np.ndarray:
    """A first-day array as float, NaN for ``_NONE``."""
    return np.where(first == _NONE, np.nan, first).astype(float)


def _resolution_default(
    e: np.ndarray, day: np.ndarray, sore: np.ndarray, starts: np.ndarray, resolved_at: int
) -> np.ndarray:
    """First logged day after the last day above ``resolved_at``, confirmed by at least one
    later log (``_NONE`` if none: an unconfirmed last low score is not a resolution)."""
    last_high = np.maximum.reduceat(np.where(sore > resolved_at, day, -1), starts)
    after = day > last_high[e]
    first_low = np.minimum.reduceat(np.where(after, day, _NONE), starts)
    logs_after = np.add.reduceat(after.astype(np.int64), starts)
    return np.where(logs_after >= 2, first_low, _NONE)


def _resolution_pace(
    e: np.ndarray, day: np.ndarray, sore: np.ndarray, starts: np.ndarray
) -> np.ndarray:
    """First day of the first run of 7 consecutive calendar days with soreness 0-1 (runs
    inside the window start by ``window_days - 6``)."""
    low = sore <= vocab.PACE_LEVEL
    same = np.r_[False, e[1:] == e[:-1]]
    next_day = np.r_[False, day[1:] == day[:-1] + 1]
    continues = low & np.r_[False, low[:-1]] & same & next_day
    index = np.arange(len(day))
    run_start = np.maximum.accumulate(np.where(low & ~continues, index, 0))
    complete = low & (index - run_start >= vocab.PACE_DAYS - 1)
    return np.minimum.reduceat(np.where(complete, day[run_start], _NONE), starts)
