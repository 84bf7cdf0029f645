"""Sharing the drop-out sensitivity table (resolved by each milestone day, four ways).

* Types whose sore episodes are hidden show nothing.
* ``km`` rows show what the shared time-to-resolution table shows for the same day (a
  "resolved by day" share only where it equals a drawn step, in whole percent), no interval.
* ``best_case`` and ``worst_case`` rows are counts over sore episodes (the worst case at the
  window's end is the resolved count): a type's show, with their interval, only where its
  resolved count shows and every difference between two of them (and between each and 0 or
  the sore episodes) is 0 or at least ``min_cell`` — a difference is a count too (best minus
  worst by a day: the drop-outs before it).
* ``ipcw`` rows are weighted estimates: shown in whole percent where the ``km`` row of the
  same day shows, no interval.

Examples
--------
>>> import recovery_toolkit as rt
>>> shared = rt.share(rt.compute(rt.load_logs(rt.sample_path())))
>>> table = shared.tables["resolution_milestones"]
>>> set(table.loc[table["treatment_type"] == "minor_procedure", "resolved"])
{'suppressed'}
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .cells import SUPPRESSED, is_small
from .plan import SharePlan

__all__ = ["share_milestones"]

_TYPE = "treatment_type"


def share_milestones(
    plan: SharePlan, table: pd.DataFrame, shared_ttr: pd.DataFrame
) -> pd.DataFrame:
    """The milestones table made safe to share, consistent with the shared
    time-to-resolution table ``shared_ttr``.

    Examples
    --------
    >>> no = pd.Series({"a": False})
    >>> plan = SharePlan(pd.Series({"a": 60}), no, pd.Series({"a": 0}), no,
    ...                  sore=pd.Series({"a": 50}))
    >>> t = pd.DataFrame({"treatment_type": ["a"] * 2, "day": [7, 7],
    ...                   "method": ["best_case", "worst_case"], "resolved": [0.9, 0.6],
    ...                   "ci_low": [0.8, 0.5], "ci_high": [0.95, 0.7]})
    >>> ttr = pd.DataFrame({"treatment_type": ["a"], "resolved_by_day_7": [0.7]})
    >>> share_milestones(plan, t, ttr)["resolved"].tolist()  # 45 of 50 leaves 5: both hide
    ['suppressed', 'suppressed']
    >>> t["resolved"] = [0.8, 0.5]  # 40, 25: gaps 25, 15, 10 (50 - 40): still hidden
    >>> share_milestones(plan, t, ttr)["resolved"].tolist()
    ['suppressed', 'suppressed']
    >>> t["resolved"] = [0.76, 0.5]  # 38, 25: gaps 25, 13, 12
    >>> share_milestones(plan, t, ttr)["resolved"].tolist()
    [0.76, 0.5]
    """
    out = table.astype({c: object for c in ("resolved", "ci_low", "ci_high")})
    types = table[_TYPE].astype("str")
    hidden = plan.by_type(plan.hidden_population(), types)
    resolved_hidden = np.zeros(len(table), dtype=bool)
    if plan.resolved_hidden is not None:  # the worst case at the window's end is resolved
        resolved_hidden = plan.by_type(plan.resolved_hidden, types)
    method = table["method"].to_numpy()
    km_shown = _km_shown(table, shared_ttr)
    sore = types.map(plan.sore if plan.sore is not None else plan.episodes).to_numpy(float)
    counts = np.round(table["resolved"].to_numpy(dtype=float) * sore)
    bound = np.isin(method, ["best_case", "worst_case"])
    safe = np.zeros(len(table), dtype=bool)
    for kind in types.unique():
        rows = (types == kind).to_numpy() & bound
        values = np.r_[0.0, counts[rows], sore[rows][:1]]
        gaps = np.diff(np.unique(values))  # every difference is a sum of these
        safe[rows] = not is_small(gaps, plan.min_cell).any()
    show = ~hidden & np.where(bound, safe & ~resolved_hidden, km_shown)
    weighted = ~bound & show
    out.loc[weighted, "resolved"] = table.loc[weighted, "resolved"].round(2).astype(object)
    out.loc[~show, "resolved"] = SUPPRESSED
    out.loc[~(show & bound), ["ci_low", "ci_high"]] = SUPPRESSED
    return out


def _km_shown(table: pd.DataFrame, shared_ttr: pd.DataFrame) -> np.ndarray:
    """Per row: does the shared time-to-resolution table show its type's milestone day?"""
    shown = np.zeros(len(table), dtype=bool)
    by_type = shared_ttr.set_index(shared_ttr[_TYPE].astype("str"))
    for i, (kind, day) in enumerate(zip(table[_TYPE].astype("str"), table["day"], strict=True)):
        column = f"resolved_by_day_{day}"
        if kind in by_type.index and column in by_type.columns:
            shown[i] = by_type.loc[kind, column] != SUPPRESSED
    return shown
