"""``load_logs``: one call from a clinic's export to a validated canonical frame.

Every data row of the file ends up exactly once either in ``LoadResult.logs`` (valid, in the
canonical shape of :class:`~recovery_toolkit.schemas.SorenessLog`) or in
``LoadResult.quarantine`` (its original values, its 1-based row number in the source and every
reason it failed). Nothing is silently dropped, nothing is silently fixed.

Examples
--------
>>> from recovery_toolkit import load_logs
>>> from recovery_toolkit.samples import sample_path
>>> result = load_logs(sample_path())
>>> result.rows_read == result.rows_valid + result.rows_quarantined + result.rows_merged
True
"""

from __future__ import annotations

import datetime as dt
import hashlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InputFileError, OptionError
from ..schemas import (
    BOOLEAN_COLUMNS,
    CANONICAL_COLUMNS,
    EPISODE_ATTRIBUTES,
    SorenessLog,
)
from . import parse, rules
from .columns import canonical_header, check_required_columns
from .mapping import ColumnMapping, apply_mapping, load_mapping
from .quarantine import problems_of, quarantine_of
from .readers import RawTable, read_raw
from .result import LoadResult, problem_table

__all__ = ["LoadResult", "load_logs", "validate_raw", "file_sha256", "problem_table"]

_MAX_DAY = 3650  # ten years after treatment: anything larger is a data error


def file_sha256(path: str | Path) -> str:
    """SHA-256 hex digest of a file's bytes.

    Examples
    --------
    >>> from recovery_toolkit.samples import sample_path
    >>> len(file_sha256(sample_path()))
    64
    """
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def load_logs(
    path: str | Path,
    *,
    mapping: str | Path | ColumnMapping | None = None,
    encoding: str | None = None,
    date_format: str | None = None,
    delimiter: str | None = None,
    sheet: str | int = 0,
    today: dt.date | None = None,
) -> LoadResult:
    """Load a soreness-log export into a validated canonical frame plus a quarantine.

    Parameters
    ----------
    path : str or Path
        A local CSV/TSV/TXT, XLSX or Parquet file.
    mapping : str, Path or ColumnMapping, optional
        A mapping file (YAML/TOML) or a :class:`~recovery_toolkit.io.mapping.ColumnMapping`
        that renames columns, translates values and describes a REDCap layout. Without one,
        headers are matched to canonical names ignoring case, spaces and hyphens.
    encoding : str, optional
        Text encoding when it is not UTF-8 (e.g. ``"latin-1"``).
    date_format : str, optional
        ``strftime`` format of non-ISO dates, e.g. ``"%d/%m/%Y"``.
    delimiter : str, optional
        Field delimiter when sniffing it is not wanted.
    sheet : str or int, default 0
        Worksheet of an Excel workbook.
    today : date, optional
        The date after which a date counts as "in the future" (default: today).

    Returns
    -------
    LoadResult

    Raises
    ------
    InputFileError
        When the file cannot be used at all; the message names the file and the fix.

    Examples
    --------
    >>> from recovery_toolkit.samples import sample_path
    >>> messy = load_logs(sample_path("messy_export.csv"),
    ...                   mapping=sample_path("messy_mapping.yaml"))
    >>> messy.rows_quarantined > 0
    True
    """
    if mapping is not None and not isinstance(mapping, ColumnMapping):
        mapping = load_mapping(mapping)
    encoding = encoding or (mapping.encoding if mapping else None)
    date_format = date_format or (mapping.date_format if mapping else None)
    delimiter = delimiter or (mapping.delimiter if mapping else None)
    _check_options(date_format, delimiter)
    raw = read_raw(
        path,
        encoding=encoding,
        delimiter=delimiter,
        decimal=mapping.decimal if mapping else None,
        sheet=sheet,
    )
    return _validate(raw, path, mapping, date_format, today, raw.sha256)


def _validate(
    raw: RawTable,
    path: str | Path,
    mapping: ColumnMapping | None,
    date_format: str | None,
    today: dt.date | None,
    digest: str | None,
) -> LoadResult:
    """Map, parse and check a raw table; split it into logs and quarantine."""
    frame = raw.frame
    merged = np.zeros(len(frame), dtype=bool)
    if mapping is not None:
        frame, merged = apply_mapping(frame, mapping)
    frame = frame.rename(columns=canonical_header(frame.columns, path))
    ignored = tuple(str(c) for c in frame.columns if c not in CANONICAL_COLUMNS)
    check_required_columns(frame, path)
    for column in ("treatment_date", "log_date"):
        ambiguous = column in frame.columns and date_format is None
        if ambiguous and parse.looks_day_first_or_month_first(frame[column]):
            raise InputFileError(
                path,
                f"dates in {column} such as {frame[column].dropna().iloc[0]!r} could be "
                "day-first or month-first",
                'name the format, e.g. date_format="%d/%m/%Y" (or date_format="%m/%d/%Y")',
            )
    today = today or dt.date.today()
    typed, codes = _parse_columns(frame, raw.decimal, date_format, today)
    if merged.any():  # baseline rows hold episode fields only: diary checks do not apply
        for column in codes:
            if column not in EPISODE_ATTRIBUTES:
                codes[column] = np.where(merged, 0, codes[column]).astype(np.int8)
    row_failed = np.zeros(len(typed), dtype=bool)
    for value in codes.values():
        row_failed |= value != 0
    attributes_ok = np.logical_and.reduce([codes[c] == 0 for c in EPISODE_ATTRIBUTES])
    cross = rules.cross_row_reasons(
        rules.CrossRows(
            typed=typed,
            episode=pd.factorize(typed["episode_id"])[0],
            passed=~row_failed,
            attributes_ok=attributes_ok,
            baseline=merged,
            reason=np.zeros(len(typed), dtype=np.int8),
        )
    )
    failed = row_failed | (cross != 0)
    problems = problems_of(codes, cross, frame, typed, raw.source_rows, raw)
    quarantine = quarantine_of(raw, np.flatnonzero(failed), problems)
    is_log = ~failed & ~merged
    columns = list(CANONICAL_COLUMNS)
    # every row valid (the usual case for a large registry): select columns, which shares the
    # data (copy-on-write) instead of copying every column as a row mask would
    logs = typed[columns] if is_log.all() else typed.loc[is_log, columns]
    del typed
    logs = logs.reset_index(drop=True).astype({"day": "int64", "soreness": "int64"})
    logs = SorenessLog.validate(logs)  # the contract; the row rules ran above, once
    return LoadResult(
        logs=logs,
        quarantine=quarantine,
        problems=problems,
        source=str(path),
        sha256=digest if digest is not None else file_sha256(path),
        rows_read=len(raw.frame) + len(raw.bad_rows),
        rows_merged=int((merged & ~failed).sum()),
        blank_rows=raw.blank_rows,
        ignored_columns=ignored,
        options={
            "mapping": getattr(mapping, "source", None),
            "encoding": raw.encoding,
            "delimiter": raw.delimiter,
            "decimal": raw.decimal,
            "date_format": date_format,
        },
    )


def validate_raw(
    raw: RawTable,
    *,
    source: str | Path,
    sha256: str,
    mapping: ColumnMapping | None = None,
    date_format: str | None = None,
    today: dt.date | None = None,
) -> LoadResult:
    """Validate rows already read (e.g. one part of a Parquet folder) exactly as
    :func:`load_logs` validates a file; ``source`` and ``sha256`` describe where they came from.

    Examples
    --------
    >>> from recovery_toolkit.samples import sample_path
    >>> frame = pd.read_csv(sample_path(), dtype=str, keep_default_na=False).head(30)
    >>> raw = RawTable(frame=frame.replace("", None), source_rows=np.arange(1, 31))
    >>> validate_raw(raw, source="part-0", sha256="-").rows_valid
    30
    """
    _check_options(date_format, None)
    return _validate(raw, source, mapping, date_format, today, sha256)


def _check_options(date_format: str | None, delimiter: str | None) -> None:
    """Refuse option values that cannot work, before reading anything."""
    if date_format is not None:
        sample = dt.datetime(2024, 11, 23, tzinfo=dt.UTC)  # so %z can round-trip
        try:
            text = sample.strftime(date_format)
            back = dt.datetime.strptime(text, date_format)
            pd.to_datetime(text, format=date_format)  # pandas refuses more (%U without %w)
        except (ValueError, TypeError) as exc:
            raise OptionError("date_format=", date_format, str(exc), _DATE_FIX) from None
        if back.date() != sample.date():
            raise OptionError(
                "date_format=", date_format, "needs a day, a month and a year", _DATE_FIX
            )
    if delimiter is not None and (
        len(delimiter) != 1
        or delimiter in '"\r\n'
        or not delimiter.isascii()
        or not (delimiter.isprintable() or delimiter == "\t")
    ):
        raise OptionError(
            "delimiter=",
            delimiter,
            "must be one ASCII character: a printable one (not a quote) or a tab",
            "use , or ; or a tab",
        )


_DATE_FIX = "name a format such as %d/%m/%Y or %m/%d/%Y"


def _parse_columns(
    frame: pd.DataFrame, decimal: str, date_format: str | None, today: dt.date
) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """Parse every canonical column; derive ``day``/``log_date``/``episode_id``; row rules."""
    n = len(frame)
    out: dict[str, Any] = {}
    codes: dict[str, np.ndarray] = {}

    def take(column: str, parsed: parse.Parsed) -> None:
        out[column] = parsed.values
        codes[column] = parsed.codes

    take("patient_id", parse.parse_text(frame["patient_id"], required=True))
    take("treatment_type", parse.parse_treatment_type(frame["treatment_type"]))
    take("treatment_date", parse.parse_date(frame["treatment_date"], date_format=date_format))
    take("soreness", parse.parse_integer(frame["soreness"], low=0, high=10, decimal=decimal))
    present = [c for c in BOOLEAN_COLUMNS if c in frame.columns]

    def parse_flag(column: str) -> parse.Parsed:
        return parse.parse_boolean(frame[column])

    with ThreadPoolExecutor(max_workers=2) as pool:  # factorising text releases the GIL
        parsed_flags = pool.map(parse_flag, present)
        for column, parsed in zip(present, parsed_flags, strict=True):
            take(column, parsed)
    for column in BOOLEAN_COLUMNS:
        if column not in frame.columns:
            empty = pd.arrays.BooleanArray(np.zeros(n, dtype=bool), np.ones(n, dtype=bool))
            out[column] = pd.Series(empty, index=frame.index)
    for column in ("site", "clinician", "notes"):
        if column in frame.columns:
            out[column] = parse.parse_text(frame[column], strip=column != "notes").values
        else:
            out[column] = pd.Series(pd.NA, index=frame.index, dtype="str")
    if "episode_id" in frame.columns:
        episode = parse.parse_text(frame["episode_id"]).values
    else:
        episode = pd.Series(pd.NA, index=frame.index, dtype="str")
    blank = episode.isna().to_numpy()
    if blank.any():
        derived = (
            out["patient_id"][blank]
            + "|"
            + out["treatment_date"][blank].dt.strftime("%Y-%m-%d")
            + "|"
            + out["treatment_type"][blank].astype("str")
        )
        episode = episode.fillna(derived)
    out["episode_id"] = episode
    written_day = _dates_and_days(frame, out, codes, date_format, decimal)
    day_column = "log_date" if "log_date" in frame.columns else "day"
    rules.apply_row_rules(rules.RowValues(out, written_day, day_column, today), codes)
    typed = pd.DataFrame(out, index=frame.index)
    typed["day"] = typed["day"].astype("Int64")
    return typed, codes


def _dates_and_days(
    frame: pd.DataFrame,
    out: dict[str, Any],
    codes: dict[str, np.ndarray],
    date_format: str | None,
    decimal: str,
) -> pd.Series | None:
    """Parse ``log_date`` and ``day`` (whichever the file has) and derive the other; return
    ``day`` as written when the file has both (the ``day_mismatch`` rule compares them)."""
    treated = out["treatment_date"]
    written_day = None
    if "log_date" in frame.columns:
        parsed = parse.parse_date(frame["log_date"], date_format=date_format)
        out["log_date"], codes["log_date"] = parsed.values, parsed.codes
        from_dates = (parsed.values - treated).dt.days.astype("Int64")
    if "day" in frame.columns:
        parsed_day = parse.parse_integer(
            frame["day"],
            low=-_MAX_DAY,
            high=_MAX_DAY,
            decimal=decimal,
            required="log_date" not in out,
        )
        codes["day"] = parsed_day.codes
        day = parsed_day.values
        if "log_date" in out:
            written_day = day
            day = from_dates.fillna(day)
        out["day"] = day
        if "log_date" not in out:
            out["log_date"] = treated + pd.to_timedelta(day.astype("float"), unit="D")
    else:
        out["day"] = from_dates
    out["log_date"] = out["log_date"].astype("datetime64[us]")
    return written_day
