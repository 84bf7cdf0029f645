"""Sharing the control chart: month counts, events, the centre line and its limits.

Examples
--------
>>> import recovery_toolkit as rt
>>> shared = rt.share(rt.compute(rt.load_logs(rt.sample_path())))
>>> "complete" in shared.tables["spc"].columns
True
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .cells import SUPPRESSED, complete, hide, is_small
from .plan import SharePlan

__all__ = ["share_spc"]

_TYPE = "treatment_type"


def share_spc(plan: SharePlan, table: pd.DataFrame) -> pd.DataFrame:
    """Control chart: month counts hidden when small, never alone in a month (whose
    ``all`` row is their sum) nor in a series (whose sum is shown elsewhere); a type's
    centre line (its share of episodes with any flag) hides with that count, and, in a
    series with an incomplete month (left out of the centre), whenever any count of the
    series hides; limits hide with the centre or the month's n (they are k/n); the signal
    and its rule hide with the month's events.

    Examples
    --------
    >>> import recovery_toolkit as rt
    >>> from recovery_toolkit.analysis import compute
    >>> t = compute(rt.load_logs(rt.sample_path())).tables
    >>> shown = share_spc(SharePlan.from_tables(t), t["spc"])
    >>> shown.loc[shown["treatment_type"] == "minor_procedure", "center"].iloc[0]
    'suppressed'
    """
    n = table["n"].to_numpy(dtype=float)
    events = table["events"].to_numpy(dtype=float)
    n_mask = is_small(n, plan.min_cell)
    ev_mask = n_mask | is_small(events, plan.min_cell) | is_small(n - events, plan.min_cell)
    groups = [table.groupby("month", sort=False).indices.values()]
    groups.append(table.groupby(_TYPE, sort=False).indices.values())
    changed = True
    while changed:
        before = (n_mask.sum(), ev_mask.sum())
        for grouping in groups:
            for rows in grouping:
                n_mask[rows] = complete(n[rows], n_mask[rows], plan.min_cell)
                ev_mask[rows] = complete(events[rows], ev_mask[rows], plan.min_cell)
        ev_mask |= n_mask
        changed = before != (n_mask.sum(), ev_mask.sum())
    types = table[_TYPE].astype("str")
    all_rows = (types == "all").to_numpy()
    total_n, total_any = plan.episodes.sum(), plan.any_flag.sum()
    all_hidden = is_small(np.array([total_any, total_n - total_any]), plan.min_cell).any()
    center_mask = np.where(all_rows, all_hidden, plan.by_type(plan.any_flag_hidden, types))
    if "complete" in table.columns:
        # the centre is Σ events / Σ n over the complete months: with an incomplete month
        # in the series it splits the series' total in two, so it shows only when every
        # count of the series is shown (then it tells nothing new)
        partial = ~table["complete"].to_numpy(dtype=bool)
        for rows in table.groupby(_TYPE, sort=False).indices.values():
            if partial[rows].any() and (n_mask[rows].any() or ev_mask[rows].any()):
                center_mask[rows] = True
    out = hide(table, "n", n_mask)
    derived = tuple(c for c in ("p", "signal", "rule") if c in table.columns)
    out = hide(out, "events", ev_mask, derived)
    out = out.astype({c: object for c in ("center", "lcl", "ucl")})
    out.loc[center_mask, "center"] = SUPPRESSED
    out.loc[center_mask | n_mask, ["lcl", "ucl"]] = SUPPRESSED
    return out
