"""Recovery curves: soreness by day after treatment, per treatment type.

The curve is the only cohort table computed from the long logs (it needs every log, not one
row per episode). Per treatment type and day of the window: ``n`` logs, the mean with its 95 %
t-interval (empty when n < 2) and the 10th, 25th, 50th, 75th and 90th percentiles (linear
interpolation, pandas' default). The percentiles double as reference bands (p10–p90 and
p25–p75) against which a clinician can place one patient's trajectory.

Examples
--------
>>> import recovery_toolkit as rt
>>> logs = rt.load_logs(rt.sample_path()).logs
>>> curve = recovery_curve(logs)
>>> curve.columns.tolist()[:5]
['treatment_type', 'day', 'n', 'n_at_risk', 'mean']
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from .. import vocab
from ..errors import RecoveryToolkitWarning
from ..schemas import RecoveryCurveTable, SorenessLog, empty_table
from .codes import sorted_codes
from .episodes import in_window
from .intervals import t_interval
from .partials import add_counts
from .settings import Settings, resolve

__all__ = [
    "QUANTILES",
    "recovery_curve",
    "soreness_counts",
    "curve_from_counts",
    "reference_band",
    "episode_trajectory",
    "last_day_counts",
    "with_at_risk",
    "with_at_risk_from_counts",
]

#: Percentile columns of the curve and the probabilities behind them.
QUANTILES: dict[str, float] = {"p10": 0.10, "p25": 0.25, "median": 0.50, "p75": 0.75, "p90": 0.90}
#: The curve's statistic columns, as its output schema declares them (after group and day).
_CURVE_COLUMNS = list(RecoveryCurveTable.to_schema().columns)[2:]
#: Those computed from the score counts (``n_at_risk`` comes from the episodes' last days).
_COUNT_COLUMNS = [c for c in _CURVE_COLUMNS if c != "n_at_risk"]


def soreness_counts(
    logs: pd.DataFrame,
    settings: Settings | None = None,
    *,
    window_days: int | None = None,
    by: str = "treatment_type",
) -> pd.DataFrame:
    """How many logs had each soreness score, per group and day of the window.

    The recovery curve is computed from these counts (:func:`curve_from_counts`), so counts
    from parts of a data set can be added up and give exactly the curve of the whole.

    Examples
    --------
    >>> logs = pd.DataFrame({"treatment_type": ["pt"] * 3, "day": [1, 1, 2],
    ...                      "soreness": [4, 4, 2]})
    >>> soreness_counts(logs).values.tolist()
    [['pt', 1, 4, 2], ['pt', 2, 2, 1]]
    """
    s = resolve(settings, window_days=window_days)
    day = logs[SorenessLog.day].to_numpy(dtype=np.int64)
    score = logs[SorenessLog.soreness].to_numpy(dtype=np.int64)
    column = logs[by]
    if isinstance(column.dtype, pd.CategoricalDtype):  # sorted as its categories
        group, names = column.cat.codes.to_numpy(dtype=np.int64), column.cat.categories
    else:
        group, names = pd.factorize(column, sort=True)
    keep = (day >= 0) & (day <= s.window_days) & (group >= 0)  # groupby drops missing groups
    group, day, score = group[keep], day[keep], score[keep]
    low = int(score.min(initial=0))
    scores = int(score.max(initial=0)) - low + 1
    days = s.window_days + 1
    cells = np.bincount((group * days + day) * scores + score - low)
    seen = np.flatnonzero(cells)
    found = names[seen // scores // days]
    return pd.DataFrame(
        {
            by: (
                pd.Categorical(found, dtype=column.dtype)
                if isinstance(column.dtype, pd.CategoricalDtype)
                else pd.Series(np.asarray(found), dtype=column.dtype)
            ),
            SorenessLog.day: pd.Series(seen // scores % days, dtype=logs[SorenessLog.day].dtype),
            SorenessLog.soreness: pd.Series(
                seen % scores + low, dtype=logs[SorenessLog.soreness].dtype
            ),
            "count": cells[seen].astype(np.int64),
        }
    )


def _sorted_value(values: np.ndarray, cumulative: np.ndarray, position: np.ndarray) -> np.ndarray:
    """The value at 0-based ``position`` of the sorted sample that ``cumulative`` describes."""
    return values[np.searchsorted(cumulative, position, side="right")]


def curve_from_counts(counts: pd.DataFrame, *, by: str = "treatment_type") -> pd.DataFrame:
    """The recovery curve from :func:`soreness_counts` (added up over parts if need be).

    Mean and standard deviation are exact; percentiles use linear interpolation between order
    statistics (pandas' and NumPy's default).

    Examples
    --------
    >>> counts = pd.DataFrame({"treatment_type": ["pt"] * 4, "day": [1] * 4,
    ...                        "soreness": [1, 2, 3, 10], "count": [1, 1, 2, 1]})
    >>> row = curve_from_counts(counts).iloc[0]
    >>> int(row["n"]), float(row["mean"]), float(row["median"]), round(float(row["p90"]), 6)
    (5, 3.8, 3.0, 7.2)
    """
    rows = []
    probabilities = np.array(list(QUANTILES.values()))
    ordered = counts.sort_values([by, SorenessLog.day, SorenessLog.soreness], kind="stable")
    for (group, day), part in ordered.groupby([by, SorenessLog.day], observed=True, sort=False):
        values = part[SorenessLog.soreness].to_numpy(dtype=float)
        weights = part["count"].to_numpy(dtype=np.int64)
        n = int(weights.sum())
        mean = float((values * weights).sum() / n)
        sd = float(np.sqrt((weights * (values - mean) ** 2).sum() / (n - 1))) if n > 1 else np.nan
        cumulative = np.cumsum(weights)
        h = (n - 1) * probabilities
        low = np.floor(h)
        below = _sorted_value(values, cumulative, low)
        above = _sorted_value(values, cumulative, np.minimum(low + 1, n - 1))
        rows.append((group, day, n, mean, sd, *(below + (h - low) * (above - below))))
    table = pd.DataFrame(rows, columns=[by, "day", "n", "mean", "sd", *QUANTILES])
    if isinstance(counts[by].dtype, pd.CategoricalDtype):
        table[by] = table[by].astype(counts[by].dtype)
    table = table.astype({"day": counts[SorenessLog.day].dtype, "n": "int64"})
    table["ci_low"], table["ci_high"] = t_interval(table["mean"], table["sd"], table["n"])
    return table[[by, "day", *_COUNT_COLUMNS]]


def with_at_risk(
    curve: pd.DataFrame, last_days: pd.DataFrame, *, by: str = "treatment_type"
) -> pd.DataFrame:
    """The curve with ``n_at_risk`` after ``n``: episodes of the group whose last log in the
    window is on or after that day (still in follow-up). ``last_days`` has one row per episode
    with ``by`` and ``last_day`` (the episode table has both).

    ``n`` counts the episodes that logged that day; where ``n`` is well below ``n_at_risk``
    the day's mean is of a selected group (those who logged).

    Examples
    --------
    >>> curve = pd.DataFrame({"g": ["a", "a"], "day": [0, 2], "n": [3, 1], "mean": [5.0, 2.0]})
    >>> eps = pd.DataFrame({"g": ["a"] * 3, "last_day": [0, 2, 5]})
    >>> with_at_risk(curve, eps, by="g")["n_at_risk"].tolist()
    [3, 2]
    """
    return with_at_risk_from_counts(curve, [last_day_counts(last_days, by=by)], by=by)


def last_day_counts(last_days: pd.DataFrame, *, by: str = "treatment_type") -> pd.DataFrame:
    """The mergeable part of :func:`with_at_risk`: episodes per group and last logged day.

    Examples
    --------
    >>> last_day_counts(pd.DataFrame({"g": ["a", "a", "a"], "last_day": [5, 0, 5]}), by="g")
       g  last_day  episodes
    0  a         0         1
    1  a         5         2
    """
    group, names = sorted_codes(last_days[by])
    day = last_days["last_day"].to_numpy(dtype=np.int64)
    known = group >= 0  # an episode without a group counts in none
    width = int(day.max(initial=0)) + 1
    counts = np.bincount(group[known] * width + day[known], minlength=len(names) * width)
    seen = np.flatnonzero(counts)
    return pd.DataFrame(
        {
            by: pd.Series(np.asarray(names)[seen // width], dtype="str"),
            "last_day": (seen % width).astype(np.int64),
            "episodes": counts[seen].astype(np.int64),
        }
    )


def with_at_risk_from_counts(
    curve: pd.DataFrame, counts: list[pd.DataFrame], *, by: str = "treatment_type"
) -> pd.DataFrame:
    """:func:`with_at_risk` from the :func:`last_day_counts` of any split of the episodes.

    Examples
    --------
    >>> curve = pd.DataFrame({"g": ["a", "a"], "day": [0, 2], "n": [3, 1], "mean": [5.0, 2.0]})
    >>> part = pd.DataFrame({"g": ["a", "a"], "last_day": [0, 5], "episodes": [1, 1]})
    >>> with_at_risk_from_counts(curve, [part, part], by="g")["n_at_risk"].tolist()
    [4, 2]
    """
    out = curve.drop(columns="n_at_risk", errors="ignore")
    groups = out[by].astype("str").to_numpy()
    days = out["day"].to_numpy(dtype=np.int64)
    at_risk = np.zeros(len(out), dtype=np.int64)
    ends = add_counts(counts, [by, "last_day"])
    for group, rows in ends.groupby(by, sort=False):
        last = rows["last_day"].to_numpy(dtype=np.int64)  # sorted by add_counts
        later = np.cumsum(rows["episodes"].to_numpy(dtype=np.int64)[::-1])[::-1]
        here = groups == group
        found = np.searchsorted(last, days[here], side="left")  # first last_day >= day
        at_risk[here] = np.where(found < len(last), later[np.minimum(found, len(last) - 1)], 0)
    out.insert(list(out.columns).index("n") + 1, "n_at_risk", at_risk)
    return out


def recovery_curve(
    logs: pd.DataFrame,
    settings: Settings | None = None,
    *,
    window_days: int | None = None,
    by: str = "treatment_type",
    episodes: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Soreness per group and day of the window: n, mean, 95 % t-interval, percentiles.

    Parameters
    ----------
    logs : DataFrame
        Canonical logs; not modified.
    settings : Settings, optional
        Days ``0..settings.window_days`` are summarised.
    window_days : int, optional
        One-off override of ``settings.window_days``.
    by : str, default "treatment_type"
        Grouping column (e.g. ``"site"``).
    episodes : DataFrame, optional
        The episode table of ``logs`` with the same settings, when at hand: ``n_at_risk`` then
        comes from its ``last_day`` instead of a second pass over the logs.

    Returns
    -------
    DataFrame
        ``by, day, n, n_at_risk, mean, ci_low, ci_high, p10, p25, median, p75, p90`` sorted
        by group and day; only days with at least one log appear. The statistics are among
        the episodes that logged that day (``n``); ``n_at_risk`` counts those still in
        follow-up (:func:`with_at_risk`).

    Examples
    --------
    >>> logs = pd.DataFrame({"treatment_type": ["pt"] * 5, "episode_id": list("abcde"),
    ...                      "day": [1] * 5, "soreness": [1, 2, 3, 4, 10]})
    >>> row = recovery_curve(logs).iloc[0]
    >>> float(row["median"]), round(float(row["p90"]), 6), float(row["mean"])
    (3.0, 7.6, 4.0)
    """
    counts = soreness_counts(logs, settings, window_days=window_days, by=by)
    if counts.empty:
        warnings.warn(
            "no logs in the window: the recovery curve is empty",
            RecoveryToolkitWarning,
            stacklevel=2,
        )
        return empty_table(RecoveryCurveTable).rename(columns={"treatment_type": by})
    if episodes is None:  # each episode's last day in the window, from the logs
        keys = [by, SorenessLog.episode_id]
        window = in_window(logs[[*keys, SorenessLog.day]], settings, window_days=window_days)
        last = window.groupby(keys, observed=True)[SorenessLog.day].max()
        episodes = last.rename("last_day").reset_index()
    return with_at_risk(curve_from_counts(counts, by=by), episodes, by=by)


def reference_band(curve: pd.DataFrame, group: str, *, by: str = "treatment_type") -> pd.DataFrame:
    """The p10–p90 and p25–p75 band (and median) of one group, by day.

    Examples
    --------
    >>> import recovery_toolkit as rt
    >>> curve = recovery_curve(rt.load_logs(rt.sample_path()).logs)
    >>> reference_band(curve, "injection").columns.tolist()
    ['day', 'n', 'p10', 'p25', 'median', 'p75', 'p90']
    """
    band = curve.loc[curve[by] == group, ["day", "n", *QUANTILES]]
    return band.reset_index(drop=True)


def _flag_words(raised: np.ndarray, flags: list[str]) -> tuple[list[str], list[str]]:
    """Per log: the most pressing severity among its raised flags and their labels."""
    order = {s: i for i, s in enumerate(vocab.SEVERITIES)}
    severity, names = [], []
    for row in raised:
        codes = [f for f, up in zip(flags, row, strict=True) if up]
        ranked = sorted(vocab.FLAG_SEVERITY[c.removeprefix("flag_")] for c in codes)
        severity.append(min(ranked, key=order.__getitem__) if ranked else "")
        names.append(", ".join(vocab.RED_FLAGS[c].label for c in codes))
    return severity, names


def episode_trajectory(
    logs: pd.DataFrame,
    episode_id: str,
    settings: Settings | None = None,
    *,
    curve: pd.DataFrame | None = None,
    window_days: int | None = None,
) -> pd.DataFrame:
    """One episode's daily soreness beside the reference band of its treatment type.

    Returns one row per day of the window: ``day``, ``soreness`` (missing where not logged),
    ``any_flag`` (a reported red flag that day), ``flag_severity`` (the most pressing of that
    day's flags: ``urgent``, ``prompt`` or empty) and ``flags`` (their labels), the band
    columns and ``above_p90``.

    Examples
    --------
    >>> import recovery_toolkit as rt
    >>> logs = rt.load_logs(rt.sample_path()).logs
    >>> traj = episode_trajectory(logs, "E0000001")
    >>> len(traj), "above_p90" in traj
    (15, True)
    """
    s = resolve(settings, window_days=window_days)
    rows = logs.loc[logs[SorenessLog.episode_id] == episode_id]
    if rows.empty:
        raise KeyError(f"no logs for episode {episode_id!r}")
    kind = rows[SorenessLog.treatment_type].iloc[0]
    if curve is None:
        same_type = logs.loc[logs[SorenessLog.treatment_type] == kind]
        curve = recovery_curve(same_type, s)
    band = reference_band(curve, kind).drop(columns="n")
    flags = [c for c in SorenessLog.flag_columns() if c in rows.columns]
    raised = rows[flags].fillna(False).to_numpy(dtype=bool)
    severity, names = _flag_words(raised, flags)
    own = pd.DataFrame(
        {
            "day": rows[SorenessLog.day].to_numpy(),
            "soreness": rows[SorenessLog.soreness].to_numpy(dtype=float),
            "any_flag": raised.any(axis=1),
            "flag_severity": severity,
            "flags": names,
        }
    )
    days = pd.DataFrame({"day": np.arange(s.window_days + 1)})
    out = days.merge(own, on="day", how="left").merge(band, on="day", how="left")
    out["any_flag"] = out["any_flag"].astype("boolean").fillna(False).astype(bool)
    out["flag_severity"] = out["flag_severity"].fillna("")
    out["flags"] = out["flags"].fillna("")
    out["above_p90"] = (out["soreness"] > out["p90"]).fillna(False).astype(bool)
    return out
