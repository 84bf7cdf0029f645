"""Funnel plots (Spiegelhalter 2005): each site and each clinician against all units together.

For a unit type (``site``, ``clinician``) and a measure, the population is the episodes with a
known unit:

* ``any_flag`` — episodes with any red flag (reported or derived), of all episodes;
* ``lost_to_follow_up`` — episodes lost to follow-up (last log before ``lost_before_day`` and
  not resolved), of all episodes;
* ``resolved_by_day_<d>`` (``d = Settings.funnel_resolved_day``, 7) — episodes resolved on or
  before day d, of the sore episodes (baseline above ``resolved_at``; docs/methods.md). This
  is the crude share (an episode censored before day d counts as not resolved).

Indirect standardisation on treatment type: the reference rate of type t is rₜ = (events of type
t) / (episodes of type t) over all units of the unit type; a unit's expected count is
E = Σ over its episodes of r of their type, its observed count O, its ratio O/E. Over the units
of a unit type, ΣO = ΣE.

Limits: under the null hypothesis O ~ Poisson(E). For a two-sided level 1 − α (95 % and
99.8 %) the limits on the ratio scale are ``poisson.ppf(α/2, E) / E`` and
``poisson.ppf(1 − α/2, E) / E`` — the plain Poisson quantiles (the smallest k with
P(O ≤ k) ≥ q), without Spiegelhalter's interpolation between integers. A unit is outside when
its ratio is below the lower or above the upper limit, so each tail's false-alarm probability
is at most α/2 (the quantiles are conservative for a discrete count). ``outside`` reads
``99.8`` when outside the 99.8 % limits, ``95`` when outside the 95 % limits only, or is
empty. A unit with E = 0 (no episodes in the population, or only types without events) has no
ratio and no limits, and a warning says so.

Reference: Spiegelhalter DJ. Funnel plots for comparing institutional performance. Statistics
in Medicine 2005; 24: 1185-1202.

Examples
--------
>>> eps = pd.DataFrame({"site": ["a", "a", "b", "b"], "treatment_type": ["x", "y", "x", "x"],
...                     "first_any_flag": [1.0, np.nan, np.nan, np.nan],
...                     "lost_to_follow_up": [True, False, False, False], "resolved": [True] * 4,
...                     "time": [3] * 4, "first_day": [0] * 4})
>>> t = funnel_table(eps)
>>> t.loc[t["measure"] == "any_flag", ["unit", "observed", "expected"]].values.tolist()
[['a', 1, 0.3333333333333333], ['b', 0, 0.6666666666666666]]
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy import stats

from .. import vocab
from ..errors import RecoveryToolkitWarning
from ..schemas import EpisodeTable, FunnelTable, empty_table
from .codes import sorted_codes
from .partials import add_counts
from .resolution import in_population
from .settings import Settings, resolve

__all__ = [
    "UNIT_TYPES",
    "funnel_counts",
    "funnel_from_counts",
    "funnel_limits",
    "funnel_measures",
    "funnel_table",
    "unit_mix",
    "unit_mix_from_counts",
]

#: The units a funnel plot compares, in the table's order.
UNIT_TYPES: tuple[str, ...] = ("site", "clinician")
_LEVELS = {"95": vocab.FUNNEL_LEVELS[0], "998": vocab.FUNNEL_LEVELS[1]}
_COLUMNS = list(FunnelTable.to_schema().columns)


def funnel_limits(expected: np.ndarray | pd.Series) -> pd.DataFrame:
    """Exact Poisson limits of the ratio O/E at each expected count E: ``low_95``,
    ``high_95``, ``low_998``, ``high_998`` (missing where E = 0).

    ``low = poisson.ppf(α/2, E) / E`` and ``high = poisson.ppf(1 - α/2, E) / E`` for
    α = 0.05 and 0.002 (vectorised; the plain quantiles, see the module docstring).

    Examples
    --------
    >>> funnel_limits(np.array([4.0, 0.0])).round(4).values.tolist()[0]
    [0.25, 2.0, 0.0, 2.75]
    """
    e = np.asarray(expected, dtype=float)
    defined = e > 0
    safe = np.where(defined, e, 1.0)
    out: dict[str, np.ndarray] = {}
    for name, level in _LEVELS.items():
        alpha = 1 - level
        low = stats.poisson.ppf(alpha / 2, safe) / safe
        high = stats.poisson.ppf(1 - alpha / 2, safe) / safe
        out[f"low_{name}"] = np.where(defined, low, np.nan)
        out[f"high_{name}"] = np.where(defined, high, np.nan)
    return pd.DataFrame(out)


def funnel_measures(episodes: pd.DataFrame, settings: Settings) -> dict[str, tuple[str, pd.Series]]:
    """Per measure: the population (``all`` or ``sore``) and the event of each episode."""
    day = settings.funnel_resolved_day
    resolved = episodes["resolved"].to_numpy(dtype=bool) & (episodes["time"].to_numpy() <= day)
    return {
        "any_flag": ("all", episodes[EpisodeTable.first("any_flag")].notna()),
        "lost_to_follow_up": ("all", episodes["lost_to_follow_up"].astype(bool)),
        f"resolved_by_day_{day}": ("sore", pd.Series(resolved, index=episodes.index)),
    }


def _sore(episodes: pd.DataFrame) -> pd.Series:
    """The time-to-resolution population: sore episodes (baseline above ``resolved_at``)."""
    if "population" not in episodes.columns:  # a hand-made table: those with a baseline
        return episodes["first_day"] <= vocab.BASELINE_LAST_DAY
    return in_population(episodes, "sore")


def funnel_counts(episodes: pd.DataFrame, settings: Settings | None = None) -> pd.DataFrame:
    """The mergeable part of :func:`funnel_table` and :func:`unit_mix`: per unit type, unit and
    treatment type, the episodes, the sore ones and each measure's events (whole numbers that
    add up over any split of the episodes).

    Examples
    --------
    >>> eps = pd.DataFrame({"site": ["a", "a"], "treatment_type": ["x", "x"],
    ...                     "first_any_flag": [1.0, np.nan], "lost_to_follow_up": [False] * 2,
    ...                     "resolved": [True, False], "time": [3, 9], "first_day": [0, 0]})
    >>> funnel_counts(eps).values.tolist()[0]
    ['site', 'a', 'x', 2, 2, 1, 0, 1]
    """
    s = resolve(settings)
    sore = _sore(episodes).to_numpy(dtype=bool)
    events = {
        measure: event.to_numpy(dtype=bool) & (sore if population == "sore" else True)
        for measure, (population, event) in funnel_measures(episodes, s).items()
    }
    return _unit_counts(episodes, {"sore_episodes": sore, **events})


def _unit_counts(episodes: pd.DataFrame, values: dict[str, np.ndarray]) -> pd.DataFrame:
    """Per unit type, unit and treatment type: episodes and the sum of each 0/1 ``values``
    array (one value per episode); episodes without a unit are left out."""
    keys = ["unit_type", "unit", "treatment_type"]
    columns = [*keys, "episodes", *values]
    parts = []
    for unit_type in UNIT_TYPES:
        if unit_type not in episodes.columns:
            continue
        known = episodes[unit_type].notna().to_numpy()
        unit, units = sorted_codes(episodes.loc[known, unit_type])
        kind, kinds = sorted_codes(episodes.loc[known, "treatment_type"])
        cell = unit * len(kinds) + kind  # one cell per unit and type, in sorted order
        size = len(units) * len(kinds)
        sums = {"episodes": np.bincount(cell, minlength=size)}
        for name, v in values.items():
            sums[name] = np.bincount(cell, weights=np.asarray(v)[known], minlength=size)
        seen = np.flatnonzero(sums["episodes"])
        counts = pd.DataFrame(
            {
                "unit": pd.Series(np.asarray(units)[seen // len(kinds)], dtype="str"),
                "treatment_type": pd.Series(np.asarray(kinds)[seen % len(kinds)], dtype="str"),
                **{name: total[seen].astype(np.int64) for name, total in sums.items()},
            }
        )
        parts.append(counts.assign(unit_type=unit_type))
    if not parts:
        empty = {c: pd.Series([], dtype="str") for c in keys}
        return pd.DataFrame(empty | {c: pd.Series([], dtype="int64") for c in columns[3:]})
    return pd.concat(parts, ignore_index=True)[columns].astype({c: "int64" for c in columns[3:]})


def funnel_from_counts(
    counts: list[pd.DataFrame],
    settings: Settings | None = None,
    *,
    resolved_day: int | None = None,
) -> pd.DataFrame:
    """:func:`funnel_table` from the :func:`funnel_counts` of any split of the episodes.

    Examples
    --------
    >>> part = pd.DataFrame({"unit_type": ["site"] * 2, "unit": ["a", "b"],
    ...                      "treatment_type": ["x", "x"], "episodes": [2, 2],
    ...                      "sore_episodes": [2, 2], "any_flag": [2, 0],
    ...                      "lost_to_follow_up": [0, 0], "resolved_by_day_7": [1, 1]})
    >>> t = funnel_from_counts([part, part])
    >>> t.loc[t["measure"] == "any_flag", ["unit", "observed", "expected"]].values.tolist()
    [['a', 4, 2.0], ['b', 0, 2.0]]
    """
    s = resolve(settings, funnel_resolved_day=resolved_day)
    keys = ["unit_type", "unit", "treatment_type"]
    table = add_counts(counts, keys) if counts else pd.DataFrame()
    measures = {
        "any_flag": "episodes",
        "lost_to_follow_up": "episodes",
        f"resolved_by_day_{s.funnel_resolved_day}": "sore_episodes",
    }
    parts = []
    for unit_type in UNIT_TYPES:
        of_type = table.loc[table["unit_type"] == unit_type] if len(table) else table
        if of_type.empty:
            continue
        units = np.asarray(sorted(of_type["unit"].unique()))
        unit = np.searchsorted(units, of_type["unit"].to_numpy())
        kind, _ = pd.factorize(of_type["treatment_type"], sort=True)
        for measure, population in measures.items():
            n = of_type[population].to_numpy(dtype=np.int64)
            event = of_type[measure].to_numpy(dtype=np.int64)
            # the reference rate of each type over every unit of the unit type
            rate = np.bincount(kind, weights=event) / np.maximum(np.bincount(kind, weights=n), 1)
            parts.append(
                pd.DataFrame(
                    {
                        "episodes": np.bincount(unit, weights=n, minlength=len(units)),
                        "observed": np.bincount(unit, weights=event, minlength=len(units)),
                        "expected": np.bincount(unit, weights=n * rate[kind], minlength=len(units)),
                        "unit": units,
                        "unit_type": unit_type,
                        "measure": measure,
                    }
                ).astype({"episodes": "int64", "observed": "int64"})
            )
    if not parts:
        return empty_table(FunnelTable)
    return _with_limits(pd.concat(parts, ignore_index=True))


def funnel_table(
    episodes: pd.DataFrame,
    settings: Settings | None = None,
    *,
    resolved_day: int | None = None,
) -> pd.DataFrame:
    """Observed, expected, ratio and exact Poisson limits per site and per clinician
    (:func:`funnel_from_counts` of :func:`funnel_counts`: the same in every engine).

    Parameters
    ----------
    episodes : DataFrame
        The episode table (``site``, ``clinician``, ``treatment_type``, ``first_any_flag``,
        ``lost_to_follow_up``, ``resolved``, ``time``, ``first_day``).
    settings : Settings, optional
        ``funnel_resolved_day`` (default 7).
    resolved_day : int, optional
        One-off override of ``settings.funnel_resolved_day``.

    Returns
    -------
    DataFrame
        ``unit_type, unit, measure, episodes, observed, expected, ratio, low_95, high_95,
        low_998, high_998, outside``; rows by unit type (site, clinician), measure, unit.
        Every unit of a unit type has a row for every measure (episodes = 0 where it has
        none in the measure's population). A unit type whose column is missing or empty is
        left out.

    Warns
    -----
    RecoveryToolkitWarning
        When a unit's expected count is 0 (its ratio and limits are left empty).
    """
    s = resolve(settings, funnel_resolved_day=resolved_day)
    return funnel_from_counts([funnel_counts(episodes, s)], s)


def _with_limits(table: pd.DataFrame) -> pd.DataFrame:
    """Ratio, exact Poisson limits and ``outside`` of the observed and expected counts."""
    table["unit"] = table["unit"].astype("str")
    table = pd.concat([table, funnel_limits(table["expected"])], axis=1)
    e = table["expected"].to_numpy()
    zero = e <= 0
    with np.errstate(divide="ignore", invalid="ignore"):
        table["ratio"] = np.where(zero, np.nan, table["observed"].to_numpy() / e)
    ratio = table["ratio"]
    out_998 = (ratio < table["low_998"]) | (ratio > table["high_998"])
    out_95 = (ratio < table["low_95"]) | (ratio > table["high_95"])
    table["outside"] = pd.Series(np.where(out_998, "99.8", np.where(out_95, "95", "")), dtype="str")
    if zero.any():
        where = table.loc[zero, ["unit_type", "measure"]].drop_duplicates()
        named = ", ".join(f"{u} / {m}" for u, m in where.itertuples(index=False))
        warnings.warn(
            f"{int(zero.sum())} funnel row(s) have an expected count of 0 ({named}): no ratio "
            "or limits for them",
            RecoveryToolkitWarning,
            stacklevel=3,
        )
    return table[_COLUMNS]


def unit_mix_from_counts(counts: list[pd.DataFrame]) -> pd.DataFrame:
    """:func:`unit_mix` from the :func:`funnel_counts` of any split of the episodes.

    Examples
    --------
    >>> part = pd.DataFrame({"unit_type": ["site"], "unit": ["a"], "treatment_type": ["x"],
    ...                      "episodes": [2], "sore_episodes": [1], "any_flag": [0],
    ...                      "lost_to_follow_up": [0], "resolved_by_day_7": [0]})
    >>> unit_mix_from_counts([part, part]).values.tolist()
    [['site', 'a', 'x', 4, 2]]
    """
    keys = ["unit_type", "unit", "treatment_type"]
    table = add_counts(counts, keys)
    order = {t: i for i, t in enumerate(UNIT_TYPES)}  # site first, as the funnel lists them
    table = table.sort_values("unit_type", key=lambda c: c.map(order), kind="stable")
    table = table[[*keys, "episodes", "sore_episodes"]].reset_index(drop=True)
    return table.astype({key: "str" for key in keys})


def unit_mix(episodes: pd.DataFrame) -> pd.DataFrame:
    """Episodes per unit and treatment type, all and sore: what the expected counts
    are made of (internal; the share step uses it to decide which units' expected counts
    would reveal a small count).

    Examples
    --------
    >>> eps = pd.DataFrame({"site": ["a", "a", None], "clinician": [None] * 3,
    ...                     "treatment_type": ["x", "y", "x"], "first_day": [0, 2, 0]})
    >>> unit_mix(eps).values.tolist()
    [['site', 'a', 'x', 1, 1], ['site', 'a', 'y', 1, 0]]
    """
    counts = _unit_counts(episodes, {"sore_episodes": _sore(episodes).to_numpy(dtype=bool)})
    return unit_mix_from_counts([counts])
