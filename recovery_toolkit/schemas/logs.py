"""The canonical log table (one row per episode per logged day) and the problems table.

Examples
--------
>>> list(Problems.to_schema().columns)
['row', 'column', 'code', 'value']
>>> SorenessLog.care_columns()[0]
'care_gentle_movement'
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from .. import vocab

__all__ = [
    "SorenessLog",
    "Problems",
    "TREATMENT_DTYPE",
    "CANONICAL_COLUMNS",
    "REQUIRED_COLUMNS",
    "BOOLEAN_COLUMNS",
    "TEXT_COLUMNS",
    "EPISODE_ATTRIBUTES",
    "inconsistent_episode_rows",
]

#: Columns that must not vary between the rows of one episode.
EPISODE_ATTRIBUTES: tuple[str, ...] = ("patient_id", "treatment_type", "treatment_date")


def inconsistent_episode_rows(
    df: pd.DataFrame, episode_codes: np.ndarray | None = None
) -> np.ndarray:
    """Rows whose episode has more than one patient, treatment type or treatment date.

    The check behind the ``inconsistent_episode`` rule of :mod:`recovery_toolkit.io.rules`
    (it lives here, beside :data:`EPISODE_ATTRIBUTES`, because it reads only the contract's
    columns).

    ``episode_codes`` may give ``pd.factorize(df["episode_id"])[0]`` (or any integer codes
    of the IDs, -1 for a missing ID) when the caller already has them.

    Works on integer codes (one factorisation per column): every row is compared with one
    row of its episode, so it stays fast on millions of rows.

    Examples
    --------
    >>> frame = pd.DataFrame({"episode_id": ["a", "a", "b"], "patient_id": ["p", "p", "q"],
    ...                       "treatment_type": ["pt", "pt", "pt"],
    ...                       "treatment_date": ["d1", "d2", "d1"]})
    >>> inconsistent_episode_rows(frame).tolist()
    [True, True, False]
    """
    episode = pd.factorize(df["episode_id"])[0] if episode_codes is None else episode_codes
    episodes = int(episode.max(initial=-1)) + 1
    bad = np.zeros(episodes + 1, dtype=bool)  # the last slot: missing IDs, never flagged
    for column in EPISODE_ATTRIBUTES:
        value = pd.factorize(df[column])[0]  # -1 for a missing value, itself a value
        reference = np.empty(episodes + 1, dtype=value.dtype)
        reference[episode] = value  # any one row's value per episode will do
        bad[episode[value != reference[episode]]] = True
    bad[episodes] = False
    return bad[episode]


#: Categorical dtype of ``treatment_type``, in the vocabulary's order.
TREATMENT_DTYPE = pd.CategoricalDtype(list(vocab.TREATMENT_TYPES), ordered=False)


class SorenessLog(pa.DataFrameModel):
    """Canonical soreness log: one row per treatment episode per logged day.

    ``day`` is the number of days since treatment (day 0 = the treatment day). Every
    boolean column is nullable: blank means "not reported", never "no".

    The model is the table's contract: columns, their order, dtypes, nullability and declared
    ranges. The rules that compare values within a row or across rows (day matches the dates,
    no future dates, one row per episode and day, consistent episodes) are checked once, by
    the loader, from the table in :mod:`recovery_toolkit.io.rules`.
    """

    patient_id: Series[str] = pa.Field(str_length={"min_value": 1})
    episode_id: Series[str] = pa.Field(str_length={"min_value": 1})
    treatment_type: Series[pd.CategoricalDtype] = pa.Field(
        dtype_kwargs={"categories": list(vocab.TREATMENT_TYPES), "ordered": False}
    )
    treatment_date: Series[pa.DateTime]
    log_date: Series[pa.DateTime]
    day: Series[int] = pa.Field(ge=0)
    soreness: Series[int] = pa.Field(ge=0, le=10)
    flag_worsening_pain: Series[pd.BooleanDtype] = pa.Field(nullable=True)
    flag_infection_signs: Series[pd.BooleanDtype] = pa.Field(nullable=True)
    flag_neuro_deficit: Series[pd.BooleanDtype] = pa.Field(nullable=True)
    flag_bladder_bowel: Series[pd.BooleanDtype] = pa.Field(nullable=True)
    flag_cardiopulmonary: Series[pd.BooleanDtype] = pa.Field(nullable=True)
    care_gentle_movement: Series[pd.BooleanDtype] = pa.Field(nullable=True)
    care_cold: Series[pd.BooleanDtype] = pa.Field(nullable=True)
    care_heat: Series[pd.BooleanDtype] = pa.Field(nullable=True)
    care_posture: Series[pd.BooleanDtype] = pa.Field(nullable=True)
    care_sleep: Series[pd.BooleanDtype] = pa.Field(nullable=True)
    care_hydration_nutrition: Series[pd.BooleanDtype] = pa.Field(nullable=True)
    care_avoided_heavy_lifting: Series[pd.BooleanDtype] = pa.Field(nullable=True)
    care_meds_as_directed: Series[pd.BooleanDtype] = pa.Field(nullable=True)
    care_followed_plan: Series[pd.BooleanDtype] = pa.Field(nullable=True)
    clinic_contact: Series[pd.BooleanDtype] = pa.Field(nullable=True)
    site: Series[str] = pa.Field(nullable=True)
    clinician: Series[str] = pa.Field(nullable=True)
    notes: Series[str] = pa.Field(nullable=True)

    class Config:
        strict = True
        ordered = True

    @classmethod
    def flag_columns(cls) -> list[str]:
        """The five reported red-flag columns, in vocabulary order."""
        return list(vocab.RED_FLAGS)

    @classmethod
    def care_columns(cls) -> list[str]:
        """The nine home-care checklist columns, in vocabulary order."""
        return list(vocab.CARE_ITEMS)


class Problems(pa.DataFrameModel):
    """One row per failed check of a loaded file: where, what and the offending value."""

    row: Series[int] = pa.Field(ge=1, description="1-based data row in the source file")
    column: Series[str]
    code: Series[str] = pa.Field(isin=list(vocab.REASONS))
    value: Series[str] = pa.Field(nullable=True)

    class Config:
        strict = True
        ordered = True


#: Column order of the canonical table.
CANONICAL_COLUMNS: tuple[str, ...] = tuple(SorenessLog.to_schema().columns)
#: Columns a source file must provide (``day`` or ``log_date`` is checked separately).
REQUIRED_COLUMNS: tuple[str, ...] = ("patient_id", "treatment_type", "treatment_date", "soreness")
#: Nullable yes/no columns.
BOOLEAN_COLUMNS: tuple[str, ...] = (*vocab.RED_FLAGS, *vocab.CARE_ITEMS, "clinic_contact")
#: Free-text columns kept verbatim apart from trimming (notes are never trimmed).
TEXT_COLUMNS: tuple[str, ...] = ("site", "clinician", "notes")
