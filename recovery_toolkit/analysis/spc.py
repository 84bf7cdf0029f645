"""Statistical process control: a monthly p-chart of red-flag incidence.

For each series (all episodes, and each treatment type) and treatment month i: nᵢ episodes,
eᵢ episodes with any red flag, pᵢ = eᵢ/nᵢ. Centre p̄ = Σe/Σn over the series; limits
p̄ ± 3·√(p̄(1−p̄)/nᵢ) clipped to [0, 1]. A point signals when it lies outside its limits or
belongs to a run of 8 consecutive months on the same side of the centre (a month on the centre,
or with no episodes, breaks the run). Months with no episodes between the first and the last
appear with n = 0 and no p.

Examples
--------
>>> import recovery_toolkit as rt
>>> from recovery_toolkit.analysis.episodes import episode_table
>>> chart = p_chart(episode_table(rt.load_logs(rt.sample_path()).logs))
>>> chart["treatment_type"].iloc[0], chart.columns.tolist()[1:4]
('all', ['month', 'n', 'events'])
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from .. import vocab
from ..errors import RecoveryToolkitWarning
from ..schemas import EpisodeTable, SpcTable, empty_table
from .settings import Settings, resolve

_ANY = EpisodeTable.first("any_flag")

__all__ = ["p_chart", "run_signals"]


def run_signals(side: np.ndarray, run_length: int = vocab.SPC_RUN_LENGTH) -> np.ndarray:
    """Mark every point of a run of ``run_length`` or more equal non-zero ``side`` values.

    Examples
    --------
    >>> run_signals(np.array([1, 1, 1, -1, 1, 1, 1, 1]), run_length=4).tolist()
    [False, False, False, False, True, True, True, True]
    """
    side = np.asarray(side)
    marks = np.zeros(len(side), dtype=bool)
    start = 0
    for i in range(1, len(side) + 1):
        if i == len(side) or side[i] != side[start]:
            if side[start] != 0 and i - start >= run_length:
                marks[start:i] = True
            start = i
    return marks


def _series(
    episodes: pd.DataFrame, months: pd.PeriodIndex, *, sigma: float, run_length: int
) -> pd.DataFrame:
    """Monthly n, events, p, centre line, limits and signals of one p-chart series."""
    counts = episodes.groupby("treatment_month").agg(n=(_ANY, "size"), events=(_ANY, "count"))
    counts = counts.reindex(months.strftime("%Y-%m"), fill_value=0)
    n = counts["n"].to_numpy(dtype=float)
    events = counts["events"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = np.where(n > 0, events / n, np.nan)
        center = events.sum() / n.sum() if n.sum() else np.nan
        half = sigma * np.sqrt(center * (1 - center) / n)
    lcl = np.where(n > 0, np.clip(center - half, 0, 1), np.nan)
    ucl = np.where(n > 0, np.clip(center + half, 0, 1), np.nan)
    outside = (p < lcl) | (p > ucl)
    side = np.where(np.isnan(p), 0, np.sign(np.round(p - center, 12)))
    signal = outside | run_signals(side, run_length)
    return pd.DataFrame(
        {
            "month": counts.index,
            "n": n.astype(int),
            "events": events.astype(int),
            "p": p,
            "center": center,
            "lcl": lcl,
            "ucl": ucl,
            "signal": signal,
        }
    )


def p_chart(
    episodes: pd.DataFrame,
    settings: Settings | None = None,
    *,
    by: str = "treatment_type",
    sigma: float | None = None,
    run_length: int | None = None,
) -> pd.DataFrame:
    """Monthly p-chart of any-flag incidence, for all episodes and for each group.

    Returns ``by`` (``all`` or the group), ``month`` (YYYY-MM), ``n``, ``events``, ``p``,
    ``center``, ``lcl``, ``ucl``, ``signal``.

    Examples
    --------
    >>> eps = pd.DataFrame({"treatment_type": ["pt"] * 4,
    ...                     "treatment_month": ["2025-01", "2025-01", "2025-03", "2025-03"],
    ...                     "first_any_flag": [1.0, np.nan, np.nan, np.nan]})
    >>> chart = p_chart(eps)
    >>> chart.loc[chart["treatment_type"] == "all", ["month", "n", "p"]].values.tolist()
    [['2025-01', 2, 0.5], ['2025-02', 0, nan], ['2025-03', 2, 0.0]]
    """
    if episodes.empty:
        warnings.warn("no episodes: the p-chart is empty", RecoveryToolkitWarning, stacklevel=2)
        return empty_table(SpcTable).rename(columns={"treatment_type": by})
    stamps = pd.PeriodIndex(episodes["treatment_month"].unique(), freq="M")
    months = pd.period_range(stamps.min(), stamps.max(), freq="M")
    empty = months.size - stamps.size
    if empty:
        warnings.warn(
            f"{empty} month(s) without episodes appear in the p-chart with n = 0",
            RecoveryToolkitWarning,
            stacklevel=2,
        )
    s = resolve(settings, spc_sigma=sigma, spc_run_length=run_length)
    sigma, run_length = s.spc_sigma, s.spc_run_length
    parts = [_series(episodes, months, sigma=sigma, run_length=run_length).assign(**{by: "all"})]
    for group, part in episodes.groupby(by, observed=True, sort=True):
        series = _series(part, months, sigma=sigma, run_length=run_length)
        parts.append(series.assign(**{by: str(group)}))
    chart = pd.concat(parts, ignore_index=True)
    return chart[[by, "month", "n", "events", "p", "center", "lcl", "ucl", "signal"]]
