"""Home-care adherence and recovery by landmark: association, not effect.

Comparing recovery between patients who followed the checklist and those who did not, over the
whole window, is biased by design: adherence is averaged over days after resolution, and some
items are scored only on sore days. Here (docs/methods.md; Dafni 2011):

* **cohort**: sore episodes still unresolved and logging on the landmark day L
  (``Settings.landmark_day``, 3): resolution, if any, on day L or later, and a log on day L or
  later;
* **exposure**: each checklist item's adherent share on days 0..L−1 (episodes that never
  answered it before L are left out of that item's model), and the adherence score (the mean of
  the item shares);
* **outcome**: days from L to confirmed resolution, censored as in time to resolution;
* **model**: Cox proportional hazards (statsmodels ``PHReg``), stratified by treatment type,
  adjusted for baseline soreness, mean soreness over the logged days 0..L−1 and soreness at
  the last log before L (adherence follows soreness), robust variance by patient from Efron
  score residuals (:mod:`~recovery_toolkit.analysis.cox`). The hazard
  ratio is per 1.0 of adherent share (adherent on every day before L against on none); above
  1 means faster resolution with adherence. p-values of the items get Benjamini–Hochberg
  q-values.

Examples
--------
>>> import recovery_toolkit as rt
>>> from recovery_toolkit import analysis
>>> episodes = analysis.episode_table(rt.load_logs(rt.sample_path()).logs)
>>> table = adherence_landmark(episodes)
>>> table.columns.tolist()[:4]
['landmark_day', 'item', 'episodes', 'events']
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.multitest import multipletests

from ..errors import RecoveryToolkitWarning
from ..schemas import EpisodeTable
from .care_days import ADHERENCE_ITEMS
from .cox import fit_cox
from .resolution import sore_episodes
from .sampling import MODELS, sample_for_model
from .settings import Settings, resolve

__all__ = ["CAUTION", "at_landmark", "at_landmark_mask", "landmark_cohort", "adherence_landmark"]

CAUTION = (
    "Association, not effect: adherence before the landmark is compared among patients still "
    "sore on that day, with their soreness held fixed; they may still differ in ways the data "
    "do not show."
)
_COLUMNS = [
    "landmark_day",
    "item",
    "episodes",
    "events",
    "hr",
    "ci_low",
    "ci_high",
    "p_value",
    "q_value",
]


def landmark_cohort(episodes: pd.DataFrame, settings: Settings | None = None) -> pd.DataFrame:
    """The landmark cohort with its outcome and adjustments: ``time_from_landmark``,
    ``resolved``, ``baseline_soreness``, ``mean_soreness_before`` and
    ``last_soreness_before``, and per item its adherent share before the landmark.

    Examples
    --------
    >>> import recovery_toolkit as rt
    >>> from recovery_toolkit import analysis
    >>> cohort = landmark_cohort(analysis.episode_table(rt.load_logs(rt.sample_path()).logs))
    >>> bool((cohort["time_from_landmark"] >= 0).all())
    True
    """
    s = resolve(settings)
    return _derived(at_landmark(episodes, s.landmark_day), s.landmark_day)


def at_landmark_mask(episodes: pd.DataFrame, day: int) -> np.ndarray:
    """Per episode: unresolved and logging on ``day`` (time and last log on or after it).

    Examples
    --------
    >>> at_landmark_mask(pd.DataFrame({"time": [5.0, 2.0], "last_day": [6, 9]}), 3).tolist()
    [True, False]
    """
    time = episodes["time"].to_numpy(dtype=float, na_value=np.nan)
    return (time >= day) & (episodes["last_day"].to_numpy() >= day)


def at_landmark(episodes: pd.DataFrame, day: int) -> pd.DataFrame:
    """The sore episodes unresolved and logging on ``day``, with the columns the cohort's
    measures are derived from (row by row, so a sample can be drawn first).

    Examples
    --------
    >>> import recovery_toolkit as rt
    >>> from recovery_toolkit import analysis
    >>> len(at_landmark(analysis.episode_table(rt.load_logs(rt.sample_path()).logs), 3))
    207
    """
    sore = sore_episodes(episodes)
    there = at_landmark_mask(sore, day)
    reads = [
        *(["episode_id"] if "episode_id" in sore.columns else []),
        "patient_id",
        "treatment_type",
        "time",
        "resolved",
        "last_day",
        "baseline_soreness",
        *(EpisodeTable.soreness_on(d) for d in range(day)),
        *(EpisodeTable.answered_before(item) for item in ADHERENCE_ITEMS),
        *(EpisodeTable.adherent_before(item) for item in ADHERENCE_ITEMS),
    ]
    return sore.loc[there, reads]


def _derived(cohort: pd.DataFrame, day: int) -> pd.DataFrame:
    """Outcome, adjustments and adherence shares of the episodes of :func:`at_landmark`."""
    before = cohort[[EpisodeTable.soreness_on(d) for d in range(day)]].astype("Float64")
    values = before.to_numpy(dtype=float, na_value=np.nan)
    last = pd.DataFrame(values).ffill(axis=1).iloc[:, -1].to_numpy()
    out = pd.DataFrame(
        {
            "patient_id": cohort["patient_id"].to_numpy(),
            "treatment_type": cohort["treatment_type"].astype("str").to_numpy(),
            "time_from_landmark": cohort["time"].to_numpy(dtype=float) - day,
            "resolved": cohort["resolved"].to_numpy(dtype=bool),
            "baseline_soreness": cohort["baseline_soreness"].to_numpy(dtype=float),
            "mean_soreness_before": np.nanmean(values, axis=1) if len(cohort) else [],
            "last_soreness_before": last,
        }
    )
    shares = []
    for item in ADHERENCE_ITEMS:
        answered = cohort[EpisodeTable.answered_before(item)].to_numpy(dtype=float)
        adherent = cohort[EpisodeTable.adherent_before(item)].to_numpy(dtype=float)
        with np.errstate(invalid="ignore", divide="ignore"):
            out[item] = np.where(answered > 0, adherent / np.maximum(answered, 1), np.nan)
        shares.append(out[item].to_numpy())
    stacked = np.vstack(shares) if shares else np.empty((0, len(out)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # an episode with no answer at all
        out["score"] = np.nanmean(stacked, axis=0) if len(out) else []
    return out


#: The adjustments of every landmark model (soreness at baseline and before the landmark).
_ADJUST = ["baseline_soreness", "mean_soreness_before", "last_soreness_before"]


@dataclass(frozen=True)
class _Cohort:
    """The landmark cohort as arrays, read once for the models of every item: outcome,
    adjustments (rows with all of them), treatment type and patient."""

    time: np.ndarray
    resolved: np.ndarray
    adjust: np.ndarray
    adjusted: np.ndarray
    types: np.ndarray
    patients: np.ndarray

    @classmethod
    def of(cls, cohort: pd.DataFrame) -> _Cohort:
        adjust = cohort[_ADJUST].to_numpy(dtype=float)
        return cls(
            time=cohort["time_from_landmark"].to_numpy(dtype=float),
            resolved=cohort["resolved"].to_numpy(dtype=bool),
            adjust=adjust,
            adjusted=~np.isnan(adjust).any(axis=1),
            types=cohort["treatment_type"].to_numpy(),  # as labels: the model codes them
            patients=cohort["patient_id"].to_numpy(),
        )


def _fit(cohort: _Cohort, exposure: np.ndarray, name: str) -> dict[str, float]:
    """One stratified Cox model: HR per 1.0 of ``exposure`` with its robust 95 % CI and p,
    on the episodes with the exposure and every adjustment."""
    rows = cohort.adjusted & ~np.isnan(exposure)
    resolved = cohort.resolved[rows]
    empty = {"episodes": int(rows.sum()), "events": int(resolved.sum())}
    nan = dict.fromkeys(("hr", "ci_low", "ci_high", "p_value"), np.nan)
    if empty["events"] < 2 or len(np.unique(exposure[rows])) < 2:
        return empty | nan
    fit = fit_cox(
        cohort.time[rows],
        resolved.astype(float),
        # column by column in memory, as a frame's values are: BLAS then adds in one order
        np.asfortranarray(np.column_stack([exposure[rows], cohort.adjust[rows]])),
        cohort.types[rows],
        cohort.patients[rows],
    )
    if fit is None:
        warnings.warn(
            f"the landmark Cox model of {name} did not converge: no hazard ratio",
            RecoveryToolkitWarning,
            stacklevel=3,
        )
        return empty | nan
    beta, se = float(fit.params[0]), float(fit.standard_errors[0])
    z = stats.norm.ppf(0.975)
    return empty | {
        "hr": float(np.exp(beta)),
        "ci_low": float(np.exp(beta - z * se)),
        "ci_high": float(np.exp(beta + z * se)),
        "p_value": float(2 * stats.norm.sf(abs(beta / se))),
    }


def adherence_landmark(episodes: pd.DataFrame, settings: Settings | None = None) -> pd.DataFrame:
    """Per checklist item and for the score: episodes and resolutions in the landmark cohort,
    the adjusted hazard ratio of resolution per 1.0 of adherent share before the landmark, its
    95 % CI (robust by patient), p and the Benjamini–Hochberg q across items (the score, one
    test of its own, has no q). Warns instead of failing when nobody reaches the landmark or a
    model does not converge.

    Examples
    --------
    >>> import recovery_toolkit as rt
    >>> from recovery_toolkit import analysis
    >>> episodes = analysis.episode_table(rt.load_logs(rt.sample_path()).logs)
    >>> row = adherence_landmark(episodes).set_index("item").loc["score"]
    >>> bool(row["ci_low"] < row["hr"] < row["ci_high"])
    True
    """
    s = resolve(settings)
    at = sample_for_model(at_landmark(episodes, s.landmark_day), s, MODELS["adherence_landmark"])
    cohort = _derived(at, s.landmark_day)  # sampled first: each row's measures are its own
    if cohort.empty:
        warnings.warn(
            f"nobody is sore, unresolved and logging on day {s.landmark_day}: the landmark "
            "analysis of adherence is empty",
            RecoveryToolkitWarning,
            stacklevel=2,
        )
        return pd.DataFrame({c: pd.Series([], dtype=object) for c in _COLUMNS})
    arrays = _Cohort.of(cohort)
    rows = [
        {"item": item, **_fit(arrays, cohort[item].to_numpy(dtype=float), item)}
        for item in (*ADHERENCE_ITEMS, "score")
    ]
    table = pd.DataFrame(rows)
    items = table["item"] != "score"
    p = table.loc[items, "p_value"].to_numpy(dtype=float)
    q = np.full(len(p), np.nan)
    tested = np.isfinite(p)
    if tested.any():
        q[tested] = multipletests(p[tested], method="fdr_bh")[1]
    table.loc[items, "q_value"] = q
    table.insert(0, "landmark_day", s.landmark_day)
    return table[_COLUMNS].astype({"episodes": "int64", "events": "int64"})
