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

__all__ = ["table_one", "table_one_counts"]


def _mean_sd(values: pd.Series) -> str:
    if values.notna().sum() == 0:
        return ""
    sd = values.std()
    return f"{values.mean():.1f} ({sd:.1f})" if np.isfinite(sd) else f"{values.mean():.1f}"


def _median_iqr(values: pd.Series, digits: int = 1) -> str:
    values = values.dropna()
    if values.empty:
        return ""
    q1, q2, q3 = values.quantile([0.25, 0.5, 0.75])
    return f"{q2:.{digits}f} [{q1:.{digits}f}, {q3:.{digits}f}]"


def _count_share(mask: pd.Series) -> str:
    n = len(mask)
    k = int(mask.sum())
    return f"{k} ({100 * k / n:.1f} %)" if n else ""


_ROWS: list[tuple[str, str, Callable[[pd.DataFrame], str]]] = [
    ("Episodes", "n", lambda e: str(len(e))),
    ("Patients", "n", lambda e: str(e["patient_id"].nunique())),
    ("Sites", "n", lambda e: str(e["site"].nunique()) if "site" in e else ""),
    ("Baseline soreness (0–10)", "mean (SD)", lambda e: _mean_sd(e["baseline_soreness"])),
    ("Baseline soreness (0–10)", "median [IQR]", lambda e: _median_iqr(e["baseline_soreness"])),
    ("Days logged in the window", "median [IQR]", lambda e: _median_iqr(e["days_logged"], 0)),
    ("Completeness", "mean (SD)", lambda e: _mean_sd(e["completeness"])),
    ("Adherence score", "median [IQR]", lambda e: _median_iqr(e["adherence_score"], 2)),
    ("High adherence (≥ 0.8)", "n (%)", lambda e: _count_share(e["adherence_group"] == "high")),
    ("Low adherence (< 0.5)", "n (%)", lambda e: _count_share(e["adherence_group"] == "low")),
    ("Resolved in the window", "n (%)", lambda e: _count_share(e["resolved"])),
    ("Any red flag", "n (%)", lambda e: _count_share(e["first_any_flag"].notna())),
    ("Lost to follow-up", "n (%)", lambda e: _count_share(e["lost_to_follow_up"])),
]


def table_one(episodes: pd.DataFrame, *, by: str = "treatment_type") -> pd.DataFrame:
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
    groups = [(str(g), part) for g, part in episodes.groupby(by, observed=True, sort=True)]
    groups.append(("overall", episodes))
    rows = []
    for label, statistic, compute in _ROWS:
        row = {"characteristic": label, "statistic": statistic}
        row.update({name: compute(part) for name, part in groups})
        rows.append(row)
    return pd.DataFrame(rows)


_COUNTS: list[tuple[str, Callable[[pd.DataFrame], int]]] = [
    ("Episodes", len),
    ("Patients", lambda e: e["patient_id"].nunique()),
    ("Resolved in the window", lambda e: int(e["resolved"].sum())),
    ("Any red flag", lambda e: int(e["first_any_flag"].notna().sum())),
    ("Lost to follow-up", lambda e: int(e["lost_to_follow_up"].sum())),
    ("High adherence (≥ 0.8)", lambda e: int((e["adherence_group"] == "high").sum())),
    ("Low adherence (< 0.5)", lambda e: int((e["adherence_group"] == "low").sum())),
]


def table_one_counts(episodes: pd.DataFrame, *, by: str = "treatment_type") -> pd.DataFrame:
    """The counts of Table 1 as numbers (for suppression before sharing): one row per
    characteristic, one column per group and ``overall``.

    Examples
    --------
    >>> import recovery_toolkit as rt
    >>> from recovery_toolkit.analysis.episodes import episode_table
    >>> counts = table_one_counts(episode_table(rt.load_logs(rt.sample_path()).logs))
    >>> int(counts.set_index("characteristic").loc["Episodes", "overall"])
    400
    """
    groups = [(str(g), part) for g, part in episodes.groupby(by, observed=True, sort=True)]
    groups.append(("overall", episodes))
    rows = [
        {"characteristic": label, **{name: int(count(part)) for name, part in groups}}
        for label, count in _COUNTS
    ]
    return pd.DataFrame(rows)
