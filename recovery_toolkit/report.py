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
from pathlib import Path

import altair as alt
import pandas as pd
import vl_convert

from . import __version__, analysis, charts
from .errors import RecoveryToolkitWarning
from .io.load import LoadResult
from .io.writers import atomic_write
from .summary import SummarySettings, summary_tables

__all__ = ["build_report", "write_report"]

_STYLE = """
body { font-family: Helvetica, Arial, sans-serif; color: #222; max-width: 1080px;
       margin: 24px auto; padding: 0 24px; line-height: 1.45; }
h1 { font-size: 26px; margin-bottom: 4px; } h2 { font-size: 20px; margin-top: 36px;
     border-bottom: 2px solid #0072B2; padding-bottom: 4px; }
.meta { color: #555; font-size: 13px; } .note { color: #555; font-size: 13px; }
.caution { background: #fff4e0; border-left: 5px solid #E69F00; padding: 8px 12px; }
table { border-collapse: collapse; margin: 10px 0; font-size: 13px; }
th, td { border-bottom: 1px solid #ddd; padding: 4px 8px; text-align: right; }
th { background: #f3f6f9; } td:first-child, th:first-child { text-align: left; }
.chart { margin: 12px 0; } .chart svg { max-width: 100%; height: auto; }
.kpis { display: flex; gap: 16px; flex-wrap: wrap; }
.kpi { background: #f3f6f9; padding: 10px 16px; border-radius: 6px; }
.kpi b { display: block; font-size: 22px; }
nav a { margin-right: 12px; font-size: 13px; }
@media print { h2 { page-break-before: always; } nav { display: none; } }
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
    def cell(value: object) -> str:
        if isinstance(value, float):
            return "" if pd.isna(value) else f"{value:,.3f}".rstrip("0").rstrip(".")
        if value is None or value is pd.NA:
            return ""
        return html.escape(str(value))

    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    rows = "".join(
        "<tr>" + "".join(f"<td>{cell(v)}</td>" for v in row) + "</tr>"
        for row in frame.head(max_rows).itertuples(index=False)
    )
    more = (
        f'<p class="note">Showing {max_rows:,} of {len(frame):,} rows.</p>'
        if len(frame) > max_rows
        else ""
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>{more}"


def _section(key: str, title: str, body: str) -> str:
    return f'<section id="{key}"><h2>{html.escape(title)}</h2>{body}</section>'


def build_report(
    result: LoadResult,
    *,
    settings: SummarySettings | None = None,
    generated_at: dt.datetime | None = None,
    max_alerts: int = 100,
) -> str:
    """Build the report of a loaded file as one HTML string.

    Parameters
    ----------
    result : LoadResult
        What :func:`~recovery_toolkit.load_logs` returned.
    settings : SummarySettings, optional
        Window, resolution threshold and definition.
    generated_at : datetime, optional
        The timestamp printed in the header (default: now). It is the only line that differs
        between two reports of the same input.
    max_alerts : int, default 100
        Alerts listed (most severe first).

    Examples
    --------
    >>> import recovery_toolkit as rt
    >>> text = build_report(rt.load_logs(rt.sample_path()), generated_at=dt.datetime(2026, 1, 1))
    >>> "Generated 2026-01-01 00:00" in text
    True
    """
    settings = settings or SummarySettings()
    generated_at = generated_at or dt.datetime.now()
    logs = result.logs
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", RecoveryToolkitWarning)
        episodes = analysis.episode_table(
            logs,
            window_days=settings.window_days,
            resolved_at=settings.resolved_at,
            definition=settings.definition,
        )
        curve = analysis.recovery_curve(logs, window_days=settings.window_days)
        tables = summary_tables(logs, settings=settings, episodes=episodes, curve=curve)
        body = [
            _data_section(result),
            _section("cohort", "Cohort", _table(analysis.table_one(episodes))),
            _curves_section(curve),
            _resolution_section(episodes, tables, settings),
            _flags_section(tables["red_flag_incidence"], episodes),
            _adherence_section(episodes, tables["adherence"], settings),
            _followup_section(logs, episodes, tables["completeness"], settings),
            _spc_section(tables["spc"]),
            _alerts_section(tables["alerts"], logs, episodes, curve, settings, max_alerts),
        ]
    notes = sorted({str(w.message) for w in caught})
    body.append(_methods_section(result, settings, notes))
    nav = "".join(f'<a href="#{key}">{html.escape(title)}</a>' for key, title in _SECTIONS)
    header = (
        "<h1>Recovery after spine-focused care</h1>"
        f'<p class="meta">Input {html.escape(Path(result.source).name)} · '
        f"{result.episodes:,} episodes · window days 0–{settings.window_days} · "
        f"recovery-toolkit {html.escape(__version__)}<br>"
        f"Generated {generated_at:%Y-%m-%d %H:%M}</p><nav>{nav}</nav>"
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>Recovery report</title>"
        f"<style>{_STYLE}</style></head><body>{header}{''.join(body)}</body></html>\n"
    )


def _data_section(result: LoadResult) -> str:
    kpis = "".join(
        f'<div class="kpi"><b>{value:,}</b>{html.escape(label)}</div>'
        for label, value in (
            ("rows read", result.rows_read),
            ("rows valid", result.rows_valid),
            ("rows quarantined", result.rows_quarantined),
            ("episodes", result.episodes),
        )
    )
    problems = result.problem_table()
    detail = (
        _table(problems.head(20))
        if len(problems)
        else '<p class="note">Every row passed every check.</p>'
    )
    return _section("data", "Data and validation", f'<div class="kpis">{kpis}</div>{detail}')


def _curves_section(curve: pd.DataFrame) -> str:
    body = (
        _svg(charts.recovery_curve_chart(curve))
        + '<p class="note">Mean soreness by day with its 95 % confidence band (t-interval).</p>'
        + _svg(charts.recovery_curve_chart(curve, statistic="median"))
    )
    return _section("curves", "Recovery curves", body)


def _resolution_section(
    episodes: pd.DataFrame, tables: dict[str, pd.DataFrame], settings: SummarySettings
) -> str:
    test = analysis.logrank(episodes)
    body = (
        _svg(charts.km_chart(analysis.km_curve(episodes, window_days=settings.window_days)))
        + _table(tables["time_to_resolution"])
        + f'<p class="note">Log-rank test across treatment types: χ² = {test.statistic:.2f} '
        f"on {test.dof} df, p = {test.p_value:.3g}.</p>"
    )
    return _section("resolution", "Time to resolution", body)


def _flags_section(incidence: pd.DataFrame, episodes: pd.DataFrame) -> str:
    body = (
        _svg(charts.incidence_chart(incidence))
        + _svg(charts.incidence_chart(incidence, view="rate"))
        + _table(incidence)
    )
    return _section("flags", "Red-flag incidence", body)


def _adherence_section(
    episodes: pd.DataFrame, adherence: pd.DataFrame, settings: SummarySettings
) -> str:
    km, test = analysis.resolution_by_adherence(episodes, window_days=settings.window_days)
    body = (
        _svg(charts.adherence_heatmap(adherence))
        + _svg(charts.km_chart(km, by="adherence_group"))
        + f'<p class="caution">{html.escape(analysis.CAUTION)}</p>'
        + f'<p class="note">Log-rank test across adherence groups: χ² = {test.statistic:.2f} '
        f"on {test.dof} df, p = {test.p_value:.3g}.</p>"
        + _table(analysis.item_resolution(episodes).drop(columns="caution"))
    )
    return _section("adherence", "Home-care adherence", body)


def _followup_section(
    logs: pd.DataFrame,
    episodes: pd.DataFrame,
    completeness: pd.DataFrame,
    settings: SummarySettings,
) -> str:
    body = (
        _svg(charts.logging_chart(analysis.logging_by_day(logs, window_days=settings.window_days)))
        + "<h3>Completeness by treatment type</h3>"
        + _table(completeness)
        + "<h3>Completeness by site</h3>"
        + _table(analysis.completeness(episodes, by="site"))
        + "<h3>Escalation of red flags (contact on the flag day or the next)</h3>"
        + _table(analysis.escalation(episodes))
    )
    return _section("followup", "Follow-up and escalation", body)


def _spc_section(spc: pd.DataFrame) -> str:
    signals = spc.loc[spc["signal"]]
    body = _svg(charts.spc_chart(spc)) + (
        _table(signals) if len(signals) else '<p class="note">No month signals in any series.</p>'
    )
    return _section("spc", "Control chart", body)


def _alerts_section(
    alerts: pd.DataFrame,
    logs: pd.DataFrame,
    episodes: pd.DataFrame,
    curve: pd.DataFrame,
    settings: SummarySettings,
    max_alerts: int,
) -> str:
    detailed = analysis.alerts(
        logs,
        episodes,
        curve=curve,
        window_days=settings.window_days,
        resolved_at=settings.resolved_at,
    )
    counts = alerts.groupby(["severity", "reason"]).size().rename("episodes").reset_index()
    body = _table(counts) + _table(detailed.head(max_alerts))
    return _section("alerts", "Alerts", body)


def _methods_section(result: LoadResult, settings: SummarySettings, notes: list[str]) -> str:
    rows = pd.DataFrame(
        [
            ("Input file", Path(result.source).name),
            ("Input SHA-256", result.sha256),
            ("Window", f"days 0–{settings.window_days}"),
            ("Resolved at", f"soreness ≤ {settings.resolved_at}"),
            ("Resolution definition", settings.definition),
            (
                "Mapping file",
                Path(result.options["mapping"]).name if result.options.get("mapping") else "none",
            ),
            ("recovery-toolkit", __version__),
        ],
        columns=["parameter", "value"],
    )
    warning_list = "".join(f"<li>{html.escape(n)}</li>" for n in notes)
    body = (
        _table(rows)
        + '<p class="note">Definitions: see docs/methods.md in recovery-toolkit. Resolution is the '
        "first logged day at or below the threshold after which soreness stays there; "
        "Kaplan–Meier estimates; Wilson and exact Poisson intervals; p-chart with 3-sigma limits "
        "and the 8-point run rule.</p>"
        + (f"<h3>Notes</h3><ul>{warning_list}</ul>" if notes else "")
    )
    return _section("methods", "Methods and parameters", body)


def write_report(
    result: LoadResult,
    path: str | Path,
    *,
    overwrite: bool = False,
    **options: object,
) -> Path:
    """Build the report and write it atomically (never a partial file); return the path.

    Refuses to overwrite an existing file unless ``overwrite`` is true.

    Examples
    --------
    >>> import tempfile, recovery_toolkit as rt
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     write_report(rt.load_logs(rt.sample_path()), Path(tmp) / "r.html").name
    'r.html'
    """
    text = build_report(result, **options)  # type: ignore[arg-type]
    with atomic_write(path, overwrite=overwrite) as handle:
        handle.write(text)
    return Path(path)
