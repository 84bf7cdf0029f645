"""Shared fixtures: small files written on the fly, and the bundled samples."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

TODAY = dt.date(2026, 11, 26)

HEADER = "patient_id,treatment_type,treatment_date,log_date,soreness"


@pytest.fixture
def write(tmp_path: Path):
    """Write text (or bytes) to a file in tmp_path and return its path."""

    def _write(name: str, content: str | bytes, encoding: str = "utf-8") -> Path:
        path = tmp_path / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding=encoding, newline="")
        return path

    return _write


@pytest.fixture
def csv_rows(write):
    """Write a minimal canonical CSV from data lines (header added) and return its path."""

    def _rows(*lines: str, header: str = HEADER, name: str = "logs.csv") -> Path:
        return write(name, "\n".join([header, *lines]) + "\n")

    return _rows


def codes_by_row(result) -> dict[int, set[str]]:
    """{source row: {reason codes}} of a LoadResult."""
    out: dict[int, set[str]] = {}
    for row, code in zip(result.problems["row"], result.problems["code"], strict=True):
        out.setdefault(int(row), set()).add(code)
    return out


def frame_equal_ignoring_ids(a: pd.DataFrame, b: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True))
