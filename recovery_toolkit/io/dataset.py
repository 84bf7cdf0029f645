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
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from ..errors import InputFileError
from .columns import canonical_header
from .load import LoadResult, file_sha256, validate_raw
from .mapping import ColumnMapping
from .readers import RawTable

__all__ = [
    "Partitioned",
    "dataset_digest",
    "dataset_files",
    "episode_column",
    "iter_parts",
    "load_part",
    "partition_dataset",
    "patient_column",
    "relative_name",
    "split_episode_error",
    "validate_rows",
]

_FILE, _ROW, _PART = "source_file", "_source_row", "_part"

#: Leading and trailing whitespace of a patient id, as a regular expression that DuckDB (RE2)
#: and Spark (Java) read alike: every character Python's ``str.strip()`` or Arrow's
#: ``utf8_trim_whitespace`` removes, and a few more. The engines split rows by the id without
#: it, so the rows of one patient (as the loader reads the id) always land in one part.
_SPACE = (
    r"[\t\n\x{0B}\f\r\x{1C}-\x{1F} \x{85}\x{A0}\x{1680}\x{180E}\x{2000}-\x{200B}"
    r"\x{2028}\x{2029}\x{202F}\x{205F}\x{3000}\x{FEFF}]"
)
KEY_TRIM = rf"^{_SPACE}+|{_SPACE}+$"
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


def patient_column(
    names: list[str], where: str | Path, mapping: ColumnMapping | None = None
) -> str:
    """The input column that holds the patient id, as the loader would find it: named so by
    ``mapping`` (a REDCap record id first, which every row has; else its ``columns``), else
    recognised by its header.

    Examples
    --------
    >>> patient_column(["Patient ID", "Soreness"], "x.parquet")
    'Patient ID'
    >>> patient_column(["MRN", "pain"], "x.parquet", ColumnMapping(columns={"MRN": "patient_id"}))
    'MRN'
    """
    if mapping is not None and mapping.redcap is not None and mapping.redcap.record in names:
        return mapping.redcap.record  # the record id: on every row, baseline or diary
    found = _input_column(names, where, mapping, "patient_id")
    if found is None:
        raise InputFileError(where, "has no patient_id column", "add or map a patient_id column")
    return found


def episode_column(
    names: list[str], where: str | Path, mapping: ColumnMapping | None = None
) -> str | None:
    """The input column that holds the episode id, as the loader would find it, or ``None``
    when the episode id cannot differ between the rows of a patient (no such column: the
    loader derives it from the patient; a REDCap record: the record is the episode).

    Examples
    --------
    >>> episode_column(["Patient ID", "Episode ID", "Soreness"], "x.parquet")
    'Episode ID'
    >>> episode_column(["patient_id", "pain"], "x.parquet") is None
    True
    """
    if mapping is not None and mapping.redcap is not None:
        return None
    return _input_column(names, where, mapping, "episode_id")


def _input_column(
    names: list[str], where: str | Path, mapping: ColumnMapping | None, target: str
) -> str | None:
    """The input column the loader reads as canonical column ``target``: named so by
    ``mapping``'s ``columns``, else recognised by its header; ``None`` when there is none."""
    if mapping is not None:
        for source, canonical in mapping.columns.items():
            if canonical == target and source in names:
                return source
    canonical_names = canonical_header(pd.Index(names), where)
    found = [raw for raw, name in canonical_names.items() if name == target]
    return str(found[0]) if found else None


def split_episode_error(episode: str, where: str | Path) -> InputFileError:
    """The error of an episode whose rows name different patients: an engine that splits
    rows by patient could count it twice, where the loader quarantines it.

    Examples
    --------
    >>> str(split_episode_error("E7", "reg/")).split(";")[0]
    "reg/: episode 'E7' has rows under different patient ids"
    """
    return InputFileError(
        where,
        f"episode {episode!r} has rows under different patient ids",
        "give all its rows one patient id (load_logs of the rows in one file quarantines the "
        "episode and shows them)",
    )


def _digest(folder: Path, files: list[Path]) -> str:
    return dataset_digest((str(path.relative_to(folder)), file_sha256(path)) for path in files)


def dataset_digest(files: Iterable[tuple[str, str]]) -> str:
    """SHA-256 of a folder: of each file's relative name and SHA-256, in the order given
    (name order); the same whichever engine hashed the files.

    Examples
    --------
    >>> dataset_digest([("a.parquet", "00"), ("b.parquet", "11")])[:12]
    '712f9a8cff30'
    """
    total = hashlib.sha256()
    for name, digest in files:
        total.update(f"{name}\0{digest}\n".encode())
    return total.hexdigest()


def partition_dataset(
    folder: str | Path,
    work_dir: str | Path,
    *,
    rows_per_part: int = 1_000_000,
    memory_limit: str = "1GB",
    mapping: ColumnMapping | None = None,
) -> Partitioned:
    """Rewrite a Parquet folder into parts of about ``rows_per_part`` rows, split by patient
    (its column found as the loader finds it, ``mapping`` included).

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
    patient = patient_column(pq.read_schema(files[0]).names, files[0], mapping)
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
        con.execute(
            f"""
            COPY (
                SELECT * EXCLUDE (filename, file_row_number),
                       filename AS {_FILE},
                       file_row_number AS {_ROW},
                       hash({_trimmed(patient)}) % {count} AS {_PART}
                FROM read_parquet(?, filename = true, file_row_number = true,
                                  union_by_name = true)
            ) TO '{out}' (FORMAT parquet, PARTITION_BY ({_PART}))
            """,
            [names],
        )
        episode = episode_column(pq.read_schema(files[0]).names, files[0], mapping)
        if episode is not None:
            _refuse_split_episodes(con, folder, names, episode, patient)
    parts = [sorted(d.glob("*.parquet")) for d in sorted(out.iterdir()) if d.is_dir()]
    return Partitioned(folder, files, parts, rows, _digest(folder, files))


def _trimmed(column: str) -> str:
    """SQL: ``column`` as text without leading or trailing (Unicode) whitespace."""
    quoted = '"' + column.replace('"', '""') + '"'
    return f"regexp_replace(CAST({quoted} AS VARCHAR), '{KEY_TRIM}', '', 'g')"


def _refuse_split_episodes(
    con: duckdb.DuckDBPyConnection,
    folder: Path,
    names: list[str],
    episode: str,
    patient: str,
) -> None:
    """Fail in one line when an episode's rows name different patients: the parts are split
    by patient, so each part could see a whole, valid episode and the tables count it twice
    (the loader quarantines such an episode). Refused whatever the split, so the outcome
    never depends on ``rows_per_part``; rows without a patient id are the loader's to
    quarantine, one by one, and do not count."""
    found = con.execute(
        f"""
        SELECT e FROM (
            SELECT {_trimmed(episode)} AS e, {_trimmed(patient)} AS p
            FROM read_parquet(?, union_by_name = true)
        )
        WHERE e <> '' AND p <> ''
        GROUP BY e HAVING count(DISTINCT p) > 1
        ORDER BY e LIMIT 1
        """,
        [names],
    ).fetchone()
    if found is not None:
        raise split_episode_error(str(found[0]), folder)


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
    frame = frame.drop(columns=[_PART], errors="ignore")
    root = str(parted.source)
    return validate_rows(
        frame,
        source=parted.source,
        sha256=parted.sha256,
        names=lambda f: relative_name(f, root),
        **options,
    )


def relative_name(path: str, root: str) -> str:
    """``path`` relative to the folder ``root`` (both plain paths or both URIs such as
    ``file:/data/x`` or ``s3://bucket/x``); ``path`` itself when it is not under ``root``.

    Examples
    --------
    >>> relative_name("file:///data/reg/2025-01.parquet", "file:///data/reg")
    '2025-01.parquet'
    >>> relative_name("/data/reg/site=a/part-0.parquet", "/data/reg/")
    'site=a/part-0.parquet'
    """
    prefix = root.rstrip("/") + "/"
    return path[len(prefix) :] if path.startswith(prefix) else path


def validate_rows(
    frame: pd.DataFrame,
    *,
    source: str | Path,
    sha256: str,
    names: Callable[[str], str] = str,
    **options: object,
) -> LoadResult:
    """Validate one part's raw rows exactly as :func:`~recovery_toolkit.load_logs` validates
    a file, whichever engine gathered them.

    ``frame`` holds the input's columns plus ``source_file`` (where each row was read) and
    ``_source_row`` (its 0-based row in that file); ``names`` turns a ``source_file`` into the
    name shown in the quarantine (e.g. relative to the folder). Rows are put in file and row
    order first, so the result never depends on the order an engine delivered them in.
    ``options`` are ``mapping``, ``date_format`` and ``today``.

    Examples
    --------
    >>> from recovery_toolkit.samples import sample_path
    >>> frame = pd.read_csv(sample_path(), dtype=str, keep_default_na=False).head(3)
    >>> frame = frame.replace("", None).assign(source_file="a.csv", _source_row=[2, 0, 1])
    >>> validate_rows(frame, source="part-0", sha256="-").rows_valid
    3
    """
    frame = frame.sort_values([_FILE, _ROW], kind="stable", ignore_index=True)
    rows = frame.pop(_ROW).to_numpy(dtype=np.int64) + 1
    codes, files = pd.factorize(frame[_FILE])  # a few files, many rows
    shown = np.array([names(str(f)) for f in files], dtype=object)
    frame[_FILE] = pd.Series(shown[codes], dtype="str")
    raw = RawTable(frame=frame, source_rows=rows)
    return validate_raw(raw, source=source, sha256=sha256, **options)  # type: ignore[arg-type]


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
