"""Pandera schemas: the contract of every table the toolkit passes around.

:class:`SorenessLog` is the canonical log table (one row per episode per logged day),
:class:`EpisodeTable` the episode table computed from it, :mod:`.outputs` the output
tables. Code refers to columns through the models (``SorenessLog.soreness``,
``EpisodeTable.first("any_flag")``), never through loose strings, so a renamed column breaks
loudly.

Examples
--------
>>> from recovery_toolkit.schemas import SorenessLog
>>> SorenessLog.soreness
'soreness'
>>> "flag_neuro_deficit" in SorenessLog.flag_columns()
True
"""

from . import _pandera  # noqa: F401  (first: imports pandera quietly where pyspark is installed)
from .episodes import ADHERENCE_GROUPS, EpisodeTable
from .logs import (
    BOOLEAN_COLUMNS,
    CANONICAL_COLUMNS,
    EPISODE_ATTRIBUTES,
    REQUIRED_COLUMNS,
    TEXT_COLUMNS,
    TREATMENT_DTYPE,
    Problems,
    SorenessLog,
    inconsistent_episode_rows,
)
from .outputs import (
    OUTPUT_SCHEMAS,
    AdherenceTable,
    AlertsTable,
    CompletenessTable,
    FunnelTable,
    RecoveryCurveTable,
    RedFlagIncidenceTable,
    SpcTable,
    TimeToResolutionTable,
    empty_table,
)

__all__ = [
    "ADHERENCE_GROUPS",
    "EpisodeTable",
    "BOOLEAN_COLUMNS",
    "CANONICAL_COLUMNS",
    "EPISODE_ATTRIBUTES",
    "OUTPUT_SCHEMAS",
    "REQUIRED_COLUMNS",
    "TEXT_COLUMNS",
    "TREATMENT_DTYPE",
    "AdherenceTable",
    "AlertsTable",
    "FunnelTable",
    "CompletenessTable",
    "Problems",
    "RecoveryCurveTable",
    "RedFlagIncidenceTable",
    "SorenessLog",
    "SpcTable",
    "TimeToResolutionTable",
    "empty_table",
    "inconsistent_episode_rows",
]
