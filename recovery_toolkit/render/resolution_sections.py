"""The report's time-to-resolution section: Kaplan–Meier curves, the table of who enters,
the log-rank test, hazard ratios between treatment types and the drop-out sensitivity.

Examples
--------
>>> import recovery_toolkit as rt
>>> view = ReportView(rt.compute(rt.load_logs(rt.sample_path())))
>>> "Hazard ratios between treatment types" in resolution_section(view)
True
"""

from __future__ import annotations

import html

import pandas as pd

from ..analysis.results import recorded_interval_method
from . import charts
from .report_sections import ReportView, _section, _svg, _table, sample_note

__all__ = ["resolution_section"]


def _km_note(view: ReportView) -> str:
    if not view.share:
        return ""
    return (
        f'<p class="note">Shared version: steps merged so that each holds at least '
        f"{view.min_cell} resolutions; the curve ends where fewer remain.</p>"
    )


def _test_note(test: pd.DataFrame, across: str) -> str:
    row = test.iloc[0]
    strata = str(row.get("stratified_by", "") or "")
    within = f", within each {html.escape(strata)}" if strata else ""
    p = float(row["p"])
    shown = "p < 0.001" if p < 0.001 else f"p = {p:.3g}"  # as the tables show p
    return (
        f'<p class="note">Log-rank test across {across}{within}: χ² = {row["chi2"]:.2f} '
        f"on {int(row['dof'])} df, {shown}.</p>"
    )


def _hazard_table(view: ReportView) -> str:
    """Cox hazard ratios between treatment types, with how intervals treat repeat patients."""
    ratios = view.tables.get("hazard_ratios")
    if ratios is None or ratios.empty:
        return ""
    reference = html.escape(str(ratios["reference"].iloc[0]))
    strata = view.settings.stratify_by
    within = f", stratified by {html.escape(strata)}" if strata else ""
    method = recorded_interval_method(view.tables) or ""
    repeat = (
        " Some patients have several episodes: the intervals of this section and of red-flag "
        "incidence are cluster-robust by patient."
        if method.startswith("cluster")
        else ""
    )
    return (
        "<h3>Hazard ratios between treatment types</h3>"
        f'<p class="note">Cox model of time to confirmed resolution{within}, reference '
        f"{reference}; above 1: resolves faster than {reference}. 95 % intervals and p from a "
        f"robust variance by patient.{html.escape(repeat)}"
        f"{html.escape(sample_note(view, 'hazard_ratios', 'sore episodes'))}</p>" + _table(ratios)
    )


def resolution_section(view: ReportView) -> str:
    window_days = view.settings.window_days
    body = (
        _svg(charts.km_chart(view.tables["km"], window_days=window_days))
        + _km_note(view)
        + _table(view.tables["time_to_resolution"])
        + _test_note(view.tables["logrank"], "treatment types")
        + _hazard_table(view)
        + _dropout_table(view)
    )
    return _section("resolution", "Time to resolution", body)


def _dropout_table(view: ReportView) -> str:
    """Resolved by each milestone day four ways, one row per type and day."""
    milestones = view.tables.get("resolution_milestones")
    if milestones is None or milestones.empty:
        return ""
    keys = ["treatment_type", "day"]
    wide = milestones.pivot(index=keys, columns="method", values="resolved")
    order = pd.MultiIndex.from_frame(milestones[keys].drop_duplicates())  # types as computed
    wide = wide.reindex(index=order, columns=["worst_case", "km", "ipcw", "best_case"])
    wide = wide.reset_index()
    wide.columns.name = None
    return (
        "<h3>Drop-out sensitivity</h3>"
        '<p class="note">Resolved by each day if every patient who stopped logging before the '
        "window's end never resolved, even one whose soreness had settled before (a later "
        "flare-up would not have been seen: worst case), as Kaplan–Meier assumes (km), weighted "
        "for who stopped logging given their last soreness (ipcw), and if each resolved the "
        "next day (best case). A km well above ipcw means patients who were still sore stopped "
        "logging.</p>" + _table(wide)
    )
