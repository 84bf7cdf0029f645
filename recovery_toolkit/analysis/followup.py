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

from .intervals import wilson_interval

__all__ = ["completeness", "escalation"]


def completeness(episodes: pd.DataFrame, *, by: str = "treatment_type") -> pd.DataFrame:
    """Per group: episodes, mean completeness, episodes lost to follow-up and their share.

    Examples
    --------
    >>> eps = pd.DataFrame({"site": ["a", "a"], "completeness": [1.0, 0.2],
    ...                     "lost_to_follow_up": [False, True]})
    >>> completeness(eps, by="site").iloc[0].to_dict()  # doctest: +NORMALIZE_WHITESPACE
    {'site': 'a', 'episodes': 2, 'mean_completeness': 0.6,
     'lost_to_follow_up': 1, 'lost_share': 0.5}
    """
    table = episodes.groupby(by, observed=True, sort=True).agg(
        episodes=("completeness", "size"),
        mean_completeness=("completeness", "mean"),
        lost_to_follow_up=("lost_to_follow_up", "sum"),
    )
    table["lost_to_follow_up"] = table["lost_to_follow_up"].astype("int64")
    table["lost_share"] = table["lost_to_follow_up"] / table["episodes"]
    return table.reset_index()


def escalation(episodes: pd.DataFrame, *, by: str = "treatment_type") -> pd.DataFrame:
    """Per group: episodes with a reported flag, those escalated in time, share with Wilson CI.

    Examples
    --------
    >>> eps = pd.DataFrame({"treatment_type": ["pt"] * 3,
    ...                     "escalated": pd.array([True, False, None], dtype="boolean")})
    >>> row = escalation(eps).iloc[0]
    >>> int(row["episodes_with_flag"]), int(row["escalated"]), float(row["share"])
    (2, 1, 0.5)
    """
    flagged = episodes.loc[episodes["escalated"].notna()]
    table = flagged.groupby(by, observed=False, sort=True).agg(
        episodes_with_flag=("escalated", "size"),
        escalated=("escalated", "sum"),
    )
    table["escalated"] = table["escalated"].astype("int64")
    n = table["episodes_with_flag"]
    table["share"] = table["escalated"] / n.where(n > 0)
    table["ci_low"], table["ci_high"] = wilson_interval(table["escalated"], n)
    return table.reset_index()
