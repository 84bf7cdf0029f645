"""Drop-out sensitivity of time to resolution: IPCW Kaplan–Meier and best/worst-case bounds.

Kaplan–Meier assumes that an episode which stops logging would have recovered like those still
logging. When patients who are still sore stop logging more often, that assumption flatters
recovery. Here, among sore episodes (docs/methods.md):

* **drop-out model**: on each day d an episode is still in follow-up and not resolved, it may
  drop out (no further log in the window; censoring at the window's end, or at
  ``window_days - 6`` with PACE, is not drop-out). A binomial GLM (statsmodels) models that
  daily probability from the last observed soreness (a natural cubic spline), the day (a
  spline) and the treatment type, fitted to counts per covariate pattern (so parts of a
  registry add up);
* **IPCW**: each episode-day is weighted by 1 / the modelled probability of having stayed so
  far (weights truncated at their 99.9th percentile), and the product-limit estimate is taken
  of the weighted events over the weighted numbers at risk (Robins & Finkelstein 2000);
* **best case**: every dropped-out episode resolves the day after its last log; **worst
  case**: it never resolves.

Examples
--------
>>> import recovery_toolkit as rt
>>> from recovery_toolkit import analysis
>>> episodes = analysis.episode_table(rt.load_logs(rt.sample_path()).logs)
>>> table = resolution_milestones(episodes)
>>> sorted(table["method"].unique())
['best_case', 'ipcw', 'km', 'worst_case']
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
import patsy
import statsmodels.api as sm

from .. import vocab
from ..errors import RecoveryToolkitWarning
from ..schemas import EpisodeTable
from .clustering import (
    clustered_wilson,
    km_band,
    patient_codes,
    product_limit_band,
    repeat_clusters,
)
from .resolution import sore_episodes
from .settings import Settings, resolve

__all__ = ["METHODS", "dropout_patterns", "ipcw_weights", "resolution_milestones"]

#: The estimates of the table, in order.
METHODS: tuple[str, ...] = ("km", "ipcw", "best_case", "worst_case")
#: Weights above this quantile of all episode-day weights are set to it. (At the 99th
#: percentile the truncation itself biased day-14 IPCW by +0.011 in the drop-out simulation,
#: +0.005 at the 99.9th; docs/validation.md.)
WEIGHT_QUANTILE = 0.999


def _last_observed(episodes: pd.DataFrame, window_days: int) -> np.ndarray:
    """Per episode and day: the soreness of the last log on or before that day (the first log
    for days before it)."""
    path = np.column_stack(
        [
            episodes[EpisodeTable.soreness_on(d)].to_numpy(dtype=float, na_value=np.nan)
            for d in range(window_days + 1)
        ]
    )
    seen = ~np.isnan(path)
    days = np.arange(path.shape[1])
    last = np.maximum.accumulate(np.where(seen, days, -1), axis=1)  # last log on or before
    first = np.where(seen.any(axis=1), seen.argmax(axis=1), 0)  # days before it: the first
    rows = np.arange(path.shape[0])[:, None]
    return path[rows, np.where(last >= 0, last, first[:, None])]


def _end_of_follow_up(settings: Settings) -> int:
    """The day censoring is administrative: the window's end, or its end less 6 (PACE)."""
    if settings.definition == "pace":
        return settings.window_days - (vocab.PACE_DAYS - 1)
    return settings.window_days


def _stopped(sore: pd.DataFrame, end: int) -> np.ndarray:
    """Unresolved episodes whose logs stop before ``end`` (drop-out; an unconfirmed low score
    on the last day is censored the day before it, but that is the window's end, not
    drop-out)."""
    last = sore["last_day"].to_numpy(dtype=float) if "last_day" in sore.columns else None
    time = sore["time"].to_numpy(dtype=float)
    unresolved = ~sore["resolved"].to_numpy(dtype=bool)
    return unresolved & ((time if last is None else last) < end)


def _person_days(sore: pd.DataFrame, settings: Settings) -> dict[str, np.ndarray]:
    """At risk, event and drop-out indicators (episodes x days) of the sore episodes."""
    days = np.arange(settings.window_days + 1)
    time = sore["time"].to_numpy(dtype=float)[:, None]
    resolved = sore["resolved"].to_numpy(dtype=bool)[:, None]
    at_risk = time >= days[None, :]
    on_day = time == days[None, :]
    end = _end_of_follow_up(settings)
    stopped = _stopped(sore, end)[:, None]
    return {
        "at_risk": at_risk,
        "event": on_day & resolved,
        "dropout": on_day & ~resolved & stopped & (days[None, :] < end),
        "modelled": at_risk & ~(on_day & resolved) & (days[None, :] < end),
    }


_SCORES = 11  # soreness 0..10 (the log schema)


def _pattern_keys(sore: pd.DataFrame, window_days: int) -> tuple[np.ndarray, np.ndarray]:
    """Per sore episode and day, an integer code of its covariate pattern (treatment type,
    day, last observed soreness), in the sort order of the three; and the types' names."""
    types, names = pd.factorize(sore["treatment_type"].astype("str"), sort=True)
    days = window_days + 1
    soreness = np.nan_to_num(_last_observed(sore, window_days)).astype(np.int64)
    keys = (types.astype(np.int64)[:, None] * days + np.arange(days)) * _SCORES + soreness
    return keys, np.asarray(names, dtype=object)


def _pattern_frame(codes: np.ndarray, names: np.ndarray, window_days: int) -> pd.DataFrame:
    """The covariates of pattern ``codes`` (see :func:`_pattern_keys`)."""
    days = window_days + 1
    return pd.DataFrame(
        {
            "treatment_type": pd.array(names[codes // _SCORES // days], dtype="str"),
            "day": codes // _SCORES % days,
            "soreness": codes % _SCORES,
        }
    )


def dropout_patterns(episodes: pd.DataFrame, settings: Settings | None = None) -> pd.DataFrame:
    """Counts per covariate pattern (treatment type, day, last observed soreness) of sore
    episode-days at risk of dropping out, and of those that did: what the drop-out model is
    fitted to (counts from parts of a registry add up).

    Examples
    --------
    >>> import recovery_toolkit as rt
    >>> from recovery_toolkit import analysis
    >>> episodes = analysis.episode_table(rt.load_logs(rt.sample_path()).logs)
    >>> dropout_patterns(episodes).columns.tolist()
    ['treatment_type', 'day', 'soreness', 'days', 'dropouts']
    """
    s = resolve(settings)
    sore = sore_episodes(episodes)
    columns = ["treatment_type", "day", "soreness", "days", "dropouts"]
    if sore.empty:
        return pd.DataFrame(columns=columns)
    return _pattern_counts(*_pattern_keys(sore, s.window_days), _person_days(sore, s), s)


def _pattern_counts(
    keys: np.ndarray, names: np.ndarray, grid: dict[str, np.ndarray], settings: Settings
) -> pd.DataFrame:
    """:func:`dropout_patterns` from the pattern codes and the person-day grid."""
    size = len(names) * (settings.window_days + 1) * _SCORES
    days = np.bincount(keys[grid["modelled"]], minlength=size)
    dropouts = np.bincount(keys[grid["dropout"]], minlength=size)
    seen = np.flatnonzero(days)
    counts = _pattern_frame(seen, names, settings.window_days)
    return counts.assign(days=days[seen], dropouts=dropouts[seen])


def _spline(column: str, values: pd.Series) -> str:
    """A natural cubic spline term with as many degrees of freedom as the values allow."""
    distinct = values.nunique()
    if distinct >= 5:
        return f"cr({column}, df=3)"
    return column if distinct >= 2 else "1"


def _dropout_model(patterns: pd.DataFrame) -> tuple[Any, Any] | None:
    """The fitted binomial GLM and its design (patsy ``DesignInfo``), or None (with a
    warning) when it cannot be fitted or does not converge."""
    if patterns.empty or patterns["dropouts"].sum() == 0:
        return None
    terms = [_spline("day", patterns["day"]), _spline("soreness", patterns["soreness"])]
    if patterns["treatment_type"].nunique() > 1:
        terms.append("C(treatment_type)")
    formula = " + ".join(terms)
    design = patsy.dmatrix(formula, patterns, return_type="dataframe")
    endog = np.column_stack([patterns["dropouts"], patterns["days"] - patterns["dropouts"]]).astype(
        float
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # statsmodels' own convergence and domain warnings
        try:
            fit = sm.GLM(endog, design, family=sm.families.Binomial()).fit()
        except (ValueError, np.linalg.LinAlgError):
            fit = None
    if fit is None or not fit.converged or not np.isfinite(fit.params).all():
        warnings.warn(
            "the drop-out model did not converge: IPCW equals Kaplan-Meier (weights 1)",
            RecoveryToolkitWarning,
            stacklevel=3,
        )
        return None
    return fit, design.design_info


def _predicted_hazard(
    fit: Any, design_info: Any, keys: np.ndarray, names: np.ndarray, window_days: int
) -> np.ndarray:
    """The modelled daily drop-out probability of each sore episode and day (pattern
    ``keys``), predicted once per distinct covariate pattern and spread back."""
    present = np.zeros(len(names) * (window_days + 1) * _SCORES, dtype=bool)
    present[keys.ravel()] = True
    unique = np.flatnonzero(present)
    inverse = (np.cumsum(present) - 1)[keys]
    covariates = _pattern_frame(unique, names, window_days)
    design = patsy.build_design_matrices([design_info], covariates, return_type="dataframe")[0]
    with warnings.catch_warnings():  # an extreme linear predictor is a probability of 0 or 1
        warnings.simplefilter("ignore", RuntimeWarning)
        per_pattern = np.asarray(fit.predict(design), dtype=float)
    return per_pattern[inverse]


def ipcw_weights(
    episodes: pd.DataFrame,
    settings: Settings | None = None,
    *,
    patterns: pd.DataFrame | None = None,
) -> np.ndarray:
    """Inverse-probability-of-censoring weights of the sore episodes (rows of
    :func:`~recovery_toolkit.analysis.resolution.sore_episodes`) x days ``0..window_days``:
    1 / the modelled probability of not having dropped out before that day, truncated at the
    99.9th percentile of the weights of episode-days at risk. ``patterns`` (default: those of
    ``episodes``) are what the model is fitted to: the whole registry's, when ``episodes`` is
    one part of it.

    Examples
    --------
    >>> import recovery_toolkit as rt
    >>> from recovery_toolkit import analysis
    >>> episodes = analysis.episode_table(rt.load_logs(rt.sample_path()).logs)
    >>> weights = ipcw_weights(episodes)
    >>> bool(weights.min() >= 1.0)
    True
    """
    s = resolve(settings)
    sore = sore_episodes(episodes)
    shape = (len(sore), s.window_days + 1)
    if sore.empty:
        return np.ones(shape)
    grid = _person_days(sore, s)
    keys, names = _pattern_keys(sore, s.window_days)
    model = _dropout_model(_pattern_counts(keys, names, grid, s) if patterns is None else patterns)
    if model is None:
        return np.ones(shape)
    fit, design_info = model
    staying = _predicted_hazard(fit, design_info, keys, names, s.window_days)
    staying[~grid["modelled"]] = 0.0  # no drop-out where it cannot happen
    np.subtract(1.0, staying, out=staying)
    np.cumprod(staying, axis=1, out=staying)  # not dropped out by the end of each day
    weights = np.ones(shape)
    np.maximum(staying[:, :-1], 1e-12, out=weights[:, 1:])
    np.divide(1.0, weights, out=weights)
    at_risk = weights[grid["at_risk"]]
    if len(at_risk):
        np.minimum(weights, np.quantile(at_risk, WEIGHT_QUANTILE), out=weights)
    return weights


def _bounds(sore: pd.DataFrame, days: np.ndarray, end: int) -> tuple[np.ndarray, np.ndarray]:
    """Resolved by each day (rows) per episode (columns) in the best case (a dropped-out
    episode resolves the next day) and the worst (it never does)."""
    time = sore["time"].to_numpy(dtype=float)
    resolved = sore["resolved"].to_numpy(dtype=bool)
    dropped = _stopped(sore, end)
    observed = resolved[None, :] & (time[None, :] <= days[:, None])
    best = observed | (dropped[None, :] & (time[None, :] + 1 <= days[:, None]))
    return best, observed


def resolution_milestones(
    episodes: pd.DataFrame,
    settings: Settings | None = None,
    *,
    by: str = "treatment_type",
) -> pd.DataFrame:
    """Resolved by each milestone day, per group, four ways: Kaplan–Meier (``km``, log-log
    95 % interval), drop-out weighted (``ipcw``; robust log-log interval), and the
    ``best_case`` and ``worst_case`` bounds (Wilson intervals). When a patient has several
    episodes every interval is cluster-robust by patient (:mod:`.clustering`). Sore episodes
    only; milestones after the last visible day (PACE)
    are left out.

    Examples
    --------
    >>> import recovery_toolkit as rt
    >>> from recovery_toolkit import analysis
    >>> episodes = analysis.episode_table(rt.load_logs(rt.sample_path()).logs)
    >>> table = resolution_milestones(episodes).set_index(["treatment_type", "day", "method"])
    >>> table = table.sort_index()
    >>> low, high = table.loc[("injection", 7), "resolved"].loc[["worst_case", "best_case"]]
    >>> bool(low <= table.loc[("injection", 7, "km"), "resolved"] <= high)
    True
    """
    s = resolve(settings)
    end = _end_of_follow_up(s)
    days = np.array([d for d in s.milestone_days if d <= end], dtype=int)
    sore = sore_episodes(episodes)
    weights = ipcw_weights(episodes, s)
    grid = _person_days(sore, s)
    groups = sore[by].astype("str").to_numpy()
    time = sore["time"].to_numpy(dtype=float)
    event = sore["resolved"].to_numpy(dtype=bool)
    best_all, worst_all = _bounds(sore, days, end)
    patients = patient_codes(sore)
    rows = []
    for group in pd.unique(groups):
        here = groups == group
        clusters = repeat_clusters(patients[here])  # a patient's episodes in this group
        km, km_low, km_high = _km_milestones(time[here], event[here], clusters, days)
        ipcw, ipcw_low, ipcw_high = _ipcw_milestones(
            weights[here], grid["at_risk"][here], grid["event"][here], clusters, days
        )
        best, worst = best_all[:, here], worst_all[:, here]
        for i, day in enumerate(days):
            rows += [
                (group, day, "km", km[i], km_low[i], km_high[i]),
                (group, day, "ipcw", ipcw[i], ipcw_low[i], ipcw_high[i]),
                (group, day, "best_case", best[i].mean(), *clustered_wilson(best[i], clusters)),
                (group, day, "worst_case", worst[i].mean(), *clustered_wilson(worst[i], clusters)),
            ]
    return pd.DataFrame(rows, columns=[by, "day", "method", "resolved", "ci_low", "ci_high"])


def _km_milestones(
    time: np.ndarray, event: np.ndarray, clusters: np.ndarray | None, days: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Kaplan–Meier resolved by each day with its log-log 95 % interval: Greenwood's for
    independent episodes, cluster-robust by patient otherwise; empty before any event."""
    last = int(max(days.max(initial=0), time.max(initial=0)))
    survival, low, high = km_band(time, event, clusters, last)
    return 1 - survival[days], 1 - high[days], 1 - low[days]


def _ipcw_milestones(
    weights: np.ndarray,
    at_risk: np.ndarray,
    event: np.ndarray,
    clusters: np.ndarray | None,
    days: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """IPCW resolved by each day with a robust log-log 95 % interval (by patient, or by
    episode; the drop-out weights taken as known, which errs on the wide side)."""
    survival, low, high = product_limit_band(weights * at_risk, weights * event, clusters)
    return 1 - survival[days], 1 - high[days], 1 - low[days]
