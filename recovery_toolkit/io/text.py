"""Reading delimited text: sniffing, a fast Arrow reader, an exact row-by-row reader for
awkward files, and the line scan that proves every line is one record.

Examples
--------
>>> from recovery_toolkit.samples import sample_path
>>> scan_file(sample_path()).newlines > 100
True
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import warnings
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from ..errors import InputFileError
from .raw import (
    EXPORT_FIX,
    RawTable,
    drop_empty_unnamed,
    fold_name,
    name_columns,
    refuse_duplicate_columns,
)

__all__ = ["DELIMITERS", "FileScan", "read_text", "scan_file"]

DELIMITERS = (",", ";", "\t")


def read_text(
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
    except UnicodeError as exc:  # UnicodeDecodeError, or e.g. UTF-16 without its BOM
        raise _decode_error(path, exc, encoding) from None
    sep = delimiter or _sniff_delimiter(head)
    header = _header_fields(path, head, sep)
    dec = decimal or ("," if sep == ";" else ".")
    frame = None
    bad = pd.DataFrame({"source_row": pd.Series([], dtype="int64"), "text": []})
    # a quoted header name holding a line break spans two lines: only the exact reader
    # (which reads the header as a record, not a line) numbers the rows right
    header_on_one_line = head.split("\n", 1)[0].count('"') % 2 == 0
    if enc in ("utf-8-sig", "utf-8") and header_on_one_line:
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
        frame=drop_empty_unnamed(frame),
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
    except UnicodeError as exc:  # UnicodeDecodeError, or e.g. UTF-16 without its BOM
        raise _decode_error(path, exc, encoding) from None
    except pd.errors.EmptyDataError:
        raise InputFileError(path, "has no readable header row", EXPORT_FIX) from None
    except (pd.errors.ParserError, pd.errors.ParserWarning) as exc:
        if "EOF inside string" in str(exc):
            raise _unclosed_quote(path, str(exc)) from None
        frame, bad = _read_text_tolerant(path, enc, sep, header, scan)
    if frame.shape[1] != len(header):
        raise InputFileError(path, "the header and the rows disagree on the columns", EXPORT_FIX)
    return frame, bad


def _decode_error(path: Path, exc: UnicodeError, encoding: str | None) -> InputFileError:
    if not isinstance(exc, UnicodeDecodeError):  # no offending byte to show
        return InputFileError(
            path,
            f"cannot be decoded as {encoding} ({exc})",
            "name the right encoding (encoding=), or leave it out for UTF-8",
        )
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
    counts = {d: _count_outside_quotes(first_line, d) for d in DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > 0 else ","


def _count_outside_quotes(line: str, char: str) -> int:
    return sum(part.count(char) for part in line.split('"')[::2])


def _header_fields(path: Path, head: str, sep: str) -> list[str]:
    try:
        header = next(csv.reader(io.StringIO(head), delimiter=sep, strict=True))
    except (StopIteration, csv.Error):
        raise InputFileError(path, "has no readable header row", EXPORT_FIX) from None
    header = [name.strip().strip("\ufeff").strip() for name in header]  # a second BOM too
    if not any(header):
        raise InputFileError(path, "has no header row (the first line is blank)", EXPORT_FIX)
    header = name_columns(header)
    refuse_duplicate_columns(path, header)
    return header


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
                path, f"data row {len(good) + 1} cannot be read ({exc})", EXPORT_FIX
            ) from None
    frame = pd.DataFrame(good, columns=pd.Index(range(width)), dtype="str")
    bad = pd.DataFrame({"source_row": pd.Series(bad_rows, dtype="int64"), "text": bad_text})
    return frame, bad


# ---------------------------------------------------------------------------- Excel, Parquet
