"""Intervals that allow for patients with several episodes (cluster-robust by patient).

Episodes of one patient are not independent (the same person, body and habits), so when any
patient has more than one episode the Greenwood and Wilson intervals, which treat every
episode as independent, are too narrow. Here the variance is the *robust* (sandwich) variance
with the patient as the cluster (docs/methods.md):

* **product-limit estimates** (Kaplan–Meier, IPCW-weighted Kaplan–Meier, cumulative
  incidence as 1 − KM) on whole days: the influence of each episode on log S(t) is
  ``−Σ_{d≤t} (e_id − r_id·h_d) / (R_d − E_d)`` (``e``/``r``: the episode's, possibly
  weighted, event and at-risk indicators on day d; ``E``/``R`` their sums; ``h = E/R``);
  influences are summed within each patient and the variance of log S(t) is the sum of the
  squared patient totals (Williams 1995). With one episode per patient and no weights this is
  exactly Greenwood's variance. Intervals use the log-log transform, as Greenwood's do;
* **proportions**: the robust variance of a mean of 0/1 episode outcomes,
  ``Σ_p (k_p − p·m_p)² / N²``, gives a design effect (never below 1); the Wilson interval is
  then taken at the effective sample size ``N / design effect`` (Korn & Graubard 1998).

:func:`patient_clusters` returns ``None`` when every patient has a single episode: the
analyses then keep their independent-episode intervals (identical numbers), and
:func:`interval_method` says which applies (``manifest.json`` records it).

Examples
--------
>>> eps = pd.DataFrame({"patient_id": ["a", "a", "b"]})
>>> patient_clusters(eps).tolist(), interval_method(eps)
([0, 0, 1], 'cluster-robust by patient')
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .intervals import Z95, wilson_interval

__all__ = [
    "INDEPENDENT",
    "PatientBlocks",
    "ROBUST",
    "clustered_wilson",
    "day_grid",
    "interval_method",
    "interval_method_from_counts",
    "repeat_patient_counts",
    "km_band",
    "loglog_interval",
    "patient_clusters",
    "patient_codes",
    "pattern_km_band",
    "pattern_wilson",
    "loglog_band",
    "product_limit",
    "product_limit_band",
    "product_limit_steps",
    "repeat_clusters",
]

#: :func:`interval_method` when every patient has one episode.
INDEPENDENT = "independent episodes (Greenwood, Wilson)"
#: :func:`interval_method` when a patient has several episodes.
ROBUST = "cluster-robust by patient"


def patient_codes(episodes: pd.DataFrame) -> np.ndarray:
    """An integer code per episode for its patient (the trimmed ``patient_id``); each episode
    its own code when there is no ``patient_id`` column. Factorise once, then take
    :func:`repeat_clusters` of any subset.

    Examples
    --------
    >>> patient_codes(pd.DataFrame({"patient_id": ["a", "b ", "b"]})).tolist()
    [0, 1, 1]
    """
    if "patient_id" not in episodes.columns:
        return np.arange(len(episodes), dtype=np.int64)
    codes = pd.factorize(episodes["patient_id"].astype("str").str.strip())[0]
    return codes.astype(np.int64)


def repeat_clusters(codes: np.ndarray) -> np.ndarray | None:
    """The patient ``codes`` of a set of episodes renumbered 0..k−1 in order of appearance,
    or ``None`` when no patient repeats among them.

    Examples
    --------
    >>> repeat_clusters(np.array([7, 3, 7])).tolist(), repeat_clusters(np.array([7, 3]))
    ([0, 1, 0], None)
    """
    compact, uniques = pd.factorize(np.asarray(codes))
    return None if len(uniques) == len(compact) else compact.astype(np.int64)


def patient_clusters(episodes: pd.DataFrame) -> np.ndarray | None:
    """Integer patient codes, one per episode, when any patient has several episodes.

    ``None`` when every patient has one episode (or there is no ``patient_id`` column): the
    episodes are then the independent units.

    Examples
    --------
    >>> patient_clusters(pd.DataFrame({"patient_id": ["a", "b"]})) is None
    True
    """
    if "patient_id" not in episodes.columns or episodes.empty:
        return None
    return repeat_clusters(patient_codes(episodes))


def interval_method(episodes: pd.DataFrame) -> str:
    """How the intervals of these episodes are computed (:data:`INDEPENDENT` or :data:`ROBUST`).

    Examples
    --------
    >>> interval_method(pd.DataFrame({"patient_id": ["a", "b"]}))
    'independent episodes (Greenwood, Wilson)'
    """
    return INDEPENDENT if patient_clusters(episodes) is None else ROBUST


def repeat_patient_counts(episodes: pd.DataFrame) -> pd.DataFrame:
    """The mergeable part of :func:`interval_method`: patients with several episodes.

    Examples
    --------
    >>> repeat_patient_counts(pd.DataFrame({"patient_id": ["a", "a ", "b"]}))["patients"].tolist()
    [1]
    """
    several = 0
    if "patient_id" in episodes.columns and not episodes.empty:
        several = int((np.bincount(patient_codes(episodes)) > 1).sum())
    return pd.DataFrame({"patients": [several]}, dtype="int64")


def interval_method_from_counts(counts: list[pd.DataFrame]) -> pd.DataFrame:
    """The ``intervals`` table (:func:`interval_method` as its one ``method``) from the
    :func:`repeat_patient_counts` of any split of the patients.

    Examples
    --------
    >>> part = pd.DataFrame({"patients": [0]})
    >>> interval_method_from_counts([part, part.assign(patients=2)])["method"].tolist()
    ['cluster-robust by patient']
    """
    several = sum(int(c["patients"].sum()) for c in counts)
    return pd.DataFrame({"method": [ROBUST if several else INDEPENDENT]})


class PatientBlocks:
    """Episodes grouped by patient once, to list many per-episode codes as patterns.

    A patient's pattern is their episodes' codes, sorted and joined by commas.

    Examples
    --------
    >>> PatientBlocks(np.array([0, 1, 1, 2])).patterns(np.array([5, 9, 3, 5]))
    (['5', '3,9'], [2, 1])
    """

    def __init__(self, patients: np.ndarray) -> None:
        self.order = np.argsort(patients, kind="stable")
        patient = patients[self.order]
        change = np.r_[True, patient[1:] != patient[:-1]] if len(patient) else np.zeros(0, bool)
        starts = np.flatnonzero(change)
        sizes = np.diff(np.r_[starts, len(patient)]).astype(np.int64)
        # the positions of each patient's episodes, one block per number of episodes
        self.blocks = [
            (starts[sizes == size][:, None] + np.arange(size)) for size in np.unique(sizes)
        ]

    def patterns(self, codes: np.ndarray) -> tuple[list[str], list[int]]:
        """The distinct patterns of ``codes`` (one per episode) and their patients."""
        code = codes[self.order]
        base = int(code.max()) + 1 if len(code) else 1
        found: list[str] = []
        counts: list[int] = []
        for positions in self.blocks:
            block = np.sort(code[positions], axis=1)
            size = block.shape[1]
            if size * np.log2(base) < 62:  # each row as one base-`base` number: a fast unique
                key = block @ (base ** np.arange(size - 1, -1, -1, dtype=np.int64))
                _, index, times = np.unique(key, return_index=True, return_counts=True)
                rows = block[index]
            else:
                rows, times = np.unique(block, axis=0, return_counts=True)
            found += [",".join(map(str, row)) for row in rows.tolist()]
            counts += times.tolist()
        return found, counts


def day_grid(time: np.ndarray, event: np.ndarray, days: int) -> tuple[np.ndarray, np.ndarray]:
    """Episode × day indicators (days 0..``days``): at risk (``time >= d``) and event on d.

    Examples
    --------
    >>> at_risk, events = day_grid(np.array([1, 2]), np.array([True, False]), 2)
    >>> at_risk.astype(int).tolist(), events.astype(int).tolist()
    ([[1, 1, 0], [1, 1, 1]], [[0, 1, 0], [0, 0, 0]])
    """
    grid = np.arange(days + 1)
    time = np.asarray(time, dtype=float)[:, None]
    at_risk = time >= grid
    events = np.asarray(event, dtype=bool)[:, None] & (time == grid)
    return at_risk, events


def product_limit_steps(
    risk: np.ndarray, happened: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """From the (possibly weighted) numbers at risk and events of each day: S(d), the hazard
    ``E / R`` and the step ``1 / (R − E)`` of each day (0 where undefined), the pieces of
    every product-limit estimate here and of each episode's influence on log S.

    Examples
    --------
    >>> survival, hazard, step = product_limit_steps(np.array([4.0, 4, 2]), np.array([0.0, 2, 2]))
    >>> survival.tolist(), step.tolist()
    ([1.0, 0.5, 0.0], [0.25, 0.5, 0.0])
    """
    left = risk - happened
    with np.errstate(invalid="ignore", divide="ignore"):
        hazard = np.where(risk > 0, happened / risk, 0.0)
        step = np.where(left > 0, 1.0 / left, 0.0)
    return np.cumprod(1 - hazard), hazard, step


def loglog_band(
    survival: np.ndarray, se_log: np.ndarray, happened: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`loglog_interval`, NaN before the first day with an event (``happened``: events
    per day; S is 1 there, with no variance).

    Examples
    --------
    >>> low, high = loglog_band(np.array([1.0, 0.5]), np.array([0.0, 0.2]), np.array([0, 3]))
    >>> bool(np.isnan(low[0])), round(float(low[1]), 3)
    (True, 0.295)
    """
    low, high = loglog_interval(survival, se_log)
    before = np.cumsum(happened) == 0
    return np.where(before, np.nan, low), np.where(before, np.nan, high)


def product_limit(
    at_risk: np.ndarray, events: np.ndarray, clusters: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """S(d) on each day of a (possibly weighted) discrete-time product-limit estimate, and the
    robust standard error of log S(d) with ``clusters`` (default: each row its own).

    ``at_risk`` and ``events`` are episode × day arrays (indicators, or indicators times
    weights). Where S reaches 0 the standard error is NaN.

    Examples
    --------
    >>> at_risk, events = day_grid(np.array([1, 2, 3, 4]), np.ones(4, bool), 4)
    >>> survival, se = product_limit(at_risk, events)
    >>> survival.round(3).tolist(), se.round(4).tolist()[1]  # Greenwood: sqrt(1/(4*3))
    ([1.0, 0.75, 0.5, 0.25, 0.0], 0.2887)
    """
    r = np.asarray(at_risk, dtype=float)
    e = np.asarray(events, dtype=float)
    survival, hazard, step = product_limit_steps(r.sum(axis=0), e.sum(axis=0))
    influence = -np.cumsum((e - r * hazard) * step, axis=1)
    if clusters is None:
        totals = influence
    else:
        totals = np.stack([np.bincount(clusters, weights=column) for column in influence.T], axis=1)
    se = np.sqrt((totals**2).sum(axis=0))
    return survival, np.where(survival > 0, se, np.nan)


def loglog_interval(
    survival: np.ndarray, se_log: np.ndarray, *, z: float = Z95
) -> tuple[np.ndarray, np.ndarray]:
    """Pointwise log-log interval of S from the standard error of log S (``S^exp(±z·se/|log
    S|)``); S itself where S is 0 or 1.

    Examples
    --------
    >>> low, high = loglog_interval(np.array([0.5]), np.array([0.2]))
    >>> round(float(low[0]), 3), round(float(high[0]), 3)
    (0.295, 0.675)
    """
    survival = np.asarray(survival, dtype=float)
    inner = (survival > 0) & (survival < 1) & np.isfinite(se_log)
    safe = np.where(inner, survival, 0.5)
    with np.errstate(all="ignore"):
        half = z * np.where(inner, se_log, 0.0) / np.abs(np.log(safe))
        low = safe ** np.exp(half)
        high = safe ** np.exp(-half)
    return np.where(inner, low, survival), np.where(inner, high, survival)


def km_band(
    time: np.ndarray, event: np.ndarray, clusters: np.ndarray | None, days: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Kaplan–Meier S(d) on days 0..``days`` with its robust log-log 95 % band (NaN before
    the first event, where S is 1 with no variance).

    Examples
    --------
    >>> s, low, high = km_band(np.array([1, 2, 2, 3]), np.ones(4, bool), np.array([0, 0, 1, 1]), 3)
    >>> s.tolist(), np.isnan(low[0])
    ([1.0, 0.75, 0.25, 0.0], np.True_)
    """
    time = np.asarray(time, dtype=float)
    event = np.asarray(event, dtype=bool)
    whole = (time == np.floor(time)) & (time >= 0)
    if not whole.all():  # not whole days: the general (episode x day) arithmetic
        at_risk, events = day_grid(time, event, days)
        return product_limit_band(at_risk, events, _compact(clusters))
    survival, se = _km_from_times(time.astype(np.int64), event, _compact(clusters), days)
    happened = np.bincount(time[event].astype(np.int64), minlength=days + 1)[: days + 1]
    return survival, *loglog_band(survival, se, happened)


def _km_steps(leaving: np.ndarray, happened: np.ndarray) -> tuple[np.ndarray, ...]:
    """From (possibly weighted) counts per day of episodes leaving the risk set and of events:
    S(d), the step ``1 / (R − E)`` of each day and ``C``, the running sum of ``hazard · step``
    (the pieces of every episode's influence on log S)."""
    survival, hazard, step = product_limit_steps(np.cumsum(leaving[::-1])[::-1], happened)
    return survival, step, np.cumsum(hazard * step)


def _km_from_times(
    time: np.ndarray, event: np.ndarray, clusters: np.ndarray | None, days: int
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`product_limit` of unweighted whole-day times, from counts rather than an
    episode × day grid. An episode's influence on log S(d) is ``C(min(d, T)) − δ·[T ≤ d]·
    step(T)`` with ``C`` the running sum of ``hazard · step``: per patient, a day-by-day
    running sum of those terms plus ``C(d)`` times the patient's episodes still at risk
    (patients with one episode are added up from counts per day)."""
    width = max(days, int(time.max(initial=0))) + 1
    leaving = np.bincount(time, minlength=width).astype(float)
    happened = np.bincount(time[event], minlength=width).astype(float)
    survival, step, running = _km_steps(leaving, happened)
    own = running[time] - np.where(event, step[time], 0.0)  # an episode's term from its day
    if clusters is None:
        clusters = np.arange(len(time))
    alone = np.bincount(clusters)[clusters] == 1
    # patients with one episode: the sums of squares from counts per day
    leaving_alone = np.bincount(time[alone], minlength=width)
    later = np.cumsum(leaving_alone[::-1])[::-1] - leaving_alone  # their episodes with T > d
    squares = np.cumsum(np.bincount(time[alone], weights=own[alone] ** 2, minlength=width))
    variance = squares + running**2 * later
    if not alone.all():  # patients with several: a patient x day table of their totals
        codes = pd.factorize(clusters[~alone])[0]
        patients = int(codes.max()) + 1
        cell = codes * width + time[~alone]
        totals = np.cumsum(
            np.bincount(cell, weights=own[~alone], minlength=patients * width).reshape(-1, width),
            axis=1,
        )
        still = np.cumsum(
            np.bincount(cell, minlength=patients * width).reshape(-1, width)[:, ::-1], axis=1
        )[:, ::-1]
        later_multi = np.concatenate([still[:, 1:], np.zeros((patients, 1))], axis=1)
        variance = variance + ((totals + running * later_multi) ** 2).sum(axis=0)
    survival, variance = survival[: days + 1], variance[: days + 1]
    return survival, np.where(survival > 0, np.sqrt(variance), np.nan)


def pattern_km_band(
    patterns: list[np.ndarray],
    weights: np.ndarray,
    days: int,
    *,
    shares: list[np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Kaplan–Meier S(d) on days 0..``days`` with its robust log-log 95 % band, from patient
    *patterns* and how many patients have each.

    A pattern lists one patient's episodes as codes ``2·T + δ`` (``T`` the whole day of the
    event or censoring, ``δ`` 1 for an event). S comes from the counts per day; the variance of
    log S is the count-weighted sum of each pattern's squared influence total (Williams 1995:
    the robust variance by patient; Greenwood's when every pattern is one episode), as
    :func:`km_band` computes it episode by episode. The band is NaN before the first event.
    ``shares`` (one array per pattern, like its codes) weight each record: a record with
    share w counts w times at risk and in the events, and w times in its pattern's influence.

    Examples
    --------
    >>> s, low, high = pattern_km_band([np.array([3]), np.array([5])], np.array([1, 1]), 2)
    >>> s.tolist(), bool(np.isnan(low[0])), round(float(low[1]), 3)
    ([1.0, 0.5, 0.0], True, 0.006)
    """
    episode = np.repeat(np.arange(len(patterns)), [len(p) for p in patterns])
    code = np.concatenate(patterns) if patterns else np.zeros(0, dtype=np.int64)
    day, event = code >> 1, (code & 1).astype(bool)
    width = int(max(days, day.max(initial=0))) + 1
    share = np.concatenate(shares) if shares is not None and patterns else np.ones(len(code))
    weight = np.asarray(weights, dtype=float)[episode] * share
    leaving = np.bincount(day, weights=weight, minlength=width)
    happened = np.bincount(day[event], weights=weight[event], minlength=width)
    survival, step, running = _km_steps(leaving, happened)
    own = running[day] - np.where(event, step[day], 0.0)  # an episode's term from its day
    grid = np.arange(width)
    term = np.where(grid >= day[:, None], own[:, None], running[None, :])  # episode x day
    if shares is not None:
        term *= share[:, None]
    totals = np.zeros((len(patterns), width))
    np.add.at(totals, episode, term)
    variance = np.asarray(weights, dtype=float) @ totals**2
    se = np.where(survival > 0, np.sqrt(variance), np.nan)
    low, high = loglog_band(survival, se, happened)
    keep = slice(0, days + 1)
    return survival[keep], low[keep], high[keep]


def product_limit_band(
    at_risk: np.ndarray, events: np.ndarray, clusters: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`product_limit` with its log-log 95 % band of S per day, NaN before the first
    event (S is 1 there, with no variance).

    Examples
    --------
    >>> at_risk, events = day_grid(np.array([1, 2]), np.ones(2, bool), 2)
    >>> np.isnan(product_limit_band(at_risk, events)[1]).tolist()
    [True, False, False]
    """
    survival, se = product_limit(at_risk, events, clusters)
    happened = np.asarray(events, dtype=float).sum(axis=0)
    return survival, *loglog_band(survival, se, happened)


def _compact(clusters: np.ndarray | None) -> np.ndarray | None:
    """Cluster codes renumbered 0..k-1 (a subset of patients keeps ``bincount`` small)."""
    return None if clusters is None else pd.factorize(clusters)[0]


def clustered_wilson(outcome: np.ndarray, clusters: np.ndarray | None) -> tuple[float, float]:
    """Wilson 95 % interval of the share of true ``outcome`` (one per episode), at the
    effective sample size under the patient-robust variance (the plain Wilson interval when
    ``clusters`` is ``None``).

    Examples
    --------
    >>> low, high = clustered_wilson(np.array([1, 1, 0, 0]), np.array([0, 0, 1, 1]))
    >>> round(low, 3), round(high, 3)  # two patients, not four episodes
    (0.095, 0.905)
    """
    x = np.asarray(outcome, dtype=np.int64)
    if clusters is None or len(x) == 0:  # each episode its own pattern, plain Wilson
        return pattern_wilson(x, np.ones_like(x), np.ones_like(x), clustered=False)[1:]
    codes = pd.factorize(clusters)[0]  # each patient its own pattern
    k, m = np.bincount(codes, weights=x), np.bincount(codes)
    return pattern_wilson(k.astype(np.int64), m, np.ones_like(m), clustered=True)[1:]


def pattern_wilson(
    outcomes: np.ndarray, sizes: np.ndarray, patients: np.ndarray, clustered: bool
) -> tuple[float, float, float]:
    """:func:`clustered_wilson` from patient patterns: the share, low and high, where pattern
    ``i`` has ``sizes[i]`` episodes of which ``outcomes[i]`` are true and ``patients[i]``
    patients have it (robust by patient when ``clustered``, plain Wilson otherwise).

    Examples
    --------
    >>> share, low, high = pattern_wilson(np.array([2, 0]), np.array([2, 2]), np.array([1, 1]),
    ...                                   clustered=True)
    >>> share, round(low, 3), round(high, 3)  # two patients, not four episodes
    (0.5, 0.095, 0.905)
    """
    k = np.asarray(outcomes, dtype=np.int64)
    m = np.asarray(sizes, dtype=np.int64)
    c = np.asarray(patients, dtype=np.int64)
    n, x = int(c @ m), int(c @ k)
    if n == 0:
        low, high = wilson_interval(0, 0)
        return np.nan, float(low), float(high)
    p = x / n
    if not clustered:
        low, high = wilson_interval(x, n)
        return p, float(low), float(high)
    binomial = p * (1 - p) / n
    robust = float(c @ (k - p * m) ** 2) / n**2
    effect = max(robust / binomial, 1.0) if binomial > 0 else 1.0
    low, high = wilson_interval(p * n / effect, n / effect)
    return p, float(low), float(high)
