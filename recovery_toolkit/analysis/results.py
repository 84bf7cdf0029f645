"""``compute(logs, settings) -> Results``: every cohort table, computed once.

:class:`Results` is the waist between analysis and everything that shows numbers: the report,
the CSV/XLSX export and the share step (:func:`recovery_toolkit.privacy.share`) read its
tables by key and compute nothing. The in-memory path (:func:`compute`) and the Parquet-folder
path (:func:`recovery_toolkit.engines.parquet.summarise_dataset`) return the same type; the
latter without the row-level log table.

Examples
--------
>>> import recovery_toolkit as rt
>>> results = compute(rt.load_logs(rt.sample_path()))
>>> int(results.tables["time_to_resolution"]["episodes"].sum())
400
>>> list(results.summary_tables())[:3]
['recovery_curve', 'time_to_resolution', 'resolution_milestones']
"""

from __future__ import annotations

import html
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd
import pandera.pandas as pa

from ..errors import OptionError, RecoveryToolkitWarning
from ..io.load import LoadResult
from ..io.result import problem_table
from ..schemas import OUTPUT_SCHEMAS, TREATMENT_DTYPE, SorenessLog, empty_table
from ..schemas.outputs import holds, schema_columns
from .adherence import adherence_counts, adherence_from_counts
from .alerts import alert_counts
from .alerts import alerts as list_alerts
from .clustering import interval_method_from_counts, repeat_patient_counts
from .comparison import LogRankResult, hazard_ratios, logrank_counts, logrank_from_counts
from .curves import last_day_counts, recovery_curve, with_at_risk_from_counts
from .dropout import PartPasses, dropout_counts, dropout_paths, milestones_from_parts
from .episodes import episode_table
from .followup import (
    completeness_counts,
    completeness_from_counts,
    escalation_counts,
    escalation_from_counts,
    logging_from_curve,
)
from .funnel import funnel_counts, funnel_from_counts, unit_mix_from_counts
from .landmark import adherence_landmark, at_landmark, at_landmark_mask
from .model_curve import recovery_curve_model
from .rebound import FollowUp, follow_up
from .red_flags import red_flag_counts, red_flag_from_counts
from .resolution import (
    in_population,
    km_curve_from_counts,
    resolution_counts,
    time_to_resolution_from_counts,
)
from .sampling import SAMPLE_KEY, sample_from_parts, sample_keys, smallest_keys
from .settings import Settings, resolve
from .spc import p_chart_from_counts, spc_counts
from .table_one import table_one_from_tallies, table_one_tallies

__all__ = [
    "CohortInputs",
    "Provenance",
    "Results",
    "SUMMARY_TABLES",
    "compute",
    "cohort_tables",
    "conform",
    "last_log_date",
    "notes_collected",
    "part_counts",
    "part_samples",
    "tables_from_counts",
    "recorded_interval_method",
]

#: The tables ``recovery-toolkit summary`` writes, in this order (their schemas are in
#: :data:`recovery_toolkit.schemas.OUTPUT_SCHEMAS`).
SUMMARY_TABLES: tuple[str, ...] = tuple(OUTPUT_SCHEMAS)


@dataclass(frozen=True)
class Provenance:
    """Where the rows came from: source, digest, row counts, loader options, problems.

    In shared results a count may read ``suppressed`` (a string).
    """

    source: str
    sha256: str
    rows: Mapping[str, int | str]
    episodes: int | str
    options: Mapping[str, Any] = field(default_factory=dict)
    problems: pd.DataFrame = field(default_factory=pd.DataFrame)
    engine: str = "memory"

    @classmethod
    def from_load(cls, result: LoadResult, *, engine: str = "memory") -> Provenance:
        """The provenance of a loaded file (or any object with its counts).

        Examples
        --------
        >>> import recovery_toolkit as rt
        >>> Provenance.from_load(rt.load_logs(rt.sample_path())).rows["valid"]
        5204
        """
        return cls(
            source=str(result.source),
            sha256=result.sha256,
            rows={
                "read": result.rows_read,
                "valid": result.rows_valid,
                "quarantined": result.rows_quarantined,
                "merged": result.rows_merged,
            },
            episodes=result.episodes,
            options=dict(result.options),
            problems=problem_table(result.problems),
            engine=engine,
        )

    @classmethod
    def of_frame(cls, logs: pd.DataFrame) -> Provenance:
        """Provenance of a frame handed over directly (no file)."""
        return cls(
            source="<DataFrame>",
            sha256="",
            rows={"read": len(logs), "valid": len(logs), "quarantined": 0, "merged": 0},
            episodes=int(logs["episode_id"].nunique()),
            problems=problem_table(pd.DataFrame(columns=["row", "column", "code", "value"])),
        )


@dataclass(frozen=True)
class Results:
    """Every cohort table of one data set, computed once with one :class:`Settings`.

    Attributes
    ----------
    settings : Settings
        The parameters every table was computed with.
    tables : Mapping of str to DataFrame
        By key: the summary tables (:data:`SUMMARY_TABLES`) and the report's other tables
        (``alert_counts``, ``km``, ``logrank``, ``intervals`` (how intervals allow for
        patients with several episodes), ``model_samples`` (the models fitted on a seeded
        sample, and on how many episodes), ``table_one``, ``table_one_counts``,
        ``logging_by_day``, ``completeness_by_site``, ``escalation``, ``funnel_mix``).
    provenance : Provenance
        Source, digest, row counts and validation problems.
    episodes : DataFrame or None
        The episode table (row-level: never shared).
    logs : DataFrame or None
        The validated logs (row-level; ``None`` from the Parquet-folder path).
    notes : tuple of str
        Warnings raised while computing (e.g. a median never reached).
    shared : bool
        False here; True for the output of :func:`recovery_toolkit.privacy.share`.
    absent : Mapping of str to str
        Tables an engine leaves out on purpose, and why (e.g. Spark keeps the alert list on
        the cluster); the report says so where the table would be.
    """

    settings: Settings
    tables: Mapping[str, pd.DataFrame]
    provenance: Provenance
    episodes: pd.DataFrame | None = None
    logs: pd.DataFrame | None = None
    notes: tuple[str, ...] = ()
    shared: bool = False
    absent: Mapping[str, str] = field(default_factory=dict)

    def summary_tables(self) -> dict[str, pd.DataFrame]:
        """The tables ``recovery-toolkit summary`` writes, conformed to their schemas.

        Examples
        --------
        >>> import recovery_toolkit as rt
        >>> compute(rt.load_logs(rt.sample_path())).summary_tables()["alerts"].columns[-1]
        'contact_within_1_day'
        """
        shown = [name for name in SUMMARY_TABLES if name in self.tables]
        if self.shared:  # labels such as "suppressed" in number columns: columns only
            return {name: self._columns(name) for name in shown}
        return {name: conform(name, self.tables[name]) for name in shown}

    def _columns(self, name: str) -> pd.DataFrame:
        table = self.tables[name]
        return table[schema_columns(OUTPUT_SCHEMAS[name], table.columns)]

    def _repr_html_(self) -> str:
        p = self.provenance
        ttr = self.tables.get("time_to_resolution")
        rows = ""
        if ttr is not None:
            rows = "".join(
                f"<tr><td>{html.escape(str(r.treatment_type))}</td><td>{r.episodes}</td>"
                f"<td>{html.escape(str(r.median_days))}</td></tr>"
                for r in ttr.itertuples(index=False)
            )
        kind = "Shared results" if self.shared else "Results"
        return (
            f"<div><strong>{kind}</strong> of {html.escape(Path(p.source).name)}: "
            f"{p.episodes} episodes, window days 0–{self.settings.window_days}, "
            f"{len(self.tables)} tables ({html.escape(', '.join(self.tables))})"
            "<table><tr><th>treatment type</th><th>episodes</th><th>median days</th></tr>"
            f"{rows}</table></div>"
        )


def _type_order(frame: pd.DataFrame, *keys: str) -> pd.DataFrame:
    """Sort by treatment type in vocabulary order (``all`` first), then by ``keys``."""
    order = {t: i for i, t in enumerate(["all", *TREATMENT_DTYPE.categories])}
    rank = frame["treatment_type"].astype("str").map(order)
    out = frame.assign(_rank=rank).sort_values(["_rank", *keys], kind="stable")
    out = out.drop(columns="_rank").reset_index(drop=True)
    out["treatment_type"] = out["treatment_type"].astype("str")
    return out


def conform(name: str, table: pd.DataFrame) -> pd.DataFrame:
    """A summary table in its schema's columns, validated; an empty one gets its dtypes.

    Examples
    --------
    >>> conform("alerts", pd.DataFrame()).columns.tolist()[:2]
    ['episode_id', 'patient_id']
    """
    schema = OUTPUT_SCHEMAS[name]
    if table.empty:
        return empty_table(schema, table.columns)
    table = table[schema_columns(schema, table.columns)]
    # the quick test passes a valid table as it is; pandera names what is wrong otherwise
    return table if holds(schema, table) else schema.validate(table)


def _test_table(test: LogRankResult) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "chi2": [test.statistic],
            "dof": [test.dof],
            "p": [test.p_value],
            "stratified_by": [test.strata],
        }
    )


def part_counts(
    episodes: pd.DataFrame,
    settings: Settings,
    *,
    paths: pd.DataFrame | None = None,
    daily: FollowUp | None = None,
) -> dict[str, pd.DataFrame]:
    """The mergeable counts of a part's episodes, by the table they add up to
    (:func:`tables_from_counts`); whole numbers that add up over any split of the patients.
    ``paths`` and ``daily``: the part's :func:`part_paths`, when already made.

    Examples
    --------
    >>> import recovery_toolkit as rt
    >>> from recovery_toolkit import analysis
    >>> eps = analysis.episode_table(rt.load_logs(rt.sample_path()).logs)
    >>> sorted(part_counts(eps, Settings()))[:3]
    ['adherence', 'completeness', 'completeness_by_site']
    """
    if paths is None:
        paths, daily = part_paths(episodes, settings)
    return {
        "red_flag_incidence": red_flag_counts(episodes, settings),
        "adherence": adherence_counts(episodes, settings),
        "completeness": completeness_counts(episodes, settings),
        "completeness_by_site": completeness_counts(episodes, settings, by="site"),
        "escalation": escalation_counts(episodes, settings),
        "spc": spc_counts(episodes, settings),
        "funnel": funnel_counts(episodes, settings),
        "table_one": table_one_tallies(episodes, settings),
        "last_days": last_day_counts(episodes),
        "repeat_patients": repeat_patient_counts(episodes),
        "resolution": resolution_counts(episodes, settings, daily=daily),
        "dropout": dropout_counts(paths, settings),
        "logrank": logrank_counts(episodes, strata=settings.stratify_by),
    }


def part_paths(episodes: pd.DataFrame, settings: Settings) -> tuple[pd.DataFrame, FollowUp]:
    """A part's :func:`~recovery_toolkit.analysis.dropout.dropout_paths` and the daily
    follow-up of its episodes they were made from
    (:func:`~recovery_toolkit.analysis.rebound.follow_up`), which :func:`part_counts` reads
    again.

    Examples
    --------
    >>> import recovery_toolkit as rt
    >>> from recovery_toolkit import analysis
    >>> eps = analysis.episode_table(rt.load_logs(rt.sample_path()).logs)
    >>> paths, (path, last, cohort) = part_paths(eps, Settings())
    >>> len(paths), path.shape
    (374, (400, 15))
    """
    daily = follow_up(episodes, settings)
    return dropout_paths(episodes, settings, daily=daily), daily


def part_samples(episodes: pd.DataFrame, settings: Settings) -> dict[str, tuple[pd.DataFrame, int]]:
    """A part's candidates for each model fitted on a sample (:mod:`.sampling`): of the
    model's population (the sore episodes; those at the landmark; every episode, for the
    model-based curve when asked), the ``model_max_episodes`` with the smallest keys, with
    their keys (:data:`~recovery_toolkit.analysis.sampling.SAMPLE_KEY`), and the population's
    size in the part. The candidates stay where the part lives.

    Examples
    --------
    >>> import recovery_toolkit as rt
    >>> from recovery_toolkit import analysis
    >>> eps = analysis.episode_table(rt.load_logs(rt.sample_path()).logs)
    >>> {name: size for name, (_, size) in part_samples(eps, Settings()).items()}
    {'hazard_ratios': 374, 'adherence_landmark': 207}
    """
    sore = in_population(episodes, "sore").to_numpy(dtype=bool)
    day = settings.landmark_day
    populations = {  # as masks: only the candidates are copied
        "hazard_ratios": sore,
        "adherence_landmark": sore & at_landmark_mask(episodes, day),
    }
    if settings.model_curve:
        populations["recovery_curve_model"] = np.ones(len(episodes), dtype=bool)
    limit = settings.model_max_episodes
    keys = sample_keys(episodes["episode_id"]) if "episode_id" in episodes.columns else None
    offers = {}
    for name, mask in populations.items():
        chosen = smallest_keys(np.flatnonzero(mask), keys, limit)
        rows = episodes.iloc[chosen]
        if name == "adherence_landmark":
            rows = at_landmark(rows, day)  # its columns
        rows = rows.reset_index(drop=True)
        if keys is not None:
            rows[SAMPLE_KEY] = keys[chosen]
        offers[name] = (rows, int(mask.sum()))
    return offers


@dataclass(frozen=True)
class CohortInputs:
    """What :func:`cohort_tables` builds the tables from, gathered over the parts of the data
    (DESIGN §2): each mergeable table's counts, one frame per part (:func:`part_counts`); the
    size of each sampled model's population (:func:`part_samples`); and ``passes``, which runs
    a function on each part's kept frames where the part lives (its drop-out paths and its
    candidates for the sampled models, :data:`~recovery_toolkit.analysis.dropout.PartPasses`).

    Examples
    --------
    >>> import recovery_toolkit as rt
    >>> from recovery_toolkit import analysis
    >>> eps = analysis.episode_table(rt.load_logs(rt.sample_path()).logs)
    >>> inputs = CohortInputs.of_episodes(eps, Settings())
    >>> len(inputs.counts["resolution"]), inputs.samples["hazard_ratios"]
    (1, 374)
    """

    counts: Mapping[str, list[pd.DataFrame]]
    samples: Mapping[str, int]
    passes: PartPasses

    @classmethod
    def of_episodes(cls, episodes: pd.DataFrame, settings: Settings) -> CohortInputs:
        """The inputs of one episode table held in memory (one part)."""
        paths, daily = part_paths(episodes, settings)
        counts = part_counts(episodes, settings, paths=paths, daily=daily)
        samples = part_samples(episodes, settings)
        kept = {"paths": paths} | {f"sample/{n}": rows for n, (rows, _) in samples.items()}
        return cls(
            counts={name: [table] for name, table in counts.items()},
            samples={name: size for name, (_, size) in samples.items()},
            passes=lambda run, kind: [run(kept[kind])],
        )

    def sample_sizes(self, settings: Settings) -> pd.DataFrame:
        """Per sampled model: its population, the episodes it is fitted on and the limit
        (``manifest.json`` records them).

        Examples
        --------
        >>> import recovery_toolkit as rt
        >>> from recovery_toolkit import analysis
        >>> eps = analysis.episode_table(rt.load_logs(rt.sample_path()).logs)
        >>> s = Settings(model_max_episodes=300)
        >>> CohortInputs.of_episodes(eps, s).sample_sizes(s)["episodes_used"].tolist()
        [300, 207]
        """
        limit = settings.model_max_episodes
        sizes = list(self.samples.items())
        return pd.DataFrame(
            {
                "model": [name for name, _ in sizes],
                "population": [size for _, size in sizes],
                "episodes_used": [min(size, limit) for _, size in sizes],
                "at_most": limit,
            }
        ).astype({"population": "int64", "episodes_used": "int64", "at_most": "int64"})

    def sample(self, model: str, settings: Settings) -> pd.DataFrame:
        """The episodes ``model`` is fitted on, drawn from the parts' candidates (with a
        warning when it is smaller than the population;
        :func:`~recovery_toolkit.analysis.sampling.sample_from_parts`)."""
        return sample_from_parts(self.passes, model, self.samples[model], settings)


def tables_from_counts(
    counts: Mapping[str, list[pd.DataFrame]],
    settings: Settings,
    *,
    data_end: pd.Timestamp | None = None,
) -> dict[str, pd.DataFrame]:
    """The tables of :func:`part_counts`, from the counts of every part (by table).

    Examples
    --------
    >>> import recovery_toolkit as rt
    >>> from recovery_toolkit import analysis
    >>> eps = analysis.episode_table(rt.load_logs(rt.sample_path()).logs)
    >>> counts = {name: [table] for name, table in part_counts(eps, Settings()).items()}
    >>> tables_from_counts(counts, Settings())["escalation"]["episodes_with_flag"].sum()
    np.int64(57)
    """
    return {
        "red_flag_incidence": red_flag_from_counts(counts["red_flag_incidence"], settings),
        "adherence": adherence_from_counts(counts["adherence"]),
        "completeness": completeness_from_counts(counts["completeness"], settings),
        "completeness_by_site": completeness_from_counts(
            counts["completeness_by_site"], settings, by="site"
        ),
        "escalation": escalation_from_counts(counts["escalation"]),
        "spc": p_chart_from_counts(counts["spc"], settings, data_end=data_end),
        "funnel": funnel_from_counts(counts["funnel"], settings),
        "funnel_mix": unit_mix_from_counts(counts["funnel"]),
        "intervals": interval_method_from_counts(counts["repeat_patients"]),
        "time_to_resolution": time_to_resolution_from_counts(counts["resolution"], settings),
        "km": km_curve_from_counts(counts["resolution"], settings),
        "logrank": _test_table(logrank_from_counts(counts["logrank"], strata=settings.stratify_by)),
        **dict(
            zip(
                ("table_one", "table_one_counts"),
                table_one_from_tallies(counts["table_one"], settings),
                strict=True,
            )
        ),
    }


def cohort_tables(
    inputs: CohortInputs,
    curve: pd.DataFrame,
    alerts: pd.DataFrame,
    settings: Settings,
    *,
    data_end: pd.Timestamp | None = None,
) -> dict[str, pd.DataFrame]:
    """Every table computed from the parts' inputs, the curve and the alert list.

    The engines call this once they have the three (each engine builds them its own way),
    with ``data_end``, the last log date in the data (the control chart's complete months;
    without it every month counts as complete). No table needs the episode table in one
    place: the mergeable ones add up the parts' counts, the milestones' IPCW passes over the
    parts, and the models are fitted on a seeded sample (:mod:`.sampling`).

    Examples
    --------
    >>> import recovery_toolkit as rt
    >>> from recovery_toolkit import analysis
    >>> logs = rt.load_logs(rt.sample_path()).logs
    >>> eps, curve = analysis.episode_table(logs), analysis.recovery_curve(logs)
    >>> inputs = CohortInputs.of_episodes(eps, Settings())
    >>> tables = cohort_tables(inputs, curve, analysis.alerts(logs, eps, curve=curve), Settings())
    >>> "km" in tables and "spc" in tables
    True
    """
    counts = inputs.counts
    merged = tables_from_counts(counts, settings, data_end=data_end)
    if "n_at_risk" not in curve.columns:  # a curve added up from parts of a registry
        curve = with_at_risk_from_counts(curve, counts["last_days"])
    milestones = milestones_from_parts(
        counts["resolution"], counts["dropout"], inputs.passes, settings
    )
    summary = {
        "recovery_curve": _type_order(curve, "day"),
        "time_to_resolution": _type_order(merged["time_to_resolution"]),
        "resolution_milestones": _type_order(milestones, "day"),
        "hazard_ratios": hazard_ratios(inputs.sample("hazard_ratios", settings), settings),
        "red_flag_incidence": _type_order(merged["red_flag_incidence"], "flag"),
        "adherence": _type_order(merged["adherence"], "item"),
        "adherence_landmark": adherence_landmark(
            inputs.sample("adherence_landmark", settings), settings
        ),
        "completeness": _type_order(merged["completeness"]),
        "spc": _type_order(merged["spc"], "month"),
        "funnel": merged["funnel"],
    }
    if settings.model_curve:
        model = inputs.sample("recovery_curve_model", settings)
        summary["recovery_curve_model"] = recovery_curve_model(model, settings)
    tables = {name: conform(name, table) for name, table in summary.items()}
    tables["model_samples"] = inputs.sample_sizes(settings)
    tables["alerts"] = alerts.reset_index(drop=True)  # with explanations; export drops them
    tables["alert_counts"] = alert_counts(alerts)
    tables.update(
        km=merged["km"],
        logrank=merged["logrank"],
        intervals=merged["intervals"],
        table_one=merged["table_one"],
        table_one_counts=merged["table_one_counts"],
        completeness_by_site=merged["completeness_by_site"],
        escalation=merged["escalation"],
        funnel_mix=merged["funnel_mix"],
        logging_by_day=logging_from_curve(tables["recovery_curve"], tables["time_to_resolution"]),
    )
    return tables


def compute(
    data: LoadResult | pd.DataFrame,
    settings: Settings | None = None,
    **overrides: Any,
) -> Results:
    """Every cohort table of ``data`` with ``settings``, computed once.

    Parameters
    ----------
    data : LoadResult or DataFrame
        What :func:`~recovery_toolkit.load_logs` returned, or validated canonical logs.
    settings : Settings, optional
        The method parameters (default: ``Settings()``).
    **overrides
        One-off changes of ``settings`` fields, e.g. ``window_days=21``.

    Returns
    -------
    Results
        Warnings raised while computing are kept in ``notes`` (and not shown again).

    Examples
    --------
    >>> import recovery_toolkit as rt
    >>> results = compute(rt.load_logs(rt.sample_path()), window_days=21)
    >>> int(results.tables["recovery_curve"]["day"].max())
    21
    """
    settings = resolve(settings, **overrides)
    if isinstance(data, LoadResult):
        logs, provenance = data.logs, Provenance.from_load(data)
    else:
        logs, provenance = _valid_frame(data), Provenance.of_frame(data)
    with notes_collected() as notes:
        episodes = episode_table(logs, settings)
        curve = recovery_curve(logs, settings, episodes=episodes)
        alerts = list_alerts(logs, episodes, settings, curve=curve)
        inputs = CohortInputs.of_episodes(episodes, settings)
        tables = cohort_tables(inputs, curve, alerts, settings, data_end=last_log_date(logs))
    return Results(
        settings=settings,
        tables=MappingProxyType(tables),
        provenance=provenance,
        episodes=episodes,
        logs=logs,
        notes=tuple(notes),
    )


def recorded_interval_method(tables: Mapping[str, pd.DataFrame]) -> str | None:
    """How the intervals of these tables allow for patients with several episodes (the
    ``intervals`` table :func:`cohort_tables` writes); ``None`` when not recorded.

    Examples
    --------
    >>> recorded_interval_method({"intervals": pd.DataFrame({"method": ["robust"]})})
    'robust'
    """
    table = tables.get("intervals")
    return None if table is None or table.empty else str(table["method"].iloc[0])


def last_log_date(logs: pd.DataFrame) -> pd.Timestamp | None:
    """The last log date in the data (``max(log_date)``; None without logs).

    Examples
    --------
    >>> last_log_date(pd.DataFrame({"log_date": pd.to_datetime(["2025-01-03", "2025-02-01"])}))
    Timestamp('2025-02-01 00:00:00')
    """
    if "log_date" not in logs.columns or logs.empty:
        return None
    end = logs["log_date"].max()
    return None if pd.isna(end) else pd.Timestamp(end)


def _valid_frame(logs: pd.DataFrame) -> pd.DataFrame:
    """A frame handed over directly, checked against the log contract in one line."""
    try:
        return SorenessLog.validate(logs)
    except (pa.errors.SchemaError, pa.errors.SchemaErrors) as exc:
        first = str(exc).strip().splitlines()[0]
        raise OptionError(
            "data=",
            "<DataFrame>",
            f"is not a canonical log table ({first})",
            "pass load_logs(path) of the file, which reads and checks any export",
        ) from None


@contextmanager
def notes_collected(stacklevel: int = 2) -> Iterator[list[str]]:
    """Collect the warnings raised in the block as notes, then warn each note once.

    Every warning of the block is recorded (a
    :class:`~recovery_toolkit.errors.RecoveryToolkitWarning` each time it is raised); on leaving
    the block the yielded list receives their distinct messages, sorted, and each is warned once
    as a ``RecoveryToolkitWarning``, for whoever is watching. ``stacklevel`` is as for
    :func:`warnings.warn` called where the ``with`` is (2: the warning points at the caller of
    that function).

    Examples
    --------
    >>> with warnings.catch_warnings(record=True) as shown:
    ...     warnings.simplefilter("always")
    ...     with notes_collected() as notes:
    ...         for _ in range(3):
    ...             warnings.warn("few episodes", RecoveryToolkitWarning)
    >>> notes, [str(w.message) for w in shown]
    (['few episodes'], ['few episodes'])
    """
    notes: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", RecoveryToolkitWarning)
        yield notes
    ours = [w for w in caught if issubclass(w.category, RecoveryToolkitWarning)]
    for other in caught:  # another library's warning is not a note: pass it on as it was
        if not issubclass(other.category, RecoveryToolkitWarning):
            warnings.warn_explicit(other.message, other.category, other.filename, other.lineno)
    notes.extend(sorted({str(w.message) for w in ours}))
    for note in notes:
        # + 2: this generator's frame and contextlib's __exit__ stand between
        warnings.warn(note, RecoveryToolkitWarning, stacklevel=stacklevel + 2)
