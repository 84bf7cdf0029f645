"""The self-contained HTML report: one file, readable offline, printable to PDF.

Sections: data and validation, cohort (Table 1), recovery curves, time to resolution, red-flag
incidence, home-care adherence, follow-up and escalation, statistical process control, funnel
plots by site and clinician, alerts
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
from pathlib import Path
from typing import Any

import altair as alt

from .. import __version__
from ..analysis.results import Results, compute
from ..analysis.settings import Settings
from ..errors import OptionError, RecoveryToolkitWarning
from ..io.load import LoadResult
from ..io.writers import atomic_write
from ..privacy.share import share as share_results
from . import report_sections as sections
from .report_sections import ReportView
from .resolution_sections import resolution_section
from .summary_section import summary_section
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
section > table { display: block; overflow-x: auto; max-width: 100%; }
th, td { border-bottom: 1px solid #ddd; padding: 4px 8px; text-align: left; }
th { background: #f3f6f9; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
.chart { margin: 12px 0; } .chart svg { max-width: 100%; height: auto; }
.kpis { display: flex; gap: 16px; flex-wrap: wrap; }
.kpi { background: #f3f6f9; padding: 10px 16px; border-radius: 6px; }
.kpi b { display: block; font-size: 22px; }
a.kpi { color: inherit; text-decoration: none; max-width: 320px; }
a.kpi:hover { background: #e6edf4; }
.kpi small { display: block; color: #555; font-size: 12px; margin-top: 4px; }
.summary a.kpi b { font-size: 18px; }
nav a { margin-right: 12px; font-size: 13px; }
@media print {
  nav { display: none; }
  .chart, tr, .kpis { break-inside: avoid; }
  h2 { break-after: avoid; }
}
"""
_SECTIONS = (
    ("summary", "Summary"),
    ("data", "Data and validation"),
    ("cohort", "Cohort"),
    ("curves", "Recovery curves"),
    ("resolution", "Time to resolution"),
    ("flags", "Red-flag incidence"),
    ("adherence", "Home-care adherence"),
    ("followup", "Follow-up and escalation"),
    ("spc", "Control chart"),
    ("funnel", "Funnel plots"),
    ("alerts", "Alerts"),
    ("methods", "Methods and parameters"),
)


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
    if isinstance(data, Results) and settings not in (None, data.settings):
        raise OptionError(
            "settings=",
            "<Settings>",
            "differ from the settings the results were computed with",
            "compute the results with these settings, or leave settings= out",
        )
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
    view = ReportView(results)
    with alt.theme.enable(THEME):
        body = [
            summary_section(view),
            sections.data_section(view),
            sections.cohort_section(view),
            sections.curves_section(view),
            resolution_section(view),
            sections.flags_section(view),
            sections.adherence_section(view),
            sections.followup_section(view),
            sections.spc_section(view),
            sections.funnel_section(view),
            sections.alerts_section(view, max_alerts),
            sections.methods_section(view),
        ]
    p, window = results.provenance, results.settings.window_days
    nav = "".join(f'<a href="#{key}">{html.escape(title)}</a>' for key, title in _SECTIONS)
    header = (
        "<h1>Recovery after spine-focused care</h1>"
        f'<p class="meta">Input {html.escape(Path(p.source).name)} · '
        f"{sections.count(p.episodes)} episodes · "
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


def _banner(view: ReportView) -> str:
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
