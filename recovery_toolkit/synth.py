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


#: Per treatment type: share of episodes, peak soreness, half-life (days), chance of persistent
#: worsening, then the flag rates in the order of ``vocab.RED_FLAGS`` (worsening pain, infection
#: signs, neuro deficit, bladder/bowel, cardiopulmonary).
_PROFILE_TABLE: dict[str, tuple[float, float, float, float, tuple[float, ...]]] = {
    "chiropractic": (0.35, 4.6, 1.1, 0.03, (0.09, 0.002, 0.006, 0.001, 0.002)),
    "physical_therapy": (0.30, 4.4, 1.9, 0.04, (0.08, 0.002, 0.005, 0.001, 0.003)),
    "injection": (0.20, 5.6, 2.9, 0.06, (0.12, 0.015, 0.015, 0.003, 0.004)),
    "minor_procedure": (0.15, 6.6, 4.2, 0.08, (0.15, 0.04, 0.02, 0.004, 0.006)),
}

PROFILES: dict[str, TypeProfile] = {
    kind: TypeProfile(
        share=share,
        peak=peak,
        half_life=half_life,
        persistent_worsening=worsening,
        flag_rates=dict(zip(vocab.RED_FLAGS, rates, strict=True)),
    )
    for kind, (share, peak, half_life, worsening, rates) in _PROFILE_TABLE.items()
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
    recovery = _recovery(rng, n)
    logged = _logged_days(rng, n)
    flags = _flags(rng, recovery.kind, recovery.worsening, logged)
    care = _care(rng, recovery.adherence, recovery.soreness)
    contact = _contact(rng, flags)
    patient = _patients(rng, n)
    treated = _treatment_dates(rng, n, start, months)
    site, clinician = _sites_and_clinicians(rng, n)
    rows = _log_rows(rng, logged)

    e, d = rows.episode, rows.day
    out = pd.DataFrame(
        {
            "patient_id": _ids("P", patient[e], 6),
            "episode_id": _ids("E", e + 1, 7),
            "treatment_type": pd.Categorical(_TYPES[recovery.kind[e]], dtype=TREATMENT_DTYPE),
            "treatment_date": treated[e].astype("datetime64[us]"),
            "day": d.astype("int64"),
            "soreness": _logged_soreness(recovery.soreness, rows).astype("int64"),
        }
    )
    out["log_date"] = out["treatment_date"] + pd.to_timedelta(out["day"], "D")
    d_idx = np.where(rows.in_window, d, _DAYS - 1)
    for column, values in {**flags, **care, "clinic_contact": contact}.items():
        cells = _only_where(rows.in_window, values[e, d_idx])
        out[column] = pd.array(cells, dtype="boolean")
    out["site"] = pd.Series(site[e], dtype="str")
    out["clinician"] = pd.Series(clinician[e], dtype="str")
    out["notes"] = pd.Series(_notes(rng, len(out), notes), dtype="str")
    out = out.sort_values(["episode_id", "day"], ignore_index=True)
    return out.loc[:, list(CANONICAL_COLUMNS)]


#: Treatment types in profile order; ``_Recovery.kind`` indexes into it.
_TYPES = np.array(list(PROFILES))
_PROFILE_LIST = [PROFILES[t] for t in _TYPES]
#: A 0-d object array holding None: the fill of unanswered cells (``np.where`` needs an array).
_MISSING = np.array(None, dtype=object)


@dataclass(frozen=True)
class _Recovery:
    """Per-episode draws: treatment type index, adherence, worsening, soreness (n x 15)."""

    kind: np.ndarray
    adherence: np.ndarray
    worsening: np.ndarray
    soreness: np.ndarray


@dataclass(frozen=True)
class _LogRows:
    """One entry per log row: episode index, day, whether the day is in the 0..14 window."""

    episode: np.ndarray
    day: np.ndarray
    in_window: np.ndarray
    window_episode: np.ndarray
    window_day: np.ndarray
    late_episode: np.ndarray


def _only_where(answered: np.ndarray, values: np.ndarray) -> np.ndarray:
    """``values`` where ``answered``, else None (an object array)."""
    return np.where(answered, values, _MISSING)


def _profile_values(field: str, kind: np.ndarray) -> np.ndarray:
    """The profile attribute ``field`` of each episode's treatment type."""
    return np.array([getattr(p, field) for p in _PROFILE_LIST])[kind]


def _recovery(rng: np.random.Generator, n: int) -> _Recovery:
    """Treatment type, adherence and the daily soreness curve of ``n`` episodes."""
    shares = _profile_values("share", np.arange(len(_TYPES)))
    kind = rng.choice(len(_TYPES), size=n, p=shares / shares.sum())
    peak = _profile_values("peak", kind)
    half_life = _profile_values("half_life", kind)
    adherence = rng.beta(4.0, 1.6, size=n)
    half_life = half_life * rng.lognormal(0.0, 0.35, size=n) * (1.7 - 1.1 * adherence)
    baseline = np.clip(peak + rng.normal(0.0, 1.3, size=n), 1.5, 9.5)

    day = np.arange(_DAYS)
    expected = 0.3 + (baseline[:, None] - 0.3) * np.exp(-np.log(2) * day / half_life[:, None])
    chiro = _TYPES[kind] == "chiropractic"
    expected[chiro, 1] += 0.6  # chiropractic soreness tends to peak the day after
    worsening = rng.random(n) < _profile_values("persistent_worsening", kind)
    rise = np.clip(day - 3, 0, None)[None, :] * rng.uniform(0.5, 1.0, size=(n, 1))
    expected = expected + np.where(worsening[:, None], np.minimum(rise, 4.5), 0.0)
    soreness = np.clip(np.rint(expected + rng.normal(0.0, 0.7, size=(n, _DAYS))), 0, 10)
    return _Recovery(kind=kind, adherence=adherence, worsening=worsening, soreness=soreness)


def _treatment_dates(rng: np.random.Generator, n: int, start: str, months: int) -> pd.DatetimeIndex:
    """Sorted treatment dates spread uniformly over ``months`` months from ``start``."""
    first = pd.Timestamp(start)
    span_days = int((first + pd.DateOffset(months=months) - first).days)
    return first + pd.to_timedelta(np.sort(rng.integers(0, span_days, size=n)), "D")


def _sites_and_clinicians(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Site (weighted) and a clinician of that site for each of ``n`` episodes."""
    site_pick = rng.choice(len(_SITES), size=n, p=_SITE_WEIGHTS)
    site_names = np.array(list(_SITES))
    roster = np.array([c for names in _SITES.values() for c in names], dtype=object)
    per_site = np.array([len(names) for names in _SITES.values()])
    first_of_site = np.concatenate([[0], np.cumsum(per_site)[:-1]])
    pick = (rng.random(n) * per_site[site_pick]).astype(int)
    return site_names[site_pick], roster[first_of_site[site_pick] + pick]


def _log_rows(rng: np.random.Generator, logged: np.ndarray) -> _LogRows:
    """The logged episode-days, plus a late follow-up call on day 21 for about 8 % of episodes."""
    window_e, window_d = np.nonzero(logged)
    late = rng.random(len(logged)) < 0.08
    late_e = np.arange(len(logged))[late]
    return _LogRows(
        episode=np.concatenate([window_e, late_e]),
        day=np.concatenate([np.arange(_DAYS)[window_d], np.full(len(late_e), 21)]),
        in_window=np.concatenate([np.ones(len(window_e), bool), np.zeros(len(late_e), bool)]),
        window_episode=window_e,
        window_day=window_d,
        late_episode=late_e,
    )


def _logged_soreness(soreness: np.ndarray, rows: _LogRows) -> np.ndarray:
    """Soreness of each log row; a late call reports one point below day 14."""
    late_sore = np.clip(soreness[rows.late_episode, -1] - 1, 0, 10)
    return np.concatenate([soreness[rows.window_episode, rows.window_day], late_sore])


def _notes(rng: np.random.Generator, size: int, notes: bool) -> np.ndarray:
    """Occasional free-text notes (about 3 % of rows), None elsewhere or when ``notes`` is off."""
    note = np.full(size, None, dtype=object)
    if notes:
        has = rng.random(size) < 0.03
        note[has] = rng.choice(np.array(_NOTES, dtype=object), size=int(has.sum()))
    return note


def _ids(prefix: str, numbers: np.ndarray, width: int) -> pd.Series:
    """Zero-padded identifiers such as ``P000012``."""
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
    rng: np.random.Generator, kind: np.ndarray, worsening: np.ndarray, logged: np.ndarray
) -> dict[str, np.ndarray]:
    """Red flags per episode-day (None where unanswered), at the type's per-episode rate."""
    n = len(kind)
    out: dict[str, np.ndarray] = {}
    for flag in vocab.RED_FLAGS:
        rate = np.array([p.flag_rates[flag] for p in _PROFILE_LIST])[kind]
        has = rng.random(n) < rate
        if flag == "flag_worsening_pain":
            has |= worsening & (rng.random(n) < 0.6)
        first = rng.integers(1, 10, size=n)
        first = np.where(worsening & (flag == "flag_worsening_pain"), rng.integers(4, 9, n), first)
        days = np.arange(_DAYS)[None, :]
        on = has[:, None] & ((days == first[:, None]) | (days == first[:, None] + 1))
        answered = rng.random((n, _DAYS)) > 0.04
        out[flag] = _only_where(answered | on, on)
    return out


def _care(
    rng: np.random.Generator, adherence: np.ndarray, soreness: np.ndarray
) -> dict[str, np.ndarray]:
    """Home-care answers per episode-day (None where unanswered), in ``vocab.CARE_ITEMS`` order."""
    n = len(adherence)
    days = np.arange(_DAYS)[None, :]
    out: dict[str, np.ndarray] = {}

    def answered() -> np.ndarray:
        return rng.random((n, _DAYS)) < 0.92

    for item, base in _CARE_BASE.items():
        done = rng.random((n, _DAYS)) < adherence[:, None] * base
        out[item] = _only_where(answered(), done)
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
    out["care_cold"] = _only_where(answered(), cold)
    out["care_heat"] = _only_where(answered(), heat)
    return {item: out[item] for item in vocab.CARE_ITEMS}


def _contact(rng: np.random.Generator, flags: dict[str, np.ndarray]) -> np.ndarray:
    """Clinic contact: mostly on (or the day after) a red flag, plus a little background."""
    any_flag = np.zeros_like(flags["flag_worsening_pain"], dtype=bool)
    for values in flags.values():
        any_flag |= values == True  # noqa: E712 - object array with None
    n, days = len(any_flag), any_flag.shape[1]  # len: an int, so rng.random(n) is an array
    roll = rng.random(n)
    same_day = any_flag & (roll < 0.8)[:, None]
    next_day = np.zeros_like(any_flag)
    next_day[:, 1:] = any_flag[:, :-1] & ((roll >= 0.8) & (roll < 0.92))[:, None]
    background = rng.random((n, days)) < 0.04
    return same_day | next_day | background
