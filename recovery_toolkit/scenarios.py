"""Synthetic scenarios with a known truth, to validate the estimators (docs/validation.md).

Each scenario returns the same episodes twice: fully observed (the truth) and as a clinic
would see them, with the trap the scenario is about. An estimator is unbiased for the question
when it gives, on the observed data, what the plain estimate gives on the full data.

* :func:`dropout_scenario` — patients who are still sore stop logging more often (drop-out
  that depends on soreness: missing at random given the last observed score).
* :func:`null_adherence_scenario` — adherence follows that day's soreness and has no effect at
  all on recovery.
* :func:`adherence_effect_scenario` — adherence before the landmark day multiplies the hazard
  of resolution after it by a known ratio.
* :func:`clustered_scenario` — patients with several episodes that share how slowly they
  recover and how often they report a red flag.

Examples
--------
>>> full, observed = dropout_scenario(50, rng=1)
>>> len(observed) < len(full)
True
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .schemas import BOOLEAN_COLUMNS, CANONICAL_COLUMNS, TREATMENT_DTYPE

__all__ = [
    "adherence_effect_scenario",
    "clustered_scenario",
    "dropout_scenario",
    "logs_from_grid",
    "null_adherence_scenario",
]

_DAYS = 15  # days 0..14, the default window


def logs_from_grid(
    soreness: np.ndarray,
    observed: np.ndarray,
    *,
    treatment_type: str = "injection",
    start: str = "2025-01-06",
    patients: np.ndarray | None = None,
    answers: dict[str, np.ndarray] | None = None,
) -> pd.DataFrame:
    """Canonical logs from an episodes x days grid of soreness, keeping the observed cells.

    ``patients`` gives each episode's patient number (default: one patient per episode);
    ``answers`` maps a yes/no column (a flag, a checklist item) to an episodes x days grid of
    its answers. Other yes/no columns are unanswered.

    Examples
    --------
    >>> grid = np.array([[6, 4, 2], [5, 5, 5]])
    >>> logs_from_grid(grid, np.array([[True, True, True], [True, False, True]]))["day"].tolist()
    [0, 1, 2, 0, 2]
    """
    e, d = np.nonzero(observed)
    owner = e if patients is None else np.asarray(patients)[e]
    frame = pd.DataFrame(
        {
            "patient_id": pd.Series([f"P{i:06d}" for i in owner], dtype="str"),
            "episode_id": pd.Series([f"E{i:06d}" for i in e], dtype="str"),
            "treatment_type": pd.Categorical([treatment_type] * len(e), dtype=TREATMENT_DTYPE),
            "treatment_date": pd.Timestamp(start),
            "day": d.astype("int64"),
            "soreness": np.asarray(soreness)[e, d].astype("int64"),
        }
    )
    frame["treatment_date"] = frame["treatment_date"].astype("datetime64[us]")
    frame["log_date"] = frame["treatment_date"] + pd.to_timedelta(frame["day"], unit="D")
    for column in BOOLEAN_COLUMNS:
        frame[column] = pd.array([pd.NA] * len(frame), dtype="boolean")
    for column, grid in (answers or {}).items():
        frame[column] = pd.array(np.asarray(grid, dtype=bool)[e, d], dtype="boolean")
    for column in ("site", "clinician", "notes"):
        frame[column] = pd.Series([None] * len(frame), dtype="str")
    return frame[list(CANONICAL_COLUMNS)]


def _fading_soreness(
    rng: np.random.Generator, episodes: int, slowness: np.ndarray | None = None
) -> np.ndarray:
    """Soreness that fades from a baseline of 4–9 with a half-life of about 3 days (times
    ``exp(slowness)`` per episode when given)."""
    days = np.arange(_DAYS)
    baseline = rng.uniform(4, 9, episodes)
    half_life = rng.lognormal(np.log(3), 0.6, episodes)
    if slowness is not None:
        half_life = half_life * np.exp(slowness)
    expected = baseline[:, None] * np.exp(-np.log(2) * days / half_life[:, None])
    noise = rng.normal(0.0, 0.8, (episodes, _DAYS))
    soreness = np.clip(np.rint(expected + noise), 0, 10).astype(int)
    soreness[:, 0] = np.clip(np.rint(baseline), 3, 10)
    return soreness


def dropout_scenario(
    episodes: int,
    *,
    rng: int | np.random.Generator = 0,
    dropout: float = 0.25,
    sore_from: int = 5,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Soreness that fades (baseline 4–9, half-life about 3 days) and, from day 1, a daily
    chance ``dropout`` of stopping for good when yesterday's soreness was at least
    ``sore_from``. Returns (full, observed) logs of the same episodes.

    Examples
    --------
    >>> full, observed = dropout_scenario(200, rng=3)
    >>> full["episode_id"].nunique() == observed["episode_id"].nunique() == 200
    True
    """
    rng = np.random.default_rng(rng)
    soreness = _fading_soreness(rng, episodes)
    observed = np.ones_like(soreness, dtype=bool)
    stopped = np.zeros(episodes, dtype=bool)
    for day in range(1, _DAYS):
        stopped |= (soreness[:, day - 1] >= sore_from) & (rng.random(episodes) < dropout)
        observed[:, day] = ~stopped
    full = np.ones_like(observed)
    return logs_from_grid(soreness, full), logs_from_grid(soreness, observed)


def null_adherence_scenario(episodes: int, *, rng: int | np.random.Generator = 0) -> pd.DataFrame:
    """Every day is logged; gentle movement is followed with a probability that falls with
    that day's soreness (0.9 at 0, 0.2 at 10) and changes nothing about recovery: the true
    hazard ratio of resolution for adherence is 1. Other checklist items are unanswered.

    Examples
    --------
    >>> logs = null_adherence_scenario(100, rng=1)
    >>> logs["care_gentle_movement"].notna().all()
    np.True_
    """
    rng = np.random.default_rng(rng)
    soreness = _fading_soreness(rng, episodes)
    logs = logs_from_grid(soreness, np.ones_like(soreness, dtype=bool))
    chance = 0.9 - 0.07 * logs["soreness"].to_numpy()
    logs["care_gentle_movement"] = pd.array(rng.random(len(logs)) < chance, dtype="boolean")
    return logs


def adherence_effect_scenario(
    episodes: int,
    *,
    hazard_ratio: float = 1.5,
    landmark_day: int = 3,
    rng: int | np.random.Generator = 0,
) -> pd.DataFrame:
    """Every day is logged; each episode follows gentle movement on each day with its own
    probability (Beta(2, 2)); after ``landmark_day`` resolution comes with a hazard of 0.25 a
    day times ``hazard_ratio`` to the power of the adherent share of days 0..L−1, grouped into
    days (so the true landmark hazard ratio per 1.0 of share is ``hazard_ratio``). Soreness
    stays at 3 or more until resolution, which a later day confirms, and at 0–2 after it.

    Examples
    --------
    >>> logs = adherence_effect_scenario(100, rng=1)
    >>> int(logs.loc[logs["day"] == 0, "soreness"].min()) >= 4
    True
    """
    rng = np.random.default_rng(rng)
    days = np.arange(_DAYS)
    propensity = rng.beta(2, 2, episodes)
    adherent = rng.random((episodes, _DAYS)) < propensity[:, None]
    share = adherent[:, :landmark_day].mean(axis=1)
    waiting = rng.exponential(1 / (0.25 * hazard_ratio**share))
    resolution = landmark_day + np.floor(waiting)  # beyond the window: never seen
    baseline = rng.integers(4, 10, episodes)
    path = baseline[:, None] - (baseline[:, None] - 3) * days / (_DAYS - 1)
    sore = np.clip(np.rint(path + rng.normal(0, 0.7, (episodes, _DAYS))), 3, 10)
    sore[:, 0] = baseline
    low = rng.integers(0, 3, (episodes, _DAYS))
    soreness = np.where(days[None, :] >= resolution[:, None], low, sore).astype(int)
    observed = np.ones_like(soreness, dtype=bool)
    return logs_from_grid(soreness, observed, answers={"care_gentle_movement": adherent})


def clustered_scenario(
    patients: int,
    *,
    rng: int | np.random.Generator = 0,
    dropout: float = 0.05,
    frailty_sd: float = 0.8,
    flag_rate: float = 0.01,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Patients with 1–4 episodes (2.5 on average) who share a frailty: a patient's episodes
    recover alike (half-life times ``exp(N(0, frailty_sd))``) and report worsening pain alike
    (a daily chance ``flag_rate`` times a log-normal patient factor). From day 1 every
    episode stops logging with probability ``dropout`` a day, whatever its soreness (so
    Kaplan–Meier and cumulative incidence are unbiased; only their intervals are at stake).
    Returns (full, observed) logs of the same episodes.

    Examples
    --------
    >>> full, observed = clustered_scenario(50, rng=2)
    >>> full["patient_id"].nunique() == 50 < full["episode_id"].nunique()
    True
    """
    rng = np.random.default_rng(rng)
    owner = np.repeat(np.arange(patients), rng.integers(1, 5, patients))
    episodes = len(owner)
    slowness = rng.normal(0.0, frailty_sd, patients)[owner]
    soreness = _fading_soreness(rng, episodes, slowness)
    chance = flag_rate * rng.lognormal(0.0, 1.0, patients)[owner]
    flags = rng.random((episodes, _DAYS)) < np.minimum(chance, 1)[:, None]
    observed = np.ones_like(soreness, dtype=bool)
    stopped = np.zeros(episodes, dtype=bool)
    for day in range(1, _DAYS):
        stopped |= rng.random(episodes) < dropout
        observed[:, day] = ~stopped
    answers = {"flag_worsening_pain": flags}
    full = logs_from_grid(soreness, np.ones_like(observed), patients=owner, answers=answers)
    seen = logs_from_grid(soreness, observed, patients=owner, answers=answers)
    return full, seen
