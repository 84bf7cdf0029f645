"""Sharing the report's own tables: Kaplan–Meier curves, Table 1, resolution by checklist item.

Each function takes the :class:`~recovery_toolkit.privacy.plan.SharePlan` that decided the
summary tables, so a count hides alike wherever it appears.

Examples
--------
>>> import recovery_toolkit as rt
>>> shared = rt.share(rt.compute(rt.load_logs(rt.sample_path())))
>>> shared.tables["table_one"].loc["baseline_missing", "overall"]
'suppressed'
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .cells import SUPPRESSED, hide, is_small, label
from .km import coarsen_km
from .plan import SharePlan

__all__ = [
    "share_hazard_ratios",
    "share_model_curve",
    "share_km",
    "share_table_one",
    "share_item_resolution",
    "share_landmark",
]

_TYPE = "treatment_type"
#: Table 1 rows that are time-to-resolution populations, and their columns in that table.
_POPULATIONS = {"no_reaction": "no_reaction", "baseline_missing": "baseline_missing"}


def share_km(plan: SharePlan, km: pd.DataFrame) -> pd.DataFrame:
    """The Kaplan–Meier curves by treatment type, coarsened (:func:`coarsen_km`), without
    the types whose episodes are hidden (a step's share bounds its denominator).

    Examples
    --------
    >>> import recovery_toolkit as rt
    >>> r = rt.compute(rt.generate_logs(1500, rng=1, notes=False))
    >>> drawn = share_km(SharePlan.from_tables(r.tables), r.tables["km"])
    >>> "at_risk" in drawn, len(drawn) > 0, drawn["resolved_share"].max() <= 1
    (False, True, np.True_)
    """
    shown = ~plan.by_type(plan.hidden_population(), km[_TYPE])  # the curves: sore episodes
    return coarsen_km(km.loc[shown], min_cell=plan.min_cell)


def share_table_one(plan: SharePlan, counts: pd.DataFrame) -> pd.DataFrame:
    """Table 1 counts (:func:`recovery_toolkit.analysis.table_one_counts`): every row a
    part of episodes per type, hidden as in the other tables; ``overall`` hides with a
    hidden type (it is their sum) or when small.

    Examples
    --------
    >>> import recovery_toolkit as rt
    >>> tables = rt.compute(rt.load_logs(rt.sample_path())).tables
    >>> t1 = share_table_one(SharePlan.from_tables(tables), tables["table_one_counts"])
    >>> t1.loc["baseline_missing", "overall"]
    'suppressed'
    """
    types = [c for c in counts.columns if c not in ("characteristic", "overall")]
    out = counts.astype({c: object for c in [*types, "overall"]})
    overall_n = float(plan.episodes.sum())
    for i, row in counts.iterrows():  # rows by key (the index), never by label
        values = row[types].astype(int)
        if i == "episodes":
            mask = plan.episodes_hidden.reindex(types).fillna(False).to_numpy(dtype=bool)
        elif i == "any_flag":
            mask = plan.any_flag_hidden.reindex(types).fillna(False).to_numpy(dtype=bool)
        elif i in _POPULATIONS:  # hidden as in the time-to-resolution table
            hidden = plan.hidden_population(_POPULATIONS[str(i)])
            mask = hidden.reindex(types).fillna(True).to_numpy(dtype=bool)
        elif i == "resolved" and plan.resolved_hidden is not None:
            hidden = plan.resolved_hidden | plan.hidden_population()
            mask = hidden.reindex(types).fillna(True).to_numpy(dtype=bool)
        else:
            mask = plan.part(values).reindex(types).to_numpy(dtype=bool)
        total = int(row["overall"])
        out.loc[i, types] = label(values, mask).to_numpy()
        whole = overall_n
        if i == "resolved" and plan.sore is not None:  # resolved is a part of sore episodes
            whole = float(plan.sore.sum())
        if is_small(np.array([total, whole - total]), plan.min_cell).any():
            out.loc[i, "overall"] = SUPPRESSED
    return out


def share_item_resolution(plan: SharePlan, table: pd.DataFrame) -> pd.DataFrame:
    """Per checklist item: adherent and other episodes (hidden together when either, or
    the episodes that never answered the item, are small) and their shares resolved by day
    7, hidden where the resolved or unresolved episodes they imply are fewer than
    ``min_cell``.

    Examples
    --------
    >>> plan = SharePlan(pd.Series({"a": 40}), pd.Series({"a": False}),
    ...                  pd.Series({"a": 0}), pd.Series({"a": False}))
    >>> t = pd.DataFrame({"item": ["ice"], "adherent_episodes": [60], "other_episodes": [40],
    ...                   "resolved_by_day_7_adherent": [0.9], "resolved_by_day_7_other":
    ...                   [0.5], "difference": [0.4]})
    >>> share_item_resolution(plan, t).iloc[0].tolist()[3:]
    ['suppressed', 0.5, 'suppressed']
    """
    groups = {"adherent": "adherent_episodes", "other": "other_episodes"}
    sizes = table[list(groups.values())].to_numpy(dtype=float)
    whole = plan.episodes if plan.sore is None else plan.sore  # the items' KM: sore episodes
    never = float(whole.sum()) - sizes.sum(axis=1)  # never answered the item
    pair = (
        is_small(sizes[:, 0], plan.min_cell)
        | is_small(sizes[:, 1], plan.min_cell)
        | is_small(never, plan.min_cell)
    )
    out = table
    for column in groups.values():
        out = hide(out, column, pair)
    out = out.astype({c: object for c in out.columns if c.startswith("resolved")})
    any_hidden = pair.copy()
    for suffix, size in groups.items():
        column = next(c for c in table.columns if c.startswith("resolved") and c.endswith(suffix))
        resolved = np.round(table[column].to_numpy(dtype=float) * table[size].to_numpy())
        rest = table[size].to_numpy() - resolved
        mask = pair | is_small(resolved, plan.min_cell) | is_small(rest, plan.min_cell)
        out.loc[mask, column] = SUPPRESSED
        any_hidden |= mask
    out = out.astype({"difference": object})
    out.loc[any_hidden, "difference"] = SUPPRESSED
    return out


def share_landmark(plan: SharePlan, table: pd.DataFrame) -> pd.DataFrame:
    """The landmark hazard ratios: an item's episodes and resolutions in the landmark cohort
    hide when either, or the unresolved rest, is from 1 to ``min_cell - 1``; its hazard ratio,
    interval, p and q hide with them.

    Examples
    --------
    >>> no = pd.Series({"a": False})
    >>> plan = SharePlan(pd.Series({"a": 60}), no, pd.Series({"a": 0}), no)
    >>> t = pd.DataFrame({"landmark_day": [3, 3], "item": ["ice", "sleep"],
    ...                   "episodes": [40, 40], "events": [35, 25], "hr": [1.2, 0.9],
    ...                   "ci_low": [0.8, 0.6], "ci_high": [1.8, 1.3], "p_value": [0.4, 0.6],
    ...                   "q_value": [0.6, 0.6]})
    >>> share_landmark(plan, t)["hr"].tolist()  # 40 - 35 = 5 unresolved
    ['suppressed', 0.9]
    """
    episodes = table["episodes"].to_numpy(dtype=float)
    events = table["events"].to_numpy(dtype=float)
    hidden = (
        is_small(episodes, plan.min_cell)
        | is_small(events, plan.min_cell)
        | is_small(episodes - events, plan.min_cell)
    )
    out = table.astype({c: object for c in table.columns if c not in ("landmark_day", "item")})
    out.loc[hidden, [c for c in out.columns if c not in ("landmark_day", "item")]] = SUPPRESSED
    return out


def share_hazard_ratios(
    plan: SharePlan, table: pd.DataFrame, resolution: pd.DataFrame
) -> pd.DataFrame:
    """Hazard ratios between treatment types: a type's ratio, interval and p hide when its
    sore episodes or resolutions (``resolution``: the internal time-to-resolution table) are
    from 1 to ``min_cell - 1`` (a ratio estimated from a handful of people); every ratio hides
    when the reference's do. The table shows no count, so nothing else needs hiding.

    Examples
    --------
    >>> no = pd.Series({"a": False})
    >>> plan = SharePlan(pd.Series({"a": 60}), no, pd.Series({"a": 0}), no)
    >>> hr = pd.DataFrame({"treatment_type": ["a", "b"], "reference": ["a", "a"],
    ...                    "hr": [1.0, 1.5], "ci_low": [None, 1.1], "ci_high": [None, 2.0],
    ...                    "p_value": [None, 0.01]})
    >>> ttr = pd.DataFrame({"treatment_type": ["a", "b"], "sore_episodes": [50, 40],
    ...                     "resolved": [45, 8]})
    >>> share_hazard_ratios(plan, hr, ttr)["hr"].tolist()  # 8 resolutions of type b
    [1.0, 'suppressed']
    """
    counts = resolution.set_index(_TYPE)[["sore_episodes", "resolved"]]
    small = pd.Series(
        np.any([is_small(counts[c].to_numpy(), plan.min_cell) for c in counts], axis=0),
        index=counts.index,
    )
    hidden = table[_TYPE].map(small).fillna(True).to_numpy(dtype=bool).copy()
    if hidden[(table[_TYPE] == table["reference"]).to_numpy()].any():
        hidden[:] = True
    values = ["hr", "ci_low", "ci_high", "p_value"]
    out = table.astype({c: object for c in values})
    out.loc[hidden, values] = SUPPRESSED
    return out


def share_model_curve(plan: SharePlan, table: pd.DataFrame) -> pd.DataFrame:
    """The model-based curve: a type fitted on 1 to ``min_cell - 1`` episodes hides (its
    means, interval and count); the others show (a model's mean reveals no single log).

    Examples
    --------
    >>> no = pd.Series({"a": False})
    >>> plan = SharePlan(pd.Series({"a": 60}), no, pd.Series({"a": 0}), no)
    >>> t = pd.DataFrame({"treatment_type": ["a", "b"], "day": [0, 0], "mean": [5.0, 6.0],
    ...                   "ci_low": [4.5, 5.0], "ci_high": [5.5, 7.0], "episodes_used": [40, 6]})
    >>> share_model_curve(plan, t)["mean"].tolist()
    [5.0, 'suppressed']
    """
    hidden = is_small(table["episodes_used"].to_numpy(), plan.min_cell)
    values = ["mean", "ci_low", "ci_high", "episodes_used"]
    out = table.astype({c: object for c in values})
    out.loc[hidden, values] = SUPPRESSED
    return out
