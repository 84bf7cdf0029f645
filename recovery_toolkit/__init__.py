"""recovery-toolkit: understand how patients recover after spine-focused care.

Load daily soreness logs into a validated canonical frame, compute every cohort table once,
share it safely and draw it (report, CSV, explorers).

The names below are the public API; each is imported the first time it is used, so
``import recovery_toolkit`` stays light (no Altair, ipywidgets or DuckDB until a chart, an
explorer or a Parquet folder needs them).

Examples
--------
>>> import recovery_toolkit as rt
>>> result = rt.load_logs(rt.sample_path())
>>> result.rows_valid == len(result.logs)
True
>>> results = rt.compute(result, rt.Settings(window_days=14))
>>> shared = rt.share(results)
>>> shared.tables["time_to_resolution"]["episodes"].tolist()
[142, 127, 85, 46]
"""

from __future__ import annotations

from importlib import import_module
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

from . import vocab
from .errors import (
    InputFileError,
    MappingError,
    OptionError,
    RecoveryToolkitError,
    RecoveryToolkitWarning,
)

try:
    __version__ = version("recovery-toolkit")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0+unknown"

#: Public name -> (module, attribute), imported on first use.
_LAZY: dict[str, tuple[str, str]] = {
    "load_logs": ("io.load", "load_logs"),
    "LoadResult": ("io.load", "LoadResult"),
    "load_mapping": ("io.mapping", "load_mapping"),
    "ColumnMapping": ("io.mapping", "ColumnMapping"),
    "SorenessLog": ("schemas", "SorenessLog"),
    "EpisodeTable": ("schemas", "EpisodeTable"),
    "OutputExistsError": ("io.writers", "OutputExistsError"),
    "Settings": ("analysis.settings", "Settings"),
    "compute": ("analysis.results", "compute"),
    "Results": ("analysis.results", "Results"),
    "share": ("privacy.share", "share"),
    "SharedResults": ("privacy.share", "SharedResults"),
    "load_key": ("privacy.cells", "load_key"),
    "build_report": ("render.report", "build_report"),
    "write_report": ("render.report", "write_report"),
    "render_report": ("render.report", "render_report"),
    "enable_offline": ("render.theme", "enable_offline"),
    "write_tables": ("render.export", "write_tables"),
    "PatientExplorer": ("render.widgets", "PatientExplorer"),
    "CohortExplorer": ("render.widgets", "CohortExplorer"),
    "AdherenceExplorer": ("render.widgets", "AdherenceExplorer"),
    "summarise_dataset": ("engines.parquet", "summarise_dataset"),
    "DatasetResults": ("engines.parquet", "DatasetResults"),
    "sample_path": ("samples", "sample_path"),
    "write_samples": ("samples", "write_samples"),
    "generate_logs": ("synth", "generate_logs"),
}

__all__ = [
    "AdherenceExplorer",
    "CohortExplorer",
    "ColumnMapping",
    "DatasetResults",
    "EpisodeTable",
    "InputFileError",
    "LoadResult",
    "MappingError",
    "OptionError",
    "OutputExistsError",
    "PatientExplorer",
    "RecoveryToolkitError",
    "RecoveryToolkitWarning",
    "Results",
    "Settings",
    "SharedResults",
    "SorenessLog",
    "__version__",
    "build_report",
    "compute",
    "enable_offline",
    "generate_logs",
    "load_key",
    "load_logs",
    "load_mapping",
    "render_report",
    "sample_path",
    "share",
    "summarise_dataset",
    "vocab",
    "write_report",
    "write_samples",
    "write_tables",
]


#: Subpackages reachable as attributes (``rt.analysis``), imported on first use.
_SUBPACKAGES = frozenset({"analysis", "engines", "io", "privacy", "render", "schemas"})


def __getattr__(name: str) -> Any:
    if name in _SUBPACKAGES:
        return import_module(f".{name}", __name__)
    if name not in _LAZY:
        raise AttributeError(f"module 'recovery_toolkit' has no attribute {name!r}")
    module, attribute = _LAZY[name]
    value = getattr(import_module(f".{module}", __name__), attribute)
    globals()[name] = value  # the next look-up is a plain attribute
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY) | _SUBPACKAGES)


if TYPE_CHECKING:  # the same names, for type checkers and editors
    from . import analysis as analysis
    from . import engines as engines
    from . import io as io
    from . import privacy as privacy
    from . import render as render
    from . import schemas as schemas
    from .analysis.results import Results, compute
    from .analysis.settings import Settings
    from .engines.parquet import DatasetResults, summarise_dataset
    from .io.load import LoadResult, load_logs
    from .io.mapping import ColumnMapping, load_mapping
    from .io.writers import OutputExistsError
    from .privacy.cells import load_key
    from .privacy.share import SharedResults, share
    from .render.export import write_tables
    from .render.report import build_report, render_report, write_report
    from .render.theme import enable_offline
    from .render.widgets import AdherenceExplorer, CohortExplorer, PatientExplorer
    from .samples import sample_path, write_samples
    from .schemas import EpisodeTable, SorenessLog
    from .synth import generate_logs
