"""The self-contained HTML report: one file, readable offline, printable to PDF.

Sections: data and validation, cohort (Table 1), recovery curves, time to resolution, red-flag
incidence, home-care adherence, follow-up and escalation, statistical process control, alerts
(internal reports only) and methods with parameters. Charts are inline SVG rendered by
vl-convert, so the file needs no JavaScript and no network; its size depends on the number of
treatment types, days and months, not on the number of log rows. Every text is HTML-escaped.

Examples
--------
>>> import recovery_toolkit as rt
>>> html_text = build_report(rt.load_logs(rt.sample_path()))
>>> html_text.startswith("<!DOCTYPE html>") and "Time to resolution" in html_text
True
"""

from __future__ import annotations

import datetime as dt
import html
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import altair as alt
import numpy as np
import pandas as pd
import vl_convert

from .. import __version__
from ..analysis import CAUTION
from ..analysis.alerts import SEVERITIES
from ..analysis.results import Results, compute
from ..analysis.settings import Settings
from ..errors import RecoveryToolkitWarning
from ..io.load import LoadResult
from ..io.writers import atomic_write
from ..privacy.share import share as share_results
from . import charts
from .html import table_html
from .theme import THEME

__all__ = ["build_report", "render_report", "write_report"]

_STYLE = """
body { font-family: Helvetica, Arial, sans-serif; color: #222; max-width: 1080px;
       margin: 24px auto; padding: 0 24px; line-height: 1.45; }
h1 { font-size: 26px; margin-bottom: 4px; } h2 { font-size: 20px; margin-top: 36px;
     border-bottom: 2px solid #0072B2; padding-bottom: 4px; }
.meta { color: #555; font-size: 13px; } .note { color: #555; font-size: 13px; }
.caution { background: #fff4e0; border-left: 5px solid #E69F00; padding: 8px 12px; }
table { border-collapse: collapse; margin: 10px 0; font-size: 13px; }
th, td { border-bottom: 1px solid #ddd; padding: 4px 8px; text-align: left; }
th { background: #f3f6f9; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
.chart { margin: 12px 0; } .chart svg { max-width: 100%; height: auto; }
.kpis { display: flex; gap: 16px; flex-wrap: wrap; }
.kpi { background: #f3f6f9; padding: 10px 16px; border-radius: 6px; }
.kpi b { display: block; font-size: 22px; }
nav a { margin-right: 12px; font-size: 13px; }
@media print {
  nav { display: none; }
  .chart, tr, .kpis { break-inside: avoid; }
  h2 { break-after: avoid; }
}
"""
_SECTIONS = (
    ("data", "Data and validation"),
    ("cohort", "Cohort"),
    ("curves", "Recovery curves"),
    ("resolution", "Time to resolution"),
    ("flags", "Red-flag incidence"),
    ("adherence", "Home-care adherence"),
    ("followup", "Follow-up and escalation"),
    ("spc", "Control chart"),
    ("alerts", "Alerts"),
    ("methods", "Methods and parameters"),
)


def _svg(chart: alt.TopLevelMixin) -> str:
    return f'<div class="chart">{vl_convert.vegalite_to_svg(chart.to_dict())}</div>'


def _table(frame: pd.DataFrame, *, max_rows: int = 200) -> str:
    return table_html(frame, max_rows=max_rows)


def _section(key: str, title: str, body: str) -> str:
    return f'<section id="{key}"><h2>{html.escape(title)}</h2>{body}</section>'


def _count(value: int | str) -> str:
    """A count as shown: with thousands separators, or ``suppressed`` as it came."""
    return value if isinstance(value, str) else f"{value:,}"


def _numeric(table: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Chart data from a shared table: hidden cells become missing, so they are not drawn."""
    return table.assign(**{c: pd.to_numeric(table[c], errors="coerce") for c in columns})


def build_report(
    data: LoadResult | Results,
    *,
    settings: Settings | None = None,
    generated_at: dt.datetime | None = None,
    max_alerts: int = 100,
    share: bool = False,
    min_cell: int | None = None,
    pseudonym_key: bytes | None = None,
) -> str:
    """Compute (unless given results), share if asked, and render the report as one HTML string.

    Parameters
    ----------
    data : LoadResult or Results
        What :func:`~recovery_toolkit.load_logs` or :func:`~recovery_toolkit.compute` returned.
    settings : Settings, optional
        Window, thresholds and definition (with a ``LoadResult``; results carry their own).
    generated_at : datetime, optional
        The timestamp printed in the header (default: now). It is the only line that differs
        between two reports of the same input.
    max_alerts : int, default 100
        Alerts listed (most severe first; internal reports only).
    share : bool, default False
        Make the report safe to leave the clinic (:func:`recovery_toolkit.privacy.share`):
        counts from 1 to ``min_cell - 1`` and whatever would reveal them read ``suppressed``,
        no patient IDs, no notes, no dates, no alerts; a banner says so.
    min_cell : int, optional
        Smallest count shown in a shared report (default ``settings.min_cell``, 11).
    pseudonym_key : bytes, optional
        With ``share``: list the alerts under HMAC-SHA256 pseudonyms made with this secret
        key (see :func:`recovery_toolkit.privacy.load_key`); without a key they are left out.

    Examples
    --------
    >>> import recovery_toolkit as rt
    >>> text = build_report(rt.load_logs(rt.sample_path()), generated_at=dt.datetime(2026, 1, 1))
    >>> "Generated 2026-01-01 00:00" in text
    True
    """
    results = data if isinstance(data, Results) else _quietly(compute, data, settings)
    if share:
        results = share_results(results, min_cell=min_cell, pseudonym_key=pseudonym_key)
    return render_report(results, generated_at=generated_at, max_alerts=max_alerts)


def _quietly(function: Any, *args: Any) -> Any:
    """Call ``function``; the warnings it raises are in the results' notes already."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RecoveryToolkitWarning)
        return function(*args)


def render_report(
    results: Results,
    *,
    generated_at: dt.datetime | None = None,
    max_alerts: int = 100,
) -> str:
    """Render results (internal or shared: :class:`~recovery_toolkit.privacy.SharedResults`)
    as one HTML string. It draws the tables it is given and computes nothing.

    Examples
    --------
    >>> import recovery_toolkit as rt
    >>> from recovery_toolkit.analysis import compute
    >>> "Internal report" in render_report(compute(rt.load_logs(rt.sample_path())))
    True
    """
    generated_at = generated_at or dt.datetime.now()
    view = _View(results)
    with alt.theme.enable(THEME):
        body = [
            _data_section(view),
            _cohort_section(view),
            _curves_section(view),
            _resolution_section(view),
            _flags_section(view),
            _adherence_section(view),
            _followup_section(view),
            _spc_section(view),
            _alerts_section(view, max_alerts),
            _methods_section(view),
        ]
    p, window = results.provenance, results.settings.window_days
    nav = "".join(f'<a href="#{key}">{html.escape(title)}</a>' for key, title in _SECTIONS)
    header = (
        "<h1>Recovery after spine-focused care</h1>"
        f'<p class="meta">Input {html.escape(Path(p.source).name)} · '
        f"{_count(p.episodes)} episodes · "
        f"window days 0–{window} · "
        f"recovery-toolkit {html.escape(__version__)}<br>"
        f"Generated {generated_at:%Y-%m-%d %H:%M}</p>{_banner(view)}<nav>{nav}</nav>"
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>Recovery report</title>"
        f"<style>{_STYLE}</style></head><body>{header}{''.join(body)}</body></html>\n"
    )


@dataclass(frozen=True)
class _View:
    """The results being drawn, and whether they are the shared version."""

    results: Results

    @property
    def tables(self) -> Mapping[str, pd.DataFrame]:
        return self.results.tables

    @property
    def share(self) -> bool:
        return self.results.shared

    @property
    def min_cell(self) -> int:
        return int(getattr(self.results, "min_cell", self.results.settings.min_cell))

    @property
    def pseudonymised(self) -> bool:
        return bool(getattr(self.results, "pseudonymised", False))

    @property
    def settings(self) -> Settings:
        return self.results.settings


def _banner(view: _View) -> str:
    if view.pseudonymised:
        pseudonyms = "Patients appear only under HMAC-SHA256 pseudonyms in the alerts. "
    else:
        pseudonyms = "No patient IDs or alerts appear. "
    if not view.share:
        return (
            '<p class="caution"><b>Internal report.</b> It lists patient IDs in the alerts: do '
            "not circulate it outside the clinic (use <code>--share</code> for that).</p>"
        )
    m = view.min_cell
    return (
        f'<p class="caution"><b>Shared version.</b> Counts from 1 to {m - 1}, and any count, '
        "proportion, rate, interval, mean or percentile that would let a reader work one out, "
        "are shown as <i>suppressed</i> (one label for all, so that it says nothing about the "
        "value) or left out of the charts; recovery curves are drawn in merged steps, in whole "
        f"percent. {pseudonyms}No notes and no dates appear in this report.</p>"
    )


def _data_section(view: _View) -> str:
    p = view.results.provenance
    shown = {f"rows {name}": p.rows[name] for name in ("read", "valid", "quarantined")}
    kpis = "".join(
        f'<div class="kpi"><b>{_count(value)}</b>{html.escape(label)}</div>'
        for label, value in (*shown.items(), ("episodes", p.episodes))
    )
    detail = (
        _table(p.problems.head(20))
        if len(p.problems)
        else '<p class="note">Every row passed every check.</p>'
    )
    return _section("data", "Data and validation", f'<div class="kpis">{kpis}</div>{detail}')


def _cohort_section(view: _View) -> str:
    table = _table(view.tables["table_one"])
    if view.share:
        table += '<p class="note">Counts of episodes and patients by treatment type.</p>'
    return _section("cohort", "Cohort", table)


def _curves_section(view: _View) -> str:
    data = _numeric(view.tables["recovery_curve"], ["n", *_CURVE_STATISTICS])
    note = "Mean soreness by day with its 95 % confidence band (t-interval)."
    if view.share:
        note += (
            " Shared version: a day is left out where its number of logs is small or within "
            f"{view.min_cell - 1} of the type's episodes (a mean of whole scores would reveal "
            "how many did not log that day), so early days, when nearly everyone logs, are often "
            "missing; the internal report draws every day."
        )
    body = (
        _svg(charts.recovery_curve_chart(data))
        + f'<p class="note">{note}</p>'
        + _svg(charts.recovery_curve_chart(data, statistic="median"))
    )
    return _section("curves", "Recovery curves", body)


def _km_note(view: _View) -> str:
    if not view.share:
        return ""
    return (
        f'<p class="note">Shared version: steps merged so that each holds at least '
        f"{view.min_cell} resolutions; the curve ends where fewer remain.</p>"
    )


def _test_note(test: pd.DataFrame, across: str) -> str:
    row = test.iloc[0]
    return (
        f'<p class="note">Log-rank test across {across}: χ² = {row["statistic"]:.2f} '
        f"on {int(row['dof'])} df, p = {row['p']:.3g}.</p>"
    )


def _resolution_section(view: _View) -> str:
    window_days = view.settings.window_days
    body = (
        _svg(charts.km_chart(view.tables["km"], window_days=window_days))
        + _km_note(view)
        + _table(view.tables["time_to_resolution"])
        + _test_note(view.tables["logrank"], "treatment types")
    )
    return _section("resolution", "Time to resolution", body)


def _flags_section(view: _View) -> str:
    incidence = view.tables["red_flag_incidence"]
    data = _numeric(
        incidence,
        [
            "episodes",
            "episodes_with_flag",
            "proportion",
            "ci_low",
            "ci_high",
            "rate_per_100_days",
            "rate_ci_low",
            "rate_ci_high",
        ],
    )
    body = (
        _svg(charts.incidence_chart(data))
        + _svg(charts.incidence_chart(data, view="rate"))
        + _table(incidence)
    )
    return _section("flags", "Red-flag incidence", body)


def _adherence_section(view: _View) -> str:
    data = _numeric(view.tables["adherence"], ["days_answered", "days_adherent", "proportion"])
    body = (
        _svg(charts.adherence_heatmap(data))
        + _svg(
            charts.km_chart(
                view.tables["adherence_km"],
                by="adherence_group",
                window_days=view.settings.window_days,
            )
        )
        + _km_note(view)
        + f'<p class="caution">{html.escape(CAUTION)}</p>'
        + _test_note(view.tables["adherence_logrank"], "adherence groups")
        + _table(view.tables["item_resolution"])
    )
    return _section("adherence", "Home-care adherence", body)


def _followup_section(view: _View) -> str:
    logging = view.tables["logging_by_day"]
    body = (
        _svg(charts.logging_chart(_numeric(logging, ["logged", "episodes", "share"])))
        + "<h3>Completeness by treatment type</h3>"
        + _table(view.tables["completeness"])
        + "<h3>Completeness by site</h3>"
        + _table(view.tables["completeness_by_site"])
        + "<h3>Escalation of red flags (contact on the flag day or the next)</h3>"
        + _table(view.tables["escalation"])
    )
    return _section("followup", "Follow-up and escalation", body)


def _spc_section(view: _View) -> str:
    spc = view.tables["spc"]
    data = _numeric(spc, ["n", "events", "p", "center", "lcl", "ucl"])
    signals = spc.loc[spc["signal"].astype("str") == "True"]
    note = ""
    if view.share and data["p"].notna().mean() < 0.5:
        note = (
            f'<p class="note">Shared version: most monthly counts are below {view.min_cell}, '
            "so most points are hidden; the internal report shows them all.</p>"
        )
    body = (
        _svg(charts.spc_chart(data))
        + note
        + (
            _table(signals)
            if len(signals)
            else '<p class="note">No month signals in any series.</p>'
        )
    )
    return _section("spc", "Control chart", body)


def _alerts_section(view: _View, max_alerts: int) -> str:
    if "alerts" not in view.tables:
        return _section(
            "alerts",
            "Alerts",
            '<p class="note">Alerts are about single patients: a shared report leaves them out '
            "(with <code>--pseudonym-key-file</code> it lists them under pseudonyms).</p>",
        )
    alerts = view.tables["alerts"]
    counts = alerts.groupby(["severity", "reason"]).size().rename("episodes").reset_index()
    rank = counts["severity"].map({s: i for i, s in enumerate(SEVERITIES)})
    counts = counts.iloc[np.argsort(rank.to_numpy(), kind="stable")]  # urgent first
    caution = ""
    if view.pseudonymised:
        caution = (
            '<p class="caution"><b>Record-level list.</b> Each alert is one patient under an '
            "HMAC-SHA256 pseudonym; its counts are not suppressed. Share this report only with "
            "people allowed to see pseudonymised patient records.</p>"
        )
    pressing = alerts.loc[alerts["severity"] != "review"]
    body = (
        caution
        + _table(counts)
        + "<h3>Urgent and prompt alerts</h3>"
        + '<p class="note">Review alerts (slow recovery, stopped logging, low adherence) are '
        "counted above and listed in the patient explorer and in <code>alerts.csv</code>.</p>"
        + _table(pressing.head(max_alerts))
    )
    return _section("alerts", "Alerts", body)


def _methods_section(view: _View) -> str:
    p, settings = view.results.provenance, view.settings
    mapping = p.options.get("mapping")
    rows = pd.DataFrame(
        [
            ("Input file", Path(p.source).name),
            ("Input SHA-256", p.sha256),
            ("Window", f"days 0–{settings.window_days}"),
            ("Resolved at", f"soreness ≤ {settings.resolved_at}"),
            ("Resolution definition", settings.definition),
            ("Mapping file", Path(mapping).name if mapping else "none"),
            (
                "Shared version",
                f"yes (smallest count shown: {view.min_cell})" if view.share else "no (internal)",
            ),
            ("recovery-toolkit", __version__),
        ],
        columns=["parameter", "value"],
    )
    notes = view.results.notes
    warning_list = "".join(f"<li>{html.escape(n)}</li>" for n in notes)
    body = (
        _table(rows)
        + '<p class="note">Definitions: see docs/methods.md in recovery-toolkit. Resolution is the '
        "first logged day at or below the threshold after which soreness stays there; "
        "Kaplan–Meier estimates; Wilson and exact Poisson intervals; p-chart with 3-sigma limits "
        "and the 8-point run rule.</p>"
        + (f"<h3>Notes</h3><ul>{warning_list}</ul>" if notes and not view.share else "")
    )
    return _section("methods", "Methods and parameters", body)


_CURVE_STATISTICS = ["mean", "ci_low", "ci_high", "p10", "p25", "median", "p75", "p90"]


def write_report(
    data: LoadResult | Results,
    path: str | Path,
    *,
    overwrite: bool = False,
    **options: Any,
) -> Path:
    """Build the report (:func:`build_report` options) and write it atomically (never a
    partial file); return the path. Refuses to overwrite an existing file unless
    ``overwrite`` is true.

    Examples
    --------
    >>> import tempfile, recovery_toolkit as rt
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     write_report(rt.load_logs(rt.sample_path()), Path(tmp) / "r.html").name
    'r.html'
    """
    text = build_report(data, **options)
    with atomic_write(path, overwrite=overwrite) as handle:
        handle.write(text)
    return Path(path)
