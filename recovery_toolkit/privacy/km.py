"""Kaplan–Meier curves fit to share: merged steps, no count from 1 to ``min_cell - 1``.

Examples
--------
>>> km = pd.DataFrame({"g": ["a"] * 2, "day": [0, 1], "at_risk": [40, 40], "events": [0, 20],
...                    "censored": [0, 0], "survival": [1.0, 0.5], "resolved_share": [0, 0.5]})
>>> coarsen_km(km, by="g")["resolved_share"].tolist()
[0.0, 0.5]
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .cells import MIN_CELL, is_small

__all__ = ["coarsen_km", "milestones_shown"]

_TYPE = "treatment_type"


def coarsen_km(km: pd.DataFrame, *, by: str = _TYPE, min_cell: int = MIN_CELL) -> pd.DataFrame:
    """A Kaplan–Meier table fit to share: counts dropped, steps merged and values rounded so
    that no count from 1 to ``min_cell - 1`` can be read off the curve.

    A drawn step holds at least ``min_cell`` resolutions; the censorings since the previous
    step (its day included) are 0 or at least ``min_cell``, and so are the episodes left at
    risk after it; what remains unresolved after the last step is 0 or at least ``min_cell``.
    Shares are in whole percent. Each group starts from nobody resolved at day 0, so the curve
    climbs at the end of each merged step; a group with no such step is not drawn.

    Examples
    --------
    >>> km = pd.DataFrame({"g": ["a"] * 4, "day": [0, 1, 2, 3], "at_risk": [60, 55, 40, 36],
    ...                    "events": [5, 15, 4, 12], "censored": [0, 0, 0, 0],
    ...                    "survival": [0.917, 0.667, 0.6, 0.4]})
    >>> km["resolved_share"] = 1 - km["survival"]
    >>> coarsen_km(km, by="g")[["day", "resolved_share"]].values.tolist()
    [[0.0, 0.0], [1.0, 0.33], [3.0, 0.6]]
    """
    kept = []
    for _, rows in km.groupby(by, observed=True, sort=False):
        events = rows["events"].cumsum().to_numpy()
        censored = rows["censored"].cumsum().to_numpy()
        after = (rows["at_risk"] - rows["events"] - rows["censored"]).to_numpy()
        ends: list[int] = []
        for i in range(len(rows)):
            last = ends[-1] if ends else -1
            block_events = events[i] - (events[last] if ends else 0)
            block_censored = censored[i] - (censored[last - 1] if last > 0 else 0)
            counts = np.array([block_events, block_censored, after[i]])
            if block_events >= min_cell and not is_small(counts, min_cell).any():
                ends.append(i)
        if ends and is_small(np.array([events[-1] - events[ends[-1]]]), min_cell)[0]:
            ends.pop()  # the resolutions after the last step would be a small count
        if not ends:
            continue
        steps = rows.iloc[ends]
        if 0 not in ends:
            steps = pd.concat(
                [rows.iloc[[0]].assign(day=0, survival=1.0, resolved_share=0.0), steps]
            )
        kept.append(steps)
    columns = [c for c in km.columns if c not in ("at_risk", "events", "censored")]
    if not kept:
        return km.loc[[], columns]
    out = pd.concat(kept)[columns].reset_index(drop=True)
    out["resolved_share"] = out["resolved_share"].round(2)
    out["survival"] = 1 - out["resolved_share"]
    return out


def milestones_shown(km: pd.DataFrame, coarse: pd.DataFrame, days: tuple[int, ...]) -> pd.DataFrame:
    """Per type and milestone day: True where the share resolved by then equals a drawn step."""
    rows = []
    for group, part in km.groupby(_TYPE, observed=True, sort=False):
        drawn = coarse.loc[coarse[_TYPE] == group]
        steps = drawn.loc[drawn["resolved_share"] > 0, "day"].to_numpy()
        cumulative = part.set_index("day")["events"].cumsum()
        for day in days:
            before = steps[steps <= day]
            at = cumulative.loc[:day]
            reached = int(at.iloc[-1]) if len(at) else 0
            step = int(cumulative.loc[before[-1]]) if len(before) else 0
            rows.append({_TYPE: str(group), "day": day, "shown": reached == step})
    return pd.DataFrame(rows, columns=[_TYPE, "day", "shown"])
