"""Summaries of registries larger than memory: a folder of Parquet files, part by part.

The in-memory path (:func:`~recovery_toolkit.load_logs`, then
:func:`~recovery_toolkit.compute`) holds every row at once. For a folder of
Parquet files (one per month or site, say) :func:`summarise_dataset` instead lets DuckDB split
the rows by patient into parts (:mod:`recovery_toolkit.io.dataset`), and then, one part at a time:

1. validates it with the same code as ``load_logs`` (quarantine included),
2. builds its episode table (one row per episode; an episode's rows are all in one part),
3. counts soreness scores per treatment type and day
   (:func:`~recovery_toolkit.analysis.soreness_counts`),
4. keeps its valid rows in a Parquet file of the work folder.

The counts of all parts add up to the recovery curve of the whole; a second pass over the kept
rows lists the alerts against that curve. Every other table is a group-by over the episode
table, which holds one row per episode (about 1 kB), not one per log. The tables are the same
as the in-memory path's on the same rows (tested), and the result is the same
:class:`~recovery_toolkit.analysis.Results` type, without the row-level logs.

Examples
--------
>>> from recovery_toolkit.samples import sample_parquet_folder
>>> folder = sample_parquet_folder(by="site")  # one file per site
>>> results = summarise_dataset(folder, rows_per_part=2_000)
>>> results.provenance.rows["valid"], results.provenance.episodes, results.logs is None
(5204, 400, True)
"""

from __future__ import annotations

import datetime as dt
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

import pandas as pd

from .. import analysis
from ..analysis.results import (
    Provenance,
    Results,
    cohort_tables,
    last_log_date,
    notes_collected,
)
from ..analysis.settings import Settings, resolve
from ..errors import InputFileError
from ..io.dataset import Partitioned, iter_parts, partition_dataset
from ..io.load import LoadResult
from ..io.mapping import ColumnMapping, load_mapping
from ..io.result import problem_table

__all__ = ["DatasetResults", "summarise_dataset"]


def summarise_dataset(
    folder: str | Path,
    settings: Settings | None = None,
    *,
    mapping: str | Path | ColumnMapping | None = None,
    date_format: str | None = None,
    today: dt.date | None = None,
    rows_per_part: int = 1_000_000,
    memory_limit: str = "1GB",
    work_dir: str | Path | None = None,
) -> DatasetResults:
    """Summarise a folder of Parquet files without holding all its rows in memory.

    Parameters
    ----------
    folder : str or Path
        A folder of ``.parquet`` files (subfolders included) with the same columns.
    settings : Settings, optional
        Window, thresholds and definition.
    mapping, date_format, today
        As for :func:`~recovery_toolkit.load_logs`.
    rows_per_part : int, default 1,000,000
        About how many rows are in memory at once (peak memory grows with it).
    memory_limit : str, default "1GB"
        DuckDB's memory limit while it splits the folder (it spills beyond it).
    work_dir : str or Path, optional
        Where the parts are written (default: a temporary folder, removed afterwards).

    Examples
    --------
    >>> from recovery_toolkit.samples import sample_parquet_folder
    >>> summarise_dataset(sample_parquet_folder()).tables["time_to_resolution"]["episodes"].tolist()
    [142, 127, 85, 46]
    """
    settings = resolve(settings)
    if mapping is not None and not isinstance(mapping, ColumnMapping):
        mapping = load_mapping(mapping)
    load_options: dict[str, object] = {
        "mapping": mapping,
        "date_format": date_format,
        "today": today,
    }
    with (
        notes_collected() as notes,
        tempfile.TemporaryDirectory(dir=work_dir, prefix="recovery-toolkit-") as work,
    ):
        parted = partition_dataset(
            folder, work, rows_per_part=rows_per_part, memory_limit=memory_limit
        )
        parts = _first_pass(parted, Path(work), settings, load_options)
        if not parts.episodes:
            raise InputFileError(
                folder,
                f"has no valid rows (all {sum(r.rows_read for r in parts.loads):,} rows were "
                "quarantined)",
                "see why with load_logs(FILE.parquet).quarantine, one file of the folder at a time",
            )
        episode_table = _concat(parts.episodes).sort_values("episode_id", ignore_index=True)
        curve = analysis.curve_from_counts(_add_up(parts.counts))
        alerts = _alerts(parts.kept, parts.episodes, curve, settings)
        ends = [end for end in parts.last_dates if end is not None]
        data_end = max(ends) if ends else None  # the last log date over the parts
        tables = cohort_tables(episode_table, curve, alerts, settings, data_end=data_end)
    options: dict[str, object] = {
        "mapping": getattr(mapping, "source", None),
        "date_format": date_format,
        "files": len(parted.files),
        "rows_per_part": rows_per_part,
        "parts": len(parted.parts),
    }
    return DatasetResults(
        settings=settings,
        tables=MappingProxyType(tables),
        provenance=_provenance(parted, parts.loads, len(episode_table), options),
        episodes=episode_table,
        notes=tuple(notes),
        quarantine=_concat([r.quarantine for r in parts.loads]),
    )


@dataclass(frozen=True)
class DatasetResults(Results):
    """:class:`~recovery_toolkit.analysis.Results` of a Parquet folder, with its quarantined
    rows (``source_file`` and ``source_row`` say where each came from)."""

    quarantine: pd.DataFrame = field(default_factory=pd.DataFrame)


@dataclass(frozen=True)
class _Counts:
    """What the summary keeps of a part's load (its frame of valid rows is let go)."""

    quarantine: pd.DataFrame
    problems: pd.DataFrame
    rows_read: int
    rows_valid: int
    rows_quarantined: int
    rows_merged: int


def _stripped(result: LoadResult) -> _Counts:
    return _Counts(
        result.quarantine,
        result.problems,
        result.rows_read,
        result.rows_valid,
        result.rows_quarantined,
        result.rows_merged,
    )


@dataclass(frozen=True)
class _FirstPass:
    """What the first pass keeps of each part: its load counts and, for parts with valid rows,
    its episode table, soreness counts, last log date and the Parquet file of its valid rows."""

    loads: list[_Counts]
    episodes: list[pd.DataFrame]
    counts: list[pd.DataFrame]
    kept: list[Path]
    last_dates: list[pd.Timestamp | None]


def _first_pass(
    parted: Partitioned, work: Path, settings: Settings, options: dict[str, object]
) -> _FirstPass:
    """Load, validate and reduce each part in turn."""
    parts = _FirstPass([], [], [], [], [])
    for i, result in enumerate(iter_parts(parted, **options)):
        parts.loads.append(_stripped(result))
        if result.logs.empty:  # every row of this part was quarantined
            continue
        parts.episodes.append(analysis.episode_table(result.logs, settings))
        parts.counts.append(analysis.soreness_counts(result.logs, settings))
        parts.last_dates.append(last_log_date(result.logs))
        path = work / f"valid-{i}.parquet"
        result.logs.to_parquet(path)
        parts.kept.append(path)
    return parts


def _provenance(
    parted: Partitioned, loads: list[_Counts], episodes: int, options: dict[str, object]
) -> Provenance:
    """Source, digest, row counts summed over the parts, options and problems."""
    return Provenance(
        source=str(parted.source),
        sha256=parted.sha256,
        rows={
            "read": sum(r.rows_read for r in loads),
            "valid": sum(r.rows_valid for r in loads),
            "quarantined": sum(r.rows_quarantined for r in loads),
            "merged": sum(r.rows_merged for r in loads),
        },
        episodes=episodes,
        options=options,
        problems=problem_table(_concat([r.problems for r in loads])),
        engine="parquet",
    )


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Concatenate parts, keeping categorical columns categorical (their categories unified)."""
    frames = [f for f in frames if len(f.columns)]
    if not frames:
        return pd.DataFrame()
    categorical = [
        c for c, dtype in frames[0].dtypes.items() if isinstance(dtype, pd.CategoricalDtype)
    ]
    out = pd.concat(frames, ignore_index=True)
    for column in categorical:
        categories = frames[0][column].cat.categories
        for frame in frames[1:]:
            categories = categories.union(frame[column].cat.categories, sort=False)
        ordered = frames[0][column].cat.ordered
        out[column] = pd.Categorical(
            out[column].astype(object), categories=categories, ordered=ordered
        )
    return out


def _add_up(counts: list[pd.DataFrame]) -> pd.DataFrame:
    keys = ["treatment_type", "day", "soreness"]
    total = _concat(counts)
    return total.groupby(keys, observed=True, sort=True)["count"].sum().reset_index()


def _alerts(
    kept: list[Path],
    episodes: list[pd.DataFrame],
    curve: pd.DataFrame,
    settings: Settings,
) -> pd.DataFrame:
    """Second pass: each part's alerts against the curve of the whole."""
    parts = [
        analysis.alerts(pd.read_parquet(path), part, settings, curve=curve)
        for path, part in zip(kept, episodes, strict=True)
    ]
    return analysis.sort_alerts(pd.concat(parts, ignore_index=True))
