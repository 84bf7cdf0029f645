"""Summaries of registries larger than memory: a folder of Parquet files, part by part.

The in-memory path (:func:`~recovery_toolkit.load_logs`, then
:func:`~recovery_toolkit.compute`) holds every row at once. For a folder of
Parquet files (one per month or site, say) :func:`summarise_dataset` instead lets DuckDB split
the rows by patient into parts (:mod:`recovery_toolkit.io.dataset`), and then, one part at a time:

1. validates it with the same code as ``load_logs`` (quarantine included),
2. builds its episode table (one row per episode; an episode's rows are all in one part),
3. reduces it to counts that add up over parts, the models' sample candidates and its
   drop-out paths (:func:`~recovery_toolkit.engines.parts.summarise_part`),
4. keeps its valid rows, episode table and drop-out paths in files of the work folder.

The counts of all parts add up to every mergeable table; three short passes over the kept
drop-out paths give the IPCW milestones, and a last pass over the kept rows lists the alerts
against the recovery curve of the whole. The episode table is never gathered: the driver
holds the parts' counts and the models' seeded samples. The tables are the same as the
in-memory path's on the same rows (tested), and the result is the same
:class:`~recovery_toolkit.analysis.Results` type, without the row-level logs and episodes.

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
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

import pandas as pd

from .. import analysis
from ..analysis.results import Results, notes_collected
from ..analysis.settings import Settings, resolve
from ..errors import InputFileError
from ..io.dataset import Partitioned, iter_parts, partition_dataset
from ..io.mapping import ColumnMapping, load_mapping
from .parts import PartSummary, combine_parts, concat_parts, detached, summarise_part

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
            folder, work, rows_per_part=rows_per_part, memory_limit=memory_limit, mapping=mapping
        )
        first = _first_pass(parted, Path(work), settings, load_options)
        whole = combine_parts(first.summaries)
        if not whole.episodes:
            raise InputFileError(
                folder,
                f"has no valid rows (all {whole.rows['read']:,} rows were quarantined)",
                "see why with load_logs(FILE.parquet).quarantine, one file of the folder at a time",
            )
        alerts = _alerts(first.kept, settings, whole.curve)
        tables = whole.cohort_tables(alerts, settings, first.passes)
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
        provenance=whole.provenance(str(parted.source), parted.sha256, options, "parquet"),
        notes=tuple(notes),
        quarantine=concat_parts(first.quarantine),
    )


@dataclass(frozen=True)
class DatasetResults(Results):
    """:class:`~recovery_toolkit.analysis.Results` of a Parquet folder, with its quarantined
    rows (``source_file`` and ``source_row`` say where each came from)."""

    quarantine: pd.DataFrame = field(default_factory=pd.DataFrame)


@dataclass(frozen=True)
class _Kept:
    """The files a part with valid rows leaves in the work folder: its rows, its episode
    table, and its kept frames by kind (``PartSummary.kept``)."""

    logs: Path
    episodes: Path
    frames: dict[str, Path]


@dataclass(frozen=True)
class _FirstPass:
    """What the first pass keeps: each part's summary (without its kept frames) and
    quarantined rows, and the files of each part with valid rows."""

    summaries: list[PartSummary]
    quarantine: list[pd.DataFrame]
    kept: list[_Kept]

    def passes(self, run: Callable[[pd.DataFrame], pd.DataFrame], kind: str) -> list[pd.DataFrame]:
        """``run`` on each kept part's frame of ``kind`` (read one part at a time)."""
        return [run(pd.read_parquet(part.frames[kind])) for part in self.kept]


def _first_pass(
    parted: Partitioned, work: Path, settings: Settings, options: dict[str, object]
) -> _FirstPass:
    """Load, validate and reduce each part in turn, keeping its files."""
    first = _FirstPass([], [], [])
    for i, result in enumerate(iter_parts(parted, **options)):
        first.quarantine.append(detached(result.quarantine))  # not the part's buffers
        episodes = None if result.logs.empty else analysis.episode_table(result.logs, settings)
        summary = summarise_part(result, settings, episodes=episodes)
        if episodes is not None:  # a part with valid rows: its files for the later passes
            kept = _Kept(work / f"valid-{i}.parquet", work / f"episodes-{i}.parquet", {})
            result.logs.to_parquet(kept.logs)
            episodes.to_parquet(kept.episodes)
            for j, (kind, frame) in enumerate(summary.kept().items()):
                kept.frames[kind] = work / f"kept-{i}-{j}.parquet"
                frame.to_parquet(kept.frames[kind])
            first.kept.append(kept)
        first.summaries.append(summary.without_kept())
    return first


def _alerts(kept: list[_Kept], settings: Settings, curve: pd.DataFrame) -> pd.DataFrame:
    """A last pass: each part's alerts against the curve of the whole."""
    parts = [
        analysis.alerts(
            pd.read_parquet(part.logs), pd.read_parquet(part.episodes), settings, curve=curve
        )
        for part in kept
    ]
    return analysis.sort_alerts(pd.concat(parts, ignore_index=True))
