"""The summary tables of DESIGN §5, and writing them as reproducible CSV files.

:func:`summary_tables` computes the seven tables from validated logs (one episode table, reused
by every group-by); :func:`write_summary` writes them with a fixed float format, in a fixed
order, with ``manifest.json`` (input name and SHA-256, row counts, parameters, package
versions). The same input and parameters give byte-identical files.

Examples
--------
>>> import recovery_toolkit as rt
>>> tables = summary_tables(rt.load_logs(rt.sample_path()).logs)
>>> list(tables)  # doctest: +NORMALIZE_WHITESPACE
['recovery_curve', 'time_to_resolution', 'red_flag_incidence', 'adherence', 'completeness',
 'spc', 'alerts']
"""

from __future__ import annotations

import json
import platform
from dataclasses import asdict, dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from . import analysis
from .io.load import LoadResult
from .io.writers import OutputExistsError, write_csv, write_text, write_xlsx
from .privacy import MIN_CELL, SUPPRESSED, is_small
from .schemas import OUTPUT_SCHEMAS, TREATMENT_DTYPE, empty_table
from .share import SharePlan, row_counts

if TYPE_CHECKING:
    from .scale import DatasetSummary

__all__ = [
    "SummarySettings",
    "summary_tables",
    "summary_inputs",
    "write_summary",
    "FLOAT_FORMAT",
]

#: Every float in a summary CSV is written with this format (missing values as empty cells).
FLOAT_FORMAT = "%.6f"
_VERSIONED = ("recovery-toolkit", "pandas", "numpy", "pandera", "statsmodels", "scipy")


@dataclass(frozen=True)
class SummarySettings:
    """Parameters of the summary (each is a keyword of the analysis functions and a CLI option).

    Examples
    --------
    >>> SummarySettings(window_days=10).resolved_at
    2
    """

    window_days: int = analysis.WINDOW_DAYS
    resolved_at: int = analysis.RESOLVED_AT
    definition: str = "default"

    def __post_init__(self) -> None:
        if self.window_days < 1:
            raise ValueError("window_days must be at least 1")
        if not 0 <= self.resolved_at <= 10:
            raise ValueError("resolved_at must be between 0 and 10")
        if self.definition not in ("default", "pace"):
            raise ValueError("definition must be 'default' or 'pace'")


def _type_order(frame: pd.DataFrame, *keys: str) -> pd.DataFrame:
    """Sort by treatment type in vocabulary order (``all`` first), then by ``keys``."""
    order = {t: i for i, t in enumerate(["all", *TREATMENT_DTYPE.categories])}
    rank = frame["treatment_type"].astype("str").map(order)
    out = frame.assign(_rank=rank).sort_values(["_rank", *keys], kind="stable")
    out = out.drop(columns="_rank").reset_index(drop=True)
    out["treatment_type"] = out["treatment_type"].astype("str")
    return out


def summary_inputs(
    logs: pd.DataFrame,
    *,
    settings: SummarySettings | None = None,
    episodes: pd.DataFrame | None = None,
    curve: pd.DataFrame | None = None,
    alerts: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The episode table, recovery curve and alert list the summary tables are built from,
    with ``settings``; each computed only when not given.

    Examples
    --------
    >>> import recovery_toolkit as rt
    >>> episodes, curve, alerts = summary_inputs(rt.load_logs(rt.sample_path()).logs)
    >>> len(episodes)
    400
    """
    settings = settings or SummarySettings()
    if episodes is None:
        episodes = analysis.episode_table(
            logs,
            window_days=settings.window_days,
            resolved_at=settings.resolved_at,
            definition=settings.definition,
        )
    if curve is None:
        curve = analysis.recovery_curve(logs, window_days=settings.window_days)
    if alerts is None:
        alerts = analysis.alerts(
            logs,
            episodes,
            curve=curve,
            window_days=settings.window_days,
            resolved_at=settings.resolved_at,
        )
    return episodes, curve, alerts


def summary_tables(
    logs: pd.DataFrame | None,
    *,
    settings: SummarySettings | None = None,
    episodes: pd.DataFrame | None = None,
    curve: pd.DataFrame | None = None,
    alerts: pd.DataFrame | None = None,
) -> dict[str, pd.DataFrame]:
    """The seven DESIGN §5 tables, validated against their schemas and sorted.

    ``episodes``, ``curve`` and ``alerts`` may be passed when already computed with the same
    settings (they are then not computed again); with all three, ``logs`` may be ``None`` (the
    Parquet-folder path, :func:`recovery_toolkit.scale.summarise_dataset`, computes them part
    by part).

    Examples
    --------
    >>> import recovery_toolkit as rt
    >>> logs = rt.load_logs(rt.sample_path()).logs
    >>> tables = summary_tables(logs, settings=SummarySettings(definition="pace"))
    >>> int(tables["time_to_resolution"]["episodes"].sum())
    400
    """
    settings = settings or SummarySettings()
    if logs is None and (episodes is None or curve is None or alerts is None):
        raise ValueError("without logs, pass episodes, curve and alerts")
    if logs is not None:
        episodes, curve, alerts = summary_inputs(
            logs, settings=settings, episodes=episodes, curve=curve, alerts=alerts
        )
    tables = {
        "recovery_curve": _type_order(curve, "day"),
        "time_to_resolution": _type_order(analysis.time_to_resolution(episodes)),
        "red_flag_incidence": _type_order(analysis.red_flag_incidence(episodes), "flag"),
        "adherence": _type_order(analysis.adherence_table(episodes), "item"),
        "completeness": _type_order(analysis.completeness(episodes)),
        "spc": _type_order(analysis.p_chart(episodes), "month"),
        "alerts": alerts.drop(columns="explanation").reset_index(drop=True),
    }
    return {name: _conform(name, table) for name, table in tables.items()}


def _conform(name: str, table: pd.DataFrame) -> pd.DataFrame:
    """Validate against the output schema; an empty table gets the schema's dtypes."""
    schema = OUTPUT_SCHEMAS[name]
    if table.empty:
        return empty_table(schema)
    return schema.validate(table)


def _fixed_floats(table: pd.DataFrame) -> pd.DataFrame:
    """Floats inside text columns (shared tables mix numbers and ``suppressed``) in the fixed
    format."""
    out = table.copy()
    for column in out.columns:
        if out[column].dtype == object:
            out[column] = [
                FLOAT_FORMAT % v if isinstance(v, float) and v == v else v for v in out[column]
            ]
    return out


def _versions() -> dict[str, str]:
    found = {"python": platform.python_version()}
    for name in _VERSIONED:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = "not installed"
    return found


def write_summary(
    result: LoadResult | DatasetSummary,
    out_dir: str | Path,
    *,
    settings: SummarySettings | None = None,
    overwrite: bool = True,
    share: bool = False,
    min_cell: int = MIN_CELL,
    key: bytes | None = None,
    file_format: str = "csv",
    tables: dict[str, pd.DataFrame] | None = None,
    episodes: pd.DataFrame | None = None,
) -> list[Path]:
    """Write the summary CSVs and ``manifest.json`` to ``out_dir``; return the paths.

    ``result`` is a :class:`~recovery_toolkit.LoadResult`, or a
    :class:`~recovery_toolkit.scale.DatasetSummary` passed with its ``tables`` and
    ``episodes`` (already computed part by part).

    With ``share=True`` the tables are made safe to leave the clinic
    (:class:`~recovery_toolkit.share.SharePlan`): counts from 1 to ``min_cell - 1`` and what
    would reveal them read ``suppressed``; ``alerts.csv`` is left out,
    or written with pseudonyms when ``key`` is given (a record-level file: its counts are not
    suppressed).
    With ``file_format="xlsx"`` the tables go to one workbook, ``summary.xlsx``, a sheet each.
    Every text cell that a spreadsheet would run as a formula is prefixed with ``'``. Nothing is
    written when a target exists and ``overwrite`` is false.

    Examples
    --------
    >>> import tempfile, recovery_toolkit as rt
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     [p.name for p in write_summary(rt.load_logs(rt.sample_path()), tmp)][-1]
    'manifest.json'
    """
    settings = settings or SummarySettings()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    if file_format not in ("csv", "xlsx"):
        raise ValueError("file_format must be 'csv' or 'xlsx'")
    if tables is None or episodes is None:
        episodes = analysis.episode_table(
            result.logs,
            window_days=settings.window_days,
            resolved_at=settings.resolved_at,
            definition=settings.definition,
        )
        tables = summary_tables(result.logs, settings=settings, episodes=episodes)
    if share:
        km = analysis.km_curve(episodes, window_days=settings.window_days)
        tables = SharePlan.from_tables(tables, min_cell=min_cell).tables(tables, km=km, key=key)
    targets = (
        [out / f"{name}.csv" for name in tables] if file_format == "csv" else [out / "summary.xlsx"]
    )
    existing = [p.name for p in [*targets, out / "manifest.json"] if p.exists()]
    if existing and not overwrite:
        raise OutputExistsError(
            f"{out}: {', '.join(existing)} already exist(s); pass --force to replace them"
        )
    if file_format == "csv":
        paths = [
            write_csv(_fixed_floats(table), path, float_format=FLOAT_FORMAT)
            for path, table in zip(targets, tables.values(), strict=True)
        ]
    else:
        paths = [write_xlsx(tables, targets[0])]
    rows = {
        "read": result.rows_read,
        "valid": result.rows_valid,
        "quarantined": result.rows_quarantined,
        "merged": result.rows_merged,
    }
    manifest = {
        "tool": "recovery-toolkit summary",
        "input": {"file": Path(result.source).name, "sha256": result.sha256},
        "rows": row_counts(**rows, min_cell=min_cell) if share else rows,
        "episodes": (
            SUPPRESSED
            if share and is_small(np.array([result.episodes]), min_cell)[0]
            else result.episodes
        ),
        "parameters": asdict(settings),
        "loader_options": {k: v for k, v in result.options.items() if k != "mapping"}
        | {
            "mapping": Path(result.options["mapping"]).name
            if result.options.get("mapping")
            else None
        },
        "outputs": [p.name for p in paths],
        "share": (
            {
                "min_cell": min_cell,
                "small_counts": f"1 to {min_cell - 1}, and what would reveal them, "
                "shown as 'suppressed'",
                "alerts": (
                    "record-level under HMAC-SHA256 pseudonyms; its counts are not suppressed"
                    if key
                    else "left out"
                ),
            }
            if share
            else None
        ),
        "package_versions": _versions(),
    }
    text = json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"
    paths.append(write_text(text, out / "manifest.json"))
    return paths
