"""The row rules: one reason code, one check, in one table.

:data:`RULES` maps every reason code of :data:`~recovery_toolkit.vocab.REASONS` (the codes a
row can be quarantined with) to the one check that produces it, at one of four levels:

``file``
    the reader (a line with more fields than the header);
``cell``
    a parser of :mod:`~recovery_toolkit.io.parse`, one column at a time;
``row``
    values of one row compared with each other or with ``today`` (:class:`RowValues`);
``rows``
    rows compared with each other (:class:`CrossRows`), applied in the table's order, each to
    the rows no earlier rule has claimed.

The loader runs the ``row`` and ``rows`` rules through :func:`apply_row_rules` and
:func:`cross_row_reasons`; a new rule is one function and one line of the table. The pandera
model :class:`~recovery_toolkit.schemas.SorenessLog` checks the contract (columns, dtypes,
nullability, declared ranges), not these rules.

Examples
--------
>>> from recovery_toolkit import vocab
>>> RULES["future_date"].level
'row'
>>> sorted(RULES) == sorted(vocab.REASONS)
True
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cached_property
from types import MappingProxyType
from typing import Any, Literal

import numpy as np
import pandas as pd

from ..schemas import CANONICAL_COLUMNS, EPISODE_ATTRIBUTES, inconsistent_episode_rows
from . import parse
from .readers import read_raw

__all__ = [
    "Rule",
    "RULES",
    "RowValues",
    "CrossRows",
    "apply_row_rules",
    "cross_row_reasons",
    "mark",
]

Level = Literal["file", "cell", "row", "rows"]


@dataclass(frozen=True)
class Rule:
    """A reason code and the check that produces it.

    Attributes
    ----------
    code : str
        A key of :data:`~recovery_toolkit.vocab.REASONS`.
    level : {"file", "cell", "row", "rows"}
        Where the check looks: the file's lines, one cell, one row, or several rows.
    check : callable
        For ``row`` rules, ``check(RowValues) -> {column: failed rows}``; for ``rows`` rules,
        ``check(CrossRows) -> failed rows``; for ``file`` and ``cell`` rules, the reader or the
        parser that reports the code.
    """

    code: str
    level: Level
    check: Callable[..., Any]


@dataclass(frozen=True)
class RowValues:
    """The typed values of every row, as the ``row`` rules see them.

    Attributes
    ----------
    values : Mapping of str to Series
        Typed canonical columns (``treatment_date``, ``log_date``, ``day``, ...).
    written_day : Series or None
        ``day`` as the file wrote it when the file has ``log_date`` too (else ``None``).
    day_column : str
        The column that holds the log's day in the file: ``"log_date"`` or ``"day"``.
    today : date
        Dates after it are in the future.
    """

    values: Mapping[str, pd.Series]
    written_day: pd.Series | None
    day_column: str
    today: dt.date


@dataclass(frozen=True)
class CrossRows:
    """The rows as the ``rows`` rules see them.

    Attributes
    ----------
    typed : DataFrame
        Typed canonical columns of every row.
    episode : ndarray of int
        ``pd.factorize(typed["episode_id"])[0]``, computed once for every rule.
    passed : ndarray of bool
        Rows that passed every cell and row rule.
    attributes_ok : ndarray of bool
        Rows whose episode fields (:data:`~recovery_toolkit.schemas.EPISODE_ATTRIBUTES`) read.
    baseline : ndarray of bool
        REDCap baseline rows merged into their record's diary rows.
    reason : ndarray of int8
        Reason index per row set by the rules applied so far (0 = none); see :func:`mark`.
    """

    typed: pd.DataFrame
    episode: np.ndarray
    passed: np.ndarray
    attributes_ok: np.ndarray
    baseline: np.ndarray
    reason: np.ndarray

    @cached_property
    def same_day(self) -> np.ndarray:
        """Positions of diary rows that passed their own checks and share their episode and
        day with another such row (the candidates for duplicates and conflicts)."""
        positions = np.flatnonzero(self.passed & ~self.baseline)
        day = self.typed["day"].to_numpy(dtype="int64", na_value=0)[positions]
        key = self.episode[positions].astype(np.int64) * (int(day.max(initial=0)) + 1) + day
        return positions[pd.Series(key).duplicated(keep=False).to_numpy()]

    @property
    def unclaimed(self) -> np.ndarray:
        """Rows no ``rows`` rule has claimed yet."""
        return self.reason == 0


# -- row rules: {column blamed: rows that fail} --------------------------------------------


def future_date(rows: RowValues) -> dict[str, np.ndarray]:
    """A treatment or log date after ``today``.

    Examples
    --------
    >>> dates = pd.Series(pd.to_datetime(["2024-01-01", "2031-01-01"]))
    >>> rows = RowValues({"treatment_date": dates, "log_date": dates}, None, "log_date",
    ...                  dt.date(2025, 1, 1))
    >>> future_date(rows)["log_date"].tolist()
    [False, True]
    """
    limit = pd.Timestamp(rows.today)
    return {
        column: (rows.values[column] > limit).to_numpy(dtype=bool, na_value=False)
        for column in ("treatment_date", "log_date")
    }


def log_before_treatment(rows: RowValues) -> dict[str, np.ndarray]:
    """A log dated before its treatment (negative ``day``); blamed on the column the file
    gave the log's day in.

    Examples
    --------
    >>> rows = RowValues({"day": pd.Series([0, -2], dtype="Int64")}, None, "day",
    ...                  dt.date(2025, 1, 1))
    >>> log_before_treatment(rows)["day"].tolist()
    [False, True]
    """
    before = (rows.values["day"] < 0).to_numpy(dtype=bool, na_value=False)
    return {rows.day_column: before}


def day_mismatch(rows: RowValues) -> dict[str, np.ndarray]:
    """A ``day`` that disagrees with ``log_date - treatment_date`` (files that give both).

    Examples
    --------
    >>> values = {"treatment_date": pd.Series(pd.to_datetime(["2024-01-01"] * 2)),
    ...           "log_date": pd.Series(pd.to_datetime(["2024-01-03"] * 2))}
    >>> written = pd.Series([2, 3], dtype="Int64")
    >>> day_mismatch(RowValues(values, written, "log_date", dt.date(2025, 1, 1)))["day"].tolist()
    [False, True]
    """
    if rows.written_day is None:
        return {}
    from_dates = (rows.values["log_date"] - rows.values["treatment_date"]).dt.days
    written = rows.written_day
    mismatch = written.notna() & from_dates.notna() & (written != from_dates)
    return {"day": mismatch.to_numpy(dtype=bool, na_value=False)}


# -- cross-row rules: rows that fail ---------------------------------------------------------


def duplicate_row(rows: CrossRows) -> np.ndarray:
    """Exact copies (every canonical value equal) of an earlier row; the first copy stays."""
    failed = np.zeros(len(rows.typed), dtype=bool)
    where = rows.same_day
    if len(where):
        group = rows.typed.iloc[where].loc[:, list(CANONICAL_COLUMNS)]
        failed[where[group.astype("str").duplicated(keep="first").to_numpy()]] = True
    return failed


def conflicting_rows(rows: CrossRows) -> np.ndarray:
    """Several different rows for one episode and day: every one of them."""
    failed = np.zeros(len(rows.typed), dtype=bool)
    where = rows.same_day[rows.unclaimed[rows.same_day]]
    if len(where):
        group = rows.typed.iloc[where]
        failed[where[group.duplicated(["episode_id", "day"], keep=False).to_numpy()]] = True
    return failed


def inconsistent_episode(rows: CrossRows) -> np.ndarray:
    """Every row of an episode whose rows disagree on patient, treatment type or date.

    Among every row whose episode fields could be read (a row that failed another check still
    shows that its episode disagrees with itself), baseline rows included.
    """
    readable = rows.attributes_ok & rows.unclaimed
    attributes = rows.typed.loc[:, list(EPISODE_ATTRIBUTES)]
    if not readable.all():
        attributes = attributes.loc[readable]
    failed = np.zeros(len(rows.typed), dtype=bool)
    bad = inconsistent_episode_rows(attributes, episode_codes=rows.episode[readable])
    failed[np.flatnonzero(readable)[bad]] = True
    return failed


def episode_without_logs(rows: CrossRows) -> np.ndarray:
    """Baseline rows whose episode has no valid diary row."""
    if not rows.baseline.any():
        return np.zeros(len(rows.typed), dtype=bool)
    kept = rows.passed & rows.unclaimed
    episodes = rows.typed["episode_id"]
    has_logs = episodes.isin(episodes[kept & ~rows.baseline]).to_numpy()
    return rows.baseline & kept & ~has_logs


#: Every reason code and the check that produces it; ``row`` and ``rows`` rules apply in
#: this order (a later ``row`` rule overrides an earlier one on the same cell; a ``rows``
#: rule only claims rows no earlier one claimed).
RULES: Mapping[str, Rule] = MappingProxyType(
    {
        rule.code: rule
        for rule in (
            Rule("bad_field_count", "file", read_raw),
            Rule("missing_required", "cell", parse.missing_required),
            Rule("not_a_number", "cell", parse.parse_integer),
            Rule("not_an_integer", "cell", parse.parse_integer),
            Rule("out_of_range", "cell", parse.parse_integer),
            Rule("invalid_date", "cell", parse.parse_date),
            Rule("ambiguous_date", "cell", parse.parse_date),
            Rule("invalid_boolean", "cell", parse.parse_boolean),
            Rule("unknown_treatment_type", "cell", parse.parse_treatment_type),
            Rule("day_mismatch", "row", day_mismatch),
            Rule("future_date", "row", future_date),
            Rule("log_before_treatment", "row", log_before_treatment),
            Rule("duplicate_row", "rows", duplicate_row),
            Rule("conflicting_rows", "rows", conflicting_rows),
            Rule("inconsistent_episode", "rows", inconsistent_episode),
            Rule("episode_without_logs", "rows", episode_without_logs),
        )
    }
)


def mark(codes: np.ndarray | None, where: np.ndarray, code: str) -> np.ndarray:
    """Set reason ``code`` where ``where`` holds, keeping earlier reasons elsewhere.

    Examples
    --------
    >>> parse.REASON_CODES[mark(None, np.array([False, True]), "future_date")[1]]
    'future_date'
    """
    base = np.zeros(len(where), dtype=np.int8) if codes is None else codes
    return np.where(where, np.int8(parse.reason_index(code)), base).astype(np.int8)


def apply_row_rules(rows: RowValues, codes: dict[str, np.ndarray]) -> None:
    """Run every ``row`` rule of :data:`RULES`, in order, into ``codes`` (per column).

    Examples
    --------
    >>> rows = RowValues({"treatment_date": pd.Series(pd.to_datetime(["2024-01-01"])),
    ...                   "log_date": pd.Series(pd.to_datetime(["2023-12-31"])),
    ...                   "day": pd.Series([-1], dtype="Int64")}, None, "log_date",
    ...                  dt.date(2025, 1, 1))
    >>> codes = {}
    >>> apply_row_rules(rows, codes)
    >>> parse.REASON_CODES[codes["log_date"][0]]
    'log_before_treatment'
    """
    for rule in RULES.values():
        if rule.level == "row":
            for column, failed in rule.check(rows).items():
                codes[column] = mark(codes.get(column), failed, rule.code)


def cross_row_reasons(rows: CrossRows) -> np.ndarray:
    """Run every ``rows`` rule of :data:`RULES`, in order; a reason index per row (0 = fine).

    Works on integer codes (one factorisation of ``episode_id``), so millions of rows cost a
    few tenths of a second.

    Examples
    --------
    >>> typed = pd.DataFrame({"episode_id": ["e", "e"], "day": [1, 1]})
    >>> rows = CrossRows(typed, np.array([0, 0]), np.array([True, True]),
    ...                  np.array([False, False]), np.array([False, False]),
    ...                  np.zeros(2, dtype=np.int8))
    >>> rows.same_day.tolist()
    [0, 1]
    """
    for rule in RULES.values():
        if rule.level == "rows":
            failed = rule.check(rows) & rows.unclaimed
            rows.reason[failed] = parse.reason_index(rule.code)
    return rows.reason
