"""The per-part function every engine runs, and the combine step on the driver.

An engine splits the rows by patient into parts (DuckDB: files of a work folder; Spark: hash
buckets), so every row of an episode is in one part. Each part is validated by the loader's
code (:func:`recovery_toolkit.io.dataset.validate_rows`) and reduced here by
:func:`summarise_part` to a :class:`PartSummary`; the driver adds the summaries up with
:func:`combine_parts`. Counts are added as whole numbers, so neither the number of parts nor
their order changes a digit, and the same functions run in every engine (tested: identical
tables from the in-memory, DuckDB and Spark paths).

A summary travels between processes as a few named byte strings (:func:`encode`,
:func:`decode`): Arrow IPC streams of its frames and a JSON line of its counts.

Examples
--------
>>> import recovery_toolkit as rt
>>> from recovery_toolkit.analysis import Settings
>>> part = summarise_part(rt.load_logs(rt.sample_path()), Settings())
>>> part.rows["valid"], len(part.episodes)
(5204, 400)
>>> decode(dict(encode(part))).rows == part.rows
True
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import pandas as pd
import pyarrow as pa

from .. import analysis
from ..analysis.results import Provenance, cohort_tables, last_log_date, part_counts
from ..analysis.settings import Settings
from ..errors import EngineError
from ..io.load import LoadResult
from ..io.result import problem_table

__all__ = ["Combined", "PartSummary", "combine_parts", "decode", "encode", "summarise_part"]

#: The row counts a part reports, in this order.
ROW_COUNTS: tuple[str, ...] = ("read", "valid", "quarantined", "merged")


@dataclass(frozen=True)
class PartSummary:
    """What the driver needs of one part (its rows themselves stay where they are).

    Attributes
    ----------
    rows : Mapping of str to int
        Rows ``read``, ``valid``, ``quarantined`` and ``merged`` in the part.
    problems : DataFrame
        The part's validation problems (one row per failed check).
    episodes : DataFrame
        The part's episode table (one row per episode; empty without valid rows).
    soreness : DataFrame
        Soreness scores counted per treatment type and day
        (:func:`~recovery_toolkit.analysis.soreness_counts`).
    last_date : Timestamp or None
        The part's last log date (the control chart's complete months).
    counts : Mapping of str to DataFrame
        The part's mergeable counts, by the table they add up to
        (:func:`~recovery_toolkit.analysis.results.part_counts`).
    """

    rows: Mapping[str, int]
    problems: pd.DataFrame
    episodes: pd.DataFrame
    soreness: pd.DataFrame
    last_date: pd.Timestamp | None
    counts: Mapping[str, pd.DataFrame] = field(default_factory=dict)


def summarise_part(result: LoadResult, settings: Settings) -> PartSummary:
    """Reduce one validated part to what the driver adds up.

    Examples
    --------
    >>> import recovery_toolkit as rt
    >>> summarise_part(rt.load_logs(rt.sample_path()), Settings()).soreness.columns.tolist()
    ['treatment_type', 'day', 'soreness', 'count']
    """
    rows = {
        "read": result.rows_read,
        "valid": result.rows_valid,
        "quarantined": result.rows_quarantined,
        "merged": result.rows_merged,
    }
    if result.logs.empty:  # every row of this part was quarantined
        return PartSummary(rows, result.problems, pd.DataFrame(), pd.DataFrame(), None)
    episodes = analysis.episode_table(result.logs, settings)
    return PartSummary(
        rows=rows,
        problems=result.problems,
        episodes=episodes,
        soreness=analysis.soreness_counts(result.logs, settings),
        last_date=last_log_date(result.logs),
        counts=part_counts(episodes, settings),
    )


@dataclass(frozen=True)
class Combined:
    """The parts added up: the inputs of :func:`~recovery_toolkit.analysis.cohort_tables`.

    Attributes
    ----------
    rows : dict of str to int
        Row counts over all parts.
    problems : DataFrame
        Validation problems over all parts, summarised (one row per column and code).
    episodes : DataFrame
        The episode table, in episode order (empty when no part had a valid row).
    curve : DataFrame
        The recovery curve added up from the parts' soreness counts.
    data_end : Timestamp or None
        The last log date over the parts.
    counts : dict of str to list of DataFrame
        Each mergeable table's counts, one frame per part with valid rows
        (:func:`~recovery_toolkit.analysis.results.tables_from_counts` adds them up).
    """

    rows: dict[str, int]
    problems: pd.DataFrame
    episodes: pd.DataFrame
    curve: pd.DataFrame
    data_end: pd.Timestamp | None
    counts: dict[str, list[pd.DataFrame]] = field(default_factory=dict)

    def provenance(
        self, source: str, sha256: str, options: dict[str, object], engine: str
    ) -> Provenance:
        """The provenance of the combined parts: their row counts, episodes and problems."""
        return Provenance(
            source=source,
            sha256=sha256,
            rows=self.rows,
            episodes=len(self.episodes),
            options=options,
            problems=self.problems,
            engine=engine,
        )

    def cohort_tables(self, alerts: pd.DataFrame, settings: Settings) -> dict[str, pd.DataFrame]:
        """Every cohort table (:func:`~recovery_toolkit.analysis.cohort_tables`), the mergeable
        ones from the parts' counts."""
        return cohort_tables(
            self.episodes,
            self.curve,
            alerts,
            settings,
            data_end=self.data_end,
            counts=self.counts,
        )


def combine_parts(parts: Sequence[PartSummary]) -> Combined:
    """Add the parts' summaries up (in any order: the result is the same).

    Examples
    --------
    >>> import recovery_toolkit as rt
    >>> part = summarise_part(rt.load_logs(rt.sample_path()), Settings())
    >>> combine_parts([part]).rows["valid"]
    5204
    """
    rows = {name: sum(int(p.rows[name]) for p in parts) for name in ROW_COUNTS}
    problems = problem_table(concat_parts([p.problems for p in parts]))
    valid = [p for p in parts if not p.episodes.empty]
    if not valid:
        return Combined(rows, problems, pd.DataFrame(), pd.DataFrame(), None)
    episodes = concat_parts([p.episodes for p in valid])
    episodes = episodes.sort_values("episode_id", ignore_index=True)
    split = episodes["episode_id"].duplicated()
    if split.any():  # the engine's split broke an episode: its tables would be wrong
        raise EngineError(
            "parts",
            f"episode {episodes.loc[split, 'episode_id'].iloc[0]} was split across parts",
            "report this: the engine must keep each patient's rows in one part",
        )
    counts = concat_parts([p.soreness for p in valid])
    keys = ["treatment_type", "day", "soreness"]
    counts = counts.groupby(keys, observed=True, sort=True)["count"].sum().reset_index()
    ends = [p.last_date for p in parts if p.last_date is not None]  # in the window or not
    return Combined(
        rows=rows,
        problems=problems,
        episodes=episodes,
        curve=analysis.curve_from_counts(counts),
        data_end=max(ends) if ends else None,
        counts={name: [p.counts[name] for p in valid] for name in valid[0].counts},
    )


def concat_parts(frames: Iterable[pd.DataFrame]) -> pd.DataFrame:
    """Concatenate the parts' frames, keeping categorical columns categorical (their
    categories unified, in the first part's order, then as met).

    Examples
    --------
    >>> a = pd.DataFrame({"t": pd.Categorical(["x"], categories=["x", "y"])})
    >>> b = pd.DataFrame({"t": pd.Categorical(["z"])})
    >>> concat_parts([a, b])["t"].cat.categories.tolist()
    ['x', 'y', 'z']
    """
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


_FRAMES = ("problems", "episodes", "soreness")
_COUNTS = "counts/"  # the payload names of a part's mergeable counts


def encode(part: PartSummary) -> list[tuple[str, bytes]]:
    """A part's summary as named byte strings, to send from a worker to the driver.

    Examples
    --------
    >>> import recovery_toolkit as rt
    >>> [name for name, _ in encode(summarise_part(rt.load_logs(rt.sample_path()), Settings()))][:5]
    ['meta', 'problems', 'episodes', 'soreness', 'counts/red_flag_incidence']
    """
    last = None if part.last_date is None else part.last_date.isoformat()
    meta = json.dumps({"rows": dict(part.rows), "last_date": last}).encode()
    frames = [(name, frame_bytes(getattr(part, name))) for name in _FRAMES]
    counts = [(f"{_COUNTS}{name}", frame_bytes(table)) for name, table in part.counts.items()]
    return [("meta", meta), *frames, *counts]


def decode(payloads: Mapping[str, bytes]) -> PartSummary:
    """The summary :func:`encode` wrote.

    Examples
    --------
    >>> import recovery_toolkit as rt
    >>> part = summarise_part(rt.load_logs(rt.sample_path()), Settings())
    >>> back = decode(dict(encode(part)))
    >>> back.episodes.equals(part.episodes), back.last_date == part.last_date
    (True, True)
    """
    meta = json.loads(payloads["meta"])
    last = meta["last_date"]
    frames = {name: frame_of(payloads[name]) for name in _FRAMES}
    counts = {
        name.removeprefix(_COUNTS): frame_of(payload)
        for name, payload in payloads.items()
        if name.startswith(_COUNTS)
    }
    return PartSummary(
        rows={name: int(meta["rows"][name]) for name in ROW_COUNTS},
        last_date=None if last is None else pd.Timestamp(last),
        counts=counts,
        **frames,
    )


def frame_bytes(frame: pd.DataFrame) -> bytes:
    """A frame as an Arrow IPC stream (dtypes kept through pandas' metadata).

    Examples
    --------
    >>> frame_of(frame_bytes(pd.DataFrame({"a": [1, None]}, dtype="Int64")))["a"].dtype
    Int64Dtype()
    """
    table = pa.Table.from_pandas(frame, preserve_index=False)
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return bytes(sink.getvalue())


def frame_of(payload: bytes) -> pd.DataFrame:
    """The frame :func:`frame_bytes` wrote."""
    with pa.ipc.open_stream(payload) as reader:
        return reader.read_all().to_pandas()
