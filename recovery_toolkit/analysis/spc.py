"""Statistical process control: a monthly p-chart of red-flag incidence with exact limits.

For each series (all episodes, and each treatment type) and treatment month i: nᵢ episodes,
eᵢ episodes with any red flag, pᵢ = eᵢ/nᵢ. Centre p̄ = Σe/Σn over the series' *complete*
months. Limits are exact binomial probability limits: LCLᵢ = F⁻¹(α; nᵢ, p̄)/nᵢ and
UCLᵢ = F⁻¹(1 − α; nᵢ, p̄)/nᵢ, where F⁻¹ is the quantile function of Binomial(nᵢ, p̄) (the
smallest k with P(X ≤ k) ≥ q, ``scipy.stats.binom.ppf``) and α = ``Settings.spc_tail``
(0.00135, the tail of 3-sigma limits of a normal distribution). A complete month signals when
pᵢ < LCLᵢ or pᵢ > UCLᵢ (rule ``outside_limits``), or when it belongs to a run of
``spc_run_length`` (8) consecutive complete months on the same side of the centre (rule
``run_of_8``; a month on the centre, without episodes or not complete breaks the run); a month
that meets both is named ``outside_limits``.

A month M is *complete* when every episode treated in it can have completed the window before
the last log date in the data: last day of M + ``window_days`` ≤ ``data_end``. Incomplete
months are shown (drawn hollow) but never signal and are left out of the centre line. Without
``data_end`` every month is complete. Months with no episodes between the first and the last
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
from scipy import stats

from .. import vocab
from ..errors import RecoveryToolkitWarning
from ..schemas import EpisodeTable, SpcTable, empty_table
from .settings import Settings, resolve

_ANY = EpisodeTable.first("any_flag")

__all__ = ["binomial_limits", "complete_months", "p_chart", "run_signals"]


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


def complete_months(
    months: pd.PeriodIndex, window_days: int, data_end: pd.Timestamp | None
) -> np.ndarray:
    """True for each month whose episodes can all have completed the window by ``data_end``
    (last day of the month + ``window_days`` <= ``data_end``); all True without ``data_end``.

    Examples
    --------
    >>> months = pd.period_range("2025-01", "2025-03", freq="M")
    >>> complete_months(months, 14, pd.Timestamp("2025-03-14")).tolist()
    [True, True, False]
    """
    if data_end is None or pd.isna(data_end):
        return np.ones(len(months), dtype=bool)
    last_day = months.to_timestamp(how="end").normalize()
    ends = last_day + pd.Timedelta(days=window_days)
    return np.asarray(ends <= pd.Timestamp(data_end).normalize(), dtype=bool)


def binomial_limits(n: np.ndarray, p: float, tail: float) -> tuple[np.ndarray, np.ndarray]:
    """Exact binomial probability limits of a proportion: the ``tail`` and ``1 - tail``
    quantiles of Binomial(n, p), divided by n (missing where n = 0 or p is missing).

    Examples
    --------
    >>> low, high = binomial_limits(np.array([10, 0]), 0.2, 0.00135)
    >>> low.tolist()[0], high.tolist()[0], bool(np.isnan(high[1]))
    (0.0, 0.6, True)
    """
    n = np.asarray(n, dtype=float)
    defined = (n > 0) & np.isfinite(p)
    safe_n = np.where(defined, n, 1.0)
    safe_p = p if np.isfinite(p) else 0.0
    low = stats.binom.ppf(tail, safe_n, safe_p) / safe_n
    high = stats.binom.ppf(1 - tail, safe_n, safe_p) / safe_n
    return np.where(defined, low, np.nan), np.where(defined, high, np.nan)


def _series(
    months: pd.Index,
    n: np.ndarray,
    events: np.ndarray,
    complete: np.ndarray,
    *,
    tail: float,
    run_length: int,
) -> pd.DataFrame:
    """Centre line, limits and signals of one p-chart series from its monthly counts."""
    n, events = n.astype(float), events.astype(float)
    n_complete = n[complete].sum()
    center = events[complete].sum() / n_complete if n_complete else np.nan
    with np.errstate(invalid="ignore", divide="ignore"):
        p = np.where(n > 0, events / n, np.nan)
    lcl, ucl = binomial_limits(n, center, tail)
    outside = ((p < lcl) | (p > ucl)) & complete
    side = np.where(np.isnan(p) | ~complete, 0, np.sign(np.round(p - center, 12)))
    side = np.nan_to_num(side)  # no centre (no complete month): no run
    run = run_signals(side, run_length) & complete
    rule = np.where(outside, "outside_limits", np.where(run, f"run_of_{run_length}", ""))
    return pd.DataFrame(
        {
            "month": months,
            "n": n.astype(int),
            "events": events.astype(int),
            "p": p,
            "center": center,
            "lcl": lcl,
            "ucl": ucl,
            "complete": complete,
            "signal": outside | run,
            "rule": pd.Series(rule, dtype="str"),
        }
    )


def p_chart(
    episodes: pd.DataFrame,
    settings: Settings | None = None,
    *,
    by: str = "treatment_type",
    tail: float | None = None,
    run_length: int | None = None,
    data_end: pd.Timestamp | None = None,
) -> pd.DataFrame:
    """Monthly p-chart of any-flag incidence, for all episodes and for each group
    (:func:`p_chart_from_counts` of :func:`spc_counts`: the same in every engine).

    Parameters
    ----------
    episodes : DataFrame
        The episode table (``treatment_month``, ``first_any_flag`` and ``by``).
    settings : Settings, optional
        ``spc_tail``, ``spc_run_length`` and ``window_days`` (for complete months).
    by : str
        The grouping column (default ``treatment_type``).
    tail, run_length : optional
        One-off overrides of ``settings.spc_tail`` and ``settings.spc_run_length``.
    data_end : Timestamp, optional
        The last log date in the data (``compute`` and the engines pass it). Months whose
        episodes cannot all have completed the window by then are ``complete = False``: they
        never signal and are left out of the centre line. Without it every month is complete.

    Returns
    -------
    DataFrame
        ``by`` (``all`` or the group), ``month`` (YYYY-MM), ``n``, ``events``, ``p``,
        ``center``, ``lcl``, ``ucl``, ``complete``, ``signal``, ``rule`` (``outside_limits``,
        ``run_of_<run_length>`` or empty).

    Examples
    --------
    >>> eps = pd.DataFrame({"treatment_type": ["pt"] * 4,
    ...                     "treatment_month": ["2025-01", "2025-01", "2025-03", "2025-03"],
    ...                     "first_any_flag": [1.0, np.nan, np.nan, np.nan]})
    >>> chart = p_chart(eps)
    >>> chart.loc[chart["treatment_type"] == "all", ["month", "n", "p"]].values.tolist()
    [['2025-01', 2, 0.5], ['2025-02', 0, nan], ['2025-03', 2, 0.0]]
    >>> p_chart(eps, data_end=pd.Timestamp("2025-03-20"))["complete"].tolist()[:3]
    [True, True, False]
    """
    counts = spc_counts(episodes, by=by)
    return p_chart_from_counts(
        [counts], settings, by=by, tail=tail, run_length=run_length, data_end=data_end
    )


def spc_counts(
    episodes: pd.DataFrame, settings: Settings | None = None, *, by: str = "treatment_type"
) -> pd.DataFrame:
    """The mergeable part of :func:`p_chart`: episodes (``n``) and episodes with a first red
    flag (``events``) per group and treatment month, whole numbers that add up over any
    split of the episodes (episodes without a group keep an empty ``by``: they count in
    ``all`` only).

    Examples
    --------
    >>> eps = pd.DataFrame({"treatment_type": ["pt", "pt", "pt"],
    ...                     "treatment_month": ["2025-01", "2025-01", "2025-03"],
    ...                     "first_any_flag": [1.0, np.nan, np.nan]})
    >>> spc_counts(eps)[["month", "n", "events"]].values.tolist()
    [['2025-01', 2, 1], ['2025-03', 1, 0]]
    """
    del settings  # nothing here depends on it
    month, labels = pd.factorize(episodes["treatment_month"], sort=True)
    groups, cells, size = _cells(episodes[by], month, len(labels))
    n = np.bincount(cells, minlength=size)
    events = np.bincount(cells[episodes[_ANY].notna().to_numpy()], minlength=size)
    filled = np.flatnonzero(n)
    group = filled // len(labels) - 1
    names = pd.Series(groups.take(np.maximum(group, 0)), dtype=episodes[by].dtype)
    return pd.DataFrame(
        {
            by: names.where(group >= 0),
            "month": pd.Series(np.asarray(labels)[filled % len(labels)], dtype="str"),
            "n": n[filled],
            "events": events[filled],
        }
    )


def _cells(groups: pd.Series, month: np.ndarray, months: int) -> tuple[pd.Index, np.ndarray, int]:
    """The distinct groups (sorted), each row's cell in a (group + 1) × month grid whose first
    row holds the rows without a group, and the grid's size."""
    codes, names = pd.factorize(groups, sort=True)
    return pd.Index(names), (codes + 1) * months + month, (len(names) + 1) * months


def p_chart_from_counts(
    counts: list[pd.DataFrame],
    settings: Settings | None = None,
    *,
    by: str = "treatment_type",
    tail: float | None = None,
    run_length: int | None = None,
    data_end: pd.Timestamp | None = None,
) -> pd.DataFrame:
    """:func:`p_chart` from the :func:`spc_counts` of any split of the episodes.

    Examples
    --------
    >>> part = pd.DataFrame({"treatment_type": ["pt"], "month": ["2025-01"], "n": [2],
    ...                      "events": [1]})
    >>> p_chart_from_counts([part, part])[["treatment_type", "n", "p"]].values.tolist()
    [['all', 4, 0.5], ['pt', 4, 0.5]]
    """
    whole = pd.concat(counts, ignore_index=True) if len(counts) > 1 else counts[0]
    if whole.empty:
        warnings.warn("no episodes: the p-chart is empty", RecoveryToolkitWarning, stacklevel=3)
        return empty_table(SpcTable).rename(columns={"treatment_type": by})
    stamps = pd.PeriodIndex(whole["month"].unique(), freq="M")
    months = pd.period_range(stamps.min(), stamps.max(), freq="M")
    empty = months.size - stamps.size
    if empty:
        warnings.warn(
            f"{empty} month(s) without episodes appear in the p-chart with n = 0",
            RecoveryToolkitWarning,
            stacklevel=3,
        )
    s = resolve(settings, spc_tail=tail, spc_run_length=run_length)
    complete = complete_months(months, s.window_days, data_end)
    if not complete.any():
        warnings.warn(
            "no treatment month is complete (every episode could still be in its window at the "
            "last log date): the control chart has no centre line and no signals",
            RecoveryToolkitWarning,
            stacklevel=3,
        )
    labels = months.strftime("%Y-%m")
    month = labels.get_indexer(pd.Index(whole["month"]))
    # the parts' counts added per group and month ("all" adds every row, grouped or not)
    names, cells, size = _cells(whole[by], month, labels.size)
    shape = (names.size + 1, labels.size)
    n = np.bincount(cells, weights=whole["n"], minlength=size).reshape(shape).astype(np.int64)
    events = np.bincount(cells, weights=whole["events"], minlength=size)
    events = events.reshape(shape).astype(np.int64)
    series = [("all", n.sum(axis=0), events.sum(axis=0))]
    series += [(str(group), n[g], events[g]) for g, group in enumerate(names, start=1)]
    parts = [
        _series(
            labels, episodes, flagged, complete, tail=s.spc_tail, run_length=s.spc_run_length
        ).assign(**{by: name})
        for name, episodes, flagged in series
    ]
    chart = pd.concat(parts, ignore_index=True)
    columns = ["month", "n", "events", "p", "center", "lcl", "ucl", "complete", "signal", "rule"]
    return chart[[by, *columns]]
