"""Pure analysis functions over the canonical log table (docs/methods.md).

Logs go in, tidy frames come out; nothing here plots, prints or modifies its input. Every
threshold is a field of :class:`Settings` (each function takes one; keywords still work for
one-offs). Most functions take the episode table (:func:`episode_table`, one row per episode,
computed once); the recovery curve and alerts also read the long logs. :func:`compute` runs
them all once and returns :class:`Results`.

Examples
--------
>>> import recovery_toolkit as rt
>>> from recovery_toolkit import analysis
>>> logs = rt.load_logs(rt.sample_path()).logs
>>> episodes = analysis.episode_table(logs)
>>> analysis.time_to_resolution(episodes)["episodes"].sum()
np.int64(400)
"""

from .adherence import (
    CAUTION,
    adherence_group_shares,
    adherence_scores,
    adherence_table,
    episode_checklist,
    item_episodes,
    item_resolution,
    resolution_by_adherence,
)
from .alerts import alerts, sort_alerts
from .clustering import interval_method
from .comparison import LogRankResult, hazard_ratios, logrank
from .curves import (
    curve_from_counts,
    episode_trajectory,
    recovery_curve,
    reference_band,
    soreness_counts,
)
from .dropout import resolution_milestones
from .episodes import (
    ADHERENCE_ITEMS,
    ALL_FLAGS,
    REPORTED_FLAGS,
    RESOLVED_AT,
    WINDOW_DAYS,
    episode_table,
    in_window,
)
from .followup import completeness, escalation, logging_by_day, logging_from_curve, logging_grid
from .funnel import funnel_limits, funnel_table, unit_mix
from .landmark import adherence_landmark, landmark_cohort
from .red_flags import FLAG_NAMES, rate_ratios, red_flag_incidence
from .resolution import kaplan_meier, km_curve, time_to_resolution
from .results import SUMMARY_TABLES, Provenance, Results, cohort_tables, compute
from .settings import Settings, resolve
from .spc import p_chart
from .table_one import table_one, table_one_counts

__all__ = [
    "adherence_landmark",
    "landmark_cohort",
    "resolution_milestones",
    "SUMMARY_TABLES",
    "Provenance",
    "Results",
    "Settings",
    "cohort_tables",
    "compute",
    "logging_from_curve",
    "resolve",
    "ADHERENCE_ITEMS",
    "ALL_FLAGS",
    "CAUTION",
    "FLAG_NAMES",
    "LogRankResult",
    "REPORTED_FLAGS",
    "RESOLVED_AT",
    "WINDOW_DAYS",
    "adherence_group_shares",
    "adherence_scores",
    "adherence_table",
    "alerts",
    "sort_alerts",
    "soreness_counts",
    "curve_from_counts",
    "completeness",
    "episode_checklist",
    "episode_table",
    "episode_trajectory",
    "escalation",
    "in_window",
    "item_episodes",
    "item_resolution",
    "hazard_ratios",
    "interval_method",
    "kaplan_meier",
    "km_curve",
    "logging_by_day",
    "logging_grid",
    "logrank",
    "p_chart",
    "funnel_limits",
    "funnel_table",
    "unit_mix",
    "rate_ratios",
    "recovery_curve",
    "red_flag_incidence",
    "reference_band",
    "resolution_by_adherence",
    "table_one",
    "table_one_counts",
    "time_to_resolution",
]
