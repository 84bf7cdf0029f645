"""Folders of Parquet files larger than memory: split by patient with DuckDB, then load and
validate one part at a time.

Every per-episode fact needs only the rows of one episode (docs/scale.md), and an episode belongs to
one patient. So DuckDB — which streams and spills to disk, within a memory limit — rewrites the
folder (one file per month or site, say) into parts that each hold every row of their patients,
and each part is validated by the same code as :func:`~recovery_toolkit.load_logs`. Rows keep
their file name and 1-based row number in it, so a quarantined row can still be found and fixed.

Examples
--------
>>> import tempfile
>>> from recovery_toolkit.samples import sample_parquet_folder
>>> folder = sample_parquet_folder(by="site")  # one file per site
>>> with tempfile.TemporaryDirectory() as work:
...     parted = partition_dataset(folder, work, rows_per_part=2_000)
...     sum(load_part(part, parted).rows_valid for part in parted.parts)
5204
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from ..errors import InputFileError
from .columns import canonical_header
from .load import LoadResult, file_sha256, validate_raw
from .readers import RawTable

__all__ = ["Partitioned", "dataset_files", "partition_dataset", "load_part", "iter_parts"]

_FILE, _ROW, _PART = "source_file", "_source_row", "_part"
_FIX = (
    "name a folder that holds the .parquet files of one export (every file with the same columns)"
)


def dataset_files(folder: str | Path) -> list[Path]:
    """The Parquet files of a folder and its subfolders, in name order.

    Examples
    --------
    >>> dataset_files(".")  # doctest: +SKIP
    [PosixPath('2025-01.parquet'), PosixPath('2025-02.parquet')]
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise InputFileError(folder, "is not a folder", _FIX)
    files = sorted(p for p in folder.rglob("*") if p.suffix in (".parquet", ".pq") and p.is_file())
    if not files:
        raise InputFileError(folder, "holds no .parquet files", _FIX)
    return files


@dataclass(frozen=True)
class Partitioned:
    """A folder rewritten into parts, each holding every row of its patients.

    Attributes
    ----------
    source : Path
        The input folder.
    files : list of Path
        Its Parquet files.
    parts : list of list of Path
        The files of each part (in the work folder).
    rows : int
        Rows in the input.
    sha256 : str
        SHA-256 of the input: of each file's name and SHA-256, in name order.
    """

    source: Path
    files: list[Path]
    parts: list[list[Path]]
    rows: int
    sha256: str


def _patient_column(files: list[Path]) -> str:
    names = pq.read_schema(files[0]).names
    canonical = canonical_header(pd.Index(names), files[0])
    found = [raw for raw, name in canonical.items() if name == "patient_id"]
    if not found:
        raise InputFileError(files[0], "has no patient_id column", "add or map a patient_id column")
    return found[0]


def _digest(folder: Path, files: list[Path]) -> str:
    total = hashlib.sha256()
    for path in files:
        total.update(f"{path.relative_to(folder)}\0{file_sha256(path)}\n".encode())
    return total.hexdigest()


def partition_dataset(
    folder: str | Path,
    work_dir: str | Path,
    *,
    rows_per_part: int = 1_000_000,
    memory_limit: str = "1GB",
) -> Partitioned:
    """Rewrite a Parquet folder into parts of about ``rows_per_part`` rows, split by patient.

    DuckDB does the work in a streaming query under ``memory_limit`` (spilling to
    ``work_dir`` if it must); a patient's rows all land in one part, whichever files they came
    from. The input is only read.

    Examples
    --------
    >>> import tempfile
    >>> from recovery_toolkit.samples import sample_parquet_folder
    >>> folder = sample_parquet_folder()
    >>> with tempfile.TemporaryDirectory() as work:
    ...     len(partition_dataset(folder, work, rows_per_part=1_000).parts)
    6
    """
    folder = Path(folder)
    files = dataset_files(folder)
    patient = _patient_column(files)
    work = Path(work_dir)
    out = work / "parts"
    names = [str(p) for p in files]
    with duckdb.connect() as con:
        con.execute(f"SET memory_limit = '{memory_limit}'")
        con.execute(f"SET temp_directory = '{work / 'spill'}'")
        con.execute("SET preserve_insertion_order = false")
        try:
            counted = con.execute("SELECT count(*) FROM read_parquet(?)", [names]).fetchone()
        except duckdb.Error as exc:
            raise InputFileError(folder, f"could not be read as Parquet ({exc})", _FIX) from None
        rows = 0 if counted is None else int(counted[0])  # count(*) always returns one row
        count = max(1, math.ceil(rows / rows_per_part))
        quoted = '"' + patient.replace('"', '""') + '"'
        con.execute(
            f"""
            COPY (
                SELECT * EXCLUDE (filename, file_row_number),
                       filename AS {_FILE},
                       file_row_number AS {_ROW},
                       hash(trim(CAST({quoted} AS VARCHAR))) % {count} AS {_PART}
                FROM read_parquet(?, filename = true, file_row_number = true,
                                  union_by_name = true)
            ) TO '{out}' (FORMAT parquet, PARTITION_BY ({_PART}))
            """,
            [names],
        )
    parts = [sorted(d.glob("*.parquet")) for d in sorted(out.iterdir()) if d.is_dir()]
    return Partitioned(folder, files, parts, rows, _digest(folder, files))


def load_part(part: list[Path], parted: Partitioned, **options: object) -> LoadResult:
    """Validate one part exactly as :func:`~recovery_toolkit.load_logs` validates a file.

    ``options`` are ``mapping``, ``date_format`` and ``today``. A quarantined row keeps its
    ``source_file`` (relative to the folder) and its 1-based ``source_row`` in that file.

    Examples
    --------
    >>> import tempfile
    >>> from recovery_toolkit.samples import sample_parquet_folder
    >>> folder = sample_parquet_folder()
    >>> with tempfile.TemporaryDirectory() as work:
    ...     parted = partition_dataset(folder, work)
    ...     load_part(parted.parts[0], parted).rows_quarantined
    0
    """
    frame = pq.read_table([str(p) for p in part], partitioning=None).to_pandas()
    frame = frame.drop(columns=[_PART], errors="ignore").reset_index(drop=True)
    rows = frame.pop(_ROW).to_numpy(dtype=np.int64) + 1
    codes, files = pd.factorize(frame[_FILE])  # a few files, many rows
    names = np.array([str(Path(f).relative_to(parted.source)) for f in files], dtype=object)
    frame[_FILE] = pd.Series(names[codes], dtype="str")
    raw = RawTable(frame=frame, source_rows=rows)
    return validate_raw(raw, source=parted.source, sha256=parted.sha256, **options)  # type: ignore[arg-type]


def iter_parts(parted: Partitioned, **options: object) -> Iterator[LoadResult]:
    """Load the parts one after the other (only one is in memory at a time).

    Examples
    --------
    >>> import tempfile
    >>> from recovery_toolkit.samples import sample_parquet_folder
    >>> folder = sample_parquet_folder()
    >>> with tempfile.TemporaryDirectory() as work:
    ...     parted = partition_dataset(folder, work, rows_per_part=2_000)
    ...     sum(r.rows_read for r in iter_parts(parted))
    5204
    """
    for part in parted.parts:
        yield load_part(part, parted, **options)
