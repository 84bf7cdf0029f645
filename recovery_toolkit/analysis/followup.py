"""Follow-up quality: completeness of the daily logs, loss to follow-up, escalation of flags.

* completeness of an episode: distinct logged days in the window / (window_days + 1);
* lost to follow-up: the last logged day is before day 7 and the episode has not resolved;
* escalation: among episodes with a reported red flag, the share with ``clinic_contact`` on
  the day of the first reported flag or the next day (Wilson 95 % interval).

Examples
--------
>>> import recovery_toolkit as rt
>>> from recovery_toolkit.analysis.episodes import episode_table
>>> episodes = episode_table(rt.load_logs(rt.sample_path()).logs)
>>> completeness(episodes).columns.tolist()
['treatment_type', 'episodes', 'mean_completeness', 'lost_to_follow_up', 'lost_share']
"""

from __future__ import annotations

import pandas as pd

from .episodes import in_window
from .intervals import wilson_interval
from .partials import add_counts
from .settings import Settings, resolve

__all__ = [
    "completeness",
    "completeness_counts",
    "completeness_from_counts",
    "window_slots",
    "escalation",
    "logging_by_day",
    "logging_from_curve",
    "logging_grid",
]


def completeness(
    episodes: pd.DataFrame, settings: Settings | None = None, *, by: str = "treatment_type"
) -> pd.DataFrame:
    """Per group: episodes, mean completeness, episodes lost to follow-up and their share
    (:func:`completeness_from_counts` of :func:`completeness_counts`: the same in every
    engine).

    The mean completeness is the group's logged days over ``episodes × (window_days + 1)``
    (the window the episode table was built with, :func:`window_slots`), in whole numbers
    until that one division.

    Examples
    --------
    >>> eps = pd.DataFrame({"site": ["a", "a"], "days_logged": [15, 3],
    ...                     "lost_to_follow_up": [False, True]})
    >>> completeness(eps, by="site").iloc[0].to_dict()  # doctest: +NORMALIZE_WHITESPACE
    {'site': 'a', 'episodes': 2, 'mean_completeness': 0.6,
     'lost_to_follow_up': 1, 'lost_share': 0.5}
    """
    counts = completeness_counts(episodes, settings, by=by)
    return completeness_from_counts([counts], settings, by=by)


def completeness_counts(
    episodes: pd.DataFrame, settings: Settings | None = None, *, by: str = "treatment_type"
) -> pd.DataFrame:
    """The mergeable part of :func:`completeness`: per group, episodes, logged days in the
    window, episodes lost to follow-up and the days they could have logged (whole numbers).

    Examples
    --------
    >>> eps = pd.DataFrame({"treatment_type": ["pt"] * 2, "days_logged": [15, 3],
    ...                     "lost_to_follow_up": [False, True]})
    >>> completeness_counts(eps).values.tolist()
    [['pt', 2, 18, 1, 30]]
    """
    table = episodes.groupby(by, observed=True, sort=True).agg(
        episodes=("days_logged", "size"),
        days_logged=("days_logged", "sum"),
        lost_to_follow_up=("lost_to_follow_up", "sum"),
    )
    table["window_days"] = table["episodes"] * window_slots(episodes, settings)
    return table.astype("int64").reset_index()


def window_slots(episodes: pd.DataFrame, settings: Settings | None = None) -> int:
    """Days an episode can log in the window its episode table was built with: its
    ``soreness_day_<d>`` columns (days 0..window_days), else ``settings.window_days + 1``.

    Examples
    --------
    >>> window_slots(pd.DataFrame(columns=[f"soreness_day_{d}" for d in range(22)]))
    22
    >>> window_slots(pd.DataFrame({"days_logged": [3]}))
    15
    """
    days = [c for c in episodes.columns if str(c).startswith("soreness_day_")]
    return len(days) if days else resolve(settings).window_days + 1


def completeness_from_counts(
    counts: list[pd.DataFrame], settings: Settings | None = None, *, by: str = "treatment_type"
) -> pd.DataFrame:
    """:func:`completeness` from the :func:`completeness_counts` of any split of the episodes.

    Examples
    --------
    >>> part = pd.DataFrame({"treatment_type": ["pt"], "episodes": [2], "days_logged": [18],
    ...                      "lost_to_follow_up": [1], "window_days": [30]})
    >>> float(completeness_from_counts([part, part])["mean_completeness"].iloc[0])
    0.6
    """
    del settings  # the window is in the counts: episodes × days each could log
    table = add_counts(counts, [by])
    table["mean_completeness"] = table["days_logged"] / table["window_days"]
    table["lost_share"] = table["lost_to_follow_up"] / table["episodes"]
    return table[[by, "episodes", "mean_completeness", "lost_to_follow_up", "lost_share"]]


def escalation_counts(
    episodes: pd.DataFrame, settings: Settings | None = None, *, by: str = "treatment_type"
) -> pd.DataFrame:
    """The mergeable part of :func:`escalation`: per group, episodes with a reported flag and
    those escalated in time (every treatment type, with zeros), whole numbers that add up over
    any split of the episodes.

    Examples
    --------
    >>> eps = pd.DataFrame({"treatment_type": ["pt"] * 3,
    ...                     "escalated": pd.array([True, False, None], dtype="boolean")})
    >>> escalation_counts(eps)[["episodes_with_flag", "escalated"]].values.tolist()
    [[2, 1]]
    """
    del settings  # nothing here depends on it
    flagged = episodes.loc[episodes["escalated"].notna()]
    table = flagged.groupby(by, observed=False, sort=True).agg(
        episodes_with_flag=("escalated", "size"),
        escalated=("escalated", "sum"),
    )
    return table.astype("int64").reset_index()


def escalation_from_counts(
    counts: list[pd.DataFrame], *, by: str = "treatment_type"
) -> pd.DataFrame:
    """:func:`escalation` from the :func:`escalation_counts` of any split of the episodes.

    Examples
    --------
    >>> part = pd.DataFrame({"treatment_type": ["pt"], "episodes_with_flag": [2],
    ...                      "escalated": [1]})
    >>> float(escalation_from_counts([part, part])["share"].iloc[0])
    0.5
    """
    table = add_counts(counts, [by])
    n = table["episodes_with_flag"]
    table["share"] = table["escalated"] / n.where(n > 0)
    table["ci_low"], table["ci_high"] = wilson_interval(table["escalated"], n)
    return table


def escalation(
    episodes: pd.DataFrame, settings: Settings | None = None, *, by: str = "treatment_type"
) -> pd.DataFrame:
    """Per group: episodes with a reported flag, those escalated in time, share with Wilson CI
    (:func:`escalation_from_counts` of :func:`escalation_counts`: the same in every engine).

    ``settings`` is accepted like every analysis function's; nothing here depends on it.

    Examples
    --------
    >>> eps = pd.DataFrame({"treatment_type": ["pt"] * 3,
    ...                     "escalated": pd.array([True, False, None], dtype="boolean")})
    >>> row = escalation(eps).iloc[0]
    >>> int(row["episodes_with_flag"]), int(row["escalated"]), float(row["share"])
    (2, 1, 0.5)
    """
    return escalation_from_counts([escalation_counts(episodes, settings, by=by)], by=by)


def logging_by_day(
    logs: pd.DataFrame,
    settings: Settings | None = None,
    *,
    window_days: int | None = None,
    by: str = "treatment_type",
) -> pd.DataFrame:
    """Per group and day of the window: episodes with a log that day, and their share.

    The share's denominator is every episode of the group with a log in the window.

    Examples
    --------
    >>> import recovery_toolkit as rt
    >>> table = logging_by_day(rt.load_logs(rt.sample_path()).logs)
    >>> table.columns.tolist()
    ['treatment_type', 'day', 'logged', 'episodes', 'share']
    """
    window = in_window(logs, settings, window_days=window_days)
    logged = window.groupby([by, "day"], observed=True).size().rename("logged").reset_index()
    episodes = window.groupby(by, observed=True)["episode_id"].nunique().rename("episodes")
    logged = logged.merge(episodes.reset_index(), on=by)
    logged["share"] = logged["logged"] / logged["episodes"]
    return logged


def logging_from_curve(curve: pd.DataFrame, time_to_resolution: pd.DataFrame) -> pd.DataFrame:
    """:func:`logging_by_day` from the recovery curve (its ``n`` is the episodes that logged
    that day) and the episodes per type of the time-to-resolution table: the same table
    without the logs, so it adds up across parts.

    Examples
    --------
    >>> import recovery_toolkit as rt
    >>> from recovery_toolkit import analysis
    >>> logs = rt.load_logs(rt.sample_path()).logs
    >>> eps = analysis.episode_table(logs)
    >>> a = logging_from_curve(analysis.recovery_curve(logs), analysis.time_to_resolution(eps))
    >>> b = logging_by_day(logs)
    >>> bool((a["share"].to_numpy() == b["share"].to_numpy()).all())
    True
    """
    per_type = time_to_resolution.astype({"treatment_type": "str"}).set_index("treatment_type")
    logged = curve[["treatment_type", "day", "n"]].rename(columns={"n": "logged"})
    logged = logged.astype({"treatment_type": "str"}).reset_index(drop=True)
    logged["episodes"] = logged["treatment_type"].map(per_type["episodes"]).astype("int64")
    logged["share"] = logged["logged"] / logged["episodes"]
    return logged


def logging_grid(
    logs: pd.DataFrame,
    episode_ids: list[str] | None = None,
    settings: Settings | None = None,
    *,
    window_days: int | None = None,
    max_episodes: int = 60,
) -> pd.DataFrame:
    """Which days each episode logged: one row per episode and day of the window.

    For a quality review of a handful of episodes (at most ``max_episodes``, the most recent
    treatments first when ``episode_ids`` is not given). Columns: ``episode_id``, ``day``,
    ``logged`` and ``soreness`` (missing on days without a log).

    Examples
    --------
    >>> import recovery_toolkit as rt
    >>> grid = logging_grid(rt.load_logs(rt.sample_path()).logs, max_episodes=5)
    >>> len(grid), grid["episode_id"].nunique()
    (75, 5)
    """
    window_days = resolve(settings, window_days=window_days).window_days
    window = in_window(logs, window_days=window_days)
    if episode_ids is None:
        latest = window.drop_duplicates("episode_id").sort_values(
            ["treatment_date", "episode_id"], ascending=[False, True]
        )
        episode_ids = latest["episode_id"].head(max_episodes).tolist()
    chosen = list(episode_ids)[:max_episodes]
    rows = window.loc[window["episode_id"].isin(chosen), ["episode_id", "day", "soreness"]]
    full = pd.MultiIndex.from_product([chosen, range(window_days + 1)], names=["episode_id", "day"])
    grid = rows.set_index(["episode_id", "day"]).reindex(full).reset_index()
    grid["logged"] = grid["soreness"].notna()
    return grid[["episode_id", "day", "logged", "soreness"]]
