"""Unseen rebounds: would the low run an episode was on when it stopped logging have lasted?

Resolution (DESIGN §4) needs the next logged day to confirm a low score and no later logged
day above ``resolved_at``. An episode that stops logging before the end of follow-up while
its scores are low cannot show a later rebound: counting it resolved overstates recovery (a
rebound was only unseen), and censoring it understates it (it was about to be confirmed).
Under missing at random the chance that the run would have lasted is estimated from the
episodes that kept logging:

* a **cohort** is the sore episodes of one group (treatment type, or the estimate's ``by``
  group) with a low logged day ``L`` before the end of follow-up, by the logged days of
  their low run so far (1, 2, 3, or 4 and more: a run that has lasted is less likely to
  end; docs/validation.md): ``(L, run)``;
* per cohort, a Kaplan–Meier estimate of the time to the first logged day above
  ``resolved_at`` after ``L``, censored at the last log, gives ``q``: the chance of no rebound
  by the end of follow-up (a cohort-day nobody is at risk in borrows the hazard of the whole
  day-``L`` cohort, or of every low run at risk that day; with none at all, no rebound);
* an episode that stopped on day ``L`` in a low run of cohort ``c`` then counts as resolved at
  the start of its run with share ``q[c]`` and as unresolved, censored at its last log (like
  an episode that stopped while sore), with share ``1 − q[c]``
  (:func:`~recovery_toolkit.analysis.resolution.km_records`).

The counts add up over any split of the patients (:func:`rebound_counts`). The PACE
definition needs no such step (a completed 7-day run is final, and an incomplete one is
censored), so with PACE no episode has a cohort.

Examples
--------
>>> import recovery_toolkit as rt
>>> from recovery_toolkit import analysis
>>> episodes = analysis.episode_table(rt.load_logs(rt.sample_path()).logs)
>>> from recovery_toolkit.analysis.resolution import sore_episodes
>>> counts = rebound_counts(daily_paths(sore_episodes(episodes)), Settings())
>>> q = no_rebound(counts, Settings())
>>> bool(((0 <= q) & (q <= 1)).all())
True
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..schemas import EpisodeTable
from .masked import as_float
from .settings import Settings

__all__ = [
    "FollowUp",
    "RUN_CAP",
    "cohort_count",
    "cohort_day",
    "follow_up",
    "last_logged",
    "no_rebound",
    "daily_paths",
    "rebound_counts",
    "record_days",
    "stopped_cohorts",
]

#: What :func:`follow_up` reads of an episode table: the daily paths, the last logged days and
#: the rebound cohorts (one row per episode).
FollowUp = tuple[np.ndarray, np.ndarray, np.ndarray]

#: Low runs of this many logged days or more form one cohort (in the simulation with
#: patients who differ in how fast they recover, 2 left a bias of −0.005 at day 3, 3 and 4
#: under 0.0025; docs/validation.md).
RUN_CAP = 4


def _end(settings: Settings) -> int:
    """The last day of follow-up with the default definition (the window's end)."""
    return settings.window_days


def cohort_count(settings: Settings) -> int:
    """How many cohorts there are: days ``0..end−1`` × run lengths ``1..RUN_CAP``.

    Examples
    --------
    >>> cohort_count(Settings())
    56
    """
    return _end(settings) * RUN_CAP


def cohort_day(cohort: np.ndarray) -> np.ndarray:
    """The day ``L`` of each cohort number.

    Examples
    --------
    >>> cohort_day(np.array([0, 5, 55])).tolist()
    [0, 1, 13]
    """
    return np.asarray(cohort) // RUN_CAP


def daily_paths(episodes: pd.DataFrame, settings: Settings | None = None) -> np.ndarray:
    """The daily soreness of each episode (rows in table order; NaN where not logged) on days
    ``0..window_days``, or an empty (n × 0) array when the table has no daily columns.

    Examples
    --------
    >>> eps = pd.DataFrame({"soreness_day_0": [5, 6], "soreness_day_1": [None, 2]})
    >>> daily_paths(eps, Settings(window_days=1, milestone_days=(1,))).tolist()
    [[5.0, nan], [6.0, 2.0]]
    """
    window = (settings or Settings()).window_days
    columns = [EpisodeTable.soreness_on(d) for d in range(window + 1)]
    if not all(c in episodes.columns for c in columns):
        return np.zeros((len(episodes), 0))
    # days first, each day's column contiguous; returned as its (episodes × days) view
    return np.stack([as_float(episodes[column]) for column in columns]).T


def _low_runs(days_first: np.ndarray, resolved_at: int) -> np.ndarray:
    """Per day and episode (``days_first``: the paths transposed, days × episodes): the logged
    days of the low run through that day (0 where the day is not logged or above
    ``resolved_at``; a day without a log does not break a run). Day by day over contiguous
    rows: numpy is many times faster so than along the short rows of episodes × days."""
    low = days_first <= resolved_at  # False where not logged (NaN)
    kept = ~(days_first > resolved_at)  # low, or not logged
    runs = np.zeros(days_first.shape, dtype=np.int16)
    current = np.zeros(days_first.shape[1], dtype=np.int16)
    for day in range(days_first.shape[0]):
        current += low[day]
        current *= kept[day]
        np.multiply(current, low[day], out=runs[day])
    return runs


def last_logged(path: np.ndarray) -> np.ndarray:
    """Each path's last logged day (−1 when it has none).

    Examples
    --------
    >>> last_logged(np.array([[5.0, np.nan, 2.0, np.nan], [np.nan] * 4])).tolist()
    [2, -1]
    """
    logged = ~np.isnan(path)
    if path.shape[1] == 0:
        return np.full(len(path), -1, dtype=np.int64)
    last = path.shape[1] - 1 - logged[:, ::-1].argmax(axis=1)
    return np.where(logged.any(axis=1), last, -1).astype(np.int64)


def follow_up(sore: pd.DataFrame, settings: Settings) -> FollowUp:
    """Of an episode table's episodes (those that are sore, for the cohorts): their daily
    paths (:func:`daily_paths`), last logged days (``last_day``; from the paths, or ``time``,
    in a table without it) and :func:`stopped_cohorts`.

    Examples
    --------
    >>> sore = pd.DataFrame({"time": [1.0], "resolved": [False], "last_day": [2],
    ...                      **{f"soreness_day_{d}": [[6, 4, 2, None][d]] for d in range(4)}})
    >>> path, last, cohort = follow_up(sore, Settings(window_days=3, milestone_days=(3,)))
    >>> last.tolist(), cohort.tolist()  # stopped on day 2, its first low day
    ([2], [8])
    """
    path = daily_paths(sore, settings)
    if "last_day" in sore.columns:
        last = sore["last_day"].to_numpy(dtype=np.int64)
    elif path.shape[1]:
        last = last_logged(path)
    else:  # a hand-made table: follow-up ends at the resolution or censoring day
        last = np.nan_to_num(sore["time"].to_numpy(dtype=float), nan=-1).astype(np.int64)
    return path, last, stopped_cohorts(path, last, settings)


def stopped_cohorts(path: np.ndarray, last_day: np.ndarray, settings: Settings) -> np.ndarray:
    """Per sore episode: the cohort of its last logged day when it stopped logging before the
    end of follow-up on a low score (−1 otherwise, and always with PACE or without daily
    columns).

    Examples
    --------
    >>> path = np.full((2, 15), np.nan)
    >>> path[0, :4] = [6, 4, 2, 1]   # stopped on day 3, the second low day
    >>> path[1, :3] = [6, 4, 3]      # stopped on day 2 while sore
    >>> stopped_cohorts(path, np.array([3, 2]), Settings()).tolist()
    [13, -1]
    """
    last = np.asarray(last_day, dtype=np.int64)
    out = np.full(len(last), -1, dtype=np.int64)
    if settings.definition != "default" or path.shape[1] == 0:
        return out
    stopped = np.flatnonzero(last < _end(settings))
    if len(stopped):
        days_first = np.ascontiguousarray(path[stopped, : _end(settings)].T)
        run = _low_runs(days_first, settings.resolved_at)[last[stopped], np.arange(len(stopped))]
        cohort = last[stopped] * RUN_CAP + np.minimum(run, RUN_CAP) - 1
        out[stopped] = np.where(run > 0, cohort, -1)
    return out


def record_days(
    time: np.ndarray, resolved: np.ndarray, cohort: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """For episodes that stopped on a low run (``cohort`` ≥ 0, with their ``time`` and
    ``resolved`` of the episode table): the day their resolved share counts (the start of the
    run: their resolution day, or the last log ``L`` when the low score there was unconfirmed)
    and the day their unresolved share is censored (``L``).

    Examples
    --------
    >>> start, last = record_days(np.array([1, 2]), np.array([True, False]), np.array([9, 12]))
    >>> start.tolist(), last.tolist()  # resolved on day 1, seen to day 2; unconfirmed on day 3
    ([1, 3], [2, 3])
    """
    last = cohort_day(cohort)
    return np.where(np.asarray(resolved, dtype=bool), time, last), last


def rebound_counts(
    path: np.ndarray, settings: Settings, last_day: np.ndarray | None = None
) -> np.ndarray:
    """The mergeable counts of :func:`no_rebound` for one group of sore episodes: an array
    (cohorts × 2 × days ``0..end``) of episodes at risk of a first rebound on each day after
    the cohort's day and of those that rebounded then (at risk from the day after ``L`` to the
    first logged day above ``resolved_at``, or to the last log). ``last_day`` defaults to each
    path's last logged day.

    Examples
    --------
    >>> path = np.full((2, 15), np.nan)
    >>> path[0, :5] = [6, 2, 3, 2, 2]
    >>> path[1, :3] = [6, 2, 2]
    >>> counts = rebound_counts(path, Settings())
    >>> c = 1 * RUN_CAP + 0  # day 1, first low day
    >>> counts[c, 0, :4].tolist(), counts[c, 1, :4].tolist()  # at risk; rebounds (day 2)
    ([0, 0, 2, 0], [0, 0, 1, 0])
    """
    end = _end(settings)
    width = end + 1
    counts = np.zeros((cohort_count(settings), 2, width), dtype=np.int64)
    if settings.definition != "default" or path.shape[1] == 0 or not len(path):
        return counts
    last = np.minimum(np.asarray(last_logged(path) if last_day is None else last_day), end)
    days_first = np.ascontiguousarray(path[:, :width].T)  # day by day over contiguous rows
    runs = np.minimum(_low_runs(days_first[:end], settings.resolved_at), RUN_CAP)
    following = np.full(days_first.shape[1], width, dtype=np.int64)  # next day above (none: W+1)
    spare = RUN_CAP * (width + 1)  # a bin for the episodes not low on the day
    for day in range(end - 1, -1, -1):
        following[days_first[day + 1] > settings.resolved_at] = day + 1
        low = runs[day] > 0
        run = runs[day].astype(np.int64) - 1
        stop = np.minimum(following, last)  # at risk on days day+1..stop
        ends = np.bincount(np.where(low, run * (width + 1) + stop, spare), minlength=spare + 1)
        # at risk on day t: the cohort's episodes whose time at risk ends on t or later
        still = np.cumsum(ends[:spare].reshape(RUN_CAP, width + 1)[:, ::-1], axis=1)[:, ::-1]
        cohorts = slice(day * RUN_CAP, (day + 1) * RUN_CAP)
        counts[cohorts, 0, day + 1 :] = still[:, day + 1 : width]
        rebound = low & (following <= last)
        cells = np.where(rebound, run * width + np.minimum(following, end), RUN_CAP * width)
        hits = np.bincount(cells, minlength=RUN_CAP * width + 1)[: RUN_CAP * width]
        counts[cohorts, 1] = hits.reshape(RUN_CAP, width)
    return counts


def no_rebound(counts: np.ndarray, settings: Settings) -> np.ndarray:
    """Per cohort, the Kaplan–Meier chance of no logged day above ``resolved_at`` after its
    day to the end of follow-up, from (added-up) :func:`rebound_counts`. A cohort-day with
    nobody at risk takes the hazard of all the cohorts of the same day ``L`` (every run
    length), or failing that of every low run at risk that day; a day with no low run at risk
    at all has no rebound (none was seen).

    Examples
    --------
    >>> counts = np.zeros((cohort_count(Settings()), 2, 15), dtype=np.int64)
    >>> counts[0, 0, 1:3] = [4, 2]; counts[0, 1, 1:3] = [2, 1]  # day 0: 4 at risk, 2 rebound
    >>> float(no_rebound(counts, Settings())[0])  # (1 − 2/4)(1 − 1/2)
    0.25
    """
    at_risk = counts[:, 0].astype(float)
    events = counts[:, 1].astype(float)
    starts = np.arange(0, len(counts), RUN_CAP)
    days = cohort_day(np.arange(len(counts)))
    same_day_risk = np.add.reduceat(at_risk, starts)[days]  # every run length of day L
    same_day_events = np.add.reduceat(events, starts)[days]
    with np.errstate(invalid="ignore", divide="ignore"):
        own = events / at_risk
        same_day = same_day_events / same_day_risk
        every_run = events.sum(axis=0) / at_risk.sum(axis=0)  # every low run on that day
    hazard = np.where(
        at_risk > 0,
        own,
        np.where(same_day_risk > 0, same_day, np.nan_to_num(every_run[None, :], nan=0.0)),
    )
    hazard[np.arange(counts.shape[2])[None, :] <= days[:, None]] = 0.0  # only after day L
    return np.prod(1.0 - hazard, axis=1)
