"""The per-part function every engine runs, and the combine step on the driver.

An engine splits the rows by patient into parts (DuckDB: files of a work folder; Spark: hash
buckets), so every row of an episode is in one part. Each part is validated by the loader's
code (:func:`recovery_toolkit.io.dataset.validate_rows`) and reduced here by
:func:`summarise_part` to a :class:`PartSummary`; the driver adds the summaries up with
:func:`combine_parts`. Counts are added as whole numbers, so neither the number of parts nor
their order changes a digit, and the same functions run in every engine (tested: identical
tables from the in-memory, DuckDB and Spark paths).

A summary travels between processes as a few named byte strings (:func:`encode`,
:func:`decode`): Arrow IPC streams of its frames and a JSON line of its counts. Its drop-out
paths (:func:`~recovery_toolkit.analysis.dropout.dropout_paths`, ~56 bytes per sore episode
as Arrow) do not travel: the engine keeps them where the part lives and runs the milestones' passes
there (:data:`~recovery_toolkit.analysis.dropout.PartPasses`). No row of the episode table
reaches the driver, except the models' seeded samples.

Examples
--------
>>> import recovery_toolkit as rt
>>> from recovery_toolkit.analysis import Settings
>>> part = summarise_part(rt.load_logs(rt.sample_path()), Settings())
>>> part.rows["valid"], part.episodes
(5204, 400)
>>> decode(dict(encode(part))).rows == part.rows
True
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

import pandas as pd
import pyarrow as pa

from .. import analysis
from ..analysis.dropout import PartPasses
from ..analysis.partials import concat_parts
from ..analysis.results import (
    CohortInputs,
    Provenance,
    cohort_tables,
    last_log_date,
    part_counts,
    part_paths,
    part_samples,
)
from ..analysis.settings import Settings
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
    episodes : int
        The number of episodes in the part.
    soreness : DataFrame
        Soreness scores counted per treatment type and day
        (:func:`~recovery_toolkit.analysis.soreness_counts`).
    last_date : Timestamp or None
        The part's last log date (the control chart's complete months).
    counts : Mapping of str to DataFrame
        The part's mergeable counts, by the table they add up to
        (:func:`~recovery_toolkit.analysis.results.part_counts`).
    samples : Mapping of str to (DataFrame, int)
        The part's candidates for each model fitted on a sample, and the size of the model's
        population in the part (:func:`~recovery_toolkit.analysis.results.part_samples`);
        only the sizes are encoded: the candidates are kept where the part lives.
    paths : DataFrame
        The part's drop-out paths; kept where the part lives, never encoded.
    """

    rows: Mapping[str, int]
    problems: pd.DataFrame
    episodes: int
    soreness: pd.DataFrame
    last_date: pd.Timestamp | None
    counts: Mapping[str, pd.DataFrame] = field(default_factory=dict)
    samples: Mapping[str, tuple[pd.DataFrame, int]] = field(default_factory=dict)
    paths: pd.DataFrame = field(default_factory=pd.DataFrame)

    def kept(self) -> dict[str, pd.DataFrame]:
        """The frames the engine keeps where the part lives, by kind
        (:data:`~recovery_toolkit.analysis.dropout.PartPasses`): ``paths`` and
        ``sample/<model>``.

        Examples
        --------
        >>> import recovery_toolkit as rt
        >>> list(summarise_part(rt.load_logs(rt.sample_path()), Settings()).kept())
        ['paths', 'sample/hazard_ratios', 'sample/adherence_landmark']
        """
        kept = {f"sample/{name}": rows for name, (rows, _) in self.samples.items()}
        return {"paths": self.paths} | kept

    def without_kept(self) -> PartSummary:
        """The summary as the driver holds it: the kept frames left out, the sampled models'
        population sizes kept (what :func:`decode` gives back)."""
        samples = {name: (pd.DataFrame(), size) for name, (_, size) in self.samples.items()}
        return replace(self, paths=pd.DataFrame(), samples=samples)


def summarise_part(
    result: LoadResult, settings: Settings, *, episodes: pd.DataFrame | None = None
) -> PartSummary:
    """Reduce one validated part to what the driver adds up (``episodes``: the part's
    episode table, when the engine has built it already).

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
        return PartSummary(rows, result.problems, 0, pd.DataFrame(), None)
    if episodes is None:
        episodes = analysis.episode_table(result.logs, settings)
    paths, daily = part_paths(episodes, settings)
    return PartSummary(
        rows=rows,
        problems=result.problems,
        episodes=len(episodes),
        soreness=analysis.soreness_counts(result.logs, settings),
        last_date=last_log_date(result.logs),
        counts=part_counts(episodes, settings, paths=paths, daily=daily),
        samples=part_samples(episodes, settings),
        paths=paths,
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
    episodes : int
        Episodes over all parts (0 when no part had a valid row).
    curve : DataFrame
        The recovery curve added up from the parts' soreness counts.
    data_end : Timestamp or None
        The last log date over the parts.
    counts : dict of str to list of DataFrame
        Each mergeable table's counts, one frame per part with valid rows
        (:func:`~recovery_toolkit.analysis.results.tables_from_counts` adds them up).
    samples : dict of str to int
        Each sampled model's population over all parts.
    """

    rows: dict[str, int]
    problems: pd.DataFrame
    episodes: int
    curve: pd.DataFrame
    data_end: pd.Timestamp | None
    counts: dict[str, list[pd.DataFrame]] = field(default_factory=dict)
    samples: dict[str, int] = field(default_factory=dict)

    def provenance(
        self, source: str, sha256: str, options: dict[str, object], engine: str
    ) -> Provenance:
        """The provenance of the combined parts: their row counts, episodes and problems."""
        return Provenance(
            source=source,
            sha256=sha256,
            rows=self.rows,
            episodes=self.episodes,
            options=options,
            problems=self.problems,
            engine=engine,
        )

    def cohort_tables(
        self, alerts: pd.DataFrame, settings: Settings, passes: PartPasses
    ) -> dict[str, pd.DataFrame]:
        """Every cohort table (:func:`~recovery_toolkit.analysis.cohort_tables`) from the
        parts' counts and samples, with ``passes`` over the parts where they live."""
        inputs = CohortInputs(counts=self.counts, samples=self.samples, passes=passes)
        return cohort_tables(inputs, self.curve, alerts, settings, data_end=self.data_end)


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
    valid = [p for p in parts if p.episodes]
    if not valid:
        return Combined(rows, problems, 0, pd.DataFrame(), None)
    counts = concat_parts([p.soreness for p in valid])
    keys = ["treatment_type", "day", "soreness"]
    counts = counts.groupby(keys, observed=True, sort=True)["count"].sum().reset_index()
    ends = [p.last_date for p in parts if p.last_date is not None]  # in the window or not
    samples = {name: sum(p.samples[name][1] for p in valid) for name in valid[0].samples}
    return Combined(
        rows=rows,
        problems=problems,
        episodes=sum(p.episodes for p in valid),
        curve=analysis.curve_from_counts(counts),
        data_end=max(ends) if ends else None,
        counts={name: [p.counts[name] for p in valid] for name in valid[0].counts},
        samples=samples,
    )


_FRAMES = ("problems", "soreness")
_COUNTS = "counts/"  # the payload names of a part's mergeable counts


def encode(part: PartSummary) -> list[tuple[str, bytes]]:
    """A part's summary as named byte strings, to send from a worker to the driver (its
    kept frames, :meth:`PartSummary.kept`, stay behind).

    Examples
    --------
    >>> import recovery_toolkit as rt
    >>> [name for name, _ in encode(summarise_part(rt.load_logs(rt.sample_path()), Settings()))][:4]
    ['meta', 'problems', 'soreness', 'counts/red_flag_incidence']
    """
    last = None if part.last_date is None else part.last_date.isoformat()
    sizes = {name: int(size) for name, (_, size) in part.samples.items()}
    meta = {"rows": dict(part.rows), "episodes": part.episodes, "last_date": last, "samples": sizes}
    frames = [(name, frame_bytes(getattr(part, name))) for name in _FRAMES]
    counts = [(f"{_COUNTS}{name}", frame_bytes(table)) for name, table in part.counts.items()]
    return [("meta", json.dumps(meta).encode()), *frames, *counts]


def decode(payloads: Mapping[str, bytes]) -> PartSummary:
    """The summary :func:`encode` wrote (without the kept frames).

    Examples
    --------
    >>> import recovery_toolkit as rt
    >>> part = summarise_part(rt.load_logs(rt.sample_path()), Settings())
    >>> back = decode(dict(encode(part)))
    >>> back.samples["hazard_ratios"][1], back.episodes, back.last_date == part.last_date
    (374, 400, True)
    >>> back.paths.empty and back.samples["hazard_ratios"][0].empty
    True
    """
    meta = json.loads(payloads["meta"])
    last = meta["last_date"]
    frames = {name: frame_of(payloads[name]) for name in _FRAMES}
    counts = {
        name.removeprefix(_COUNTS): frame_of(payload)
        for name, payload in payloads.items()
        if name.startswith(_COUNTS)
    }
    samples = {name: (pd.DataFrame(), int(size)) for name, size in meta["samples"].items()}
    return PartSummary(
        rows={name: int(meta["rows"][name]) for name in ROW_COUNTS},
        episodes=int(meta["episodes"]),
        last_date=None if last is None else pd.Timestamp(last),
        counts=counts,
        samples=samples,
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


def detached(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` that holds none of the buffers it was cut from: a few quarantined
    rows of a part otherwise keep the whole part's Arrow strings alive (1.6 GB at a million
    episodes, measured).

    Examples
    --------
    >>> big = pd.DataFrame({"a": pd.Series(["x" * 100] * 10_000, dtype="str")})
    >>> small = detached(big.iloc[:2])
    >>> small.equals(big.iloc[:2]), small["a"].array._pa_array.nbytes < 1_000
    (True, True)
    """
    return frame_of(frame_bytes(frame))


def frame_of(payload: bytes) -> pd.DataFrame:
    """The frame :func:`frame_bytes` wrote."""
    with pa.ipc.open_stream(payload) as reader:
        return reader.read_all().to_pandas()
