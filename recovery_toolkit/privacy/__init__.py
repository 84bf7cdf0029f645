"""Privacy: the small-count rule, pseudonyms, and the one share step (docs/privacy.md).

* :mod:`.cells` — ``MIN_CELL``, ``SUPPRESSED``, :func:`is_small`, :func:`pseudonymise`,
  :func:`load_key`;
* :mod:`.plan` — :class:`SharePlan`, which decides once which counts hide;
* :mod:`.km` — Kaplan–Meier curves in merged steps;
* :mod:`.share` — :func:`share`, which turns :class:`~recovery_toolkit.analysis.Results`
  into :class:`SharedResults`, before anything renders.

Examples
--------
>>> from recovery_toolkit import privacy
>>> privacy.MIN_CELL, privacy.SUPPRESSED
(11, 'suppressed')
"""

from .cells import (
    MIN_CELL,
    SUPPRESSED,
    complete,
    is_small,
    load_key,
    pseudonymise,
    pseudonymise_alerts,
    row_counts,
)
from .funnel import share_funnel
from .km import coarsen_km
from .plan import SharePlan
from .report_tables import share_item_resolution, share_km, share_table_one
from .share import RULES, SharedResults, share, suppress_all

__all__ = [
    "MIN_CELL",
    "RULES",
    "SUPPRESSED",
    "SharePlan",
    "SharedResults",
    "coarsen_km",
    "complete",
    "is_small",
    "load_key",
    "pseudonymise",
    "pseudonymise_alerts",
    "row_counts",
    "share",
    "share_funnel",
    "share_item_resolution",
    "share_km",
    "share_table_one",
    "suppress_all",
]
