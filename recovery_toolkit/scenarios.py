"""Synthetic scenarios with a known truth, to validate the estimators (docs/validation.md).

Each scenario returns the same episodes twice: fully observed (the truth) and as a clinic
would see them, with the trap the scenario is about. An estimator is unbiased for the question
when it gives, on the observed data, what the plain estimate gives on the full data.

* :func:`dropout_scenario` — patients who are still sore stop logging more often (drop-out
  that depends on soreness: missing at random given the last observed score).
* :func:`null_adherence_scenario` — adherence follows that day's soreness and has no effect at
  all on recovery.

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

__all__ = ["dropout_scenario", "logs_from_grid", "null_adherence_scenario"]

_DAYS = 15  # days 0..14, the default window


def logs_from_grid(
    soreness: np.ndarray,
    observed: np.ndarray,
    *,
    treatment_type: str = "injection",
    start: str = "2025-01-06",
) -> pd.DataFrame:
    """Canonical logs from an episodes x days grid of soreness, keeping the observed cells
    (no red flags or checklist answers; one patient per episode).

    Examples
    --------
    >>> grid = np.array([[6, 4, 2], [5, 5, 5]])
    >>> logs_from_grid(grid, np.array([[True, True, True], [True, False, True]]))["day"].tolist()
    [0, 1, 2, 0, 2]
    """
    e, d = np.nonzero(observed)
    frame = pd.DataFrame(
        {
            "patient_id": pd.Series([f"P{i:06d}" for i in e], dtype="str"),
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
    for column in ("site", "clinician", "notes"):
        frame[column] = pd.Series([None] * len(frame), dtype="str")
    return frame[list(CANONICAL_COLUMNS)]


def _fading_soreness(rng: np.random.Generator, episodes: int) -> np.ndarray:
    """Soreness that fades from a baseline of 4–9 with a half-life of about 3 days."""
    days = np.arange(_DAYS)
    baseline = rng.uniform(4, 9, episodes)
    half_life = rng.lognormal(np.log(3), 0.6, episodes)
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
