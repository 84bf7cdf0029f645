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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import altair as alt
import numpy as np
import pandas as pd
import vl_convert

from . import __version__, analysis, charts
from .errors import RecoveryToolkitWarning
from .io.load import LoadResult
from .io.writers import atomic_write
from .privacy import MIN_CELL, is_small, pseudonymise, suppress_pairs, suppress_row_totals
from .summary import SHARE_RULES, SummarySettings, share_tables, summary_tables

__all__ = ["build_report", "write_report"]

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
    def cell(value: object) -> str:
        if isinstance(value, float):
            return "" if pd.isna(value) else f"{value:,.3f}".rstrip("0").rstrip(".")
        if value is None or value is pd.NA:
            return ""
        return html.escape(str(value))

    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)

    def td(value: object) -> str:
        numeric = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(
            value, bool
        )
        return f'<td class="num">{cell(value)}</td>' if numeric else f"<td>{cell(value)}</td>"

    rows = "".join(
        "<tr>" + "".join(td(v) for v in row) + "</tr>"
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


@dataclass(frozen=True)
class _Privacy:
    """How a report shows numbers: as they are (internal) or suppressed (``--share``)."""

    share: bool = False
    min_cell: int = MIN_CELL
    key: bytes | None = None

    def count(self, value: int) -> str:
        small = self.share and is_small(np.array([value]), self.min_cell)[0]
        return f"<{self.min_cell}" if small else f"{value:,}"

    def table(self, frame: pd.DataFrame, **rules: Any) -> pd.DataFrame:
        """For a table: hidden cells read ``<11`` or ``suppressed``."""
        return self._suppress(frame, numeric=False, **rules)

    def chart(self, frame: pd.DataFrame, **rules: Any) -> pd.DataFrame:
        """For chart data: hidden cells are missing, so they are not drawn."""
        return self._suppress(frame, numeric=True, **rules)

    def _suppress(self, frame: pd.DataFrame, *, numeric: bool, **rules: Any) -> pd.DataFrame:
        if not self.share:
            return frame
        return suppress_pairs(
            frame,
            rules.get("pairs", []),
            rules.get("derived", []),
            min_cell=self.min_cell,
            denominators=rules.get("counts"),
            statistics=rules.get("statistics"),
            numeric=numeric,
        )


def build_report(
    result: LoadResult,
    *,
    settings: SummarySettings | None = None,
    generated_at: dt.datetime | None = None,
    max_alerts: int = 100,
    share: bool = False,
    min_cell: int = MIN_CELL,
    pseudonym_key: bytes | None = None,
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
        Alerts listed (most severe first; internal reports only).
    share : bool, default False
        Make the report safe to leave the clinic (DESIGN §6): counts from 1 to
        ``min_cell - 1`` shown as ``<min_cell`` with complementary suppression, what they
        would reveal hidden, no patient IDs, no notes, no dates, no alerts; a banner says so.
    min_cell : int, default 11
        Smallest count shown in a shared report.
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
    settings = settings or SummarySettings()
    generated_at = generated_at or dt.datetime.now()
    privacy = _Privacy(share, min_cell, pseudonym_key if share else None)
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
        shown = share_tables(tables, min_cell=min_cell) if share else tables
        body = [
            _data_section(result, privacy),
            _cohort_section(episodes, privacy),
            _curves_section(curve, privacy),
            _resolution_section(episodes, shown, settings, privacy),
            _flags_section(tables["red_flag_incidence"], shown["red_flag_incidence"], privacy),
            _adherence_section(episodes, tables["adherence"], settings, privacy),
            _followup_section(logs, episodes, shown["completeness"], settings, privacy),
            _spc_section(tables["spc"], shown["spc"], privacy),
            _alerts_section(logs, episodes, curve, settings, max_alerts, privacy),
        ]
    notes = sorted({str(w.message) for w in caught})
    body.append(_methods_section(result, settings, notes, privacy))
    nav = "".join(f'<a href="#{key}">{html.escape(title)}</a>' for key, title in _SECTIONS)
    header = (
        "<h1>Recovery after spine-focused care</h1>"
        f'<p class="meta">Input {html.escape(Path(result.source).name)} · '
        f"{privacy.count(result.episodes)} episodes · window days 0–{settings.window_days} · "
        f"recovery-toolkit {html.escape(__version__)}<br>"
        f"Generated {generated_at:%Y-%m-%d %H:%M}</p>{_banner(privacy)}<nav>{nav}</nav>"
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>Recovery report</title>"
        f"<style>{_STYLE}</style></head><body>{header}{''.join(body)}</body></html>\n"
    )


def _banner(privacy: _Privacy) -> str:
    if privacy.key is not None:
        pseudonyms = "Patients appear only under HMAC-SHA256 pseudonyms in the alerts. "
    else:
        pseudonyms = "No patient IDs or alerts appear. "
    if not privacy.share:
        return (
            '<p class="caution"><b>Internal report.</b> It lists patient IDs in the alerts: do '
            "not circulate it outside the clinic (use <code>--share</code> for that).</p>"
        )
    m = privacy.min_cell
    return (
        f'<p class="caution"><b>Shared version.</b> Counts from 1 to {m - 1} are shown as '
        f"&lt;{m}; where a hidden count could be worked out from a total, another count is "
        "hidden too; proportions, rates and intervals that would reveal a hidden count, and "
        f"means or percentiles of fewer than {m} episodes or logs, are shown as "
        f"<i>suppressed</i> or left out of the charts. {pseudonyms}No notes and no dates "
        "appear in this report.</p>"
    )


def _data_section(result: LoadResult, privacy: _Privacy) -> str:
    kpis = "".join(
        f'<div class="kpi"><b>{privacy.count(value)}</b>{html.escape(label)}</div>'
        for label, value in (
            ("rows read", result.rows_read),
            ("rows valid", result.rows_valid),
            ("rows quarantined", result.rows_quarantined),
            ("episodes", result.episodes),
        )
    )
    problems = privacy.table(result.problem_table(), counts=["rows"])
    detail = (
        _table(problems.head(20))
        if len(problems)
        else '<p class="note">Every row passed every check.</p>'
    )
    return _section("data", "Data and validation", f'<div class="kpis">{kpis}</div>{detail}')


def _cohort_section(episodes: pd.DataFrame, privacy: _Privacy) -> str:
    if not privacy.share:
        return _section("cohort", "Cohort", _table(analysis.table_one(episodes)))
    counts = analysis.table_one_counts(episodes)
    groups = [c for c in counts.columns if c not in ("characteristic", "overall")]
    shown = suppress_row_totals(counts, groups, "overall", min_cell=privacy.min_cell)
    label = f"<{privacy.min_cell}"
    partial = (shown[groups].astype(str) == label).any(axis=1)
    shown.loc[partial, "overall"] = label  # other tables show the parts: hide their total too
    return _section(
        "cohort",
        "Cohort",
        _table(shown) + '<p class="note">Counts of episodes and patients by treatment type.</p>',
    )


def _curves_section(curve: pd.DataFrame, privacy: _Privacy) -> str:
    data = privacy.chart(curve, **_CURVE_RULES)
    body = (
        _svg(charts.recovery_curve_chart(data))
        + '<p class="note">Mean soreness by day with its 95 % confidence band (t-interval).</p>'
        + _svg(charts.recovery_curve_chart(data, statistic="median"))
    )
    return _section("curves", "Recovery curves", body)


def _km_data(km: pd.DataFrame, privacy: _Privacy) -> pd.DataFrame:
    return privacy.chart(km, counts=["at_risk", "events", "censored"])


def _resolution_section(
    episodes: pd.DataFrame,
    tables: dict[str, pd.DataFrame],
    settings: SummarySettings,
    privacy: _Privacy,
) -> str:
    test = analysis.logrank(episodes)
    km = _km_data(analysis.km_curve(episodes, window_days=settings.window_days), privacy)
    body = (
        _svg(charts.km_chart(km))
        + _table(tables["time_to_resolution"])
        + f'<p class="note">Log-rank test across treatment types: χ² = {test.statistic:.2f} '
        f"on {test.dof} df, p = {test.p_value:.3g}.</p>"
    )
    return _section("resolution", "Time to resolution", body)


def _flags_section(incidence: pd.DataFrame, shown: pd.DataFrame, privacy: _Privacy) -> str:
    pairs, derived, _, _ = SHARE_RULES["red_flag_incidence"]
    data = incidence
    if privacy.share:  # chart only what the shared table shows
        data = privacy.chart(incidence, pairs=pairs, derived=derived)
        hidden = shown["proportion"].astype(str) == "suppressed"
        data.loc[hidden.to_numpy(), derived] = np.nan
    body = (
        _svg(charts.incidence_chart(data))
        + _svg(charts.incidence_chart(data, view="rate"))
        + _table(shown)
    )
    return _section("flags", "Red-flag incidence", body)


def _adherence_section(
    episodes: pd.DataFrame, adherence: pd.DataFrame, settings: SummarySettings, privacy: _Privacy
) -> str:
    km, test = analysis.resolution_by_adherence(episodes, window_days=settings.window_days)
    items = analysis.item_resolution(episodes).drop(columns="caution")
    body = (
        _svg(
            charts.adherence_heatmap(
                privacy.chart(
                    adherence, pairs=[("days_adherent", "days_answered")], derived=["proportion"]
                )
            )
        )
        + _svg(charts.km_chart(_km_data(km, privacy), by="adherence_group"))
        + f'<p class="caution">{html.escape(analysis.CAUTION)}</p>'
        + f'<p class="note">Log-rank test across adherence groups: χ² = {test.statistic:.2f} '
        f"on {test.dof} df, p = {test.p_value:.3g}.</p>"
        + _table(
            privacy.table(
                items,
                counts=["adherent_episodes", "other_episodes"],
                statistics=[c for c in items.columns if c.startswith("resolved")] + ["difference"],
            )
        )
    )
    return _section("adherence", "Home-care adherence", body)


def _followup_section(
    logs: pd.DataFrame,
    episodes: pd.DataFrame,
    completeness: pd.DataFrame,
    settings: SummarySettings,
    privacy: _Privacy,
) -> str:
    logging = analysis.logging_by_day(logs, window_days=settings.window_days)
    by_site = analysis.completeness(episodes, by="site")
    pairs, derived, statistics, _ = SHARE_RULES["completeness"]
    body = (
        _svg(
            charts.logging_chart(
                privacy.chart(logging, pairs=[("logged", "episodes")], derived=["share"])
            )
        )
        + "<h3>Completeness by treatment type</h3>"
        + _table(completeness)
        + "<h3>Completeness by site</h3>"
        + _table(privacy.table(by_site, pairs=pairs, derived=derived, statistics=statistics))
        + "<h3>Escalation of red flags (contact on the flag day or the next)</h3>"
        + _table(
            privacy.table(
                analysis.escalation(episodes),
                pairs=[("escalated", "episodes_with_flag")],
                derived=["share", "ci_low", "ci_high"],
            )
        )
    )
    return _section("followup", "Follow-up and escalation", body)


def _spc_section(spc: pd.DataFrame, shown: pd.DataFrame, privacy: _Privacy) -> str:
    data = spc
    if privacy.share:
        data = spc.assign(
            **{
                c: pd.to_numeric(shown[c], errors="coerce")
                for c in ("n", "events", "p", "lcl", "ucl")
            }
        )
    signals = shown.loc[spc["signal"].to_numpy()]
    body = _svg(charts.spc_chart(data)) + (
        _table(signals) if len(signals) else '<p class="note">No month signals in any series.</p>'
    )
    return _section("spc", "Control chart", body)


def _alerts_section(
    logs: pd.DataFrame,
    episodes: pd.DataFrame,
    curve: pd.DataFrame,
    settings: SummarySettings,
    max_alerts: int,
    privacy: _Privacy,
) -> str:
    if privacy.share and privacy.key is None:
        return _section(
            "alerts",
            "Alerts",
            '<p class="note">Alerts name patients: a shared report lists them only under '
            "pseudonyms, with <code>--pseudonym-key-file</code>.</p>",
        )
    detailed = analysis.alerts(
        logs,
        episodes,
        curve=curve,
        window_days=settings.window_days,
        resolved_at=settings.resolved_at,
    )
    counts = detailed.groupby(["severity", "reason"]).size().rename("episodes").reset_index()
    if privacy.key is not None:
        detailed = detailed.assign(
            episode_id=pseudonymise(detailed["episode_id"], privacy.key),
            patient_id=pseudonymise(detailed["patient_id"], privacy.key),
        )
    pressing = detailed.loc[detailed["severity"] != "review"]
    body = (
        _table(privacy.table(counts, counts=["episodes"]))
        + "<h3>Urgent and prompt alerts</h3>"
        + '<p class="note">Review alerts (slow recovery, stopped logging, low adherence) are '
        "counted above and listed in the patient explorer and in <code>alerts.csv</code>.</p>"
        + _table(pressing.head(max_alerts))
    )
    return _section("alerts", "Alerts", body)


def _methods_section(
    result: LoadResult, settings: SummarySettings, notes: list[str], privacy: _Privacy
) -> str:
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
            (
                "Shared version",
                f"yes (smallest count shown: {privacy.min_cell})"
                if privacy.share
                else "no (internal)",
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
        + (f"<h3>Notes</h3><ul>{warning_list}</ul>" if notes and not privacy.share else "")
    )
    return _section("methods", "Methods and parameters", body)


_CURVE_RULES: dict[str, Any] = {
    "counts": ["n"],
    "statistics": ["mean", "ci_low", "ci_high", "p10", "p25", "median", "p75", "p90"],
}


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
