"""Read a local file into a raw table, refusing files that cannot or must not be read.

The raw table keeps every data row with its 1-based row number in the source, so that a
problem found later can always be pointed back to the row a user sees in their spreadsheet.
Text formats are read as strings (``"00123"`` stays ``"00123"``); nothing is interpreted here.

Examples
--------
>>> from recovery_toolkit.io.readers import read_raw
>>> from recovery_toolkit.samples import sample_path
>>> raw = read_raw(sample_path())
>>> raw.frame.columns[0]
'patient_id'
"""

from __future__ import annotations

import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputFileError
from .raw import EXPORT_FIX, RawTable, drop_empty_unnamed, name_columns, refuse_duplicate_columns
from .text import read_text, scan_file

__all__ = ["RawTable", "read_raw", "TEXT_SUFFIXES", "EXCEL_SUFFIXES", "PARQUET_SUFFIXES"]

TEXT_SUFFIXES = frozenset({".csv", ".tsv", ".txt", ".tab"})
EXCEL_SUFFIXES = frozenset({".xlsx"})
PARQUET_SUFFIXES = frozenset({".parquet", ".pq"})
_MACRO_SUFFIXES = frozenset({".xlsm", ".xltm", ".xlsb", ".xlam", ".xls"})
_PICKLE_SUFFIXES = frozenset({".pkl", ".pickle", ".joblib", ".npy", ".npz"})

#: Largest Excel workbook read (compressed size, and uncompressed size of its parts).
MAX_EXCEL_BYTES = 200 * 1024 * 1024


def read_raw(
    path: str | Path,
    *,
    encoding: str | None = None,
    delimiter: str | None = None,
    decimal: str | None = None,
    sheet: str | int = 0,
) -> RawTable:
    """Read ``path`` (CSV/TSV/TXT, XLSX or Parquet) into a :class:`RawTable`.

    Parameters
    ----------
    path : str or Path
        A local file.
    encoding : str, optional
        Text encoding; by default UTF-8 with or without a byte-order mark. Other encodings are
        used only when named.
    delimiter : str, optional
        Field delimiter; by default sniffed from the header among ``,`` ``;`` and tab.
    decimal : str, optional
        Decimal mark of numbers; by default ``,`` in ``;``-delimited files, else ``.``.
    sheet : str or int, default 0
        Worksheet of an Excel workbook.

    Returns
    -------
    RawTable

    Raises
    ------
    InputFileError
        When the file cannot be used at all; the message names the file and the fix.

    Examples
    --------
    >>> from recovery_toolkit.samples import sample_path
    >>> read_raw(sample_path()).delimiter
    ','
    """
    path = Path(path)
    if encoding is not None and encoding.lower().replace("_", "-") in ("utf-8", "utf8"):
        encoding = "utf-8-sig"  # a byte-order mark is never part of the data
    kind = _detect_kind(path, encoding)
    # one pass over the bytes for the hash and the line shape, on the second core while the
    # reader parses (hashing and counting release the GIL)
    with ThreadPoolExecutor(max_workers=1) as pool:
        scan = pool.submit(scan_file, path)
        if kind == "parquet":
            table = _read_parquet(path)
        elif kind == "excel":
            table = _read_excel(path, sheet)
        else:
            table = read_text(path, encoding, delimiter, decimal, scan)
        table = replace(table, sha256=scan.result().sha256)
    if len(table.frame) == 0 and len(table.bad_rows) == 0:
        raise InputFileError(path, "the file has a header but no data rows", EXPORT_FIX)
    return table


def _detect_kind(path: Path, encoding: str | None = None) -> str:
    if not path.exists():
        raise InputFileError(path, "no such file", "check the path and the file name")
    if not path.is_file():
        raise InputFileError(
            path,
            "is not a file",
            "name a file (a folder of Parquet files is summarised part by part by "
            "summarise_dataset(folder))",
        )
    if path.stat().st_size == 0:
        raise InputFileError(path, "the file is empty", EXPORT_FIX)
    suffix = path.suffix.lower()
    with path.open("rb") as handle:
        head = handle.read(8192)
    if suffix in _PICKLE_SUFFIXES or head[:1] == b"\x80" and head[1:2] in b"\x02\x03\x04\x05":
        raise InputFileError(
            path, "Python pickles are never read (loading one can run code)", EXPORT_FIX
        )
    if suffix in _MACRO_SUFFIXES or head.startswith(b"\xd0\xcf\x11\xe0"):
        raise InputFileError(
            path,
            "macro-enabled or legacy Excel workbooks are not read",
            "save the sheet as .xlsx (Excel Workbook) or CSV",
        )
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) and encoding is None:
        raise InputFileError(
            path,
            "is UTF-16 text (it starts with a UTF-16 byte-order mark)",
            'add encoding="utf-16"',
        )
    content = "text" if encoding and encoding.lower().startswith("utf-16") else _content_kind(head)
    expected = (
        "parquet"
        if suffix in PARQUET_SUFFIXES
        else "excel"
        if suffix in EXCEL_SUFFIXES
        else "text"
        if suffix in TEXT_SUFFIXES
        else None
    )
    if content == "binary":
        raise InputFileError(path, "is not a table (it holds binary data)", EXPORT_FIX)
    if expected is None:
        return content
    if content != expected:
        names = {"parquet": "Parquet", "excel": "an Excel workbook", "text": "text"}
        raise InputFileError(
            path,
            f"the name says {suffix} but the content is {names[content]}",
            "rename the file to match its content, or export it again",
        )
    return content


def _content_kind(head: bytes) -> str:
    if head.startswith(b"PAR1"):
        return "parquet"
    if head.startswith(b"PK\x03\x04"):
        return "excel"
    if b"\x00" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "binary"
    return "text"


def _read_excel(path: Path, sheet: str | int) -> RawTable:
    if path.stat().st_size > MAX_EXCEL_BYTES:
        raise InputFileError(path, "the workbook is larger than 200 MB", "export it as CSV")
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            unpacked = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile:
        raise InputFileError(path, "is not a valid .xlsx workbook", EXPORT_FIX) from None
    if any(name.lower().endswith("vbaproject.bin") for name in names):
        raise InputFileError(
            path, "the workbook contains macros", "save it as .xlsx without macros, or as CSV"
        )
    if unpacked > 5 * MAX_EXCEL_BYTES:
        raise InputFileError(path, "the workbook unpacks to more than 1 GB", "export it as CSV")
    try:
        grid = pd.read_excel(path, sheet_name=sheet, header=None, dtype=str, engine="openpyxl")
    except ValueError as exc:
        raise InputFileError(path, f"cannot read sheet {sheet!r} ({exc})", "name a sheet") from None
    except Exception as exc:  # openpyxl raises many types for damaged files
        raise InputFileError(path, f"is not a readable workbook ({exc})", EXPORT_FIX) from None
    filled = np.flatnonzero(grid.notna().any(axis=1).to_numpy())
    if len(filled) == 0:
        raise InputFileError(path, "the sheet is empty", EXPORT_FIX)
    top = int(filled[0])  # leading blank rows above the header are skipped
    header = name_columns(["" if pd.isna(h) else str(h).strip() for h in grid.iloc[top]])
    refuse_duplicate_columns(path, header)
    frame = grid.iloc[top + 1 :].reset_index(drop=True)
    frame.columns = header
    frame = frame.mask(frame.apply(lambda c: c.str.strip() == ""))
    blank = frame.isna().all(axis=1).to_numpy()
    frame = frame.loc[~blank].reset_index(drop=True)
    return RawTable(
        frame=drop_empty_unnamed(frame),
        source_rows=np.flatnonzero(~blank) + 1,
        blank_rows=int(blank.sum()),
    )


def _read_parquet(path: Path) -> RawTable:
    import pyarrow.parquet as pq

    try:
        names = pq.read_schema(path).names
        # names repeated once trimmed are refused before pyarrow's many-line complaint
        refuse_duplicate_columns(path, [str(c).strip() for c in names])
        frame = pd.read_parquet(path)
    except InputFileError:
        raise
    except Exception as exc:  # pyarrow raises several types for damaged files
        problem = " ".join(str(exc).split())  # one line, whatever pyarrow wrote
        problem = problem if len(problem) <= 200 else problem[:197] + "..."
        raise InputFileError(
            path, f"is not a readable Parquet file ({problem})", EXPORT_FIX
        ) from None
    frame = frame.reset_index(drop=True)
    frame.columns = [str(c).strip() for c in frame.columns]
    for column in frame.columns:
        frame[column] = _plain_values(path, column, frame[column])
    return RawTable(frame=frame, source_rows=np.arange(1, len(frame) + 1))


def _plain_values(path: Path, column: str, values: pd.Series) -> pd.Series:
    """A Parquet column as the parsers take it: nested values (structs, lists, maps) as their
    text, so a cell that should be a score fails as one; bytes as UTF-8 text, refused in one
    line naming the column when they are not."""
    if values.dtype != object:
        return values
    present = values.dropna()
    if present.empty:
        return values
    first = present.iloc[0]
    if isinstance(first, bytes):
        try:
            return values.map(lambda v: v.decode("utf-8") if isinstance(v, bytes) else v)
        except UnicodeDecodeError:
            raise InputFileError(
                path,
                f"column {column!r} holds bytes that are not UTF-8 text",
                "write the column as text (string) in UTF-8, or drop it",
            ) from None
    if isinstance(first, (dict, list, tuple, np.ndarray)):
        return values.map(lambda v: v if v is None else str(v)).astype("str")
    return values
