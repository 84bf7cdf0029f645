"""Pandera models of the output tables (docs/methods.md; written by `recovery-toolkit summary`).

Every table ``recovery-toolkit summary`` writes has a model here; an empty result is built
from its model (:func:`empty_table`), so its columns and dtypes never drift.

Examples
--------
>>> list(OUTPUT_SCHEMAS)[:3]
['recovery_curve', 'recovery_curve_model', 'time_to_resolution']
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
import pandas as pd
import pandera.pandas as pa
from pandera.engines.pandas_engine import Engine
from pandera.typing import Series

from .. import vocab

__all__ = [
    "RecoveryCurveTable",
    "TimeToResolutionTable",
    "RedFlagIncidenceTable",
    "ResolutionMilestonesTable",
    "RecoveryCurveModelTable",
    "HazardRatiosTable",
    "AdherenceTable",
    "AdherenceLandmarkTable",
    "CompletenessTable",
    "SpcTable",
    "FunnelTable",
    "AlertsTable",
    "OUTPUT_SCHEMAS",
    "empty_table",
    "schema_columns",
    "holds",
]

# ------------------------------------------------------------------------------ output tables
# The tables as written by ``recovery-toolkit summary``. Intervals are nullable:
# they are empty where undefined (n < 2, no events, median not reached).


def _proportion() -> Any:
    """A nullable proportion field: in [0, 1], empty where undefined (a fresh ``pa.Field``)."""
    return pa.Field(ge=0.0, le=1.0, nullable=True)


def _nonnegative_or_empty() -> Any:
    """A nullable non-negative field: a count-based estimate or interval that may be undefined."""
    return pa.Field(ge=0, nullable=True)


class _Output(pa.DataFrameModel):
    class Config:
        strict = True
        ordered = True


class RecoveryCurveTable(_Output):
    """Soreness per treatment type and day: n, mean with 95 % t-interval, percentiles."""

    treatment_type: Series[str]
    day: Series[int] = pa.Field(ge=0)
    n: Series[int] = pa.Field(ge=1)
    n_at_risk: Series[int] = pa.Field(ge=0)
    mean: Series[float] = pa.Field(ge=0, le=10)
    ci_low: Series[float] = pa.Field(nullable=True)
    ci_high: Series[float] = pa.Field(nullable=True)
    p10: Series[float] = pa.Field(ge=0, le=10)
    p25: Series[float] = pa.Field(ge=0, le=10)
    median: Series[float] = pa.Field(ge=0, le=10)
    p75: Series[float] = pa.Field(ge=0, le=10)
    p90: Series[float] = pa.Field(ge=0, le=10)


class RecoveryCurveModelTable(_Output):
    """Model-based mean soreness per type and day (mixed model; docs/methods.md)."""

    treatment_type: Series[str]
    day: Series[int] = pa.Field(ge=0)
    mean: Series[float] = pa.Field(nullable=True)
    ci_low: Series[float] = pa.Field(nullable=True)
    ci_high: Series[float] = pa.Field(nullable=True)
    episodes_used: Series[int] = pa.Field(ge=1)


class TimeToResolutionTable(_Output):
    """Kaplan–Meier summary of time to resolution per treatment type."""

    treatment_type: Series[str]
    episodes: Series[int] = pa.Field(ge=1)
    baseline_missing: Series[int] = pa.Field(ge=0)
    no_reaction: Series[int] = pa.Field(ge=0)
    no_reaction_share: Series[float] = _proportion()
    sore_episodes: Series[int] = pa.Field(ge=0)
    resolved: Series[int] = pa.Field(ge=0)
    censored: Series[int] = pa.Field(ge=0)
    median_days: Series[float] = _nonnegative_or_empty()
    median_ci_low: Series[float] = _nonnegative_or_empty()
    median_ci_high: Series[float] = _nonnegative_or_empty()
    resolved_by_day: Series[float] = pa.Field(
        alias=r"^resolved_by_day_\d+$", regex=True, ge=0.0, le=1.0, nullable=True
    )  # one column per milestone day (Settings.milestone_days)


class ResolutionMilestonesTable(_Output):
    """Resolved by each milestone day, four ways: Kaplan–Meier, drop-out weighted (IPCW) and
    the best- and worst-case bounds for drop-out (docs/methods.md)."""

    treatment_type: Series[str]
    day: Series[int] = pa.Field(ge=0)
    method: Series[str] = pa.Field(isin=["km", "ipcw", "best_case", "worst_case"])
    resolved: Series[float] = _proportion()
    ci_low: Series[float] = _proportion()
    ci_high: Series[float] = _proportion()


class HazardRatiosTable(_Output):
    """Cox hazard ratio of resolution for each treatment type against the reference (robust
    variance by patient; HR > 1: faster resolution than the reference)."""

    treatment_type: Series[str]
    reference: Series[str]
    hr: Series[float] = _nonnegative_or_empty()
    ci_low: Series[float] = _nonnegative_or_empty()
    ci_high: Series[float] = _nonnegative_or_empty()
    p_value: Series[float] = _proportion()


class RedFlagIncidenceTable(_Output):
    """Incidence proportion (Wilson CI), cumulative incidence of the first flag by the window's
    end (1 − Kaplan–Meier), and rate per 100 episode-days (exact Poisson CI)."""

    treatment_type: Series[str]
    flag: Series[str]
    episodes: Series[int] = pa.Field(ge=0)
    episodes_with_flag: Series[int] = pa.Field(ge=0)
    proportion: Series[float] = _proportion()
    ci_low: Series[float] = _proportion()
    ci_high: Series[float] = _proportion()
    cumulative_incidence: Series[float] = _proportion()
    cumulative_ci_low: Series[float] = _proportion()
    cumulative_ci_high: Series[float] = _proportion()
    rate_per_100_days: Series[float] = _nonnegative_or_empty()
    rate_ci_low: Series[float] = _nonnegative_or_empty()
    rate_ci_high: Series[float] = _nonnegative_or_empty()


class AdherenceTable(_Output):
    """Home-care adherence per treatment type and checklist item."""

    treatment_type: Series[str]
    item: Series[str]
    days_answered: Series[int] = pa.Field(ge=0)
    days_adherent: Series[int] = pa.Field(ge=0)
    proportion: Series[float] = _proportion()


class AdherenceLandmarkTable(_Output):
    """Adherence before the landmark day and time to resolution after it: adjusted hazard
    ratios per item and for the score (association, not effect; docs/methods.md)."""

    landmark_day: Series[int] = pa.Field(ge=1)
    item: Series[str]
    episodes: Series[int] = pa.Field(ge=0)
    events: Series[int] = pa.Field(ge=0)
    hr: Series[float] = _nonnegative_or_empty()
    ci_low: Series[float] = _nonnegative_or_empty()
    ci_high: Series[float] = _nonnegative_or_empty()
    p_value: Series[float] = _proportion()
    q_value: Series[float] = _proportion()


class CompletenessTable(_Output):
    """Follow-up completeness and loss to follow-up per treatment type."""

    treatment_type: Series[str]
    episodes: Series[int] = pa.Field(ge=1)
    mean_completeness: Series[float] = pa.Field(ge=0, le=1)
    lost_to_follow_up: Series[int] = pa.Field(ge=0)
    lost_share: Series[float] = pa.Field(ge=0, le=1)


class SpcTable(_Output):
    """Monthly p-chart of any-flag incidence, overall (``all``) and per treatment type, with
    exact binomial limits; ``complete`` months only signal; ``rule`` names the rule that
    fired (``outside_limits``, ``run_of_<k>``) or is empty."""

    treatment_type: Series[str]
    month: Series[str] = pa.Field(str_matches=r"^\d{4}-\d{2}$")
    n: Series[int] = pa.Field(ge=0)
    events: Series[int] = pa.Field(ge=0)
    p: Series[float] = _proportion()
    center: Series[float] = _proportion()
    lcl: Series[float] = _proportion()
    ucl: Series[float] = _proportion()
    complete: Series[bool]
    signal: Series[bool]
    rule: Series[str] = pa.Field(str_matches=r"^(outside_limits|run_of_\d+|)$")


class FunnelTable(_Output):
    """Funnel plot per site and per clinician: observed, expected by indirect standardisation on
    treatment type, ratio O/E and exact Poisson limits of the ratio (95 % and 99.8 %)."""

    unit_type: Series[str] = pa.Field(isin=["site", "clinician"])
    unit: Series[str]
    measure: Series[str] = pa.Field(
        str_matches=r"^(any_flag|lost_to_follow_up|resolved_by_day_\d+)$"
    )
    episodes: Series[int] = pa.Field(ge=0)
    observed: Series[int] = pa.Field(ge=0)
    expected: Series[float] = pa.Field(ge=0)
    ratio: Series[float] = _nonnegative_or_empty()
    low_95: Series[float] = _nonnegative_or_empty()
    high_95: Series[float] = _nonnegative_or_empty()
    low_998: Series[float] = _nonnegative_or_empty()
    high_998: Series[float] = _nonnegative_or_empty()
    outside: Series[str] = pa.Field(isin=["95", "99.8", ""])


class AlertsTable(_Output):
    """Per-episode alerts with severity, reason code and day."""

    episode_id: Series[str]
    patient_id: Series[str]
    treatment_type: Series[str]
    severity: Series[str] = pa.Field(isin=["urgent", "prompt", "review"])
    reason: Series[str]
    day: Series[int] = pa.Field(ge=0)
    contact_within: Series[pd.BooleanDtype] = pa.Field(
        alias=vocab.CONTACT_COLUMN, nullable=True
    )  # clinic contact on the flag day or the next (CONTACT_WITHIN_DAYS); empty for review


#: File stem -> schema of every table ``recovery-toolkit summary`` writes.
OUTPUT_SCHEMAS: dict[str, type[pa.DataFrameModel]] = {
    "recovery_curve": RecoveryCurveTable,
    "recovery_curve_model": RecoveryCurveModelTable,
    "time_to_resolution": TimeToResolutionTable,
    "resolution_milestones": ResolutionMilestonesTable,
    "hazard_ratios": HazardRatiosTable,
    "red_flag_incidence": RedFlagIncidenceTable,
    "adherence": AdherenceTable,
    "adherence_landmark": AdherenceLandmarkTable,
    "completeness": CompletenessTable,
    "spc": SpcTable,
    "funnel": FunnelTable,
    "alerts": AlertsTable,
}


def _names(name: str, column: Any, given: Iterable[str]) -> list[str]:
    """The column names a model's column stands for: itself, or the names in ``given`` that
    match its pattern."""
    return [c for c in given if re.fullmatch(name, c)] if column.regex else [name]


def schema_columns(model: type[pa.DataFrameModel], columns: Iterable[str]) -> list[str]:
    """The names in ``columns`` that ``model`` declares (by name or by pattern), in the
    model's order.

    Examples
    --------
    >>> schema_columns(TimeToResolutionTable, ["resolved_by_day_5", "episodes", "extra"])
    ['episodes', 'resolved_by_day_5']
    """
    given = list(columns)
    out: list[str] = []
    for name, column in model.to_schema().columns.items():
        if column.regex:
            out.extend(c for c in given if re.fullmatch(name, c) and c not in out)
        elif name in given:
            out.append(name)
    return out


#: The built-in checks the output models use, as vectorised tests on a column's non-null
#: values (pandera's own semantics: nulls are left to ``nullable``; ``str_matches`` anchors at
#: the start, as ``Series.str.match`` does).
_CHECKS: dict[str, Callable[..., bool]] = {
    "greater_than_or_equal_to": lambda v, min_value: bool((v >= min_value).all()),
    "less_than_or_equal_to": lambda v, max_value: bool((v <= max_value).all()),
    "isin": lambda v, allowed_values: bool(v.isin(list(allowed_values)).all()),
    "str_matches": lambda v, pattern: bool(v.str.match(pattern).all()),
}


def holds(model: type[pa.DataFrameModel], table: pd.DataFrame) -> bool:
    """Whether ``table`` meets ``model`` (exactly its columns in its order, their dtypes, no
    nulls where not nullable, every check), decided with one vectorised test per check.

    A quick pass for the small output tables, where pandera's per-column machinery costs
    ~10–20 ms a table: ``False`` whenever anything fails *or* the model uses a feature not
    tested here, and the caller then validates with pandera, which names the failure.

    Examples
    --------
    >>> table = pd.DataFrame({"episode_id": ["E1"]})
    >>> holds(AlertsTable, table)
    False
    """
    schema = model.to_schema()
    if schema.checks or schema.unique or schema.index is not None or schema.coerce:
        return False
    declared: list[tuple[str, Any]] = []
    for name, column in schema.columns.items():
        names = _names(name, column, table.columns)
        if not names:
            return False
        declared.extend((each, column) for each in names)
    if list(table.columns) != [name for name, _ in declared]:
        return False
    return all(_column_holds(table[name], column) for name, column in declared)


def _column_holds(values: pd.Series, column: Any) -> bool:
    if column.unique or column.coerce or column.dtype is None:
        return False
    # pandera's own dtype test (one answer, or one per element: all must pass) unless the
    # dtypes are the same
    given = Engine.dtype(values.dtype)
    if given != column.dtype and not bool(np.all(column.dtype.check(given, values))):
        return False
    missing = values.isna()
    if missing.any():
        if not column.nullable:
            return False
        values = values[~missing]
    return all(
        check.name in _CHECKS and _CHECKS[check.name](values, **check.statistics)
        for check in column.checks
    )


def empty_table(model: type[pa.DataFrameModel], columns: Iterable[str] = ()) -> pd.DataFrame:
    """An empty frame with the columns and dtypes of ``model``; a column the model declares
    by pattern appears under the names in ``columns`` that match it.

    Examples
    --------
    >>> empty_table(AlertsTable).dtypes["day"]
    dtype('int64')
    >>> empty_table(TimeToResolutionTable, ["resolved_by_day_7"]).columns[-1]
    'resolved_by_day_7'
    """
    given = list(columns)
    frame: dict[str, pd.Series] = {}
    for name, column in model.to_schema().columns.items():
        for each in _names(name, column, given):
            frame[each] = pd.Series([], dtype=str(column.dtype))
    return pd.DataFrame(frame)
