"""Synthetic soreness logs with realistic, treatment-dependent recovery.

The generator is for demos, tests and benchmarks: it never sees real patients. Its model:

* soreness peaks on the treatment day (day 1 after chiropractic) and fades exponentially with a
  half-life that depends on the treatment type (chiropractic fastest, minor procedures slowest),
  on the patient, and on home-care adherence (better adherence, faster recovery);
* a few episodes worsen again after day 3 (persistent worsening);
* reported red flags at type-dependent rates: worsening pain is common, serious flags (bladder or
  bowel change, chest symptoms) are rare; infection signs mostly after injections and procedures;
* the nine home-care items answered most days, followed with a per-patient propensity;
  cold on days 0-1, heat later when stiff;
* skipped days, drop-outs, occasional late follow-up logs, several sites and clinicians, some
  patients with more than one episode, and optional free-text notes.

Everything is vectorised over episodes, so a million episodes take seconds.

Examples
--------
>>> from recovery_toolkit.synth import generate_logs
>>> logs = generate_logs(50, rng=1)
>>> sorted(logs["treatment_type"].unique().tolist())[:2]
['chiropractic', 'injection']
>>> int(logs["soreness"].max()) <= 10
True
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import vocab
from .schemas import CANONICAL_COLUMNS, TREATMENT_DTYPE

__all__ = ["TypeProfile", "PROFILES", "generate_logs"]


@dataclass(frozen=True)
class TypeProfile:
    """How soreness and red flags behave after one treatment type.

    ``flag_rates`` are per-episode probabilities that the flag is reported at least once.
    """

    share: float
    peak: float
    half_life: float
    persistent_worsening: float
    flag_rates: dict[str, float]


PROFILES: dict[str, TypeProfile] = {
    "chiropractic": TypeProfile(
        share=0.35,
        peak=4.6,
        half_life=1.1,
        persistent_worsening=0.03,
        flag_rates={
            "flag_worsening_pain": 0.09,
            "flag_infection_signs": 0.002,
            "flag_neuro_deficit": 0.006,
            "flag_bladder_bowel": 0.001,
            "flag_cardiopulmonary": 0.002,
        },
    ),
    "physical_therapy": TypeProfile(
        share=0.30,
        peak=4.4,
        half_life=1.9,
        persistent_worsening=0.04,
        flag_rates={
            "flag_worsening_pain": 0.08,
            "flag_infection_signs": 0.002,
            "flag_neuro_deficit": 0.005,
            "flag_bladder_bowel": 0.001,
            "flag_cardiopulmonary": 0.003,
        },
    ),
    "injection": TypeProfile(
        share=0.20,
        peak=5.6,
        half_life=2.9,
        persistent_worsening=0.06,
        flag_rates={
            "flag_worsening_pain": 0.12,
            "flag_infection_signs": 0.015,
            "flag_neuro_deficit": 0.015,
            "flag_bladder_bowel": 0.003,
            "flag_cardiopulmonary": 0.004,
        },
    ),
    "minor_procedure": TypeProfile(
        share=0.15,
        peak=6.6,
        half_life=4.2,
        persistent_worsening=0.08,
        flag_rates={
            "flag_worsening_pain": 0.15,
            "flag_infection_signs": 0.04,
            "flag_neuro_deficit": 0.02,
            "flag_bladder_bowel": 0.004,
            "flag_cardiopulmonary": 0.006,
        },
    ),
}

_SITES = {
    "Northside": ("N-Alvarez", "N-Brooks", "N-Chen"),
    "Riverside": ("R-Dubois", "R-Evans"),
    "Eastgate": ("E-Fischer", "E-Garcia", "E-Hughes"),
    "Harbor": ("H-Iqbal", "H-Jensen"),
}
_SITE_WEIGHTS = np.array([0.35, 0.25, 0.25, 0.15])
_NOTES = (
    "walked 20 minutes",
    "stiff in the morning",
    "slept badly",
    "called the clinic about stiffness",
    "back at work",
    "used ice twice",
    "sat for a long drive",
    "felt better after stretching",
)
_DAYS = 15  # days 0..14 of the default window
_CARE_BASE = {
    "care_gentle_movement": 0.95,
    "care_posture": 0.85,
    "care_sleep": 0.9,
    "care_hydration_nutrition": 0.95,
    "care_avoided_heavy_lifting": 0.9,
    "care_meds_as_directed": 1.0,
    "care_followed_plan": 0.95,
}


def generate_logs(
    n_episodes: int = 400,
    *,
    rng: int | np.random.Generator = 0,
    start: str = "2025-01-06",
    months: int = 14,
    notes: bool = True,
) -> pd.DataFrame:
    """Generate a canonical soreness-log frame for ``n_episodes`` synthetic episodes.

    Parameters
    ----------
    n_episodes : int, default 400
        Number of treatment episodes.
    rng : int or numpy Generator, default 0
        Seed or generator; the same seed gives the same frame.
    start : str, default "2025-01-06"
        First possible treatment date (ISO).
    months : int, default 14
        Treatment dates are spread over this many months from ``start``.
    notes : bool, default True
        Add occasional free-text notes (synthetic phrases, never identifiers).

    Returns
    -------
    DataFrame
        Canonical columns (:data:`~recovery_toolkit.schemas.CANONICAL_COLUMNS`), sorted by
        episode and day.

    Examples
    --------
    >>> generate_logs(10, rng=3)["episode_id"].nunique()
    10
    """
    rng = np.random.default_rng(rng)
    n = int(n_episodes)
    types = np.array(list(PROFILES))
    shares = np.array([p.share for p in PROFILES.values()])
    kind = rng.choice(len(types), size=n, p=shares / shares.sum())
    prof = [PROFILES[t] for t in types]
    peak = np.array([p.peak for p in prof])[kind]
    half_life = np.array([p.half_life for p in prof])[kind]
    adherence = rng.beta(4.0, 1.6, size=n)
    half_life = half_life * rng.lognormal(0.0, 0.35, size=n) * (1.7 - 1.1 * adherence)
    baseline = np.clip(peak + rng.normal(0.0, 1.3, size=n), 1.5, 9.5)

    day = np.arange(_DAYS)
    expected = 0.3 + (baseline[:, None] - 0.3) * np.exp(-np.log(2) * day / half_life[:, None])
    chiro = types[kind] == "chiropractic"
    expected[chiro, 1] += 0.6  # chiropractic soreness tends to peak the day after
    worsening = rng.random(n) < np.array([p.persistent_worsening for p in prof])[kind]
    rise = np.clip(day - 3, 0, None)[None, :] * rng.uniform(0.5, 1.0, size=(n, 1))
    expected = expected + np.where(worsening[:, None], np.minimum(rise, 4.5), 0.0)
    soreness = np.clip(np.rint(expected + rng.normal(0.0, 0.7, size=(n, _DAYS))), 0, 10)

    logged = _logged_days(rng, n)
    flags = _flags(rng, kind, prof, worsening, logged)
    care = _care(rng, adherence, soreness)
    contact = _contact(rng, flags)

    episode_index = np.arange(n)
    patient = _patients(rng, n)
    months_start = pd.Timestamp(start)
    span_days = int((months_start + pd.DateOffset(months=months) - months_start).days)
    treated = months_start + pd.to_timedelta(np.sort(rng.integers(0, span_days, size=n)), "D")
    site_pick = rng.choice(len(_SITES), size=n, p=_SITE_WEIGHTS)
    site_names = np.array(list(_SITES))
    roster = np.array([c for names in _SITES.values() for c in names], dtype=object)
    per_site = np.array([len(names) for names in _SITES.values()])
    first_of_site = np.concatenate([[0], np.cumsum(per_site)[:-1]])
    pick = (rng.random(n) * per_site[site_pick]).astype(int)
    clinician = roster[first_of_site[site_pick] + pick]

    rows_e, rows_d = np.nonzero(logged)
    late = rng.random(n) < 0.08  # a late follow-up call on day 21
    late_e = episode_index[late]
    frame = {
        "episode": np.concatenate([rows_e, late_e]),
        "day": np.concatenate([day[rows_d], np.full(len(late_e), 21)]),
    }
    e, d = frame["episode"], frame["day"]
    in_window = np.concatenate([np.ones(len(rows_e), bool), np.zeros(len(late_e), bool)])
    d_idx = np.where(in_window, d, _DAYS - 1)
    late_sore = np.clip(soreness[late_e, -1] - 1, 0, 10)
    out = pd.DataFrame(
        {
            "patient_id": _ids("P", patient[e], 6),
            "episode_id": _ids("E", e + 1, 7),
            "treatment_type": pd.Categorical(types[kind[e]], dtype=TREATMENT_DTYPE),
            "treatment_date": treated[e].astype("datetime64[us]"),
            "day": d.astype("int64"),
            "soreness": np.concatenate([soreness[rows_e, rows_d], late_sore]).astype("int64"),
        }
    )
    out["log_date"] = out["treatment_date"] + pd.to_timedelta(out["day"], "D")
    for column, values in {**flags, **care, "clinic_contact": contact}.items():
        cells = values[e, d_idx]
        out[column] = pd.array(np.where(in_window, cells, None), dtype="boolean")
    out["site"] = pd.Series(site_names[site_pick[e]], dtype="str")
    out["clinician"] = pd.Series(clinician[e], dtype="str")
    note = np.full(len(out), None, dtype=object)
    if notes:
        has = rng.random(len(out)) < 0.03
        note[has] = rng.choice(np.array(_NOTES, dtype=object), size=int(has.sum()))
    out["notes"] = pd.Series(note, dtype="str")
    out = out.sort_values(["episode_id", "day"], ignore_index=True)
    return out.loc[:, list(CANONICAL_COLUMNS)]


def _ids(prefix: str, numbers: np.ndarray, width: int) -> pd.Series:
    return prefix + pd.Series(numbers, dtype="int64").astype("str").str.zfill(width)


def _patients(rng: np.random.Generator, n: int) -> np.ndarray:
    """About one patient in ten comes back for a second episode."""
    patient = np.arange(1, n + 1)
    repeat = np.flatnonzero(rng.random(n) < 0.1)
    repeat = repeat[repeat > 0]
    patient[repeat] = rng.integers(1, repeat + 1)  # reuse an earlier patient's id
    return patient


def _logged_days(rng: np.random.Generator, n: int) -> np.ndarray:
    """Which of days 0..14 have a log: skipped days and drop-outs."""
    logged = rng.random((n, _DAYS)) > 0.08
    logged[:, 0] = rng.random(n) > 0.03
    drop = rng.random(n) < 0.12
    last = rng.integers(2, 11, size=n)
    logged &= ~(drop[:, None] & (np.arange(_DAYS)[None, :] > last[:, None]))
    empty = ~logged.any(axis=1)
    logged[empty, 0] = True  # every episode has at least one log
    return logged


def _flags(
    rng: np.random.Generator,
    kind: np.ndarray,
    prof: list[TypeProfile],
    worsening: np.ndarray,
    logged: np.ndarray,
) -> dict[str, np.ndarray]:
    n = len(kind)
    out: dict[str, np.ndarray] = {}
    for flag in vocab.RED_FLAGS:
        rate = np.array([p.flag_rates[flag] for p in prof])[kind]
        has = rng.random(n) < rate
        if flag == "flag_worsening_pain":
            has |= worsening & (rng.random(n) < 0.6)
        first = rng.integers(1, 10, size=n)
        first = np.where(worsening & (flag == "flag_worsening_pain"), rng.integers(4, 9, n), first)
        days = np.arange(_DAYS)[None, :]
        on = has[:, None] & ((days == first[:, None]) | (days == first[:, None] + 1))
        answered = rng.random((n, _DAYS)) > 0.04
        out[flag] = np.where(answered | on, on, None)
    return out


def _care(
    rng: np.random.Generator, adherence: np.ndarray, soreness: np.ndarray
) -> dict[str, np.ndarray]:
    n = len(adherence)
    days = np.arange(_DAYS)[None, :]
    out: dict[str, np.ndarray] = {}

    def answered() -> np.ndarray:
        return rng.random((n, _DAYS)) < 0.92

    for item, base in _CARE_BASE.items():
        done = rng.random((n, _DAYS)) < adherence[:, None] * base
        out[item] = np.where(answered(), done, None)
    early = days <= 1
    stiff = soreness >= 3
    cold = np.where(
        early, rng.random((n, _DAYS)) < adherence[:, None], rng.random((n, _DAYS)) < 0.15
    )
    heat = np.where(
        early,
        rng.random((n, _DAYS)) < (1 - adherence[:, None]) * 0.5,
        rng.random((n, _DAYS)) < np.where(stiff, adherence[:, None], 0.3),
    )
    out["care_cold"] = np.where(answered(), cold, None)
    out["care_heat"] = np.where(answered(), heat, None)
    return {item: out[item] for item in vocab.CARE_ITEMS}


def _contact(rng: np.random.Generator, flags: dict[str, np.ndarray]) -> np.ndarray:
    any_flag = np.zeros_like(flags["flag_worsening_pain"], dtype=bool)
    for values in flags.values():
        any_flag |= values == True  # noqa: E712 - object array with None
    n, days = any_flag.shape
    roll = rng.random(n)
    same_day = any_flag & (roll < 0.8)[:, None]
    next_day = np.zeros_like(any_flag)
    next_day[:, 1:] = any_flag[:, :-1] & ((roll >= 0.8) & (roll < 0.92))[:, None]
    background = rng.random((n, days)) < 0.04
    return same_day | next_day | background
