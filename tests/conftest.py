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


def make_logs(*episodes: dict) -> pd.DataFrame:
    """Build a canonical, schema-valid log frame from small episode specs.

    Each spec: ``id``, ``type``, ``soreness`` (list, one per day from ``first_day``; ``None``
    skips the day), optional ``days`` (explicit day numbers instead), ``date``, ``patient``,
    ``site`` and ``cells`` ({column: {day: value}}) for flags, care items and contact.
    """
    from recovery_toolkit.schemas import (
        BOOLEAN_COLUMNS,
        CANONICAL_COLUMNS,
        TREATMENT_DTYPE,
        SorenessLog,
    )

    rows = []
    for spec in episodes:
        days = spec.get("days") or list(range(len(spec["soreness"])))
        for day, score in zip(days, spec["soreness"], strict=True):
            if score is None:
                continue
            row = {
                "patient_id": spec.get("patient", f"p-{spec['id']}"),
                "episode_id": spec["id"],
                "treatment_type": spec.get("type", "physical_therapy"),
                "treatment_date": pd.Timestamp(spec.get("date", "2025-01-06")),
                "day": day,
                "soreness": score,
                "site": spec.get("site", "North"),
                "clinician": "c1",
                "notes": None,
            }
            for column, by_day in spec.get("cells", {}).items():
                row[column] = by_day.get(day)
            rows.append(row)
    frame = pd.DataFrame(rows)
    frame["log_date"] = frame["treatment_date"] + pd.to_timedelta(frame["day"], "D")
    for column in BOOLEAN_COLUMNS:
        values = frame[column] if column in frame else pd.Series([None] * len(frame))
        frame[column] = pd.array(values.tolist(), dtype="boolean")
    frame["treatment_type"] = pd.Categorical(frame["treatment_type"], dtype=TREATMENT_DTYPE)
    for column in ("patient_id", "episode_id", "site", "clinician", "notes"):
        frame[column] = frame[column].astype("str")
    frame["treatment_date"] = frame["treatment_date"].astype("datetime64[us]")
    frame["log_date"] = frame["log_date"].astype("datetime64[us]")
    frame = frame.astype({"day": "int64", "soreness": "int64"})
    return SorenessLog.validate(frame[list(CANONICAL_COLUMNS)])


def constant(value, days: int) -> list:
    return [value] * days


def _as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Every column as text (missing as None), as a hand-made export would hold it."""
    text = frame.astype(str).where(frame.notna(), None)
    return text.astype(object)


@pytest.fixture(scope="session")
def registry(tmp_path_factory):
    """A registry split by the month of the log (so episodes span files), with bad rows in
    the first, a middle and the last file. Returns the whole file, the folder and its files."""
    root = tmp_path_factory.mktemp("registry")
    from recovery_toolkit import generate_logs

    rows = _as_text(generate_logs(600, rng=21, notes=False, months=4))
    rows.loc[5, "soreness"] = "12"  # out of range
    rows.loc[40, "treatment_type"] = "massage"  # unknown type
    month = rows["log_date"].str[:7]
    months = sorted(month.unique())
    rows.loc[month[month == months[-1]].index[3], "soreness"] = "abc"  # in the last file
    rows.loc[month[month == months[2]].index[7], "log_date"] = "2025-13-45"  # a middle one
    duplicate = rows.iloc[[100]]  # the same row again, later in the registry
    rows = pd.concat([rows, duplicate], ignore_index=True)
    month = pd.concat([month, month.iloc[[100]]], ignore_index=True)  # file: the real month
    whole = root / "whole.parquet"
    rows.to_parquet(whole, index=False)
    folder = root / "by_log_month"
    folder.mkdir()
    files = {}
    for name, part in rows.groupby(month, sort=True):
        path = folder / f"logs_{name}.parquet"
        part.to_parquet(path, index=False)
        files[name] = part
    return whole, folder, files
