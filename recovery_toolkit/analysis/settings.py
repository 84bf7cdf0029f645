"""``Settings``: every method parameter of the toolkit, validated once.

Each analysis function, the explorers, the report and the command line take one ``Settings``
(keywords still work for one-offs: ``episode_table(logs, window_days=21)``). Defaults come from
:mod:`recovery_toolkit.vocab`; definitions are in ``docs/methods.md``.

Examples
--------
>>> settings = Settings(window_days=21)
>>> settings.resolved_at, settings.milestone_days
(2, (3, 7, 14))
>>> settings.replace(resolved_at=1).resolved_at
1
"""

from __future__ import annotations

import dataclasses
import numbers
from dataclasses import dataclass
from typing import Any

from .. import vocab
from ..errors import OptionError

__all__ = ["Settings", "resolve"]


@dataclass(frozen=True, kw_only=True)
class Settings:
    """The parameters of every method (docs/methods.md), checked when created.

    Parameters
    ----------
    window_days : int, default 14
        Last day of the metrics window (day 0 = treatment day).
    resolved_at : int, default 2
        Soreness (0-10) at or below which a day counts as resolved.
    definition : {"default", "pace"}
        Resolution definition.
    milestone_days : tuple of int, default (3, 7, 14)
        Days at which "resolved by day d" is reported; days after the window are left out.
    lost_before_day : int, default 7
        Lost to follow-up: last log before this day and not resolved.
    worsening_from_day : int, default 3
        First day on which the derived persistent-worsening flag can fire.
    high_adherence, low_adherence : float, default 0.8 and 0.5
        Adherence score groups: high (>=), low (<), partial between.
    item_resolution_day : int, default 7
        Day of "resolved by day d" among adherent vs other episodes, per checklist item (at
        most the window's last day).
    above_p90_days, above_p90_from_day : int, default 2 and 3
        An ``above_p90`` alert needs this many days above the type's p90, from this day on.
    spc_tail, spc_run_length : float and int, default 0.00135 and 8
        Control chart: exact binomial probability limits with this probability below the lower
        and above the upper limit; a run of this many points on one side of the centre line
        signals.
    funnel_resolved_day : int, default 7
        Funnel plots: the day of the "resolved by day d" measure (at most the window's last day).
    landmark_day : int, default 3
        Adherence and recovery: the cohort still sore, unresolved and logging on this day,
        adherence from the days before it (at least 1; at most the window's last day less 1).
    stratify_by : {None, "site"}, default None
        Compare treatment types (log-rank test, Cox hazard ratios) within each value of this
        column, or across the whole cohort.
    model_curve : bool, default False
        Also fit the model-based recovery curve (a mixed model; tens of seconds).
    model_max_episodes : int, default 5000
        Models that cannot be added up from parts of a registry (the model-based curve, the
        landmark and treatment-type Cox models) are fitted on a seeded random sample of at
        most this many episodes (with a warning when they are).
    min_cell : int, default 11
        Smallest count a shared output shows.

    Examples
    --------
    >>> Settings(window_days=0)
    Traceback (most recent call last):
    ...
    recovery_toolkit.errors.OptionError: window_days=0: must be at least 1; use e.g. 14
    """

    window_days: int = vocab.WINDOW_DAYS
    resolved_at: int = vocab.RESOLVED_AT
    definition: str = vocab.DEFINITIONS[0]
    milestone_days: tuple[int, ...] = vocab.MILESTONE_DAYS
    lost_before_day: int = vocab.LOST_BEFORE_DAY
    worsening_from_day: int = vocab.WORSENING_FROM_DAY
    high_adherence: float = vocab.HIGH_ADHERENCE
    low_adherence: float = vocab.LOW_ADHERENCE
    item_resolution_day: int = vocab.ITEM_RESOLUTION_DAY
    above_p90_days: int = vocab.ABOVE_P90_DAYS
    above_p90_from_day: int = vocab.ABOVE_P90_FROM_DAY
    spc_tail: float = vocab.SPC_TAIL
    spc_run_length: int = vocab.SPC_RUN_LENGTH
    landmark_day: int = vocab.LANDMARK_DAY
    funnel_resolved_day: int = vocab.FUNNEL_RESOLVED_DAY
    stratify_by: str | None = None
    model_curve: bool = False
    model_max_episodes: int = vocab.MODEL_MAX_EPISODES
    min_cell: int = vocab.MIN_CELL

    def __post_init__(self) -> None:
        for problem in _type_problems(self):
            raise OptionError(*problem)
        if self.window_days < 1:
            raise OptionError("window_days=", self.window_days, "must be at least 1", "use e.g. 14")
        days = tuple(self.milestone_days)
        # a day after the window has no data: its milestone is not reported
        kept = tuple(d for d in days if d <= self.window_days)
        if days and not kept:
            raise OptionError(
                "milestone_days=",
                days,
                f"are all after the window (window_days={self.window_days})",
                "name days within the window",
            )
        object.__setattr__(self, "milestone_days", kept)
        if self.item_resolution_day > self.window_days:
            object.__setattr__(self, "item_resolution_day", self.window_days)
        if self.landmark_day >= self.window_days:  # the landmark must leave days after it
            object.__setattr__(self, "landmark_day", max(self.window_days - 1, 1))
        if self.funnel_resolved_day > self.window_days:
            object.__setattr__(self, "funnel_resolved_day", self.window_days)
        for problem in _problems(self):
            raise OptionError(*problem)

    def replace(self, **changes: Any) -> Settings:
        """A copy with ``changes`` applied (``None`` values are ignored), validated again.

        Examples
        --------
        >>> Settings().replace(window_days=10, resolved_at=None).window_days
        10
        """
        given = {k: v for k, v in changes.items() if v is not None}
        return dataclasses.replace(self, **given) if given else self

    def as_dict(self) -> dict[str, Any]:
        """Every field by name (the manifest's ``parameters``).

        Examples
        --------
        >>> Settings().as_dict()["window_days"]
        14
        """
        return dataclasses.asdict(self)


_INTEGERS = (
    "window_days",
    "resolved_at",
    "lost_before_day",
    "worsening_from_day",
    "item_resolution_day",
    "above_p90_days",
    "above_p90_from_day",
    "spc_run_length",
    "landmark_day",
    "funnel_resolved_day",
    "model_max_episodes",
    "min_cell",
)
_NUMBERS = ("high_adherence", "low_adherence", "spc_tail")


def _default(name: str) -> str:
    default = next(f.default for f in dataclasses.fields(Settings) if f.name == name)
    return f"use e.g. {default} (the default)"


def _type_problems(s: Settings) -> list[tuple[str, object, str, str]]:
    """Fields of the wrong type (checked before any comparison)."""
    found: list[tuple[str, object, str, str]] = []
    for name in _INTEGERS:
        value = getattr(s, name)
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            found.append((f"{name}=", value, "must be a whole number", _default(name)))
    for name in _NUMBERS:
        value = getattr(s, name)
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            found.append((f"{name}=", value, "must be a number", _default(name)))
    days = s.milestone_days
    if isinstance(days, (str, bytes)) or not all(
        isinstance(d, numbers.Integral) and not isinstance(d, bool) for d in days
    ):
        found.append(("milestone_days=", days, "must be whole days", "use e.g. (3, 7, 14)"))
    if not isinstance(s.model_curve, bool):
        found.append(("model_curve=", s.model_curve, "must be True or False", "use True"))
    if s.stratify_by is not None and s.stratify_by not in vocab.STRATA:
        choices = " or ".join(repr(c) for c in vocab.STRATA)
        found.append(
            (
                "stratify_by=",
                s.stratify_by,
                "is not a column to stratify by",
                f"use {choices}, or None",
            )
        )
    if not isinstance(s.definition, str):
        found.append(("definition=", s.definition, "must be text", "use 'default' or 'pace'"))
    return found


def _problems(s: Settings) -> list[tuple[str, object, str, str]]:
    """Every invalid field as (parameter, value, problem, fix)."""
    found: list[tuple[str, object, str, str]] = []
    if not 0 <= s.resolved_at <= 10:
        found.append(("resolved_at=", s.resolved_at, "must be between 0 and 10", "use e.g. 2"))
    if s.definition not in vocab.DEFINITIONS:
        choices = " or ".join(repr(d) for d in vocab.DEFINITIONS)
        found.append(("definition=", s.definition, "is not a definition", f"use {choices}"))
    if not s.milestone_days or any(d < 0 for d in s.milestone_days):
        found.append(
            (
                "milestone_days=",
                s.milestone_days,
                f"needs days from 0 to window_days={s.window_days}",
                "use e.g. (3, 7, 14)",
            )
        )
    if list(s.milestone_days) != sorted(set(s.milestone_days)):
        found.append(("milestone_days=", s.milestone_days, "must increase", "use e.g. (3, 7, 14)"))
    if not 0 <= s.low_adherence <= s.high_adherence <= 1:
        found.append(
            (
                "low_adherence=",
                s.low_adherence,
                f"must be between 0 and high_adherence={s.high_adherence} (at most 1)",
                "use e.g. 0.5 and 0.8",
            )
        )
    for name in (
        "lost_before_day",
        "worsening_from_day",
        "item_resolution_day",
        "funnel_resolved_day",
    ):
        if getattr(s, name) < 0:
            found.append((f"{name}=", getattr(s, name), "must be at least 0", "use a day"))
    if s.above_p90_days < 1:
        found.append(("above_p90_days=", s.above_p90_days, "must be at least 1", "use e.g. 2"))
    if s.above_p90_from_day < 0:
        found.append(
            ("above_p90_from_day=", s.above_p90_from_day, "must be at least 0", "use e.g. 3")
        )
    if not 0 < s.spc_tail < 0.5:
        found.append(
            (
                "spc_tail=",
                s.spc_tail,
                "must be a probability between 0 and 0.5 (each side of the limits)",
                f"use e.g. {vocab.SPC_TAIL} (the default)",
            )
        )
    if s.spc_run_length < 2:
        found.append(("spc_run_length=", s.spc_run_length, "must be at least 2", "use e.g. 8"))
    if s.landmark_day < 1:
        found.append(("landmark_day=", s.landmark_day, "must be at least 1", "use e.g. 3"))
    if s.model_max_episodes < 10:
        found.append(
            ("model_max_episodes=", s.model_max_episodes, "must be at least 10", "use 5000")
        )
    if s.min_cell < 2:
        found.append(
            ("min_cell=", s.min_cell, "must be at least 2 (1 would hide nothing)", "use 11")
        )
    return found


def resolve(settings: Settings | None, **overrides: Any) -> Settings:
    """``settings`` (default: ``Settings()``) with the keywords that were given (not ``None``).

    Examples
    --------
    >>> resolve(None, window_days=None).window_days
    14
    >>> resolve(Settings(window_days=10), window_days=21).window_days
    21
    """
    return (settings or _DEFAULT).replace(**overrides)


_DEFAULT = Settings()
