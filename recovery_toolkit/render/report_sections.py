"""The report's sections: each draws the tables of the results it is given.

Examples
--------
>>> import recovery_toolkit as rt
>>> view = ReportView(rt.share(rt.compute(rt.load_logs(rt.sample_path()))))
>>> "suppressed" in cohort_section(view)
True
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import altair as alt
import pandas as pd
import vl_convert

from .. import __version__
from ..analysis.landmark import CAUTION as LANDMARK_CAUTION
from ..analysis.results import Results, recorded_interval_method
from ..analysis.settings import Settings
from . import charts
from .html import table_html

__all__ = [
    "ReportView",
    "count",
    "data_section",
    "cohort_section",
    "curves_section",
    "flags_section",
    "adherence_section",
    "followup_section",
    "spc_section",
    "funnel_section",
    "alerts_section",
    "methods_section",
]


def _svg(chart: alt.TopLevelMixin) -> str:
    return f'<div class="chart">{vl_convert.vegalite_to_svg(chart.to_dict())}</div>'


def _table(frame: pd.DataFrame, *, max_rows: int = 200) -> str:
    return table_html(frame, max_rows=max_rows)


def _section(key: str, title: str, body: str) -> str:
    return f'<section id="{key}"><h2>{html.escape(title)}</h2>{body}</section>'


def count(value: int | str) -> str:
    """A count as shown: with thousands separators, or ``suppressed`` as it came."""
    return value if isinstance(value, str) else f"{value:,}"


def _numeric(table: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Chart data from a shared table: hidden cells become missing, so they are not drawn."""
    return table.assign(**{c: pd.to_numeric(table[c], errors="coerce") for c in columns})


@dataclass(frozen=True)
class ReportView:
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


def data_section(view: ReportView) -> str:
    p = view.results.provenance
    shown = {f"rows {name}": p.rows[name] for name in ("read", "valid", "quarantined")}
    kpis = "".join(
        f'<div class="kpi"><b>{count(value)}</b>{html.escape(label)}</div>'
        for label, value in (*shown.items(), ("episodes", p.episodes))
    )
    detail = (
        _table(p.problems.head(20))
        if len(p.problems)
        else '<p class="note">Every row passed every check.</p>'
    )
    return _section("data", "Data and validation", f'<div class="kpis">{kpis}</div>{detail}')


def cohort_section(view: ReportView) -> str:
    table = _table(view.tables["table_one"])
    if view.share:
        table += '<p class="note">Counts of episodes and patients by treatment type.</p>'
    return _section("cohort", "Cohort", table)


def curves_section(view: ReportView) -> str:
    data = _numeric(view.tables["recovery_curve"], ["n", *_CURVE_STATISTICS])
    note = (
        "Mean soreness by day among the patients who logged that day, with its 95 % confidence "
        "band (t-interval). When patients who feel better stop logging, late days describe "
        "those still logging (the table's n against n_at_risk)."
    )
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
        + _model_curve(view)
    )
    return _section("curves", "Recovery curves", body)


def sample_note(view: ReportView, model: str, population: str) -> str:
    """A sentence saying that ``model`` was fitted on a seeded sample, and of how many of its
    ``population``, when it was (the ``model_samples`` table); empty otherwise.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> table = pd.DataFrame({"model": ["hazard_ratios"], "population": [9000],
    ...                       "episodes_used": [5000], "at_most": [5000]})
    >>> view = SimpleNamespace(tables={"model_samples": table})
    >>> sample_note(view, "hazard_ratios", "sore episodes")[:62]
    ' Fitted on a seeded random sample of 5,000 of the 9,000 sore e'
    >>> sample_note(view, "adherence_landmark", "episodes at the landmark")
    ''
    """
    table = view.tables.get("model_samples")
    if table is None or table.empty or model not in set(table["model"]):
        return ""
    row = _numeric(table, ["episodes_used", "population"]).set_index("model").loc[model]
    used, total = row["episodes_used"], row["population"]
    if pd.isna(used) or pd.isna(total) or used >= total:
        return ""  # all of them, or a shared table that hides the counts
    return (
        f" Fitted on a seeded random sample of {int(used):,} of the {int(total):,} "
        f"{population} (model_max_episodes; the same sample in every run and engine)."
    )


def _model_curve(view: ReportView) -> str:
    """The model-based curve, when it was asked for (``model_curve=True``)."""
    model = view.tables.get("recovery_curve_model")
    if model is None or model.empty:
        return ""
    data = _numeric(model, ["mean", "ci_low", "ci_high", "episodes_used"]).dropna(subset=["mean"])
    sampled = sample_note(view, "recovery_curve_model", "episodes")
    note = (
        "Mean soreness by day from a linear mixed model (a spline in day per treatment type, "
        "a random intercept and slope per episode) fitted to every log: unlike the curve "
        "above, it stays unbiased when patients stop logging for reasons seen in their "
        f"scores so far (missing at random).{sampled}"
    )
    return _svg(charts.model_curve_chart(data)) + f'<p class="note">{html.escape(note)}</p>'


def flags_section(view: ReportView) -> str:
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


def adherence_section(view: ReportView) -> str:
    data = _numeric(view.tables["adherence"], ["days_answered", "days_adherent", "proportion"])
    day = view.settings.landmark_day
    body = (
        _svg(charts.adherence_heatmap(data))
        + f"<h3>Adherence before day {day} and recovery after it</h3>"
        + f'<p class="caution">{html.escape(LANDMARK_CAUTION)}</p>'
        + '<p class="note">Patients still sore, unresolved and logging on day '
        f"{day}; adherence is each item's share of days 0–{day - 1} followed (score: the "
        "mean of the items). Hazard ratio of resolution per 1.0 of that share (adherent on "
        "every day against on none; above 1: faster resolution), Cox model stratified by "
        "treatment type and adjusted for baseline soreness, mean soreness before the day and "
        "soreness at the last log before it; 95 % intervals robust to patients with several "
        "episodes; q: Benjamini–Hochberg across items. A comparison over the whole window "
        "would mix in days after resolution, so it is not shown."
        + html.escape(sample_note(view, "adherence_landmark", "episodes at the landmark"))
        + "</p>"
        + _table(view.tables["adherence_landmark"])
    )
    return _section("adherence", "Home-care adherence", body)


def followup_section(view: ReportView) -> str:
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


def spc_section(view: ReportView) -> str:
    spc = view.tables["spc"]
    data = _numeric(spc, ["n", "events", "p", "center", "lcl", "ucl"])
    signals = spc.loc[spc["signal"].astype("str") == "True"]
    note = ""
    if view.share and data["p"].notna().mean() < 0.5:
        note = (
            f'<p class="note">Shared version: most monthly counts are below {view.min_cell}, '
            "so most points are hidden; the internal report shows them all.</p>"
        )
    incomplete = spc.loc[spc["complete"].astype("str") == "False", "month"].unique()
    if len(incomplete):
        note += (
            f'<p class="note">Hollow points: treatment months whose episodes cannot all have '
            f"completed the {view.settings.window_days}-day window by the last log date "
            f"({', '.join(html.escape(str(m)) for m in incomplete)}); they never signal and are "
            "left out of the centre line.</p>"
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


def funnel_section(view: ReportView) -> str:
    funnel = view.tables.get("funnel")
    if funnel is None or funnel.empty:
        body = '<p class="note">No site or clinician recorded: no funnel plots.</p>'
        return _section("funnel", "Funnel plots", body)
    note = (
        '<p class="note">Each unit\'s observed count against the count expected from the '
        "all-unit rate of each treatment type (indirect standardisation; Spiegelhalter 2005). "
        "Lines: 95 % (dashed) and 99.8 % exact Poisson limits of observed / expected. A unit "
        "outside 99.8 % is unlikely to differ by chance alone; look at its case mix and "
        "follow-up before drawing conclusions.</p>"
    )
    parts = [note]
    unit_types = list(dict.fromkeys(funnel["unit_type"].astype("str")))
    for unit_type in unit_types:
        rows = funnel.loc[funnel["unit_type"].astype("str") == unit_type]
        parts.append(f"<h3>By {html.escape(unit_type)}</h3>")
        parts.append(_svg(charts.funnel_chart(rows, unit_type=unit_type)))
        parts.append(_table(rows))
    if view.share:
        parts.append(
            '<p class="note">Shared version: clinicians are left out, and a site\'s rows are '
            f"hidden when any of its episode counts by treatment type is below {view.min_cell} "
            "(its expected count would reveal them).</p>"
        )
    return _section("funnel", "Funnel plots", "".join(parts))


def alerts_section(view: ReportView, max_alerts: int) -> str:
    if "alerts" not in view.tables and view.share:
        return _section(
            "alerts",
            "Alerts",
            '<p class="note">Alerts are about single patients: a shared report leaves them out '
            "(with <code>--pseudonym-key-file</code> it lists them under pseudonyms).</p>",
        )
    if "alerts" not in view.tables:  # an engine that keeps the list where the rows are
        why = view.results.absent.get("alerts", "this run did not list the alerts")
        counts = view.tables.get("alert_counts")
        return _section(
            "alerts",
            "Alerts",
            (_table(counts) if counts is not None else "")
            + f'<p class="note">The list of alerts is not in this report: {html.escape(why)}.</p>',
        )
    alerts, counts = view.tables["alerts"], view.tables["alert_counts"]
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


#: Parameters the methods table always shows in its own words.
_SHOWN = frozenset({"window_days", "resolved_at", "definition", "min_cell"})


def _other_parameters(settings: Settings) -> list[tuple[str, str]]:
    """The other parameters that differ from their defaults (the defaults are in the methods
    document), so a report made with other thresholds says which."""
    default = Settings().as_dict()
    return [
        (name, str(value))
        for name, value in settings.as_dict().items()
        if name not in _SHOWN and value != default[name]
    ]


def methods_section(view: ReportView) -> str:
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
            *_other_parameters(settings),
            (
                "Shared version",
                f"yes (smallest count shown: {view.min_cell})" if view.share else "no (internal)",
            ),
            ("recovery-toolkit", __version__),
        ],
        columns=["parameter", "value"],
    )
    method = recorded_interval_method(view.tables) or "not recorded"
    notes = view.results.notes
    warning_list = "".join(f"<li>{html.escape(n)}</li>" for n in notes)
    body = (
        _table(rows)
        + '<p class="note">Definitions: see docs/methods.md in recovery-toolkit. Time to '
        "resolution is among sore episodes (baseline above the threshold; those with no "
        "reaction and those without a day-0/1 log are counted beside); resolution is the first "
        "logged day at or below the threshold, confirmed by the next log, after which soreness "
        "stays there; Kaplan–Meier estimates"
        + _UNSEEN_REBOUNDS.get(settings.definition, "")
        + ", with inverse-probability-of-censoring weighting and "
        "best/worst-case bounds for drop-out; Wilson and exact Poisson intervals, "
        "cluster-robust by patient where a patient has several episodes "
        f"({html.escape(method)}); Cox hazard ratios with robust variance; "
        "p-chart with "
        f"exact binomial limits ({settings.spc_tail * 100:g} % each side) and the "
        f"{settings.spc_run_length}-point run rule; funnel plots with exact Poisson limits.</p>"
        + (f"<h3>Notes</h3><ul>{warning_list}</ul>" if notes and not view.share else "")
    )
    return _section("methods", "Methods and parameters", body)


#: How the Kaplan–Meier estimates treat an episode that stopped on a low run, per definition.
_UNSEEN_REBOUNDS = {
    "default": (
        " (an episode that stopped logging on a low score counts as resolved with the chance, "
        "estimated from those who kept logging, that it would have stayed low)"
    )
}


_CURVE_STATISTICS = ["mean", "ci_low", "ci_high", "p10", "p25", "median", "p75", "p90"]
