"""Home-care checklist adherence, and whether following it goes with faster recovery.

Items: the seven ``care_*`` items other than cold and heat, plus the timing-aware
``cold_then_heat`` ("apply cold for swelling in the first 24–48 hours, then switch to heat if
stiffness persists"): on days 0–1 a day is adherent when cold was used and heat was not; from
day 2 it is scored only on days with soreness ≥ 3, adherent when heat was used; other days are
not scored. Per item, ``days_answered`` counts scored days with an answer and ``days_adherent``
those followed.

An episode's score is the mean of its item proportions; groups: high (≥ 0.8), partial
(0.5–0.8), low (< 0.5). Comparisons of recovery between groups are **associations, not
effects**: patients who follow the checklist may differ in other ways.

Examples
--------
>>> import recovery_toolkit as rt
>>> from recovery_toolkit.analysis.episodes import episode_table
>>> episodes = episode_table(rt.load_logs(rt.sample_path()).logs)
>>> adherence_table(episodes)["item"].nunique()
8
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from .. import vocab
from ..errors import RecoveryToolkitWarning
from ..schemas import EpisodeTable
from .care_days import ADHERENCE_ITEMS, cold_then_heat
from .comparison import LogRankResult, logrank
from .intervals import wilson_interval
from .masked import yes_no_codes
from .partials import add_counts
from .resolution import kaplan_meier, km_curve, sore_episodes, survival_at
from .settings import Settings, resolve

__all__ = [
    "CAUTION",
    "adherence_table",
    "adherence_scores",
    "resolution_by_adherence",
    "item_resolution",
    "adherence_group_shares",
    "episode_checklist",
    "item_episodes",
]

CAUTION = (
    "Association, not effect: patients who follow the home-care checklist may differ from "
    "those who do not in ways the data do not show (severity, age, work, motivation)."
)


def adherence_counts(
    episodes: pd.DataFrame,
    settings: Settings | None = None,
    *,
    by: str = "treatment_type",
    items: tuple[str, ...] = ADHERENCE_ITEMS,
) -> pd.DataFrame:
    """The mergeable part of :func:`adherence_table`: days answered and adherent per group and
    item, whole numbers that add up over any split of the episodes (a registry's parts).

    Examples
    --------
    >>> eps = pd.DataFrame({"treatment_type": ["pt", "pt"],
    ...                     "answered_cold_then_heat": [2, 3], "adherent_cold_then_heat": [1, 3]})
    >>> counts = adherence_counts(eps, items=("cold_then_heat",))
    >>> int(counts["days_answered"].sum()), int(counts["days_adherent"].sum())
    (5, 4)
    """
    del settings  # nothing here depends on it
    columns = [c for i in items for c in (EpisodeTable.answered(i), EpisodeTable.adherent(i))]
    sums = episodes.groupby(by, observed=True, sort=True)[columns].sum()
    groups = sums.index.repeat(len(items))
    answered = sums[[EpisodeTable.answered(i) for i in items]].to_numpy(dtype=np.int64)
    adherent = sums[[EpisodeTable.adherent(i) for i in items]].to_numpy(dtype=np.int64)
    return pd.DataFrame(
        {
            by: groups,
            "item": pd.Series(np.tile(np.array(items, dtype=object), len(sums)), dtype="str"),
            "days_answered": answered.ravel(),
            "days_adherent": adherent.ravel(),
        }
    )


def adherence_from_counts(
    counts: list[pd.DataFrame], *, by: str = "treatment_type"
) -> pd.DataFrame:
    """:func:`adherence_table` from the :func:`adherence_counts` of any split of the episodes.

    Examples
    --------
    >>> part = pd.DataFrame({"treatment_type": ["pt"], "item": ["ice"],
    ...                      "days_answered": [4], "days_adherent": [3]})
    >>> adherence_from_counts([part, part])["proportion"].tolist()
    [0.75]
    """
    table = add_counts(counts, [by, "item"])
    rank = table["item"].map({item: i for i, item in enumerate(ADHERENCE_ITEMS)})
    table = (  # items in the checklist's order within each group
        table.assign(_rank=rank.fillna(len(ADHERENCE_ITEMS)))
        .sort_values([by, "_rank", "item"], kind="stable", ignore_index=True)
        .drop(columns="_rank")
    )
    answered = table["days_answered"].to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        table["proportion"] = np.where(answered > 0, table["days_adherent"] / answered, np.nan)
    silent = sorted(table.loc[table["days_answered"] == 0, "item"].unique())
    if silent:
        warnings.warn(
            f"no answers for {', '.join(silent)} in some groups: their adherence is empty",
            RecoveryToolkitWarning,
            stacklevel=3,
        )
    return table


def adherence_table(
    episodes: pd.DataFrame,
    settings: Settings | None = None,
    *,
    by: str = "treatment_type",
    items: tuple[str, ...] = ADHERENCE_ITEMS,
) -> pd.DataFrame:
    """Per group and item: days answered, days adherent and the proportion adherent
    (:func:`adherence_from_counts` of :func:`adherence_counts`: the same in every engine).

    ``settings`` is accepted like every analysis function's; nothing here depends on it.

    Items with no answered day get an empty proportion and a warning.

    Examples
    --------
    >>> eps = pd.DataFrame({"treatment_type": ["pt", "pt"],
    ...                     "answered_cold_then_heat": [2, 3], "adherent_cold_then_heat": [1, 3]})
    >>> adherence_table(eps, items=("cold_then_heat",))["proportion"].tolist()
    [0.8]
    """
    return adherence_from_counts([adherence_counts(episodes, settings, by=by, items=items)], by=by)


def adherence_scores(
    episodes: pd.DataFrame,
    settings: Settings | None = None,
) -> pd.DataFrame:
    """Per episode: the item proportions, the adherence score and its group.

    ``settings`` is accepted like every analysis function's; nothing here depends on it.

    Examples
    --------
    >>> import recovery_toolkit as rt
    >>> from recovery_toolkit.analysis.episodes import episode_table
    >>> scores = adherence_scores(episode_table(rt.load_logs(rt.sample_path()).logs))
    >>> scores.columns[-2:].tolist()
    ['adherence_score', 'adherence_group']
    """
    del settings  # nothing here depends on it
    out = episodes[["episode_id", "patient_id", "treatment_type"]].copy()
    for item in ADHERENCE_ITEMS:
        answered = episodes[EpisodeTable.answered(item)].to_numpy(dtype=float)
        with np.errstate(invalid="ignore", divide="ignore"):
            out[item] = np.where(
                answered > 0,
                episodes[EpisodeTable.adherent(item)].to_numpy(dtype=float) / answered,
                np.nan,
            )
    out["adherence_score"] = episodes["adherence_score"].to_numpy()
    out["adherence_group"] = episodes["adherence_group"].to_numpy()
    return out


def resolution_by_adherence(
    episodes: pd.DataFrame, settings: Settings | None = None, *, window_days: int | None = None
) -> tuple[pd.DataFrame, LogRankResult]:
    """Kaplan–Meier curves of time to resolution per adherence group, and the log-rank test.

    Episodes with no answered item (group ``not_reported``) are left out. The test result
    carries :data:`CAUTION`.

    Examples
    --------
    >>> import recovery_toolkit as rt
    >>> from recovery_toolkit.analysis.episodes import episode_table
    >>> curves, test = resolution_by_adherence(episode_table(rt.load_logs(rt.sample_path()).logs))
    >>> sorted(curves["adherence_group"].unique())
    ['high', 'low', 'partial']
    """
    sore = sore_episodes(episodes)
    scored = sore.loc[sore["adherence_group"] != "not_reported"]
    scored = scored.assign(adherence_group=scored["adherence_group"].cat.remove_unused_categories())
    s = resolve(settings, window_days=window_days)
    curves = km_curve(scored, s, by="adherence_group")
    return curves, logrank(scored, by="adherence_group", caution=CAUTION)


def item_resolution(
    episodes: pd.DataFrame,
    settings: Settings | None = None,
    *,
    item_resolution_day: int | None = None,
    high_adherence: float | None = None,
) -> pd.DataFrame:
    """Per item: resolved by ``item_resolution_day`` (Kaplan–Meier) among adherent vs other
    episodes.

    An episode is adherent to an item when it followed it on at least ``high_adherence`` of
    its answered days; episodes that never answered the item are left out. Both default to
    the fields of ``settings`` of the same names.

    Returns ``item, adherent_episodes, other_episodes, resolved_by_day_<d>_adherent,
    resolved_by_day_<d>_other, difference``; the caution (association, not effect; the
    whole window mixes in days after resolution) is the table's ``attrs["caution"]``, not a
    column repeated on every row.

    Examples
    --------
    >>> import recovery_toolkit as rt
    >>> from recovery_toolkit.analysis.episodes import episode_table
    >>> table = item_resolution(episode_table(rt.load_logs(rt.sample_path()).logs))
    >>> len(table)
    8
    """
    s = resolve(settings, item_resolution_day=item_resolution_day, high_adherence=high_adherence)
    day, threshold = s.item_resolution_day, s.high_adherence
    rows = []
    episodes = sore_episodes(episodes)  # time to resolution: sore episodes only
    time = episodes["time"].to_numpy(dtype=float)
    resolved = episodes["resolved"].to_numpy(dtype=bool)
    for item in ADHERENCE_ITEMS:
        answered = episodes[EpisodeTable.answered(item)].to_numpy(dtype=float)
        adherent = episodes[EpisodeTable.adherent(item)].to_numpy(dtype=float)
        known = answered > 0
        follows = known & (adherent >= threshold * answered)
        shares = []
        for mask in (follows, known & ~follows):
            if not mask.any():
                shares.append(np.nan)
                continue
            fit = kaplan_meier(time[mask], resolved[mask])
            shares.append(float(1 - survival_at(fit, np.array([day]))[0]))
        rows.append(
            {
                "item": item,
                "adherent_episodes": int(follows.sum()),
                "other_episodes": int((known & ~follows).sum()),
                f"resolved_by_day_{day}_adherent": shares[0],
                f"resolved_by_day_{day}_other": shares[1],
                "difference": shares[0] - shares[1],
            }
        )
    table = pd.DataFrame(rows)
    table.attrs["caution"] = CAUTION
    return table


def item_episodes(
    episodes: pd.DataFrame, item: str, *, treatment_type: str | None = None
) -> pd.DataFrame:
    """One checklist item, episode by episode: days answered and adherent, the adherent share
    and the episode's resolution (least adherent first; never answered last).

    Examples
    --------
    >>> import recovery_toolkit as rt
    >>> from recovery_toolkit.analysis.episodes import episode_table
    >>> eps = episode_table(rt.load_logs(rt.sample_path()).logs)
    >>> table = item_episodes(eps, "care_sleep", treatment_type="injection")
    >>> table.columns.tolist()[-3:], set(table["treatment_type"].astype(str))
    (['proportion', 'resolved', 'days_to_resolution'], {'injection'})
    """
    if treatment_type is not None:
        episodes = episodes.loc[episodes["treatment_type"] == treatment_type]
    answered = episodes[EpisodeTable.answered(item)]
    adherent = episodes[EpisodeTable.adherent(item)]
    table = pd.DataFrame(
        {
            "episode_id": episodes["episode_id"],
            "patient_id": episodes["patient_id"],
            "treatment_type": episodes["treatment_type"],
            "days_answered": answered,
            "days_adherent": adherent,
            "proportion": adherent / answered.where(answered > 0),
            "resolved": episodes["resolved"],
            "days_to_resolution": episodes["time"].where(episodes["resolved"]),
        }
    )
    return table.sort_values("proportion", na_position="last").reset_index(drop=True)


def adherence_group_shares(
    episodes: pd.DataFrame, settings: Settings | None = None, *, by: str = "treatment_type"
) -> pd.DataFrame:
    """Episodes per adherence group within each treatment type, with Wilson intervals.

    ``settings`` is accepted like every analysis function's; nothing here depends on it.

    Examples
    --------
    >>> import recovery_toolkit as rt
    >>> from recovery_toolkit.analysis.episodes import episode_table
    >>> shares = adherence_group_shares(episode_table(rt.load_logs(rt.sample_path()).logs))
    >>> shares.columns.tolist()
    ['treatment_type', 'adherence_group', 'episodes', 'share', 'ci_low', 'ci_high']
    """
    del settings  # nothing here depends on it
    counts = (
        episodes.groupby([by, "adherence_group"], observed=False)
        .size()
        .rename("episodes")
        .reset_index()
    )
    totals = counts.groupby(by, observed=True)["episodes"].transform("sum")
    counts["share"] = counts["episodes"] / totals.where(totals > 0)
    counts["ci_low"], counts["ci_high"] = wilson_interval(counts["episodes"], totals)
    return counts


def episode_checklist(
    logs: pd.DataFrame,
    episode_id: str,
    settings: Settings | None = None,
    *,
    window_days: int | None = None,
) -> pd.DataFrame:
    """One episode's checklist as a long table: day, item, status.

    Status is ``followed``, ``not followed``, ``not answered`` or, for ``cold_then_heat`` on
    days the timing rule does not score, ``not scored``. Days without a log are left out.

    Examples
    --------
    >>> import recovery_toolkit as rt
    >>> grid = episode_checklist(rt.load_logs(rt.sample_path()).logs, "E0000001")
    >>> sorted(grid["status"].unique())[:2]
    ['followed', 'not answered']
    """
    window = resolve(settings, window_days=window_days).window_days
    rows = logs.loc[logs["episode_id"] == episode_id].sort_values("day")
    rows = rows.loc[(rows["day"] >= 0) & (rows["day"] <= window)]
    days = rows["day"].to_numpy()
    parts = []
    for item in ADHERENCE_ITEMS:
        if item == vocab.COLD_THEN_HEAT.code:
            applies, answered, done = cold_then_heat(
                days,
                rows["soreness"].to_numpy(),
                yes_no_codes(rows["care_cold"]),
                yes_no_codes(rows["care_heat"]),
            )
        else:
            coded = yes_no_codes(rows[item])
            applies, answered, done = np.ones(len(rows), bool), coded >= 0, coded == 1
        status = np.where(
            ~applies,
            "not scored",
            np.where(~answered, "not answered", np.where(done, "followed", "not followed")),
        )
        parts.append(pd.DataFrame({"day": days, "item": item, "status": status}))
    return pd.concat(parts, ignore_index=True)
