"""Sharing the funnel table (docs/privacy.md, "Funnel plots").

* **Clinicians are left out.** A shared funnel table has site rows only: a per-clinician
  comparison names, or under any stable label lets colleagues identify, one clinician.
* **A site's rows are shown or hidden as a whole.** A site's expected count is Σ over its
  episodes of the (shown) type rates, written with six decimals, so together with its episodes
  it reveals the site's episodes per treatment type. The any-flag and lost-to-follow-up rows
  (population: all episodes) of a site hide (every number ``suppressed``) when any of its
  per-type episode counts, or its episodes, is from 1 to ``min_cell - 1``, or when the
  completeness-by-site table hides its episodes. The resolved-by-day rows (population: episodes
  that are sore) hide when any per-type count of sore episodes, or of the others (all minus
  with: the two populations' expected counts together would reveal it), is small. Then, per
  type and per count, never exactly one site is hidden (type totals are shown elsewhere:
  :func:`~recovery_toolkit.privacy.cells.complete`), repeated until nothing changes.
* **Observed counts** of a shown site hide (with the ratio and ``outside``) when small, when
  the rest (episodes − observed) is small, and never alone across the sites of a measure; lost
  to follow-up hides at least where the completeness-by-site table hides it.

Examples
--------
>>> import recovery_toolkit as rt
>>> shared = rt.share(rt.compute(rt.load_logs(rt.sample_path())))
>>> sorted(shared.tables["funnel"]["unit_type"].unique())
['site']
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .cells import SUPPRESSED, complete, is_small
from .plan import SharePlan

__all__ = ["share_funnel"]

_NUMBERS = [
    "episodes",
    "observed",
    "expected",
    "ratio",
    "low_95",
    "high_95",
    "low_998",
    "high_998",
    "outside",
]


def _hidden_sites(
    plan: SharePlan,
    mix: pd.DataFrame,
    sites: pd.Index,
    by_site: pd.DataFrame | None,
    population: str,
) -> pd.Series:
    """Sites whose rows of a population (``all`` episodes, or the ``sore`` ones) hide
    as a whole (see the module docstring)."""
    mix = mix.loc[mix["unit_type"] == "site"]

    def cells(column: str) -> pd.DataFrame:
        table = mix.pivot_table(
            index="unit", columns="treatment_type", values=column, aggfunc="sum", fill_value=0
        )
        return table.reindex(index=sites, columns=sorted(mix["treatment_type"].unique()))

    everything = cells("episodes").fillna(0)
    if population == "all":
        counts = [everything.to_numpy()]
    else:  # with the all-episode rows shown, the difference would be revealed too
        baseline = cells("sore_episodes").fillna(0)
        counts = [baseline.to_numpy(), (everything - baseline).to_numpy()]
    counts += [c.sum(axis=1, keepdims=True) for c in counts]
    hidden = np.zeros(len(sites), dtype=bool)
    for values in counts:
        hidden |= is_small(values.ravel(), plan.min_cell).reshape(values.shape).any(axis=1)
    if by_site is not None and len(by_site):
        suppressed = by_site.set_index(by_site["site"].astype("str"))["episodes"].astype("str")
        hidden |= (suppressed.reindex(sites) == SUPPRESSED).to_numpy()
    changed = True
    while changed:
        before = hidden.sum()
        for values in counts:
            for column in values.T:
                hidden = complete(column, hidden, plan.min_cell)
        changed = hidden.sum() != before
    return pd.Series(hidden, index=sites)


def share_funnel(
    plan: SharePlan,
    table: pd.DataFrame,
    mix: pd.DataFrame,
    completeness_by_site: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The funnel table as shared: site rows only, hidden sites and small observed counts
    ``suppressed`` (module docstring).

    Examples
    --------
    >>> plan = SharePlan(pd.Series({"x": 60}), pd.Series({"x": False}),
    ...                  pd.Series({"x": 20}), pd.Series({"x": False}))
    >>> t = pd.DataFrame({"unit_type": ["site"] * 3 + ["clinician"], "unit": ["a", "b", "c", "d"],
    ...                   "measure": ["any_flag"] * 4, "episodes": [30, 25, 5, 30],
    ...                   "observed": [12, 7, 1, 12], "expected": [10.0, 8.3, 1.7, 10.0],
    ...                   "ratio": [1.2, 0.84, 0.6, 1.2], "low_95": [0.5] * 4, "high_95": [1.6] * 4,
    ...                   "low_998": [0.3] * 4, "high_998": [2.0] * 4, "outside": [""] * 4})
    >>> mix = pd.DataFrame({"unit_type": "site", "unit": ["a", "b", "c"], "treatment_type": "x",
    ...                     "episodes": [30, 25, 5], "sore_episodes": [30, 25, 5]})
    >>> share_funnel(plan, t, mix)[["unit", "episodes", "observed"]].values.tolist()  # b + c: 8
    [['a', 30, 'suppressed'], ['b', 'suppressed', 'suppressed'], ['c', 'suppressed', 'suppressed']]
    """
    sites = table.loc[table["unit_type"] == "site"].reset_index(drop=True)
    units = pd.Index(sorted(sites["unit"].astype("str").unique()))
    row_hidden = np.ones(len(sites), dtype=bool)
    baseline_rows = sites["measure"].astype("str").str.startswith("resolved_by_day_").to_numpy()
    for population, in_population in (("all", ~baseline_rows), ("sore", baseline_rows)):
        hidden_site = _hidden_sites(plan, mix, units, completeness_by_site, population)
        mapped = sites["unit"].astype("str").map(hidden_site).fillna(True)
        row_hidden[in_population] = mapped.to_numpy(dtype=bool)[in_population]
    episodes = sites["episodes"].to_numpy(dtype=float)
    observed = sites["observed"].to_numpy(dtype=float)
    obs_hidden = (
        row_hidden
        | is_small(observed, plan.min_cell)
        | is_small(episodes - observed, plan.min_cell)
    )
    if completeness_by_site is not None and len(completeness_by_site):
        lost = completeness_by_site.set_index(completeness_by_site["site"].astype("str"))
        lost_hidden = lost["lost_to_follow_up"].astype("str") == SUPPRESSED
        is_lost = (sites["measure"] == "lost_to_follow_up").to_numpy()
        hidden_lost = sites["unit"].astype("str").map(lost_hidden).fillna(True)
        obs_hidden |= is_lost & hidden_lost.to_numpy(dtype=bool)
    for rows in sites.groupby("measure", sort=False).indices.values():
        obs_hidden[rows] = complete(observed[rows], obs_hidden[rows], plan.min_cell)
    out = sites.astype({c: object for c in _NUMBERS})
    out.loc[obs_hidden, ["observed", "ratio", "outside"]] = SUPPRESSED
    out.loc[row_hidden, _NUMBERS] = SUPPRESSED
    return out
