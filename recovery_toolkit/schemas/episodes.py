"""The episode table: one row per episode, the waist every cohort table is computed from.

:func:`recovery_toolkit.analysis.episode_table` builds it; this model is its contract. Code
names its per-flag and per-item columns through the model (``EpisodeTable.first("any_flag")``,
``EpisodeTable.answered("care_sleep")``), never by hand-made strings.

Examples
--------
>>> EpisodeTable.first("any_flag"), EpisodeTable.adherent("cold_then_heat")
('first_any_flag', 'adherent_cold_then_heat')
>>> import recovery_toolkit as rt
>>> from recovery_toolkit.analysis import episode_table
>>> len(EpisodeTable.validate(episode_table(rt.load_logs(rt.sample_path()).logs)))
400
"""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from .. import vocab

__all__ = ["ADHERENCE_GROUPS", "POPULATIONS", "EpisodeTable"]

#: Adherence score groups, in order (``not_reported``: no checklist item answered).
ADHERENCE_GROUPS: tuple[str, ...] = ("high", "partial", "low", "not_reported")
#: Who enters time to resolution: ``sore`` episodes (baseline above ``resolved_at``); those
#: with ``no_reaction`` and those whose first log is after day 1 are counted beside.
POPULATIONS: tuple[str, ...] = ("sore", "no_reaction", "baseline_missing")


class EpisodeTable(pa.DataFrameModel):
    """One row per episode with at least one log in the window, sorted by ``episode_id``.

    Identity and follow-up columns, ``baseline_soreness`` (missing without a day-0/1 log),
    ``population``, resolution (``recovered`` for every episode; ``resolved`` and ``time``,
    the resolution or censoring day, for sore episodes), the first day of each red flag
    (``first_<flag>``, missing when it never occurred), ``escalated``, the answered and
    adherent day counts of each adherence item, the adherence score and group, and the
    soreness logged on each day of the window (``soreness_day_<d>``).
    """

    episode_id: Series[str] = pa.Field(unique=True)
    patient_id: Series[str]
    treatment_type: Series[pd.CategoricalDtype] = pa.Field(
        dtype_kwargs={"categories": list(vocab.TREATMENT_TYPES), "ordered": False}
    )
    treatment_date: Series[pa.DateTime]
    site: Series[str] = pa.Field(nullable=True)
    clinician: Series[str] = pa.Field(nullable=True)
    treatment_month: Series[str] = pa.Field(str_matches=r"^\d{4}-\d{2}$")
    first_day: Series[int] = pa.Field(ge=0)
    last_day: Series[int] = pa.Field(ge=0)
    days_logged: Series[int] = pa.Field(ge=1)
    completeness: Series[float] = pa.Field(gt=0.0, le=1.0)
    baseline_soreness: Series[pd.Int64Dtype] = pa.Field(ge=0, le=10, nullable=True)
    population: Series[pd.CategoricalDtype] = pa.Field(
        dtype_kwargs={"categories": list(POPULATIONS), "ordered": False}
    )
    recovered: Series[bool]
    resolved: Series[bool]
    time: Series[float] = pa.Field(ge=0.0, nullable=True)
    lost_to_follow_up: Series[bool]
    first_flag: Series[float] = pa.Field(
        alias=r"^first_(?!day$)\w+$", regex=True, nullable=True, ge=0.0
    )
    escalated: Series[pd.BooleanDtype] = pa.Field(nullable=True)
    answered_days: Series[int] = pa.Field(alias=r"^answered_\w+$", regex=True, ge=0)
    adherent_days: Series[int] = pa.Field(alias=r"^adherent_\w+$", regex=True, ge=0)
    adherence_score: Series[float] = pa.Field(ge=0.0, le=1.0, nullable=True)
    adherence_group: Series[pd.CategoricalDtype] = pa.Field(
        dtype_kwargs={"categories": list(ADHERENCE_GROUPS), "ordered": False}
    )
    soreness_day: Series[pd.Int8Dtype] = pa.Field(
        alias=r"^soreness_day_\d+$", regex=True, ge=0, le=10, nullable=True
    )

    class Config:
        strict = True

    @staticmethod
    def first(flag: str) -> str:
        """The column of the first day of ``flag`` (``"any_flag"``, ``"neuro_deficit"``,
        or a ``flag_*`` column name)."""
        return f"first_{flag.removeprefix('flag_')}"

    @staticmethod
    def soreness_on(day: int) -> str:
        """The column of the soreness logged on ``day`` (missing when not logged)."""
        return f"soreness_day_{day}"

    @staticmethod
    def answered(item: str) -> str:
        """The column of the days ``item`` was scored and answered."""
        return f"answered_{item}"

    @staticmethod
    def adherent(item: str) -> str:
        """The column of the days ``item`` was followed."""
        return f"adherent_{item}"

    @staticmethod
    def answered_before(item: str) -> str:
        """The column of the days before the landmark ``item`` was scored and answered."""
        return f"answered_before_landmark_{item}"

    @staticmethod
    def adherent_before(item: str) -> str:
        """The column of the days before the landmark ``item`` was followed."""
        return f"adherent_before_landmark_{item}"
