"""Registries on a cluster: the same per-part function, run by Spark.

Install with ``pip install "recovery-toolkit[spark]"`` (pyspark 4; docs/spark.md says which
versions work and how to put the toolkit on a cluster's workers). :func:`summarise_spark`
reads a Parquet folder or URI the cluster can read, or a catalog table (``table:cat.db.name``),
and then:

1. hashes each row's trimmed patient id into a bucket (every row of an episode lands in one),
2. validates and reduces each bucket on the workers with the function every engine runs
   (:func:`recovery_toolkit.io.dataset.validate_rows`,
   :func:`recovery_toolkit.engines.parts.summarise_part`), through ``applyInArrow``, with each
   row's file name and row number taken from Spark's file metadata,
3. collects the buckets' summaries (counts and the models' seeded samples, never log rows
   nor the episode table) and combines them on the driver
   (:func:`~recovery_toolkit.engines.parts.combine_parts`); the buckets' drop-out paths stay
   on the cluster, where three short passes give the IPCW milestones,
4. lists the alerts against the whole cohort's curve in a second pass and, like the
   quarantined rows, has Spark write them as Parquet where asked (never collected),
5. hashes the input files on the workers (the same digest as the DuckDB path).

The tables are identical to the in-memory and DuckDB paths' on the same rows (tested).

Examples
--------
>>> from recovery_toolkit.engines import spark
>>> spark.summarise_spark.__name__
'summarise_spark'
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import math
import os
import re
import socket
import sys
import warnings
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

import pandas as pd
import pyarrow as pa

from .. import analysis
from ..analysis.alerts import alert_counts
from ..analysis.dropout import PartPasses
from ..analysis.results import Results, conform, notes_collected
from ..analysis.settings import Settings, resolve
from ..errors import EngineError, InputFileError, OptionError, RecoveryToolkitError
from ..io.dataset import (
    KEY_TRIM,
    dataset_digest,
    episode_column,
    patient_column,
    relative_name,
    split_episode_error,
    validate_rows,
)
from ..io.mapping import ColumnMapping, load_mapping
from .parts import (
    Combined,
    combine_parts,
    decode,
    encode,
    frame_bytes,
    frame_of,
    summarise_part,
)

if TYPE_CHECKING:  # pyspark is an optional extra
    from pyspark.sql import DataFrame as SparkFrame
    from pyspark.sql import SparkSession

__all__ = ["SparkResults", "summarise_spark"]

_FILE, _ROW, _PART = "source_file", "_source_row", "_part"
_KEPT = "kept/"  # the payload kinds of the frames a bucket keeps on the cluster
_INSTALL = 'install it with: pip install "recovery-toolkit[spark]"'
_SOURCE_FIX = (
    "name a Parquet folder or URI the cluster can read, or a catalog table as table:catalog.db.name"
)
_PANDAS3 = "PySpark does not yet fully support pandas"


@dataclass(frozen=True)
class SparkResults(Results):
    """:class:`~recovery_toolkit.analysis.Results` of a registry summarised by Spark.

    There is no ``alerts`` table (alerts list patients: Spark writes them to
    ``alerts_path``, never to the driver); ``alert_counts`` is there.

    Attributes
    ----------
    quarantine_path, alerts_path : str or None
        Where Spark wrote the quarantined rows and the alerts (Parquet), if asked.
    """

    quarantine_path: str | None = None
    alerts_path: str | None = None


def summarise_spark(
    source: str | Path,
    settings: Settings | None = None,
    *,
    spark: SparkSession | None = None,
    master: str | None = None,
    remote: str | None = None,
    quarantine_path: str | None = None,
    alerts_path: str | None = None,
    mapping: str | Path | ColumnMapping | None = None,
    date_format: str | None = None,
    today: dt.date | None = None,
    rows_per_part: int = 200_000,
    overwrite: bool = False,
) -> SparkResults:
    """Summarise a registry with Spark, bucket by bucket on the workers.

    Parameters
    ----------
    source : str or Path
        A Parquet folder, file or URI the cluster can read (``s3://``, ``abfss://``,
        ``dbfs:/``...; subfolders included), or ``table:catalog.schema.name``.
    settings : Settings, optional
        Window, thresholds and definition.
    spark : SparkSession, optional
        A session to use (e.g. ``spark`` in a Databricks notebook); it is left running.
    master : str, optional
        Without ``spark``: the master of a new session (default ``local[2]``).
    remote : str, optional
        Without ``spark``: a Spark Connect server, ``sc://HOST:PORT``.
    quarantine_path, alerts_path : str, optional
        Where Spark writes the quarantined rows and the alerts as Parquet (must not exist).
    mapping, date_format, today
        As for :func:`~recovery_toolkit.load_logs`.
    rows_per_part : int, default 200,000
        About how many rows each bucket holds (a worker holds one bucket at a time).
    overwrite : bool, default False
        Replace ``quarantine_path`` and ``alerts_path`` when they exist.

    Returns
    -------
    SparkResults
        The tables of :func:`~recovery_toolkit.compute` on the same rows, without the
        row-level ``alerts`` list; ``provenance.engine`` is ``"spark"``.

    Examples
    --------
    >>> from recovery_toolkit.samples import sample_parquet_folder
    >>> results = summarise_spark(sample_parquet_folder(), master="local[1]")  # doctest: +SKIP
    >>> results.tables["time_to_resolution"]["episodes"].tolist()  # doctest: +SKIP
    [142, 127, 85, 46]
    """
    settings = resolve(settings)
    if mapping is not None and not isinstance(mapping, ColumnMapping):
        mapping = load_mapping(mapping)
    options: dict[str, Any] = {"mapping": mapping, "date_format": date_format, "today": today}
    if rows_per_part < 1:
        raise OptionError("rows_per_part=", rows_per_part, "must be at least 1", "pass e.g. 200000")
    for name, path in (("quarantine_path=", quarantine_path), ("alerts_path=", alerts_path)):
        if not overwrite and path is not None and _is_local(str(path)) and Path(path).exists():
            raise OptionError(name, str(path), "already exists", "name a new folder")
    with _quiet(), notes_collected() as notes, _session(spark, master, remote) as session:
        read = _read(session, str(source))
        patient = patient_column(read.columns, read.source, mapping)
        validate_rows(_empty_frame(read.columns), source=read.source, sha256="", **options)
        rows = _guarded(read.frame.count)
        parts = max(1, math.ceil(rows / rows_per_part))
        keyed = read.frame.withColumn(_PART, _bucket(patient, parts))
        keyed = keyed.repartition(parts, _PART)  # one task per bucket; the group-bys reuse it
        keyed = keyed.persist()  # the alerts' pass reads the buckets again, not the input
        try:
            episode = episode_column(read.columns, read.source, mapping)
            if episode is not None:
                _refuse_split_episodes(keyed, episode, patient, read.source)
            whole, reduced = _summaries(keyed, read, settings, options, quarantine_path, overwrite)
            try:
                alerts = _alerts(keyed, read, settings, options, whole.curve)
                if alerts_path is not None:
                    _guarded(alerts.write.mode(_mode(overwrite)).parquet, str(alerts_path))
                    alerts = session.read.parquet(str(alerts_path))
                counts = _alert_counts(alerts)
                tables = whole.cohort_tables(_no_alerts(), settings, _passes(reduced))
            finally:
                _guarded(reduced.unpersist)
        finally:
            _guarded(keyed.unpersist)
        sha256 = _digest(session, read)
    del tables["alerts"]
    tables["alert_counts"], tables["urgent_contact"] = counts
    kept = (
        f"Spark wrote them to {alerts_path}"
        if alerts_path
        else "the summary command writes them there as Parquet"
    )
    absent = {
        "alerts": "they list single patients, so Spark keeps them on the cluster "
        f"({kept}); their counts by severity and reason are above"
    }
    recorded: dict[str, object] = {  # the options as the manifest records them
        "mapping": getattr(mapping, "source", None),
        "date_format": date_format,
        "rows_per_part": rows_per_part,
        "parts": parts,
    }
    return SparkResults(
        settings=settings,
        tables=MappingProxyType(tables),
        provenance=whole.provenance(read.source, sha256, recorded, "spark"),
        notes=tuple(notes),
        absent=absent,
        quarantine_path=None if quarantine_path is None else str(quarantine_path),
        alerts_path=None if alerts_path is None else str(alerts_path),
    )


# --- the session --------------------------------------------------------------------------


@contextmanager
def _quiet() -> Iterator[None]:
    """pyspark 4 warns on pandas 3 that it "does not yet fully support" it; the toolkit uses
    only Arrow UDFs, which work (docs/spark.md). That one warning is silenced here."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=_PANDAS3, category=FutureWarning)
        yield


@contextmanager
def _session(
    spark: SparkSession | None, master: str | None, remote: str | None
) -> Iterator[SparkSession]:
    """The given session, or a new one (stopped on leaving) for ``master`` or ``remote``."""
    if spark is not None:
        yield spark
        return
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise EngineError("spark", "pyspark is not installed", _INSTALL) from None
    if master is not None and remote is not None:
        raise OptionError("remote=", remote, "cannot go with master=", "pass one of them")
    if remote is not None:
        _reachable("remote=", remote, default_port=15002)
    elif master is not None and master.startswith("spark://"):
        _reachable("master=", master, default_port=7077)
    running = SparkSession.getActiveSession()
    if running is not None:  # getOrCreate would hand it back whatever master= says
        if master is None and remote is None:  # e.g. a notebook's session: used, left running
            yield running
            return
        raise OptionError(
            "remote=" if master is None else "master=",
            remote if master is None else master,
            "cannot start: a Spark session is already running in this process",
            "pass it as spark= (or leave master= and remote= out), or stop it first",
        )
    if remote is not None:
        builder = SparkSession.builder.remote(remote)
    else:
        master = master or "local[2]"
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)  # the workers' Python
        builder = SparkSession.builder.master(master).appName("recovery-toolkit")
        builder = builder.config("spark.ui.enabled", "false")
        builder = builder.config("spark.ui.showConsoleProgress", "false")
        log = Path(__file__).with_name("log4j2.properties")  # Spark's own log off: one-line errors
        builder = builder.config(
            "spark.driver.extraJavaOptions", f"-Dlog4j2.configurationFile=file:{log}"
        )
        if master.startswith("local"):  # nothing listens beyond this machine
            builder = builder.config("spark.driver.bindAddress", "127.0.0.1")
            builder = builder.config("spark.driver.host", "127.0.0.1")
    try:
        session = builder.getOrCreate()
    except Exception as exc:  # pyspark raises many types; all mean "no session"
        name, value = ("remote=", remote) if remote is not None else ("master=", master)
        raise OptionError(
            name,
            str(value),
            f"could not start Spark ({_first_line(exc)})",
            "check the URL; a local session needs Java 17 (apt-get install default-jre-headless)",
        ) from None
    try:
        if remote is None:  # the toolkit says what failed, in one line (_guarded)
            session.sparkContext.setLogLevel("OFF")
        yield session
    finally:
        session.stop()


def _reachable(name: str, url: str, *, default_port: int) -> None:
    """Refuse a cluster URL nobody answers at, in seconds rather than after Spark's retries."""
    parsed = urlparse(url.split(",")[0])
    host, port = parsed.hostname, parsed.port or default_port
    if not host:
        raise OptionError(name, url, "has no host", "write it as scheme://HOST:PORT")
    try:
        with socket.create_connection((host, port), timeout=5):
            pass
    except OSError as exc:
        raise OptionError(
            name, url, f"does not answer ({exc.strerror or exc})", "check the host and port"
        ) from None


# --- reading --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Read:
    """The input as Spark sees it: its rows (with file name and row), its own columns, the
    name shown for it and the root its file names are shown relative to."""

    frame: SparkFrame
    columns: list[str]
    source: str
    root: str
    table: bool


def _read(spark: SparkSession, source: str) -> _Read:
    table = source.startswith("table:")
    try:
        with _spark_log_quiet():
            if table:
                frame = spark.table(source.removeprefix("table:"))
            else:
                source = _qualified(source)
                reader = spark.read.option("recursiveFileLookup", "true")
                reader = reader.option("pathGlobFilter", "*.{parquet,pq}")
                frame = reader.option("mergeSchema", "true").parquet(source)
            columns = list(frame.columns)
            located = _located(frame, source if table else None)
    except Exception as exc:  # AnalysisException and friends: the source cannot be read
        raise InputFileError(
            source, f"could not be read by Spark ({_first_line(exc)})", _SOURCE_FIX
        ) from None
    return _Read(located, columns, source, "" if table else _plain(source), table)


def _located(frame: SparkFrame, table: str | None) -> SparkFrame:
    """The rows with the file each was read from and its 0-based row there (Spark's file
    metadata); a view of a table without files gets its name and Spark's row ids instead."""
    from pyspark.sql import functions as F

    try:
        located = frame.select(
            "*",
            F.col("_metadata.file_path").alias(_FILE),
            F.col("_metadata.row_index").alias(_ROW),
        )
        located.schema  # noqa: B018 (Spark Connect analyses lazily: resolve it here)
        return located
    except Exception:
        if table is None:
            raise
        return frame.select(
            "*", F.lit(table).alias(_FILE), F.monotonically_increasing_id().alias(_ROW)
        )


@contextmanager
def _spark_log_quiet() -> Iterator[None]:
    """pyspark logs every failed query to stderr as JSON (its DataFrameQueryContextLogger);
    the toolkit turns the failure into one line of its own instead."""
    logger = logging.getLogger("DataFrameQueryContextLogger")
    level = logger.level
    logger.setLevel(logging.CRITICAL + 1)
    try:
        yield
    finally:
        logger.setLevel(level)


def _is_local(path: str) -> bool:
    return "://" not in path and not path.startswith(("dbfs:", "file:"))


def _qualified(source: str) -> str:
    """A local path made absolute (a URI as it is), so file names can be shown relative to it."""
    return str(Path(source).resolve()) if _is_local(source) else source


def _plain(path: str) -> str:
    """``file:/x``, ``file:///x`` and ``/x`` alike, so a file's name compares with its root."""
    if path.startswith("file:"):
        return "/" + path.removeprefix("file:").lstrip("/")
    return path


def _empty_frame(columns: list[str]) -> pd.DataFrame:
    frame = pd.DataFrame({c: pd.Series([], dtype="str") for c in columns})
    return frame.assign(**{_FILE: pd.Series([], dtype="str"), _ROW: pd.Series([], dtype="int64")})


def _refuse_split_episodes(keyed: SparkFrame, episode: str, patient: str, where: str) -> None:
    """Fail in one line when an episode's rows name different patients (buckets are by
    patient, so each could see a whole, valid episode and the tables count it twice; the
    loader quarantines such an episode). As the DuckDB path: whatever the buckets, and rows
    without a patient id do not count."""
    from pyspark.sql import functions as F

    def trimmed(column: str) -> Any:
        return F.regexp_replace(F.col(f"`{column}`").cast("string"), KEY_TRIM, "")

    spread = (
        keyed.select(trimmed(episode).alias("e"), trimmed(patient).alias("p"))
        .where((F.col("e") != "") & (F.col("p") != ""))
        .groupBy("e")
        .agg(F.countDistinct("p").alias("patients"))
        .where(F.col("patients") > 1)
    )
    found = _guarded(spread.orderBy("e").limit(1).collect)
    if found:
        raise split_episode_error(str(found[0]["e"]), where)


def _bucket(patient: str, parts: int) -> Any:
    from pyspark.sql import functions as F

    key = F.regexp_replace(F.col(f"`{patient}`").cast("string"), KEY_TRIM, "")
    return F.pmod(F.xxhash64(key), F.lit(parts))


# --- on the workers -------------------------------------------------------------------------


def _per_part(function: Any, **arguments: Any) -> Any:
    """``function(table, **arguments)`` as a function of one bucket's Arrow table, typed so
    that ``applyInArrow`` knows it is one (it reads the type hints)."""

    def run(table: pa.Table) -> pa.Table:
        return function(table, **arguments)

    return run


def _raw(table: pa.Table, root: str) -> tuple[int, pd.DataFrame]:
    """A bucket's rows as the loader reads a Parquet part: its number and its frame."""
    part = int(table.column(_PART)[0].as_py())
    frame = table.drop_columns([_PART]).to_pandas()
    if not root:  # a catalog table: no file, rows numbered by Spark
        frame[_FILE] = frame[_FILE].fillna("")
    return part, frame


def _validated(table: pa.Table, root: str, source: str, options: dict[str, Any]) -> Any:
    part, frame = _raw(table, root)
    names = functools.partial(_shown_name, root=root)
    return part, validate_rows(frame, source=source, sha256="", names=names, **options)


def _shown_name(path: str, *, root: str) -> str:
    return relative_name(_plain(path), root) if root else path


def _reduce_part(
    table: pa.Table, *, root: str, source: str, settings: Settings, options: dict[str, Any]
) -> pa.Table:
    """One bucket validated and summarised: its summary's payloads, its quarantine and its
    kept frames (the last two stay on the cluster)."""
    part, result = _validated(table, root, source, options)
    summary = summarise_part(result, settings)
    payloads = encode(summary)
    payloads.append(("quarantine", frame_bytes(result.quarantine)))
    if summary.episodes:
        kept = summary.kept().items()
        payloads += [(f"{_KEPT}{kind}", frame_bytes(frame)) for kind, frame in kept]
    return pa.table(
        {
            "part": pa.array([part] * len(payloads), pa.int64()),
            "kind": pa.array([kind for kind, _ in payloads], pa.string()),
            "payload": pa.array([payload for _, payload in payloads], pa.binary()),
        }
    )


def _part_alerts(
    table: pa.Table,
    *,
    root: str,
    source: str,
    settings: Settings,
    options: dict[str, Any],
    curve: bytes,
) -> pa.Table:
    """One bucket's alerts against the whole cohort's curve (in the alerts table's columns)."""
    _, result = _validated(table, root, source, options)
    if result.logs.empty:
        return _ALERTS.empty_table()
    logs = result.logs
    episodes = analysis.episode_table(logs, settings)
    found = analysis.alerts(logs, episodes, settings, curve=frame_of(curve))
    return _alerts_arrow(conform("alerts", found))


def _quarantine_rows(batches: Iterator[pa.RecordBatch], *, schema: pa.Schema) -> Iterator[Any]:
    """The quarantine payloads as rows of ``schema`` (every input column as text)."""
    for batch in batches:
        for payload in batch.column("payload").to_pylist():
            frame = frame_of(payload)
            if frame.empty:
                continue
            text = {
                name: frame[name].astype("str").where(frame[name].notna(), None)
                if name in frame.columns
                else None
                for name in schema.names
                if name != "source_row"
            }
            out = pd.DataFrame({"source_row": frame["source_row"].astype("int64"), **text})
            yield pa.RecordBatch.from_pandas(out[schema.names], schema=schema, preserve_index=False)


def _run_on_kept(batches: Iterator[pa.RecordBatch], *, run: Any) -> Iterator[pa.RecordBatch]:
    """``run`` on each bucket's kept frame; its frames as payloads."""
    for batch in batches:
        found = [frame_bytes(run(frame_of(p))) for p in batch.column("payload").to_pylist()]
        yield pa.RecordBatch.from_arrays([pa.array(found, pa.binary())], names=["payload"])


def _sha256_files(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    import hashlib

    for batch in batches:
        digests = [hashlib.sha256(c).hexdigest() for c in batch.column("content").to_pylist()]
        yield pa.RecordBatch.from_arrays(
            [batch.column("path"), pa.array(digests, pa.string())], names=["path", "sha256"]
        )


# --- on the driver --------------------------------------------------------------------------


def _summaries(
    keyed: SparkFrame,
    read: _Read,
    settings: Settings,
    options: dict[str, Any],
    quarantine_path: str | None,
    overwrite: bool,
) -> tuple[Combined, SparkFrame]:
    """First pass: each bucket validated and summarised on the workers, the summaries
    combined here; the quarantined rows written by Spark where asked. Also returns the
    buckets' payloads, persisted (the passes read their kept frames): the caller unpersists
    them."""
    run = _per_part(
        _reduce_part, root=read.root, source=read.source, settings=settings, options=options
    )
    reduced = keyed.groupBy(_PART).applyInArrow(run, "part long, kind string, payload binary")
    reduced = reduced.persist()  # collected, quarantine written, paths read: computed once
    try:
        whole = combine_parts(_collect(reduced))
        if quarantine_path is not None:  # first: it says why, when every row failed
            _write_quarantine(reduced, read.columns, str(quarantine_path), overwrite)
        if not whole.episodes:
            raise InputFileError(
                read.source,
                f"has no valid rows (all {whole.rows['read']:,} rows were quarantined)",
                "see why in the quarantined rows"
                + ("" if quarantine_path else " (quarantine_path=, --quarantine)"),
            )
    except BaseException:
        _guarded(reduced.unpersist)
        raise
    return whole, reduced


def _passes(reduced: SparkFrame) -> PartPasses:
    """Runs a function on each bucket's kept frame of a kind on the workers, and collects
    what it gave (a few kB per bucket)."""

    def passes(run: Callable[[pd.DataFrame], pd.DataFrame], kind: str) -> list[pd.DataFrame]:
        blobs = reduced.filter(reduced.kind == f"{_KEPT}{kind}").select("payload")
        found = blobs.mapInArrow(functools.partial(_run_on_kept, run=run), "payload binary")
        return [frame_of(bytes(row["payload"])) for row in _guarded(found.collect)]

    return passes


def _collect(reduced: SparkFrame) -> list[Any]:
    """The buckets' summaries (everything but their quarantined rows)."""
    summaries = (reduced.kind != "quarantine") & ~reduced.kind.startswith(_KEPT)
    rows = _guarded(reduced.filter(summaries).collect)
    by_part: dict[int, dict[str, bytes]] = defaultdict(dict)
    for row in rows:
        by_part[int(row["part"])][str(row["kind"])] = bytes(row["payload"])
    return [decode(by_part[part]) for part in sorted(by_part)]


def _mode(overwrite: bool) -> str:
    return "overwrite" if overwrite else "errorifexists"


def _write_quarantine(reduced: SparkFrame, columns: list[str], path: str, overwrite: bool) -> None:
    from pyspark.sql.types import LongType, StringType, StructField, StructType

    names = [c for c in columns if c not in (_FILE, "reasons")]
    fields = [StructField("source_row", LongType())]
    fields += [StructField(n, StringType()) for n in [*names, _FILE, "reasons"]]
    schema = StructType(fields)
    arrow = pa.schema(
        [pa.field("source_row", pa.int64())]
        + [pa.field(n, pa.string()) for n in [*names, _FILE, "reasons"]]
    )
    blobs = reduced.filter(reduced.kind == "quarantine").select("payload")
    rows = blobs.mapInArrow(functools.partial(_quarantine_rows, schema=arrow), schema)
    _guarded(rows.write.mode(_mode(overwrite)).parquet, path)


class _AlertsSchema:
    """The alerts table's columns for Spark and Arrow."""

    names = [
        "episode_id",
        "patient_id",
        "treatment_type",
        "severity",
        "reason",
        "day",
        "contact_within_1_day",
    ]
    arrow = pa.schema(
        [pa.field(n, pa.string()) for n in names[:5]]
        + [pa.field("day", pa.int64()), pa.field("contact_within_1_day", pa.bool_())]
    )
    ddl = (
        "episode_id string, patient_id string, treatment_type string, severity string, "
        "reason string, day long, contact_within_1_day boolean"
    )

    def empty_table(self) -> pa.Table:
        return self.arrow.empty_table()


_ALERTS = _AlertsSchema()


def _alerts_arrow(frame: pd.DataFrame) -> pa.Table:
    frame = frame[_ALERTS.names].astype({"contact_within_1_day": "boolean"})
    return pa.Table.from_pandas(frame, schema=_ALERTS.arrow, preserve_index=False)


def _alerts(
    keyed: SparkFrame,
    read: _Read,
    settings: Settings,
    options: dict[str, Any],
    curve: pd.DataFrame,
) -> SparkFrame:
    run = _per_part(
        _part_alerts,
        root=read.root,
        source=read.source,
        settings=settings,
        options=options,
        curve=frame_bytes(curve),
    )
    return keyed.groupBy(_PART).applyInArrow(run, _ALERTS.ddl)


def _alert_counts(alerts: SparkFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Counted by Spark (the alerts stay on the cluster): episodes per severity and reason,
    and urgent alerts with and without a documented clinic contact within a day."""
    keys = ["severity", "reason", "contact_within_1_day"]
    rows = _guarded(alerts.groupBy(*keys).count().collect)
    counts = pd.DataFrame(
        [(*(r[k] for k in keys), int(r["count"])) for r in rows], columns=[*keys, "n"]
    )
    sized = counts.loc[counts.index.repeat(counts["n"])][["severity", "reason"]]
    urgent = counts.loc[counts["severity"] == "urgent"]
    contacted = urgent["contact_within_1_day"].astype("boolean").fillna(False).astype(bool)
    contact = pd.DataFrame(
        {
            "urgent": [int(urgent["n"].sum())],
            "without_contact": [int(urgent["n"][~contacted].sum())],
        }
    )
    return alert_counts(sized.astype("str").reset_index(drop=True)), contact


def _no_alerts() -> pd.DataFrame:
    return analysis.sort_alerts(pd.DataFrame())


def _digest(spark: SparkSession, read: _Read) -> str:
    """SHA-256 of the input, computed on the workers: of each file's relative name and
    SHA-256 (as the DuckDB path computes it); for a catalog table, of its rows."""
    from pyspark.sql import functions as F

    if read.table:
        cells = [F.coalesce(F.col(f"`{c}`").cast("string"), F.lit("\0")) for c in read.columns]
        hashed = read.frame.select(F.xxhash64(*cells).cast("decimal(38,0)").alias("h"))
        total = _guarded(hashed.agg(F.count("h"), F.sum("h")).collect)[0]
        return dataset_digest([(read.source, f"{total[0]}:{total[1]}")])
    reader = spark.read.format("binaryFile").option("recursiveFileLookup", "true")
    files = reader.option("pathGlobFilter", "*.{parquet,pq}").load(read.source)
    hashed = files.select("path", "content").mapInArrow(_sha256_files, "path string, sha256 string")
    found = _guarded(hashed.collect)
    return dataset_digest(
        sorted((_shown_name(r["path"], root=read.root), r["sha256"]) for r in found)
    )


def _guarded(action: Any, *args: Any) -> Any:
    """Run a Spark action; a failure on the workers becomes one line."""
    try:
        with _spark_log_quiet():
            return action(*args)
    except Exception as exc:
        if isinstance(exc, RecoveryToolkitError):
            raise
        text = str(exc)
        if "No module named 'recovery_toolkit'" in text:
            raise EngineError(
                "spark",
                "the workers cannot import recovery_toolkit",
                "install the toolkit on the cluster (docs/spark.md: cluster library, job "
                "environment or Spark Connect addArtifacts)",
            ) from None
        raise EngineError(
            "spark", f"the job failed ({_first_line(exc)})", "see the Spark logs of the job"
        ) from None


def _first_line(exc: BaseException) -> str:
    """What went wrong, in one line: the Python error a worker raised (the last line of its
    traceback), else the first line of Spark's message.

    Examples
    --------
    >>> _first_line(RuntimeError("Python worker failed\\nTraceback...\\nKeyError: 'day'\\n"))
    "KeyError: 'day'"
    """
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    raised = [line for line in lines if _RAISED.match(line)]
    shown = raised[-1] if raised else (lines[0] if lines else type(exc).__name__)
    return shown[:300]


_RAISED = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception): ")
