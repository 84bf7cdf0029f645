"""Drop-out sensitivity of time to resolution: IPCW Kaplan–Meier and best/worst-case bounds.

Kaplan–Meier assumes that an episode which stops logging would have recovered like those still
logging. When patients who are still sore stop logging more often, that assumption flatters
recovery. Here, among sore episodes (docs/methods.md):

* **drop-out model**: on each day d an episode is still in follow-up (to its last log,
  resolved or not), it may drop out (no further log in the window; censoring at the
  window's end, or at ``window_days - 6`` with PACE, is not drop-out). A binomial GLM
  (statsmodels) models that daily probability from the last observed soreness (a natural
  cubic spline), the day (a spline) and the treatment type, fitted to counts per covariate
  pattern (so parts of a registry add up);
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

import functools
import threading
import warnings
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd
import patsy
import statsmodels.api as sm

from ..errors import RecoveryToolkitWarning
from .clustering import (
    loglog_band,
    patient_codes,
    pattern_wilson,
    product_limit_steps,
)
from .codes import sorted_codes
from .exact import exact_sums, exact_totals_by
from .partials import add_counts
from .rebound import FollowUp, follow_up, record_days
from .resolution import (
    decode_patterns,
    end_of_follow_up,
    pattern_groups,
    resolution_counts,
    resolution_km,
    sore_mask,
)
from .settings import Settings, resolve

__all__ = [
    "METHODS",
    "DropoutModel",
    "PartPasses",
    "dropout_counts",
    "dropout_paths",
    "dropout_patterns",
    "fit_dropout",
    "milestones_from_parts",
    "resolution_milestones",
]

#: The estimates of the table, in order.
METHODS: tuple[str, ...] = ("km", "ipcw", "best_case", "worst_case")
#: Weights above this quantile of all episode-day weights are set to it. (At the 99th
#: percentile the truncation itself biased day-14 IPCW by +0.011 in the drop-out simulation,
#: +0.005 at the 99.9th; docs/validation.md.)
WEIGHT_QUANTILE = 0.999
_SCORES = 11  # soreness 0..10 (the log schema)
_KEYS = ["treatment_type", "day", "soreness"]

#: ``passes(run, kind)`` runs ``run`` on every part's kept frame of that kind where the part
#: lives and returns the frames it gave, one per part (in memory: the one part; DuckDB: the
#: work folder's files; Spark: the buckets kept on the cluster). Kinds: ``"paths"`` (the
#: part's :func:`dropout_paths`) and ``"sample/<model>"`` (its candidates for a sampled model,
#: :mod:`.sampling`).
PartPasses = Callable[[Callable[[pd.DataFrame], pd.DataFrame], str], list[pd.DataFrame]]


def _last_observed(path: np.ndarray) -> np.ndarray:
    """Per episode and day of the daily paths (NaN where not logged): the soreness of the last
    log on or before that day (the first log for days before it)."""
    days_first = path.T
    seen = ~np.isnan(days_first)
    current = np.full(path.shape[0], np.nan)
    for day in range(days_first.shape[0] - 1, -1, -1):  # backwards: ends on the first log
        np.copyto(current, days_first[day], where=seen[day])
    observed = np.empty_like(days_first)
    for day in range(days_first.shape[0]):  # forwards: the last log so far
        np.copyto(current, days_first[day], where=seen[day])
        observed[day] = current
    return observed.T


def _path_column(day: int) -> str:
    return f"s{day}"


def dropout_paths(
    episodes: pd.DataFrame,
    settings: Settings | None = None,
    *,
    daily: FollowUp | None = None,
) -> pd.DataFrame:
    """What the drop-out weights of a part's sore episodes are computed from, one row per
    sore episode in episode order: ``treatment_type``, ``patient`` (a code within the part),
    ``time``, ``resolved``, ``cohort`` (the rebound cohort of an episode that stopped on a
    low run, else −1: :func:`~recovery_toolkit.analysis.rebound.stopped_cohorts`),
    ``last_day`` (of its logs in the window) and the last observed soreness of each day
    ``s0..sW`` (about 56 bytes per episode as Arrow). It stays where the part lives; the
    passes of :func:`milestones_from_parts` read it there. ``daily``: the table's
    :func:`~recovery_toolkit.analysis.rebound.follow_up` (every episode), when already read.

    Examples
    --------
    >>> import recovery_toolkit as rt
    >>> from recovery_toolkit import analysis
    >>> paths = dropout_paths(analysis.episode_table(rt.load_logs(rt.sample_path()).logs))
    >>> paths.columns.tolist()[:6], len(paths)
    (['treatment_type', 'patient', 'time', 'resolved', 'cohort', 'last_day'], 374)
    """
    s = resolve(settings)
    width = s.window_days + 1
    mask = sore_mask(episodes)
    reads = ["treatment_type", "patient_id", "time", "resolved"]
    sore = episodes.loc[mask, [c for c in reads if c in episodes.columns]]
    path, last, cohort = (v[mask] for v in (follow_up(episodes, s) if daily is None else daily))
    soreness = (
        np.nan_to_num(_last_observed(path)).astype(np.int8)
        if len(sore)
        else np.zeros((0, width), dtype=np.int8)
    )
    frame = pd.DataFrame(
        {
            "treatment_type": _labels(sore["treatment_type"]),
            "patient": patient_codes(sore),
            "time": sore["time"].to_numpy(dtype=float),
            "resolved": sore["resolved"].to_numpy(dtype=bool),
            "cohort": cohort.astype(np.int16),
            "last_day": last.astype(np.int16),
        }
    )
    observed = pd.DataFrame(soreness, columns=[_path_column(d) for d in range(width)])
    return pd.concat([frame, observed], axis=1)


def _labels(column: pd.Series) -> np.ndarray:
    """A column's values as Python strings (from a categorical's codes when it is one)."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        names = np.asarray(column.cat.categories.astype("str"), dtype=object)
        return names[column.cat.codes.to_numpy()]
    return column.astype("str").to_numpy(dtype=object)


def _soreness(paths: pd.DataFrame, width: int) -> np.ndarray:
    """:func:`_soreness_of` the part, read once for the IPCW passes (not to be written to)."""
    return _LAST_PART.get(paths, ("soreness", width), lambda: _soreness_of(paths, width))


def _soreness_of(paths: pd.DataFrame, width: int) -> np.ndarray:
    """The last observed soreness of each path and day."""
    return paths[[_path_column(d) for d in range(width)]].to_numpy(dtype=np.int64)


def _person_days(paths: pd.DataFrame, settings: Settings) -> dict[str, np.ndarray]:
    """:func:`_grid` of the part, made once per part (not to be written to)."""
    return _LAST_PART.get(paths, ("grid", settings), lambda: _grid(paths, settings))


def _grid(paths: pd.DataFrame, settings: Settings) -> dict[str, np.ndarray]:
    """Indicators (episodes x days) of the sore episodes: at risk of resolving (to the last
    log for an episode that stopped on a low run: its records', :func:`_weighted_records`),
    resolving,
    and the drop-out model's person-days (``modelled``: in follow-up, to the last log, before
    the end of follow-up, resolved or not) and drop-outs (the last log, when before the end).
    Drop-out is the logging process itself: tying it to the resolution rule (an unconfirmed
    last low score is censored the day before it; a resolution seen before the last log ends
    the episode's time at risk) made random drop-out look as if it followed soreness."""
    days = np.arange(settings.window_days + 1)[None, :]
    time = paths["time"].to_numpy(dtype=float)[:, None]
    resolved = paths["resolved"].to_numpy(dtype=bool)[:, None]
    last = paths["last_day"].to_numpy(dtype=float)[:, None]
    stopped_low = paths["cohort"].to_numpy()[:, None] >= 0  # its records run to its last log
    end = end_of_follow_up(settings)
    return {
        "at_risk": np.where(stopped_low, last, time) >= days,
        "event": (time == days) & resolved,
        "dropout": (last == days) & (days < end),
        "modelled": (last >= days) & (days < end),
    }


def _weighted_records(
    paths: pd.DataFrame,
    weights: np.ndarray,
    grid: dict[str, np.ndarray],
    no_rebound: Mapping[str, np.ndarray],
    types: tuple[np.ndarray, list[str]],
) -> tuple[np.ndarray, np.ndarray]:
    """Episode × day weighted shares at risk and of events: the weights times the person-day
    indicators, except for an episode that stopped on a low run (cohort ``c``, last log
    ``L``): resolved at the start of its run with share ``q = no_rebound[type][c]``, at risk
    with share ``1 − q`` after it and to ``L``, when the drop-out weights take over
    (:func:`~recovery_toolkit.analysis.resolution.km_records`); ``types``: :func:`_types`."""
    at_risk, events = weights * grid["at_risk"], weights * grid["event"]
    cohort = paths["cohort"].to_numpy(dtype=np.int64)
    rows = np.flatnonzero(cohort >= 0)
    if not len(rows):
        return at_risk, events
    codes, names = types
    q = np.stack([no_rebound[name] for name in names])[codes[rows], cohort[rows]][:, None]
    time = paths["time"].to_numpy(dtype=np.int64)[rows]
    start, stop = record_days(time, paths["resolved"].to_numpy(dtype=bool)[rows], cohort[rows])
    start, stop = start[:, None], stop[:, None]
    days = np.arange(at_risk.shape[1])[None, :]
    share = np.where(days <= start, 1.0, np.where(days <= stop, 1.0 - q, 0.0))
    at_risk[rows] = weights[rows] * share
    events[rows] = weights[rows] * np.where(days == start, q, 0.0)
    return at_risk, events


def dropout_counts(paths: pd.DataFrame, settings: Settings | None = None) -> pd.DataFrame:
    """The mergeable part of the drop-out model: per covariate pattern (treatment type, day,
    last observed soreness), the sore episode-days at risk of resolving (``at_risk``), those
    at risk of dropping out (``days``) and those that did (``dropouts``).

    Examples
    --------
    >>> import recovery_toolkit as rt
    >>> from recovery_toolkit import analysis
    >>> eps = analysis.episode_table(rt.load_logs(rt.sample_path()).logs)
    >>> dropout_counts(dropout_paths(eps)).columns.tolist()
    ['treatment_type', 'day', 'soreness', 'at_risk', 'days', 'dropouts']
    """
    s = resolve(settings)
    width = s.window_days + 1
    types, names = _type_codes(paths)  # read afresh: only the IPCW passes share a memo
    keys = (types[:, None] * width + np.arange(width)) * _SCORES
    keys = keys + _soreness_of(paths, width)
    grid = _grid(paths, s)
    size = len(names) * width * _SCORES
    at_risk = np.bincount(keys[grid["at_risk"]], minlength=size)
    days = np.bincount(keys[grid["modelled"]], minlength=size)
    seen = np.flatnonzero(at_risk + days)  # a resolved episode's days: in follow-up, not at risk
    labels = np.asarray(names, dtype=object)[seen // _SCORES // width]
    counts = pd.DataFrame(
        {
            "treatment_type": pd.Series(labels, dtype="str"),
            "day": seen // _SCORES % width,
            "soreness": seen % _SCORES,
        }
    )
    return counts.assign(
        at_risk=at_risk[seen],
        days=days[seen],
        dropouts=np.bincount(keys[grid["dropout"]], minlength=size)[seen],
    ).astype({"day": "int64", "soreness": "int64"})


def dropout_patterns(episodes: pd.DataFrame, settings: Settings | None = None) -> pd.DataFrame:
    """Counts per covariate pattern (treatment type, day, last observed soreness) of sore
    episode-days at risk of dropping out, and of those that did: what the drop-out model is
    fitted to.

    Examples
    --------
    >>> import recovery_toolkit as rt
    >>> from recovery_toolkit import analysis
    >>> episodes = analysis.episode_table(rt.load_logs(rt.sample_path()).logs)
    >>> dropout_patterns(episodes).columns.tolist()
    ['treatment_type', 'day', 'soreness', 'days', 'dropouts']
    """
    s = resolve(settings)
    return _modelled(add_counts([dropout_counts(dropout_paths(episodes, s), s)], _KEYS))


def _modelled(table: pd.DataFrame) -> pd.DataFrame:
    """The patterns with episode-days at risk of dropping out (what the GLM is fitted to)."""
    columns = [*_KEYS, "days", "dropouts"]
    if table.empty:
        return pd.DataFrame(columns=columns)
    return table.loc[table["days"] > 0, columns].reset_index(drop=True)


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
            stacklevel=4,
        )
        return None
    return fit, design.design_info


@dataclass(frozen=True)
class DropoutModel:
    """The fitted drop-out model as a table: the modelled daily probability of dropping out
    per treatment type (``types``), day and last observed soreness (``hazard``), and the
    weights' upper limit (``cap``; infinite until :func:`milestones_from_parts` sets it)."""

    types: tuple[str, ...]
    hazard: np.ndarray
    cap: float = np.inf


def fit_dropout(
    counts: list[pd.DataFrame], settings: Settings | None = None
) -> DropoutModel | None:
    """The drop-out model fitted to the :func:`dropout_counts` of every part; ``None`` when
    nobody dropped out or the model cannot be fitted (with a warning: weights are then 1).

    Examples
    --------
    >>> import recovery_toolkit as rt
    >>> from recovery_toolkit import analysis
    >>> eps = analysis.episode_table(rt.load_logs(rt.sample_path()).logs)
    >>> model = fit_dropout([dropout_counts(dropout_paths(eps))])
    >>> model.hazard.shape, bool(0 < model.hazard.min() < model.hazard.max() < 1)
    ((4, 15, 11), True)
    """
    s = resolve(settings)
    patterns = _modelled(add_counts(counts, _KEYS) if counts else pd.DataFrame())
    model = _dropout_model(patterns)
    if model is None:
        return None
    fit, design_info = model
    types = tuple(sorted(patterns["treatment_type"].unique()))
    width = s.window_days + 1
    grid = pd.MultiIndex.from_product(
        [list(types), range(width), range(_SCORES)], names=_KEYS
    ).to_frame(index=False)
    design = patsy.build_design_matrices([design_info], grid, return_type="dataframe")[0]
    with warnings.catch_warnings():  # an extreme linear predictor is a probability of 0 or 1
        warnings.simplefilter("ignore", RuntimeWarning)
        hazard = np.asarray(fit.predict(design), dtype=float)
    return DropoutModel(types, hazard.reshape(len(types), width, _SCORES))


def _types(paths: pd.DataFrame) -> tuple[np.ndarray, list[str]]:
    """Each path's treatment type as a code, and the types' names (sorted)."""
    return _LAST_PART.get(paths, ("types",), lambda: _type_codes(paths))


def _type_codes(paths: pd.DataFrame) -> tuple[np.ndarray, list[str]]:
    codes, names = sorted_codes(paths["treatment_type"])
    return codes, [str(name) for name in names]


def _weights(
    paths: pd.DataFrame, model: DropoutModel | None, settings: Settings
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Each sore episode-day's weight, 1 / the modelled probability of not having dropped out
    before that day (at most ``model.cap``), and the person-day indicators."""
    hazard = None if model is None else model.hazard
    weights, grid = _LAST_PART.get(
        paths, ("weights", hazard, settings), lambda: _uncapped_weights(paths, model, settings)
    )
    if model is not None and np.isfinite(model.cap):
        weights = np.minimum(weights, model.cap)
    return weights, grid


def _uncapped_weights(
    paths: pd.DataFrame, model: DropoutModel | None, settings: Settings
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """:func:`_weights` before the cap."""
    width = settings.window_days + 1
    grid = _person_days(paths, settings)
    weights = np.ones((len(paths), width))
    if model is None or paths.empty:
        return weights, grid
    codes, names = _types(paths)
    index = {name: i for i, name in enumerate(model.types)}
    types = np.array([index.get(name, -1) for name in names], dtype=np.int64)[codes]
    known = types >= 0
    cell = (np.where(known, types, 0)[:, None] * width + np.arange(width)) * _SCORES
    hazard = np.take(model.hazard, cell + _soreness(paths, width))  # flat: (type, day, score)
    hazard[~(grid["modelled"] & known[:, None])] = 0.0  # no drop-out where it cannot happen
    staying = np.cumprod(1.0 - hazard, axis=1)  # not dropped out by the end of each day
    np.maximum(staying[:, :-1], 1e-12, out=weights[:, 1:])
    np.divide(1.0, weights, out=weights)
    return weights, grid


def _records(
    paths: pd.DataFrame,
    model: DropoutModel | None,
    settings: Settings,
    no_rebound: Mapping[str, np.ndarray],
) -> tuple[np.ndarray, np.ndarray]:
    """The part's :func:`_weighted_records` with the (capped) weights of ``model``: the same
    in passes 2 and 3, so made once."""

    def make() -> tuple[np.ndarray, np.ndarray]:
        weights, grid = _weights(paths, model, settings)
        return _weighted_records(paths, weights, grid, no_rebound, _types(paths))

    return _LAST_PART.get(paths, ("records", model, settings, no_rebound), make)


class _LastPart:
    """What the IPCW passes derive from the last paths frame seen (its type codes, soreness,
    person-day indicators, weights and weighted records), so that the three passes over a part
    held in memory (the in-memory path) make each once (:func:`dropout_counts`, public, reads
    its frame afresh). Held for the identity of the paths frame
    (held weakly) and of the other inputs of each value (held, so that their identity cannot
    pass to another); a part read again from storage (DuckDB, Spark) is a new frame, so its
    values are simply made again (and a frame's values go when the frame goes)."""

    def __init__(self) -> None:
        self._paths: weakref.ref[pd.DataFrame] | None = None
        self._values: dict[tuple[int, ...], tuple[tuple[object, ...], Any]] = {}
        self._lock = threading.RLock()  # one thread at a time; a value may ask for another

    def get(self, paths: pd.DataFrame, inputs: tuple[object, ...], make: Callable[[], Any]) -> Any:
        """The value made from ``paths`` and ``inputs`` (compared by identity) by ``make``."""
        with self._lock:
            if self._paths is None or self._paths() is not paths:
                self._paths, self._values = weakref.ref(paths, self._forget), {}
            key = tuple(id(x) for x in inputs)
            if key not in self._values:
                self._values[key] = (inputs, make())  # the inputs held: their ids stay theirs
            return self._values[key][1]

    def _forget(self, gone: weakref.ref[pd.DataFrame]) -> None:
        """The paths frame is gone: so are its values."""
        with self._lock:
            if self._paths is gone:
                self._paths, self._values = None, {}


_LAST_PART = _LastPart()


def _top_weights(
    paths: pd.DataFrame, *, model: DropoutModel, settings: Settings, count: int
) -> pd.DataFrame:
    """Pass 1: the part's ``count`` largest weights of episode-days at risk."""
    weights, grid = _weights(paths, model, settings)
    at_risk = weights[grid["at_risk"]]
    keep = len(at_risk) - count  # the values from this position up, in sorted order
    top = at_risk if keep <= 0 else np.partition(at_risk, keep)[keep:]
    return pd.DataFrame({"weight": top})


def _weighted_sums(
    paths: pd.DataFrame,
    *,
    model: DropoutModel | None,
    settings: Settings,
    no_rebound: Mapping[str, np.ndarray],
) -> pd.DataFrame:
    """Pass 2: per treatment type, the exact sums of the weighted numbers at risk (keys
    ``0..W``) and of the weighted events (keys ``W+1..2W+1``) on each day."""
    codes, names = _types(paths)
    records = _records(paths, model, settings, no_rebound)
    return _sums_by_type(codes, names, np.concatenate(records, axis=1))


def _influence_sums(
    paths: pd.DataFrame,
    *,
    model: DropoutModel | None,
    settings: Settings,
    no_rebound: Mapping[str, np.ndarray],
    steps: Mapping[str, tuple[np.ndarray, np.ndarray]],
) -> pd.DataFrame:
    """Pass 3: per treatment type and day, the exact sum over patients of the squared
    influence of their episodes on log S(day) (the robust variance, :mod:`.clustering`)."""
    codes, names = _types(paths)
    hazard = np.stack([steps[name][0] for name in names]) if names else np.zeros((0, 1))
    step = np.stack([steps[name][1] for name in names]) if names else np.zeros((0, 1))
    r, e = _records(paths, model, settings, no_rebound)
    # days first: the same sums in the same order, over contiguous rows
    terms = np.ascontiguousarray(((e - r * hazard[codes]) * step[codes]).T)
    influence = -np.cumsum(terms, axis=0)
    # a patient's episodes of one type are one cluster: their influences add up
    patients = paths["patient"].to_numpy(dtype=np.int64)
    base = int(patients.max()) + 1 if len(patients) else 1
    clusters, found = pd.factorize(codes * base + patients)
    totals = np.stack(
        [np.bincount(clusters, weights=c, minlength=len(found)) for c in influence], axis=1
    )
    of_cluster = np.asarray(found, dtype=np.int64) // base
    return _sums_by_type(of_cluster, names, totals**2)


def _sums_by_type(codes: np.ndarray, names: list[str], values: np.ndarray) -> pd.DataFrame:
    """The exact sums (:func:`~recovery_toolkit.analysis.exact.exact_sums`) of ``values``
    (rows x keys) per key and treatment type (``names[codes]`` of each row)."""
    width = values.shape[1]
    keys = codes[:, None] * width + np.arange(width)[None, :]
    sums = exact_sums(keys, values)
    labels = np.asarray(names, dtype=object)[sums["key"].to_numpy() // width]
    return sums.assign(key=sums["key"] % width, treatment_type=pd.Series(labels, dtype="str"))


def upper_quantile(top: np.ndarray, n: int, q: float) -> float:
    """The ``q`` quantile of ``n`` values from (at least) their ``n − floor(q·(n−1))``
    largest, ``top``: numpy's default (linear) method, in numpy's own arithmetic, so it
    equals ``np.quantile`` of all ``n`` to the last bit.

    Examples
    --------
    >>> values = np.arange(1000.0)
    >>> upper_quantile(values[-3:], 1000, 0.999) == np.quantile(values, 0.999)
    np.True_
    """
    position = (n - 1) * q  # numpy's virtual index for its linear method
    below = int(np.floor(position))
    ranked = np.sort(np.asarray(top, dtype=float))
    offset = n - len(ranked)
    low, high = ranked[below - offset], ranked[min(below + 1, n - 1) - offset]
    t = position - below
    if t >= 0.5:  # numpy interpolates from the upper neighbour past the middle
        return float(high - (high - low) * (1 - t))
    return float(low + (high - low) * t)


def _ipcw_bands(
    dropout: list[pd.DataFrame],
    passes: PartPasses,
    settings: Settings,
    no_rebound: Mapping[str, np.ndarray],
) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Per treatment type: the IPCW product-limit S(day) with its patient-robust log-log
    95 % band (NaN before the first event), over three passes of the parts."""
    model = fit_dropout(dropout, settings)
    if model is not None:  # the weights' cap: a quantile of all episode-days at risk
        n = int(sum(int(c["at_risk"].sum()) for c in dropout))
        count = n - int(np.floor((n - 1) * WEIGHT_QUANTILE))  # the ranks upper_quantile reads
        top_weights = functools.partial(_top_weights, model=model, settings=settings, count=count)
        tops = passes(top_weights, "paths")
        top = np.concatenate([t["weight"].to_numpy(dtype=float) for t in tops])
        model = replace(model, cap=upper_quantile(top, n, WEIGHT_QUANTILE))
    sums = passes(
        functools.partial(_weighted_sums, model=model, settings=settings, no_rebound=no_rebound),
        "paths",
    )
    width = settings.window_days + 1
    steps: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    curves: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for label, totals in exact_totals_by(sums, 2 * width, by="treatment_type").items():
        group, happened = str(label), totals[width:]
        survival, hazard, step = product_limit_steps(totals[:width], happened)
        steps[group] = (hazard, step)
        curves[group] = (survival, happened)
    influences = functools.partial(
        _influence_sums, model=model, settings=settings, no_rebound=no_rebound, steps=steps
    )
    squares = passes(influences, "paths")
    variances = exact_totals_by(squares, width, by="treatment_type")
    bands: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
    for group, (survival, happened) in curves.items():
        variance = variances.get(group, np.zeros(width))
        se = np.where(survival > 0, np.sqrt(variance), np.nan)
        bands[group] = (survival, *loglog_band(survival, se, happened))
    return bands


def _bounds(
    patterns: list[np.ndarray], counts: np.ndarray, days: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per pattern (rows) and milestone day (columns): its episodes resolved in the best case
    (a dropped-out episode resolves the day after its last log; one seen resolved before it
    stopped stays resolved) and the worst (a dropped-out episode never resolves: one seen
    resolved before it stopped may have rebounded unseen)."""
    owner = np.repeat(np.arange(len(patterns)), [len(p) for p in patterns])
    time, stopped, resolved, cohort = decode_patterns(np.concatenate(patterns))
    seen = resolved[:, None] * (time[:, None] <= days[None, :])
    worst = seen * (cohort < 0)[:, None]
    best = seen | (stopped[:, None] * (time[:, None] + 1 <= days[None, :]))
    per_pattern = [
        np.stack([np.bincount(owner, weights=c, minlength=len(patterns)) for c in x.T], axis=1)
        for x in (best, worst)
    ]
    return per_pattern[0].astype(np.int64), per_pattern[1].astype(np.int64)


def milestones_from_parts(
    resolution: list[pd.DataFrame],
    dropout: list[pd.DataFrame],
    passes: PartPasses,
    settings: Settings | None = None,
) -> pd.DataFrame:
    """:func:`resolution_milestones` from the parts of a registry: Kaplan–Meier and the
    bounds from the parts' patient patterns
    (:func:`~recovery_toolkit.analysis.resolution.resolution_counts`), the drop-out model
    from their :func:`dropout_counts`, and IPCW from three ``passes`` over their
    :func:`dropout_paths` (the weights' cap, the weighted counts per day, the patients'
    influences), whose sums are exact, so every split of the patients gives the same table.

    Examples
    --------
    >>> import recovery_toolkit as rt
    >>> from recovery_toolkit import analysis
    >>> s = Settings()
    >>> eps = analysis.episode_table(rt.load_logs(rt.sample_path()).logs)
    >>> paths = dropout_paths(eps, s)
    >>> table = milestones_from_parts([resolution_counts(eps, s)], [dropout_counts(paths, s)],
    ...                               lambda run, kind: [run(paths)], s)
    >>> table.equals(resolution_milestones(eps, s))
    True
    """
    s = resolve(settings)
    end = end_of_follow_up(s)
    days = np.array([d for d in s.milestone_days if d <= end], dtype=np.int64)
    columns = ["treatment_type", "day", "method", "resolved", "ci_low", "ci_high"]
    groups = [found for found in pattern_groups(resolution, "treatment_type", s) if found.patterns]
    if not groups or not len(days):  # no sore episode, or no milestone before the end
        return pd.DataFrame(columns=columns)
    no_rebound = {str(found.group): found.no_rebound for found in groups}
    ipcw = _ipcw_bands(dropout, passes, s, no_rebound)
    rows = []
    for found in groups:
        group, patterns, counts = found.group, found.patterns, found.patients
        km, km_low, km_high = resolution_km(found, int(days.max(initial=0)))
        survival, low, high = ipcw[str(group)]
        clustered = any(len(p) > 1 for p in patterns)
        sizes = np.array([len(p) for p in patterns], dtype=np.int64)
        best, worst = _bounds(patterns, counts, days)
        for i, day in enumerate(days):
            rows += [
                (group, day, "km", 1 - km[day], 1 - km_high[day], 1 - km_low[day]),
                (group, day, "ipcw", 1 - survival[day], 1 - high[day], 1 - low[day]),
                (group, day, "best_case", *pattern_wilson(best[:, i], sizes, counts, clustered)),
                (group, day, "worst_case", *pattern_wilson(worst[:, i], sizes, counts, clustered)),
            ]
    return pd.DataFrame(rows, columns=columns).astype({"treatment_type": "str"})


def resolution_milestones(episodes: pd.DataFrame, settings: Settings | None = None) -> pd.DataFrame:
    """Resolved by each milestone day, per treatment type, four ways: Kaplan–Meier (``km``,
    log-log 95 % interval), drop-out weighted (``ipcw``; robust log-log interval), and the
    ``best_case`` and ``worst_case`` bounds (Wilson intervals). When a patient has several
    episodes every interval is cluster-robust by patient (:mod:`.clustering`). Sore episodes
    only; milestones after the last visible day (PACE) are left out. (The episode table as
    one part of :func:`milestones_from_parts`.)

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
    paths = dropout_paths(episodes, s)
    return milestones_from_parts(
        [resolution_counts(episodes, s)],
        [dropout_counts(paths, s)],
        lambda run, kind: [run(paths)],
        s,
    )
