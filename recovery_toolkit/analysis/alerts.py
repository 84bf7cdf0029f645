"""Per-episode alerts for clinicians, each with severity, reason code, day and explanation.

Severities and reasons:

* **urgent** — a reported ``bladder_bowel``, ``neuro_deficit`` or ``cardiopulmonary`` flag;
* **prompt** — ``infection_signs``, ``worsening_pain``, or the derived ``persistent_worsening``;
* **review** — ``above_p90``: soreness above the treatment type's day-specific 90th
  percentile on 2 or more days from day 3 (the day is the second such day);
  ``unresolved_at_window_end``: not resolved and still logging on the last day of the window;
  ``stopped_logging``: not resolved and the last log is before the end of the window;
  ``low_adherence``: the adherence score is in the low group.

Each urgent and prompt alert carries ``contact_within_1_day`` (the name follows
``vocab.CONTACT_WITHIN_DAYS``): True when a log of the episode records clinic contact on the
alert's day or the next, False otherwise; empty for review alerts. Unlike the episode table's
``escalated`` (the first reported flag only, logs in the window), it is computed for every
flag alert from all of the episode's logs, so a flag on the window's last day followed by a
contact the day after counts as contacted.

Explanations quote the patient guidance of the domain source, so the words a clinician reads
are the words the patient was given.

Examples
--------
>>> import recovery_toolkit as rt
>>> logs = rt.load_logs(rt.sample_path()).logs
>>> table = alerts(logs)
>>> table["severity"].iloc[0]
'urgent'
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .. import vocab
from ..schemas import AlertsTable, EpisodeTable, SorenessLog, empty_table
from .codes import is_sorted
from .curves import recovery_curve
from .episodes import episode_table
from .masked import as_float
from .settings import Settings, resolve

__all__ = ["SEVERITIES", "FLAG_SEVERITY", "alerts", "alert_counts", "contact_within", "sort_alerts"]

SEVERITIES = vocab.SEVERITIES
FLAG_SEVERITY = vocab.FLAG_SEVERITY
#: The alert list: the columns of ``alerts.csv`` (its output schema) and the explanation.
_COLUMNS = [*AlertsTable.to_schema().columns, "explanation"]


def _empty() -> pd.DataFrame:
    return empty_table(AlertsTable).assign(explanation=pd.Series([], dtype="str"))


def _terms() -> dict[str, vocab.Term]:
    terms = {**vocab.RED_FLAGS, **vocab.DERIVED_FLAGS}
    return {code.removeprefix("flag_"): term for code, term in terms.items()}


def alerts(
    logs: pd.DataFrame,
    episodes: pd.DataFrame | None = None,
    settings: Settings | None = None,
    *,
    curve: pd.DataFrame | None = None,
    window_days: int | None = None,
    resolved_at: int | None = None,
) -> pd.DataFrame:
    """List every alert of every episode, most severe first, then by day and episode.

    Parameters
    ----------
    logs : DataFrame
        Canonical logs; not modified.
    episodes : DataFrame, optional
        The episode table of ``logs`` (computed when not given).
    settings : Settings, optional
        Window, resolution and ``above_p90`` thresholds (``above_p90_days`` days above the
        type's p90, counted from ``above_p90_from_day``).
    curve : DataFrame, optional
        The recovery curve of ``logs`` that supplies the p90 reference (computed when not given).
    window_days, resolved_at : int, optional
        One-off overrides of ``settings``.

    Returns
    -------
    DataFrame
        ``episode_id, patient_id, treatment_type, severity, reason, day,
        contact_within_1_day, explanation``.

    Examples
    --------
    >>> import recovery_toolkit as rt
    >>> table = alerts(rt.load_logs(rt.sample_path()).logs)
    >>> sorted(table["severity"].unique())
    ['prompt', 'review', 'urgent']
    """
    s = resolve(settings, window_days=window_days, resolved_at=resolved_at)
    if episodes is None:
        episodes = episode_table(logs, s)
    if curve is None:
        curve = recovery_curve(logs, s)
    parts = [
        *_flag_alerts(episodes),
        _p90_alerts(episodes, curve, s.window_days, s.above_p90_days, s.above_p90_from_day),
        *_course_alerts(episodes, s.window_days, s.resolved_at),
    ]
    found = [p for p in parts if p is not None and len(p.rows)]
    if not found:
        return _empty()
    return _assemble(logs, episodes, found)


@dataclass(frozen=True)
class _Part:
    """Alerts of one severity and reason: their episodes (positions in the episode table),
    days and explanations; the table is assembled once from all parts."""

    rows: np.ndarray
    severity: str
    reason: str
    day: np.ndarray
    texts: list[str]  # the distinct explanations
    text: np.ndarray  # per alert: its explanation in ``texts``


def _assemble(logs: pd.DataFrame, episodes: pd.DataFrame, parts: list[_Part]) -> pd.DataFrame:
    """The alert table of ``parts``, sorted as :func:`sort_alerts` sorts, identity columns
    read once from ``episodes`` and contacts looked up by episode position."""
    rows = np.concatenate([p.rows for p in parts]).astype(np.int64)
    day = np.concatenate([p.day for p in parts]).astype(np.int64)
    rank = {sev: i for i, sev in enumerate(SEVERITIES)}
    reasons = sorted({p.reason for p in parts})
    sizes = [len(p.rows) for p in parts]
    severity_rank = np.repeat([rank[p.severity] for p in parts], sizes)
    reason_rank = np.repeat([reasons.index(p.reason) for p in parts], sizes)
    texts = [text for p in parts for text in p.texts]
    offsets = np.cumsum([0, *(len(p.texts) for p in parts)])[:-1]
    text = np.concatenate([p.text + offset for p, offset in zip(parts, offsets, strict=True)])
    ids = episodes["episode_id"]
    # the episode table is sorted by id; any other order is ranked here
    episode_rank = rows if is_sorted(ids) else _sorted_codes(ids)[rows]
    order = np.lexsort((reason_rank, episode_rank, day, severity_rank))
    rows, day, severity_rank = rows[order], day[order], severity_rank[order]
    kinds = episodes["treatment_type"].astype("category")
    table = pd.DataFrame(
        {
            "episode_id": _as_text(ids).take(rows),
            "patient_id": _as_text(episodes["patient_id"]).take(rows),
            "treatment_type": _taken(list(kinds.cat.categories), kinds.cat.codes.to_numpy()[rows]),
            "severity": _taken(list(SEVERITIES), severity_rank),
            "reason": _taken(reasons, reason_rank[order]),
            "day": day,
            vocab.CONTACT_COLUMN: _contacts(logs, ids, rows, day, severity_rank),
            "explanation": _taken(texts, text[order]),
        }
    )
    return table[_COLUMNS]


def _as_text(values: pd.Series) -> pd.api.extensions.ExtensionArray:
    return values.astype("str").array


def _taken(distinct: list[str], codes: np.ndarray) -> pd.api.extensions.ExtensionArray:
    """``distinct[codes]`` as a text array, taken by Arrow (no Python string per row)."""
    return pd.array(pa.array(distinct, type=pa.large_string()).take(codes), dtype="str")


def _sorted_codes(values: pd.Series) -> np.ndarray:
    return pd.factorize(values, sort=True)[0]


def _contacts(
    logs: pd.DataFrame, ids: pd.Series, rows: np.ndarray, day: np.ndarray, rank: np.ndarray
) -> pd.arrays.BooleanArray:
    """:func:`contact_within` for alerts given by episode-table position ``rows``."""
    pressing = rank < SEVERITIES.index("review")
    out = pd.array(np.zeros(len(rows), dtype=bool), dtype="boolean")
    out[~pressing] = pd.NA
    if "clinic_contact" not in logs.columns or not pressing.any():
        return out
    contacted = np.flatnonzero(
        logs[SorenessLog.clinic_contact].to_numpy(dtype=bool, na_value=False)
    )  # only the logged contacts are looked up
    # the contacts' episodes, looked up among the episodes with an urgent or prompt alert
    alerted = np.unique(rows[pressing])
    found = pc.index_in(
        pa.array(logs[SorenessLog.episode_id].iloc[contacted]),
        value_set=pa.array(ids.iloc[alerted]),
    )
    where = found.fill_null(-1).to_numpy(zero_copy_only=False)
    owner = np.where(where >= 0, alerted[np.maximum(where, 0)], -1)
    log_day = logs[SorenessLog.day].to_numpy(dtype=np.int64)[contacted]
    out[pressing] = _contact_hits(owner, log_day, rows, day)[pressing]
    return out


def _contact_hits(
    owner: np.ndarray, log_day: np.ndarray, alert_owner: np.ndarray, alert_day: np.ndarray
) -> np.ndarray:
    """Per alert: a contact of its owner (-1: no episode) on its day or the next
    ``CONTACT_WITHIN_DAYS`` days, read from a grid of contacts by owner and day."""
    width = int(alert_day.max(initial=0)) + vocab.CONTACT_WITHIN_DAYS + 1
    keep = (owner >= 0) & (log_day >= 0) & (log_day < width)
    grid = np.zeros((int(alert_owner.max(initial=0)) + 1, width), dtype=bool)
    known = owner[keep] < len(grid)
    grid[owner[keep][known], log_day[keep][known]] = True
    hit = np.zeros(len(alert_owner), dtype=bool)
    for lag in range(vocab.CONTACT_WITHIN_DAYS + 1):  # a loop over lags, not over alerts
        hit |= grid[alert_owner, alert_day + lag]
    return hit


def contact_within(logs: pd.DataFrame, table: pd.DataFrame) -> pd.arrays.BooleanArray:
    """Per alert: clinic contact logged on the alert's day or within
    ``vocab.CONTACT_WITHIN_DAYS`` days after it (urgent and prompt alerts); missing for review
    alerts. Vectorised: one integer key per (episode, day) with contact.

    Examples
    --------
    >>> logs = pd.DataFrame({"episode_id": ["a", "a", "b"], "day": [2, 3, 5],
    ...                      "clinic_contact": pd.array([False, True, True], dtype="boolean")})
    >>> t = pd.DataFrame({"episode_id": ["a", "b", "b"], "severity": ["urgent", "prompt", "review"],
    ...                   "day": [2, 3, 5]})
    >>> contact_within(logs, t).tolist()
    [True, False, <NA>]
    """
    pressing = (table["severity"] != "review").to_numpy()
    out = pd.array(np.zeros(len(table), dtype=bool), dtype="boolean")
    out[~pressing] = pd.NA
    if "clinic_contact" not in logs.columns or not pressing.any():
        return out
    contacted = np.flatnonzero(
        logs[SorenessLog.clinic_contact].to_numpy(dtype=bool, na_value=False)
    )  # only the logged contacts are looked up
    ids = pd.Index(pd.unique(table["episode_id"]))
    owner = ids.get_indexer(pd.Index(logs[SorenessLog.episode_id].iloc[contacted]))
    log_day = logs[SorenessLog.day].to_numpy(dtype=np.int64)[contacted]
    alert_owner = ids.get_indexer(pd.Index(table["episode_id"]))
    hit = _contact_hits(owner, log_day, alert_owner, table["day"].to_numpy(dtype=np.int64))
    out[pressing] = hit[pressing]
    return out


def alert_counts(alerts: pd.DataFrame) -> pd.DataFrame:
    """Episodes per severity and reason, most severe first (the report's overview).

    Examples
    --------
    >>> t = pd.DataFrame({"severity": ["review", "urgent", "review"],
    ...                   "reason": ["stopped_logging", "flag_neuro_deficit", "stopped_logging"]})
    >>> alert_counts(t).values.tolist()
    [['urgent', 'flag_neuro_deficit', 1], ['review', 'stopped_logging', 2]]
    """
    counts = alerts.groupby(["severity", "reason"]).size().rename("episodes").reset_index()
    rank = counts["severity"].map({s: i for i, s in enumerate(SEVERITIES)})
    return counts.iloc[np.argsort(rank.to_numpy(), kind="stable")]  # urgent first


def sort_alerts(table: pd.DataFrame) -> pd.DataFrame:
    """Alerts most severe first, then by day, episode and reason (also for alerts listed part
    by part and put together).

    Examples
    --------
    >>> t = pd.DataFrame({"episode_id": ["b", "a"], "patient_id": ["p", "q"],
    ...                   "treatment_type": ["injection"] * 2, "severity": ["review", "urgent"],
    ...                   "reason": ["x", "y"], "day": [1, 4], "contact_within_1_day": [None, True],
    ...                   "explanation": ["", ""]})
    >>> sort_alerts(t)["episode_id"].tolist()
    ['a', 'b']
    """
    if table.empty:
        return _empty()
    rank = table["severity"].map({s: i for i, s in enumerate(SEVERITIES)}).to_numpy()
    episode = pd.factorize(table["episode_id"], sort=True)[0]
    reason = pd.factorize(table["reason"], sort=True)[0]
    order = np.lexsort((reason, episode, table["day"].to_numpy(dtype=np.int64), rank))
    table = table.iloc[order].reset_index(drop=True)
    table["day"] = table["day"].astype("int64")
    return table[_COLUMNS]


def _texts(values: np.ndarray, text: Callable[..., str]) -> tuple[list[str], np.ndarray]:
    """``text(v)`` for each distinct value of ``values``, and each value's position there."""
    distinct, which = np.unique(values, return_inverse=True)
    return [text(int(v)) for v in distinct], which


def _flag_alerts(episodes: pd.DataFrame) -> list[_Part]:
    parts = []
    for flag, term in _terms().items():
        first = episodes[EpisodeTable.first(flag)]
        mask = first.notna().to_numpy()
        if not mask.any():
            continue
        severity = FLAG_SEVERITY[flag]
        days = first.to_numpy(dtype=np.float64, na_value=np.nan)[mask].astype(np.int64)
        prefix, suffix = f"{term.label} on day ", f': "{term.guidance}". '
        suffix += vocab.ALERT_ACTIONS[severity]
        texts, text = _texts(days, lambda d, p=prefix, x=suffix: f"{p}{d}{x}")
        parts.append(_Part(np.flatnonzero(mask), severity, f"flag_{flag}", days, texts, text))
    return parts


def _p90_alerts(
    episodes: pd.DataFrame,
    curve: pd.DataFrame,
    window_days: int,
    needed: int,
    from_day: int,
) -> _Part | None:
    """Episodes above their type's day-specific p90 on ``needed`` days from ``from_day``,
    read from the episode table's day-by-day soreness."""
    days = np.arange(from_day, window_days + 1)
    if needed < 1 or len(days) == 0:
        return None
    columns = [EpisodeTable.soreness_on(int(d)) for d in days]
    missing = [c for c in columns if c not in episodes.columns]
    if missing:
        raise ValueError(
            f"episodes= has no {missing[0]} column: build it with the same window_days= "
            f"({window_days}) as the alerts"
        )
    kinds = episodes["treatment_type"].astype("category")  # the table's own categories
    types = list(kinds.cat.categories)
    p90 = np.full((len(types), window_days + 1), np.inf)  # no reference: never above
    known = curve["treatment_type"].astype("str").isin(types).to_numpy()
    p90[
        [types.index(t) for t in curve.loc[known, "treatment_type"].astype("str")],
        curve.loc[known, "day"].to_numpy(dtype=int),
    ] = curve.loc[known, "p90"].to_numpy(dtype=float)
    kind = kinds.cat.codes.to_numpy()
    p90 = np.vstack([p90, np.full(window_days + 1, np.inf)])  # an episode without a type
    days_above = np.zeros(len(episodes), dtype=np.int64)
    nth_day = np.full(len(episodes), -1, dtype=np.int64)  # the day the count reached needed
    for day, column in zip(days, columns, strict=True):
        reference = p90[kind, day]  # kind −1: the last row
        days_above += as_float(episodes[column]) > reference  # unlogged (NaN): never above
        nth_day[(days_above >= needed) & (nth_day < 0)] = day
    mask = days_above >= needed
    if not mask.any():
        return None
    head = "Soreness above the 90th percentile of patients after the same treatment on "
    tail = f" days from day {from_day}: " + vocab.REVIEW_GUIDANCE["above_p90"]
    texts, text = _texts(days_above[mask], lambda n: f"{head}{n}{tail}")
    return _Part(np.flatnonzero(mask), "review", "above_p90", nth_day[mask], texts, text)


def _course_alerts(episodes: pd.DataFrame, window_days: int, resolved_at: int) -> list[_Part]:
    # no recovery seen, among episodes that were (or may have been) sore at baseline
    reacted = (episodes["population"] != "no_reaction").to_numpy(dtype=bool)
    unresolved = reacted & ~episodes["recovered"].to_numpy(dtype=bool)
    last = episodes["last_day"].to_numpy()
    parts = []
    specs = [
        (
            "unresolved_at_window_end",
            unresolved & (last >= window_days),
            vocab.REVIEW_GUIDANCE["unresolved_at_window_end"].format(
                resolved_at=resolved_at, window_days=window_days
            ),
        ),
        (
            "stopped_logging",
            unresolved & (last < window_days),
            vocab.REVIEW_GUIDANCE["stopped_logging"],
        ),
        (
            "low_adherence",
            (episodes["adherence_group"] == "low").to_numpy(),
            vocab.REVIEW_GUIDANCE["low_adherence"],
        ),
    ]
    for reason, mask, text in specs:
        if mask.any():
            day = last[mask]
            single = np.zeros(len(day), dtype=np.int64)
            parts.append(_Part(np.flatnonzero(mask), "review", reason, day, [text], single))
    return parts
