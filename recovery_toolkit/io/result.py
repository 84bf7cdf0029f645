"""``LoadResult``: what ``load_logs`` read — valid logs, quarantined rows, every problem.

Examples
--------
>>> from recovery_toolkit import load_logs
>>> from recovery_toolkit.samples import sample_path
>>> load_logs(sample_path()).problem_table().columns.tolist()
['column', 'code', 'rows', 'fix']
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from .. import vocab
from ..schemas import SorenessLog

__all__ = ["LoadResult", "problem_table"]


def problem_table(problems: pd.DataFrame) -> pd.DataFrame:
    """Problems counted by column and reason code, with the fix to apply, most frequent first.

    Examples
    --------
    >>> t = pd.DataFrame({"row": [1, 2], "column": ["soreness"] * 2,
    ...                   "code": ["out_of_range"] * 2, "value": ["12", "13"]})
    >>> problem_table(t)[["column", "code", "rows"]].values.tolist()
    [['soreness', 'out_of_range', 2]]
    """
    table = problems.groupby(["column", "code"]).size().rename("rows").reset_index()
    table["fix"] = table["code"].map(lambda code: vocab.REASONS[code].fix).astype("str")
    return table.sort_values(["rows", "column"], ascending=[False, True], ignore_index=True)


@dataclass(frozen=True)
class LoadResult:
    """What :func:`load_logs` read: valid logs, quarantined rows and every problem.

    Attributes
    ----------
    logs : DataFrame
        Valid rows in the canonical shape (validated against ``SorenessLog``).
    quarantine : DataFrame
        Failed rows with their original values, ``source_row`` and ``reasons``.
    problems : DataFrame
        One row per failed check: ``row``, ``column``, ``code``, ``value``.
    source : str
        The file read.
    sha256 : str
        SHA-256 of the file's bytes.
    rows_read : int
        Data rows in the file (blank lines are not rows).
    rows_merged : int
        REDCap baseline rows with no diary answers, merged into their record's diary rows.
    """

    logs: pd.DataFrame
    quarantine: pd.DataFrame
    problems: pd.DataFrame
    source: str
    sha256: str
    rows_read: int
    rows_merged: int = 0
    blank_rows: int = 0
    ignored_columns: tuple[str, ...] = ()
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def rows_valid(self) -> int:
        """Rows in :attr:`logs`."""
        return len(self.logs)

    @property
    def rows_quarantined(self) -> int:
        """Rows in :attr:`quarantine`."""
        return len(self.quarantine)

    @property
    def episodes(self) -> int:
        """Distinct episodes among the valid rows."""
        return int(self.logs[SorenessLog.episode_id].nunique())

    def to_dict(self, *, max_problems: int | None = None) -> dict[str, Any]:
        """A JSON-ready summary: counts, options and the problems (optionally the first N).

        Examples
        --------
        >>> from recovery_toolkit import load_logs
        >>> from recovery_toolkit.samples import sample_path
        >>> sorted(load_logs(sample_path()).to_dict())[:3]
        ['blank_rows', 'episodes', 'file']
        """
        problems = self.problems if max_problems is None else self.problems.head(max_problems)
        return {
            "file": self.source,
            "sha256": self.sha256,
            "rows_read": self.rows_read,
            "rows_valid": self.rows_valid,
            "rows_quarantined": self.rows_quarantined,
            "rows_merged": self.rows_merged,
            "blank_rows": self.blank_rows,
            "episodes": self.episodes,
            "patients": int(self.logs[SorenessLog.patient_id].nunique()),
            "ignored_columns": list(self.ignored_columns),
            "problem_counts": self.problem_counts(),
            "options": self.options,
            "problems": [
                {
                    "row": int(row),
                    "column": column,
                    "code": code,
                    "value": None if pd.isna(value) else value,
                }
                for row, column, code, value in zip(
                    problems["row"].tolist(),
                    problems["column"].tolist(),
                    problems["code"].tolist(),
                    problems["value"].tolist(),
                    strict=True,
                )
            ],
        }

    def problem_counts(self) -> dict[str, int]:
        """Number of problems per reason code, most frequent first."""
        counts = self.problems["code"].value_counts()
        return {str(k): int(v) for k, v in counts.items()}

    def problem_table(self) -> pd.DataFrame:
        """Problems counted by column and reason code, with the fix (:func:`problem_table`).

        Examples
        --------
        >>> from recovery_toolkit.samples import sample_path
        >>> from recovery_toolkit import load_logs
        >>> load_logs(sample_path()).problem_table().columns.tolist()
        ['column', 'code', 'rows', 'fix']
        """
        return problem_table(self.problems)

    def overview(self) -> pd.DataFrame:
        """A first look at the valid logs: one row per treatment type.

        Columns: episodes, patients, sites, logs, first and last treatment date.

        Examples
        --------
        >>> from recovery_toolkit import load_logs
        >>> from recovery_toolkit.samples import sample_path
        >>> int(load_logs(sample_path()).overview()["episodes"].sum())
        400
        """
        logs = self.logs
        return (
            logs.groupby(SorenessLog.treatment_type, observed=False)
            .agg(
                episodes=(SorenessLog.episode_id, "nunique"),
                patients=(SorenessLog.patient_id, "nunique"),
                sites=(SorenessLog.site, "nunique"),
                logs=(SorenessLog.day, "size"),
                first_treatment=(SorenessLog.treatment_date, "min"),
                last_treatment=(SorenessLog.treatment_date, "max"),
            )
            .reset_index()
        )

    def __str__(self) -> str:
        lines = [
            f"{self.source}",
            f"  rows read         {self.rows_read:>9,}",
            f"  rows valid        {self.rows_valid:>9,}",
            f"  rows quarantined  {self.rows_quarantined:>9,}",
        ]
        if self.rows_merged:
            lines.append(f"  baseline rows merged {self.rows_merged:>6,}")
        if self.blank_rows:
            lines.append(f"  blank lines skipped {self.blank_rows:>7,}")
        lines.append(f"  episodes          {self.episodes:>9,}")
        if self.ignored_columns:
            lines.append(f"  ignored columns   {', '.join(self.ignored_columns)}")
        for code, count in self.problem_counts().items():
            lines.append(f"  {count:>6,} x {code}: {vocab.REASONS[code].message}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><td>{html.escape(code)}</td><td>{count:,}</td>"
            f"<td>{html.escape(vocab.REASONS[code].fix)}</td></tr>"
            for code, count in self.problem_counts().items()
        )
        table = (
            f"<table><tr><th>problem</th><th>count</th><th>fix</th></tr>{rows}</table>"
            if rows
            else "<p>No problems found.</p>"
        )
        return (
            f"<div><strong>{html.escape(Path(self.source).name)}</strong>: "
            f"{self.rows_read:,} rows read, {self.rows_valid:,} valid, "
            f"{self.rows_quarantined:,} quarantined, {self.episodes:,} episodes{table}</div>"
        )
