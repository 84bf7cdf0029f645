"""Comparing time to resolution between groups: the log-rank test and Cox hazard ratios.

Sore episodes only (:func:`~recovery_toolkit.analysis.resolution.sore_episodes`):

* :func:`logrank` — the textbook log-rank statistic from counts per day (checked against
  ``statsmodels.duration.survfunc.survdiff`` in the tests); with ``strata`` (e.g. ``"site"``,
  ``Settings.stratify_by``) the observed-minus-expected counts and their covariance are summed
  over strata, so groups are compared within each site;
* :func:`hazard_ratios` — a Cox proportional-hazards model (statsmodels ``PHReg``, Efron ties)
  of time to confirmed resolution on treatment type, reference chiropractic, stratified like
  the log-rank test, with a robust (sandwich) variance by patient since patients can have
  several episodes (:mod:`~recovery_toolkit.analysis.cox`). HR > 1: that type resolves
  faster than the reference.

Examples
--------
>>> import recovery_toolkit as rt
>>> from recovery_toolkit import analysis
>>> episodes = analysis.episode_table(rt.load_logs(rt.sample_path()).logs)
>>> hazard_ratios(episodes)["reference"].unique().tolist()
['chiropractic']
"""

from __future__ import annotations

import html
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import RecoveryToolkitWarning
from ..schemas import TREATMENT_DTYPE
from .clustering import patient_codes
from .codes import sorted_codes
from .cox import CoxFit, fit_cox
from .intervals import Z95
from .partials import add_counts
from .resolution import sore_episodes
from .sampling import MODELS, sample_for_model
from .settings import Settings, resolve

__all__ = [
    "LogRankResult",
    "hazard_ratios",
    "logrank",
    "logrank_counts",
    "logrank_from_counts",
]

#: The reference treatment type of :func:`hazard_ratios` (the first present one otherwise).
REFERENCE = "chiropractic"
_HR_COLUMNS = ["treatment_type", "reference", "hr", "ci_low", "ci_high", "p_value"]


@dataclass(frozen=True)
class LogRankResult:
    """Log-rank test of equal time-to-resolution distributions across groups."""

    statistic: float
    dof: int
    p_value: float
    groups: tuple[str, ...]
    caution: str = ""
    strata: str = ""

    def _repr_html_(self) -> str:
        caution = f"<br><em>{html.escape(self.caution)}</em>" if self.caution else ""
        within = f", stratified by {html.escape(self.strata)}" if self.strata else ""
        return (
            f"<p>Log-rank test across {len(self.groups)} groups{within}: "
            f"χ² = {self.statistic:.2f} on {self.dof} df, p = {self.p_value:.3g}{caution}</p>"
        )


def _logrank_terms(
    time: np.ndarray, event: np.ndarray, group: np.ndarray, groups: int, weight: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Observed minus expected events per group and their covariance, from event and at-risk
    counts per distinct time and group (the textbook terms, as ``survdiff`` computes them);
    ``weight``: how many episodes each (time, event, group) row stands for."""
    times, at = np.unique(time, return_inverse=True)
    cells = at * groups + group
    size = len(times) * groups
    events = np.bincount(cells[event], weights=weight[event], minlength=size).reshape(-1, groups)
    leaving = np.bincount(cells, weights=weight, minlength=size).reshape(-1, groups)
    at_risk = leaving[::-1].cumsum(axis=0)[::-1]  # still in the study at t
    n, d = at_risk.sum(axis=1), events.sum(axis=1)
    share = at_risk / n[:, None]
    observed_minus_expected = (events - d[:, None] * share).sum(axis=0)
    weight_t = np.where(n > 1, d * (n - d) / np.maximum(n - 1, 1), 0.0)
    covariance = np.einsum("t,tg,th->gh", weight_t, share, -share)
    covariance[np.diag_indices(groups)] += (weight_t[:, None] * share).sum(axis=0)
    return observed_minus_expected, covariance


def _chi_square(u: np.ndarray, v: np.ndarray) -> float:
    u, v = u[:-1], v[:-1, :-1]
    try:
        return float(u @ np.linalg.solve(v, u))
    except np.linalg.LinAlgError:  # no variance to compare (e.g. every event on one day)
        return float(u @ np.linalg.pinv(v) @ u)


def _strata_labels(episodes: pd.DataFrame, strata: str | None) -> np.ndarray:
    """One label per episode: its stratum (a missing value is a stratum of its own, "")."""
    if not strata:
        return np.full(len(episodes), "", dtype=object)
    if strata not in episodes.columns:
        raise ValueError(f"strata={strata!r} is not a column of the episode table; use 'site'")
    return episodes[strata].astype("str").fillna("").to_numpy(dtype=object)


def logrank(
    episodes: pd.DataFrame,
    settings: Settings | None = None,
    *,
    by: str = "treatment_type",
    caution: str = "",
    strata: str | None = None,
) -> LogRankResult:
    """Log-rank test that time to resolution is the same in every group, optionally within
    strata (``strata=``, default ``settings.stratify_by``); :func:`logrank_from_counts` of
    :func:`logrank_counts`, the same in every engine.

    Only sore episodes enter. Returns NaN statistics and warns when fewer than two groups
    have episodes.

    Examples
    --------
    >>> eps = pd.DataFrame({"g": ["a", "a", "b", "b"], "time": [1, 2, 8, 9],
    ...                     "resolved": [True] * 4})
    >>> result = logrank(eps, by="g")
    >>> result.dof, round(result.statistic, 3), round(result.p_value, 3)
    (1, 2.882, 0.09)
    """
    strata = strata if strata is not None else resolve(settings).stratify_by
    counts = logrank_counts(episodes, by=by, strata=strata)
    return logrank_from_counts([counts], caution=caution, strata=strata)


def logrank_counts(
    episodes: pd.DataFrame, *, by: str = "treatment_type", strata: str | None = None
) -> pd.DataFrame:
    """The mergeable part of :func:`logrank`: sore episodes per stratum, group, time and
    whether they resolved then (whole numbers that add up over any split of the episodes).

    Examples
    --------
    >>> eps = pd.DataFrame({"g": ["a", "a", "b"], "time": [1, 1, 8], "resolved": [True] * 3})
    >>> logrank_counts(eps, by="g")["episodes"].tolist()
    [2, 1]
    """
    reads = ["population", by, "time", "resolved", *([strata] if strata else [])]
    sore = sore_episodes(episodes[[c for c in dict.fromkeys(reads) if c in episodes.columns]])
    # the groups as ranks of their names: sorting the codes sorts the names
    code, names = sorted_codes(sore[by])
    known = code >= 0  # a missing group is no group
    frame = pd.DataFrame(
        {
            "stratum": _strata_labels(sore, strata)[known],
            "group": code[known],
            "time": sore["time"].to_numpy(dtype=float)[known],
            "event": sore["resolved"].to_numpy(dtype=bool)[known],
        }
    )
    keys = ["stratum", "group", "time", "event"]
    counts = frame.groupby(keys, sort=True).size().rename("episodes").reset_index()
    counts["group"] = names.take(counts["group"].to_numpy())
    return counts.astype({"episodes": "int64"})


def logrank_from_counts(
    counts: list[pd.DataFrame], *, caution: str = "", strata: str | None = None
) -> LogRankResult:
    """:func:`logrank` from the :func:`logrank_counts` of any split of the episodes.

    Examples
    --------
    >>> part = pd.DataFrame({"stratum": [""] * 2, "group": ["a", "b"], "time": [1.0, 8.0],
    ...                      "event": [True, True], "episodes": [2, 2]})
    >>> logrank_from_counts([part, part]).dof
    1
    """
    table = add_counts(counts, ["stratum", "group", "time", "event"])
    present = tuple(sorted(table["group"].unique()))
    if len(present) < 2:
        warnings.warn(
            "the log-rank test needs two groups or more", RecoveryToolkitWarning, stacklevel=3
        )
        return LogRankResult(np.nan, 0, np.nan, present, caution, strata or "")
    code = pd.Categorical(table["group"], categories=present).codes.astype(np.int64)
    u = np.zeros(len(present))
    v = np.zeros((len(present), len(present)))
    layer = table["stratum"].to_numpy()
    time = table["time"].to_numpy(dtype=float)
    event = table["event"].to_numpy(dtype=bool)
    weight = table["episodes"].to_numpy(dtype=float)
    for stratum in np.unique(layer):
        here = layer == stratum
        du, dv = _logrank_terms(time[here], event[here], code[here], len(present), weight[here])
        u, v = u + du, v + dv
    statistic = _chi_square(u, v)
    dof = len(present) - 1
    p_value = float(stats.chi2.sf(statistic, dof))  # survdiff's own p underflows to 0
    return LogRankResult(float(statistic), dof, p_value, present, caution, strata or "")


def _reference(types: list[str], reference: str) -> str:
    if reference in types:
        return reference
    warnings.warn(
        f"no sore {reference} episodes: hazard ratios are against {types[0]} instead",
        RecoveryToolkitWarning,
        stacklevel=3,
    )
    return types[0]


def hazard_ratios(
    episodes: pd.DataFrame,
    settings: Settings | None = None,
    *,
    reference: str = REFERENCE,
) -> pd.DataFrame:
    """Cox hazard ratio of confirmed resolution for each treatment type against ``reference``,
    95 % CI and p from a robust variance by patient (Efron score residuals,
    :func:`~recovery_toolkit.analysis.cox.fit_cox`); stratified
    by ``settings.stratify_by``.

    Returns ``treatment_type, reference, hr, ci_low, ci_high, p_value`` in vocabulary order;
    the reference's own row has HR 1 and no interval. Warns (and leaves the ratios empty)
    when fewer than two types have sore episodes or the model does not converge.

    Examples
    --------
    >>> eps = pd.DataFrame({"treatment_type": ["chiropractic"] * 4 + ["injection"] * 4,
    ...                     "patient_id": list("abcdefgh"),
    ...                     "time": [1, 2, 3, 4, 2, 4, 6, 8], "resolved": [True] * 8})
    >>> table = hazard_ratios(eps)
    >>> table["treatment_type"].tolist(), bool(table["hr"].iloc[1] < 1)
    (['chiropractic', 'injection'], True)
    """
    s = resolve(settings)
    sore = sample_for_model(sore_episodes(episodes), s, MODELS["hazard_ratios"])
    present = set(sore["treatment_type"].astype("str"))
    order = [t for t in TREATMENT_DTYPE.categories if t in present]
    if len(order) < 2:
        warnings.warn(
            "hazard ratios need sore episodes of two treatment types or more",
            RecoveryToolkitWarning,
            stacklevel=2,
        )
        return pd.DataFrame({c: pd.Series([], dtype=object) for c in _HR_COLUMNS})
    reference = _reference(order, reference)
    others = [t for t in order if t != reference]
    types = sore["treatment_type"].astype("str").to_numpy()
    exog = np.column_stack([(types == t).astype(float) for t in others])
    fit = _cox(sore, exog, pd.factorize(_strata_labels(sore, s.stratify_by))[0])
    errors = np.full(len(others), np.nan) if fit is None else fit.standard_errors
    rows = [{"treatment_type": reference, "hr": 1.0}]
    for i, name in enumerate(others):
        beta, se = (np.nan, errors[i]) if fit is None else (fit.params[i], errors[i])
        rows.append(
            {
                "treatment_type": name,
                "hr": float(np.exp(beta)),
                "ci_low": float(np.exp(beta - Z95 * se)),
                "ci_high": float(np.exp(beta + Z95 * se)),
                "p_value": float(2 * stats.norm.sf(abs(beta / se))),
            }
        )
    table = pd.DataFrame(rows).assign(reference=reference)
    table["treatment_type"] = pd.Categorical(table["treatment_type"], categories=order)
    table = table.sort_values("treatment_type").reset_index(drop=True)
    table["treatment_type"] = table["treatment_type"].astype("str")
    return table.reindex(columns=_HR_COLUMNS)


def _cox(sore: pd.DataFrame, exog: np.ndarray, strata: np.ndarray) -> CoxFit | None:
    """The fitted stratified Cox model (robust variance by patient), or ``None`` with a
    warning when it cannot be fitted."""
    fit = fit_cox(
        sore["time"].to_numpy(dtype=float),
        sore["resolved"].to_numpy(dtype=float),
        exog,
        strata,
        patient_codes(sore),
    )
    if fit is None:
        warnings.warn(
            "the Cox model of treatment types did not converge: no hazard ratios",
            RecoveryToolkitWarning,
            stacklevel=3,
        )
    return fit
