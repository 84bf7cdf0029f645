"""``share(results) -> SharedResults``: the one step every shared output passes through.

The report, the CSV/XLSX export and any future output render what they are given; to leave
the clinic they are given :func:`share`'s result, never the internal :class:`Results`. Each
table of the results has a rule here (:data:`RULES`), chosen by its key; a table without a
rule comes out as one row reading ``suppressed`` in every column (no index, no row count, no
key values), so a new table is safe before anyone writes its rule. Row-level data (logs,
episode table, notes) never reaches shared results; alerts appear only under pseudonyms.

Examples
--------
>>> import recovery_toolkit as rt
>>> from recovery_toolkit.analysis import compute
>>> shared = share(compute(rt.load_logs(rt.sample_path())))
>>> shared.shared, shared.episodes is None, "alerts" in shared.tables
(True, True, False)
>>> shared.tables["time_to_resolution"]["sore_episodes"].tolist()
[130, 115, 'suppressed', 'suppressed']
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from types import MappingProxyType

import numpy as np
import pandas as pd

from ..analysis.results import Provenance, Results
from ..errors import OptionError
from .cells import SUPPRESSED, is_small, pseudonymise_alerts, row_counts
from .funnel import share_funnel
from .milestones import share_milestones
from .plan import SharePlan
from .report_tables import (
    share_hazard_ratios,
    share_km,
    share_landmark,
    share_model_curve,
    share_table_one,
)
from .spc import share_spc

__all__ = ["SharedResults", "RULES", "share", "suppress_all"]


@dataclass(frozen=True)
class SharedResults(Results):
    """Results safe to leave the clinic (:func:`share`): the same tables by key, with small
    counts and whatever would reveal them reading ``suppressed``; no row-level data.

    Attributes
    ----------
    min_cell : int
        Smallest count shown.
    pseudonymised : bool
        True when the alert list is included under HMAC-SHA256 pseudonyms (record-level).
    """

    min_cell: int = 11
    pseudonymised: bool = False


_Rule = Callable[[SharePlan, Results, pd.DataFrame], pd.DataFrame | None]


def _pass(plan: SharePlan, results: Results, table: pd.DataFrame) -> pd.DataFrame:
    return table.copy()  # test statistics: no count can be read off them


def _without_at_risk(table: pd.DataFrame) -> pd.DataFrame:
    """The curve's ``n_at_risk`` all ``suppressed``: day-to-day differences would count the
    episodes whose follow-up ended that day, however few."""
    return table.assign(n_at_risk=SUPPRESSED) if "n_at_risk" in table.columns else table


def _drop(plan: SharePlan, results: Results, table: pd.DataFrame) -> None:
    return None


#: How each table of :class:`Results` is shared, by key (``None``: left out).
RULES: Mapping[str, _Rule] = MappingProxyType(
    {
        "recovery_curve": lambda plan, r, t: _without_at_risk(plan.counts_by_day(t, count="n")),
        "recovery_curve_model": lambda plan, r, t: share_model_curve(plan, t),
        "time_to_resolution": lambda plan, r, t: plan.time_to_resolution(t, r.tables["km"]),
        "resolution_milestones": lambda plan, r, t: share_milestones(
            plan, t, plan.time_to_resolution(r.tables["time_to_resolution"], r.tables["km"])
        ),
        "hazard_ratios": lambda plan, r, t: share_hazard_ratios(
            plan, t, r.tables["time_to_resolution"]
        ),
        "red_flag_incidence": lambda plan, r, t: plan.red_flag_incidence(t),
        "adherence": lambda plan, r, t: plan.adherence(t),
        "completeness": lambda plan, r, t: plan.completeness(t),
        "spc": lambda plan, r, t: share_spc(plan, t),
        "funnel": lambda plan, r, t: share_funnel(
            plan, t, r.tables["funnel_mix"], r.tables.get("completeness_by_site")
        ),
        "funnel_mix": _drop,  # episodes per unit and type: what the funnel's rule reads
        "alerts": _drop,  # about single patients; pseudonymised with a key (see share)
        "alert_counts": _drop,  # the alerts' counts: record-level, shown with them only
        "km": lambda plan, r, t: share_km(plan, t),
        "logrank": _pass,
        "intervals": _pass,  # the name of a method
        "table_one": lambda plan, r, t: share_table_one(plan, r.tables["table_one_counts"]),
        "table_one_counts": _drop,  # shown as table_one
        "adherence_landmark": lambda plan, r, t: share_landmark(plan, t),
        "logging_by_day": lambda plan, r, t: plan.counts_by_day(
            t, count="logged", derived=("share",)
        ),
        "completeness_by_site": lambda plan, r, t: plan.completeness(t, by="site"),
        "escalation": lambda plan, r, t: plan.escalation(t),
    }
)


def suppress_all(table: pd.DataFrame) -> pd.DataFrame:
    """How a table without a sharing rule is shared: its columns, one row, every cell
    ``suppressed`` (its index, its number of rows and its values would all be counts or
    identifiers).

    Examples
    --------
    >>> t = pd.DataFrame({"treatment_type": ["injection"] * 2, "patient_id": ["P1", "P2"]},
    ...                  index=["P1", "P2"])
    >>> suppress_all(t).to_dict("records")
    [{'treatment_type': 'suppressed', 'patient_id': 'suppressed'}]
    """
    return pd.DataFrame({column: [SUPPRESSED] for column in table.columns})


def _provenance(p: Provenance, min_cell: int) -> Provenance:
    """Row and episode counts as a shared output shows them; problems hidden alike."""
    rows = row_counts(**{k: int(v) for k, v in p.rows.items()}, min_cell=min_cell)
    problems = p.problems
    if len(problems):
        hidden = rows["quarantined"] == SUPPRESSED  # the problem rows would reveal it
        counts = problems["rows"].astype(object)
        counts[is_small(problems["rows"], min_cell) | hidden] = SUPPRESSED
        problems = problems.assign(rows=counts)
    episodes = SUPPRESSED if is_small(np.array([p.episodes]), min_cell)[0] else p.episodes
    mapping = p.options.get("mapping")
    options = {**p.options, "mapping": Path(mapping).name if mapping else None}
    return replace(
        p,
        source=Path(p.source).name,  # a folder's path can name a clinic or a patient
        rows=rows,
        episodes=episodes,
        problems=problems,
        options=options,
    )


def share(
    results: Results,
    *,
    min_cell: int | None = None,
    pseudonym_key: bytes | None = None,
) -> SharedResults:
    """The results made safe to leave the clinic, decided once for every table and chart.

    Parameters
    ----------
    results : Results
        What :func:`recovery_toolkit.analysis.compute` returned.
    min_cell : int, optional
        Smallest count shown (default ``results.settings.min_cell``, 11).
    pseudonym_key : bytes, optional
        Include the alerts under HMAC-SHA256 pseudonyms made with this secret key
        (record-level: their counts are not suppressed); without a key they are left out.

    Returns
    -------
    SharedResults

    Examples
    --------
    >>> import recovery_toolkit as rt
    >>> from recovery_toolkit.analysis import compute
    >>> shared = share(compute(rt.load_logs(rt.sample_path())), pseudonym_key=b"k" * 16)
    >>> shared.tables["alerts"]["patient_id"].str.startswith("ps-").all()
    np.True_
    """
    if results.shared:
        raise OptionError(
            "results=", "<shared results>", "are shared already", "share the internal results once"
        )
    min_cell = results.settings.min_cell if min_cell is None else min_cell
    plan = SharePlan.from_tables(dict(results.tables), min_cell=min_cell)
    tables: dict[str, pd.DataFrame] = {}
    for name, table in results.tables.items():
        rule = RULES.get(name)
        shown = suppress_all(table) if rule is None else rule(plan, results, table)
        if shown is not None:
            tables[name] = shown
    if pseudonym_key is not None:
        if "alerts" not in results.tables:
            raise OptionError(
                "pseudonym_key=",
                "<key>",
                f"has no alert list to pseudonymise ({results.absent.get('alerts', 'none')})",
                "leave the key out",
            )
        tables["alerts"] = pseudonymise_alerts(results.tables["alerts"], pseudonym_key)
        tables["alert_counts"] = results.tables["alert_counts"].copy()  # not suppressed: said
    return SharedResults(
        settings=results.settings.replace(min_cell=min_cell),
        tables=MappingProxyType(tables),
        provenance=_provenance(results.provenance, min_cell),
        shared=True,
        absent=dict(results.absent),
        min_cell=min_cell,
        pseudonymised=pseudonym_key is not None,
    )
