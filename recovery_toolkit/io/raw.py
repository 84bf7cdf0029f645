"""``RawTable``: a file's data rows before any interpretation, and the checks every reader
applies to a header (blank names, repeated names, header folding).

Examples
--------
>>> fold_name(" Patient-ID ")
'patient_id'
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputFileError

__all__ = [
    "EXPORT_FIX",
    "RawTable",
    "drop_empty_unnamed",
    "fold_name",
    "name_columns",
    "refuse_duplicate_columns",
    "repeated",
]

EXPORT_FIX = "export the data as CSV, Excel (.xlsx) or Parquet"


@dataclass(frozen=True)
class RawTable:
    """A file's data rows before any interpretation.

    Attributes
    ----------
    frame : DataFrame
        One row per data row, columns as in the file's header. Text formats give strings
        with blanks as missing; Parquet keeps its own types. The index is 0..n-1.
    source_rows : ndarray
        1-based data-row number in the source of each row of ``frame``.
    bad_rows : DataFrame
        Rows that could not be split into the header's fields (``source_row``, ``text``).
    blank_rows : int
        Completely blank rows that were skipped (they are not data).
    delimiter, decimal : str or None
        What the text reader used (``None`` for binary formats).
    sha256 : str or None
        SHA-256 of the file's bytes (``None`` for rows that did not come from one file).
    """

    frame: pd.DataFrame
    source_rows: np.ndarray
    bad_rows: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame({"source_row": [], "text": []})
    )
    blank_rows: int = 0
    delimiter: str | None = None
    decimal: str = "."
    encoding: str | None = None
    sha256: str | None = None


def name_columns(header: list[str]) -> list[str]:
    """Give blank header cells a name (``unnamed_<position>``) so no column is lost."""
    return [name or f"unnamed_{i}" for i, name in enumerate(header, start=1)]


def drop_empty_unnamed(frame: pd.DataFrame) -> pd.DataFrame:
    """Drop columns without a header that hold nothing (e.g. from a trailing delimiter)."""
    unnamed = [c for c in frame.columns if str(c).startswith("unnamed_")]
    empty = [c for c in unnamed if frame[c].isna().all()]
    return frame.drop(columns=empty) if empty else frame


def repeated(values: Iterable[str]) -> list[str]:
    """The values that occur more than once, sorted.

    Examples
    --------
    >>> repeated(["a", "b", "a", "c", "b"])
    ['a', 'b']
    """
    counts = Counter(values)
    return sorted(value for value, n in counts.items() if n > 1)


def refuse_duplicate_columns(path: Path, header: list[str]) -> None:
    """Refuse a header that names a column twice (which copy would count?)."""
    twice = repeated(header)
    if twice:
        raise InputFileError(
            path,
            f"column name(s) {', '.join(map(repr, twice))} appear more than once",
            "rename or delete the repeated column(s)",
        )


def fold_name(name: object) -> str:
    """A header name as the toolkit matches it: lower case, spaces and hyphens as ``_``.

    Examples
    --------
    >>> fold_name(" Patient-ID ")
    'patient_id'
    """
    return re.sub(r"[\s\-]+", "_", str(name).strip().lower())
