"""Table 1: episode characteristics by treatment type, formatted for a paper.

Examples
--------
>>> import recovery_toolkit as rt
>>> from recovery_toolkit.analysis.episodes import episode_table
>>> table = table_one(episode_table(rt.load_logs(rt.sample_path()).logs))
>>> table.columns.tolist()[-1], table.iloc[0]["characteristic"]
('overall', 'Episodes')
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..schemas import TREATMENT_DTYPE, EpisodeTable
from .episodes import groups
from .followup import window_slots
from .partials import add_counts
from .resolution import in_population
from .settings import Settings, resolve

_ANY = EpisodeTable.first("any_flag")

__all__ = [
    "SCORE_DECIMALS",
    "table_one",
    "table_one_counts",
    "table_one_from_tallies",
    "table_one_tallies",
    "weighted_quantile",
]

#: Decimals the adherence score is counted to for its median and quartiles (shown to 2).
SCORE_DECIMALS = 4

#: A column of patient codes, added to a narrow copy of the episode table.
_PATIENT = "__patient"
#: The episode-table columns Table 1 reads (besides the patients, coded once).
_READS = [
    "site",
    "baseline_soreness",
    "days_logged",
    "completeness",
    "adherence_score",
    "adherence_group",
    "population",
    "resolved",
    _ANY,
    "lost_to_follow_up",
]


def _rows(s: Settings) -> list[tuple[str, str, str]]:
    """(key, label, statistic) of every row; labels show the thresholds in use."""
    high, low = f"High adherence (≥ {s.high_adherence:g})", f"Low adherence (< {s.low_adherence:g})"
    return [
        ("episodes", "Episodes", "n"),
        ("patients", "Patients", "n"),
        ("sites", "Sites", "n"),
        ("baseline_mean", "Baseline soreness (0–10)", "mean (SD)"),
        ("baseline_median", "Baseline soreness (0–10)", "median [IQR]"),
        ("days_logged", "Days logged in the window", "median [IQR]"),
        ("completeness", "Completeness", "mean (SD)"),
        ("adherence_score", "Adherence score", "median [IQR]"),
        ("high_adherence", high, "n (%)"),
        ("low_adherence", low, "n (%)"),
        ("no_reaction", f"No reaction (baseline ≤ {s.resolved_at})", "n (%)"),
        ("baseline_missing", "No baseline (first log after day 1)", "n (%)"),
        ("resolved", "Resolved in the window (of sore episodes)", "n (%)"),
        ("any_flag", "Any red flag", "n (%)"),
        ("lost_to_follow_up", "Lost to follow-up", "n (%)"),
    ]


def table_one(
    episodes: pd.DataFrame, settings: Settings | None = None, *, by: str = "treatment_type"
) -> pd.DataFrame:
    """Characteristics of the episodes per group and overall, as formatted text cells
    (:func:`table_one_from_tallies` of :func:`table_one_tallies`: the same in every engine).

    Rows: episodes, patients, sites, baseline soreness (mean (SD) and median [IQR]), days
    logged, completeness, adherence score and groups, resolved in the window, any red flag,
    lost to follow-up.

    Examples
    --------
    >>> eps = pd.DataFrame({"treatment_type": ["pt", "pt"], "patient_id": ["a", "b"],
    ...     "site": ["s", "s"], "baseline_soreness": [4, 6], "days_logged": [15, 10],
    ...     "completeness": [1.0, 0.67], "adherence_score": [0.9, 0.4],
    ...     "adherence_group": ["high", "low"], "resolved": [True, False],
    ...     "first_any_flag": [np.nan, 3.0], "lost_to_follow_up": [False, False]})
    >>> table_one(eps).set_index("characteristic").loc["Any red flag", "pt"]
    '1 (50.0 %)'
    """
    return table_one_from_tallies([table_one_tallies(episodes, settings, by=by)], settings)[0]


def table_one_counts(
    episodes: pd.DataFrame, settings: Settings | None = None, *, by: str = "treatment_type"
) -> pd.DataFrame:
    """The counts of Table 1 as numbers (for suppression before sharing): one row per
    characteristic (indexed by its key, e.g. ``"any_flag"``), one column per group and
    ``overall``.

    Examples
    --------
    >>> import recovery_toolkit as rt
    >>> from recovery_toolkit.analysis.episodes import episode_table
    >>> counts = table_one_counts(episode_table(rt.load_logs(rt.sample_path()).logs))
    >>> int(counts.loc["episodes", "overall"])
    400
    """
    return table_one_from_tallies([table_one_tallies(episodes, settings, by=by)], settings)[1]


#: Table 1 rows that are counts (keys of :func:`table_one`), in the order of
#: :func:`table_one_counts`.
_COUNTS = (
    "episodes",
    "patients",
    "no_reaction",
    "baseline_missing",
    "resolved",
    "any_flag",
    "lost_to_follow_up",
    "high_adherence",
    "low_adherence",
)


def table_one_tallies(
    episodes: pd.DataFrame, settings: Settings | None = None, *, by: str = "treatment_type"
) -> pd.DataFrame:
    """The mergeable part of Table 1: per group (and ``overall``), measure and value, a count.

    Counts (``episodes``, ``patients``, ``sore``, ``resolved``, ...) have value 0; ``site``
    has one row per site (``key``); ``baseline_soreness`` and ``days_logged`` (whole numbers)
    have one row per distinct value, so their medians and quartiles are exact, and
    ``adherence_score`` one per value rounded to :data:`SCORE_DECIMALS` decimals (at most
    10,001 rows per group, whatever the registry's size; Table 1 shows it to 2). Whole numbers
    that add up over any split of the patients.

    Examples
    --------
    >>> eps = pd.DataFrame({"treatment_type": ["pt", "pt"], "patient_id": ["a", "a"],
    ...     "site": ["s", "s"], "baseline_soreness": [4, 6], "days_logged": [15, 10],
    ...     "adherence_score": [0.9, 0.4], "adherence_group": ["high", "low"],
    ...     "resolved": [True, False], "first_any_flag": [np.nan, 3.0],
    ...     "lost_to_follow_up": [False, False]})
    >>> t = table_one_tallies(eps)
    >>> t.loc[(t["group"] == "pt") & (t["measure"] == "patients"), "count"].tolist()
    [1]
    """
    slots = window_slots(episodes, settings)  # the thresholds enter when combined
    # patients coded once: a group's patients are its distinct codes
    coded = episodes.assign(**{_PATIENT: pd.factorize(episodes["patient_id"])[0]})
    reads = [*_READS, _PATIENT]
    rows = [_tallies(str(name), part, slots) for name, part in groups(coded, by, reads)]
    columns = ["group", "measure", "key", "value", "count"]
    if not rows or episodes[by].isna().any():  # overall holds episodes without a group too
        rows.append(_tallies("overall", coded, slots))
    else:  # overall: the groups' tallies added up, but a patient is one patient
        stacked = pd.concat(rows, ignore_index=True)
        total = stacked.groupby(["measure", "key", "value"], sort=False)["count"].sum()
        overall = total.reset_index().assign(group="overall")
        patients = _distinct(coded[_PATIENT])
        overall.loc[overall["measure"].eq("patients").to_numpy(), "count"] = patients
        rows.append(overall)
    table = pd.concat(rows, ignore_index=True)
    return table[columns].astype(
        {"group": "str", "measure": "str", "key": "str", "value": "float64", "count": "int64"}
    )


def _tallies(group: str, e: pd.DataFrame, slots: int) -> pd.DataFrame:
    """One group's tallies (``slots``: days an episode can log in the window)."""
    sore = in_population(e, "sore").to_numpy() if "population" in e else np.ones(len(e), bool)
    counts = {
        "episodes": len(e),
        "patients": _distinct(e[_PATIENT]),
        "no_reaction": int(in_population(e, "no_reaction").sum()),
        "baseline_missing": int(in_population(e, "baseline_missing").sum()),
        "sore": int(sore.sum()),
        "resolved": int(e["resolved"].to_numpy(dtype=bool)[sore].sum()),
        "any_flag": int(e[_ANY].notna().sum()),
        "lost_to_follow_up": int(e["lost_to_follow_up"].sum()),
        "high_adherence": int((e["adherence_group"] == "high").sum()),
        "low_adherence": int((e["adherence_group"] == "low").sum()),
        "site_column": int("site" in e),  # parts with a site column (else no site count)
        "window_days": len(e) * slots,  # days the episodes could log
    }
    frames = [
        pd.DataFrame(
            {"measure": list(counts), "key": "", "value": 0.0, "count": list(counts.values())}
        )
    ]
    if "site" in e:
        sites = e["site"].dropna().astype("str").value_counts()
        frames.append(
            pd.DataFrame({"measure": "site", "key": sites.index, "value": 0.0, "count": sites})
        )
    for measure in ("baseline_soreness", "days_logged", "adherence_score"):
        values = e[measure].dropna().astype(float)
        if measure == "adherence_score":  # continuous: counted on a grid, so the counts stay
            values = values.round(SCORE_DECIMALS)  # small however many episodes there are
        counted = values.value_counts()
        frames.append(
            pd.DataFrame(
                {"measure": measure, "key": "", "value": counted.index, "count": counted.values}
            )
        )
    return pd.concat(frames, ignore_index=True).assign(group=group)


def _distinct(codes: pd.Series) -> int:
    """The number of distinct codes, leaving out missing values (code −1)."""
    values = codes.to_numpy()
    return len(np.unique(values[values >= 0]))


def table_one_from_tallies(
    tallies: list[pd.DataFrame], settings: Settings | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Table 1 and its counts (:func:`table_one`, :func:`table_one_counts`) from the
    :func:`table_one_tallies` of any split of the patients.

    Examples
    --------
    >>> eps = pd.DataFrame({"treatment_type": ["pt"] * 3, "patient_id": ["a", "b", "c"],
    ...     "site": ["s"] * 3, "baseline_soreness": [4, 6, 5], "days_logged": [15, 10, 15],
    ...     "adherence_score": [0.9, 0.4, 0.5], "adherence_group": ["high", "low", "mid"],
    ...     "resolved": [True, False, True], "first_any_flag": [np.nan, 3.0, np.nan],
    ...     "lost_to_follow_up": [False] * 3})
    >>> one = table_one_tallies(eps.iloc[:1]), table_one_tallies(eps.iloc[1:])
    >>> table, counts = table_one_from_tallies(list(one))
    >>> table.loc["baseline_median", "pt"], int(counts.loc["patients", "overall"])
    ('5.0 [4.5, 5.5]', 3)
    """
    s = resolve(settings)
    whole = add_counts(tallies, ["group", "measure", "key", "value"])
    by_group = dict(list(whole.groupby("group", sort=False)))
    names = _group_order(np.asarray(list(by_group)))
    counted = {name: _group_counts(by_group[name]) for name in names}
    cells = {name: _group_cells(by_group[name], counted[name], s) for name in names}
    rows = _rows(s)
    labels = {key: (label, statistic) for key, label, statistic in rows}
    table = pd.DataFrame(
        [
            {"characteristic": label, "statistic": stat, **{n: cells[n][key] for n in names}}
            for key, (label, stat) in labels.items()
        ],
        index=pd.Index(list(labels), name="key"),
    )
    counts = pd.DataFrame(
        [
            {"characteristic": labels[key][0], **{n: counted[n][key] for n in names}}
            for key in _COUNTS
        ],
        index=pd.Index(list(_COUNTS), name="key"),
    )
    return table, counts


def _group_order(found: np.ndarray) -> list[str]:
    """Groups in vocabulary order when they are treatment types (else by name), ``overall``
    last."""
    rank = {t: i for i, t in enumerate(TREATMENT_DTYPE.categories)}
    named = sorted((str(g) for g in found if g != "overall"), key=lambda g: (rank.get(g, 99), g))
    return [*named, "overall"] if "overall" in set(found) else named


def _group_counts(g: pd.DataFrame) -> dict[str, int]:
    scalar = g.loc[g["key"].eq("") & g["value"].eq(0.0)]
    found = dict(zip(scalar["measure"], scalar["count"].astype(int), strict=False))
    keys = (*_COUNTS, "sore", "site_column", "window_days")
    return {key: int(found.get(key, 0)) for key in keys}


def _histogram(g: pd.DataFrame, measure: str) -> tuple[np.ndarray, np.ndarray]:
    h = g.loc[g["measure"] == measure]
    return h["value"].to_numpy(dtype=float), h["count"].to_numpy(dtype=np.int64)


def _group_cells(g: pd.DataFrame, n: dict[str, int], s: Settings) -> dict[str, str]:
    """Every formatted cell of one group."""
    slots = n["window_days"] // n["episodes"] if n["episodes"] else s.window_days + 1
    days = _histogram(g, "days_logged")
    sites = int((g["measure"] == "site").sum())
    return {
        "episodes": str(n["episodes"]),
        "patients": str(n["patients"]),
        "sites": str(sites) if n["site_column"] else "",
        "baseline_mean": _mean_sd(*_histogram(g, "baseline_soreness")),
        "baseline_median": _median_iqr(*_histogram(g, "baseline_soreness")),
        "days_logged": _median_iqr(*days, digits=0),
        "completeness": _mean_sd(days[0] / slots, days[1]),
        "adherence_score": _median_iqr(*_histogram(g, "adherence_score"), digits=2),
        "high_adherence": _count_share(n["high_adherence"], n["episodes"]),
        "low_adherence": _count_share(n["low_adherence"], n["episodes"]),
        "no_reaction": _count_share(n["no_reaction"], n["episodes"]),
        "baseline_missing": _count_share(n["baseline_missing"], n["episodes"]),
        "resolved": _count_share(n["resolved"], n["sore"]),
        "any_flag": _count_share(n["any_flag"], n["episodes"]),
        "lost_to_follow_up": _count_share(n["lost_to_follow_up"], n["episodes"]),
    }


def _mean_sd(values: np.ndarray, counts: np.ndarray) -> str:
    n = int(counts.sum())
    if n == 0:
        return ""
    mean = float(values @ counts) / n
    if n == 1:
        return f"{mean:.1f}"
    sd = float(np.sqrt(counts @ (values - mean) ** 2 / (n - 1)))
    return f"{mean:.1f} ({sd:.1f})"


def _median_iqr(values: np.ndarray, counts: np.ndarray, digits: int = 1) -> str:
    if counts.sum() == 0:
        return ""
    q1, q2, q3 = (weighted_quantile(values, counts, q) for q in (0.25, 0.5, 0.75))
    return f"{q2:.{digits}f} [{q1:.{digits}f}, {q3:.{digits}f}]"


def weighted_quantile(values: np.ndarray, counts: np.ndarray, q: float) -> float:
    """The ``q`` quantile of ``values`` repeated ``counts`` times, as numpy's default (linear)
    method gives it on the repeated values, without repeating them.

    Examples
    --------
    >>> weighted_quantile(np.array([1.0, 4.0]), np.array([3, 1]), 0.5)
    1.0
    >>> float(np.quantile([1.0, 1.0, 1.0, 4.0], 0.9)), weighted_quantile(
    ...     np.array([1.0, 4.0]), np.array([3, 1]), 0.9)
    (3.1000000000000005, 3.1000000000000005)
    """
    order = np.argsort(values, kind="stable")
    x, c = values[order], counts[order]
    ends = np.cumsum(c)  # the last (0-based) position of each value is ends - 1
    h = (int(ends[-1]) - 1) * q
    low = int(np.floor(h))
    t = h - low
    a = x[np.searchsorted(ends, low, side="right")]
    b = x[np.searchsorted(ends, min(low + 1, int(ends[-1]) - 1), side="right")]
    diff = b - a
    return float(b - diff * (1 - t) if t >= 0.5 else a + diff * t)


def _count_share(k: int, n: int) -> str:
    return f"{k} ({100 * k / n:.1f} %)" if n else ""
