"""Writing results as reproducible CSV files (or one workbook) with ``manifest.json``.

:func:`write_tables` writes the summary tables of
:class:`~recovery_toolkit.analysis.Results` (or of shared results,
:func:`recovery_toolkit.privacy.share`) with a fixed float format, in a fixed order, with
``manifest.json`` (input name and SHA-256, row counts, every parameter, package versions). It
writes what it is given: the same results give byte-identical files.

Examples
--------
>>> import tempfile, recovery_toolkit as rt
>>> results = rt.compute(rt.load_logs(rt.sample_path()))
>>> with tempfile.TemporaryDirectory() as tmp:
...     [p.name for p in write_tables(results, tmp)][:2]
['recovery_curve.csv', 'time_to_resolution.csv']
"""

from __future__ import annotations

import json
import platform
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..analysis.results import Results, recorded_interval_method
from ..io.writers import OutputExistsError, write_csv, write_text, write_xlsx

__all__ = ["FLOAT_FORMAT", "FORMATS", "write_tables", "manifest"]

#: Every float in a summary CSV is written with this format (missing values as empty cells).
FLOAT_FORMAT = "%.6f"
#: File formats of :func:`write_tables`.
FORMATS = ("csv", "xlsx")
_VERSIONED = ("recovery-toolkit", "pandas", "numpy", "pandera", "statsmodels", "scipy")


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


def _sampled_models(results: Results) -> dict[str, Any]:
    """The models that cannot be added up from parts and are fitted on at most
    ``model_max_episodes`` episodes: their population, how many episodes each used, and how
    the sample is chosen."""
    table = results.tables.get("model_samples")
    if table is None or table.empty:
        return {}
    return {
        str(row.model): {
            "population": _number(row.population),
            "episodes_used": _number(row.episodes_used),
            "at_most": _number(row.at_most),
            "chosen_by": "the smallest SipHash (key from seed 0) of episode_id",
        }
        for row in table.itertuples(index=False)
    }


def _number(value: object) -> object:
    """A count as JSON: an int, or the text a shared table shows instead (``suppressed``)."""
    return int(value) if isinstance(value, (int, np.integer)) else str(value)


def manifest(results: Results, outputs: list[Path]) -> dict[str, Any]:
    """The provenance of written tables: input, row counts, parameters, sharing, versions.

    Examples
    --------
    >>> import recovery_toolkit as rt
    >>> manifest(rt.compute(rt.load_logs(rt.sample_path())), [])["rows"]["valid"]
    5204
    """
    p = results.provenance
    options = dict(p.options)
    mapping = options.pop("mapping", None)
    shared = results.shared
    min_cell = getattr(results, "min_cell", results.settings.min_cell)
    return {
        "tool": "recovery-toolkit summary",
        "input": {"file": Path(p.source).name, "sha256": p.sha256},
        "engine": p.engine,
        "rows": dict(p.rows),
        "episodes": p.episodes,
        "parameters": results.settings.as_dict(),
        "interval_method": recorded_interval_method(results.tables),
        "sampled_models": _sampled_models(results),
        "loader_options": options | {"mapping": Path(mapping).name if mapping else None},
        "outputs": [path.name for path in outputs],
        "share": (
            {
                "min_cell": min_cell,
                "small_counts": f"1 to {min_cell - 1}, and what would reveal them, "
                "shown as 'suppressed'",
                "alerts": (
                    "record-level under HMAC-SHA256 pseudonyms; its counts are not suppressed"
                    if getattr(results, "pseudonymised", False)
                    else "left out"
                ),
            }
            if shared
            else None
        ),
        "package_versions": _versions() | _engine_version(p.engine),
    }


def _engine_version(engine: str) -> dict[str, str]:
    """The version of the engine's own library (DuckDB, pyspark), when one was used."""
    name = {"parquet": "duckdb", "spark": "pyspark"}.get(engine)
    return {} if name is None else {name: version(name)}


def write_tables(
    results: Results,
    out_dir: str | Path,
    *,
    overwrite: bool = False,
    file_format: str = "csv",
) -> list[Path]:
    """Write the summary tables and ``manifest.json`` to ``out_dir``; return the paths.

    ``results`` is internal (:func:`~recovery_toolkit.compute`) or shared
    (:func:`~recovery_toolkit.privacy.share`: small counts read ``suppressed``, alerts only
    under pseudonyms). With ``file_format="xlsx"`` the tables go to one workbook,
    ``summary.xlsx``, a sheet each. Every text cell that a spreadsheet would run as a formula
    is prefixed with ``'``. Nothing is written when a target exists and ``overwrite`` is
    false.

    Examples
    --------
    >>> import tempfile, recovery_toolkit as rt
    >>> results = rt.compute(rt.load_logs(rt.sample_path()))
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     [p.name for p in write_tables(results, tmp)][-1]
    'manifest.json'
    """
    if file_format not in FORMATS:
        raise ValueError(f"file_format= must be one of {FORMATS}, not {file_format!r}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tables = results.summary_tables()
    targets = (
        [out / f"{name}.csv" for name in tables] if file_format == "csv" else [out / "summary.xlsx"]
    )
    existing = [p.name for p in [*targets, out / "manifest.json"] if p.exists()]
    if existing and not overwrite:
        raise OutputExistsError(
            f"{out}: {', '.join(existing)} already exist(s); pass overwrite=True to replace them"
        )
    if file_format == "csv":
        paths = [
            write_csv(_fixed_floats(table), path, float_format=FLOAT_FORMAT)
            for path, table in zip(targets, tables.values(), strict=True)
        ]
    else:
        paths = [write_xlsx(tables, targets[0])]
    text = json.dumps(manifest(results, paths), indent=2, ensure_ascii=False) + "\n"
    paths.append(write_text(text, out / "manifest.json"))
    return paths
