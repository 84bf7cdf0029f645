"""The quarantine: failed rows with their original values, source row and reasons, and the
problems table (one row per failed check).

Examples
--------
>>> from recovery_toolkit import load_logs
>>> from recovery_toolkit.samples import sample_path
>>> result = load_logs(sample_path("messy_export.csv"), mapping=sample_path("messy_mapping.yaml"))
>>> {"source_row", "reasons"} <= set(result.quarantine.columns)
True
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..schemas import Problems
from . import parse
from .readers import RawTable

__all__ = ["problems_of", "quarantine_of"]

_PROBLEM_COLUMNS = ["row", "column", "code", "value"]


def problems_of(
    codes: dict[str, np.ndarray],
    cross: np.ndarray,
    frame: pd.DataFrame,
    typed: pd.DataFrame,
    source_rows: np.ndarray,
    raw: RawTable,
) -> pd.DataFrame:
    names = np.array(parse.REASON_CODES, dtype=object)
    parts = []
    for column, value in codes.items():
        hit = np.flatnonzero(value)
        if len(hit):
            original = frame[column].iloc[hit] if column in frame.columns else None
            parts.append(
                pd.DataFrame(
                    {
                        "row": source_rows[hit],
                        "column": column,
                        "code": names[value[hit]],
                        "value": _as_text(original, len(hit)),
                    }
                )
            )
    hit = np.flatnonzero(cross)
    if len(hit):
        where = typed["episode_id"].iloc[hit] + " day " + typed["day"].iloc[hit].astype("str")
        parts.append(
            pd.DataFrame(
                {
                    "row": source_rows[hit],
                    "column": "episode_id",
                    "code": names[cross[hit]],
                    "value": where.to_numpy(),
                }
            )
        )
    if len(raw.bad_rows):
        parts.append(
            pd.DataFrame(
                {
                    "row": raw.bad_rows["source_row"].to_numpy(),
                    "column": "*",
                    "code": "bad_field_count",
                    "value": raw.bad_rows["text"].to_numpy(),
                }
            )
        )
    if not parts:
        return pd.DataFrame(
            {c: pd.Series([], dtype="int64" if c == "row" else "str") for c in _PROBLEM_COLUMNS}
        )
    problems = pd.concat(parts, ignore_index=True)
    problems = problems.astype({"row": "int64", "column": "str", "code": "str", "value": "str"})
    problems = problems.sort_values(["row", "column"], kind="stable", ignore_index=True)
    return Problems.validate(problems)


def _as_text(values: pd.Series | None, n: int) -> Any:
    if values is None:
        return [None] * n
    return values.astype("str").to_numpy()


def _kept_apart(columns: list[str]) -> dict[str, str]:
    """New names for input columns that the quarantine adds itself (``source_row``,
    ``reasons``, ``raw_text``: a re-imported quarantine file has them): ``input_<name>``, with
    one more ``input_`` for each earlier round (a file re-imported twice), never a duplicate.

    Examples
    --------
    >>> _kept_apart(["source_row", "input_source_row", "reasons", "soreness"])
    {'source_row': 'input_input_source_row', 'reasons': 'input_reasons'}
    """
    names = set(columns)
    renamed: dict[str, str] = {}
    for column in ("source_row", "reasons", "raw_text"):
        if column in names:
            new = f"input_{column}"
            while new in names:
                new = f"input_{new}"
            names.add(new)
            renamed[column] = new
    return renamed


def quarantine_of(raw: RawTable, failed: np.ndarray, problems: pd.DataFrame) -> pd.DataFrame:
    """Failed rows (positions) with their original values, source row number and reasons."""
    # taking no rows from chunked Arrow columns still costs a pass per chunk: slice instead
    original = (raw.frame.iloc[failed] if len(failed) else raw.frame.iloc[:0]).astype("str")
    original = original.rename(columns=_kept_apart(list(original.columns)))  # e.g. a re-import
    original.insert(0, "source_row", raw.source_rows[failed])
    if len(raw.bad_rows):
        bad = pd.DataFrame({"source_row": raw.bad_rows["source_row"].to_numpy()})
        bad["raw_text"] = raw.bad_rows["text"].to_numpy()
        original = pd.concat([original, bad], ignore_index=True)
    reasons = (problems["column"] + ":" + problems["code"]).groupby(problems["row"]).agg("; ".join)
    original["reasons"] = original["source_row"].map(reasons).astype("str")
    return original.sort_values("source_row", ignore_index=True)
