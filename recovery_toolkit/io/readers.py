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

import csv
import hashlib
import io
import re
import warnings
import zipfile
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from ..errors import InputFileError

__all__ = ["RawTable", "read_raw", "TEXT_SUFFIXES", "EXCEL_SUFFIXES", "PARQUET_SUFFIXES"]

TEXT_SUFFIXES = frozenset({".csv", ".tsv", ".txt", ".tab"})
EXCEL_SUFFIXES = frozenset({".xlsx"})
PARQUET_SUFFIXES = frozenset({".parquet", ".pq"})
_MACRO_SUFFIXES = frozenset({".xlsm", ".xltm", ".xlsb", ".xlam", ".xls"})
_PICKLE_SUFFIXES = frozenset({".pkl", ".pickle", ".joblib", ".npy", ".npz"})
_DELIMITERS = (",", ";", "\t")
_EXPORT_FIX = "export the data as CSV, Excel (.xlsx) or Parquet"

#: Largest Excel workbook read (compressed size, and uncompressed size of its parts).
MAX_EXCEL_BYTES = 200 * 1024 * 1024


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
            table = _read_text(path, encoding, delimiter, decimal, scan)
        table = replace(table, sha256=scan.result().sha256)
    if len(table.frame) == 0 and len(table.bad_rows) == 0:
        raise InputFileError(path, "the file has a header but no data rows", _EXPORT_FIX)
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
        raise InputFileError(path, "the file is empty", _EXPORT_FIX)
    suffix = path.suffix.lower()
    with path.open("rb") as handle:
        head = handle.read(8192)
    if suffix in _PICKLE_SUFFIXES or head[:1] == b"\x80" and head[1:2] in b"\x02\x03\x04\x05":
        raise InputFileError(
            path, "Python pickles are never read (loading one can run code)", _EXPORT_FIX
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
        raise InputFileError(path, "is not a table (it holds binary data)", _EXPORT_FIX)
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


# ---------------------------------------------------------------------------- text files


def _read_text(
    path: Path,
    encoding: str | None,
    delimiter: str | None,
    decimal: str | None,
    scan: Future[FileScan],
) -> RawTable:
    enc = encoding or "utf-8-sig"
    try:
        with path.open("r", encoding=enc, newline="") as handle:
            head = handle.read(65536)
    except LookupError:
        raise InputFileError(
            path, f"unknown encoding {encoding!r}", "name an encoding such as latin-1 or cp1252"
        ) from None
    except UnicodeDecodeError as exc:
        raise _decode_error(path, exc, encoding) from None
    sep = delimiter or _sniff_delimiter(head)
    header = _header_fields(path, head, sep)
    dec = decimal or ("," if sep == ";" else ".")
    frame = None
    bad = pd.DataFrame({"source_row": pd.Series([], dtype="int64"), "text": []})
    if enc in ("utf-8-sig", "utf-8"):
        frame = _read_text_fast(path, sep, header)
        shape = scan.result()
        lines = shape.newlines + (0 if shape.ends_with_newline else 1)
        exact = not shape.quotes_balanced or shape.lone_carriage_returns
        if frame is not None and (exact or lines != len(frame) + 1):
            # blank lines, multi-line values or lines ended by a lone CR (which Arrow also
            # splits on): row numbers need the exact reader
            frame = None
    if frame is None:
        frame, bad = _read_text_exact(path, enc, sep, header, encoding, scan.result())
    frame.columns = header
    empty = frame.isna().all(axis=1).to_numpy()
    set_aside = np.zeros(len(frame), dtype=bool)
    set_aside[bad["source_row"].to_numpy(dtype=int) - 1] = True  # placeholders of bad rows
    source_rows = np.flatnonzero(~empty) + 1
    if empty.any():
        frame = frame.loc[~empty].reset_index(drop=True)
    return RawTable(
        frame=_drop_empty_unnamed(frame),
        source_rows=source_rows,
        bad_rows=bad,
        blank_rows=int((empty & ~set_aside).sum()),
        delimiter=sep,
        decimal=dec,
        encoding=enc,
    )


_NEWLINE, _RETURN, _QUOTE = ord("\n"), ord("\r"), ord('"')


@dataclass(frozen=True)
class FileScan:
    """One pass over a file's bytes: its SHA-256 and the shape of its lines.

    The fast reader skips blank lines and accepts a quote left open at the end of the file, so
    its result is only trusted when every line is one record (no blank lines, no multi-line
    values), every line ends with LF or CR LF (a lone CR also ends a line for Arrow, so the
    LF count would not number the rows) and the quotes balance.
    """

    sha256: str
    newlines: int
    ends_with_newline: bool
    quotes_balanced: bool
    lone_carriage_returns: bool = False


def scan_file(path: str | Path) -> FileScan:
    """Hash a file and count its line breaks and quotes, reading it once.

    Examples
    --------
    >>> from recovery_toolkit.samples import sample_path
    >>> scan = scan_file(sample_path())
    >>> len(scan.sha256), scan.ends_with_newline, scan.quotes_balanced
    (64, True, True)
    """
    digest = hashlib.sha256()
    newlines = quotes = returns = pairs = 0  # pairs: CR LF line ends
    last = b""
    with Path(path).open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 22), b""):
            digest.update(block)  # hashlib and numpy release the GIL: this can run in a thread
            data = np.frombuffer(block, dtype=np.uint8)
            newline = data == _NEWLINE
            newlines += int(np.count_nonzero(newline))
            quotes += int(np.count_nonzero(data == _QUOTE))
            carriage = data == _RETURN
            if carriage.any():
                returns += int(np.count_nonzero(carriage))
                pairs += int(np.count_nonzero(carriage[:-1] & newline[1:]))
            pairs += int(last == b"\r" and bool(newline[0]))  # a CR LF split between blocks
            last = block[-1:]
    return FileScan(digest.hexdigest(), newlines, last == b"\n", quotes % 2 == 0, returns != pairs)


def _read_text_fast(path: Path, sep: str, header: list[str]) -> pd.DataFrame | None:
    """Multi-threaded Arrow reader; ``None`` when the file needs the exact reader.

    Every cell stays text. Columns other than IDs and notes are then dictionary-encoded
    (pandas categoricals of their text), on two threads: a yes/no column of a million rows
    becomes a million small integers and a handful of words, a fifth of the memory, which
    parsing maps back without hashing the text again. Arrow skips blank lines (the caller
    only comes here when there are none) and refuses malformed rows, undecodable bytes and
    unclosed quotes: the exact reader then explains them.
    """
    names = [f"column_{i}" for i in range(len(header))]
    try:
        table = pa_csv.read_csv(
            path,
            read_options=pa_csv.ReadOptions(column_names=names, skip_rows=1),
            parse_options=pa_csv.ParseOptions(delimiter=sep),
            convert_options=pa_csv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.large_string()),
                null_values=[""],
                strings_can_be_null=True,
                quoted_strings_can_be_null=True,
            ),
        )
    except (pa.ArrowException, OSError):  # the exact reader finds and explains the problem
        return None
    with ThreadPoolExecutor(max_workers=2) as pool:  # Arrow releases the GIL
        columns = dict(enumerate(pool.map(_as_pandas, header, table.columns)))
    del table
    pa.default_memory_pool().release_unused()  # hand the text's pages back before parsing
    return pd.DataFrame(columns, copy=False)


def _as_pandas(title: str, values: pa.ChunkedArray) -> pd.Series:
    """One column of text, dictionary-encoded unless its values are mostly distinct."""
    if fold_name(title) not in _DISTINCT_TEXT:
        values = pc.dictionary_encode(values.combine_chunks())
    return values.to_pandas()


#: Columns whose values are mostly distinct, read as plain text (folded header names).
_DISTINCT_TEXT = frozenset({"patient_id", "episode_id", "notes"})


def fold_name(name: object) -> str:
    """A header name as the toolkit matches it: lower case, spaces and hyphens as ``_``.

    Examples
    --------
    >>> fold_name(" Patient-ID ")
    'patient_id'
    """
    return re.sub(r"[\s\-]+", "_", str(name).strip().lower())


def _read_text_exact(
    path: Path,
    enc: str,
    sep: str,
    header: list[str],
    encoding: str | None,
    scan: FileScan,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Row-exact reader: keeps blank lines for numbering, sets malformed rows aside."""
    try:
        with warnings.catch_warnings():
            # pandas only warns when a row has more fields than the header: treat it as an error
            warnings.simplefilter("error", pd.errors.ParserWarning)
            frame = pd.read_csv(
                path,
                sep=sep,
                dtype=str,
                keep_default_na=False,
                na_values=[""],
                skip_blank_lines=False,
                encoding=enc,
                encoding_errors="strict",
                engine="c",
                index_col=False,
            )
        bad = pd.DataFrame({"source_row": pd.Series([], dtype="int64"), "text": []})
    except UnicodeDecodeError as exc:
        raise _decode_error(path, exc, encoding) from None
    except (pd.errors.ParserError, pd.errors.ParserWarning) as exc:
        if "EOF inside string" in str(exc):
            raise _unclosed_quote(path, str(exc)) from None
        frame, bad = _read_text_tolerant(path, enc, sep, header, scan)
    if frame.shape[1] != len(header):
        raise InputFileError(path, "the header and the rows disagree on the columns", _EXPORT_FIX)
    return frame, bad


def _decode_error(path: Path, exc: UnicodeDecodeError, encoding: str | None) -> InputFileError:
    byte = exc.object[exc.start : exc.start + 1].hex()
    if encoding is None:
        return InputFileError(
            path,
            f"is not UTF-8 text (byte 0x{byte} cannot be decoded)",
            'name its encoding, e.g. encoding="latin-1" (or encoding="cp1252" for Windows exports)',
        )
    return InputFileError(
        path,
        f"cannot be decoded as {encoding} (byte 0x{byte})",
        "name the right encoding (encoding=)",
    )


def _unclosed_quote(path: Path, message: str) -> InputFileError:
    match = re.search(r"starting at row (\d+)", message)
    where = f" starting in data row {match.group(1)}" if match else ""
    return InputFileError(
        path,
        f"a quoted value is never closed{where}",
        'close the quote or remove the stray " character',
    )


def _sniff_delimiter(head: str) -> str:
    first_line = head.split("\n", 1)[0]
    counts = {d: _count_outside_quotes(first_line, d) for d in _DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > 0 else ","


def _count_outside_quotes(line: str, char: str) -> int:
    return sum(part.count(char) for part in line.split('"')[::2])


def _header_fields(path: Path, head: str, sep: str) -> list[str]:
    try:
        header = next(csv.reader(io.StringIO(head), delimiter=sep, strict=True))
    except (StopIteration, csv.Error):
        raise InputFileError(path, "has no readable header row", _EXPORT_FIX) from None
    header = [name.strip() for name in header]
    if not any(header):
        raise InputFileError(path, "has no header row (the first line is blank)", _EXPORT_FIX)
    header = _name_columns(header)
    _refuse_duplicate_columns(path, header)
    return header


def _name_columns(header: list[str]) -> list[str]:
    """Give blank header cells a name (``unnamed_<position>``) so no column is lost."""
    return [name or f"unnamed_{i}" for i, name in enumerate(header, start=1)]


def _drop_empty_unnamed(frame: pd.DataFrame) -> pd.DataFrame:
    """Drop columns without a header that hold nothing (e.g. from a trailing delimiter)."""
    unnamed = [c for c in frame.columns if str(c).startswith("unnamed_")]
    empty = [c for c in unnamed if frame[c].isna().all()]
    return frame.drop(columns=empty) if empty else frame


def _refuse_duplicate_columns(path: Path, header: list[str]) -> None:
    seen: set[str] = set()
    twice = sorted({h for h in header if h in seen or seen.add(h)})  # type: ignore[func-returns-value]
    if twice:
        raise InputFileError(
            path,
            f"column name(s) {', '.join(map(repr, twice))} appear more than once",
            "rename or delete the repeated column(s)",
        )


def _read_text_tolerant(
    path: Path, enc: str, sep: str, header: list[str], scan: FileScan
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Slow path for files with malformed rows: keep good rows, set the others aside."""
    good: list[list[str | None]] = []
    bad_rows: list[int] = []
    bad_text: list[str] = []
    width = len(header)
    if not scan.quotes_balanced:  # an odd number of quotes: one is never closed
        raise _unclosed_quote(path, "")
    with path.open("r", encoding=enc, newline="") as handle:
        reader = csv.reader(handle, delimiter=sep)  # lenient on stray quotes, as pandas is
        try:
            next(reader)
            for number, fields in enumerate(reader, start=1):
                if len(fields) > width and not any(f.strip() for f in fields[width:]):
                    fields = fields[:width]  # only empty extra fields: nothing is lost
                if len(fields) > width:
                    bad_rows.append(number)
                    bad_text.append(sep.join(fields))
                    good.append([None] * width)  # placeholder keeps row numbers aligned
                    continue
                padded = [f if f != "" else None for f in fields] + [None] * (width - len(fields))
                good.append(padded)
        except csv.Error as exc:
            raise InputFileError(
                path, f"data row {len(good) + 1} cannot be read ({exc})", _EXPORT_FIX
            ) from None
    frame = pd.DataFrame(good, columns=pd.Index(range(width)), dtype="str")
    bad = pd.DataFrame({"source_row": pd.Series(bad_rows, dtype="int64"), "text": bad_text})
    return frame, bad


# ---------------------------------------------------------------------------- Excel, Parquet


def _read_excel(path: Path, sheet: str | int) -> RawTable:
    if path.stat().st_size > MAX_EXCEL_BYTES:
        raise InputFileError(path, "the workbook is larger than 200 MB", "export it as CSV")
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            unpacked = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile:
        raise InputFileError(path, "is not a valid .xlsx workbook", _EXPORT_FIX) from None
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
        raise InputFileError(path, f"is not a readable workbook ({exc})", _EXPORT_FIX) from None
    filled = np.flatnonzero(grid.notna().any(axis=1).to_numpy())
    if len(filled) == 0:
        raise InputFileError(path, "the sheet is empty", _EXPORT_FIX)
    top = int(filled[0])  # leading blank rows above the header are skipped
    header = _name_columns(["" if pd.isna(h) else str(h).strip() for h in grid.iloc[top]])
    _refuse_duplicate_columns(path, header)
    frame = grid.iloc[top + 1 :].reset_index(drop=True)
    frame.columns = header
    frame = frame.mask(frame.apply(lambda c: c.str.strip() == ""))
    blank = frame.isna().all(axis=1).to_numpy()
    frame = frame.loc[~blank].reset_index(drop=True)
    return RawTable(
        frame=_drop_empty_unnamed(frame),
        source_rows=np.flatnonzero(~blank) + 1,
        blank_rows=int(blank.sum()),
    )


def _read_parquet(path: Path) -> RawTable:
    try:
        frame = pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises several types for damaged files
        raise InputFileError(path, f"is not a readable Parquet file ({exc})", _EXPORT_FIX) from None
    frame = frame.reset_index(drop=True)
    _refuse_duplicate_columns(path, [str(c) for c in frame.columns])
    frame.columns = [str(c).strip() for c in frame.columns]
    return RawTable(frame=frame, source_rows=np.arange(1, len(frame) + 1))
