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

from collections.abc import Callable

import numpy as np
import pandas as pd

from ..schemas import EpisodeTable
from .episodes import groups
from .resolution import in_population
from .settings import Settings, resolve

_ANY = EpisodeTable.first("any_flag")

__all__ = ["table_one", "table_one_counts"]


def _mean_sd(values: pd.Series) -> str:
    values = values.dropna().astype(float)  # a nullable column (baseline) as plain numbers
    if values.empty:
        return ""
    sd = values.std()
    return f"{values.mean():.1f} ({sd:.1f})" if np.isfinite(sd) else f"{values.mean():.1f}"


def _median_iqr(values: pd.Series, digits: int = 1) -> str:
    values = values.dropna().astype(float)
    if values.empty:
        return ""
    q1, q2, q3 = values.quantile([0.25, 0.5, 0.75])
    return f"{q2:.{digits}f} [{q1:.{digits}f}, {q3:.{digits}f}]"


def _count_share(mask: pd.Series) -> str:
    n = len(mask)
    k = int(mask.sum())
    return f"{k} ({100 * k / n:.1f} %)" if n else ""


#: The episode-table columns Table 1 reads.
_READS = [
    "patient_id",
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


def _parts(episodes: pd.DataFrame, by: str) -> list[tuple[str, pd.DataFrame]]:
    """Each group's episodes, then all of them as ``overall``."""
    parts = [(str(g), part) for g, part in groups(episodes, by, _READS)]
    return [*parts, ("overall", episodes)]


def _rows(s: Settings) -> list[tuple[str, str, str, Callable[[pd.DataFrame], str]]]:
    """(key, label, statistic, formatter) of every row; labels show the thresholds in use."""
    high, low = f"High adherence (≥ {s.high_adherence:g})", f"Low adherence (< {s.low_adherence:g})"
    return [
        ("episodes", "Episodes", "n", lambda e: str(len(e))),
        ("patients", "Patients", "n", lambda e: str(e["patient_id"].nunique())),
        ("sites", "Sites", "n", lambda e: str(e["site"].nunique()) if "site" in e else ""),
        (
            "baseline_mean",
            "Baseline soreness (0–10)",
            "mean (SD)",
            lambda e: _mean_sd(e["baseline_soreness"]),
        ),
        (
            "baseline_median",
            "Baseline soreness (0–10)",
            "median [IQR]",
            lambda e: _median_iqr(e["baseline_soreness"]),
        ),
        (
            "days_logged",
            "Days logged in the window",
            "median [IQR]",
            lambda e: _median_iqr(e["days_logged"], 0),
        ),
        ("completeness", "Completeness", "mean (SD)", lambda e: _mean_sd(e["completeness"])),
        (
            "adherence_score",
            "Adherence score",
            "median [IQR]",
            lambda e: _median_iqr(e["adherence_score"], 2),
        ),
        ("high_adherence", high, "n (%)", lambda e: _count_share(e["adherence_group"] == "high")),
        ("low_adherence", low, "n (%)", lambda e: _count_share(e["adherence_group"] == "low")),
        (
            "no_reaction",
            f"No reaction (baseline ≤ {s.resolved_at})",
            "n (%)",
            lambda e: _count_share(in_population(e, "no_reaction")),
        ),
        (
            "baseline_missing",
            "No baseline (first log after day 1)",
            "n (%)",
            lambda e: _count_share(in_population(e, "baseline_missing")),
        ),
        (
            "resolved",
            "Resolved in the window (of sore episodes)",
            "n (%)",
            lambda e: _count_share(e.loc[in_population(e, "sore").to_numpy(), "resolved"]),
        ),
        (
            "any_flag",
            "Any red flag",
            "n (%)",
            lambda e: _count_share(e[_ANY].notna()),
        ),
        (
            "lost_to_follow_up",
            "Lost to follow-up",
            "n (%)",
            lambda e: _count_share(e["lost_to_follow_up"]),
        ),
    ]


def table_one(
    episodes: pd.DataFrame, settings: Settings | None = None, *, by: str = "treatment_type"
) -> pd.DataFrame:
    """Characteristics of the episodes per group and overall, as formatted text cells.

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
    parts = _parts(episodes, by)
    rows = []
    keys = []
    for key, label, statistic, compute in _rows(resolve(settings)):
        row = {"characteristic": label, "statistic": statistic}
        row.update({name: compute(part) for name, part in parts})
        rows.append(row)
        keys.append(key)
    return pd.DataFrame(rows, index=pd.Index(keys, name="key"))


#: Table 1 rows that are counts (keys of :func:`table_one`), and how to count them.
_COUNTS: dict[str, Callable[[pd.DataFrame], int]] = {
    "episodes": len,
    "patients": lambda e: e["patient_id"].nunique(),
    "no_reaction": lambda e: int(in_population(e, "no_reaction").sum()),
    "baseline_missing": lambda e: int(in_population(e, "baseline_missing").sum()),
    "resolved": lambda e: int(e["resolved"].sum()),
    "any_flag": lambda e: int(e[_ANY].notna().sum()),
    "lost_to_follow_up": lambda e: int(e["lost_to_follow_up"].sum()),
    "high_adherence": lambda e: int((e["adherence_group"] == "high").sum()),
    "low_adherence": lambda e: int((e["adherence_group"] == "low").sum()),
}


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
    parts = _parts(episodes, by)
    labels = {key: label for key, label, _, _ in _rows(resolve(settings))}
    rows = [
        {"characteristic": labels[key], **{name: int(count(part)) for name, part in parts}}
        for key, count in _COUNTS.items()
    ]
    return pd.DataFrame(rows, index=pd.Index(list(_COUNTS), name="key"))
