"""Shared outputs (docs/privacy.md): one plan decides which counts hide, in every table and chart.

A shared report or summary shows the same count in several places (episodes with a red flag
are in Table 1, in the incidence table and behind the control chart's centre line). Suppressing
each table on its own would leave a count hidden in one place and shown, or derivable, in
another. :class:`SharePlan` therefore decides once, per treatment type, from the summary tables,
and every shared table and chart asks it:

* a count from 1 to ``min_cell - 1`` is hidden, and so is every count that would let a reader
  work one out; all read ``suppressed`` (one label, so that a hidden cell's label does not
  bound its value);
* a part of a whole (resolved of episodes, flagged of episodes, logged of episodes) hides when
  it, the rest of the whole, or the whole is hidden;
* across treatment types (whose total is shown elsewhere), across the months of a control-chart
  series, and within a month (whose ``all`` row is the sum), never exactly one count hides;
* Kaplan–Meier curves are drawn in merged steps of at least ``min_cell`` resolutions, with
  0 or at least ``min_cell`` censored between steps and left at risk after each, in whole
  percent; the "resolved by day 3/7/14" shares are shown only where they equal a drawn step;
* means and percentiles are suppressed with their ``n`` (a mean of whole scores reveals its
  denominator) and wherever fewer than ``min_cell`` episodes or logs are behind them.

Examples
--------
>>> import recovery_toolkit as rt
>>> from recovery_toolkit.analysis import compute
>>> tables = compute(rt.load_logs(rt.sample_path())).tables
>>> plan = SharePlan.from_tables(tables)
>>> shown = plan.time_to_resolution(tables["time_to_resolution"], tables["km"])
>>> shown[["sore_episodes", "censored"]].values.tolist()[:2]
[[130, 'suppressed'], [115, 'suppressed']]
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from .cells import (
    MIN_CELL,
    POPULATION_COLUMNS,
    SUPPRESSED,
    complete,
    hide,
    is_small,
    partition_hidden,
)
from .km import coarsen_km, milestones_shown

__all__ = ["SharePlan"]

_TYPE = "treatment_type"


@dataclass(frozen=True)
class SharePlan:
    """Which counts a shared output hides, decided once from the internal summary tables.

    Build it with :meth:`from_tables`; every method returns a table ready to share (text
    labels) from the internal one.

    Examples
    --------
    >>> import recovery_toolkit as rt
    >>> from recovery_toolkit.analysis import compute
    >>> plan = SharePlan.from_tables(compute(rt.load_logs(rt.sample_path())).tables)
    >>> plan.episodes_hidden.any()
    np.False_
    """

    episodes: pd.Series
    episodes_hidden: pd.Series
    any_flag: pd.Series
    any_flag_hidden: pd.Series
    min_cell: int = MIN_CELL
    #: Sore episodes per type (the time-to-resolution population), and which of the three
    #: populations (columns ``sore_episodes``, ``no_reaction``, ``baseline_missing``; they add
    #: up to episodes) hide, per type.
    sore: pd.Series | None = None
    populations_hidden: pd.DataFrame | None = None
    #: Where resolved (and censored, its complement in sore episodes) hide.
    resolved_hidden: pd.Series | None = None

    @classmethod
    def from_tables(cls, tables: dict[str, pd.DataFrame], *, min_cell: int = MIN_CELL) -> SharePlan:
        """Decide from ``time_to_resolution`` (episodes) and ``red_flag_incidence`` (any flag).

        Examples
        --------
        >>> import recovery_toolkit as rt
        >>> from recovery_toolkit.analysis import compute
        >>> t = compute(rt.load_logs(rt.sample_path())).tables
        >>> int(SharePlan.from_tables(t).any_flag["minor_procedure"])
        9
        """
        episodes = tables["time_to_resolution"].set_index(_TYPE)["episodes"].astype(int)
        ep_hidden = pd.Series(
            complete(episodes.to_numpy(), is_small(episodes, min_cell), min_cell),
            index=episodes.index,
        )
        flags = tables["red_flag_incidence"]
        any_flag = flags.loc[flags["flag"] == "any"].set_index(_TYPE)["episodes_with_flag"]
        any_flag = any_flag.reindex(episodes.index).fillna(0).astype(int)
        plan = cls(episodes, ep_hidden, any_flag, ep_hidden, min_cell)
        plan = replace(plan, any_flag_hidden=plan.part(any_flag))
        ttr = tables["time_to_resolution"].set_index(_TYPE).reindex(episodes.index)
        if "sore_episodes" not in ttr.columns:
            return plan
        cells = ttr[list(POPULATION_COLUMNS)].fillna(0).astype(int)
        hidden = partition_hidden(cells, ep_hidden, min_cell)
        sore = cells["sore_episodes"]
        resolved = plan.part(ttr["resolved"].fillna(0).astype(int), sore, hidden["sore_episodes"])
        return replace(plan, sore=sore, populations_hidden=hidden, resolved_hidden=resolved)

    def part(
        self,
        part: pd.Series,
        whole: pd.Series | None = None,
        whole_hidden: pd.Series | None = None,
    ) -> pd.Series:
        """Hidden mask of a per-type count that is part of a per-type whole (episodes by
        default): small, a small rest, a hidden whole, then never a lone hidden type.

        Examples
        --------
        >>> plan = SharePlan(pd.Series({"a": 40, "b": 30}), pd.Series({"a": False, "b": False}),
        ...                  pd.Series({"a": 0, "b": 0}), pd.Series({"a": False, "b": False}))
        >>> plan.part(pd.Series({"a": 35, "b": 12})).tolist()
        [True, True]
        """
        whole = self.episodes if whole is None else whole
        whole_hidden = self.episodes_hidden if whole_hidden is None else whole_hidden
        part = part.rename(index=str).reindex(whole.index).fillna(0)
        mask = (
            is_small(part, self.min_cell)
            | is_small(whole - part, self.min_cell)
            | whole_hidden.reindex(whole.index).to_numpy(dtype=bool)
        )
        return pd.Series(complete(part.to_numpy(), mask, self.min_cell), index=whole.index)

    def _few(self, types: pd.Series) -> np.ndarray:
        """Rows of types whose episodes are hidden: their statistics hide too, whether the
        count is small or hidden as a complement (a mean's decimals bound its denominator, and
        which statistics hide would tell the two apart)."""
        return self.by_type(self.episodes_hidden, types)

    def by_type(self, mask: pd.Series, types: pd.Series) -> np.ndarray:
        """``mask`` (per type) at each row; a type the plan does not know is hidden."""
        return types.astype("str").map(mask).fillna(True).to_numpy(dtype=bool)

    # --- the summary tables -------------------------------------------------------------

    def counts_by_day(
        self, table: pd.DataFrame, *, count: str, derived: tuple[str, ...] = ()
    ) -> pd.DataFrame:
        """Per type and day, ``count`` episodes of the type's episodes (the recovery curve's
        ``n``, the logging chart's ``logged``); statistics of fewer than ``min_cell`` hide.

        Examples
        --------
        >>> plan = SharePlan(pd.Series({"a": 40}), pd.Series({"a": False}),
        ...                  pd.Series({"a": 0}), pd.Series({"a": False}))
        >>> t = pd.DataFrame({"treatment_type": ["a"] * 3, "day": [0, 1, 2], "n": [38, 20, 5],
        ...                   "mean": [6.0, 4.0, 2.0]})
        >>> plan.counts_by_day(t, count="n")["mean"].tolist()
        ['suppressed', 4.0, 'suppressed']
        """
        types = table[_TYPE].astype("str")
        whole = types.map(self.episodes).to_numpy(dtype=float)
        values = table[count].to_numpy(dtype=float)
        mask = (
            is_small(values, self.min_cell)
            | is_small(whole - values, self.min_cell)
            | self.by_type(self.episodes_hidden, types)
        )
        for rows in table.groupby(_TYPE, observed=True, sort=False).indices.values():
            mask[rows] = complete(values[rows], mask[rows], self.min_cell)  # days: a type's logs
        out = hide(table, count, mask, derived)
        if "episodes" in table.columns:
            out = self._episodes_column(out)
        statistics = [c for c in table.columns if c not in (_TYPE, "day", count, *derived)]
        statistics = [c for c in statistics if pd.api.types.is_float_dtype(table[c])]
        out = out.astype({c: object for c in statistics})
        out.loc[mask, statistics] = SUPPRESSED  # a mean of whole scores reveals its n
        return out

    def hidden_population(self, column: str = "sore_episodes") -> pd.Series:
        """Per type: is this population's count hidden? With its episodes, always.

        Examples
        --------
        >>> plan = SharePlan(pd.Series({"a": 40}), pd.Series({"a": False}),
        ...                  pd.Series({"a": 0}), pd.Series({"a": False}))
        >>> plan.hidden_population().tolist()
        [False]
        """
        if self.populations_hidden is None:
            return self.episodes_hidden
        hidden = self.populations_hidden[column] | self.episodes_hidden
        if column == "no_reaction":  # its share of those with a baseline shows it otherwise
            hidden = hidden | self.populations_hidden["baseline_missing"]
        return hidden

    def time_to_resolution(self, table: pd.DataFrame, km: pd.DataFrame) -> pd.DataFrame:
        """The populations as parts of episodes (hidden together), resolved and censored as
        parts of sore episodes; medians of fewer than ``min_cell`` hide; a "resolved by day"
        share shows only where it equals a drawn step.

        Examples
        --------
        >>> import recovery_toolkit as rt
        >>> t = rt.compute(rt.load_logs(rt.sample_path())).tables
        >>> shown = SharePlan.from_tables(t).time_to_resolution(t["time_to_resolution"], t["km"])
        >>> shown.loc[1, ["sore_episodes", "censored", "median_days"]].tolist()
        [115, 'suppressed', 2.0]
        """
        indexed = table.set_index(_TYPE)
        out = self._episodes_column(table)
        types = table[_TYPE]
        for column in POPULATION_COLUMNS:
            if column in out.columns:
                mask = self.by_type(self.hidden_population(column), types)
                derived = ("no_reaction_share",) if column == "no_reaction" else ()
                out = hide(out, column, mask, derived)
        sore = self.by_type(self.hidden_population(), types)
        resolved = self.resolved_hidden
        if resolved is None:
            resolved = self.part(indexed["resolved"])
        for column in ("resolved", "censored"):
            out = hide(out, column, self.by_type(resolved, types) | sore)
        few = self._few(types) | sore
        medians = ["median_days", "median_ci_low", "median_ci_high"]
        out = out.astype({c: object for c in medians})
        out.loc[few, medians] = SUPPRESSED
        prefix = "resolved_by_day_"
        days = tuple(int(c.removeprefix(prefix)) for c in table.columns if c.startswith(prefix))
        shown = milestones_shown(km, coarsen_km(km, min_cell=self.min_cell), days)
        for day in days:
            column = f"resolved_by_day_{day}"
            ok = shown.loc[shown["day"] == day].set_index(_TYPE)["shown"]
            mask = ~table[_TYPE].astype("str").map(ok).fillna(False).to_numpy(dtype=bool)
            out = out.astype({column: object})
            out[column] = table[column].round(2).astype(object)  # whole percent, as drawn
            out.loc[mask | few, column] = SUPPRESSED
        return out

    def _episodes_column(self, table: pd.DataFrame) -> pd.DataFrame:
        return hide(table, "episodes", self._few(table[_TYPE]))

    def red_flag_incidence(self, table: pd.DataFrame) -> pd.DataFrame:
        """Each flag's episodes as a part of episodes, types completed per flag; the ``any``
        row hides exactly as :attr:`any_flag_hidden` (also behind the control chart).

        Examples
        --------
        >>> import recovery_toolkit as rt
        >>> from recovery_toolkit.analysis import compute
        >>> t = compute(rt.load_logs(rt.sample_path())).tables
        >>> shown = SharePlan.from_tables(t).red_flag_incidence(t["red_flag_incidence"])
        >>> shown.loc[shown["flag"] == "any", "episodes_with_flag"].tolist()
        ['suppressed', 20, 16, 'suppressed']
        """
        derived = tuple(
            c for c in table.columns if c.startswith(("proportion", "ci_", "rate", "cumulative"))
        )
        mask = np.zeros(len(table), dtype=bool)
        for flag, rows in table.groupby("flag", sort=False):
            counts = rows.set_index(_TYPE)["episodes_with_flag"].rename(index=str)
            hidden = self.part(counts)
            if flag != "any":  # a flag is also a part of "any": any - flag must not be small
                counts = counts.reindex(hidden.index).fillna(0)
                hidden |= is_small(self.any_flag.reindex(hidden.index) - counts, self.min_cell)
                hidden = pd.Series(
                    complete(counts.to_numpy(), hidden.to_numpy(), self.min_cell),
                    index=hidden.index,
                )
            mask[table.index.get_indexer(rows.index)] = hidden.reindex(
                rows[_TYPE].astype("str")
            ).to_numpy()
        out = hide(self._episodes_column(table), "episodes_with_flag", mask, derived)
        if "cumulative_incidence" in out.columns:
            # a Kaplan-Meier value (and Greenwood's interval) bounds the episodes that stopped
            # logging: shown, in whole percent, only where it says no more than the proportion
            same = table["cumulative_incidence"].round(2) == table["proportion"].round(2)
            shown = ~mask & same.to_numpy(dtype=bool)
            out.loc[~shown, "cumulative_incidence"] = SUPPRESSED
            values = table.loc[shown, "cumulative_incidence"].round(2).astype(object)
            out.loc[shown, "cumulative_incidence"] = values
            out.loc[:, ["cumulative_ci_low", "cumulative_ci_high"]] = SUPPRESSED
        return out

    def adherence(self, table: pd.DataFrame) -> pd.DataFrame:
        """Adherent days as a part of answered days, per type and checklist item.

        Examples
        --------
        >>> plan = SharePlan(pd.Series({"a": 40}), pd.Series({"a": False}),
        ...                  pd.Series({"a": 0}), pd.Series({"a": False}))
        >>> t = pd.DataFrame({"treatment_type": ["a"], "item": ["ice"], "days_answered": [50],
        ...                   "days_adherent": [45], "proportion": [0.9]})
        >>> plan.adherence(t).iloc[0].tolist()
        ['a', 'ice', 50, 'suppressed', 'suppressed']
        """
        answered = table["days_answered"].to_numpy(dtype=float)
        adherent = table["days_adherent"].to_numpy(dtype=float)
        # a hidden type's answered days hide too: days / (window + 1) bounds its episodes
        small_whole = is_small(answered, self.min_cell) | self._few(table[_TYPE])
        mask = is_small(adherent, self.min_cell) | is_small(answered - adherent, self.min_cell)
        out = hide(table, "days_answered", small_whole)
        return hide(out, "days_adherent", mask | small_whole, ("proportion",))

    def completeness(self, table: pd.DataFrame, *, by: str = _TYPE) -> pd.DataFrame:
        """Lost to follow-up as a part of episodes; ``by="site"`` for the table by site
        (episodes and lost completed across sites, whose totals are shown elsewhere).

        Examples
        --------
        >>> plan = SharePlan(pd.Series({"a": 40}), pd.Series({"a": False}),
        ...                  pd.Series({"a": 0}), pd.Series({"a": False}))
        >>> t = pd.DataFrame({"site": ["x", "y"], "episodes": [30, 25], "mean_completeness":
        ...                   [0.9, 0.8], "lost_to_follow_up": [3, 0], "lost_share": [0.1, 0]})
        >>> plan.completeness(t, by="site")["lost_to_follow_up"].tolist()
        ['suppressed', 'suppressed']
        """
        episodes = table["episodes"].to_numpy(dtype=float)
        lost = table["lost_to_follow_up"].to_numpy(dtype=float)
        if by == _TYPE:
            indexed = table.set_index(_TYPE)
            mask = self.by_type(self.part(indexed["lost_to_follow_up"]), table[_TYPE])
            out = self._episodes_column(table)
            few = self._few(table[_TYPE])
        else:
            few = complete(episodes, is_small(episodes, self.min_cell), self.min_cell)
            mask = few | is_small(lost, self.min_cell) | is_small(episodes - lost, self.min_cell)
            mask = complete(lost, mask, self.min_cell)
            out = hide(table, "episodes", few)
        out = hide(out, "lost_to_follow_up", mask, ("lost_share",))
        out = out.astype({"mean_completeness": object})
        out.loc[few, "mean_completeness"] = SUPPRESSED  # its decimals bound the episodes
        return out

    def escalation(self, table: pd.DataFrame) -> pd.DataFrame:
        """Flagged episodes (of the five reported flags) as a part of episodes with any flag;
        escalated as a part of flagged.

        Examples
        --------
        >>> plan = SharePlan(pd.Series({"a": 90}), pd.Series({"a": False}),
        ...                  pd.Series({"a": 40}), pd.Series({"a": False}))
        >>> t = pd.DataFrame({"treatment_type": ["a"], "episodes_with_flag": [38],
        ...                   "escalated": [30], "share": [0.79], "ci_low": [0.6],
        ...                   "ci_high": [0.9]})
        >>> plan.escalation(t).iloc[0].tolist()[1:]
        ['suppressed', 'suppressed', 'suppressed', 'suppressed', 'suppressed']
        """
        types = table[_TYPE].astype("str")
        flagged_counts = pd.Series(table["episodes_with_flag"].to_numpy(), index=types)
        flagged = self.part(flagged_counts, self.any_flag, self.any_flag_hidden)
        flagged_whole = flagged_counts.reindex(self.any_flag.index).fillna(0)
        escalated = self.part(
            pd.Series(table["escalated"].to_numpy(), index=types), flagged_whole, flagged
        )
        out = hide(table, "episodes_with_flag", self.by_type(flagged, types))
        derived = ("share", "ci_low", "ci_high")
        return hide(out, "escalated", self.by_type(escalated, types), derived)
