"""Which columns of a source are which canonical columns, and whether the required ones are there.

Headers are matched to canonical names ignoring case, spaces and hyphens (``"Patient ID"`` is
``patient_id``); a mapping file does anything beyond that.

Examples
--------
>>> import pandas as pd
>>> canonical_header(pd.Index(["Patient ID", "Soreness", "Comment"]), "logs.csv")
{'Patient ID': 'patient_id', 'Soreness': 'soreness'}
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..errors import InputFileError
from ..schemas import CANONICAL_COLUMNS, REQUIRED_COLUMNS
from .raw import fold_name, repeated

__all__ = ["canonical_header", "check_required_columns"]

_CANONICAL = {fold_name(c): c for c in CANONICAL_COLUMNS}


def canonical_header(columns: pd.Index, path: str | Path) -> dict[str, str]:
    """Renames from a source's headers to the canonical columns they mean.

    Parameters
    ----------
    columns : Index
        The source's column names (text, as every reader gives them).
    path : str or Path
        The source, named in the error.

    Returns
    -------
    dict
        Source header -> canonical name, for the headers that mean a canonical column.

    Raises
    ------
    InputFileError
        When two headers mean the same canonical column.

    Examples
    --------
    >>> canonical_header(pd.Index(["soreness", "log-date"]), "logs.csv")
    {'soreness': 'soreness', 'log-date': 'log_date'}
    """
    renames = {str(c): _CANONICAL[fold_name(c)] for c in columns if fold_name(c) in _CANONICAL}
    targets = list(renames.values())
    twice = repeated(targets)
    if twice:
        raise InputFileError(
            path,
            f"several columns mean {', '.join(twice)} (names differ only in case or spacing)",
            "delete or rename the extra column",
        )
    return renames


def check_required_columns(frame: pd.DataFrame, path: str | Path) -> None:
    """Refuse a frame (with canonical headers) that lacks a required column.

    Either ``log_date`` or ``day`` will do; the other is derived.

    Raises
    ------
    InputFileError
        Naming the missing columns, the columns found and the fix.

    Examples
    --------
    >>> check_required_columns(pd.DataFrame(columns=["patient_id"]), "logs.csv")
    Traceback (most recent call last):
    ...
    recovery_toolkit.errors.InputFileError: logs.csv: required column(s) treatment_type, \
treatment_date, soreness, log_date (or day) not found (found: patient_id); rename the columns or \
describe them in a mapping file (mapping=)
    """
    missing = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
    if "day" not in frame.columns and "log_date" not in frame.columns:
        missing.append("log_date (or day)")
    if missing:
        found = ", ".join(map(str, frame.columns[:12])) + (", ..." if frame.shape[1] > 12 else "")
        raise InputFileError(
            path,
            f"required column(s) {', '.join(missing)} not found (found: {found})",
            "rename the columns or describe them in a mapping file (mapping=)",
        )
