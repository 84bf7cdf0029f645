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

import altair as alt
import numpy as np
import pandas as pd
import vl_convert

from . import __version__, analysis, charts
from .analysis.alerts import SEVERITIES
from .errors import RecoveryToolkitWarning
from .io.load import LoadResult
from .io.writers import atomic_write
from .privacy import MIN_CELL, SUPPRESSED, is_small
from .share import SharePlan, coarsen_km, pseudonymise_alerts, row_counts
from .summary import SummarySettings, summary_inputs, summary_tables
from .widgets import table_html

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
    return table_html(frame, max_rows=max_rows)


def _section(key: str, title: str, body: str) -> str:
    return f'<section id="{key}"><h2>{html.escape(title)}</h2>{body}</section>'


@dataclass(frozen=True)
class _Privacy:
    """How a report shows numbers: as they are (internal) or by a share plan (``--share``)."""

    plan: SharePlan | None = None
    key: bytes | None = None

    @property
    def share(self) -> bool:
        return self.plan is not None

    @property
    def min_cell(self) -> int:
        return self.plan.min_cell if self.plan is not None else MIN_CELL

    def count(self, value: int | str) -> str:
        """A count as shown: with thousands separators, or ``suppressed`` (already hidden, or
        small in a shared report)."""
        small = self.share and is_small(np.array([value]), self.min_cell)[0]
        return SUPPRESSED if small or value == SUPPRESSED else f"{value:,}"


def _numeric(table: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Chart data from a shared table: hidden cells become missing, so they are not drawn."""
    return table.assign(**{c: pd.to_numeric(table[c], errors="coerce") for c in columns})


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
        Make the report safe to leave the clinic (DESIGN §6; :mod:`recovery_toolkit.share`):
        counts from 1 to ``min_cell - 1`` and whatever would reveal them read ``suppressed``,
        no patient IDs, no notes, no dates, no alerts; a banner says so.
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
    logs = result.logs
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", RecoveryToolkitWarning)
        episodes, curve, alerts = summary_inputs(logs, settings=settings)
        km = analysis.km_curve(episodes, window_days=settings.window_days)
        tables = summary_tables(
            logs, settings=settings, episodes=episodes, curve=curve, alerts=alerts
        )
        plan = SharePlan.from_tables(tables, min_cell=min_cell) if share else None
        privacy = _Privacy(plan, pseudonym_key if share else None)
        shown = plan.tables(tables, km=km) if plan is not None else tables
        body = [
            _data_section(result, privacy),
            _cohort_section(episodes, privacy),
            _curves_section(shown["recovery_curve"], privacy),
            _resolution_section(
                episodes, km, shown["time_to_resolution"], settings.window_days, privacy
            ),
            _flags_section(shown["red_flag_incidence"]),
            _adherence_section(episodes, shown["adherence"], settings, privacy),
            _followup_section(logs, episodes, shown["completeness"], settings, privacy),
            _spc_section(shown["spc"], privacy),
            _alerts_section(alerts, max_alerts, privacy),
        ]
    notes = sorted({str(w.message) for w in caught})
    body.append(_methods_section(result, settings, notes, privacy))
    nav = "".join(f'<a href="#{key}">{html.escape(title)}</a>' for key, title in _SECTIONS)
    header = (
        "<h1>Recovery after spine-focused care</h1>"
        f'<p class="meta">Input {html.escape(Path(result.source).name)} · '
        f"{privacy.count(result.episodes)} episodes · "
        f"window days 0–{settings.window_days} · "
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
        f'<p class="caution"><b>Shared version.</b> Counts from 1 to {m - 1}, and any count, '
        "proportion, rate, interval, mean or percentile that would let a reader work one out, "
        "are shown as <i>suppressed</i> (one label for all, so that it says nothing about the "
        "value) or left out of the charts; recovery curves are drawn in merged steps, in whole "
        f"percent. {pseudonyms}No notes and no dates appear in this report.</p>"
    )


def _data_section(result: LoadResult, privacy: _Privacy) -> str:
    counts = {
        "read": result.rows_read,
        "valid": result.rows_valid,
        "quarantined": result.rows_quarantined,
        "merged": result.rows_merged,
    }
    rows = row_counts(**counts, min_cell=privacy.min_cell) if privacy.share else counts
    shown = {f"rows {name}": rows[name] for name in ("read", "valid", "quarantined")}
    kpis = "".join(
        f'<div class="kpi"><b>{privacy.count(value)}</b>{html.escape(label)}</div>'
        for label, value in (*shown.items(), ("episodes", result.episodes))
    )
    problems = result.problem_table()
    if privacy.share:
        hidden = rows["quarantined"] == SUPPRESSED  # the rows would reveal it
        rows = problems["rows"].astype(object)
        rows[is_small(problems["rows"], privacy.min_cell) | hidden] = SUPPRESSED
        problems = problems.assign(rows=rows)
    detail = (
        _table(problems.head(20))
        if len(problems)
        else '<p class="note">Every row passed every check.</p>'
    )
    return _section("data", "Data and validation", f'<div class="kpis">{kpis}</div>{detail}')


def _cohort_section(episodes: pd.DataFrame, privacy: _Privacy) -> str:
    if privacy.plan is None:
        return _section("cohort", "Cohort", _table(analysis.table_one(episodes)))
    shown = privacy.plan.table_one(analysis.table_one_counts(episodes))
    return _section(
        "cohort",
        "Cohort",
        _table(shown) + '<p class="note">Counts of episodes and patients by treatment type.</p>',
    )


def _curves_section(curve: pd.DataFrame, privacy: _Privacy) -> str:
    data = _numeric(curve, ["n", *_CURVE_STATISTICS])
    note = "Mean soreness by day with its 95 % confidence band (t-interval)."
    if privacy.share:
        note += (
            " Shared version: a day is left out where its number of logs is small or within "
            f"{privacy.min_cell - 1} of the type's episodes (a mean of whole scores would reveal "
            "how many did not log that day), so early days, when nearly everyone logs, are often "
            "missing; the internal report draws every day."
        )
    body = (
        _svg(charts.recovery_curve_chart(data))
        + f'<p class="note">{note}</p>'
        + _svg(charts.recovery_curve_chart(data, statistic="median"))
    )
    return _section("curves", "Recovery curves", body)


def _km_data(km: pd.DataFrame, privacy: _Privacy, by: str = "treatment_type") -> pd.DataFrame:
    if privacy.plan is None:
        return km
    if by == "treatment_type":
        return privacy.plan.km(km)
    return coarsen_km(km, by=by, min_cell=privacy.min_cell)


def _km_note(privacy: _Privacy) -> str:
    if not privacy.share:
        return ""
    return (
        f'<p class="note">Shared version: steps merged so that each holds at least '
        f"{privacy.min_cell} resolutions; the curve ends where fewer remain.</p>"
    )


def _resolution_section(
    episodes: pd.DataFrame,
    km: pd.DataFrame,
    table: pd.DataFrame,
    window_days: int,
    privacy: _Privacy,
) -> str:
    test = analysis.logrank(episodes)
    body = (
        _svg(charts.km_chart(_km_data(km, privacy), window_days=window_days))
        + _km_note(privacy)
        + _table(table)
        + f'<p class="note">Log-rank test across treatment types: χ² = {test.statistic:.2f} '
        f"on {test.dof} df, p = {test.p_value:.3g}.</p>"
    )
    return _section("resolution", "Time to resolution", body)


def _flags_section(incidence: pd.DataFrame) -> str:
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


def _adherence_section(
    episodes: pd.DataFrame, adherence: pd.DataFrame, settings: SummarySettings, privacy: _Privacy
) -> str:
    km, test = analysis.resolution_by_adherence(episodes, window_days=settings.window_days)
    items = analysis.item_resolution(episodes).drop(columns="caution")
    if privacy.plan is not None:
        items = privacy.plan.item_resolution(items)
    data = _numeric(adherence, ["days_answered", "days_adherent", "proportion"])
    body = (
        _svg(charts.adherence_heatmap(data))
        + _svg(
            charts.km_chart(
                _km_data(km, privacy, "adherence_group"),
                by="adherence_group",
                window_days=settings.window_days,
            )
        )
        + _km_note(privacy)
        + f'<p class="caution">{html.escape(analysis.CAUTION)}</p>'
        + f'<p class="note">Log-rank test across adherence groups: χ² = {test.statistic:.2f} '
        f"on {test.dof} df, p = {test.p_value:.3g}.</p>" + _table(items)
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
    escalation = analysis.escalation(episodes)
    if privacy.plan is not None:
        logging = privacy.plan.counts_by_day(logging, count="logged", derived=("share",))
        by_site = privacy.plan.completeness(by_site, by="site")
        escalation = privacy.plan.escalation(escalation)
    body = (
        _svg(charts.logging_chart(_numeric(logging, ["logged", "episodes", "share"])))
        + "<h3>Completeness by treatment type</h3>"
        + _table(completeness)
        + "<h3>Completeness by site</h3>"
        + _table(by_site)
        + "<h3>Escalation of red flags (contact on the flag day or the next)</h3>"
        + _table(escalation)
    )
    return _section("followup", "Follow-up and escalation", body)


def _spc_section(spc: pd.DataFrame, privacy: _Privacy) -> str:
    data = _numeric(spc, ["n", "events", "p", "center", "lcl", "ucl"])
    signals = spc.loc[spc["signal"].astype("str") == "True"]
    note = ""
    if privacy.share and data["p"].notna().mean() < 0.5:
        note = (
            f'<p class="note">Shared version: most monthly counts are below {privacy.min_cell}, '
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


def _alerts_section(alerts: pd.DataFrame, max_alerts: int, privacy: _Privacy) -> str:
    if privacy.share and privacy.key is None:
        return _section(
            "alerts",
            "Alerts",
            '<p class="note">Alerts are about single patients: a shared report leaves them out '
            "(with <code>--pseudonym-key-file</code> it lists them under pseudonyms).</p>",
        )
    counts = alerts.groupby(["severity", "reason"]).size().rename("episodes").reset_index()
    rank = counts["severity"].map({s: i for i, s in enumerate(SEVERITIES)})
    counts = counts.iloc[np.argsort(rank.to_numpy(), kind="stable")]  # urgent first
    caution = ""
    if privacy.key is not None:
        alerts = pseudonymise_alerts(alerts, privacy.key)
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


_CURVE_STATISTICS = ["mean", "ci_low", "ci_high", "p10", "p25", "median", "p75", "p90"]


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
